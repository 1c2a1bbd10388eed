//! Hunting one item: triage, digests, name indicators, YARA, specialist
//! engines, and archive members (recursively, within limits).

use crate::hash;
use crate::rules::{RuleSet, STRING_RULE_PREFIX};
use antibody_archive::{Budget, Limits};
use antibody_core::pack::{HashAlgo, IndicatorHit, IndicatorIndex};
use antibody_core::{
    Engine, Finding, Item, ItemError, ItemErrorKind, Kind, Location, Match, Observable, RuleRef,
    Sink, Summary, sniff, triage::SNIFF_LEN,
};
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use std::sync::Mutex;

/// Most pattern matches kept in one finding.
const MAX_MATCHES: usize = 10;

/// Everything a worker shares with the others while hunting.
pub(crate) struct Shared<'a> {
    pub rules: &'a RuleSet,
    pub index: &'a IndicatorIndex,
    pub hash_algos: &'a [HashAlgo],
    pub engines: &'a [Box<dyn Engine>],
    pub archive_limits: &'a Limits,
    pub sink: &'a dyn Sink,
    pub summary: &'a Mutex<Summary>,
}

/// Per-worker state: the YARA scanner and its settings.
pub(crate) struct Worker<'a> {
    pub shared: &'a Shared<'a>,
    pub scanner: yara_x::Scanner<'a>,
}

impl<'a> Worker<'a> {
    pub fn new(shared: &'a Shared<'a>, timeout: std::time::Duration) -> Self {
        let mut scanner = yara_x::Scanner::new(shared.rules.rules());
        scanner.set_timeout(timeout).max_matches_per_pattern(64);
        Worker { shared, scanner }
    }

    /// Hunts one top-level file's content; returns its kind.
    pub fn hunt_file(&mut self, loc: &Location, data: &[u8], mtime: Option<DateTime<Utc>>) -> Kind {
        let budget = Budget::new(self.shared.archive_limits);
        self.hunt_item(loc, data, mtime, &budget).0
    }

    fn hunt_item(
        &mut self,
        loc: &Location,
        data: &[u8],
        mtime: Option<DateTime<Utc>>,
        budget: &Budget,
    ) -> (Kind, HashSet<String>) {
        let sh = self.shared;
        let kind = sniff(&data[..data.len().min(SNIFF_LEN)]);
        let specialists: Vec<&dyn Engine> = sh
            .engines
            .iter()
            .map(|e| e.as_ref())
            .filter(|e| e.handles(kind))
            .collect();
        let shown = loc.to_string();
        sh.summary
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .count_item(kind, &shown, data.len() as u64, !specialists.is_empty());

        let mut info = hash::digests(data, sh.hash_algos);
        let mut found = Vec::new();
        for algo in sh.hash_algos {
            let hex = match algo {
                HashAlgo::Md5 => info.md5.as_deref(),
                HashAlgo::Sha1 => info.sha1.as_deref(),
                HashAlgo::Sha256 => info.sha256.as_deref(),
            };
            if let Some(hex) = hex {
                for hit in sh.index.hash(*algo, hex) {
                    let why = format!(
                        "the file's {} {hex} is a published indicator: {}",
                        hit.indicator.kind, hit.indicator.description
                    );
                    found.push(indicator_finding(&hit, loc, why, algo.observable(hex)));
                }
            }
        }
        let leaf = loc.leaf_name();
        for hit in sh.index.file_name(leaf) {
            let why = format!(
                "file name `{leaf}` matches the name indicator `{}`: {}",
                hit.indicator.value, hit.indicator.description
            );
            found.push(indicator_finding(
                &hit,
                loc,
                why,
                Observable::FilePath(shown.clone()),
            ));
        }
        let inner_path = match loc {
            Location::Member { members, .. } => members.last().cloned().unwrap_or_default(),
            _ => shown.clone(),
        };
        for hit in sh.index.file_path(&inner_path) {
            let why = format!(
                "path matches the path indicator `{}`: {}",
                hit.indicator.value, hit.indicator.description
            );
            found.push(indicator_finding(
                &hit,
                loc,
                why,
                Observable::FilePath(shown.clone()),
            ));
        }
        match self.scanner.scan(data) {
            Ok(results) => {
                for rule in results.matching_rules() {
                    if let Some(f) = yara_finding(sh.rules, &rule, loc, "files", 0) {
                        found.push(f);
                    }
                }
            }
            Err(e) => sh.sink.error(scan_error(&shown, &e)),
        }
        for engine in specialists {
            let item = Item {
                location: loc,
                kind,
                data,
            };
            if let Err(e) = engine.hunt(&item, sh.sink) {
                sh.sink.error(e);
            }
        }
        // Content rules that fire inside a member also fire on the
        // container holding it (a tar stores members verbatim; a gzip's
        // member is its whole content). Report them where they are: on the
        // innermost member, not again on every container around it.
        let mut fired_inside = HashSet::new();
        if kind.is_container() {
            let errors = antibody_archive::visit_members(
                kind,
                data,
                loc,
                sh.archive_limits,
                budget,
                &mut |l, b| {
                    let (_, fired) = self.hunt_item(&l, &b, mtime, budget);
                    fired_inside.extend(fired);
                },
            );
            for e in errors {
                sh.sink.error(e);
            }
        }
        found.retain(|f| f.offset.is_none() || !fired_inside.contains(&f.rule.id));
        let mut fired: HashSet<String> = found
            .iter()
            .filter(|f| f.offset.is_some())
            .map(|f| f.rule.id.clone())
            .collect();
        fired.extend(fired_inside);
        // After `fired` is known: a folded string still counts as having
        // fired here, so the containers around this item drop it too.
        fold_string_hits(&mut found);
        if !found.is_empty() {
            hash::complete(&mut info, data, &[HashAlgo::Sha256]);
            for mut f in found {
                if let Some(h) = &info.sha256 {
                    let o = Observable::Sha256(h.clone());
                    if !f.observables.contains(&o) {
                        f.observables.push(o);
                    }
                }
                f.file = Some(info.clone());
                f.timestamp = mtime;
                sh.sink.finding(f);
            }
        }
        (kind, fired)
    }
}

/// Folds string-indicator hits into a pack YARA rule that fired on the same
/// item with at least their severity: one finding that says "also these
/// published strings" is what an analyst wants, not one finding per string.
fn fold_string_hits(found: &mut Vec<Finding>) {
    let is_string = |f: &Finding| f.rule.id.starts_with(STRING_RULE_PREFIX);
    let Some(main) = found
        .iter()
        .enumerate()
        .filter(|(_, f)| f.offset.is_some() && !is_string(f))
        .max_by_key(|(_, f)| f.severity)
        .map(|(i, _)| i)
    else {
        return;
    };
    let severity = found[main].severity;
    let mut folded = Vec::new();
    found.retain(|f| {
        let keep = !(is_string(f) && f.severity <= severity);
        if !keep {
            folded.push(format!("`{}`", &f.rule.id[STRING_RULE_PREFIX.len()..]));
        }
        keep
    });
    if folded.is_empty() {
        return;
    }
    // `retain` may have moved the main finding: find it again.
    if let Some(f) = found
        .iter_mut()
        .filter(|f| f.offset.is_some() && !is_string(f))
        .max_by_key(|f| f.severity)
    {
        f.reason.push_str(&format!(
            "; the pack's string indicators also match: {}",
            folded.join(", ")
        ));
    }
}

/// A finding for a pack indicator that matched an item.
pub(crate) fn indicator_finding(
    hit: &IndicatorHit<'_>,
    loc: &Location,
    reason: String,
    observable: Observable,
) -> Finding {
    let ind = hit.indicator;
    Finding {
        rule: RuleRef {
            id: format!("{}:{}", ind.kind, ind.value),
            name: ind.description.clone(),
            pack: hit.pack.to_string(),
            engine: "files".into(),
            references: hit.reference.map(str::to_string).into_iter().collect(),
            author: None,
        },
        title: match &ind.malware {
            Some(m) => format!("{m}: {} indicator matched", ind.kind),
            None => format!("{} indicator matched", ind.kind),
        },
        reason,
        severity: ind.severity,
        confidence: ind.confidence,
        techniques: ind.attack.clone(),
        location: loc.clone(),
        offset: None,
        matches: Vec::new(),
        observables: vec![observable],
        file: None,
        timestamp: None,
        action: ind
            .action
            .clone()
            .unwrap_or_else(|| hit.default_action.to_string()),
        events: Vec::new(),
    }
}

/// A finding for a matching YARA rule; `base` is added to offsets (the
/// virtual address of a memory chunk, 0 for files).
pub(crate) fn yara_finding(
    rules: &RuleSet,
    rule: &yara_x::Rule<'_, '_>,
    loc: &Location,
    engine: &str,
    base: u64,
) -> Option<Finding> {
    let info = rules.info(rule.namespace(), rule.identifier())?;
    let mut matches = Vec::new();
    let mut patterns = Vec::new();
    for p in rule.patterns() {
        let mut any = false;
        for m in p.matches() {
            any = true;
            if matches.len() < MAX_MATCHES {
                matches.push(Match::new(
                    p.identifier(),
                    base + m.range().start as u64,
                    m.data(),
                ));
            }
        }
        if any {
            patterns.push(p.identifier().to_string());
        }
    }
    let reason = if info.file == "indicators" {
        info.description.clone()
    } else if patterns.is_empty() {
        format!("YARA rule {} matched on its condition", info.id)
    } else {
        format!(
            "YARA rule {} matched {} of its patterns: {}",
            info.id,
            patterns.len(),
            patterns.join(", ")
        )
    };
    Some(Finding {
        rule: RuleRef {
            id: info.id.clone(),
            name: info.id.clone(),
            pack: info.pack.clone(),
            engine: engine.into(),
            references: info.reference.clone().into_iter().collect(),
            author: None,
        },
        title: info.description.clone(),
        reason,
        severity: info.severity,
        confidence: info.confidence,
        techniques: info.techniques.clone(),
        location: loc.clone(),
        offset: matches.iter().map(|m| m.offset).min(),
        matches,
        observables: Vec::new(),
        file: None,
        timestamp: None,
        action: info.action.clone(),
        events: Vec::new(),
    })
}

/// Turns a YARA-X scan error into an item error.
pub(crate) fn scan_error(item: &str, e: &yara_x::ScanError) -> ItemError {
    match e {
        yara_x::ScanError::Timeout => ItemError::new(
            item,
            ItemErrorKind::Limit,
            "YARA scan timed out; rules not fully evaluated",
        ),
        other => ItemError::new(
            item,
            ItemErrorKind::Unreadable,
            format!("YARA scan failed: {other}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use antibody_core::{Confidence, Severity};

    fn finding(id: &str, severity: Severity, offset: Option<u64>) -> Finding {
        Finding {
            rule: RuleRef {
                id: id.into(),
                name: id.into(),
                pack: "p".into(),
                engine: "files".into(),
                references: vec![],
                author: None,
            },
            title: id.into(),
            reason: "r".into(),
            severity,
            confidence: Confidence::High,
            techniques: vec![],
            location: Location::file("/x"),
            offset,
            matches: vec![],
            observables: vec![],
            file: None,
            timestamp: None,
            action: "a".into(),
            events: Vec::new(),
        }
    }

    #[test]
    fn string_hits_fold_into_a_stronger_rule_on_the_same_item() {
        let mut found = vec![
            finding("string:abc", Severity::High, Some(1)),
            finding("Rule_X", Severity::Critical, Some(0)),
            finding("string:def", Severity::High, Some(9)),
            finding("sha256:00", Severity::Critical, None),
        ];
        fold_string_hits(&mut found);
        let ids: Vec<&str> = found.iter().map(|f| f.rule.id.as_str()).collect();
        assert_eq!(ids, vec!["Rule_X", "sha256:00"]);
        assert!(
            found[0].reason.ends_with("also match: `abc`, `def`"),
            "{}",
            found[0].reason
        );
    }

    #[test]
    fn string_hits_stay_alone_or_when_more_severe() {
        let mut alone = vec![finding("string:abc", Severity::High, Some(1))];
        fold_string_hits(&mut alone);
        assert_eq!(alone.len(), 1);
        let mut weaker_rule = vec![
            finding("Text_Rule", Severity::Medium, Some(0)),
            finding("string:abc", Severity::High, Some(1)),
        ];
        fold_string_hits(&mut weaker_rule);
        assert_eq!(weaker_rule.len(), 2);
        assert_eq!(weaker_rule[0].reason, "r");
    }
}
