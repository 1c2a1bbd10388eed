//! Fixed-shape identifiers: MD5/SHA-1/SHA-256/SHA-512 (told apart from JA3
//! and certificate fingerprints by the words before them), SSDEEP, JA4,
//! CVE and ATT&CK ids.

use crate::model::IocKind;

/// The kind of a hex digest of `len` digits, before context.
pub(crate) fn hash_kind(len: usize) -> Option<IocKind> {
    Some(match len {
        32 => IocKind::Md5,
        40 => IocKind::Sha1,
        64 => IocKind::Sha256,
        128 => IocKind::Sha512,
        _ => return None,
    })
}

/// Maximal hex runs of a digest length in `tok` that are not part of a
/// longer alphanumeric run: `(start, end)`.
pub(crate) fn hex_runs(tok: &str) -> Vec<(usize, usize)> {
    let b = tok.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let s = i;
        let mut all_hex = true;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
            all_hex &= b[i].is_ascii_hexdigit();
            i += 1;
        }
        let run = &b[s..i];
        if all_hex
            && hash_kind(run.len()).is_some()
            && run.iter().any(|c| c.is_ascii_digit())
            && run.iter().any(|c| c.is_ascii_alphabetic())
        {
            out.push((s, i));
        }
    }
    out
}

/// What the words just before a digest say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Named {
    /// JA3 or JA3S.
    Ja3,
    /// A certificate's fingerprint or thumbprint.
    Certificate,
    /// Named as a file hash (md5, sha256...), or nothing said.
    File,
}

/// Words that name a digest, with what they make it. Order matters for
/// ties at the same position: JA3 before certificate before file.
const NAMING_WORDS: &[(&str, Named)] = &[
    ("ja3", Named::Ja3),
    ("certificate", Named::Certificate),
    ("cert ", Named::Certificate),
    ("cert:", Named::Certificate),
    ("thumbprint", Named::Certificate),
    ("x509", Named::Certificate),
    ("x.509", Named::Certificate),
    ("ssl fingerprint", Named::Certificate),
    // Digest names (`SHA-1`, `hash`) fit certificates too: only words about
    // files take a digest back from a certificate or JA3.
    ("file", Named::File),
    ("sample", Named::File),
    ("payload", Named::File),
    ("binary", Named::File),
    ("executable", Named::File),
    ("implant", Named::File),
    ("dropper", Named::File),
    ("loader", Named::File),
];

/// The naming words of [`NAMING_WORDS`] as one case-insensitive automaton:
/// every hash in a text looks at its context, so one pass replaces a
/// search per word.
fn naming_words() -> &'static aho_corasick::AhoCorasick {
    static AC: std::sync::OnceLock<aho_corasick::AhoCorasick> = std::sync::OnceLock::new();
    AC.get_or_init(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(NAMING_WORDS.iter().map(|(w, _)| w))
            .expect("fixed word list builds")
    })
}

/// Looks at the context before a digest (same sentence, nearest keyword
/// wins) and, if none, the context after it.
pub(crate) fn named(before: &str, after: &str) -> Named {
    let ac = naming_words();
    // The last word before (latest start; on a tie, the earlier entry).
    let last = ac
        .find_overlapping_iter(before)
        .map(|m| (m.start(), std::cmp::Reverse(m.pattern().as_usize())))
        .max();
    if let Some((_, std::cmp::Reverse(i))) = last {
        return NAMING_WORDS[i].1;
    }
    // After: the first of JA3, certificate or thumbprint; a file otherwise.
    ac.find_overlapping_iter(after)
        .filter(|m| {
            matches!(
                NAMING_WORDS[m.pattern().as_usize()].0,
                "ja3" | "certificate" | "thumbprint"
            )
        })
        .map(|m| (m.start(), m.pattern().as_usize()))
        .min()
        .map_or(Named::File, |(_, i)| NAMING_WORDS[i].1)
}

/// `blocksize:hash:hash` with base64 hash parts.
pub(crate) fn ssdeep(tok: &str) -> Option<&str> {
    let tok = tok.split(',').next()?;
    let mut parts = tok.splitn(3, ':');
    let bs = parts.next()?;
    let h1 = parts.next()?;
    let h2 = parts.next()?;
    let b64 = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'/' || b == b'+')
    };
    let ok = !bs.is_empty()
        && bs.len() <= 10
        && bs.bytes().all(|b| b.is_ascii_digit())
        && bs.parse::<u64>().is_ok_and(|n| n >= 3)
        && h1.len() >= 8
        && h1.len() <= 64
        && !h2.is_empty()
        && h2.len() <= 64
        && b64(h1)
        && b64(h2)
        && h1.bytes().any(|b| b.is_ascii_alphabetic());
    ok.then_some(tok)
}

/// A JA4 client fingerprint (`t13d1516h2_8daaf6152771_e5627efa2ab1`) or,
/// when `named` (the sentence says JA4), another JA4-family form (JA4S,
/// JA4H, JA4X: `_`-separated parts, the last ones hex).
pub(crate) fn ja4(tok: &str, named: bool) -> Option<String> {
    let parts: Vec<&str> = tok.split('_').collect();
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    let lower_alnum = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    let p0 = parts[0].as_bytes();
    let client = parts.len() == 3
        && p0.len() == 10
        && matches!(p0[0], b't' | b'q' | b'd')
        && p0[1..3].iter().all(u8::is_ascii_digit)
        && matches!(p0[3], b'd' | b'i')
        && p0[4..8].iter().all(u8::is_ascii_digit)
        && lower_alnum(parts[0])
        && hex(parts[1], 12)
        && hex(parts[2], 12);
    let family = named
        && (3..=4).contains(&parts.len())
        && (6..=12).contains(&parts[0].len())
        && lower_alnum(parts[0])
        && parts[1..].iter().all(|p| hex(p, 12) || hex(p, 4))
        && parts.last().is_some_and(|p| p.len() == 12);
    (client || family).then(|| tok.to_ascii_lowercase())
}

/// CVE ids in `tok` not glued to a longer word: `(start, value)`.
pub(crate) fn cves(tok: &str) -> Vec<(usize, String)> {
    let b = tok.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(p) = find_ci(&b[from..], b"cve-") {
        let s = from + p;
        from = s + 4;
        if s > 0 && b[s - 1].is_ascii_alphanumeric() {
            continue;
        }
        let y = &b[s + 4..];
        if y.len() < 9 || !y[..4].iter().all(u8::is_ascii_digit) || y[4] != b'-' {
            continue;
        }
        let n = y[5..].iter().take_while(|c| c.is_ascii_digit()).count();
        let end = s + 9 + n;
        if !(4..=7).contains(&n) || b.get(end).is_some_and(|c| c.is_ascii_alphanumeric()) {
            continue;
        }
        out.push((s, tok[s..end].to_ascii_uppercase()));
        from = end;
    }
    out
}

fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// An ATT&CK id written exactly (`T1566`, `T1566.001`, `TA0001`, `G0016`,
/// `S0514`, `M1036`, `C0024`).
pub(crate) fn attack_id(tok: &str) -> Option<&str> {
    let b = tok.as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    let ok = match b {
        [b'T', b'A', rest @ ..] => rest.len() == 4 && digits(rest),
        [b'T', rest @ ..] => {
            (rest.len() == 4 && digits(rest))
                || (rest.len() == 8 && digits(&rest[..4]) && rest[4] == b'.' && digits(&rest[5..]))
        }
        [b'G' | b'S' | b'M' | b'C', rest @ ..] => rest.len() == 4 && digits(rest),
        _ => false,
    };
    ok.then_some(tok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_must_be_whole() {
        let md5 = "d41d8cd98f00b204e9800998ecf8427e";
        assert_eq!(hex_runs(md5), vec![(0, 32)]);
        assert_eq!(hex_runs(&format!("md5:{md5}")), vec![(4, 36)]);
        assert!(hex_runs(&format!("{md5}a")).is_empty());
        assert!(hex_runs(&format!("x{md5}")).is_empty());
        assert!(hex_runs(&"1".repeat(32)).is_empty());
    }

    #[test]
    fn context_names() {
        assert_eq!(named("The JA3 of the client is ", ""), Named::Ja3);
        assert_eq!(
            named("the TLS certificate SHA-1 thumbprint ", ""),
            Named::Certificate
        );
        assert_eq!(
            named("JA3 was seen; the MD5 of the file is ", ""),
            Named::File
        );
        assert_eq!(
            named("The certificate SHA-1 hash is ", ""),
            Named::Certificate
        );
        assert_eq!(named("", " (JA3S)"), Named::Ja3);
        assert_eq!(named("Dropped ", ""), Named::File);
    }

    #[test]
    fn fixed_shapes() {
        assert!(ssdeep("96:s4Ud1Lj96tHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8QsO/wqWXLcMSx:s4Ud1Lj96tHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8QsO/wqWXLcMSx").is_some());
        assert!(ssdeep("12:30:45").is_none());
        assert_eq!(
            ja4("t13d1516h2_8daaf6152771_e5627efa2ab1", false).as_deref(),
            Some("t13d1516h2_8daaf6152771_e5627efa2ab1")
        );
        assert!(ja4("t130200_1301_a56c5b993250", false).is_none());
        assert!(ja4("t130200_1301_a56c5b993250", true).is_some());
        assert_eq!(
            cves("(cve-2019-19781)"),
            vec![(1, "CVE-2019-19781".to_string())]
        );
        assert!(cves("XCVE-2019-19781").is_empty());
        assert!(cves("CVE-2019-197811234").is_empty());
        assert_eq!(attack_id("T1566.001"), Some("T1566.001"));
        assert_eq!(attack_id("TA0001"), Some("TA0001"));
        assert!(attack_id("T15660").is_none());
        assert!(attack_id("t1566").is_none());
    }
}
