//! Wire-format builders for TLS handshake messages and DNS messages, used to
//! make synthetic, inert traffic for tests, examples and benchmarks.
//!
//! Every builder returns the bytes as they would travel on the wire: TLS
//! functions return whole records (5-byte header included) unless their name
//! says `handshake_`, DNS functions return a message without the TCP length
//! prefix ([`dns_tcp`] adds it).

use std::net::{Ipv4Addr, Ipv6Addr};

/// Record content type: change_cipher_spec.
pub const CT_CHANGE_CIPHER_SPEC: u8 = 20;
/// Record content type: handshake.
pub const CT_HANDSHAKE: u8 = 22;
/// Record content type: application_data.
pub const CT_APPLICATION_DATA: u8 = 23;

/// Parameters of a ClientHello. [`Default`] is a TLS 1.3-capable browser-like
/// hello without SNI or ALPN.
#[derive(Debug, Clone)]
pub struct ClientHelloSpec {
    /// Record-layer version (0x0301 as most clients send).
    pub record_version: u16,
    /// `legacy_version` of the hello (0x0303).
    pub version: u16,
    /// Cipher suites in order.
    pub ciphers: Vec<u16>,
    /// `server_name`, when set.
    pub sni: Option<String>,
    /// ALPN protocols, when non-empty.
    pub alpn: Vec<String>,
    /// `supported_groups`, when non-empty.
    pub groups: Vec<u16>,
    /// `ec_point_formats`, when non-empty.
    pub point_formats: Vec<u8>,
    /// `signature_algorithms`, when non-empty.
    pub sig_algs: Vec<u16>,
    /// `supported_versions`, when non-empty.
    pub supported_versions: Vec<u16>,
    /// Extra extensions `(type, data)`, appended after the ones above.
    pub extra_extensions: Vec<(u16, Vec<u8>)>,
    /// Insert GREASE values (first cipher, first and last extension, first
    /// group, first supported version), as Chrome does.
    pub grease: bool,
}

impl Default for ClientHelloSpec {
    fn default() -> Self {
        ClientHelloSpec {
            record_version: 0x0301,
            version: 0x0303,
            ciphers: vec![0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0x002f],
            sni: None,
            alpn: Vec::new(),
            groups: vec![0x001d, 0x0017, 0x0018],
            point_formats: vec![0],
            sig_algs: vec![0x0403, 0x0804, 0x0401],
            supported_versions: vec![0x0304, 0x0303],
            extra_extensions: Vec::new(),
            grease: false,
        }
    }
}

fn u16s(v: &[u16]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_be_bytes()).collect()
}

fn vec16(body: &[u8]) -> Vec<u8> {
    let mut v = (body.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(body);
    v
}

fn vec8(body: &[u8]) -> Vec<u8> {
    let mut v = vec![body.len() as u8];
    v.extend_from_slice(body);
    v
}

fn u24(n: usize) -> [u8; 3] {
    [(n >> 16) as u8, (n >> 8) as u8, n as u8]
}

fn extensions_block(exts: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (t, d) in exts {
        body.extend_from_slice(&t.to_be_bytes());
        body.extend_from_slice(&vec16(d));
    }
    vec16(&body)
}

/// The extension types a hello built from `spec` carries, in wire order
/// (GREASE included), for computing expected fingerprints.
pub fn client_hello_extensions(spec: &ClientHelloSpec) -> Vec<(u16, Vec<u8>)> {
    let mut exts = Vec::new();
    if spec.grease {
        exts.push((0x0a0a, Vec::new()));
    }
    if let Some(sni) = &spec.sni {
        let mut entry = vec![0u8];
        entry.extend_from_slice(&vec16(sni.as_bytes()));
        exts.push((0x0000, vec16(&entry)));
    }
    if !spec.groups.is_empty() {
        let mut g = spec.groups.clone();
        if spec.grease {
            g.insert(0, 0x2a2a);
        }
        exts.push((0x000a, vec16(&u16s(&g))));
    }
    if !spec.point_formats.is_empty() {
        exts.push((0x000b, vec8(&spec.point_formats)));
    }
    if !spec.sig_algs.is_empty() {
        exts.push((0x000d, vec16(&u16s(&spec.sig_algs))));
    }
    if !spec.alpn.is_empty() {
        let list: Vec<u8> = spec.alpn.iter().flat_map(|p| vec8(p.as_bytes())).collect();
        exts.push((0x0010, vec16(&list)));
    }
    if !spec.supported_versions.is_empty() {
        let mut v = spec.supported_versions.clone();
        if spec.grease {
            v.insert(0, 0x3a3a);
        }
        exts.push((0x002b, vec8(&u16s(&v))));
    }
    exts.extend(spec.extra_extensions.iter().cloned());
    if spec.grease {
        exts.push((0x1a1a, vec![0]));
    }
    exts
}

/// A ClientHello handshake message (type, length, body), no record header.
pub fn handshake_client_hello(spec: &ClientHelloSpec) -> Vec<u8> {
    let mut body = spec.version.to_be_bytes().to_vec();
    body.extend_from_slice(&[0x11; 32]); // random
    body.extend_from_slice(&vec8(&[0x22; 32])); // session id
    let mut ciphers = spec.ciphers.clone();
    if spec.grease {
        ciphers.insert(0, 0xdada);
    }
    body.extend_from_slice(&vec16(&u16s(&ciphers)));
    body.extend_from_slice(&vec8(&[0])); // null compression
    body.extend_from_slice(&extensions_block(&client_hello_extensions(spec)));
    handshake(1, &body)
}

/// A handshake message: type, 24-bit length, body.
pub fn handshake(msg_type: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![msg_type];
    v.extend_from_slice(&u24(body.len()));
    v.extend_from_slice(body);
    v
}

/// One TLS record around `payload` (no fragmentation; see [`records`]).
pub fn record(content_type: u8, version: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![content_type];
    v.extend_from_slice(&version.to_be_bytes());
    v.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    v.extend_from_slice(payload);
    v
}

/// `payload` split into records of at most `max` bytes each (handshake
/// messages spanning records).
pub fn records(content_type: u8, version: u16, payload: &[u8], max: usize) -> Vec<u8> {
    payload
        .chunks(max.max(1))
        .flat_map(|c| record(content_type, version, c))
        .collect()
}

/// A ClientHello in one handshake record.
pub fn client_hello(spec: &ClientHelloSpec) -> Vec<u8> {
    record(
        CT_HANDSHAKE,
        spec.record_version,
        &handshake_client_hello(spec),
    )
}

/// Parameters of a ServerHello.
#[derive(Debug, Clone)]
pub struct ServerHelloSpec {
    /// `legacy_version` (0x0303).
    pub version: u16,
    /// Chosen cipher suite.
    pub cipher: u16,
    /// Chosen ALPN protocol.
    pub alpn: Option<String>,
    /// `supported_versions` value (0x0304 for TLS 1.3).
    pub supported_version: Option<u16>,
    /// Add `renegotiation_info` (0xff01) first, as many TLS 1.2 servers do.
    pub renegotiation_info: bool,
}

impl Default for ServerHelloSpec {
    fn default() -> Self {
        ServerHelloSpec {
            version: 0x0303,
            cipher: 0xc02f,
            alpn: None,
            supported_version: None,
            renegotiation_info: true,
        }
    }
}

/// The extensions of a ServerHello built from `spec`, in wire order.
pub fn server_hello_extensions(spec: &ServerHelloSpec) -> Vec<(u16, Vec<u8>)> {
    let mut exts = Vec::new();
    if spec.renegotiation_info {
        exts.push((0xff01, vec![0]));
    }
    if let Some(a) = &spec.alpn {
        exts.push((0x0010, vec16(&vec8(a.as_bytes()))));
    }
    if let Some(v) = spec.supported_version {
        exts.push((0x002b, v.to_be_bytes().to_vec()));
    }
    exts
}

/// A ServerHello handshake message (no record header).
pub fn handshake_server_hello(spec: &ServerHelloSpec) -> Vec<u8> {
    let mut body = spec.version.to_be_bytes().to_vec();
    body.extend_from_slice(&[0x33; 32]);
    body.extend_from_slice(&vec8(&[0x22; 32]));
    body.extend_from_slice(&spec.cipher.to_be_bytes());
    body.push(0);
    body.extend_from_slice(&extensions_block(&server_hello_extensions(spec)));
    handshake(2, &body)
}

/// A ServerHello in one record.
pub fn server_hello(spec: &ServerHelloSpec) -> Vec<u8> {
    record(CT_HANDSHAKE, 0x0303, &handshake_server_hello(spec))
}

/// A (TLS 1.2) Certificate handshake message carrying `chain` (DER, leaf
/// first), no record header.
pub fn handshake_certificate(chain: &[&[u8]]) -> Vec<u8> {
    let mut list = Vec::new();
    for der in chain {
        list.extend_from_slice(&u24(der.len()));
        list.extend_from_slice(der);
    }
    let mut body = u24(list.len()).to_vec();
    body.extend_from_slice(&list);
    handshake(11, &body)
}

/// A Certificate message in as many records as needed (16 KiB each).
pub fn certificate(chain: &[&[u8]]) -> Vec<u8> {
    records(CT_HANDSHAKE, 0x0303, &handshake_certificate(chain), 16384)
}

/// A TLS 1.2 CertificateRequest (RSA and ECDSA signing, two signature
/// algorithms, no CA names), no record header.
pub fn handshake_certificate_request() -> Vec<u8> {
    let mut body = vec8(&[1, 64]);
    body.extend_from_slice(&vec16(&u16s(&[0x0401, 0x0403])));
    body.extend_from_slice(&vec16(&[]));
    handshake(13, &body)
}

/// A CertificateRequest in one record.
pub fn certificate_request() -> Vec<u8> {
    record(CT_HANDSHAKE, 0x0303, &handshake_certificate_request())
}

/// A ServerHelloDone in one record.
pub fn server_hello_done() -> Vec<u8> {
    record(CT_HANDSHAKE, 0x0303, &handshake(14, &[]))
}

/// A ChangeCipherSpec record.
pub fn change_cipher_spec() -> Vec<u8> {
    record(CT_CHANGE_CIPHER_SPEC, 0x0303, &[1])
}

/// An application_data record of `len` opaque bytes (0x5a filler).
pub fn application_data(len: usize) -> Vec<u8> {
    record(CT_APPLICATION_DATA, 0x0303, &vec![0x5a; len])
}

/// DNS record types the builders know by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsData {
    /// IPv4 address.
    A(Ipv4Addr),
    /// IPv6 address.
    Aaaa(Ipv6Addr),
    /// Character strings (each at most 255 bytes).
    Txt(Vec<Vec<u8>>),
    /// Canonical name (compressed against earlier names when possible).
    Cname(String),
}

impl DnsData {
    fn rtype(&self) -> u16 {
        match self {
            DnsData::A(_) => 1,
            DnsData::Aaaa(_) => 28,
            DnsData::Txt(_) => 16,
            DnsData::Cname(_) => 5,
        }
    }
}

/// A DNS message writer with name compression (suffixes already written are
/// pointed at).
struct DnsWriter {
    buf: Vec<u8>,
    names: Vec<(String, u16)>,
}

impl DnsWriter {
    fn name(&mut self, name: &str) {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let labels: Vec<&str> = name.split('.').filter(|l| !l.is_empty()).collect();
        for i in 0..labels.len() {
            let suffix = labels[i..].join(".");
            if let Some((_, off)) = self.names.iter().find(|(n, _)| *n == suffix) {
                self.buf.extend_from_slice(&(0xc000 | off).to_be_bytes());
                return;
            }
            if self.buf.len() < 0x3fff {
                self.names.push((suffix, self.buf.len() as u16));
            }
            self.buf.push(labels[i].len() as u8);
            self.buf.extend_from_slice(labels[i].as_bytes());
        }
        self.buf.push(0);
    }
}

/// A standard query for `name`/`qtype` with recursion desired.
pub fn dns_query(id: u16, name: &str, qtype: u16) -> Vec<u8> {
    dns_response_with(id, name, qtype, 0, &[], false)
}

/// A response to `name`/`qtype` with `answers` (owner name, TTL, data),
/// names compressed.
pub fn dns_response(id: u16, name: &str, qtype: u16, answers: &[(&str, u32, DnsData)]) -> Vec<u8> {
    dns_response_with(id, name, qtype, 0, answers, true)
}

/// Like [`dns_response`] with an explicit rcode (3 for NXDOMAIN) and QR bit.
pub fn dns_response_with(
    id: u16,
    name: &str,
    qtype: u16,
    rcode: u8,
    answers: &[(&str, u32, DnsData)],
    is_response: bool,
) -> Vec<u8> {
    let flags: u16 = if is_response {
        0x8180 | rcode as u16 & 0xf
    } else {
        0x0100
    };
    let mut w = DnsWriter {
        buf: Vec::with_capacity(512),
        names: Vec::new(),
    };
    w.buf.extend_from_slice(&id.to_be_bytes());
    w.buf.extend_from_slice(&flags.to_be_bytes());
    for n in [1u16, answers.len() as u16, 0, 0] {
        w.buf.extend_from_slice(&n.to_be_bytes());
    }
    w.name(name);
    w.buf.extend_from_slice(&qtype.to_be_bytes());
    w.buf.extend_from_slice(&1u16.to_be_bytes());
    for (owner, ttl, data) in answers {
        w.name(owner);
        w.buf.extend_from_slice(&data.rtype().to_be_bytes());
        w.buf.extend_from_slice(&1u16.to_be_bytes());
        w.buf.extend_from_slice(&ttl.to_be_bytes());
        let len_at = w.buf.len();
        w.buf.extend_from_slice(&[0, 0]);
        match data {
            DnsData::A(a) => w.buf.extend_from_slice(&a.octets()),
            DnsData::Aaaa(a) => w.buf.extend_from_slice(&a.octets()),
            DnsData::Txt(strings) => {
                for s in strings {
                    let s = &s[..s.len().min(255)];
                    w.buf.push(s.len() as u8);
                    w.buf.extend_from_slice(s);
                }
            }
            DnsData::Cname(c) => w.name(c),
        }
        let rdlen = (w.buf.len() - len_at - 2) as u16;
        w.buf[len_at..len_at + 2].copy_from_slice(&rdlen.to_be_bytes());
    }
    w.buf
}

/// `msg` with the 2-byte length prefix DNS over TCP uses.
pub fn dns_tcp(msg: &[u8]) -> Vec<u8> {
    vec16(msg)
}

/// An HTTP/1.1 request: `method target`, the headers given, and `body`
/// (a `Content-Length` header is added when `body` is not empty).
pub fn http_request(method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    http_message(&format!("{method} {target} HTTP/1.1"), headers, body)
}

/// An HTTP/1.1 response with `status`, the headers given and `body` (with
/// `Content-Length`).
pub fn http_response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut h: Vec<(&str, &str)> = headers.to_vec();
    let len = body.len().to_string();
    h.push(("Content-Length", &len));
    http_message(&format!("HTTP/1.1 {status} X"), &h, body)
}

fn http_message(start: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut v = format!("{start}\r\n").into_bytes();
    for (n, val) in headers {
        v.extend_from_slice(format!("{n}: {val}\r\n").as_bytes());
    }
    if !body.is_empty()
        && !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-length"))
    {
        v.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    v.extend_from_slice(b"\r\n");
    v.extend_from_slice(body);
    v
}
