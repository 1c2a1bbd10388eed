//! IPv4 and IPv6 fragment reassembly, bounded in datagram size, pending
//! sets, buffered bytes and time (capture time, not wall time).
//!
//! IPv4 overlaps keep the first copy (as most stacks do and as the TCP
//! reassembly does); IPv6 overlaps drop the whole set, as RFC 5722 asks.
//! Every fragment or set given up is counted in [`FragStats`].

use crate::model::Micros;
use crate::packet::{self, DecodeError, FragInfo, Packet, Transport};
use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::net::IpAddr;

/// Bounds of the reassembler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragLimits {
    /// Largest datagram rebuilt (bytes after the IP header); a fragment
    /// reaching past it drops its set. Default 65535.
    pub max_datagram: usize,
    /// Most sets pending at once; the oldest is dropped for a new one.
    /// Default 4096.
    pub max_sets: usize,
    /// Most bytes buffered across all sets; the oldest sets are dropped
    /// past it. Default 16 MiB.
    pub max_bytes: usize,
    /// A set not completed within this much capture time is dropped.
    /// Default 30 s.
    pub timeout: Micros,
}

impl Default for FragLimits {
    fn default() -> Self {
        FragLimits {
            max_datagram: 65535,
            max_sets: 4096,
            max_bytes: 16 << 20,
            timeout: 30_000_000,
        }
    }
}

/// Counts of the reassembler.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FragStats {
    /// Fragments taken.
    pub fragments: u64,
    /// Datagrams rebuilt.
    pub reassembled: u64,
    /// IPv4 fragments overlapping earlier ones (first copy kept).
    pub overlaps: u64,
    /// Sets dropped for an IPv6 overlap.
    pub dropped_overlap: u64,
    /// Sets dropped for reaching past the size limit, or for fragments
    /// that disagree on where the datagram ends.
    pub dropped_oversize: u64,
    /// Sets dropped for the set-count or byte limit.
    pub dropped_limit: u64,
    /// Sets dropped unfinished after the timeout (or at the end).
    pub dropped_timeout: u64,
}

/// A rebuilt datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Upper-layer protocol (for IPv6, what the fragment header named).
    pub proto: u8,
    /// Bytes after the IP header (or the IPv6 fragment header).
    pub data: Vec<u8>,
}

impl Datagram {
    /// Decodes the transport layer, as a [`Packet`] borrowing the datagram.
    pub fn packet(&self) -> Result<Packet<'_>, DecodeError> {
        let (proto, data) = if self.src.is_ipv6() {
            // Extension headers after the fragment header belong to the
            // fragmentable part.
            let (proto, _, rest) = packet::walk_ext_headers(self.proto, &self.data)?;
            (proto, rest)
        } else {
            (self.proto, &self.data[..])
        };
        Ok(Packet {
            src: self.src,
            dst: self.dst,
            proto,
            vlan: None,
            frag: None,
            transport: packet::decode_transport(proto, data, false)?,
            truncated: false,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    id: u32,
}

#[derive(Debug)]
struct Set {
    created: Micros,
    data: Vec<u8>,
    /// Received ranges, sorted, non-overlapping, merged when touching.
    have: Vec<(u32, u32)>,
    /// Datagram length, once the last fragment came.
    total: Option<u32>,
}

impl Set {
    fn covered(&self, s: u32, e: u32) -> (bool, bool) {
        let mut any = false;
        let mut cover = s;
        for &(a, b) in &self.have {
            if a < e && b > s {
                any = true;
            }
            if a <= cover && b > cover {
                cover = b;
            }
        }
        (any, cover >= e)
    }

    fn add(&mut self, s: u32, e: u32) {
        self.have.push((s, e));
        self.have.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(self.have.len());
        for &(a, b) in &self.have {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        self.have = merged;
    }
}

/// Rebuilds fragmented datagrams.
#[derive(Debug, Default)]
pub struct FragReassembler {
    limits: FragLimits,
    sets: FxHashMap<Key, Set>,
    /// Sets by creation time, for timeouts and limits (stale entries are
    /// skipped when popped).
    order: VecDeque<(Micros, Key)>,
    bytes: usize,
    stats: FragStats,
}

impl FragReassembler {
    /// A reassembler with `limits`.
    pub fn new(limits: FragLimits) -> Self {
        FragReassembler {
            limits,
            ..Default::default()
        }
    }

    /// Counts so far.
    pub fn stats(&self) -> FragStats {
        self.stats
    }

    /// Sets pending.
    pub fn pending(&self) -> usize {
        self.sets.len()
    }

    /// Bytes buffered.
    pub fn buffered(&self) -> usize {
        self.bytes
    }

    /// Takes one fragment (a packet whose [`Packet::frag`] is set, with
    /// its data as [`Transport::Other`]); returns the datagram it
    /// completes. `now` is the capture time.
    pub fn push(&mut self, pkt: &Packet<'_>, now: Micros) -> Option<Datagram> {
        let (Some(FragInfo { id, offset, more }), Transport::Other(data)) =
            (pkt.frag, pkt.transport)
        else {
            return None;
        };
        self.stats.fragments += 1;
        self.expire(now);
        let key = Key {
            src: pkt.src,
            dst: pkt.dst,
            proto: pkt.proto,
            id,
        };
        let start = offset;
        let end = offset as usize + data.len();
        if end > self.limits.max_datagram {
            self.drop_set(&key);
            self.stats.dropped_oversize += 1;
            return None;
        }
        let end = end as u32;
        if !self.sets.contains_key(&key) {
            while self.sets.len() >= self.limits.max_sets {
                if !self.drop_oldest() {
                    break;
                }
                self.stats.dropped_limit += 1;
            }
            self.sets.insert(
                key,
                Set {
                    created: now,
                    data: Vec::new(),
                    have: Vec::new(),
                    total: None,
                },
            );
            self.order.push_back((now, key));
        }
        let v6 = pkt.src.is_ipv6();
        let set = self.sets.get_mut(&key).expect("inserted above");
        // Where the datagram ends must agree between fragments.
        let bad_end = match set.total {
            Some(t) => end > t || (!more && end != t),
            None => !more && set.have.last().is_some_and(|&(_, e)| e > end),
        };
        if bad_end {
            self.drop_set(&key);
            self.stats.dropped_oversize += 1;
            return None;
        }
        if !more {
            set.total = Some(end);
        }
        let (any, full) = set.covered(start, end);
        if any {
            if v6 {
                self.drop_set(&key);
                self.stats.dropped_overlap += 1;
                return None;
            }
            self.stats.overlaps += 1;
        }
        if !full && start < end {
            if set.data.len() < end as usize {
                let grow = end as usize - set.data.len();
                set.data.resize(end as usize, 0);
                self.bytes += grow;
            }
            // First copy wins: write only the bytes not yet received.
            let mut cursor = start;
            let ranges: Vec<(u32, u32)> = set
                .have
                .iter()
                .copied()
                .filter(|&(a, b)| a < end && b > start)
                .collect();
            for (a, b) in ranges.into_iter().chain(std::iter::once((end, end))) {
                if a > cursor {
                    let (s, e) = (cursor as usize, a.min(end) as usize);
                    set.data[s..e].copy_from_slice(&data[s - start as usize..e - start as usize]);
                }
                cursor = cursor.max(b);
            }
            set.add(start, end);
        }
        let done = set
            .total
            .is_some_and(|t| set.have.len() == 1 && set.have[0] == (0, t));
        if done {
            let set = self.sets.remove(&key).expect("present");
            self.bytes -= set.data.len();
            self.stats.reassembled += 1;
            return Some(Datagram {
                src: key.src,
                dst: key.dst,
                proto: key.proto,
                data: set.data,
            });
        }
        while self.bytes > self.limits.max_bytes && self.drop_oldest() {
            self.stats.dropped_limit += 1;
        }
        None
    }

    /// Drops every pending set (end of capture), counting them as timed out.
    pub fn clear(&mut self) {
        self.stats.dropped_timeout += self.sets.len() as u64;
        self.sets.clear();
        self.order.clear();
        self.bytes = 0;
    }

    fn drop_set(&mut self, key: &Key) {
        if let Some(s) = self.sets.remove(key) {
            self.bytes -= s.data.len();
        }
    }

    /// Drops the oldest pending set; false when there is none.
    fn drop_oldest(&mut self) -> bool {
        while let Some((created, key)) = self.order.pop_front() {
            if self.sets.get(&key).is_some_and(|s| s.created == created) {
                self.drop_set(&key);
                return true;
            }
        }
        false
    }

    fn expire(&mut self, now: Micros) {
        while let Some(&(created, key)) = self.order.front() {
            let live = self.sets.get(&key).is_some_and(|s| s.created == created);
            if !live {
                self.order.pop_front();
                continue;
            }
            if created.saturating_add(self.limits.timeout) >= now {
                break;
            }
            self.order.pop_front();
            self.drop_set(&key);
            self.stats.dropped_timeout += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::LinkType;
    use crate::packet::decode;
    use crate::testkit::pcap as tk;
    use std::net::SocketAddr;

    fn c() -> SocketAddr {
        "192.0.2.1:5000".parse().unwrap()
    }
    fn s() -> SocketAddr {
        "203.0.113.5:53".parse().unwrap()
    }

    fn run(r: &mut FragReassembler, frames: &[Vec<u8>], now: Micros) -> Option<Datagram> {
        let mut out = None;
        for f in frames {
            let p = decode(LinkType::ETHERNET, f).unwrap();
            if let Some(d) = r.push(&p, now) {
                out = Some(d);
            }
        }
        out
    }

    #[test]
    fn ipv4_in_order_and_reversed() {
        let payload: Vec<u8> = (0..200u8).collect();
        let l4 = tk::udp(c(), s(), &payload);
        let mut frames = tk::ipv4_fragments(c().ip(), s().ip(), 17, 9, &l4, 64);
        for _ in 0..2 {
            let mut r = FragReassembler::default();
            let d = run(&mut r, &frames, 0).expect("complete");
            let p = d.packet().unwrap();
            assert_eq!(p.udp().unwrap().payload, &payload[..]);
            assert_eq!(r.pending(), 0);
            assert_eq!(r.buffered(), 0);
            frames.reverse();
        }
    }

    #[test]
    fn ipv6_reassembles_and_drops_overlaps() {
        let a: SocketAddr = "[2001:db8::1]:5000".parse().unwrap();
        let b: SocketAddr = "[2001:db8::2]:53".parse().unwrap();
        let payload = vec![0x42u8; 300];
        let l4 = tk::udp(a, b, &payload);
        let frames = tk::ipv6_fragments(a.ip(), b.ip(), 17, 77, &l4, 128);
        let mut r = FragReassembler::default();
        let d = run(&mut r, &frames, 0).expect("complete");
        assert_eq!(d.packet().unwrap().udp().unwrap().payload, &payload[..]);

        // Overlap: the set is dropped (RFC 5722).
        let mut r = FragReassembler::default();
        let f0 = tk::ethernet(
            0x86dd,
            &tk::ipv6_fragment(a.ip(), b.ip(), 17, 5, 0, true, &l4[..64]),
        );
        let f1 = tk::ethernet(
            0x86dd,
            &tk::ipv6_fragment(a.ip(), b.ip(), 17, 5, 32, false, &l4[32..100]),
        );
        assert!(run(&mut r, &[f0, f1], 0).is_none());
        assert_eq!(r.stats().dropped_overlap, 1);
        assert_eq!(r.pending(), 0);
    }

    #[test]
    fn ipv4_overlap_keeps_first_copy() {
        let l4 = tk::udp(c(), s(), &[b'A'; 40]);
        let ip = |off: u32, more: bool, d: &[u8]| {
            tk::ethernet(
                0x0800,
                &tk::ipv4_fragment(c().ip(), s().ip(), 17, 3, off, more, d),
            )
        };
        // 16..32 overlaps the first fragment's 16..24 (kept) and is first
        // for 24..32 (taken), before the third fragment repeats 24..40.
        let evil = [b'B'; 16];
        let frames = [
            ip(0, true, &l4[..24]),
            ip(16, true, &evil),
            ip(24, false, &l4[24..]),
        ];
        let mut r = FragReassembler::default();
        let d = run(&mut r, &frames, 0).expect("complete");
        let mut want = l4.clone();
        want[24..32].fill(b'B');
        assert_eq!(d.data, want);
        assert_eq!(r.stats().overlaps, 2);
    }

    #[test]
    fn oversized_set_is_dropped() {
        let mut r = FragReassembler::default();
        let f = tk::ethernet(
            0x0800,
            &tk::ipv4_fragment(c().ip(), s().ip(), 17, 4, 65528, false, &[0; 16]),
        );
        assert!(run(&mut r, &[f], 0).is_none());
        assert_eq!(r.stats().dropped_oversize, 1);
        assert_eq!(r.pending(), 0);
    }

    #[test]
    fn disagreeing_ends_drop_the_set() {
        let mut r = FragReassembler::default();
        let ip = |off: u32, more: bool, n: usize| {
            tk::ethernet(
                0x0800,
                &tk::ipv4_fragment(c().ip(), s().ip(), 17, 8, off, more, &vec![0; n]),
            )
        };
        assert!(run(&mut r, &[ip(8, false, 16), ip(16, true, 16)], 0).is_none());
        assert_eq!(r.stats().dropped_oversize, 1);
    }

    #[test]
    fn timeout_and_limits() {
        let lim = FragLimits {
            max_sets: 3,
            ..FragLimits::default()
        };
        let mut r = FragReassembler::new(lim);
        for id in 0..5u16 {
            let f = tk::ethernet(
                0x0800,
                &tk::ipv4_fragment(c().ip(), s().ip(), 17, id, 0, true, &[0; 8]),
            );
            run(&mut r, &[f], 0);
        }
        assert_eq!(r.pending(), 3);
        assert_eq!(r.stats().dropped_limit, 2);
        let f = tk::ethernet(
            0x0800,
            &tk::ipv4_fragment(c().ip(), s().ip(), 17, 99, 0, true, &[0; 8]),
        );
        run(&mut r, &[f], 31_000_000);
        assert_eq!(r.stats().dropped_timeout, 3);
        assert_eq!(r.pending(), 1);
        assert_eq!(r.buffered(), 8);

        let mut r = FragReassembler::new(FragLimits {
            max_bytes: 20,
            ..FragLimits::default()
        });
        for id in 0..3u16 {
            let f = tk::ethernet(
                0x0800,
                &tk::ipv4_fragment(c().ip(), s().ip(), 17, id, 0, true, &[0; 16]),
            );
            run(&mut r, &[f], 0);
        }
        assert!(r.buffered() <= 20);
        assert_eq!(r.stats().dropped_limit, 2);
    }
}
