//! Sliding windows over one group's time-sorted matches: the aggregate of
//! each correlation kind, kept up to date as matches enter and leave the
//! window, and the scans that find one hit per burst.

use super::{CorrelationKind, CountCondition};
use chrono::{DateTime, Duration, Utc};
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

/// One stored match, reduced to what evaluation needs.
#[derive(Debug, Clone)]
pub(super) struct Record {
    pub time: DateTime<Utc>,
    /// Position of the matching rule in the correlation's `rules`.
    pub slot: usize,
    /// The value counted by `value_count` and by the share form of
    /// `value_percentile`.
    pub key: Option<Box<str>>,
    /// The number summed, averaged or ranked.
    pub num: Option<f64>,
    pub refs: Refs,
}

/// The events behind a record: one event, or an inner correlation's hit.
#[derive(Debug, Clone)]
pub(super) enum Refs {
    One(u64),
    Many(Box<[u64]>),
}

impl Refs {
    pub fn as_slice(&self) -> &[u64] {
        match self {
            Refs::One(r) => std::slice::from_ref(r),
            Refs::Many(r) => r,
        }
    }
}

/// Orders records for evaluation: by time, then by a stable tie-break so
/// that arrival order never changes the result.
pub(super) fn sort(records: &mut [Record]) {
    records.sort_by(|a, b| {
        a.time
            .cmp(&b.time)
            .then_with(|| a.slot.cmp(&b.slot))
            .then_with(|| a.refs.as_slice().cmp(b.refs.as_slice()))
    });
}

/// A window that met the condition.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Found {
    /// The records of the window.
    pub range: Range<usize>,
    /// For `temporal_ordered`: just the records that make up the sequence.
    pub chain: Option<Vec<usize>>,
    /// The value that met the condition.
    pub value: f64,
}

impl Found {
    pub fn indices(&self) -> Vec<usize> {
        match &self.chain {
            Some(c) => c.clone(),
            None => self.range.clone().collect(),
        }
    }
}

/// Finds the hits of one group. `slots` is the number of referenced rules.
pub(super) fn scan(
    kind: CorrelationKind,
    cond: &CountCondition,
    span: Duration,
    slots: usize,
    records: &[Record],
) -> Vec<Found> {
    let grows = matches!(
        kind,
        CorrelationKind::EventCount
            | CorrelationKind::ValueCount
            | CorrelationKind::ValueSum
            | CorrelationKind::Temporal
    );
    if kind == CorrelationKind::TemporalOrdered {
        ordered(cond, span, slots, records)
    } else if grows && cond.lower_bounds_only() {
        growing(kind, cond, span, slots, records)
    } else {
        whole(kind, cond, span, slots, records)
    }
}

/// Windows ending at each match: the hit ends where the condition first
/// holds; scanning resumes after the window that starts at the hit's first
/// match.
fn growing(
    kind: CorrelationKind,
    cond: &CountCondition,
    span: Duration,
    slots: usize,
    records: &[Record],
) -> Vec<Found> {
    let mut out = Vec::new();
    let mut agg = Agg::new(kind, cond, slots);
    let (mut left, mut j) = (0, 0);
    while j < records.len() {
        agg.add(&records[j]);
        while records[left].time + span < records[j].time {
            agg.remove(&records[left]);
            left += 1;
        }
        if let Some(value) = agg.check(cond) {
            out.push(Found {
                range: left..j + 1,
                chain: None,
                value,
            });
            let end = records[left].time + span;
            j += 1;
            while j < records.len() && records[j].time <= end {
                j += 1;
            }
            left = j;
            agg = Agg::new(kind, cond, slots);
            continue;
        }
        j += 1;
    }
    out
}

/// Consecutive whole windows, each starting at the first match after the
/// previous one, for conditions a growing window could meet too early
/// (`lt`, `eq`, averages...). Sliding these would let the window shrink
/// to the tail of a burst and make "fewer than 3" true of every burst.
fn whole(
    kind: CorrelationKind,
    cond: &CountCondition,
    span: Duration,
    slots: usize,
    records: &[Record],
) -> Vec<Found> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < records.len() {
        let until = records[i].time + span;
        let end = i + records[i..].partition_point(|r| r.time <= until);
        let mut agg = Agg::new(kind, cond, slots);
        for r in &records[i..end] {
            agg.add(r);
        }
        if let Some(value) = agg.check(cond) {
            out.push(Found {
                range: i..end,
                chain: None,
                value,
            });
        }
        i = end;
    }
    out
}

/// `temporal_ordered`: from each match of the first rule, the earliest
/// match of each next rule at the same time or later, within the window.
/// Taking the earliest is optimal for finding a sequence.
fn ordered(cond: &CountCondition, span: Duration, slots: usize, records: &[Record]) -> Vec<Found> {
    let mut by_slot = vec![Vec::new(); slots];
    for (i, r) in records.iter().enumerate() {
        by_slot[r.slot].push(i);
    }
    let grows = cond.lower_bounds_only();
    let mut out = Vec::new();
    let mut i = 0;
    while i < records.len() {
        if records[i].slot != 0 {
            i += 1;
            continue;
        }
        let until = records[i].time + span;
        let mut chain = vec![i];
        let mut met = grows && cond.matches(1.0);
        for next in by_slot.iter().skip(1) {
            if met {
                break;
            }
            let at = records[*chain.last().unwrap_or(&i)].time;
            let p = next.partition_point(|&x| records[x].time < at);
            match next.get(p) {
                Some(&x) if records[x].time <= until => chain.push(x),
                _ => break,
            }
            met = grows && cond.matches(chain.len() as f64);
        }
        let value = chain.len() as f64;
        if met || (!grows && cond.matches(value)) {
            let last = chain.iter().copied().max().unwrap_or(i);
            out.push(Found {
                range: i..last + 1,
                chain: Some(chain),
                value,
            });
            i += records[i..].partition_point(|r| r.time <= until);
            continue;
        }
        i += 1;
    }
    out
}

fn bump(n: &mut usize, add: bool) {
    if add {
        *n += 1;
    } else {
        *n -= 1;
    }
}

/// Counts `key` in or out of `counts`; false when there is no key.
fn count_key<'a>(counts: &mut HashMap<&'a str, usize>, key: Option<&'a str>, add: bool) -> bool {
    let Some(key) = key else {
        return false;
    };
    let n = counts.entry(key).or_insert(0);
    bump(n, add);
    if *n == 0 {
        counts.remove(key);
    }
    true
}

/// A number with a total order, for the percentile multiset.
#[derive(Debug, Clone, Copy)]
struct Num(f64);

impl PartialEq for Num {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Num {}
impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Num {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// The value of a window, updated as records enter and leave.
enum Agg<'a> {
    Count(usize),
    Distinct(HashMap<&'a str, usize>),
    Sum {
        sum: f64,
        n: usize,
        avg: bool,
    },
    Percentile {
        values: BTreeMap<Num, usize>,
        n: usize,
        p: f64,
    },
    Share {
        counts: HashMap<&'a str, usize>,
        total: usize,
    },
    Rules {
        seen: Vec<usize>,
        distinct: usize,
    },
}

impl<'a> Agg<'a> {
    fn new(kind: CorrelationKind, cond: &CountCondition, slots: usize) -> Agg<'a> {
        match kind {
            CorrelationKind::EventCount => Agg::Count(0),
            CorrelationKind::ValueCount => Agg::Distinct(HashMap::new()),
            CorrelationKind::ValueSum | CorrelationKind::ValueAvg => Agg::Sum {
                sum: 0.0,
                n: 0,
                avg: kind == CorrelationKind::ValueAvg,
            },
            CorrelationKind::ValuePercentile => match cond.percentile {
                Some(p) => Agg::Percentile {
                    values: BTreeMap::new(),
                    n: 0,
                    p,
                },
                None => Agg::Share {
                    counts: HashMap::new(),
                    total: 0,
                },
            },
            CorrelationKind::Temporal | CorrelationKind::TemporalOrdered => Agg::Rules {
                seen: vec![0; slots],
                distinct: 0,
            },
        }
    }

    fn add(&mut self, r: &'a Record) {
        self.update(r, true);
    }

    fn remove(&mut self, r: &'a Record) {
        self.update(r, false);
    }

    fn update(&mut self, r: &'a Record, add: bool) {
        match self {
            Agg::Count(n) => bump(n, add),
            Agg::Distinct(counts) => {
                count_key(counts, r.key.as_deref(), add);
            }
            Agg::Share { counts, total } => {
                if count_key(counts, r.key.as_deref(), add) {
                    bump(total, add);
                }
            }
            Agg::Sum { sum, n, .. } => {
                if let Some(v) = r.num {
                    bump(n, add);
                    // Recomputing from zero when the window empties keeps
                    // float drift from adds and removes bounded.
                    *sum = if *n == 0 {
                        0.0
                    } else if add {
                        *sum + v
                    } else {
                        *sum - v
                    };
                }
            }
            Agg::Percentile { values, n, .. } => {
                if let Some(v) = r.num {
                    bump(n, add);
                    let c = values.entry(Num(v)).or_insert(0);
                    bump(c, add);
                    if *c == 0 {
                        values.remove(&Num(v));
                    }
                }
            }
            Agg::Rules { seen, distinct } => {
                let c = &mut seen[r.slot];
                if add && *c == 0 {
                    *distinct += 1;
                }
                bump(c, add);
                if !add && *c == 0 {
                    *distinct -= 1;
                }
            }
        }
    }

    /// The window's value when it meets `cond`.
    fn check(&self, cond: &CountCondition) -> Option<f64> {
        let value = match self {
            Agg::Count(n) => *n as f64,
            Agg::Distinct(counts) => counts.len() as f64,
            Agg::Sum { sum, n, avg } => match (*n, *avg) {
                (0, _) => return None,
                (_, false) => *sum,
                (n, true) => *sum / n as f64,
            },
            Agg::Percentile { values, n, p } => {
                if *n == 0 {
                    return None;
                }
                // Nearest rank: the smallest value with at least p% of
                // the values at or below it.
                let rank = ((p / 100.0) * *n as f64).ceil().max(1.0) as usize;
                let mut seen = 0;
                values.iter().find_map(|(v, c)| {
                    seen += c;
                    (seen >= rank).then_some(v.0)
                })?
            }
            Agg::Share { counts, total } => {
                // The rarest value whose share meets the condition.
                return counts
                    .values()
                    .map(|&c| 100.0 * c as f64 / *total as f64)
                    .filter(|&s| cond.matches(s))
                    .min_by(f64::total_cmp);
            }
            Agg::Rules { distinct, .. } => *distinct as f64,
        };
        cond.matches(value).then_some(value)
    }
}

#[cfg(test)]
mod tests {
    use crate::event::Event;
    use crate::sigma::correlation::testkit::*;

    #[test]
    fn one_hit_per_burst() {
        let rule = count_rule("gte: 100", "1h");
        let burst: Vec<i64> = (0..250).chain(10_000..10_100).collect();
        let hits = run(&rule, &on("h1", &burst)).0;
        assert_eq!(hits.len(), 2, "{hits:?}");
        assert_eq!((hits[0].first, hits[0].last), (at(0), at(99)));
        assert_eq!(hits[0].events.len(), 100);
        assert_eq!((hits[1].first, hits[1].value), (at(10_000), 100.0));
    }

    #[test]
    fn fewer_than_is_judged_on_whole_windows() {
        let rule = count_rule("lt: 3", "1h");
        let mut input = on("quiet", &[0, 100]);
        input.extend(on("busy", &[0, 1, 2, 3, 4]));
        input.extend(on("busy", &[10_000]));
        let hits = run(&rule, &input).0;
        let got: Vec<_> = hits
            .iter()
            .map(|h| (h.group[0].1.as_str(), h.first, h.value))
            .collect();
        assert_eq!(got, [("quiet", at(0), 2.0), ("busy", at(10_000), 1.0)]);
    }

    const TEMPORAL: &str = "title: recon\ncorrelation:\n  type: temporal\n  rules: [a, b, c]\n  \
                            group-by: [User]\n  timespan: 5m\n";

    #[test]
    fn temporal_needs_every_rule_in_any_order() {
        let u = |rule, t| (rule, ev(t, &[("User", "u")]));
        let hits = run(TEMPORAL, &[u(2, 0), u(0, 10), u(1, 300)]).0;
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].rules_seen, ["a", "b", "c"]);
        assert_eq!(hits[0].value, 3.0);
        assert!(run(TEMPORAL, &[u(2, 0), u(0, 10), u(0, 20)]).0.is_empty());
        assert!(run(TEMPORAL, &[u(2, 0), u(0, 10), u(1, 301)]).0.is_empty());
        let two = TEMPORAL.replace("timespan: 5m", "timespan: 5m\n  condition: {gte: 2}");
        let hits = run(&two, &[u(2, 0), u(0, 10)]).0;
        assert_eq!(hits[0].rules_seen, ["a", "c"]);
    }

    #[test]
    fn temporal_ordered_rejects_the_wrong_order() {
        let rule = TEMPORAL.replace("type: temporal", "type: temporal_ordered");
        let u = |rule, t| (rule, ev(t, &[("User", "u")]));
        let hits = run(&rule, &[u(1, 5), u(0, 1), u(2, 9)]).0;
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].events, [1, 0, 2]);
        assert_eq!((hits[0].first, hits[0].last), (at(1), at(9)));
        assert!(run(&rule, &[u(1, 0), u(0, 1), u(2, 9)]).0.is_empty());
        assert!(run(&rule, &[u(0, 0), u(2, 1), u(1, 9)]).0.is_empty());
        // Same second counts as in order; a later `a` can restart the sequence.
        assert_eq!(run(&rule, &[u(0, 3), u(1, 3), u(2, 3)]).0.len(), 1);
        assert_eq!(run(&rule, &[u(1, 0), u(0, 1), u(1, 2), u(2, 3)]).0.len(), 1);
    }

    #[test]
    fn sums_averages_and_percentiles() {
        let metric = |kind: &str, cond: &str| {
            format!(
                "title: m\ncorrelation:\n  type: {kind}\n  rules: [a]\n  group-by: [Host]\n  \
                 timespan: 1h\n  condition: {{field: Bytes, {cond}}}\n"
            )
        };
        let bytes = |vals: &[&str]| -> Vec<(usize, Event)> {
            vals.iter()
                .enumerate()
                .map(|(t, v)| (0, ev(t as i64, &[("Host", "h"), ("Bytes", v)])))
                .collect()
        };
        let sum = metric("value_sum", "gt: 1000");
        assert_eq!(run(&sum, &bytes(&["600", "n/a", "500"])).0[0].value, 1100.0);
        assert!(run(&sum, &bytes(&["600", "400"])).0.is_empty());
        let avg = metric("value_avg", "gt: 500");
        assert_eq!(run(&avg, &bytes(&["400", "700"])).0[0].value, 550.0);
        assert!(run(&avg, &bytes(&["400", "500"])).0.is_empty());
        let p90 = metric("value_percentile", "percentile: 90, gt: 8");
        let ten: Vec<String> = (1..=10).map(|v| v.to_string()).collect();
        let ten: Vec<&str> = ten.iter().map(String::as_str).collect();
        assert_eq!(run(&p90, &bytes(&ten)).0[0].value, 9.0);
        assert!(
            run(&p90.replace("gt: 8", "gt: 9"), &bytes(&ten))
                .0
                .is_empty()
        );
        // The specification's form: a value making up at most 1% of all.
        let rare = metric("value_percentile", "lte: 1");
        let mut names = vec!["svchost.exe"; 99];
        names.push("evil.exe");
        assert_eq!(run(&rare, &bytes(&names)).0[0].value, 1.0);
        assert!(run(&rare, &bytes(&names[49..])).0.is_empty());
    }
}
