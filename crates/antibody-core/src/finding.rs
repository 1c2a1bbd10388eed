//! The `Finding`: one thing an engine found, in one schema for every engine.

use crate::evidence::{Location, Match};
use crate::observable::Observable;
use crate::severity::{Confidence, Severity};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Which rule or indicator fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRef {
    /// Stable id: the YARA rule name, the indicator's `type:value`, ...
    pub id: String,
    /// Human name of the rule.
    pub name: String,
    /// The pack the rule comes from.
    pub pack: String,
    /// The engine that evaluated it (`files`, `memory`, `logs`, ...).
    pub engine: String,
    /// Where the rule's facts come from (advisory URLs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// Who wrote the rule (Sigma `author`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
}

/// Size and digests of the file a finding is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    /// Size in bytes.
    pub size: u64,
    /// MD5, lowercase hex, when a pack needed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub md5: Option<String>,
    /// SHA-1, lowercase hex, when a pack needed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha1: Option<String>,
    /// SHA-256, lowercase hex, when a pack needed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// One detection: what fired, where, why, how bad, and what to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule or indicator that fired.
    pub rule: RuleRef,
    /// One-line title for people.
    pub title: String,
    /// Why it fired, in words (which traits matched).
    pub reason: String,
    /// How bad it is if true.
    pub severity: Severity,
    /// How sure the detection is.
    pub confidence: Confidence,
    /// MITRE ATT&CK technique or software ids (`T1190`, `S0514`).
    #[serde(default)]
    pub techniques: Vec<String>,
    /// Where the evidence is.
    pub location: Location,
    /// Byte offset of the first match in the item, when meaningful.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// The matched content.
    #[serde(default)]
    pub matches: Vec<Match>,
    /// Values to pivot on.
    #[serde(default)]
    pub observables: Vec<Observable>,
    /// The file's size and digests, when the evidence is a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<FileInfo>,
    /// Time of the evidence (file modification time, event time), not of
    /// the scan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<DateTime<Utc>>,
    /// What the analyst should do next.
    pub action: String,
    /// The log events behind the finding (log engine), in time order; the
    /// first is the one that triggered it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventRef>,
}

/// A log event behind a finding: enough to go back to it and to put it on
/// a timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRef {
    /// The format it was read from (`evtx`, `combined`, `syslog`...).
    pub format: String,
    /// EVTX `EventRecordID`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<u64>,
    /// 1-based line in a text log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// When the event happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<DateTime<Utc>>,
    /// The fields the rule looked at (or that carried the indicator), with
    /// their values, in the event's own field names.
    #[serde(default)]
    pub fields: Vec<(String, String)>,
    /// The raw line, for text logs (cut to 1 KiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
    /// Frame numbers (1-based, as Wireshark counts) in a packet capture.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frames: Vec<u64>,
    /// Zeek connection uid, for evidence from Zeek logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
}

impl EventRef {
    /// `record 42`, `line 7`, `frames 3, 4` or `uid CHhAvVGS1DHFjwGM9`, for people.
    pub fn position(&self) -> String {
        match (self.record, self.line) {
            (Some(r), _) => format!("record {r}"),
            (None, Some(l)) => format!("line {l}"),
            _ if !self.frames.is_empty() => {
                let f: Vec<String> = self.frames.iter().map(u64::to_string).collect();
                let word = if f.len() == 1 { "frame" } else { "frames" };
                format!("{word} {}", f.join(", "))
            }
            _ => self
                .uid
                .as_ref()
                .map(|u| format!("uid {u}"))
                .unwrap_or_default(),
        }
    }
}

impl Finding {
    /// A stable id for this finding: the same rule firing on the same place
    /// gives the same id in every run, so a case store never holds it twice.
    ///
    /// FNV-1a (64-bit) over engine, pack, rule id, location and offset; not
    /// a security boundary, only a deduplication key.
    pub fn fingerprint(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut feed = |s: &str| {
            for b in s.bytes().chain(std::iter::once(0xff)) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        };
        feed(&self.rule.engine);
        feed(&self.rule.pack);
        feed(&self.rule.id);
        feed(&self.location.to_string());
        feed(&self.offset.map(|o| o.to_string()).unwrap_or_default());
        if let Some(e) = self.events.first() {
            feed(&e.position());
        }
        format!("{h:016x}")
    }

    /// The finding as an ECS-aligned JSON document (see `docs/output.md`).
    pub fn to_ecs(&self) -> Value {
        let mut doc = json!({
            "@timestamp": self.timestamp.map(|t| t.to_rfc3339()),
            "event": {
                "kind": "alert",
                "module": "antibody",
                "dataset": format!("antibody.{}", self.rule.engine),
                "severity": self.severity.ecs_score(),
                "id": self.fingerprint(),
            },
            "rule": {
                "id": self.rule.id,
                "name": self.rule.name,
                "description": self.reason,
                "ruleset": self.rule.pack,
                "category": self.rule.engine,
                "reference": self.rule.references,
            },
            "threat": {
                "framework": "MITRE ATT&CK",
                "technique": { "id": techniques_of(&self.techniques, 'T') },
                "software": { "id": techniques_of(&self.techniques, 'S') },
            },
            "antibody": {
                "title": self.title,
                "severity": self.severity,
                "confidence": self.confidence,
                "location": self.location.to_string(),
                "offset": self.offset,
                "matches": self.matches,
                "observables": self.observables,
                "action": self.action,
            },
        });
        if !self.events.is_empty() {
            doc["antibody"]["events"] = json!(self.events);
        }
        if let Some(a) = &self.rule.author {
            doc["rule"]["author"] = json!([a]);
        }
        let obj = doc.as_object_mut().expect("object literal");
        match &self.location {
            Location::File { path } | Location::Member { path, .. } => {
                let mut file = json!({
                    "path": self.location.to_string(),
                    "name": self.location.leaf_name(),
                });
                if matches!(self.location, Location::Member { .. }) {
                    file["x_container"] = json!(path);
                }
                if let Some(info) = &self.file {
                    file["size"] = json!(info.size);
                    let mut hash = serde_json::Map::new();
                    for (k, v) in [
                        ("md5", &info.md5),
                        ("sha1", &info.sha1),
                        ("sha256", &info.sha256),
                    ] {
                        if let Some(v) = v {
                            hash.insert(k.into(), json!(v));
                        }
                    }
                    if !hash.is_empty() {
                        file["hash"] = Value::Object(hash);
                    }
                }
                obj.insert("file".into(), file);
            }
            Location::Process { pid, name } => {
                obj.insert("process".into(), json!({ "pid": pid, "name": name }));
            }
        }
        let related = related_of(&self.observables);
        if !related.is_empty() {
            obj.insert("related".into(), Value::Object(related));
        }
        doc
    }
}

fn techniques_of(ids: &[String], prefix: char) -> Vec<&str> {
    ids.iter()
        .map(String::as_str)
        .filter(|t| t.starts_with(prefix))
        .collect()
}

fn related_of(observables: &[Observable]) -> serde_json::Map<String, Value> {
    let mut map: serde_json::Map<String, Value> = serde_json::Map::new();
    for o in observables {
        let key = match o {
            Observable::Ip(_) => "ip",
            Observable::Md5(_)
            | Observable::Sha1(_)
            | Observable::Sha256(_)
            | Observable::TlsFingerprint(_)
            | Observable::Certificate(_) => "hash",
            Observable::Domain(_) | Observable::Host(_) => "hosts",
            Observable::User(_) => "user",
            _ => continue,
        };
        let entry = map.entry(key).or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(a) = entry {
            let v = Value::String(o.value());
            if !a.contains(&v) {
                a.push(v);
            }
        }
    }
    map
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample() -> Finding {
        Finding {
            rule: RuleRef {
                id: "WellMess_Go".into(),
                name: "WellMess Go implant".into(),
                pack: "apt29-2020".into(),
                engine: "files".into(),
                references: vec!["https://example.invalid/advisory".into()],
                author: None,
            },
            title: "WellMess (Go) implant".into(),
            reason: "3 of the published WellMess strings".into(),
            severity: Severity::Critical,
            confidence: Confidence::High,
            techniques: vec!["S0514".into(), "T1071.001".into()],
            location: Location::file("/e/a.zip").member("bot.exe"),
            offset: Some(16),
            matches: vec![Match::new("$a", 16, b"botlib.wellMess")],
            observables: vec![
                Observable::Sha256("00".repeat(32)),
                Observable::Ip("103.216.221.19".parse().unwrap()),
            ],
            file: Some(FileInfo {
                size: 10,
                sha256: Some("00".repeat(32)),
                ..Default::default()
            }),
            timestamp: None,
            action: "Isolate the host.".into(),
            events: Vec::new(),
        }
    }

    #[test]
    fn fingerprint_is_stable_and_location_sensitive() {
        let a = sample();
        let mut b = sample();
        assert_eq!(a.fingerprint(), b.fingerprint());
        b.location = Location::file("/e/other");
        assert_ne!(a.fingerprint(), b.fingerprint());
        // Reason text is presentation, not identity.
        let mut c = sample();
        c.reason = "changed".into();
        assert_eq!(a.fingerprint(), c.fingerprint());
    }

    #[test]
    fn ecs_document_has_the_contract_fields() {
        let d = sample().to_ecs();
        assert_eq!(d["event"]["kind"], "alert");
        assert_eq!(d["event"]["dataset"], "antibody.files");
        assert_eq!(d["rule"]["ruleset"], "apt29-2020");
        assert_eq!(d["threat"]["technique"]["id"][0], "T1071.001");
        assert_eq!(d["threat"]["software"]["id"][0], "S0514");
        assert_eq!(d["file"]["path"], "/e/a.zip!bot.exe");
        assert_eq!(d["file"]["name"], "bot.exe");
        assert_eq!(d["file"]["x_container"], "/e/a.zip");
        assert_eq!(d["file"]["hash"]["sha256"], "00".repeat(32));
        assert_eq!(d["related"]["ip"][0], "103.216.221.19");
        assert_eq!(d["antibody"]["severity"], "critical");
    }

    #[test]
    fn internal_form_round_trips() {
        let f = sample();
        let j = serde_json::to_string(&f).unwrap();
        let back: Finding = serde_json::from_str(&j).unwrap();
        assert_eq!(back, f);
    }
}
