//! The correlator: takes rule matches as they come, in any order, keeps
//! what each correlation needs per group, and evaluates everything once
//! all input has been read, inner correlations before the ones that
//! reference them.

use super::window::{self, Found, Record, Refs};
use super::{CorrelationKind, CorrelationRule, CountCondition};
use crate::event::{Event, FieldValue};
use crate::sigma::error::{RuleError, RuleErrorKind};
use chrono::{DateTime, Utc};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// How many matches are stored, in total, unless
/// [`Correlator::max_observations`] says otherwise.
pub const DEFAULT_MAX_OBSERVATIONS: usize = 2_000_000;

/// Events kept as evidence per hit.
const MAX_HIT_EVENTS: usize = 100;

/// One base-rule match fed to the correlator.
#[derive(Debug, Clone, Copy)]
pub struct Observation<'a> {
    /// The engine's index of the rule that matched.
    pub rule: usize,
    /// The event it matched.
    pub event: &'a Event,
    /// The engine's id for finding the event again.
    pub event_ref: u64,
}

/// A correlation that fired for one group.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationHit {
    /// Index into the rules given to [`Correlator::new`].
    pub correlation: usize,
    /// Each `group-by` field (alias name as written) with its value.
    pub group: Vec<(String, String)>,
    /// Time of the first match in the hit.
    pub first: DateTime<Utc>,
    /// Time of the last match in the hit.
    pub last: DateTime<Utc>,
    /// The count, distinct count, sum, average, share or percentile that
    /// met the condition.
    pub value: f64,
    /// `event_ref`s behind the hit, at most 100, earliest first.
    pub events: Vec<u64>,
    /// The referenced rules (as written in `rules`) that matched in it.
    pub rules_seen: Vec<String>,
}

/// What a referenced rule resolved to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Rule(usize),
    Correlation(usize),
}

/// A correlation ready to be fed.
struct Plan {
    sources: Vec<Source>,
    /// Per referenced rule: the field read for each `group-by` entry.
    group_fields: Vec<Vec<String>>,
    /// Per referenced rule: the fields read for `condition.field`.
    value_fields: Vec<Vec<String>>,
    condition: CountCondition,
}

/// Collects matches and evaluates correlation rules.
pub struct Correlator {
    rules: Vec<CorrelationRule>,
    plans: Vec<Option<Plan>>,
    /// Correlations with plans, inner ones first.
    order: Vec<usize>,
    wanted: HashSet<usize>,
    /// Engine rule index → (correlation, slot) listening to it.
    listeners: HashMap<usize, Vec<(usize, usize)>>,
    /// Correlation → (outer correlation, slot) fed by its hits.
    feeds: Vec<Vec<(usize, usize)>>,
    /// Hits consumed by an outer correlation without `generate`.
    quiet: Vec<bool>,
    groups: Vec<HashMap<Vec<String>, Vec<Record>>>,
    stored: usize,
    max_observations: usize,
    dropped: u64,
    untimed: u64,
}

impl Correlator {
    /// Prepares `rules`. A reference is looked up first among these
    /// correlations (by `id`, then `name`), then with `resolve` (the
    /// engine's rules), so chaining needs nothing from the engine: `resolve`
    /// may also know correlations (say as `first_correlation_index + i`)
    /// but is not asked about them, and an inner correlation's hits are fed
    /// to the outer ones inside [`Correlator::finish`]. A correlation with
    /// an unknown reference, an alias naming a rule it does not reference,
    /// a reference cycle, or a reference to such a correlation is dropped
    /// with a [`RuleErrorKind::Reference`] error; the others work.
    pub fn new(
        rules: Vec<CorrelationRule>,
        resolve: &dyn Fn(&str) -> Option<usize>,
    ) -> (Correlator, Vec<RuleError>) {
        let mut errors = Vec::new();
        let n = rules.len();
        let lookup = |r: &str| {
            let by = |f: fn(&CorrelationRule) -> Option<&str>| {
                rules.iter().position(|c| f(c) == Some(r))
            };
            by(|c| c.id.as_deref())
                .or_else(|| by(|c| c.name.as_deref()))
                .map(Source::Correlation)
                .or_else(|| resolve(r).map(Source::Rule))
        };
        let error = |c: &CorrelationRule, line: usize, message: String| {
            RuleError::new(&c.file, line, RuleErrorKind::Reference, message).in_rule(&c.title)
        };

        let mut plans: Vec<Option<Plan>> = Vec::with_capacity(n);
        for (i, c) in rules.iter().enumerate() {
            plans.push(match plan(c, i, &lookup) {
                Ok(p) => Some(p),
                Err((line, message)) => {
                    errors.push(error(c, line, message));
                    None
                }
            });
        }

        // Inner correlations are evaluated before outer ones (Kahn's
        // algorithm); what remains is in or behind a cycle.
        let mut pending = vec![0usize; n];
        let mut outer: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (c, p) in plans.iter().enumerate() {
            for s in p.iter().flat_map(|p| &p.sources) {
                if let Source::Correlation(inner) = *s {
                    pending[c] += 1;
                    outer[inner].push(c);
                }
            }
        }
        let mut order: Vec<usize> = (0..n).filter(|&c| pending[c] == 0).collect();
        let mut k = 0;
        while k < order.len() {
            for &o in &outer[order[k]] {
                pending[o] -= 1;
                if pending[o] == 0 {
                    order.push(o);
                }
            }
            k += 1;
        }
        for c in (0..n).filter(|&c| pending[c] > 0) {
            errors.push(error(
                &rules[c],
                rules[c].line,
                "is part of a cycle of correlations referencing each other".into(),
            ));
            plans[c] = None;
        }
        for &c in &order {
            let broken = plans[c].as_ref().and_then(|p| {
                p.sources.iter().find_map(|s| match *s {
                    Source::Correlation(i) if plans[i].is_none() => Some(i),
                    _ => None,
                })
            });
            if let Some(i) = broken {
                let message = format!(
                    "references correlation `{}`, which has errors",
                    rules[i].title
                );
                errors.push(error(&rules[c], rules[c].line, message));
                plans[c] = None;
            }
        }
        order.retain(|&c| plans[c].is_some());

        let mut wanted = HashSet::new();
        let mut listeners: HashMap<usize, Vec<(usize, usize)>> = HashMap::new();
        let mut feeds = vec![Vec::new(); n];
        let mut quiet = vec![false; n];
        for &c in &order {
            let Some(p) = &plans[c] else { continue };
            for (slot, s) in p.sources.iter().enumerate() {
                match *s {
                    Source::Rule(r) => {
                        wanted.insert(r);
                        listeners.entry(r).or_default().push((c, slot));
                    }
                    Source::Correlation(i) => {
                        feeds[i].push((c, slot));
                        quiet[i] |= !rules[c].generate;
                    }
                }
            }
        }
        let correlator = Correlator {
            groups: (0..n).map(|_| HashMap::new()).collect(),
            rules,
            plans,
            order,
            wanted,
            listeners,
            feeds,
            quiet,
            stored: 0,
            max_observations: DEFAULT_MAX_OBSERVATIONS,
            dropped: 0,
            untimed: 0,
        };
        (correlator, errors)
    }

    /// Sets how many matches are stored in total; later ones are dropped
    /// and counted in the warnings.
    pub fn max_observations(mut self, max: usize) -> Correlator {
        self.max_observations = max;
        self
    }

    /// The engine rule indexes any correlation listens to; the engine only
    /// needs to call [`Correlator::observe`] for these.
    pub fn wanted(&self) -> &HashSet<usize> {
        &self.wanted
    }

    /// Records one match. Order does not matter: evaluation sorts.
    pub fn observe(&mut self, obs: Observation<'_>) {
        let Some(time) = obs.event.timestamp else {
            if self.wanted.contains(&obs.rule) {
                self.untimed += 1;
            }
            return;
        };
        let Some(listening) = self.listeners.get(&obs.rule) else {
            return;
        };
        let mut dropped = false;
        for &(c, slot) in listening {
            if self.stored >= self.max_observations {
                dropped = true;
                continue;
            }
            let Some(plan) = &self.plans[c] else { continue };
            let field = |name: &str| field_text(obs.event, name);
            let (group, record) = plan.record(
                self.rules[c].kind,
                slot,
                time,
                Refs::One(obs.event_ref),
                field,
            );
            self.groups[c].entry(group).or_default().push(record);
            self.stored += 1;
        }
        self.dropped += u64::from(dropped);
    }

    /// Evaluates every correlation and returns the hits, sorted by
    /// correlation, then time, then group, and warnings about matches that
    /// could not be used.
    pub fn finish(mut self) -> (Vec<CorrelationHit>, Vec<String>) {
        let mut hits = Vec::new();
        for &c in &self.order {
            let Some(plan) = &self.plans[c] else { continue };
            let rule = &self.rules[c];
            let mut groups: Vec<_> = std::mem::take(&mut self.groups[c]).into_iter().collect();
            groups.sort_by(|a, b| a.0.cmp(&b.0));
            for (key, mut records) in groups {
                window::sort(&mut records);
                let found = window::scan(
                    rule.kind,
                    &plan.condition,
                    rule.timespan,
                    plan.sources.len(),
                    &records,
                );
                for f in found {
                    let hit = make_hit(c, rule, &key, &records, &f);
                    for &(o, slot) in &self.feeds[c] {
                        let Some(outer) = &self.plans[o] else {
                            continue;
                        };
                        let field = |name: &str| {
                            hit.group
                                .iter()
                                .find(|(k, _)| k == name)
                                .map(|(_, v)| Cow::Borrowed(v.as_str()))
                        };
                        let refs = Refs::Many(hit.events.clone().into_boxed_slice());
                        let (group, record) =
                            outer.record(self.rules[o].kind, slot, hit.last, refs, field);
                        self.groups[o].entry(group).or_default().push(record);
                    }
                    if !self.quiet[c] {
                        hits.push(hit);
                    }
                }
            }
        }
        hits.sort_by(|a, b| {
            (a.correlation, a.first, &a.group).cmp(&(b.correlation, b.first, &b.group))
        });
        let mut warnings = Vec::new();
        if self.untimed > 0 {
            warnings.push(format!(
                "{} rule matches have no timestamp and were left out of correlations",
                self.untimed
            ));
        }
        if self.dropped > 0 {
            warnings.push(format!(
                "{} rule matches were left out of correlations: the limit of {} stored matches was reached",
                self.dropped, self.max_observations
            ));
        }
        (hits, warnings)
    }
}

/// Resolves one correlation's references and aliases; an error is a line
/// and a message.
fn plan(
    c: &CorrelationRule,
    index: usize,
    lookup: &dyn Fn(&str) -> Option<Source>,
) -> Result<Plan, (usize, String)> {
    let mut sources = Vec::with_capacity(c.rules.len());
    for r in &c.rules {
        match lookup(r) {
            Some(Source::Correlation(i)) if i == index => {
                return Err((c.line, format!("`{r}` is this correlation itself")));
            }
            Some(s) => sources.push(s),
            None => return Err((c.line, format!("`{r}` names no loaded rule or correlation"))),
        }
    }
    // Alias entries may name a rule by id or name whatever `rules` uses:
    // they are matched by what they resolve to.
    let mut aliases: Vec<(&str, Vec<(Source, &str)>)> = Vec::new();
    for a in &c.aliases {
        let mut per_rule = Vec::new();
        for (r, field) in &a.fields {
            match lookup(r).filter(|s| sources.contains(s)) {
                Some(s) => per_rule.push((s, field.as_str())),
                None => {
                    return Err((
                        a.line,
                        format!(
                            "alias `{}` names `{r}`, which is not one of this correlation's rules",
                            a.name
                        ),
                    ));
                }
            }
        }
        aliases.push((&a.name, per_rule));
    }
    let field_for = |name: &str, source: Source| {
        aliases
            .iter()
            .find(|(a, _)| *a == name)
            .and_then(|(_, per_rule)| per_rule.iter().find(|(s, _)| *s == source))
            .map_or(name, |(_, f)| f)
            .to_string()
    };
    let condition = c
        .condition
        .clone()
        .unwrap_or_else(|| CountCondition::at_least(c.rules.len()));
    Ok(Plan {
        group_fields: sources
            .iter()
            .map(|&s| c.group_by.iter().map(|g| field_for(g, s)).collect())
            .collect(),
        value_fields: sources
            .iter()
            .map(|&s| condition.field.iter().map(|g| field_for(g, s)).collect())
            .collect(),
        sources,
        condition,
    })
}

impl Plan {
    /// The group key and the stored record for one match of `slot`.
    fn record<'e>(
        &self,
        kind: CorrelationKind,
        slot: usize,
        time: DateTime<Utc>,
        refs: Refs,
        field: impl Fn(&str) -> Option<Cow<'e, str>>,
    ) -> (Vec<String>, Record) {
        let group = self.group_fields[slot]
            .iter()
            .map(|f| field(f).map(Cow::into_owned).unwrap_or_default())
            .collect();
        let fields = &self.value_fields[slot];
        let (mut key, mut num) = (None, None);
        match kind {
            CorrelationKind::ValueCount => {
                // Several fields count distinct combinations; a match
                // lacking one of them has no combination to count.
                let parts: Option<Vec<_>> = fields.iter().map(|f| field(f)).collect();
                key = parts.map(|p| p.join("\u{1f}").into_boxed_str());
            }
            CorrelationKind::ValuePercentile if self.condition.percentile.is_none() => {
                key = fields.first().and_then(|f| field(f)).map(|v| v.into());
            }
            CorrelationKind::ValueSum
            | CorrelationKind::ValueAvg
            | CorrelationKind::ValuePercentile => {
                num = fields
                    .first()
                    .and_then(|f| field(f))
                    .and_then(|v| v.trim().parse::<f64>().ok())
                    .filter(|v| v.is_finite());
            }
            CorrelationKind::EventCount
            | CorrelationKind::Temporal
            | CorrelationKind::TemporalOrdered => {}
        }
        (
            group,
            Record {
                time,
                slot,
                key,
                num,
                refs,
            },
        )
    }
}

/// A field as text; a list reads as its items joined with commas.
fn field_text<'e>(event: &'e Event, name: &str) -> Option<Cow<'e, str>> {
    match event.get(name)? {
        FieldValue::List(items) => {
            let texts: Vec<_> = items.iter().filter_map(FieldValue::as_text).collect();
            Some(Cow::Owned(texts.join(",")))
        }
        v => v.as_text(),
    }
}

fn make_hit(
    c: usize,
    rule: &CorrelationRule,
    key: &[String],
    records: &[Record],
    found: &Found,
) -> CorrelationHit {
    let indices = found.indices();
    let mut slots: Vec<usize> = indices.iter().map(|&i| records[i].slot).collect();
    slots.sort_unstable();
    slots.dedup();
    CorrelationHit {
        correlation: c,
        group: rule
            .group_by
            .iter()
            .cloned()
            .zip(key.iter().cloned())
            .collect(),
        first: indices
            .iter()
            .map(|&i| records[i].time)
            .min()
            .unwrap_or_default(),
        last: indices
            .iter()
            .map(|&i| records[i].time)
            .max()
            .unwrap_or_default(),
        value: found.value,
        events: indices
            .iter()
            .flat_map(|&i| records[i].refs.as_slice())
            .copied()
            .take(MAX_HIT_EVENTS)
            .collect(),
        rules_seen: slots.into_iter().map(|s| rule.rules[s].clone()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigma::correlation::testkit::*;

    #[test]
    fn event_count_fires_at_threshold_and_timespan_is_inclusive() {
        let rule = count_rule("gte: 3", "1m");
        let (hits, warnings) = run(&rule, &on("h1", &[0, 30, 60]));
        assert!(warnings.is_empty());
        assert_eq!(hits.len(), 1);
        let h = &hits[0];
        assert_eq!((h.value, h.first, h.last), (3.0, at(0), at(60)));
        assert_eq!(h.group, [("Host".to_string(), "h1".to_string())]);
        assert_eq!(h.events, [0, 1, 2]);
        assert_eq!(h.rules_seen, ["a"]);
        assert!(run(&rule, &on("h1", &[0, 30, 61])).0.is_empty());
        assert!(run(&rule, &on("h1", &[0, 30])).0.is_empty());
    }

    #[test]
    fn groups_are_counted_apart() {
        let rule = count_rule("gt: 2", "1h");
        let mut input = on("h1", &[0, 1]);
        input.extend(on("h2", &[2, 3]));
        assert!(run(&rule, &input).0.is_empty());
        input.extend(on("h2", &[4]));
        let hits = run(&rule, &input).0;
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].group[0].1, "h2");
        assert_eq!(hits[0].events, [2, 3, 4]);
    }

    #[test]
    fn arrival_order_does_not_matter() {
        let rule = count_rule("gte: 4", "10m");
        let mut input = Vec::new();
        let mut x: u64 = 7;
        for i in 0..300u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let host = ["h1", "h2", "h3"][(x >> 33) as usize % 3];
            input.push((0, ev((i * 97 % 3600) as i64, &[("Host", host)])));
        }
        let sorted_hits = {
            let mut s = input.clone();
            s.sort_by_key(|(_, e)| e.timestamp);
            // event_refs follow input order: compare everything else.
            run(&rule, &s).0.len()
        };
        let (forward, _) = run(&rule, &input);
        input.reverse();
        let (backward, _) = run(&rule, &input);
        assert!(!forward.is_empty());
        assert_eq!(forward.len(), sorted_hits);
        let strip = |h: &[CorrelationHit]| {
            h.iter()
                .map(|h| (h.group.clone(), h.first, h.last, h.value))
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(&forward), strip(&backward));
    }

    #[test]
    fn value_count_counts_distinct_values() {
        let rule = "title: spray\ncorrelation:\n  type: value_count\n  rules: [a]\n  group-by: [Host]\n  \
                    timespan: 1h\n  condition: {field: User, gte: 3}\n";
        let user = |t, u| (0, ev(t, &[("Host", "h"), ("User", u)]));
        let mut input = vec![
            user(0, "x"),
            user(1, "x"),
            user(2, "y"),
            (0, ev(3, &[("Host", "h")])),
        ];
        assert!(run(rule, &input).0.is_empty());
        input.push(user(4, "z"));
        let hits = run(rule, &input).0;
        assert_eq!(hits.len(), 1);
        assert_eq!((hits[0].value, hits[0].last), (3.0, at(4)));
    }

    #[test]
    fn value_count_over_several_fields_counts_combinations() {
        let rule = "title: pairs\ncorrelation:\n  type: value_count\n  rules: [a]\n  \
                    timespan: 1h\n  condition: {field: [User, Src], gt: 2}\n";
        let pair = |t, u, s| (0, ev(t, &[("User", u), ("Src", s)]));
        let input = [
            pair(0, "x", "1"),
            pair(1, "x", "2"),
            pair(2, "y", "1"),
            pair(3, "y", "1"),
        ];
        let hits = run(rule, &input).0;
        assert_eq!(hits.len(), 1);
        assert_eq!((hits[0].value, hits[0].last), (3.0, at(2)));
        assert!(hits[0].group.is_empty());
    }

    #[test]
    fn chained_correlations_follow_the_spec_example() {
        let full = FULL_EXAMPLE;
        // Base rules: failed_login = 0, successful_login = 1.
        let resolve = |r: &str| {
            ["failed_login", "successful_login"]
                .iter()
                .position(|b| *b == r)
        };
        let user = |rule, t, u| (rule, ev(t, &[("User", u), ("ComputerName", "pc")]));
        let mut input: Vec<(usize, Event)> = (0..10).map(|t| user(0, t, "bob")).collect();
        input.push(user(1, 20, "bob"));
        input.push(user(1, 0, "alice"));
        input.extend((1..11).map(|t| user(0, t, "alice")));
        let feed = |rules: Vec<CorrelationRule>| {
            let (mut c, errors) = Correlator::new(rules, &resolve);
            assert!(errors.is_empty(), "{errors:?}");
            assert_eq!(c.wanted(), &HashSet::from([0, 1]));
            for (i, (rule, event)) in input.iter().enumerate() {
                c.observe(Observation {
                    rule: *rule,
                    event,
                    event_ref: i as u64,
                });
            }
            c.finish().0
        };
        let hits = feed(rules(full));
        assert_eq!(hits.len(), 1, "{hits:?}");
        let h = &hits[0];
        assert_eq!(h.correlation, 0);
        assert_eq!(h.group, [("User".to_string(), "bob".to_string())]);
        assert_eq!(h.events, (0..=10).collect::<Vec<u64>>());
        assert_eq!(h.rules_seen, ["multiple_failed_login", "successful_login"]);
        // With `generate: true` the inner correlation reports on its own too.
        let hits = feed(rules(
            &full.replace("level: high", "level: high\ngenerate: true"),
        ));
        let inner: Vec<_> = hits.iter().filter(|h| h.correlation == 1).collect();
        assert_eq!(inner.len(), 2);
        assert_eq!(
            (inner[0].group[0].1.as_str(), inner[0].value),
            ("bob", 10.0)
        );
    }

    #[test]
    fn aliases_group_different_fields_together() {
        let rule = "title: x\ncorrelation:\n  type: temporal\n  rules: [a, b]\n  \
                    group-by: [internal_ip, remote_ip]\n  timespan: 10s\n  aliases:\n    \
                    internal_ip: {a: destination.ip, b: source.ip}\n    remote_ip: {a: source.ip}\n";
        let err = (
            0,
            ev(
                0,
                &[("destination.ip", "10.0.0.5"), ("source.ip", "1.2.3.4")],
            ),
        );
        let conn = |ip| (1, ev(5, &[("source.ip", "10.0.0.5"), ("remote_ip", ip)]));
        let hits = run(rule, &[err.clone(), conn("1.2.3.4")]).0;
        assert_eq!(hits.len(), 1);
        let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(
            hits[0].group,
            [
                pair("internal_ip", "10.0.0.5"),
                pair("remote_ip", "1.2.3.4")
            ]
        );
        assert!(run(rule, &[err, conn("9.9.9.9")]).0.is_empty());
        let bad = rule.replace("remote_ip: {a:", "remote_ip: {c:");
        let (_, errors) = correlator(&bad);
        assert_eq!(
            (errors[0].kind, errors[0].line),
            (RuleErrorKind::Reference, 9)
        );
    }

    #[test]
    fn missing_group_fields_are_empty_and_untimed_events_warn() {
        let rule = count_rule("gte: 2", "1h");
        let mut untimed = ev(5, &[("Host", "h1")]);
        untimed.timestamp = None;
        let input = vec![(0, ev(0, &[])), (0, ev(1, &[("Other", "x")])), (0, untimed)];
        let (hits, warnings) = run(&rule, &input);
        assert_eq!(hits[0].group, [("Host".to_string(), String::new())]);
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].starts_with("1 rule matches have no timestamp"),
            "{warnings:?}"
        );
    }

    #[test]
    fn observations_beyond_the_cap_are_dropped_and_reported() {
        let (c, _) = correlator(&count_rule("gte: 3", "1h"));
        let mut c = c.max_observations(3);
        let input = on("h1", &[0, 1, 2, 3, 4]);
        for (i, (rule, event)) in input.iter().enumerate() {
            c.observe(Observation {
                rule: *rule,
                event,
                event_ref: i as u64,
            });
        }
        let (hits, warnings) = c.finish();
        assert_eq!(hits[0].events, [0, 1, 2]);
        assert_eq!(hits[0].value, 3.0);
        assert!(
            warnings[0].starts_with("2 rule matches were left out"),
            "{warnings:?}"
        );
        assert!(warnings[0].contains("limit of 3"));
    }

    #[test]
    fn bad_references_drop_only_their_correlation() {
        let yaml = format!(
            "{}---\n{}---\n{}---\n{}",
            count_rule("gte: 1", "1h").replace("[a]", "[nope]"),
            count_rule("gte: 1", "1h").replace("[a]", "[c]"),
            "title: x\nname: x\ncorrelation: {type: temporal, rules: [y, a], timespan: 1m}\n",
            "title: y\nname: y\ncorrelation: {type: temporal, rules: [x, b], timespan: 1m}\n",
        );
        let (c, errors) = correlator(&yaml);
        let lines: Vec<_> = errors
            .iter()
            .map(|e| (e.kind, e.line, e.rule.as_deref()))
            .collect();
        use RuleErrorKind::Reference;
        assert_eq!(
            lines,
            [
                (Reference, 1, Some("count")),
                (Reference, 17, Some("x")),
                (Reference, 21, Some("y"))
            ]
        );
        assert!(errors[0].message.contains("`nope`"));
        assert!(errors[1].message.contains("cycle"));
        assert_eq!(c.wanted(), &HashSet::from([2]));
    }
}
