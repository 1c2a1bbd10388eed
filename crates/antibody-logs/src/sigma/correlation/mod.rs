//! Sigma correlation rules (Sigma 2.1): meta-rules over the matches of
//! other rules — how many per group within a timespan, how many distinct
//! values, which rules fired together or in order, and sums, averages and
//! percentiles of a numeric field.
//!
//! [`parse`] turns one YAML document into a [`CorrelationRule`]; the
//! [`Correlator`] collects matches as they come (in any order, from any
//! number of files) and evaluates every correlation in
//! [`Correlator::finish`]. Where the specification leaves room, the choices
//! are:
//!
//! - **Windows.** Each group's matches are sorted by time; a window is
//!   `[t, t + timespan]`, both ends inclusive. A correlation reports one hit
//!   per burst: once a window meets the condition the hit is emitted and
//!   scanning resumes after that window's end, so overlapping positions of
//!   the same burst are not reported again.
//! - **Growing and whole windows.** When the condition only has lower
//!   bounds (`gt`, `gte`) and the value can only grow as matches are added
//!   (`event_count`, `value_count`, `value_sum`, `temporal`,
//!   `temporal_ordered`), the hit is emitted at the match where the
//!   condition first becomes true, ending there. Otherwise (`lt`, `lte`,
//!   `eq`, `neq`, ranges, averages, percentiles) each group's timeline is
//!   cut into consecutive windows, each starting at the first match after
//!   the previous window, and the condition is judged on each whole
//!   window. So "fewer than 3 in 1h" means a group that was seen and whose
//!   hour from a first match holds fewer than 3 matches; a group never
//!   seen cannot fire. Sliding such windows would let them shrink to the
//!   tail of any burst.
//! - **Missing fields.** A `group-by` field an event lacks counts as the
//!   empty value (pySigma practice): such events form their own group.
//!   Events lacking `condition.field` are not counted by `value_count` and
//!   events whose field is not a number are left out of sums, averages and
//!   percentiles. Events without a timestamp are skipped and counted in the
//!   warnings.
//! - **Temporal.** Without a condition every referenced rule must fire
//!   (pySigma's default `gte: <number of rules>`); a condition counts the
//!   referenced rules that fired. `temporal_ordered` counts the longest run
//!   of the listed rules found in order, in windows starting at each match
//!   of the first rule; equal timestamps count as in order.
//! - **`value_percentile`.** The specification's example (`field: image`,
//!   `lte: 1`, "a process name seen in less than 1% of all processes")
//!   compares the share, in percent, of each distinct value of the field;
//!   the correlation fires when some value's share meets the condition
//!   (the rarest such value is reported). With pySigma's `percentile: P`
//!   key it compares instead the P-th percentile (nearest rank) of the
//!   field's numeric values.
//! - **Aliases** apply to `group-by` and to `condition.field`; a rule an
//!   alias does not list uses the alias name as its field.
//! - **Chaining.** References are first looked up among the correlations
//!   given to the [`Correlator`] (by `id`, then `name`); only the rest go to
//!   the engine. An inner correlation's hit reaches the outer one as a match
//!   at the hit's last time whose fields are the hit's group-by values. Its
//!   hits are reported on their own only when no correlation referencing it
//!   has `generate: false` (the default), as pySigma does.
//! - **Timespans** take `s`, `m`, `h`, `d` (specification), plus `w`, `M`
//!   and `y` as pySigma reads them (`M` = 30.436875 days, `y` = 365.2425).
//! - **Conditions** may combine several comparisons (a range); `field` may
//!   list several fields for `value_count` (distinct combinations).

mod correlator;
mod parse;
#[cfg(test)]
mod testkit;
mod window;

pub use correlator::{CorrelationHit, Correlator, DEFAULT_MAX_OBSERVATIONS, Observation};
pub use parse::{is_correlation, parse, parse_timespan};

use chrono::Duration;
use std::path::PathBuf;

/// The kind of a correlation (`correlation.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CorrelationKind {
    /// `event_count`: matches per group.
    EventCount,
    /// `value_count`: distinct values of `condition.field` per group.
    ValueCount,
    /// `temporal`: the referenced rules all fire, in any order.
    Temporal,
    /// `temporal_ordered`: the referenced rules fire in the listed order.
    TemporalOrdered,
    /// `value_sum`: sum of a numeric field.
    ValueSum,
    /// `value_avg`: average of a numeric field.
    ValueAvg,
    /// `value_percentile`: share of a field's values, or a percentile.
    ValuePercentile,
}

impl CorrelationKind {
    const ALL: [CorrelationKind; 7] = [
        CorrelationKind::EventCount,
        CorrelationKind::ValueCount,
        CorrelationKind::Temporal,
        CorrelationKind::TemporalOrdered,
        CorrelationKind::ValueSum,
        CorrelationKind::ValueAvg,
        CorrelationKind::ValuePercentile,
    ];

    /// The name used in rules.
    pub fn as_str(self) -> &'static str {
        match self {
            CorrelationKind::EventCount => "event_count",
            CorrelationKind::ValueCount => "value_count",
            CorrelationKind::Temporal => "temporal",
            CorrelationKind::TemporalOrdered => "temporal_ordered",
            CorrelationKind::ValueSum => "value_sum",
            CorrelationKind::ValueAvg => "value_avg",
            CorrelationKind::ValuePercentile => "value_percentile",
        }
    }

    fn is_temporal(self) -> bool {
        matches!(
            self,
            CorrelationKind::Temporal | CorrelationKind::TemporalOrdered
        )
    }

    fn needs_field(self) -> bool {
        !self.is_temporal() && self != CorrelationKind::EventCount
    }
}

/// One comparison of a correlation condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `gt`: greater than.
    Gt,
    /// `gte`: greater than or equal.
    Gte,
    /// `lt`: less than.
    Lt,
    /// `lte`: less than or equal.
    Lte,
    /// `eq`: equal.
    Eq,
    /// `neq`: different.
    Neq,
}

impl CompareOp {
    fn from_name(name: &str) -> Option<CompareOp> {
        Some(match name {
            "gt" => CompareOp::Gt,
            "gte" => CompareOp::Gte,
            "lt" => CompareOp::Lt,
            "lte" => CompareOp::Lte,
            "eq" => CompareOp::Eq,
            "neq" => CompareOp::Neq,
            _ => return None,
        })
    }

    /// Whether `value` compares to `bound` this way.
    pub fn holds(self, value: f64, bound: f64) -> bool {
        match self {
            CompareOp::Gt => value > bound,
            CompareOp::Gte => value >= bound,
            CompareOp::Lt => value < bound,
            CompareOp::Lte => value <= bound,
            CompareOp::Eq => value == bound,
            CompareOp::Neq => value != bound,
        }
    }
}

/// `correlation.condition`.
#[derive(Debug, Clone, PartialEq)]
pub struct CountCondition {
    /// The comparisons, all of which must hold (`gt: 100` with `lte: 200`
    /// is the range 101 to 200).
    pub ops: Vec<(CompareOp, f64)>,
    /// `field`: the field(s) whose values are counted, summed, averaged;
    /// several fields (for `value_count`) count distinct combinations.
    pub field: Vec<String>,
    /// `percentile` (pySigma): which percentile `value_percentile` compares.
    pub percentile: Option<f64>,
}

impl CountCondition {
    /// The condition `gte: n`.
    pub fn at_least(n: usize) -> CountCondition {
        CountCondition {
            ops: vec![(CompareOp::Gte, n as f64)],
            field: Vec::new(),
            percentile: None,
        }
    }

    /// Whether `value` meets every comparison.
    pub fn matches(&self, value: f64) -> bool {
        self.ops.iter().all(|&(op, bound)| op.holds(value, bound))
    }

    /// Whether every comparison is a lower bound (`gt`, `gte`): a growing
    /// value can then only start meeting the condition, never stop.
    pub fn lower_bounds_only(&self) -> bool {
        self.ops
            .iter()
            .all(|(op, _)| matches!(op, CompareOp::Gt | CompareOp::Gte))
    }
}

/// One entry of `correlation.aliases`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    /// The alias, as used in `group-by`.
    pub name: String,
    /// Referenced rule (id or name) → its field name.
    pub fields: Vec<(String, String)>,
    /// Line of the alias's first rule → field entry.
    pub line: usize,
}

/// A parsed correlation rule.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationRule {
    /// `title`.
    pub title: String,
    /// `id`.
    pub id: Option<String>,
    /// `name`, by which other correlations may refer to this one.
    pub name: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `author`.
    pub author: Option<String>,
    /// `level`.
    pub level: Option<String>,
    /// `tags`.
    pub tags: Vec<String>,
    /// `references`.
    pub references: Vec<String>,
    /// `correlation.type`.
    pub kind: CorrelationKind,
    /// `correlation.rules`: referenced rule ids or names, in order.
    pub rules: Vec<String>,
    /// `correlation.group-by` (empty: one group for everything).
    pub group_by: Vec<String>,
    /// `correlation.timespan`.
    pub timespan: Duration,
    /// `correlation.condition` (absent only for temporal kinds).
    pub condition: Option<CountCondition>,
    /// `correlation.aliases`.
    pub aliases: Vec<Alias>,
    /// `generate`: whether referenced rules also report on their own.
    pub generate: bool,
    /// The rule file.
    pub file: PathBuf,
    /// Line where the document starts.
    pub line: usize,
}
