//! Zip: members listed by the central directory, or, when that is damaged
//! or missing (a truncated download, a carved file), recovered by walking
//! the local headers from the start.

use crate::{Member, Outcome, Walk, name};
use antibody_core::ItemErrorKind;
use std::io::Cursor;
use zip::read::{ZipReadOptions, read_zipfile_from_stream_with_options};
use zip::result::ZipError;
use zip::{CompressionMethod, SUPPORTED_COMPRESSION_METHODS, ZipArchive};

/// What is known about a member before reading it.
struct Info {
    /// Display name.
    name: String,
    is_file: bool,
    encrypted: bool,
    method: CompressionMethod,
    /// Declared uncompressed size.
    size: u64,
    /// Compressed size, no more than the archive actually holds.
    packed: u64,
}

/// Builds an [`Info`] from any zip entry type (they share method names but
/// no trait).
macro_rules! info {
    ($entry:expr, $archive_len:expr) => {{
        let entry = $entry;
        Info {
            name: match entry.name() {
                Ok(name) => name::display(&name),
                Err(_) => name::display_bytes(entry.name_raw()),
            },
            is_file: entry.is_file(),
            encrypted: entry.encrypted(),
            method: entry.compression(),
            size: entry.size(),
            packed: entry.compressed_size().min($archive_len),
        }
    }};
}

/// Whether to read a member's data.
enum Admit {
    /// Read it.
    Read,
    /// Not a regular file, or not readable: go on with the next member.
    Skip,
    /// The member limit is reached: leave the archive.
    Stop,
}

/// Visits the members of the zip archive `data`.
pub(crate) fn walk(data: &[u8], walk: &mut Walk<'_>) {
    let archive_len = data.len() as u64;
    let mut archive = match ZipArchive::new(Cursor::new(data)) {
        Ok(archive) => archive,
        Err(e) => return salvage(data, walk, &e),
    };
    if archive.has_duplicate_names() {
        walk.container_error(
            ItemErrorKind::Corrupt,
            "duplicate member names in the central directory; only the last entry of each name was scanned",
        );
    }
    for index in 0..archive.len() {
        let info = match archive.by_index_data(index) {
            Ok(entry) => info!(&entry, archive_len),
            Err(e) => {
                let reason = format!("corrupt zip: entry {index}: {e}");
                walk.container_error(ItemErrorKind::Corrupt, reason);
                continue;
            }
        };
        match admit(walk, &info) {
            Admit::Read => {}
            Admit::Skip => continue,
            Admit::Stop => break,
        }
        let file = match archive.by_index(index) {
            Ok(file) => file,
            Err(e) => {
                walk.member_error(
                    &info.name,
                    ItemErrorKind::Corrupt,
                    format!("corrupt zip member: {e}"),
                );
                continue;
            }
        };
        if expand(walk, &info, file) == Outcome::Spent {
            break;
        }
    }
}

/// Decides whether a member's data is to be read, recording why not.
fn admit(walk: &mut Walk<'_>, info: &Info) -> Admit {
    if !info.is_file {
        return Admit::Skip;
    }
    if !walk.admit() {
        return Admit::Stop;
    }
    if info.encrypted {
        walk.member_error(&info.name, ItemErrorKind::Unreadable, "encrypted member");
        return Admit::Skip;
    }
    // Stored, deflate, deflate64, bzip2 and LZMA, with this crate's features.
    if !SUPPORTED_COMPRESSION_METHODS.contains(&info.method) {
        // The number is what an analyst can look up in APPNOTE.
        #[allow(deprecated)]
        let number = info.method.to_u16();
        let reason = format!(
            "compression method {number} ({}) not supported",
            info.method
        );
        walk.member_error(&info.name, ItemErrorKind::Unreadable, reason);
        return Admit::Skip;
    }
    Admit::Read
}

fn expand(walk: &mut Walk<'_>, info: &Info, reader: impl std::io::Read) -> Outcome {
    let member = Member {
        declared: Some(info.size),
        packed: Some(info.packed),
        charged: true,
        whole: false,
    };
    walk.expand("zip member", &info.name, reader, member)
}

/// Recovers what it can from a zip whose central directory could not be
/// read, by following local headers from the start until one is missing,
/// damaged, or leaves its size to a trailing data descriptor.
fn salvage(data: &[u8], walk: &mut Walk<'_>, error: &ZipError) {
    let archive_len = data.len() as u64;
    walk.container_error(ItemErrorKind::Corrupt, format!("corrupt zip: {error}"));
    let report = walk.error_count() - 1;
    let mut cursor = Cursor::new(data);
    // A spanned archive's marker may precede the first local header.
    if data.starts_with(b"PK\x07\x08") {
        cursor.set_position(4);
    }
    let mut recovered = 0usize;
    loop {
        // The encryption flag is checked below, so that an encrypted member
        // is reported and skipped rather than ending the walk.
        let options = ZipReadOptions::new().ignore_encryption_flag(true);
        let file = match read_zipfile_from_stream_with_options(&mut cursor, options) {
            Ok(Some(file)) => file,
            Ok(None) | Err(_) => break,
        };
        let info = info!(&file, archive_len);
        match admit(walk, &info) {
            Admit::Read => {}
            Admit::Skip => continue,
            Admit::Stop => break,
        }
        match expand(walk, &info, file) {
            Outcome::Visited | Outcome::Damaged => recovered += 1,
            Outcome::Refused => {}
            Outcome::Spent => break,
        }
    }
    if recovered > 0 {
        let noun = if recovered == 1 { "member" } else { "members" };
        walk.amend_error(
            report,
            &format!("; {recovered} {noun} recovered from local headers"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::{Entry, mark_encrypted, rename_member, run, run_with, zip, zip_stored};
    use crate::{Budget, Limits, visit_members};
    use antibody_core::{ItemErrorKind, Kind, Location};
    use std::io::{Cursor, Write};
    use zip::write::SimpleFileOptions;
    use zip::{CompressionMethod, ZipWriter};

    #[test]
    fn nested_directories_give_bang_locations_and_exact_bytes() {
        let data = zip(&[
            Entry::Dir("dir/"),
            Entry::File("dir/inner.txt", b"inner text"),
            Entry::Dir("dir/sub/"),
            Entry::File("dir/sub/deep.bin", &[0, 1, 2, 255]),
            Entry::Symlink("dir/link", "/etc/shadow"),
            Entry::File("top.txt", b""),
        ]);
        let got = run(Kind::Zip, &data, "/e/outer.zip");
        assert!(got.errors.is_empty(), "{:?}", got.errors);
        assert_eq!(
            got.names(),
            [
                "/e/outer.zip!dir/inner.txt",
                "/e/outer.zip!dir/sub/deep.bin",
                "/e/outer.zip!top.txt"
            ]
        );
        assert_eq!(got.members[0].1, b"inner text");
        assert_eq!(got.members[1].1, [0, 1, 2, 255]);
        assert_eq!(got.members[1].0.depth(), 1);
        assert!(got.members[2].1.is_empty());
    }

    #[test]
    fn flat_bomb_is_refused_before_any_expansion() {
        // 300 MiB of zeros deflate to about 300 KiB.
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        w.start_file("zeros.bin", options).unwrap();
        let chunk = vec![0u8; 1 << 20];
        for _ in 0..300 {
            w.write_all(&chunk).unwrap();
        }
        w.start_file("note.txt", options).unwrap();
        w.write_all(b"still read").unwrap();
        let data = w.finish().unwrap().into_inner();
        assert!(data.len() < 1 << 20, "bomb is {} bytes", data.len());

        let got = run(Kind::Zip, &data, "/e/bomb.zip");
        assert_eq!(got.errors.len(), 1, "{:?}", got.errors);
        let e = &got.errors[0];
        assert_eq!(e.kind, ItemErrorKind::Limit);
        assert_eq!(e.item, "/e/bomb.zip!zeros.bin");
        assert!(
            e.reason.contains("200:1 ratio limit") && e.reason.contains("300 MiB claimed"),
            "{e}"
        );
        // Refused on its declared size: not one byte was decompressed or visited.
        assert_eq!(got.budget_used, "still read".len() as u64);
        assert_eq!(got.names(), ["/e/bomb.zip!note.txt"]);
    }

    #[test]
    fn member_that_lies_about_its_size_is_cut_at_the_declared_size() {
        let mut data = zip(&[Entry::File("a.bin", &[0u8; 100_000])]);
        // Declare 1000 bytes in the central directory (uncompressed size at +24).
        let cd = data.windows(4).rposition(|w| w == b"PK\x01\x02").unwrap();
        data[cd + 24..cd + 28].copy_from_slice(&1000u32.to_le_bytes());
        let got = run(Kind::Zip, &data, "/e/liar.zip");
        assert_eq!(got.errors.len(), 1, "{:?}", got.errors);
        assert_eq!(got.errors[0].kind, ItemErrorKind::Corrupt);
        assert!(
            got.budget_used <= 1001 + 64 * 1024,
            "used {}",
            got.budget_used
        );
        assert!(got.members.iter().all(|(_, b)| b.len() <= 1001));
    }

    #[test]
    fn member_limit_stops_at_exactly_the_limit() {
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
        for i in 0..12_000 {
            w.start_file(format!("f{i}"), options).unwrap();
        }
        let data = w.finish().unwrap().into_inner();
        let got = run(Kind::Zip, &data, "/e/many.zip");
        assert_eq!(got.members.len(), 10_000);
        assert_eq!(
            got.errors.len(),
            1,
            "{:?}",
            &got.errors[..got.errors.len().min(3)]
        );
        assert_eq!(got.errors[0].kind, ItemErrorKind::Limit);
        assert_eq!(got.errors[0].item, "/e/many.zip");
        assert_eq!(
            got.errors[0].reason,
            "stopped after 10000 members (member limit)"
        );
    }

    #[test]
    fn traversal_names_are_shown_and_never_touch_the_disk() {
        let root = tempfile::tempdir().unwrap();
        let base = root.path().join("a/b");
        std::fs::create_dir_all(&base).unwrap();
        let outer = base.join("outer.zip");
        let data = zip_stored(&[("../../etc/passwd", b"root:x:0:0"), ("/abs/path", b"abs")]);
        std::fs::write(&outer, &data).unwrap();

        let got = run(Kind::Zip, &data, outer.to_str().unwrap());
        assert!(got.errors.is_empty(), "{:?}", got.errors);
        let shown = got.names();
        assert_eq!(shown[0], format!("{}!../../etc/passwd", outer.display()));
        assert_eq!(shown[1], format!("{}!/abs/path", outer.display()));
        assert_eq!(got.members[0].1, b"root:x:0:0");

        // Where an extractor would have written them, nothing is.
        assert!(!root.path().join("etc").exists());
        assert!(!std::path::Path::new("/abs/path").exists());
        let mut found: Vec<_> = walk_files(root.path());
        found.sort();
        assert_eq!(found, [outer]);
    }

    fn walk_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.extend(walk_files(&path));
            } else {
                out.push(path);
            }
        }
        out
    }

    #[test]
    fn truncated_central_directory_is_corrupt_and_members_are_recovered() {
        let data = zip_stored(&[("a.txt", b"alpha"), ("b.txt", b"bravo")]);
        let cd = data.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
        let cut = &data[..cd + 10];
        let got = run(Kind::Zip, cut, "/e/cut.zip");
        assert_eq!(got.errors.len(), 1, "{:?}", got.errors);
        assert_eq!(got.errors[0].kind, ItemErrorKind::Corrupt);
        assert_eq!(got.errors[0].item, "/e/cut.zip");
        assert!(
            got.errors[0].reason.starts_with("corrupt zip: "),
            "{}",
            got.errors[0]
        );
        assert!(
            got.errors[0]
                .reason
                .ends_with("; 2 members recovered from local headers")
        );
        assert_eq!(got.names(), ["/e/cut.zip!a.txt", "/e/cut.zip!b.txt"]);
        assert_eq!(got.members[1].1, b"bravo");
    }

    #[test]
    fn header_then_garbage_is_corrupt() {
        let mut data = b"PK\x03\x04".to_vec();
        data.extend((0..4000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
        let got = run(Kind::Zip, &data, "/e/junk.zip");
        assert!(!got.errors.is_empty());
        assert_eq!(got.errors[0].kind, ItemErrorKind::Corrupt);
        assert!(got.errors[0].reason.starts_with("corrupt zip: "));
    }

    #[test]
    fn damaged_member_does_not_stop_the_others() {
        let mut data = zip(&[
            Entry::File("a.txt", &[b'a'; 3000]),
            Entry::File("b.txt", b"bravo"),
        ]);
        // Flip bytes in the middle of a.txt's deflate stream.
        let at = 30 + "a.txt".len() + 5;
        for b in &mut data[at..at + 4] {
            *b ^= 0x5a;
        }
        let got = run(Kind::Zip, &data, "/e/d.zip");
        assert_eq!(got.errors.len(), 1, "{:?}", got.errors);
        assert_eq!(got.errors[0].kind, ItemErrorKind::Corrupt);
        assert_eq!(got.errors[0].item, "/e/d.zip!a.txt");
        let b = got
            .members
            .iter()
            .find(|(l, _)| l.leaf_name() == "b.txt")
            .unwrap();
        assert_eq!(b.1, b"bravo");
    }

    #[test]
    fn encrypted_member_is_unreadable_and_others_are_read() {
        let mut data = zip(&[
            Entry::File("secret.bin", b"ciphertext here"),
            Entry::File("plain.txt", b"plain"),
        ]);
        mark_encrypted(&mut data, "secret.bin");
        let got = run(Kind::Zip, &data, "/e/enc.zip");
        assert_eq!(got.errors.len(), 1, "{:?}", got.errors);
        assert_eq!(got.errors[0].kind, ItemErrorKind::Unreadable);
        assert_eq!(got.errors[0].item, "/e/enc.zip!secret.bin");
        assert_eq!(got.errors[0].reason, "encrypted member");
        assert_eq!(got.names(), ["/e/enc.zip!plain.txt"]);
        assert_eq!(got.members[0].1, b"plain");
    }

    #[test]
    fn unsupported_method_is_unreadable_and_named() {
        let mut data = zip_stored(&[("z.bin", b"zzz"), ("ok.txt", b"ok")]);
        // Method 93 (zstd) in the local (+8) and central (+10) header.
        let local = data.windows(4).position(|w| w == b"PK\x03\x04").unwrap();
        data[local + 8..local + 10].copy_from_slice(&93u16.to_le_bytes());
        let cd = data.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
        data[cd + 10..cd + 12].copy_from_slice(&93u16.to_le_bytes());
        let got = run(Kind::Zip, &data, "/e/m.zip");
        assert_eq!(got.errors.len(), 1, "{:?}", got.errors);
        assert_eq!(got.errors[0].kind, ItemErrorKind::Unreadable);
        assert_eq!(
            got.errors[0].reason,
            "compression method 93 (Zstd) not supported"
        );
        assert_eq!(got.names(), ["/e/m.zip!ok.txt"]);
    }

    #[test]
    fn bzip2_members_are_decoded() {
        // (The zip writer cannot write LZMA and nothing writes deflate64, so
        // those decoders are exercised only through the zip crate's tests.)
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Bzip2);
        w.start_file("b.txt", options).unwrap();
        w.write_all(&b"bzip2 ".repeat(100)).unwrap();
        let data = w.finish().unwrap().into_inner();
        let got = run(Kind::Zip, &data, "/e/bz.zip");
        assert!(got.errors.is_empty(), "{:?}", got.errors);
        assert_eq!(got.members[0].1, b"bzip2 ".repeat(100));
    }

    #[test]
    fn duplicate_names_are_reported() {
        let mut data = zip_stored(&[("a.txt", b"first"), ("b.txt", b"hidden")]);
        rename_member(&mut data, "b.txt", "a.txt");
        let got = run(Kind::Zip, &data, "/e/dup.zip");
        assert_eq!(got.errors.len(), 1, "{:?}", got.errors);
        assert_eq!(got.errors[0].kind, ItemErrorKind::Corrupt);
        assert!(got.errors[0].reason.contains("duplicate member names"));
        assert_eq!(got.members.len(), 1);
    }

    #[test]
    fn control_characters_in_names_are_escaped() {
        let data = zip_stored(&[("bad\x07\x1b[31m\u{202e}txt.exe", b"x")]);
        let got = run(Kind::Zip, &data, "/e/c.zip");
        assert_eq!(got.names(), ["/e/c.zip!bad\\x07\\x1b[31m\\u{202e}txt.exe"]);
    }

    #[test]
    fn budget_is_shared_and_never_exceeded() {
        let chunk: Vec<u8> = (0..300_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let data = zip_stored(&[
            ("1.bin", &chunk),
            ("2.bin", &chunk),
            ("3.bin", &chunk),
            ("4.bin", &chunk),
            ("5.bin", b"tiny"),
        ]);
        let limits = Limits {
            max_total: 1_000_000,
            ..Limits::default()
        };
        let budget = Budget::new(&limits);
        let at = Location::file("/e/b.zip");
        let mut seen = Vec::new();
        let errors = visit_members(Kind::Zip, &data, &at, &limits, &budget, &mut |l, b| {
            seen.push((l.to_string(), b.len()))
        });
        assert_eq!(seen.len(), 4, "{seen:?}");
        assert_eq!(seen[3].0, "/e/b.zip!5.bin");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].kind, ItemErrorKind::Limit);
        assert!(
            errors[0]
                .reason
                .contains("left of the 976.6 KiB expansion budget"),
            "{}",
            errors[0]
        );
        assert_eq!(budget.used(), 900_004);

        // A second archive of the same top-level file draws on what is left.
        let again = run_with(Kind::Zip, &data, &at, &limits);
        assert_eq!(again.members.len(), 4);
        let errors = visit_members(Kind::Zip, &data, &at, &limits, &budget, &mut |_, _| {});
        assert!(errors.iter().all(|e| e.kind == ItemErrorKind::Limit));
        assert!(budget.used() <= limits.max_total);
    }
}
