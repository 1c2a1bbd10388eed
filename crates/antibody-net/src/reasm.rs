//! TCP stream reassembly for one direction of a connection.
//!
//! In-order data is handed on straight from the packet (no copy); only
//! segments that arrive ahead of a hole are buffered, bounded per
//! direction and across all streams ([`Budget`]). When a bound is hit the
//! stream skips forward to the buffered data and reports the hole as a
//! gap. Overlapping data keeps the first copy seen, and overlaps whose
//! bytes differ are counted. Sequence numbers wrap: positions are kept as
//! 64-bit stream offsets.

use crate::proto::Interest;
use std::collections::BTreeMap;

/// Segments further ahead than this are not believed (a TCP window is at
/// most 1 GiB) and dropped.
const MAX_AHEAD: u32 = 1 << 30;

/// What a stream hands on, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chunk<'a> {
    /// Stream bytes.
    Data(&'a [u8]),
    /// This many bytes are missing here.
    Gap(u64),
}

/// Out-of-order bytes buffered by all streams sharing this budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Bytes buffered now.
    pub used: usize,
    /// Most bytes all streams together may buffer.
    pub cap: usize,
}

impl Budget {
    /// A budget of `cap` bytes, none used.
    pub fn new(cap: usize) -> Self {
        Budget { used: 0, cap }
    }
}

/// One TCP segment as reassembly sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment<'a> {
    /// Sequence number.
    pub seq: u32,
    /// SYN flag (the data starts one past `seq`).
    pub syn: bool,
    /// FIN flag (the stream ends after `payload`).
    pub fin: bool,
    /// Segment data.
    pub payload: &'a [u8],
}

/// What one segment did, beyond handing on data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SegmentOutcome {
    /// Overlaps with different bytes found while placing this segment.
    pub overlaps: u32,
    /// The segment only held bytes already handed on or buffered.
    pub retransmission: bool,
    /// The segment was too far ahead to be believed and was dropped.
    pub out_of_window: bool,
}

const STARTED: u8 = 1;
const DONE: u8 = 2;
const FIN_SEEN: u8 = 4;

#[derive(Debug, Default)]
struct Ooo {
    /// Non-overlapping segments by stream offset, all at or past `off`.
    segs: BTreeMap<u64, Vec<u8>>,
    bytes: usize,
}

/// Reassembly state of one direction.
#[derive(Debug, Default)]
pub struct Stream {
    /// Sequence number of the next byte expected.
    next: u32,
    /// Sequence number just past the FIN.
    fin: u32,
    /// Stream offset of `next` (bytes handed on plus bytes skipped).
    off: u64,
    ooo: Option<Box<Ooo>>,
    flags: u8,
    /// Bytes reported missing.
    missing: u64,
    /// Overlaps with different bytes.
    overlaps: u64,
}

impl Stream {
    /// Bytes reported as gaps so far.
    pub fn missing(&self) -> u64 {
        self.missing
    }

    /// Overlaps with different bytes so far.
    pub fn overlaps(&self) -> u64 {
        self.overlaps
    }

    /// Whether the consumer said [`Interest::Done`].
    pub fn is_done(&self) -> bool {
        self.flags & DONE != 0
    }

    /// Stops reassembly: nothing more is handed on or buffered.
    pub fn set_done(&mut self, budget: &mut Budget) {
        self.flags |= DONE;
        self.release(budget);
    }

    /// Bytes buffered out of order now.
    pub fn buffered(&self) -> usize {
        self.ooo.as_ref().map_or(0, |o| o.bytes)
    }

    /// Frees the buffered segments and returns their bytes to `budget`.
    pub fn release(&mut self, budget: &mut Budget) {
        if let Some(o) = self.ooo.take() {
            budget.used -= o.bytes;
        }
    }

    /// Takes one segment of this direction. `per_dir_cap` bounds this
    /// stream's out-of-order buffer; `out` receives data and gaps in order
    /// and says whether to go on.
    pub fn segment<F>(
        &mut self,
        seg: Segment<'_>,
        per_dir_cap: usize,
        budget: &mut Budget,
        out: &mut F,
    ) -> SegmentOutcome
    where
        F: FnMut(Chunk<'_>) -> Interest,
    {
        let Segment {
            seq,
            syn,
            fin,
            payload,
        } = seg;
        let mut res = SegmentOutcome::default();
        if self.is_done() {
            return res;
        }
        let data_seq = if syn { seq.wrapping_add(1) } else { seq };
        if syn && self.off == 0 && self.ooo.is_none() {
            // The SYN (or its retransmission) fixes the ISN until data flows.
            self.next = data_seq;
            self.flags |= STARTED;
        }
        if self.flags & STARTED == 0 {
            self.next = data_seq;
            self.flags |= STARTED;
        }
        if fin {
            self.fin = data_seq.wrapping_add(payload.len() as u32);
            self.flags |= FIN_SEEN;
        }
        if payload.is_empty() {
            return res;
        }
        let mut data = payload;
        let mut seq = data_seq;
        loop {
            let d = seq.wrapping_sub(self.next) as i32;
            if d < 0 {
                let skip = d.unsigned_abs() as usize;
                if skip >= data.len() {
                    res.retransmission = true;
                    return res;
                }
                data = &data[skip..];
                seq = self.next;
                continue;
            }
            if d == 0 {
                self.in_order(data, budget, &mut res, out);
                return res;
            }
            let d = d as u32;
            if d >= MAX_AHEAD {
                res.out_of_window = true;
                return res;
            }
            let buffered = self.buffered();
            let fits =
                buffered + data.len() <= per_dir_cap && budget.used + data.len() <= budget.cap;
            if fits {
                let at = self.off + u64::from(d);
                self.insert(at, data, budget, &mut res);
                return res;
            }
            if buffered > 0 {
                // Give up on the oldest hole, then place the segment again.
                self.skip_hole(budget, &mut res, out);
                if self.is_done() {
                    return res;
                }
                continue;
            }
            // Nothing buffered and still too big to wait for the hole.
            if self.gap(u64::from(d), out) == Interest::Done {
                self.set_done(budget);
                return res;
            }
        }
    }

    /// End of the connection (or of the capture): buffered data is handed
    /// on after gaps, and a hole before the FIN is a gap.
    pub fn finish<F>(&mut self, budget: &mut Budget, out: &mut F) -> u32
    where
        F: FnMut(Chunk<'_>) -> Interest,
    {
        let mut res = SegmentOutcome::default();
        while self.buffered() > 0 && !self.is_done() {
            self.skip_hole(budget, &mut res, out);
        }
        if !self.is_done() && self.flags & FIN_SEEN != 0 {
            let d = self.fin.wrapping_sub(self.next) as i32;
            if d > 0 && self.gap(d as u64, out) == Interest::Done {
                self.set_done(budget);
            }
        }
        res.overlaps
    }

    fn advance(&mut self, n: usize) {
        self.off += n as u64;
        self.next = self.next.wrapping_add(n as u32);
    }

    fn gap<F>(&mut self, len: u64, out: &mut F) -> Interest
    where
        F: FnMut(Chunk<'_>) -> Interest,
    {
        self.missing += len;
        self.off += len;
        self.next = self.next.wrapping_add(len as u32);
        out(Chunk::Gap(len))
    }

    /// Reports the hole before the first buffered segment and hands on
    /// what follows it.
    fn skip_hole<F>(&mut self, budget: &mut Budget, res: &mut SegmentOutcome, out: &mut F)
    where
        F: FnMut(Chunk<'_>) -> Interest,
    {
        let Some(first) = self
            .ooo
            .as_ref()
            .and_then(|o| o.segs.keys().next().copied())
        else {
            return;
        };
        let hole = first - self.off;
        if hole > 0 && self.gap(hole, out) == Interest::Done {
            self.set_done(budget);
            return;
        }
        self.in_order(&[], budget, res, out);
    }

    /// Hands on `data`, which starts at `next`, merged with buffered
    /// segments (the buffered copy wins where they overlap: it came first),
    /// then every buffered segment that became contiguous.
    fn in_order<F>(
        &mut self,
        mut data: &[u8],
        budget: &mut Budget,
        res: &mut SegmentOutcome,
        out: &mut F,
    ) where
        F: FnMut(Chunk<'_>) -> Interest,
    {
        loop {
            let first = self
                .ooo
                .as_ref()
                .and_then(|o| o.segs.keys().next().copied());
            let end = self.off + data.len() as u64;
            match first {
                Some(k) if k <= end => {
                    if k > self.off {
                        let n = (k - self.off) as usize;
                        let (now, rest) = data.split_at(n);
                        self.advance(n);
                        if out(Chunk::Data(now)) == Interest::Done {
                            self.set_done(budget);
                            return;
                        }
                        data = rest;
                    }
                    let ooo = self.ooo.as_mut().expect("a first segment");
                    let (_, seg) = ooo.segs.pop_first().expect("a first segment");
                    ooo.bytes -= seg.len();
                    budget.used -= seg.len();
                    if ooo.segs.is_empty() {
                        self.ooo = None;
                    }
                    let n = data.len().min(seg.len());
                    if data[..n] != seg[..n] {
                        res.overlaps += 1;
                        self.overlaps += 1;
                    }
                    data = &data[n..];
                    self.advance(seg.len());
                    if out(Chunk::Data(&seg)) == Interest::Done {
                        self.set_done(budget);
                        return;
                    }
                }
                _ => {
                    if !data.is_empty() {
                        self.advance(data.len());
                        if out(Chunk::Data(data)) == Interest::Done {
                            self.set_done(budget);
                        }
                    }
                    return;
                }
            }
        }
    }

    /// Buffers `data` at stream offset `at` (> `off`), keeping bytes
    /// already buffered where they overlap.
    fn insert(&mut self, at: u64, data: &[u8], budget: &mut Budget, res: &mut SegmentOutcome) {
        let ooo = self.ooo.get_or_insert_with(Box::default);
        let end = at + data.len() as u64;
        // Buffered segments that touch [at, end): the one starting before
        // `at` (if it reaches in) and those starting inside.
        let mut touching: Vec<(u64, u64)> = Vec::new();
        if let Some((&k, v)) = ooo.segs.range(..at).next_back()
            && k + v.len() as u64 > at
        {
            touching.push((k, k + v.len() as u64));
        }
        touching.extend(
            ooo.segs
                .range(at..end)
                .map(|(&k, v)| (k, k + v.len() as u64)),
        );
        let mut cursor = at;
        let mut differ = false;
        let mut added = 0usize;
        let mut new_pieces: Vec<(u64, Vec<u8>)> = Vec::new();
        for (k, e) in touching {
            if k > cursor {
                let piece = &data[(cursor - at) as usize..(k - at) as usize];
                new_pieces.push((cursor, piece.to_vec()));
                added += piece.len();
            }
            let (ov_s, ov_e) = (k.max(at), e.min(end));
            if ov_s < ov_e {
                let old = &ooo.segs[&k][(ov_s - k) as usize..(ov_e - k) as usize];
                if old != &data[(ov_s - at) as usize..(ov_e - at) as usize] {
                    differ = true;
                }
            }
            cursor = cursor.max(e);
        }
        if cursor < end {
            let piece = &data[(cursor - at) as usize..];
            new_pieces.push((cursor, piece.to_vec()));
            added += piece.len();
        }
        if added == 0 {
            res.retransmission = !differ;
        }
        if differ {
            res.overlaps += 1;
            self.overlaps += 1;
        }
        for (k, v) in new_pieces {
            ooo.segs.insert(k, v);
        }
        ooo.bytes += added;
        budget.used += added;
        if ooo.segs.is_empty() {
            self.ooo = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Collects what a stream hands on; says Done after `stop_after` bytes.
    struct Sink {
        data: Vec<u8>,
        gaps: Vec<u64>,
        stop_after: usize,
    }

    impl Sink {
        fn new() -> Self {
            Sink {
                data: Vec::new(),
                gaps: Vec::new(),
                stop_after: usize::MAX,
            }
        }
        fn f(&mut self) -> impl FnMut(Chunk<'_>) -> Interest + '_ {
            |c| {
                match c {
                    Chunk::Data(d) => self.data.extend_from_slice(d),
                    Chunk::Gap(n) => self.gaps.push(n),
                }
                if self.data.len() >= self.stop_after {
                    Interest::Done
                } else {
                    Interest::More
                }
            }
        }
    }

    fn feed(
        s: &mut Stream,
        b: &mut Budget,
        sink: &mut Sink,
        seq: u32,
        data: &[u8],
    ) -> SegmentOutcome {
        s.segment(
            Segment {
                seq,
                syn: false,
                fin: false,
                payload: data,
            },
            1 << 20,
            b,
            &mut sink.f(),
        )
    }

    #[test]
    fn in_order_after_syn() {
        let (mut s, mut b, mut k) = (Stream::default(), Budget::new(1 << 20), Sink::new());
        s.segment(
            Segment {
                seq: 99,
                syn: true,
                fin: false,
                payload: b"",
            },
            1 << 20,
            &mut b,
            &mut k.f(),
        );
        feed(&mut s, &mut b, &mut k, 100, b"abc");
        feed(&mut s, &mut b, &mut k, 103, b"def");
        assert_eq!(k.data, b"abcdef");
        assert_eq!(b.used, 0);
    }

    /// The SYN that starts `s` at sequence 0 (data from 1).
    fn open(s: &mut Stream, b: &mut Budget, k: &mut Sink) {
        let syn = Segment {
            seq: 0,
            syn: true,
            fin: false,
            payload: b"",
        };
        s.segment(syn, 1 << 20, b, &mut k.f());
    }

    #[test]
    fn out_of_order_is_buffered_then_delivered() {
        let (mut s, mut b, mut k) = (Stream::default(), Budget::new(1 << 20), Sink::new());
        open(&mut s, &mut b, &mut k);
        feed(&mut s, &mut b, &mut k, 7, b"ghi");
        feed(&mut s, &mut b, &mut k, 4, b"def");
        assert!(k.data.is_empty());
        assert_eq!(b.used, 6);
        feed(&mut s, &mut b, &mut k, 1, b"abc");
        assert_eq!(k.data, b"abcdefghi");
        assert_eq!(b.used, 0);
        assert_eq!(s.buffered(), 0);
    }

    #[test]
    fn retransmission_is_dropped() {
        let (mut s, mut b, mut k) = (Stream::default(), Budget::new(1 << 20), Sink::new());
        feed(&mut s, &mut b, &mut k, 10, b"hello");
        let o = feed(&mut s, &mut b, &mut k, 10, b"hello");
        assert!(o.retransmission);
        // Partly new: only the new tail goes on.
        feed(&mut s, &mut b, &mut k, 13, b"lo world");
        assert_eq!(k.data, b"hello world");
    }

    #[test]
    fn sequence_wraps_around() {
        let (mut s, mut b, mut k) = (Stream::default(), Budget::new(1 << 20), Sink::new());
        s.segment(
            Segment {
                seq: u32::MAX - 2,
                syn: true,
                fin: false,
                payload: b"",
            },
            1 << 20,
            &mut b,
            &mut k.f(),
        );
        // data starts at MAX-1: "ab" at MAX-1, MAX; "cd" at 0, 1
        feed(&mut s, &mut b, &mut k, 2, b"ef");
        feed(&mut s, &mut b, &mut k, 0, b"cd");
        feed(&mut s, &mut b, &mut k, u32::MAX - 1, b"ab");
        assert_eq!(k.data, b"abcdef");
        assert!(feed(&mut s, &mut b, &mut k, u32::MAX - 1, b"ab").retransmission);
    }

    #[test]
    fn overlap_with_different_bytes_keeps_the_first_copy() {
        let (mut s, mut b, mut k) = (Stream::default(), Budget::new(1 << 20), Sink::new());
        open(&mut s, &mut b, &mut k);
        feed(&mut s, &mut b, &mut k, 4, b"DEF");
        // Buffered-vs-buffered overlap, different bytes.
        let o = feed(&mut s, &mut b, &mut k, 5, b"xyZZ");
        assert_eq!(o.overlaps, 1);
        // In-order data overlapping the buffer, different bytes.
        let o = feed(&mut s, &mut b, &mut k, 1, b"abcdX");
        assert_eq!(o.overlaps, 1);
        assert_eq!(k.data, b"abcDEFZZ");
        assert_eq!(s.overlaps(), 2);
        // Same bytes again: not counted.
        let (mut s2, mut b2, mut k2) = (Stream::default(), Budget::new(1 << 20), Sink::new());
        feed(&mut s2, &mut b2, &mut k2, 0, b"a");
        feed(&mut s2, &mut b2, &mut k2, 3, b"de");
        let o = feed(&mut s2, &mut b2, &mut k2, 1, b"bcde");
        assert_eq!(o.overlaps, 0);
        assert_eq!(k2.data, b"abcde");
    }

    #[test]
    fn buffer_cap_skips_forward_with_a_gap() {
        let (mut s, mut b, mut k) = (Stream::default(), Budget::new(1 << 20), Sink::new());
        feed(&mut s, &mut b, &mut k, 0, b"a");
        // Hole of 9 bytes at 1..10, then 8 bytes buffered with cap 10.
        s.segment(
            Segment {
                seq: 10,
                syn: false,
                fin: false,
                payload: b"01234567",
            },
            10,
            &mut b,
            &mut k.f(),
        );
        assert_eq!(s.buffered(), 8);
        // This one does not fit: the hole is given up.
        s.segment(
            Segment {
                seq: 18,
                syn: false,
                fin: false,
                payload: b"89ab",
            },
            10,
            &mut b,
            &mut k.f(),
        );
        assert_eq!(k.gaps, vec![9]);
        assert_eq!(k.data, b"a0123456789ab");
        assert_eq!(s.missing(), 9);
        assert_eq!(b.used, 0);
    }

    #[test]
    fn global_budget_is_shared() {
        let mut b = Budget::new(4);
        let (mut s1, mut s2, mut k) = (Stream::default(), Stream::default(), Sink::new());
        feed(&mut s1, &mut b, &mut k, 0, b"x");
        feed(&mut s1, &mut b, &mut k, 5, b"yyy");
        assert_eq!(b.used, 3);
        feed(&mut s2, &mut b, &mut k, 0, b"x");
        feed(&mut s2, &mut b, &mut k, 5, b"zz");
        // s2 could not buffer: it skipped its own hole instead.
        assert_eq!(b.used, 3);
        assert_eq!(s2.missing(), 4);
        s1.release(&mut b);
        assert_eq!(b.used, 0);
    }

    #[test]
    fn finish_reports_holes_and_delivers_the_rest() {
        let (mut s, mut b, mut k) = (Stream::default(), Budget::new(1 << 20), Sink::new());
        open(&mut s, &mut b, &mut k);
        feed(&mut s, &mut b, &mut k, 1, b"ab");
        feed(&mut s, &mut b, &mut k, 6, b"fg");
        s.segment(
            Segment {
                seq: 8,
                syn: false,
                fin: true,
                payload: b"h",
            },
            1 << 20,
            &mut b,
            &mut k.f(),
        );
        // FIN at 8+1; a hole 3..6 and the FIN segment in the buffer.
        s.segment(
            Segment {
                seq: 12,
                syn: false,
                fin: true,
                payload: b"",
            },
            1 << 20,
            &mut b,
            &mut k.f(),
        );
        s.finish(&mut b, &mut k.f());
        assert_eq!(k.data, b"abfgh");
        assert_eq!(k.gaps, vec![3, 3]);
        assert_eq!(s.missing(), 6);
    }

    #[test]
    fn done_stops_delivery_and_buffering() {
        let (mut s, mut b, mut k) = (Stream::default(), Budget::new(1 << 20), Sink::new());
        k.stop_after = 3;
        feed(&mut s, &mut b, &mut k, 0, b"abc");
        assert!(s.is_done());
        feed(&mut s, &mut b, &mut k, 10, b"zzz");
        feed(&mut s, &mut b, &mut k, 3, b"def");
        assert_eq!(k.data, b"abc");
        assert_eq!(b.used, 0);
    }

    #[test]
    fn far_ahead_segment_is_not_believed() {
        let (mut s, mut b, mut k) = (Stream::default(), Budget::new(1 << 20), Sink::new());
        feed(&mut s, &mut b, &mut k, 0, b"a");
        assert!(feed(&mut s, &mut b, &mut k, 1 + (1 << 30), b"b").out_of_window);
        assert_eq!(b.used, 0);
    }

    /// Every split point and every order of two segments gives the stream.
    #[test]
    fn split_at_every_byte() {
        let msg: Vec<u8> = (0..64u8).collect();
        for cut in 1..msg.len() {
            for swapped in [false, true] {
                let (mut s, mut b, mut k) = (Stream::default(), Budget::new(1 << 20), Sink::new());
                s.segment(
                    Segment {
                        seq: 41,
                        syn: true,
                        fin: false,
                        payload: b"",
                    },
                    1 << 20,
                    &mut b,
                    &mut k.f(),
                );
                let (a, z) = msg.split_at(cut);
                let parts = [(42u32, a), (42 + cut as u32, z)];
                let order = if swapped { [1, 0] } else { [0, 1] };
                for i in order {
                    feed(&mut s, &mut b, &mut k, parts[i].0, parts[i].1);
                }
                assert_eq!(k.data, msg, "cut {cut} swapped {swapped}");
                assert_eq!(b.used, 0);
            }
        }
    }
}
