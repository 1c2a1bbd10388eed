//! Test helpers: archives built in code, and a visitor that records.

use crate::{Budget, Limits, visit_members};
use antibody_core::{ItemError, Kind, Location};
use flate2::Compression;
use flate2::write::GzEncoder;
use std::io::{Cursor, Write};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// One entry of a test archive.
pub enum Entry<'a> {
    File(&'a str, &'a [u8]),
    Dir(&'a str),
    Symlink(&'a str, &'a str),
    Hardlink(&'a str, &'a str),
}

/// A deflated zip of `entries` (hard links are not a zip thing: skipped).
pub fn zip(entries: &[Entry<'_>]) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for entry in entries {
        match entry {
            Entry::File(name, data) => {
                w.start_file(*name, options).unwrap();
                w.write_all(data).unwrap();
            }
            Entry::Dir(name) => w.add_directory(*name, options).unwrap(),
            Entry::Symlink(name, target) => w.add_symlink(*name, *target, options).unwrap(),
            Entry::Hardlink(..) => {}
        }
    }
    w.finish().unwrap().into_inner()
}

/// A stored (uncompressed) zip of files.
pub fn zip_stored(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    for (name, data) in files {
        w.start_file(*name, options).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A GNU tar of `entries`.
pub fn tar(entries: &[Entry<'_>]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for entry in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        let (name, data): (&str, &[u8]) = match entry {
            Entry::File(name, data) => {
                h.set_entry_type(tar::EntryType::Regular);
                (name, data)
            }
            Entry::Dir(name) => {
                h.set_entry_type(tar::EntryType::Directory);
                (name, &[])
            }
            Entry::Symlink(name, target) | Entry::Hardlink(name, target) => {
                let kind = match entry {
                    Entry::Symlink(..) => tar::EntryType::Symlink,
                    _ => tar::EntryType::Link,
                };
                h.set_entry_type(kind);
                h.set_link_name(target).unwrap();
                (name, &[])
            }
        };
        h.set_size(data.len() as u64);
        // Raw bytes, so that names a careful builder would refuse still
        // make it into the archive.
        let gnu = h.as_gnu_mut().unwrap();
        gnu.name = [0; 100];
        gnu.name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_cksum();
        b.append(&h, data).unwrap();
    }
    b.into_inner().unwrap()
}

/// A gzip stream of `data` with no file name.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A gzip stream of `data` whose header names `fname`.
pub fn gzip_named(data: &[u8], fname: &str) -> Vec<u8> {
    let mut e = flate2::GzBuilder::new()
        .filename(fname)
        .write(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Everything one or more `visit_members` calls produced.
#[derive(Debug, Default)]
pub struct Got {
    pub members: Vec<(Location, Vec<u8>)>,
    pub errors: Vec<ItemError>,
    pub budget_used: u64,
}

impl Got {
    /// The visited locations as displayed.
    pub fn names(&self) -> Vec<String> {
        self.members.iter().map(|(l, _)| l.to_string()).collect()
    }
}

/// Visits `data` as the file `path` with default limits.
pub fn run(kind: Kind, data: &[u8], path: &str) -> Got {
    run_at(kind, data, &Location::file(path))
}

/// Visits `data` at `at` with default limits.
pub fn run_at(kind: Kind, data: &[u8], at: &Location) -> Got {
    run_with(kind, data, at, &Limits::default())
}

/// Visits `data` at `at` with `limits`, one level only.
pub fn run_with(kind: Kind, data: &[u8], at: &Location, limits: &Limits) -> Got {
    let budget = Budget::new(limits);
    let mut got = Got::default();
    got.errors = visit_members(kind, data, at, limits, &budget, &mut |l, b| {
        got.members.push((l, b))
    });
    got.budget_used = budget.used();
    got
}

/// Visits `data` at `at` and, as the files engine does, every nested
/// container found in it, sharing one budget.
pub fn run_nested(kind: Kind, data: &[u8], at: &Location, limits: &Limits) -> Got {
    let budget = Budget::new(limits);
    let mut got = Got::default();
    nested(kind, data, at, limits, &budget, &mut got);
    got.budget_used = budget.used();
    got
}

fn nested(kind: Kind, data: &[u8], at: &Location, limits: &Limits, budget: &Budget, got: &mut Got) {
    let mut inner = Vec::new();
    let errors = visit_members(kind, data, at, limits, budget, &mut |l, b| {
        let k = antibody_core::sniff(&b);
        if k.is_container() {
            inner.push((k, l.clone(), b.clone()));
        }
        got.members.push((l, b));
    });
    got.errors.extend(errors);
    for (k, l, b) in inner {
        nested(k, &b, &l, limits, budget, got);
    }
}

/// Sets bit 0 (encrypted) of the general-purpose flags of the member
/// `name`, in its local and its central directory header.
pub fn mark_encrypted(zip: &mut [u8], name: &str) {
    let mut marked = 0;
    for i in 0..zip.len().saturating_sub(46) {
        let (flags_at, name_len_at, name_at) = match &zip[i..i + 4] {
            b"PK\x03\x04" => (i + 6, i + 26, i + 30),
            b"PK\x01\x02" => (i + 8, i + 28, i + 46),
            _ => continue,
        };
        let len = u16::from_le_bytes([zip[name_len_at], zip[name_len_at + 1]]) as usize;
        if zip.get(name_at..name_at + len) == Some(name.as_bytes()) {
            zip[flags_at] |= 1;
            marked += 1;
        }
    }
    assert_eq!(marked, 2, "local and central header of {name}");
}

/// Rewrites every occurrence of the file name `from` in local and central
/// headers to `to` (same length).
pub fn rename_member(zip: &mut [u8], from: &str, to: &str) {
    assert_eq!(from.len(), to.len());
    let mut renamed = 0;
    for i in 0..zip.len().saturating_sub(46) {
        let name_at = match &zip[i..i + 4] {
            b"PK\x03\x04" => i + 30,
            b"PK\x01\x02" => i + 46,
            _ => continue,
        };
        if zip.get(name_at..name_at + from.len()) == Some(from.as_bytes()) {
            zip[name_at..name_at + from.len()].copy_from_slice(to.as_bytes());
            renamed += 1;
        }
    }
    assert_eq!(renamed, 2, "local and central header of {from}");
}

/// A small deterministic PRNG (xorshift64*).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
