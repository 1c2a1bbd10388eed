//! Zeek logs into the shared record model: `conn`, `http`, `ssl`, `x509`,
//! `dns` and `smtp`, in Zeek's TSV format (with its `#` headers, repeated
//! when rotated files are concatenated) or as JSON lines.
//!
//! `ssl.log` names its certificates by fingerprint (`cert_chain_fps`,
//! Zeek ≥ 4.2) or by file id (`cert_chain_fuids`, older), and `x509.log`
//! describes them; the two come in separate files, in any order. So
//! [`ZeekReader`] is stateful: it emits every other record at once, keeps
//! TLS records (up to [`ZeekLimits::max_held_tls`]) and certificates (up to
//! [`ZeekLimits::max_certs`]) and joins them in [`ZeekReader::finish`].
//!
//! A bad line is counted, reported as an [`Anomaly`] and skipped; only a
//! file that is not a Zeek log at all (or that no supported log kind can be
//! found for) is a [`ZeekError`].
//!
//! Anomaly codes: `zeek_bad_line` (wrong field count, unparsable address,
//! port, time or JSON), `zeek_long_line` (over [`ZeekLimits::max_line`],
//! skipped), `zeek_invalid_utf8` (decoded lossily), `zeek_unsupported_log`
//! (a `#path`/`_path` this reader does not map, once per header),
//! `zeek_tls_unjoined` (held-TLS cap reached: later TLS records carry only
//! certificates already seen), `zeek_cert_cache_full` (certificate cap
//! reached), `zeek_anomalies_capped` (more than
//! [`ZeekLimits::max_anomalies`] in one read; the rest only counted).

mod json;
mod records;
mod tsv;

use crate::model::{Anomaly, CertInfo, NetRecord, RecordSink, TlsRecord};
use serde::Serialize;
use std::collections::HashMap;
use thiserror::Error;

/// The two ways Zeek writes logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ZeekFormat {
    /// Zeek's default tab-separated format with `#` headers.
    Tsv,
    /// One JSON object per line (`LogAscii::use_json`).
    Json,
}

/// The Zeek logs this reader turns into records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ZeekLog {
    /// `conn.log` → [`crate::model::ConnRecord`].
    Conn,
    /// `http.log` → [`crate::model::HttpRecord`].
    Http,
    /// `ssl.log` → [`crate::model::TlsRecord`] (joined with `x509`).
    Ssl,
    /// `x509.log` → [`CertInfo`] inside TLS records.
    X509,
    /// `dns.log` → [`crate::model::DnsRecord`].
    Dns,
    /// `smtp.log` → [`crate::model::SmtpRecord`].
    Smtp,
}

impl ZeekLog {
    /// The log's `#path`.
    pub fn name(self) -> &'static str {
        match self {
            ZeekLog::Conn => "conn",
            ZeekLog::Http => "http",
            ZeekLog::Ssl => "ssl",
            ZeekLog::X509 => "x509",
            ZeekLog::Dns => "dns",
            ZeekLog::Smtp => "smtp",
        }
    }

    fn from_path(path: &str) -> Option<ZeekLog> {
        Some(match path {
            "conn" => ZeekLog::Conn,
            "http" => ZeekLog::Http,
            "ssl" => ZeekLog::Ssl,
            "x509" => ZeekLog::X509,
            "dns" => ZeekLog::Dns,
            "smtp" => ZeekLog::Smtp,
            _ => return None,
        })
    }
}

/// Which log a file holds: the header's `#path` (or JSON `_path`) when
/// there is one, else the file name: the part of its base name before
/// the first dot (`conn.log`, `conn.00:00:00-01:00:00.log`, `ssl.log.gz`),
/// or before its first `_` or `-` (`ssl_old.json`, `dns-2020-05-04.log`).
pub fn log_kind(name_hint: &str, header_path: Option<&str>) -> Option<ZeekLog> {
    // A `#path` that names some other log (`weird`, `files`) wins over a
    // file name that says `conn`: the header is what Zeek wrote.
    if let Some(path) = header_path.filter(|p| !p.is_empty()) {
        return ZeekLog::from_path(path);
    }
    let base = name_hint.rsplit(['/', '\\']).next().unwrap_or(name_hint);
    let stem = base.split('.').next().unwrap_or(base).to_ascii_lowercase();
    // Renamed copies (`ssl_old.json`, `conn-2020-05-04.log`) keep the log
    // name first.
    ZeekLog::from_path(&stem).or_else(|| {
        let head = stem.split(['_', '-', ' ']).next().unwrap_or(&stem);
        ZeekLog::from_path(head)
    })
}

/// Whether `data` (the start of a file is enough) looks like a Zeek log:
/// a TSV `#separator` header, or a first JSON line with Zeek's `uid` and
/// `id.orig_h` (or a `_path` and a `ts`).
pub fn sniff(data: &[u8]) -> Option<ZeekFormat> {
    if data.starts_with(b"#separator ") {
        return Some(ZeekFormat::Tsv);
    }
    let start = data.iter().position(|b| !b.is_ascii_whitespace())?;
    let rest = &data[start..];
    let line = &rest[..memchr::memchr(b'\n', rest).unwrap_or(rest.len())];
    if !line.starts_with(b"{") {
        return None;
    }
    let has = |needle: &[u8]| memchr::memmem::find(line, needle).is_some();
    let zeek_conn = has(b"\"uid\"") && has(b"\"id.orig_h\"");
    let zeek_path = has(b"\"_path\"") && has(b"\"ts\"");
    (zeek_conn || zeek_path).then_some(ZeekFormat::Json)
}

/// Why a file could not be read as a Zeek log at all.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ZeekError {
    /// Neither a TSV header nor a JSON line at the start.
    #[error("{name}: not a Zeek log: {reason}")]
    NotZeek {
        /// The file name hint given.
        name: String,
        /// What was found instead.
        reason: String,
    },
    /// A TSV data line came before any `#fields` header.
    #[error("{name}:{line}: data before a #fields header")]
    MissingFields {
        /// The file name hint given.
        name: String,
        /// 1-based line number of the first data line.
        line: u64,
    },
    /// A TSV `#separator` that is not one character.
    #[error("{name}:{line}: unusable #separator {found:?}")]
    BadSeparator {
        /// The file name hint given.
        name: String,
        /// 1-based line number.
        line: u64,
        /// The header value.
        found: String,
    },
    /// No line belonged to a log this reader maps.
    #[error("{name}: unsupported Zeek log {path:?} (supported: conn, http, ssl, x509, dns, smtp)")]
    UnsupportedLog {
        /// The file name hint given.
        name: String,
        /// The `#path`/`_path` seen, or the file name when there was none.
        path: String,
    },
}

/// Bounds that keep a reader's memory and output finite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZeekLimits {
    /// TLS records held for the certificate join (default 1,000,000).
    /// Beyond it TLS records are emitted at once with the certificates
    /// already known, and counted in [`ZeekStats::tls_unjoined`].
    pub max_held_tls: usize,
    /// Certificates kept from `x509` (default 500,000); more are counted
    /// in [`ZeekStats::certs_dropped`].
    pub max_certs: usize,
    /// Longest line read (default 1 MiB); longer ones are skipped.
    pub max_line: usize,
    /// Anomalies reported per [`ZeekReader::read`] call (default 1,000);
    /// the rest are only counted.
    pub max_anomalies: u64,
}

impl Default for ZeekLimits {
    fn default() -> Self {
        ZeekLimits {
            max_held_tls: 1_000_000,
            max_certs: 500_000,
            max_line: 1 << 20,
            max_anomalies: 1_000,
        }
    }
}

/// What a read (or a finish) did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ZeekStats {
    /// Data lines seen (headers and blank lines excluded).
    pub lines: u64,
    /// Records emitted.
    pub records: u64,
    /// Lines skipped as unreadable (field count, address, port, time, JSON).
    pub bad_lines: u64,
    /// Lines over the length limit, skipped.
    pub long_lines: u64,
    /// Lines with invalid UTF-8, read after lossy decoding.
    pub invalid_utf8_lines: u64,
    /// Lines of logs this reader does not map (`weird`, `files`, ...).
    pub unsupported_lines: u64,
    /// Certificates taken from `x509` lines.
    pub certs: u64,
    /// Certificates not kept because the cache was full.
    pub certs_dropped: u64,
    /// TLS records held for the join.
    pub tls_held: u64,
    /// TLS records emitted before the join because the hold was full.
    pub tls_unjoined: u64,
    /// Certificate references (fingerprints or fuids) with no `x509` line.
    pub certs_missing: u64,
    /// Anomalies not reported because of the per-read cap.
    pub anomalies_suppressed: u64,
}

/// A TLS record waiting for its certificates.
#[derive(Debug)]
struct HeldTls {
    record: TlsRecord,
    server: Vec<String>,
    client: Vec<String>,
    /// Subject and issuer from old `ssl.log` columns, for when no `x509`
    /// line names the leaf.
    fallback: Option<(String, String)>,
}

/// Reads Zeek logs, file after file, into a [`RecordSink`].
///
/// ```
/// use antibody_net::{model::NetRecord, zeek::ZeekReader};
/// let log = b"{\"ts\":1600000000.5,\"uid\":\"C1\",\"id.orig_h\":\"192.0.2.1\",\
/// \"id.orig_p\":5000,\"id.resp_h\":\"198.51.100.2\",\"id.resp_p\":53,\"proto\":\"udp\"}\n";
/// let mut reader = ZeekReader::new();
/// let mut out: Vec<NetRecord> = Vec::new();
/// reader.read(log, "conn.log", &mut out).unwrap();
/// reader.finish(&mut out);
/// assert_eq!(out.len(), 1);
/// ```
#[derive(Debug, Default)]
pub struct ZeekReader {
    limits: ZeekLimits,
    held: Vec<HeldTls>,
    certs: HashMap<String, CertInfo>,
    tls_cap_reported: bool,
    cert_cap_reported: bool,
}

/// Per-read bookkeeping: counts and the anomaly cap.
pub(crate) struct ReadCtx<'a> {
    pub(crate) name: &'a str,
    pub(crate) stats: ZeekStats,
    reported: u64,
    max_anomalies: u64,
}

impl ReadCtx<'_> {
    pub(crate) fn anomaly(
        &mut self,
        out: &mut dyn RecordSink,
        code: &'static str,
        line: u64,
        why: &str,
    ) {
        if self.reported < self.max_anomalies {
            self.reported += 1;
            out.anomaly(Anomaly {
                frame: None,
                flow: None,
                code,
                detail: format!("{}:{line}: {why}", self.name),
            });
        } else {
            if self.stats.anomalies_suppressed == 0 {
                out.anomaly(Anomaly {
                    frame: None,
                    flow: None,
                    code: "zeek_anomalies_capped",
                    detail: format!(
                        "{}: more than {} anomalies; the rest are only counted",
                        self.name, self.max_anomalies
                    ),
                });
            }
            self.stats.anomalies_suppressed += 1;
        }
    }

    pub(crate) fn bad_line(&mut self, out: &mut dyn RecordSink, line: u64, why: &str) {
        self.stats.bad_lines += 1;
        self.anomaly(out, "zeek_bad_line", line, why);
    }
}

/// One parsed line, whichever log it came from.
pub(crate) enum Parsed {
    Record(NetRecord),
    Tls(Box<records::TlsParts>),
    Cert(records::CertParts),
}

impl ZeekReader {
    /// A reader with the default [`ZeekLimits`].
    pub fn new() -> Self {
        Self::with_limits(ZeekLimits::default())
    }

    /// A reader with these limits.
    pub fn with_limits(limits: ZeekLimits) -> Self {
        ZeekReader {
            limits,
            ..ZeekReader::default()
        }
    }

    /// Reads one whole file (already decompressed). `name_hint` is its
    /// name, used when the file does not say which log it is and in
    /// anomaly details. Records other than TLS are emitted as they are
    /// read; TLS records wait for [`finish`](Self::finish).
    pub fn read(
        &mut self,
        data: &[u8],
        name_hint: &str,
        out: &mut dyn RecordSink,
    ) -> Result<ZeekStats, ZeekError> {
        let mut ctx = ReadCtx {
            name: name_hint,
            stats: ZeekStats::default(),
            reported: 0,
            max_anomalies: self.limits.max_anomalies,
        };
        let first = data.iter().position(|b| !b.is_ascii_whitespace());
        let Some(first) = first else {
            return Err(ZeekError::NotZeek {
                name: name_hint.to_string(),
                reason: "empty file".to_string(),
            });
        };
        let unsupported = match data[first] {
            b'#' => tsv::read(self, data, &mut ctx, out)?,
            b'{' => json::read(self, data, &mut ctx, out),
            _ => {
                return Err(ZeekError::NotZeek {
                    name: name_hint.to_string(),
                    reason: "neither a '#' header nor a JSON object at the start".to_string(),
                });
            }
        };
        let s = &ctx.stats;
        if s.records == 0 && s.certs == 0 && s.tls_held == 0 && s.unsupported_lines > 0 {
            return Err(ZeekError::UnsupportedLog {
                name: name_hint.to_string(),
                path: unsupported.unwrap_or_else(|| name_hint.to_string()),
            });
        }
        Ok(ctx.stats)
    }

    /// Takes what one line produced.
    pub(crate) fn take(&mut self, parsed: Parsed, ctx: &mut ReadCtx<'_>, out: &mut dyn RecordSink) {
        match parsed {
            Parsed::Record(r) => {
                ctx.stats.records += 1;
                out.record(r);
            }
            Parsed::Cert(c) => {
                ctx.stats.certs += 1;
                if self.certs.len() >= self.limits.max_certs {
                    ctx.stats.certs_dropped += 1;
                    if !self.cert_cap_reported {
                        self.cert_cap_reported = true;
                        ctx.anomaly(out, "zeek_cert_cache_full", 0, "certificate cache full");
                    }
                    return;
                }
                for key in c.keys {
                    self.certs.insert(key, c.cert.clone());
                }
            }
            Parsed::Tls(t) => {
                let t = *t;
                let held = HeldTls {
                    record: t.record,
                    server: t.server_keys,
                    client: t.client_keys,
                    fallback: t.fallback,
                };
                if self.held.len() < self.limits.max_held_tls {
                    ctx.stats.tls_held += 1;
                    self.held.push(held);
                } else {
                    ctx.stats.tls_unjoined += 1;
                    if !self.tls_cap_reported {
                        self.tls_cap_reported = true;
                        ctx.anomaly(
                            out,
                            "zeek_tls_unjoined",
                            0,
                            "too many TLS records held; later ones carry only certificates already read",
                        );
                    }
                    let rec = self.join(held, &mut ctx.stats);
                    ctx.stats.records += 1;
                    out.record(rec);
                }
            }
        }
    }

    fn join(&self, held: HeldTls, stats: &mut ZeekStats) -> NetRecord {
        let HeldTls {
            mut record,
            server,
            client,
            fallback,
        } = held;
        record.server_certs = self.lookup(&server, stats);
        record.client_certs = self.lookup(&client, stats);
        if record.server_certs.is_empty()
            && let Some((subject, issuer)) = fallback
        {
            record.server_certs.push(CertInfo {
                self_signed: subject == issuer,
                subject,
                issuer,
                error: Some("from ssl.log subject/issuer; no x509 record".to_string()),
                ..CertInfo::default()
            });
        }
        NetRecord::Tls(Box::new(record))
    }

    fn lookup(&self, keys: &[String], stats: &mut ZeekStats) -> Vec<CertInfo> {
        let mut certs = Vec::with_capacity(keys.len());
        for key in keys {
            if let Some(cert) = self.certs.get(key) {
                certs.push(cert.clone());
                continue;
            }
            stats.certs_missing += 1;
            // A fingerprint alone is still worth keeping: hash indicators
            // match on it. A file id alone says nothing.
            if let Some(mut cert) = records::cert_from_fingerprint(key) {
                cert.error = Some("no x509 record for this fingerprint".to_string());
                certs.push(cert);
            }
        }
        certs
    }

    /// Emits the TLS records held so far, joined with the certificates
    /// read so far, and forgets both. Returns what the join did (records
    /// emitted, certificate references not found).
    pub fn finish(&mut self, out: &mut dyn RecordSink) -> ZeekStats {
        let mut stats = ZeekStats::default();
        let held = std::mem::take(&mut self.held);
        for h in held {
            let rec = self.join(h, &mut stats);
            stats.records += 1;
            out.record(rec);
        }
        self.certs.clear();
        self.tls_cap_reported = false;
        self.cert_cap_reported = false;
        stats
    }
}

/// Splits `data` into lines (`\n`, a trailing `\r` removed), numbered from 1.
pub(crate) fn lines(data: &[u8]) -> impl Iterator<Item = (u64, &[u8])> {
    let mut pos = 0usize;
    let mut n = 0u64;
    std::iter::from_fn(move || {
        if pos >= data.len() {
            return None;
        }
        let rest = &data[pos..];
        let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
        pos += end + 1;
        n += 1;
        let mut line = &rest[..end];
        if let [head @ .., b'\r'] = line {
            line = head;
        }
        Some((n, line))
    })
}

/// Checks length and UTF-8 of one line; `None` when it is skipped.
pub(crate) fn line_text<'a>(
    line: &'a [u8],
    n: u64,
    limits: &ZeekLimits,
    ctx: &mut ReadCtx<'_>,
    out: &mut dyn RecordSink,
) -> Option<std::borrow::Cow<'a, str>> {
    if line.len() > limits.max_line {
        ctx.stats.long_lines += 1;
        let why = format!(
            "line of {} bytes over the {} limit, skipped",
            line.len(),
            limits.max_line
        );
        ctx.anomaly(out, "zeek_long_line", n, &why);
        return None;
    }
    match std::str::from_utf8(line) {
        Ok(s) => Some(std::borrow::Cow::Borrowed(s)),
        Err(e) => {
            ctx.stats.invalid_utf8_lines += 1;
            let why = format!("invalid UTF-8 at byte {}, decoded lossily", e.valid_up_to());
            ctx.anomaly(out, "zeek_invalid_utf8", n, &why);
            Some(String::from_utf8_lossy(line))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_kind_prefers_header_then_file_name() {
        assert_eq!(log_kind("x.log", Some("dns")), Some(ZeekLog::Dns));
        assert_eq!(log_kind("conn.log", Some("weird")), None);
        assert_eq!(log_kind("conn.log", Some("")), Some(ZeekLog::Conn));
        assert_eq!(
            log_kind("/var/zeek/2024-01-01/conn.00:00:00-01:00:00.log", None),
            Some(ZeekLog::Conn)
        );
        assert_eq!(log_kind("ssl.log.gz", None), Some(ZeekLog::Ssl));
        assert_eq!(log_kind("notes.txt", None), None);
        assert_eq!(log_kind("ssl_old.json", None), Some(ZeekLog::Ssl));
        assert_eq!(log_kind("dns-2020-05-04.log", None), Some(ZeekLog::Dns));
        assert_eq!(log_kind("connections.log", None), None);
    }

    #[test]
    fn sniff_tells_tsv_json_and_neither() {
        assert_eq!(
            sniff(b"#separator \\x09\n#path\tconn\n"),
            Some(ZeekFormat::Tsv)
        );
        assert_eq!(
            sniff(b"{\"ts\":1.0,\"uid\":\"C1\",\"id.orig_h\":\"192.0.2.1\"}\n"),
            Some(ZeekFormat::Json)
        );
        assert_eq!(sniff(b"{\"user\":\"bob\"}\n"), None);
        assert_eq!(sniff(b"GET / HTTP/1.1\r\n"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn lines_strip_cr_and_number_from_one() {
        let v: Vec<_> = lines(b"a\r\nb\n\nc").collect();
        assert_eq!(
            v,
            vec![
                (1, &b"a"[..]),
                (2, &b"b"[..]),
                (3, &b""[..]),
                (4, &b"c"[..])
            ]
        );
    }
}
