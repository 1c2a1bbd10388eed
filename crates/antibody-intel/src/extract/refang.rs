//! Refanging: undoes the ways advisories defang indicators (`hxxp`, `[.]`,
//! `[dot]`, `[:]//`, `[@]`, `\.`, spaces after the scheme, invisible spaces
//! around dots...) in one linear pass, keeping a map from the refanged text
//! back to the text as written so that every indicator can report its raw
//! form, its offset and whether it was written defanged.
//!
//! Every replacement looks at a bounded number of bytes around one trigger
//! byte, so the pass is linear in the input whatever it contains.

/// A refanged text with the map back to the original.
#[derive(Debug, Default)]
pub(crate) struct Refanged {
    /// The refanged text.
    pub text: String,
    /// `(position in text, position in original)` from which both advance
    /// together; sorted, starts with `(0, 0)`.
    anchors: Vec<(usize, usize)>,
    /// Ranges of `text` that were rewritten (sorted, disjoint).
    edits: Vec<(usize, usize)>,
}

impl Refanged {
    /// The original position of refanged position `pos`.
    pub fn to_original(&self, pos: usize) -> usize {
        let i = self.anchors.partition_point(|a| a.0 <= pos);
        let (o, r) = self.anchors[i.saturating_sub(1)];
        r + (pos - o)
    }

    /// Whether any rewrite touches `start..end` of the refanged text.
    pub fn defanged(&self, start: usize, end: usize) -> bool {
        let i = self.edits.partition_point(|e| e.1 <= start);
        self.edits.get(i).is_some_and(|e| e.0 < end)
    }

    fn edit(&mut self, start: usize) {
        let end = self.text.len();
        match self.edits.last_mut() {
            Some(last) if last.1 >= start => last.1 = last.1.max(end),
            _ => self.edits.push((start, end)),
        }
    }

    fn anchor(&mut self, orig: usize) {
        let here = (self.text.len(), orig);
        match self.anchors.last_mut() {
            Some(last) if last.0 == here.0 => *last = here,
            _ => self.anchors.push(here),
        }
    }
}

/// Bytes at which a defang may start; everything else is copied as is.
const TRIGGER: [bool; 256] = {
    let mut t = [false; 256];
    let s = [b'[', b'(', b'{', b'\\', b':', b'.', 0xC2, 0xE2, 0xEF];
    let mut i = 0;
    while i < s.len() {
        t[s[i] as usize] = true;
        i += 1;
    }
    t
};

/// Bracketed forms and what they stand for. Matched case-insensitively.
const BRACKETED: &[(&str, &str)] = &[
    ("[.]", "."),
    ("(.)", "."),
    ("{.}", "."),
    ("[dot]", "."),
    ("(dot)", "."),
    ("{dot}", "."),
    ("[://]", "://"),
    ("[:]", ":"),
    ("[//]", "//"),
    ("[/]", "/"),
    ("[@]", "@"),
    ("[at]", "@"),
    ("(at)", "@"),
    ("{at}", "@"),
    ("(@)", "@"),
];

/// Defanged spellings of schemes and their real scheme. Same lengths, so a
/// scheme rewrite never moves later positions.
const SCHEMES: &[(&str, &str)] = &[
    ("hxxps", "https"),
    ("hxxp", "http"),
    ("h**ps", "https"),
    ("h**p", "http"),
    ("hxtps", "https"),
    ("hxtp", "http"),
    ("htxps", "https"),
    ("htxp", "http"),
    ("meows", "https"),
    ("meow", "http"),
    ("fxp", "ftp"),
    ("sfxp", "sftp"),
    ("fxps", "ftps"),
];

/// Invisible characters dropped wherever they are (zero-width space,
/// non-joiner, joiner, word joiner, byte-order mark, soft hyphen).
fn invisible(s: &[u8]) -> usize {
    match s {
        [0xE2, 0x80, 0x8B..=0x8D, ..] | [0xE2, 0x81, 0xA0, ..] | [0xEF, 0xBB, 0xBF, ..] => 3,
        [0xC2, 0xAD, ..] => 2,
        _ => 0,
    }
}

/// Whether the backslash at `i` is one of several in a word (a Windows
/// path or registry key, where `\.` is a real dot-name).
fn in_path(b: &[u8], i: usize) -> bool {
    let lo = i.saturating_sub(128);
    let word_start = b[lo..i]
        .iter()
        .rposition(|c| c.is_ascii_whitespace())
        .map_or(lo, |p| lo + p + 1);
    if b[word_start..i].contains(&b'\\') {
        return true;
    }
    let hi = (i + 128).min(b.len());
    b[i + 1..hi]
        .iter()
        .take_while(|c| !c.is_ascii_whitespace())
        .any(|c| *c == b'\\')
}

fn starts_with_ci(hay: &[u8], needle: &str) -> bool {
    hay.len() >= needle.len() && hay[..needle.len()].eq_ignore_ascii_case(needle.as_bytes())
}

fn is_label(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b >= 0x80
}

/// Refangs `src`.
pub(crate) fn refang(src: &str) -> Refanged {
    let b = src.as_bytes();
    let mut out = Refanged {
        text: String::with_capacity(src.len()),
        anchors: vec![(0, 0)],
        edits: Vec::new(),
    };
    let mut i = 0;
    let mut copied = 0; // b[copied..i] is still to copy
    while i < b.len() {
        if !TRIGGER[b[i] as usize] {
            i += 1;
            continue;
        }
        let rest = &b[i..];
        // What to write instead of `consume` bytes at `i` (None: no defang).
        let mut repl: Option<(&str, usize)> = None;
        match b[i] {
            b'[' | b'(' | b'{'
                if rest.len() > 2
                    && matches!(
                        rest[1] | 0x20,
                        b'.' | b':' | b'/' | b'@' | b'd' | b'a' | b'`'
                    ) =>
            {
                if let Some((from, to)) = BRACKETED.iter().find(|(f, _)| starts_with_ci(rest, f)) {
                    repl = Some((to, from.len()));
                }
            }
            // `evil\.com`, but not `\\.\pipe` or a path's `\.hidden`.
            b'\\'
                if rest.get(1) == Some(&b'.')
                    && i > 0
                    && b[i - 1].is_ascii_alphanumeric()
                    && rest.get(2).is_some_and(|c| c.is_ascii_alphanumeric())
                    && !in_path(b, i) =>
            {
                repl = Some((".", 2));
            }
            // `evil . com`: a lone dot between spaces inside a host. The
            // space before it is still uncopied unless a rewrite just
            // happened right before it.
            b'.' if i >= 2
                && b[i - 1] == b' '
                && is_label(b[i - 2])
                && rest.get(1) == Some(&b' ')
                && rest.get(2).is_some_and(|c| c.is_ascii_alphanumeric())
                && copied < i =>
            {
                out.text.push_str(&src[copied..i - 1]);
                copied = i - 1;
                repl = Some((".", 2));
                i -= 1;
            }
            0xC2 | 0xE2 | 0xEF => {
                let n = invisible(rest);
                if n > 0 {
                    repl = Some(("", n));
                } else if rest.starts_with(&[0xC2, 0xA0]) {
                    // A no-break space next to a dot vanishes; elsewhere
                    // it is a space.
                    let near_dot = (i > 0 && b[i - 1] == b'.')
                        || rest.get(2) == Some(&b'.')
                        || rest.get(2..).is_some_and(|r| {
                            BRACKETED.iter().take(6).any(|(f, _)| starts_with_ci(r, f))
                        });
                    repl = Some((if near_dot { "" } else { " " }, 2));
                }
            }
            _ => {}
        }
        let scheme_sep = b[i] == b':' || repl.is_some_and(|r| r.0.starts_with(':'));
        if let Some((to, consume)) = repl {
            out.text.push_str(&src[copied..i]);
            // Words like `[dot]` and `[at]` are often set apart by spaces.
            if to == "." || to == "@" {
                let word = consume > 3;
                if (word || rest.get(consume) == Some(&b' ')) && out.text.ends_with(' ') {
                    let trimmed = out.text.trim_end_matches(' ').len();
                    if out.text.len() - trimmed <= 2 {
                        out.text.truncate(trimmed);
                    }
                }
            }
            let start = out.text.len();
            out.text.push_str(to);
            out.edit(start);
            i += consume;
            if to == "." || to == "@" {
                let mut j = i;
                while j < b.len() && j - i < 2 && b[j] == b' ' {
                    j += 1;
                }
                if j > i && j < b.len() && is_label(b[j]) {
                    i = j;
                }
            }
            out.anchor(i);
            copied = i;
        } else if b[i] == b':' {
            out.text.push_str(&src[copied..=i]);
            i += 1;
            copied = i;
            // `[//]` after a colon is handled by the bracket table on the
            // next trigger.
        } else {
            i += 1;
            continue;
        }
        if scheme_sep {
            fix_scheme(&mut out, b, &mut i, &mut copied);
        }
    }
    out.text.push_str(&src[copied..]);
    out
}

/// After a `:` was written: rewrite a defanged scheme just before it and
/// drop spaces between `://` and the host (`hxxp:// evil[.]com`).
fn fix_scheme(out: &mut Refanged, b: &[u8], i: &mut usize, copied: &mut usize) {
    let text = out.text.as_bytes();
    let colon = text.len() - 1;
    if text.get(colon) != Some(&b':') && !out.text.ends_with("://") {
        return;
    }
    let colon = if out.text.ends_with("://") {
        text.len() - 3
    } else {
        colon
    };
    let mut s = colon;
    while s > 0 && colon - s < 6 && (text[s - 1].is_ascii_alphabetic() || text[s - 1] == b'*') {
        s -= 1;
    }
    if s > 0 && text[s - 1].is_ascii_alphanumeric() {
        return;
    }
    let word = &out.text[s..colon];
    if let Some((_, to)) = SCHEMES.iter().find(|(f, _)| f.eq_ignore_ascii_case(word)) {
        out.text.replace_range(s..colon, to);
        out.edit(s);
    } else if !word.eq_ignore_ascii_case("http")
        && !word.eq_ignore_ascii_case("https")
        && !word.eq_ignore_ascii_case("ftp")
    {
        return;
    }
    // Spaces right after the scheme separator, before a host.
    let rest = &b[*i..];
    let after_sep = if out.text.ends_with("://") {
        0
    } else if rest.starts_with(b"//") {
        2
    } else {
        return;
    };
    let mut j = after_sep;
    while j < rest.len() && j - after_sep < 3 && (rest[j] == b' ' || rest[j] == b'\t') {
        j += 1;
    }
    if j > after_sep && rest.get(j).is_some_and(|c| is_label(*c)) {
        out.text
            .push_str(std::str::from_utf8(&rest[..after_sep]).unwrap_or(""));
        let start = out.text.len();
        out.edit(start.saturating_sub(1));
        *i += j;
        *copied = *i;
        out.anchor(*i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> String {
        refang(s).text
    }

    #[test]
    fn bracket_styles() {
        for s in [
            "evil[.]com",
            "evil(.)com",
            "evil{.}com",
            "evil[dot]com",
            "evil(dot)com",
            "evil{dot}com",
            "evil[DOT]com",
            "evil . com",
            "evil [dot] com",
            "evil\\.com",
        ] {
            assert_eq!(r(s), "evil.com", "{s}");
        }
    }

    #[test]
    fn schemes_and_separators() {
        for s in [
            "hxxp://evil.com/a",
            "hXXp://evil.com/a",
            "h**p://evil.com/a",
            "meow://evil.com/a",
            "hxxp[:]//evil.com/a",
            "hxxp[://]evil.com/a",
            "hxxp:[//]evil.com/a",
            "hxxp://evil.com[/]a",
            "hxxp:// evil[.]com/a",
        ] {
            assert_eq!(r(s), "http://evil.com/a", "{s}");
        }
        assert_eq!(r("hxxps://a[.]b"), "https://a.b");
        assert_eq!(r("fxp://a.b/c"), "ftp://a.b/c");
        assert_eq!(r("x hxxps[:]//a.b"), "x https://a.b");
    }

    #[test]
    fn mail_and_invisible() {
        assert_eq!(r("bob[@]evil.com"), "bob@evil.com");
        assert_eq!(r("bob [at] evil [dot] com"), "bob@evil.com");
        assert_eq!(r("bob(at)evil.com"), "bob@evil.com");
        assert_eq!(r("evil\u{a0}.\u{a0}com"), "evil.com");
        assert_eq!(r("evil\u{200b}.com"), "evil.com");
        assert_eq!(r("a\u{a0}b"), "a b");
    }

    #[test]
    fn ip_stays_ip() {
        assert_eq!(r("1.2.3[.]4"), "1.2.3.4");
        assert_eq!(r("1[.]2[.]3[.]4"), "1.2.3.4");
        assert_eq!(r("194 . 87 . 31 . 212"), "194.87.31.212");
    }

    #[test]
    fn map_and_defanged() {
        let f = refang("see evil[.]com and b.org");
        assert_eq!(f.text, "see evil.com and b.org");
        let s = f.text.find("evil").unwrap();
        assert_eq!(f.to_original(s), 4);
        assert_eq!(f.to_original(s + 8), 14);
        assert!(f.defanged(s, s + 8));
        let b = f.text.find("b.org").unwrap();
        assert!(!f.defanged(b, b + 5));
        assert_eq!(f.to_original(b), 19);
    }

    #[test]
    fn pipes_and_plain_prose_untouched() {
        assert_eq!(r("\\\\.\\pipe\\x"), "\\\\.\\pipe\\x");
        assert_eq!(
            r("HKCR\\.lockbit\\DefaultIcon"),
            "HKCR\\.lockbit\\DefaultIcon"
        );
        assert_eq!(
            r("It ended. Then (a) and [b]."),
            "It ended. Then (a) and [b]."
        );
        assert_eq!(r("(at the time)"), "(at the time)");
    }
}
