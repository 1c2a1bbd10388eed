//! VPN and gateway appliances, as their lines arrive in syslog (or bare,
//! as exported from the appliance): Citrix NetScaler (ADC / Gateway),
//! Pulse Connect Secure (Ivanti) and FortiGate.
//!
//! Whenever a line carries an HTTP request, the web fields of `access`
//! are added (`cs-method`, `cs-uri-stem`, `cs-uri-query`, `cs-uri`, each
//! decoded with a `.raw`, `cs-version`) with category `webserver` (FortiGate
//! web filter: `proxy`), so web rules apply. Client address in `c-ip` and
//! `src_ip`; `user`, `action` and `status` as below.
//!
//! **Citrix NetScaler** (product `citrix`):
//!
//! ```text
//! 01/14/2020:10:20:30 GMT ns01 0-PPE-0 : default SSLVPN HTTPREQUEST 1234 0 : Context alice@198.51.100.7 - SessionId: 5- gw.example.com User alice : Group(s) N/A : Vserver 10.0.0.1:443 - 01/14/2020:10:20:30 GMT GET /vpn/../vpns/cfg/smb.conf - -
//! ```
//!
//! `ns_host`, `ppe`, `module` (`SSLVPN`, `AAA`...), `event_type`
//! (`HTTPREQUEST`, `LOGIN`...; also as `action`), `event_id`, `message`
//! (the text after the header, when the line has no syslog message),
//! `user` (`Context user@ip` or `User user`), `c-ip`/`src_ip` (`Context
//! ...@ip`, `Client_ip`, `Source ip:port`), `sc-status` (`Status N`), and
//! the request (the last `METHOD target [HTTP/x]` in the line). Timestamp
//! from the NetScaler date (`GMT`). NetScaler web logging (NSWL) writes
//! W3C and is read by `access`.
//!
//! **Pulse Connect Secure** (product `pulse_secure`), in its two syslog
//! formats. WELF:
//!
//! ```text
//! id=firewall time="2021-01-28 14:14:04" pri=6 fw=172.16.128.22 vpn=ive ivs=Default Network user=bob realm="Users" roles="" proto=auth src=198.51.100.9 dst= dstname= type=vpn op= arg="" result= sent= rcvd= agent="" duration= msg="AUT23457: Login failed using auth server RSA (ACE Server).  Reason: Failed"
//! ```
//!
//! every `key=value` by its name (`fw`, `vpn`, `ivs`, `user`, `realm`,
//! `roles`, `src`, `agent`, `msg`...). Standard:
//!
//! ```text
//! 2025-07-24 09:46:36 - ive - [198.51.100.9] Default Network::alice(Users)[Staff] - Login succeeded for alice/Users (session:00000000) from 198.51.100.9 with Pulse-Secure/9.1.
//! ```
//!
//! `vpn` (node), `src` (the bracketed address), `ivs`, `user`, `realm`,
//! `roles`, `msg`. Both: `event_code` (`AUT24414`, `WEB20174`... when the
//! message starts with one), `c-ip`/`src_ip` (the address the message says
//! the request came from, else `src`), `action` (`login`, `logout`,
//! `web_request`, `unauthenticated_request`), `status` and `outcome`
//! (`success`/`failure`), the agent as `cs-user-agent`, and the request of
//! `WebRequest ok : Host: [h], Request: METHOD target HTTP/x` (with
//! `cs-host`) or `Unauthenticated request url <target>`.
//!
//! **FortiGate** (product `fortigate`, the name Sigma's FortiGate rules
//! use; service the log `type`: `event`, `traffic`, `utm`):
//!
//! ```text
//! date=2019-05-10 time=11:37:47 logid="0101039426" type="event" subtype="vpn" level="alert" vd="root" eventtime=1557513467 logdesc="SSL VPN login fail" action="ssl-login-fail" tunneltype="ssl-web" remip=198.51.100.2 user="bob" reason="sslvpn_login_permission_denied" msg="SSL user failed to logged in"
//! ```
//!
//! every `key=value` by its name (`action`, `status`, `user`, `srcip`,
//! `remip`, `url`, `cfgpath`...), `c-ip`/`src_ip` from `srcip` or `remip`,
//! and for `url=`: the web fields, `cs-host` (`hostname`), `cs-method`
//! (`httpmethod`), `c-uri` and `c-uri-query`. Timestamp from `eventtime`,
//! else `date` + `time` (+ `tz`).

use super::access;
use crate::event::{Event, FieldValue};
use chrono::{FixedOffset, NaiveDateTime, Utc};
use regex::Regex;
use std::sync::LazyLock;

static NETSCALER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\s*(\d\d/\d\d/\d{4}:\d\d:\d\d:\d\d)(?: [A-Z]{2,5})? (\S+) (\S+) : (?:\S+ )?([A-Z][A-Z0-9_]*) ([A-Z][A-Z0-9_]*) (\d+)(?: \d+)? :\s*(.*)$",
    )
    .expect("valid regex")
});
static HTTP_REQUEST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(GET|POST|HEAD|PUT|DELETE|OPTIONS|PATCH|PROPFIND|TRACE|CONNECT) (/\S*|https?://\S+)(?: (HTTP/\d(?:\.\d)?))?",
    )
    .expect("valid regex")
});
static NS_CONTEXT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"Context (\S+)@([0-9A-Fa-f.:]+)").expect("valid regex"));
static NS_USER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bUser (\S+)").expect("valid regex"));
static NS_CLIENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:Client_ip|Source) ([0-9A-Fa-f.:]*[0-9A-Fa-f])").expect("valid regex")
});
static NS_STATUS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bStatus (\d{3})\b").expect("valid regex"));
static PCS_STANDARD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:- )*(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) - (\S+) - \[([^\]]*)\] (?:([^:()\[\]]*)::)?([^()]*)\(([^)]*)\)\[([^\]]*)\]\S* - (.*)$",
    )
    .expect("valid regex")
});
static PCS_FROM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\bfrom (?:IP )?(\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]*:[0-9A-Fa-f:]+)")
        .expect("valid regex")
});
static PCS_WEB: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"Host: \[([^\]]*)\], Request: (\S+) (\S+)(?: (HTTP/\S+))?").expect("valid regex")
});
static PCS_UNAUTH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"Unauthenticated request url (\S+)").expect("valid regex"));

/// Which appliance a line is from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Appliance {
    /// Citrix NetScaler.
    NetScaler,
    /// Pulse Connect Secure.
    PulseSecure,
    /// FortiGate.
    FortiGate,
}

/// Recognises an appliance line (the whole line or a syslog message),
/// adds its fields to `event`, sets the logsource; `None` when `text` is
/// none of them.
pub(crate) fn parse(text: &str, event: &mut Event) -> Option<Appliance> {
    if text.contains("logid=") && text.contains("type=") || text.starts_with("date=") {
        fortigate(text, event);
        return Some(Appliance::FortiGate);
    }
    if text.contains("id=firewall") && text.contains("vpn=") {
        pcs_welf(text, event);
        return Some(Appliance::PulseSecure);
    }
    if text.contains(" - [")
        && let Some(c) = PCS_STANDARD.captures(text)
    {
        pcs_standard(&c, event);
        return Some(Appliance::PulseSecure);
    }
    if text.contains(" : ")
        && let Some(c) = NETSCALER.captures(text)
    {
        netscaler(&c, event);
        return Some(Appliance::NetScaler);
    }
    None
}

fn set_source(event: &mut Event, product: &str) {
    event.logsource.product = Some(product.to_string());
    event.logsource.service = None;
}

fn push_client(event: &mut Event, ip: &str) {
    event.push("c-ip", ip);
    event.push("src_ip", ip);
}

fn netscaler(c: &regex::Captures<'_>, event: &mut Event) {
    set_source(event, "citrix");
    let body = c.get(7).map_or("", |m| m.as_str());
    event.push("ns_host", &c[2]);
    event.push("ppe", &c[3]);
    event.push("module", &c[4]);
    event.push("event_type", &c[5]);
    event.push("action", &c[5]);
    if let Ok(id) = c[6].parse::<i64>() {
        event.push("event_id", id);
    }
    if event.get("message").is_none() {
        event.push("message", body);
    }
    let context = NS_CONTEXT.captures(body);
    let user = context
        .as_ref()
        .map(|c| c.get(1).map_or("", |m| m.as_str()))
        .or_else(|| {
            NS_USER
                .captures(body)
                .and_then(|u| u.get(1))
                .map(|m| m.as_str())
        });
    if let Some(user) = user {
        event.push("user", user);
    }
    let client = context
        .as_ref()
        .and_then(|c| c.get(2))
        .or_else(|| NS_CLIENT.captures(body).and_then(|c| c.get(1)))
        .map(|m| m.as_str());
    if let Some(ip) = client {
        push_client(event, ip);
    }
    if let Some(s) = NS_STATUS
        .captures(body)
        .and_then(|s| s[1].parse::<i64>().ok())
    {
        event.push("sc-status", s);
    }
    if let Some(request) = HTTP_REQUEST.captures_iter(body).last() {
        push_http(event, &request);
    }
    if event.timestamp.is_none() {
        event.timestamp = NaiveDateTime::parse_from_str(&c[1], "%m/%d/%Y:%H:%M:%S")
            .ok()
            .map(|t| t.and_utc());
    }
}

fn push_http(event: &mut Event, request: &regex::Captures<'_>) {
    event.push("cs-method", &request[1]);
    access::push_target(event, strip_origin(&request[2]));
    if let Some(v) = request.get(3) {
        event.push("cs-version", v.as_str());
    }
    event.logsource.category = Some("webserver".to_string());
}

/// `https://host/path` → `/path`; a path is left alone.
fn strip_origin(target: &str) -> &str {
    match target.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => target,
    }
}

/// `key=value` pairs, values quoted or bare; a bare value runs to the next
/// ` key=` (PCS writes `ivs=Default Network`).
pub(crate) fn key_values(s: &str) -> Vec<(&str, String)> {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    let mut rest = s;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let key_len = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
            .count();
        if key_len == 0 || rest.as_bytes().get(key_len) != Some(&b'=') {
            let end = rest.find(' ').unwrap_or(rest.len());
            if let Some(last) = pairs.last_mut() {
                last.1.push(' ');
                last.1.push_str(&rest[..end]);
            }
            rest = &rest[end..];
            continue;
        }
        let key = &rest[..key_len];
        rest = &rest[key_len + 1..];
        let value = if let Some(quoted) = rest.strip_prefix('"') {
            let mut value = String::new();
            let mut end = quoted.len();
            let mut chars = quoted.char_indices();
            while let Some((i, ch)) = chars.next() {
                match ch {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            value.push(escaped);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    ch => value.push(ch),
                }
            }
            rest = &quoted[end.min(quoted.len())..];
            value
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            let value = rest[..end].to_string();
            rest = &rest[end..];
            value
        };
        pairs.push((key, value));
    }
    pairs
}

fn fortigate(text: &str, event: &mut Event) {
    let pairs = key_values(text);
    let get = |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str());
    set_source(event, "fortigate");
    event.logsource.service = get("type").map(str::to_string);
    for (k, v) in &pairs {
        event.push(*k, v.as_str());
    }
    if let Some(ip) = get("srcip").or_else(|| get("remip")) {
        push_client(event, ip);
    }
    if let Some(url) = get("url").filter(|u| !u.is_empty()) {
        if let Some(method) = get("httpmethod") {
            event.push("cs-method", method);
        }
        if let Some(host) = get("hostname") {
            event.push("cs-host", host);
        }
        access::push_target(event, strip_origin(url));
        event.push("c-uri", url);
        if let Some((_, q)) = url.split_once('?') {
            event.push("c-uri-query", q);
        }
        let category = if get("subtype") == Some("waf") {
            "webserver"
        } else {
            "proxy"
        };
        event.logsource.category = Some(category.to_string());
    }
    let from_epoch = get("eventtime")
        .and_then(|t| t.parse::<f64>().ok())
        .and_then(super::epoch_timestamp);
    let from_date = || {
        let (d, t) = (get("date")?, get("time")?);
        let naive = NaiveDateTime::parse_from_str(&format!("{d} {t}"), "%Y-%m-%d %H:%M:%S").ok()?;
        match get("tz").and_then(parse_offset) {
            Some(tz) => naive
                .and_local_timezone(tz)
                .single()
                .map(|t| t.with_timezone(&Utc)),
            None => Some(naive.and_utc()),
        }
    };
    if let Some(t) = from_epoch.or_else(from_date) {
        event.timestamp = Some(t);
    }
}

/// `+0200` / `-0530` → offset.
fn parse_offset(tz: &str) -> Option<FixedOffset> {
    let sign = match tz.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits = tz.get(1..5)?;
    let h: i32 = digits.get(..2)?.parse().ok()?;
    let m: i32 = digits.get(2..)?.parse().ok()?;
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

fn pcs_welf(text: &str, event: &mut Event) {
    let pairs = key_values(text);
    set_source(event, "pulse_secure");
    for (k, v) in &pairs {
        event.push(*k, v.as_str());
    }
    let get = |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str());
    let msg = get("msg").unwrap_or("");
    if let Some(t) = get("time").and_then(super::parse_timestamp) {
        event.timestamp = Some(t);
    }
    pcs_message(msg, get("src"), get("agent"), event);
}

fn pcs_standard(c: &regex::Captures<'_>, event: &mut Event) {
    set_source(event, "pulse_secure");
    event.push("vpn", &c[2]);
    event.push("src", &c[3]);
    if let Some(ivs) = c.get(4) {
        event.push("ivs", ivs.as_str());
    }
    event.push("user", &c[5]);
    event.push("realm", &c[6]);
    event.push("roles", &c[7]);
    event.push("msg", &c[8]);
    if event.timestamp.is_none() {
        event.timestamp = super::parse_timestamp(&c[1]);
    }
    pcs_message(&c[8], Some(&c[3]), None, event);
}

/// What a PCS message says: code, client address, action, outcome,
/// request.
fn pcs_message(msg: &str, src: Option<&str>, agent: Option<&str>, event: &mut Event) {
    let mut text = msg;
    if let Some((code, rest)) = msg.split_once(": ")
        && code.len() == 8
        && code.is_ascii()
        && code[..3].bytes().all(|b| b.is_ascii_uppercase())
        && code[3..].bytes().all(|b| b.is_ascii_digit())
    {
        event.push("event_code", code);
        text = rest;
    }
    let from = PCS_FROM
        .captures(text)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str());
    if let Some(ip) = from.or(src).filter(|ip| !ip.is_empty()) {
        push_client(event, ip);
    }
    let lower = text.to_ascii_lowercase();
    let (action, outcome) =
        if lower.contains("login succeeded") || lower.contains("authentication successful") {
            (Some("login"), Some("success"))
        } else if lower.contains("login failed") || lower.contains("authentication failed") {
            (Some("login"), Some("failure"))
        } else if lower.contains("logout") {
            (Some("logout"), Some("success"))
        } else if lower.starts_with("webrequest") {
            (Some("web_request"), None)
        } else if lower.starts_with("unauthenticated request") {
            (Some("unauthenticated_request"), None)
        } else {
            (None, None)
        };
    if let Some(action) = action {
        event.push("action", action);
    }
    if let Some(outcome) = outcome {
        event.push("status", outcome);
        event.push("outcome", outcome);
    }
    if let Some(agent) = agent.filter(|a| !a.is_empty()) {
        access::push_user_agent(event, FieldValue::Str(agent.to_string()));
    }
    if let Some(web) = PCS_WEB.captures(text) {
        event.push("cs-host", &web[1]);
        event.push("cs-method", &web[2]);
        access::push_target(event, strip_origin(&web[3]));
        if let Some(v) = web.get(4) {
            event.push("cs-version", v.as_str());
        }
        event.logsource.category = Some("webserver".to_string());
    } else if let Some(url) = PCS_UNAUTH.captures(text) {
        access::push_target(event, strip_origin(&url[1]));
        event.logsource.category = Some("webserver".to_string());
    } else if let Some(request) = HTTP_REQUEST.captures(text) {
        push_http(event, &request);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Format, Position};

    fn parsed(line: &str) -> (Option<Appliance>, Event) {
        let mut e = Event::new(Format::Appliance, Position::Line(1));
        let a = parse(line, &mut e);
        (a, e)
    }

    #[test]
    fn pcs_message_code_with_multibyte_text_does_not_panic() {
        let (a, e) = parsed("id=firewall vpn=ive src=1.2.3.4 msg=\"a€€b: Login failed\"");
        assert_eq!(a, Some(Appliance::PulseSecure));
        assert!(e.get("event_code").is_none());
        assert_eq!(e.text("status").as_deref(), Some("failure"));
    }

    #[test]
    fn key_values_quoted_bare_and_spaced() {
        let kv = key_values(r#"a=1 b="x \"y\" z" ivs=Default Network c= d="""#);
        let kv: Vec<(&str, &str)> = kv.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(
            kv,
            vec![
                ("a", "1"),
                ("b", "x \"y\" z"),
                ("ivs", "Default Network"),
                ("c", ""),
                ("d", "")
            ]
        );
    }

    #[test]
    fn netscaler_http_request() {
        let (a, e) = parsed(
            "01/14/2020:10:20:30 GMT ns01 0-PPE-0 : default SSLVPN HTTPREQUEST 1234 0 : Context alice@198.51.100.7 - SessionId: 5- gw.example.com User alice : Group(s) N/A : Vserver 10.0.0.1:443 - 01/14/2020:10:20:30 GMT GET /vpn/../vpns/cfg/smb.conf - -",
        );
        assert_eq!(a, Some(Appliance::NetScaler));
        assert_eq!(e.logsource.product.as_deref(), Some("citrix"));
        assert_eq!(e.text("event_type").as_deref(), Some("HTTPREQUEST"));
        assert_eq!(e.text("user").as_deref(), Some("alice"));
        assert_eq!(e.text("c-ip").as_deref(), Some("198.51.100.7"));
        assert_eq!(e.text("cs-method").as_deref(), Some("GET"));
        assert_eq!(
            e.text("cs-uri-stem").as_deref(),
            Some("/vpn/../vpns/cfg/smb.conf")
        );
        assert_eq!(e.logsource.category.as_deref(), Some("webserver"));
        assert_eq!(e.timestamp.map(|t| t.timestamp()), Some(1_578_997_230));
    }
}
