//! Helpers shared by the feed-import tests: fixture paths, a feed generated
//! on the fly, and this process's peak memory.

#![allow(dead_code)] // each test crate uses its own part

use std::io::Read;
use std::path::{Path, PathBuf};

/// A file of `tests/data/formats`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/formats")
        .join(name)
}

/// A JSON document made as it is read: `head`, then `n` elements from
/// `elem(i)` separated by commas, then `tail`; never more than one element
/// is held, so a test can feed more than memory would allow.
pub struct Generated<F> {
    n: u64,
    i: u64,
    elem: F,
    tail: Option<Vec<u8>>,
    buf: Vec<u8>,
    pos: usize,
}

impl<F: FnMut(u64) -> String> Generated<F> {
    /// `head`, `n` elements of `elem`, `tail`.
    pub fn new(head: &[u8], n: u64, elem: F, tail: &[u8]) -> Self {
        Generated {
            n,
            i: 0,
            elem,
            tail: Some(tail.to_vec()),
            buf: head.to_vec(),
            pos: 0,
        }
    }

    fn refill(&mut self) {
        self.buf.clear();
        self.pos = 0;
        if self.i < self.n {
            if self.i > 0 {
                self.buf.push(b',');
            }
            let e = (self.elem)(self.i);
            self.buf.extend_from_slice(e.as_bytes());
            self.i += 1;
        } else if let Some(tail) = self.tail.take() {
            self.buf = tail;
        }
    }
}

impl<F: FnMut(u64) -> String> Read for Generated<F> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.buf.len() {
            self.refill();
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Peak resident memory of this process, in KiB.
pub fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Imports every truncation of `doc` and copies with each byte in turn
/// replaced by a JSON-breaking one: each must give a partial import or an
/// error naming the file, never a panic, and only items of its own source.
pub fn every_cut_and_corruption(doc: &[u8], format: antibody_intel::formats::InputFormat) {
    use antibody_intel::Intel;
    use antibody_intel::formats::{ImportOptions, import_reader};
    let check = |bytes: &[u8], what: &str| {
        let mut intel = Intel::default();
        match import_reader(
            bytes,
            format,
            "cut.json",
            &ImportOptions::default(),
            &mut intel,
        ) {
            Ok(_) => {}
            Err(e) => assert!(e.to_string().starts_with("cut.json"), "{what}: {e}"),
        }
        assert!(
            intel.items.iter().all(|i| i.source == 0),
            "{what}: an item without its source"
        );
    };
    for cut in 0..doc.len() {
        check(&doc[..cut], &format!("cut at {cut}"));
    }
    // Each byte in turn, by a quote, a brace or an invalid UTF-8 byte in
    // rotation (all three at every offset would triple the time in debug
    // builds for little more coverage).
    let mut bad = doc.to_vec();
    for i in 0..doc.len() {
        let b = [b'"', b'{', 0xff][i % 3];
        let keep = bad[i];
        bad[i] = b;
        check(&bad, &format!("byte {i} set to {b:#x}"));
        bad[i] = keep;
    }
}
