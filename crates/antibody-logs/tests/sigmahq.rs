//! The SigmaHQ rule set and its regression samples (`../shared/data/sigma`,
//! DRL 1.1), when present beside the repository: how many rules load, and
//! how many samples fire the rule they were recorded for. Both figures must
//! not drop below those recorded in `bench/RESULTS.md`.

use antibody_core::{Engine, Item, Kind, Location, VecSink, sniff};
use antibody_logs::mapping::Mapping;
use antibody_logs::sigma::yaml::parse_documents;
use antibody_logs::{LogOptions, LogsEngineBuilder};
use std::path::{Path, PathBuf};

fn sigma_root() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/sigma");
    root.join("rules").is_dir().then_some(root)
}

/// A figure recorded in bench/RESULTS.md as `<!-- key: value -->`.
fn recorded(key: &str) -> f64 {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/RESULTS.md"),
    )
    .expect("bench/RESULTS.md");
    let tag = format!("<!-- {key}: ");
    let start = text
        .find(&tag)
        .unwrap_or_else(|| panic!("bench/RESULTS.md records no `{key}`"))
        + tag.len();
    let end = text[start..].find(" -->").expect("closing -->") + start;
    text[start..end].trim().parse().expect("a number")
}

const RULE_DIRS: [&str; 3] = ["rules", "rules-emerging-threats", "rules-threat-hunting"];

#[test]
fn sigmahq_rules_load_and_fire_on_their_samples() {
    let Some(root) = sigma_root() else {
        eprintln!("SigmaHQ data not present beside the repository: nothing to measure");
        return;
    };
    let mut b = LogsEngineBuilder::new(Mapping::builtin(), LogOptions::default());
    for d in RULE_DIRS {
        b.add_path(&root.join(d), "sigmahq").unwrap();
    }
    let started = std::time::Instant::now();
    let (engine, report) = b.build(&[]);
    let load_time = started.elapsed();
    let total = report.loaded + report.errors.len();
    let share = report.loaded as f64 * 100.0 / total as f64;
    for e in &report.errors {
        eprintln!("{e}");
    }
    eprintln!(
        "SigmaHQ: {} of {total} rules loaded ({share:.2}%), {} rejected, built in {load_time:?}",
        report.loaded,
        report.errors.len()
    );
    assert!(
        share >= recorded("sigmahq-load-percent"),
        "the share of loaded SigmaHQ rules dropped to {share:.2}%"
    );

    // Every regression sample must fire the rule its info.yml names.
    let mut infos = Vec::new();
    let mut stack = vec![root.join("regression_data")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n == "info.yml") {
                infos.push(p);
            }
        }
    }
    infos.sort();
    let (mut tested, mut fired, mut missed) = (0, 0, Vec::new());
    for info in &infos {
        let doc = parse_documents(&std::fs::read_to_string(info).unwrap())
            .unwrap()
            .remove(0);
        let id = doc
            .get("rule_metadata")
            .and_then(|m| m.as_seq())
            .and_then(|m| m[0].get("id"))
            .and_then(|n| n.as_str())
            .unwrap()
            .to_string();
        // A few samples are raw device logs with their test commented out.
        let Some(tests) = doc.get("regression_tests_info").and_then(|t| t.as_seq()) else {
            continue;
        };
        let mut hit = false;
        let mut samples = 0;
        for t in tests {
            let Some(rel) = t.get("path").and_then(|p| p.as_str()) else {
                continue;
            };
            let path = root.join(rel);
            let data = std::fs::read(&path).unwrap();
            let kind = sniff(&data[..data.len().min(4096)]);
            if kind != Kind::Evtx {
                continue;
            }
            samples += 1;
            let loc = Location::file(path.display().to_string());
            let sink = VecSink::new();
            let _ = engine.hunt(
                &Item {
                    location: &loc,
                    kind,
                    data: &data,
                },
                &sink,
            );
            engine.finish(&sink);
            let (findings, _) = sink.take();
            hit |= findings.iter().any(|f| f.rule.id == id);
        }
        if samples == 0 {
            continue;
        }
        tested += 1;
        if hit {
            fired += 1;
        } else {
            missed.push(
                info.parent()
                    .unwrap()
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
    eprintln!(
        "SigmaHQ regression samples: {fired} of {} fired their rule; missed: {missed:?}",
        tested
    );
    assert!(
        fired as f64 >= recorded("sigmahq-regression-fired"),
        "fewer regression samples fire their rule: {fired}"
    );
}
