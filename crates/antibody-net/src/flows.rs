//! `antibody net flows`: who talked to whom, how much and how regularly.
//!
//! Connections from captures and Zeek `conn` logs are totalled per
//! conversation (client, server, server port, transport) and scored as
//! beacons; the table is bounded like the trackers it uses.

use crate::beacon::{BeaconKey, BeaconLimits, BeaconScore, BeaconTracker, PairStats, PairTable};
use crate::capture::CaptureError;
use crate::model::{Micros, NetRecord, RecordSink};
use crate::session::{CaptureStats, SessionOptions, run_capture};
use crate::zeek::{ZeekError, ZeekReader, ZeekStats};
use serde::Serialize;
use std::collections::HashMap;

/// Most conversations totalled.
pub const MAX_PAIRS: usize = 500_000;

/// One row of the table.
#[derive(Debug, Clone, Serialize)]
pub struct FlowRow {
    /// Totals of the conversation.
    #[serde(flatten)]
    pub stats: PairStats,
    /// The application protocol seen most on it (`http`, `tls`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Its beacon score, when it had enough connections to be scored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beacon: Option<BeaconScore>,
}

/// How to order the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    /// Most bytes both ways first.
    Bytes,
    /// Highest beacon score first (unscored last).
    Beacon,
    /// Most connections first.
    Connections,
}

/// Totals over any number of captures and Zeek logs.
#[derive(Debug)]
pub struct FlowSummary {
    pairs: PairTable,
    beacons: BeaconTracker,
    services: HashMap<BeaconKey, HashMap<String, u64>>,
    /// Connections read.
    pub connections: u64,
    /// First and last connection time.
    pub window: Option<(Micros, Micros)>,
}

impl Default for FlowSummary {
    fn default() -> Self {
        FlowSummary {
            pairs: PairTable::new(MAX_PAIRS),
            beacons: BeaconTracker::new(BeaconLimits::default()),
            services: HashMap::new(),
            connections: 0,
            window: None,
        }
    }
}

impl RecordSink for FlowSummary {
    fn record(&mut self, record: NetRecord) {
        let NetRecord::Conn(c) = record else {
            return;
        };
        let key = BeaconKey::from(&c.meta.flow);
        self.connections += 1;
        let w = self.window.get_or_insert((c.meta.ts, c.last_ts));
        w.0 = w.0.min(c.meta.ts);
        w.1 = w.1.max(c.last_ts.max(c.meta.ts));
        self.pairs
            .add(key, c.meta.ts, c.client_bytes, c.server_bytes);
        self.beacons.add(key, c.meta.ts, c.client_bytes);
        if let Some(s) = c.service
            && (self.services.len() < MAX_PAIRS || self.services.contains_key(&key))
        {
            *self.services.entry(key).or_default().entry(s).or_default() += 1;
        }
    }
}

impl FlowSummary {
    /// An empty summary.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a capture's connections.
    pub fn add_capture(
        &mut self,
        data: &[u8],
        options: &SessionOptions,
    ) -> Result<CaptureStats, CaptureError> {
        run_capture(data, options, self)
    }

    /// Adds a Zeek log's connections (`conn` logs; others add nothing).
    pub fn add_zeek(&mut self, data: &[u8], name: &str) -> Result<ZeekStats, ZeekError> {
        let mut reader = ZeekReader::new();
        let stats = reader.read(data, name, self)?;
        Ok(stats)
    }

    /// Conversations not totalled because the table was full.
    pub fn dropped(&self) -> u64 {
        self.pairs.dropped()
    }

    /// The first `top` rows in `sort` order.
    pub fn rows(&self, top: usize, sort: SortBy) -> Vec<FlowRow> {
        let scores: HashMap<BeaconKey, BeaconScore> = self
            .beacons
            .scores(crate::engine::MIN_BEACON_CONNECTIONS)
            .into_iter()
            .map(|s| (s.key, s))
            .collect();
        let mut rows: Vec<FlowRow> = self
            .pairs
            .top(usize::MAX)
            .into_iter()
            .map(|stats| FlowRow {
                service: self.services.get(&stats.key).and_then(|m| {
                    m.iter()
                        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                        .map(|(s, _)| s.clone())
                }),
                beacon: scores.get(&stats.key).cloned(),
                stats,
            })
            .collect();
        match sort {
            SortBy::Bytes => {}
            SortBy::Connections => rows.sort_by(|a, b| {
                b.stats
                    .connections
                    .cmp(&a.stats.connections)
                    .then(a.stats.key.cmp(&b.stats.key))
            }),
            SortBy::Beacon => rows.sort_by(|a, b| {
                let sa = a.beacon.as_ref().map_or(-1.0, |s| s.score);
                let sb = b.beacon.as_ref().map_or(-1.0, |s| s.score);
                sb.total_cmp(&sa).then(a.stats.key.cmp(&b.stats.key))
            }),
        }
        rows.truncate(top);
        rows
    }
}
