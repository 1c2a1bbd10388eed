//! The event: one log record (EVTX record, JSON line, access-log line,
//! syslog message) as a flat list of named fields, which is what Sigma
//! rules are evaluated against.
//!
//! Readers flatten their format into this shape once; rules are compiled
//! against field *names* and never see the original format.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A field's value, as close to the source's own type as it is useful.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FieldValue {
    /// JSON `null`, an empty EVTX element, a `-` in an access log.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer (EVTX EventID, HTTP status, byte counts).
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// Text.
    Str(String),
    /// Several values under one name (unnamed EVTX `Data` elements, JSON
    /// arrays). A rule matches a list when it matches any element.
    List(Vec<FieldValue>),
}

impl FieldValue {
    /// The value as Sigma compares it: text for strings, the decimal form of
    /// numbers, `true`/`false`; `None` for null and lists.
    pub fn as_text(&self) -> Option<std::borrow::Cow<'_, str>> {
        use std::borrow::Cow;
        match self {
            FieldValue::Str(s) => Some(Cow::Borrowed(s)),
            FieldValue::Int(i) => Some(Cow::Owned(i.to_string())),
            FieldValue::Float(f) => Some(Cow::Owned(f.to_string())),
            FieldValue::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            FieldValue::Null | FieldValue::List(_) => None,
        }
    }

    /// The value as a number, when it is one or is text that parses as one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            FieldValue::Int(i) => Some(*i as f64),
            FieldValue::Float(f) => Some(*f),
            FieldValue::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// Whether this is null or an empty string.
    pub fn is_null(&self) -> bool {
        matches!(self, FieldValue::Null)
    }
}

impl From<&str> for FieldValue {
    fn from(s: &str) -> Self {
        FieldValue::Str(s.to_string())
    }
}

impl From<String> for FieldValue {
    fn from(s: String) -> Self {
        FieldValue::Str(s)
    }
}

impl From<i64> for FieldValue {
    fn from(i: i64) -> Self {
        FieldValue::Int(i)
    }
}

/// Where an event is inside its item: an analyst goes back to it with this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Position {
    /// EVTX `EventRecordID`.
    Record(u64),
    /// 1-based line number in a text log.
    Line(u64),
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Record(r) => write!(f, "record {r}"),
            Position::Line(l) => write!(f, "line {l}"),
        }
    }
}

/// The format an event was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Format {
    /// Windows EVTX (including forwarded events).
    Evtx,
    /// JSON lines (Winlogbeat/ECS, Sysmon for Linux, exported events).
    JsonLines,
    /// Apache/nginx combined or common log format.
    Combined,
    /// IIS W3C extended log format.
    W3c,
    /// Citrix NetScaler, Pulse Connect Secure or FortiGate access logs
    /// carried in syslog.
    Appliance,
    /// Syslog RFC 3164, RFC 5424, or `auth.log`-style lines.
    Syslog,
}

impl Format {
    /// The snake_case name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Evtx => "evtx",
            Format::JsonLines => "json_lines",
            Format::Combined => "combined",
            Format::W3c => "w3c",
            Format::Appliance => "appliance",
            Format::Syslog => "syslog",
        }
    }
}

/// What the reader knows of the Sigma `logsource` an event belongs to.
/// Windows events are classified later from `Channel` and `EventID` by the
/// mapping; text logs are classified by their reader.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogSource {
    /// Sigma `product` (`windows`, `linux`, `citrix`, `fortios`...).
    pub product: Option<String>,
    /// Sigma `service` (`security`, `sysmon`, `auth`, `sshd`...).
    pub service: Option<String>,
    /// Sigma `category` (`webserver`, `proxy`, `process_creation`...).
    pub category: Option<String>,
}

/// One log record as named fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Fields in source order. Names are the source's own (`EventID`,
    /// `CommandLine`, `process.command_line`, `cs-uri-query`); nested JSON
    /// objects are flattened with dots.
    pub fields: Vec<(String, FieldValue)>,
    /// When the event happened, in UTC, if the record says.
    pub timestamp: Option<DateTime<Utc>>,
    /// Where the event is in its item.
    pub position: Position,
    /// Byte offset of the record or line in the item, when known.
    pub offset: Option<u64>,
    /// The format it was read from.
    pub format: Format,
    /// The reader's idea of its Sigma logsource.
    pub logsource: LogSource,
    /// The raw line for text logs (kept for evidence and for Sigma keyword
    /// searches); `None` for EVTX and JSON.
    pub raw: Option<String>,
}

impl Event {
    /// An event with no fields at `position`.
    pub fn new(format: Format, position: Position) -> Self {
        Event {
            fields: Vec::new(),
            timestamp: None,
            position,
            offset: None,
            format,
            logsource: LogSource::default(),
            raw: None,
        }
    }

    /// Adds a field.
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<FieldValue>) {
        self.fields.push((name.into(), value.into()));
    }

    /// The first field called `name` (exact, case-sensitive), if any.
    pub fn get(&self, name: &str) -> Option<&FieldValue> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The first field called `name` as text.
    pub fn text(&self, name: &str) -> Option<std::borrow::Cow<'_, str>> {
        self.get(name).and_then(FieldValue::as_text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_as_text_and_numbers() {
        assert_eq!(FieldValue::Int(4688).as_text().as_deref(), Some("4688"));
        assert_eq!(FieldValue::from("42 ").as_f64(), Some(42.0));
        assert_eq!(FieldValue::Null.as_text(), None);
    }

    #[test]
    fn get_finds_first_field() {
        let mut e = Event::new(Format::Evtx, Position::Record(7));
        e.push("EventID", 4688i64);
        e.push("Image", "C:\\x.exe");
        e.push("Image", "second");
        assert_eq!(e.text("Image").as_deref(), Some("C:\\x.exe"));
        assert!(e.get("image").is_none());
        assert_eq!(e.position.to_string(), "record 7");
    }
}
