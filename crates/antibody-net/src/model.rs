//! What the decoders produce and the detectors read: one record type per
//! protocol, the same whether it came from a capture or from a Zeek log.
//!
//! Times are microseconds since the Unix epoch (UTC). A record's
//! [`Evidence`] says where it came from: the capture's frame numbers
//! (1-based, as Wireshark counts them) or the Zeek `uid`.

use serde::Serialize;
use std::net::IpAddr;

/// Microseconds since 1970-01-01T00:00:00Z.
pub type Micros = i64;

/// Most frame numbers a record keeps as evidence (the first ones seen).
pub const MAX_EVIDENCE_FRAMES: usize = 16;

/// Transport protocol numbers as IP carries them.
pub mod proto {
    /// ICMP.
    pub const ICMP: u8 = 1;
    /// TCP.
    pub const TCP: u8 = 6;
    /// UDP.
    pub const UDP: u8 = 17;
    /// ICMPv6.
    pub const ICMPV6: u8 = 58;
}

/// A conversation's two ends. `client` is the side that opened it (sent the
/// SYN, or the first datagram); `server` the other side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct FlowKey {
    /// IP protocol number (6 TCP, 17 UDP, ...).
    pub proto: u8,
    /// Initiator address.
    pub client_ip: IpAddr,
    /// Initiator port (0 for protocols without ports).
    pub client_port: u16,
    /// Responder address.
    pub server_ip: IpAddr,
    /// Responder port.
    pub server_port: u16,
}

impl FlowKey {
    /// `tcp 10.0.0.5:51000 -> 192.0.2.7:443` (IPv6 in brackets).
    pub fn display(&self) -> String {
        let p = match self.proto {
            proto::TCP => "tcp".to_string(),
            proto::UDP => "udp".to_string(),
            proto::ICMP | proto::ICMPV6 => "icmp".to_string(),
            n => format!("ip-proto-{n}"),
        };
        format!(
            "{p} {} -> {}",
            sock(self.client_ip, self.client_port),
            sock(self.server_ip, self.server_port)
        )
    }
}

fn sock(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(v4) => format!("{v4}:{port}"),
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    }
}

/// Which way data went within a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the client (initiator) to the server.
    ToServer,
    /// From the server to the client.
    ToClient,
}

/// Where a record's evidence is: frame numbers in a capture, or a Zeek uid.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// Frame numbers (1-based), at most [`MAX_EVIDENCE_FRAMES`], ascending.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub frames: Vec<u64>,
    /// Zeek connection uid (`CHhAvVGS1DHFjwGM9`), for records from Zeek.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
}

impl Evidence {
    /// Adds a frame number, keeping the first [`MAX_EVIDENCE_FRAMES`].
    pub fn add_frame(&mut self, frame: u64) {
        if self.frames.len() < MAX_EVIDENCE_FRAMES && !self.frames.contains(&frame) {
            self.frames.push(frame);
            self.frames.sort_unstable();
        }
    }
}

/// What every record carries: its flow, time and evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Meta {
    /// The conversation.
    pub flow: FlowKey,
    /// Time of the first packet of this record (request, handshake...).
    pub ts: Micros,
    /// Frames or uid.
    pub evidence: Evidence,
}

/// One connection summary (a Zeek `conn.log` line, or a flow from a
/// capture when it ends or the capture does).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnRecord {
    /// Flow, start time, evidence.
    pub meta: Meta,
    /// Time of the last packet.
    pub last_ts: Micros,
    /// Application protocol recognised (`http`, `tls`, `dns`, `smtp`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Payload bytes client → server.
    pub client_bytes: u64,
    /// Payload bytes server → client.
    pub server_bytes: u64,
    /// Packets client → server.
    pub client_packets: u64,
    /// Packets server → client.
    pub server_packets: u64,
    /// TCP handshake completed (SYN, SYN-ACK, ACK seen), or a UDP reply seen.
    pub established: bool,
    /// Bytes missing from the reassembled TCP streams (capture loss).
    pub missing_bytes: u64,
    /// TCP segments whose data overlapped data already seen with different
    /// bytes (first copy kept).
    pub overlaps: u64,
}

/// One HTTP request and, when seen, its response.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HttpRecord {
    /// Flow, request time, evidence.
    pub meta: Meta,
    /// `GET`, `POST`, ...
    pub method: String,
    /// Request target as sent (`/path?query`, or absolute for proxies).
    pub uri: String,
    /// `1.1`, `1.0`.
    pub version: String,
    /// The `Host` header (port removed), lowercase.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The `User-Agent` header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// Request headers in order, names as sent.
    pub request_headers: Vec<(String, String)>,
    /// Cookies from every `Cookie` header, `name=value` split on `;`.
    pub cookies: Vec<(String, String)>,
    /// The first bytes of the request body (bounded; see `request_body_len`).
    #[serde(skip)]
    pub request_body: Vec<u8>,
    /// Full length of the request body as sent (Content-Length or chunks).
    pub request_body_len: u64,
    /// Response status code, when a response was seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Response headers in order.
    pub response_headers: Vec<(String, String)>,
    /// The first bytes of the response body (bounded).
    #[serde(skip)]
    pub response_body: Vec<u8>,
    /// Full length of the response body.
    pub response_body_len: u64,
}

impl HttpRecord {
    /// First request header named `name` (case-insensitive).
    pub fn request_header(&self, name: &str) -> Option<&str> {
        header(&self.request_headers, name)
    }
    /// First response header named `name` (case-insensitive).
    pub fn response_header(&self, name: &str) -> Option<&str> {
        header(&self.response_headers, name)
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A certificate as seen on the wire (or in Zeek's `x509.log`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CertInfo {
    /// Subject in RFC 4514-like order as the certificate has it:
    /// `C=Tunis, O=IT, CN=example`.
    pub subject: String,
    /// Issuer, same form.
    pub issuer: String,
    /// Serial number, lowercase hex without separators.
    pub serial: String,
    /// Not valid before (microseconds since the epoch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_before: Option<Micros>,
    /// Not valid after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_after: Option<Micros>,
    /// SHA-1 of the DER, lowercase hex (empty when unknown, as in some Zeek logs).
    pub sha1: String,
    /// SHA-256 of the DER, lowercase hex (empty when unknown).
    pub sha256: String,
    /// Subject equals issuer (and, when checkable, the signature verifies
    /// with its own key).
    pub self_signed: bool,
    /// DNS names from the subject alternative name extension.
    pub san_dns: Vec<String>,
    /// Why the DER could not be read fully, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One TLS handshake (what was seen of it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TlsRecord {
    /// Flow, ClientHello time, evidence.
    pub meta: Meta,
    /// Version the server chose (`TLSv1.2`, `TLSv1.3`), or offered by the client.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Server name from the ClientHello, lowercase.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sni: Option<String>,
    /// ALPN protocols offered by the client.
    pub alpn: Vec<String>,
    /// JA3 string and its MD5 (`771,4865-...,...`), from the ClientHello.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ja3: Option<String>,
    /// JA3 MD5 hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ja3_hash: Option<String>,
    /// JA3S MD5 hex, from the ServerHello.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ja3s_hash: Option<String>,
    /// JA4 (`t13d1516h2_8daaf6152771_b186095e22b6`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ja4: Option<String>,
    /// JA4S (`t130200_1301_234ea6891581`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ja4s: Option<String>,
    /// Certificates the server sent, leaf first (TLS 1.2 and earlier; TLS
    /// 1.3 encrypts them).
    pub server_certs: Vec<CertInfo>,
    /// Certificates the client sent (mutual TLS), leaf first.
    pub client_certs: Vec<CertInfo>,
    /// The server asked for a client certificate (CertificateRequest seen).
    pub client_cert_requested: bool,
    /// Whether a ServerHello was seen.
    pub server_hello_seen: bool,
}

/// One DNS message (query or response).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsRecord {
    /// Flow, time, evidence.
    pub meta: Meta,
    /// Transaction id.
    pub id: u16,
    /// A response (QR bit set).
    pub is_response: bool,
    /// The first question's name, lowercase, without the trailing dot.
    pub query: String,
    /// The first question's type (1 A, 28 AAAA, 16 TXT, ...).
    pub qtype: u16,
    /// Response code (0 NOERROR, 3 NXDOMAIN, ...).
    pub rcode: u8,
    /// Answer records.
    pub answers: Vec<DnsAnswer>,
}

/// One DNS answer record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsAnswer {
    /// Owner name, lowercase, without the trailing dot.
    pub name: String,
    /// Record type.
    pub rtype: u16,
    /// TTL in seconds.
    pub ttl: u32,
    /// Data as text: an address for A/AAAA, a name for CNAME/NS/PTR/MX,
    /// the concatenated strings for TXT, hex for anything else.
    pub data: String,
}

/// What an SMTP conversation showed (or failed to show).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SmtpRecord {
    /// Flow, time, evidence.
    pub meta: Meta,
    /// The server's 220 greeting line, without the code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub banner: Option<String>,
    /// The client's EHLO/HELO argument.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub helo: Option<String>,
    /// The client asked for STARTTLS and the server said 220.
    pub starttls: bool,
    /// `MAIL FROM` addresses.
    pub mail_from: Vec<String>,
    /// `RCPT TO` addresses.
    pub rcpt_to: Vec<String>,
    /// TLS was spoken on the connection before any SMTP greeting (a TLS
    /// record as the first bytes either way): not SMTP at all.
    pub tls_without_smtp: bool,
}

/// Something wrong or unusual in the traffic itself (not a detection):
/// truncated frames, lying lengths, reassembly gaps, evictions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Anomaly {
    /// Frame number (1-based) where it was seen, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame: Option<u64>,
    /// The flow, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow: Option<FlowKey>,
    /// Stable short code (`truncated_frame`, `bad_length`, `tcp_overlap`...).
    pub code: &'static str,
    /// Human text.
    pub detail: String,
}

/// Any record, as decoders emit them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum NetRecord {
    /// A connection summary.
    Conn(ConnRecord),
    /// An HTTP request (and response).
    Http(Box<HttpRecord>),
    /// A TLS handshake.
    Tls(Box<TlsRecord>),
    /// A DNS message.
    Dns(DnsRecord),
    /// An SMTP conversation.
    Smtp(SmtpRecord),
}

/// Receives records as they are decoded.
pub trait RecordSink {
    /// One decoded record.
    fn record(&mut self, record: NetRecord);
    /// Something unusual in the input; the default drops it.
    fn anomaly(&mut self, anomaly: Anomaly) {
        let _ = anomaly;
    }
}

impl RecordSink for Vec<NetRecord> {
    fn record(&mut self, record: NetRecord) {
        self.push(record);
    }
}
