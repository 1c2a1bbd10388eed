//! Capture reading: round trips through the testkit writers, and every
//! malformed container the reader must survive.

use antibody_net::capture::{CaptureError, CaptureFormat, CaptureReader, Frame, LinkType};
use antibody_net::flow::{FlowHandler, FlowLimits, FlowTable};
use antibody_net::model::{ConnRecord, Direction, Micros};
use antibody_net::packet::{self, tcp_flags};
use antibody_net::proto::{Ctx, Interest};
use antibody_net::testkit::pcap::{
    PcapOptions, PcapWriter, PcapngWriter, TcpSession, TestPacket, tcp_frame, udp_frame,
};
use std::net::SocketAddr;

fn c() -> SocketAddr {
    "192.0.2.10:49152".parse().unwrap()
}
fn s() -> SocketAddr {
    "198.51.100.7:80".parse().unwrap()
}

fn session() -> Vec<TestPacket> {
    let mut t = TcpSession::new(c(), s()).step(1_234_567);
    t.handshake()
        .client_send(b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n")
        .server_send(&[b'x'; 3000])
        .close();
    t.into_packets()
}

fn read_all(data: &[u8]) -> (Vec<Frame<'_>>, Vec<CaptureError>) {
    let mut frames = Vec::new();
    let mut errors = Vec::new();
    for item in CaptureReader::new(data).unwrap() {
        match item {
            Ok(f) => frames.push(f),
            Err(e) => errors.push(e),
        }
    }
    (frames, errors)
}

fn assert_same(frames: &[Frame<'_>], packets: &[TestPacket]) {
    assert_eq!(frames.len(), packets.len());
    for (i, (f, p)) in frames.iter().zip(packets).enumerate() {
        assert_eq!(f.number, i as u64 + 1);
        assert_eq!(f.ts, p.ts, "frame {}", f.number);
        assert_eq!(f.data, &p.data[..]);
        assert_eq!(f.orig_len as usize, p.data.len());
        assert_eq!(f.link, LinkType::ETHERNET);
    }
}

#[test]
fn pcap_round_trip_every_variant() {
    let packets = session();
    for nanos in [false, true] {
        for big_endian in [false, true] {
            let opts = PcapOptions {
                nanos,
                big_endian,
                ..PcapOptions::default()
            };
            let mut w = PcapWriter::with_options(Vec::new(), opts).unwrap();
            for p in &packets {
                w.write(p.ts, &p.data).unwrap();
            }
            let file = w.into_inner();
            let reader = CaptureReader::new(&file).unwrap();
            assert_eq!(reader.format(), CaptureFormat::Pcap { nanos, big_endian });
            let (frames, errors) = read_all(&file);
            assert!(errors.is_empty(), "{errors:?}");
            assert_same(&frames, &packets);
        }
    }
}

#[test]
fn pcapng_round_trip_both_byte_orders_and_sections() {
    let packets = session();
    for big_endian in [false, true] {
        let mut w = PcapngWriter::with_byte_order(Vec::new(), big_endian).unwrap();
        let eth = w.interface(LinkType::ETHERNET, 65535).unwrap();
        let (half1, half2) = packets.split_at(packets.len() / 2);
        for p in half1 {
            w.write(eth, p.ts, &p.data).unwrap();
        }
        // A new section forgets interface 0; this one is nanosecond, and
        // interface 1 is Ethernet in it.
        w.section().unwrap();
        w.interface(LinkType::RAW, 1500).unwrap();
        let ns = w
            .interface_with_tsresol(LinkType::ETHERNET, 65535, Some(9), 0)
            .unwrap();
        assert_eq!(ns, 1);
        for p in half2 {
            w.write(ns, p.ts, &p.data).unwrap();
        }
        let file = w.into_inner();
        assert_eq!(
            CaptureReader::new(&file).unwrap().format(),
            CaptureFormat::Pcapng
        );
        let (frames, errors) = read_all(&file);
        assert!(errors.is_empty(), "{errors:?}");
        assert_same(&frames, &packets);
        assert_eq!(frames.last().unwrap().interface, 1);
    }
}

#[test]
fn pcapng_binary_resolution_and_offset() {
    let mut w = PcapngWriter::new(Vec::new()).unwrap();
    // 2^-10 s units, and a one-hour if_tsoffset.
    let i = w
        .interface_with_tsresol(LinkType::ETHERNET, 0, Some(0x80 | 10), 3600)
        .unwrap();
    w.write(i, 1_500_000, b"\x00").unwrap();
    let file = w.into_inner();
    let (frames, errors) = read_all(&file);
    assert!(errors.is_empty());
    assert_eq!(frames[0].ts, 3600 * 1_000_000 + 1_500_000);
}

#[test]
fn pcapng_simple_packet_uses_snaplen_of_interface_zero() {
    let mut w = PcapngWriter::new(Vec::new()).unwrap();
    w.interface(LinkType::ETHERNET, 20).unwrap();
    let frame = udp_frame(c(), s(), b"0123456789");
    w.write_simple(&frame).unwrap();
    let file = w.into_inner();
    let (frames, errors) = read_all(&file);
    assert!(errors.is_empty());
    assert_eq!(frames[0].data, &frame[..20]);
    assert_eq!(frames[0].orig_len as usize, frame.len());
}

#[test]
fn pcapng_obsolete_packet_block() {
    let mut w = PcapngWriter::new(Vec::new()).unwrap();
    w.interface(LinkType::ETHERNET, 0).unwrap();
    let frame = udp_frame(c(), s(), b"old");
    let mut body = Vec::new();
    body.extend_from_slice(&0u16.to_le_bytes()); // interface
    body.extend_from_slice(&0u16.to_le_bytes()); // drops
    let units: u64 = 1_700_000_000_000_000;
    body.extend_from_slice(&((units >> 32) as u32).to_le_bytes());
    body.extend_from_slice(&(units as u32).to_le_bytes());
    body.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    body.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    body.extend_from_slice(&frame);
    while body.len() % 4 != 0 {
        body.push(0);
    }
    w.block(2, &body).unwrap();
    let file = w.into_inner();
    let (frames, errors) = read_all(&file);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(frames[0].data, &frame[..]);
    assert_eq!(frames[0].ts, units as Micros);
}

#[test]
fn truncated_pcap_yields_frames_before_the_cut_then_one_error() {
    let packets = session();
    let mut w = PcapWriter::new(Vec::new()).unwrap();
    let mut offsets = Vec::new();
    for p in &packets {
        offsets.push(
            24 + offsets.len() * 16
                + packets[..offsets.len()]
                    .iter()
                    .map(|p| p.data.len())
                    .sum::<usize>(),
        );
        w.write(p.ts, &p.data).unwrap();
    }
    let file = w.into_inner();
    // Cut inside the data of the fourth record, then inside its header.
    for cut in [offsets[3] + 20, offsets[3] + 7] {
        let (frames, errors) = read_all(&file[..cut]);
        assert_eq!(frames.len(), 3);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].offset(), offsets[3] as u64);
        let msg = errors[0].to_string();
        assert!(
            msg.starts_with(&format!("offset {:#x}:", offsets[3])),
            "{msg}"
        );
    }
}

#[test]
fn truncated_pcapng_names_the_block() {
    let packets = session();
    let mut w = PcapngWriter::new(Vec::new()).unwrap();
    w.interface(LinkType::ETHERNET, 0).unwrap();
    for p in &packets[..3] {
        w.write(0, p.ts, &p.data).unwrap();
    }
    let file = w.into_inner();
    let cut = file.len() - 10;
    let (frames, errors) = read_all(&file[..cut]);
    assert_eq!(frames.len(), 2);
    assert_eq!(errors.len(), 1);
    assert!(
        matches!(errors[0], CaptureError::BlockTooLong { left, .. } if left < 100),
        "{:?}",
        errors[0]
    );
    assert!(errors[0].to_string().contains("exceeds the"));
}

/// A pcapng file with one interface and one EPB whose length is `len`.
fn pcapng_with_block_len(len: u32) -> (Vec<u8>, u64) {
    let mut w = PcapngWriter::new(Vec::new()).unwrap();
    w.interface(LinkType::ETHERNET, 0).unwrap();
    let mut file = w.into_inner();
    let at = file.len() as u64;
    file.extend_from_slice(&6u32.to_le_bytes());
    file.extend_from_slice(&len.to_le_bytes());
    file.extend_from_slice(&[0; 40]);
    (file, at)
}

#[test]
fn pcapng_block_length_too_big_is_an_error_with_offset() {
    let (file, at) = pcapng_with_block_len(u32::MAX);
    let (frames, errors) = read_all(&file);
    assert!(frames.is_empty());
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0].to_string(),
        format!("offset {at:#x}: pcapng block length 4294967295 exceeds the 48 bytes left")
    );
}

#[test]
fn pcapng_block_length_not_a_multiple_of_four() {
    let (file, at) = pcapng_with_block_len(45);
    let (_, errors) = read_all(&file);
    assert_eq!(
        errors,
        vec![CaptureError::BlockMisaligned {
            offset: at,
            len: 45
        }]
    );
}

#[test]
fn pcapng_block_length_below_minimum() {
    for len in [0, 8, 28] {
        let (file, at) = pcapng_with_block_len(len);
        let (_, errors) = read_all(&file);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].offset(), at);
        assert!(
            matches!(errors[0], CaptureError::BlockTooShort { min: 32, .. }),
            "{:?}",
            errors[0]
        );
    }
}

#[test]
fn pcapng_unknown_interface_is_skipped_and_reading_goes_on() {
    let mut w = PcapngWriter::new(Vec::new()).unwrap();
    w.interface(LinkType::ETHERNET, 0).unwrap();
    w.write(0, 1, b"one").unwrap();
    w.write(7, 2, b"bad").unwrap();
    w.write(0, 3, b"two").unwrap();
    let file = w.into_inner();
    let items: Vec<_> = CaptureReader::new(&file).unwrap().collect();
    assert_eq!(items.len(), 3);
    assert!(matches!(
        items[1],
        Err(CaptureError::UnknownInterface {
            interface: 7,
            known: 1,
            ..
        })
    ));
    let two = items[2].as_ref().unwrap();
    assert_eq!((two.data, two.number), (&b"two"[..], 2));
}

#[test]
fn pcapng_epb_caplen_past_its_block_is_a_bad_block() {
    let mut w = PcapngWriter::new(Vec::new()).unwrap();
    w.interface(LinkType::ETHERNET, 0).unwrap();
    let mut body = Vec::new();
    for v in [0u32, 0, 0, 1_000_000, 1_000_000] {
        body.extend_from_slice(&v.to_le_bytes());
    }
    body.extend_from_slice(&[0; 8]);
    w.block(6, &body).unwrap();
    w.write(0, 5, b"after").unwrap();
    let file = w.into_inner();
    let items: Vec<_> = CaptureReader::new(&file).unwrap().collect();
    assert!(
        matches!(items[0], Err(CaptureError::BadBlock { block_type: 6, .. })),
        "{:?}",
        items[0]
    );
    assert_eq!(items[1].as_ref().unwrap().data, b"after");
}

#[test]
fn pcapng_trailing_length_mismatch_stops() {
    let mut w = PcapngWriter::new(Vec::new()).unwrap();
    w.interface(LinkType::ETHERNET, 0).unwrap();
    w.write(0, 1, b"abcd").unwrap();
    let mut file = w.into_inner();
    let n = file.len();
    file[n - 4..].copy_from_slice(&99u32.to_le_bytes());
    let (frames, errors) = read_all(&file);
    assert!(frames.is_empty());
    assert!(matches!(
        errors[0],
        CaptureError::BlockLengthMismatch { trailer: 99, .. }
    ));
}

#[test]
fn pcap_record_claiming_gigabytes_is_refused_without_allocating() {
    let mut w = PcapWriter::new(Vec::new()).unwrap();
    w.write(0, b"fine").unwrap();
    let mut file = w.into_inner();
    file.extend_from_slice(&[0; 8]);
    file.extend_from_slice(&0xffff_fff0u32.to_le_bytes());
    file.extend_from_slice(&0xffff_fff0u32.to_le_bytes());
    let (frames, errors) = read_all(&file);
    assert_eq!(frames.len(), 1);
    assert!(
        matches!(errors[0], CaptureError::RecordTooLong { offset: 44, .. }),
        "{:?}",
        errors[0]
    );
}

#[derive(Default)]
struct Count {
    closed: Vec<ConnRecord>,
}

impl FlowHandler<()> for Count {
    fn stream(&mut self, _: &mut (), _: &Ctx, _: Direction, _: &[u8]) -> Interest {
        Interest::More
    }
    fn gap(&mut self, _: &mut (), _: &Ctx, _: Direction, _: u64) -> Interest {
        Interest::More
    }
    fn datagram(&mut self, _: &mut (), _: &Ctx, _: Direction, _: &[u8]) {}
    fn closed(&mut self, _: &mut (), _: &Ctx, summary: &ConnRecord) {
        self.closed.push(summary.clone());
    }
}

#[test]
fn snaplen_cut_packet_is_truncated_and_its_flow_counted() {
    let opts = PcapOptions {
        snaplen: 60,
        ..PcapOptions::default()
    };
    let mut w = PcapWriter::with_options(Vec::new(), opts).unwrap();
    let big = tcp_frame(c(), s(), 1, 1, tcp_flags::ACK, &[b'z'; 1000]);
    w.write(10, &big).unwrap();
    let file = w.into_inner();
    let (frames, errors) = read_all(&file);
    assert!(errors.is_empty());
    assert_eq!(frames[0].data.len(), 60);
    assert_eq!(frames[0].orig_len as usize, big.len());
    let p = packet::decode(frames[0].link, frames[0].data).unwrap();
    assert!(p.truncated);
    assert_eq!(p.tcp().unwrap().payload.len(), 60 - 54);

    let mut table = FlowTable::<()>::new(FlowLimits::default());
    let mut h = Count::default();
    table.frame(&frames[0], &mut h);
    table.finish(&mut h);
    assert_eq!(table.stats().truncated, 1);
    assert_eq!(h.closed.len(), 1);
    assert_eq!(h.closed[0].client_packets, 1);
}

#[test]
fn lying_lengths_in_a_capture_do_not_stop_the_flow_table() {
    // IP total length 60000 on a 60-byte frame.
    let mut f1 = udp_frame(c(), s(), &[1; 18]);
    f1[16..18].copy_from_slice(&60000u16.to_be_bytes());
    // UDP length larger than its data.
    let mut f2 = udp_frame(c(), s(), b"abc");
    f2[38..40].copy_from_slice(&900u16.to_be_bytes());
    // TCP data offset past the end.
    let mut f3 = tcp_frame(c(), s(), 1, 1, tcp_flags::ACK, b"");
    f3[46] = 0xf0;
    let mut w = PcapWriter::new(Vec::new()).unwrap();
    for f in [&f1, &f2, &f3] {
        w.write(1, f).unwrap();
    }
    let file = w.into_inner();
    let mut table = FlowTable::<()>::new(FlowLimits::default());
    let mut h = Count::default();
    for fr in CaptureReader::new(&file).unwrap() {
        table.frame(&fr.unwrap(), &mut h);
    }
    table.finish(&mut h);
    let st = table.stats();
    assert_eq!(st.frames, 3);
    assert_eq!(st.truncated, 1);
    assert_eq!(st.decode_errors(packet::DecodeErrorKind::BadLength), 1);
    // The two UDP frames share one flow.
    assert_eq!(h.closed.len(), 1);
    assert_eq!(h.closed[0].client_packets, 2);
}
