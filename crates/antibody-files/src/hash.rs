//! File digests in one pass, computing only the algorithms packs need.

use antibody_core::FileInfo;
use antibody_core::pack::HashAlgo;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// Block size fed to every hasher in turn, so the data is read from memory
/// once while it is hot in cache.
const BLOCK: usize = 64 * 1024;

/// Computes the requested digests of `data` in a single pass.
pub fn digests(data: &[u8], algos: &[HashAlgo]) -> FileInfo {
    let mut md5 = algos.contains(&HashAlgo::Md5).then(Md5::new);
    let mut sha1 = algos.contains(&HashAlgo::Sha1).then(Sha1::new);
    let mut sha256 = algos.contains(&HashAlgo::Sha256).then(Sha256::new);
    for block in data.chunks(BLOCK) {
        if let Some(h) = md5.as_mut() {
            h.update(block);
        }
        if let Some(h) = sha1.as_mut() {
            h.update(block);
        }
        if let Some(h) = sha256.as_mut() {
            h.update(block);
        }
    }
    FileInfo {
        size: data.len() as u64,
        md5: md5.map(|h| hex::encode(h.finalize())),
        sha1: sha1.map(|h| hex::encode(h.finalize())),
        sha256: sha256.map(|h| hex::encode(h.finalize())),
    }
}

/// Adds the digests missing from `info` (used when a finding needs a
/// SHA-256 that no pack asked for).
pub fn complete(info: &mut FileInfo, data: &[u8], algos: &[HashAlgo]) {
    let missing: Vec<HashAlgo> = algos
        .iter()
        .copied()
        .filter(|a| match a {
            HashAlgo::Md5 => info.md5.is_none(),
            HashAlgo::Sha1 => info.sha1.is_none(),
            HashAlgo::Sha256 => info.sha256.is_none(),
        })
        .collect();
    if missing.is_empty() {
        return;
    }
    let more = digests(data, &missing);
    info.md5 = info.md5.take().or(more.md5);
    info.sha1 = info.sha1.take().or(more.sha1);
    info.sha256 = info.sha256.take().or(more.sha256);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        let all = [HashAlgo::Md5, HashAlgo::Sha1, HashAlgo::Sha256];
        let i = digests(b"abc", &all);
        assert_eq!(i.md5.as_deref(), Some("900150983cd24fb0d6963f7d28e17f72"));
        assert_eq!(
            i.sha1.as_deref(),
            Some("a9993e364706816aba3e25717850c26c9cd0d89d")
        );
        assert_eq!(
            i.sha256.as_deref(),
            Some("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        assert_eq!(i.size, 3);
    }

    #[test]
    fn only_requested_algorithms_and_multi_block_input() {
        let data = vec![b'a'; BLOCK * 3 + 7];
        let i = digests(&data, &[HashAlgo::Sha1]);
        assert!(i.md5.is_none() && i.sha256.is_none());
        let whole = hex::encode(Sha1::digest(&data));
        assert_eq!(i.sha1.unwrap(), whole);
    }

    #[test]
    fn complete_adds_missing_only() {
        let mut i = digests(b"abc", &[HashAlgo::Md5]);
        complete(&mut i, b"abc", &[HashAlgo::Sha256]);
        assert!(i.md5.is_some() && i.sha256.is_some() && i.sha1.is_none());
    }
}
