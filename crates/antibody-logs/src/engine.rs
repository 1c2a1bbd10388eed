//! The log engine: reads events from EVTX, JSON lines, access logs and
//! syslog, runs the Sigma rules and every pack indicator over them, and
//! turns matches into findings.

use crate::event::{Event, FieldValue, Position};
use crate::mapping::Mapping;
use crate::prefilter::Prefilter;
use crate::read::{self, LineFilter, ReadOptions};
use crate::sigma::correlation::{self, CorrelationHit, CorrelationRule, Correlator, Observation};
use crate::sigma::error::RuleError;
use crate::sigma::rule::{DetectionRule, Document, FilterRule, parse_file, parse_text, rule_files};
use crate::sigma::ruleset::{RuleSet, display};
use crate::sigma::value::Placeholders;
use antibody_core::evidence::cut;
use antibody_core::pack::{HashAlgo, IndicatorHit, IndicatorIndex, Pack};
use antibody_core::{
    Confidence, Engine, EventRef, Finding, Item, ItemError, ItemErrorKind, Kind, Location,
    Observable, RuleRef, Severity, Sink,
};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Findings one rule may raise in one item before the rest are counted
/// instead (an item error says how many were left out).
pub const DEFAULT_MAX_FINDINGS_PER_RULE: usize = 1000;

/// Options of the log engine.
#[derive(Debug, Clone)]
pub struct LogOptions {
    /// Reader limits.
    pub read: ReadOptions,
    /// Only events at or after this time (events without a time are kept).
    pub from: Option<DateTime<Utc>>,
    /// Only events before this time.
    pub to: Option<DateTime<Utc>>,
    /// See [`DEFAULT_MAX_FINDINGS_PER_RULE`].
    pub max_findings_per_rule: usize,
}

impl Default for LogOptions {
    fn default() -> Self {
        LogOptions {
            read: ReadOptions::default(),
            from: None,
            to: None,
            max_findings_per_rule: DEFAULT_MAX_FINDINGS_PER_RULE,
        }
    }
}

/// Where a rule came from.
#[derive(Debug, Clone)]
struct Origin {
    pack: String,
    action: String,
}

/// Collects rule files before the engine is built.
pub struct LogsEngineBuilder {
    mapping: Mapping,
    rules: Vec<DetectionRule>,
    origins: Vec<Origin>,
    filters: Vec<FilterRule>,
    correlations: Vec<(crate::sigma::yaml::Node, std::path::PathBuf, Origin)>,
    errors: Vec<RuleError>,
    warnings: Vec<RuleError>,
    options: LogOptions,
}

/// What loading the rules gave.
#[derive(Debug, Default)]
pub struct LoadReport {
    /// Detection, filter and correlation rules loaded.
    pub loaded: usize,
    /// Rules rejected, each with file, line and reason.
    pub errors: Vec<RuleError>,
    /// Problems that rejected nothing.
    pub warnings: Vec<RuleError>,
}

impl LogsEngineBuilder {
    /// A builder with `mapping` and `options`.
    pub fn new(mapping: Mapping, options: LogOptions) -> Self {
        LogsEngineBuilder {
            mapping,
            rules: Vec::new(),
            origins: Vec::new(),
            filters: Vec::new(),
            correlations: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
            options,
        }
    }

    fn placeholders(&self) -> Placeholders {
        self.mapping.placeholders.clone()
    }

    fn take(&mut self, parsed: crate::sigma::rule::Parsed, origin: &Origin) {
        self.errors.extend(parsed.errors);
        self.warnings.extend(parsed.warnings);
        for d in parsed.documents {
            match d {
                Document::Rule(r) => {
                    self.rules.push(*r);
                    self.origins.push(origin.clone());
                }
                Document::Filter(f) => self.filters.push(*f),
                Document::Correlation(node, file) => {
                    self.correlations.push((*node, file, origin.clone()))
                }
            }
        }
    }

    /// Adds the Sigma rules of a pack.
    pub fn add_pack(&mut self, pack: &Pack) {
        let origin = Origin {
            pack: pack.meta.name.clone(),
            action: pack.default_action().to_string(),
        };
        let ph = self.placeholders();
        for f in &pack.sigma {
            let file = Path::new(&pack.meta.name).join(&f.path);
            let parsed = parse_text(&f.text, &file, &ph);
            self.take(parsed, &origin);
        }
    }

    /// Adds every rule file under `path` (a file or a folder), naming the
    /// rules' pack `pack`.
    pub fn add_path(&mut self, path: &Path, pack: &str) -> std::io::Result<()> {
        let origin = Origin {
            pack: pack.to_string(),
            action: "Review the event and the rule's known false positives; escalate if it is not explained."
                .to_string(),
        };
        let ph = self.placeholders();
        for f in rule_files(path)? {
            let parsed = parse_file(&f, &ph);
            self.take(parsed, &origin);
        }
        Ok(())
    }

    /// Builds the engine; `packs` give the indicators looked up in events.
    pub fn build(mut self, packs: &[Pack]) -> (LogsEngine, LoadReport) {
        let (ruleset, mut errors) = RuleSet::new(self.rules, self.filters, self.mapping);
        self.errors.append(&mut errors);
        let mut corr_rules = Vec::new();
        let mut corr_origins = Vec::new();
        for (node, file, origin) in &self.correlations {
            match correlation::parse(node, file) {
                Ok(c) => {
                    corr_rules.push(c);
                    corr_origins.push(origin.clone());
                }
                Err(e) => self.errors.push(e),
            }
        }
        let resolve = |r: &str| {
            let rules = ruleset.rules();
            rules
                .iter()
                .position(|x| x.meta.id.as_deref() == Some(r))
                .or_else(|| rules.iter().position(|x| x.meta.name.as_deref() == Some(r)))
        };
        // Base rules used only by correlations that do not `generate`
        // report nothing on their own (the Sigma default).
        let mut referenced: HashMap<usize, bool> = HashMap::new();
        for c in &corr_rules {
            for r in &c.rules {
                if let Some(i) = resolve(r) {
                    *referenced.entry(i).or_insert(false) |= c.generate;
                }
            }
        }
        let silent: HashSet<usize> = referenced
            .into_iter()
            .filter(|(_, g)| !g)
            .map(|(i, _)| i)
            .collect();
        let (correlator, mut errors) = Correlator::new(corr_rules.clone(), &resolve);
        let dropped: HashSet<usize> = errors
            .iter()
            .filter_map(|e| {
                corr_rules
                    .iter()
                    .position(|c| c.file == e.file && c.line == e.line)
            })
            .collect();
        self.errors.append(&mut errors);
        let loaded =
            ruleset.rules().len() + ruleset.filter_count() + corr_rules.len() - dropped.len();
        let report = LoadReport {
            loaded,
            errors: self.errors,
            warnings: self.warnings,
        };
        let wanted = correlator.wanted().clone();
        let index = IndicatorIndex::new(packs);
        let url_values = index
            .urls()
            .iter()
            .map(|h| h.indicator.value.to_ascii_lowercase())
            .collect();
        // The rules that may apply to text logs decide whether their lines
        // can be skipped unparsed.
        let prefilter = Prefilter::build(
            ruleset
                .rules()
                .iter()
                .filter(|r| ruleset.may_apply_to_text_logs(&r.logsource)),
            packs,
        );
        let engine = LogsEngine {
            ruleset,
            origins: self.origins,
            index,
            url_values,
            options: self.options,
            events: Arc::new(AtomicU64::new(0)),
            prefilter,
            correlations: Correlations {
                rules: corr_rules,
                origins: corr_origins,
                wanted,
                silent,
                state: Mutex::new(Some(CorrState {
                    correlator,
                    events: Vec::new(),
                })),
            },
        };
        (engine, report)
    }
}

/// The log engine.
pub struct LogsEngine {
    ruleset: RuleSet,
    origins: Vec<Origin>,
    index: IndicatorIndex,
    /// The `url` indicators of `index`, lowercased once, in `urls()` order.
    url_values: Vec<String>,
    options: LogOptions,
    events: Arc<AtomicU64>,
    prefilter: Option<Prefilter>,
    correlations: Correlations,
}

/// Most events kept as evidence for correlations; later matches still
/// count, without their event.
const MAX_CORRELATION_EVIDENCE: usize = 200_000;

/// Correlation rules and what they have seen so far.
struct Correlations {
    rules: Vec<CorrelationRule>,
    origins: Vec<Origin>,
    /// Rule indexes some correlation listens to.
    wanted: HashSet<usize>,
    /// Rule indexes that report only through correlations.
    silent: HashSet<usize>,
    state: Mutex<Option<CorrState>>,
}

struct CorrState {
    correlator: Correlator,
    /// Evidence by `event_ref`.
    events: Vec<(Location, EventRef)>,
}

impl LogsEngine {
    /// How many events were read so far.
    pub fn events_read(&self) -> u64 {
        self.events.load(Ordering::Relaxed)
    }

    /// A handle on the event counter that outlives handing the engine over.
    pub fn event_counter(&self) -> Arc<AtomicU64> {
        self.events.clone()
    }

    /// The compiled rules.
    pub fn ruleset(&self) -> &RuleSet {
        &self.ruleset
    }

    /// The text-log prefilter, when the loaded rules and indicators allow
    /// one (see [`crate::prefilter`]).
    pub fn prefilter(&self) -> Option<&Prefilter> {
        self.prefilter.as_ref()
    }

    /// Hunts events from any source (readers, tests).
    pub fn hunt_events(
        &self,
        location: &Location,
        events: &mut dyn Iterator<Item = Event>,
        sink: &dyn Sink,
    ) -> Vec<ItemError> {
        let mut state = ItemState::default();
        for event in events {
            self.hunt_event(location, event, sink, &mut state);
        }
        state.errors(location, &self.options)
    }

    fn hunt_event(
        &self,
        location: &Location,
        mut event: Event,
        sink: &dyn Sink,
        state: &mut ItemState,
    ) {
        self.events.fetch_add(1, Ordering::Relaxed);
        if let Some(t) = event.timestamp
            && (self.options.from.is_some_and(|f| t < f)
                || self.options.to.is_some_and(|to| t >= to))
        {
            return;
        }
        let route = self.ruleset.prepare(&mut event);
        for i in self.ruleset.evaluate(&event, &route) {
            if self.correlations.wanted.contains(&i) {
                self.observe(i, location, &event);
            }
            if self.correlations.silent.contains(&i) {
                continue;
            }
            let n = state.per_rule.entry(i).or_insert(0);
            *n += 1;
            if *n > self.options.max_findings_per_rule {
                continue;
            }
            sink.finding(self.sigma_finding(i, location, &event));
        }
        if !self.index.is_empty() {
            for f in self.indicator_findings(location, &event) {
                let n = state.per_indicator.entry(f.rule.id.clone()).or_insert(0);
                *n += 1;
                if *n <= self.options.max_findings_per_rule {
                    sink.finding(f);
                }
            }
        }
    }

    fn observe(&self, i: usize, location: &Location, event: &Event) {
        let mut guard = self
            .correlations
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let Some(st) = guard.as_mut() else { return };
        let event_ref = if st.events.len() < MAX_CORRELATION_EVIDENCE {
            let fields = self
                .ruleset
                .matched_fields(i, event)
                .into_iter()
                .map(|m| (m.name, m.value))
                .collect();
            st.events.push((location.clone(), event_ref(event, fields)));
            (st.events.len() - 1) as u64
        } else {
            u64::MAX
        };
        st.correlator.observe(Observation {
            rule: i,
            event,
            event_ref,
        });
    }

    fn correlation_finding(
        &self,
        hit: &CorrelationHit,
        stored: &[(Location, EventRef)],
    ) -> Option<Finding> {
        let rule = self.correlations.rules.get(hit.correlation)?;
        let origin = &self.correlations.origins[hit.correlation];
        let evidence: Vec<&(Location, EventRef)> = hit
            .events
            .iter()
            .filter_map(|&r| stored.get(r as usize))
            .collect();
        let location = evidence
            .first()
            .map(|(l, _)| l.clone())
            .unwrap_or_else(|| Location::file("(correlation)"));
        let group: Vec<String> = hit.group.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let reason = format!(
            "Sigma correlation `{}` ({} within {}{}): value {} from {} to {}; rules seen: {}",
            rule.title,
            rule.kind.as_str(),
            humantime(rule.timespan),
            if group.is_empty() {
                String::new()
            } else {
                format!(", grouped by {}", group.join(", "))
            },
            hit.value,
            hit.first.to_rfc3339(),
            hit.last.to_rfc3339(),
            hit.rules_seen.join(", "),
        );
        let mut observables = Vec::new();
        for (_, v) in &hit.group {
            if let Ok(ip) = v.parse::<IpAddr>() {
                observables.push(Observable::Ip(ip));
            }
        }
        Some(Finding {
            rule: RuleRef {
                id: rule.id.clone().unwrap_or_else(|| rule.title.clone()),
                name: rule.title.clone(),
                pack: origin.pack.clone(),
                engine: "logs".into(),
                references: rule.references.clone(),
                author: rule.author.clone(),
            },
            title: rule.title.clone(),
            reason,
            severity: severity_of(rule.level.as_deref()),
            confidence: Confidence::Medium,
            techniques: techniques_of(&rule.tags),
            location,
            offset: None,
            matches: Vec::new(),
            observables,
            file: None,
            timestamp: Some(hit.last),
            action: origin.action.clone(),
            events: evidence.into_iter().map(|(_, e)| e.clone()).collect(),
        })
    }

    fn sigma_finding(&self, i: usize, location: &Location, event: &Event) -> Finding {
        let rule = &self.ruleset.rules()[i];
        let origin = &self.origins[i];
        let fields: Vec<(String, String)> = self
            .ruleset
            .matched_fields(i, event)
            .into_iter()
            .map(|m| (m.name, m.value))
            .collect();
        let shown: Vec<String> = fields
            .iter()
            .take(4)
            .map(|(k, v)| format!("{k}={}", cut(v, 120)))
            .collect();
        let reason = if shown.is_empty() {
            format!(
                "Sigma rule `{}` matched {}",
                rule.meta.title, event.position
            )
        } else {
            format!(
                "Sigma rule `{}` matched {}: {}",
                rule.meta.title,
                event.position,
                shown.join(", ")
            )
        };
        let mut action = origin.action.clone();
        if !rule.meta.falsepositives.is_empty() {
            action = format!(
                "{action} Known false positives: {}.",
                rule.meta.falsepositives.join("; ")
            );
        }
        Finding {
            rule: RuleRef {
                id: rule
                    .meta
                    .id
                    .clone()
                    .unwrap_or_else(|| rule.meta.title.clone()),
                name: rule.meta.title.clone(),
                pack: origin.pack.clone(),
                engine: "logs".into(),
                references: rule.meta.references.clone(),
                author: rule.meta.author.clone(),
            },
            title: rule.meta.title.clone(),
            reason,
            severity: severity_of(rule.meta.level.as_deref()),
            confidence: confidence_of(rule.meta.status.as_deref()),
            techniques: techniques_of(&rule.meta.tags),
            location: location.clone(),
            offset: event.offset,
            matches: Vec::new(),
            observables: observables_of(&fields),
            file: None,
            timestamp: event.timestamp,
            action,
            events: vec![event_ref(event, fields)],
        }
    }

    fn indicator_findings(&self, location: &Location, event: &Event) -> Vec<Finding> {
        let mut out = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for (name, value) in &event.fields {
            let text: std::borrow::Cow<'_, str> = match value {
                FieldValue::Null => continue,
                FieldValue::List(_) => display(value).into(),
                scalar => match scalar.as_text() {
                    Some(t) => t,
                    None => continue,
                },
            };
            if text.is_empty() || text.len() > 4096 {
                continue;
            }
            let mut hits: Vec<(IndicatorHit<'_>, Observable)> = Vec::new();
            for token in candidate_tokens(&text) {
                if let Ok(ip) = token.parse::<IpAddr>() {
                    hits.extend(
                        self.index
                            .ip(ip)
                            .into_iter()
                            .map(|h| (h, Observable::Ip(ip))),
                    );
                    continue;
                }
                if let Some(algo) = hash_algo(token) {
                    let hex = token.to_ascii_lowercase();
                    let obs = algo.observable(&hex);
                    hits.extend(
                        self.index
                            .hash(algo, &hex)
                            .into_iter()
                            .map(|h| (h, obs.clone())),
                    );
                    continue;
                }
                if token.contains('.') && token.chars().any(|c| c.is_ascii_alphabetic()) {
                    hits.extend(
                        self.index
                            .domain(token)
                            .into_iter()
                            .map(|h| (h, Observable::Domain(token.to_ascii_lowercase()))),
                    );
                }
            }
            if !self.url_values.is_empty() {
                let low = text.to_ascii_lowercase();
                for (k, url) in self.url_values.iter().enumerate() {
                    if low.contains(url.as_str()) {
                        let h = self.index.urls()[k];
                        hits.push((h, Observable::Url(h.indicator.value.clone())));
                    }
                }
            }
            for (hit, obs) in hits {
                let key = format!("{}:{}", hit.indicator.kind, hit.indicator.value);
                if seen.contains(&key) {
                    continue;
                }
                seen.push(key.clone());
                let mut fields = vec![(name.clone(), cut(&text, 512))];
                // A successful login from a published address means the
                // actor holds working credentials: worse than traffic.
                let login = matches!(obs, Observable::Ip(_))
                    .then(|| successful_login(event))
                    .flatten();
                if let Some(how) = &login {
                    fields.push(("login".into(), how.clone()));
                }
                let (title, severity, techniques) = match &login {
                    Some(_) => {
                        let mut t = hit.indicator.attack.clone();
                        if !t.iter().any(|x| x == "T1078") {
                            t.push("T1078".into());
                        }
                        (
                            format!(
                                "Successful login from a published indicator address: {}",
                                hit.indicator.value
                            ),
                            Severity::Critical,
                            t,
                        )
                    }
                    None => (
                        format!(
                            "Published indicator in a log event: {}",
                            hit.indicator.value
                        ),
                        hit.indicator.severity,
                        hit.indicator.attack.clone(),
                    ),
                };
                out.push(Finding {
                    rule: RuleRef {
                        id: key,
                        name: format!("{} indicator", hit.indicator.kind),
                        pack: hit.pack.to_string(),
                        engine: "logs".into(),
                        references: hit
                            .reference
                            .map(|r| vec![r.to_string()])
                            .unwrap_or_default(),
                        author: None,
                    },
                    title,
                    reason: format!(
                        "field `{name}` of {} holds the {} indicator `{}`: {}{}",
                        event.position,
                        hit.indicator.kind,
                        hit.indicator.value,
                        hit.indicator.description,
                        login
                            .as_deref()
                            .map(|h| format!("; the event is a successful login ({h})"))
                            .unwrap_or_default()
                    ),
                    severity,
                    confidence: hit.indicator.confidence,
                    techniques,
                    location: location.clone(),
                    offset: event.offset,
                    matches: Vec::new(),
                    observables: vec![obs],
                    file: None,
                    timestamp: event.timestamp,
                    action: hit
                        .indicator
                        .action
                        .clone()
                        .unwrap_or_else(|| hit.default_action.to_string()),
                    events: vec![event_ref(event, fields)],
                });
            }
        }
        out
    }
}

/// Per-item counters.
#[derive(Default)]
struct ItemState {
    per_rule: HashMap<usize, usize>,
    per_indicator: HashMap<String, usize>,
}

impl ItemState {
    fn errors(&self, location: &Location, options: &LogOptions) -> Vec<ItemError> {
        let over: usize = self
            .per_rule
            .values()
            .chain(self.per_indicator.values())
            .map(|n| n.saturating_sub(options.max_findings_per_rule))
            .sum();
        if over == 0 {
            return Vec::new();
        }
        // Everything was hunted; only reporting was capped: not a failure
        // to read evidence (exit code 3), so `skipped`.
        vec![ItemError::new(
            location,
            ItemErrorKind::Skipped,
            format!(
                "{over} more matches not reported (at most {} findings per rule per item)",
                options.max_findings_per_rule
            ),
        )]
    }
}

impl Engine for LogsEngine {
    fn name(&self) -> &'static str {
        "logs"
    }

    fn handles(&self, kind: Kind) -> bool {
        matches!(kind, Kind::Evtx | Kind::JsonLines | Kind::Log)
    }

    fn finish(&self, sink: &dyn Sink) {
        let Some(st) = self
            .correlations
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        else {
            return;
        };
        let CorrState { correlator, events } = st;
        let (hits, warnings) = correlator.finish();
        for hit in &hits {
            if let Some(f) = self.correlation_finding(hit, &events) {
                sink.finding(f);
            }
        }
        for w in warnings {
            sink.error(ItemError::new(
                "Sigma correlations",
                ItemErrorKind::Limit,
                w,
            ));
        }
    }

    fn hunt(&self, item: &Item<'_>, sink: &dyn Sink) -> Result<(), ItemError> {
        let mut state = ItemState::default();
        let mut read_options = std::borrow::Cow::Borrowed(&self.options.read);
        if let Some(pf) = &self.prefilter
            && read_options.line_filter.is_none()
        {
            let pf = pf.clone();
            let skipped = self.events.clone();
            read_options.to_mut().line_filter = Some(LineFilter(Arc::new(move |line: &[u8]| {
                let keep = pf.may_match(line);
                if !keep {
                    skipped.fetch_add(1, Ordering::Relaxed);
                }
                keep
            })));
        }
        let mut errors = read::read_events(
            item.kind,
            item.data,
            item.location,
            &read_options,
            &mut |event| {
                self.hunt_event(item.location, event, sink, &mut state);
                ControlFlow::Continue(())
            },
        );
        errors.extend(state.errors(item.location, &self.options));
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
}

/// Whether `event` records a successful login, and how it says so:
/// Windows 4624, sshd `Accepted`, Pulse `Login succeeded`, a FortiGate
/// SSL VPN tunnel or login, or any reader's `outcome=success` on a login.
fn successful_login(event: &Event) -> Option<String> {
    let text = |n: &str| event.text(n).map(|c| c.to_ascii_lowercase());
    if text("Channel").as_deref() == Some("security") && text("EventID").as_deref() == Some("4624")
    {
        return Some("Windows logon 4624".into());
    }
    let action = text("action").unwrap_or_default();
    let outcome = text("outcome")
        .or_else(|| text("status"))
        .unwrap_or_default();
    if matches!(
        action.as_str(),
        "tunnel-up" | "ssl-login-success" | "ssl-web-login"
    ) {
        return Some(format!("action={action}"));
    }
    let login_action = action.contains("login") || action.contains("logon") || action.is_empty();
    if outcome == "success" && login_action && (event.get("user").is_some() || !action.is_empty()) {
        return Some(format!(
            "{} success",
            if action.is_empty() { "login" } else { &action }
        ));
    }
    None
}

/// Splits a field value into tokens that might be IPs, domains or hashes:
/// runs of characters that can appear in them.
fn candidate_tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '_')))
        .map(|t| t.trim_matches(|c: char| matches!(c, '.' | ':' | '-' | '_')))
        .filter(|t| t.len() >= 4 && t.len() <= 253)
}

fn hash_algo(token: &str) -> Option<HashAlgo> {
    if !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    match token.len() {
        32 => Some(HashAlgo::Md5),
        40 => Some(HashAlgo::Sha1),
        64 => Some(HashAlgo::Sha256),
        _ => None,
    }
}

fn event_ref(event: &Event, fields: Vec<(String, String)>) -> EventRef {
    let (record, line) = match event.position {
        Position::Record(r) => (Some(r), None),
        Position::Line(l) => (None, Some(l)),
    };
    EventRef {
        format: event.format.as_str().to_string(),
        record,
        line,
        timestamp: event.timestamp,
        fields,
        raw: event.raw.as_deref().map(|r| cut(r, 1024)),
        frames: Vec::new(),
        uid: None,
    }
}

fn humantime(d: chrono::Duration) -> String {
    let s = d.num_seconds();
    match s {
        s if s % 86_400 == 0 && s > 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 && s > 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 && s > 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Sigma `level` to severity.
pub fn severity_of(level: Option<&str>) -> Severity {
    match level {
        Some("informational") => Severity::Info,
        Some("low") => Severity::Low,
        Some("high") => Severity::High,
        Some("critical") => Severity::Critical,
        _ => Severity::Medium,
    }
}

/// Sigma `status` to confidence: stable rules are trusted most.
pub fn confidence_of(status: Option<&str>) -> Confidence {
    match status {
        Some("stable") => Confidence::High,
        Some("deprecated") | Some("unsupported") => Confidence::Low,
        _ => Confidence::Medium,
    }
}

/// ATT&CK ids from Sigma tags: `attack.t1059.001` → `T1059.001`,
/// `attack.s0514` → `S0514`.
pub fn techniques_of(tags: &[String]) -> Vec<String> {
    tags.iter()
        .filter_map(|t| t.strip_prefix("attack."))
        .filter(|t| {
            let b = t.as_bytes();
            b.len() >= 5
                && matches!(b[0], b't' | b's' | b'T' | b'S')
                && b[1..5].iter().all(u8::is_ascii_digit)
        })
        .map(|t| t.to_ascii_uppercase())
        .collect()
}

fn observables_of(fields: &[(String, String)]) -> Vec<Observable> {
    let mut out = Vec::new();
    for (name, value) in fields {
        let n = name.to_ascii_lowercase();
        if let Ok(ip) = value.trim().parse::<IpAddr>() {
            out.push(Observable::Ip(ip));
        } else if n.contains("user") && !value.is_empty() {
            out.push(Observable::User(value.clone()));
        } else if (n == "image" || n.ends_with("filename") || n == "newprocessname")
            && !value.is_empty()
        {
            out.push(Observable::FilePath(value.clone()));
        } else if (n == "queryname" || n.ends_with("hostname")) && !value.is_empty() {
            out.push(Observable::Domain(value.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Format;
    use antibody_core::VecSink;

    fn engine(rule: &str, packs: &[Pack]) -> LogsEngine {
        let mut b = LogsEngineBuilder::new(Mapping::builtin(), LogOptions::default());
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("r.yml"), rule).unwrap();
        b.add_path(dir.path(), "test").unwrap();
        let (e, report) = b.build(packs);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        e
    }

    fn web(line: u64, uri: &str, status: i64) -> Event {
        let mut e = Event::new(Format::Combined, Position::Line(line));
        e.logsource.category = Some("webserver".into());
        e.push("c-ip", "203.0.113.9");
        e.push("cs-uri-stem", uri);
        e.push("sc-status", status);
        e.timestamp = Some(
            chrono::DateTime::parse_from_rfc3339("2020-05-04T10:00:00Z")
                .unwrap()
                .into(),
        );
        e
    }

    const RULE: &str = "title: Traversal\nid: t-1\nauthor: someone\nstatus: stable\nlevel: high\ntags: [attack.t1190, cve.2019-19781]\nfalsepositives: [scanners]\nlogsource: {category: webserver}\ndetection:\n  sel:\n    cs-uri-stem|contains: '/../vpns/'\n  condition: sel\n";

    #[test]
    fn sigma_match_becomes_a_finding_with_its_event() {
        let e = engine(RULE, &[]);
        let sink = VecSink::new();
        let loc = Location::file("/logs/access.log");
        let mut events = vec![
            web(1, "/index.html", 200),
            web(2, "/vpn/../vpns/cfg/smb.conf", 200),
        ]
        .into_iter();
        let errors = e.hunt_events(&loc, &mut events, &sink);
        assert!(errors.is_empty());
        let (findings, _) = sink.take();
        assert_eq!(findings.len(), 1);
        let f = &findings[0];
        assert_eq!(f.rule.id, "t-1");
        assert_eq!(f.severity, Severity::High);
        assert_eq!(f.confidence, Confidence::High);
        assert_eq!(f.techniques, vec!["T1190"]);
        assert_eq!(f.rule.author.as_deref(), Some("someone"));
        assert_eq!(f.events[0].line, Some(2));
        assert!(
            f.events[0]
                .fields
                .iter()
                .any(|(k, v)| k == "cs-uri-stem" && v.contains("smb.conf"))
        );
        assert!(f.action.contains("scanners"));
        assert!(f.reason.contains("line 2"), "{}", f.reason);
    }

    #[test]
    fn time_window_and_finding_cap() {
        let mut b = LogsEngineBuilder::new(
            Mapping::builtin(),
            LogOptions {
                max_findings_per_rule: 2,
                from: Some(
                    chrono::DateTime::parse_from_rfc3339("2020-05-01T00:00:00Z")
                        .unwrap()
                        .into(),
                ),
                ..LogOptions::default()
            },
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("r.yml"), RULE).unwrap();
        b.add_path(dir.path(), "test").unwrap();
        let (e, _) = b.build(&[]);
        let sink = VecSink::new();
        let mut old = web(1, "/vpn/../vpns/x", 200);
        old.timestamp = Some(
            chrono::DateTime::parse_from_rfc3339("2019-01-01T00:00:00Z")
                .unwrap()
                .into(),
        );
        let mut events = std::iter::once(old).chain((2..7).map(|i| web(i, "/vpn/../vpns/x", 200)));
        let errors = e.hunt_events(&Location::file("a"), &mut events, &sink);
        let (findings, _) = sink.take();
        assert_eq!(findings.len(), 2);
        assert_eq!(
            findings[0].events[0].line,
            Some(2),
            "the old event is outside --from"
        );
        assert_eq!(errors.len(), 1);
        assert!(errors[0].reason.contains("3 more"), "{}", errors[0].reason);
        assert_eq!(
            errors[0].kind,
            ItemErrorKind::Skipped,
            "a capped report is not unreadable evidence"
        );
    }

    #[test]
    fn correlation_reports_once_and_silences_its_steps() {
        let rules = "title: Post\nid: step-1\nlogsource: {category: webserver}\ndetection:\n  sel: {cs-method: POST, cs-uri-stem|endswith: '/newbm.pl'}\n  condition: sel\n---\ntitle: Get\nid: step-2\nlogsource: {category: webserver}\ndetection:\n  sel: {cs-method: GET, cs-uri-stem|endswith: '.xml'}\n  condition: sel\n---\ntitle: Chain\nid: chain\nlevel: critical\ncorrelation:\n  type: temporal_ordered\n  rules: [step-1, step-2]\n  group-by: [c-ip]\n  timespan: 1h\n";
        let e = engine(rules, &[]);
        let sink = VecSink::new();
        let at = |line: u64, method: &str, uri: &str, min: u32| {
            let mut ev = web(line, uri, 200);
            ev.push("cs-method", method);
            ev.timestamp = Some(
                chrono::DateTime::parse_from_rfc3339(&format!("2020-05-04T10:{min:02}:00Z"))
                    .unwrap()
                    .into(),
            );
            ev
        };
        let mut events = vec![
            at(1, "GET", "/vpns/portal/x.xml", 0),
            at(2, "POST", "/vpns/portal/scripts/newbm.pl", 5),
            at(3, "GET", "/vpns/portal/x.xml", 9),
        ]
        .into_iter();
        e.hunt_events(&Location::file("access.log"), &mut events, &sink);
        assert!(sink.take().0.is_empty(), "steps alone report nothing");
        e.finish(&sink);
        let (findings, errors) = sink.take();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(findings.len(), 1, "{findings:#?}");
        let f = &findings[0];
        assert_eq!(f.rule.id, "chain");
        assert_eq!(f.severity, Severity::Critical);
        let lines: Vec<_> = f.events.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![Some(2), Some(3)]);
        assert!(f.reason.contains("c-ip=203.0.113.9"), "{}", f.reason);
    }

    fn indicator_pack() -> Pack {
        let manifest = "[pack]\nname='p'\nversion='1'\ndescription='d'\n[[source]]\nid='s'\ntitle='t'\nurl='https://x.org'\n";
        let ind = "[[indicator]]\ntype = 'domain'\nvalue = 'evil.example.net'\ndescription = 'c2'\nseverity = 'high'\nsource = 's'\n\
            [[indicator]]\ntype = 'cidr'\nvalue = '198.51.100.0/24'\ndescription = 'net'\nseverity = 'medium'\nsource = 's'\n\
            [[indicator]]\ntype = 'md5'\nvalue = '01d322dcac438d2bb6bce2bae8d613cb'\ndescription = 'implant'\nseverity = 'critical'\nsource = 's'\n\
            [[indicator]]\ntype = 'url'\nvalue = 'http://203.0.113.7/api/v1'\ndescription = 'c2 url'\nseverity = 'high'\nsource = 's'\n";
        antibody_core::pack::load_files(
            vec![
                ("pack.toml".into(), manifest.into()),
                ("indicators.toml".into(), ind.into()),
            ],
            antibody_core::pack::Origin::Builtin,
            vec![],
        )
        .unwrap()
        .pack
    }

    #[test]
    fn pack_indicators_are_found_in_any_field() {
        let packs = vec![indicator_pack()];
        let (e, _) =
            LogsEngineBuilder::new(Mapping::builtin(), LogOptions::default()).build(&packs);
        let mut ev = Event::new(Format::JsonLines, Position::Line(9));
        ev.push("dns.question.name", "a.b.EVIL.example.net");
        ev.push("destination.ip", "198.51.100.200");
        ev.push("Hashes", "MD5=01D322DCAC438D2BB6BCE2BAE8D613CB,SHA256=00");
        ev.push("url.original", "http://203.0.113.7/api/v1/poll?id=3");
        ev.push(
            "message",
            "benign: example.net 198.51.99.1 notevil.example.net",
        );
        let sink = VecSink::new();
        e.hunt_events(&Location::file("x.jsonl"), &mut std::iter::once(ev), &sink);
        let (findings, _) = sink.take();
        let mut ids: Vec<&str> = findings.iter().map(|f| f.rule.id.as_str()).collect();
        ids.sort();
        assert_eq!(
            ids,
            vec![
                "cidr:198.51.100.0/24",
                "domain:evil.example.net",
                "md5:01d322dcac438d2bb6bce2bae8d613cb",
                "url:http://203.0.113.7/api/v1",
            ]
        );
        let dns = findings
            .iter()
            .find(|f| f.rule.id.starts_with("domain"))
            .unwrap();
        assert_eq!(dns.events[0].fields[0].0, "dns.question.name");
        assert_eq!(dns.severity, Severity::High);
    }

    #[test]
    fn a_login_from_an_indicator_address_is_critical() {
        let packs = vec![indicator_pack()];
        let (e, _) =
            LogsEngineBuilder::new(Mapping::builtin(), LogOptions::default()).build(&packs);
        let login = |action: &str, outcome: Option<&str>| {
            let mut ev = Event::new(Format::Appliance, Position::Line(1));
            ev.push("src_ip", "198.51.100.9");
            ev.push("user", "carol");
            ev.push("action", action);
            if let Some(o) = outcome {
                ev.push("outcome", o);
            }
            let sink = VecSink::new();
            e.hunt_events(&Location::file("vpn.log"), &mut std::iter::once(ev), &sink);
            sink.take().0.remove(0)
        };
        let f = login("tunnel-up", None);
        assert_eq!(f.severity, Severity::Critical);
        assert!(f.title.starts_with("Successful login"), "{}", f.title);
        assert!(f.techniques.contains(&"T1078".to_string()));
        let f = login("login", Some("success"));
        assert_eq!(f.severity, Severity::Critical);
        let f = login("login", Some("failure"));
        assert_eq!(
            f.severity,
            Severity::Medium,
            "a failed login is only the indicator"
        );
        let f = login("tunnel-down", None);
        assert!(f.title.starts_with("Published indicator"));
    }

    #[test]
    fn the_line_prefilter_skips_only_lines_that_cannot_match() {
        let rules = "title: Traversal\nid: t-1\nlogsource: {category: webserver}\ndetection:\n  sel:\n    cs-uri-stem|contains: '/../vpns/'\n  condition: sel\n---\ntitle: Agent\nid: t-2\nlogsource: {category: webserver}\ndetection:\n  sel:\n    cs(User-Agent)|contains: 'evil scanner'\n  condition: sel\n";
        let log = "#Software: Microsoft Internet Information Services 10.0\n\
            #Fields: date time c-ip cs-method cs-uri-stem cs-uri-query sc-status cs(User-Agent)\n\
            2020-05-04 10:00:00 192.0.2.1 GET /index.html - 200 Mozilla/5.0\n\
            2020-05-04 10:00:01 192.0.2.2 GET /vpn/%2E%2E/VPNS/cfg/smb.conf - 200 curl\n\
            2020-05-04 10:00:02 192.0.2.3 GET /vpn/..%252fvpns/x - 404 curl\n\
            2020-05-04 10:00:03 192.0.2.4 GET /a - 200 Evil+Scanner/1.0\n\
            2020-05-04 10:00:04 192.0.2.5 GET /b - 200 Mozilla/5.0\n";
        let run = |filter_off: bool| {
            let mut options = LogOptions::default();
            if filter_off {
                options.read.line_filter = Some(LineFilter(Arc::new(|_: &[u8]| true)));
            }
            let mut b = LogsEngineBuilder::new(Mapping::builtin(), options);
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("r.yml"), rules).unwrap();
            b.add_path(dir.path(), "test").unwrap();
            let (e, _) = b.build(&[]);
            assert!(e.prefilter().is_some());
            let sink = VecSink::new();
            let loc = Location::file("u_ex200504.log");
            let item = Item {
                location: &loc,
                kind: Kind::Log,
                data: log.as_bytes(),
            };
            e.hunt(&item, &sink).unwrap();
            let mut lines: Vec<(String, u64)> = sink
                .take()
                .0
                .iter()
                .map(|f| (f.rule.id.clone(), f.events[0].line.unwrap()))
                .collect();
            lines.sort();
            (lines, e.events_read())
        };
        let (with, read_with) = run(false);
        let (without, read_without) = run(true);
        assert_eq!(
            with,
            vec![("t-1".into(), 4), ("t-1".into(), 5), ("t-2".into(), 6)]
        );
        assert_eq!(with, without);
        assert_eq!(read_with, read_without, "skipped lines still count as read");
    }

    #[test]
    fn tags_to_techniques() {
        let t = techniques_of(&[
            "attack.t1059.001".into(),
            "attack.execution".into(),
            "attack.s0514".into(),
            "cve.2019-1".into(),
        ]);
        assert_eq!(t, vec!["T1059.001", "S0514"]);
    }

    #[test]
    fn tokens_split_values() {
        let t: Vec<&str> =
            candidate_tokens("GET http://evil.example.com/x?ip=198.51.100.7 SHA256=ABCDEF")
                .collect();
        assert!(t.contains(&"evil.example.com"));
        assert!(t.contains(&"198.51.100.7"));
    }
}
