//! The summary of one hunt: what was looked at, what was not, and totals.

use crate::error::ItemError;
use crate::finding::Finding;
use crate::severity::Severity;
use crate::triage::Kind;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How many example paths a [`NotHunted`] entry keeps.
pub const NOT_HUNTED_EXAMPLES: usize = 5;

/// Items of one kind that no loaded engine hunts beyond the generic checks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotHunted {
    /// How many items.
    pub count: u64,
    /// The engine that would hunt them.
    pub needs: String,
    /// Up to [`NOT_HUNTED_EXAMPLES`] of their locations.
    pub examples: Vec<String>,
}

/// A pack used in the hunt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackInfo {
    /// Pack name.
    pub name: String,
    /// Pack version.
    pub version: String,
    /// `built-in` or the directory.
    pub origin: String,
}

/// Totals of one hunt.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// antibody version that ran the hunt.
    pub version: String,
    /// The paths (or `processes`) hunted.
    pub targets: Vec<String>,
    /// When the hunt started.
    pub started: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished: Option<DateTime<Utc>>,
    /// Wall time in seconds.
    pub seconds: f64,
    /// Packs used.
    pub packs: Vec<PackInfo>,
    /// YARA rules compiled.
    pub yara_rules: usize,
    /// Sigma rules loaded (detection, filter and correlation rules).
    #[serde(default)]
    pub sigma_rules: usize,
    /// Sigma rules rejected (each reported with its reason).
    #[serde(default)]
    pub sigma_rejected: usize,
    /// Log events read by the log engine.
    #[serde(default)]
    pub log_events: u64,
    /// Network rules loaded (pack `network/` files).
    #[serde(default)]
    pub net_rules: usize,
    /// Captures and Zeek logs hunted by the net engine.
    #[serde(default)]
    pub net_items: u64,
    /// Frames read from captures.
    #[serde(default)]
    pub net_frames: u64,
    /// Flows seen in captures.
    #[serde(default)]
    pub net_flows: u64,
    /// Records (connections, HTTP, TLS, DNS, SMTP) decoded or read from Zeek.
    #[serde(default)]
    pub net_records: u64,
    /// Indicators loaded.
    pub indicators: usize,
    /// Items looked at (files, archive members, processes).
    pub items: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Items per kind.
    pub kinds: BTreeMap<Kind, u64>,
    /// Kinds that no loaded engine hunts beyond hashes, names and YARA.
    pub not_hunted: BTreeMap<Kind, NotHunted>,
    /// Findings per severity.
    pub findings: BTreeMap<Severity, u64>,
    /// Item errors that mean evidence could not be read.
    pub errors: u64,
    /// Items skipped on purpose (size limit, devices).
    pub skipped: u64,
}

impl Summary {
    /// Counts one item of `kind` at `location`; `specialist_loaded` says
    /// whether an engine handled it beyond the generic checks.
    pub fn count_item(&mut self, kind: Kind, location: &str, bytes: u64, specialist_loaded: bool) {
        self.items += 1;
        self.bytes += bytes;
        *self.kinds.entry(kind).or_insert(0) += 1;
        if let (Some(needs), false) = (kind.specialist(), specialist_loaded) {
            let e = self.not_hunted.entry(kind).or_insert_with(|| NotHunted {
                needs: needs.to_string(),
                ..Default::default()
            });
            e.count += 1;
            if e.examples.len() < NOT_HUNTED_EXAMPLES {
                e.examples.push(location.to_string());
            }
        }
    }

    /// Counts one finding.
    pub fn count_finding(&mut self, f: &Finding) {
        *self.findings.entry(f.severity).or_insert(0) += 1;
    }

    /// Counts one item error.
    pub fn count_error(&mut self, e: &ItemError) {
        if e.kind.is_failure() {
            self.errors += 1;
        } else {
            self.skipped += 1;
        }
    }

    /// Total findings.
    pub fn total_findings(&self) -> u64 {
        self.findings.values().sum()
    }

    /// The exit code the contract gives this outcome: 3 if evidence could
    /// not be read, else 1 with findings, else 0.
    pub fn exit_code(&self) -> u8 {
        if self.errors > 0 {
            3
        } else if self.total_findings() > 0 {
            1
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ItemErrorKind;

    #[test]
    fn exit_codes_follow_the_contract() {
        let mut s = Summary::default();
        assert_eq!(s.exit_code(), 0);
        s.findings.insert(Severity::High, 1);
        assert_eq!(s.exit_code(), 1);
        s.count_error(&ItemError::new("x", ItemErrorKind::Skipped, "big"));
        assert_eq!(s.exit_code(), 1, "a deliberate skip is not a read failure");
        s.count_error(&ItemError::new("x", ItemErrorKind::Unreadable, "denied"));
        assert_eq!(s.exit_code(), 3);
    }

    #[test]
    fn unhandled_kinds_are_listed_not_dropped() {
        let mut s = Summary::default();
        for i in 0..7 {
            s.count_item(Kind::Evtx, &format!("/l/{i}.evtx"), 10, false);
        }
        s.count_item(Kind::Pe, "/x.exe", 10, false);
        let nh = &s.not_hunted[&Kind::Evtx];
        assert_eq!(nh.count, 7);
        assert_eq!(nh.needs, "logs");
        assert_eq!(nh.examples.len(), NOT_HUNTED_EXAMPLES);
        assert!(!s.not_hunted.contains_key(&Kind::Pe));
        assert_eq!(s.items, 8);
    }
}
