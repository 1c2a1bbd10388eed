//! Application protocol decoders over reassembled TCP streams and UDP datagrams.
//!
//! A decoder is per flow. The session layer picks one from the first bytes
//! of the flow (`sniff`) and the ports, then feeds it data in order for
//! each direction. A decoder says when it has seen all it needs
//! ([`Interest::Done`]) so the flow table stops buffering that flow.

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
