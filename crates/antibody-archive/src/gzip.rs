//! Gzip: the whole stream, every concatenated member of it, as one member.

use crate::{Member, Walk, name};
use flate2::bufread::GzDecoder;
use std::io::{self, Read};

/// Shown for a gzip stream with no file name to go by.
const UNNAMED_GZIP: &str = "(gzip)";

/// The first two bytes of every gzip member.
const MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Visits the decompressed content of the gzip stream `data`.
pub(crate) fn walk(data: &[u8], walk: &mut Walk<'_>) {
    let decoder = GzDecoder::new(data);
    let name = match decoder.header().and_then(|h| h.filename()) {
        Some(fname) if !fname.is_empty() => name::display_bytes(fname),
        _ => name::display(&outer_name(walk.at.leaf_name())),
    };
    if !walk.admit() {
        return;
    }
    let member = Member {
        // ISIZE is the size modulo 4 GiB of the last member only, and the
        // last four bytes are not even ISIZE when data trails the stream:
        // nothing worth refusing a member on.
        declared: None,
        packed: Some(data.len() as u64),
        charged: true,
        whole: true,
    };
    let reader = Members {
        decoder: Some(decoder),
    };
    walk.expand("gzip", &name, reader, member);
}

/// The name the decompressed content goes by when the header has none:
/// `a.gz` gives `a`, `a.tgz` gives `a.tar`.
fn outer_name(leaf: &str) -> String {
    let lower = leaf.to_ascii_lowercase();
    let stem = if lower.ends_with(".tgz") {
        format!("{}.tar", &leaf[..leaf.len() - 4])
    } else if lower.ends_with(".gz") {
        leaf[..leaf.len() - 3].to_string()
    } else {
        String::new()
    };
    if stem.is_empty() || stem == ".tar" {
        UNNAMED_GZIP.to_string()
    } else {
        stem
    }
}

/// Reads concatenated gzip members one after the other, as `gzip -d` does.
///
/// Unlike `MultiGzDecoder`, data after the last member that is not another
/// gzip member (tape padding, appended bytes) ends the stream instead of
/// failing it; the caller scans the container's raw bytes anyway.
struct Members<'a> {
    decoder: Option<GzDecoder<&'a [u8]>>,
}

impl Read for Members<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(decoder) = self.decoder.as_mut() else {
                return Ok(0);
            };
            let n = decoder.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            // This member is complete (its CRC and length checked); the
            // bufread decoder has consumed exactly its bytes.
            let rest = self.decoder.take().map(GzDecoder::into_inner);
            if let Some(rest) = rest
                && rest.starts_with(&MAGIC)
            {
                self.decoder = Some(GzDecoder::new(rest));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{gzip, gzip_named, run};
    use antibody_core::{ItemErrorKind, Kind};

    #[test]
    fn name_comes_from_fname() {
        let data = gzip_named(b"%PDF-1.7 report", "report.pdf");
        let got = run(Kind::Gzip, &data, "/e/download.bin");
        assert!(got.errors.is_empty(), "{:?}", got.errors);
        assert_eq!(got.names(), ["/e/download.bin!report.pdf"]);
        assert_eq!(got.members[0].1, b"%PDF-1.7 report");
    }

    #[test]
    fn name_falls_back_to_the_outer_name() {
        assert_eq!(outer_name("a.gz"), "a");
        assert_eq!(outer_name("logs.TGZ"), "logs.tar");
        assert_eq!(outer_name("a.tar.gz"), "a.tar");
        assert_eq!(outer_name("blob"), UNNAMED_GZIP);
        assert_eq!(outer_name(".gz"), UNNAMED_GZIP);
        let got = run(Kind::Gzip, &gzip(b"x"), "/e/backup.tgz");
        assert_eq!(got.names(), ["/e/backup.tgz!backup.tar"]);
        let got = run(Kind::Gzip, &gzip(b"x"), "/e/blob");
        assert_eq!(got.names(), ["/e/blob!(gzip)"]);
    }

    #[test]
    fn concatenated_members_decompress_fully() {
        let mut data = gzip(b"first half, ");
        data.extend(gzip(b"second half"));
        let got = run(Kind::Gzip, &data, "/e/multi.gz");
        assert!(got.errors.is_empty(), "{:?}", got.errors);
        assert_eq!(got.members.len(), 1);
        assert_eq!(got.members[0].1, b"first half, second half");
    }

    #[test]
    fn trailing_padding_is_ignored() {
        let mut data = gzip(b"payload");
        data.extend([0u8; 512]);
        let got = run(Kind::Gzip, &data, "/e/padded.gz");
        assert!(got.errors.is_empty(), "{:?}", got.errors);
        assert_eq!(got.members[0].1, b"payload");
    }

    #[test]
    fn truncated_stream_is_corrupt_and_keeps_what_decoded() {
        let content: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let data = gzip(&content);
        let cut = &data[..data.len() / 2];
        let got = run(Kind::Gzip, cut, "/e/cut.gz");
        assert_eq!(got.errors.len(), 1, "{:?}", got.errors);
        assert_eq!(got.errors[0].kind, ItemErrorKind::Corrupt);
        assert_eq!(got.errors[0].item, "/e/cut.gz");
        assert!(
            got.errors[0].reason.starts_with("corrupt gzip: "),
            "{}",
            got.errors[0]
        );
        assert_eq!(got.names(), ["/e/cut.gz!cut"]);
        // The decoded prefix is still handed over for scanning.
        let partial = &got.members[0].1;
        assert!(!partial.is_empty() && partial.len() < content.len());
        assert_eq!(partial[..], content[..partial.len()]);
    }

    #[test]
    fn not_gzip_at_all_is_corrupt() {
        let got = run(Kind::Gzip, b"\x1f\x8bnot really", "/e/x.gz");
        assert_eq!(got.errors.len(), 1);
        assert_eq!(got.errors[0].kind, ItemErrorKind::Corrupt);
        assert!(got.members.is_empty());
    }
}
