//! HTTP/1.x over a TCP stream: one [`HttpRecord`] per request, paired with
//! its response in order (pipelining and keep-alive), headers parsed with
//! `httparse`.
//!
//! Limits: a header block is at most [`MAX_HEADER_BLOCK`] bytes and
//! [`MAX_HEADERS`] headers (`http_header_too_large`, then done); the first
//! [`MAX_BODY`] bytes of each body are kept and the rest only counted;
//! chunk-size lines are at most 1 KiB and a chunk claims at most 2^40 bytes
//! (`http_chunk_bad`). Requests whose response never came are emitted at
//! the end of the flow, after a gap, or when the decoder gives up: a C2
//! request without a captured answer is still a request.

use super::{Ctx, Interest, StreamDecoder, anomaly, meta_from};
use crate::model::{Direction, HttpRecord, NetRecord, RecordSink};
use std::collections::VecDeque;

/// Largest request or response header block.
pub const MAX_HEADER_BLOCK: usize = 64 * 1024;
/// Most headers in one message.
pub const MAX_HEADERS: usize = 128;
/// Body bytes kept per message.
pub const MAX_BODY: usize = 64 * 1024;
/// Most requests waiting for their responses (more are emitted at once).
pub const MAX_PENDING: usize = 64;
const MAX_CHUNK_LINE: usize = 1024;
const MAX_CHUNK: u64 = 1 << 40;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    Size,
    Data(u64),
    DataEnd,
    Trailer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Head,
    Length(u64),
    Chunked(Chunk),
    /// Response body delimited by the end of the connection.
    Close,
    /// Nothing more to read in this direction.
    Stopped,
}

struct Side {
    buf: Vec<u8>,
    scan: usize,
    state: State,
    /// The packet that carried the first byte of the header block.
    start: Option<Ctx>,
}

impl Side {
    fn new() -> Self {
        Side {
            buf: Vec::new(),
            scan: 0,
            state: State::Head,
            start: None,
        }
    }
}

struct Pending {
    rec: HttpRecord,
    req_done: bool,
    resp_started: bool,
    resp_done: bool,
    head: bool,
    connect: bool,
}

/// Per-flow HTTP/1.x decoder.
pub struct HttpDecoder {
    sides: [Side; 2],
    pending: VecDeque<Pending>,
    done: bool,
}

impl Default for HttpDecoder {
    fn default() -> Self {
        Self::new()
    }
}

enum Parsed {
    Complete,
    Partial,
    TooLarge(String),
    Bad(String),
}

/// Position just past the blank line ending a header block, searching
/// newlines from `from`.
fn header_end(buf: &[u8], from: usize) -> Option<usize> {
    memchr::memchr_iter(b'\n', &buf[from..])
        .map(|i| i + from)
        .find_map(|i| {
            let blank = (i >= 1 && buf[i - 1] == b'\n')
                || (i >= 2 && buf[i - 1] == b'\r' && buf[i - 2] == b'\n');
            blank.then_some(i + 1)
        })
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn owned_headers(h: &[httparse::Header<'_>]) -> Vec<(String, String)> {
    h.iter()
        .map(|h| (h.name.to_string(), lossy(h.value).trim().to_string()))
        .collect()
}

fn find<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn is_chunked(h: &[(String, String)]) -> bool {
    h.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding")
            && v.rsplit(',')
                .next()
                .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"))
    })
}

fn content_length(h: &[(String, String)]) -> Option<u64> {
    find(h, "content-length").and_then(|v| v.trim().parse().ok())
}

/// `Host` without the port, lowercase (`[v6]` keeps its brackets).
fn host_of(v: &str) -> String {
    let v = v.trim();
    let host = if v.starts_with('[') {
        v.find(']').map_or(v, |i| &v[..=i])
    } else {
        match v.rsplit_once(':') {
            Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => v,
        }
    };
    host.to_ascii_lowercase()
}

fn cookies_of(h: &[(String, String)]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (_, v) in h.iter().filter(|(n, _)| n.eq_ignore_ascii_case("cookie")) {
        for part in v.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (n, val) = part.split_once('=').unwrap_or((part, ""));
            out.push((n.trim().to_string(), val.trim().to_string()));
        }
    }
    out
}

fn keep(body: &mut Vec<u8>, len: &mut u64, data: &[u8]) {
    *len = len.saturating_add(data.len() as u64);
    let room = MAX_BODY.saturating_sub(body.len());
    body.extend_from_slice(&data[..room.min(data.len())]);
}

impl HttpDecoder {
    /// A decoder for a new flow.
    pub fn new() -> Self {
        HttpDecoder {
            sides: [Side::new(), Side::new()],
            pending: VecDeque::new(),
            done: false,
        }
    }

    fn parse_head(&mut self, s: usize, end: usize, ctx: &Ctx) -> Parsed {
        let buf = &self.sides[s].buf[..end];
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        if s == 0 {
            let mut req = httparse::Request::new(&mut headers);
            let r = httparse::ParserConfig::default()
                .allow_multiple_spaces_in_request_line_delimiters(true)
                .ignore_invalid_headers_in_requests(true)
                .parse_request(&mut req, buf);
            match r {
                Ok(httparse::Status::Complete(_)) => {
                    let method = req.method.unwrap_or("").to_string();
                    let request_headers = owned_headers(req.headers);
                    let mut meta = meta_from(self.sides[0].start.as_ref().unwrap_or(ctx));
                    meta.evidence.add_frame(ctx.frame);
                    let rec = HttpRecord {
                        meta,
                        uri: req.path.unwrap_or("").to_string(),
                        version: format!("1.{}", req.version.unwrap_or(1)),
                        host: find(&request_headers, "host").map(host_of),
                        user_agent: find(&request_headers, "user-agent").map(str::to_string),
                        cookies: cookies_of(&request_headers),
                        request_body: Vec::new(),
                        request_body_len: 0,
                        status: None,
                        response_headers: Vec::new(),
                        response_body: Vec::new(),
                        response_body_len: 0,
                        request_headers,
                        method,
                    };
                    let connect = rec.method.eq_ignore_ascii_case("CONNECT");
                    let head = rec.method.eq_ignore_ascii_case("HEAD");
                    let state = if connect {
                        State::Stopped
                    } else if is_chunked(&rec.request_headers) {
                        State::Chunked(Chunk::Size)
                    } else {
                        match content_length(&rec.request_headers) {
                            Some(n) if n > 0 => State::Length(n),
                            _ => State::Head,
                        }
                    };
                    self.pending.push_back(Pending {
                        rec,
                        req_done: state == State::Head || connect,
                        resp_started: false,
                        resp_done: false,
                        head,
                        connect,
                    });
                    self.sides[0].state = state;
                    Parsed::Complete
                }
                Ok(httparse::Status::Partial) => Parsed::Partial,
                Err(httparse::Error::TooManyHeaders) => {
                    Parsed::TooLarge(format!("request with more than {MAX_HEADERS} headers"))
                }
                Err(e) => Parsed::Bad(format!("request: {e}")),
            }
        } else {
            let mut resp = httparse::Response::new(&mut headers);
            let r = httparse::ParserConfig::default()
                .allow_spaces_after_header_name_in_responses(true)
                .allow_obsolete_multiline_headers_in_responses(true)
                .allow_multiple_spaces_in_response_status_delimiters(true)
                .parse_response(&mut resp, buf);
            match r {
                Ok(httparse::Status::Complete(_)) => {
                    let status = resp.code.unwrap_or(0);
                    let hdrs = owned_headers(resp.headers);
                    let close =
                        find(&hdrs, "connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
                    if (100..200).contains(&status) && status != 101 {
                        self.sides[1].state = State::Head; // interim response
                        return Parsed::Complete;
                    }
                    let Some(p) = self.pending.iter_mut().find(|p| !p.resp_started) else {
                        // A response to a request we did not see: nothing to attach it to.
                        self.sides[1].state = State::Stopped;
                        return Parsed::Complete;
                    };
                    p.resp_started = true;
                    p.rec.status = Some(status);
                    if let Some(start) = &self.sides[1].start {
                        p.rec.meta.evidence.add_frame(start.frame);
                    }
                    p.rec.meta.evidence.add_frame(ctx.frame);
                    let no_body = p.head
                        || status == 204
                        || status == 304
                        || status == 101
                        || (p.connect && (200..300).contains(&status));
                    let state = if no_body {
                        State::Head
                    } else if is_chunked(&hdrs) {
                        State::Chunked(Chunk::Size)
                    } else {
                        match content_length(&hdrs) {
                            Some(n) if n > 0 => State::Length(n),
                            Some(_) => State::Head,
                            None => State::Close,
                        }
                    };
                    p.rec.response_headers = hdrs;
                    if state == State::Head {
                        p.resp_done = true;
                    }
                    let tunnel = status == 101 || p.connect;
                    self.sides[1].state = if state == State::Head && (tunnel || close) {
                        State::Stopped
                    } else {
                        state
                    };
                    Parsed::Complete
                }
                Ok(httparse::Status::Partial) => Parsed::Partial,
                Err(httparse::Error::TooManyHeaders) => {
                    Parsed::TooLarge(format!("response with more than {MAX_HEADERS} headers"))
                }
                Err(e) => Parsed::Bad(format!("response: {e}")),
            }
        }
    }

    /// The message currently receiving bytes in direction `s`.
    fn current(&mut self, s: usize) -> Option<&mut Pending> {
        if s == 0 {
            self.pending.back_mut().filter(|p| !p.req_done)
        } else {
            self.pending
                .iter_mut()
                .find(|p| p.resp_started && !p.resp_done)
        }
    }

    fn body(&mut self, s: usize, data: &[u8], ctx: &Ctx) {
        if let Some(p) = self.current(s) {
            p.rec.meta.evidence.add_frame(ctx.frame);
            if s == 0 {
                keep(&mut p.rec.request_body, &mut p.rec.request_body_len, data);
            } else {
                keep(&mut p.rec.response_body, &mut p.rec.response_body_len, data);
            }
        }
    }

    fn message_end(&mut self, s: usize) {
        if let Some(p) = self.current(s) {
            if s == 0 {
                p.req_done = true;
            } else {
                p.resp_done = true;
            }
        }
    }

    /// Emits the leading requests whose exchange is complete.
    fn flush(&mut self, out: &mut dyn RecordSink) {
        while let Some(p) = self.pending.front() {
            let complete = p.req_done && p.resp_done;
            if !(complete || self.pending.len() > MAX_PENDING) {
                break;
            }
            let p = self.pending.pop_front().expect("front exists");
            out.record(NetRecord::Http(Box::new(p.rec)));
        }
    }

    fn finish(&mut self, out: &mut dyn RecordSink) -> Interest {
        while let Some(p) = self.pending.pop_front() {
            out.record(NetRecord::Http(Box::new(p.rec)));
        }
        self.done = true;
        self.sides = [Side::new(), Side::new()];
        Interest::Done
    }

    /// Decodes what `data` completes in direction `s`; false to give up.
    fn feed(&mut self, s: usize, mut data: &[u8], ctx: &Ctx, out: &mut dyn RecordSink) -> bool {
        while !data.is_empty() {
            match self.sides[s].state {
                State::Stopped => return true,
                State::Head => {
                    let side = &mut self.sides[s];
                    if side.buf.is_empty() {
                        let skip = data
                            .iter()
                            .take_while(|b| matches!(b, b'\r' | b'\n'))
                            .count();
                        data = &data[skip..];
                        if data.is_empty() {
                            return true;
                        }
                    }
                    if side.buf.is_empty() {
                        side.start = Some(*ctx);
                    }
                    let old = side.buf.len();
                    let take = data.len().min(MAX_HEADER_BLOCK + 1 - old);
                    side.buf.extend_from_slice(&data[..take]);
                    let Some(end) = header_end(&side.buf, side.scan) else {
                        if side.buf.len() > MAX_HEADER_BLOCK {
                            let what = if s == 0 { "request" } else { "response" };
                            anomaly(
                                out,
                                ctx,
                                "http_header_too_large",
                                format!("{what} header block over {MAX_HEADER_BLOCK} bytes"),
                            );
                            return false;
                        }
                        side.scan = side.buf.len().saturating_sub(2);
                        return true;
                    };
                    data = &data[end - old..];
                    let parsed = self.parse_head(s, end, ctx);
                    let side = &mut self.sides[s];
                    side.buf.clear();
                    side.scan = 0;
                    match parsed {
                        Parsed::Complete => {}
                        Parsed::Partial => {
                            anomaly(
                                out,
                                ctx,
                                "http_bad_message",
                                "incomplete header block".into(),
                            );
                            return false;
                        }
                        Parsed::TooLarge(d) => {
                            anomaly(out, ctx, "http_header_too_large", d);
                            return false;
                        }
                        Parsed::Bad(d) => {
                            anomaly(out, ctx, "http_bad_message", d);
                            return false;
                        }
                    }
                    self.flush(out);
                }
                State::Length(rem) => {
                    let n = (rem.min(data.len() as u64)) as usize;
                    self.body(s, &data[..n], ctx);
                    data = &data[n..];
                    let rem = rem - n as u64;
                    if rem == 0 {
                        self.message_end(s);
                        self.sides[s].state = State::Head;
                        self.flush(out);
                    } else {
                        self.sides[s].state = State::Length(rem);
                    }
                }
                State::Close => {
                    // Only the kept prefix is counted: the decoder stops there,
                    // whether the bytes came in one piece or many.
                    let room = self
                        .current(s)
                        .map_or(0, |p| MAX_BODY.saturating_sub(p.rec.response_body.len()));
                    self.body(s, &data[..room.min(data.len())], ctx);
                    let full = self
                        .current(s)
                        .is_none_or(|p| p.rec.response_body.len() >= MAX_BODY);
                    if full {
                        // Nothing can follow a close-delimited body: done.
                        self.message_end(s);
                        return false;
                    }
                    return true;
                }
                State::Chunked(Chunk::Data(rem)) => {
                    let n = (rem.min(data.len() as u64)) as usize;
                    self.body(s, &data[..n], ctx);
                    data = &data[n..];
                    let rem = rem - n as u64;
                    self.sides[s].state = State::Chunked(if rem == 0 {
                        Chunk::DataEnd
                    } else {
                        Chunk::Data(rem)
                    });
                }
                State::Chunked(c) => {
                    // Line-oriented parts: size line, CRLF after data, trailers.
                    let side = &mut self.sides[s];
                    let nl = memchr::memchr(b'\n', data);
                    let take = nl.map_or(data.len(), |i| i + 1);
                    if side.buf.len() + take > MAX_CHUNK_LINE {
                        anomaly(out, ctx, "http_chunk_bad", "chunk line over 1 KiB".into());
                        return false;
                    }
                    side.buf.extend_from_slice(&data[..take]);
                    data = &data[take..];
                    if nl.is_none() {
                        return true;
                    }
                    let line = std::mem::take(&mut side.buf);
                    let text = line.trim_ascii();
                    let next = match c {
                        Chunk::DataEnd if text.is_empty() => Chunk::Size,
                        Chunk::DataEnd => {
                            anomaly(
                                out,
                                ctx,
                                "http_chunk_bad",
                                "no CRLF after chunk data".into(),
                            );
                            return false;
                        }
                        Chunk::Size => {
                            let digits = text
                                .split(|b| *b == b';')
                                .next()
                                .unwrap_or(&[])
                                .trim_ascii();
                            let size = std::str::from_utf8(digits)
                                .ok()
                                .filter(|d| !d.is_empty() && d.len() <= 16)
                                .and_then(|d| u64::from_str_radix(d, 16).ok());
                            match size {
                                Some(0) => Chunk::Trailer,
                                Some(n) if n <= MAX_CHUNK => Chunk::Data(n),
                                _ => {
                                    anomaly(
                                        out,
                                        ctx,
                                        "http_chunk_bad",
                                        format!(
                                            "chunk size {:?}",
                                            lossy(&digits[..digits.len().min(40)])
                                        ),
                                    );
                                    return false;
                                }
                            }
                        }
                        Chunk::Trailer if text.is_empty() => {
                            self.sides[s].buf = line;
                            self.sides[s].buf.clear();
                            self.sides[s].state = State::Head;
                            self.message_end(s);
                            self.flush(out);
                            continue;
                        }
                        Chunk::Trailer => Chunk::Trailer,
                        Chunk::Data(_) => unreachable!("handled above"),
                    };
                    let side = &mut self.sides[s];
                    side.buf = line;
                    side.buf.clear();
                    side.state = State::Chunked(next);
                }
            }
        }
        true
    }
}

impl StreamDecoder for HttpDecoder {
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
        let s = match dir {
            Direction::ToServer => 0,
            Direction::ToClient => 1,
        };
        if !self.feed(s, data, ctx, out) {
            return self.finish(out);
        }
        self.flush(out);
        let stopped = |x: &Side| x.state == State::Stopped;
        let connect_over = self.pending.is_empty() && stopped(&self.sides[0]);
        if (stopped(&self.sides[0]) && stopped(&self.sides[1])) || connect_over {
            return self.finish(out);
        }
        if stopped(&self.sides[1]) && self.pending.iter().all(|p| p.resp_started) {
            return self.finish(out);
        }
        Interest::More
    }

    fn gap(&mut self, dir: Direction, len: u64, _ctx: &Ctx, out: &mut dyn RecordSink) -> Interest {
        if self.done {
            return Interest::Done;
        }
        let s = match dir {
            Direction::ToServer => 0,
            Direction::ToClient => 1,
        };
        // A gap inside a length-delimited body is only missing body bytes.
        if let State::Length(rem) = self.sides[s].state
            && len < rem
        {
            self.sides[s].state = State::Length(rem - len);
            if let Some(p) = self.current(s) {
                let l = if s == 0 {
                    &mut p.rec.request_body_len
                } else {
                    &mut p.rec.response_body_len
                };
                *l = l.saturating_add(len);
            }
            return Interest::More;
        }
        self.finish(out)
    }

    fn end(&mut self, _ctx: &Ctx, out: &mut dyn RecordSink) {
        if !self.done {
            self.finish(out);
        }
    }
}
