//! TLS handshakes: one [`TlsRecord`] per flow with the hello parameters,
//! JA3/JA3S/JA4/JA4S fingerprints and the certificates sent in the clear.
//!
//! Records are buffered per direction up to [`MAX_RECORD_LEN`]; handshake
//! messages are reassembled across records up to [`MAX_HANDSHAKE_LEN`]
//! ([`MAX_CERTIFICATE_LEN`] for Certificate messages). Handshake messages
//! are decoded with `tls-parser`; hello extensions are walked here so that
//! one odd extension does not hide the others. An SSLv2-compatible
//! ClientHello is read for its version and ciphers. Once both directions
//! have switched to encrypted records (ChangeCipherSpec or application
//! data), the record is emitted and the decoder is done.

use super::{Ctx, Interest, StreamDecoder, anomaly, cert};
use crate::fingerprint::{self, ClientHelloInfo, ServerHelloInfo};
use crate::model::{Direction, Evidence, Meta, NetRecord, RecordSink, TlsRecord};
use tls_parser::{TlsMessage, TlsMessageHandshake, parse_tls_message_handshake};

/// Largest record body accepted: 2^14 plus the 2048 bytes of expansion TLS
/// allows for ciphertext. A header claiming more is `tls_record_too_large`.
pub const MAX_RECORD_LEN: usize = (1 << 14) + 2048;
/// Largest handshake message reassembled (other than Certificate).
pub const MAX_HANDSHAKE_LEN: usize = 64 * 1024;
/// Largest Certificate message reassembled.
pub const MAX_CERTIFICATE_LEN: usize = 256 * 1024;
/// Most certificates kept from one Certificate message.
pub const MAX_CHAIN: usize = 16;
/// Most ALPN values kept from a ClientHello.
pub const MAX_ALPN: usize = 32;

const CT_CCS: u8 = 20;
const CT_ALERT: u8 = 21;
const CT_HANDSHAKE: u8 = 22;
const CT_APPDATA: u8 = 23;
const CT_HEARTBEAT: u8 = 24;

#[derive(Default)]
struct Side {
    /// Partial record: header and body bytes received so far.
    rec: Vec<u8>,
    /// Partial handshake message(s) carried over between records.
    hs: Vec<u8>,
    /// ChangeCipherSpec or application data seen: the rest is opaque.
    encrypted: bool,
    /// Stopped decoding this direction (error or gap).
    stopped: bool,
    /// Any byte seen (for the SSLv2 check on the first record).
    started: bool,
}

/// Per-flow TLS decoder. Also used by the SMTP decoder after STARTTLS.
#[derive(Default)]
pub struct TlsDecoder {
    sides: [Side; 2],
    meta: Option<Meta>,
    client: Option<ClientHelloInfo>,
    server: Option<ServerHelloInfo>,
    sni: Option<String>,
    server_certs: Vec<crate::model::CertInfo>,
    client_certs: Vec<crate::model::CertInfo>,
    client_cert_requested: bool,
    emitted: bool,
    done: bool,
    /// Collecting an SSLv2-compatible ClientHello.
    sslv2: bool,
}

fn side(dir: Direction) -> usize {
    match dir {
        Direction::ToServer => 0,
        Direction::ToClient => 1,
    }
}

/// `TLSv1.2`-style name of a protocol version number.
pub fn version_name(v: u16) -> String {
    match v {
        0x0002 => "SSLv2".into(),
        0x0300 => "SSLv3".into(),
        0x0301 => "TLSv1.0".into(),
        0x0302 => "TLSv1.1".into(),
        0x0303 => "TLSv1.2".into(),
        0x0304 => "TLSv1.3".into(),
        v => format!("0x{v:04x}"),
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }
    fn vec8(&mut self) -> Option<&'a [u8]> {
        let n = self.u8()? as usize;
        self.take(n)
    }
    fn vec16(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()? as usize;
        self.take(n)
    }
}

fn u16_list(b: &[u8]) -> Vec<u16> {
    b.chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect()
}

/// Walks `(type, data)` extensions in wire order; stops at the first
/// malformed one (what came before is kept).
fn walk_extensions(block: &[u8], mut f: impl FnMut(u16, &[u8])) {
    let mut r = Reader(block);
    while let (Some(t), Some(d)) = (r.u16(), r.vec16()) {
        f(t, d);
    }
}

impl TlsDecoder {
    /// A decoder for a new flow.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the decoder has seen a ClientHello or ServerHello.
    pub fn hello_seen(&self) -> bool {
        self.client.is_some() || self.server.is_some()
    }

    fn client_hello(&mut self, ch: &tls_parser::TlsClientHelloContents<'_>) {
        if self.client.is_some() {
            return; // a second hello (after HelloRetryRequest) changes nothing we report
        }
        let mut info = ClientHelloInfo {
            version: ch.version.0,
            ciphers: ch.ciphers.iter().map(|c| c.0).collect(),
            ..Default::default()
        };
        let mut sni = None;
        walk_extensions(ch.ext.unwrap_or(&[]), |t, d| {
            info.extensions.push(t);
            let mut r = Reader(d);
            match t {
                0x0000 => {
                    info.has_sni = true;
                    let mut list = Reader(r.vec16().unwrap_or(&[]));
                    while let (Some(kind), Some(name)) = (list.u8(), list.vec16()) {
                        if kind == 0 && sni.is_none() {
                            sni = Some(String::from_utf8_lossy(name).to_ascii_lowercase());
                        }
                    }
                }
                0x000a => info.groups = u16_list(r.vec16().unwrap_or(&[])),
                0x000b => info.ec_point_formats = r.vec8().unwrap_or(&[]).to_vec(),
                0x000d => info.sig_algs = u16_list(r.vec16().unwrap_or(&[])),
                0x0010 => {
                    let mut list = Reader(r.vec16().unwrap_or(&[]));
                    while let Some(p) = list.vec8() {
                        if info.alpn.len() < MAX_ALPN {
                            info.alpn.push(p.to_vec());
                        }
                    }
                }
                0x002b => info.supported_versions = u16_list(r.vec8().unwrap_or(&[])),
                _ => {}
            }
        });
        self.sni = sni;
        self.client = Some(info);
    }

    fn server_hello(&mut self, version: u16, cipher: u16, ext: Option<&[u8]>) {
        if self.server.is_some() {
            return;
        }
        let mut info = ServerHelloInfo {
            version,
            cipher,
            ..Default::default()
        };
        walk_extensions(ext.unwrap_or(&[]), |t, d| {
            info.extensions.push(t);
            let mut r = Reader(d);
            match t {
                0x0010 => info.alpn = Reader(r.vec16().unwrap_or(&[])).vec8().map(<[u8]>::to_vec),
                0x002b => info.supported_version = r.u16(),
                _ => {}
            }
        });
        self.server = Some(info);
    }

    /// One complete handshake message (header included).
    fn handshake_message(
        &mut self,
        dir: Direction,
        msg: &[u8],
        ctx: &Ctx,
        out: &mut dyn RecordSink,
    ) {
        if msg[0] == 13 {
            self.client_cert_requested = true;
            return;
        }
        if !matches!(msg[0], 1 | 2 | 11) {
            return; // key exchange, done, finished...: nothing we report
        }
        match parse_tls_message_handshake(msg) {
            Ok((_, TlsMessage::Handshake(hs))) => match hs {
                TlsMessageHandshake::ClientHello(ch) if dir == Direction::ToServer => {
                    self.client_hello(&ch)
                }
                TlsMessageHandshake::ServerHello(sh) if dir == Direction::ToClient => {
                    self.server_hello(sh.version.0, sh.cipher.0, sh.ext)
                }
                TlsMessageHandshake::Certificate(c) => {
                    let certs = match dir {
                        Direction::ToClient => &mut self.server_certs,
                        Direction::ToServer => &mut self.client_certs,
                    };
                    if certs.is_empty() {
                        for raw in c.cert_chain.iter().take(MAX_CHAIN) {
                            let info = cert::parse(raw.data);
                            if let Some(e) = &info.error {
                                anomaly(out, ctx, "cert_malformed", e.clone());
                            }
                            certs.push(info);
                        }
                    }
                }
                _ => {}
            },
            Ok(_) => {}
            Err(e) => anomaly(
                out,
                ctx,
                "tls_malformed_handshake",
                format!("handshake type {} of {} bytes: {e:?}", msg[0], msg.len()),
            ),
        }
    }

    /// Handshake record body: reassemble messages and decode the complete ones.
    fn handshake_bytes(
        &mut self,
        dir: Direction,
        body: &[u8],
        ctx: &Ctx,
        out: &mut dyn RecordSink,
    ) {
        let s = side(dir);
        let mut buf = std::mem::take(&mut self.sides[s].hs);
        let data: &[u8] = if buf.is_empty() {
            body
        } else {
            buf.extend_from_slice(body);
            &buf
        };
        let mut pos = 0;
        let mut failed = false;
        while data.len() - pos >= 4 {
            let len = u32::from_be_bytes([0, data[pos + 1], data[pos + 2], data[pos + 3]]) as usize;
            let limit = if data[pos] == 11 {
                MAX_CERTIFICATE_LEN
            } else {
                MAX_HANDSHAKE_LEN
            };
            if len > limit {
                anomaly(
                    out,
                    ctx,
                    "tls_handshake_too_large",
                    format!(
                        "handshake type {} claims {len} bytes (limit {limit})",
                        data[pos]
                    ),
                );
                failed = true;
                break;
            }
            if data.len() - pos < 4 + len {
                break;
            }
            self.handshake_message(dir, &data[pos..pos + 4 + len], ctx, out);
            pos += 4 + len;
        }
        let rest = &data[pos..];
        let mut keep = Vec::new();
        if !failed && !rest.is_empty() {
            if buf.is_empty() {
                keep.reserve(rest.len().max(4096));
                keep.extend_from_slice(rest);
            } else {
                buf.drain(..pos);
                keep = buf;
            }
        }
        let side = &mut self.sides[s];
        side.hs = keep;
        side.stopped |= failed;
    }

    fn tls_record(
        &mut self,
        dir: Direction,
        ct: u8,
        body: &[u8],
        ctx: &Ctx,
        out: &mut dyn RecordSink,
    ) {
        let s = side(dir);
        match ct {
            CT_CCS | CT_APPDATA => self.sides[s].encrypted = true,
            CT_HANDSHAKE if !self.sides[s].encrypted => self.handshake_bytes(dir, body, ctx, out),
            _ => {}
        }
    }

    /// SSLv2-compatible ClientHello (RFC 5246 appendix E.2): version and the
    /// cipher specs that map to TLS cipher suites. Returns bytes consumed.
    fn sslv2_hello(&mut self, data: &[u8]) -> Option<usize> {
        let len = (u16::from_be_bytes([data[0] & 0x7f, *data.get(1)?]) as usize) + 2;
        let msg = data.get(2..len)?;
        let mut r = Reader(msg);
        let _kind = r.u8()?;
        let version = r.u16()?;
        let (cs_len, sid_len, ch_len) = (r.u16()? as usize, r.u16()? as usize, r.u16()? as usize);
        let specs = r.take(cs_len)?;
        r.take(sid_len)?;
        r.take(ch_len)?;
        let ciphers = specs
            .chunks_exact(3)
            .filter(|c| c[0] == 0)
            .map(|c| u16::from_be_bytes([c[1], c[2]]))
            .collect();
        if self.client.is_none() {
            self.client = Some(ClientHelloInfo {
                version,
                ciphers,
                ..Default::default()
            });
        }
        Some(len)
    }

    fn feed(&mut self, dir: Direction, mut data: &[u8], ctx: &Ctx, out: &mut dyn RecordSink) {
        let s = side(dir);
        if !self.sides[s].started && !data.is_empty() {
            self.sides[s].started = true;
        }
        while !data.is_empty() && !self.sides[s].stopped {
            let mut rec = std::mem::take(&mut self.sides[s].rec);
            if rec.len() < 5 {
                let n = (5 - rec.len()).min(data.len());
                if rec.capacity() == 0 {
                    rec.reserve(5 + 4096);
                }
                rec.extend_from_slice(&data[..n]);
                data = &data[n..];
                if rec.len() < 5 {
                    self.sides[s].rec = rec;
                    return;
                }
            }
            let (ct, major) = (rec[0], rec[1]);
            let len = u16::from_be_bytes([rec[3], rec[4]]) as usize;
            if !(CT_CCS..=CT_HEARTBEAT).contains(&ct) || major != 3 {
                anomaly(
                    out,
                    ctx,
                    "tls_bad_record",
                    format!("record header {:02x?}", &rec[..5]),
                );
                self.sides[s].stopped = true;
                return;
            }
            if len > MAX_RECORD_LEN {
                anomaly(
                    out,
                    ctx,
                    "tls_record_too_large",
                    format!("record claims {len} bytes (limit {MAX_RECORD_LEN})"),
                );
                self.sides[s].stopped = true;
                return;
            }
            let have = rec.len() - 5;
            if have == 0 && data.len() >= len {
                // Whole record in this chunk: decode it in place.
                let (body, rest) = data.split_at(len);
                data = rest;
                self.tls_record(dir, ct, body, ctx, out);
                rec.clear();
            } else {
                let n = (len - have).min(data.len());
                rec.extend_from_slice(&data[..n]);
                data = &data[n..];
                if rec.len() == 5 + len {
                    self.tls_record(dir, ct, &rec[5..], ctx, out);
                    rec.clear();
                }
            }
            if ct == CT_ALERT && self.client.is_none() && self.server.is_none() {
                // An alert before any hello: not worth following further.
                self.sides[s].stopped = true;
            }
            self.sides[s].rec = rec;
        }
    }

    fn emit(&mut self, out: &mut dyn RecordSink) {
        if self.emitted || !self.hello_seen() {
            return;
        }
        self.emitted = true;
        let Some(meta) = self.meta.take() else { return };
        let mut rec = TlsRecord {
            meta,
            version: None,
            sni: self.sni.take(),
            alpn: Vec::new(),
            ja3: None,
            ja3_hash: None,
            ja3s_hash: None,
            ja4: None,
            ja4s: None,
            server_certs: std::mem::take(&mut self.server_certs),
            client_certs: std::mem::take(&mut self.client_certs),
            client_cert_requested: self.client_cert_requested,
            server_hello_seen: self.server.is_some(),
        };
        if let Some(ch) = &self.client {
            let (s, h) = fingerprint::ja3(ch);
            rec.ja3 = Some(s);
            rec.ja3_hash = Some(h);
            rec.ja4 = Some(fingerprint::ja4(ch));
            rec.alpn = ch
                .alpn
                .iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            let offered = ch
                .supported_versions
                .iter()
                .copied()
                .filter(|v| !fingerprint::is_grease(*v))
                .max()
                .unwrap_or(ch.version);
            rec.version = Some(version_name(offered));
        }
        if let Some(sh) = &self.server {
            rec.ja3s_hash = Some(fingerprint::ja3s(sh).1);
            rec.ja4s = Some(fingerprint::ja4s(sh));
            rec.version = Some(version_name(sh.supported_version.unwrap_or(sh.version)));
        }
        out.record(NetRecord::Tls(Box::new(rec)));
    }
}

impl StreamDecoder for TlsDecoder {
    fn data(
        &mut self,
        dir: Direction,
        data: &[u8],
        ctx: &Ctx,
        out: &mut dyn RecordSink,
    ) -> Interest {
        if self.done {
            return Interest::Done;
        }
        let meta = self.meta.get_or_insert_with(|| Meta {
            flow: ctx.flow,
            ts: ctx.ts,
            evidence: Evidence::default(),
        });
        if !data.is_empty() {
            meta.evidence.add_frame(ctx.frame);
        }
        let s = side(dir);
        let mut data = data;
        let v2_start = !self.sides[s].started && data.first().is_some_and(|b| b & 0x80 != 0);
        if dir == Direction::ToServer && (self.sslv2 || v2_start) {
            // SSLv2-compatible ClientHello: collect its 2-byte-length message.
            self.sslv2 = true;
            self.sides[s].started = true;
            let mut buf = std::mem::take(&mut self.sides[s].rec);
            let need = |b: &[u8]| match b {
                [a, b, ..] => (u16::from_be_bytes([a & 0x7f, *b]) as usize) + 2,
                _ => 2,
            };
            while buf.len() < need(&buf) && !data.is_empty() {
                let n = (need(&buf) - buf.len()).min(data.len());
                buf.extend_from_slice(&data[..n]);
                data = &data[n..];
            }
            if buf.len() < need(&buf) {
                self.sides[s].rec = buf;
                return Interest::More;
            }
            self.sslv2 = false;
            if self.sslv2_hello(&buf).is_none() {
                anomaly(
                    out,
                    ctx,
                    "tls_sslv2_hello",
                    "unreadable SSLv2 ClientHello".into(),
                );
                self.sides[s].stopped = true;
            }
        }
        self.feed(dir, data, ctx, out);
        let [c, sv] = &self.sides;
        let finished = |x: &Side| x.encrypted || x.stopped;
        if (finished(c) && finished(sv)) || (c.stopped && !self.hello_seen()) {
            self.emit(out);
            self.done = true;
            return Interest::Done;
        }
        Interest::More
    }

    fn gap(&mut self, dir: Direction, _len: u64, _ctx: &Ctx, out: &mut dyn RecordSink) -> Interest {
        let s = side(dir);
        self.sides[s].stopped = true;
        self.sides[s].rec = Vec::new();
        self.sides[s].hs = Vec::new();
        if self.sides.iter().all(|x| x.encrypted || x.stopped) {
            self.emit(out);
            self.done = true;
            return Interest::Done;
        }
        Interest::More
    }

    fn end(&mut self, _ctx: &Ctx, out: &mut dyn RecordSink) {
        self.emit(out);
        self.done = true;
    }
}
