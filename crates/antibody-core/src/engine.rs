//! The `Engine` trait that every hunting engine implements, and the `Sink`
//! that receives what engines produce.

use crate::error::ItemError;
use crate::evidence::Location;
use crate::finding::Finding;
use crate::triage::Kind;

/// Receives findings and item errors from engines, from many threads.
pub trait Sink: Send + Sync {
    /// One finding.
    fn finding(&self, finding: Finding);
    /// One item that could not be (fully) hunted.
    fn error(&self, error: ItemError);
}

/// One item handed to a specialist engine: its location, kind and bytes.
#[derive(Debug)]
pub struct Item<'a> {
    /// Where the item is.
    pub location: &'a Location,
    /// What triage decided it is.
    pub kind: Kind,
    /// Its full content (memory-mapped for files on disk).
    pub data: &'a [u8],
}

/// A hunting engine for one or more item kinds (logs, captures, mail...).
///
/// The files engine walks the evidence, sniffs each item, runs the generic
/// checks, and hands every item whose kind an engine [`handles`] to it.
///
/// [`handles`]: Engine::handles
pub trait Engine: Send + Sync {
    /// Short name (`logs`, `net`, `mail`), used in findings and summaries.
    fn name(&self) -> &'static str;
    /// Whether this engine hunts items of `kind`.
    fn handles(&self, kind: Kind) -> bool;
    /// Hunts one item, sending findings to `sink`. An error here is recorded
    /// against the item and the hunt goes on.
    fn hunt(&self, item: &Item<'_>, sink: &dyn Sink) -> Result<(), ItemError>;
    /// Called once after every item was hunted, for what spans items
    /// (correlations over many logs). Does nothing by default.
    fn finish(&self, sink: &dyn Sink) {
        let _ = sink;
    }
}

/// A sink that collects everything in memory (tests, small hunts).
#[derive(Debug, Default)]
pub struct VecSink {
    findings: std::sync::Mutex<Vec<Finding>>,
    errors: std::sync::Mutex<Vec<ItemError>>,
}

impl VecSink {
    /// An empty sink.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes what was collected, leaving the sink empty.
    pub fn take(&self) -> (Vec<Finding>, Vec<ItemError>) {
        let f = std::mem::take(&mut *self.findings.lock().unwrap_or_else(|e| e.into_inner()));
        let e = std::mem::take(&mut *self.errors.lock().unwrap_or_else(|e| e.into_inner()));
        (f, e)
    }
}

impl Sink for VecSink {
    fn finding(&self, finding: Finding) {
        self.findings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(finding);
    }
    fn error(&self, error: ItemError) {
        self.errors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(error);
    }
}
