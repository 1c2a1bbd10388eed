//! DNS messages (RFC 1035) from UDP datagrams ([`parse_message`]) and from
//! TCP streams with the 2-byte length prefix ([`DnsTcpDecoder`]).
//!
//! The parser is written here rather than taken from a crate such as
//! `hickory-proto` because what this crate needs is small (the question and
//! the answers, as text) and because the input is hostile: every limit is
//! explicit and checked before anything is allocated. Compression pointers
//! must point strictly before the run of labels they appear in (so a name
//! cannot loop, and at most [`MAX_JUMPS`] are followed), names are at most
//! 255 bytes on the wire and labels 63, sections at most [`MAX_RECORDS`]
//! records, and a message is never read past its end. A general-purpose
//! DNS library also models EDNS, DNSSEC and every record type with owned
//! values, which is more code and more allocation per message than a
//! hunting summary needs; its tolerance choices (what it accepts or
//! repairs) are its own, where ours are written down above and tested.
//!
//! Names are lowercase without the trailing dot; bytes outside printable
//! ASCII, `.` and `\` inside a label are written `\xNN`.

use super::{Ctx, Interest, StreamDecoder, anomaly, meta_from};
use crate::model::{Direction, DnsAnswer, DnsRecord, NetRecord, RecordSink};
use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Most compression pointers followed in one name.
pub const MAX_JUMPS: usize = 128;
/// Longest name on the wire (labels and their length bytes).
pub const MAX_NAME: usize = 255;
/// Most records in one section.
pub const MAX_RECORDS: usize = 256;
/// Most messages decoded from one TCP flow (then the decoder is done).
pub const MAX_TCP_MESSAGES: usize = 1024;

/// Why a DNS message could not be read. Offsets are from the start of the
/// message (after the TCP length prefix).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DnsError {
    /// The message ends before the field.
    #[error("offset {offset}: message truncated reading {what}")]
    Truncated {
        /// Where the missing field starts.
        offset: usize,
        /// Which field.
        what: &'static str,
    },
    /// A compression pointer that does not point before its label run.
    #[error("offset {offset}: compression pointer to {target} loops")]
    CompressionLoop {
        /// Offset of the pointer.
        offset: usize,
        /// Where it points.
        target: usize,
    },
    /// More than [`MAX_JUMPS`] pointers in a name.
    #[error("offset {offset}: more than {MAX_JUMPS} compression pointers")]
    TooManyJumps {
        /// Offset of the last pointer.
        offset: usize,
    },
    /// A name longer than [`MAX_NAME`] bytes.
    #[error("offset {offset}: name longer than {MAX_NAME} bytes")]
    NameTooLong {
        /// Offset of the name.
        offset: usize,
    },
    /// A label with the reserved 0x40/0x80 type bits.
    #[error("offset {offset}: unsupported label type 0x{kind:02x}")]
    BadLabel {
        /// Offset of the label.
        offset: usize,
        /// The length byte.
        kind: u8,
    },
    /// A section count above [`MAX_RECORDS`].
    #[error(
        "offset {offset}: {count} records claimed in the {section} section (limit {MAX_RECORDS})"
    )]
    TooManyRecords {
        /// Offset of the count in the header.
        offset: usize,
        /// `question` or `answer`.
        section: &'static str,
        /// The count claimed.
        count: u16,
    },
}

impl DnsError {
    /// Stable anomaly code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            DnsError::Truncated { .. } => "dns_truncated",
            DnsError::CompressionLoop { .. } | DnsError::TooManyJumps { .. } => {
                "dns_compression_loop"
            }
            DnsError::NameTooLong { .. } => "dns_name_too_long",
            DnsError::BadLabel { .. } => "dns_bad_label",
            DnsError::TooManyRecords { .. } => "dns_too_many_records",
        }
    }
}

fn be16(msg: &[u8], at: usize, what: &'static str) -> Result<u16, DnsError> {
    msg.get(at..at + 2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .ok_or(DnsError::Truncated { offset: at, what })
}

/// Reads the name at `start`; returns it and the offset just past it (in
/// the original position, not where pointers led).
fn read_name(msg: &[u8], start: usize) -> Result<(String, usize), DnsError> {
    let mut name = String::new();
    let mut pos = start;
    let mut run_start = start;
    let mut end = None;
    let mut jumps = 0;
    let mut wire_len = 1;
    loop {
        let len = *msg.get(pos).ok_or(DnsError::Truncated {
            offset: pos,
            what: "name",
        })?;
        match len & 0xc0 {
            0x00 => {
                if len == 0 {
                    return Ok((name, end.unwrap_or(pos + 1)));
                }
                let label =
                    msg.get(pos + 1..pos + 1 + len as usize)
                        .ok_or(DnsError::Truncated {
                            offset: pos,
                            what: "label",
                        })?;
                wire_len += 1 + len as usize;
                if wire_len > MAX_NAME {
                    return Err(DnsError::NameTooLong { offset: start });
                }
                if !name.is_empty() {
                    name.push('.');
                }
                for &b in label {
                    match b {
                        b'.' | b'\\' => {
                            let _ = write!(name, "\\x{b:02x}");
                        }
                        0x21..=0x7e => name.push(b.to_ascii_lowercase() as char),
                        _ => {
                            let _ = write!(name, "\\x{b:02x}");
                        }
                    }
                }
                pos += 1 + len as usize;
            }
            0xc0 => {
                let target = (be16(msg, pos, "compression pointer")? & 0x3fff) as usize;
                if target >= run_start {
                    return Err(DnsError::CompressionLoop {
                        offset: pos,
                        target,
                    });
                }
                jumps += 1;
                if jumps > MAX_JUMPS {
                    return Err(DnsError::TooManyJumps { offset: pos });
                }
                end.get_or_insert(pos + 2);
                pos = target;
                run_start = target;
            }
            _ => {
                return Err(DnsError::BadLabel {
                    offset: pos,
                    kind: len,
                });
            }
        }
    }
}

fn escape_txt(out: &mut String, s: &[u8]) {
    for &b in s {
        if (0x20..=0x7e).contains(&b) && b != b'\\' {
            out.push(b as char);
        } else {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
}

/// RDATA as text (see [`DnsAnswer::data`]).
fn rdata_text(msg: &[u8], rtype: u16, at: usize, rdata: &[u8]) -> Result<String, DnsError> {
    Ok(match (rtype, rdata.len()) {
        (1, 4) => Ipv4Addr::new(rdata[0], rdata[1], rdata[2], rdata[3]).to_string(),
        (28, 16) => {
            let mut a = [0u8; 16];
            a.copy_from_slice(rdata);
            Ipv6Addr::from(a).to_string()
        }
        (2 | 5 | 12, _) => read_name(msg, at)?.0,
        (15, 3..) => read_name(msg, at + 2)?.0,
        (16, _) => {
            let mut out = String::with_capacity(rdata.len());
            let mut i = 0;
            while i < rdata.len() {
                let n = rdata[i] as usize;
                let s = rdata.get(i + 1..i + 1 + n).ok_or(DnsError::Truncated {
                    offset: at + i,
                    what: "TXT string",
                })?;
                escape_txt(&mut out, s);
                i += 1 + n;
            }
            out
        }
        (6, _) => {
            let (mname, p) = read_name(msg, at)?;
            let (rname, p) = read_name(msg, p)?;
            let nums = msg
                .get(p..p + 20)
                .filter(|_| p + 20 <= at + rdata.len())
                .ok_or(DnsError::Truncated {
                    offset: p,
                    what: "SOA numbers",
                })?;
            let n = |i: usize| u32::from_be_bytes([nums[i], nums[i + 1], nums[i + 2], nums[i + 3]]);
            format!(
                "{mname} {rname} {} {} {} {} {}",
                n(0),
                n(4),
                n(8),
                n(12),
                n(16)
            )
        }
        (33, 7..) => {
            let n = |i: usize| u16::from_be_bytes([rdata[i], rdata[i + 1]]);
            format!("{} {} {} {}", n(0), n(2), n(4), read_name(msg, at + 6)?.0)
        }
        _ => hex::encode(rdata),
    })
}

/// Parses one DNS message: header, first question, answers. `ctx` gives the
/// record's flow, time and frame.
pub fn parse_message(msg: &[u8], ctx: &Ctx) -> Result<DnsRecord, DnsError> {
    if msg.len() < 12 {
        return Err(DnsError::Truncated {
            offset: msg.len(),
            what: "header",
        });
    }
    let id = be16(msg, 0, "id")?;
    let flags = be16(msg, 2, "flags")?;
    let qd = be16(msg, 4, "qdcount")?;
    let an = be16(msg, 6, "ancount")?;
    for (offset, section, count) in [(4, "question", qd), (6, "answer", an)] {
        if count as usize > MAX_RECORDS {
            return Err(DnsError::TooManyRecords {
                offset,
                section,
                count,
            });
        }
    }
    let mut rec = DnsRecord {
        meta: meta_from(ctx),
        id,
        is_response: flags & 0x8000 != 0,
        query: String::new(),
        qtype: 0,
        rcode: (flags & 0x000f) as u8,
        answers: Vec::with_capacity(an as usize),
    };
    let mut pos = 12;
    for i in 0..qd {
        let (name, p) = read_name(msg, pos)?;
        let qtype = be16(msg, p, "question type")?;
        be16(msg, p + 2, "question class")?;
        if i == 0 {
            rec.query = name;
            rec.qtype = qtype;
        }
        pos = p + 4;
    }
    for _ in 0..an {
        let (name, p) = read_name(msg, pos)?;
        let rtype = be16(msg, p, "record type")?;
        let ttl_hi = be16(msg, p + 4, "ttl")?;
        let ttl_lo = be16(msg, p + 6, "ttl")?;
        let rdlen = be16(msg, p + 8, "rdlength")? as usize;
        let at = p + 10;
        let rdata = msg.get(at..at + rdlen).ok_or(DnsError::Truncated {
            offset: at,
            what: "rdata",
        })?;
        let data = rdata_text(msg, rtype, at, rdata)?;
        rec.answers.push(DnsAnswer {
            name,
            rtype,
            ttl: (ttl_hi as u32) << 16 | ttl_lo as u32,
            data,
        });
        pos = at + rdlen;
    }
    Ok(rec)
}

#[derive(Default)]
struct TcpSide {
    buf: Vec<u8>,
    start: Option<Ctx>,
}

/// DNS over TCP: 2-byte length-prefixed messages, pipelined in both
/// directions; one [`DnsRecord`] per message. Errors in one message are
/// reported (`dns_*` anomaly codes) and the next message is read.
#[derive(Default)]
pub struct DnsTcpDecoder {
    sides: [TcpSide; 2],
    messages: usize,
    done: bool,
}

impl DnsTcpDecoder {
    /// A decoder for a new flow.
    pub fn new() -> Self {
        Self::default()
    }

    fn message(&mut self, msg: &[u8], start: &Ctx, ctx: &Ctx, out: &mut dyn RecordSink) {
        self.messages += 1;
        match parse_message(msg, start) {
            Ok(mut rec) => {
                rec.meta.evidence.add_frame(ctx.frame);
                out.record(NetRecord::Dns(rec));
            }
            Err(e) => anomaly(out, ctx, e.code(), e.to_string()),
        }
    }
}

impl StreamDecoder for DnsTcpDecoder {
    fn data(
        &mut self,
        dir: Direction,
        mut data: &[u8],
        ctx: &Ctx,
        out: &mut dyn RecordSink,
    ) -> Interest {
        let s = match dir {
            Direction::ToServer => 0,
            Direction::ToClient => 1,
        };
        while !data.is_empty() && !self.done {
            let mut buf = std::mem::take(&mut self.sides[s].buf);
            if buf.is_empty() {
                self.sides[s].start = Some(*ctx);
                // Fast path: whole messages in this chunk need no copy.
                if data.len() >= 2 {
                    let len = u16::from_be_bytes([data[0], data[1]]) as usize;
                    if data.len() >= 2 + len {
                        self.message(&data[2..2 + len], ctx, ctx, out);
                        data = &data[2 + len..];
                        self.done = self.messages >= MAX_TCP_MESSAGES;
                        self.sides[s].buf = buf;
                        continue;
                    }
                }
            }
            if buf.len() < 2 {
                let n = (2 - buf.len()).min(data.len());
                buf.extend_from_slice(&data[..n]);
                data = &data[n..];
            }
            if buf.len() >= 2 {
                let len = u16::from_be_bytes([buf[0], buf[1]]) as usize;
                let n = (2 + len - buf.len()).min(data.len());
                buf.extend_from_slice(&data[..n]);
                data = &data[n..];
                if buf.len() == 2 + len {
                    let start = self.sides[s].start.unwrap_or(*ctx);
                    self.message(&buf[2..], &start, ctx, out);
                    buf.clear();
                    self.done = self.messages >= MAX_TCP_MESSAGES;
                }
            }
            self.sides[s].buf = buf;
        }
        if self.done {
            Interest::Done
        } else {
            Interest::More
        }
    }

    fn gap(
        &mut self,
        _dir: Direction,
        _len: u64,
        _ctx: &Ctx,
        _out: &mut dyn RecordSink,
    ) -> Interest {
        // The length framing is lost.
        self.done = true;
        Interest::Done
    }

    fn end(&mut self, _ctx: &Ctx, _out: &mut dyn RecordSink) {
        self.done = true;
    }
}
