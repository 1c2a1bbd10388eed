//! Web server access logs: Apache/nginx combined and common, and IIS W3C
//! extended (also written by NetScaler web logging). Appliance logs that
//! carry HTTP requests are in `appliance`, and reuse the web fields here.
//!
//! Combined (common is the same without the last two quoted fields):
//!
//! ```text
//! 192.0.2.9 - frank [10/Oct/2000:13:55:36 -0700] "GET /a%20b.php?x=%252e HTTP/1.1" 200 2326 "http://ref/" "Mozilla/4.08"
//! ```
//!
//! gives `c-ip`, `cs-username` (null for `-`), `date` (the bracketed
//! text), `cs-method`, `cs-uri-stem` (path), `cs-uri-query` (after `?`,
//! without it; null when absent), `cs-uri` (the request target),
//! `cs-version`, `sc-status` and `sc-bytes` (integers, null for `-`),
//! `cs-referer` and `cs(Referer)`, `cs-user-agent` and `cs(User-Agent)`.
//! A request line that is not `METHOD target VERSION` (binary junk, an
//! empty request) is kept whole in `cs-uri`.
//!
//! W3C: fields are named as the last `#Fields:` directive says (it may
//! change mid-file), e.g.
//!
//! ```text
//! #Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken
//! 2024-05-04 10:00:00 10.0.0.5 GET /vpn/../vpns/cfg/smb.conf - 443 - 198.51.100.4 curl/7.68.0 - 200 0 0 15
//! ```
//!
//! `-` is null; counts (`sc-status`, `sc-substatus`, `sc-win32-status`,
//! `sc-bytes`, `cs-bytes`, `time-taken`, `s-port`, `c-port`) are integers;
//! `+` in `cs(User-Agent)`, `cs(Referer)` and `cs(Cookie)` is a space;
//! `cs-user-agent` and `cs-referer` repeat the bracketed names, and
//! `cs-uri` is built from stem and query when the log has no `cs-uri`.
//! The timestamp is `date` + `time`, in UTC as IIS writes them.
//!
//! For matching, `cs-uri-stem`, `cs-uri-query` and `cs-uri` hold the URL-
//! DECODED value (`%XX` decoded twice, for double encoding such as
//! `%252e`; bad escapes kept; invalid UTF-8 replaced), and the value as
//! logged is kept under `cs-uri-stem.raw`, `cs-uri-query.raw` and
//! `cs-uri.raw`. Every access-log event has category `webserver` and its
//! raw line.

use crate::event::{Event, FieldValue};
use chrono::{DateTime, NaiveDateTime, Utc};
use regex::Regex;
use std::borrow::Cow;
use std::sync::LazyLock;

static COMBINED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"^(\S+) (\S+) (\S+) \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}|-) (\d+|-)(?: "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)")?"#,
    )
    .expect("valid regex")
});

/// Decodes `%XX` escapes twice (double encoding), lossily.
pub(crate) fn url_decode(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
    let once: Vec<u8> = percent_encoding::percent_decode_str(s).collect();
    let once = String::from_utf8_lossy(&once).into_owned();
    if !once.contains('%') {
        return Cow::Owned(once);
    }
    let twice: Vec<u8> = percent_encoding::percent_decode_str(&once).collect();
    Cow::Owned(String::from_utf8_lossy(&twice).into_owned())
}

/// Pushes `name` decoded and `name.raw` as logged.
pub(crate) fn push_decoded(event: &mut Event, name: &str, raw: &str) {
    event.push(name, url_decode(raw).into_owned());
    event.push(format!("{name}.raw"), raw);
}

/// Pushes `cs-uri-stem`, `cs-uri-query` and `cs-uri` (each decoded, with
/// its `.raw`) for a request target such as `/a/b.php?x=1`.
pub(crate) fn push_target(event: &mut Event, target: &str) {
    let (stem, query) = match target.split_once('?') {
        Some((stem, query)) => (stem, Some(query)),
        None => (target, None),
    };
    push_decoded(event, "cs-uri-stem", stem);
    match query {
        Some(q) => push_decoded(event, "cs-uri-query", q),
        None => {
            event.push("cs-uri-query", FieldValue::Null);
            event.push("cs-uri-query.raw", FieldValue::Null);
        }
    }
    push_decoded(event, "cs-uri", target);
}

/// Pushes the fields of an HTTP request line `METHOD target VERSION`;
/// anything else goes whole into `cs-uri`.
pub(crate) fn push_request(event: &mut Event, request: &str) {
    let mut parts = request.split(' ');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(method), Some(target), version, None)
            if !method.is_empty()
                && method.bytes().all(|b| b.is_ascii_alphabetic())
                && !target.is_empty() =>
        {
            event.push("cs-method", method);
            push_target(event, target);
            if let Some(v) = version {
                event.push("cs-version", v);
            }
        }
        _ => push_decoded(event, "cs-uri", request),
    }
}

/// Pushes a user agent under both of its names.
pub(crate) fn push_user_agent(event: &mut Event, value: FieldValue) {
    event.push("cs-user-agent", value.clone());
    event.push("cs(User-Agent)", value);
}

fn dash_null(s: &str) -> FieldValue {
    if s == "-" {
        FieldValue::Null
    } else {
        FieldValue::Str(s.to_string())
    }
}

fn int_or_null(s: &str) -> FieldValue {
    s.parse::<i64>()
        .map(FieldValue::Int)
        .unwrap_or_else(|_| dash_null(s))
}

/// Whether `line` may be a combined/common line, before the regex.
pub(crate) fn looks_combined(line: &str) -> bool {
    line.contains(" [") && line.contains('"')
}

/// Parses a combined or common log line into `event`; false when `line`
/// is not one.
pub(crate) fn combined(line: &str, event: &mut Event) -> bool {
    let Some(c) = COMBINED.captures(line) else {
        return false;
    };
    event.push("c-ip", &c[1]);
    event.push("cs-username", dash_null(&c[3]));
    event.push("date", &c[4]);
    push_request(event, &c[5]);
    event.push("sc-status", int_or_null(&c[6]));
    event.push("sc-bytes", int_or_null(&c[7]));
    if let (Some(referer), Some(agent)) = (c.get(8), c.get(9)) {
        let referer = dash_null(referer.as_str());
        event.push("cs-referer", referer.clone());
        event.push("cs(Referer)", referer);
        push_user_agent(event, dash_null(agent.as_str()));
    }
    event.timestamp = DateTime::parse_from_str(&c[4], "%d/%b/%Y:%H:%M:%S %z")
        .ok()
        .map(|t| t.with_timezone(&Utc));
    event.logsource.category = Some("webserver".to_string());
    true
}

/// The field names of a `#Fields:` directive, or `None` if `line` is not
/// one.
pub(crate) fn w3c_fields(line: &str) -> Option<Vec<String>> {
    let names = line.strip_prefix("#Fields:")?;
    Some(names.split_whitespace().map(str::to_string).collect())
}

const W3C_COUNTS: [&str; 8] = [
    "sc-status",
    "sc-substatus",
    "sc-win32-status",
    "sc-bytes",
    "cs-bytes",
    "time-taken",
    "s-port",
    "c-port",
];

/// Parses a W3C data line with the current `#Fields:` names.
pub(crate) fn w3c(line: &str, names: &[String], event: &mut Event) {
    let mut date = None;
    let mut time = None;
    let mut stem = None;
    let mut query = None;
    let mut has_uri = false;
    for (name, value) in names.iter().zip(line.split_whitespace()) {
        let name = name.as_str();
        match name {
            "date" => date = Some(value),
            "time" => time = Some(value),
            "cs-uri-stem" => stem = Some(value),
            "cs-uri-query" => query = Some(value),
            "cs-uri" => has_uri = true,
            _ => {}
        }
        if value == "-" {
            event.push(name, FieldValue::Null);
            if matches!(name, "cs-uri-stem" | "cs-uri-query" | "cs-uri") {
                event.push(format!("{name}.raw"), FieldValue::Null);
            }
            continue;
        }
        match name {
            "cs-uri-stem" | "cs-uri-query" | "cs-uri" => push_decoded(event, name, value),
            "cs(User-Agent)" | "cs(Referer)" | "cs(Cookie)" => {
                event.push(name, value.replace('+', " "))
            }
            _ if W3C_COUNTS.contains(&name) => event.push(name, int_or_null(value)),
            _ => event.push(name, value),
        }
    }
    for (bracketed, plain) in [
        ("cs(User-Agent)", "cs-user-agent"),
        ("cs(Referer)", "cs-referer"),
    ] {
        if event.get(plain).is_none()
            && let Some(v) = event.get(bracketed).cloned()
        {
            event.push(plain, v);
        }
    }
    if !has_uri && let Some(stem) = stem.filter(|s| *s != "-") {
        let uri = match query.filter(|q| *q != "-") {
            Some(q) => format!("{stem}?{q}"),
            None => stem.to_string(),
        };
        push_decoded(event, "cs-uri", &uri);
    }
    if let (Some(d), Some(t)) = (date, time) {
        event.timestamp =
            NaiveDateTime::parse_from_str(&format!("{d} {t}"), "%Y-%m-%d %H:%M:%S%.f")
                .ok()
                .map(|t| t.and_utc());
    }
    event.logsource.category = Some("webserver".to_string());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Format, Position};

    fn ev() -> Event {
        Event::new(Format::Combined, Position::Line(1))
    }

    #[test]
    fn combined_line_fields() {
        let mut e = ev();
        assert!(combined(
            r#"192.0.2.9 - frank [10/Oct/2000:13:55:36 -0700] "GET /a%20b.php?x=%252e HTTP/1.1" 200 2326 "http://ref/" "Mozilla/4.08 [en] (Win98; I ;Nav)""#,
            &mut e
        ));
        assert_eq!(e.text("c-ip").as_deref(), Some("192.0.2.9"));
        assert_eq!(e.text("cs-username").as_deref(), Some("frank"));
        assert_eq!(e.text("cs-method").as_deref(), Some("GET"));
        assert_eq!(e.text("cs-uri-stem").as_deref(), Some("/a b.php"));
        assert_eq!(e.text("cs-uri-stem.raw").as_deref(), Some("/a%20b.php"));
        assert_eq!(e.text("cs-uri-query").as_deref(), Some("x=."));
        assert_eq!(e.text("cs-uri.raw").as_deref(), Some("/a%20b.php?x=%252e"));
        assert_eq!(e.text("cs-version").as_deref(), Some("HTTP/1.1"));
        assert_eq!(e.get("sc-status"), Some(&FieldValue::Int(200)));
        assert_eq!(e.get("sc-bytes"), Some(&FieldValue::Int(2326)));
        assert_eq!(e.text("cs(Referer)").as_deref(), Some("http://ref/"));
        assert_eq!(
            e.text("cs-user-agent").as_deref(),
            Some("Mozilla/4.08 [en] (Win98; I ;Nav)")
        );
        assert_eq!(
            e.timestamp.map(|t| t.to_rfc3339()).as_deref(),
            Some("2000-10-10T20:55:36+00:00")
        );
    }

    #[test]
    fn common_line_and_junk_request() {
        let mut e = ev();
        assert!(combined(
            r#"10.0.0.1 - - [04/May/2024:10:00:00 +0000] "\x16\x03\x01" 400 - "#,
            &mut e
        ));
        assert_eq!(e.get("cs-username"), Some(&FieldValue::Null));
        assert!(e.get("cs-method").is_none());
        assert_eq!(e.text("cs-uri").as_deref(), Some(r"\x16\x03\x01"));
        assert_eq!(e.get("sc-bytes"), Some(&FieldValue::Null));
        assert!(e.get("cs-user-agent").is_none());
        assert!(!combined("May  4 10:00:00 host x: y", &mut ev()));
    }

    #[test]
    fn url_decoding_is_bounded_and_lossy() {
        assert_eq!(url_decode("%25252e"), "%2e");
        assert_eq!(url_decode("%zz%"), "%zz%");
        assert_eq!(url_decode("%ff%2e"), "\u{fffd}.");
        assert_eq!(url_decode("plain"), "plain");
    }

    #[test]
    fn w3c_line_with_header_names() {
        let names = w3c_fields("#Fields: date time cs-method cs-uri-stem cs-uri-query c-ip cs(User-Agent) sc-status time-taken").expect("fields");
        let mut e = ev();
        w3c(
            "2024-05-04 10:00:00 GET /owa/auth/x.js - 198.51.100.4 Mozilla/5.0+(Windows+NT) 200 15",
            &names,
            &mut e,
        );
        assert_eq!(e.text("cs-uri-stem").as_deref(), Some("/owa/auth/x.js"));
        assert_eq!(e.get("cs-uri-query"), Some(&FieldValue::Null));
        assert_eq!(e.text("cs-uri").as_deref(), Some("/owa/auth/x.js"));
        assert_eq!(
            e.text("cs-user-agent").as_deref(),
            Some("Mozilla/5.0 (Windows NT)")
        );
        assert_eq!(e.get("sc-status"), Some(&FieldValue::Int(200)));
        assert_eq!(
            e.timestamp.map(|t| t.to_rfc3339()).as_deref(),
            Some("2024-05-04T10:00:00+00:00")
        );
    }
}
