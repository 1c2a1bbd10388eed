//! SMTP conversations: one [`SmtpRecord`] per flow with the banner, the
//! EHLO/HELO argument, senders and recipients, and what happened to TLS.
//!
//! After `STARTTLS` is accepted (220) the rest of the flow is handed to an
//! embedded [`TlsDecoder`], so the handshake gets its own TLS record. A flow
//! on an SMTP port whose first bytes either way are a TLS record (before
//! any greeting) is marked `tls_without_smtp` and decoded as TLS too: that
//! is how mutual-TLS tunnels hiding on port 25 show their client
//! certificates. Lines are at most [`MAX_LINE`] bytes
//! (`smtp_line_too_long`, then done). Message content is not read: when
//! the server answers `DATA` with 354 the record is emitted and the
//! decoder is done.

use super::tls::TlsDecoder;
use super::{Ctx, Interest, StreamDecoder, anomaly, is_tls_record_start, meta_from};
use crate::model::{Direction, Meta, NetRecord, RecordSink, SmtpRecord};

/// Longest command or reply line.
pub const MAX_LINE: usize = 4096;
/// Most `MAIL FROM` addresses kept.
pub const MAX_MAIL_FROM: usize = 64;
/// Most `RCPT TO` addresses kept.
pub const MAX_RCPT_TO: usize = 256;
/// Client bytes held after `STARTTLS` while waiting for the server's answer.
const MAX_HELD: usize = 64 * 1024;

/// Per-flow SMTP decoder.
#[derive(Default)]
pub struct SmtpDecoder {
    meta: Option<Meta>,
    banner: Option<String>,
    helo: Option<String>,
    starttls: bool,
    mail_from: Vec<String>,
    rcpt_to: Vec<String>,
    tls_without_smtp: bool,
    /// Partial lines (or, before the first decision, the first bytes).
    lines: [Vec<u8>; 2],
    started: [bool; 2],
    greeted: bool,
    starttls_asked: bool,
    data_asked: bool,
    /// Client bytes after STARTTLS, before the server answered.
    held: Vec<u8>,
    tls: Option<TlsDecoder>,
    emitted: bool,
    done: bool,
}

fn side(dir: Direction) -> usize {
    match dir {
        Direction::ToServer => 0,
        Direction::ToClient => 1,
    }
}

/// The address in `FROM:<a@b> SIZE=1` / `TO: a@b`.
fn address(arg: &str) -> String {
    let arg = arg.trim();
    if let Some(open) = arg.find('<') {
        let rest = &arg[open + 1..];
        return rest[..rest.find('>').unwrap_or(rest.len())].to_string();
    }
    arg.split_whitespace().next().unwrap_or("").to_string()
}

/// `line` without `prefix` (ASCII case-insensitive); `None` also when the
/// prefix length falls inside a multi-byte character.
fn strip_prefix_ci<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    let head = line.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &line[prefix.len()..])
}

enum Step {
    Continue,
    /// TLS takes over; the bytes after the current line go to it.
    Tls,
    Stop,
}

impl SmtpDecoder {
    /// A decoder for a new flow.
    pub fn new() -> Self {
        Self::default()
    }

    fn emit(&mut self, out: &mut dyn RecordSink) {
        if self.emitted {
            return;
        }
        let Some(meta) = self.meta.take() else { return };
        self.emitted = true;
        out.record(NetRecord::Smtp(SmtpRecord {
            meta,
            banner: self.banner.take(),
            helo: self.helo.take(),
            starttls: self.starttls,
            mail_from: std::mem::take(&mut self.mail_from),
            rcpt_to: std::mem::take(&mut self.rcpt_to),
            tls_without_smtp: self.tls_without_smtp,
        }));
    }

    fn client_line(&mut self, line: &str) -> Step {
        let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
        if verb.eq_ignore_ascii_case("EHLO") || verb.eq_ignore_ascii_case("HELO") {
            self.helo.get_or_insert_with(|| arg.trim().to_string());
        } else if verb.eq_ignore_ascii_case("STARTTLS") {
            self.starttls_asked = true;
        } else if verb.eq_ignore_ascii_case("DATA") {
            self.data_asked = true;
        } else if let Some(arg) = strip_prefix_ci(line, "MAIL FROM:") {
            if self.mail_from.len() < MAX_MAIL_FROM {
                self.mail_from.push(address(arg));
            }
        } else if let Some(arg) = strip_prefix_ci(line, "RCPT TO:")
            && self.rcpt_to.len() < MAX_RCPT_TO
        {
            self.rcpt_to.push(address(arg));
        }
        Step::Continue
    }

    fn server_line(&mut self, line: &str) -> Step {
        let code = line.get(..3).unwrap_or("");
        let text = line.get(4..).unwrap_or("").trim();
        if !self.greeted {
            self.greeted = true;
            if code == "220" {
                self.banner = Some(text.to_string());
            }
            return Step::Continue;
        }
        if line.as_bytes().get(3) == Some(&b'-') {
            return Step::Continue; // multi-line reply: the last line decides
        }
        // Replies to earlier (pipelined) commands may come first: only the
        // answers that settle STARTTLS or DATA are acted upon.
        if self.starttls_asked {
            if code == "220" {
                self.starttls_asked = false;
                self.starttls = true;
                return Step::Tls;
            }
            if code.starts_with(['4', '5']) {
                self.starttls_asked = false;
            }
        }
        if self.data_asked {
            if code == "354" {
                return Step::Stop;
            }
            if code.starts_with(['4', '5']) {
                self.data_asked = false;
            }
        }
        Step::Continue
    }

    /// Splits `data` into lines for direction `s`; returns what to do and
    /// the bytes not consumed.
    fn lines<'a>(
        &mut self,
        s: usize,
        mut data: &'a [u8],
        ctx: &Ctx,
        out: &mut dyn RecordSink,
    ) -> (Step, &'a [u8]) {
        while !data.is_empty() {
            if s == 0 && self.starttls_asked {
                if self.held.len() + data.len() > MAX_HELD {
                    return (Step::Stop, &[]);
                }
                self.held.extend_from_slice(data);
                return (Step::Continue, &[]);
            }
            let nl = memchr::memchr(b'\n', data);
            let take = nl.map_or(data.len(), |i| i + 1);
            if self.lines[s].len() + take > MAX_LINE + 2 {
                anomaly(
                    out,
                    ctx,
                    "smtp_line_too_long",
                    format!("line over {MAX_LINE} bytes"),
                );
                return (Step::Stop, &[]);
            }
            self.lines[s].extend_from_slice(&data[..take]);
            data = &data[take..];
            if nl.is_none() {
                break;
            }
            let raw = std::mem::take(&mut self.lines[s]);
            let line = String::from_utf8_lossy(raw.trim_ascii_end());
            let step = if s == 0 {
                self.client_line(&line)
            } else {
                self.server_line(&line)
            };
            self.lines[s] = raw;
            self.lines[s].clear();
            match step {
                Step::Continue => {}
                other => return (other, data),
            }
        }
        (Step::Continue, data)
    }

    fn start_tls(
        &mut self,
        dir: Direction,
        rest: &[u8],
        ctx: &Ctx,
        out: &mut dyn RecordSink,
    ) -> Interest {
        self.emit(out);
        let mut tls = TlsDecoder::new();
        let held = std::mem::take(&mut self.held);
        let mut r = Interest::More;
        if !held.is_empty() {
            r = tls.data(Direction::ToServer, &held, ctx, out);
        }
        if !rest.is_empty() && r == Interest::More {
            r = tls.data(dir, rest, ctx, out);
        }
        self.tls = Some(tls);
        self.lines = Default::default();
        if r == Interest::Done {
            self.done = true;
        }
        r
    }
}

impl StreamDecoder for SmtpDecoder {
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
        if let Some(tls) = &mut self.tls {
            let r = tls.data(dir, data, ctx, out);
            self.done = r == Interest::Done;
            return r;
        }
        let meta = self.meta.get_or_insert_with(|| meta_from(ctx));
        meta.evidence.add_frame(ctx.frame);
        let s = side(dir);
        let mut data = data;
        if !self.started[s] && !self.greeted {
            // Decide on the first three bytes whether this is TLS.
            let n = (3 - self.lines[s].len()).min(data.len());
            self.lines[s].extend_from_slice(&data[..n]);
            data = &data[n..];
            if self.lines[s].len() < 3 {
                return Interest::More;
            }
            self.started[s] = true;
            let first = std::mem::take(&mut self.lines[s]);
            if is_tls_record_start(&first) {
                self.tls_without_smtp = true;
                let mut all = first;
                all.extend_from_slice(data);
                return self.start_tls(dir, &all, ctx, out);
            }
            let (step, rest) = self.lines(s, &first, ctx, out);
            if let Some(r) = self.after(step, dir, rest, ctx, out) {
                return r;
            }
        }
        self.started[s] = true;
        let (step, rest) = self.lines(s, data, ctx, out);
        if let Some(r) = self.after(step, dir, rest, ctx, out) {
            return r;
        }
        if !self.starttls_asked && !self.held.is_empty() {
            // STARTTLS was refused: what the client sent meanwhile is SMTP.
            let held = std::mem::take(&mut self.held);
            let (step, rest) = self.lines(0, &held, ctx, out);
            return self
                .after(step, Direction::ToServer, rest, ctx, out)
                .unwrap_or(Interest::More);
        }
        Interest::More
    }

    fn gap(&mut self, dir: Direction, len: u64, ctx: &Ctx, out: &mut dyn RecordSink) -> Interest {
        if let Some(tls) = &mut self.tls {
            return tls.gap(dir, len, ctx, out);
        }
        self.emit(out);
        self.done = true;
        Interest::Done
    }

    fn end(&mut self, ctx: &Ctx, out: &mut dyn RecordSink) {
        self.emit(out);
        if let Some(tls) = &mut self.tls {
            tls.end(ctx, out);
        }
        self.done = true;
    }
}

impl SmtpDecoder {
    fn after(
        &mut self,
        step: Step,
        dir: Direction,
        rest: &[u8],
        ctx: &Ctx,
        out: &mut dyn RecordSink,
    ) -> Option<Interest> {
        match step {
            Step::Continue => None,
            Step::Tls => Some(self.start_tls(dir, rest, ctx, out)),
            Step::Stop => {
                self.emit(out);
                self.done = true;
                Some(Interest::Done)
            }
        }
    }
}
