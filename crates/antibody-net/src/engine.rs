//! The net engine: hunts captures and Zeek logs handed over by the files
//! engine's triage, and scores what spans them (beacons, DNS tunnels) when
//! the hunt ends.

use crate::beacon::{BeaconKey, BeaconLimits, BeaconScore, BeaconTracker};
use crate::detect::{Detector, EvidenceCtx, Findings};
use crate::dnstunnel::{DnsTunnelTracker, TunnelCandidate, TunnelLimits};
use crate::fields::Value;
use crate::model::{Anomaly, Evidence, FlowKey, Micros, NetRecord, RecordSink, proto};
use crate::rules::{RuleError, compile_pack};
use crate::session::{SessionOptions, run_capture};
use crate::zeek::ZeekReader;
use antibody_core::pack::{IndicatorIndex, Pack};
use antibody_core::{Engine, Item, ItemError, ItemErrorKind, Kind, Location, Sink};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Connections a pair needs before it is scored as a beacon.
pub const MIN_BEACON_CONNECTIONS: usize = 10;
/// Samples gathered per item before they are merged into the hunt-wide
/// trackers (bounds an item's own memory).
const FLUSH_EVERY: usize = 1 << 16;

/// Counts across the hunt, readable while it runs.
#[derive(Debug, Default)]
pub struct NetCounters {
    /// Captures and Zeek logs hunted.
    pub items: AtomicU64,
    /// Frames read from captures.
    pub frames: AtomicU64,
    /// Flows seen in captures.
    pub flows: AtomicU64,
    /// Records decoded (captures) or read (Zeek).
    pub records: AtomicU64,
}

/// Builds a [`NetEngine`].
#[derive(Debug, Default)]
pub struct NetEngineBuilder {
    packs: Vec<Pack>,
    session: SessionOptions,
    beacon: BeaconLimits,
}

impl NetEngineBuilder {
    /// An engine with no packs yet and default limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// Uses `pack`'s indicators and network rules.
    pub fn add_pack(mut self, pack: &Pack) -> Self {
        self.packs.push(pack.clone());
        self
    }

    /// Capture options (flow table limits).
    pub fn session(mut self, options: SessionOptions) -> Self {
        self.session = options;
        self
    }

    /// Compiles the rules; rules that fail are reported and left out.
    pub fn build(self) -> (NetEngine, Vec<(String, RuleError)>) {
        let mut rules = Vec::new();
        let mut errors = Vec::new();
        for p in &self.packs {
            let (r, e) = compile_pack(p);
            rules.extend(r);
            errors.extend(e.into_iter().map(|e| (p.meta.name.clone(), e)));
        }
        let index = Arc::new(IndicatorIndex::new(self.packs.iter()));
        let engine = NetEngine {
            detector: Detector::new(index, rules),
            session: self.session,
            state: Mutex::new(HuntState {
                beacons: BeaconTracker::new(self.beacon),
                tunnels: DnsTunnelTracker::new(TunnelLimits::default()),
                ..HuntState::default()
            }),
            zeek: Mutex::new(ZeekReader::new()),
            counters: Arc::new(NetCounters::default()),
        };
        (engine, errors)
    }
}

/// Where a pair or a DNS parent was first seen.
#[derive(Debug, Clone)]
struct FirstSeen {
    location: u32,
    flow: FlowKey,
    ts: Micros,
    evidence: Evidence,
}

#[derive(Debug, Default)]
struct HuntState {
    beacons: BeaconTracker,
    tunnels: DnsTunnelTracker,
    /// Location of the Zeek log TLS records are reported against.
    zeek_location: Option<u32>,
    locations: Vec<Location>,
    location_ids: HashMap<String, u32>,
    pair_first: HashMap<BeaconKey, FirstSeen>,
    client_dns_first: HashMap<std::net::IpAddr, FirstSeen>,
}

impl HuntState {
    fn location(&mut self, loc: &Location) -> u32 {
        let key = loc.to_string();
        if let Some(&i) = self.location_ids.get(&key) {
            return i;
        }
        let i = self.locations.len() as u32;
        self.locations.push(loc.clone());
        self.location_ids.insert(key, i);
        i
    }
}

/// Hunts pcap/pcapng captures and Zeek logs.
#[derive(Debug)]
pub struct NetEngine {
    detector: Detector,
    session: SessionOptions,
    state: Mutex<HuntState>,
    /// Zeek's TLS records wait here for their certificates; its own lock so
    /// that reading a Zeek log never holds the hunt state.
    zeek: Mutex<ZeekReader>,
    counters: Arc<NetCounters>,
}

impl NetEngine {
    /// Counters that grow as the hunt runs.
    pub fn counters(&self) -> Arc<NetCounters> {
        self.counters.clone()
    }

    /// Number of network rules loaded.
    pub fn rule_count(&self) -> usize {
        self.detector.rule_count()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HuntState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Per-item collector: runs detectors on each record and batches the
/// samples the hunt-wide trackers need.
struct Collector<'e> {
    engine: &'e NetEngine,
    location: &'e Location,
    findings: Findings,
    conns: Vec<(FlowKey, Micros, u64, Evidence)>,
    queries: Vec<(String, u16, Micros, FlowKey, Evidence)>,
    anomalies: BTreeMap<&'static str, (u64, String)>,
    records: u64,
}

impl<'e> Collector<'e> {
    fn new(engine: &'e NetEngine, location: &'e Location, format: &'static str) -> Self {
        Collector {
            engine,
            location,
            findings: Findings::new(location.clone(), format),
            conns: Vec::new(),
            queries: Vec::new(),
            anomalies: BTreeMap::new(),
            records: 0,
        }
    }

    fn flush(&mut self) {
        if self.conns.is_empty() && self.queries.is_empty() {
            return;
        }
        let mut st = self.engine.lock();
        let loc = st.location(self.location);
        for (flow, ts, bytes, evidence) in self.conns.drain(..) {
            let key = BeaconKey::from(&flow);
            st.beacons.add(key, ts, bytes);
            if st.pair_first.len() < 200_000 || st.pair_first.contains_key(&key) {
                let e = st.pair_first.entry(key).or_insert_with(|| FirstSeen {
                    location: loc,
                    flow,
                    ts,
                    evidence: evidence.clone(),
                });
                if ts < e.ts {
                    *e = FirstSeen {
                        location: loc,
                        flow,
                        ts,
                        evidence,
                    };
                }
            }
        }
        for (query, qtype, ts, flow, evidence) in self.queries.drain(..) {
            st.tunnels.add(&query, qtype, ts, flow.client_ip);
            if st.client_dns_first.len() < 100_000 {
                st.client_dns_first
                    .entry(flow.client_ip)
                    .or_insert(FirstSeen {
                        location: loc,
                        flow,
                        ts,
                        evidence,
                    });
            }
        }
    }

    /// Item errors for what went wrong or was left out.
    fn errors(&self) -> Vec<ItemError> {
        let mut v = Vec::new();
        if self.findings.dropped > 0 {
            v.push(ItemError::new(
                self.location,
                ItemErrorKind::Skipped,
                format!(
                    "{} more detector hits not kept: at most {} distinct findings per item",
                    self.findings.dropped,
                    crate::detect::MAX_FINDINGS_PER_ITEM
                ),
            ));
        }
        v
    }
}

fn first_frame_only(e: &Evidence) -> Evidence {
    Evidence {
        frames: e.frames.iter().take(1).copied().collect(),
        uid: e.uid.clone(),
    }
}

impl RecordSink for Collector<'_> {
    fn record(&mut self, record: NetRecord) {
        self.records += 1;
        self.engine.detector.check(&record, &mut self.findings);
        match &record {
            NetRecord::Conn(c)
                if c.meta.flow.proto == proto::TCP || c.meta.flow.proto == proto::UDP =>
            {
                self.conns.push((
                    c.meta.flow,
                    c.meta.ts,
                    c.client_bytes,
                    first_frame_only(&c.meta.evidence),
                ));
            }
            NetRecord::Dns(d)
                if (!d.is_response || d.meta.evidence.uid.is_some()) && !d.query.is_empty() =>
            {
                self.queries.push((
                    d.query.clone(),
                    d.qtype,
                    d.meta.ts,
                    d.meta.flow,
                    first_frame_only(&d.meta.evidence),
                ));
            }
            _ => {}
        }
        if self.conns.len() + self.queries.len() >= FLUSH_EVERY {
            self.flush();
        }
    }

    fn anomaly(&mut self, anomaly: Anomaly) {
        let where_ = match anomaly.frame {
            Some(f) => format!("frame {f}: {}", anomaly.detail),
            None => anomaly.detail,
        };
        let e = self.anomalies.entry(anomaly.code).or_insert((0, where_));
        e.0 += 1;
    }
}

impl Engine for NetEngine {
    fn name(&self) -> &'static str {
        "net"
    }

    fn handles(&self, kind: Kind) -> bool {
        matches!(kind, Kind::Pcap | Kind::Pcapng | Kind::ZeekLog)
    }

    fn hunt(&self, item: &Item<'_>, sink: &dyn Sink) -> Result<(), ItemError> {
        self.counters.items.fetch_add(1, Ordering::Relaxed);
        let mut errors = Vec::new();
        let format = match item.kind {
            Kind::Pcap => "pcap",
            Kind::Pcapng => "pcapng",
            _ => "zeek",
        };
        let mut c = Collector::new(self, item.location, format);
        if item.kind == Kind::ZeekLog {
            let name = item.location.leaf_name().to_string();
            {
                let mut st = self.lock();
                let loc = st.location(item.location);
                if st.zeek_location.is_none() || name.contains("ssl") {
                    st.zeek_location = Some(loc);
                }
            }
            let result = self
                .zeek
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .read(item.data, &name, &mut c);
            match result {
                Ok(stats) => {
                    if stats.bad_lines > 0 {
                        let first = c
                            .anomalies
                            .values()
                            .next()
                            .map(|(_, d)| format!("; first: {d}"))
                            .unwrap_or_default();
                        errors.push(ItemError::new(
                            item.location,
                            ItemErrorKind::Corrupt,
                            format!(
                                "{} of {} lines could not be read and were skipped{first}",
                                stats.bad_lines, stats.lines
                            ),
                        ));
                    }
                }
                Err(e) => errors.push(ItemError::new(
                    item.location,
                    ItemErrorKind::Corrupt,
                    format!("not a readable Zeek log: {e}"),
                )),
            }
        } else {
            match run_capture(item.data, &self.session, &mut c) {
                Ok(stats) => {
                    self.counters
                        .frames
                        .fetch_add(stats.flows.frames, Ordering::Relaxed);
                    self.counters
                        .flows
                        .fetch_add(stats.flows.flows, Ordering::Relaxed);
                    for e in &stats.errors {
                        errors.push(ItemError::new(
                            item.location,
                            ItemErrorKind::Corrupt,
                            format!("{e} (frames before it were hunted)"),
                        ));
                    }
                    if stats.flows.evictions > 0 {
                        errors.push(ItemError::new(
                            item.location,
                            ItemErrorKind::Limit,
                            format!(
                                "{} flows evicted early: more than {} flows at once (their records were still emitted)",
                                stats.flows.evictions, self.session.limits.max_flows
                            ),
                        ));
                    }
                }
                Err(e) => errors.push(ItemError::new(
                    item.location,
                    ItemErrorKind::Corrupt,
                    format!("not a readable capture: {e}"),
                )),
            }
        }
        c.flush();
        self.counters
            .records
            .fetch_add(c.records, Ordering::Relaxed);
        errors.extend(c.errors());
        for (code, (n, first)) in &c.anomalies {
            tracing::debug!(item = %item.location, code, count = n, first = %first, "traffic anomaly");
        }
        for f in c.findings.into_findings() {
            sink.finding(f);
        }
        let mut errors = errors.into_iter();
        let first = errors.next();
        for e in errors {
            sink.error(e);
        }
        match first {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn finish(&self, sink: &dyn Sink) {
        // TLS records from Zeek wait for their certificates (x509.log).
        let zeek_location = {
            let st = self.lock();
            st.zeek_location.map(|i| st.locations[i as usize].clone())
        };
        if let Some(location) = zeek_location {
            let mut c = Collector::new(self, &location, "zeek");
            self.zeek
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .finish(&mut c);
            c.flush();
            self.counters
                .records
                .fetch_add(c.records, Ordering::Relaxed);
            for f in c.findings.into_findings() {
                sink.finding(f);
            }
        }
        let st = self.lock();
        let mut per_location: BTreeMap<u32, Findings> = BTreeMap::new();
        let scores = st.beacons.scores(MIN_BEACON_CONNECTIONS);
        for s in &scores {
            let Some(first) = st.pair_first.get(&s.key) else {
                continue;
            };
            let out = per_location.entry(first.location).or_insert_with(|| {
                Findings::new(st.locations[first.location as usize].clone(), "net")
            });
            let values = beacon_values(s);
            let detail = format!(
                "{} to {} port {}: every {:.0} s (median); interval regularity {:.2} (skew {:.2}, MAD {:.1} s), size regularity {:.2} (skew {:.2}, MAD {:.1} B), active in {} of the 24 slices of the observation window (persistence {:.2}); score {:.2} of 1.",
                s.key.client,
                s.key.server,
                s.key.server_port,
                s.median_interval_s,
                s.ts_score,
                s.ts_skew,
                s.ts_mad,
                s.ds_score,
                s.ds_skew,
                s.ds_mad,
                s.hours_active,
                s.persistence_score,
                s.score
            );
            let summary = vec![
                ("connections".to_string(), s.connections.to_string()),
                (
                    "median_interval".to_string(),
                    format!("{:.1} s", s.median_interval_s),
                ),
                ("score".to_string(), format!("{:.2}", s.score)),
                (
                    "parts".to_string(),
                    format!(
                        "interval regularity {:.2} (skew {:.2}, MAD {:.1} s), size regularity {:.2} (skew {:.2}, MAD {:.1} B), persistence {:.2} ({} of 24 slices active)",
                        s.ts_score,
                        s.ts_skew,
                        s.ts_mad,
                        s.ds_score,
                        s.ds_skew,
                        s.ds_mad,
                        s.persistence_score,
                        s.hours_active
                    ),
                ),
            ];
            self.detector.check_scored(
                "beacon",
                &values,
                EvidenceCtx {
                    flow: &first.flow,
                    ts: s.first_ts,
                    evidence: &first.evidence,
                    summary,
                    detail: Some(detail),
                },
                out,
            );
        }
        for cand in st.tunnels.candidates() {
            let Some(client) = cand.clients.first() else {
                continue;
            };
            let Some(first) = st.client_dns_first.get(client) else {
                continue;
            };
            let out = per_location.entry(first.location).or_insert_with(|| {
                Findings::new(st.locations[first.location as usize].clone(), "net")
            });
            let values = tunnel_values(&cand);
            let clients: Vec<String> = cand.clients.iter().map(ToString::to_string).collect();
            let detail = format!(
                "Under {} from {}: {} queries, {} unique subdomains, longest label {} characters, mean entropy {:.2} bits per character, {:.0} % TXT/NULL; score {:.2} of 1. Examples: {}.",
                cand.parent,
                clients.join(", "),
                cand.queries,
                cand.unique_subdomains,
                cand.max_label_len,
                cand.mean_entropy,
                cand.txt_share * 100.0,
                cand.score,
                cand.examples
                    .iter()
                    .take(2)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let summary = vec![
                ("parent".to_string(), cand.parent.clone()),
                (
                    "parts".to_string(),
                    format!(
                        "{} queries, {} unique subdomains, longest label {}, mean entropy {:.2} bits/char, TXT share {:.0} %",
                        cand.queries,
                        cand.unique_subdomains,
                        cand.max_label_len,
                        cand.mean_entropy,
                        cand.txt_share * 100.0
                    ),
                ),
                ("examples".to_string(), cand.examples.join(", ")),
            ];
            self.detector.check_scored(
                "dns_tunnel",
                &values,
                EvidenceCtx {
                    flow: &first.flow,
                    ts: cand.first_ts,
                    evidence: &first.evidence,
                    summary,
                    detail: Some(detail),
                },
                out,
            );
        }
        drop(st);
        for (_, f) in per_location {
            for f in f.into_findings() {
                sink.finding(f);
            }
        }
    }
}

fn num(n: f64) -> Value<'static> {
    Value::Num(n)
}

/// The fields of a `beacon` record.
pub fn beacon_values(s: &BeaconScore) -> Vec<(&'static str, Value<'static>)> {
    vec![
        ("client_ip", Value::Ip(s.key.client)),
        ("server_ip", Value::Ip(s.key.server)),
        ("server_port", num(f64::from(s.key.server_port))),
        (
            "transport",
            Value::Str(Cow::Borrowed(crate::fields::transport(s.key.proto))),
        ),
        ("score", num(s.score)),
        ("connections", num(s.connections as f64)),
        ("median_interval", num(s.median_interval_s)),
        ("hours_active", num(f64::from(s.hours_active))),
        ("ts_score", num(s.ts_score)),
        ("ds_score", num(s.ds_score)),
        ("persistence_score", num(s.persistence_score)),
    ]
}

/// The fields of a `dns_tunnel` record.
pub fn tunnel_values(c: &TunnelCandidate) -> Vec<(&'static str, Value<'static>)> {
    let mut v: Vec<(&'static str, Value<'static>)> = c
        .clients
        .iter()
        .map(|ip| ("client_ip", Value::Ip(*ip)))
        .collect();
    v.extend([
        ("parent", Value::Str(Cow::Owned(c.parent.clone()))),
        ("score", num(c.score)),
        ("queries", num(c.queries as f64)),
        ("unique_subdomains", num(c.unique_subdomains as f64)),
        ("max_label", num(c.max_label_len as f64)),
        ("entropy", num(c.mean_entropy)),
        ("txt_share", num(c.txt_share)),
    ]);
    v
}
