#![no_main]
// Sigma rules: the input (if UTF-8) as a rule file through `parse_text`,
// every rule that compiles evaluated against an event holding each field it
// names (valued with the input's last line), and the input as a condition
// over fixed search identifiers, evaluated both ways.
use antibody_logs::event::{Event, Format, Position};
use antibody_logs::mapping::Mapping;
use antibody_logs::sigma::condition;
use antibody_logs::sigma::rule::{Document, parse_text};
use antibody_logs::sigma::ruleset::{Route, RuleSet};
use std::path::Path;

const NAMES: [&str; 6] = [
    "sel",
    "selection_1",
    "selection_2",
    "filter",
    "_hidden",
    "keywords",
];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = parse_text(text, Path::new("fuzz.yml"), &Default::default());
    for e in parsed.errors.iter().chain(&parsed.warnings) {
        assert_eq!(e.file, Path::new("fuzz.yml"));
        let _ = e.to_string();
    }
    let mut rules = Vec::new();
    let mut filters = Vec::new();
    for d in parsed.documents {
        match d {
            Document::Rule(r) => rules.push(*r),
            Document::Filter(f) => filters.push(*f),
            Document::Correlation(..) => {}
        }
    }
    if !rules.is_empty() {
        let value: String = text
            .lines()
            .last()
            .unwrap_or("")
            .chars()
            .take(256)
            .collect();
        let mut event = Event::new(Format::JsonLines, Position::Line(1));
        for r in &rules {
            for s in &r.detection.searches {
                for m in s.matchers() {
                    if let Some(f) = &m.field_display {
                        event.push(f.clone(), value.as_str());
                    }
                }
            }
        }
        event.push("EventID", 1);
        let n = rules.len();
        let nf = filters.len();
        let (set, _) = RuleSet::new(rules, filters, Mapping::default());
        let route = Route {
            rules: (0..n).collect(),
            filters: (0..nf).collect(),
            aliases: Vec::new(),
        };
        for i in set.evaluate(&event, &route) {
            assert!(i < n);
            let _ = set.matched_fields(i, &event);
        }
    }

    let names: Vec<String> = NAMES.iter().map(|s| s.to_string()).collect();
    if let Ok(expr) = condition::parse(text, &names) {
        let mut ids = Vec::new();
        expr.searches(&mut ids);
        assert!(ids.iter().all(|&i| i < names.len()), "{ids:?}");
        let yes = expr.eval(&mut |i| i % 2 == 0);
        let no = expr.eval(&mut |i| i % 2 == 1);
        let _ = (yes, no);
    }
});
