//! Reading advisories into an [`Intel`] set: each document becomes a
//! [`SourceDoc`], its indicators [`Item`]s, and its entities and techniques
//! are merged with those of the other documents.
//!
//! Plain text is streamed (a 10 GB text is read in bounded memory, in
//! windows cut at white space); HTML, Markdown, PDF and DOCX are turned into
//! text by [`crate::doc`] first, within its limits.

use crate::doc::{self, DocFormat, DocLimits};
use crate::entities::Recogniser;
use crate::extract::{ExtractOptions, Extractor};
use crate::model::{Entity, Intel, Ioc, IocKind, Item, Problem, SourceDoc, Technique};
use crate::packout::slug;
use std::collections::HashSet;
use std::io::Read;
use std::path::Path;

/// Plain text at least this big is streamed instead of read whole.
const STREAM_FROM: u64 = 8 * 1024 * 1024;
/// Window of streamed text handed to the entity recogniser.
const WINDOW: usize = 1024 * 1024;

/// Reads documents into an [`Intel`] set. Built once, used for many files.
pub struct Ingester {
    extractor: Extractor,
    recogniser: &'static Recogniser,
    limits: DocLimits,
}

/// What one document gave.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocReport {
    /// Format it was read as.
    pub format: String,
    /// Bytes of text read.
    pub text_bytes: u64,
    /// Distinct indicators found (flagged ones included).
    pub indicators: usize,
    /// Of which flagged (named, not hostile).
    pub flagged: usize,
    /// Entities recognised.
    pub entities: usize,
    /// Techniques recognised.
    pub techniques: usize,
    /// Warnings from the reader (encoding guessed, text capped...).
    pub warnings: Vec<String>,
}

/// Why a document could not be read at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// The reader refused it.
    #[error("{path}: {source}")]
    Doc {
        /// The file.
        path: String,
        /// Why.
        source: doc::DocError,
    },
    /// Reading failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

impl Default for Ingester {
    fn default() -> Self {
        Ingester::new(ExtractOptions::default(), DocLimits::default())
    }
}

impl Ingester {
    /// An ingester with these options.
    pub fn new(opts: ExtractOptions, limits: DocLimits) -> Self {
        Ingester {
            extractor: Extractor::new(opts),
            recogniser: Recogniser::shared(),
            limits,
        }
    }

    /// The extractor in use.
    pub fn extractor(&self) -> &Extractor {
        &self.extractor
    }

    /// Reads the document at `path` into `intel`. On error nothing is
    /// added and the caller goes on with the next document.
    pub fn add_path(&self, path: &Path, intel: &mut Intel) -> Result<DocReport, IngestError> {
        let name = path.display().to_string();
        let io = |source| IngestError::Io {
            path: name.clone(),
            source,
        };
        let mut file = std::fs::File::open(path).map_err(io)?;
        let size = file.metadata().map_err(io)?.len();
        let mut head = vec![0u8; 8192];
        let n = read_up_to(&mut file, &mut head).map_err(io)?;
        head.truncate(n);
        let format = doc::sniff(&head, Some(path));
        let streamable = format == DocFormat::Text
            && size >= STREAM_FROM
            && !head.starts_with(&[0xff, 0xfe])
            && !head.starts_with(&[0xfe, 0xff]);
        let url = file_url(path);
        let stem = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| name.clone());
        if streamable {
            drop(file);
            let file = std::fs::File::open(path).map_err(io)?;
            let source = SourceDoc {
                id: slug(&stem, 40),
                title: stem,
                url,
                publisher: None,
                date: None,
                format: format.as_str().into(),
            };
            return self.add_stream(file, source, intel).map_err(io);
        }
        drop(file);
        let text = doc::read_path(path, &self.limits).map_err(|source| IngestError::Doc {
            path: name.clone(),
            source,
        })?;
        let source = SourceDoc {
            id: slug(&stem, 40),
            title: text
                .title
                .clone()
                .filter(|t| !t.trim().is_empty())
                .unwrap_or(stem),
            url: text.url.clone().unwrap_or(url),
            publisher: None,
            date: text.published.clone(),
            format: text.format.as_str().into(),
        };
        let mut report = self.add_text(&text.text, source, intel);
        report.warnings = text.warnings;
        Ok(report)
    }

    /// Reads text already in memory (from standard input, say) as a
    /// document described by `source`.
    pub fn add_text(&self, text: &str, source: SourceDoc, intel: &mut Intel) -> DocReport {
        let src = intel.sources.len();
        let mut report = DocReport {
            format: source.format.clone(),
            text_bytes: text.len() as u64,
            ..DocReport::default()
        };
        intel.sources.push(source);
        for ioc in self.extractor.extract(text) {
            push_ioc(intel, src, ioc, &mut report);
        }
        let found = self.recogniser.recognise(text);
        report.entities = found.entities.len();
        report.techniques = found.techniques.len();
        merge_entities(intel, found.entities);
        merge_techniques(intel, found.techniques);
        report
    }

    fn add_stream(
        &self,
        file: std::fs::File,
        source: SourceDoc,
        intel: &mut Intel,
    ) -> std::io::Result<DocReport> {
        let src = intel.sources.len();
        let mut report = DocReport {
            format: source.format.clone(),
            ..DocReport::default()
        };
        let name = source.title.clone();
        intel.sources.push(source);
        let mut iocs = Vec::new();
        let read = self
            .extractor
            .extract_reader(std::io::BufReader::new(&file), &mut |ioc| iocs.push(ioc));
        match read {
            Ok(n) => report.text_bytes = n,
            Err(e) => intel.problems.push(Problem {
                item: name.clone(),
                message: format!("{e}; indicators before it are kept"),
            }),
        }
        for ioc in iocs {
            push_ioc(intel, src, ioc, &mut report);
        }
        // Entities and techniques window by window; the windows are cut at
        // white space so names are not split.
        let mut reader = std::io::BufReader::new(&file);
        std::io::Seek::rewind(&mut reader)?;
        let mut buf = vec![0u8; WINDOW];
        let mut carry = 0;
        let mut entities = Vec::new();
        let mut techniques = Vec::new();
        loop {
            let n = read_up_to(&mut reader, &mut buf[carry..])?;
            let end = carry + n;
            if end == 0 {
                break;
            }
            let cut = if n == 0 {
                end
            } else {
                buf[..end]
                    .iter()
                    .rposition(|b| b.is_ascii_whitespace())
                    .map(|i| i + 1)
                    .filter(|&i| i > end / 2)
                    .unwrap_or(end)
            };
            let text = String::from_utf8_lossy(&buf[..cut]);
            let found = self.recogniser.recognise(&text);
            entities.extend(found.entities);
            techniques.extend(found.techniques);
            buf.copy_within(cut..end, 0);
            carry = end - cut;
            if n == 0 && carry == 0 {
                break;
            }
        }
        let before = intel.entities.len();
        merge_entities(intel, entities);
        report.entities = intel.entities.len() - before;
        let before = intel.techniques.len();
        merge_techniques(intel, techniques);
        report.techniques = intel.techniques.len() - before;
        Ok(report)
    }
}

fn push_ioc(intel: &mut Intel, source: usize, ioc: Ioc, report: &mut DocReport) {
    report.indicators += 1;
    if ioc.flag.is_some() {
        report.flagged += 1;
    }
    let attack = if ioc.kind == IocKind::Attack {
        vec![ioc.value.clone()]
    } else {
        Vec::new()
    };
    intel.items.push(Item {
        to_ids: ioc.is_hostile(),
        ioc,
        source,
        description: None,
        malware: None,
        attack,
    });
}

/// Merges entities by kind and id: counts add up, new spellings are kept.
pub fn merge_entities(intel: &mut Intel, entities: Vec<Entity>) {
    for e in entities {
        match intel
            .entities
            .iter_mut()
            .find(|x| x.kind == e.kind && x.id == e.id)
        {
            Some(x) => {
                x.count += e.count;
                for m in e.mentions {
                    if !x.mentions.contains(&m) {
                        x.mentions.push(m);
                    }
                }
            }
            None => intel.entities.push(e),
        }
    }
}

/// Keeps one technique per id: the first, from an explicit id or prose.
pub fn merge_techniques(intel: &mut Intel, techniques: Vec<Technique>) {
    let mut seen: HashSet<String> = intel.techniques.iter().map(|t| t.id.clone()).collect();
    for t in techniques {
        if seen.insert(t.id.clone()) {
            intel.techniques.push(t);
        }
    }
}

/// `file://` URL of a local path (absolute, percent-encoded where needed).
pub fn file_url(path: &Path) -> String {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut url = String::from("file://");
    for b in abs.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            url.push(b as char);
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_urls_are_absolute_and_encoded() {
        let u = file_url(Path::new("/cases/APT 29/report#1.pdf"));
        assert_eq!(u, "file:///cases/APT%2029/report%231.pdf");
        assert!(file_url(Path::new("rel.txt")).starts_with("file:///"));
    }

    #[test]
    fn entities_merge_by_kind_and_id() {
        let e = |m: &str, n| Entity {
            kind: crate::EntityKind::Actor,
            id: "G0016".into(),
            name: "APT29".into(),
            mentions: vec![m.into()],
            count: n,
            sentence: String::new(),
        };
        let mut intel = Intel::default();
        merge_entities(
            &mut intel,
            vec![e("APT29", 2), e("Cozy Bear", 1), e("APT29", 1)],
        );
        assert_eq!(intel.entities.len(), 1);
        assert_eq!(intel.entities[0].count, 4);
        assert_eq!(intel.entities[0].mentions, vec!["APT29", "Cozy Bear"]);
    }
}
