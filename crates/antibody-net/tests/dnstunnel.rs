//! DNS tunnel heuristics: synthetic tunnels found, benign lookalikes not.

use antibody_net::dnstunnel::{DnsTunnelTracker, TunnelLimits};
use antibody_net::model::Micros;
use std::net::IpAddr;

const T0: Micros = 1_700_000_000_000_000;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// Deterministic pseudo-random bytes (splitmix64).
fn rand_bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            (z ^ (z >> 31)) as u8
        })
        .collect()
}

fn base32(seed: u64, len: usize) -> String {
    const A: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    rand_bytes(seed, len)
        .iter()
        .map(|b| A[(*b % 32) as usize] as char)
        .collect()
}

fn hex(seed: u64, len: usize) -> String {
    rand_bytes(seed, len)
        .iter()
        .map(|b| format!("{:x}", b % 16))
        .collect()
}

#[test]
fn base32_txt_tunnel_is_a_candidate_with_its_parts() {
    let mut t = DnsTunnelTracker::new(TunnelLimits::default());
    let victim = ip("192.0.2.66");
    for i in 0..400u64 {
        let q = format!("{}.{}.t.example.net", base32(i, 52), base32(i + 10_000, 20));
        t.add(&q, 16, T0 + i as i64 * 1_000_000, victim);
        // Some ordinary lookups from the same host.
        t.add("www.example.org", 1, T0, victim);
    }
    let c = t.candidates();
    assert_eq!(c.len(), 1, "{c:?}");
    let c = &c[0];
    assert_eq!(c.parent, "example.net");
    assert_eq!(c.clients, vec![victim]);
    assert_eq!(c.queries, 400);
    assert!(
        (360..=440).contains(&c.unique_subdomains),
        "{}",
        c.unique_subdomains
    );
    assert_eq!(c.max_label_len, 52);
    assert_eq!(c.long_label_share, 1.0);
    assert_eq!(c.txt_share, 1.0);
    assert!(c.mean_entropy > 4.5, "{}", c.mean_entropy);
    assert!(c.score >= 0.95, "{}", c.score);
    assert_eq!(c.examples.len(), 5);
    assert!(c.examples.iter().all(|e| e.ends_with(".t.example.net")));
    assert_eq!((c.first_ts, c.last_ts), (T0, T0 + 399_000_000));
}

#[test]
fn hex_tunnel_over_a_records_is_a_candidate() {
    let mut t = DnsTunnelTracker::new(TunnelLimits::default());
    for i in 0..300u64 {
        let q = format!("{}.{}.exfil.example.com", hex(i, 60), hex(i + 1, 30));
        t.add(&q, 1, T0, ip("192.0.2.7"));
    }
    let c = t.candidates();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].parent, "example.com");
    assert_eq!(c[0].txt_share, 0.0);
    assert!(c[0].score >= 0.75, "{:?}", c[0]);
}

#[test]
fn cdn_and_telemetry_lookalikes_are_not_candidates() {
    let mut t = DnsTunnelTracker::new(TunnelLimits::default());
    let c = ip("192.0.2.20");
    // CloudFront-style distribution names (a public suffix: each its own parent).
    for i in 0..80u64 {
        t.add(&format!("d{}.cloudfront.net", hex(i, 13)), 1, T0, c);
    }
    // Many short hex-looking labels under one telemetry domain.
    for i in 0..600u64 {
        t.add(&format!("{}.telemetry.example.com", hex(i, 16)), 1, T0, c);
        t.add(
            &format!("{}-{}.edge.example.org", hex(i, 8), hex(i + 7, 8)),
            28,
            T0,
            c,
        );
    }
    // Everyday names.
    for name in [
        "www.example.com",
        "mail.example.com",
        "api.example.org",
        "example.net",
    ] {
        for _ in 0..200 {
            t.add(name, 1, T0, c);
        }
    }
    assert!(t.candidates().is_empty(), "{:?}", t.candidates());
}

#[test]
fn dmarc_and_domainkey_txt_lookups_are_not_candidates() {
    let mut t = DnsTunnelTracker::new(TunnelLimits::default());
    let mta = ip("192.0.2.25");
    for i in 0..300u64 {
        let domain = format!("sender{i}.example");
        t.add(&format!("_dmarc.{domain}"), 16, T0, mta);
        t.add(&format!("selector1._domainkey.{domain}"), 16, T0, mta);
        t.add(&domain, 16, T0, mta);
    }
    // One busy sender with several DKIM selectors.
    for i in 0..40u64 {
        t.add(&format!("s{i}._domainkey.example.com"), 16, T0, mta);
        t.add("_dmarc.example.com", 16, T0, mta);
    }
    assert!(t.candidates().is_empty(), "{:?}", t.candidates());
}

#[test]
fn parent_cap_counts_what_it_drops() {
    let mut t = DnsTunnelTracker::new(TunnelLimits {
        max_parents: 2,
        ..TunnelLimits::default()
    });
    let c = ip("192.0.2.1");
    t.add("a.example.com", 1, T0, c);
    t.add("b.example.org", 1, T0, c);
    t.add("c.example.net", 1, T0, c);
    t.add("d.example.com", 1, T0, c);
    assert_eq!(t.dropped(), 1);
}

#[test]
fn hostile_names_do_not_panic() {
    let mut t = DnsTunnelTracker::new(TunnelLimits::default());
    let c = ip("192.0.2.1");
    for q in [
        "",
        ".",
        "..",
        "com",
        "a..b.example.com",
        "\u{fffd}.example.com",
        "ÄÖ.example.com",
        &"x.".repeat(200),
    ] {
        t.add(q, 16, T0, c);
    }
    let _ = t.candidates();
}
