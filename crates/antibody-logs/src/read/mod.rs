//! Log readers: turn an item's bytes into [`Event`]s, streamed, with
//! bounded memory, never giving up on the rest of an item because one
//! record is bad.
//!
//! [`read_events`] dispatches on the item's [`Kind`]:
//!
//! - `Evtx`: Windows event logs, chunk by chunk (module `evtx`);
//! - `JsonLines`: one JSON object per line (module `jsonl`);
//! - `Log`: text logs, each line routed to the format it matches (module
//!   `text`): Apache/nginx combined and common, IIS W3C with `#Fields:`
//!   headers, syslog RFC 3164 and RFC 5424, and Citrix NetScaler, Pulse
//!   Connect Secure and FortiGate lines, bare or inside syslog. Zeek TSV
//!   logs (`#separator` first line) give no events;
//! - `Gzip`: decompressed as a stream (capped at
//!   [`ReadOptions::max_decompressed`]), its content sniffed and read as
//!   above;
//! - anything else: no events.
//!
//! Text is read line by line from the slice (or the decompressor) into one
//! buffer; no line is ever held beyond [`ReadOptions::max_line`] bytes.
//! Invalid UTF-8 is replaced (lossy), never refused.

mod access;
mod appliance;
mod evtx;
mod jsonl;
mod lines;
mod syslog;
mod text;
mod windows;

use crate::event::Event;
use antibody_core::triage::SNIFF_LEN;
use antibody_core::{ItemError, ItemErrorKind, Kind, Location, sniff};
use chrono::{DateTime, NaiveDateTime, Utc};
use std::io::{self, BufReader, Cursor, Read};
use std::ops::ControlFlow;

/// Limits and options shared by the readers.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Longest line a text reader hands on in full; longer lines are cut
    /// to this many bytes for matching and reported once per item.
    pub max_line: usize,
    /// Threads the EVTX parser may use for one file (chunks in parallel).
    pub evtx_threads: usize,
    /// Most bytes read out of a gzip stream handed to [`read_events`];
    /// the rest is left unread and reported as a limit.
    pub max_decompressed: u64,
    /// Text logs only: lines for which this says `false` are skipped
    /// without being parsed (the engine's prefilter: no rule or indicator
    /// could match them). Header lines (`#...`) are always read.
    pub line_filter: Option<LineFilter>,
}

/// The test a [`LineFilter`] runs.
pub type LineTest = dyn Fn(&[u8]) -> bool + Send + Sync;

/// A test on a raw text-log line; see [`ReadOptions::line_filter`].
#[derive(Clone)]
pub struct LineFilter(pub std::sync::Arc<LineTest>);

impl std::fmt::Debug for LineFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LineFilter")
    }
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            max_line: 1 << 20,
            evtx_threads: 1,
            max_decompressed: 4 << 30,
            line_filter: None,
        }
    }
}

/// Reads every event of one item of `kind` and hands each to `emit`, in
/// item order; `emit` returns `ControlFlow::Break` to stop early.
///
/// Problems (a corrupt chunk, an invalid record, an over-long line) are
/// returned as item errors naming `location` and the offset or line; the
/// events around them are still read.
pub fn read_events(
    kind: Kind,
    data: &[u8],
    location: &Location,
    options: &ReadOptions,
    emit: &mut dyn FnMut(Event) -> ControlFlow<()>,
) -> Vec<ItemError> {
    match kind {
        Kind::Gzip => read_gzip(data, location, options, emit),
        _ => read_stream(kind, data, location, options, emit),
    }
}

/// Reads a non-gzip stream of a known kind.
fn read_stream<R: Read>(
    kind: Kind,
    input: R,
    location: &Location,
    options: &ReadOptions,
    emit: &mut dyn FnMut(Event) -> ControlFlow<()>,
) -> Vec<ItemError> {
    match kind {
        Kind::Evtx => evtx::read(input, location, options, emit),
        Kind::JsonLines => jsonl::read(
            lines::LineReader::new(BufReader::with_capacity(1 << 16, input), options.max_line),
            location,
            emit,
        ),
        Kind::Log => text::read(
            lines::LineReader::new(BufReader::with_capacity(1 << 16, input), options.max_line),
            location,
            options.line_filter.as_ref(),
            emit,
        ),
        _ => Vec::new(),
    }
}

/// Reads every event of one item into memory, with the item's errors.
///
/// For tests and small inputs: a hunt streams with [`read_events`] instead,
/// so that memory does not grow with the log.
pub fn collect_events(
    kind: Kind,
    data: &[u8],
    location: &Location,
    options: &ReadOptions,
) -> (Vec<Event>, Vec<ItemError>) {
    let mut events = Vec::new();
    let errors = read_events(kind, data, location, options, &mut |e| {
        events.push(e);
        ControlFlow::Continue(())
    });
    (events, errors)
}

/// A reader that stops (as if at the end) after `left` bytes and says so.
struct Capped<R> {
    inner: R,
    left: u64,
    hit: bool,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // One byte more tells a stream of exactly the cap from a longer one.
            let mut probe = [0u8; 1];
            if !self.hit && self.inner.read(&mut probe)? > 0 {
                self.hit = true;
            }
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

fn read_gzip(
    data: &[u8],
    location: &Location,
    options: &ReadOptions,
    emit: &mut dyn FnMut(Event) -> ControlFlow<()>,
) -> Vec<ItemError> {
    let mut capped = Capped {
        inner: flate2::read::MultiGzDecoder::new(data),
        left: options.max_decompressed,
        hit: false,
    };
    let mut head = vec![0u8; SNIFF_LEN];
    let mut got = 0;
    while got < head.len() {
        match capped.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                return vec![ItemError::new(
                    location,
                    ItemErrorKind::Corrupt,
                    format!("gzip stream unreadable at decompressed byte {got}: {e}"),
                )];
            }
        }
    }
    head.truncate(got);
    let kind = sniff(&head);
    let mut errors = match kind {
        Kind::Gzip => vec![ItemError::new(
            location,
            ItemErrorKind::Limit,
            "gzip stream inside a gzip stream is not read",
        )],
        _ => read_stream(
            kind,
            Cursor::new(head).chain(&mut capped),
            location,
            options,
            emit,
        ),
    };
    if capped.hit {
        errors.push(ItemError::new(
            location,
            ItemErrorKind::Limit,
            format!(
                "gzip stream decompresses to more than {} bytes; the rest was not read",
                options.max_decompressed
            ),
        ));
    }
    errors
}

/// Parses the timestamps logs write: RFC 3339 (`2024-05-04T10:00:00.5Z`),
/// `2024-05-04 10:00:00[.f]` (taken as UTC) with or without a numeric
/// offset.
pub(crate) fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.len() < 10 || !s.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f %z", "%Y-%m-%dT%H:%M:%S%.f%z"] {
        if let Ok(t) = DateTime::parse_from_str(s, format) {
            return Some(t.with_timezone(&Utc));
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return Some(t.and_utc());
        }
    }
    None
}

/// A Unix time in seconds, milliseconds, microseconds or nanoseconds,
/// told apart by size.
pub(crate) fn epoch_timestamp(v: f64) -> Option<DateTime<Utc>> {
    if !v.is_finite() || v <= 0.0 {
        return None;
    }
    if v.fract() == 0.0 && v < 9e18 {
        // Whole numbers exactly, without float rounding of the fraction.
        let i = v as i64;
        let per_second: i64 = if i > 100_000_000_000_000_000 {
            1_000_000_000
        } else if i > 100_000_000_000_000 {
            1_000_000
        } else if i > 100_000_000_000 {
            1_000
        } else {
            1
        };
        let nanos = (i % per_second) * (1_000_000_000 / per_second);
        return DateTime::from_timestamp(i / per_second, u32::try_from(nanos).ok()?);
    }
    let secs = if v > 1e17 {
        v / 1e9
    } else if v > 1e14 {
        v / 1e6
    } else if v > 1e11 {
        v / 1e3
    } else {
        v
    };
    let whole = secs.trunc();
    if whole > i64::MAX as f64 {
        return None;
    }
    let nanos = ((secs - whole) * 1e9) as u32;
    DateTime::from_timestamp(whole as i64, nanos.min(999_999_999))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_common_shapes() {
        let t = |s| parse_timestamp(s).map(|t| t.to_rfc3339());
        assert_eq!(
            t("2024-05-04T10:00:00Z").as_deref(),
            Some("2024-05-04T10:00:00+00:00")
        );
        assert_eq!(
            t("2024-05-04 12:00:00.5 +0200").as_deref(),
            Some("2024-05-04T10:00:00.500+00:00")
        );
        assert_eq!(
            t("2024-05-04 10:00:00").as_deref(),
            Some("2024-05-04T10:00:00+00:00")
        );
        assert_eq!(t("yesterday"), None);
        assert_eq!(
            epoch_timestamp(1_557_782_502_722_231_889.0).map(|t| t.timestamp()),
            Some(1_557_782_502)
        );
        assert_eq!(
            epoch_timestamp(1_557_782_502.0).map(|t| t.timestamp()),
            Some(1_557_782_502)
        );
    }
}
