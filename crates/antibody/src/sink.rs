//! The hunt's sink: keeps findings and errors for the report and writes
//! them to the case in batches, so an interrupted hunt keeps what it found.

use antibody_case::{Case, HuntId, ItemRecord};
use antibody_core::{Finding, ItemError, Sink};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const BATCH: usize = 256;
const FLUSH_EVERY: Duration = Duration::from_secs(2);

struct CaseWriter {
    case: Case,
    hunt: HuntId,
    findings: Vec<Finding>,
    errors: Vec<ItemError>,
    items: Vec<ItemRecord>,
    last: Instant,
    failed: Option<String>,
}

impl CaseWriter {
    fn flush(&mut self) {
        if self.failed.is_some() {
            return;
        }
        let r = self
            .case
            .add_findings(self.hunt, &self.findings)
            .and_then(|_| self.case.add_errors(self.hunt, &self.errors))
            .and_then(|_| self.case.add_items(self.hunt, &self.items));
        if let Err(e) = r {
            self.failed = Some(e.to_string());
        }
        self.findings.clear();
        self.errors.clear();
        self.items.clear();
        self.last = Instant::now();
    }

    fn maybe_flush(&mut self) {
        if self.findings.len() + self.errors.len() + self.items.len() >= BATCH
            || self.last.elapsed() >= FLUSH_EVERY
        {
            self.flush();
        }
    }
}

/// The case a hunt wrote to, its hunt id, and the first write failure.
pub type OpenCase = (Case, HuntId, Option<String>);

/// Collects a hunt's output.
pub struct HuntSink {
    findings: Mutex<Vec<Finding>>,
    errors: Mutex<Vec<ItemError>>,
    case: Option<Mutex<CaseWriter>>,
}

impl HuntSink {
    /// A sink that also writes to `case` under `hunt`.
    pub fn new(case: Option<(Case, HuntId)>) -> Self {
        HuntSink {
            findings: Mutex::new(Vec::new()),
            errors: Mutex::new(Vec::new()),
            case: case.map(|(case, hunt)| {
                Mutex::new(CaseWriter {
                    case,
                    hunt,
                    findings: Vec::new(),
                    errors: Vec::new(),
                    items: Vec::new(),
                    last: Instant::now(),
                    failed: None,
                })
            }),
        }
    }

    /// Ends the hunt: flushes the case and returns what was collected, the
    /// case (if any) and a case write failure (if any).
    pub fn finish(self) -> (Vec<Finding>, Vec<ItemError>, Option<OpenCase>) {
        let case = self.case.map(|m| {
            let mut w = m.into_inner().unwrap_or_else(|e| e.into_inner());
            w.flush();
            (w.case, w.hunt, w.failed)
        });
        let mut findings = self
            .findings
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        let mut errors = self.errors.into_inner().unwrap_or_else(|e| e.into_inner());
        // Workers finish in any order: sort for stable output.
        findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.location.to_string().cmp(&b.location.to_string()))
                .then_with(|| a.rule.id.cmp(&b.rule.id))
        });
        findings.dedup_by(|a, b| a.fingerprint() == b.fingerprint());
        errors.sort_by(|a, b| a.item.cmp(&b.item).then_with(|| a.reason.cmp(&b.reason)));
        (findings, errors, case)
    }
}

impl HuntSink {
    /// Records a top-level item in the case (no-op without a case).
    pub fn item(&self, item: ItemRecord) {
        if let Some(c) = &self.case {
            let mut w = c.lock().unwrap_or_else(|e| e.into_inner());
            w.items.push(item);
            w.maybe_flush();
        }
    }
}

impl Sink for HuntSink {
    fn finding(&self, finding: Finding) {
        if let Some(c) = &self.case {
            let mut w = c.lock().unwrap_or_else(|e| e.into_inner());
            w.findings.push(finding.clone());
            w.maybe_flush();
        }
        self.findings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(finding);
    }

    fn error(&self, error: ItemError) {
        if let Some(c) = &self.case {
            let mut w = c.lock().unwrap_or_else(|e| e.into_inner());
            w.errors.push(error.clone());
            w.maybe_flush();
        }
        self.errors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(error);
    }
}
