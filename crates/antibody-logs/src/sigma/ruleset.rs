//! A compiled set of Sigma rules and filters, evaluated per event.
//!
//! Rules are routed by logsource: an event's classification (from the
//! mapping, cached per channel / event id / reader) selects the rules that
//! can apply, so a Sysmon process-creation event is only tested against
//! process-creation rules. Field names are interned once; per event each
//! field's text and lowercase form are computed at most once.

use super::error::{RuleError, RuleErrorKind};
use super::rule::{DetectionRule, FilterRule, LogSourceSpec, Search};
use super::value::{FieldMatcher, Pred, field_key, lower};
use crate::event::{Event, FieldValue};
use crate::mapping::{Classification, Mapping};
use crate::prefilter::{Scope, need_expr};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// Most distinct routes cached (channel × event id × reader combinations).
const ROUTE_CACHE_MAX: usize = 4096;

/// Rules and filters, compiled.
pub struct RuleSet {
    rules: Vec<DetectionRule>,
    /// Filters that apply to each rule.
    rule_filters: Vec<Vec<usize>>,
    filters: Vec<FilterRule>,
    mapping: Mapping,
    known_categories: HashSet<String>,
    known_services: HashSet<String>,
    routes: Mutex<HashMap<String, Arc<Route>>>,
}

/// The rules that may apply to one class of events, and its aliases.
#[derive(Debug)]
pub struct Route {
    /// Candidate rule indexes.
    pub rules: Vec<usize>,
    /// Which of `rules` an event's text can satisfy at all.
    candidates: Option<Candidates>,
    /// Filters whose logsource applies.
    pub filters: HashSet<usize>,
    /// (Sigma field, event field) aliases to add to the event.
    pub aliases: Vec<(String, String)>,
}

/// Routes with fewer rules than this are evaluated rule by rule.
const CANDIDATES_MIN_RULES: usize = 16;

/// The literals the rules of a route need (see [`crate::prefilter`]), in
/// one Aho-Corasick automaton over the event's lowercased field values:
/// only rules some of whose literals occur, and the rules that have no
/// needed literal, are evaluated.
#[derive(Debug)]
struct Candidates {
    ac: AhoCorasick,
    /// Literal → positions in `Route::rules`.
    by_literal: Vec<Vec<u32>>,
    /// Positions in `Route::rules` that must always be evaluated.
    always: Vec<u32>,
}

impl Candidates {
    fn build(rules: &[DetectionRule], route_rules: &[usize]) -> Option<Candidates> {
        if route_rules.len() < CANDIDATES_MIN_RULES {
            return None;
        }
        let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut by_literal: Vec<Vec<u32>> = Vec::new();
        let mut always = Vec::new();
        for (pos, &i) in route_rules.iter().enumerate() {
            let d = &rules[i].detection;
            match need_expr(&d.condition, &d.searches, Scope::Event) {
                Some(lits) => {
                    for l in lits {
                        let l = lower(&l).into_owned();
                        let next = by_literal.len();
                        let id = *index.entry(l).or_insert(next);
                        if id == by_literal.len() {
                            by_literal.push(Vec::new());
                        }
                        by_literal[id].push(pos as u32);
                    }
                }
                None => always.push(pos as u32),
            }
        }
        let mut literals: Vec<(Vec<u8>, usize)> = index.into_iter().collect();
        literals.sort_by_key(|(_, id)| *id);
        let ac = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(literals.iter().map(|(l, _)| l))
            .ok()?;
        Some(Candidates {
            ac,
            by_literal,
            always,
        })
    }

    /// Marks in `out` (one flag per route rule) the rules worth evaluating.
    fn mark(&self, view: &EventView<'_>, out: &mut [bool]) {
        for &p in &self.always {
            out[p as usize] = true;
        }
        let mut text: Vec<u8> = Vec::with_capacity(2048);
        for (i, (_, v)) in view.event.fields.iter().enumerate() {
            match v {
                FieldValue::List(items) => {
                    for item in items {
                        if let Some(t) = item.as_text() {
                            text.extend_from_slice(&lower(t.as_bytes()));
                            text.push(b'\n');
                        }
                    }
                }
                FieldValue::Null => {}
                _ => {
                    if let Some((_, l)) = view.text(i) {
                        text.extend_from_slice(l);
                        text.push(b'\n');
                    }
                }
            }
        }
        if let Some(raw) = &view.event.raw {
            text.extend_from_slice(&lower(raw.as_bytes()));
        }
        for m in self.ac.find_overlapping_iter(&text) {
            for &p in &self.by_literal[m.pattern().as_usize()] {
                out[p as usize] = true;
            }
        }
    }
}

/// One field of an event that a matching rule looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedField {
    /// The field name as the rule writes it.
    pub name: String,
    /// Its value (lists joined with `, `).
    pub value: String,
}

impl RuleSet {
    /// Compiles rules and filters. Filters that name no loaded rule are
    /// reported and dropped.
    pub fn new(
        mut rules: Vec<DetectionRule>,
        mut filters: Vec<FilterRule>,
        mapping: Mapping,
    ) -> (RuleSet, Vec<RuleError>) {
        let mut errors = Vec::new();
        if !mapping.equivalents.is_empty() {
            let searches = rules
                .iter_mut()
                .flat_map(|r| r.detection.searches.iter_mut())
                .chain(
                    filters
                        .iter_mut()
                        .flat_map(|f| f.detection.searches.iter_mut()),
                );
            for s in searches {
                for m in s.matchers_mut() {
                    if let Some(also) = m.field.as_ref().and_then(|f| mapping.equivalents.get(f)) {
                        m.also = also.clone();
                    }
                }
            }
        }
        let mut by_ref: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, r) in rules.iter().enumerate() {
            for key in [&r.meta.id, &r.meta.name].into_iter().flatten() {
                by_ref.entry(key.as_str()).or_default().push(i);
            }
        }
        let mut rule_filters = vec![Vec::new(); rules.len()];
        let mut kept = Vec::new();
        for f in filters {
            let targets: Vec<usize> = f
                .rules
                .iter()
                .flat_map(|r| by_ref.get(r.as_str()).cloned().unwrap_or_default())
                .collect();
            if targets.is_empty() {
                errors.push(
                    RuleError::new(
                        &f.file,
                        f.line,
                        RuleErrorKind::Reference,
                        format!("the filter names no loaded rule ({})", f.rules.join(", ")),
                    )
                    .in_rule(f.meta.title.clone()),
                );
                continue;
            }
            for t in targets {
                rule_filters[t].push(kept.len());
            }
            kept.push(f);
        }
        let (known_categories, known_services) = mapping.known();
        (
            RuleSet {
                rules,
                rule_filters,
                filters: kept,
                mapping,
                known_categories,
                known_services,
                routes: Mutex::new(HashMap::new()),
            },
            errors,
        )
    }

    /// The rules, by index.
    pub fn rules(&self) -> &[DetectionRule] {
        &self.rules
    }

    /// How many filters are active.
    pub fn filter_count(&self) -> usize {
        self.filters.len()
    }

    /// The mapping in use.
    pub fn mapping(&self) -> &Mapping {
        &self.mapping
    }

    /// Whether a rule with logsource `ls` can apply to an event of a text
    /// log (access log, appliance, syslog): never a Windows rule, nor one
    /// for a category the mapping gives only to other events (a known
    /// category other than `webserver` and `proxy`).
    pub fn may_apply_to_text_logs(&self, ls: &LogSourceSpec) -> bool {
        if ls.product.as_deref() == Some("windows") {
            return false;
        }
        match &ls.category {
            Some(cat) => {
                !self.known_categories.contains(cat)
                    || matches!(cat.as_str(), "webserver" | "proxy")
            }
            None => true,
        }
    }

    fn applies(&self, ls: &LogSourceSpec, c: &Classification) -> bool {
        if let Some(p) = &ls.product
            && !c.products.contains(p)
        {
            return false;
        }
        if let Some(cat) = &ls.category {
            if self.known_categories.contains(cat) && !c.categories.contains(cat) {
                return false;
            }
            if !self.known_categories.contains(cat) && ls.product.is_none() {
                return false;
            }
        }
        if let Some(s) = &ls.service {
            if self.known_services.contains(s) && !c.services.contains(s) {
                return false;
            }
            if !self.known_services.contains(s) && ls.product.is_none() {
                return false;
            }
        }
        true
    }

    /// Classifies `event`, adds the mapping's field aliases to it, and
    /// returns the rules that may apply.
    pub fn prepare(&self, event: &mut Event) -> Arc<Route> {
        let key = Mapping::route_key(event);
        let cached = self
            .routes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned();
        let route = match cached {
            Some(r) => r,
            None => {
                let c = self.mapping.classify(event);
                let rules: Vec<usize> = (0..self.rules.len())
                    .filter(|&i| self.applies(&self.rules[i].logsource, &c))
                    .collect();
                let filters = (0..self.filters.len())
                    .filter(|&i| self.applies(&self.filters[i].logsource, &c))
                    .collect();
                let candidates = Candidates::build(&self.rules, &rules);
                let r = Arc::new(Route {
                    rules,
                    candidates,
                    filters,
                    aliases: c.aliases,
                });
                let mut routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
                if routes.len() < ROUTE_CACHE_MAX {
                    routes.insert(key, r.clone());
                }
                r
            }
        };
        for (sigma, field) in &route.aliases {
            if event.get(sigma).is_none()
                && let Some(v) = event.get(field).cloned()
            {
                event.fields.push((sigma.clone(), v));
            }
        }
        route
    }

    /// The indexes of the rules that match `event` (after [`prepare`]).
    ///
    /// [`prepare`]: RuleSet::prepare
    pub fn evaluate(&self, event: &Event, route: &Route) -> Vec<usize> {
        let view = EventView::new(event);
        let mut out = Vec::new();
        let mut worth = Vec::new();
        if let Some(c) = &route.candidates {
            worth = vec![false; route.rules.len()];
            c.mark(&view, &mut worth);
        }
        for (pos, &i) in route.rules.iter().enumerate() {
            if !worth.is_empty() && !worth[pos] {
                continue;
            }
            let rule = &self.rules[i];
            if !detection_matches(&rule.detection.searches, &rule.detection.condition, &view) {
                continue;
            }
            let filtered = self.rule_filters[i].iter().any(|&f| {
                route.filters.contains(&f) && {
                    let d = &self.filters[f].detection;
                    detection_matches(&d.searches, &d.condition, &view)
                }
            });
            if !filtered {
                out.push(i);
            }
        }
        out
    }

    /// The fields of `event` that rule `i` looks at, with their values.
    pub fn matched_fields(&self, i: usize, event: &Event) -> Vec<MatchedField> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for s in &self.rules[i].detection.searches {
            for m in s.matchers() {
                let Some(name) = &m.field_display else {
                    continue;
                };
                if !seen.insert(name.to_lowercase()) {
                    continue;
                }
                if let Some((n, v)) = event
                    .fields
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                {
                    out.push(MatchedField {
                        name: n.clone(),
                        value: display(v),
                    });
                }
            }
        }
        out
    }
}

/// A value as one line of text.
pub fn display(v: &FieldValue) -> String {
    match v {
        FieldValue::List(items) => items.iter().map(display).collect::<Vec<_>>().join(", "),
        FieldValue::Null => String::new(),
        other => other.as_text().map(|c| c.into_owned()).unwrap_or_default(),
    }
}

fn detection_matches(
    searches: &[Search],
    cond: &super::condition::Expr,
    view: &EventView<'_>,
) -> bool {
    let mut memo: Vec<Option<bool>> = vec![None; searches.len()];
    cond.eval(&mut |i| {
        if let Some(v) = memo[i] {
            return v;
        }
        let v = search_matches(&searches[i], view);
        memo[i] = Some(v);
        v
    })
}

fn search_matches(s: &Search, view: &EventView<'_>) -> bool {
    match s {
        Search::And(ms) => ms.iter().all(|m| matcher_matches(m, view)),
        Search::Or(ss) => ss.iter().any(|s| search_matches(s, view)),
    }
}

/// A field's text and its lowercase form.
type Texts = (Vec<u8>, Vec<u8>);

/// An event with per-field text caches.
struct EventView<'e> {
    event: &'e Event,
    /// Lowercased field names, parallel to `event.fields`.
    names: Vec<String>,
    /// Text and lowercase text per field (scalar fields only), lazily.
    texts: Vec<std::cell::OnceCell<Option<Texts>>>,
}

impl<'e> EventView<'e> {
    fn new(event: &'e Event) -> Self {
        EventView {
            event,
            names: event.fields.iter().map(|(n, _)| field_key(n)).collect(),
            texts: (0..event.fields.len())
                .map(|_| std::cell::OnceCell::new())
                .collect(),
        }
    }

    fn find(&self, lower_name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == lower_name)
    }

    fn text(&self, i: usize) -> Option<&Texts> {
        self.texts[i]
            .get_or_init(|| {
                let v = &self.event.fields[i].1;
                let t = match v {
                    FieldValue::Null => Vec::new(),
                    FieldValue::List(_) => return None,
                    other => other.as_text()?.into_owned().into_bytes(),
                };
                let l = lower(&t).into_owned();
                Some((t, l))
            })
            .as_ref()
    }
}

fn test_scalar(p: &Pred, v: &FieldValue, text: &[u8], low: &[u8], view: &EventView<'_>) -> bool {
    match p {
        Pred::FieldRef { field, mode, cased } => view.find(field).is_some_and(|j| {
            view.text(j)
                .is_some_and(|(other, _)| Pred::test_ref(*mode, *cased, text, other))
        }),
        _ => p.test_value(v, text, low),
    }
}

fn pred_on_field(p: &Pred, i: usize, view: &EventView<'_>) -> bool {
    let v = &view.event.fields[i].1;
    match p {
        Pred::Exists(b) => return *b,
        Pred::Never => return false,
        Pred::Null => {
            return matches!(v, FieldValue::Null)
                || view.text(i).is_some_and(|(t, _)| t.is_empty());
        }
        _ => {}
    }
    match v {
        FieldValue::List(items) => items.iter().any(|item| {
            let text = item
                .as_text()
                .map(|c| c.into_owned())
                .unwrap_or_default()
                .into_bytes();
            let low = lower(&text).into_owned();
            test_scalar(p, item, &text, &low, view)
        }),
        _ => view
            .text(i)
            .is_some_and(|(t, l)| test_scalar(p, v, t, l, view)),
    }
}

fn pred_on_keywords(p: &Pred, view: &EventView<'_>) -> bool {
    if let Some(raw) = &view.event.raw {
        let low = lower(raw.as_bytes());
        if p.test_value(&FieldValue::Null, raw.as_bytes(), &low) {
            return true;
        }
    }
    (0..view.event.fields.len())
        .any(|i| !matches!(view.event.fields[i].1, FieldValue::Null) && pred_on_field(p, i, view))
}

fn matcher_matches(m: &FieldMatcher, view: &EventView<'_>) -> bool {
    let result = match &m.field {
        Some(name) => {
            let idx = view.find(name);
            let one = |p: &Pred| {
                let here = match idx {
                    Some(i) => pred_on_field(p, i, view),
                    None => matches!(p, Pred::Null | Pred::Exists(false)),
                };
                here || (!matches!(p, Pred::Null | Pred::Exists(_))
                    && m.also
                        .iter()
                        .any(|f| view.find(f).is_some_and(|i| pred_on_field(p, i, view))))
            };
            if m.all {
                m.preds.iter().all(one)
            } else {
                m.preds.iter().any(one)
            }
        }
        None => {
            if m.all {
                m.preds.iter().all(|p| pred_on_keywords(p, view))
            } else {
                m.preds.iter().any(|p| pred_on_keywords(p, view))
            }
        }
    };
    result != m.negate
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Format, Position};
    use crate::sigma::rule::{Document, parse_text};
    use std::path::Path;

    fn set(text: &str) -> RuleSet {
        let p = parse_text(text, Path::new("t.yml"), &Default::default());
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let mut rules = Vec::new();
        let mut filters = Vec::new();
        for d in p.documents {
            match d {
                Document::Rule(r) => rules.push(*r),
                Document::Filter(f) => filters.push(*f),
                Document::Correlation(..) => {}
            }
        }
        let (s, errors) = RuleSet::new(rules, filters, Mapping::builtin());
        assert!(errors.is_empty(), "{errors:?}");
        s
    }

    fn proc_event(channel: &str, id: i64, fields: &[(&str, &str)]) -> Event {
        let mut e = Event::new(Format::Evtx, Position::Record(1));
        e.logsource.product = Some("windows".into());
        e.push("Channel", channel);
        e.push("EventID", id);
        for (k, v) in fields {
            e.push(*k, *v);
        }
        e
    }

    fn hits(s: &RuleSet, mut e: Event) -> Vec<usize> {
        let r = s.prepare(&mut e);
        s.evaluate(&e, &r)
    }

    const RULE: &str = "title: Whoami\nid: r1\nlogsource: {product: windows, category: process_creation}\ndetection:\n  sel:\n    Image|endswith: '\\whoami.exe'\n  filter:\n    User|startswith: 'svc_'\n  condition: sel and not filter\n";

    #[test]
    fn routes_by_logsource_and_maps_security_fields() {
        let s = set(RULE);
        let sysmon = proc_event(
            "Microsoft-Windows-Sysmon/Operational",
            1,
            &[("Image", "C:\\W\\whoami.exe")],
        );
        assert_eq!(hits(&s, sysmon), vec![0]);
        // Security 4688 names the image NewProcessName: the alias applies.
        let sec = proc_event("Security", 4688, &[("NewProcessName", "C:\\W\\WHOAMI.EXE")]);
        assert_eq!(hits(&s, sec), vec![0]);
        // A Sysmon network event is not process creation.
        let net = proc_event(
            "Microsoft-Windows-Sysmon/Operational",
            3,
            &[("Image", "C:\\W\\whoami.exe")],
        );
        assert!(hits(&s, net).is_empty());
        let svc = proc_event(
            "Microsoft-Windows-Sysmon/Operational",
            1,
            &[("Image", "C:\\W\\whoami.exe"), ("User", "svc_backup")],
        );
        assert!(hits(&s, svc).is_empty());
    }

    #[test]
    fn sigma_filters_suppress_named_rules() {
        let text = format!(
            "{RULE}---\ntitle: Tune\nlogsource: {{product: windows, category: process_creation}}\nfilter:\n  rules: [r1]\n  selection:\n    CommandLine|contains: 'healthcheck'\n  condition: selection\n"
        );
        let s = set(&text);
        assert_eq!(s.filter_count(), 1);
        let e = proc_event(
            "Microsoft-Windows-Sysmon/Operational",
            1,
            &[
                ("Image", "C:\\W\\whoami.exe"),
                ("CommandLine", "whoami /healthcheck"),
            ],
        );
        assert!(hits(&s, e).is_empty());
    }

    #[test]
    fn null_exists_keywords_fieldref_lists() {
        let s = set(
            "title: N\nlogsource: {product: windows}\ndetection:\n  a:\n    Missing: null\n    Present|exists: true\n  b:\n    - 'mimikatz'\n  c:\n    Src|fieldref: Dst\n  d:\n    Data|contains: 'evil'\n  condition: (a and b) or c or d\n",
        );
        let mut e = proc_event("X", 1, &[("Present", ""), ("Msg", "ran MimiKatz here")]);
        assert_eq!(hits(&s, e.clone()), vec![0]);
        e.fields.retain(|(n, _)| n != "Msg");
        assert!(hits(&s, e.clone()).is_empty());
        e.push("Src", "10.0.0.1");
        e.push("Dst", "10.0.0.1");
        assert_eq!(hits(&s, e), vec![0]);
        let mut e = proc_event("X", 1, &[]);
        e.fields.push((
            "Data".into(),
            FieldValue::List(vec![FieldValue::from("ok"), FieldValue::from("EVIL thing")]),
        ));
        assert_eq!(hits(&s, e), vec![0]);
    }

    #[test]
    fn field_names_with_spaces_match_without_them() {
        let s = set(
            "title: D\nlogsource: {product: windows}\ndetection:\n  sel:\n    ThreatName|endswith: 'EICAR_Test_File'\n  condition: sel\n",
        );
        let e = proc_event(
            "Microsoft-Windows-Windows Defender/Operational",
            1119,
            &[("Threat Name", "Tool:Win32/EICAR_Test_File")],
        );
        assert_eq!(hits(&s, e), vec![0]);
    }

    #[test]
    fn cs_uri_query_also_matches_the_whole_target() {
        // SigmaHQ's web rules look for paths in `cs-uri-query`.
        let s = set(
            "title: W\nlogsource: {category: webserver}\ndetection:\n  sel:\n    cs-uri-query|endswith: '/mgmt/tm/util/bash'\n  condition: sel\n",
        );
        let mut e = Event::new(Format::Combined, Position::Line(1));
        e.logsource.category = Some("webserver".into());
        e.push("cs-uri-stem", "/mgmt/tm/util/bash");
        e.push("cs-uri-query", FieldValue::Null);
        e.push("cs-uri", "/mgmt/tm/util/bash");
        assert_eq!(hits(&s, e), vec![0]);
    }

    #[test]
    fn numbers_match_as_text_and_value() {
        let s = set(
            "title: E\nlogsource: {product: windows, service: security}\ndetection:\n  sel:\n    EventID: 4625\n    LogonType|gte: 3\n  condition: sel\n",
        );
        let mut e = proc_event("Security", 4625, &[]);
        e.push("LogonType", 10i64);
        assert_eq!(hits(&s, e), vec![0]);
    }

    #[test]
    fn unknown_rule_categories_fall_back_to_the_product() {
        let s = set(
            "title: U\nlogsource: {product: windows, category: no_such_category}\ndetection:\n  sel: {EventID: 9}\n  condition: sel\n",
        );
        assert_eq!(hits(&s, proc_event("Whatever", 9, &[])), vec![0]);
    }
}
