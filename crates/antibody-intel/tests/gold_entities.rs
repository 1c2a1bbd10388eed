//! Entities and techniques against the gold set: every document in
//! `tests/gold/` runs through `Recogniser::shared().recognise`, and the
//! (kind, id) pairs found are compared with the expected file's
//! `[entities]`, the technique ids with its `[techniques].ids`.
//!
//! Scored over the whole set, per entity kind and for techniques:
//! TP = found ∩ expected, FP = found − expected, FN = expected − found.
//! Names (actor, malware, tool, organisation, country) must reach precision
//! and recall of 0.97; sectors, topics and techniques, read from prose,
//! 0.90. Every figure is printed; on failure every FP (with the sentence
//! that gave it) and every FN is listed with its document.

use antibody_intel::EntityKind;
use antibody_intel::attack;
use antibody_intel::entities::Recogniser;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Threshold for names.
const NAMES: f64 = 0.97;
/// Threshold for what is read from prose.
const PROSE: f64 = 0.90;

/// Scored rows, in report order, with their thresholds.
const ROWS: [(&str, f64); 8] = [
    ("actor", NAMES),
    ("malware", NAMES),
    ("tool", NAMES),
    ("organisation", NAMES),
    ("country", NAMES),
    ("sector", PROSE),
    ("topic", PROSE),
    ("technique", PROSE),
];

/// The part of an expected file scored here (indicators are scored by
/// `tests/gold.rs`).
#[derive(Debug, Default, Deserialize)]
struct Expected {
    #[serde(default)]
    entities: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    techniques: Techniques,
}

#[derive(Debug, Default, Deserialize)]
struct Techniques {
    #[serde(default)]
    ids: Vec<String>,
}

/// One document with what it should yield, by row name.
struct Doc {
    name: String,
    text: String,
    expected: BTreeMap<&'static str, BTreeSet<String>>,
}

/// A wrong or missing value.
struct Miss {
    doc: String,
    id: String,
    /// The sentence that gave a false positive; empty for a miss.
    sentence: String,
}

/// Counts for one row over the whole set.
#[derive(Default)]
struct Score {
    expected: usize,
    tp: usize,
    fp: Vec<Miss>,
    fn_: Vec<Miss>,
}

impl Score {
    /// Precision; 1.0 when nothing was found.
    fn precision(&self) -> f64 {
        let found = self.tp + self.fp.len();
        if found == 0 {
            1.0
        } else {
            self.tp as f64 / found as f64
        }
    }

    /// Recall; 1.0 when nothing was expected.
    fn recall(&self) -> f64 {
        if self.expected == 0 {
            1.0
        } else {
            self.tp as f64 / self.expected as f64
        }
    }
}

fn gold_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/gold")
}

fn kind_of(row: &str) -> Option<EntityKind> {
    Some(match row {
        "actor" => EntityKind::Actor,
        "malware" => EntityKind::Malware,
        "tool" => EntityKind::Tool,
        "organisation" => EntityKind::Organisation,
        "country" => EntityKind::Country,
        "sector" => EntityKind::Sector,
        "topic" => EntityKind::Topic,
        _ => return None,
    })
}

/// Every document with its expectations; a problem names the file.
fn load(dir: &Path) -> Result<Vec<Doc>, String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "txt" || e == "md"))
        .collect();
    paths.sort();
    let mut docs = Vec::new();
    for path in paths {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{name}: {e}"))?;
        let spec = std::fs::read_to_string(path.with_extension("toml"))
            .map_err(|e| format!("{name}: expected file: {e}"))?;
        let raw: Expected =
            toml::from_str(&spec).map_err(|e| format!("{name}: malformed expected file: {e}"))?;
        let mut expected: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
        for (key, ids) in &raw.entities {
            let Some(&(row, _)) = ROWS.iter().find(|(r, _)| r == key && *r != "technique") else {
                return Err(format!("{name}: unknown entity kind `{key}`"));
            };
            expected.entry(row).or_default().extend(ids.iter().cloned());
        }
        expected
            .entry("technique")
            .or_default()
            .extend(raw.techniques.ids.iter().cloned());
        docs.push(Doc {
            name,
            text,
            expected,
        });
    }
    Ok(docs)
}

/// Scores every document; rows keyed by name.
fn score(docs: &[Doc]) -> BTreeMap<&'static str, Score> {
    let recogniser = Recogniser::shared();
    let mut scores: BTreeMap<&'static str, Score> =
        ROWS.iter().map(|&(r, _)| (r, Score::default())).collect();
    for doc in docs {
        let got = recogniser.recognise(&doc.text);
        for &(row, _) in &ROWS {
            // Found ids with the sentence that gave each.
            let found: BTreeMap<String, String> = match kind_of(row) {
                Some(kind) => got
                    .entities
                    .iter()
                    .filter(|e| e.kind == kind)
                    .map(|e| (e.id.clone(), e.sentence.clone()))
                    .collect(),
                None => got
                    .techniques
                    .iter()
                    .map(|t| (t.id.clone(), format!("{} [{}]", t.sentence, t.evidence)))
                    .collect(),
            };
            let empty = BTreeSet::new();
            let expected = doc.expected.get(row).unwrap_or(&empty);
            let s = scores.get_mut(row).expect("every row is scored");
            s.expected += expected.len();
            for (id, sentence) in &found {
                if expected.contains(id) {
                    s.tp += 1;
                } else {
                    s.fp.push(Miss {
                        doc: doc.name.clone(),
                        id: id.clone(),
                        sentence: sentence.clone(),
                    });
                }
            }
            for id in expected.iter().filter(|id| !found.contains_key(*id)) {
                s.fn_.push(Miss {
                    doc: doc.name.clone(),
                    id: id.clone(),
                    sentence: String::new(),
                });
            }
        }
    }
    scores
}

fn table(scores: &BTreeMap<&'static str, Score>) -> String {
    let mut out = format!(
        "{:<13} {:>8} {:>5} {:>5} {:>5} {:>9} {:>7} {:>9}\n",
        "kind", "expected", "TP", "FP", "FN", "precision", "recall", "threshold"
    );
    for &(row, min) in &ROWS {
        let s = &scores[row];
        let _ = writeln!(
            out,
            "{:<13} {:>8} {:>5} {:>5} {:>5} {:>9.3} {:>7.3} {:>9.2}",
            row,
            s.expected,
            s.tp,
            s.fp.len(),
            s.fn_.len(),
            s.precision(),
            s.recall(),
            min
        );
    }
    out
}

fn details(scores: &BTreeMap<&'static str, Score>) -> String {
    let mut out = String::new();
    for &(row, _) in &ROWS {
        let s = &scores[row];
        for m in &s.fp {
            let _ = writeln!(out, "FP {row} {} in {}: {}", m.id, m.doc, m.sentence);
        }
        for m in &s.fn_ {
            let _ = writeln!(out, "FN {row} {} in {}", m.id, m.doc);
        }
    }
    out
}

#[test]
fn recogniser_meets_the_gold_set() {
    let docs = load(&gold_dir()).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        docs.len() >= 20,
        "only {} gold documents: too few to measure",
        docs.len()
    );
    let scores = score(&docs);
    println!(
        "entities and techniques over {} documents:\n{}",
        docs.len(),
        table(&scores)
    );
    let failing: Vec<String> = ROWS
        .iter()
        .filter(|&&(row, min)| {
            let s = &scores[row];
            s.precision() < min || s.recall() < min
        })
        .map(|&(row, min)| {
            let s = &scores[row];
            format!(
                "{row}: precision {:.3}, recall {:.3} (need {min:.2})",
                s.precision(),
                s.recall()
            )
        })
        .collect();
    assert!(
        failing.is_empty(),
        "{}\n{}\n{}",
        failing.join("\n"),
        table(&scores),
        details(&scores)
    );
}

#[test]
fn expected_ids_are_well_formed() {
    // An id the recogniser could never emit would be a permanent miss:
    // actors must be ATT&CK groups, malware and tools ATT&CK software,
    // techniques ATT&CK techniques, countries ISO alpha-2 codes.
    let table = attack::table();
    let docs = load(&gold_dir()).unwrap_or_else(|e| panic!("{e}"));
    for doc in &docs {
        for (row, ids) in &doc.expected {
            for id in ids {
                let ok = match *row {
                    "actor" => table.group(id).is_some(),
                    "malware" | "tool" => table.software(id).is_some(),
                    "technique" => table.technique(id).is_some(),
                    "country" => id.len() == 2 && id.bytes().all(|b| b.is_ascii_uppercase()),
                    _ => {
                        !id.is_empty()
                            && id
                                .bytes()
                                .all(|b| b.is_ascii_lowercase() || b == b'-' || b.is_ascii_digit())
                    }
                };
                assert!(ok, "{}: {row} `{id}` is not a valid id", doc.name);
            }
        }
    }
}

#[test]
fn scoring_counts_hits_false_positives_and_misses() {
    let doc = Doc {
        name: "synthetic".into(),
        text: "APT29 used WellMess against healthcare organisations. Fancy Bear was not involved."
            .into(),
        expected: BTreeMap::from([
            ("actor", BTreeSet::from(["G0016".to_string()])),
            (
                "malware",
                BTreeSet::from(["S0514".to_string(), "S0516".to_string()]),
            ),
        ]),
    };
    let s = score(std::slice::from_ref(&doc));
    assert_eq!(s["actor"].tp, 1);
    assert_eq!(s["actor"].fp.len(), 1, "Fancy Bear is G0007, not expected");
    assert!(s["actor"].fp[0].sentence.contains("Fancy Bear"));
    assert_eq!(s["malware"].tp, 1);
    assert_eq!(s["malware"].fn_.len(), 1);
    assert_eq!(s["malware"].fn_[0].id, "S0516");
    assert_eq!(s["sector"].fp.len(), 1, "healthcare found, none expected");
    assert!((s["malware"].recall() - 0.5).abs() < 1e-9);
    assert!((s["actor"].precision() - 0.5).abs() < 1e-9);
}
