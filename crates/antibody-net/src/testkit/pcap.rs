//! Writers for pcap and pcapng, builders of Ethernet/IPv4/IPv6/TCP/UDP
//! frames with correct lengths and checksums, and whole TCP sessions and
//! UDP exchanges, for tests, examples and benchmarks.
//!
//! Everything here is synthetic and harmless: addresses should come from
//! the documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
//! 2001:db8::/32) and payloads are whatever the caller passes.
//!
//! ```
//! use antibody_net::testkit::pcap::{TcpSession, write_pcap};
//! let mut s = TcpSession::new("192.0.2.1:50000".parse().unwrap(), "198.51.100.2:80".parse().unwrap());
//! s.handshake().client_send(b"GET / HTTP/1.1\r\n\r\n").server_send(b"HTTP/1.1 204 No Content\r\n\r\n").close();
//! let mut file = Vec::new();
//! write_pcap(&mut file, s.packets()).unwrap();
//! assert!(file.len() > 24);
//! ```

use crate::capture::LinkType;
use crate::model::{Direction, Micros};
use crate::packet::tcp_flags;
use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr};

/// One frame to write: capture time and the link-layer bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestPacket {
    /// Capture time, microseconds since the epoch.
    pub ts: Micros,
    /// Frame bytes (Ethernet unless built otherwise).
    pub data: Vec<u8>,
}

/// Options of a classic pcap file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PcapOptions {
    /// Link type of every frame.
    pub link: LinkType,
    /// Nanosecond timestamps (magic `a1b23c4d`) instead of microseconds.
    pub nanos: bool,
    /// Write big-endian instead of little-endian.
    pub big_endian: bool,
    /// Snap length recorded in the header; longer frames are cut to it.
    pub snaplen: u32,
}

impl Default for PcapOptions {
    fn default() -> Self {
        PcapOptions {
            link: LinkType::ETHERNET,
            nanos: false,
            big_endian: false,
            snaplen: 65535,
        }
    }
}

/// Writes a classic pcap file.
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    w: W,
    opts: PcapOptions,
}

impl<W: Write> PcapWriter<W> {
    /// Ethernet, microseconds, little-endian; writes the file header.
    pub fn new(w: W) -> io::Result<Self> {
        Self::with_options(w, PcapOptions::default())
    }

    /// Writes the file header with `opts`.
    pub fn with_options(mut w: W, opts: PcapOptions) -> io::Result<Self> {
        let magic: u32 = if opts.nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
        let mut h = Vec::with_capacity(24);
        put32(&mut h, magic, opts.big_endian);
        put16(&mut h, 2, opts.big_endian);
        put16(&mut h, 4, opts.big_endian);
        put32(&mut h, 0, opts.big_endian);
        put32(&mut h, 0, opts.big_endian);
        put32(&mut h, opts.snaplen, opts.big_endian);
        put32(&mut h, opts.link.0, opts.big_endian);
        w.write_all(&h)?;
        Ok(PcapWriter { w, opts })
    }

    /// Writes one frame, cut to the snap length (the original length is
    /// kept in the record).
    pub fn write(&mut self, ts: Micros, data: &[u8]) -> io::Result<()> {
        self.write_with_orig_len(ts, data, data.len() as u32)
    }

    /// Writes one frame claiming `orig_len` bytes on the wire.
    pub fn write_with_orig_len(
        &mut self,
        ts: Micros,
        data: &[u8],
        orig_len: u32,
    ) -> io::Result<()> {
        let be = self.opts.big_endian;
        let cap = data.len().min(self.opts.snaplen as usize);
        let secs = ts.div_euclid(1_000_000);
        let micros = ts.rem_euclid(1_000_000);
        let frac = if self.opts.nanos {
            micros * 1000
        } else {
            micros
        };
        let mut h = [0u8; 16];
        let mut v = Vec::with_capacity(16);
        put32(&mut v, secs as u32, be);
        put32(&mut v, frac as u32, be);
        put32(&mut v, cap as u32, be);
        put32(&mut v, orig_len, be);
        h.copy_from_slice(&v);
        self.w.write_all(&h)?;
        self.w.write_all(&data[..cap])
    }

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.w
    }
}

/// Writes a pcapng file: a section header, interfaces, enhanced packets.
#[derive(Debug)]
pub struct PcapngWriter<W: Write> {
    w: W,
    big_endian: bool,
    /// `if_tsresol` of each interface of the current section.
    resolutions: Vec<u8>,
}

impl<W: Write> PcapngWriter<W> {
    /// Little-endian; writes the first section header.
    pub fn new(w: W) -> io::Result<Self> {
        Self::with_byte_order(w, false)
    }

    /// Writes the first section header in the given byte order.
    pub fn with_byte_order(w: W, big_endian: bool) -> io::Result<Self> {
        let mut me = PcapngWriter {
            w,
            big_endian,
            resolutions: Vec::new(),
        };
        me.section()?;
        Ok(me)
    }

    /// Starts a new section (which forgets the interfaces).
    pub fn section(&mut self) -> io::Result<()> {
        self.resolutions.clear();
        let be = self.big_endian;
        let mut body = Vec::new();
        put32(&mut body, 0x1a2b_3c4d, be);
        put16(&mut body, 1, be);
        put16(&mut body, 0, be);
        body.extend_from_slice(&(-1i64).to_le_bytes());
        self.block(0x0a0d_0d0a, &body)
    }

    /// Adds an interface with microsecond timestamps; returns its id.
    pub fn interface(&mut self, link: LinkType, snaplen: u32) -> io::Result<u32> {
        self.interface_with_tsresol(link, snaplen, None, 0)
    }

    /// Adds an interface with an `if_tsresol` option (when given) and an
    /// `if_tsoffset` in seconds (when not zero); returns its id.
    pub fn interface_with_tsresol(
        &mut self,
        link: LinkType,
        snaplen: u32,
        tsresol: Option<u8>,
        tsoffset: i64,
    ) -> io::Result<u32> {
        let be = self.big_endian;
        let mut body = Vec::new();
        put16(&mut body, link.0 as u16, be);
        put16(&mut body, 0, be);
        put32(&mut body, snaplen, be);
        if let Some(r) = tsresol {
            put16(&mut body, 9, be);
            put16(&mut body, 1, be);
            body.extend_from_slice(&[r, 0, 0, 0]);
        }
        if tsoffset != 0 {
            put16(&mut body, 14, be);
            put16(&mut body, 8, be);
            if be {
                body.extend_from_slice(&tsoffset.to_be_bytes());
            } else {
                body.extend_from_slice(&tsoffset.to_le_bytes());
            }
        }
        if tsresol.is_some() || tsoffset != 0 {
            body.extend_from_slice(&[0; 4]); // opt_endofopt
        }
        self.block(1, &body)?;
        self.resolutions.push(tsresol.unwrap_or(6));
        Ok(self.resolutions.len() as u32 - 1)
    }

    /// Writes an enhanced packet block on `interface` at time `ts`
    /// (converted to the interface's resolution, minus no offset).
    pub fn write(&mut self, interface: u32, ts: Micros, data: &[u8]) -> io::Result<()> {
        let resol = self
            .resolutions
            .get(interface as usize)
            .copied()
            .unwrap_or(6);
        let units = micros_to_units(ts, resol);
        let be = self.big_endian;
        let mut body = Vec::with_capacity(20 + data.len() + 3);
        put32(&mut body, interface, be);
        put32(&mut body, (units >> 32) as u32, be);
        put32(&mut body, units as u32, be);
        put32(&mut body, data.len() as u32, be);
        put32(&mut body, data.len() as u32, be);
        body.extend_from_slice(data);
        while body.len() % 4 != 0 {
            body.push(0);
        }
        self.block(6, &body)
    }

    /// Writes a simple packet block (interface 0, no timestamp).
    pub fn write_simple(&mut self, data: &[u8]) -> io::Result<()> {
        let mut body = Vec::new();
        put32(&mut body, data.len() as u32, self.big_endian);
        body.extend_from_slice(data);
        while body.len() % 4 != 0 {
            body.push(0);
        }
        self.block(3, &body)
    }

    /// Writes any block: type, length, `body` (already padded), length.
    pub fn block(&mut self, block_type: u32, body: &[u8]) -> io::Result<()> {
        let be = self.big_endian;
        let len = (body.len() + 12) as u32;
        let mut out = Vec::with_capacity(len as usize);
        put32(&mut out, block_type, be);
        put32(&mut out, len, be);
        out.extend_from_slice(body);
        put32(&mut out, len, be);
        self.w.write_all(&out)
    }

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.w
    }
}

fn micros_to_units(ts: Micros, resol: u8) -> u64 {
    let ts = ts.max(0) as u128;
    let exp = u32::from(resol & 0x7f);
    let units = if resol & 0x80 == 0 {
        ts * 10u128.pow(exp) / 1_000_000
    } else {
        (ts << exp) / 1_000_000
    };
    units as u64
}

fn put16(v: &mut Vec<u8>, x: u16, be: bool) {
    v.extend_from_slice(&if be { x.to_be_bytes() } else { x.to_le_bytes() });
}

fn put32(v: &mut Vec<u8>, x: u32, be: bool) {
    v.extend_from_slice(&if be { x.to_be_bytes() } else { x.to_le_bytes() });
}

/// Writes `packets` as a little-endian microsecond pcap (Ethernet).
pub fn write_pcap(w: impl Write, packets: &[TestPacket]) -> io::Result<()> {
    let mut pw = PcapWriter::new(w)?;
    for p in packets {
        pw.write(p.ts, &p.data)?;
    }
    Ok(())
}

/// A pcap file of `packets` in memory.
pub fn pcap_bytes(packets: &[TestPacket]) -> Vec<u8> {
    let mut v = Vec::new();
    write_pcap(&mut v, packets).expect("writing to a Vec");
    v
}

/// The internet checksum of `data` folded onto `sum`.
fn checksum(mut sum: u32, data: &[u8]) -> u16 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [b] = chunks.remainder() {
        sum += u32::from(*b) << 8;
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn pseudo_sum(src: IpAddr, dst: IpAddr, proto: u8, len: usize) -> u32 {
    let mut sum = 0u32;
    let mut add = |b: &[u8]| {
        for c in b.chunks_exact(2) {
            sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
        }
    };
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            add(&s.octets());
            add(&d.octets());
        }
        (s, d) => {
            add(&v6(s));
            add(&v6(d));
        }
    }
    sum + u32::from(proto) + len as u32
}

fn v6(ip: IpAddr) -> [u8; 16] {
    match ip {
        IpAddr::V4(v) => v.to_ipv6_mapped().octets(),
        IpAddr::V6(v) => v.octets(),
    }
}

/// A TCP segment (20-byte header, no options) with its checksum.
pub fn tcp(
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut s = Vec::with_capacity(20 + payload.len());
    s.extend_from_slice(&src.port().to_be_bytes());
    s.extend_from_slice(&dst.port().to_be_bytes());
    s.extend_from_slice(&seq.to_be_bytes());
    s.extend_from_slice(&ack.to_be_bytes());
    s.push(0x50);
    s.push(flags);
    s.extend_from_slice(&65535u16.to_be_bytes());
    s.extend_from_slice(&[0, 0, 0, 0]);
    s.extend_from_slice(payload);
    let c = checksum(pseudo_sum(src.ip(), dst.ip(), 6, s.len()), &s);
    s[16..18].copy_from_slice(&c.to_be_bytes());
    s
}

/// A UDP datagram with its length and checksum.
pub fn udp(src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> Vec<u8> {
    let len = 8 + payload.len();
    let mut u = Vec::with_capacity(len);
    u.extend_from_slice(&src.port().to_be_bytes());
    u.extend_from_slice(&dst.port().to_be_bytes());
    u.extend_from_slice(&(len as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    let mut c = checksum(pseudo_sum(src.ip(), dst.ip(), 17, len), &u);
    if c == 0 {
        c = 0xffff;
    }
    u[6..8].copy_from_slice(&c.to_be_bytes());
    u
}

/// An IPv4 header (id 1, TTL 64, don't-fragment clear) and `payload`.
/// Both addresses must be IPv4.
pub fn ipv4_packet(src: IpAddr, dst: IpAddr, proto: u8, payload: &[u8]) -> Vec<u8> {
    ipv4_fragment(src, dst, proto, 1, 0, false, payload)
}

/// One IPv4 packet with explicit fragment fields (`offset` in bytes, a
/// multiple of 8).
pub fn ipv4_fragment(
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    id: u16,
    offset: u32,
    more: bool,
    data: &[u8],
) -> Vec<u8> {
    let (IpAddr::V4(s), IpAddr::V4(d)) = (src, dst) else {
        panic!("ipv4_fragment needs IPv4 addresses");
    };
    let total = 20 + data.len();
    let mut h = Vec::with_capacity(total);
    h.push(0x45);
    h.push(0);
    h.extend_from_slice(&(total as u16).to_be_bytes());
    h.extend_from_slice(&id.to_be_bytes());
    let ff = ((offset / 8) as u16 & 0x1fff) | if more { 0x2000 } else { 0 };
    h.extend_from_slice(&ff.to_be_bytes());
    h.push(64);
    h.push(proto);
    h.extend_from_slice(&[0, 0]);
    h.extend_from_slice(&s.octets());
    h.extend_from_slice(&d.octets());
    let c = checksum(0, &h);
    h[10..12].copy_from_slice(&c.to_be_bytes());
    h.extend_from_slice(data);
    h
}

/// An IPv6 header (hop limit 64) with next header `next` and `payload`.
/// IPv4 addresses are written IPv4-mapped.
pub fn ipv6_packet(src: IpAddr, dst: IpAddr, next: u8, payload: &[u8]) -> Vec<u8> {
    let mut h = Vec::with_capacity(40 + payload.len());
    h.extend_from_slice(&[0x60, 0, 0, 0]);
    h.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    h.push(next);
    h.push(64);
    h.extend_from_slice(&v6(src));
    h.extend_from_slice(&v6(dst));
    h.extend_from_slice(payload);
    h
}

/// An IP packet of the addresses' family.
pub fn ip_packet(src: IpAddr, dst: IpAddr, proto: u8, payload: &[u8]) -> Vec<u8> {
    if src.is_ipv4() && dst.is_ipv4() {
        ipv4_packet(src, dst, proto, payload)
    } else {
        ipv6_packet(src, dst, proto, payload)
    }
}

/// An Ethernet II frame between two locally administered MACs.
pub fn ethernet(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + payload.len());
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01]);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// An Ethernet frame around an IP packet (ethertype from its version).
pub fn ethernet_ip(ip: &[u8]) -> Vec<u8> {
    let et = if ip.first().is_some_and(|b| b >> 4 == 6) {
        0x86dd
    } else {
        0x0800
    };
    ethernet(et, ip)
}

/// An Ethernet frame carrying one TCP segment.
pub fn tcp_frame(
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    ethernet_ip(&ip_packet(
        src.ip(),
        dst.ip(),
        6,
        &tcp(src, dst, seq, ack, flags, payload),
    ))
}

/// An Ethernet frame carrying one UDP datagram.
pub fn udp_frame(src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> Vec<u8> {
    ethernet_ip(&ip_packet(src.ip(), dst.ip(), 17, &udp(src, dst, payload)))
}

/// Splits a transport segment (`l4`, e.g. from [`udp`]) into IPv4
/// fragments of `frag_size` data bytes (rounded down to a multiple of 8),
/// each an Ethernet frame, in order.
pub fn ipv4_fragments(
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    id: u16,
    l4: &[u8],
    frag_size: usize,
) -> Vec<Vec<u8>> {
    let size = (frag_size / 8).max(1) * 8;
    l4.chunks(size)
        .enumerate()
        .map(|(i, c)| {
            let off = (i * size) as u32;
            let more = (i + 1) * size < l4.len();
            ethernet(0x0800, &ipv4_fragment(src, dst, proto, id, off, more, c))
        })
        .collect()
}

/// Splits `l4` into IPv6 fragments (fragment header, next header `proto`)
/// of `frag_size` data bytes (rounded down to a multiple of 8), each an
/// Ethernet frame, in order.
pub fn ipv6_fragments(
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    id: u32,
    l4: &[u8],
    frag_size: usize,
) -> Vec<Vec<u8>> {
    let size = (frag_size / 8).max(1) * 8;
    l4.chunks(size)
        .enumerate()
        .map(|(i, c)| {
            let off = (i * size) as u16;
            let more = (i + 1) * size < l4.len();
            ethernet(
                0x86dd,
                &ipv6_fragment(src, dst, proto, id, u32::from(off), more, c),
            )
        })
        .collect()
}

/// One IPv6 packet with a fragment header (`offset` in bytes).
pub fn ipv6_fragment(
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    id: u32,
    offset: u32,
    more: bool,
    data: &[u8],
) -> Vec<u8> {
    let mut fh = vec![proto, 0];
    let om = ((offset / 8) as u16) << 3 | u16::from(more);
    fh.extend_from_slice(&om.to_be_bytes());
    fh.extend_from_slice(&id.to_be_bytes());
    fh.extend_from_slice(data);
    ipv6_packet(src, dst, 44, &fh)
}

/// Builds a TCP conversation packet by packet: handshake, data split in
/// MSS-sized segments each acknowledged, close. Timestamps advance by
/// `step` per packet.
#[derive(Debug, Clone)]
pub struct TcpSession {
    client: SocketAddr,
    server: SocketAddr,
    /// Next sequence number of each side.
    cseq: u32,
    sseq: u32,
    cisn: u32,
    sisn: u32,
    ts: Micros,
    step: Micros,
    mss: usize,
    ack_each: bool,
    packets: Vec<TestPacket>,
}

impl TcpSession {
    /// A session with ISNs 1000 (client) and 5000 (server), starting at
    /// 2024-01-01T00:00:00Z, 1 ms per packet, MSS 1460.
    pub fn new(client: SocketAddr, server: SocketAddr) -> Self {
        TcpSession {
            client,
            server,
            cseq: 1000,
            sseq: 5000,
            cisn: 1000,
            sisn: 5000,
            ts: 1_704_067_200_000_000,
            step: 1000,
            mss: 1460,
            ack_each: true,
            packets: Vec::new(),
        }
    }

    /// Sets the initial sequence numbers (before the handshake).
    pub fn isn(mut self, client: u32, server: u32) -> Self {
        self.cseq = client;
        self.sseq = server;
        self.cisn = client;
        self.sisn = server;
        self
    }

    /// Sets the time of the next packet.
    pub fn start(mut self, ts: Micros) -> Self {
        self.ts = ts;
        self
    }

    /// Sets the time between packets.
    pub fn step(mut self, step: Micros) -> Self {
        self.step = step;
        self
    }

    /// Sets the segment size.
    pub fn mss(mut self, mss: usize) -> Self {
        self.mss = mss.max(1);
        self
    }

    /// Whether each data segment gets its own ACK packet (default true).
    pub fn ack_each(mut self, yes: bool) -> Self {
        self.ack_each = yes;
        self
    }

    /// Client initial sequence number.
    pub fn client_isn(&self) -> u32 {
        self.cisn
    }

    /// Server initial sequence number.
    pub fn server_isn(&self) -> u32 {
        self.sisn
    }

    fn ends(&self, dir: Direction) -> (SocketAddr, SocketAddr) {
        match dir {
            Direction::ToServer => (self.client, self.server),
            Direction::ToClient => (self.server, self.client),
        }
    }

    /// Emits one segment as is, without touching the session's sequence
    /// numbers (for out-of-order, duplicate or overlapping segments).
    pub fn raw(
        &mut self,
        dir: Direction,
        seq: u32,
        ack: u32,
        flags: u8,
        payload: &[u8],
    ) -> &mut Self {
        let (s, d) = self.ends(dir);
        let data = tcp_frame(s, d, seq, ack, flags, payload);
        self.packets.push(TestPacket { ts: self.ts, data });
        self.ts += self.step;
        self
    }

    /// A data segment at stream offset `rel` (0 = first data byte) of
    /// `dir`, without advancing the session.
    pub fn segment_at(&mut self, dir: Direction, rel: u32, payload: &[u8]) -> &mut Self {
        let (seq, ack) = match dir {
            Direction::ToServer => (self.cisn.wrapping_add(1).wrapping_add(rel), self.sseq),
            Direction::ToClient => (self.sisn.wrapping_add(1).wrapping_add(rel), self.cseq),
        };
        self.raw(dir, seq, ack, tcp_flags::ACK | tcp_flags::PSH, payload)
    }

    /// SYN, SYN-ACK, ACK.
    pub fn handshake(&mut self) -> &mut Self {
        let (c, s) = (self.cseq, self.sseq);
        self.raw(Direction::ToServer, c, 0, tcp_flags::SYN, b"");
        self.raw(
            Direction::ToClient,
            s,
            c.wrapping_add(1),
            tcp_flags::SYN | tcp_flags::ACK,
            b"",
        );
        self.cseq = c.wrapping_add(1);
        self.sseq = s.wrapping_add(1);
        let (c, s) = (self.cseq, self.sseq);
        self.raw(Direction::ToServer, c, s, tcp_flags::ACK, b"")
    }

    /// Sends `data` from `dir` in MSS-sized segments.
    pub fn send(&mut self, dir: Direction, data: &[u8]) -> &mut Self {
        for chunk in data.chunks(self.mss) {
            let (seq, ack) = match dir {
                Direction::ToServer => (self.cseq, self.sseq),
                Direction::ToClient => (self.sseq, self.cseq),
            };
            self.raw(dir, seq, ack, tcp_flags::ACK | tcp_flags::PSH, chunk);
            let next = seq.wrapping_add(chunk.len() as u32);
            match dir {
                Direction::ToServer => self.cseq = next,
                Direction::ToClient => self.sseq = next,
            }
            if self.ack_each {
                let back = match dir {
                    Direction::ToServer => Direction::ToClient,
                    Direction::ToClient => Direction::ToServer,
                };
                let own = match back {
                    Direction::ToServer => self.cseq,
                    Direction::ToClient => self.sseq,
                };
                self.raw(back, own, next, tcp_flags::ACK, b"");
            }
        }
        self
    }

    /// Client → server data.
    pub fn client_send(&mut self, data: &[u8]) -> &mut Self {
        self.send(Direction::ToServer, data)
    }

    /// Server → client data.
    pub fn server_send(&mut self, data: &[u8]) -> &mut Self {
        self.send(Direction::ToClient, data)
    }

    /// FIN from the client, FIN-ACK from the server, last ACK.
    pub fn close(&mut self) -> &mut Self {
        let (c, s) = (self.cseq, self.sseq);
        self.raw(
            Direction::ToServer,
            c,
            s,
            tcp_flags::FIN | tcp_flags::ACK,
            b"",
        );
        self.raw(
            Direction::ToClient,
            s,
            c.wrapping_add(1),
            tcp_flags::FIN | tcp_flags::ACK,
            b"",
        );
        self.cseq = c.wrapping_add(1);
        self.sseq = s.wrapping_add(1);
        let (c, s) = (self.cseq, self.sseq);
        self.raw(Direction::ToServer, c, s, tcp_flags::ACK, b"")
    }

    /// A reset from `dir`.
    pub fn reset(&mut self, dir: Direction) -> &mut Self {
        let seq = match dir {
            Direction::ToServer => self.cseq,
            Direction::ToClient => self.sseq,
        };
        self.raw(dir, seq, 0, tcp_flags::RST, b"")
    }

    /// Swaps two packets already emitted (their timestamps stay in place).
    pub fn swap(&mut self, a: usize, b: usize) -> &mut Self {
        let (ta, tb) = (self.packets[a].ts, self.packets[b].ts);
        self.packets.swap(a, b);
        self.packets[a].ts = ta;
        self.packets[b].ts = tb;
        self
    }

    /// Emits packet `i` again (a retransmission), at the current time.
    pub fn duplicate(&mut self, i: usize) -> &mut Self {
        let data = self.packets[i].data.clone();
        self.packets.push(TestPacket { ts: self.ts, data });
        self.ts += self.step;
        self
    }

    /// Removes packet `i` (capture loss).
    pub fn drop_packet(&mut self, i: usize) -> &mut Self {
        self.packets.remove(i);
        self
    }

    /// The packets so far.
    pub fn packets(&self) -> &[TestPacket] {
        &self.packets
    }

    /// Takes the packets.
    pub fn into_packets(self) -> Vec<TestPacket> {
        self.packets
    }
}

/// UDP datagrams between `client` and `server`, one per `(direction,
/// payload)`, from `start` with `step` between them.
pub fn udp_exchange(
    client: SocketAddr,
    server: SocketAddr,
    messages: &[(Direction, &[u8])],
    start: Micros,
    step: Micros,
) -> Vec<TestPacket> {
    messages
        .iter()
        .enumerate()
        .map(|(i, (dir, payload))| {
            let (s, d) = match dir {
                Direction::ToServer => (client, server),
                Direction::ToClient => (server, client),
            };
            TestPacket {
                ts: start + step * i as Micros,
                data: udp_frame(s, d, payload),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_header_checksum_verifies() {
        let ip = ipv4_packet(
            "192.0.2.1".parse().unwrap(),
            "192.0.2.2".parse().unwrap(),
            17,
            b"x",
        );
        assert_eq!(checksum(0, &ip[..20]), 0);
    }

    #[test]
    fn tcp_and_udp_checksums_verify() {
        let a: SocketAddr = "192.0.2.1:1".parse().unwrap();
        let b: SocketAddr = "[2001:db8::2]:2".parse().unwrap();
        let c: SocketAddr = "[2001:db8::3]:3".parse().unwrap();
        let a2: SocketAddr = "203.0.113.9:9".parse().unwrap();
        let t = tcp(a, a2, 1, 2, 0x18, b"odd");
        assert_eq!(checksum(pseudo_sum(a.ip(), a2.ip(), 6, t.len()), &t), 0);
        let u = udp(b, c, b"even");
        assert_eq!(checksum(pseudo_sum(b.ip(), c.ip(), 17, u.len()), &u), 0);
    }

    #[test]
    fn units_round_trip() {
        assert_eq!(micros_to_units(1_500_000, 6), 1_500_000);
        assert_eq!(micros_to_units(1_500_000, 9), 1_500_000_000);
        assert_eq!(micros_to_units(1_500_000, 0x80 | 10), 1536);
    }
}
