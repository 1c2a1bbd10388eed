//! Member names made safe to display.
//!
//! A member name is attacker-chosen text. It is only ever shown, never used
//! as a path, so `../` and absolute paths stay visible for the analyst; what
//! is escaped is anything that could rewrite the terminal or the reading of
//! the line: control characters (an ANSI escape, a newline that forges a log
//! line) and the invisible Unicode formatting characters used to disguise
//! names (`invoice\u{202e}fdp.exe` displays as `invoiceexe.pdf`).

use std::fmt::Write;

/// Shown for a member whose name is empty.
pub(crate) const UNNAMED: &str = "(unnamed)";

/// Escapes `name` for display: control and invisible formatting characters
/// become `\xNN` or `\u{NNNN}`.
pub(crate) fn display(name: &str) -> String {
    if name.is_empty() {
        return UNNAMED.to_string();
    }
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        push_char(&mut out, c);
    }
    out
}

/// Like [`display`] for raw bytes: valid UTF-8 is shown as text and any
/// other byte as `\xNN`, so no byte of the original is lost to a
/// replacement character.
pub(crate) fn display_bytes(name: &[u8]) -> String {
    if name.is_empty() {
        return UNNAMED.to_string();
    }
    let mut out = String::with_capacity(name.len());
    for chunk in name.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_char(&mut out, c);
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

fn push_char(out: &mut String, c: char) {
    if c.is_control() {
        let code = u32::from(c);
        if code < 0x100 {
            let _ = write!(out, "\\x{code:02x}");
        } else {
            let _ = write!(out, "\\u{{{code:04x}}}");
        }
    } else if is_invisible_format(c) {
        let _ = write!(out, "\\u{{{:04x}}}", u32::from(c));
    } else {
        out.push(c);
    }
}

/// Zero-width and bidirectional formatting characters.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}'
            | '\u{061c}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2069}'
            | '\u{feff}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_are_escaped() {
        assert_eq!(display("a\x07b\x1b[31m"), "a\\x07b\\x1b[31m");
        assert_eq!(display("x\ny\u{7f}\u{85}"), "x\\x0ay\\x7f\\x85");
        assert_eq!(display("invoice\u{202e}fdp.exe"), "invoice\\u{202e}fdp.exe");
    }

    #[test]
    fn traversal_and_unicode_stay_visible() {
        assert_eq!(display("../../etc/passwd"), "../../etc/passwd");
        assert_eq!(display("/abs/path"), "/abs/path");
        assert_eq!(display("résumé.docx"), "résumé.docx");
        assert_eq!(display(""), UNNAMED);
    }

    #[test]
    fn invalid_utf8_bytes_are_escaped_not_replaced() {
        assert_eq!(display_bytes(b"a\xffb\tc"), "a\\xffb\\x09c");
        assert_eq!(display_bytes("é".as_bytes()), "é");
    }
}
