//! Application protocol decoders over reassembled TCP streams and UDP datagrams.
//!
//! A decoder is per flow. The session layer picks one from the first bytes
//! of the flow (`sniff`) and the ports, then feeds it data in order for
//! each direction. A decoder says when it has seen all it needs
//! ([`Interest::Done`]) so the flow table stops buffering that flow.
//!
//! Anomaly codes the decoders report (stable): `http_header_too_large`,
//! `http_bad_message`, `http_chunk_bad`, `http_body_gap`, `tls_record_too_large`,
//! `tls_bad_record`, `tls_handshake_too_large`, `tls_malformed_handshake`,
//! `tls_sslv2_hello`, `cert_malformed`, `dns_malformed` (with the
//! [`dns::DnsError`] reason: `dns_compression_loop`, ...), `dns_tcp_too_short`,
//! `smtp_line_too_long`.

pub mod cert;
pub mod dns;
pub mod http;
pub mod smtp;
pub mod tls;

use crate::model::{Direction, FlowKey, Micros, RecordSink};

/// Where the data being fed comes from: the current packet.
#[derive(Debug, Clone, Copy)]
pub struct Ctx {
    /// The flow (client/server oriented).
    pub flow: FlowKey,
    /// Time of the packet that carried (the end of) this data.
    pub ts: Micros,
    /// Frame number (1-based) of that packet.
    pub frame: u64,
}

/// Whether a decoder wants more data of this flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interest {
    /// Keep feeding.
    More,
    /// Stop: nothing more to decode (bulk data, encrypted records, or a
    /// protocol error). The flow is still counted.
    Done,
}

/// A per-flow decoder of one application protocol on a byte stream.
pub trait StreamDecoder {
    /// In-order stream bytes in one direction. `data` may be any split of the
    /// stream (one byte, many messages).
    fn data(
        &mut self,
        dir: Direction,
        data: &[u8],
        ctx: &Ctx,
        out: &mut dyn RecordSink,
    ) -> Interest;
    /// `len` bytes are missing in `dir` (capture loss). Decoders resync or
    /// give up.
    fn gap(&mut self, dir: Direction, len: u64, ctx: &Ctx, out: &mut dyn RecordSink) -> Interest;
    /// The flow ended (FIN/RST, eviction, end of capture): emit what is pending.
    fn end(&mut self, ctx: &Ctx, out: &mut dyn RecordSink);
}

/// Application protocols the decoders know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppProto {
    /// HTTP/1.x.
    Http,
    /// TLS (any version, incl. SSL 3).
    Tls,
    /// SMTP (may turn out to be TLS without SMTP).
    Smtp,
    /// DNS over TCP (length-prefixed).
    Dns,
}

impl AppProto {
    /// Lowercase name used in records (`http`, `tls`, `smtp`, `dns`).
    pub fn name(self) -> &'static str {
        match self {
            AppProto::Http => "http",
            AppProto::Tls => "tls",
            AppProto::Smtp => "smtp",
            AppProto::Dns => "dns",
        }
    }
}

/// HTTP request methods recognised at the start of a client stream.
const HTTP_METHODS: &[&[u8]] = &[
    b"GET ",
    b"POST ",
    b"HEAD ",
    b"PUT ",
    b"DELETE ",
    b"OPTIONS ",
    b"CONNECT ",
    b"TRACE ",
    b"PATCH ",
    b"PROPFIND ",
    b"PROPPATCH ",
    b"MKCOL ",
    b"COPY ",
    b"MOVE ",
    b"LOCK ",
    b"UNLOCK ",
    b"SEARCH ",
    b"REPORT ",
];

/// Whether `b` starts a TLS record: handshake (0x16) with version 3.0 to 3.4.
pub fn is_tls_record_start(b: &[u8]) -> bool {
    b.len() >= 3 && b[0] == 0x16 && b[1] == 0x03 && b[2] <= 0x04
}

/// Picks a decoder for a TCP flow from the first bytes seen in `dir`.
///
/// Content decides first: a TLS handshake record header, an HTTP method
/// (client) or `HTTP/1.` (server), `220 ` from the server or `EHLO`/`HELO`
/// from the client. The port only breaks ties: on 25, 587, 465 and 2525 a
/// server that speaks first (any `2xx`/`4xx`/`5xx` line) is SMTP, and
/// anything on 53 is DNS over TCP. A TLS record on an SMTP port gives
/// [`AppProto::Smtp`] so the record can say `tls_without_smtp`.
pub fn sniff(first_bytes: &[u8], dir: Direction, server_port: u16) -> Option<AppProto> {
    let b = first_bytes;
    let smtp_port = matches!(server_port, 25 | 587 | 465 | 2525);
    if is_tls_record_start(b) {
        return Some(if smtp_port {
            AppProto::Smtp
        } else {
            AppProto::Tls
        });
    }
    let starts_ci = |p: &[u8]| b.len() >= p.len() && b[..p.len()].eq_ignore_ascii_case(p);
    match dir {
        Direction::ToServer => {
            if HTTP_METHODS.iter().any(|m| b.starts_with(m)) {
                return Some(AppProto::Http);
            }
            if starts_ci(b"EHLO ") || starts_ci(b"HELO ") {
                return Some(AppProto::Smtp);
            }
        }
        Direction::ToClient => {
            if b.starts_with(b"HTTP/1.") {
                return Some(AppProto::Http);
            }
            if b.starts_with(b"220 ") || b.starts_with(b"220-") {
                return Some(AppProto::Smtp);
            }
            if smtp_port
                && b.len() >= 4
                && matches!(b[0], b'2' | b'4' | b'5')
                && b[1..3].iter().all(u8::is_ascii_digit)
                && matches!(b[3], b' ' | b'-')
            {
                return Some(AppProto::Smtp);
            }
        }
    }
    if server_port == 53 && b.len() >= 2 {
        return Some(AppProto::Dns);
    }
    None
}

/// A fresh decoder for `p`.
pub fn new_decoder(p: AppProto) -> Box<dyn StreamDecoder + Send> {
    match p {
        AppProto::Http => Box::new(http::HttpDecoder::new()),
        AppProto::Tls => Box::new(tls::TlsDecoder::new()),
        AppProto::Smtp => Box::new(smtp::SmtpDecoder::new()),
        AppProto::Dns => Box::new(dns::DnsTcpDecoder::new()),
    }
}

/// Builds a record's [`Meta`] from the packet that started it.
pub(crate) fn meta_from(ctx: &Ctx) -> crate::model::Meta {
    let mut evidence = crate::model::Evidence::default();
    evidence.add_frame(ctx.frame);
    crate::model::Meta {
        flow: ctx.flow,
        ts: ctx.ts,
        evidence,
    }
}

/// Reports an anomaly located at `ctx`'s packet.
pub(crate) fn anomaly(out: &mut dyn RecordSink, ctx: &Ctx, code: &'static str, detail: String) {
    out.anomaly(crate::model::Anomaly {
        frame: Some(ctx.frame),
        flow: Some(ctx.flow),
        code,
        detail,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff_by_content_then_port() {
        use Direction::*;
        assert_eq!(
            sniff(b"\x16\x03\x01\x00\x10", ToServer, 8443),
            Some(AppProto::Tls)
        );
        assert_eq!(
            sniff(b"\x16\x03\x01\x00\x10", ToServer, 25),
            Some(AppProto::Smtp)
        );
        assert_eq!(sniff(b"\x16\x03\x05", ToServer, 443), None);
        assert_eq!(
            sniff(b"GET / HTTP/1.1\r\n", ToServer, 4444),
            Some(AppProto::Http)
        );
        assert_eq!(
            sniff(b"HTTP/1.1 200 OK\r\n", ToClient, 8080),
            Some(AppProto::Http)
        );
        assert_eq!(
            sniff(b"220 mx ESMTP\r\n", ToClient, 10025),
            Some(AppProto::Smtp)
        );
        assert_eq!(sniff(b"ehlo me\r\n", ToServer, 10025), Some(AppProto::Smtp));
        assert_eq!(
            sniff(b"554 go away\r\n", ToClient, 587),
            Some(AppProto::Smtp)
        );
        assert_eq!(sniff(b"554 go away\r\n", ToClient, 8080), None);
        assert_eq!(
            sniff(b"\x00\x1d\x12\x34", ToServer, 53),
            Some(AppProto::Dns)
        );
        assert_eq!(sniff(b"\x00\x1d\x12\x34", ToServer, 5353), None);
        assert_eq!(sniff(b"GETX", ToServer, 80), None);
    }
}
