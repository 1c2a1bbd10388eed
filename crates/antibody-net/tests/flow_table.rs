//! The flow table end to end: testkit traffic written as pcap, read back,
//! decoded and placed, with a handler that records what it is given.

use antibody_net::capture::CaptureReader;
use antibody_net::flow::{FlowHandler, FlowLimits, FlowTable};
use antibody_net::ipfrag::FragLimits;
use antibody_net::model::{Anomaly, ConnRecord, Direction, FlowKey};
use antibody_net::packet::{Packet, TcpSegment, Transport, tcp_flags};
use antibody_net::proto::{Ctx, Interest};
use antibody_net::testkit::pcap::{self as tk, TcpSession, TestPacket, pcap_bytes, udp_exchange};
use std::net::{IpAddr, SocketAddr};

fn c() -> SocketAddr {
    "192.0.2.10:49152".parse().unwrap()
}
fn s() -> SocketAddr {
    "203.0.113.80:443".parse().unwrap()
}

/// What one flow was given.
#[derive(Debug, Default)]
struct St {
    to_server: Vec<u8>,
    to_client: Vec<u8>,
    gaps: Vec<(Direction, u64)>,
    datagrams: Vec<(Direction, Vec<u8>)>,
    stream_calls: usize,
}

#[derive(Default)]
struct H {
    flows: Vec<(ConnRecord, St)>,
    anomalies: Vec<Anomaly>,
    /// Say Done once a direction has this many bytes.
    stop_after: Option<usize>,
}

impl FlowHandler<St> for H {
    fn stream(&mut self, st: &mut St, _: &Ctx, dir: Direction, data: &[u8]) -> Interest {
        st.stream_calls += 1;
        let buf = match dir {
            Direction::ToServer => &mut st.to_server,
            Direction::ToClient => &mut st.to_client,
        };
        buf.extend_from_slice(data);
        match self.stop_after {
            Some(n) if buf.len() >= n => Interest::Done,
            _ => Interest::More,
        }
    }
    fn gap(&mut self, st: &mut St, _: &Ctx, dir: Direction, len: u64) -> Interest {
        st.gaps.push((dir, len));
        Interest::More
    }
    fn datagram(&mut self, st: &mut St, _: &Ctx, dir: Direction, payload: &[u8]) {
        st.datagrams.push((dir, payload.to_vec()));
    }
    fn closed(&mut self, st: &mut St, ctx: &Ctx, summary: &ConnRecord) {
        assert_eq!(ctx.flow, summary.meta.flow);
        self.flows.push((summary.clone(), std::mem::take(st)));
    }
    fn anomaly(&mut self, anomaly: Anomaly) {
        self.anomalies.push(anomaly);
    }
}

fn run_with(packets: &[TestPacket], limits: FlowLimits, h: &mut H) -> FlowTable<St> {
    let file = pcap_bytes(packets);
    let mut table = FlowTable::new(limits);
    for f in CaptureReader::new(&file).unwrap() {
        table.frame(&f.unwrap(), h);
    }
    table.finish(h);
    table
}

fn run(packets: &[TestPacket]) -> H {
    let mut h = H::default();
    run_with(packets, FlowLimits::default(), &mut h);
    h
}

fn only(h: &H) -> &(ConnRecord, St) {
    assert_eq!(
        h.flows.len(),
        1,
        "{:?}",
        h.flows.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    &h.flows[0]
}

#[test]
fn full_session_summary() {
    let mut t = TcpSession::new(c(), s()).mss(5);
    t.handshake()
        .client_send(b"hello server, long line")
        .server_send(b"hi")
        .close();
    let packets = t.into_packets();
    let h = run(&packets);
    let (rec, st) = only(&h);
    assert_eq!(rec.meta.flow.client_ip, c().ip());
    assert_eq!(rec.meta.flow.server_port, 443);
    assert_eq!(st.to_server, b"hello server, long line");
    assert_eq!(st.to_client, b"hi");
    assert!(rec.established);
    assert_eq!((rec.client_bytes, rec.server_bytes), (23, 2));
    assert_eq!(
        rec.client_packets + rec.server_packets,
        packets.len() as u64
    );
    assert_eq!(rec.meta.evidence.frames, (1..=16).collect::<Vec<u64>>());
    assert_eq!(rec.meta.ts, packets[0].ts);
    assert_eq!(rec.last_ts, packets.last().unwrap().ts);
    assert_eq!((rec.missing_bytes, rec.overlaps), (0, 0));
}

#[test]
fn orientation_without_syn_uses_server_ports() {
    // Picked up mid-stream, first packet from the server.
    let mut t = TcpSession::new(c(), s());
    t.handshake().client_send(b"abc").server_send(b"defg");
    let packets: Vec<_> = t.packets()[4..].to_vec();
    let h = run(&packets);
    let (rec, st) = only(&h);
    assert_eq!(rec.meta.flow.client_ip, c().ip());
    assert_eq!(rec.meta.flow.server_ip, s().ip());
    assert_eq!(st.to_client, b"defg");
    assert!(!rec.established);

    // Neither port is a server port: the first sender is the client.
    let a: SocketAddr = "198.51.100.1:40000".parse().unwrap();
    let b: SocketAddr = "198.51.100.2:50000".parse().unwrap();
    let h = run(&udp_exchange(
        b,
        a,
        &[(Direction::ToServer, b"q"), (Direction::ToClient, b"r")],
        0,
        1,
    ));
    let (rec, st) = only(&h);
    assert_eq!(rec.meta.flow.client_port, 50000);
    assert!(rec.established);
    assert_eq!(
        st.datagrams,
        vec![
            (Direction::ToServer, b"q".to_vec()),
            (Direction::ToClient, b"r".to_vec())
        ]
    );

    // A SYN-ACK first: its sender is the server even on odd ports.
    let mut t = TcpSession::new(a, b);
    t.handshake();
    let h = run(&t.packets()[1..]);
    assert_eq!(only(&h).0.meta.flow.server_port, 50000);
}

#[test]
fn out_of_order_segments_are_reordered() {
    let mut t = TcpSession::new(c(), s()).mss(4).ack_each(false);
    t.handshake().client_send(b"0123456789ab");
    // Data segments are packets 3, 4, 5: deliver 5, 3, 4.
    t.swap(3, 5).swap(4, 5);
    let h = run(t.packets());
    let (rec, st) = only(&h);
    assert_eq!(st.to_server, b"0123456789ab");
    assert_eq!(rec.missing_bytes, 0);
}

#[test]
fn retransmissions_are_dropped() {
    let mut t = TcpSession::new(c(), s()).mss(5).ack_each(false);
    t.handshake().client_send(b"abcdefghij");
    t.duplicate(3).duplicate(4).duplicate(3);
    let h = run(t.packets());
    let (rec, st) = only(&h);
    assert_eq!(st.to_server, b"abcdefghij");
    assert_eq!(rec.client_packets, 2 + 2 + 3);
}

#[test]
fn overlapping_segments_with_different_data_keep_the_first_copy() {
    let mut t = TcpSession::new(c(), s());
    t.handshake();
    t.segment_at(Direction::ToServer, 4, b"EFGH");
    t.segment_at(Direction::ToServer, 0, b"abcdXXXXij");
    let h = run(t.packets());
    let (rec, st) = only(&h);
    assert_eq!(st.to_server, b"abcdEFGHij");
    assert_eq!(rec.overlaps, 1);
    assert_eq!(h.anomalies.len(), 1);
    assert_eq!(h.anomalies[0].code, "tcp_overlap");
    assert_eq!(h.anomalies[0].frame, Some(5));
}

#[test]
fn sequence_numbers_wrap_around() {
    let mut t = TcpSession::new(c(), s())
        .isn(u32::MAX - 5, u32::MAX)
        .mss(3)
        .ack_each(false);
    t.handshake()
        .client_send(b"across the wrap")
        .server_send(b"also here");
    let h = run(t.packets());
    let (_, st) = only(&h);
    assert_eq!(st.to_server, b"across the wrap");
    assert_eq!(st.to_client, b"also here");
}

#[test]
fn missing_segment_is_a_gap_and_later_data_still_arrives() {
    let mut t = TcpSession::new(c(), s()).mss(4).ack_each(false);
    t.handshake().client_send(b"aaaabbbbcccc").close();
    t.drop_packet(4); // "bbbb"
    let h = run(t.packets());
    let (rec, st) = only(&h);
    assert_eq!(st.gaps, vec![(Direction::ToServer, 4)]);
    assert_eq!(st.to_server, b"aaaacccc");
    assert_eq!(rec.missing_bytes, 4);
}

#[test]
fn hole_before_fin_is_a_gap() {
    let mut t = TcpSession::new(c(), s()).mss(4).ack_each(false);
    t.handshake().client_send(b"aaaabbbb").close();
    t.drop_packet(4); // the last data segment, right before the FIN
    let h = run(t.packets());
    let (rec, st) = only(&h);
    assert_eq!(st.to_server, b"aaaa");
    assert_eq!(st.gaps, vec![(Direction::ToServer, 4)]);
    assert_eq!(rec.missing_bytes, 4);
}

#[test]
fn out_of_order_cap_skips_forward() {
    let mut t = TcpSession::new(c(), s()).mss(100).ack_each(false);
    t.handshake().client_send(&[7u8; 1000]);
    t.drop_packet(3); // first 100 bytes never seen
    let mut h = H::default();
    let table = run_with(
        t.packets(),
        FlowLimits::default().ooo_per_direction(300),
        &mut h,
    );
    let (rec, st) = only(&h);
    assert_eq!(st.gaps[0], (Direction::ToServer, 100));
    assert_eq!(st.to_server.len(), 900);
    assert_eq!(rec.missing_bytes, 100);
    assert_eq!(table.buffered(), 0);
    assert_eq!(table.stats().missing_bytes, 100);
}

#[test]
fn split_at_every_byte_through_the_table() {
    let msg: Vec<u8> = (0..40u8).collect();
    for cut in 1..msg.len() {
        let mut t = TcpSession::new(c(), s());
        t.handshake();
        t.segment_at(Direction::ToServer, cut as u32, &msg[cut..]);
        t.segment_at(Direction::ToServer, 0, &msg[..cut]);
        let h = run(t.packets());
        assert_eq!(only(&h).1.to_server, msg, "cut {cut}");
    }
}

#[test]
fn done_stops_delivery_but_not_counting() {
    let mut t = TcpSession::new(c(), s()).mss(10);
    t.handshake()
        .client_send(&[1u8; 100])
        .server_send(&[2u8; 35])
        .close();
    let mut h = H {
        stop_after: Some(20),
        ..H::default()
    };
    run_with(t.packets(), FlowLimits::default(), &mut h);
    let (rec, st) = only(&h);
    assert_eq!(st.to_server.len(), 20);
    assert_eq!(st.to_client.len(), 20);
    assert_eq!(st.stream_calls, 4);
    assert_eq!((rec.client_bytes, rec.server_bytes), (100, 35));
}

#[test]
fn ipv4_and_ipv6_fragments_are_reassembled_in_flows() {
    let payload: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    let a6: SocketAddr = "[2001:db8::5]:5353".parse().unwrap();
    let b6: SocketAddr = "[2001:db8::53]:53".parse().unwrap();
    let mut frames = tk::ipv4_fragments(
        c().ip(),
        s().ip(),
        17,
        42,
        &tk::udp(c(), "203.0.113.80:53".parse().unwrap(), &payload),
        1480,
    );
    frames.reverse();
    frames.extend(tk::ipv6_fragments(
        a6.ip(),
        b6.ip(),
        17,
        0xdead,
        &tk::udp(a6, b6, &payload),
        1232,
    ));
    let packets: Vec<_> = frames
        .into_iter()
        .enumerate()
        .map(|(i, data)| TestPacket { ts: i as i64, data })
        .collect();
    let mut h = H::default();
    let table = run_with(&packets, FlowLimits::default(), &mut h);
    assert_eq!(h.flows.len(), 2);
    for (_, st) in &h.flows {
        assert_eq!(st.datagrams.len(), 1);
        assert_eq!(st.datagrams[0].1, payload);
    }
    let fs = table.stats().fragments;
    assert_eq!(fs.reassembled, 2);
    assert_eq!(fs.fragments, packets.len() as u64);
}

#[test]
fn oversized_and_overlapping_fragment_sets_are_dropped_with_counts() {
    let a6: SocketAddr = "[2001:db8::5]:5353".parse().unwrap();
    let b6: SocketAddr = "[2001:db8::53]:53".parse().unwrap();
    let l4 = tk::udp(a6, b6, &[0; 64]);
    let frames = vec![
        tk::ethernet(
            0x86dd,
            &tk::ipv6_fragment(a6.ip(), b6.ip(), 17, 1, 0, true, &l4[..48]),
        ),
        tk::ethernet(
            0x86dd,
            &tk::ipv6_fragment(a6.ip(), b6.ip(), 17, 1, 40, false, &l4[40..]),
        ),
        tk::ethernet(
            0x0800,
            &tk::ipv4_fragment(c().ip(), s().ip(), 17, 2, 65528, false, &[0; 64]),
        ),
    ];
    let packets: Vec<_> = frames
        .into_iter()
        .map(|data| TestPacket { ts: 0, data })
        .collect();
    let mut h = H::default();
    let table = run_with(
        &packets,
        FlowLimits::default().frag(FragLimits::default()),
        &mut h,
    );
    assert!(h.flows.is_empty());
    let fs = table.stats().fragments;
    assert_eq!(
        (fs.dropped_overlap, fs.dropped_oversize, fs.reassembled),
        (1, 1, 0)
    );
}

#[test]
fn idle_and_closed_flows_end_by_capture_time() {
    let q = udp_exchange(
        c(),
        "198.51.100.53:53".parse().unwrap(),
        &[(Direction::ToServer, b"q")],
        0,
        1,
    );
    let mut t = TcpSession::new(c(), s()).start(1_000_000);
    t.handshake().close();
    let mut packets = q;
    packets.extend(t.into_packets());
    // A packet 121 s later ends the UDP flow by idle and the TCP one by grace.
    let late = "192.0.2.99:1000".parse().unwrap();
    packets.push(TestPacket {
        ts: 121_500_000,
        data: tk::udp_frame(late, "192.0.2.100:1001".parse().unwrap(), b"x"),
    });
    let file = pcap_bytes(&packets);
    let mut table = FlowTable::new(FlowLimits::default());
    let mut h = H::default();
    for f in CaptureReader::new(&file).unwrap() {
        table.frame(&f.unwrap(), &mut h);
    }
    assert_eq!(h.flows.len(), 2, "ended before the end of the capture");
    assert_eq!(table.len(), 1);
    assert_eq!(table.stats().idle_timeouts, 1);
    table.finish(&mut h);
    assert_eq!(h.flows.len(), 3);
}

#[test]
fn port_reuse_after_close_is_a_new_flow() {
    let mut t = TcpSession::new(c(), s());
    t.handshake().client_send(b"one").close();
    let mut t2 = TcpSession::new(c(), s())
        .isn(77, 99)
        .start(t.packets().last().unwrap().ts + 1000);
    t2.handshake().client_send(b"two").close();
    let mut packets = t.into_packets();
    packets.extend(t2.into_packets());
    let h = run(&packets);
    assert_eq!(h.flows.len(), 2);
    assert_eq!(h.flows[0].1.to_server, b"one");
    assert_eq!(h.flows[1].1.to_server, b"two");
}

#[test]
fn rst_closes_after_grace() {
    let mut t = TcpSession::new(c(), s());
    t.handshake().client_send(b"x").reset(Direction::ToClient);
    let mut packets = t.into_packets();
    let other: SocketAddr = "192.0.2.11:1".parse().unwrap();
    packets.push(TestPacket {
        ts: packets.last().unwrap().ts + 6_000_000,
        data: tk::udp_frame(other, "192.0.2.12:2".parse().unwrap(), b""),
    });
    let file = pcap_bytes(&packets);
    let mut table = FlowTable::new(FlowLimits::default());
    let mut h = H::default();
    for f in CaptureReader::new(&file).unwrap() {
        table.frame(&f.unwrap(), &mut h);
    }
    assert_eq!(h.flows.len(), 1);
    assert_eq!(table.stats().idle_timeouts, 0);
}

/// A million SYNs to distinct ports against a table of 10,000 flows.
#[test]
fn a_million_syns_stay_within_the_flow_limit() {
    const N: u32 = 1_000_000;
    const LIMIT: usize = 10_000;
    let src: IpAddr = "192.0.2.1".parse().unwrap();
    let dst: IpAddr = "198.51.100.1".parse().unwrap();
    let mut table = FlowTable::<()>::new(FlowLimits::default().max_flows(LIMIT));
    let mut h = Closed::default();
    for i in 0..N {
        let pkt = Packet {
            src,
            dst,
            proto: 6,
            vlan: None,
            frag: None,
            transport: Transport::Tcp(TcpSegment {
                src_port: 40000,
                dst_port: (i % 65536) as u16,
                seq: i,
                ack: 0,
                flags: tcp_flags::SYN,
                window: 1024,
                payload: &[],
            }),
            truncated: false,
        };
        // Distinct flows: vary the source address beyond 65536 ports.
        let pkt = Packet {
            src: IpAddr::V4(std::net::Ipv4Addr::from(
                u32::from_be_bytes([192, 0, 2, 0]) + i / 65536,
            )),
            ..pkt
        };
        table.packet(&pkt, u64::from(i) + 1, i64::from(i), &mut h);
        assert!(table.len() <= LIMIT);
    }
    let st = table.stats();
    assert_eq!(st.evictions, u64::from(N) - LIMIT as u64);
    assert_eq!(h.closed as u64, st.evictions);
    assert_eq!(st.max_active, LIMIT as u64);
    // The evicted ones were the oldest.
    assert_eq!(h.first.unwrap().client_port, 40000);
    assert_eq!(h.first.unwrap().server_port, 0);
    table.finish(&mut h);
    assert_eq!(h.closed, N as usize);
    assert!(table.is_empty());
}

#[derive(Default)]
struct Closed {
    closed: usize,
    first: Option<FlowKey>,
}

impl FlowHandler<()> for Closed {
    fn stream(&mut self, _: &mut (), _: &Ctx, _: Direction, _: &[u8]) -> Interest {
        Interest::More
    }
    fn gap(&mut self, _: &mut (), _: &Ctx, _: Direction, _: u64) -> Interest {
        Interest::More
    }
    fn datagram(&mut self, _: &mut (), _: &Ctx, _: Direction, _: &[u8]) {}
    fn closed(&mut self, _: &mut (), _: &Ctx, summary: &ConnRecord) {
        self.closed += 1;
        self.first.get_or_insert(summary.meta.flow);
    }
}

#[test]
fn per_flow_record_stays_small() {
    // With the map entry (~48 bytes), a flow costs about 300 bytes plus
    // its state: a million flows fit in about 300 MB.
    let n = antibody_net::flow::flow_size::<()>();
    eprintln!("{n} bytes per flow");
    assert!(n <= 280, "{n} bytes per flow");
}
