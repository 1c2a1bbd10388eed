//! Writing an [`Intel`] set as a pack (docs/pack-format.md) that `packs
//! validate` accepts and `hunt --pack` uses at once.
//!
//! What goes where:
//!
//! | what | file |
//! |---|---|
//! | metadata, one `[[source]]` per document or feed | `pack.toml` |
//! | indicators with a pack type, not flagged, detection-worthy | `indicators/<source>.toml`, each with its sentence |
//! | embedded YARA rules | `yara/<source>-<rule>.yar`, one file per rule so one bad rule does not hide the others |
//! | embedded Sigma rules | `sigma/<source>-<title>.yml` |
//! | everything (also what is not hunted, and why) | `intel/intel.json` |
//! | Snort/Suricata rules | `intel/suricata.rules` (for the IDS; antibody does not run them) |
//! | what a person reads | `SUMMARY.md` |
//!
//! Output is deterministic: the same [`Intel`] gives the same bytes.

use crate::model::{EntityKind, Intel, IocKind, Item};
use antibody_core::pack::{IndicatorType, is_attack_id, normalise_value};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// How a pack is written.
#[derive(Debug, Clone)]
pub struct PackOptions {
    /// The pack's name: 1–64 lowercase letters, digits and dashes.
    pub name: String,
    /// The pack's version (semver).
    pub version: String,
    /// One paragraph on what the pack hunts; written from the sources when
    /// `None`.
    pub description: Option<String>,
    /// Indicators found with a lower confidence (0.0–1.0) are listed in
    /// the summary but not hunted.
    pub min_confidence: f32,
}

impl PackOptions {
    /// Options for a pack named `name` (version 0.1.0, confidence ≥ 0.5).
    pub fn named(name: impl Into<String>) -> Self {
        PackOptions {
            name: name.into(),
            version: "0.1.0".into(),
            description: None,
            min_confidence: 0.5,
        }
    }
}

/// Why an item was not made into a hunted indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotHunted {
    /// Its kind.
    pub kind: IocKind,
    /// Its value.
    pub value: String,
    /// Why (`flagged: private`, `no pack type`, ...).
    pub reason: String,
}

/// What [`write_pack`] wrote.
#[derive(Debug, Clone, Default)]
pub struct PackOutcome {
    /// Hunted indicators written, by pack type.
    pub indicators: BTreeMap<IndicatorType, usize>,
    /// YARA rule files written.
    pub yara: usize,
    /// Sigma rule files written.
    pub sigma: usize,
    /// Snort/Suricata rules kept in `intel/suricata.rules`.
    pub snort: usize,
    /// Items kept but not hunted, with the reason.
    pub not_hunted: Vec<NotHunted>,
    /// Every file written, relative to the pack directory.
    pub files: Vec<String>,
}

impl PackOutcome {
    /// Total hunted indicators.
    pub fn indicator_total(&self) -> usize {
        self.indicators.values().sum()
    }
}

/// Why a pack could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackWriteError {
    /// The name is not a valid pack name.
    #[error(
        "`{0}` is not a valid pack name (1-64 lowercase letters, digits and dashes, not starting with a dash)"
    )]
    BadName(String),
    /// Nothing to write from.
    #[error("no source was read, so there is nothing to build a pack from")]
    NoSources,
    /// The directory exists and holds something that is not a pack.
    #[error(
        "{0} exists and is not an empty directory or a pack (it has no pack.toml); refusing to overwrite it"
    )]
    NotAPackDir(PathBuf),
    /// Writing failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// Whether `name` is a valid pack name.
pub fn is_pack_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A pack name, source id or file stem made from free text: lowercase
/// letters and digits with single dashes, at most `max` bytes.
pub fn slug(text: &str, max: usize) -> String {
    let mut s = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            if s.len() >= max {
                break;
            }
            s.push(c.to_ascii_lowercase());
        } else if !s.is_empty() && !s.ends_with('-') && s.len() < max {
            s.push('-');
        }
    }
    while s.ends_with('-') {
        s.pop();
    }
    s
}

/// Writes `intel` as a pack into `dir` (created if missing). A directory
/// that already holds a pack is rewritten: its generated files are
/// replaced, other files are left alone.
pub fn write_pack(
    intel: &Intel,
    dir: &Path,
    opts: &PackOptions,
) -> Result<PackOutcome, PackWriteError> {
    if !is_pack_name(&opts.name) {
        return Err(PackWriteError::BadName(opts.name.clone()));
    }
    if intel.sources.is_empty() {
        return Err(PackWriteError::NoSources);
    }
    check_target(dir)?;
    let plan = Plan::new(intel, opts);
    let mut out = PackOutcome {
        not_hunted: plan.not_hunted.clone(),
        ..PackOutcome::default()
    };
    let mut files: Vec<(String, String)> = Vec::new();
    files.push(("pack.toml".into(), plan.manifest(intel, opts)));
    for (source, entries) in &plan.indicators {
        let mut text = format!(
            "# Indicators from `{}` ({}), written by `antibody intel`.\n# Each carries the sentence it was found in as its description.\n",
            one_line(&intel.sources[*source].id, 80),
            one_line(&intel.sources[*source].title, 200)
        );
        for e in entries {
            *out.indicators.entry(e.kind).or_insert(0) += 1;
            e.write(&mut text);
        }
        files.push((
            format!("indicators/{}.toml", plan.source_ids[*source]),
            text,
        ));
    }
    let mut stems = BTreeSet::new();
    for (source, kind, name, text) in &plan.rules {
        let base = format!("{}-{}", plan.source_ids[*source], slug(name, 48));
        let mut stem = base.clone();
        let mut n = 2;
        while !stems.insert((*kind, stem.clone())) {
            stem = format!("{base}-{n}");
            n += 1;
        }
        match kind {
            IocKind::YaraRule => {
                out.yara += 1;
                files.push((format!("yara/{stem}.yar"), format!("{}\n", text.trim_end())));
            }
            IocKind::SigmaRule => {
                out.sigma += 1;
                files.push((
                    format!("sigma/{stem}.yml"),
                    format!("{}\n", text.trim_end()),
                ));
            }
            _ => {}
        }
    }
    if !plan.snort.is_empty() {
        out.snort = plan.snort.len();
        let mut text = String::from(
            "# Snort/Suricata rules found in the sources, for your IDS (antibody does not run them).\n",
        );
        for r in &plan.snort {
            text.push_str(r.trim());
            text.push('\n');
        }
        files.push(("intel/suricata.rules".into(), text));
    }
    let json = IntelFile {
        format: "antibody-intel/1",
        intel,
        not_hunted: &plan.not_hunted,
    };
    let mut json = serde_json::to_string_pretty(&json).expect("intel serialises");
    json.push('\n');
    files.push(("intel/intel.json".into(), json));
    files.push(("SUMMARY.md".into(), summary(intel, opts, &plan, &out)));

    for (rel, text) in &files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| PackWriteError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        std::fs::write(&path, text).map_err(|source| PackWriteError::Io { path, source })?;
        out.files.push(rel.clone());
    }
    Ok(out)
}

/// The machine-readable record of everything found, `intel/intel.json`.
#[derive(Serialize)]
struct IntelFile<'a> {
    format: &'static str,
    #[serde(flatten)]
    intel: &'a Intel,
    not_hunted: &'a [NotHunted],
}

fn check_target(dir: &Path) -> Result<(), PackWriteError> {
    match std::fs::read_dir(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(PackWriteError::Io {
            path: dir.to_path_buf(),
            source,
        }),
        Ok(mut entries) => {
            if entries.next().is_none() || dir.join("pack.toml").is_file() {
                Ok(())
            } else {
                Err(PackWriteError::NotAPackDir(dir.to_path_buf()))
            }
        }
    }
}

/// One indicator to write.
struct Entry {
    kind: IndicatorType,
    value: String,
    description: String,
    severity: &'static str,
    confidence: &'static str,
    attack: Vec<String>,
    source_id: String,
    malware: Option<String>,
    comment: String,
}

impl Entry {
    fn write(&self, out: &mut String) {
        let q = |s: &str| toml::Value::String(s.to_string()).to_string();
        let _ = writeln!(out, "\n# {}", self.comment);
        let _ = writeln!(out, "[[indicator]]");
        let _ = writeln!(out, "type = {}", q(self.kind.as_str()));
        let _ = writeln!(out, "value = {}", q(&self.value));
        let _ = writeln!(out, "description = {}", q(&self.description));
        let _ = writeln!(out, "severity = {}", q(self.severity));
        let _ = writeln!(out, "confidence = {}", q(self.confidence));
        if !self.attack.is_empty() {
            let ids: Vec<String> = self.attack.iter().map(|a| q(a)).collect();
            let _ = writeln!(out, "attack = [{}]", ids.join(", "));
        }
        let _ = writeln!(out, "source = {}", q(&self.source_id));
        if let Some(m) = &self.malware {
            let _ = writeln!(out, "malware = {}", q(m));
        }
    }
}

/// What goes where, decided once for all files.
struct Plan {
    source_ids: Vec<String>,
    indicators: BTreeMap<usize, Vec<Entry>>,
    rules: Vec<(usize, IocKind, String, String)>,
    snort: Vec<String>,
    not_hunted: Vec<NotHunted>,
}

impl Plan {
    fn new(intel: &Intel, opts: &PackOptions) -> Plan {
        let source_ids = unique_source_ids(intel);
        let malware_names: Vec<(String, String)> = intel
            .entities
            .iter()
            .filter(|e| matches!(e.kind, EntityKind::Malware | EntityKind::Tool))
            .flat_map(|e| {
                e.mentions
                    .iter()
                    .chain(std::iter::once(&e.name))
                    .map(|m| (m.clone(), e.name.clone()))
                    .collect::<Vec<_>>()
            })
            .filter(|(m, _)| m.len() >= 4)
            .collect();
        let mut plan = Plan {
            source_ids,
            indicators: BTreeMap::new(),
            rules: Vec::new(),
            snort: Vec::new(),
            not_hunted: Vec::new(),
        };
        let mut seen: HashMap<(IndicatorType, String), (usize, usize)> = HashMap::new();
        let mut seen_rules = BTreeSet::new();
        for item in &intel.items {
            let ioc = &item.ioc;
            let skip = |reason: String| NotHunted {
                kind: ioc.kind,
                value: ioc.value.clone(),
                reason,
            };
            if let Some(flag) = ioc.flag {
                plan.not_hunted.push(skip(format!("flagged: {flag}")));
                continue;
            }
            if !item.to_ids {
                plan.not_hunted
                    .push(skip("the feed marks it as not for detection".into()));
                continue;
            }
            if ioc.kind.is_rule() {
                if !seen_rules.insert((ioc.kind, ioc.value.clone())) {
                    continue;
                }
                match ioc.kind {
                    IocKind::SnortRule => plan.snort.push(ioc.value.clone()),
                    kind => plan.rules.push((
                        item.source,
                        kind,
                        rule_name(kind, &ioc.value),
                        ioc.value.clone(),
                    )),
                }
                continue;
            }
            let Some(kind) = ioc.kind.pack_type() else {
                plan.not_hunted.push(skip(
                    "no pack indicator type (kept in intel/intel.json)".into(),
                ));
                continue;
            };
            if ioc.confidence < opts.min_confidence {
                plan.not_hunted.push(skip(format!(
                    "confidence {:.2} below {:.2}",
                    ioc.confidence, opts.min_confidence
                )));
                continue;
            }
            let value = match pack_value(kind, &ioc.value) {
                Ok(v) => v,
                Err(e) => {
                    plan.not_hunted
                        .push(skip(format!("not a valid {kind}: {e}")));
                    continue;
                }
            };
            if let Some(&(src, idx)) = seen.get(&(kind, value.clone())) {
                let entry = &mut plan.indicators.get_mut(&src).expect("seen")[idx];
                let also = &plan.source_ids[item.source];
                if !entry.comment.contains(also.as_str()) {
                    entry.comment.push_str(&format!("; also in {also}"));
                }
                continue;
            }
            let entry = plan.entry(intel, item, kind, value, &malware_names);
            let list = plan.indicators.entry(item.source).or_default();
            seen.insert((kind, entry.value.clone()), (item.source, list.len()));
            list.push(entry);
        }
        plan
    }

    fn entry(
        &self,
        intel: &Intel,
        item: &Item,
        kind: IndicatorType,
        value: String,
        malware_names: &[(String, String)],
    ) -> Entry {
        let ioc = &item.ioc;
        let source = &intel.sources[item.source];
        let description = item
            .description
            .clone()
            .filter(|d| !d.trim().is_empty())
            .unwrap_or_else(|| {
                if ioc.sentence.trim().is_empty() {
                    format!("{} named in {}", ioc.kind, source.title)
                } else {
                    ioc.sentence.clone()
                }
            });
        let malware = item.malware.clone().or_else(|| {
            malware_names
                .iter()
                .find(|(m, _)| contains_word(&ioc.sentence, m))
                .map(|(_, name)| name.clone())
        });
        let strong = ioc.confidence >= 0.8;
        let severity = match kind {
            IndicatorType::FileName | IndicatorType::FilePath => {
                if strong {
                    "medium"
                } else {
                    "low"
                }
            }
            _ if strong => "high",
            _ => "medium",
        };
        let confidence = if strong {
            "high"
        } else if ioc.confidence >= 0.5 {
            "medium"
        } else {
            "low"
        };
        let mut comment = format!("from {}", self.source_ids[item.source]);
        if ioc.raw != ioc.value && !ioc.raw.is_empty() {
            comment.push_str(&format!(", written `{}`", one_line(&ioc.raw, 120)));
        }
        if ioc.offset > 0 {
            comment.push_str(&format!(" at byte {}", ioc.offset));
        }
        Entry {
            kind,
            value,
            description: one_line(&description, 400),
            severity,
            confidence,
            attack: item
                .attack
                .iter()
                .filter(|a| is_attack_id(a))
                .cloned()
                .collect(),
            source_id: self.source_ids[item.source].clone(),
            malware,
            comment,
        }
    }

    fn manifest(&self, intel: &Intel, opts: &PackOptions) -> String {
        let q = |s: &str| toml::Value::String(s.to_string()).to_string();
        let list = |v: &[String]| {
            let items: Vec<String> = v.iter().map(|s| q(s)).collect();
            format!("[{}]", items.join(", "))
        };
        let titles: Vec<&str> = intel.sources.iter().map(|s| s.title.as_str()).collect();
        let description = opts.description.clone().unwrap_or_else(|| {
            let mut d = format!(
                "Indicators and rules built by antibody intel from {}.",
                titles.join("; ")
            );
            let actors = names_of(intel, EntityKind::Actor);
            if !actors.is_empty() {
                d.push_str(&format!(" Actors: {}.", actors.join(", ")));
            }
            let malware = names_of(intel, EntityKind::Malware);
            if !malware.is_empty() {
                d.push_str(&format!(" Malware: {}.", malware.join(", ")));
            }
            d
        });
        let mut actors: Vec<String> = Vec::new();
        for e in intel
            .entities
            .iter()
            .filter(|e| e.kind == EntityKind::Actor)
        {
            for n in std::iter::once(&e.name).chain(&e.mentions) {
                if !actors.iter().any(|a| a.eq_ignore_ascii_case(n)) {
                    actors.push(n.clone());
                }
            }
        }
        let mut attack: BTreeSet<String> = BTreeSet::new();
        for e in &intel.entities {
            if matches!(
                e.kind,
                EntityKind::Actor | EntityKind::Malware | EntityKind::Tool
            ) && is_attack_id(&e.id)
            {
                attack.insert(e.id.clone());
            }
        }
        attack.extend(
            intel
                .techniques
                .iter()
                .map(|t| t.id.clone())
                .filter(|id| is_attack_id(id)),
        );
        attack.extend(
            intel
                .items
                .iter()
                .filter(|i| i.ioc.kind == IocKind::Attack && is_attack_id(&i.ioc.value))
                .map(|i| i.ioc.value.clone()),
        );
        let published = intel
            .sources
            .iter()
            .filter_map(|s| s.date.as_deref())
            .filter(|d| is_date(d))
            .max();
        let mut t = String::from(
            "# Built by `antibody intel` from the sources below. Review before sharing:\n# SUMMARY.md lists what was found, what is hunted and what is not.\n\n[pack]\n",
        );
        let _ = writeln!(t, "name = {}", q(&opts.name));
        let _ = writeln!(t, "version = {}", q(&opts.version));
        let _ = writeln!(t, "description = {}", q(&one_line(&description, 2000)));
        if let Some(p) = published {
            let _ = writeln!(t, "published = {}", q(p));
        }
        if !actors.is_empty() {
            let _ = writeln!(t, "actors = {}", list(&actors));
        }
        if !attack.is_empty() {
            let ids: Vec<String> = attack.into_iter().collect();
            let _ = writeln!(t, "attack = {}", list(&ids));
        }
        for (i, s) in intel.sources.iter().enumerate() {
            let _ = writeln!(t, "\n[[source]]");
            let _ = writeln!(t, "id = {}", q(&self.source_ids[i]));
            let _ = writeln!(t, "title = {}", q(&one_line(&s.title, 300)));
            let _ = writeln!(t, "url = {}", q(&s.url));
            if let Some(p) = &s.publisher {
                let _ = writeln!(t, "publisher = {}", q(&one_line(p, 200)));
            }
            if let Some(d) = s.date.as_deref().filter(|d| is_date(d)) {
                let _ = writeln!(t, "date = {}", q(d));
            }
        }
        t
    }
}

/// Normalises an extracted value into the pack's form for `kind`.
/// Windows and Unix paths become globs that match wherever the evidence is
/// mounted: `C:\Windows\Temp\a.exe` and `%TEMP%\a.exe` → `**/Windows/Temp/a.exe`
/// and `**/a.exe`.
fn pack_value(kind: IndicatorType, value: &str) -> Result<String, String> {
    let value = match kind {
        IndicatorType::FilePath => path_glob(value),
        IndicatorType::FileName => glob_escape(value),
        _ => value.to_string(),
    };
    normalise_value(kind, &value)
}

fn path_glob(path: &str) -> String {
    let p = path.replace('\\', "/");
    let rest = if let Some(var) = p.strip_prefix('%') {
        // `%APPDATA%/x` — the variable's value is unknown.
        var.split_once('%').map(|(_, r)| r).unwrap_or(&p)
    } else if p.len() >= 2 && p.as_bytes()[1] == b':' {
        &p[2..]
    } else if let Some(unc) = p.strip_prefix("//") {
        // `\\server\share\dir` — the share's local path is unknown.
        unc.split_once('/')
            .and_then(|(_, r)| r.split_once('/'))
            .map(|(_, r)| r)
            .unwrap_or(unc)
    } else {
        &p
    };
    let rest = rest.trim_start_matches('/');
    format!("**/{}", glob_escape(rest))
}

fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | '{' | '}') {
            out.push('[');
            out.push(c);
            out.push(']');
        } else {
            out.push(c);
        }
    }
    out
}

fn unique_source_ids(intel: &Intel) -> Vec<String> {
    let mut used = BTreeSet::new();
    intel
        .sources
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut base = slug(&s.id, 40);
            if base.is_empty() {
                base = format!("source-{}", i + 1);
            }
            let mut id = base.clone();
            let mut n = 2;
            while !used.insert(id.clone()) {
                id = format!("{base}-{n}");
                n += 1;
            }
            id
        })
        .collect()
}

/// The rule's own name: YARA rule name, Sigma title.
fn rule_name(kind: IocKind, text: &str) -> String {
    match kind {
        IocKind::YaraRule => text
            .split_whitespace()
            .skip_while(|w| *w != "rule")
            .nth(1)
            .map(|n| n.trim_end_matches(['{', ':']).to_string())
            .unwrap_or_else(|| "rule".into()),
        IocKind::SigmaRule => text
            .lines()
            .find_map(|l| l.strip_prefix("title:"))
            .map(|t| t.trim().trim_matches(['"', '\'']).to_string())
            .unwrap_or_else(|| "sigma".into()),
        _ => kind.as_str().into(),
    }
}

fn names_of(intel: &Intel, kind: EntityKind) -> Vec<String> {
    intel
        .entities
        .iter()
        .filter(|e| e.kind == kind)
        .map(|e| e.name.clone())
        .collect()
}

fn contains_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

fn is_date(d: &str) -> bool {
    let b = d.as_bytes();
    (b.len() == 10 || b.len() == 7)
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
}

/// `s` on one line (whitespace collapsed), at most `max` characters.
pub fn one_line(s: &str, max: usize) -> String {
    let mut out = String::new();
    for (n, w) in s.split_whitespace().enumerate() {
        if n > 0 {
            out.push(' ');
        }
        out.push_str(w);
    }
    if out.chars().count() > max {
        let cut: String = out.chars().take(max.saturating_sub(1)).collect();
        return format!("{cut}…");
    }
    out
}

fn summary(intel: &Intel, opts: &PackOptions, plan: &Plan, out: &PackOutcome) -> String {
    crate::summary::render(intel, opts, &plan.source_ids, out)
}
