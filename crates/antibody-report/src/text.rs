//! Text for the terminal: escaping untrusted strings, wrapping prose, and
//! numbers people read (sizes, durations, plurals).

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must not reach a terminal as is.
///
/// Control characters (C0, DEL, C1 — `U+009B` is a one-character CSI on
/// some terminals) could move the cursor, clear the screen or retitle the
/// window; bidirectional overrides and invisible characters could make a
/// path read as something it is not.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// `s` with every unsafe character written as an escape (`\x1b`, `\n`,
/// `\u{202e}`). Borrowed when there is nothing to escape.
///
/// Backslashes are left alone so Windows paths stay readable; the JSON
/// outputs carry the exact value.
pub(crate) fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if is_unsafe(c) && (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Splits `text` into lines of at most `width` characters at spaces. A word
/// longer than `width` gets a line of its own rather than being cut.
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(20);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut len = 0;
    for word in text.split_whitespace() {
        let wlen = word.chars().count();
        if len > 0 && len + 1 + wlen > width {
            lines.push(std::mem::take(&mut line));
            len = 0;
        }
        if len > 0 {
            line.push(' ');
            len += 1;
        }
        line.push_str(word);
        len += wlen;
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// A byte count with a binary unit: `512 B`, `1.5 KiB`, `2.0 GiB`.
pub(crate) fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// A wall time: `0.4 s`, `3 min 07 s`, `2 h 05 min`.
pub(crate) fn duration(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "unknown time".to_string();
    }
    if seconds < 60.0 {
        return format!("{seconds:.1} s");
    }
    let s = seconds.round() as u64;
    if s < 3600 {
        format!("{} min {:02} s", s / 60, s % 60)
    } else {
        format!("{} h {:02} min", s / 3600, (s % 3600) / 60)
    }
}

/// `n` with thousands separators: `1,234,567`.
pub(crate) fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// `1 item`, `3 items`: `n` (with separators) and the word, plural when
/// `n != 1`.
pub(crate) fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_escapes_terminal_controls() {
        assert_eq!(clean("/tmp/\x1b[2Jx"), "/tmp/\\x1b[2Jx");
        assert_eq!(clean("a\nb\tc\r\x7f"), "a\\nb\\tc\\r\\x7f");
        assert_eq!(clean("\u{9b}31m"), "\\u{009b}31m");
        assert_eq!(clean("invoice\u{202e}fdp.exe"), "invoice\\u{202e}fdp.exe");
        assert!(matches!(clean("C:\\Users\\ü"), Cow::Borrowed(_)));
    }

    #[test]
    fn wrap_breaks_at_spaces_and_keeps_long_words() {
        let w = wrap("one two three four five six seven eight nine", 20);
        assert_eq!(w, ["one two three four", "five six seven eight", "nine"]);
        let long = "x".repeat(30);
        assert_eq!(wrap(&format!("a {long} b"), 20), ["a", long.as_str(), "b"]);
        assert_eq!(wrap("", 20), [""]);
    }

    #[test]
    fn human_numbers() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(5 * 1024 * 1024 * 1024), "5.0 GiB");
        assert_eq!(duration(0.42), "0.4 s");
        assert_eq!(duration(187.0), "3 min 07 s");
        assert_eq!(duration(7500.0), "2 h 05 min");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(999), "999");
        assert_eq!(plural(1, "item", "items"), "1 item");
        assert_eq!(plural(1000, "item", "items"), "1,000 items");
    }
}
