//! A pack as a STIX 2.1 bundle: an identity for the pack, a report that
//! refers to everything, an indicator per pack indicator (with a pattern
//! for its type), malware, an intrusion set for the pack's actor,
//! attack patterns for its ATT&CK techniques, and the relationships
//! between them.
//!
//! The bundle depends only on the pack: ids are UUIDv5 of a fixed namespace
//! and each object's content key, `created`/`modified`/`valid_from` come
//! from the pack's publication date (the Unix epoch when it has none), and
//! members are written in sorted order. Exporting a pack twice gives the
//! same bytes.

use super::pattern::quote;
use crate::formats::FormatError;
use antibody_core::pack::{Indicator, IndicatorType, Pack};
use antibody_core::severity::Confidence;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use uuid::Uuid;

/// Namespace of every id this exporter makes.
const NAMESPACE: Uuid = Uuid::from_u128(0x5b1c_94a2_7d3e_4f60_8a19_c2e4_7b0d_3f61);

/// The STIX id of an object of type `ty` with content key `key`.
pub fn stix_id(ty: &str, key: &str) -> String {
    format!(
        "{ty}--{}",
        Uuid::new_v5(&NAMESPACE, format!("{ty}|{key}").as_bytes())
    )
}

/// The STIX timestamp of a pack date (`YYYY-MM-DD`), or the epoch when the
/// date is missing or malformed.
pub fn timestamp(date: Option<&str>) -> String {
    let ok = date.filter(|d| {
        let b = d.as_bytes();
        b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
    });
    format!("{}T00:00:00.000Z", ok.unwrap_or("1970-01-01"))
}

/// The STIX pattern for a pack indicator, or `None` for types STIX has no
/// observable property for (JA3, JA4).
pub fn pattern_for(ind: &Indicator) -> Option<String> {
    let v = ind.value.as_str();
    let eq = |path: &str| format!("[{path} = {}]", quote(v));
    Some(match ind.kind {
        IndicatorType::Md5 => eq("file:hashes.'MD5'"),
        IndicatorType::Sha1 => eq("file:hashes.'SHA-1'"),
        IndicatorType::Sha256 => eq("file:hashes.'SHA-256'"),
        IndicatorType::Ipv4 => eq("ipv4-addr:value"),
        IndicatorType::Ipv6 => eq("ipv6-addr:value"),
        IndicatorType::Cidr if v.contains(':') => eq("ipv6-addr:value"),
        IndicatorType::Cidr => eq("ipv4-addr:value"),
        IndicatorType::Domain => eq("domain-name:value"),
        IndicatorType::Url => eq("url:value"),
        IndicatorType::Email => eq("email-addr:value"),
        IndicatorType::FileName => format!("[{}]", glob_test("file:name", v)),
        IndicatorType::FilePath => {
            let (dir, name) = match v.rsplit_once('/') {
                Some(("", n)) => ("/", n),
                Some((d, n)) => (d, n),
                None => return Some(format!("[{}]", glob_test("file:name", v))),
            };
            if name.is_empty() {
                format!("[{}]", glob_test("directory:path", dir))
            } else {
                format!(
                    "[{} AND {}]",
                    glob_test("file:parent_directory_ref.path", dir),
                    glob_test("file:name", name)
                )
            }
        }
        IndicatorType::X509Fingerprint if v.len() == 64 => eq("x509-certificate:hashes.'SHA-256'"),
        IndicatorType::X509Fingerprint => eq("x509-certificate:hashes.'SHA-1'"),
        IndicatorType::X509Subject => format!("[{}]", glob_test("x509-certificate:subject", v)),
        IndicatorType::X509Issuer => format!("[{}]", glob_test("x509-certificate:issuer", v)),
        IndicatorType::String => {
            format!("[artifact:payload_bin MATCHES {}]", quote(&regex_escape(v)))
        }
        _ => return None,
    })
}

/// `path = 'v'` for a literal; `LIKE` for a glob that LIKE can say exactly
/// (`*` → `%`, `?` → `_`, no literal `%` or `_`); `MATCHES` with an anchored
/// regex for any other glob.
fn glob_test(path: &str, v: &str) -> String {
    if !v.contains(['*', '?', '[']) {
        return format!("{path} = {}", quote(v));
    }
    if !v.contains(['%', '_', '[']) {
        let like: String = v
            .replace("**", "*")
            .chars()
            .map(|c| match c {
                '*' => '%',
                '?' => '_',
                c => c,
            })
            .collect();
        return format!("{path} LIKE {}", quote(&like));
    }
    let mut re = String::from("^");
    let chars: Vec<char> = v.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' if chars.get(i + 1) == Some(&'*') => {
                re.push_str(".*");
                i += 1;
            }
            '*' => re.push_str("[^/\\\\]*"),
            '?' => re.push_str("[^/\\\\]"),
            '[' if chars[i..].contains(&']') => {
                re.push('[');
                if chars.get(i + 1) == Some(&'!') {
                    re.push('^');
                    i += 1;
                }
            }
            ']' => re.push(']'),
            c => re.push_str(&regex_escape(&c.to_string())),
        }
        i += 1;
    }
    re.push('$');
    format!("{path} MATCHES {}", quote(&re))
}

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$/".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn confidence(c: Confidence) -> u8 {
    match c {
        Confidence::Low => 15,
        Confidence::Medium => 50,
        Confidence::High => 85,
    }
}

fn attack_url(id: &str) -> String {
    let kind = match id.as_bytes().first() {
        Some(b'G') => "groups",
        Some(b'S') => "software",
        Some(b'M') => "mitigations",
        Some(b'C') => "campaigns",
        _ if id.starts_with("TA") => "tactics",
        _ => "techniques",
    };
    format!("https://attack.mitre.org/{kind}/{}", id.replace('.', "/"))
}

fn attack_ref(id: &str) -> Value {
    json!({"source_name": "mitre-attack", "external_id": id, "url": attack_url(id)})
}

/// Writes `pack` as a STIX 2.1 bundle.
pub(crate) fn export(pack: &Pack, w: &mut dyn Write) -> Result<(), FormatError> {
    let bundle = bundle(pack);
    serde_json::to_writer_pretty(&mut *w, &bundle).map_err(std::io::Error::from)?;
    w.write_all(b"\n")?;
    Ok(())
}

/// The bundle of `pack` as a JSON value.
pub fn bundle(pack: &Pack) -> Value {
    let name = &pack.meta.name;
    let ts = timestamp(pack.meta.published.as_deref());
    let identity = stix_id("identity", name);
    let common = |ty: &str, id: &str| {
        json!({"type": ty, "spec_version": "2.1", "id": id, "created": ts, "modified": ts,
               "created_by_ref": identity})
    };
    let mut objects: Vec<Value> = Vec::new();
    let mut rels: Vec<Value> = Vec::new();
    let mut rel = |src: &str, kind: &str, tgt: &str| {
        let mut r = common(
            "relationship",
            &stix_id("relationship", &format!("{src}|{kind}|{tgt}")),
        );
        r["relationship_type"] = json!(kind);
        r["source_ref"] = json!(src);
        r["target_ref"] = json!(tgt);
        rels.push(r);
    };
    let source_ref = |id: &str| -> Value {
        match pack.source(id) {
            Some(s) => json!({"source_name": s.id, "url": s.url, "description": s.title}),
            None => json!({"source_name": id}),
        }
    };

    // Techniques and software named anywhere in the pack.
    let mut techniques: BTreeSet<&str> = BTreeSet::new();
    for a in pack
        .meta
        .attack
        .iter()
        .chain(pack.indicators.iter().flat_map(|i| &i.attack))
    {
        if a.starts_with('T') && !a.starts_with("TA") {
            techniques.insert(a);
        }
    }
    let technique_ids: BTreeMap<&str, String> = techniques
        .iter()
        .map(|t| (*t, stix_id("attack-pattern", &format!("{name}|{t}"))))
        .collect();

    // Malware named by indicators, with the ATT&CK software id most of its
    // indicators carry.
    let mut malware: BTreeMap<&str, HashMap<&str, usize>> = BTreeMap::new();
    for i in &pack.indicators {
        if let Some(m) = i.malware.as_deref() {
            let ids = malware.entry(m).or_default();
            for a in i.attack.iter().filter(|a| a.starts_with('S')) {
                *ids.entry(a).or_default() += 1;
            }
        }
    }
    let malware_ids: BTreeMap<&str, String> = malware
        .keys()
        .map(|m| (*m, stix_id("malware", &format!("{name}|{m}"))))
        .collect();

    let mut seen: HashMap<(IndicatorType, &str), usize> = HashMap::new();
    for ind in &pack.indicators {
        let Some(pattern) = pattern_for(ind) else {
            continue;
        };
        let n = seen.entry((ind.kind, ind.value.as_str())).or_default();
        let id = stix_id(
            "indicator",
            &format!("{name}|{}|{}|{n}", ind.kind, ind.value),
        );
        *n += 1;
        let mut o = common("indicator", &id);
        o["name"] = json!(format!(
            "{}: {}",
            ind.kind,
            crate::formats::clip(&ind.value, 200)
        ));
        o["description"] = json!(ind.description);
        o["indicator_types"] = json!(["malicious-activity"]);
        o["pattern"] = json!(pattern);
        o["pattern_type"] = json!("stix");
        o["pattern_version"] = json!("2.1");
        o["valid_from"] = json!(ts);
        o["confidence"] = json!(confidence(ind.confidence));
        o["labels"] = json!([format!("severity-{}", ind.severity)]);
        o["external_references"] = json!([source_ref(&ind.source)]);
        if let Some(m) = ind.malware.as_deref() {
            rel(&id, "indicates", &malware_ids[m]);
        }
        for a in &ind.attack {
            if let Some(t) = technique_ids.get(a.as_str()) {
                rel(&id, "indicates", t);
            }
        }
        objects.push(o);
    }

    for (m, ids) in &malware {
        let mut o = common("malware", &malware_ids[m]);
        o["name"] = json!(m);
        o["is_family"] = json!(true);
        let best = ids.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)));
        if let Some((s, _)) = best {
            o["external_references"] = json!([attack_ref(s)]);
        }
        objects.push(o);
    }

    if let Some((first, aliases)) = pack.meta.actors.split_first() {
        let id = stix_id("intrusion-set", &format!("{name}|{first}"));
        let mut o = common("intrusion-set", &id);
        o["name"] = json!(first);
        if !aliases.is_empty() {
            o["aliases"] = json!(aliases);
        }
        let groups: Vec<Value> = pack
            .meta
            .attack
            .iter()
            .filter(|a| a.starts_with('G'))
            .map(|a| attack_ref(a))
            .collect();
        if !groups.is_empty() {
            o["external_references"] = json!(groups);
        }
        for m in malware_ids.values() {
            rel(&id, "uses", m);
        }
        for t in technique_ids.values() {
            rel(&id, "uses", t);
        }
        objects.push(o);
    }

    for (t, id) in &technique_ids {
        let mut o = common("attack-pattern", id);
        // ATT&CK's own name and tactics where the table knows the id; the
        // bare id otherwise (a technique newer than the table).
        let known = crate::attack::table().technique(t);
        o["name"] = json!(known.map_or(*t, |e| e.name.as_str()));
        if let Some(e) = known.filter(|e| !e.tactics.is_empty()) {
            o["kill_chain_phases"] = json!(
                e.tactics
                    .iter()
                    .map(|p| json!({"kill_chain_name": "mitre-attack", "phase_name": p}))
                    .collect::<Vec<_>>()
            );
        }
        o["external_references"] = json!([attack_ref(t)]);
        objects.push(o);
    }
    objects.extend(rels);

    let mut ident = json!({"type": "identity", "spec_version": "2.1", "id": identity,
        "created": ts, "modified": ts, "name": format!("antibody pack {name}"),
        "identity_class": "system",
        "description": format!("The antibody pack {name}, version {}.", pack.meta.version)});
    if pack.meta.description.is_empty() {
        ident["description"] = json!(format!("The antibody pack {name}."));
    }
    let mut report = common(
        "report",
        &stix_id("report", &format!("{name}|{}", pack.meta.version)),
    );
    report["name"] = json!(format!("{name} {}", pack.meta.version));
    report["description"] = json!(pack.meta.description);
    report["report_types"] = json!(["threat-report"]);
    report["published"] = json!(ts);
    let mut refs: Vec<Value> = vec![json!(identity)];
    refs.extend(objects.iter().map(|o| o["id"].clone()));
    report["object_refs"] = json!(refs);
    let sources: Vec<Value> = pack.sources.iter().map(|s| source_ref(&s.id)).collect();
    if !sources.is_empty() {
        report["external_references"] = json!(sources);
    }

    let mut all = vec![ident, report];
    all.extend(objects);
    json!({
        "type": "bundle",
        "id": stix_id("bundle", &format!("{name}|{}", pack.meta.version)),
        "objects": all,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_become_like_or_matches() {
        assert_eq!(glob_test("file:name", "a.exe"), "file:name = 'a.exe'");
        assert_eq!(glob_test("file:name", "*.sh"), "file:name LIKE '%.sh'");
        assert_eq!(glob_test("file:name", "up?.sh"), "file:name LIKE 'up_.sh'");
        assert_eq!(
            glob_test("file:parent_directory_ref.path", "**/App_Data/Temp"),
            r"file:parent_directory_ref.path MATCHES '^.*\\/App_Data\\/Temp$'"
        );
    }

    #[test]
    fn timestamps_come_from_the_date_or_the_epoch() {
        assert_eq!(timestamp(Some("2020-07-16")), "2020-07-16T00:00:00.000Z");
        assert_eq!(timestamp(Some("July 2020")), "1970-01-01T00:00:00.000Z");
        assert_eq!(timestamp(None), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn ids_are_stable_and_distinct() {
        assert_eq!(stix_id("indicator", "a"), stix_id("indicator", "a"));
        assert_ne!(stix_id("indicator", "a"), stix_id("indicator", "b"));
        assert!(stix_id("malware", "a").starts_with("malware--"));
    }
}
