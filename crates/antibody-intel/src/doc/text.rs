//! Plain text: byte-order marks, UTF-8, and a Windows-1252 fallback for
//! bytes that are not UTF-8 (older advisories and mail exports).

use super::out::TextOut;
use super::{DocFormat, DocLimits, DocText};
use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
use std::borrow::Cow;

/// Reads plain text.
pub(super) fn read(bytes: &[u8], limits: &DocLimits) -> DocText {
    let mut warnings = Vec::new();
    let decoded = decode(bytes, None, &mut warnings);
    let mut out = TextOut::new(limits.max_text);
    // Lines are kept as written; only the line ends are normalised so a
    // CRLF file reads like any other.
    for line in decoded.lines() {
        out.verbatim(line);
        out.verbatim("\n");
        if out.is_full() {
            break;
        }
    }
    DocText {
        format: DocFormat::Text,
        title: None,
        url: None,
        published: None,
        text: out.finish(&mut warnings),
        warnings,
    }
}

/// Decodes bytes to text: a byte-order mark wins, then valid UTF-8, then
/// the `declared` encoding (an HTML `charset`), then Windows-1252, which
/// maps every byte and is what undeclared 8-bit Western text almost always
/// is. Guesses are reported in `warnings`.
pub(super) fn decode<'a>(
    bytes: &'a [u8],
    declared: Option<&'static Encoding>,
    warnings: &mut Vec<String>,
) -> Cow<'a, str> {
    if let Some((encoding, bom)) = Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom..]);
        if had_errors {
            warnings.push(format!(
                "text marked {} by its byte-order mark has invalid sequences; they were replaced with U+FFFD",
                encoding.name()
            ));
        }
        return text;
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Cow::Borrowed(text);
    }
    let encoding = match declared {
        Some(e) if e != UTF_8 => e,
        _ => {
            warnings.push(
                "the text is not valid UTF-8 and names no encoding; decoded as Windows-1252"
                    .to_string(),
            );
            WINDOWS_1252
        }
    };
    encoding.decode_without_bom_handling(bytes).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_with_a_bom_is_decoded() {
        let mut le = vec![0xff, 0xfe];
        let mut be = vec![0xfe, 0xff];
        for u in "C2 at 198.51.100.7".encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
            be.extend_from_slice(&u.to_be_bytes());
        }
        let mut w = Vec::new();
        assert_eq!(decode(&le, None, &mut w), "C2 at 198.51.100.7");
        assert_eq!(decode(&be, None, &mut w), "C2 at 198.51.100.7");
        assert!(w.is_empty());
    }

    #[test]
    fn invalid_utf8_falls_back_to_windows_1252_with_a_warning() {
        let mut w = Vec::new();
        let text = decode(b"caf\xe9 \x93quoted\x94", None, &mut w);
        assert_eq!(text, "caf\u{e9} \u{201c}quoted\u{201d}");
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn crlf_lines_are_normalised() {
        let doc = read(b"one\r\ntwo\r\n\r\nthree", &DocLimits::default());
        assert_eq!(doc.text, "one\ntwo\n\nthree");
    }
}
