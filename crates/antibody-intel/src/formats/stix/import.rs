//! STIX 2.1 bundle import, one object at a time.
//!
//! The bundle's `objects` array is streamed: each object is built, turned
//! into items, entities or techniques, and dropped. What relationships need
//! to be resolved once the stream ends (they may come before or after the
//! objects they join) is kept as small maps: indicator id → the range of
//! items it gave, malware/actor id → name, and the `indicates` pairs. Every
//! map holds at most one entry per object read, and objects are bounded by
//! [`ImportOptions::max_objects`](crate::formats::ImportOptions).

use super::attack_external_id;
use super::pattern::parse_pattern;
use crate::formats::jsonpath::{Member, Next, str_of, stream_object};
use crate::formats::{FormatError, Meta, Sink, is_technique_id};
use crate::model::{EntityKind, IocKind};
use serde_json::Value;
use std::collections::HashMap;
use std::io::Read;
use std::ops::Range;

/// What relationships and the report need after the stream.
#[derive(Default)]
struct State {
    /// Indicator id → the items its pattern gave.
    indicators: HashMap<String, Range<usize>>,
    /// Malware, tool, actor id → (kind, name, ATT&CK id).
    named: HashMap<String, (EntityKind, String, Option<String>)>,
    /// Identity id → name, for the report's publisher.
    identities: HashMap<String, String>,
    /// `indicates` relationships: (indicator id, target id).
    indicates: Vec<(String, String)>,
    /// The report's author, when a report was read.
    report_author: Option<String>,
    report_seen: bool,
}

pub(crate) fn import(r: impl Read, sink: &mut Sink<'_>) -> Result<(), FormatError> {
    let mut st = State::default();
    let mut top_type: Option<Value> = None;
    let mut saw_objects = false;
    let choose = |k: &str| match k {
        "objects" => Member::Stream,
        "type" => Member::Keep,
        _ => Member::Skip,
    };
    let res = stream_object(
        r,
        sink.opts.max_depth,
        &choose,
        &mut |k, v| {
            if k == "type" {
                top_type = Some(v);
            }
        },
        &mut |_, i, obj| {
            saw_objects = true;
            let path = format!("$.objects[{i}]");
            if !sink.count_object(&path) {
                return Next::Stop;
            }
            object(sink, &mut st, &path, &obj);
            Next::Continue
        },
    );
    // What was read before a fault is kept, relationships included.
    resolve(sink, &st);
    let bytes = res.map_err(|b| sink.json_error(b))?;
    sink.add_bytes(bytes);
    match top_type.as_ref().and_then(Value::as_str) {
        Some("bundle") => Ok(()),
        Some(t) => Err(FormatError::Format {
            file: sink.name.clone(),
            message: format!("a STIX bundle has \"type\": \"bundle\", this one has `{t}`"),
        }),
        None if saw_objects => Ok(()),
        None => Err(FormatError::Format {
            file: sink.name.clone(),
            message: "not a STIX bundle: no \"type\": \"bundle\" and no objects".into(),
        }),
    }
}

/// Handles one object of the bundle.
fn object(sink: &mut Sink<'_>, st: &mut State, path: &str, obj: &Value) {
    let Some(ty) = str_of(obj, "type") else {
        sink.problem(path, "not a STIX object (no \"type\" string)");
        return;
    };
    let id = str_of(obj, "id").unwrap_or("");
    match ty {
        "indicator" => indicator(sink, st, path, obj, id),
        "observed-data" => match obj.get("objects").and_then(Value::as_object) {
            Some(objs) => {
                for (k, sco) in objs {
                    observable(
                        sink,
                        &format!("{path}.objects[{}]", Value::from(k.as_str())),
                        sco,
                    );
                }
            }
            None => sink.skip(),
        },
        "threat-actor" | "intrusion-set" => named(sink, st, path, obj, id, EntityKind::Actor),
        "malware" => named(sink, st, path, obj, id, EntityKind::Malware),
        "tool" => named(sink, st, path, obj, id, EntityKind::Tool),
        "attack-pattern" => match attack_external_id(obj) {
            Some(t) if is_technique_id(t) => {
                let name = str_of(obj, "name").unwrap_or(t);
                let desc = str_of(obj, "description").unwrap_or("");
                sink.technique(t, name, t, desc);
            }
            _ => sink.skip(),
        },
        "relationship" => {
            if str_of(obj, "relationship_type") == Some("indicates") {
                match (str_of(obj, "source_ref"), str_of(obj, "target_ref")) {
                    (Some(s), Some(t)) => st.indicates.push((s.to_string(), t.to_string())),
                    _ => sink.problem(path, "relationship without source_ref and target_ref"),
                }
            }
        }
        "identity" => {
            if let Some(n) = str_of(obj, "name") {
                st.identities.insert(id.to_string(), n.to_string());
            }
        }
        "report" if !st.report_seen => {
            st.report_seen = true;
            let doc = sink.doc();
            if let Some(n) = str_of(obj, "name") {
                doc.title = n.to_string();
            }
            if let Some(p) = str_of(obj, "published").and_then(|p| p.get(..10)) {
                doc.date = Some(p.to_string());
            }
            let url = obj
                .get("external_references")
                .and_then(Value::as_array)
                .and_then(|refs| refs.iter().find_map(|r| str_of(r, "url")));
            if let Some(u) = url.filter(|u| u.starts_with("http://") || u.starts_with("https://")) {
                doc.url = u.to_string();
            }
            st.report_author = str_of(obj, "created_by_ref").map(str::to_string);
        }
        _ if is_observable(ty) => observable(sink, path, obj),
        _ => sink.skip(),
    }
}

fn indicator(sink: &mut Sink<'_>, st: &mut State, path: &str, obj: &Value, id: &str) {
    let ppath = format!("{path}.pattern");
    let Some(pattern) = obj.get("pattern") else {
        sink.problem(path, "indicator without a pattern");
        return;
    };
    let Some(pattern) = pattern.as_str() else {
        sink.problem(&ppath, "the pattern is not a string");
        return;
    };
    let meta = Meta {
        description: str_of(obj, "name")
            .or_else(|| str_of(obj, "description"))
            .map(str::to_string),
        malware: None,
        attack: attack_external_id(obj)
            .map(str::to_string)
            .into_iter()
            .collect(),
        to_ids: true,
        confidence: obj
            .get("confidence")
            .and_then(Value::as_f64)
            .map(|c| (c / 100.0) as f32),
    };
    let start = sink.intel.items.len();
    let rule_kind = match str_of(obj, "pattern_type").unwrap_or("stix") {
        "stix" => None,
        "yara" => Some(IocKind::YaraRule),
        "sigma" => Some(IocKind::SigmaRule),
        "snort" | "suricata" => Some(IocKind::SnortRule),
        _ => {
            sink.skip();
            return;
        }
    };
    if let Some(kind) = rule_kind {
        sink.item(&ppath, kind, pattern, meta);
    } else {
        match parse_pattern(pattern) {
            Ok(p) => {
                let found = p.indicators();
                if found.is_empty() {
                    sink.skip();
                }
                for (kind, raw) in found {
                    sink.item(&ppath, kind, &raw, meta.clone());
                }
            }
            Err(e) => sink.problem(&ppath, format!("invalid STIX pattern {e}")),
        }
    }
    let end = sink.intel.items.len();
    if !id.is_empty() && end > start {
        st.indicators.insert(id.to_string(), start..end);
    }
}

fn named(sink: &mut Sink<'_>, st: &mut State, path: &str, obj: &Value, id: &str, kind: EntityKind) {
    let Some(name) = str_of(obj, "name").filter(|n| !n.trim().is_empty()) else {
        sink.problem(path, format!("{} without a name", kind.as_str()));
        return;
    };
    let ext = attack_external_id(obj).filter(|x| antibody_core::pack::is_attack_id(x));
    let aliases: Vec<&str> = ["aliases", "x_mitre_aliases"]
        .iter()
        .filter_map(|k| obj.get(*k)?.as_array())
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let desc = str_of(obj, "description").unwrap_or("");
    sink.entity(kind, ext.unwrap_or(name), name, &aliases, desc);
    if !id.is_empty() {
        st.named.insert(
            id.to_string(),
            (kind, name.to_string(), ext.map(str::to_string)),
        );
    }
}

fn is_observable(ty: &str) -> bool {
    matches!(
        ty,
        "ipv4-addr"
            | "ipv6-addr"
            | "domain-name"
            | "url"
            | "email-addr"
            | "file"
            | "directory"
            | "windows-registry-key"
            | "x509-certificate"
            | "artifact"
    )
}

/// A cyber-observable object: its values are items, not marked for
/// detection (they were seen, not asserted as indicators).
fn observable(sink: &mut Sink<'_>, path: &str, sco: &Value) {
    let Some(ty) = str_of(sco, "type") else {
        sink.problem(path, "observable without a \"type\" string");
        return;
    };
    let meta = Meta {
        to_ids: false,
        ..Meta::default()
    };
    let mut found: Vec<(IocKind, String, String)> = Vec::new();
    let s = |k: &str| str_of(sco, k).map(str::to_string);
    match ty {
        "ipv4-addr" | "ipv6-addr" => {
            if let Some(v) = s("value") {
                let kind = match (v.contains('/'), ty) {
                    (true, _) => IocKind::Cidr,
                    (false, "ipv4-addr") => IocKind::Ipv4,
                    _ => IocKind::Ipv6,
                };
                found.push((kind, v, "value".into()));
            }
        }
        "domain-name" => found.extend(s("value").map(|v| (IocKind::Domain, v, "value".into()))),
        "url" => found.extend(s("value").map(|v| (IocKind::Url, v, "value".into()))),
        "email-addr" => found.extend(s("value").map(|v| (IocKind::Email, v, "value".into()))),
        "directory" => found.extend(s("path").map(|v| (IocKind::FilePath, v, "path".into()))),
        "windows-registry-key" => {
            found.extend(s("key").map(|v| (IocKind::Registry, v, "key".into())))
        }
        "file" | "artifact" | "x509-certificate" => {
            if let Some(h) = sco.get("hashes").and_then(Value::as_object) {
                for (alg, v) in h {
                    let Some(v) = v.as_str() else { continue };
                    let a: String = alg
                        .chars()
                        .filter(|c| *c != '-' && *c != '_')
                        .collect::<String>()
                        .to_ascii_uppercase();
                    let kind = match (ty, a.as_str()) {
                        ("x509-certificate", "SHA1" | "SHA256") => IocKind::X509Fingerprint,
                        ("x509-certificate", _) => continue,
                        (_, "MD5") => IocKind::Md5,
                        (_, "SHA1") => IocKind::Sha1,
                        (_, "SHA256") => IocKind::Sha256,
                        (_, "SHA512") => IocKind::Sha512,
                        (_, "SSDEEP") => IocKind::Ssdeep,
                        _ => continue,
                    };
                    found.push((
                        kind,
                        v.to_string(),
                        format!("hashes[{}]", Value::from(alg.as_str())),
                    ));
                }
            }
            if ty == "file"
                && let Some(n) = s("name")
            {
                found.push((IocKind::FileName, n, "name".into()));
            }
        }
        _ => {}
    }
    if found.is_empty() {
        sink.skip();
    }
    for (kind, v, field) in found {
        sink.item(&format!("{path}.{field}"), kind, &v, meta.clone());
    }
}

/// Applies `indicates` relationships and the report's author once the
/// whole bundle has been read.
fn resolve(sink: &mut Sink<'_>, st: &State) {
    for (src, tgt) in &st.indicates {
        let (Some(range), Some((kind, name, ext))) = (st.indicators.get(src), st.named.get(tgt))
        else {
            continue;
        };
        for item in &mut sink.intel.items[range.clone()] {
            if matches!(kind, EntityKind::Malware | EntityKind::Tool) && item.malware.is_none() {
                item.malware = Some(name.clone());
            }
            if let Some(x) = ext
                && !item.attack.contains(x)
            {
                item.attack.push(x.clone());
            }
        }
    }
    if let Some(author) = st.report_author.as_ref().and_then(|a| st.identities.get(a)) {
        sink.doc().publisher = Some(author.clone());
    }
}
