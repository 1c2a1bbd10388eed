//! The gold set: hand-written advisories in `tests/gold/` (`NN-slug.txt` or
//! `NN-slug.md`), each with an `NN-slug.toml` listing what a perfect
//! extractor returns under the extraction conventions.
//!
//! The extractor runs on every document and is scored per indicator kind
//! over the whole set:
//! - emitted hostile = returned indicators without a flag;
//! - TP = emitted hostile ∩ `[indicators]`, FP = emitted hostile − expected,
//!   FN = expected − emitted hostile;
//! - rule kinds (YARA, Sigma, Snort) are compared by identity: the YARA rule
//!   name, the Sigma `title:`, the Snort/Suricata `sid:`, parsed from the
//!   emitted rule text and listed under `[rules]`;
//! - a `[flagged]` value returned without a flag is a false positive and a
//!   failure of its own; a flagged value not returned at all is only
//!   reported.
//!
//! Every kind with expected values must reach precision and recall of at
//! least 0.97. `[entities]` and `[techniques]` are checked for form here and
//! scored elsewhere.

use antibody_intel::extract::Extractor;
use antibody_intel::{Ioc, IocKind};
use regex::Regex;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Lowest precision and recall accepted for any kind with expected values.
const THRESHOLD: f64 = 0.97;
/// Smallest gold set that measures anything.
const MIN_DOCUMENTS: usize = 30;

/// Entity kinds an expected file may list (ids are scored by another test).
const ENTITY_KINDS: [&str; 7] = [
    "actor",
    "malware",
    "tool",
    "organisation",
    "country",
    "sector",
    "topic",
];

/// An expected file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedFile {
    #[serde(default)]
    indicators: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    flagged: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    rules: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    entities: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    techniques: Techniques,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Techniques {
    #[serde(default)]
    ids: Vec<String>,
}

/// One gold document with its expectations, keyed by kind, values in
/// canonical form (rules by identity).
#[derive(Debug, Default)]
pub struct GoldDoc {
    /// File name of the document.
    pub name: String,
    /// Its text.
    pub text: String,
    /// Values that must be emitted without a flag.
    pub expected: BTreeMap<IocKind, BTreeSet<String>>,
    /// Values that, if emitted, must carry a flag.
    pub flagged: BTreeMap<IocKind, BTreeSet<String>>,
    /// Entity ids by entity kind.
    pub entities: BTreeMap<String, Vec<String>>,
    /// ATT&CK technique ids.
    pub techniques: Vec<String>,
}

/// The directory holding the gold set.
pub fn gold_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/gold")
}

/// Reads every document and its expected file; any problem is an error
/// naming the file.
pub fn load_gold(dir: &Path) -> Result<Vec<GoldDoc>, String> {
    let mut docs = Vec::new();
    let mut tomls = BTreeSet::new();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .map(|e| {
            e.map(|e| e.path())
                .map_err(|e| format!("{}: {e}", dir.display()))
        })
        .collect::<Result<_, _>>()?;
    paths.sort();
    for path in &paths {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        match ext {
            "toml" => {
                tomls.insert(path.clone());
            }
            "txt" | "md" => {
                let toml_path = path.with_extension("toml");
                let name = file_name(path);
                let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
                let spec = std::fs::read_to_string(&toml_path).map_err(|e| {
                    format!(
                        "{name}: no readable expected file {}: {e}",
                        file_name(&toml_path)
                    )
                })?;
                let doc = parse_expected(&name, text, &file_name(&toml_path), &spec)?;
                docs.push(doc);
            }
            _ => {
                return Err(format!(
                    "{}: not a gold document or expected file",
                    file_name(path)
                ));
            }
        }
    }
    for t in tomls {
        let has_doc = ["txt", "md"].iter().any(|e| t.with_extension(e).exists());
        if !has_doc {
            return Err(format!(
                "{}: expected file without a document",
                file_name(&t)
            ));
        }
    }
    Ok(docs)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Parses one expected file (`toml_name` is used in errors).
pub fn parse_expected(
    doc_name: &str,
    text: String,
    toml_name: &str,
    spec: &str,
) -> Result<GoldDoc, String> {
    let raw: ExpectedFile =
        toml::from_str(spec).map_err(|e| format!("{toml_name}: malformed expected file: {e}"))?;
    let mut doc = GoldDoc {
        name: doc_name.to_string(),
        text,
        ..GoldDoc::default()
    };
    for (section, map, target) in [
        ("indicators", &raw.indicators, &mut doc.expected),
        ("flagged", &raw.flagged, &mut doc.flagged),
    ] {
        for (key, values) in map {
            let kind: IocKind = key
                .parse()
                .map_err(|e| format!("{toml_name}: [{section}] {e}"))?;
            if kind.is_rule() {
                return Err(format!(
                    "{toml_name}: [{section}] `{key}` belongs under [rules]"
                ));
            }
            let set = target.entry(kind).or_default();
            for v in values {
                let c = canonical(kind, v);
                if c != *v {
                    return Err(format!(
                        "{toml_name}: [{section}] {key} value `{v}` is not in canonical form (`{c}`)"
                    ));
                }
                if !set.insert(c) {
                    return Err(format!("{toml_name}: [{section}] {key} lists `{v}` twice"));
                }
            }
        }
    }
    for (key, values) in &raw.rules {
        let kind: IocKind = key
            .parse()
            .map_err(|e| format!("{toml_name}: [rules] {e}"))?;
        if !kind.is_rule() {
            return Err(format!("{toml_name}: [rules] `{key}` is not a rule kind"));
        }
        let set = doc.expected.entry(kind).or_default();
        for v in values {
            if !set.insert(v.clone()) {
                return Err(format!("{toml_name}: [rules] {key} lists `{v}` twice"));
            }
        }
    }
    for (kind, set) in &doc.expected {
        if let Some(both) = doc
            .flagged
            .get(kind)
            .and_then(|f| f.intersection(set).next())
        {
            return Err(format!(
                "{toml_name}: {kind} `{both}` is both expected and flagged"
            ));
        }
    }
    for key in raw.entities.keys() {
        if !ENTITY_KINDS.contains(&key.as_str()) {
            return Err(format!(
                "{toml_name}: [entities] unknown entity kind `{key}`"
            ));
        }
    }
    let technique = Regex::new(r"^T\d{4}(\.\d{3})?$").expect("technique pattern");
    for id in &raw.techniques.ids {
        if !technique.is_match(id) {
            return Err(format!(
                "{toml_name}: [techniques] `{id}` is not a technique id"
            ));
        }
    }
    doc.entities = raw.entities;
    doc.techniques = raw.techniques.ids;
    Ok(doc)
}

/// The canonical form of a value, as the conventions define it, so that a
/// value differing only in spelling (`HKLM` or case of hex) compares equal.
/// Values it cannot read are returned unchanged.
pub fn canonical(kind: IocKind, value: &str) -> String {
    match kind {
        IocKind::Ipv4 => value
            .parse::<Ipv4Addr>()
            .map(|a| a.to_string())
            .unwrap_or_else(|_| value.to_string()),
        IocKind::Ipv6 => value
            .parse::<Ipv6Addr>()
            .map(|a| a.to_string())
            .unwrap_or_else(|_| value.to_string()),
        IocKind::Cidr => value
            .parse::<ipnet::IpNet>()
            .map(|n| n.trunc().to_string())
            .unwrap_or_else(|_| value.to_string()),
        IocKind::Domain => value.trim_end_matches('.').to_ascii_lowercase(),
        IocKind::Md5
        | IocKind::Sha1
        | IocKind::Sha256
        | IocKind::Sha512
        | IocKind::Ja3
        | IocKind::Ja4
        | IocKind::X509Fingerprint => value.to_ascii_lowercase(),
        IocKind::Cve | IocKind::Attack => value.to_ascii_uppercase(),
        IocKind::Registry => expand_hive(value),
        IocKind::Email => match value.rsplit_once('@') {
            Some((local, domain)) => format!("{local}@{}", domain.to_ascii_lowercase()),
            None => value.to_string(),
        },
        IocKind::Url => lowercase_scheme_and_host(value),
        _ => value.to_string(),
    }
}

fn lowercase_scheme_and_host(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (host, tail) = rest.split_at(end);
    format!(
        "{}://{}{tail}",
        scheme.to_ascii_lowercase(),
        host.to_ascii_lowercase()
    )
}

fn expand_hive(value: &str) -> String {
    let (hive, rest) = value.split_once('\\').unwrap_or((value, ""));
    let full = match hive.to_ascii_uppercase().as_str() {
        "HKLM" => "HKEY_LOCAL_MACHINE",
        "HKCU" => "HKEY_CURRENT_USER",
        "HKCR" => "HKEY_CLASSES_ROOT",
        "HKU" => "HKEY_USERS",
        "HKCC" => "HKEY_CURRENT_CONFIG",
        _ => hive,
    };
    if rest.is_empty() {
        full.to_string()
    } else {
        format!("{full}\\{rest}")
    }
}

/// The identity a rule is compared by: YARA rule name, Sigma title, Snort
/// sid. `None` when the text has none (not a valid rule block).
pub fn rule_identity(kind: IocKind, text: &str) -> Option<String> {
    static YARA: OnceLock<Regex> = OnceLock::new();
    static SIGMA: OnceLock<Regex> = OnceLock::new();
    static SNORT: OnceLock<Regex> = OnceLock::new();
    let re = match kind {
        IocKind::YaraRule => YARA.get_or_init(|| {
            Regex::new(r"(?m)^\s*(?:(?:private|global)\s+)*rule\s+([A-Za-z_][A-Za-z0-9_]*)")
                .expect("yara pattern")
        }),
        IocKind::SigmaRule => SIGMA.get_or_init(|| {
            Regex::new(r"(?m)^\s*title:[ \t]*(.*?)[ \t]*$").expect("sigma pattern")
        }),
        IocKind::SnortRule => {
            SNORT.get_or_init(|| Regex::new(r"\bsid\s*:\s*(\d+)\s*;").expect("snort pattern"))
        }
        _ => return None,
    };
    let id = re.captures(text)?.get(1)?.as_str();
    let id = id.trim_matches(|c| c == '"' || c == '\'').trim();
    (!id.is_empty()).then(|| id.to_string())
}

/// What an extractor emitted for a document, reduced to comparable values.
#[derive(Debug, Default)]
pub struct Emitted {
    /// Values emitted without a flag.
    pub hostile: BTreeMap<IocKind, BTreeSet<String>>,
    /// Values emitted with a flag.
    pub flagged: BTreeMap<IocKind, BTreeSet<String>>,
}

/// Reduces extractor output: canonical values, rules by identity (a rule
/// whose identity cannot be read is kept whole, so it counts as a false
/// positive).
pub fn reduce(iocs: &[Ioc]) -> Emitted {
    let mut out = Emitted::default();
    for ioc in iocs {
        let value = if ioc.kind.is_rule() {
            rule_identity(ioc.kind, &ioc.value).unwrap_or_else(|| ioc.value.clone())
        } else {
            canonical(ioc.kind, &ioc.value)
        };
        let target = if ioc.flag.is_none() {
            &mut out.hostile
        } else {
            &mut out.flagged
        };
        target.entry(ioc.kind).or_default().insert(value);
    }
    out
}

/// Counts for one kind over the set, with the values behind them.
#[derive(Debug, Default, Clone)]
pub struct KindScore {
    /// Expected values.
    pub expected: usize,
    /// Expected and emitted hostile.
    pub tp: Vec<(String, String)>,
    /// Emitted hostile, not expected: (document, value).
    pub fp: Vec<(String, String)>,
    /// Expected, not emitted hostile: (document, value).
    pub fn_: Vec<(String, String)>,
    /// Flagged values emitted without a flag: (document, value).
    pub unflagged: Vec<(String, String)>,
    /// Flagged values emitted with a flag.
    pub flagged_found: usize,
    /// Flagged values not emitted at all.
    pub flagged_missed: usize,
}

impl KindScore {
    /// TP / (TP + FP); 1.0 when nothing was emitted.
    pub fn precision(&self) -> f64 {
        let emitted = self.tp.len() + self.fp.len();
        if emitted == 0 {
            1.0
        } else {
            self.tp.len() as f64 / emitted as f64
        }
    }
    /// TP / expected; 1.0 when nothing was expected.
    pub fn recall(&self) -> f64 {
        if self.expected == 0 {
            1.0
        } else {
            self.tp.len() as f64 / self.expected as f64
        }
    }
}

/// Adds one document's comparison to the per-kind scores.
pub fn score_doc(doc: &GoldDoc, emitted: &Emitted, scores: &mut BTreeMap<IocKind, KindScore>) {
    let empty = BTreeSet::new();
    for kind in IocKind::ALL {
        let exp = doc.expected.get(&kind).unwrap_or(&empty);
        let flg = doc.flagged.get(&kind).unwrap_or(&empty);
        let hostile = emitted.hostile.get(&kind).unwrap_or(&empty);
        let flagged_out = emitted.flagged.get(&kind).unwrap_or(&empty);
        let s = scores.entry(kind).or_default();
        s.expected += exp.len();
        for v in hostile {
            let pair = (doc.name.clone(), v.clone());
            if exp.contains(v) {
                s.tp.push(pair);
            } else {
                if flg.contains(v) {
                    s.unflagged.push(pair.clone());
                }
                s.fp.push(pair);
            }
        }
        for v in exp.difference(hostile) {
            s.fn_.push((doc.name.clone(), v.clone()));
        }
        for v in flg {
            if flagged_out.contains(v) {
                s.flagged_found += 1;
            } else if !hostile.contains(v) {
                s.flagged_missed += 1;
            }
        }
    }
}

/// The table of per-kind counts, precision and recall.
pub fn table(scores: &BTreeMap<IocKind, KindScore>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<17} {:>8} {:>5} {:>5} {:>5} {:>9} {:>7} {:>11}",
        "kind", "expected", "TP", "FP", "FN", "precision", "recall", "flagged ok/missed/unflagged"
    );
    for (kind, s) in scores {
        let _ = writeln!(
            out,
            "{:<17} {:>8} {:>5} {:>5} {:>5} {:>9.3} {:>7.3} {:>5}/{}/{}",
            kind.as_str(),
            s.expected,
            s.tp.len(),
            s.fp.len(),
            s.fn_.len(),
            s.precision(),
            s.recall(),
            s.flagged_found,
            s.flagged_missed,
            s.unflagged.len()
        );
    }
    out
}

/// Kinds below the threshold and flagged values emitted unflagged, each a
/// line; empty when the set passes.
pub fn failures(scores: &BTreeMap<IocKind, KindScore>) -> Vec<String> {
    let mut out = Vec::new();
    for (kind, s) in scores {
        if s.expected > 0 && (s.precision() < THRESHOLD || s.recall() < THRESHOLD) {
            out.push(format!(
                "{kind}: precision {:.3}, recall {:.3} (need {THRESHOLD})",
                s.precision(),
                s.recall()
            ));
        }
        for (doc, v) in &s.unflagged {
            out.push(format!(
                "{kind}: flagged value `{v}` emitted without a flag in {doc}"
            ));
        }
    }
    out
}

fn details(scores: &BTreeMap<IocKind, KindScore>) -> String {
    let mut out = String::new();
    for (kind, s) in scores {
        for (doc, v) in &s.fp {
            let _ = writeln!(out, "FP {kind:<16} {doc}: {}", one_line(v));
        }
        for (doc, v) in &s.fn_ {
            let _ = writeln!(out, "FN {kind:<16} {doc}: {v}");
        }
    }
    out
}

fn one_line(v: &str) -> String {
    let first = v.lines().next().unwrap_or("");
    if first.len() < v.len() {
        format!("{first} [...]")
    } else {
        v.to_string()
    }
}

fn load() -> Vec<GoldDoc> {
    load_gold(&gold_dir()).unwrap_or_else(|e| panic!("gold set unreadable: {e}"))
}

#[test]
fn gold_set_is_complete() {
    let docs = load();
    assert!(
        docs.len() >= MIN_DOCUMENTS,
        "{} gold documents, need at least {MIN_DOCUMENTS}",
        docs.len()
    );
    let mut per_kind: BTreeMap<IocKind, usize> = BTreeMap::new();
    for d in &docs {
        for (k, v) in &d.expected {
            *per_kind.entry(*k).or_default() += v.len();
        }
    }
    let missing: Vec<&str> = IocKind::ALL
        .iter()
        .filter(|k| per_kind.get(k).copied().unwrap_or(0) == 0)
        .map(|k| k.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "kinds with no expected value in the gold set: {missing:?}"
    );
    for d in &docs {
        assert!(
            !d.entities.is_empty() || !d.techniques.is_empty(),
            "{}: lists neither entities nor techniques",
            d.name
        );
    }
}

#[test]
fn extractor_meets_the_gold_set() {
    let docs = load();
    let extractor = Extractor::new(Default::default());
    let mut scores = BTreeMap::new();
    for doc in &docs {
        let emitted = reduce(&extractor.extract(&doc.text));
        score_doc(doc, &emitted, &mut scores);
    }
    let table = table(&scores);
    println!("{table}");
    let failed = failures(&scores);
    assert!(
        failed.is_empty(),
        "gold set not met:\n{table}\n{}\n{}",
        failed.join("\n"),
        details(&scores)
    );
}

#[test]
fn rule_identities_are_read_from_rule_text() {
    let yara = "private rule Foo_Bar\n{\n condition:\n  true\n}";
    assert_eq!(
        rule_identity(IocKind::YaraRule, yara).as_deref(),
        Some("Foo_Bar")
    );
    let sigma = "title: 'Odd Child Process'\nid: 1\ndetection:\n  condition: x";
    assert_eq!(
        rule_identity(IocKind::SigmaRule, sigma).as_deref(),
        Some("Odd Child Process")
    );
    let snort = "alert tcp any any -> any any (msg:\"x\"; sid: 4000611; rev:2;)";
    assert_eq!(
        rule_identity(IocKind::SnortRule, snort).as_deref(),
        Some("4000611")
    );
    assert_eq!(
        rule_identity(
            IocKind::SnortRule,
            "alert tcp any any -> any any (msg:\"x\";)"
        ),
        None
    );
}

#[test]
fn canonical_forms_follow_the_conventions() {
    assert_eq!(canonical(IocKind::Cidr, "10.1.2.3/8"), "10.0.0.0/8");
    assert_eq!(canonical(IocKind::Ipv6, "2001:DB8:0:0::1"), "2001:db8::1");
    assert_eq!(
        canonical(IocKind::Registry, "HKLM\\Software\\X"),
        "HKEY_LOCAL_MACHINE\\Software\\X"
    );
    assert_eq!(
        canonical(IocKind::Email, "Bob.X@EVIL.top"),
        "Bob.X@evil.top"
    );
    assert_eq!(canonical(IocKind::Md5, "ABCDEF"), "abcdef");
    assert_eq!(
        canonical(IocKind::Url, "HTTP://Evil.TOP/A?B"),
        "http://evil.top/A?B"
    );
    assert_eq!(canonical(IocKind::FileName, "Invoice.PDF"), "Invoice.PDF");
}

fn ioc(kind: IocKind, value: &str, flag: Option<antibody_intel::Flag>) -> Ioc {
    Ioc {
        kind,
        value: value.to_string(),
        raw: value.to_string(),
        offset: 0,
        defanged: false,
        confidence: 1.0,
        flag,
        sentence: String::new(),
    }
}

#[test]
fn scoring_counts_hits_misses_and_unflagged_values() {
    let spec = "[indicators]\nipv4 = [\"45.120.156.69\", \"103.216.221.19\"]\n[flagged]\nipv4 = [\"10.1.1.1\", \"192.0.2.1\"]\n[rules]\nsnort_rule = [\"7\"]\n";
    let doc = parse_expected("a.txt", String::new(), "a.toml", spec).expect("valid spec");
    let emitted = reduce(&[
        ioc(IocKind::Ipv4, "45.120.156.69", None),
        ioc(IocKind::Ipv4, "8.8.8.8", None),
        ioc(IocKind::Ipv4, "10.1.1.1", None),
        ioc(
            IocKind::SnortRule,
            "alert ip any any -> any any (msg:\"m\"; sid:7; rev:1;)",
            None,
        ),
    ]);
    let mut scores = BTreeMap::new();
    score_doc(&doc, &emitted, &mut scores);
    let s = &scores[&IocKind::Ipv4];
    assert_eq!(
        (s.expected, s.tp.len(), s.fp.len(), s.fn_.len()),
        (2, 1, 2, 1)
    );
    assert_eq!(
        s.unflagged,
        vec![("a.txt".to_string(), "10.1.1.1".to_string())]
    );
    assert_eq!(s.flagged_missed, 1);
    assert_eq!(scores[&IocKind::SnortRule].tp.len(), 1);
    assert!(failures(&scores).iter().any(|f| f.contains("10.1.1.1")));
}

#[test]
fn malformed_expected_files_are_named() {
    for (spec, needle) in [
        (
            "[indicators]\nipv5 = [\"1.2.3.4\"]\n",
            "unknown indicator type `ipv5`",
        ),
        ("[indicators]\nmd5 = [\"ABC\"]\n", "not in canonical form"),
        (
            "[indicators]\nyara_rule = [\"X\"]\n",
            "belongs under [rules]",
        ),
        ("[surprise]\n", "malformed expected file"),
        ("[techniques]\nids = [\"G0016\"]\n", "not a technique id"),
        (
            "[indicators]\nipv4 = [\"1.1.1.1\"]\n[flagged]\nipv4 = [\"1.1.1.1\"]\n",
            "both expected and flagged",
        ),
    ] {
        let err = parse_expected("b.txt", String::new(), "b.toml", spec).expect_err(spec);
        assert!(err.starts_with("b.toml: ") && err.contains(needle), "{err}");
    }
}
