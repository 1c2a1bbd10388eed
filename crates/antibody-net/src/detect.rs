//! Detectors over decoded records: pack indicators (addresses, domains,
//! URLs, certificates, JA3/JA4, content strings) and pack network rules.
//!
//! Findings are aggregated per rule and conversation (client, server,
//! server port): a C2 channel polled a thousand times is one finding that
//! says how often and when, with the evidence of its first occurrences.

use crate::fields::{self, Record, Value};
use crate::model::{CertInfo, Evidence, FlowKey, Micros, NetRecord};
use crate::rules::NetRule;
use aho_corasick::AhoCorasick;
use antibody_core::evidence::cut;
use antibody_core::pack::{Indicator, IndicatorHit, IndicatorIndex, IndicatorType};
use antibody_core::{EventRef, Finding, Location, Observable, RuleRef};
use chrono::{DateTime, Utc};
use regex::Regex;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

/// Most evidence entries (records) kept per aggregated finding.
pub const MAX_EVENTS_PER_FINDING: usize = 5;
/// Most distinct aggregated findings per item; beyond, hits are counted.
pub const MAX_FINDINGS_PER_ITEM: usize = 10_000;

/// An indicator copied out of the index, for lookups the index lacks.
#[derive(Debug, Clone)]
struct Owned {
    pack: String,
    indicator: Indicator,
    reference: Option<String>,
    action: String,
}

impl Owned {
    fn of(h: IndicatorHit<'_>) -> Self {
        Owned {
            pack: h.pack.to_string(),
            indicator: h.indicator.clone(),
            reference: h.reference.map(str::to_string),
            action: h.default_action.to_string(),
        }
    }
}

/// Indicators and rules, compiled once per hunt; shared by all items.
#[derive(Debug)]
pub struct Detector {
    index: Arc<IndicatorIndex>,
    rules: Vec<NetRule>,
    owned: Vec<Owned>,
    /// Lowercase URL indicator → owned index.
    urls: Vec<(String, usize)>,
    /// Certificate SHA-1/SHA-256 → owned index.
    cert_fps: HashMap<String, usize>,
    /// Subject/issuer patterns.
    dn_patterns: Vec<(Regex, IndicatorType, usize)>,
    /// JA3/JA3S/JA4/JA4S values → owned index.
    tls_fps: HashMap<String, usize>,
    /// Content strings searched in HTTP headers and bodies.
    strings: Option<(AhoCorasick, Vec<usize>)>,
}

impl Detector {
    /// Builds the detector from the packs' indicators and compiled rules.
    pub fn new(index: Arc<IndicatorIndex>, rules: Vec<NetRule>) -> Self {
        let mut owned = Vec::new();
        let mut push = |h: IndicatorHit<'_>| {
            owned.push(Owned::of(h));
            owned.len() - 1
        };
        let urls = index
            .urls()
            .into_iter()
            .map(|h| (h.indicator.value.to_ascii_lowercase(), push(h)))
            .collect();
        let cert_fps = index
            .of_type(IndicatorType::X509Fingerprint)
            .into_iter()
            .map(|h| (h.indicator.value.to_ascii_lowercase(), push(h)))
            .collect();
        let mut dn_patterns = Vec::new();
        for kind in [IndicatorType::X509Subject, IndicatorType::X509Issuer] {
            for h in index.of_type(kind) {
                if let Some(re) = dn_pattern(&h.indicator.value) {
                    dn_patterns.push((re, kind, push(h)));
                }
            }
        }
        let mut tls_fps = HashMap::new();
        for kind in [IndicatorType::Ja3, IndicatorType::Ja4] {
            for h in index.of_type(kind) {
                tls_fps.insert(h.indicator.value.to_ascii_lowercase(), push(h));
            }
        }
        let mut needles = Vec::new();
        let mut ids = Vec::new();
        for h in index.strings() {
            needles.push(h.indicator.value.clone());
            ids.push(push(h));
        }
        let strings = (!needles.is_empty())
            .then(|| AhoCorasick::new(&needles).ok().map(|ac| (ac, ids)))
            .flatten();
        Detector {
            index,
            rules,
            owned,
            urls,
            cert_fps,
            dn_patterns,
            tls_fps,
            strings,
        }
    }

    /// Number of network rules.
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// Checks one record, adding what fires to `out`.
    pub fn check(&self, record: &NetRecord, out: &mut Findings) {
        let view = match record {
            NetRecord::Conn(r) => Record::Conn(r),
            NetRecord::Http(r) => Record::Http(r),
            NetRecord::Tls(r) => Record::Tls(r),
            NetRecord::Dns(r) => Record::Dns(r),
            NetRecord::Smtp(r) => Record::Smtp(r),
        };
        let (flow, ts, evidence) = meta(record);
        let ctx = Ctx {
            flow,
            ts,
            evidence,
            summary: Summary::Record(record),
            detail: None,
        };
        self.indicators(record, &ctx, out);
        self.apply_rules(&view, &ctx, out);
    }

    /// Applies the rules to a computed record (`beacon`, `dns_tunnel`).
    pub fn check_scored(
        &self,
        protocol: &'static str,
        values: &[(&'static str, Value<'_>)],
        evidence: EvidenceCtx<'_>,
        out: &mut Findings,
    ) {
        let view = Record::Scored(protocol, values);
        let ctx = Ctx {
            flow: evidence.flow,
            ts: evidence.ts,
            evidence: evidence.evidence,
            summary: Summary::Given(evidence.summary),
            detail: evidence.detail,
        };
        self.apply_rules(&view, &ctx, out);
    }

    fn apply_rules(&self, view: &Record<'_>, ctx: &Ctx<'_>, out: &mut Findings) {
        for rule in &self.rules {
            let Some(matched) = rule.eval(view) else {
                continue;
            };
            let shown: Vec<String> = matched.iter().map(|(f, v)| format!("{f} = {v}")).collect();
            let mut reason = if rule.description.is_empty() {
                format!("Matched {}.", shown.join("; "))
            } else {
                format!(
                    "{} Matched {}.",
                    rule.description.trim_end(),
                    shown.join("; ")
                )
            };
            if let Some(d) = &ctx.detail {
                reason.push(' ');
                reason.push_str(d);
            }
            let mut techniques = rule.attack.clone();
            techniques.dedup();
            let finding = Finding {
                rule: RuleRef {
                    id: rule.id.clone(),
                    name: rule.title.clone(),
                    pack: rule.pack.clone(),
                    engine: "net".into(),
                    references: rule.reference.clone().into_iter().collect(),
                    author: None,
                },
                title: rule.title.clone(),
                reason,
                severity: rule.severity,
                confidence: rule.confidence,
                techniques,
                location: out.location.clone(),
                offset: None,
                matches: Vec::new(),
                observables: observables(ctx.flow, &matched),
                file: None,
                timestamp: time(ctx.ts),
                action: rule.action.clone(),
                events: Vec::new(),
            };
            let key = format!("rule:{}", rule.id);
            out.add(key, ctx, matched, finding);
        }
    }

    fn indicators(&self, record: &NetRecord, ctx: &Ctx<'_>, out: &mut Findings) {
        let mut hits: Vec<(usize, IndicatorHit<'_>, Observable, String)> = Vec::new();
        let ip_hits = |ip: IpAddr, field: &str, hits: &mut Vec<_>| {
            for h in self.index.ip(ip) {
                hits.push((usize::MAX, h, Observable::Ip(ip), field.to_string()));
            }
        };
        let name_hits = |name: &str, field: &str, hits: &mut Vec<_>| {
            if name.is_empty() || name.parse::<IpAddr>().is_ok() {
                return;
            }
            for h in self.index.domain(name) {
                hits.push((
                    usize::MAX,
                    h,
                    Observable::Domain(name.to_ascii_lowercase()),
                    field.to_string(),
                ));
            }
        };
        match record {
            NetRecord::Conn(r) => {
                ip_hits(r.meta.flow.server_ip, "server_ip", &mut hits);
                ip_hits(r.meta.flow.client_ip, "client_ip", &mut hits);
            }
            NetRecord::Dns(r) => {
                name_hits(&r.query, "query", &mut hits);
                for a in &r.answers {
                    if let Ok(ip) = a.data.parse::<IpAddr>() {
                        ip_hits(ip, "answer", &mut hits);
                    } else {
                        name_hits(&a.data, "answer", &mut hits);
                    }
                }
            }
            NetRecord::Http(r) => {
                if let Some(h) = &r.host {
                    name_hits(h, "host", &mut hits);
                    // The connection record already carries the server address.
                    if let Ok(ip) = h.parse::<IpAddr>()
                        && ip != r.meta.flow.server_ip
                    {
                        ip_hits(ip, "host", &mut hits);
                    }
                }
                if !self.urls.is_empty() {
                    let url = fields::url(r).to_ascii_lowercase();
                    for (u, i) in &self.urls {
                        if url.contains(u.as_str()) {
                            hits.push((
                                *i,
                                self.hit(*i),
                                Observable::Url(url.clone()),
                                "url".into(),
                            ));
                        }
                    }
                }
                if let Some((ac, ids)) = &self.strings {
                    let mut seen = Vec::new();
                    let head = header_block(r);
                    for (what, hay) in [
                        ("request headers", head.as_bytes()),
                        ("request body", r.request_body.as_slice()),
                        ("response body", r.response_body.as_slice()),
                    ] {
                        for m in ac.find_overlapping_iter(hay) {
                            let i = ids[m.pattern().as_usize()];
                            if !seen.contains(&i) {
                                seen.push(i);
                                let h = self.hit(i);
                                let obs = Observable::Url(fields::url(r));
                                hits.push((i, h, obs, what.to_string()));
                            }
                        }
                    }
                }
            }
            NetRecord::Tls(r) => {
                if let Some(sni) = &r.sni {
                    name_hits(sni, "sni", &mut hits);
                }
                for (field, value) in [
                    ("ja3", &r.ja3_hash),
                    ("ja3s", &r.ja3s_hash),
                    ("ja4", &r.ja4),
                    ("ja4s", &r.ja4s),
                ] {
                    if let Some(v) = value
                        && let Some(&i) = self.tls_fps.get(&v.to_ascii_lowercase())
                    {
                        hits.push((
                            i,
                            self.hit(i),
                            Observable::TlsFingerprint(v.clone()),
                            field.into(),
                        ));
                    }
                }
                for (side, certs) in [("cert", &r.server_certs), ("client_cert", &r.client_certs)] {
                    for c in certs.iter() {
                        self.cert_hits(c, side, &mut hits);
                        for n in &c.san_dns {
                            name_hits(n, &format!("{side}.san"), &mut hits);
                        }
                    }
                }
            }
            NetRecord::Smtp(r) => {
                if let Some(h) = &r.helo {
                    name_hits(h, "helo", &mut hits);
                }
            }
        }
        let mut seen: Vec<String> = Vec::new();
        for (_, hit, obs, field) in hits {
            let key = format!("{}:{}", hit.indicator.kind, hit.indicator.value);
            if seen.contains(&key) {
                continue;
            }
            seen.push(key.clone());
            let ind = hit.indicator;
            let finding = Finding {
                rule: RuleRef {
                    id: key.clone(),
                    name: format!("{} indicator", ind.kind),
                    pack: hit.pack.to_string(),
                    engine: "net".into(),
                    references: hit
                        .reference
                        .map(|r| vec![r.to_string()])
                        .unwrap_or_default(),
                    author: None,
                },
                title: format!("Traffic with a published indicator: {}", ind.value),
                reason: format!(
                    "`{field}` of {} {} holds the {} indicator `{}`: {}",
                    protocol_name(record),
                    ctx.flow.display(),
                    ind.kind,
                    ind.value,
                    ind.description
                ),
                severity: ind.severity,
                confidence: ind.confidence,
                techniques: ind.attack.clone(),
                location: out.location.clone(),
                offset: None,
                matches: Vec::new(),
                observables: vec![obs.clone()],
                file: None,
                timestamp: time(ctx.ts),
                action: ind
                    .action
                    .clone()
                    .unwrap_or_else(|| hit.default_action.to_string()),
                events: Vec::new(),
            };
            out.add(
                format!("ioc:{key}"),
                ctx,
                vec![(field, obs.value())],
                finding,
            );
        }
    }

    fn cert_hits<'s>(
        &'s self,
        c: &CertInfo,
        side: &str,
        hits: &mut Vec<(usize, IndicatorHit<'s>, Observable, String)>,
    ) {
        for fp in [&c.sha1, &c.sha256] {
            if let Some(&i) = self.cert_fps.get(fp.as_str()) {
                hits.push((
                    i,
                    self.hit(i),
                    Observable::Certificate(fp.clone()),
                    format!("{side}.fingerprint"),
                ));
            }
        }
        for (re, kind, i) in &self.dn_patterns {
            let (what, dn) = match kind {
                IndicatorType::X509Issuer => ("issuer", &c.issuer),
                _ => ("subject", &c.subject),
            };
            if re.is_match(dn) {
                let obs = Observable::Certificate(c.sha256.clone());
                hits.push((*i, self.hit(*i), obs, format!("{side}.{what}")));
            }
        }
    }

    fn hit(&self, i: usize) -> IndicatorHit<'_> {
        let o = &self.owned[i];
        IndicatorHit {
            pack: &o.pack,
            indicator: &o.indicator,
            reference: o.reference.as_deref(),
            default_action: &o.action,
        }
    }
}

/// `C=Tunis, O=IT, CN=*` → a case-insensitive whole-match regex; spaces
/// after commas are optional on either side.
fn dn_pattern(p: &str) -> Option<Regex> {
    let parts: Vec<String> = p
        .split(',')
        .map(|part| {
            part.trim()
                .split('*')
                .map(regex::escape)
                .collect::<Vec<_>>()
                .join(".*")
        })
        .collect();
    Regex::new(&format!("(?i)^{}$", parts.join(r",\s*"))).ok()
}

fn header_block(r: &crate::model::HttpRecord) -> String {
    let mut s = format!("{} {} HTTP/{}\r\n", r.method, r.uri, r.version);
    for (n, v) in &r.request_headers {
        s.push_str(n);
        s.push_str(": ");
        s.push_str(v);
        s.push_str("\r\n");
    }
    s
}

fn protocol_name(r: &NetRecord) -> &'static str {
    match r {
        NetRecord::Conn(_) => "connection",
        NetRecord::Http(_) => "HTTP request",
        NetRecord::Tls(_) => "TLS handshake",
        NetRecord::Dns(_) => "DNS message",
        NetRecord::Smtp(_) => "SMTP session",
    }
}

fn meta(r: &NetRecord) -> (&FlowKey, Micros, &Evidence) {
    let m = match r {
        NetRecord::Conn(r) => &r.meta,
        NetRecord::Http(r) => &r.meta,
        NetRecord::Tls(r) => &r.meta,
        NetRecord::Dns(r) => &r.meta,
        NetRecord::Smtp(r) => &r.meta,
    };
    (&m.flow, m.ts, &m.evidence)
}

/// A short description of the record for the evidence list.
fn summary(r: &NetRecord) -> Vec<(String, String)> {
    let mut v = Vec::new();
    match r {
        NetRecord::Conn(c) => {
            v.push((
                "bytes".into(),
                format!("{} sent, {} received", c.client_bytes, c.server_bytes),
            ));
            if let Some(s) = &c.service {
                v.push(("service".into(), s.clone()));
            }
        }
        NetRecord::Http(h) => {
            v.push((
                "request".into(),
                cut(&format!("{} {}", h.method, fields::url(h)), 300),
            ));
            if let Some(s) = h.status {
                v.push(("status".into(), s.to_string()));
            }
        }
        NetRecord::Tls(t) => {
            if let Some(s) = &t.sni {
                v.push(("sni".into(), s.clone()));
            }
            if let Some(j) = &t.ja3_hash {
                v.push(("ja3".into(), j.clone()));
            }
            if let Some(c) = t.server_certs.first() {
                v.push(("cert.subject".into(), c.subject.clone()));
            }
        }
        NetRecord::Dns(d) => {
            v.push((
                "query".into(),
                format!("{} {}", d.query, fields::rtype_name(d.qtype)),
            ));
        }
        NetRecord::Smtp(s) => {
            if let Some(b) = &s.banner {
                v.push(("banner".into(), cut(b, 200)));
            }
        }
    }
    v
}

fn observables(flow: &FlowKey, matched: &[(String, String)]) -> Vec<Observable> {
    let mut v = vec![Observable::Ip(flow.server_ip)];
    for (f, val) in matched {
        match f.as_str() {
            "host" | "sni" | "query" => v.push(Observable::Domain(val.clone())),
            "url" => v.push(Observable::Url(val.clone())),
            _ => {}
        }
    }
    v
}

/// Microseconds since the epoch as a time.
pub fn time(ts: Micros) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_micros(ts).filter(|_| ts > 0)
}

/// Where a computed record's evidence comes from.
#[derive(Debug, Clone)]
pub struct EvidenceCtx<'a> {
    /// The conversation (for beacons: the pair, ports of the first connection).
    pub flow: &'a FlowKey,
    /// First time.
    pub ts: Micros,
    /// Frames or uid of the first connection.
    pub evidence: &'a Evidence,
    /// Extra fields for the evidence list.
    pub summary: Vec<(String, String)>,
    /// A sentence added to the finding's reason (how a score was made).
    pub detail: Option<String>,
}

/// The evidence list's description of a record, made only when something
/// fires (most records fire nothing).
enum Summary<'a> {
    Record(&'a NetRecord),
    Given(Vec<(String, String)>),
}

impl Summary<'_> {
    fn fields(&self) -> Vec<(String, String)> {
        match self {
            Summary::Record(r) => summary(r),
            Summary::Given(v) => v.clone(),
        }
    }
}

struct Ctx<'a> {
    flow: &'a FlowKey,
    ts: Micros,
    evidence: &'a Evidence,
    summary: Summary<'a>,
    detail: Option<String>,
}

#[derive(Debug)]
struct Agg {
    finding: Finding,
    count: u64,
    first: Micros,
    last: Micros,
}

/// Findings of one item (or of a whole hunt for computed records),
/// aggregated per rule and conversation.
#[derive(Debug)]
pub struct Findings {
    location: Location,
    format: &'static str,
    aggs: HashMap<String, usize>,
    list: Vec<Agg>,
    /// Hits not kept because [`MAX_FINDINGS_PER_ITEM`] was reached.
    pub dropped: u64,
}

impl Findings {
    /// Findings for the item at `location`, read as `format` (`pcap`, `zeek`...).
    pub fn new(location: Location, format: &'static str) -> Self {
        Findings {
            location,
            format,
            aggs: HashMap::new(),
            list: Vec::new(),
            dropped: 0,
        }
    }

    fn add(
        &mut self,
        key: String,
        ctx: &Ctx<'_>,
        matched: Vec<(String, String)>,
        finding: Finding,
    ) {
        let f = ctx.flow;
        let key = format!("{key}|{}|{}|{}", f.client_ip, f.server_ip, f.server_port);
        let event = || {
            let mut fields = vec![("flow".to_string(), f.display())];
            fields.extend(ctx.summary.fields());
            for m in &matched {
                if !fields.iter().any(|(n, _)| n == &m.0) {
                    fields.push(m.clone());
                }
            }
            EventRef {
                format: self.format.to_string(),
                record: None,
                line: None,
                timestamp: time(ctx.ts),
                fields,
                raw: None,
                frames: ctx.evidence.frames.clone(),
                uid: ctx.evidence.uid.clone(),
            }
        };
        if let Some(&i) = self.aggs.get(&key) {
            let ev = (self.list[i].finding.events.len() < MAX_EVENTS_PER_FINDING).then(event);
            let a = &mut self.list[i];
            a.count += 1;
            a.first = a.first.min(ctx.ts);
            a.last = a.last.max(ctx.ts);
            if let Some(ev) = ev {
                a.finding.events.push(ev);
            }
            return;
        }
        if self.list.len() >= MAX_FINDINGS_PER_ITEM {
            self.dropped += 1;
            return;
        }
        let mut finding = finding;
        finding.events.push(event());
        self.aggs.insert(key, self.list.len());
        self.list.push(Agg {
            finding,
            count: 1,
            first: ctx.ts,
            last: ctx.ts,
        });
    }

    /// Number of distinct findings so far.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether nothing fired.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The findings, each saying how many times it fired and over what time.
    pub fn into_findings(self) -> Vec<Finding> {
        self.list
            .into_iter()
            .map(|a| {
                let mut f = a.finding;
                if a.count > 1 {
                    let span = match (time(a.first), time(a.last)) {
                        (Some(x), Some(y)) if a.last > a.first => {
                            format!(" between {} and {}", x.to_rfc3339(), y.to_rfc3339())
                        }
                        _ => String::new(),
                    };
                    f.reason
                        .push_str(&format!(" Seen {} times{span}.", a.count));
                    f.timestamp = time(a.first);
                }
                f
            })
            .collect()
    }
}
