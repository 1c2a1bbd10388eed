//! Document readers: turn an advisory file (plain text, HTML, Markdown, PDF,
//! DOCX) into the text the indicator extractor reads, with the document's
//! title, canonical URL and publication date where it names them.
//!
//! Every reader is bounded by [`DocLimits`]: input is never read past
//! `max_bytes`, text output stops at `max_text` (with a warning), nesting is
//! capped, and compressed parts (PDF streams, DOCX zip entries) are inflated
//! through counting readers so a bomb stops early instead of filling memory.
//! Hostile input yields a [`DocError`] or a warning, never a panic.

mod docx;
mod html;
mod markdown;
mod out;
mod pdf;
mod sniff;
mod text;

pub use sniff::sniff;

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The kind of document a reader handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DocFormat {
    /// Plain text (UTF-8, UTF-16 with a byte-order mark, or Windows-1252).
    Text,
    /// An HTML page.
    Html,
    /// A Markdown document (CommonMark with tables).
    Markdown,
    /// A PDF document.
    Pdf,
    /// A Word document (Office Open XML, `.docx`).
    Docx,
}

impl DocFormat {
    /// The lowercase name used in output: `text`, `html`, `markdown`, `pdf`,
    /// `docx`.
    pub fn as_str(self) -> &'static str {
        match self {
            DocFormat::Text => "text",
            DocFormat::Html => "html",
            DocFormat::Markdown => "markdown",
            DocFormat::Pdf => "pdf",
            DocFormat::Docx => "docx",
        }
    }
}

impl fmt::Display for DocFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Bounds every reader respects, so a hostile document costs bounded memory
/// and time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocLimits {
    /// Largest input accepted, in bytes (default 256 MiB). Larger files are
    /// refused with [`DocError::TooLarge`] before they are read.
    pub max_bytes: u64,
    /// Most text produced, in bytes (default 64 MiB). Text past it is
    /// dropped with a warning.
    pub max_text: usize,
    /// Largest ratio of inflated to compressed size accepted for a DOCX
    /// part larger than 1 MiB (default 100).
    pub max_zip_ratio: u64,
    /// Deepest HTML or XML element nesting followed (default 512); deeper
    /// content is dropped with a warning.
    pub max_depth: usize,
    /// Most PDF pages read (default 10,000).
    pub pdf_max_pages: usize,
    /// Time after which PDF page reading stops with a warning (default
    /// none).
    pub pdf_timeout: Option<Duration>,
}

impl Default for DocLimits {
    fn default() -> Self {
        DocLimits {
            max_bytes: 256 * 1024 * 1024,
            max_text: 64 * 1024 * 1024,
            max_zip_ratio: 100,
            max_depth: 512,
            pdf_max_pages: 10_000,
            pdf_timeout: None,
        }
    }
}

/// The text of a document and what it says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocText {
    /// The format the text was read as.
    pub format: DocFormat,
    /// The document's title (HTML `<title>` or `og:title`, the first
    /// Markdown heading, PDF `/Title`, DOCX `dc:title`).
    pub title: Option<String>,
    /// The document's own canonical http(s) URL if it names one (HTML
    /// `<link rel=canonical>` or `og:url`).
    pub url: Option<String>,
    /// The publication date, `YYYY-MM-DD`, if the document says (HTML
    /// `article:published_time`, PDF `/CreationDate`, DOCX
    /// `dcterms:created`).
    pub published: Option<String>,
    /// The text, lines separated by `\n`; block elements, paragraphs and
    /// table cells on lines of their own; PDF pages separated by a blank
    /// line.
    pub text: String,
    /// What was lost or guessed on the way (an encoding guessed, text cut
    /// at the limit, nesting too deep, ...), in plain words.
    pub warnings: Vec<String>,
}

/// Why a document could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DocError {
    /// The file could not be opened or read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The input is larger than [`DocLimits::max_bytes`].
    #[error("{what} is {size} bytes, more than the limit of {limit} bytes")]
    TooLarge {
        /// What was too large (a path or "the input").
        what: String,
        /// Its size, or the bytes seen before reading stopped.
        size: u64,
        /// The limit in force.
        limit: u64,
    },
    /// The PDF is encrypted and the empty user password does not open it.
    #[error("the PDF is encrypted (password needed): {reason}")]
    Encrypted {
        /// What the encryption dictionary says or why decryption failed.
        reason: String,
    },
    /// The bytes are not a valid document of the format.
    #[error("malformed {format} document: {reason}")]
    Malformed {
        /// The format the bytes were read as.
        format: DocFormat,
        /// What is wrong, where.
        reason: String,
    },
    /// A compressed part inflates far beyond a plausible size.
    #[error("{format} document refused as a decompression bomb: {reason}")]
    Bomb {
        /// The format the bytes were read as.
        format: DocFormat,
        /// Which part, its compressed and inflated sizes.
        reason: String,
    },
}

impl DocError {
    fn malformed(format: DocFormat, reason: impl Into<String>) -> Self {
        DocError::Malformed {
            format,
            reason: reason.into(),
        }
    }
}

/// Reads a document from a file, choosing the reader with [`sniff`] on the
/// first bytes and the file name.
///
/// A file larger than `limits.max_bytes` is refused from its metadata
/// before anything is read; a file that grows while read is refused once
/// reading passes the limit.
pub fn read_path(path: &Path, limits: &DocLimits) -> Result<DocText, DocError> {
    let io = |source| DocError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let too_large = |size| DocError::TooLarge {
        what: path.display().to_string(),
        size,
        limit: limits.max_bytes,
    };
    if len > limits.max_bytes {
        return Err(too_large(len));
    }
    // The length is only a hint (the file may change under us): the take()
    // is what bounds the read.
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(limits.max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limits.max_bytes {
        return Err(too_large(bytes.len() as u64));
    }
    let head = &bytes[..bytes.len().min(sniff::HEAD_LEN)];
    let mut format = sniff(head, Some(path));
    if format != DocFormat::Docx && docx::is_docx_zip(&bytes) {
        format = DocFormat::Docx;
    }
    read_bytes(&bytes, format, limits)
}

/// Reads a document held in memory as the given format.
pub fn read_bytes(
    bytes: &[u8],
    format: DocFormat,
    limits: &DocLimits,
) -> Result<DocText, DocError> {
    if bytes.len() as u64 > limits.max_bytes {
        return Err(DocError::TooLarge {
            what: "the input".to_string(),
            size: bytes.len() as u64,
            limit: limits.max_bytes,
        });
    }
    match format {
        DocFormat::Text => Ok(text::read(bytes, limits)),
        DocFormat::Html => Ok(html::read(bytes, limits)),
        DocFormat::Markdown => Ok(markdown::read(bytes, limits)),
        DocFormat::Pdf => pdf::read(bytes, limits),
        DocFormat::Docx => docx::read(bytes, limits),
    }
}

/// `YYYY-MM-DD` from the start of an ISO 8601 date or date-time, if it is
/// one.
fn iso_date(value: &str) -> Option<String> {
    let v = value.trim().as_bytes();
    if v.len() < 10 {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| v[r].iter().all(u8::is_ascii_digit);
    if digits(0..4) && v[4] == b'-' && digits(5..7) && v[7] == b'-' && digits(8..10) {
        let month = (v[5] - b'0') * 10 + (v[6] - b'0');
        let day = (v[8] - b'0') * 10 + (v[9] - b'0');
        if (1..=12).contains(&month) && (1..=31).contains(&day) {
            return Some(String::from_utf8_lossy(&v[..10]).into_owned());
        }
    }
    None
}

/// Whether a link target is worth keeping next to its text: an absolute
/// http, https or ftp URL.
fn is_kept_link(target: &str) -> bool {
    let t = target.trim().as_bytes();
    [&b"http://"[..], b"https://", b"ftp://"]
        .iter()
        .any(|p| t.len() > p.len() && t[..p.len()].eq_ignore_ascii_case(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_date_takes_the_date_of_a_timestamp() {
        assert_eq!(
            iso_date("2024-03-05T10:00:00Z").as_deref(),
            Some("2024-03-05")
        );
        assert_eq!(iso_date(" 2024-12-31").as_deref(), Some("2024-12-31"));
        assert_eq!(iso_date("2024-13-01"), None);
        assert_eq!(iso_date("March 5"), None);
        assert_eq!(iso_date("2024-3-5"), None);
    }

    #[test]
    fn kept_links_are_absolute_web_urls() {
        assert!(is_kept_link("https://example.com/a"));
        assert!(is_kept_link("HTTP://example.com"));
        assert!(is_kept_link("ftp://files.example.org/x"));
        assert!(!is_kept_link("mailto:a@example.com"));
        assert!(!is_kept_link("/relative/path"));
        assert!(!is_kept_link("javascript:alert(1)"));
        assert!(!is_kept_link("https://"));
    }

    #[test]
    fn read_bytes_refuses_input_over_the_limit() {
        let limits = DocLimits {
            max_bytes: 4,
            ..DocLimits::default()
        };
        let err = read_bytes(b"hello", DocFormat::Text, &limits).unwrap_err();
        assert!(
            matches!(
                err,
                DocError::TooLarge {
                    size: 5,
                    limit: 4,
                    ..
                }
            ),
            "{err}"
        );
    }
}
