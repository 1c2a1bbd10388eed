//! Zeek columns → records, the same for TSV and JSON: each log kind names
//! the columns it reads ([`fields`]) and reads them by position through a
//! [`Row`], so the TSV reader resolves names once per header, not per line.

use super::{Parsed, ZeekLog};
use crate::model::{
    CertInfo, ConnRecord, DnsAnswer, DnsRecord, Evidence, FlowKey, HttpRecord, Meta, Micros,
    NetRecord, SmtpRecord, TlsRecord, proto,
};
use std::borrow::Cow;
use std::net::IpAddr;

/// One line's values, read by the position of the name in [`fields`].
pub(crate) trait Row {
    /// The value; `None` when the column is absent or unset (`-`, `null`);
    /// `Some("")` when empty.
    fn get(&self, f: usize) -> Option<Cow<'_, str>>;
    /// A set or vector's elements (empty when absent, unset or empty).
    fn list(&self, f: usize) -> Vec<String>;
}

// Positions shared by every log kind but x509.
const TS: usize = 0;
const UID: usize = 1;
const ORIG_H: usize = 2;
const ORIG_P: usize = 3;
const RESP_H: usize = 4;
const RESP_P: usize = 5;
const X: usize = 6; // first kind-specific column

macro_rules! common {
    ($($f:literal),* $(,)?) => {
        &["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", $($f),*]
    };
}

const CONN: &[&str] = common!(
    "proto",
    "service",
    "duration",
    "orig_bytes",
    "resp_bytes",
    "conn_state",
    "missed_bytes",
    "orig_pkts",
    "resp_pkts"
);
const HTTP: &[&str] = common!(
    "method",
    "host",
    "uri",
    "user_agent",
    "version",
    "status_code",
    "request_body_len",
    "response_body_len",
    "cookie",
    "cookie_vars",
    "client_header_names",
    "server_header_names",
    "client_headers",
    "server_headers"
);
const SSL: &[&str] = common!(
    "version",
    "server_name",
    "next_protocol",
    "ja3",
    "ja3s",
    "ja4",
    "ja4s",
    "established",
    "cert_chain_fps",
    "client_cert_chain_fps",
    "cert_chain_fuids",
    "client_cert_chain_fuids",
    "subject",
    "issuer",
    "cipher"
);
const DNS: &[&str] = common!(
    "proto", "trans_id", "query", "qtype", "rcode", "answers", "TTLs"
);
const SMTP: &[&str] = common!("helo", "mailfrom", "rcptto", "tls");
const X509: &[&str] = &[
    "ts",
    "id",
    "fingerprint",
    "certificate.subject",
    "certificate.issuer",
    "certificate.serial",
    "certificate.not_valid_before",
    "certificate.not_valid_after",
    "san.dns",
];

/// The columns a log kind reads, in the positions its builder uses.
pub(crate) fn fields(kind: ZeekLog) -> &'static [&'static str] {
    match kind {
        ZeekLog::Conn => CONN,
        ZeekLog::Http => HTTP,
        ZeekLog::Ssl => SSL,
        ZeekLog::X509 => X509,
        ZeekLog::Dns => DNS,
        ZeekLog::Smtp => SMTP,
    }
}

/// A TLS record and the certificate names it refers to.
pub(crate) struct TlsParts {
    pub(crate) record: TlsRecord,
    pub(crate) server_keys: Vec<String>,
    pub(crate) client_keys: Vec<String>,
    pub(crate) fallback: Option<(String, String)>,
}

/// A certificate and the names (fingerprint, file id) it is known by.
pub(crate) struct CertParts {
    pub(crate) cert: CertInfo,
    pub(crate) keys: Vec<String>,
}

/// Builds what one line of `kind` says; `Err` is the reason it is bad.
pub(crate) fn parse(kind: ZeekLog, row: &dyn Row) -> Result<Parsed, String> {
    Ok(match kind {
        ZeekLog::Conn => Parsed::Record(NetRecord::Conn(conn(row)?)),
        ZeekLog::Http => Parsed::Record(NetRecord::Http(Box::new(http(row)?))),
        ZeekLog::Ssl => Parsed::Tls(Box::new(ssl(row)?)),
        ZeekLog::X509 => Parsed::Cert(x509(row)?),
        ZeekLog::Dns => Parsed::Record(NetRecord::Dns(dns(row)?)),
        ZeekLog::Smtp => Parsed::Record(NetRecord::Smtp(smtp(row)?)),
    })
}

/// Seconds with an optional fraction (`1600000000.123456`, `-0.5`) to
/// microseconds, exactly for up to six decimals.
pub(crate) fn parse_decimal_micros(s: &str) -> Option<Micros> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut micros: i64 = 0;
    for (i, b) in frac.bytes().take(6).enumerate() {
        micros += i64::from(b - b'0') * 10i64.pow(5 - i as u32);
    }
    let v = secs.checked_mul(1_000_000)?.checked_add(micros)?;
    Some(if neg { -v } else { v })
}

/// A Zeek `time`: epoch seconds (TSV, JSON number) or an ISO 8601 string
/// (JSON with `LogAscii::json_timestamps = JSON::TS_ISO8601`).
pub(crate) fn parse_time(s: &str) -> Option<Micros> {
    if let Some(v) = parse_decimal_micros(s) {
        return Some(v);
    }
    if s.contains('T') {
        if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
            return Some(t.timestamp_micros());
        }
        let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
        return Some(naive.and_utc().timestamp_micros());
    }
    // Exponent forms a JSON writer may use for floats.
    let f: f64 = s.parse().ok()?;
    (f.is_finite() && f.abs() < 1e13).then(|| (f * 1e6).round() as Micros)
}

fn req<'a>(row: &'a dyn Row, f: usize, name: &str) -> Result<Cow<'a, str>, String> {
    row.get(f).ok_or_else(|| format!("missing {name}"))
}

fn time(row: &dyn Row, f: usize, name: &str) -> Result<Micros, String> {
    let v = req(row, f, name)?;
    parse_time(&v).ok_or_else(|| format!("unparsable {name} {v:?}"))
}

fn opt_string(row: &dyn Row, f: usize) -> Option<String> {
    row.get(f).filter(|v| !v.is_empty()).map(Cow::into_owned)
}

fn count(row: &dyn Row, f: usize, name: &str) -> Result<u64, String> {
    match row.get(f) {
        None => Ok(0),
        Some(v) if v.is_empty() => Ok(0),
        Some(v) => v.parse().map_err(|_| format!("unparsable {name} {v:?}")),
    }
}

fn opt_count(row: &dyn Row, f: usize, name: &str) -> Result<Option<u64>, String> {
    match row.get(f) {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| format!("unparsable {name} {v:?}")),
    }
}

fn boolean(row: &dyn Row, f: usize) -> bool {
    matches!(row.get(f).as_deref(), Some("T" | "true" | "1"))
}

fn addr(row: &dyn Row, f: usize, name: &str) -> Result<IpAddr, String> {
    let v = req(row, f, name)?;
    v.parse().map_err(|_| format!("unparsable {name} {v:?}"))
}

fn port(row: &dyn Row, f: usize, name: &str) -> Result<u16, String> {
    let v = req(row, f, name)?;
    v.parse().map_err(|_| format!("unparsable {name} {v:?}"))
}

fn meta(row: &dyn Row, proto_num: u8) -> Result<Meta, String> {
    let client_ip = addr(row, ORIG_H, "id.orig_h")?;
    let proto_num = if proto_num == proto::ICMP && client_ip.is_ipv6() {
        proto::ICMPV6
    } else {
        proto_num
    };
    Ok(Meta {
        flow: FlowKey {
            proto: proto_num,
            client_ip,
            client_port: port(row, ORIG_P, "id.orig_p")?,
            server_ip: addr(row, RESP_H, "id.resp_h")?,
            server_port: port(row, RESP_P, "id.resp_p")?,
        },
        ts: time(row, TS, "ts")?,
        evidence: Evidence {
            frames: Vec::new(),
            uid: opt_string(row, UID),
        },
    })
}

fn proto_number(name: Option<&str>) -> u8 {
    match name {
        Some("udp") => proto::UDP,
        Some("icmp") => proto::ICMP,
        _ => proto::TCP,
    }
}

fn conn(row: &dyn Row) -> Result<ConnRecord, String> {
    let p = proto_number(row.get(X).as_deref());
    let meta = meta(row, p)?;
    let duration = match row.get(X + 2) {
        None => 0,
        Some(v) if v.is_empty() => 0,
        Some(v) => parse_decimal_micros(&v)
            .filter(|d| *d >= 0)
            .ok_or_else(|| format!("unparsable duration {v:?}"))?,
    };
    // States in which Zeek saw the connection established (handshake
    // completed, or a reply for UDP).
    let established = matches!(
        row.get(X + 5).as_deref(),
        Some("S1" | "S2" | "S3" | "SF" | "RSTO" | "RSTR")
    );
    Ok(ConnRecord {
        last_ts: meta.ts.saturating_add(duration),
        meta,
        service: opt_string(row, X + 1),
        client_bytes: count(row, X + 3, "orig_bytes")?,
        server_bytes: count(row, X + 4, "resp_bytes")?,
        client_packets: count(row, X + 7, "orig_pkts")?,
        server_packets: count(row, X + 8, "resp_pkts")?,
        established,
        missing_bytes: count(row, X + 6, "missed_bytes")?,
        overlaps: 0,
    })
}

/// `Host` without its port, lowercase (`[2001:db8::1]:8080` keeps the brackets off).
fn host_only(host: &str) -> String {
    let h = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else if host.matches(':').count() == 1 {
        host.split(':').next().unwrap_or(host)
    } else {
        host
    };
    h.to_ascii_lowercase()
}

fn split_cookies(raw: &str) -> Vec<(String, String)> {
    raw.split(';')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| match c.split_once('=') {
            Some((n, v)) => (n.trim().to_string(), v.trim().to_string()),
            None => (c.to_string(), String::new()),
        })
        .collect()
}

/// Headers from a `Name: value` list, or from names alone (Zeek's
/// `header-names` policy), whose values are filled from the dedicated
/// columns when there is one, else left empty.
fn headers(
    full: Vec<String>,
    names: Vec<String>,
    known: &[(&str, Option<&str>)],
) -> Vec<(String, String)> {
    if !full.is_empty() {
        return full
            .into_iter()
            .map(|h| match h.split_once(':') {
                Some((n, v)) => (n.trim().to_string(), v.trim().to_string()),
                None => (h, String::new()),
            })
            .collect();
    }
    names
        .into_iter()
        .map(|n| {
            let v = known
                .iter()
                .find(|(k, _)| n.eq_ignore_ascii_case(k))
                .and_then(|(_, v)| *v)
                .unwrap_or("")
                .to_string();
            (n, v)
        })
        .collect()
}

fn http(row: &dyn Row) -> Result<HttpRecord, String> {
    let meta = meta(row, proto::TCP)?;
    let host = row
        .get(X + 1)
        .filter(|h| !h.is_empty())
        .map(|h| host_only(&h));
    let user_agent = opt_string(row, X + 3);
    let cookie_raw = opt_string(row, X + 8);
    let mut cookies = cookie_raw.as_deref().map(split_cookies).unwrap_or_default();
    if cookies.is_empty() {
        cookies = row
            .list(X + 9)
            .into_iter()
            .map(|n| (n, String::new()))
            .collect();
    }
    let raw_host = opt_string(row, X + 1);
    let known = [
        ("host", raw_host.as_deref()),
        ("user-agent", user_agent.as_deref()),
        ("cookie", cookie_raw.as_deref()),
    ];
    let status = opt_count(row, X + 5, "status_code")?
        .map(|s| u16::try_from(s).map_err(|_| format!("status_code {s} out of range")))
        .transpose()?;
    Ok(HttpRecord {
        meta,
        method: opt_string(row, X).unwrap_or_default(),
        uri: opt_string(row, X + 2).unwrap_or_default(),
        version: opt_string(row, X + 4).unwrap_or_default(),
        host,
        request_headers: headers(row.list(X + 12), row.list(X + 10), &known),
        response_headers: headers(row.list(X + 13), row.list(X + 11), &[]),
        user_agent,
        cookies,
        request_body: Vec::new(),
        request_body_len: count(row, X + 6, "request_body_len")?,
        status,
        response_body: Vec::new(),
        response_body_len: count(row, X + 7, "response_body_len")?,
    })
}

/// Zeek's `TLSv12` → the model's `TLSv1.2` (`DTLSv12` → `DTLSv1.2`).
fn tls_version(v: &str) -> String {
    for prefix in ["DTLSv", "TLSv"] {
        if let Some(d) = v.strip_prefix(prefix)
            && d.len() == 2
            && d.bytes().all(|b| b.is_ascii_digit())
        {
            return format!("{prefix}{}.{}", &d[..1], &d[1..]);
        }
    }
    v.to_string()
}

fn lower_list(v: Vec<String>) -> Vec<String> {
    v.into_iter().map(|s| s.to_ascii_lowercase()).collect()
}

fn ssl(row: &dyn Row) -> Result<TlsParts, String> {
    let meta = meta(row, proto::TCP)?;
    let version = opt_string(row, X).map(|v| tls_version(&v));
    let established = boolean(row, X + 7);
    let server_hello_seen = established || version.is_some() || row.get(X + 14).is_some();
    let fps = lower_list(row.list(X + 8));
    let server_keys = if fps.is_empty() {
        row.list(X + 10)
    } else {
        fps
    };
    let cfps = lower_list(row.list(X + 9));
    let client_keys = if cfps.is_empty() {
        row.list(X + 11)
    } else {
        cfps
    };
    let fallback = match (opt_string(row, X + 12), opt_string(row, X + 13)) {
        (Some(s), Some(i)) => Some((rfc4514_order(&s), rfc4514_order(&i))),
        _ => None,
    };
    let record = TlsRecord {
        meta,
        version,
        sni: opt_string(row, X + 1).map(|s| s.to_ascii_lowercase()),
        // Zeek logs the protocol the server chose, not the client's offer.
        alpn: opt_string(row, X + 2).into_iter().collect(),
        ja3: None,
        ja3_hash: opt_string(row, X + 3),
        ja3s_hash: opt_string(row, X + 4),
        ja4: opt_string(row, X + 5),
        ja4s: opt_string(row, X + 6),
        server_certs: Vec::new(),
        client_certs: Vec::new(),
        client_cert_requested: false,
        server_hello_seen,
    };
    Ok(TlsParts {
        record,
        server_keys,
        client_keys,
        fallback,
    })
}

/// Zeek prints names as OpenSSL's RFC 2253 form, last RDN first
/// (`CN=x,O=IT,C=Tunis`); the model keeps certificate order with `, `
/// (`C=Tunis, O=IT, CN=x`). Escaped commas (`\,`) stay inside their RDN.
pub(crate) fn rfc4514_order(name: &str) -> String {
    let mut parts = Vec::new();
    let mut start = 0;
    let bytes = name.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b',' => {
                parts.push(name[start..i].trim());
                start = i + 1;
                i += 1;
            }
            _ => i += 1,
        }
    }
    parts.push(name[start.min(name.len())..].trim());
    parts.reverse();
    parts.join(", ")
}

/// A certificate known only by its fingerprint: SHA-256 when 64 hex
/// digits, SHA-1 when 40; `None` for anything else (a file id).
pub(crate) fn cert_from_fingerprint(fp: &str) -> Option<CertInfo> {
    let fp = fp.to_ascii_lowercase();
    if !fp.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    match fp.len() {
        64 => Some(CertInfo {
            sha256: fp,
            ..CertInfo::default()
        }),
        40 => Some(CertInfo {
            sha1: fp,
            ..CertInfo::default()
        }),
        _ => None,
    }
}

fn x509(row: &dyn Row) -> Result<CertParts, String> {
    let fuid = opt_string(row, 1);
    let fp = opt_string(row, 2).map(|f| f.to_ascii_lowercase());
    if fuid.is_none() && fp.is_none() {
        return Err("x509 line with neither id nor fingerprint".to_string());
    }
    let mut cert = fp
        .as_deref()
        .and_then(cert_from_fingerprint)
        .unwrap_or_default();
    let subject = rfc4514_order(&opt_string(row, 3).unwrap_or_default());
    let issuer = rfc4514_order(&opt_string(row, 4).unwrap_or_default());
    cert.self_signed = !subject.is_empty() && subject == issuer;
    cert.subject = subject;
    cert.issuer = issuer;
    cert.serial = opt_string(row, 5)
        .unwrap_or_default()
        .chars()
        .filter(|c| *c != ':')
        .collect::<String>()
        .to_ascii_lowercase();
    for (f, name) in [(6, "not_valid_before"), (7, "not_valid_after")] {
        let v = match row.get(f) {
            Some(v) if !v.is_empty() => {
                Some(parse_time(&v).ok_or_else(|| format!("unparsable {name} {v:?}"))?)
            }
            _ => None,
        };
        if f == 6 {
            cert.not_before = v;
        } else {
            cert.not_after = v;
        }
    }
    cert.san_dns = lower_list(row.list(8));
    let keys = fp.into_iter().chain(fuid).collect();
    Ok(CertParts { cert, keys })
}

/// Zeek logs answers as text without their type: addresses are A/AAAA,
/// `TXT <len> <text>` is TXT, other names are taken as CNAMEs for A/AAAA
/// questions and as the question's type otherwise.
fn answer(query: &str, qtype: u16, data: String, ttl: u32) -> DnsAnswer {
    let (rtype, data) = match data.parse::<IpAddr>() {
        Ok(IpAddr::V4(_)) => (1, data),
        Ok(IpAddr::V6(_)) => (28, data),
        Err(_) => {
            if let Some(rest) = data.strip_prefix("TXT ") {
                let text = rest.split_once(' ').map(|(_, t)| t).unwrap_or("");
                (16, text.to_string())
            } else if matches!(qtype, 1 | 28) {
                (5, data.to_ascii_lowercase())
            } else {
                (qtype, data)
            }
        }
    };
    DnsAnswer {
        name: query.to_string(),
        rtype,
        ttl,
        data,
    }
}

fn dns(row: &dyn Row) -> Result<DnsRecord, String> {
    let meta = meta(row, proto_number(row.get(X).as_deref().or(Some("udp"))))?;
    let query = opt_string(row, X + 2)
        .unwrap_or_default()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let qtype = u16::try_from(count(row, X + 3, "qtype")?).map_err(|_| "qtype out of range")?;
    let rcode = opt_count(row, X + 4, "rcode")?;
    let ttls = row.list(X + 6);
    let answers: Vec<DnsAnswer> = row
        .list(X + 5)
        .into_iter()
        .enumerate()
        .map(|(i, a)| {
            let ttl = ttls
                .get(i)
                .and_then(|t| parse_decimal_micros(t))
                .map(|m| u32::try_from(m / 1_000_000).unwrap_or(u32::MAX))
                .unwrap_or(0);
            answer(&query, qtype, a, ttl)
        })
        .collect();
    Ok(DnsRecord {
        meta,
        id: u16::try_from(count(row, X + 1, "trans_id")?).map_err(|_| "trans_id out of range")?,
        is_response: rcode.is_some() || !answers.is_empty(),
        query,
        qtype,
        rcode: rcode
            .map(|r| u8::try_from(r).unwrap_or(u8::MAX))
            .unwrap_or(0),
        answers,
    })
}

fn smtp(row: &dyn Row) -> Result<SmtpRecord, String> {
    Ok(SmtpRecord {
        meta: meta(row, proto::TCP)?,
        banner: None,
        helo: opt_string(row, X),
        starttls: boolean(row, X + 3),
        mail_from: opt_string(row, X + 1).into_iter().collect(),
        rcpt_to: row.list(X + 2),
        tls_without_smtp: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_times_are_exact() {
        assert_eq!(parse_time("1600000000.123456"), Some(1_600_000_000_123_456));
        assert_eq!(parse_time("1600000000.1"), Some(1_600_000_000_100_000));
        assert_eq!(parse_time("1600000000"), Some(1_600_000_000_000_000));
        assert_eq!(
            parse_time("2020-09-13T12:26:40.5Z"),
            Some(1_600_000_000_500_000)
        );
        assert_eq!(
            parse_time("2020-09-13T12:26:40.5"),
            Some(1_600_000_000_500_000)
        );
        assert_eq!(parse_time("1.6e9"), Some(1_600_000_000_000_000));
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(parse_time("."), None);
        assert_eq!(parse_decimal_micros("99999999999999999999"), None);
    }

    #[test]
    fn names_turn_to_certificate_order() {
        assert_eq!(rfc4514_order("CN=x,O=IT,C=Tunis"), "C=Tunis, O=IT, CN=x");
        assert_eq!(rfc4514_order("CN=a\\,b,O=IT"), "O=IT, CN=a\\,b");
        assert_eq!(rfc4514_order(""), "");
    }

    #[test]
    fn versions_and_hosts_normalise() {
        assert_eq!(tls_version("TLSv12"), "TLSv1.2");
        assert_eq!(tls_version("DTLSv10"), "DTLSv1.0");
        assert_eq!(tls_version("SSLv3"), "SSLv3");
        assert_eq!(host_only("Example.COM:8080"), "example.com");
        assert_eq!(host_only("[2001:db8::1]:8080"), "2001:db8::1");
        assert_eq!(host_only("2001:db8::1"), "2001:db8::1");
    }
}
