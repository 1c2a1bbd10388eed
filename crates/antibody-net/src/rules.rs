//! Network rules: the `network/*.toml` files of a pack.
//!
//! A rule names a record kind (`protocol`) and conditions on the record's
//! fields (`[rule.where]`); it fires when every condition holds. The format
//! and the fields of each kind are documented in `docs/engines/net.md`.
//!
//! ```toml
//! [[rule]]
//! id = "apt29-2020-sorefang-http-upload"
//! title = "SoreFang upload: fixed multipart boundary"
//! protocol = "http"
//! severity = "high"
//! confidence = "high"
//! attack = ["S0516", "T1071.001"]
//! source = "cisa-ar20-198a"
//! [rule.where]
//! method = "POST"
//! boundary = "------974767299852498929531610575"
//! ```

use crate::fields::{Record, Value};
use antibody_core::pack::{Pack, RuleFile, line_of};
use antibody_core::{Confidence, Severity};
use ipnet::IpNet;
use regex::bytes::{Regex, RegexBuilder};
use serde::Deserialize;
use std::fmt;

/// Record kinds a rule can apply to.
pub const PROTOCOLS: [&str; 7] = ["conn", "http", "tls", "dns", "smtp", "beacon", "dns_tunnel"];

/// One problem in a network rule file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// `network/wellmess.toml` (pack-relative), or the path given.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// A compiled network rule.
#[derive(Debug)]
pub struct NetRule {
    /// Stable id (unique within the pack).
    pub id: String,
    /// Title for people.
    pub title: String,
    /// What it means, for the finding's reason.
    pub description: String,
    /// Record kind (`http`, `tls`...).
    pub protocol: String,
    /// Severity of a hit.
    pub severity: Severity,
    /// Confidence of a hit.
    pub confidence: Confidence,
    /// ATT&CK ids.
    pub attack: Vec<String>,
    /// Malware or tool, if any.
    pub malware: Option<String>,
    /// What to do; the pack default otherwise.
    pub action: String,
    /// The pack it comes from.
    pub pack: String,
    /// Source URL (from the pack's `[[source]]`).
    pub reference: Option<String>,
    /// `network/x.toml:12`.
    pub origin: String,
    conditions: Vec<Condition>,
}

#[derive(Debug)]
struct Condition {
    field: String,
    matcher: Matcher,
    /// At least this many of a multi-valued field's values must match.
    count: usize,
}

#[derive(Debug)]
enum Matcher {
    /// Case-insensitive equality (glob when the text has `*`).
    Text(Regex),
    Int(i64),
    Bool(bool),
    AnyOf(Vec<Matcher>),
    Contains(Vec<u8>),
    ContainsAll(Vec<Vec<u8>>),
    ContainsAny(Vec<Vec<u8>>),
    StartsWith(Vec<u8>),
    EndsWith(Vec<u8>),
    Regex(Regex),
    Cidr(Vec<IpNet>),
    Range(Option<f64>, Option<f64>),
    Not(Box<Matcher>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    rule: Vec<toml::Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    title: String,
    #[serde(default)]
    description: String,
    protocol: String,
    severity: Severity,
    confidence: Confidence,
    #[serde(default)]
    attack: Vec<String>,
    source: Option<String>,
    malware: Option<String>,
    action: Option<String>,
    #[serde(rename = "where")]
    conditions: toml::Table,
}

/// Compiles every network file of `pack`. Rules that fail are left out and
/// reported; the rest work.
pub fn compile_pack(pack: &Pack) -> (Vec<NetRule>, Vec<RuleError>) {
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    for file in &pack.network {
        compile_file(pack, file, &mut rules, &mut errors);
    }
    let mut seen = std::collections::HashSet::new();
    for r in &rules {
        if !seen.insert(r.id.clone()) {
            errors.push(RuleError {
                file: r.origin.clone(),
                line: None,
                message: format!("rule id `{}` is used twice", r.id),
            });
        }
    }
    (rules, errors)
}

fn compile_file(
    pack: &Pack,
    file: &RuleFile,
    rules: &mut Vec<NetRule>,
    errors: &mut Vec<RuleError>,
) {
    let raw: RawFile = match toml::from_str(&file.text) {
        Ok(r) => r,
        Err(e) => {
            errors.push(RuleError {
                file: file.path.clone(),
                line: e.span().map(|s| line_of(&file.text, s.start)),
                message: e.message().to_string(),
            });
            return;
        }
    };
    for spanned in raw.rule {
        let line = line_of(&file.text, spanned.span().start);
        let r = spanned.into_inner();
        match compile_rule(pack, r, &file.path, line) {
            Ok(rule) => rules.push(rule),
            Err(message) => errors.push(RuleError {
                file: file.path.clone(),
                line: Some(line),
                message,
            }),
        }
    }
}

fn compile_rule(pack: &Pack, r: RawRule, path: &str, line: usize) -> Result<NetRule, String> {
    if !PROTOCOLS.contains(&r.protocol.as_str()) {
        return Err(format!(
            "rule `{}`: protocol `{}` is not one of {}",
            r.id,
            r.protocol,
            PROTOCOLS.join(", ")
        ));
    }
    if r.conditions.is_empty() {
        return Err(format!("rule `{}`: `[rule.where]` has no condition", r.id));
    }
    let mut conditions = Vec::new();
    for (field, value) in &r.conditions {
        if !crate::fields::is_known(&r.protocol, field) {
            return Err(format!(
                "rule `{}`: `{field}` is not a field of {} records (see docs/engines/net.md)",
                r.id, r.protocol
            ));
        }
        let (matcher, count) =
            compile_matcher(value).map_err(|e| format!("rule `{}`, field `{field}`: {e}", r.id))?;
        conditions.push(Condition {
            field: field.clone(),
            matcher,
            count,
        });
    }
    let reference = r
        .source
        .as_deref()
        .and_then(|s| pack.source(s))
        .map(|s| s.url.clone());
    if let Some(s) = &r.source
        && pack.source(s).is_none()
    {
        return Err(format!(
            "rule `{}`: source `{s}` is not a [[source]] of the pack",
            r.id
        ));
    }
    Ok(NetRule {
        id: r.id,
        title: r.title,
        description: r.description,
        protocol: r.protocol,
        severity: r.severity,
        confidence: r.confidence,
        attack: r.attack,
        malware: r.malware,
        action: r
            .action
            .unwrap_or_else(|| pack.default_action().to_string()),
        pack: pack.meta.name.clone(),
        reference,
        origin: format!("{path}:{line}"),
        conditions,
    })
}

fn compile_matcher(v: &toml::Value) -> Result<(Matcher, usize), String> {
    match v {
        toml::Value::Table(t) => {
            let count = match t.get("count") {
                None => 1,
                Some(toml::Value::Integer(n)) if *n >= 1 => *n as usize,
                Some(_) => return Err("`count` must be a positive integer".into()),
            };
            Ok((table_matcher(t)?, count))
        }
        other => Ok((scalar_matcher(other)?, 1)),
    }
}

fn scalar_matcher(v: &toml::Value) -> Result<Matcher, String> {
    match v {
        toml::Value::String(s) => Ok(Matcher::Text(glob(s)?)),
        toml::Value::Integer(n) => Ok(Matcher::Int(*n)),
        toml::Value::Boolean(b) => Ok(Matcher::Bool(*b)),
        toml::Value::Array(items) => {
            let mut v = Vec::with_capacity(items.len());
            for i in items {
                if matches!(i, toml::Value::Array(_) | toml::Value::Table(_)) {
                    return Err("a list holds strings, numbers or booleans".into());
                }
                v.push(scalar_matcher(i)?);
            }
            Ok(Matcher::AnyOf(v))
        }
        _ => Err("expected a string, number, boolean, list or table".into()),
    }
}

const KEYS: &str = "equals, contains, contains_all, contains_any, starts_with, ends_with, regex, cidr, min, max, not, count";

fn table_matcher(t: &toml::Table) -> Result<Matcher, String> {
    let mut parts = Vec::new();
    let (mut min, mut max) = (None, None);
    for (k, v) in t {
        match k.as_str() {
            "count" => {}
            "equals" => parts.push(scalar_matcher(v)?),
            "contains" => parts.push(Matcher::Contains(lower(text(v, k)?))),
            "contains_all" | "contains_any" => {
                let toml::Value::Array(items) = v else {
                    return Err(format!("`{k}` takes a list of strings"));
                };
                let mut all = Vec::new();
                for i in items {
                    all.push(lower(text(i, k)?));
                }
                parts.push(if k == "contains_all" {
                    Matcher::ContainsAll(all)
                } else {
                    Matcher::ContainsAny(all)
                });
            }
            "starts_with" => parts.push(Matcher::StartsWith(lower(text(v, k)?))),
            "ends_with" => parts.push(Matcher::EndsWith(lower(text(v, k)?))),
            "regex" => {
                let re = RegexBuilder::new(text(v, k)?)
                    .size_limit(8 << 20)
                    .build()
                    .map_err(|e| format!("bad regex: {e}"))?;
                parts.push(Matcher::Regex(re));
            }
            "cidr" => {
                let items = match v {
                    toml::Value::Array(a) => a.clone(),
                    one => vec![one.clone()],
                };
                let mut nets = Vec::new();
                for i in &items {
                    let s = text(i, k)?;
                    let net = s
                        .parse::<IpNet>()
                        .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
                        .map_err(|_| format!("`{s}` is not an address or CIDR network"))?;
                    nets.push(net);
                }
                parts.push(Matcher::Cidr(nets));
            }
            "min" => min = Some(number(v, k)?),
            "max" => max = Some(number(v, k)?),
            "not" => {
                let inner = match v {
                    toml::Value::Table(t) => table_matcher(t)?,
                    other => scalar_matcher(other)?,
                };
                parts.push(Matcher::Not(Box::new(inner)));
            }
            other => return Err(format!("unknown key `{other}` (one of {KEYS})")),
        }
    }
    if min.is_some() || max.is_some() {
        parts.push(Matcher::Range(min, max));
    }
    match parts.len() {
        0 => Err(format!("empty condition (use one of {KEYS})")),
        1 => Ok(parts.pop().expect("one part")),
        _ => Err("one test per condition: write two fields or use `contains_all`".into()),
    }
}

fn text<'a>(v: &'a toml::Value, key: &str) -> Result<&'a str, String> {
    v.as_str().ok_or_else(|| format!("`{key}` takes a string"))
}

fn number(v: &toml::Value, key: &str) -> Result<f64, String> {
    match v {
        toml::Value::Integer(n) => Ok(*n as f64),
        toml::Value::Float(f) => Ok(*f),
        _ => Err(format!("`{key}` takes a number")),
    }
}

fn lower(s: &str) -> Vec<u8> {
    s.to_ascii_lowercase().into_bytes()
}

/// Case-insensitive whole-value match; `*` is any run of characters.
fn glob(s: &str) -> Result<Regex, String> {
    let body: Vec<String> = s.split('*').map(regex::escape).collect();
    RegexBuilder::new(&format!("^{}$", body.join(".*")))
        .case_insensitive(true)
        .dot_matches_new_line(true)
        .build()
        .map_err(|e| format!("bad pattern: {e}"))
}

impl Matcher {
    fn test(&self, v: &Value<'_>) -> bool {
        match self {
            Matcher::Text(re) => v.text().is_some_and(|t| re.is_match(&t)),
            Matcher::Int(n) => v.number() == Some(*n as f64),
            Matcher::Bool(b) => matches!(v, Value::Bool(x) if x == b),
            Matcher::AnyOf(ms) => ms.iter().any(|m| m.test(v)),
            Matcher::Contains(needle) => v
                .lower()
                .is_some_and(|h| memchr::memmem::find(&h, needle).is_some()),
            Matcher::ContainsAll(needles) => v.lower().is_some_and(|h| {
                needles
                    .iter()
                    .all(|n| memchr::memmem::find(&h, n).is_some())
            }),
            Matcher::ContainsAny(needles) => v.lower().is_some_and(|h| {
                needles
                    .iter()
                    .any(|n| memchr::memmem::find(&h, n).is_some())
            }),
            Matcher::StartsWith(p) => v.lower().is_some_and(|h| h.starts_with(p)),
            Matcher::EndsWith(p) => v.lower().is_some_and(|h| h.ends_with(p)),
            Matcher::Regex(re) => v.text().is_some_and(|t| re.is_match(&t)),
            Matcher::Cidr(nets) => match v {
                Value::Ip(ip) => nets.iter().any(|n| n.contains(ip)),
                _ => false,
            },
            Matcher::Range(lo, hi) => v
                .number()
                .is_some_and(|x| lo.is_none_or(|lo| x >= lo) && hi.is_none_or(|hi| x <= hi)),
            Matcher::Not(m) => !m.test(v),
        }
    }
}

/// What made a rule fire: each condition's field and the value that matched.
pub type Matched = Vec<(String, String)>;

impl NetRule {
    /// Whether the rule fires on `record`; the matched fields when it does.
    pub fn eval(&self, record: &Record<'_>) -> Option<Matched> {
        if record.protocol() != self.protocol {
            return None;
        }
        let mut matched = Vec::with_capacity(self.conditions.len());
        for c in &self.conditions {
            let values = record.field(&c.field);
            if values.is_empty() {
                // An absent field only satisfies a negation.
                if matches!(c.matcher, Matcher::Not(_)) {
                    continue;
                }
                return None;
            }
            let mut hits = 0;
            let mut first = None;
            for v in &values {
                if c.matcher.test(v) {
                    hits += 1;
                    first.get_or_insert_with(|| v.display());
                }
            }
            let ok = if matches!(c.matcher, Matcher::Not(_)) {
                hits == values.len()
            } else {
                hits >= c.count
            };
            if !ok {
                return None;
            }
            if let Some(shown) = first {
                let shown = if hits > 1 {
                    format!("{shown} (and {} more)", hits - 1)
                } else {
                    shown
                };
                matched.push((c.field.clone(), shown));
            }
        }
        Some(matched)
    }
}
