//! DNS parser and DNS-over-TCP decoder, including hostile messages.

mod common;

use antibody_net::model::{Direction::*, NetRecord};
use antibody_net::proto::dns::{DnsError, DnsTcpDecoder, parse_message};
use antibody_net::proto::{Interest, StreamDecoder};
use antibody_net::testkit::msg::{DnsData, dns_query, dns_response, dns_tcp};
use common::{ctx, run_both};
use std::net::{Ipv4Addr, Ipv6Addr};

#[test]
fn answers_of_each_type_decoded() {
    let msg = dns_response(
        0x1234,
        "WWW.Example.TEST.",
        1,
        &[
            (
                "www.example.test",
                300,
                DnsData::Cname("cdn.example.test".into()),
            ),
            (
                "cdn.example.test",
                60,
                DnsData::A(Ipv4Addr::new(192, 0, 2, 33)),
            ),
            (
                "cdn.example.test",
                60,
                DnsData::Aaaa(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
            ),
            (
                "cdn.example.test",
                5,
                DnsData::Txt(vec![b"v=spf1 ".to_vec(), b"-all\x01\\".to_vec()]),
            ),
        ],
    );
    let r = parse_message(&msg, &ctx(1)).unwrap();
    assert_eq!((r.id, r.is_response, r.rcode), (0x1234, true, 0));
    assert_eq!((r.query.as_str(), r.qtype), ("www.example.test", 1));
    let got: Vec<(&str, u16, u32, &str)> = r
        .answers
        .iter()
        .map(|a| (a.name.as_str(), a.rtype, a.ttl, a.data.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("www.example.test", 5, 300, "cdn.example.test"),
            ("cdn.example.test", 1, 60, "192.0.2.33"),
            ("cdn.example.test", 28, 60, "2001:db8::1"),
            ("cdn.example.test", 16, 5, "v=spf1 -all\\x01\\x5c"),
        ]
    );
    // The builder compressed the names.
    assert!(msg.windows(2).any(|w| w[0] & 0xc0 == 0xc0));
    let q = parse_message(&dns_query(7, "a.example.test", 16), &ctx(1)).unwrap();
    assert!(!q.is_response && q.answers.is_empty() && q.qtype == 16);
}

fn header(qd: u16, an: u16) -> Vec<u8> {
    let mut v = vec![0xab, 0xcd, 0x81, 0x80];
    for n in [qd, an, 0, 0] {
        v.extend(n.to_be_bytes());
    }
    v
}

#[test]
fn pointer_to_itself_is_a_loop_at_its_offset() {
    let mut m = header(1, 0);
    m.extend([0xc0, 12, 0, 1, 0, 1]);
    let e = parse_message(&m, &ctx(1)).unwrap_err();
    assert_eq!(
        e,
        DnsError::CompressionLoop {
            offset: 12,
            target: 12
        }
    );
    assert_eq!(e.code(), "dns_compression_loop");
    assert!(e.to_string().contains("offset 12"));
}

#[test]
fn two_pointer_cycle_is_a_loop() {
    // Question "a" + pointer to 17, at 17 a pointer back to 12.
    let mut m = header(1, 0);
    m.extend([1, b'a', 0xc0, 17, 0, 0xc0, 12]);
    let e = parse_message(&m, &ctx(1)).unwrap_err();
    assert!(
        matches!(e, DnsError::CompressionLoop { offset: 14, .. }),
        "{e:?}"
    );
}

#[test]
fn name_too_long_and_bad_label() {
    let mut m = header(1, 0);
    for _ in 0..5 {
        m.push(63);
        m.extend([b'a'; 63]);
    }
    m.extend([0, 0, 1, 0, 1]);
    assert_eq!(
        parse_message(&m, &ctx(1)).unwrap_err(),
        DnsError::NameTooLong { offset: 12 }
    );
    let mut m = header(1, 0);
    m.extend([0x41, 0, 0, 1, 0, 1]);
    assert!(matches!(
        parse_message(&m, &ctx(1)),
        Err(DnsError::BadLabel {
            offset: 12,
            kind: 0x41
        })
    ));
}

#[test]
fn truncated_messages_name_the_offset() {
    let full = dns_response(
        1,
        "t.example.test",
        1,
        &[("t.example.test", 1, DnsData::A(Ipv4Addr::LOCALHOST))],
    );
    for cut in [0, 5, 11, 14, 30, full.len() - 1] {
        let e = parse_message(&full[..cut], &ctx(1)).unwrap_err();
        assert!(matches!(e, DnsError::Truncated { .. }), "cut {cut}: {e:?}");
    }
}

#[test]
fn lying_answer_count_is_refused_or_bounded() {
    let mut m = dns_response(
        1,
        "x.example.test",
        1,
        &[
            ("x.example.test", 1, DnsData::A(Ipv4Addr::LOCALHOST)),
            ("x.example.test", 1, DnsData::A(Ipv4Addr::LOCALHOST)),
            ("x.example.test", 1, DnsData::A(Ipv4Addr::LOCALHOST)),
        ],
    );
    m[6..8].copy_from_slice(&65535u16.to_be_bytes());
    assert!(matches!(
        parse_message(&m, &ctx(1)),
        Err(DnsError::TooManyRecords {
            offset: 6,
            count: 65535,
            ..
        })
    ));
    m[6..8].copy_from_slice(&200u16.to_be_bytes());
    assert!(matches!(
        parse_message(&m, &ctx(1)),
        Err(DnsError::Truncated { .. })
    ));
}

#[test]
fn tcp_pipelined_messages_and_errors() {
    let mut client = dns_tcp(&dns_query(1, "a.example.test", 1));
    client.extend(dns_tcp(&dns_query(2, "b.example.test", 28)));
    client.extend(dns_tcp(&[0xde, 0xad])); // too short: reported, framing kept
    client.extend(dns_tcp(&dns_query(3, "c.example.test", 16)));
    let server = dns_tcp(&dns_response(
        1,
        "a.example.test",
        1,
        &[(
            "a.example.test",
            9,
            DnsData::A(Ipv4Addr::new(198, 51, 100, 1)),
        )],
    ));
    let mk = || -> Box<dyn StreamDecoder> { Box::new(DnsTcpDecoder::new()) };
    let (sink, last) = run_both(mk, &[(ToServer, client), (ToClient, server)]);
    assert_eq!(last, Interest::More);
    let ids: Vec<(u16, bool)> = sink
        .records
        .iter()
        .map(|r| match r {
            NetRecord::Dns(d) => (d.id, d.is_response),
            _ => panic!("not dns"),
        })
        .collect();
    assert_eq!(ids, [(1, false), (2, false), (3, false), (1, true)]);
    assert_eq!(sink.codes(), ["dns_truncated"]);
}
