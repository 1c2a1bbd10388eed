//! The tokens of the STIX patterning language, with their byte offsets.
//! String, binary, hex and timestamp literals are checked here, so the
//! parser only sees well-formed values.

use super::pattern::{CompareOp, PatternError};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    LBrack,
    RBrack,
    LParen,
    RParen,
    Colon,
    Dot,
    Comma,
    Star,
    Op(CompareOp),
    Ident(String),
    Str(String),
    Int(i64),
    Float(f64),
    Binary(String),
    Hex(String),
    Timestamp(String),
    End,
}

impl Tok {
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::LBrack => "`[`".into(),
            Tok::RBrack => "`]`".into(),
            Tok::LParen => "`(`".into(),
            Tok::RParen => "`)`".into(),
            Tok::Colon => "`:`".into(),
            Tok::Dot => "`.`".into(),
            Tok::Comma => "`,`".into(),
            Tok::Star => "`*`".into(),
            Tok::Op(o) => format!("operator {o:?}"),
            Tok::Ident(s) => format!("`{}`", crate::formats::clip(s, 40)),
            Tok::Str(_) => "a string".into(),
            Tok::Int(_) | Tok::Float(_) => "a number".into(),
            Tok::Binary(_) => "a binary literal".into(),
            Tok::Hex(_) => "a hex literal".into(),
            Tok::Timestamp(_) => "a timestamp".into(),
            Tok::End => "the end of the pattern".into(),
        }
    }
}

pub(crate) fn err(
    offset: usize,
    expected: impl Into<String>,
    found: impl Into<String>,
) -> PatternError {
    PatternError {
        offset,
        expected: expected.into(),
        found: found.into(),
    }
}

/// Splits a pattern into tokens with their byte offsets.
pub(crate) fn lex(p: &str) -> Result<Vec<(Tok, usize)>, PatternError> {
    let b = p.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let two = |s: &[u8]| b[i..].starts_with(s);
        let tok = match c {
            b'[' => Tok::LBrack,
            b']' => Tok::RBrack,
            b'(' => Tok::LParen,
            b')' => Tok::RParen,
            b':' => Tok::Colon,
            b',' => Tok::Comma,
            b'*' => Tok::Star,
            b'=' if two(b"==") => {
                i += 1;
                Tok::Op(CompareOp::Eq)
            }
            b'=' => Tok::Op(CompareOp::Eq),
            b'!' if two(b"!=") => {
                i += 1;
                Tok::Op(CompareOp::Ne)
            }
            b'<' if two(b"<>") => {
                i += 1;
                Tok::Op(CompareOp::Ne)
            }
            b'<' if two(b"<=") => {
                i += 1;
                Tok::Op(CompareOp::Le)
            }
            b'<' => Tok::Op(CompareOp::Lt),
            b'>' if two(b">=") => {
                i += 1;
                Tok::Op(CompareOp::Ge)
            }
            b'>' => Tok::Op(CompareOp::Gt),
            b'\'' => {
                let (s, end) = lex_string(p, i)?;
                i = end - 1;
                Tok::Str(s)
            }
            b'.' if !b.get(i + 1).is_some_and(u8::is_ascii_digit) => Tok::Dot,
            b'+' | b'-' | b'.' | b'0'..=b'9' => {
                let (t, end) = lex_number(p, i)?;
                i = end - 1;
                t
            }
            b'b' | b'h' | b't' if b.get(i + 1) == Some(&b'\'') => {
                let (s, end) = lex_string(p, i + 1)?;
                let t = match c {
                    b'b' => {
                        check_base64(&s).map_err(|e| err(start, e, "other characters"))?;
                        Tok::Binary(s)
                    }
                    b'h' => {
                        if !s.len().is_multiple_of(2) || !s.bytes().all(|x| x.is_ascii_hexdigit()) {
                            return Err(err(
                                start,
                                "pairs of hex digits in h'...'",
                                "other characters",
                            ));
                        }
                        Tok::Hex(s)
                    }
                    _ => {
                        if !is_timestamp(&s) {
                            return Err(err(
                                start,
                                "a timestamp YYYY-MM-DDTHH:MM:SS[.s]Z in t'...'",
                                format!("`{}`", crate::formats::clip(&s, 40)),
                            ));
                        }
                        Tok::Timestamp(s)
                    }
                };
                i = end - 1;
                t
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let mut j = i + 1;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'-')
                {
                    j += 1;
                }
                let s = p[i..j].to_string();
                i = j - 1;
                Tok::Ident(s)
            }
            _ => {
                let ch = p[i..].chars().next().unwrap_or('?');
                return Err(err(start, "a token", format!("`{ch}`")));
            }
        };
        out.push((tok, start));
        i += 1;
    }
    out.push((Tok::End, b.len()));
    Ok(out)
}

/// Reads `'...'` starting at the quote at `i`; returns the unescaped text
/// and the offset after the closing quote. Only `\'` and `\\` are escapes.
fn lex_string(p: &str, i: usize) -> Result<(String, usize), PatternError> {
    let b = p.as_bytes();
    let mut out = String::new();
    let mut j = i + 1;
    let mut run = j;
    while j < b.len() {
        match b[j] {
            b'\'' => {
                out.push_str(&p[run..j]);
                return Ok((out, j + 1));
            }
            b'\\' => {
                out.push_str(&p[run..j]);
                match b.get(j + 1) {
                    Some(b'\'') => out.push('\''),
                    Some(b'\\') => out.push('\\'),
                    _ => {
                        let found = p.get(j..j + 2).unwrap_or("\\");
                        return Err(err(
                            j,
                            "`\\'` or `\\\\` (the only escapes)",
                            format!("`{found}`"),
                        ));
                    }
                }
                j += 2;
                run = j;
            }
            _ => j += 1,
        }
    }
    Err(err(
        i,
        "a closing `'` for this string",
        "the end of the pattern",
    ))
}

fn lex_number(p: &str, i: usize) -> Result<(Tok, usize), PatternError> {
    let b = p.as_bytes();
    let mut j = i;
    if matches!(b[j], b'+' | b'-') {
        j += 1;
    }
    let int_start = j;
    while j < b.len() && b[j].is_ascii_digit() {
        j += 1;
    }
    let int_digits = j - int_start;
    if j < b.len() && b[j] == b'.' {
        j += 1;
        let frac = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j == frac {
            return Err(err(j, "digits after the decimal point", "none"));
        }
        let f: f64 = p[i..j]
            .parse()
            .map_err(|_| err(i, "a number", format!("`{}`", &p[i..j])))?;
        return Ok((Tok::Float(f), j));
    }
    if int_digits == 0 {
        return Err(err(
            i,
            "a number",
            format!("`{}`", &p[i..j.max(i + 1).min(b.len())]),
        ));
    }
    if int_digits > 1 && b[int_start] == b'0' {
        return Err(err(
            int_start,
            "an integer without leading zeros",
            format!("`{}`", &p[i..j]),
        ));
    }
    let n: i64 = p[i..j]
        .trim_start_matches('+')
        .parse()
        .map_err(|_| err(i, "an integer within 64 bits", format!("`{}`", &p[i..j])))?;
    Ok((Tok::Int(n), j))
}

fn check_base64(s: &str) -> Result<(), &'static str> {
    let body = s.trim_end_matches('=');
    let pad = s.len() - body.len();
    if !s.len().is_multiple_of(4)
        || pad > 2
        || !body
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
    {
        return Err("base64 (A-Z a-z 0-9 + /, padded to 4) in b'...'");
    }
    Ok(())
}

fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let d = |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    let num =
        |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u32>().ok()).unwrap_or(99);
    if b.len() < 20 || !d(0..4) || b[4] != b'-' || !d(5..7) || b[7] != b'-' || !d(8..10) {
        return false;
    }
    if b[10] != b'T' || !d(11..13) || b[13] != b':' || !d(14..16) || b[16] != b':' || !d(17..19) {
        return false;
    }
    let (mon, day, h, m, sec) = (num(5..7), num(8..10), num(11..13), num(14..16), num(17..19));
    if !(1..=12).contains(&mon) || !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 {
        return false;
    }
    let rest = &s[19..];
    match rest.strip_prefix('.') {
        Some(f) => {
            let digits = f.trim_end_matches('Z');
            f.ends_with('Z')
                && f.len() == digits.len() + 1
                && !digits.is_empty()
                && digits.bytes().all(|c| c.is_ascii_digit())
        }
        None => rest == "Z",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_checked() {
        assert!(is_timestamp("2020-07-16T00:00:00Z"));
        assert!(is_timestamp("2020-07-16T00:00:00.123Z"));
        assert!(!is_timestamp("2020-13-16T00:00:00Z"));
        assert!(!is_timestamp("2020-07-16 00:00:00Z"));
        assert!(!is_timestamp("2020-07-16T00:00:00.Z"));
    }

    #[test]
    fn base64_is_checked() {
        assert!(check_base64("aGVsbG8=").is_ok());
        assert!(check_base64("aGVsbG8").is_err());
        assert!(check_base64("a===").is_err());
    }

    #[test]
    fn tokens_carry_offsets() {
        let t = lex("[a:b = 'x']").unwrap();
        assert_eq!(t[0], (Tok::LBrack, 0));
        assert_eq!(t[5], (Tok::Str("x".into()), 7));
        assert_eq!(t.last(), Some(&(Tok::End, 11)));
    }
}
