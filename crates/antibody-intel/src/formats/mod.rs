//! Shared intelligence in and out: STIX 2.1 bundles, MISP events, the CISA
//! KEV catalogue, CSV files and plain lists are imported into an [`Intel`]
//! set; a pack is exported as a STIX 2.1 bundle, a MISP event or CSV.
//!
//! Imports are lenient per object and strict per file: a bad object, row or
//! pattern becomes a [`Problem`] naming where it is (`$.objects[12].pattern`,
//! `feed.csv:7`) and the rest is kept; a file that is not of its format at
//! all, or cannot be read, is a [`FormatError`] naming the file. JSON feeds
//! are read as streams, one object at a time, so memory does not grow with
//! the file.

pub mod classify;
pub mod csv;
mod jsonpath;
pub mod kev;
pub mod list;
pub mod misp;
pub mod stix;

pub use self::csv::CsvMap;
pub use stix::pattern::{Pattern, PatternError, parse_pattern};

use crate::model::{Entity, EntityKind, Intel, Ioc, IocKind, Item, Problem, SourceDoc, Technique};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;

/// A format shared intelligence is imported from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InputFormat {
    /// A STIX 2.1 bundle.
    Stix,
    /// A MISP event (`{"Event": ...}`, `{"response": [...]}` or bare).
    Misp,
    /// The CISA Known Exploited Vulnerabilities catalogue (JSON).
    Kev,
    /// CSV with a header line.
    Csv,
    /// One value per line.
    List,
}

impl InputFormat {
    /// The name used in [`SourceDoc::format`].
    pub fn as_str(self) -> &'static str {
        match self {
            InputFormat::Stix => "stix",
            InputFormat::Misp => "misp",
            InputFormat::Kev => "kev",
            InputFormat::Csv => "csv",
            InputFormat::List => "list",
        }
    }
}

/// Guesses the format of a file from its first bytes (a few KiB are enough)
/// and its name: JSON with `"type": "bundle"` is STIX; with `"Event"` or
/// `"response"`, MISP; with `"vulnerabilities"` and `"catalogVersion"`, KEV;
/// a `.csv` name or a first line with commas, CSV; anything else a list.
pub fn sniff_input(head: &[u8], path: &Path) -> InputFormat {
    let text = String::from_utf8_lossy(head);
    let t = text.trim_start_matches('\u{feff}').trim_start();
    let has_key = |k: &str| t.contains(&format!("\"{k}\""));
    if t.starts_with('{') || t.starts_with('[') {
        let compact: String = t.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.contains("\"type\":\"bundle\"") || has_key("spec_version") {
            return InputFormat::Stix;
        }
        if has_key("catalogVersion") || has_key("vulnerabilities") && has_key("cveID") {
            return InputFormat::Kev;
        }
        if has_key("Event") || has_key("response") || has_key("Attribute") {
            return InputFormat::Misp;
        }
        if has_key("objects") {
            return InputFormat::Stix;
        }
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase());
    if matches!(ext.as_deref(), Some("csv" | "tsv")) {
        return InputFormat::Csv;
    }
    let first = t
        .lines()
        .find(|l| !l.trim().is_empty() && !l.starts_with('#'));
    match first {
        Some(l) if l.contains(',') && !l.contains("://") => InputFormat::Csv,
        _ => InputFormat::List,
    }
}

/// How imports behave.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The CSV column mapping; detected from the header when `None`.
    pub csv_map: Option<CsvMap>,
    /// Most objects (STIX objects, MISP attributes, KEV entries, CSV rows,
    /// list lines) read from one file; the rest is left with a problem.
    pub max_objects: u64,
    /// Deepest JSON nesting accepted (serde_json's own limit, 128, also
    /// applies).
    pub max_depth: usize,
    /// Id of the [`SourceDoc`] added; derived from the file name when
    /// `None` (made unique in the [`Intel`] set either way).
    pub source_id: Option<String>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            csv_map: None,
            max_objects: 10_000_000,
            max_depth: 128,
            source_id: None,
        }
    }
}

/// What an import added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportStats {
    /// Objects, attributes, rows or lines read.
    pub objects: u64,
    /// Items added.
    pub items: usize,
    /// Entities added (not counting mentions merged into known ones).
    pub entities: usize,
    /// Techniques added.
    pub techniques: usize,
    /// Values skipped because their type has no indicator kind (MISP
    /// `text`, STIX `x-` objects...).
    pub skipped: u64,
    /// Problems recorded.
    pub problems: usize,
    /// Bytes read.
    pub bytes: u64,
}

/// Why a file could not be imported or a pack exported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The file could not be opened or read.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The JSON broke at `path`; what was read before it was kept.
    #[error(
        "{file}: {message} at {path} (line {line}, column {column}, byte {offset}); {kept} objects before it were kept"
    )]
    Json {
        /// The file.
        file: String,
        /// JSON path being read (`$.objects[3].pattern`).
        path: String,
        /// Line, 1-based.
        line: usize,
        /// Column, 1-based.
        column: usize,
        /// Byte offset.
        offset: u64,
        /// What was wrong.
        message: String,
        /// Objects read before the fault.
        kept: u64,
    },
    /// The file is readable but not of the format (no value column in a
    /// CSV header, a JSON document that is not a feed).
    #[error("{file}: {message}")]
    Format {
        /// The file.
        file: String,
        /// What was wrong.
        message: String,
    },
    /// Writing an export failed.
    #[error("writing the export: {0}")]
    Write(#[from] std::io::Error),
}

impl FormatError {
    fn from_break(file: &str, b: jsonpath::JsonBreak, kept: u64) -> FormatError {
        match b.io {
            Some(source) => FormatError::Io {
                file: file.to_string(),
                source,
            },
            None => FormatError::Json {
                file: file.to_string(),
                path: b.path.to_string(),
                line: b.line,
                column: b.column,
                offset: b.offset,
                message: b.message,
                kept,
            },
        }
    }
}

/// Imports the file at `path`, its format sniffed from its first bytes.
/// Adds one [`SourceDoc`] and the items, entities and techniques found;
/// problems with single objects go to [`Intel::problems`].
pub fn import_path(
    path: &Path,
    opts: &ImportOptions,
    intel: &mut Intel,
) -> Result<ImportStats, FormatError> {
    let name = path.display().to_string();
    let io = |source| FormatError::Io {
        file: name.clone(),
        source,
    };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let mut head = vec![0u8; 8192];
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..]).map_err(io)? {
            0 => break,
            k => n += k,
        }
    }
    head.truncate(n);
    let format = sniff_input(&head, path);
    let reader = std::io::Cursor::new(head).chain(f);
    let url = match std::fs::canonicalize(path) {
        Ok(p) => format!("file://{}", p.display()),
        Err(_) => format!("file://{name}"),
    };
    import_with_url(reader, format, &name, &url, opts, intel)
}

/// Imports one stream in `format`; `name` names it in problems and errors
/// and gives the [`SourceDoc`] its title and id.
pub fn import_reader(
    r: impl Read,
    format: InputFormat,
    name: &str,
    opts: &ImportOptions,
    intel: &mut Intel,
) -> Result<ImportStats, FormatError> {
    let url = format!("file://{name}");
    import_with_url(r, format, name, &url, opts, intel)
}

fn import_with_url(
    r: impl Read,
    format: InputFormat,
    name: &str,
    url: &str,
    opts: &ImportOptions,
    intel: &mut Intel,
) -> Result<ImportStats, FormatError> {
    let mut sink = Sink::new(intel, format, name, url, opts);
    let r = match format {
        InputFormat::Stix => stix::import::import(r, &mut sink),
        InputFormat::Misp => misp::import(r, &mut sink),
        InputFormat::Kev => kev::import(r, &mut sink),
        InputFormat::Csv => csv::import(r, &mut sink),
        InputFormat::List => list::import(r, &mut sink),
    };
    r.map(|()| sink.finish())
}

/// A format a pack is exported to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExportFormat {
    /// A STIX 2.1 bundle.
    Stix,
    /// A MISP event.
    Misp,
    /// CSV: `type,value,description,severity,confidence,attack,source,malware`.
    Csv,
}

/// Writes `pack` in `format`. The output depends only on the pack: ids are
/// derived from content and timestamps from the pack's date, so the same
/// pack always exports the same bytes.
pub fn export_pack(
    pack: &antibody_core::pack::Pack,
    format: ExportFormat,
    w: &mut dyn Write,
) -> Result<(), FormatError> {
    match format {
        ExportFormat::Stix => stix::export::export(pack, w),
        ExportFormat::Misp => misp::export(pack, w),
        ExportFormat::Csv => csv::export(pack, w),
    }
}

/// What an indicator read from a feed carries besides its value.
#[derive(Debug, Clone, Default)]
pub(crate) struct Meta {
    pub description: Option<String>,
    pub malware: Option<String>,
    pub attack: Vec<String>,
    pub to_ids: bool,
    pub confidence: Option<f32>,
}

/// Appends what an importer finds to the [`Intel`] set, normalising values
/// and merging entities and techniques by id.
pub(crate) struct Sink<'a> {
    pub intel: &'a mut Intel,
    pub source: usize,
    pub name: String,
    pub opts: &'a ImportOptions,
    stats: ImportStats,
    entity_index: HashMap<(EntityKind, String), usize>,
    technique_index: HashMap<String, usize>,
    first_item: usize,
    first_entity: usize,
    first_problem: usize,
}

impl<'a> Sink<'a> {
    fn new(
        intel: &'a mut Intel,
        format: InputFormat,
        name: &str,
        url: &str,
        opts: &'a ImportOptions,
    ) -> Self {
        let base = Path::new(name)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or(name)
            .to_string();
        let wanted = opts.source_id.clone().unwrap_or_else(|| slug(&base));
        let mut id = wanted.clone();
        let mut n = 2;
        while intel.sources.iter().any(|s| s.id == id) {
            id = format!("{wanted}-{n}");
            n += 1;
        }
        intel.sources.push(SourceDoc {
            id,
            title: Path::new(name)
                .file_name()
                .and_then(|s| s.to_str())
                .unwrap_or(name)
                .to_string(),
            url: url.to_string(),
            publisher: None,
            date: None,
            format: format.as_str().to_string(),
        });
        let entity_index = intel
            .entities
            .iter()
            .enumerate()
            .map(|(i, e)| ((e.kind, e.id.clone()), i))
            .collect();
        let technique_index = intel
            .techniques
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.clone(), i))
            .collect();
        Sink {
            source: intel.sources.len() - 1,
            first_item: intel.items.len(),
            first_entity: intel.entities.len(),
            first_problem: intel.problems.len(),
            intel,
            name: name.to_string(),
            opts,
            stats: ImportStats::default(),
            entity_index,
            technique_index,
        }
    }

    /// The source document being filled.
    pub fn doc(&mut self) -> &mut SourceDoc {
        &mut self.intel.sources[self.source]
    }

    /// Counts one object read; false (with a problem) once the limit is
    /// passed.
    pub fn count_object(&mut self, item: &str) -> bool {
        self.stats.objects += 1;
        if self.stats.objects > self.opts.max_objects {
            self.problem(
                item,
                format!(
                    "stopped here: more than {} objects in one file",
                    self.opts.max_objects
                ),
            );
            return false;
        }
        true
    }

    /// Counts a value skipped because its type is not an indicator.
    pub fn skip(&mut self) {
        self.stats.skipped += 1;
    }

    /// Records bytes read.
    pub fn add_bytes(&mut self, n: u64) {
        self.stats.bytes += n;
    }

    /// Records a problem with one part of the input.
    pub fn problem(&mut self, item: &str, message: impl Into<String>) {
        self.intel.problems.push(Problem {
            item: item.to_string(),
            message: message.into(),
        });
    }

    /// Normalises `raw` as `kind` and adds it, or records why it is not
    /// one. Returns the item's index.
    pub fn item(&mut self, item: &str, kind: IocKind, raw: &str, meta: Meta) -> Option<usize> {
        match classify::normalise(kind, raw) {
            Ok(value) => Some(self.push_item(kind, value, raw, meta)),
            Err(why) => {
                self.problem(item, format!("{kind} `{}`: {why}", clip(raw, 120)));
                None
            }
        }
    }

    /// Classifies a lone value and adds it, or records that it is not an
    /// indicator.
    pub fn classified(&mut self, item: &str, raw: &str, meta: Meta) -> Option<usize> {
        match classify::classify(raw) {
            Some((kind, value)) => Some(self.push_item(kind, value, raw, meta)),
            None => {
                self.problem(
                    item,
                    format!("`{}` is not a recognisable indicator", clip(raw, 120)),
                );
                None
            }
        }
    }

    fn push_item(&mut self, kind: IocKind, value: String, raw: &str, meta: Meta) -> usize {
        let (_, defanged) = classify::refang(raw);
        let flag = classify::flag_for(kind, &value);
        let description = meta.description.filter(|d| !d.trim().is_empty());
        self.intel.items.push(Item {
            ioc: Ioc {
                kind,
                raw: clip(raw, 512).to_string(),
                value,
                offset: 0,
                defanged,
                confidence: meta.confidence.unwrap_or(0.8).clamp(0.0, 1.0),
                flag,
                sentence: description
                    .as_deref()
                    .map(|d| clip(d, 400).to_string())
                    .unwrap_or_default(),
            },
            source: self.source,
            description,
            malware: meta.malware,
            attack: meta.attack,
            to_ids: meta.to_ids && flag.is_none(),
        });
        self.intel.items.len() - 1
    }

    /// Adds an entity or merges it with the one of the same kind and id.
    ///
    /// An actor, malware or tool that arrives without an ATT&CK id (a MISP
    /// galaxy tag `threat-actor="Cozy Bear"`, a STIX intrusion set without
    /// external references) is looked up by its name, then its aliases, in
    /// the ATT&CK table: found, it takes the ATT&CK id and name, so the same
    /// actor from prose, STIX and MISP is one entity (`G0016`).
    pub fn entity(
        &mut self,
        kind: EntityKind,
        id: &str,
        name: &str,
        mentions: &[&str],
        sentence: &str,
    ) {
        let attack_entry = (!antibody_core::pack::is_attack_id(id))
            .then(|| attack_lookup(kind, std::iter::once(name).chain(mentions.iter().copied())))
            .flatten();
        let (id, name, given) = match attack_entry {
            Some(e) => (e.id.as_str(), e.name.as_str(), Some(name)),
            None => (id, name, None),
        };
        let key = (kind, id.to_string());
        let i = match self.entity_index.get(&key) {
            Some(&i) => i,
            None => {
                self.intel.entities.push(Entity {
                    kind,
                    id: id.to_string(),
                    name: name.to_string(),
                    mentions: Vec::new(),
                    count: 0,
                    sentence: clip(sentence, 400).to_string(),
                });
                let i = self.intel.entities.len() - 1;
                self.entity_index.insert(key, i);
                i
            }
        };
        let e = &mut self.intel.entities[i];
        e.count += 1;
        for m in std::iter::once(&name).chain(given.as_ref()).chain(mentions) {
            // A hostile feed could list endless aliases: keep a few.
            if !m.is_empty() && e.mentions.len() < 64 && !e.mentions.iter().any(|x| x == m) {
                e.mentions.push(m.to_string());
            }
        }
    }

    /// Adds an ATT&CK technique (once per id).
    pub fn technique(&mut self, id: &str, name: &str, evidence: &str, sentence: &str) {
        if self.technique_index.contains_key(id) {
            return;
        }
        self.intel.techniques.push(Technique {
            id: id.to_string(),
            name: name.to_string(),
            evidence: evidence.to_string(),
            from_prose: false,
            sentence: clip(sentence, 400).to_string(),
        });
        self.technique_index
            .insert(id.to_string(), self.intel.techniques.len() - 1);
        self.stats.techniques += 1;
    }

    /// Turns a JSON parse fault into the error for this file.
    fn json_error(&self, b: jsonpath::JsonBreak) -> FormatError {
        FormatError::from_break(&self.name, b, self.stats.objects)
    }

    fn finish(mut self) -> ImportStats {
        self.stats.items = self.intel.items.len() - self.first_item;
        self.stats.entities = self.intel.entities.len() - self.first_entity;
        self.stats.problems = self.intel.problems.len() - self.first_problem;
        self.stats
    }
}

/// `s` cut to at most `max` bytes at a character boundary.
pub(crate) fn clip(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A lowercase id made of letters, digits and dashes.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    if out.is_empty() {
        "import".into()
    } else {
        clip(out, 64).to_string()
    }
}

/// Whether `id` is an ATT&CK technique id (`T1566`, `T1566.001`).
pub(crate) fn is_technique_id(id: &str) -> bool {
    id.starts_with('T') && !id.starts_with("TA") && antibody_core::pack::is_attack_id(id)
}

/// The ATT&CK object of a matching kind that bears one of `names`: a group
/// for an actor, software (malware or tool: feeds disagree on which) for
/// malware and tools. Other entity kinds have no ATT&CK object.
fn attack_lookup<'n>(
    kind: EntityKind,
    names: impl Iterator<Item = &'n str>,
) -> Option<&'static crate::attack::Entry> {
    use crate::attack::EntryKind as K;
    let fits = |k: K| match kind {
        EntityKind::Actor => k == K::Group,
        EntityKind::Malware | EntityKind::Tool => matches!(k, K::Malware | K::Tool),
        _ => false,
    };
    if !fits(K::Group) && !fits(K::Malware) {
        return None;
    }
    let table = crate::attack::table();
    for n in names {
        let mut hits = table.resolve_all(n).filter(|e| fits(e.kind));
        if let Some(first) = hits.next() {
            // Prefer the object of exactly this kind (malware vs tool).
            let exact = |e: &&crate::attack::Entry| match kind {
                EntityKind::Tool => e.kind == K::Tool,
                EntityKind::Malware => e.kind == K::Malware,
                _ => true,
            };
            return Some(
                std::iter::once(first)
                    .chain(hits)
                    .find(exact)
                    .unwrap_or(first),
            );
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_each_format() {
        let p = Path::new("x");
        assert_eq!(
            sniff_input(br#"{"type": "bundle", "id": "bundle--1"}"#, p),
            InputFormat::Stix
        );
        assert_eq!(
            sniff_input(br#"{"Event": {"info": "x"}}"#, p),
            InputFormat::Misp
        );
        assert_eq!(
            sniff_input(br#"{"response": [{"Event": {}}]}"#, p),
            InputFormat::Misp
        );
        assert_eq!(
            sniff_input(
                br#"{"title": "k", "catalogVersion": "1", "vulnerabilities": []}"#,
                p
            ),
            InputFormat::Kev
        );
        assert_eq!(
            sniff_input(b"type,value\nipv4,1.2.3.4\n", p),
            InputFormat::Csv
        );
        assert_eq!(sniff_input(b"# list\nevil[.]top\n", p), InputFormat::List);
        assert_eq!(sniff_input(b"http://a.top/x,y\n", p), InputFormat::List);
    }

    #[test]
    fn slugs_are_lowercase_dashed() {
        assert_eq!(slug("AR20-198B IOCs (v2)"), "ar20-198b-iocs-v2");
        assert_eq!(slug("***"), "import");
    }

    #[test]
    fn sources_get_unique_ids() {
        let mut intel = Intel::default();
        let opts = ImportOptions::default();
        for _ in 0..2 {
            import_reader(
                &b"evil-c2.top\n"[..],
                InputFormat::List,
                "feed.txt",
                &opts,
                &mut intel,
            )
            .unwrap();
        }
        let ids: Vec<&str> = intel.sources.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["feed", "feed-2"]);
    }
}
