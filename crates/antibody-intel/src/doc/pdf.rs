//! PDF: the text of each page (pages separated by a blank line), with the
//! title and creation date from the Info dictionary.
//!
//! lopdf parses the file structure and decrypts documents that open with
//! the empty user password. Everything that inflates is bounded here, not
//! in lopdf: object streams are inflated by a load filter with a budget,
//! content streams and ToUnicode maps through [`inflate`] with a cap, and
//! the content operators are read by a small linear lexer ([`content`])
//! instead of lopdf's, which builds every operation in memory and recurses
//! on nested arrays.

mod content;
mod stream;

use super::out::TextOut;
use super::{DocError, DocFormat, DocLimits, DocText};
use lopdf::{Document, Encoding, Object, ObjectId};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

const FORMAT: DocFormat = DocFormat::Pdf;
/// Stack of the thread that parses: lopdf's object parser recurses once per
/// nesting level, and nesting is pre-checked against `max_depth`, so this
/// leaves a wide margin (about 128 KiB a level at the default 512).
const PARSER_STACK: usize = 64 * 1024 * 1024;
/// Most inflated bytes of one page's content streams.
const PAGE_CONTENT_CAP: usize = 16 * 1024 * 1024;
/// Largest ToUnicode map inflated.
const CMAP_CAP: usize = 4 * 1024 * 1024;

thread_local! {
    /// Inflate budget left for object streams during `Reader::read`, whose
    /// filter is a plain function pointer and cannot carry state.
    static OBJSTM_BUDGET: Cell<usize> = const { Cell::new(0) };
    static OBJSTM_CUT: Cell<bool> = const { Cell::new(false) };
}

/// Reads a PDF document.
pub(super) fn read(bytes: &[u8], limits: &DocLimits) -> Result<DocText, DocError> {
    if let Some(at) = stream::too_deep(bytes, limits.max_depth) {
        return Err(DocError::malformed(
            FORMAT,
            format!(
                "objects nest deeper than {} levels (at byte {at})",
                limits.max_depth
            ),
        ));
    }
    // PDF parsers are large and see hostile input; a panic in one must
    // become an error for this document, not end the run. The parse runs
    // on its own thread for the stack above; catch_unwind turns a panic
    // into DocError::Malformed.
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("pdf-reader".to_string())
            .stack_size(PARSER_STACK)
            .spawn_scoped(scope, || guarded(bytes, limits));
        match worker {
            Ok(handle) => handle.join().unwrap_or_else(|_| Err(parser_failed())),
            Err(_) => guarded(bytes, limits),
        }
    })
}

fn guarded(bytes: &[u8], limits: &DocLimits) -> Result<DocText, DocError> {
    catch_unwind(AssertUnwindSafe(|| read_document(bytes, limits)))
        .unwrap_or_else(|_| Err(parser_failed()))
}

fn parser_failed() -> DocError {
    DocError::malformed(
        FORMAT,
        "the PDF parser failed on this file (it is damaged or built to break readers)",
    )
}

/// Total inflated bytes allowed for one document.
fn inflate_budget(limits: &DocLimits) -> usize {
    limits.max_text.saturating_mul(4).max(8 * 1024 * 1024)
}

fn read_document(bytes: &[u8], limits: &DocLimits) -> Result<DocText, DocError> {
    let mut warnings = Vec::new();
    let mut budget = inflate_budget(limits);
    if stream::find(bytes, b"/Encrypt").is_some() {
        // lopdf inflates the object streams of an encrypted file itself,
        // without a bound: refuse those that could inflate past the budget.
        let raw = stream::object_stream_bytes(bytes);
        if raw.saturating_mul(stream::MAX_DEFLATE_RATIO) > budget {
            return Err(DocError::Bomb {
                format: FORMAT,
                reason: format!(
                    "the encrypted file's object streams hold {raw} compressed bytes, which could inflate past {budget} bytes"
                ),
            });
        }
    }
    OBJSTM_BUDGET.with(|b| b.set(budget));
    OBJSTM_CUT.with(|c| c.set(false));
    let reader = lopdf::Reader {
        buffer: bytes,
        document: Document::new(),
        encryption_state: None,
        raw_objects: BTreeMap::new(),
    };
    let mut doc = reader
        .read(Some(bound_object_streams))
        .map_err(|e| DocError::malformed(FORMAT, e.to_string()))?;
    budget = OBJSTM_BUDGET.with(Cell::get);
    if OBJSTM_CUT.with(Cell::get) {
        warnings.push(
            "an object stream inflates past the limit; the objects in it were dropped".to_string(),
        );
    }
    if doc.trailer.get(b"Encrypt").is_ok() {
        if doc.encryption_state.is_none() {
            return Err(DocError::Encrypted {
                reason: encryption_summary(&doc),
            });
        }
        warnings
            .push("the PDF is encrypted; it was opened with the empty user password".to_string());
    }
    let (title, published) = info(&doc);

    let mut out = TextOut::new(limits.max_text);
    let started = Instant::now();
    let pages: Vec<ObjectId> = doc
        .page_iter()
        .take(limits.pdf_max_pages.saturating_add(1))
        .collect();
    if pages.is_empty() {
        warnings.push("the PDF has no readable pages".to_string());
    }
    for (n, page) in pages.iter().enumerate() {
        if n == limits.pdf_max_pages {
            warnings.push(format!(
                "only the first {} pages were read (the page limit)",
                limits.pdf_max_pages
            ));
            break;
        }
        if let Some(timeout) = limits.pdf_timeout
            && started.elapsed() > timeout
        {
            warnings.push(format!(
                "reading stopped after {n} pages: the {timeout:?} time limit passed"
            ));
            break;
        }
        if budget == 0 {
            warnings.push(format!(
                "reading stopped at page {}: the document inflates past its limit",
                n + 1
            ));
            break;
        }
        out.blank_line();
        page_text(&mut doc, *page, n + 1, &mut budget, &mut out, &mut warnings);
        if out.is_full() {
            break;
        }
    }
    Ok(DocText {
        format: FORMAT,
        title,
        url: None,
        published,
        text: out.finish(&mut warnings),
        warnings,
    })
}

/// Load filter: inflates object streams within the budget so lopdf's own
/// unbounded inflate finds nothing left to do.
fn bound_object_streams(id: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
    if let Object::Stream(s) = object
        && s.dict.has_type(b"ObjStm")
        && s.dict.get(b"Filter").is_ok()
    {
        let budget = OBJSTM_BUDGET.with(Cell::get);
        let (plain, cut) = stream::inflate(s, budget);
        if cut {
            // Dropped whole, so it costs nothing afterwards.
            OBJSTM_CUT.with(|c| c.set(true));
            s.set_plain_content(Vec::new());
        } else {
            OBJSTM_BUDGET.with(|b| b.set(budget - plain.len()));
            s.set_plain_content(plain);
        }
    }
    // lopdf keeps its own copy of a top-level object and ignores what this
    // returns, but takes the returned value for objects that come out of an
    // object stream (never streams themselves): hand back a copy, except of
    // streams, whose copy would be discarded anyway.
    let copy = match object {
        Object::Stream(_) => Object::Null,
        other => other.clone(),
    };
    Some((id, copy))
}

fn page_text(
    doc: &mut Document,
    page: ObjectId,
    number: usize,
    budget: &mut usize,
    out: &mut TextOut,
    warnings: &mut Vec<String>,
) {
    // ToUnicode maps are inflated here, bounded, so lopdf's font code finds
    // them plain.
    let cmaps: Vec<ObjectId> = doc
        .get_page_fonts(page)
        .map(|fonts| {
            fonts
                .values()
                .filter_map(|f| f.get(b"ToUnicode").and_then(Object::as_reference).ok())
                .collect()
        })
        .unwrap_or_default();
    for id in cmaps {
        if let Ok(s) = doc.get_object_mut(id).and_then(Object::as_stream_mut)
            && s.dict.get(b"Filter").is_ok()
        {
            let (plain, cut) = stream::inflate(s, CMAP_CAP.min(*budget));
            *budget -= plain.len();
            if cut {
                warnings.push(format!(
                    "page {number}: a font's ToUnicode map inflates past the limit and was ignored"
                ));
                s.set_plain_content(Vec::new());
            } else {
                s.set_plain_content(plain);
            }
        }
    }
    let doc = &*doc;
    let encodings: BTreeMap<Vec<u8>, Encoding<'_>> = doc
        .get_page_fonts(page)
        .map(|fonts| {
            fonts
                .into_iter()
                .filter_map(|(name, font)| font.get_font_encoding(doc).ok().map(|e| (name, e)))
                .collect()
        })
        .unwrap_or_default();
    let mut data = Vec::new();
    for id in doc.get_page_contents(page) {
        let Ok(s) = doc.get_object(id).and_then(Object::as_stream) else {
            continue;
        };
        let cap = PAGE_CONTENT_CAP.saturating_sub(data.len()).min(*budget);
        let (plain, cut) = stream::inflate(s, cap);
        *budget -= plain.len();
        data.extend_from_slice(&plain);
        // Content streams of one page split anywhere; a space keeps an
        // operator at the end of one from joining the next.
        data.push(b'\n');
        if cut {
            warnings.push(format!(
                "page {number}: content inflates past the limit ({} bytes); the rest of the page was not read",
                data.len()
            ));
            break;
        }
    }
    content::text(&data, &encodings, out);
}

fn encryption_summary(doc: &Document) -> String {
    let dict = doc.trailer.get(b"Encrypt").ok().and_then(|o| match o {
        Object::Reference(id) => doc.get_dictionary(*id).ok(),
        Object::Dictionary(d) => Some(d),
        _ => None,
    });
    let Some(dict) = dict else {
        return "its encryption dictionary is missing or unreadable".to_string();
    };
    let filter = dict
        .get(b"Filter")
        .and_then(Object::as_name)
        .map(|n| String::from_utf8_lossy(n).into_owned());
    let v = dict.get(b"V").and_then(Object::as_i64).ok();
    let r = dict.get(b"R").and_then(Object::as_i64).ok();
    format!(
        "security handler {}, version {}, revision {}; the empty user password does not open it",
        filter.as_deref().unwrap_or("unknown"),
        v.map_or("unknown".to_string(), |v| v.to_string()),
        r.map_or("unknown".to_string(), |r| r.to_string()),
    )
}

/// Title and creation date from the Info dictionary.
fn info(doc: &Document) -> (Option<String>, Option<String>) {
    let Some(info) = doc.trailer.get(b"Info").ok().and_then(|o| match o {
        Object::Reference(id) => doc.get_dictionary(*id).ok(),
        Object::Dictionary(d) => Some(d),
        _ => None,
    }) else {
        return (None, None);
    };
    let title = info
        .get(b"Title")
        .ok()
        .and_then(|t| lopdf::decode_text_string(t).ok())
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| !t.is_empty());
    let created = info.get(b"CreationDate").ok().and_then(|d| match d {
        Object::String(s, _) => pdf_date(s),
        _ => None,
    });
    (title, created)
}

/// `YYYY-MM-DD` from a PDF date (`D:YYYYMMDDHHmmSS...`).
fn pdf_date(raw: &[u8]) -> Option<String> {
    let d = raw.strip_prefix(b"D:").unwrap_or(raw);
    if d.len() < 8 || !d[..8].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let s = std::str::from_utf8(&d[..8]).ok()?;
    super::iso_date(&format!("{}-{}-{}", &s[..4], &s[4..6], &s[6..8]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_dates_become_iso_dates() {
        assert_eq!(
            pdf_date(b"D:20240115093000+01'00'").as_deref(),
            Some("2024-01-15")
        );
        assert_eq!(pdf_date(b"20231231").as_deref(), Some("2023-12-31"));
        assert_eq!(pdf_date(b"D:2024"), None);
        assert_eq!(pdf_date(b"D:20241340"), None);
    }
}
