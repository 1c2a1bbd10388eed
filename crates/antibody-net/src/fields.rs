//! The fields network rules can test, per record kind, with their values.
//!
//! Names are stable: they are the vocabulary of `network/*.toml` rules and
//! are listed in `docs/engines/net.md`.

use crate::model::{CertInfo, ConnRecord, DnsRecord, FlowKey, HttpRecord, SmtpRecord, TlsRecord};
use std::borrow::Cow;
use std::net::IpAddr;

/// Fields every record of a flow has.
const COMMON: &[&str] = &[
    "client_ip",
    "server_ip",
    "client_port",
    "server_port",
    "transport",
];

const CONN: &[&str] = &[
    "service",
    "client_bytes",
    "server_bytes",
    "client_packets",
    "server_packets",
    "duration",
    "established",
    "missing_bytes",
    "overlaps",
];

const HTTP: &[&str] = &[
    "method",
    "host",
    "uri",
    "url",
    "version",
    "user_agent",
    "cookie",
    "cookie_name",
    "cookie_value",
    "content_type",
    "boundary",
    "request_body",
    "request_body_len",
    "status",
    "response_body",
    "response_body_len",
];

const TLS: &[&str] = &[
    "sni",
    "version",
    "alpn",
    "ja3",
    "ja3s",
    "ja4",
    "ja4s",
    "server_hello",
    "cert.subject",
    "cert.issuer",
    "cert.serial",
    "cert.sha1",
    "cert.sha256",
    "cert.self_signed",
    "cert.country",
    "cert.country_iso",
    "cert.san",
    "cert.matches_sni",
    "client_cert",
    "client_cert.subject",
    "client_cert.issuer",
    "client_cert.sha1",
    "client_cert.sha256",
    "client_cert_requested",
];

const SMTP: &[&str] = &[
    "banner",
    "helo",
    "starttls",
    "tls_without_smtp",
    "mail_from",
    "rcpt_to",
];

const DNS: &[&str] = &[
    "query",
    "qtype",
    "rcode",
    "is_response",
    "answer",
    "answer_name",
];

const BEACON: &[&str] = &[
    "score",
    "connections",
    "median_interval",
    "hours_active",
    "ts_score",
    "ds_score",
    "persistence_score",
];

const DNS_TUNNEL: &[&str] = &[
    "parent",
    "score",
    "queries",
    "unique_subdomains",
    "max_label",
    "entropy",
    "txt_share",
];

/// The fields a record kind has besides the flow's [`COMMON`] ones (for
/// `dns_tunnel`, which has no flow: besides `client_ip`).
fn own_fields(protocol: &str) -> Option<&'static [&'static str]> {
    Some(match protocol {
        "conn" => CONN,
        "http" => HTTP,
        "tls" => TLS,
        "smtp" => SMTP,
        "dns" => DNS,
        "beacon" => BEACON,
        "dns_tunnel" => DNS_TUNNEL,
        _ => return None,
    })
}

fn shared_fields(protocol: &str) -> &'static [&'static str] {
    if protocol == "dns_tunnel" {
        &["client_ip"]
    } else {
        COMMON
    }
}

/// Whether `field` is a field of records of kind `protocol`. HTTP also has
/// `header.NAME` and `response_header.NAME` for any header.
pub fn is_known(protocol: &str, field: &str) -> bool {
    if protocol == "http" && (field.starts_with("header.") || field.starts_with("response_header."))
    {
        return field.split_once('.').is_some_and(|(_, n)| !n.is_empty());
    }
    own_fields(protocol)
        .is_some_and(|own| own.contains(&field) || shared_fields(protocol).contains(&field))
}

/// The field names of a record kind, for documentation and error messages.
pub fn names(protocol: &str) -> Vec<&'static str> {
    match own_fields(protocol) {
        Some(own) => shared_fields(protocol).iter().chain(own).copied().collect(),
        None => Vec::new(),
    }
}

/// One value of a field.
#[derive(Debug, Clone)]
pub enum Value<'a> {
    /// Text.
    Str(Cow<'a, str>),
    /// Bytes (bodies), tested as text where they are text.
    Bytes(&'a [u8]),
    /// A number.
    Num(f64),
    /// A flag.
    Bool(bool),
    /// An address.
    Ip(IpAddr),
    /// A DNS record type: its name (`TXT`) as text, its number as number.
    RType(u16),
}

impl Value<'_> {
    /// The value as text, when it has one.
    pub fn text(&self) -> Option<Cow<'_, [u8]>> {
        match self {
            Value::Str(s) => Some(Cow::Borrowed(s.as_bytes())),
            Value::Bytes(b) => Some(Cow::Borrowed(b)),
            Value::Ip(ip) => Some(Cow::Owned(ip.to_string().into_bytes())),
            Value::RType(t) => Some(Cow::Owned(rtype_name(*t).into_bytes())),
            Value::Num(_) | Value::Bool(_) => None,
        }
    }

    /// The text, ASCII-lowercased (for case-insensitive tests).
    pub fn lower(&self) -> Option<Vec<u8>> {
        self.text().map(|t| t.to_ascii_lowercase())
    }

    /// The value as a number, when it is one.
    pub fn number(&self) -> Option<f64> {
        match self {
            Value::Num(n) => Some(*n),
            Value::RType(t) => Some(f64::from(*t)),
            _ => None,
        }
    }

    /// For people: text cut to 200 characters, numbers as numbers.
    pub fn display(&self) -> String {
        match self {
            Value::Num(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Value::Num(n) => format!("{n:.3}"),
            Value::Bool(b) => b.to_string(),
            other => {
                let t = other.text().unwrap_or_default();
                antibody_core::evidence::printable_excerpt(&t, 200)
            }
        }
    }
}

/// Name of a DNS record type (`A`, `TXT`, `TYPE65`).
pub fn rtype_name(t: u16) -> String {
    let n = match t {
        1 => "A",
        2 => "NS",
        5 => "CNAME",
        6 => "SOA",
        10 => "NULL",
        12 => "PTR",
        15 => "MX",
        16 => "TXT",
        28 => "AAAA",
        33 => "SRV",
        35 => "NAPTR",
        43 => "DS",
        46 => "RRSIG",
        48 => "DNSKEY",
        64 => "SVCB",
        65 => "HTTPS",
        99 => "SPF",
        255 => "ANY",
        _ => return format!("TYPE{t}"),
    };
    n.to_string()
}

/// A record as rules see it.
#[derive(Debug, Clone, Copy)]
pub enum Record<'a> {
    /// A connection.
    Conn(&'a ConnRecord),
    /// An HTTP request/response.
    Http(&'a HttpRecord),
    /// A TLS handshake.
    Tls(&'a TlsRecord),
    /// A DNS message.
    Dns(&'a DnsRecord),
    /// An SMTP conversation.
    Smtp(&'a SmtpRecord),
    /// A computed record (`beacon`, `dns_tunnel`): named values.
    Scored(&'static str, &'a [(&'static str, Value<'a>)]),
}

impl<'a> Record<'a> {
    /// The record kind, as rules name it.
    pub fn protocol(&self) -> &'static str {
        match self {
            Record::Conn(_) => "conn",
            Record::Http(_) => "http",
            Record::Tls(_) => "tls",
            Record::Dns(_) => "dns",
            Record::Smtp(_) => "smtp",
            Record::Scored(p, _) => p,
        }
    }

    fn flow(&self) -> Option<&'a FlowKey> {
        match self {
            Record::Conn(r) => Some(&r.meta.flow),
            Record::Http(r) => Some(&r.meta.flow),
            Record::Tls(r) => Some(&r.meta.flow),
            Record::Dns(r) => Some(&r.meta.flow),
            Record::Smtp(r) => Some(&r.meta.flow),
            Record::Scored(..) => None,
        }
    }

    /// The values of `field` (empty when the record has none).
    pub fn field(&self, field: &str) -> Vec<Value<'a>> {
        if let Record::Scored(_, values) = self {
            return values
                .iter()
                .filter(|(n, _)| *n == field)
                .map(|(_, v)| v.clone())
                .collect();
        }
        if let Some(f) = self.flow() {
            let common = match field {
                "client_ip" => Some(Value::Ip(f.client_ip)),
                "server_ip" => Some(Value::Ip(f.server_ip)),
                "client_port" => Some(Value::Num(f64::from(f.client_port))),
                "server_port" => Some(Value::Num(f64::from(f.server_port))),
                "transport" => Some(Value::Str(Cow::Borrowed(transport(f.proto)))),
                _ => None,
            };
            if let Some(v) = common {
                return vec![v];
            }
        }
        match self {
            Record::Conn(r) => conn_field(r, field),
            Record::Http(r) => http_field(r, field),
            Record::Tls(r) => tls_field(r, field),
            Record::Dns(r) => dns_field(r, field),
            Record::Smtp(r) => smtp_field(r, field),
            Record::Scored(..) => Vec::new(),
        }
    }
}

/// `tcp`, `udp`, `icmp` or the protocol number.
pub fn transport(proto: u8) -> &'static str {
    match proto {
        crate::model::proto::TCP => "tcp",
        crate::model::proto::UDP => "udp",
        crate::model::proto::ICMP | crate::model::proto::ICMPV6 => "icmp",
        _ => "other",
    }
}

fn s(v: &str) -> Value<'_> {
    Value::Str(Cow::Borrowed(v))
}

fn opt<'a>(v: &'a Option<String>) -> Vec<Value<'a>> {
    v.as_deref().map(s).into_iter().collect()
}

fn num(n: u64) -> Vec<Value<'static>> {
    vec![Value::Num(n as f64)]
}

fn conn_field<'a>(r: &'a ConnRecord, field: &str) -> Vec<Value<'a>> {
    match field {
        "service" => opt(&r.service),
        "client_bytes" => num(r.client_bytes),
        "server_bytes" => num(r.server_bytes),
        "client_packets" => num(r.client_packets),
        "server_packets" => num(r.server_packets),
        "duration" => vec![Value::Num((r.last_ts - r.meta.ts) as f64 / 1e6)],
        "established" => vec![Value::Bool(r.established)],
        "missing_bytes" => num(r.missing_bytes),
        "overlaps" => num(r.overlaps),
        _ => Vec::new(),
    }
}

fn http_field<'a>(r: &'a HttpRecord, field: &str) -> Vec<Value<'a>> {
    if let Some(name) = field.strip_prefix("header.") {
        return headers(&r.request_headers, name);
    }
    if let Some(name) = field.strip_prefix("response_header.") {
        return headers(&r.response_headers, name);
    }
    match field {
        "method" => vec![s(&r.method)],
        "host" => opt(&r.host),
        "uri" => vec![s(&r.uri)],
        "url" => vec![Value::Str(Cow::Owned(url(r)))],
        "version" => vec![s(&r.version)],
        "user_agent" => opt(&r.user_agent),
        "cookie" => r
            .cookies
            .iter()
            .map(|(n, v)| Value::Str(Cow::Owned(format!("{n}={v}"))))
            .collect(),
        "cookie_name" => r.cookies.iter().map(|(n, _)| s(n)).collect(),
        "cookie_value" => r.cookies.iter().map(|(_, v)| s(v)).collect(),
        "content_type" => r
            .request_header("content-type")
            .map(s)
            .into_iter()
            .collect(),
        "boundary" => r
            .request_header("content-type")
            .and_then(boundary)
            .map(s)
            .into_iter()
            .collect(),
        "request_body" if !r.request_body.is_empty() => vec![Value::Bytes(&r.request_body)],
        "request_body_len" => num(r.request_body_len),
        "status" => r
            .status
            .map(|c| Value::Num(f64::from(c)))
            .into_iter()
            .collect(),
        "response_body" if !r.response_body.is_empty() => vec![Value::Bytes(&r.response_body)],
        "response_body_len" => num(r.response_body_len),
        _ => Vec::new(),
    }
}

/// `http://host/uri` (the URI as is when it is already absolute).
pub fn url(r: &HttpRecord) -> String {
    if r.uri.starts_with("http://") || r.uri.starts_with("https://") {
        return r.uri.clone();
    }
    let host = r
        .host
        .clone()
        .unwrap_or_else(|| r.meta.flow.server_ip.to_string());
    format!("http://{host}{}", r.uri)
}

/// The `boundary=` parameter of a multipart content type, unquoted.
pub fn boundary(content_type: &str) -> Option<&str> {
    let lower = content_type.to_ascii_lowercase();
    let at = lower.find("boundary=")? + "boundary=".len();
    let rest = &content_type[at..];
    let value = match rest.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next().unwrap_or(quoted),
        None => &rest[..rest.find([';', ' ', '\t']).unwrap_or(rest.len())],
    };
    Some(value).filter(|b| !b.is_empty())
}

fn headers<'a>(h: &'a [(String, String)], name: &str) -> Vec<Value<'a>> {
    h.iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| s(v))
        .collect()
}

fn certs<'a>(certs: &'a [CertInfo], what: &str) -> Vec<Value<'a>> {
    certs
        .iter()
        .filter_map(|c| match what {
            "subject" => Some(s(&c.subject)),
            "issuer" => Some(s(&c.issuer)),
            "serial" => Some(s(&c.serial)),
            "sha1" if !c.sha1.is_empty() => Some(s(&c.sha1)),
            "sha256" if !c.sha256.is_empty() => Some(s(&c.sha256)),
            "self_signed" => Some(Value::Bool(c.self_signed)),
            "country" => country(&c.subject).map(s),
            "country_iso" => country(&c.subject).map(|cc| Value::Bool(is_iso_country(cc))),
            _ => None,
        })
        .collect()
}

fn tls_field<'a>(r: &'a TlsRecord, field: &str) -> Vec<Value<'a>> {
    if let Some(what) = field.strip_prefix("cert.") {
        if what == "matches_sni" {
            return match (&r.sni, r.server_certs.first()) {
                (Some(sni), Some(leaf)) => vec![Value::Bool(cert_matches_name(leaf, sni))],
                _ => Vec::new(),
            };
        }
        if what == "san" {
            return r
                .server_certs
                .iter()
                .flat_map(|c| c.san_dns.iter().map(|n| s(n)))
                .collect();
        }
        return certs(&r.server_certs, what);
    }
    if let Some(what) = field.strip_prefix("client_cert.") {
        return certs(&r.client_certs, what);
    }
    match field {
        "sni" => opt(&r.sni),
        "version" => opt(&r.version),
        "alpn" => r.alpn.iter().map(|a| s(a)).collect(),
        "ja3" => opt(&r.ja3_hash),
        "ja3s" => opt(&r.ja3s_hash),
        "ja4" => opt(&r.ja4),
        "ja4s" => opt(&r.ja4s),
        "server_hello" => vec![Value::Bool(r.server_hello_seen)],
        "client_cert" => vec![Value::Bool(!r.client_certs.is_empty())],
        "client_cert_requested" => vec![Value::Bool(r.client_cert_requested)],
        _ => Vec::new(),
    }
}

fn dns_field<'a>(r: &'a DnsRecord, field: &str) -> Vec<Value<'a>> {
    match field {
        "query" => vec![s(&r.query)],
        "qtype" => vec![Value::RType(r.qtype)],
        "rcode" => vec![Value::Num(f64::from(r.rcode))],
        "is_response" => vec![Value::Bool(r.is_response)],
        "answer" => r.answers.iter().map(|a| s(&a.data)).collect(),
        "answer_name" => r.answers.iter().map(|a| s(&a.name)).collect(),
        _ => Vec::new(),
    }
}

fn smtp_field<'a>(r: &'a SmtpRecord, field: &str) -> Vec<Value<'a>> {
    match field {
        "banner" => opt(&r.banner),
        "helo" => opt(&r.helo),
        "starttls" => vec![Value::Bool(r.starttls)],
        "tls_without_smtp" => vec![Value::Bool(r.tls_without_smtp)],
        "mail_from" => r.mail_from.iter().map(|m| s(m)).collect(),
        "rcpt_to" => r.rcpt_to.iter().map(|m| s(m)).collect(),
        _ => Vec::new(),
    }
}

/// Whether a certificate is valid for `name`: a SAN DNS name (or, with no
/// SAN, the subject CN) equal to it, or a `*.` wildcard covering one label.
pub fn cert_matches_name(cert: &CertInfo, name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let cn;
    let names: Vec<&str> = if cert.san_dns.is_empty() {
        cn = cert
            .subject
            .split(',')
            .map(str::trim)
            .find_map(|p| p.strip_prefix("CN="))
            .unwrap_or("")
            .to_ascii_lowercase();
        vec![cn.as_str()]
    } else {
        cert.san_dns.iter().map(String::as_str).collect()
    };
    names.iter().any(|pattern| {
        let p = pattern.to_ascii_lowercase();
        match p.strip_prefix("*.") {
            Some(suffix) => name
                .split_once('.')
                .is_some_and(|(label, rest)| !label.is_empty() && rest == suffix),
            None => p == name,
        }
    })
}

/// The `C=` attribute of a `C=.., O=..` distinguished name.
pub fn country(dn: &str) -> Option<&str> {
    dn.split(',')
        .map(str::trim)
        .find_map(|part| part.strip_prefix("C="))
}

/// ISO 3166-1 alpha-2 codes (officially assigned), in one string.
const ISO_3166: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// Whether `cc` is an assigned ISO 3166-1 alpha-2 country code (case-insensitive).
/// `Tunis` (a city) is not; `TN` is.
pub fn is_iso_country(cc: &str) -> bool {
    cc.len() == 2 && ISO_3166.split(' ').any(|c| c.eq_ignore_ascii_case(cc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_codes() {
        assert_eq!(ISO_3166.split(' ').count(), 249);
        assert!(is_iso_country("TN"));
        assert!(is_iso_country("gb"));
        assert!(!is_iso_country("Tunis"));
        assert!(!is_iso_country("UK"));
        assert!(!is_iso_country("XX"));
    }

    #[test]
    fn certificate_names() {
        let mut c = CertInfo {
            subject: "C=GB, CN=www.example.org".into(),
            ..CertInfo::default()
        };
        assert!(cert_matches_name(&c, "WWW.example.org."));
        assert!(!cert_matches_name(&c, "example.org"));
        c.san_dns = vec!["*.example.net".into()];
        assert!(cert_matches_name(&c, "a.example.net"));
        assert!(!cert_matches_name(&c, "a.b.example.net"));
        assert!(!cert_matches_name(&c, "example.net"));
        // With a SAN, the CN is not used.
        assert!(!cert_matches_name(&c, "www.example.org"));
    }

    #[test]
    fn country_of_dn() {
        assert_eq!(country("C=Tunis, O=IT, CN=x"), Some("Tunis"));
        assert_eq!(country("O=IT"), None);
    }

    #[test]
    fn boundary_forms() {
        assert_eq!(
            boundary("multipart/form-data; boundary=------974767299852498929531610575"),
            Some("------974767299852498929531610575")
        );
        assert_eq!(
            boundary("multipart/mixed; BOUNDARY=\"ab c\"; x=1"),
            Some("ab c")
        );
        assert_eq!(boundary("text/plain"), None);
        assert_eq!(boundary("multipart/form-data; boundary="), None);
    }

    #[test]
    fn known_fields() {
        assert!(is_known("http", "header.x-forwarded-for"));
        assert!(!is_known("http", "header."));
        assert!(is_known("tls", "cert.country_iso"));
        assert!(is_known("dns_tunnel", "client_ip"));
        assert!(!is_known("dns_tunnel", "server_port"));
        assert!(!is_known("dns", "sni"));
        assert!(!is_known("nope", "client_ip"));
        assert_eq!(names("smtp").len(), COMMON.len() + SMTP.len());
    }
}
