//! The one pass over refanged text: split into tokens at delimiters (a
//! byte-class test per byte), trim surrounding punctuation, and send each
//! token to the few recognisers its bytes make possible. Plain words, the
//! bulk of prose, are dismissed after one look at their bytes.

use super::Cand;
use super::hashes::{self, Named};
use super::names;
use super::net::{self, UrlHost};
use super::refang::Refanged;
use crate::model::IocKind;
use std::net::IpAddr;

/// Longest token looked at; longer runs (base64 blobs, garbage) are
/// skipped whole.
pub(crate) const MAX_TOKEN: usize = 2048;

/// Words shortly before a dotted quad that make it a version or section
/// number.
const VERSION_WORDS: &[&str] = &[
    "version",
    "versions",
    "ver",
    "v",
    "build",
    "builds",
    "release",
    "releases",
    "section",
    "sections",
    "§",
    "figure",
    "fig",
    "table",
    "chapter",
    "paragraph",
    "clause",
    "appendix",
    "annex",
    "firmware",
    "patch",
    "revision",
    "versioning",
];

/// First labels of anti-virus signature names (`Trojan.Win32.Agent.abc`).
const AV_PREFIXES: &[&str] = &[
    "trojan",
    "backdoor",
    "worm",
    "virus",
    "exploit",
    "hacktool",
    "riskware",
    "adware",
    "pua",
    "pup",
    "ransom",
    "trojandownloader",
    "trojanspy",
    "trojan-downloader",
    "trojan-spy",
    "trojan-dropper",
    "downloader",
    "dropper",
    "win32",
    "win64",
    "w32",
    "w64",
    "msil",
    "linux",
    "osx",
    "macos",
    "android",
    "heur",
    "generic",
    "gen",
    "spyware",
    "rootkit",
    "bot",
    "ransomware",
    "script",
    "vbs",
    "html",
    "js",
    "php",
    "java",
    "unix",
    "elf",
];

/// ASCII bytes that end a token.
const DELIM: [bool; 128] = {
    let mut t = [false; 128];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[0x7f] = true;
    let mut j = 0;
    let d = b" \"<>`|^,;";
    while j < d.len() {
        t[d[j] as usize] = true;
        j += 1;
    }
    t
};

/// ASCII bytes without which a token cannot be an indicator.
const MARK: [bool; 128] = {
    let mut t = [false; 128];
    let mut i = b'0';
    while i <= b'9' {
        t[i as usize] = true;
        i += 1;
    }
    let m = b".:/\\@_-";
    let mut j = 0;
    while j < m.len() {
        t[m[j] as usize] = true;
        j += 1;
    }
    t
};

fn is_delim(c: char) -> bool {
    if c.is_ascii() {
        DELIM[c as usize]
    } else {
        !c.is_alphanumeric()
    }
}

/// Finds tokens in `r.text` and pushes every indicator recognised.
pub(crate) fn scan(r: &Refanged, out: &mut Vec<Cand>) {
    let t = r.text.as_str();
    let b = t.as_bytes();
    let mut i = 0;
    while i < b.len() {
        // Skip delimiters.
        let c = b[i];
        if c < 0x80 {
            if DELIM[c as usize] {
                i += 1;
                continue;
            }
        } else {
            let ch = t[i..].chars().next().unwrap_or(' ');
            if is_delim(ch) {
                i += ch.len_utf8();
                continue;
            }
        }
        let s = i;
        // Whether the token holds a byte some indicator needs (a digit,
        // `.`, `:`, `/`, `\`, `@`, `_`, `-`); words of letters alone are
        // never looked at further.
        let mut marked = false;
        while i < b.len() {
            let c = b[i];
            if c < 0x80 {
                if DELIM[c as usize] {
                    break;
                }
                marked |= MARK[c as usize];
                i += 1;
            } else {
                let ch = t[i..].chars().next().unwrap_or(' ');
                if is_delim(ch) {
                    break;
                }
                i += ch.len_utf8();
            }
        }
        if marked && i - s <= MAX_TOKEN {
            token(r, s, i, out);
        }
    }
}

/// Trims punctuation around a token; a closing bracket stays when it
/// closes one opened inside.
fn trim(t: &str, mut s: usize, mut e: usize) -> (usize, usize) {
    let b = t.as_bytes();
    while s < e
        && matches!(
            b[s],
            b'(' | b'[' | b'{' | b'\'' | b'*' | b'_' | b'~' | b'.' | b'!' | b'?'
        )
    {
        s += 1;
    }
    // Open minus close brackets of each kind, counted once.
    let mut balance = [0i64; 3];
    for &c in &b[s..e] {
        match c {
            b'(' => balance[0] += 1,
            b')' => balance[0] -= 1,
            b'[' => balance[1] += 1,
            b']' => balance[1] -= 1,
            b'{' => balance[2] += 1,
            b'}' => balance[2] -= 1,
            _ => {}
        }
    }
    while e > s {
        let c = b[e - 1];
        let drop = match c {
            b'.' | b',' | b';' | b'!' | b'?' | b'\'' | b'*' | b'~' | b'_' => true,
            b':' => !(e >= 2 && b[e - 2] == b':'),
            b')' | b']' | b'}' => {
                let k = match c {
                    b')' => 0,
                    b']' => 1,
                    _ => 2,
                };
                // Unbalanced: more closing than opening brackets.
                let unbalanced = balance[k] < 0;
                if unbalanced {
                    balance[k] += 1;
                }
                unbalanced
            }
            _ => false,
        };
        if !drop {
            break;
        }
        e -= 1;
    }
    (s, e)
}

fn push(out: &mut Vec<Cand>, r: &Refanged, mut c: Cand) {
    c.defanged = r.defanged(c.start, c.end);
    if c.defanged {
        c.confidence = (c.confidence + 0.1).min(1.0);
    }
    out.push(c);
}

fn token(r: &Refanged, s0: usize, e0: usize, out: &mut Vec<Cand>) {
    let t = r.text.as_str();
    let (s, e) = trim(t, s0, e0);
    if e - s < 3 {
        return;
    }
    let w = &t[s..e];
    let b = w.as_bytes();
    let (mut dot, mut colon, mut slash, mut bslash, mut at, mut us, mut dash, mut digit) =
        (false, false, false, false, false, false, false, false);
    for &c in b {
        match c {
            b'.' => dot = true,
            b':' => colon = true,
            b'/' => slash = true,
            b'\\' => bslash = true,
            b'@' => at = true,
            b'_' => us = true,
            b'-' => dash = true,
            b'0'..=b'9' => digit = true,
            _ => {}
        }
    }
    if !(dot || colon || slash || bslash || at || us || dash || digit) {
        return;
    }
    if colon && let Some(p) = w.find("://") {
        url_token(r, s, e, p, out);
        return;
    }
    // `src=172.20.1.15`, `host=evil.top`: the value after the last `=`.
    if let Some(eq) = w.rfind('=')
        && !bslash
        && eq + 1 < w.len()
        && w[..eq]
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
    {
        token(r, s + eq + 1, e, out);
        return;
    }
    if bslash && names::registry_start(w) {
        let e = join_spaced(t, e);
        let (os, oe) = (r.to_original(s), r.to_original(e));
        if let Some(v) = names::registry(&t[s..e]) {
            let mut c = Cand::new(IocKind::Registry, v, s, e, 0.8, None);
            c.defanged = false;
            c.start = os;
            c.end = oe;
            c.original = true;
            out.push(c);
        }
        return;
    }
    if (bslash || slash) && names::path_start(w) {
        let e = if bslash { join_spaced(t, e) } else { e };
        let value = t[s..e].to_string();
        let last = value.rsplit(['\\', '/']).next().unwrap_or("");
        let flag = names::file_flag(last).filter(|_| {
            let l = value.to_ascii_lowercase();
            l.contains("\\system32\\")
                || l.contains("\\syswow64\\")
                || l.starts_with("/bin/")
                || l.starts_with("/usr/bin/")
        });
        let mut c = Cand::new(IocKind::FilePath, value, s, e, 0.75, flag);
        c.start = r.to_original(s);
        c.end = r.to_original(e);
        c.original = true;
        out.push(c);
        return;
    }
    if at {
        if let Some((v, host)) = net::email(w) {
            push(out, r, Cand::new(IocKind::Email, v, s, e, 0.85, host.flag));
        }
        return;
    }
    if us
        && digit
        && let Some(v) = hashes::ja4(w, false).or_else(|| {
            let b = before(t, s, 200).as_bytes();
            b.windows(3)
                .any(|x| x.eq_ignore_ascii_case(b"ja4"))
                .then(|| hashes::ja4(w, true))
                .flatten()
        })
    {
        push(out, r, Cand::new(IocKind::Ja4, v, s, e, 0.85, None));
        return;
    }
    if dash && e - s >= 13 {
        let found = hashes::cves(w);
        if !found.is_empty() {
            for (p, v) in found {
                push(
                    out,
                    r,
                    Cand::new(IocKind::Cve, v, s + p, s + p + 14, 0.95, None),
                );
            }
            return;
        }
    }
    if digit
        && matches!(b[0], b'T' | b'G' | b'S' | b'M' | b'C')
        && e - s <= 9
        && let Some(v) = hashes::attack_id(w)
    {
        push(
            out,
            r,
            Cand::new(IocKind::Attack, v.to_string(), s, e, 0.9, None),
        );
        return;
    }
    if digit && e - s >= 32 {
        let runs = hashes::hex_runs(w);
        if !runs.is_empty() {
            for (a, z) in runs {
                hash(r, s + a, s + z, out);
            }
            return;
        }
    }
    if colon
        && digit
        && b[0].is_ascii_digit()
        && let Some(v) = hashes::ssdeep(w)
    {
        {
            push(
                out,
                r,
                Cand::new(IocKind::Ssdeep, v.to_string(), s, s + v.len(), 0.9, None),
            );
            return;
        }
    }
    if colon && w.bytes().filter(|c| *c == b':').count() >= 2 {
        ipv6_token(r, s, e, out);
        return;
    }
    if dot {
        dotted(r, s, e, out);
    }
}

/// Joins words after a Windows path or key when a later word continues it
/// with a backslash (`C:\Program Files\x`, `...\Windows NT\CurrentVersion`).
fn join_spaced(t: &str, mut e: usize) -> usize {
    const STOP: &[&str] = &[
        "and", "or", "in", "to", "the", "of", "from", "with", "under", "at", "on", "is", "was",
        "as", "for", "via", "by",
    ];
    if names::extension(t[..e].rsplit('\\').next().unwrap_or("")).is_some() {
        return e;
    }
    let b = t.as_bytes();
    let mut p = e;
    for _ in 0..3 {
        if b.get(p) != Some(&b' ') {
            break;
        }
        let ws = p + 1;
        let we = b[ws..]
            .iter()
            .position(|c| c.is_ascii_whitespace() || *c == b'"' || *c == b'<')
            .map_or(b.len(), |x| ws + x);
        let word = &t[ws..we];
        if word.is_empty()
            || STOP.contains(&word.to_ascii_lowercase().as_str())
            || names::path_start(word)
            || names::registry_start(word)
        {
            break;
        }
        if word.contains('\\') {
            e = trim(t, ws, we).1;
        }
        p = we;
    }
    e
}

fn before(t: &str, s: usize, n: usize) -> &str {
    let mut a = s.saturating_sub(n);
    while !t.is_char_boundary(a) {
        a += 1;
    }
    &t[a..s]
}

fn after(t: &str, e: usize, n: usize) -> &str {
    let mut z = (e + n).min(t.len());
    while !t.is_char_boundary(z) {
        z -= 1;
    }
    &t[e..z]
}

/// The current sentence's text before `s`, for naming a digest.
fn sentence_before(t: &str, s: usize) -> &str {
    let bef = before(t, s, 160);
    &bef[after_last(bef, &[". ", ".\n", "\n\n"])..]
}

/// Where the text after the last occurrence of any of `seps` in `s`
/// starts (the largest end of an occurrence), 0 when none occurs. One
/// backward pass instead of a search per separator: this runs for every
/// dotted quad and digest. Separators start with an ASCII byte, so the
/// result is a character boundary.
fn after_last(s: &str, seps: &[&str]) -> usize {
    let b = s.as_bytes();
    let longest = seps.iter().map(|p| p.len()).max().unwrap_or(0);
    let mut best = 0;
    let mut i = b.len();
    while i > 0 {
        i -= 1;
        if i + longest <= best {
            break;
        }
        for p in seps {
            if b[i..].starts_with(p.as_bytes()) {
                best = best.max(i + p.len());
            }
        }
    }
    best
}

fn hash(r: &Refanged, s: usize, e: usize, out: &mut Vec<Cand>) {
    let t = r.text.as_str();
    let len = e - s;
    let value = t[s..e].to_ascii_lowercase();
    let aft = after(t, e, 60);
    let aft = aft.split(['\n', '.']).next().unwrap_or("");
    let kind = match (hashes::named(sentence_before(t, s), aft), len) {
        (Named::Ja3, 32) => IocKind::Ja3,
        (Named::Certificate, 40 | 64) => IocKind::X509Fingerprint,
        _ => hashes::hash_kind(len).unwrap_or(IocKind::Md5),
    };
    push(out, r, Cand::new(kind, value, s, e, 0.95, None));
}

fn ipv6_token(r: &Refanged, s: usize, e: usize, out: &mut Vec<Cand>) {
    let t = r.text.as_str();
    let w = t[s..e].trim_start_matches('[');
    let w = w.split(']').next().unwrap_or(w);
    let (addr, len) = match w.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (w, None),
    };
    let Some(ip) = net::parse_ipv6(addr) else {
        return;
    };
    let flag = net::ipv6_flag(ip);
    match len.map(|l| l.parse::<u8>()) {
        None => push(
            out,
            r,
            Cand::new(IocKind::Ipv6, ip.to_string(), s, e, 0.8, flag),
        ),
        Some(Ok(l)) if l <= 128 => {
            if let Ok(net) = ipnet::Ipv6Net::new(ip, l) {
                push(
                    out,
                    r,
                    Cand::new(IocKind::Cidr, net.trunc().to_string(), s, e, 0.8, flag),
                );
            }
        }
        _ => {}
    }
}

/// Whether the words before `s` (same line and sentence) make a dotted
/// quad a version or section number: a version word among the few words
/// before it (`builds in question are 15.1.225.42`, `version field (for
/// example 5.0.3.1)`).
fn version_context(t: &str, s: usize) -> bool {
    let bef = before(t, s, 100);
    // Same sentence and list item, across a wrapped line.
    let bef = &bef[after_last(bef, &["\n\n", "\n-", "\n*", "\n•", ". "])..];
    bef.split_whitespace().rev().take(7).any(|word| {
        let w = word.trim_matches(|c: char| !c.is_alphanumeric() && c != '§');
        VERSION_WORDS.iter().any(|v| v.eq_ignore_ascii_case(w))
            || (w.len() > 1
                && w.starts_with(['v', 'V'])
                && w[1..].bytes().all(|c| c.is_ascii_digit()))
    })
}

fn url_token(r: &Refanged, s: usize, e: usize, sep: usize, out: &mut Vec<Cand>) {
    let t = r.text.as_str();
    let w = &t[s..e];
    let sb = w[..sep]
        .bytes()
        .rev()
        .take_while(|c| c.is_ascii_alphabetic())
        .count();
    let scheme = &w[sep - sb..sep];
    let us = s + sep - sb;
    // Brackets before the scheme (`[text](http://...)`) no longer count.
    let (_, e) = trim(t, us, e);
    let rest = &t[s + sep + 3..e.max(s + sep + 3)];
    match net::url(Some(scheme), rest) {
        Some(u) => url_found(r, us, e, s + sep + 3, u, out),
        // Another scheme (`tcp://1.2.3.4:443`): the host may still count.
        None if rest.contains('.') => {
            let host_end = rest.find(['/', '?', '#']).map_or(e, |p| s + sep + 3 + p);
            dotted(r, s + sep + 3, host_end, out);
        }
        None => {}
    }
}

fn url_found(
    r: &Refanged,
    s: usize,
    e: usize,
    host_start: usize,
    u: net::Url,
    out: &mut Vec<Cand>,
) {
    let flag = u.host.flag();
    let host_end = host_start
        + r.text[host_start..e]
            .find(['/', '?', '#'])
            .unwrap_or(e - host_start);
    if u.has_path {
        push(out, r, Cand::new(IocKind::Url, u.value, s, e, 0.9, flag));
    }
    match u.host {
        UrlHost::Domain(h) => push(
            out,
            r,
            Cand::new(IocKind::Domain, h.name, host_start, host_end, 0.8, h.flag),
        ),
        UrlHost::Ip(IpAddr::V4(ip)) => push(
            out,
            r,
            Cand::new(
                IocKind::Ipv4,
                ip.to_string(),
                host_start,
                host_end,
                0.85,
                flag,
            ),
        ),
        UrlHost::Ip(IpAddr::V6(ip)) => push(
            out,
            r,
            Cand::new(
                IocKind::Ipv6,
                ip.to_string(),
                host_start,
                host_end,
                0.85,
                flag,
            ),
        ),
    }
}

/// A token with dots: IPv4 or CIDR, scheme-less URL, domain, file name.
fn dotted(r: &Refanged, s: usize, e: usize, out: &mut Vec<Cand>) {
    let t = r.text.as_str();
    let w = &t[s..e];
    let host_len = w.find(['/', '?', '#']).unwrap_or(w.len());
    let (hostport, rest) = w.split_at(host_len);
    let host = hostport.split(':').next().unwrap_or(hostport);
    let port_ok = hostport.len() == host.len()
        || hostport[host.len() + 1..]
            .bytes()
            .all(|c| c.is_ascii_digit());
    let defanged = r.defanged(s, e);
    if host.is_empty() {
        return;
    }
    if host.as_bytes()[0].is_ascii_digit()
        && let Some(ip) = net::parse_ipv4(host)
    {
        if !port_ok || (!defanged && version_context(t, s)) {
            return;
        }
        let flag = net::ipv4_flag(ip);
        if let Some(len) = rest
            .strip_prefix('/')
            .filter(|l| !l.is_empty() && l.bytes().all(|c| c.is_ascii_digit()))
        {
            if hostport.len() == host.len()
                && let Ok(l) = len.parse::<u8>()
                && let Ok(n) = ipnet::Ipv4Net::new(ip, l)
            {
                push(
                    out,
                    r,
                    Cand::new(IocKind::Cidr, n.trunc().to_string(), s, e, 0.8, flag),
                );
            }
            return;
        }
        if rest.len() > 1 {
            if let Some(u) = net::url(None, w) {
                url_found(r, s, e, s, u, out);
            }
            return;
        }
        push(
            out,
            r,
            Cand::new(IocKind::Ipv4, ip.to_string(), s, s + host.len(), 0.8, flag),
        );
        return;
    }
    if !port_ok {
        return;
    }
    let as_file = |out: &mut Vec<Cand>| {
        if rest.is_empty() && hostport.len() == host.len() && names::file_name(w).is_some() {
            push(
                out,
                r,
                Cand::new(
                    IocKind::FileName,
                    w.to_string(),
                    s,
                    e,
                    0.6,
                    names::file_flag(w),
                ),
            );
        }
    };
    let Some(h) = net::domain(host) else {
        as_file(out);
        return;
    };
    let labels: Vec<&str> = host.trim_end_matches('.').split('.').collect();
    let tld_raw = labels.last().copied().unwrap_or("");
    if !defanged {
        // Sentence glue (`attack.In`), AV names, file names under a TLD.
        let capitalised = tld_raw.len() >= 2
            && tld_raw.as_bytes()[0].is_ascii_uppercase()
            && tld_raw[1..].bytes().any(|c| c.is_ascii_lowercase());
        let first = labels[0].to_ascii_lowercase();
        let mixed = labels
            .iter()
            .filter(|l| {
                l.bytes().any(|c| c.is_ascii_uppercase())
                    && l.bytes().any(|c| c.is_ascii_lowercase())
            })
            .count();
        if capitalised || AV_PREFIXES.contains(&first.as_str()) || mixed >= 2 {
            as_file(out);
            return;
        }
        if rest.is_empty()
            && labels.len() == 2
            && (names::EXTENSION_TLDS.contains(&h.tld.as_str())
                || (h.tld == "com" && names::is_com_file(host)))
        {
            as_file(out);
            return;
        }
    }
    let ext_tld = names::EXTENSION_TLDS.contains(&h.tld.as_str());
    if rest.len() > 1 {
        if let Some(u) = net::url(None, w) {
            url_found(r, s, e, s, u, out);
        }
        return;
    }
    let conf = if ext_tld { 0.45 } else { 0.75 };
    push(
        out,
        r,
        Cand::new(IocKind::Domain, h.name, s, s + host.len(), conf, h.flag),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_last_finds_the_latest_end_of_any_separator() {
        let seps = &["\n\n", "\n•", ". "];
        assert_eq!(after_last("no separator here", seps), 0);
        assert_eq!(after_last("One. Two. three", seps), 10);
        // A longer separator starting earlier can end later.
        assert_eq!(after_last("a. \n• b", seps), "a. \n•".len());
        assert_eq!(after_last("x\n\n", seps), 3);
        for s in ["ab. cd\n\nef", "\n\n\n", ". . .", "é. ü\n• ß"] {
            let want = seps
                .iter()
                .filter_map(|p| s.rfind(p).map(|x| x + p.len()))
                .max()
                .unwrap_or(0);
            assert_eq!(after_last(s, seps), want, "{s:?}");
        }
    }

    #[test]
    fn trimming() {
        let t = "(evil.com/a_(b)).";
        let (s, e) = trim(t, 0, t.len());
        assert_eq!(&t[s..e], "evil.com/a_(b)");
        let t = "**evil.com**,";
        let (s, e) = trim(t, 0, t.len());
        assert_eq!(&t[s..e], "evil.com");
    }

    #[test]
    fn versions() {
        let t = "in version 10.2.0.1 and";
        assert!(version_context(t, t.find("10.").unwrap()));
        let t = "the builds in question are 15.1.225.42 and 15.2.221.12";
        assert!(version_context(t, t.rfind("15.2").unwrap()));
        let t = "versions 1.2.3.4 and 1.2.3.5";
        assert!(version_context(t, t.rfind("1.2.3.5").unwrap()));
        let t = "beacons to 1.2.3.4 and";
        assert!(!version_context(t, t.find("1.2").unwrap()));
    }

    #[test]
    fn spaced_paths() {
        let t = "C:\\Program Files\\Common Files\\x.dll was";
        assert_eq!(join_spaced(t, 10), t.find(" was").unwrap());
        let t = "C:\\Users\\Public and C:\\Temp\\x";
        assert_eq!(join_spaced(t, 15), 15);
    }
}
