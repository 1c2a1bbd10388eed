//! Packet decoding: link types, VLAN tags, IPv4/IPv6 (options, extension
//! headers, fragments) and TCP/UDP, including headers whose lengths lie.

use antibody_net::capture::LinkType;
use antibody_net::packet::{DecodeError, FragInfo, Transport, decode, tcp_flags, udp_length_lies};
use antibody_net::testkit::pcap as tk;
use std::net::SocketAddr;

fn c() -> SocketAddr {
    "192.0.2.10:51000".parse().unwrap()
}
fn s() -> SocketAddr {
    "198.51.100.20:80".parse().unwrap()
}

#[test]
fn ethernet_tcp() {
    let f = tk::tcp_frame(c(), s(), 100, 7, tcp_flags::ACK | tcp_flags::PSH, b"GET /");
    let p = decode(LinkType::ETHERNET, &f).unwrap();
    assert_eq!(p.src, c().ip());
    assert_eq!(p.dst, s().ip());
    let t = p.tcp().unwrap();
    assert_eq!((t.src_port, t.dst_port, t.seq, t.ack), (51000, 80, 100, 7));
    assert!(t.has(tcp_flags::ACK | tcp_flags::PSH));
    assert_eq!(t.payload, b"GET /");
    assert!(!p.truncated);
    assert!(p.frag.is_none());
}

#[test]
fn ethernet_padding_is_dropped_by_ip_total_length() {
    let mut f = tk::udp_frame(c(), s(), b"x");
    f.extend_from_slice(&[0; 20]);
    let p = decode(LinkType::ETHERNET, &f).unwrap();
    assert_eq!(p.udp().unwrap().payload, b"x");
}

#[test]
fn vlan_qinq_and_stacked() {
    let ip = tk::ipv4_packet(c().ip(), s().ip(), 17, &tk::udp(c(), s(), b"dns"));
    for tags in [
        vec![0x8100u16],
        vec![0x88a8, 0x8100],
        vec![0x9100, 0x8100, 0x8100],
    ] {
        let mut g = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
        g.extend_from_slice(&tags[0].to_be_bytes());
        for i in 0..tags.len() {
            g.extend_from_slice(&(100 + i as u16).to_be_bytes());
            let next = tags.get(i + 1).copied().unwrap_or(0x0800);
            g.extend_from_slice(&next.to_be_bytes());
        }
        g.extend_from_slice(&ip);
        let p = decode(LinkType::ETHERNET, &g).unwrap();
        assert_eq!(p.vlan, Some(100));
        assert_eq!(p.udp().unwrap().payload, b"dns");
    }
    let mut deep = vec![0u8; 12];
    for _ in 0..10 {
        deep.extend_from_slice(&[0x81, 0x00, 0, 1]);
    }
    deep.extend_from_slice(&[0x81, 0x00]);
    deep[12..14].copy_from_slice(&[0x81, 0x00]);
    assert!(matches!(
        decode(LinkType::ETHERNET, &deep),
        Err(DecodeError::TooManyHeaders { .. }) | Err(DecodeError::Truncated { .. })
    ));
}

#[test]
fn sll_sll2_raw_null_loop() {
    let ip4 = tk::ipv4_packet(c().ip(), s().ip(), 17, &tk::udp(c(), s(), b"a"));
    let c6: SocketAddr = "[2001:db8::1]:5353".parse().unwrap();
    let s6: SocketAddr = "[2001:db8::2]:53".parse().unwrap();
    let ip6 = tk::ipv6_packet(c6.ip(), s6.ip(), 17, &tk::udp(c6, s6, b"b"));

    let mut sll = vec![0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00];
    sll.extend_from_slice(&ip4);
    assert_eq!(decode(LinkType::LINUX_SLL, &sll).unwrap().payload(), b"a");

    let mut sll2 = vec![
        0x86, 0xdd, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0,
    ];
    sll2.extend_from_slice(&ip6);
    let p = decode(LinkType::LINUX_SLL2, &sll2).unwrap();
    assert_eq!(p.payload(), b"b");
    assert_eq!(p.src, c6.ip());

    for link in [LinkType::RAW, LinkType::RAW_12, LinkType::RAW_14] {
        assert_eq!(decode(link, &ip4).unwrap().payload(), b"a");
        assert_eq!(decode(link, &ip6).unwrap().payload(), b"b");
    }
    assert_eq!(decode(LinkType::IPV4, &ip4).unwrap().payload(), b"a");
    assert_eq!(decode(LinkType::IPV6, &ip6).unwrap().payload(), b"b");
    assert!(decode(LinkType::IPV4, &ip6).is_err());

    let mut null4 = 2u32.to_le_bytes().to_vec();
    null4.extend_from_slice(&ip4);
    assert_eq!(decode(LinkType::NULL, &null4).unwrap().payload(), b"a");
    for fam in [10u32, 24, 28, 30] {
        let mut null6 = fam.to_le_bytes().to_vec();
        null6.extend_from_slice(&ip6);
        assert_eq!(decode(LinkType::NULL, &null6).unwrap().payload(), b"b");
        let mut loop6 = fam.to_be_bytes().to_vec();
        loop6.extend_from_slice(&ip6);
        assert_eq!(decode(LinkType::LOOP, &loop6).unwrap().payload(), b"b");
    }
    let mut other = 7u32.to_le_bytes().to_vec();
    other.extend_from_slice(&ip4);
    assert_eq!(decode(LinkType::NULL, &other), Err(DecodeError::NotIp(7)));
    assert_eq!(
        decode(LinkType(147), &ip4),
        Err(DecodeError::UnsupportedLink(147))
    );
}

#[test]
fn arp_is_not_ip() {
    let mut f = vec![0xff; 12];
    f.extend_from_slice(&[0x08, 0x06]);
    f.extend_from_slice(&[0; 28]);
    assert_eq!(
        decode(LinkType::ETHERNET, &f),
        Err(DecodeError::NotIp(0x0806))
    );
}

#[test]
fn ipv4_total_length_longer_than_frame_is_truncated() {
    let mut f = tk::tcp_frame(c(), s(), 1, 1, tcp_flags::ACK, b"hello");
    f[14 + 2..14 + 4].copy_from_slice(&60000u16.to_be_bytes());
    let p = decode(LinkType::ETHERNET, &f).unwrap();
    assert!(p.truncated);
    assert_eq!(p.tcp().unwrap().payload, b"hello");
}

#[test]
fn ipv4_total_length_shorter_than_header_is_an_error() {
    let mut f = tk::tcp_frame(c(), s(), 1, 1, tcp_flags::ACK, b"hello");
    f[14 + 2..14 + 4].copy_from_slice(&10u16.to_be_bytes());
    assert!(matches!(
        decode(LinkType::ETHERNET, &f),
        Err(DecodeError::BadLength {
            field: "total length",
            ..
        })
    ));
    let mut g = tk::tcp_frame(c(), s(), 1, 1, tcp_flags::ACK, b"");
    g[14] = 0x43;
    assert!(matches!(
        decode(LinkType::ETHERNET, &g),
        Err(DecodeError::BadLength {
            field: "header length",
            ..
        })
    ));
}

#[test]
fn ipv4_options_are_skipped() {
    let udp = tk::udp(c(), s(), b"opt");
    let mut ip = tk::ipv4_packet(c().ip(), s().ip(), 17, &udp);
    // Rebuild with a 4-byte NOP option block.
    let mut with = ip[..20].to_vec();
    with[0] = 0x46;
    with.extend_from_slice(&[1, 1, 1, 0]);
    with.extend_from_slice(&udp);
    let total = with.len() as u16;
    with[2..4].copy_from_slice(&total.to_be_bytes());
    ip = with;
    let p = decode(LinkType::RAW, &ip).unwrap();
    assert_eq!(p.udp().unwrap().payload, b"opt");
}

#[test]
fn udp_length_larger_than_data_keeps_what_is_there() {
    let mut f = tk::udp_frame(c(), s(), b"abcd");
    let at = 14 + 20 + 4;
    f[at..at + 2].copy_from_slice(&500u16.to_be_bytes());
    let p = decode(LinkType::ETHERNET, &f).unwrap();
    assert_eq!(p.udp().unwrap().payload, b"abcd");
    assert!(udp_length_lies(&f[14 + 20..]));
    f[at..at + 2].copy_from_slice(&3u16.to_be_bytes());
    assert!(matches!(
        decode(LinkType::ETHERNET, &f),
        Err(DecodeError::BadLength { layer: "udp", .. })
    ));
}

#[test]
fn tcp_data_offset_past_the_end_is_an_error() {
    let mut f = tk::tcp_frame(c(), s(), 1, 1, tcp_flags::ACK, b"");
    f[14 + 20 + 12] = 0xf0; // 60 bytes of header in a 20-byte segment
    assert!(matches!(
        decode(LinkType::ETHERNET, &f),
        Err(DecodeError::BadLength {
            layer: "tcp",
            field: "data offset",
            ..
        })
    ));
    f[14 + 20 + 12] = 0x40;
    assert!(matches!(
        decode(LinkType::ETHERNET, &f),
        Err(DecodeError::BadLength {
            detail: "below the minimum of 20",
            ..
        })
    ));
}

#[test]
fn snaplen_cut_inside_tcp_options_is_truncated_not_an_error() {
    let mut seg = tk::tcp(c(), s(), 1, 0, tcp_flags::SYN, b"");
    // add 20 bytes of NOP options
    seg[12] = 0xa0;
    seg.extend_from_slice(&[1; 20]);
    let ip = tk::ipv4_packet(c().ip(), s().ip(), 6, &seg);
    let f = tk::ethernet(0x0800, &ip);
    let cut = &f[..14 + 20 + 24];
    let p = decode(LinkType::ETHERNET, cut).unwrap();
    assert!(p.truncated);
    let t = p.tcp().unwrap();
    assert!(t.has(tcp_flags::SYN));
    assert!(t.payload.is_empty());
    // Cut inside the fixed header: an error, not a panic.
    assert!(matches!(
        decode(LinkType::ETHERNET, &f[..14 + 20 + 10]),
        Err(DecodeError::Truncated { layer: "tcp", .. })
    ));
}

#[test]
fn every_prefix_of_a_frame_decodes_or_errs() {
    let f = tk::tcp_frame(c(), s(), 1, 1, tcp_flags::ACK, b"payload");
    for n in 0..=f.len() {
        let _ = decode(LinkType::ETHERNET, &f[..n]);
    }
    let c6: SocketAddr = "[2001:db8::1]:5353".parse().unwrap();
    let s6: SocketAddr = "[2001:db8::2]:53".parse().unwrap();
    let g = tk::tcp_frame(c6, s6, 1, 1, tcp_flags::ACK, b"payload");
    for n in 0..=g.len() {
        let _ = decode(LinkType::ETHERNET, &g[..n]);
    }
}

#[test]
fn ipv4_fragment_is_reported_not_decoded() {
    let frags = tk::ipv4_fragments(
        c().ip(),
        s().ip(),
        17,
        77,
        &tk::udp(c(), s(), &[7; 100]),
        48,
    );
    assert!(frags.len() >= 3);
    let p0 = decode(LinkType::ETHERNET, &frags[0]).unwrap();
    assert_eq!(
        p0.frag,
        Some(FragInfo {
            id: 77,
            offset: 0,
            more: true
        })
    );
    assert!(matches!(p0.transport, Transport::Other(d) if d.len() == 48));
    let p1 = decode(LinkType::ETHERNET, &frags[1]).unwrap();
    assert_eq!(p1.frag.unwrap().offset, 48);
}

#[test]
fn ipv6_extension_headers() {
    let c6: SocketAddr = "[2001:db8::1]:40000".parse().unwrap();
    let s6: SocketAddr = "[2001:db8::2]:443".parse().unwrap();
    let tcp = tk::tcp(c6, s6, 5, 0, tcp_flags::SYN, b"");
    // hop-by-hop (8) -> destination options (16) -> AH (12+4) -> TCP
    let mut ext = vec![60, 0, 1, 4, 0, 0, 0, 0];
    ext.extend_from_slice(&[51, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    ext.extend_from_slice(&[6, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    ext.extend_from_slice(&tcp);
    let ip = tk::ipv6_packet(c6.ip(), s6.ip(), 0, &ext);
    let p = decode(LinkType::RAW, &ip).unwrap();
    assert_eq!(p.proto, 6);
    assert_eq!(p.tcp().unwrap().dst_port, 443);

    // An atomic fragment (offset 0, no more) is not a fragment.
    let mut atomic = vec![17, 0, 0, 0, 0, 0, 0, 9];
    atomic.extend_from_slice(&tk::udp(c6, s6, b"q"));
    let ip = tk::ipv6_packet(c6.ip(), s6.ip(), 44, &atomic);
    let p = decode(LinkType::RAW, &ip).unwrap();
    assert!(p.frag.is_none());
    assert_eq!(p.udp().unwrap().payload, b"q");

    // A chain of nine destination-options headers is refused.
    let mut chain = Vec::new();
    for _ in 0..9 {
        chain.extend_from_slice(&[60, 0, 0, 0, 0, 0, 0, 0]);
    }
    chain.extend_from_slice(&[59, 0, 0, 0, 0, 0, 0, 0]);
    let ip = tk::ipv6_packet(c6.ip(), s6.ip(), 60, &chain);
    assert!(matches!(
        decode(LinkType::RAW, &ip),
        Err(DecodeError::TooManyHeaders { .. })
    ));
}
