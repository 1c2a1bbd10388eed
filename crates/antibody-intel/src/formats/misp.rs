//! MISP events: import of `{"Event": ...}`, `{"response": [{"Event": ...}]}`
//! and bare event objects (attributes, object attributes, tags and galaxy
//! clusters), and export of a pack as one event.
//!
//! Events are streamed through the same path-tracking reader as STIX:
//! attributes and objects are read one at a time (a feed event can hold
//! hundreds of thousands), so memory is bounded by the largest attribute,
//! a fault names its JSON path, and what came before a fault is kept.
//! Event tags and galaxies may come after the attributes (MISP writes
//! `Tag` last): what they say about the event's malware and techniques is
//! given to the event's indicators when the event ends.

use super::jsonpath::{JsonPath, Member, Next, Seg, Walk, str_of, stream_tree};
use super::{FormatError, Meta, Sink, is_technique_id};
use crate::model::{EntityKind, IocKind};
use antibody_core::pack::{IndicatorType, Pack};
use antibody_core::severity::{Confidence, Severity};
use serde_json::{Value, json};
use std::cell::RefCell;
use std::io::{Read, Write};

/// What a MISP attribute type says about its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MispType {
    /// One indicator of this kind.
    One(IocKind),
    /// An IP address or network (kind from the value).
    Ip,
    /// `a|b`: both parts, as these kinds (`None`: a port or data, dropped).
    Pair(Option<IocKind>, Option<IocKind>),
    /// `ip|port`.
    IpPort,
    /// A file name, or a path when it has separators.
    FileName,
    /// `filename|hash`.
    FileHash(IocKind),
    /// Not an indicator (a reference, free text, a kind with no place).
    Skip,
    /// A type this reader does not know.
    Unknown,
}

/// The meaning of MISP attribute type `t`.
pub(crate) fn misp_type(t: &str) -> MispType {
    use IocKind as K;
    use MispType as M;
    match t {
        "ip-src" | "ip-dst" => M::Ip,
        "ip-src|port" | "ip-dst|port" => M::IpPort,
        "domain" | "hostname" => M::One(K::Domain),
        "hostname|port" => M::Pair(Some(K::Domain), None),
        "domain|ip" => M::Pair(Some(K::Domain), None),
        "url" => M::One(K::Url),
        "md5" => M::One(K::Md5),
        "sha1" => M::One(K::Sha1),
        "sha256" => M::One(K::Sha256),
        "sha512" => M::One(K::Sha512),
        "ssdeep" => M::One(K::Ssdeep),
        "filename" => M::FileName,
        "filename|md5" => M::FileHash(K::Md5),
        "filename|sha1" => M::FileHash(K::Sha1),
        "filename|sha256" => M::FileHash(K::Sha256),
        "filename|sha512" => M::FileHash(K::Sha512),
        "filename|ssdeep" => M::FileHash(K::Ssdeep),
        "email" | "email-src" | "email-dst" | "email-reply-to" => M::One(K::Email),
        "regkey" => M::One(K::Registry),
        "regkey|value" => M::Pair(Some(K::Registry), None),
        "vulnerability" => M::One(K::Cve),
        "x509-fingerprint-sha1" | "x509-fingerprint-sha256" => M::One(K::X509Fingerprint),
        "ja3-fingerprint-md5" => M::One(K::Ja3),
        "yara" => M::One(K::YaraRule),
        "snort" => M::One(K::SnortRule),
        "sigma" => M::One(K::SigmaRule),
        "link"
        | "uri"
        | "text"
        | "comment"
        | "other"
        | "x509-fingerprint-md5"
        | "AS"
        | "pattern-in-file"
        | "pattern-in-memory"
        | "pattern-in-traffic"
        | "mutex"
        | "port"
        | "user-agent"
        | "imphash"
        | "authentihash"
        | "tlsh"
        | "datetime"
        | "hex"
        | "attachment"
        | "malware-sample"
        | "whois-registrant-email" => M::Skip,
        _ => M::Unknown,
    }
}

/// Whether the value at `p` is an event object: the root (a bare event),
/// `$.Event`, `$.response[i]` or `$.response[i].Event`.
fn is_event(p: &[Seg]) -> bool {
    match p {
        [] => true,
        [Seg::Key(k)] => k == "Event",
        [Seg::Key(r), Seg::Index(_)] => r == "response",
        [Seg::Key(r), Seg::Index(_), Seg::Key(e)] => r == "response" && e == "Event",
        _ => false,
    }
}

/// What the reader does with the value at `p`.
fn choose(p: &[Seg]) -> Member {
    match p {
        [Seg::Key(k)] if k == "Event" || k == "response" => return Member::Descend,
        [Seg::Key(r), Seg::Index(_)] if r == "response" => return Member::Descend,
        [Seg::Key(r), Seg::Index(_), Seg::Key(e)] if r == "response" && e == "Event" => {
            return Member::Descend;
        }
        _ => {}
    }
    match p.split_last() {
        Some((Seg::Key(k), parent)) if is_event(parent) => match k.as_str() {
            "Attribute" | "Object" => Member::Stream,
            "info" | "date" | "Orgc" | "Org" | "Tag" | "Galaxy" => Member::Keep,
            _ => Member::Skip,
        },
        _ => Member::Skip,
    }
}

/// The event being read.
struct Event {
    /// Its path, as segments and printed.
    at: Vec<Seg>,
    path: String,
    info: String,
    /// Malware and techniques its tags and galaxies name.
    ctx: Meta,
    /// Its first item in the sink.
    first_item: usize,
}

/// Import state shared by the reader's callbacks.
struct Reader<'s, 'a> {
    sink: &'s mut Sink<'a>,
    event: Option<Event>,
    events: usize,
    /// Objects were read or a member that only MISP has was seen.
    recognised: bool,
}

impl Reader<'_, '_> {
    /// The event at `at`, starting it (and ending the one before) when new.
    fn event_at(&mut self, at: &[Seg]) -> &mut Event {
        if self.event.as_ref().is_none_or(|e| e.at != at) {
            self.end_event();
            self.recognised = true;
            self.events += 1;
            self.event = Some(Event {
                at: at.to_vec(),
                path: JsonPath(at.to_vec()).to_string(),
                info: String::new(),
                ctx: Meta::default(),
                first_item: self.sink.intel.items.len(),
            });
        }
        self.event.as_mut().expect("just set")
    }

    /// Gives the event's malware and techniques to its indicators.
    fn end_event(&mut self) {
        let Some(ev) = self.event.take() else {
            return;
        };
        for item in &mut self.sink.intel.items[ev.first_item..] {
            if item.malware.is_none() {
                item.malware.clone_from(&ev.ctx.malware);
            }
            for t in &ev.ctx.attack {
                if !item.attack.contains(t) {
                    item.attack.push(t.clone());
                }
            }
        }
    }

    fn field(&mut self, p: &[Seg], v: Value) {
        let Some((last, parent)) = p.split_last() else {
            // A root that is not an object.
            return;
        };
        if is_event(p) {
            // An event where an object was expected.
            self.recognised = true;
            self.sink.problem(
                &JsonPath(p.to_vec()).to_string(),
                "the event is not a JSON object",
            );
            return;
        }
        let Seg::Key(key) = last else {
            return;
        };
        let first = {
            self.event_at(parent);
            self.events == 1
        };
        let ev = self.event.as_mut().expect("started above");
        let sink = &mut *self.sink;
        match key.as_str() {
            "info" => {
                if let Some(info) = v.as_str() {
                    ev.info = info.to_string();
                    if first && !info.trim().is_empty() {
                        sink.doc().title = info.to_string();
                    }
                }
            }
            "date" if first => {
                sink.doc().date = v.as_str().and_then(|s| s.get(..10)).map(str::to_string);
            }
            "Orgc" | "Org" if first => {
                if let Some(name) = str_of(&v, "name")
                    && (key == "Orgc" || sink.doc().publisher.is_none())
                {
                    sink.doc().publisher = Some(name.to_string());
                }
            }
            "Tag" => tags(
                sink,
                &format!("{}.Tag", ev.path),
                Some(&v),
                &ev.info,
                &mut ev.ctx,
            ),
            "Galaxy" => galaxies(sink, &ev.path, &v, &ev.info, &mut ev.ctx),
            _ => {}
        }
    }

    fn elem(&mut self, p: &[Seg], v: Value) -> Next {
        let [at @ .., Seg::Key(list), Seg::Index(i)] = p else {
            return Next::Continue;
        };
        let ev_path = self.event_at(at).path.clone();
        if list == "Attribute" {
            if !attribute(self.sink, &format!("{ev_path}.Attribute[{i}]"), &v) {
                return Next::Stop;
            }
            return Next::Continue;
        }
        let attrs = v.get("Attribute").and_then(Value::as_array);
        for (k, a) in attrs.into_iter().flatten().enumerate() {
            let path = format!("{ev_path}.Object[{i}].Attribute[{k}]");
            if !attribute(self.sink, &path, a) {
                return Next::Stop;
            }
        }
        Next::Continue
    }
}

pub(crate) fn import(r: impl Read, sink: &mut Sink<'_>) -> Result<(), FormatError> {
    let max_depth = sink.opts.max_depth;
    let reader = RefCell::new(Reader {
        sink,
        event: None,
        events: 0,
        recognised: false,
    });
    let res = {
        let mut walk = Walk {
            choose: &|p: &[Seg]| {
                if matches!(p, [Seg::Key(k)] if k == "Event" || k == "response") {
                    reader.borrow_mut().recognised = true;
                }
                choose(p)
            },
            field: &mut |p, v| reader.borrow_mut().field(p, v),
            elem: &mut |p, v| reader.borrow_mut().elem(p, v),
            close: &mut |p| {
                let mut r = reader.borrow_mut();
                if r.event.as_ref().is_some_and(|e| e.at == p) {
                    r.end_event();
                }
            },
        };
        stream_tree(r, max_depth, false, &mut walk)
    };
    let mut reader = reader.into_inner();
    // What was read before a fault is kept, with its event's tags so far.
    reader.end_event();
    let sink = reader.sink;
    let bytes = res.map_err(|b| sink.json_error(b))?;
    sink.add_bytes(bytes);
    if !reader.recognised {
        return Err(FormatError::Format {
            file: sink.name.clone(),
            message: "not a MISP event: no \"Event\", \"response\" or \"Attribute\" member".into(),
        });
    }
    Ok(())
}

/// Galaxy clusters attached to the event (its `Galaxy` list), read like
/// tags.
fn galaxies(sink: &mut Sink<'_>, path: &str, gals: &Value, info: &str, ctx: &mut Meta) {
    for (g, gal) in gals.as_array().into_iter().flatten().enumerate() {
        let ty = str_of(gal, "type").unwrap_or("");
        let clusters = gal.get("GalaxyCluster").and_then(Value::as_array);
        for (c, cl) in clusters.into_iter().flatten().enumerate() {
            if let Some(v) = str_of(cl, "value") {
                let item = format!("{path}.Galaxy[{g}].GalaxyCluster[{c}]");
                galaxy_value(sink, &item, ty, v, info, ctx);
            }
        }
    }
}

/// Reads `Tag` lists: galaxy tags name actors, malware, tools and
/// techniques.
fn tags(sink: &mut Sink<'_>, path: &str, tags: Option<&Value>, sentence: &str, ctx: &mut Meta) {
    for (i, t) in tags
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let Some(name) = str_of(t, "name") else {
            continue;
        };
        let Some(rest) = name.strip_prefix("misp-galaxy:") else {
            continue;
        };
        let Some((ty, v)) = rest.split_once('=') else {
            continue;
        };
        let v = v.trim().trim_matches('"');
        galaxy_value(sink, &format!("{path}[{i}]"), ty, v, sentence, ctx);
    }
}

/// One galaxy cluster value (`APT29`, `WellMess - S0514`,
/// `Phishing - T1566`) of galaxy type `ty`.
fn galaxy_value(
    sink: &mut Sink<'_>,
    item: &str,
    ty: &str,
    v: &str,
    sentence: &str,
    ctx: &mut Meta,
) {
    let (name, id) = match v.rsplit_once(" - ") {
        Some((n, id)) if antibody_core::pack::is_attack_id(id.trim()) => {
            (n.trim(), Some(id.trim()))
        }
        _ if antibody_core::pack::is_attack_id(v) => (v, Some(v)),
        _ => (v, None),
    };
    if name.is_empty() {
        sink.problem(item, "galaxy value without a name");
        return;
    }
    if ty.contains("attack-pattern") {
        match id.filter(|i| is_technique_id(i)) {
            Some(t) => {
                sink.technique(t, name, v, sentence);
                if !ctx.attack.iter().any(|a| a == t) {
                    ctx.attack.push(t.to_string());
                }
            }
            None => sink.problem(item, format!("attack pattern `{v}` without a technique id")),
        }
        return;
    }
    let kind = if ty.contains("intrusion-set") || ty.contains("threat-actor") {
        EntityKind::Actor
    } else if ty.contains("tool") {
        EntityKind::Tool
    } else if [
        "malware",
        "malpedia",
        "ransomware",
        "rat",
        "backdoor",
        "botnet",
        "stealer",
        "banker",
    ]
    .iter()
    .any(|k| ty.contains(k))
    {
        EntityKind::Malware
    } else {
        return;
    };
    sink.entity(kind, id.unwrap_or(name), name, &[], sentence);
    if kind != EntityKind::Actor && ctx.malware.is_none() {
        ctx.malware = Some(name.to_string());
    }
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        Some(Value::String(s)) => matches!(s.as_str(), "1" | "true" | "True"),
        _ => false,
    }
}

/// Reads one attribute; false once the object limit stops the file.
fn attribute(sink: &mut Sink<'_>, path: &str, a: &Value) -> bool {
    if !sink.count_object(path) {
        return false;
    }
    let Some(value) = a.get("value") else {
        sink.problem(path, "attribute without a value");
        return true;
    };
    let Some(value) = value.as_str() else {
        sink.problem(&format!("{path}.value"), "the value is not a string");
        return true;
    };
    let ty = str_of(a, "type").unwrap_or("");
    let to_ids = truthy(a.get("to_ids"));
    let comment = str_of(a, "comment").filter(|c| !c.trim().is_empty());
    let mut meta = Meta {
        description: comment.map(str::to_string),
        malware: None,
        attack: Vec::new(),
        to_ids,
        confidence: Some(if to_ids { 0.9 } else { 0.6 }),
    };
    tags(
        sink,
        &format!("{path}.Tag"),
        a.get("Tag"),
        comment.unwrap_or(""),
        &mut meta,
    );
    let vpath = format!("{path}.value");
    let split = || value.split_once('|').map(|(x, y)| (x.trim(), y.trim()));
    let ip_kind = |v: &str| {
        if v.contains('/') {
            IocKind::Cidr
        } else if v.contains(':') {
            IocKind::Ipv6
        } else {
            IocKind::Ipv4
        }
    };
    match misp_type(ty) {
        MispType::One(k) => {
            sink.item(&vpath, k, value, meta);
        }
        MispType::Ip => {
            sink.item(&vpath, ip_kind(value.trim()), value, meta);
        }
        MispType::IpPort => {
            let ip = split().map_or(value, |(ip, _)| ip);
            sink.item(&vpath, ip_kind(ip), ip, meta);
        }
        MispType::Pair(k1, k2) => {
            let (x, y) = split().unwrap_or((value, ""));
            if let Some(k) = k1 {
                sink.item(&vpath, k, x, meta.clone());
            }
            if let Some(k) = k2 {
                sink.item(&vpath, k, y, meta.clone());
            }
            // `domain|ip`: the address is an indicator of its own.
            if ty == "domain|ip" && !y.is_empty() {
                sink.item(&vpath, ip_kind(y), y, meta);
            }
        }
        MispType::FileName => {
            let k = if value.contains(['/', '\\']) {
                IocKind::FilePath
            } else {
                IocKind::FileName
            };
            sink.item(&vpath, k, value, meta);
        }
        MispType::FileHash(h) => match split() {
            Some((name, hash)) => {
                let k = if name.contains(['/', '\\']) {
                    IocKind::FilePath
                } else {
                    IocKind::FileName
                };
                sink.item(&vpath, k, name, meta.clone());
                sink.item(&vpath, h, hash, meta);
            }
            None => sink.problem(&vpath, format!("a {ty} value is `name|hash`")),
        },
        MispType::Skip => sink.skip(),
        MispType::Unknown if ty.is_empty() => {
            sink.classified(&vpath, value, meta);
        }
        MispType::Unknown => sink.skip(),
    }
    true
}

/// The MISP attribute type and category of a pack indicator type.
fn attribute_type(t: IndicatorType, value: &str) -> (&'static str, &'static str) {
    match t {
        IndicatorType::Md5 => ("md5", "Payload delivery"),
        IndicatorType::Sha1 => ("sha1", "Payload delivery"),
        IndicatorType::Sha256 => ("sha256", "Payload delivery"),
        IndicatorType::Ipv4 | IndicatorType::Ipv6 | IndicatorType::Cidr => {
            ("ip-dst", "Network activity")
        }
        IndicatorType::Domain => ("domain", "Network activity"),
        IndicatorType::Url => ("url", "Network activity"),
        IndicatorType::Email => ("email-src", "Payload delivery"),
        IndicatorType::FileName | IndicatorType::FilePath => ("filename", "Artifacts dropped"),
        IndicatorType::X509Fingerprint if value.len() == 64 => {
            ("x509-fingerprint-sha256", "Network activity")
        }
        IndicatorType::X509Fingerprint => ("x509-fingerprint-sha1", "Network activity"),
        IndicatorType::Ja3 => ("ja3-fingerprint-md5", "Network activity"),
        IndicatorType::String => ("pattern-in-file", "Artifacts dropped"),
        _ => ("text", "Other"),
    }
}

/// Writes `pack` as one MISP event.
pub(crate) fn export(pack: &Pack, w: &mut dyn Write) -> Result<(), FormatError> {
    serde_json::to_writer_pretty(&mut *w, &event_json(pack)).map_err(std::io::Error::from)?;
    w.write_all(b"\n")?;
    Ok(())
}

fn uuid_of(key: &str) -> String {
    super::stix::export::stix_id("misp", key)
        .trim_start_matches("misp--")
        .to_string()
}

/// The MISP event of `pack`.
pub fn event_json(pack: &Pack) -> Value {
    let name = &pack.meta.name;
    let max = pack.indicators.iter().map(|i| i.severity).max();
    let threat_level = match max {
        Some(Severity::Critical | Severity::High) => "1",
        Some(Severity::Medium) => "2",
        Some(_) => "3",
        None => "4",
    };
    let mut seen = std::collections::HashMap::new();
    let attributes: Vec<Value> = pack
        .indicators
        .iter()
        .map(|i| {
            let (ty, category) = attribute_type(i.kind, &i.value);
            let n = seen.entry((i.kind, i.value.as_str())).or_insert(0);
            let uuid = uuid_of(&format!("{name}|{}|{}|{n}", i.kind, i.value));
            *n += 1;
            let exact = ty != "text" && i.confidence != Confidence::Low;
            let mut comment = i.description.clone();
            if ty == "text" || i.kind == IndicatorType::FilePath {
                comment = format!("{} ({})", comment, i.kind);
            }
            json!({"uuid": uuid, "type": ty, "category": category, "value": i.value,
                   "to_ids": exact, "comment": comment, "distribution": "5"})
        })
        .collect();
    let mut tags: Vec<Value> = Vec::new();
    if let Some(actor) = pack.meta.actors.first() {
        tags.push(json!({"name": format!("misp-galaxy:threat-actor=\"{actor}\"")}));
        for g in pack.meta.attack.iter().filter(|a| a.starts_with('G')) {
            tags.push(
                json!({"name": format!("misp-galaxy:mitre-intrusion-set=\"{actor} - {g}\"")}),
            );
        }
    }
    let mut software = std::collections::BTreeMap::new();
    for i in &pack.indicators {
        if let Some(m) = &i.malware
            && let Some(s) = i.attack.iter().find(|a| a.starts_with('S'))
        {
            software.entry(s.clone()).or_insert_with(|| m.clone());
        }
    }
    for (s, m) in &software {
        tags.push(json!({"name": format!("misp-galaxy:mitre-malware=\"{m} - {s}\"")}));
    }
    let mut techniques: Vec<&String> = pack
        .meta
        .attack
        .iter()
        .filter(|a| is_technique_id(a))
        .collect();
    techniques.sort();
    techniques.dedup();
    for t in techniques {
        tags.push(json!({"name": format!("misp-galaxy:mitre-attack-pattern=\"{t}\"")}));
    }
    let source = pack.sources.first();
    json!({"Event": {
        "uuid": uuid_of(&format!("{name}|{}", pack.meta.version)),
        "info": format!("{name} {}: {}", pack.meta.version, super::clip(&pack.meta.description, 200)),
        "date": pack.meta.published.as_deref().unwrap_or("1970-01-01"),
        "threat_level_id": threat_level,
        "analysis": "2",
        "distribution": "0",
        "published": false,
        "Orgc": {"name": source.and_then(|s| s.publisher.clone()).unwrap_or_else(|| "antibody".into())},
        "Attribute": attributes,
        "Tag": tags,
    }})
}
