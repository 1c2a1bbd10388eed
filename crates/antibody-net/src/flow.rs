//! The flow table: which conversation each packet belongs to, who the
//! client is, TCP stream reassembly per direction ([`crate::reasm`]), and
//! when a conversation ends.
//!
//! The table is generic over per-flow application state `S` (the session
//! layer keeps its decoder there) and calls a [`FlowHandler`] with
//! in-order stream bytes, gaps, UDP datagrams and, when a flow ends, its
//! [`ConnRecord`]. Memory is bounded: at most [`FlowLimits::max_flows`]
//! flows (the least recently active is evicted), idle timeouts by capture
//! time, and caps on out-of-order bytes. In-order TCP data is handed on
//! straight from the packet; the in-order path does not allocate.

use crate::capture::Frame;
use crate::ipfrag::{FragLimits, FragReassembler, FragStats};
use crate::model::{
    Anomaly, ConnRecord, Direction, Evidence, FlowKey, MAX_EVIDENCE_FRAMES, Meta, Micros, proto,
};
use crate::packet::{self, DecodeErrorKind, Packet, Transport, tcp_flags};
use crate::proto::{Ctx, Interest};
use crate::reasm::{Budget, Chunk, Segment, Stream};
use rustc_hash::FxHashMap;
use std::net::IpAddr;

/// What the table calls as traffic is decoded.
pub trait FlowHandler<S> {
    /// In-order TCP bytes of `dir`. Return [`Interest::Done`] to stop
    /// reassembly of that direction (its bytes are still counted).
    fn stream(&mut self, state: &mut S, ctx: &Ctx, dir: Direction, data: &[u8]) -> Interest;
    /// `len` bytes of `dir` are missing (capture loss, or given up on).
    fn gap(&mut self, state: &mut S, ctx: &Ctx, dir: Direction, len: u64) -> Interest;
    /// One UDP datagram's payload.
    fn datagram(&mut self, state: &mut S, ctx: &Ctx, dir: Direction, payload: &[u8]);
    /// The flow ended (FIN/RST and grace, idle, eviction, end of capture).
    fn closed(&mut self, state: &mut S, ctx: &Ctx, summary: &ConnRecord);
    /// Something unusual (`tcp_overlap`, `bad_length`, ...); dropped by default.
    fn anomaly(&mut self, anomaly: Anomaly) {
        let _ = anomaly;
    }
}

/// Bounds and timeouts of a [`FlowTable`]. Build with the setters from
/// `FlowLimits::default()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct FlowLimits {
    /// Most flows kept; the least recently active is evicted. Default 1,000,000.
    pub max_flows: usize,
    /// Idle time after which a TCP flow ends. Default 600 s.
    pub tcp_idle: Micros,
    /// Idle time after which a UDP (or other) flow ends. Default 120 s.
    pub udp_idle: Micros,
    /// Time a flow stays after FIN both ways or RST, for late packets.
    /// Default 5 s.
    pub closed_grace: Micros,
    /// Out-of-order bytes buffered per direction. Default 256 KiB.
    pub ooo_per_direction: usize,
    /// Out-of-order bytes buffered by all flows. Default 64 MiB.
    pub ooo_total: usize,
    /// IP fragment reassembly bounds.
    pub frag: FragLimits,
}

impl Default for FlowLimits {
    fn default() -> Self {
        FlowLimits {
            max_flows: 1_000_000,
            tcp_idle: 600_000_000,
            udp_idle: 120_000_000,
            closed_grace: 5_000_000,
            ooo_per_direction: 256 << 10,
            ooo_total: 64 << 20,
            frag: FragLimits::default(),
        }
    }
}

impl FlowLimits {
    /// Sets [`FlowLimits::max_flows`] (at least 1).
    pub fn max_flows(mut self, n: usize) -> Self {
        self.max_flows = n.max(1);
        self
    }
    /// Sets [`FlowLimits::tcp_idle`].
    pub fn tcp_idle(mut self, t: Micros) -> Self {
        self.tcp_idle = t;
        self
    }
    /// Sets [`FlowLimits::udp_idle`].
    pub fn udp_idle(mut self, t: Micros) -> Self {
        self.udp_idle = t;
        self
    }
    /// Sets [`FlowLimits::closed_grace`].
    pub fn closed_grace(mut self, t: Micros) -> Self {
        self.closed_grace = t;
        self
    }
    /// Sets [`FlowLimits::ooo_per_direction`].
    pub fn ooo_per_direction(mut self, n: usize) -> Self {
        self.ooo_per_direction = n;
        self
    }
    /// Sets [`FlowLimits::ooo_total`].
    pub fn ooo_total(mut self, n: usize) -> Self {
        self.ooo_total = n;
        self
    }
    /// Sets [`FlowLimits::frag`].
    pub fn frag(mut self, f: FragLimits) -> Self {
        self.frag = f;
        self
    }
}

/// Counts of a [`FlowTable`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlowStats {
    /// Frames given to [`FlowTable::frame`].
    pub frames: u64,
    /// Their captured bytes.
    pub bytes: u64,
    /// IP packets placed in flows (reassembled datagrams count once).
    pub packets: u64,
    /// Packets cut by the snap length or by a length field that lied.
    pub truncated: u64,
    /// Frames that did not decode, by [`DecodeErrorKind::index`].
    pub decode_errors: [u64; DecodeErrorKind::ALL.len()],
    /// Flows created.
    pub flows: u64,
    /// Flows now in the table.
    pub active: u64,
    /// Most flows in the table at once.
    pub max_active: u64,
    /// Flows evicted to make room.
    pub evictions: u64,
    /// Flows ended by their idle timeout.
    pub idle_timeouts: u64,
    /// TCP segments that held only data already seen.
    pub retransmissions: u64,
    /// TCP overlaps with different bytes.
    pub overlaps: u64,
    /// TCP segments too far ahead to be believed.
    pub out_of_window: u64,
    /// TCP bytes reported missing.
    pub missing_bytes: u64,
    /// Fragment reassembly counts.
    pub fragments: FragStats,
}

impl FlowStats {
    /// Frames that failed to decode with `kind`.
    pub fn decode_errors(&self, kind: DecodeErrorKind) -> u64 {
        self.decode_errors[kind.index()]
    }
}

/// A packet's flow without orientation: the lower endpoint first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    lo: u128,
    hi: u128,
    lo_port: u16,
    hi_port: u16,
    proto: u8,
    v6: bool,
}

fn bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v) => u128::from(u32::from(v)),
        IpAddr::V6(v) => u128::from(v),
    }
}

impl Key {
    /// The key and whether `src` is the `lo` end.
    fn of(proto: u8, src: IpAddr, sp: u16, dst: IpAddr, dp: u16) -> (Key, bool) {
        let (s, d) = ((bits(src), sp), (bits(dst), dp));
        let from_lo = s <= d;
        let ((lo, lo_port), (hi, hi_port)) = if from_lo { (s, d) } else { (d, s) };
        let v6 = src.is_ipv6();
        (
            Key {
                lo,
                hi,
                lo_port,
                hi_port,
                proto,
                v6,
            },
            from_lo,
        )
    }
}

const NIL: u32 = u32::MAX;

/// Which idle list a flow is on.
const OPEN_TCP: u8 = 0;
const OPEN_UDP: u8 = 1;
const CLOSED: u8 = 2;

// TCP state bits.
const SYN: u8 = 1;
const SYNACK: u8 = 2;
const EST: u8 = 4;
const FIN_C: u8 = 8;
const FIN_S: u8 = 16;
const RST: u8 = 32;
const OVERLAP_TOLD: u8 = 64;

#[derive(Debug, Default)]
struct Side {
    bytes: u64,
    packets: u64,
    stream: Stream,
}

#[derive(Debug)]
struct Flow<S> {
    key: FlowKey,
    first_ts: Micros,
    last_ts: Micros,
    last_frame: u64,
    prev: u32,
    next: u32,
    /// The `lo` end of the [`Key`] is the client.
    lo_is_client: bool,
    list: u8,
    tcp: u8,
    /// Evidence: the first frames as offsets from `first_frame` (no heap
    /// allocation per flow).
    first_frame: u64,
    frame_offsets: [u32; MAX_EVIDENCE_FRAMES - 1],
    n_frames: u8,
    /// [`Direction::ToServer`] first.
    sides: [Side; 2],
    state: S,
}

#[derive(Debug, Clone, Copy)]
struct List {
    head: u32,
    tail: u32,
}

/// Ports that say "server" when no SYN tells who opened the flow.
fn is_server_port(p: u16) -> bool {
    p < 1024
        || matches!(
            p,
            1080 | 1194
                | 1433
                | 1521
                | 1883
                | 2049
                | 3128
                | 3306
                | 3389
                | 4443
                | 5060
                | 5061
                | 5222
                | 5432
                | 5671
                | 5672
                | 5900
                | 6379
                | 6443
                | 8000
                | 8008
                | 8080
                | 8081
                | 8443
                | 8888
                | 9000
                | 9200
                | 9443
                | 11211
                | 27017
        )
}

/// Whether the sender of the flow's first packet is the client.
fn sender_is_client(pkt: &Packet<'_>) -> bool {
    if let Some(t) = pkt.tcp()
        && t.has(tcp_flags::SYN)
    {
        return !t.has(tcp_flags::ACK);
    }
    let (sp, dp) = pkt.ports();
    match (is_server_port(sp), is_server_port(dp)) {
        (false, true) => true,
        (true, false) => false,
        (true, true) => dp <= sp,
        (false, false) => true,
    }
}

fn dir_index(d: Direction) -> usize {
    match d {
        Direction::ToServer => 0,
        Direction::ToClient => 1,
    }
}

/// The flow table. See the [module documentation](self).
#[derive(Debug)]
pub struct FlowTable<S> {
    limits: FlowLimits,
    map: FxHashMap<Key, u32>,
    slab: Vec<Option<Flow<S>>>,
    free: Vec<u32>,
    lists: [List; 3],
    budget: Budget,
    frag: FragReassembler,
    now: Micros,
    stats: FlowStats,
}

impl<S: Default> Default for FlowTable<S> {
    fn default() -> Self {
        Self::new(FlowLimits::default())
    }
}

impl<S: Default> FlowTable<S> {
    /// An empty table with `limits`.
    pub fn new(limits: FlowLimits) -> Self {
        FlowTable {
            limits,
            map: FxHashMap::default(),
            slab: Vec::new(),
            free: Vec::new(),
            lists: [List {
                head: NIL,
                tail: NIL,
            }; 3],
            budget: Budget::new(limits.ooo_total),
            frag: FragReassembler::new(limits.frag),
            now: Micros::MIN,
            stats: FlowStats::default(),
        }
    }

    /// Counts so far.
    pub fn stats(&self) -> FlowStats {
        let mut s = self.stats.clone();
        s.fragments = self.frag.stats();
        s
    }

    /// Flows in the table now.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the table holds no flow.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Out-of-order TCP bytes buffered now, across flows.
    pub fn buffered(&self) -> usize {
        self.budget.used
    }

    /// Decodes a captured frame (with fragment reassembly) and places it.
    pub fn frame(&mut self, frame: &Frame<'_>, h: &mut impl FlowHandler<S>) {
        self.stats.frames += 1;
        self.stats.bytes += frame.data.len() as u64;
        let pkt = match packet::decode(frame.link, frame.data) {
            Ok(p) => p,
            Err(e) => {
                let kind = e.kind();
                let n = &mut self.stats.decode_errors[kind.index()];
                *n += 1;
                if kind == DecodeErrorKind::BadLength && *n <= 100 {
                    h.anomaly(Anomaly {
                        frame: Some(frame.number),
                        flow: None,
                        code: "bad_length",
                        detail: e.to_string(),
                    });
                }
                return;
            }
        };
        let snap_cut = (frame.data.len() as u64) < u64::from(frame.orig_len);
        if pkt.truncated || snap_cut {
            self.stats.truncated += 1;
        }
        if pkt.frag.is_some() {
            if let Some(dg) = self.frag.push(&pkt, frame.ts) {
                match dg.packet() {
                    Ok(p) => self.packet(&p, frame.number, frame.ts, h),
                    Err(e) => self.stats.decode_errors[e.kind().index()] += 1,
                }
            }
            return;
        }
        self.packet(&pkt, frame.number, frame.ts, h);
    }

    /// Places one decoded packet (not a fragment: see [`FlowTable::frame`]).
    pub fn packet(
        &mut self,
        pkt: &Packet<'_>,
        frame: u64,
        ts: Micros,
        h: &mut impl FlowHandler<S>,
    ) {
        if pkt.frag.is_some() {
            return;
        }
        self.stats.packets += 1;
        if ts > self.now {
            self.now = ts;
            self.expire(h);
        }
        let (sp, dp) = pkt.ports();
        let (key, from_lo) = Key::of(pkt.proto, pkt.src, sp, pkt.dst, dp);
        let tcp = pkt.tcp();
        let idx = match self.map.get(&key) {
            Some(&i) => {
                let f = self.slab[i as usize].as_ref().expect("mapped flow");
                // A new SYN on a finished connection is a new connection.
                let reopen = tcp.is_some_and(|t| t.has(tcp_flags::SYN) && !t.has(tcp_flags::ACK))
                    && (f.list == CLOSED || f.tcp & (FIN_C | FIN_S) != 0);
                if reopen {
                    self.end(i, h);
                    self.create(key, from_lo, pkt, ts)
                } else {
                    i
                }
            }
            None => {
                if self.map.len() >= self.limits.max_flows {
                    self.evict_one(h);
                }
                self.create(key, from_lo, pkt, ts)
            }
        };
        self.update(idx, from_lo, pkt, frame, ts, h);
    }

    /// Ends every flow (end of capture), oldest activity first.
    pub fn finish(&mut self, h: &mut impl FlowHandler<S>) {
        loop {
            let oldest = self.oldest();
            if oldest == NIL {
                break;
            }
            self.end(oldest, h);
        }
        self.frag.clear();
    }

    fn create(&mut self, key: Key, from_lo: bool, pkt: &Packet<'_>, ts: Micros) -> u32 {
        let lo_is_client = from_lo == sender_is_client(pkt);
        let (lo_ip, hi_ip) = if key.v6 {
            (IpAddr::V6(key.lo.into()), IpAddr::V6(key.hi.into()))
        } else {
            (
                IpAddr::V4((key.lo as u32).into()),
                IpAddr::V4((key.hi as u32).into()),
            )
        };
        let ((client_ip, client_port), (server_ip, server_port)) = if lo_is_client {
            ((lo_ip, key.lo_port), (hi_ip, key.hi_port))
        } else {
            ((hi_ip, key.hi_port), (lo_ip, key.lo_port))
        };
        let list = if key.proto == proto::TCP {
            OPEN_TCP
        } else {
            OPEN_UDP
        };
        let flow = Flow {
            key: FlowKey {
                proto: key.proto,
                client_ip,
                client_port,
                server_ip,
                server_port,
            },
            first_ts: ts,
            last_ts: ts,
            last_frame: 0,
            prev: NIL,
            next: NIL,
            lo_is_client,
            list,
            tcp: 0,
            first_frame: 0,
            frame_offsets: [0; MAX_EVIDENCE_FRAMES - 1],
            n_frames: 0,
            sides: Default::default(),
            state: S::default(),
        };
        let idx = match self.free.pop() {
            Some(i) => {
                self.slab[i as usize] = Some(flow);
                i
            }
            None => {
                self.slab.push(Some(flow));
                (self.slab.len() - 1) as u32
            }
        };
        self.map.insert(key, idx);
        self.push_tail(idx, list);
        self.stats.flows += 1;
        self.stats.active = self.map.len() as u64;
        self.stats.max_active = self.stats.max_active.max(self.stats.active);
        idx
    }

    fn update(
        &mut self,
        idx: u32,
        from_lo: bool,
        pkt: &Packet<'_>,
        frame: u64,
        ts: Micros,
        h: &mut impl FlowHandler<S>,
    ) {
        self.unlink(idx);
        let FlowTable {
            slab,
            budget,
            limits,
            stats,
            ..
        } = self;
        let f = slab[idx as usize].as_mut().expect("live flow");
        let dir = if from_lo == f.lo_is_client {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        f.last_ts = f.last_ts.max(ts);
        f.last_frame = frame;
        if f.n_frames == 0 {
            f.first_frame = frame;
            f.n_frames = 1;
        } else if usize::from(f.n_frames) < MAX_EVIDENCE_FRAMES
            && let Some(off) = frame
                .checked_sub(f.first_frame)
                .and_then(|d| u32::try_from(d).ok())
        {
            f.frame_offsets[usize::from(f.n_frames) - 1] = off;
            f.n_frames += 1;
        }
        let payload = pkt.payload();
        let side = &mut f.sides[dir_index(dir)];
        side.packets += 1;
        side.bytes += payload.len() as u64;
        let ctx = Ctx {
            flow: f.key,
            ts,
            frame,
        };
        match pkt.transport {
            Transport::Tcp(t) => {
                let (syn, ack, fin, rst) = (
                    t.has(tcp_flags::SYN),
                    t.has(tcp_flags::ACK),
                    t.has(tcp_flags::FIN),
                    t.has(tcp_flags::RST),
                );
                match dir {
                    Direction::ToServer if syn && !ack => f.tcp |= SYN,
                    Direction::ToClient if syn && ack => f.tcp |= SYNACK,
                    Direction::ToServer
                        if ack && !syn && f.tcp & (SYN | SYNACK) == SYN | SYNACK =>
                    {
                        f.tcp |= EST
                    }
                    _ => {}
                }
                if fin {
                    f.tcp |= if dir == Direction::ToServer {
                        FIN_C
                    } else {
                        FIN_S
                    };
                }
                if rst {
                    f.tcp |= RST;
                }
                let Flow { sides, state, .. } = &mut *f;
                let stream = &mut sides[dir_index(dir)].stream;
                if !stream.is_done() {
                    let mut out = |c: Chunk<'_>| match c {
                        Chunk::Data(d) => h.stream(state, &ctx, dir, d),
                        Chunk::Gap(n) => h.gap(state, &ctx, dir, n),
                    };
                    let missing = stream.missing();
                    let seg = Segment {
                        seq: t.seq,
                        syn,
                        fin,
                        payload: t.payload,
                    };
                    let res = stream.segment(seg, limits.ooo_per_direction, budget, &mut out);
                    stats.missing_bytes += stream.missing() - missing;
                    stats.retransmissions += u64::from(res.retransmission);
                    stats.out_of_window += u64::from(res.out_of_window);
                    if res.overlaps > 0 {
                        stats.overlaps += u64::from(res.overlaps);
                        if f.tcp & OVERLAP_TOLD == 0 {
                            f.tcp |= OVERLAP_TOLD;
                            h.anomaly(Anomaly {
                                frame: Some(frame),
                                flow: Some(f.key),
                                code: "tcp_overlap",
                                detail: "TCP segment overlaps earlier data with different bytes (first copy kept)"
                                    .to_string(),
                            });
                        }
                    }
                }
                if rst || f.tcp & (FIN_C | FIN_S) == FIN_C | FIN_S {
                    f.list = CLOSED;
                }
            }
            Transport::Udp(u) => {
                h.datagram(&mut f.state, &ctx, dir, u.payload);
            }
            Transport::Other(_) => {}
        }
        let list = f.list;
        self.push_tail(idx, list);
    }

    /// Ends flow `idx`: flushes its streams, reports it, frees its slot.
    fn end(&mut self, idx: u32, h: &mut impl FlowHandler<S>) {
        self.unlink(idx);
        let mut f = self.slab[idx as usize].take().expect("live flow");
        self.free.push(idx);
        let (sp, dp) = (f.key.client_port, f.key.server_port);
        let (key, _) = Key::of(f.key.proto, f.key.client_ip, sp, f.key.server_ip, dp);
        self.map.remove(&key);
        self.stats.active = self.map.len() as u64;
        let ctx = Ctx {
            flow: f.key,
            ts: f.last_ts,
            frame: f.last_frame,
        };
        let Flow { sides, state, .. } = &mut f;
        for (i, dir) in [Direction::ToServer, Direction::ToClient]
            .into_iter()
            .enumerate()
        {
            let stream = &mut sides[i].stream;
            if !stream.is_done() {
                let missing = stream.missing();
                let mut out = |c: Chunk<'_>| match c {
                    Chunk::Data(d) => h.stream(state, &ctx, dir, d),
                    Chunk::Gap(n) => h.gap(state, &ctx, dir, n),
                };
                stream.finish(&mut self.budget, &mut out);
                self.stats.missing_bytes += stream.missing() - missing;
            }
            stream.release(&mut self.budget);
        }
        let mut evidence = Evidence::default();
        if f.n_frames > 0 {
            evidence.add_frame(f.first_frame);
            for off in &f.frame_offsets[..usize::from(f.n_frames) - 1] {
                evidence.add_frame(f.first_frame + u64::from(*off));
            }
        }
        let [c, s] = &f.sides;
        let established = if f.key.proto == proto::TCP {
            f.tcp & EST != 0
        } else {
            c.packets > 0 && s.packets > 0
        };
        let rec = ConnRecord {
            meta: Meta {
                flow: f.key,
                ts: f.first_ts,
                evidence,
            },
            last_ts: f.last_ts,
            service: None,
            client_bytes: c.bytes,
            server_bytes: s.bytes,
            client_packets: c.packets,
            server_packets: s.packets,
            established,
            missing_bytes: c.stream.missing() + s.stream.missing(),
            overlaps: c.stream.overlaps() + s.stream.overlaps(),
        };
        h.closed(&mut f.state, &ctx, &rec);
    }

    fn timeout(&self, list: u8) -> Micros {
        match list {
            OPEN_TCP => self.limits.tcp_idle,
            OPEN_UDP => self.limits.udp_idle,
            _ => self.limits.closed_grace,
        }
    }

    /// Ends the flows idle for longer than their list's timeout.
    fn expire(&mut self, h: &mut impl FlowHandler<S>) {
        for list in [CLOSED, OPEN_UDP, OPEN_TCP] {
            let limit = self.timeout(list);
            loop {
                let head = self.lists[list as usize].head;
                if head == NIL {
                    break;
                }
                let last = self.slab[head as usize]
                    .as_ref()
                    .expect("listed flow")
                    .last_ts;
                if last.saturating_add(limit) >= self.now {
                    break;
                }
                if list != CLOSED {
                    self.stats.idle_timeouts += 1;
                }
                self.end(head, h);
            }
        }
    }

    /// The least recently active flow, closed ones first.
    fn oldest(&self) -> u32 {
        let mut best = NIL;
        let mut best_ts = Micros::MAX;
        for list in [CLOSED, OPEN_UDP, OPEN_TCP] {
            let head = self.lists[list as usize].head;
            if head == NIL {
                continue;
            }
            if list == CLOSED {
                return head;
            }
            let ts = self.slab[head as usize]
                .as_ref()
                .expect("listed flow")
                .last_ts;
            if ts < best_ts {
                best = head;
                best_ts = ts;
            }
        }
        best
    }

    fn evict_one(&mut self, h: &mut impl FlowHandler<S>) {
        let victim = self.oldest();
        if victim != NIL {
            self.stats.evictions += 1;
            self.end(victim, h);
        }
    }

    fn push_tail(&mut self, idx: u32, list: u8) {
        let tail = self.lists[list as usize].tail;
        {
            let f = self.slab[idx as usize].as_mut().expect("live flow");
            f.prev = tail;
            f.next = NIL;
            f.list = list;
        }
        if tail == NIL {
            self.lists[list as usize].head = idx;
        } else {
            self.slab[tail as usize].as_mut().expect("listed flow").next = idx;
        }
        self.lists[list as usize].tail = idx;
    }

    fn unlink(&mut self, idx: u32) {
        let (prev, next, list) = {
            let f = self.slab[idx as usize].as_ref().expect("live flow");
            (f.prev, f.next, f.list as usize)
        };
        if prev == NIL {
            self.lists[list].head = next;
        } else {
            self.slab[prev as usize].as_mut().expect("listed flow").next = next;
        }
        if next == NIL {
            self.lists[list].tail = prev;
        } else {
            self.slab[next as usize].as_mut().expect("listed flow").prev = prev;
        }
    }
}

/// Size of the table's per-flow record for state `S`, for sizing
/// [`FlowLimits::max_flows`] (the hash map adds about 48 bytes per flow).
pub fn flow_size<S>() -> usize {
    std::mem::size_of::<Option<Flow<S>>>()
}
