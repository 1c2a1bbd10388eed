//! The JSON lines reader: one JSON object per line.
//!
//! - Any object: nested objects flattened with dots
//!   (`process.command_line`, `winlog.event_data.CommandLine`), arrays as
//!   lists (objects inside arrays as their JSON text), `null` as null.
//! - Winlogbeat / ECS (a `winlog` object): also the Windows names `Channel`
//!   (`winlog.channel`), `EventID` as an integer (`winlog.event_id`),
//!   `Computer` (`winlog.computer_name`), `Provider_Name`
//!   (`winlog.provider_name`), and each `winlog.event_data.X` and
//!   `winlog.user_data.X` also as `X`; product `windows`.
//! - Windows events exported in the `evtx_dump` shape
//!   (`{"Event":{"System":..}}`): the fields of the EVTX reader (see
//!   `windows`), product `windows`, or `linux` for Sysmon for Linux
//!   (channel `Linux-Sysmon/Operational`).
//!
//! The timestamp comes from `@timestamp`, `timestamp` or `TimeCreated`
//! (text or Unix time), or `Event.System.TimeCreated`. Lines that are not
//! JSON objects (invalid, cut, too deeply nested, arrays) are counted and
//! reported in one error naming the first few line numbers.

use super::lines::LineReader;
use super::windows::{self, json_to_field, json_to_int};
use crate::event::{Event, FieldValue, Format, Position};
use antibody_core::{ItemError, ItemErrorKind, Location};
use serde_json::{Map, Value};
use std::io::BufRead;
use std::ops::ControlFlow;

/// Nesting flattened into dotted names; deeper objects stay JSON text.
/// serde_json already refuses documents nested beyond 128 levels.
const MAX_DEPTH: usize = 64;
/// Bad line numbers named in the error.
const NAMED_LINES: usize = 5;

/// Reads every JSON object line of `lines`.
pub(crate) fn read<R: BufRead>(
    mut lines: LineReader<R>,
    location: &Location,
    emit: &mut dyn FnMut(Event) -> ControlFlow<()>,
) -> Vec<ItemError> {
    let mut bad = BadLines::default();
    while let Some(line) = lines.next_line() {
        let mut bytes = line.bytes;
        if line.number == 1 {
            bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        }
        let text = String::from_utf8_lossy(bytes);
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => {
                let event = to_event(&map, line.number, line.offset);
                if emit(event).is_break() {
                    break;
                }
            }
            Ok(_) => bad.add(line.number, "not a JSON object".into()),
            Err(e) => bad.add(line.number, e.to_string()),
        }
    }
    let mut errors = lines.finish(location);
    errors.extend(bad.error(location));
    errors
}

#[derive(Default)]
struct BadLines {
    count: u64,
    lines: Vec<u64>,
    first_reason: Option<String>,
}

impl BadLines {
    fn add(&mut self, line: u64, reason: String) {
        self.count += 1;
        if self.lines.len() < NAMED_LINES {
            self.lines.push(line);
        }
        self.first_reason.get_or_insert(reason);
    }

    fn error(&self, location: &Location) -> Option<ItemError> {
        let first = self.lines.first()?;
        let listed: Vec<String> = self.lines.iter().map(u64::to_string).collect();
        let more = if self.count > self.lines.len() as u64 {
            ", ..."
        } else {
            ""
        };
        Some(ItemError::new(
            location,
            ItemErrorKind::Corrupt,
            format!(
                "{} line(s) are not JSON objects (lines {}{more}); line {first}: {}",
                self.count,
                listed.join(", "),
                self.first_reason.as_deref().unwrap_or("")
            ),
        ))
    }
}

fn to_event(map: &Map<String, Value>, number: u64, offset: u64) -> Event {
    let mut event = Event::new(Format::JsonLines, Position::Line(number));
    event.offset = Some(offset);
    if let Some(object) = map
        .get("Event")
        .and_then(Value::as_object)
        .filter(|e| e.get("System").is_some_and(Value::is_object))
    {
        let info = windows::flatten(object, &mut event);
        event.timestamp = info.timestamp;
        event.logsource.product = Some(info.product.to_string());
        return event;
    }
    let mut name = String::new();
    flatten(&mut name, map, &mut event, 0);
    if let Some(winlog) = map.get("winlog").and_then(Value::as_object) {
        winlogbeat(winlog, &mut event);
        event.logsource.product = Some("windows".to_string());
    }
    event.timestamp = ["@timestamp", "timestamp", "TimeCreated"]
        .iter()
        .filter_map(|k| map.get(*k))
        .find_map(|v| match v {
            Value::String(s) => super::parse_timestamp(s),
            Value::Number(n) => n.as_f64().and_then(super::epoch_timestamp),
            _ => None,
        });
    event
}

fn flatten(name: &mut String, map: &Map<String, Value>, out: &mut Event, depth: usize) {
    for (key, value) in map {
        let len = name.len();
        if !name.is_empty() {
            name.push('.');
        }
        name.push_str(key);
        match value {
            Value::Object(m) if depth < MAX_DEPTH => flatten(name, m, out, depth + 1),
            Value::Object(_) => out.push(name.as_str(), FieldValue::Str(value.to_string())),
            other => out.push(name.as_str(), json_to_field(other)),
        }
        name.truncate(len);
    }
}

fn winlogbeat(winlog: &Map<String, Value>, out: &mut Event) {
    if let Some(v) = winlog.get("channel") {
        out.push("Channel", json_to_field(v));
    }
    if let Some(v) = winlog.get("event_id") {
        out.push(
            "EventID",
            json_to_int(v).map_or_else(|| json_to_field(v), FieldValue::Int),
        );
    }
    if let Some(v) = winlog.get("computer_name") {
        out.push("Computer", json_to_field(v));
    }
    if let Some(v) = winlog.get("provider_name") {
        out.push("Provider_Name", json_to_field(v));
    }
    for section in ["event_data", "user_data"] {
        if let Some(data) = winlog.get(section).and_then(Value::as_object) {
            for (k, v) in data {
                out.push(k.as_str(), json_to_field(v));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(s: &str) -> (Vec<Event>, Vec<ItemError>) {
        let mut events = Vec::new();
        let errors = read(
            LineReader::new(s.as_bytes(), 1 << 20),
            &Location::file("t.jsonl"),
            &mut |e| {
                events.push(e);
                ControlFlow::Continue(())
            },
        );
        (events, errors)
    }

    #[test]
    fn nested_objects_are_dotted_and_arrays_listed() {
        let (events, errors) = read_str(
            r#"{"process":{"command_line":"whoami /all","args":["whoami","/all"]},"n":null}"#,
        );
        assert!(errors.is_empty());
        let e = &events[0];
        assert_eq!(
            e.text("process.command_line").as_deref(),
            Some("whoami /all")
        );
        assert_eq!(
            e.get("process.args"),
            Some(&FieldValue::List(vec!["whoami".into(), "/all".into()]))
        );
        assert_eq!(e.get("n"), Some(&FieldValue::Null));
        assert_eq!(e.position, Position::Line(1));
        assert!(e.logsource.product.is_none());
    }

    #[test]
    fn bad_lines_are_summarised_once() {
        let (events, errors) = read_str("{\"a\":1}\nnot json\n[1,2]\n\n{\"b\":2}\n{\"c\":");
        assert_eq!(events.len(), 2);
        assert_eq!(events[1].position, Position::Line(5));
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0]
                .reason
                .starts_with("3 line(s) are not JSON objects (lines 2, 3, 6)"),
            "{}",
            errors[0].reason
        );
    }
}
