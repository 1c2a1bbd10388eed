//! Safety limits, the shared expansion budget, and the capped read that
//! enforces both while a member is decompressed.
//!
//! Every member is read through [`read_capped`], which asks the decoder for
//! at most one byte more than the smallest applicable limit. A member that
//! produces that extra byte is over the limit and is dropped, so a bomb never
//! costs more memory or work than the limit itself.

use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;

/// Up to this many expanded bytes a member may have any compression ratio:
/// small, highly compressible files (logs, sparse configs) are common and
/// harmless.
pub const RATIO_FLOOR: u64 = MIB;

/// Safety limits for opening archives, with safe defaults via [`Default`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// How deeply archives may nest: a container whose
    /// [`Location::depth`](antibody_core::Location::depth) is at least this
    /// is not opened and a limit problem is reported. Default 5.
    pub max_depth: usize,
    /// Regular-file members visited per archive before the rest are left
    /// unread. Default 10 000.
    pub max_members: usize,
    /// Uncompressed bytes allowed for one member. Default 256 MiB.
    pub max_member_size: u64,
    /// Uncompressed-to-compressed ratio allowed for one member, enforced once
    /// the member expands past [`RATIO_FLOOR`]. Zip members are measured
    /// against their own compressed size, a gzip stream against the whole
    /// stream. Default 200.
    pub max_ratio: u64,
    /// Decompressed bytes allowed for one top-level file and everything
    /// nested in it, shared through a [`Budget`]. Default 2 GiB.
    pub max_total: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 5,
            max_members: 10_000,
            max_member_size: 256 * MIB,
            max_ratio: 200,
            max_total: 2 * GIB,
        }
    }
}

/// The expansion budget of one top-level file, shared by every archive
/// nested in it.
///
/// Create one per top-level file and pass the same `&Budget` to each nested
/// [`visit_members`](crate::visit_members) call. Counting is atomic, so a
/// budget may also be shared across threads.
#[derive(Debug)]
pub struct Budget {
    total: u64,
    used: AtomicU64,
}

impl Budget {
    /// A fresh budget of `limits.max_total` bytes.
    pub fn new(limits: &Limits) -> Self {
        Budget {
            total: limits.max_total,
            used: AtomicU64::new(0),
        }
    }

    /// Decompressed bytes spent so far (never more than the total).
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    /// The size of the budget.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Bytes that may still be decompressed.
    pub(crate) fn remaining(&self) -> u64 {
        self.total.saturating_sub(self.used())
    }

    /// Spends `bytes`, saturating at the total.
    pub(crate) fn charge(&self, bytes: u64) {
        let total = self.total;
        // The closure always returns Some, so the update cannot fail.
        let _ = self
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                Some(used.saturating_add(bytes).min(total))
            });
    }
}

/// Which limit bounds a member's expansion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bound {
    /// [`Limits::max_member_size`].
    MemberSize,
    /// [`Limits::max_ratio`] applied to `packed` compressed bytes.
    Ratio {
        /// The compressed size the ratio is measured against.
        packed: u64,
    },
    /// What is left of the [`Budget`].
    Budget,
}

/// The most bytes a member may expand to, and the limit that sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cap {
    /// The most bytes allowed.
    pub bytes: u64,
    /// The limit that sets `bytes`.
    pub bound: Bound,
}

impl Cap {
    /// The cap for one member. `packed` is its compressed size when the
    /// ratio applies; `charged` says whether it spends the budget (stored
    /// tar members are copies of bytes already counted and do not).
    pub fn new(limits: &Limits, budget: &Budget, packed: Option<u64>, charged: bool) -> Cap {
        let mut cap = Cap {
            bytes: limits.max_member_size,
            bound: Bound::MemberSize,
        };
        if let Some(packed) = packed {
            let ratio = packed.saturating_mul(limits.max_ratio).max(RATIO_FLOOR);
            if ratio < cap.bytes {
                cap = Cap {
                    bytes: ratio,
                    bound: Bound::Ratio { packed },
                };
            }
        }
        if charged && budget.remaining() < cap.bytes {
            cap = Cap {
                bytes: budget.remaining(),
                bound: Bound::Budget,
            };
        }
        cap
    }
}

/// What [`read_capped`] got.
#[derive(Debug)]
pub(crate) struct Capped {
    /// The bytes read: at most the cap plus one.
    pub bytes: Vec<u8>,
    /// More than the cap was available: `bytes` is incomplete.
    pub over: bool,
    /// The read failed after `bytes`.
    pub error: Option<io::Error>,
}

/// Bytes read per call; also the unit the output grows by at first.
const CHUNK: usize = 64 * 1024;

/// Trusted size hints reserve at most this much up front; beyond it the
/// output grows as the bytes actually arrive.
const MAX_RESERVE: u64 = 64 * MIB;

/// Reads `reader` to its end, but never more than `cap + 1` bytes, and never
/// lets the output's capacity pass `cap + 1` (a plain `read_to_end` doubles
/// its buffer and could allocate twice the cap). `hint` is the declared size,
/// used only to size the first allocation.
pub(crate) fn read_capped(reader: impl Read, cap: u64, hint: u64) -> Capped {
    let limit = cap.saturating_add(1);
    let mut reader = reader.take(limit);
    let mut bytes = Vec::with_capacity(to_usize(hint.min(limit).min(MAX_RESERVE)));
    let mut chunk = vec![0u8; CHUNK];
    let mut error = None;
    loop {
        match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                let want = bytes.len() + n;
                if want > bytes.capacity() {
                    let grown = (bytes.capacity() * 2).max(want).max(CHUNK);
                    let grown = grown.min(to_usize(limit).max(want));
                    bytes.reserve_exact(grown - bytes.len());
                }
                bytes.extend_from_slice(&chunk[..n]);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    let over = bytes.len() as u64 > cap;
    Capped { bytes, over, error }
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// A byte count for people: `512 bytes`, `300 KiB`, `1.5 GiB`.
pub(crate) fn human(bytes: u64) -> String {
    const UNITS: [(u64, &str); 4] = [(1 << 40, "TiB"), (GIB, "GiB"), (MIB, "MiB"), (KIB, "KiB")];
    for (unit, name) in UNITS {
        if bytes >= unit {
            if bytes.is_multiple_of(unit) {
                return format!("{} {name}", bytes / unit);
            }
            return format!("{:.1} {name}", bytes as f64 / unit as f64);
        }
    }
    if bytes == 1 {
        "1 byte".to_string()
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones() {
        let l = Limits::default();
        assert_eq!(l.max_depth, 5);
        assert_eq!(l.max_members, 10_000);
        assert_eq!(l.max_member_size, 256 * MIB);
        assert_eq!(l.max_ratio, 200);
        assert_eq!(l.max_total, 2 * GIB);
    }

    #[test]
    fn cap_picks_the_smallest_limit() {
        let limits = Limits {
            max_total: 10 * MIB,
            ..Limits::default()
        };
        let budget = Budget::new(&limits);
        let cap = Cap::new(&limits, &budget, None, false);
        assert_eq!(cap.bound, Bound::MemberSize);
        let cap = Cap::new(&limits, &budget, None, true);
        assert_eq!((cap.bytes, cap.bound), (10 * MIB, Bound::Budget));
        let cap = Cap::new(&limits, &budget, Some(10 * KIB), true);
        assert_eq!(cap.bytes, 2000 * KIB);
        assert_eq!(cap.bound, Bound::Ratio { packed: 10 * KIB });
        // Below the floor the ratio does not bind.
        let cap = Cap::new(&limits, &budget, Some(1), false);
        assert_eq!(cap.bytes, RATIO_FLOOR);
    }

    #[test]
    fn budget_saturates_at_total() {
        let limits = Limits {
            max_total: 100,
            ..Limits::default()
        };
        let budget = Budget::new(&limits);
        budget.charge(60);
        assert_eq!(budget.remaining(), 40);
        budget.charge(60);
        assert_eq!((budget.used(), budget.remaining()), (100, 0));
    }

    #[test]
    fn read_capped_stops_one_byte_past_the_cap() {
        let endless = io::repeat(7);
        let got = read_capped(endless, 200_000, 0);
        assert!(got.over);
        assert_eq!(got.bytes.len(), 200_001);
        assert!(
            got.bytes.capacity() <= 200_001,
            "capacity {}",
            got.bytes.capacity()
        );

        let got = read_capped(&b"hello"[..], 5, 5);
        assert!(!got.over);
        assert_eq!(got.bytes, b"hello");
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human(1), "1 byte");
        assert_eq!(human(512), "512 bytes");
        assert_eq!(human(MIB), "1 MiB");
        assert_eq!(human(2 * GIB), "2 GiB");
        assert_eq!(human(1536 * KIB), "1.5 MiB");
    }
}
