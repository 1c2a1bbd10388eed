//! Indicators from prose: refanging, recognition, false-positive control,
//! sentence capture and deduplication, over a string or a stream.
//!
//! # How
//! Text is read in windows of [`WINDOW`] bytes cut at a line break (or any
//! whitespace), so a token is never split; the incomplete token at a cut is
//! carried into the next window, up to `scan::MAX_TOKEN` bytes: a longer
//! run is skipped to its end without being kept. Invalid UTF-8 is decoded
//! lossily. Each window goes through:
//! 1. `rules`: YARA, Sigma and Snort/Suricata blocks, looked for at line
//!    starts on the text as written (a block cut by the window end is
//!    carried over whole);
//! 2. `refang`: one pass that undoes defanging and keeps a map back to
//!    the text as written;
//! 3. `scan`: one pass that splits the refanged text into tokens and
//!    sends each to the recognisers its bytes allow (`net`, `hashes`,
//!    `names`).
//!
//! Every step is linear in the window; nothing looks further than a
//! bounded distance from where it is.
//!
//! # Deduplication
//! One [`Ioc`] per distinct (kind, value), at its first occurrence, with
//! the sentence and raw text of that occurrence. At most [`MAX_DISTINCT`]
//! distinct values (and [`MAX_DISTINCT_BYTES`] bytes of them) are
//! remembered; values first seen after that are dropped, with a warning,
//! so memory stays bounded on hostile input.
//!
//! # Confidence
//! A value from 0.0 to 1.0 saying how surely the text means an indicator:
//! - 0.95: hashes, CVE ids, embedded rules (their shape is unmistakable);
//! - 0.9: URLs, ATT&CK ids, SSDEEP;
//! - 0.85: e-mail addresses, JA4, hosts taken from URLs;
//! - 0.8: IP addresses, networks, registry keys, URL host names;
//! - 0.75: bare domains, file paths;
//! - 0.6: file names;
//! - 0.45: a bare domain whose top-level name is also a file extension
//!   (`.zip`, `.sh`, `.py`), which prose uses for files as often as hosts.
//!
//! Written defanged adds 0.1 (up to 1.0): the author marked it as hostile.
//!
//! # Flags
//! Private, loopback, link-local, documentation and reserved addresses,
//! example names and a short documented list of well-known names
//! (`net`, `names`) are returned with a [`Flag`], never as hostile.

mod hashes;
pub(crate) mod names;
mod net;
mod refang;
mod rules;
mod scan;
mod sentence;

use crate::model::{Flag, Ioc, IocKind};
use std::collections::HashMap;
use std::io::Read;

/// Bytes of text examined at once.
pub const WINDOW: usize = 1 << 20;

/// Distinct (kind, value) pairs remembered for deduplication.
pub const MAX_DISTINCT: usize = 1_000_000;

/// Bytes of distinct values remembered for deduplication.
pub const MAX_DISTINCT_BYTES: usize = 256 << 20;

/// Longest `raw` kept, in bytes.
const MAX_RAW: usize = 512;

/// Options of an [`Extractor`].
#[derive(Debug, Clone)]
pub struct ExtractOptions {
    /// Longest sentence kept with an indicator, in characters.
    pub max_sentence: usize,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        ExtractOptions { max_sentence: 400 }
    }
}

/// Finds indicators in text. Built once, shared between threads.
#[derive(Debug, Clone, Default)]
pub struct Extractor {
    opts: ExtractOptions,
}

/// Why a stream could not be read to its end.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExtractError {
    /// Reading failed after `offset` bytes.
    #[error("read failed at byte {offset}: {source}")]
    Read {
        /// Bytes read before the failure.
        offset: u64,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// A recognised indicator before deduplication. Positions are in the
/// refanged text, or in the text as written when `original`.
#[derive(Debug, Clone)]
pub(crate) struct Cand {
    pub kind: IocKind,
    pub value: String,
    pub start: usize,
    pub end: usize,
    pub confidence: f32,
    pub flag: Option<Flag>,
    pub defanged: bool,
    pub original: bool,
}

impl Cand {
    pub(crate) fn new(
        kind: IocKind,
        value: String,
        start: usize,
        end: usize,
        confidence: f32,
        flag: Option<Flag>,
    ) -> Self {
        Cand {
            kind,
            value,
            start,
            end,
            confidence,
            flag,
            defanged: false,
            original: false,
        }
    }
}

/// Deduplication state across windows.
struct Session<'a> {
    seen: HashMap<(IocKind, String), usize, FxBuild>,
    bytes: usize,
    warned: bool,
    /// Collecting for [`Extractor::extract`]: later occurrences may raise
    /// the confidence of the first.
    collected: Option<Vec<Ioc>>,
    sink: Option<&'a mut dyn FnMut(Ioc)>,
}

impl Session<'_> {
    /// Offers an indicator; `make` builds it (sentence, raw...) only when
    /// its (kind, value) is new, so repeats cost one hash lookup.
    fn offer(
        &mut self,
        kind: IocKind,
        value: String,
        confidence: f32,
        make: impl FnOnce(String) -> Ioc,
    ) {
        let key = (kind, value);
        if let Some(&i) = self.seen.get(&key) {
            if let Some(c) = self.collected.as_mut()
                && c[i].confidence < confidence
            {
                c[i].confidence = confidence;
            }
            return;
        }
        if self.seen.len() >= MAX_DISTINCT || self.bytes + key.1.len() > MAX_DISTINCT_BYTES {
            if !self.warned {
                tracing::warn!(
                    distinct = self.seen.len(),
                    "too many distinct indicators; later new ones are dropped"
                );
                self.warned = true;
            }
            return;
        }
        self.bytes += key.1.len();
        let idx = self.collected.as_ref().map_or(self.seen.len(), Vec::len);
        let ioc = make(key.1.clone());
        self.seen.insert(key, idx);
        match (&mut self.collected, &mut self.sink) {
            (Some(c), _) => c.push(ioc),
            (None, Some(sink)) => sink(ioc),
            (None, None) => {}
        }
    }
}

/// FxHash (the multiply-rotate hash of rustc): the dedup table is hit once
/// per indicator occurrence, and its keys are short.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(w));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FxBuild = std::hash::BuildHasherDefault<FxHasher>;

fn floor_char(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl Extractor {
    /// An extractor with these options.
    pub fn new(opts: ExtractOptions) -> Self {
        Extractor { opts }
    }

    /// Every distinct indicator (kind and value) in `text`, in order of
    /// first appearance, with the first sentence and raw text it was seen
    /// in and the highest confidence it was seen with. Flagged values
    /// (private addresses, example domains...) are included with their
    /// [`crate::Flag`].
    pub fn extract(&self, text: &str) -> Vec<Ioc> {
        let mut session = Session {
            seen: HashMap::default(),
            bytes: 0,
            warned: false,
            collected: Some(Vec::new()),
            sink: None,
        };
        // Reading from memory cannot fail.
        let _ = self.drive(text.as_bytes(), &mut session);
        session.collected.unwrap_or_default()
    }

    /// Like [`Extractor::extract`] over a stream, in bounded memory; calls
    /// `sink` once per distinct indicator. Returns the bytes read.
    pub fn extract_reader<R: Read>(
        &self,
        reader: R,
        sink: &mut dyn FnMut(Ioc),
    ) -> Result<u64, ExtractError> {
        let mut session = Session {
            seen: HashMap::default(),
            bytes: 0,
            warned: false,
            collected: None,
            sink: Some(sink),
        };
        self.drive(reader, &mut session)
    }

    fn drive<R: Read>(
        &self,
        mut reader: R,
        session: &mut Session<'_>,
    ) -> Result<u64, ExtractError> {
        let mut buf: Vec<u8> = Vec::with_capacity(WINDOW + scan::MAX_TOKEN);
        let mut read_total: u64 = 0;
        // Offset of buf[0] in the stream.
        let mut base: u64 = 0;
        let mut skipping = false;
        let mut eof = false;
        let mut chunk = vec![0u8; 64 * 1024];
        while !eof || !buf.is_empty() {
            while !eof && buf.len() < WINDOW {
                match reader.read(&mut chunk) {
                    Ok(0) => eof = true,
                    Ok(n) => {
                        read_total += n as u64;
                        let mut part = &chunk[..n];
                        if skipping {
                            // The rest of an over-long token.
                            match part.iter().position(|b| b.is_ascii_whitespace()) {
                                Some(p) => {
                                    skipping = false;
                                    part = &part[p..];
                                    base += p as u64;
                                }
                                None => {
                                    base += n as u64;
                                    continue;
                                }
                            }
                        }
                        buf.extend_from_slice(part);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(source) => {
                        return Err(ExtractError::Read {
                            offset: read_total,
                            source,
                        });
                    }
                }
            }
            if buf.is_empty() {
                break;
            }
            let mut overlong_tail = false;
            let cut = if eof {
                buf.len()
            } else {
                match cut_point(&buf) {
                    Some((c, tail)) => {
                        overlong_tail = tail;
                        c
                    }
                    None => {
                        // One token fills the window: skip it whole.
                        base += buf.len() as u64;
                        buf.clear();
                        skipping = true;
                        continue;
                    }
                }
            };
            let last = eof && cut == buf.len();
            // `from_utf8` checks ASCII a word at a time; the lossy decoder
            // only runs on windows that hold invalid bytes.
            let text = match std::str::from_utf8(&buf[..cut]) {
                Ok(s) => std::borrow::Cow::Borrowed(s),
                Err(_) => String::from_utf8_lossy(&buf[..cut]),
            };
            let lossless = matches!(text, std::borrow::Cow::Borrowed(_));
            let done = self.window(&text, base, last || !lossless, session);
            let mut consumed = if lossless { done } else { cut };
            if consumed == 0 && !last {
                consumed = cut;
            }
            // A tail token too long to carry is skipped.
            if overlong_tail && consumed == cut {
                base += buf.len() as u64;
                buf.clear();
                skipping = true;
                continue;
            }
            base += consumed as u64;
            buf.drain(..consumed);
            if last {
                break;
            }
        }
        Ok(read_total)
    }

    /// Processes one window; returns how many bytes were processed (less
    /// than `text.len()` when a rule block runs past its end).
    fn window(&self, text: &str, base: u64, last: bool, session: &mut Session<'_>) -> usize {
        let (hits, incomplete) = rules::find(text, last);
        let cut = match incomplete {
            Some(p) if p > 0 => p,
            _ => text.len(),
        };
        let region = &text[..cut];
        let r = refang::refang(region);
        let mut cands = Vec::new();
        scan::scan(&r, &mut cands);
        for c in &mut cands {
            if !c.original {
                c.start = r.to_original(c.start);
                c.end = r.to_original(c.end).max(c.start);
                c.original = true;
            }
        }
        for h in hits.iter().filter(|h| h.end <= cut) {
            let mut c = Cand::new(
                h.kind,
                region[h.start..h.end].to_string(),
                h.start,
                h.end,
                0.95,
                None,
            );
            c.original = true;
            cands.push(c);
        }
        cands.sort_by_key(|c| c.start);
        let max = self.opts.max_sentence;
        for c in cands {
            let (s, e) = (floor_char(region, c.start), floor_char(region, c.end));
            let (kind, defanged, confidence, flag) = (c.kind, c.defanged, c.confidence, c.flag);
            session.offer(kind, c.value, confidence, |value| {
                let raw_end = floor_char(region, e.min(s + MAX_RAW));
                let sentence = if kind.is_rule() {
                    rule_sentence(region, s, max)
                } else {
                    sentence::sentence(region, s, e.max(s), max)
                };
                Ioc {
                    kind,
                    value,
                    raw: region[s..raw_end].to_string(),
                    offset: base + s as u64,
                    defanged,
                    confidence,
                    flag,
                    sentence,
                }
            });
        }
        cut
    }
}

/// The line introducing a rule block (the nearest non-empty line before
/// it), since the block itself is the value.
fn rule_sentence(text: &str, start: usize, max: usize) -> String {
    let from = floor_char(text, start.saturating_sub(max * 4));
    let line = text[from..start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("```"))
        .unwrap_or("");
    sentence::collapse(line).chars().take(max).collect()
}

/// Where to end a window: after the last line break in its final
/// [`rules::MAX_RULE`] bytes, or failing that after the last whitespace;
/// and whether the token after the last whitespace is too long to carry
/// (then the window ends at that whitespace and the token is skipped).
fn cut_point(buf: &[u8]) -> Option<(usize, bool)> {
    let ws = buf.iter().rposition(|b| b.is_ascii_whitespace())? + 1;
    if buf.len() - ws > scan::MAX_TOKEN {
        return Some((ws, true));
    }
    let from = buf.len().saturating_sub(rules::MAX_RULE);
    let cut = memchr::memrchr(b'\n', &buf[from..]).map_or(ws, |p| from + p + 1);
    Some((cut, false))
}
