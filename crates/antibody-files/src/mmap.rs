//! Reading a file's bytes: memory-mapped when large, read when small or
//! when mapping fails.
//!
//! The one `unsafe` block of the crate lives here. A mapped file that
//! another process truncates while we read it can raise SIGBUS; ripgrep
//! accepts the same risk. Small files are read instead, which is also
//! faster for them than a mapping.

use std::fs::File;
use std::io::Read;
use std::ops::Deref;

/// Files at least this big are mapped rather than read.
pub const MMAP_THRESHOLD: u64 = 256 * 1024;

/// A file's content, mapped or owned.
pub enum Content {
    /// Memory-mapped.
    Mapped(memmap2::Mmap),
    /// Read into memory.
    Owned(Vec<u8>),
}

impl Deref for Content {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Content::Mapped(m) => m,
            Content::Owned(v) => v,
        }
    }
}

/// Loads up to `len` bytes of `file` (its size from metadata).
pub fn load(file: &mut File, len: u64, use_mmap: bool) -> std::io::Result<Content> {
    if use_mmap && len >= MMAP_THRESHOLD {
        // SAFETY: the map is read-only and private to this process; see the
        // module comment for the truncation caveat.
        if let Ok(m) = unsafe { memmap2::MmapOptions::new().len(len as usize).map(&*file) } {
            return Ok(Content::Mapped(m));
        }
    }
    let mut buf = Vec::with_capacity(len.min(64 * 1024 * 1024) as usize);
    file.take(len).read_to_end(&mut buf)?;
    Ok(Content::Owned(buf))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn small_is_read_large_is_mapped_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        for (n, size) in [("small", 10usize), ("large", MMAP_THRESHOLD as usize + 5)] {
            let p = dir.path().join(n);
            let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            File::create(&p).unwrap().write_all(&data).unwrap();
            let mut f = File::open(&p).unwrap();
            let c = load(&mut f, size as u64, true).unwrap();
            assert_eq!(&c[..], &data[..]);
            assert_eq!(
                matches!(c, Content::Mapped(_)),
                size as u64 >= MMAP_THRESHOLD
            );
            let mut f = File::open(&p).unwrap();
            let c = load(&mut f, size as u64, false).unwrap();
            assert!(matches!(c, Content::Owned(_)));
            assert_eq!(&c[..], &data[..]);
        }
    }

    #[test]
    fn file_shorter_than_claimed_is_read_not_faulted() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("short");
        File::create(&p).unwrap().write_all(b"abc").unwrap();
        let mut f = File::open(&p).unwrap();
        // Claimed length under the threshold: read path returns what exists.
        let c = load(&mut f, 100, true).unwrap();
        assert_eq!(&c[..], b"abc");
    }
}
