//! Windows events in the JSON shape of `evtx_dump -o json`
//! (`{"Event":{"System":{..},"EventData":{..}}}`), flattened into the
//! field names Sigma rules use. Shared by the EVTX reader and the JSON
//! lines reader (exported events, Sysmon for Linux).
//!
//! From `Event.System`: `EventID` (an integer, also when it is written as
//! `{"#attributes":{"Qualifiers":..},"#text":4111}`), `Channel`,
//! `Computer`, `Provider_Name`, `EventRecordID`, `Level`, `Task`, `Opcode`,
//! `Keywords`, `Version`, `ProcessID` and `ThreadID` (from `Execution`),
//! `UserID` (from `Security`) and `SystemTime` (from `TimeCreated`, as
//! text). Then every leaf under `EventData` and `UserData` by its element
//! name, however deep (`UserData` wraps its leaves in one more element);
//! unnamed `<Data>` elements become one field `Data` holding a list.
//! `RenderingInfo` (forwarded events) is left out: it repeats `System` in
//! words.

use crate::event::{Event, FieldValue};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// How deep `EventData`/`UserData` are walked; real events nest two or
/// three levels, the limit only bounds hostile input.
const MAX_DEPTH: usize = 16;

/// Converts a JSON value to a field value: numbers stay numbers, objects
/// with `#text` give their text, other objects their compact JSON text.
pub(crate) fn json_to_field(v: &Value) -> FieldValue {
    match v {
        Value::Null => FieldValue::Null,
        Value::Bool(b) => FieldValue::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => FieldValue::Int(i),
            None => match n.as_u64() {
                Some(u) => FieldValue::Str(u.to_string()),
                None => FieldValue::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
        },
        Value::String(s) => FieldValue::Str(s.clone()),
        Value::Array(items) => FieldValue::List(items.iter().map(json_to_field).collect()),
        Value::Object(m) => match m.get("#text") {
            Some(t) => json_to_field(t),
            None => FieldValue::Str(v.to_string()),
        },
    }
}

/// A value as an integer, when it is one or is text holding one.
pub(crate) fn json_to_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Object(m) => m.get("#text").and_then(json_to_int),
        _ => None,
    }
}

fn attribute<'a>(v: Option<&'a Value>, name: &str) -> Option<&'a Value> {
    v?.get("#attributes")?.get(name)
}

/// Whether `root` (a whole JSON document) holds a Windows event in the
/// `evtx_dump` shape, and the `Event` object if so.
pub(crate) fn event_object(root: &Value) -> Option<&Map<String, Value>> {
    let event = root.get("Event")?.as_object()?;
    event.get("System")?.as_object()?;
    Some(event)
}

/// What the flattening learnt besides the fields.
pub(crate) struct WindowsInfo {
    /// `EventRecordID` of `System` (exported logs renumber the record
    /// headers, so it can differ from the header's id).
    pub record_id: Option<u64>,
    /// `TimeCreated SystemTime`, parsed.
    pub timestamp: Option<DateTime<Utc>>,
    /// `windows`, or `linux` for Sysmon for Linux.
    pub product: &'static str,
}

/// Adds the fields of the `Event` object `event` (see the module doc).
pub(crate) fn flatten(event: &Map<String, Value>, out: &mut Event) -> WindowsInfo {
    let system = event.get("System");
    let sys = |name: &str| system.and_then(|s| s.get(name));
    let mut push = |name: &str, value: Option<FieldValue>| {
        if let Some(value) = value {
            out.push(name, value);
        }
    };
    push(
        "EventID",
        sys("EventID").map(|v| json_to_int(v).map_or_else(|| json_to_field(v), FieldValue::Int)),
    );
    let channel = sys("Channel").and_then(Value::as_str).map(str::to_string);
    push("Channel", sys("Channel").map(json_to_field));
    push("Computer", sys("Computer").map(json_to_field));
    push(
        "Provider_Name",
        attribute(sys("Provider"), "Name").map(json_to_field),
    );
    let record_id = sys("EventRecordID").and_then(json_to_int);
    push("EventRecordID", sys("EventRecordID").map(json_to_field));
    for name in ["Level", "Task", "Opcode", "Keywords", "Version"] {
        push(name, sys(name).map(json_to_field));
    }
    for name in ["ProcessID", "ThreadID"] {
        push(name, attribute(sys("Execution"), name).map(json_to_field));
    }
    push(
        "UserID",
        attribute(sys("Security"), "UserID").map(json_to_field),
    );
    let system_time = attribute(sys("TimeCreated"), "SystemTime");
    push("SystemTime", system_time.map(json_to_field));
    let timestamp = system_time
        .and_then(Value::as_str)
        .and_then(super::parse_timestamp);

    for section in ["EventData", "UserData"] {
        match event.get(section) {
            Some(Value::Object(m)) => leaves(m, out, 0),
            Some(Value::Null) | None => {}
            Some(other) => out.push(section, json_to_field(other)),
        }
    }
    let product = match channel.as_deref() {
        Some(c) if c.starts_with("Linux-Sysmon") => "linux",
        _ => "windows",
    };
    WindowsInfo {
        record_id: record_id.and_then(|r| u64::try_from(r).ok()),
        timestamp,
        product,
    }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Object(_) | Value::Array(_))
}

fn leaves(obj: &Map<String, Value>, out: &mut Event, depth: usize) {
    for (name, value) in obj {
        if name == "#attributes" {
            continue;
        }
        match value {
            Value::Object(m) => {
                if let Some(text) = m.get("#text") {
                    out.push(name.as_str(), json_to_field(text));
                } else if depth < MAX_DEPTH {
                    leaves(m, out, depth + 1);
                }
            }
            Value::Array(items) if items.iter().all(is_scalar) => {
                out.push(name.as_str(), json_to_field(value));
            }
            Value::Array(items) => {
                // Several elements of the same name: each one on its own.
                for item in items {
                    match item {
                        Value::Object(m) if !m.contains_key("#text") && depth < MAX_DEPTH => {
                            leaves(m, out, depth + 1)
                        }
                        other => out.push(name.as_str(), json_to_field(other)),
                    }
                }
            }
            other => out.push(name.as_str(), json_to_field(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Format, Position};
    use serde_json::json;

    fn flat(v: Value) -> (Event, WindowsInfo) {
        let mut e = Event::new(Format::Evtx, Position::Record(0));
        let info = flatten(event_object(&v).expect("event"), &mut e);
        (e, info)
    }

    #[test]
    fn qualifiers_and_unnamed_data() {
        let (e, info) = flat(json!({"Event": {
            "System": {
                "Provider": {"#attributes": {"Name": "EventLog"}},
                "EventID": {"#attributes": {"Qualifiers": 32768}, "#text": 6009},
                "Level": 4, "Keywords": "0x80000000000000",
                "TimeCreated": {"#attributes": {"SystemTime": "2017-07-12T17:16:28.2141616Z"}},
                "EventRecordID": 1, "Channel": "System", "Computer": "WIN-P4", "Security": null
            },
            "EventData": {"Data": {"#text": ["10.00.", "15063", ""]}}
        }}));
        assert_eq!(e.get("EventID"), Some(&FieldValue::Int(6009)));
        assert_eq!(e.text("Provider_Name").as_deref(), Some("EventLog"));
        assert_eq!(
            e.get("Data"),
            Some(&FieldValue::List(vec![
                "10.00.".into(),
                "15063".into(),
                "".into()
            ]))
        );
        assert!(e.get("UserID").is_none());
        assert_eq!(e.get("EventRecordID"), Some(&FieldValue::Int(1)));
        assert_eq!(
            info.timestamp.map(|t| t.to_rfc3339()),
            Some("2017-07-12T17:16:28.214161600+00:00".to_string())
        );
    }

    #[test]
    fn forwarded_event_reads_like_a_local_one() {
        let (e, info) = flat(json!({"Event": {
            "System": {
                "Provider": {"#attributes": {"Name": "Microsoft-Windows-Security-Auditing"}},
                "EventID": 4624, "Channel": "Security", "Computer": "dc1.example.local",
                "EventRecordID": 77,
                "TimeCreated": {"#attributes": {"SystemTime": "2024-05-04T10:00:00.1234567Z"}}
            },
            "EventData": {"TargetUserName": "alice", "LogonType": "10", "IpAddress": "192.0.2.4"},
            "RenderingInfo": {
                "#attributes": {"Culture": "en-US"},
                "Message": "An account was successfully logged on.",
                "Level": "Information", "Channel": "Security",
                "Keywords": {"Keyword": "Audit Success"}
            }
        }}));
        assert_eq!(e.get("EventID"), Some(&FieldValue::Int(4624)));
        assert_eq!(e.text("TargetUserName").as_deref(), Some("alice"));
        assert_eq!(e.text("LogonType").as_deref(), Some("10"));
        assert!(e.get("Message").is_none() && e.get("Keyword").is_none());
        assert_eq!(e.fields.iter().filter(|(n, _)| n == "Channel").count(), 1);
        assert_eq!(info.record_id, Some(77));
        assert_eq!(info.product, "windows");
    }

    #[test]
    fn user_data_leaves_by_name_and_text_values() {
        let (e, info) = flat(json!({"Event": {
            "System": {"EventID": "5858", "Channel": "Linux-Sysmon/Operational"},
            "UserData": {"Operation_ClientFailure": {
                "#attributes": {"xmlns": "x"},
                "ClientProcessId": 25920,
                "URL": {"#attributes": {"scheme": "http"}, "#text": "http://crl"},
                "Flags": {"#attributes": {"value": "1"}},
                "Nested": {"Inner": null}
            }}
        }}));
        assert_eq!(e.get("EventID"), Some(&FieldValue::Int(5858)));
        assert_eq!(e.get("ClientProcessId"), Some(&FieldValue::Int(25920)));
        assert_eq!(e.text("URL").as_deref(), Some("http://crl"));
        assert_eq!(e.get("Inner"), Some(&FieldValue::Null));
        assert!(e.get("Flags").is_none() && e.get("xmlns").is_none());
        assert_eq!(info.product, "linux");
    }
}
