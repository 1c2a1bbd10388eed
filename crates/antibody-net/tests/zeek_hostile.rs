//! Hostile Zeek input: each bad line is counted and reported, the rest read.

use antibody_net::model::*;
use antibody_net::zeek::{ZeekLimits, ZeekReader, ZeekStats};

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

const HEADER: &str = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\torig_bytes\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\n";
const GOOD: &str = "1700000000.0\tCgood\t192.0.2.1\t1000\t198.51.100.1\t443\ttcp\t10\n";

fn read(data: &[u8]) -> (ZeekStats, Sink) {
    let mut r = ZeekReader::new();
    let mut sink = Sink::default();
    let stats = r.read(data, "conn.log", &mut sink).unwrap();
    r.finish(&mut sink);
    (stats, sink)
}

fn codes(s: &Sink) -> Vec<&'static str> {
    s.anomalies.iter().map(|a| a.code).collect()
}

#[test]
fn truncated_last_line_is_a_bad_line_after_good_ones() {
    let data = format!("{HEADER}{GOOD}1700000001.0\tCcut\t192.0.2.1\t10");
    let (stats, sink) = read(data.as_bytes());
    assert_eq!((stats.records, stats.bad_lines), (1, 1));
    assert_eq!(codes(&sink), vec!["zeek_bad_line"]);
    assert!(
        sink.anomalies[0].detail.contains("conn.log:9:"),
        "{}",
        sink.anomalies[0].detail
    );
    assert!(
        sink.anomalies[0]
            .detail
            .contains("expected 8 fields, found 4")
    );
}

#[test]
fn unparsable_values_are_bad_lines_with_reasons() {
    let data = format!(
        "{HEADER}1700000000.0\tC1\t192.0.2.999\t1\t198.51.100.1\t2\ttcp\t1\n\
         1700000000.0\tC2\t192.0.2.1\t70000\t198.51.100.1\t2\ttcp\t1\n\
         soon\tC3\t192.0.2.1\t1\t198.51.100.1\t2\ttcp\t1\n\
         1700000000.0\tC4\t192.0.2.1\t1\t198.51.100.1\t2\ttcp\tmany\n{GOOD}"
    );
    let (stats, sink) = read(data.as_bytes());
    assert_eq!((stats.records, stats.bad_lines), (1, 4));
    let details: Vec<&str> = sink.anomalies.iter().map(|a| a.detail.as_str()).collect();
    assert!(details[0].contains("id.orig_h"), "{details:?}");
    assert!(details[1].contains("id.orig_p"));
    assert!(details[2].contains("ts"));
    assert!(details[3].contains("orig_bytes"));
}

#[test]
fn invalid_utf8_is_decoded_lossily_and_the_line_kept() {
    let mut data = HEADER.as_bytes().to_vec();
    data.extend_from_slice(b"1700000000.0\tC\xff\xfe\t192.0.2.1\t1\t198.51.100.1\t2\ttcp\t1\n");
    let (stats, sink) = read(&data);
    assert_eq!((stats.records, stats.invalid_utf8_lines), (1, 1));
    assert_eq!(codes(&sink), vec!["zeek_invalid_utf8"]);
    let NetRecord::Conn(c) = &sink.records[0] else {
        panic!()
    };
    assert_eq!(c.meta.evidence.uid.as_deref(), Some("C\u{fffd}\u{fffd}"));
}

#[test]
fn two_mib_line_is_skipped_and_reading_goes_on() {
    let long = format!(
        "1700000000.0\tC{}\t192.0.2.1\t1\t198.51.100.1\t2\ttcp\t1\n",
        "x".repeat(2 << 20)
    );
    let data = format!("{HEADER}{long}{GOOD}");
    let (stats, sink) = read(data.as_bytes());
    assert_eq!((stats.records, stats.long_lines), (1, 1));
    assert_eq!(codes(&sink), vec!["zeek_long_line"]);
}

#[test]
fn json_nested_100k_deep_is_a_bad_line_not_a_stack_overflow() {
    let mut line = String::from("{\"ts\":1.0,\"uid\":\"C\",\"id.orig_h\":\"192.0.2.1\",\"x\":");
    line.push_str(&"[".repeat(100_000));
    line.push_str(&"]".repeat(100_000));
    line.push_str("}\n");
    line.push_str("{\"ts\":\"2023-11-14T22:13:20Z\",\"uid\":\"C2\",\"id.orig_h\":\"192.0.2.1\",\"id.orig_p\":1,\"id.resp_h\":\"198.51.100.1\",\"id.resp_p\":2}\n");
    let (stats, sink) = read(line.as_bytes());
    assert_eq!((stats.records, stats.bad_lines), (1, 1));
    let NetRecord::Conn(c) = &sink.records[0] else {
        panic!()
    };
    assert_eq!(c.meta.ts, 1_700_000_000_000_000);
}

#[test]
fn json_garbage_lines_and_non_objects() {
    let data = b"{\"ts\":1.0,\"uid\":\"C\"\n[1,2]\n{\"ts\":true,\"uid\":\"C\",\"id.orig_h\":\"192.0.2.1\",\"id.orig_p\":1,\"id.resp_h\":\"198.51.100.1\",\"id.resp_p\":2}\n";
    let (stats, _) = read(data);
    assert_eq!((stats.records, stats.bad_lines), (0, 3));
}

#[test]
fn anomalies_are_capped_per_read_and_counted() {
    let mut data = HEADER.to_string();
    for _ in 0..50 {
        data.push_str("bad\n");
    }
    let mut r = ZeekReader::with_limits(ZeekLimits {
        max_anomalies: 10,
        ..ZeekLimits::default()
    });
    let mut sink = Sink::default();
    let stats = r.read(data.as_bytes(), "conn.log", &mut sink).unwrap();
    assert_eq!(stats.bad_lines, 50);
    assert_eq!(stats.anomalies_suppressed, 40);
    assert_eq!(sink.anomalies.len(), 11);
    assert_eq!(sink.anomalies[10].code, "zeek_anomalies_capped");
}

#[test]
fn held_tls_cap_emits_early_and_counts() {
    let x509 = format!(
        "{{\"ts\":1.0,\"fingerprint\":\"{}\",\"certificate.subject\":\"CN=a\",\"certificate.issuer\":\"CN=b\"}}\n",
        "d".repeat(64)
    );
    let mut ssl = String::new();
    for i in 0..5 {
        ssl.push_str(&format!(
            "{{\"ts\":{i}.0,\"uid\":\"C{i}\",\"id.orig_h\":\"192.0.2.1\",\"id.orig_p\":1,\"id.resp_h\":\"198.51.100.1\",\"id.resp_p\":443,\"cert_chain_fps\":[\"{}\"]}}\n",
            "d".repeat(64)
        ));
    }
    let mut r = ZeekReader::with_limits(ZeekLimits {
        max_held_tls: 2,
        ..ZeekLimits::default()
    });
    let mut sink = Sink::default();
    r.read(x509.as_bytes(), "x509.log", &mut sink).unwrap();
    let stats = r.read(ssl.as_bytes(), "ssl.log", &mut sink).unwrap();
    assert_eq!(
        (stats.tls_held, stats.tls_unjoined, stats.records),
        (2, 3, 3)
    );
    assert_eq!(codes(&sink), vec!["zeek_tls_unjoined"]);
    assert_eq!(r.finish(&mut sink).records, 2);
    assert_eq!(sink.records.len(), 5);
    // Early ones still got the certificate already read.
    for rec in &sink.records {
        let NetRecord::Tls(t) = rec else { panic!() };
        assert_eq!(t.server_certs[0].subject, "CN=a");
    }
}

#[test]
fn cert_cache_cap_drops_and_counts() {
    let mut x509 = String::new();
    for i in 0..4 {
        x509.push_str(&format!(
            "{{\"ts\":1.0,\"id\":\"F{i}\",\"certificate.subject\":\"CN=a\"}}\n"
        ));
    }
    let mut r = ZeekReader::with_limits(ZeekLimits {
        max_certs: 2,
        ..ZeekLimits::default()
    });
    let mut sink = Sink::default();
    let stats = r.read(x509.as_bytes(), "x509.log", &mut sink).unwrap();
    assert_eq!((stats.certs, stats.certs_dropped), (4, 2));
    assert_eq!(codes(&sink), vec!["zeek_cert_cache_full"]);
}

#[test]
fn header_repeated_with_different_fields_mid_file() {
    let data = format!(
        "{HEADER}{GOOD}#close\tx\n#separator \\x09\n#path\tconn\n#fields\tuid\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\n\
         Cswap\t1700000002.0\t192.0.2.2\t7\t198.51.100.2\t8\n"
    );
    let (stats, sink) = read(data.as_bytes());
    assert_eq!((stats.records, stats.bad_lines), (2, 0));
    let NetRecord::Conn(c) = &sink.records[1] else {
        panic!()
    };
    assert_eq!(c.meta.evidence.uid.as_deref(), Some("Cswap"));
    assert_eq!(c.meta.flow.client_port, 7);
}

#[test]
fn other_log_paths_in_a_file_named_conn_are_not_read_as_conn() {
    let data = "{\"_path\":\"weird\",\"ts\":1.0,\"uid\":\"C\",\"id.orig_h\":\"192.0.2.1\",\"id.orig_p\":1,\"id.resp_h\":\"198.51.100.1\",\"id.resp_p\":2}\n\
                {\"ts\":1.0,\"uid\":\"C\",\"id.orig_h\":\"192.0.2.1\",\"id.orig_p\":1,\"id.resp_h\":\"198.51.100.1\",\"id.resp_p\":2}\n";
    let (stats, sink) = read(data.as_bytes());
    assert_eq!((stats.records, stats.unsupported_lines), (1, 1));
    assert_eq!(codes(&sink), vec!["zeek_unsupported_log"]);
}
