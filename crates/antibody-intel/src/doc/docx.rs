//! DOCX (Office Open XML): the paragraphs of `word/document.xml` as lines,
//! then those of the footnotes, endnotes, comments, headers and footers
//! (advisories put source links in footnotes and TLP markings in headers),
//! hyperlink targets from each part's relationships, title and creation
//! date from `docProps/core.xml`.
//!
//! A DOCX is a zip, so every part is inflated through a reader that counts
//! bytes: a part whose declared or actual size passes the ratio limit is
//! refused as a bomb, and the XML is parsed as it streams out of the zip,
//! never held whole.

use super::out::TextOut;
use super::{DocError, DocFormat, DocLimits, DocText, is_kept_link, iso_date};
use quick_xml::Reader;
use quick_xml::events::{BytesRef, BytesStart, Event};
use std::cell::Cell;
use std::collections::HashMap;
use std::io::{self, BufReader, Cursor, Read};
use std::rc::Rc;
use zip::ZipArchive;

const DOCUMENT: &str = "word/document.xml";
const CORE: &str = "docProps/core.xml";
/// Root elements of the parts whose text is read: the body, then notes,
/// comments, headers and footers.
const ROOTS: &[&str] = &[
    "document",
    "footnotes",
    "endnotes",
    "comments",
    "hdr",
    "ftr",
];
/// Most headers, footers and note parts read after the body.
const MAX_EXTRA_PARTS: usize = 64;
/// Parts smaller than this are never judged by their compression ratio:
/// small repetitive XML legitimately compresses very well.
const RATIO_FLOOR: u64 = 1024 * 1024;
/// Largest relationships or core-properties part read.
const SMALL_PART: u64 = 8 * 1024 * 1024;
const FORMAT: DocFormat = DocFormat::Docx;

type Archive<'a> = ZipArchive<Cursor<&'a [u8]>>;
/// A part streaming out of the zip, and the flag its reader sets when the
/// part passes its bound.
type Part<R> = (BufReader<Bounded<R>>, Rc<Cell<bool>>);

/// Whether the bytes are a zip holding `word/document.xml`.
pub(super) fn is_docx_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
        && ZipArchive::new(Cursor::new(bytes))
            .is_ok_and(|z| z.file_names().any(|n| n.is_ok_and(|n| n == DOCUMENT)))
}

/// Reads a DOCX document.
pub(super) fn read(bytes: &[u8], limits: &DocLimits) -> Result<DocText, DocError> {
    let mut archive = ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| DocError::malformed(FORMAT, format!("not a readable zip archive: {e}")))?;
    let mut warnings = Vec::new();
    let (title, published) = match small_part(&mut archive, CORE, limits)? {
        Some(xml) => core_properties(&xml),
        None => (None, None),
    };
    let mut out = TextOut::new(limits.max_text);
    if !read_part(&mut archive, DOCUMENT, limits, &mut out, &mut warnings)? {
        return Err(DocError::malformed(
            FORMAT,
            format!("{DOCUMENT} is missing: this zip is not a Word document"),
        ));
    }
    let extra = extra_parts(&archive);
    if extra.len() > MAX_EXTRA_PARTS {
        warnings.push(format!(
            "{} note, comment, header and footer parts; only the first {MAX_EXTRA_PARTS} were read",
            extra.len()
        ));
    }
    for name in extra.iter().take(MAX_EXTRA_PARTS) {
        if out.is_full() {
            break;
        }
        out.blank_line();
        // The body is read; a broken note or header costs only itself.
        if let Err(e) = read_part(&mut archive, name, limits, &mut out, &mut warnings) {
            warnings.push(format!("{name} was not read: {e}"));
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

/// Streams the text of part `name`, with its hyperlink targets, into
/// `out`; false when the zip has no such part.
fn read_part(
    archive: &mut Archive<'_>,
    name: &str,
    limits: &DocLimits,
    out: &mut TextOut,
    warnings: &mut Vec<String>,
) -> Result<bool, DocError> {
    let links = part_links(archive, name, limits)?;
    let Some((reader, overflow)) = open_part(archive, name, limits.max_bytes, limits)? else {
        return Ok(false);
    };
    part_text(name, reader, &overflow, &links, limits, out, warnings)?;
    Ok(true)
}

/// The note, comment, header and footer parts, in reading order: notes,
/// comments, then headers and footers by number.
fn extra_parts(archive: &Archive<'_>) -> Vec<String> {
    let rank = |name: &str| -> Option<(u8, u64)> {
        let file = name.strip_prefix("word/")?.strip_suffix(".xml")?;
        match file {
            "footnotes" => Some((0, 0)),
            "endnotes" => Some((1, 0)),
            "comments" => Some((2, 0)),
            _ => {
                let (kind, n) = if let Some(n) = file.strip_prefix("header") {
                    (3, n)
                } else {
                    (4, file.strip_prefix("footer")?)
                };
                Some((kind, n.parse().ok()?))
            }
        }
    };
    let mut parts: Vec<((u8, u64), String)> = archive
        .file_names()
        .filter_map(|n| {
            let n = n.ok()?;
            Some((rank(&n)?, n.into_owned()))
        })
        .collect();
    parts.sort();
    parts.into_iter().map(|(_, n)| n).collect()
}

/// The hyperlink targets of a part, from `word/_rels/<part>.rels`.
fn part_links(
    archive: &mut Archive<'_>,
    part: &str,
    limits: &DocLimits,
) -> Result<HashMap<String, String>, DocError> {
    let file = part.rsplit('/').next().unwrap_or(part);
    let rels = format!("word/_rels/{file}.rels");
    Ok(match small_part(archive, &rels, limits)? {
        Some(xml) => relationships(&xml),
        None => HashMap::new(),
    })
}

/// Opens a part for streaming through a size-checking reader. The flag is
/// set when reading stopped because the part inflated past its bound.
fn open_part<'z, 'a>(
    archive: &'z mut Archive<'a>,
    name: &str,
    cap: u64,
    limits: &DocLimits,
) -> Result<Option<Part<impl Read + 'z>>, DocError> {
    let file = match archive.by_name(name) {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => {
            return Err(DocError::malformed(
                FORMAT,
                format!("cannot open {name}: {e}"),
            ));
        }
    };
    let compressed = file.compressed_size();
    let bound = compressed
        .saturating_mul(limits.max_zip_ratio)
        .max(RATIO_FLOOR)
        .min(cap);
    if file.size() > bound {
        return Err(DocError::Bomb {
            format: FORMAT,
            reason: format!(
                "{name} declares {} bytes inflated from {compressed} compressed, past the limit of {bound} bytes",
                file.size()
            ),
        });
    }
    let overflow = Rc::new(Cell::new(false));
    let reader = Bounded {
        inner: file,
        left: bound,
        overflow: overflow.clone(),
    };
    Ok(Some((BufReader::new(reader), overflow)))
}

/// A small part read whole (relationships, core properties).
fn small_part(
    archive: &mut Archive<'_>,
    name: &str,
    limits: &DocLimits,
) -> Result<Option<Vec<u8>>, DocError> {
    let Some((mut reader, overflow)) = open_part(archive, name, SMALL_PART, limits)? else {
        return Ok(None);
    };
    let mut xml = Vec::new();
    match reader.read_to_end(&mut xml) {
        Ok(_) => Ok(Some(xml)),
        Err(_) if overflow.get() => Err(bomb(name)),
        Err(e) => Err(DocError::malformed(
            FORMAT,
            format!("cannot inflate {name}: {e}"),
        )),
    }
}

fn bomb(name: &str) -> DocError {
    DocError::Bomb {
        format: FORMAT,
        reason: format!("{name} inflates past its declared size or the compression-ratio limit"),
    }
}

/// A reader that fails once more than `left` bytes came through, so an
/// entry that lies about its size cannot inflate without bound.
struct Bounded<R> {
    inner: R,
    left: u64,
    overflow: Rc<Cell<bool>>,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = buf
            .len()
            .min(usize::try_from(self.left.saturating_add(1)).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n as u64 > self.left {
            self.overflow.set(true);
            return Err(io::Error::other("part inflates past its bound"));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Streams the paragraphs of one part (`word/document.xml`,
/// `word/footnotes.xml`, ...) into `out`.
fn part_text(
    part: &str,
    reader: impl io::BufRead,
    overflow: &Cell<bool>,
    links: &HashMap<String, String>,
    limits: &DocLimits,
    out: &mut TextOut,
    warnings: &mut Vec<String>,
) -> Result<(), DocError> {
    let mut xml = Reader::from_reader(reader);
    let mut buf = Vec::new();
    let mut depth = 0usize;
    let mut saw_document = false;
    let mut in_text = false;
    let mut open_links: Vec<Option<(String, usize)>> = Vec::new();
    loop {
        if out.is_full() {
            return Ok(());
        }
        buf.clear();
        let event = match xml.read_event_into(&mut buf) {
            Ok(e) => e,
            Err(_) if overflow.get() => return Err(bomb(part)),
            Err(e) => {
                let at = xml.buffer_position();
                if !saw_document {
                    return Err(DocError::malformed(
                        FORMAT,
                        format!("{part} is not XML (byte {at}): {e}"),
                    ));
                }
                warnings.push(format!(
                    "{part} is broken at byte {at} ({e}); the text after it is lost"
                ));
                return Ok(());
            }
        };
        match event {
            Event::Start(e) => {
                depth += 1;
                if depth > limits.max_depth {
                    if depth == limits.max_depth + 1 {
                        warnings.push(format!(
                            "{part} nests elements deeper than {} levels; text below that depth was dropped",
                            limits.max_depth
                        ));
                    }
                    continue;
                }
                match e.local_name().as_ref() {
                    name if depth == 1 && ROOTS.iter().any(|r| r.as_bytes() == name) => {
                        saw_document = true
                    }
                    b"t" => in_text = true,
                    b"hyperlink" => open_links.push(link_start(&e, links, out)),
                    _ => {}
                }
            }
            Event::Empty(e) if depth < limits.max_depth => match e.local_name().as_ref() {
                b"tab" => out.text(" "),
                b"br" | b"cr" => out.line_break(),
                _ => {}
            },
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                if depth >= limits.max_depth {
                    continue;
                }
                match e.local_name().as_ref() {
                    b"t" => in_text = false,
                    b"p" | b"tc" => out.line_break(),
                    b"hyperlink" => {
                        if let Some(Some((target, start))) = open_links.pop()
                            && out.since(start).trim() != target
                        {
                            out.text(" <");
                            out.verbatim(&target);
                            out.verbatim(">");
                        }
                    }
                    _ => {}
                }
            }
            Event::Text(t) if in_text && depth <= limits.max_depth => {
                out.text(&String::from_utf8_lossy(&t));
            }
            Event::GeneralRef(r) if in_text && depth <= limits.max_depth => {
                if let Some(s) = resolve(&r) {
                    out.text(&s);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_document {
        return Err(DocError::malformed(
            FORMAT,
            format!("{part} has no w:document, w:footnotes, w:hdr or similar root element"),
        ));
    }
    Ok(())
}

fn link_start(
    e: &BytesStart<'_>,
    links: &HashMap<String, String>,
    out: &TextOut,
) -> Option<(String, usize)> {
    let id = e
        .attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == b"id")
        .map(|a| String::from_utf8_lossy(&a.value).into_owned())?;
    links.get(&id).map(|target| (target.clone(), out.len()))
}

/// A character or predefined entity reference as text.
fn resolve(r: &BytesRef<'_>) -> Option<String> {
    if r.is_char_ref() {
        return r.resolve_char_ref().ok().flatten().map(String::from);
    }
    let name = r.decode().ok()?;
    quick_xml::escape::resolve_xml_entity(&name).map(str::to_string)
}

/// Text of an element, with references resolved.
fn text_of(xml: &mut Reader<&[u8]>) -> String {
    let mut text = String::new();
    loop {
        match xml.read_event() {
            Ok(Event::Text(t)) => text.push_str(&String::from_utf8_lossy(&t)),
            Ok(Event::GeneralRef(r)) => text.push_str(&resolve(&r).unwrap_or_default()),
            Ok(Event::CData(c)) => text.push_str(&String::from_utf8_lossy(&c)),
            _ => return text,
        }
    }
}

/// External http(s)/ftp hyperlink targets by relationship id.
fn relationships(xml: &[u8]) -> HashMap<String, String> {
    let mut reader = Reader::from_reader(xml);
    let mut links = HashMap::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == b"Relationship" => {
                let mut id = None;
                let mut target = None;
                for a in e.attributes().flatten() {
                    let value = a.unescape_value().map(|v| v.into_owned()).ok();
                    match a.key.local_name().as_ref() {
                        b"Id" => id = value,
                        b"Target" => target = value,
                        _ => {}
                    }
                }
                if let (Some(id), Some(target)) = (id, target)
                    && is_kept_link(&target)
                {
                    links.insert(id, target.trim().to_string());
                }
            }
            Ok(Event::Eof) | Err(_) => return links,
            _ => {}
        }
    }
}

/// `dc:title` and the date of `dcterms:created`.
fn core_properties(xml: &[u8]) -> (Option<String>, Option<String>) {
    let mut reader = Reader::from_reader(xml);
    let (mut title, mut created) = (None, None);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => match e.local_name().as_ref() {
                b"title" if title.is_none() => {
                    let t = text_of(&mut reader)
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ");
                    title = Some(t).filter(|t| !t.is_empty());
                }
                b"created" if created.is_none() => created = iso_date(&text_of(&mut reader)),
                _ => {}
            },
            Ok(Event::Eof) | Err(_) => return (title, created),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relationships_keep_external_web_links_only() {
        let rels = br#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
            <Relationship Id="rId1" Type="t/styles" Target="styles.xml"/>
            <Relationship Id="rId5" Type="t/hyperlink" Target="https://evil.example/a?b=1&amp;c=2" TargetMode="External"/>
            <Relationship Id="rId6" Type="t/hyperlink" Target="mailto:x@example.com" TargetMode="External"/>
        </Relationships>"#;
        let links = relationships(rels);
        assert_eq!(links.len(), 1);
        assert_eq!(links["rId5"], "https://evil.example/a?b=1&c=2");
    }

    #[test]
    fn core_properties_give_title_and_date() {
        let core = br#"<cp:coreProperties xmlns:cp="c" xmlns:dc="d" xmlns:dcterms="t">
            <dc:title>Advisory  &amp; notes</dc:title><dcterms:created xsi:type="W3CDTF">2022-11-30T09:15:00Z</dcterms:created>
        </cp:coreProperties>"#;
        let (title, created) = core_properties(core);
        assert_eq!(title.as_deref(), Some("Advisory & notes"));
        assert_eq!(created.as_deref(), Some("2022-11-30"));
    }
}
