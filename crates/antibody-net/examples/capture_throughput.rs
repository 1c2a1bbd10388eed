//! Times capture reading, decoding, flow lookup and in-order TCP delivery
//! on a synthetic mixed capture built in memory (~200 MB: bulk and short
//! TCP sessions, DNS over UDP, some reordering).
//!
//! `cargo run --release -p antibody-net --example capture_throughput [MB]`

use antibody_net::capture::CaptureReader;
use antibody_net::flow::{FlowHandler, FlowLimits, FlowTable};
use antibody_net::model::{ConnRecord, Direction};
use antibody_net::proto::{Ctx, Interest};
use antibody_net::testkit::pcap::{PcapWriter, TcpSession, TestPacket, udp_exchange};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Instant;

/// Touches every byte handed on (so delivery is not optimised away) and
/// optionally says Done after the first bytes, as protocol decoders do.
struct Consume {
    done_after: Option<u64>,
    sum: u64,
    conns: u64,
}

#[derive(Default)]
struct Seen(u64);

impl FlowHandler<Seen> for Consume {
    fn stream(&mut self, st: &mut Seen, _: &Ctx, _: Direction, data: &[u8]) -> Interest {
        self.sum = self
            .sum
            .wrapping_add(u64::from(data[0]) + data.len() as u64);
        st.0 += data.len() as u64;
        match self.done_after {
            Some(n) if st.0 >= n => Interest::Done,
            _ => Interest::More,
        }
    }
    fn gap(&mut self, _: &mut Seen, _: &Ctx, _: Direction, _: u64) -> Interest {
        Interest::More
    }
    fn datagram(&mut self, _: &mut Seen, _: &Ctx, _: Direction, p: &[u8]) {
        self.sum = self.sum.wrapping_add(p.len() as u64);
    }
    fn closed(&mut self, _: &mut Seen, _: &Ctx, _: &ConnRecord) {
        self.conns += 1;
    }
}

fn addr(net: [u8; 3], host: u32, port: u16) -> SocketAddr {
    let ip = Ipv4Addr::new(net[0], net[1], net[2], (host % 250) as u8 + 1);
    SocketAddr::new(IpAddr::V4(ip), port)
}

fn build(target: usize) -> Vec<u8> {
    let mut w = PcapWriter::new(Vec::with_capacity(target + (1 << 20))).unwrap();
    let mut ts = 1_704_067_200_000_000i64;
    let mut i = 0u32;
    let body: Vec<u8> = (0..2_000_000u32).map(|x| (x * 7 + x / 13) as u8).collect();
    let mut written = 0usize;
    while written < target {
        let client = addr([192, 0, 2], i, 20000 + (i % 40000) as u16);
        let server = addr(
            [203, 0, 113],
            i / 7,
            if i.is_multiple_of(3) { 443 } else { 80 },
        );
        let mut packets: Vec<TestPacket> = Vec::new();
        let mut s = TcpSession::new(client, server).start(ts).step(20).mss(1448);
        s.handshake()
            .client_send(b"GET /download HTTP/1.1\r\nHost: www.example.com\r\n\r\n");
        // Mostly bulk (a few hundred KB to 2 MB), some short exchanges.
        let len = if i.is_multiple_of(4) {
            800
        } else {
            300_000 + (i as usize * 7919) % 1_700_000
        };
        s.server_send(&body[..len]);
        if i.is_multiple_of(10) {
            let n = s.packets().len();
            s.swap(n - 2, n - 4);
        }
        s.close();
        packets.extend(s.into_packets());
        let dns = addr([198, 51, 100], 53, 53);
        packets.extend(udp_exchange(
            client,
            dns,
            &[
                (Direction::ToServer, &[0x12; 40]),
                (Direction::ToClient, &[0x34; 120]),
            ],
            ts,
            5,
        ));
        for p in &packets {
            w.write(p.ts, &p.data).unwrap();
            written += 16 + p.data.len();
        }
        ts += 50_000;
        i += 1;
    }
    w.into_inner()
}

fn main() {
    let mb: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let t = Instant::now();
    let file = build(mb << 20);
    eprintln!("built {} MB in {:.1?}", file.len() >> 20, t.elapsed());
    // The layers alone: reading, then reading and decoding.
    let mut best = (f64::MAX, f64::MAX);
    for _ in 0..3 {
        let t = Instant::now();
        let n = CaptureReader::new(&file)
            .unwrap()
            .filter(|f| f.is_ok())
            .count();
        best.0 = best.0.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let m = CaptureReader::new(&file)
            .unwrap()
            .filter_map(|f| f.ok())
            .filter(|f| antibody_net::packet::decode(f.link, f.data).is_ok())
            .count();
        best.1 = best.1.min(t.elapsed().as_secs_f64());
        assert_eq!(n, m);
    }
    println!(
        "read only: {:.3} s ({:.0} MB/s); read + decode: {:.3} s ({:.0} MB/s)",
        best.0,
        file.len() as f64 / best.0 / 1e6,
        best.1,
        file.len() as f64 / best.1 / 1e6
    );
    for (label, done_after) in [
        ("every byte delivered", None),
        ("Done after 4 KiB per flow", Some(4096)),
    ] {
        let mut best = f64::MAX;
        let mut frames = 0;
        for _ in 0..3 {
            let t = Instant::now();
            let mut table = FlowTable::<Seen>::new(FlowLimits::default());
            let mut h = Consume {
                done_after,
                sum: 0,
                conns: 0,
            };
            frames = 0;
            for f in CaptureReader::new(&file).unwrap() {
                table.frame(&f.unwrap(), &mut h);
                frames += 1;
            }
            table.finish(&mut h);
            best = best.min(t.elapsed().as_secs_f64());
            assert!(h.conns > 0 && h.sum > 0);
        }
        let mbs = file.len() as f64 / best / 1e6;
        let ns_per_byte = best * 1e9 / file.len() as f64;
        println!(
            "{label}: {frames} frames, {:.0} MB in {best:.3} s: {mbs:.0} MB/s, {ns_per_byte:.3} ns/byte, {:.0} ns/frame",
            file.len() as f64 / 1e6,
            best * 1e9 / frames as f64
        );
    }
}
