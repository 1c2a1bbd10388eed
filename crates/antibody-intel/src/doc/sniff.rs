//! Choosing a reader from a document's first bytes and its file name.

use super::DocFormat;
use std::path::Path;

/// How many leading bytes [`sniff`] looks at when given more.
pub(super) const HEAD_LEN: usize = 64 * 1024;

/// Guesses a document's format from its first bytes, then its file name.
///
/// Content decides first: `%PDF-` is a PDF; a zip (`PK\x03\x04`) is a DOCX
/// when the name ends `.docx` or the head names a `word/` part (a zip's
/// directory is at its end, so the head alone cannot prove it); markup
/// opening with `<!doctype html`, `<html`, `<head` or `<body` is HTML. Then
/// the extension: `.md`/`.markdown` is Markdown, `.htm`/`.html` HTML.
/// Anything else is plain text.
pub fn sniff(head: &[u8], path: Option<&Path>) -> DocFormat {
    let head = &head[..head.len().min(HEAD_LEN)];
    let ext = path
        .and_then(Path::extension)
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let ext = ext.as_deref();
    // A PDF may carry junk before its header; readers accept it within the
    // first kilobyte.
    if find(&head[..head.len().min(1024)], b"%PDF-").is_some() {
        return DocFormat::Pdf;
    }
    if head.starts_with(b"PK\x03\x04") && (ext == Some("docx") || find(head, b"word/").is_some()) {
        return DocFormat::Docx;
    }
    if looks_like_html(head) {
        return DocFormat::Html;
    }
    match ext {
        Some("md" | "markdown") => DocFormat::Markdown,
        Some("htm" | "html" | "xhtml") => DocFormat::Html,
        _ => DocFormat::Text,
    }
}

fn looks_like_html(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    let head = &head[start..];
    if !head.starts_with(b"<") {
        return false;
    }
    let window: Vec<u8> = head[..head.len().min(1024)].to_ascii_lowercase();
    if [&b"<head"[..], b"<body", b"<html"]
        .iter()
        .any(|t| window.starts_with(t))
    {
        return true;
    }
    // A comment or XML declaration may come before the doctype.
    find(&window, b"<!doctype html").is_some() || find(&window, b"<html").is_some()
}

/// Position of `needle` in `hay`.
pub(super) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_before_the_extension() {
        assert_eq!(
            sniff(b"%PDF-1.7\n", Some(Path::new("a.txt"))),
            DocFormat::Pdf
        );
        assert_eq!(
            sniff(b"  <!DOCTYPE html><p>x", Some(Path::new("a.md"))),
            DocFormat::Html
        );
        assert_eq!(sniff(b"<html lang=en>", None), DocFormat::Html);
        assert_eq!(sniff(b"<!-- c --><HTML>", None), DocFormat::Html);
        assert_eq!(sniff(b"<body>x", None), DocFormat::Html);
    }

    #[test]
    fn a_zip_is_docx_only_with_evidence() {
        assert_eq!(
            sniff(b"PK\x03\x04....word/document.xml", None),
            DocFormat::Docx
        );
        assert_eq!(
            sniff(b"PK\x03\x04....", Some(Path::new("R.DOCX"))),
            DocFormat::Docx
        );
        assert_eq!(
            sniff(b"PK\x03\x04....", Some(Path::new("r.zip"))),
            DocFormat::Text
        );
    }

    #[test]
    fn the_extension_decides_for_plain_content() {
        assert_eq!(
            sniff(b"# Title", Some(Path::new("r.markdown"))),
            DocFormat::Markdown
        );
        assert_eq!(
            sniff(b"# Title", Some(Path::new("r.md"))),
            DocFormat::Markdown
        );
        assert_eq!(sniff(b"text", Some(Path::new("r.htm"))), DocFormat::Html);
        assert_eq!(sniff(b"<div>x</div>", None), DocFormat::Text);
        assert_eq!(sniff(b"", None), DocFormat::Text);
    }
}
