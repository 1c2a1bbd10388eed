//! Zeek fixtures (hand-written, documentation addresses) → exact records.

use antibody_net::model::*;
use antibody_net::zeek::{ZeekError, ZeekReader};
use std::net::IpAddr;

#[derive(Default)]
struct Sink {
    records: Vec<NetRecord>,
    anomalies: Vec<Anomaly>,
}

impl RecordSink for Sink {
    fn record(&mut self, record: NetRecord) {
        self.records.push(record);
    }
    fn anomaly(&mut self, anomaly: Anomaly) {
        self.anomalies.push(anomaly);
    }
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/zeek/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn read_all(files: &[&str]) -> Sink {
    let mut reader = ZeekReader::new();
    let mut sink = Sink::default();
    for f in files {
        reader.read(&fixture(f), f, &mut sink).unwrap();
    }
    reader.finish(&mut sink);
    sink
}

fn tls(records: &[NetRecord]) -> Vec<&TlsRecord> {
    records
        .iter()
        .filter_map(|r| match r {
            NetRecord::Tls(t) => Some(&**t),
            _ => None,
        })
        .collect()
}

#[test]
fn conn_tsv_with_repeated_header_unset_and_icmpv6() {
    let mut reader = ZeekReader::new();
    let mut sink = Sink::default();
    let stats = reader
        .read(&fixture("conn.log"), "conn.log", &mut sink)
        .unwrap();
    assert_eq!((stats.lines, stats.records, stats.bad_lines), (3, 3, 0));
    assert!(sink.anomalies.is_empty(), "{:?}", sink.anomalies);
    let conns: Vec<&ConnRecord> = sink
        .records
        .iter()
        .map(|r| match r {
            NetRecord::Conn(c) => c,
            other => panic!("{other:?}"),
        })
        .collect();
    let c = conns[0];
    assert_eq!(
        c.meta.flow,
        FlowKey {
            proto: proto::TCP,
            client_ip: ip("192.0.2.10"),
            client_port: 49152,
            server_ip: ip("198.51.100.20"),
            server_port: 80,
        }
    );
    assert_eq!(c.meta.ts, 1_709_287_200_123_456);
    assert_eq!(c.last_ts, 1_709_287_201_623_456);
    assert_eq!(
        c.meta.evidence,
        Evidence {
            frames: vec![],
            uid: Some("CAbc1".into())
        }
    );
    assert_eq!(c.service.as_deref(), Some("http"));
    assert_eq!((c.client_bytes, c.server_bytes), (120, 4500));
    assert_eq!((c.client_packets, c.server_packets), (6, 5));
    assert!(c.established);
    // Unset duration and byte counts.
    let c = conns[1];
    assert_eq!(c.meta.flow.proto, proto::UDP);
    assert_eq!(c.last_ts, c.meta.ts);
    assert_eq!((c.client_bytes, c.server_bytes), (0, 0));
    assert!(!c.established);
    // After the rotated header: ICMP over IPv6.
    let c = conns[2];
    assert_eq!(c.meta.flow.proto, proto::ICMPV6);
    assert_eq!(c.service, None);
    assert_eq!(c.meta.ts, 1_709_290_800_500_000);
}

#[test]
fn http_tsv_escapes_empty_cookies_and_header_names() {
    let sink = read_all(&["http.log"]);
    let h: Vec<&HttpRecord> = sink
        .records
        .iter()
        .filter_map(|r| match r {
            NetRecord::Http(h) => Some(&**h),
            _ => None,
        })
        .collect();
    assert_eq!(h.len(), 2);
    assert_eq!(h[0].method, "POST");
    assert_eq!(h[0].host.as_deref(), Some("upload.example.com"));
    assert_eq!(h[0].uri, "/in\tdex.php?a=1");
    assert_eq!(h[0].version, "1.1");
    assert_eq!(
        h[0].user_agent.as_deref(),
        Some("Mozilla/5.0 (Windows NT 10.0)")
    );
    assert_eq!(h[0].status, Some(200));
    assert_eq!((h[0].request_body_len, h[0].response_body_len), (42, 1024));
    assert_eq!(
        h[0].cookies,
        vec![
            ("sid".into(), "abc".into()),
            ("theme".into(), "dark".into())
        ]
    );
    assert_eq!(
        h[0].request_header("user-agent"),
        Some("Mozilla/5.0 (Windows NT 10.0)")
    );
    assert_eq!(h[0].request_header("content-length"), Some(""));
    assert_eq!(h[0].request_headers.len(), 4);
    // `(empty)` user agent and unset host.
    assert_eq!(h[1].user_agent, None);
    assert_eq!(h[1].host, None);
    assert_eq!(h[1].status, Some(404));
    assert!(h[1].cookies.is_empty());
}

#[test]
fn ssl_joins_x509_by_fingerprint_in_either_order() {
    for order in [["ssl.log", "x509.log"], ["x509.log", "ssl.log"]] {
        let sink = read_all(&order);
        let t = tls(&sink.records);
        assert_eq!(t.len(), 3, "{order:?}");
        let a = t
            .iter()
            .find(|t| t.meta.evidence.uid.as_deref() == Some("CTls1"))
            .unwrap();
        assert_eq!(a.version.as_deref(), Some("TLSv1.2"));
        assert_eq!(a.sni.as_deref(), Some("evil.example.net"));
        assert_eq!(a.alpn, vec!["h2".to_string()]);
        assert_eq!(
            a.ja3_hash.as_deref(),
            Some("e7d705a3286e19ea42f587b344ee6865")
        );
        assert_eq!(
            a.ja3s_hash.as_deref(),
            Some("f4febc55ea12b31ae17cfb7e614afda8")
        );
        assert_eq!(
            a.ja4.as_deref(),
            Some("t13d1516h2_8daaf6152771_b186095e22b6")
        );
        assert!(a.server_hello_seen);
        assert_eq!(a.server_certs.len(), 2);
        let leaf = &a.server_certs[0];
        assert_eq!(leaf.subject, "C=Tunis, O=IT, CN=evil.example.net");
        assert_eq!(leaf.issuer, leaf.subject);
        assert!(leaf.self_signed);
        assert_eq!(leaf.sha256, "a".repeat(64));
        assert_eq!(leaf.serial, "0a1b2c");
        assert_eq!(leaf.not_before, Some(1_704_067_200_000_000));
        assert_eq!(leaf.not_after, Some(1_735_689_600_000_000));
        assert_eq!(
            leaf.san_dns,
            vec!["evil.example.net", "www.evil.example.net"]
        );
        // Upper-case fingerprint in ssl.log still joins; escaped comma kept.
        let ca = &a.server_certs[1];
        assert_eq!(ca.subject, "O=Example, CN=Example CA\\, Inc.");
        assert!(!ca.self_signed);
        // TLS 1.3: no certificates, no error.
        let b = t
            .iter()
            .find(|t| t.meta.evidence.uid.as_deref() == Some("CTls2"))
            .unwrap();
        assert!(b.server_certs.is_empty());
        assert_eq!(b.sni, None);
        // Mutual TLS: unknown server fingerprint kept as a hash, client cert joined.
        let c = t
            .iter()
            .find(|t| t.meta.evidence.uid.as_deref() == Some("CTls3"))
            .unwrap();
        assert_eq!(c.server_certs.len(), 1);
        assert_eq!(c.server_certs[0].sha256, "c".repeat(64));
        assert!(c.server_certs[0].error.is_some());
        assert_eq!(c.client_certs.len(), 1);
        assert_eq!(
            c.client_certs[0].subject,
            "C=Tunis, O=IT, CN=evil.example.net"
        );
    }
}

#[test]
fn ssl_joins_x509_by_fuid_json_nested_and_iso_ts() {
    let mut reader = ZeekReader::new();
    let mut sink = Sink::default();
    reader
        .read(&fixture("ssl_old.json"), "ssl.log", &mut sink)
        .unwrap();
    reader
        .read(&fixture("x509_old.json"), "x509.log", &mut sink)
        .unwrap();
    let fin = reader.finish(&mut sink);
    assert_eq!(fin.records, 2);
    assert_eq!(fin.certs_missing, 1);
    let t = tls(&sink.records);
    let a = t[0];
    assert_eq!(a.meta.ts, 1_609_459_200_250_000);
    assert_eq!(a.server_certs.len(), 2);
    assert_eq!(
        a.server_certs[0].subject,
        "C=Tunis, O=IT, CN=old.example.com"
    );
    assert!(a.server_certs[0].self_signed);
    assert_eq!(a.server_certs[0].serial, "deadbeef");
    assert_eq!(a.server_certs[0].sha256, "");
    assert_eq!(
        a.server_certs[1].sha1,
        "0123456789abcdef0123456789abcdef01234567"
    );
    // Nested `id` object, ISO 8601 ts, unknown fuid → ssl.log subject fallback.
    let b = t[1];
    assert_eq!(b.meta.ts, 1_609_459_201_500_000);
    assert_eq!(b.meta.flow.client_ip, ip("192.0.2.21"));
    assert_eq!(b.meta.flow.server_port, 443);
    assert_eq!(b.version.as_deref(), Some("TLSv1.0"));
    assert_eq!(b.server_certs.len(), 1);
    assert_eq!(b.server_certs[0].subject, "CN=fallback.example.com");
    assert!(b.server_certs[0].self_signed);
    assert!(b.server_certs[0].error.is_some());
}

#[test]
fn dns_answers_ttls_and_unanswered_queries() {
    let sink = read_all(&["dns.log"]);
    let d: Vec<&DnsRecord> = sink
        .records
        .iter()
        .filter_map(|r| match r {
            NetRecord::Dns(d) => Some(d),
            _ => None,
        })
        .collect();
    assert_eq!(d.len(), 3);
    assert_eq!(d[0].query, "www.example.com");
    assert_eq!((d[0].id, d[0].qtype, d[0].rcode), (4660, 1, 0));
    assert!(d[0].is_response);
    assert_eq!(
        d[0].answers
            .iter()
            .map(|a| (a.rtype, a.ttl, a.data.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (5, 300, "cdn.example.net"),
            (1, 60, "192.0.2.80"),
            (1, 60, "192.0.2.81")
        ]
    );
    assert!(!d[1].is_response);
    assert_eq!(d[1].qtype, 16);
    assert!(d[1].answers.is_empty());
    assert_eq!(d[2].meta.flow.proto, proto::TCP);
    assert_eq!(d[2].answers[0].rtype, 16);
    assert_eq!(d[2].answers[0].data, "v=spf1 -all");
    assert_eq!(d[2].answers[0].ttl, 3600);
}

#[test]
fn smtp_json_with_path_dispatch_and_unsupported_lines() {
    let mut reader = ZeekReader::new();
    let mut sink = Sink::default();
    let stats = reader
        .read(&fixture("smtp.json"), "mixed.json", &mut sink)
        .unwrap();
    assert_eq!(
        (stats.lines, stats.records, stats.unsupported_lines),
        (3, 2, 1)
    );
    assert!(
        sink.anomalies
            .iter()
            .any(|a| a.code == "zeek_unsupported_log")
    );
    let NetRecord::Smtp(s) = &sink.records[0] else {
        panic!()
    };
    assert_eq!(s.meta.ts, 1_709_287_200_000_250);
    assert_eq!(s.helo.as_deref(), Some("mail.example.org"));
    assert_eq!(s.mail_from, vec!["<alice@example.org>"]);
    assert_eq!(s.rcpt_to, vec!["<bob@example.com>", "<carol@example.com>"]);
    assert!(s.starttls);
    assert_eq!(s.banner, None);
    let NetRecord::Conn(c) = &sink.records[1] else {
        panic!()
    };
    assert_eq!(c.last_ts, 1_709_287_202_750_000);
    assert!(c.established);
}

#[test]
fn unrecognisable_inputs_are_errors_naming_why() {
    let mut r = ZeekReader::new();
    let mut sink = Sink::default();
    assert!(matches!(
        r.read(b"", "conn.log", &mut sink),
        Err(ZeekError::NotZeek { .. })
    ));
    assert!(matches!(
        r.read(b"hello world\n", "conn.log", &mut sink),
        Err(ZeekError::NotZeek { .. })
    ));
    // Missing #fields.
    let e = r
        .read(
            b"#separator \\x09\n#path\tconn\n1.0\tC\t192.0.2.1\n",
            "conn.log",
            &mut sink,
        )
        .unwrap_err();
    assert_eq!(
        e,
        ZeekError::MissingFields {
            name: "conn.log".into(),
            line: 3
        }
    );
    // Unknown #path and a file name that says nothing.
    let e = r
        .read(
            b"#separator \\x09\n#path\tweird\n#fields\tts\tname\n1.0\tx\n",
            "w.log",
            &mut sink,
        )
        .unwrap_err();
    assert!(
        matches!(e, ZeekError::UnsupportedLog { ref path, .. } if path == "weird"),
        "{e}"
    );
    assert!(e.to_string().contains("weird"));
    let e = r.read(b"#separator ab\n", "x.log", &mut sink).unwrap_err();
    assert!(matches!(e, ZeekError::BadSeparator { line: 1, .. }));
    assert!(sink.records.is_empty());
}
