//! Text logs (`Kind::Log`): each line goes to the first format it matches,
//! so one file may mix plain syslog with syslog-wrapped appliance lines.
//!
//! 1. `#` lines are directives: `#Fields:` switches the rest of the file
//!    (until the next `#Fields:`) to W3C; a `#separator` first line is a
//!    Zeek TSV log, which gives no events.
//! 2. Under a `#Fields:` header: a W3C line.
//! 3. A combined/common access line.
//! 4. A bare appliance line (FortiGate, Pulse Connect Secure, NetScaler).
//! 5. A syslog line, whose message may itself be an appliance line or an
//!    access line (a web server logging to syslog).
//! 6. Anything else: an event with only `message` and the raw line, so
//!    keyword rules still see it.
//!
//! Every event keeps its raw line (lossy UTF-8) and its line number.

use super::lines::LineReader;
use super::{access, appliance, syslog};
use crate::event::{Event, Format, Position};
use antibody_core::{ItemError, Location};
use chrono::{DateTime, Utc};
use std::io::BufRead;
use std::ops::ControlFlow;

/// Reads every line of a text log.
pub(crate) fn read<R: BufRead>(
    mut lines: LineReader<R>,
    location: &Location,
    filter: Option<&super::LineFilter>,
    emit: &mut dyn FnMut(Event) -> ControlFlow<()>,
) -> Vec<ItemError> {
    let now = Utc::now();
    let mut w3c: Option<Vec<String>> = None;
    while let Some(line) = lines.next_line() {
        let mut bytes = line.bytes;
        if line.number == 1 {
            bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
            if bytes.starts_with(b"#separator") {
                // Zeek TSV: read by the network engine, not here.
                return Vec::new();
            }
        }
        if let Some(f) = filter
            && !bytes.starts_with(b"#")
            && !(f.0)(bytes)
        {
            continue;
        }
        let text = String::from_utf8_lossy(bytes);
        let text = text.trim_end();
        if text.trim_start().is_empty() {
            continue;
        }
        if text.starts_with('#') {
            if let Some(names) = access::w3c_fields(text) {
                w3c = Some(names);
            }
            continue;
        }
        let event = route(text, w3c.as_deref(), now, line.number, line.offset);
        if emit(event).is_break() {
            break;
        }
    }
    lines.finish(location)
}

/// The event of one line (see the module doc for the order tried).
pub(crate) fn route(
    text: &str,
    w3c: Option<&[String]>,
    now: DateTime<Utc>,
    number: u64,
    offset: u64,
) -> Event {
    let mut event = Event::new(Format::Syslog, Position::Line(number));
    event.offset = Some(offset);
    event.raw = Some(text.to_string());
    if let Some(names) = w3c {
        event.format = Format::W3c;
        access::w3c(text, names, &mut event);
        return event;
    }
    if access::looks_combined(text) && access::combined(text, &mut event) {
        event.format = Format::Combined;
        return event;
    }
    if appliance::parse(text, &mut event).is_some() {
        event.format = Format::Appliance;
        return event;
    }
    if let Some(s) = syslog::parse(text, now) {
        syslog::add_fields(&s, &mut event);
        if appliance::parse(s.message, &mut event).is_some() {
            event.format = Format::Appliance;
        } else if access::looks_combined(s.message) && access::combined(s.message, &mut event) {
            event.format = Format::Combined;
            event.logsource.product = None;
            event.logsource.service = None;
        }
        return event;
    }
    event.push("message", text);
    event
}
