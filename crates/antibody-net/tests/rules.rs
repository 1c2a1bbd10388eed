//! Network rules and indicator detection over hand-built records: the
//! built-in pack's rules fire on the traits they describe and stay quiet on
//! ordinary traffic; broken rule files are reported with file and line.

use antibody_core::pack::{IndicatorIndex, Origin, Pack, builtin, load_files};
use antibody_core::{Location, Severity};
use antibody_net::detect::{Detector, Findings};
use antibody_net::model::*;
use antibody_net::rules::compile_pack;
use std::net::IpAddr;
use std::sync::Arc;

fn apt29() -> Pack {
    builtin("apt29-2020")
        .expect("built in")
        .expect("loads")
        .pack
}

fn detector() -> Detector {
    let pack = apt29();
    let (rules, errors) = compile_pack(&pack);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(rules.len() >= 8, "{} rules", rules.len());
    Detector::new(Arc::new(IndicatorIndex::new([&pack])), rules)
}

fn flow(client: &str, server: &str, port: u16) -> FlowKey {
    FlowKey {
        proto: proto::TCP,
        client_ip: client.parse().unwrap(),
        client_port: 49_152,
        server_ip: server.parse().unwrap(),
        server_port: port,
    }
}

fn meta(flow: FlowKey, frame: u64) -> Meta {
    let mut evidence = Evidence::default();
    evidence.add_frame(frame);
    Meta {
        flow,
        ts: 1_588_550_400_000_000 + frame as i64 * 1_000_000,
        evidence,
    }
}

fn http(cookies: &[(&str, &str)], body: &[u8], content_type: Option<&str>) -> NetRecord {
    let mut headers = vec![("Host".to_string(), "www.example.com".to_string())];
    if let Some(ct) = content_type {
        headers.push(("Content-Type".into(), ct.into()));
    }
    NetRecord::Http(Box::new(HttpRecord {
        meta: meta(flow("192.0.2.10", "198.51.100.20", 80), 4),
        method: "POST".into(),
        uri: "/".into(),
        version: "1.1".into(),
        host: Some("www.example.com".into()),
        user_agent: None,
        request_headers: headers,
        cookies: cookies
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        request_body: body.to_vec(),
        request_body_len: body.len() as u64,
        status: Some(200),
        response_headers: Vec::new(),
        response_body: Vec::new(),
        response_body_len: 0,
    }))
}

fn run(records: &[NetRecord]) -> Vec<antibody_core::Finding> {
    let det = detector();
    let mut out = Findings::new(Location::file("capture.pcap"), "pcap");
    for r in records {
        det.check(r, &mut out);
    }
    out.into_findings()
}

fn ids(findings: &[antibody_core::Finding]) -> Vec<String> {
    findings.iter().map(|f| f.rule.id.clone()).collect()
}

#[test]
fn wellmess_cookie_encoding_fires_and_ordinary_cookies_do_not() {
    let c2 = http(
        &[(
            "c22UekXD",
            "J41lrm:+SFVx:2.+x.g:+Fe+C7G+zV8+Eol+Aw:5d+J%3A+GMV82M+++",
        )],
        b"",
        None,
    );
    let found = run(&[c2]);
    assert!(
        ids(&found).contains(&"apt29-2020-wellmess-http-cookie-encoding".to_string()),
        "{found:#?}"
    );
    let f = &found[0];
    assert_eq!(f.rule.engine, "net");
    assert_eq!(f.events[0].frames, vec![4]);
    assert!(f.reason.contains("cookie = c22UekXD="), "{}", f.reason);

    let benign = http(
        &[
            ("_ga", "GA1.2.1234567890.1588550400"),
            ("sessionid", "a8Zk3+Qm9/0bXy=="),
            ("JSESSION", "0123456789ABCDEF0123456789ABCDEF"),
            ("prefs", "lang=en+theme=dark"),
        ],
        b"",
        None,
    );
    assert!(run(&[benign]).is_empty());
}

#[test]
fn wellmess_markers_and_sorefang_boundary_fire() {
    let markers = http(
        &[],
        b"<\x3bhead\x3b>abc<\x3bhead\x3b><\x3btitle\x3b>x<\x3btitle\x3b>",
        None,
    );
    let sorefang = http(
        &[],
        b"--------974767299852498929531610575\r\n",
        Some("multipart/form-data; boundary=------974767299852498929531610575"),
    );
    let found = run(&[markers, sorefang]);
    let got = ids(&found);
    assert!(
        got.contains(&"apt29-2020-wellmess-http-message-markers".to_string()),
        "{got:?}"
    );
    assert!(
        got.contains(&"apt29-2020-sorefang-multipart-boundary".to_string()),
        "{got:?}"
    );
    // The boundary is also a pack string indicator, found in the body.
    assert!(
        got.iter().any(|i| i.starts_with("string:------974767")),
        "{got:?}"
    );
    let critical = found
        .iter()
        .filter(|f| f.severity == Severity::Critical)
        .count();
    assert!(critical >= 2);
}

#[test]
fn repeated_hits_on_one_conversation_are_one_finding_with_a_count() {
    let one = http(&[], b"<\x3bhead\x3b>", None);
    let records: Vec<NetRecord> = (0..50).map(|_| one.clone()).collect();
    let found = run(&records);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].reason.contains("Seen 50 times"),
        "{}",
        found[0].reason
    );
    assert_eq!(
        found[0].events.len(),
        antibody_net::detect::MAX_EVENTS_PER_FINDING
    );
}

fn cert(subject: &str, issuer: &str) -> CertInfo {
    CertInfo {
        subject: subject.into(),
        issuer: issuer.into(),
        serial: "01".into(),
        sha1: "a".repeat(40),
        sha256: "b".repeat(64),
        self_signed: subject == issuer,
        ..CertInfo::default()
    }
}

fn tls(port: u16, server: Vec<CertInfo>, client: Vec<CertInfo>) -> NetRecord {
    NetRecord::Tls(Box::new(TlsRecord {
        meta: meta(flow("192.0.2.10", "203.0.113.5", port), 7),
        version: Some("TLSv1.2".into()),
        sni: None,
        alpn: Vec::new(),
        ja3: None,
        ja3_hash: None,
        ja3s_hash: None,
        ja4: None,
        ja4s: None,
        server_certs: server,
        client_certs: client,
        client_cert_requested: true,
        server_hello_seen: true,
    }))
}

#[test]
fn tunis_certificate_hits_indicator_and_country_rule() {
    let found = run(&[tls(
        443,
        vec![cert("C=Tunis, O=IT", "C=Tunis, O=IT, CN=ca")],
        vec![],
    )]);
    let got = ids(&found);
    assert!(
        got.contains(&"apt29-2020-tls-certificate-country-not-iso".to_string()),
        "{got:?}"
    );
    assert!(
        got.iter().any(|i| i.starts_with("x509_subject:")),
        "{got:?}"
    );
    assert!(got.iter().any(|i| i.starts_with("x509_issuer:")), "{got:?}");
    // A certificate from an ISO country fires nothing.
    let ok = run(&[tls(
        443,
        vec![cert("C=TN, O=Example, CN=www.example.tn", "C=US, O=CA")],
        vec![],
    )]);
    assert!(ok.is_empty(), "{ok:#?}");
}

#[test]
fn client_certificate_on_port_25_fires_but_not_on_443() {
    let c = vec![cert("C=BE, O=GlobalSign, CN=client", "C=BE, O=GlobalSign")];
    let s = vec![cert("C=US, O=Srv, CN=srv", "C=US, O=CA")];
    let found = run(&[tls(25, s.clone(), c.clone())]);
    assert!(
        ids(&found).contains(&"apt29-2020-wellmail-client-certificate-port-25".to_string()),
        "{found:#?}"
    );
    assert!(run(&[tls(443, s, c)]).is_empty());
}

#[test]
fn tls_without_smtp_fires_and_real_smtp_does_not() {
    let smtp = |no_banner: bool| {
        NetRecord::Smtp(SmtpRecord {
            meta: meta(flow("192.0.2.10", "203.0.113.9", 25), 3),
            banner: (!no_banner).then(|| "mail.example.org ESMTP".to_string()),
            helo: None,
            starttls: !no_banner,
            mail_from: Vec::new(),
            rcpt_to: Vec::new(),
            tls_without_smtp: no_banner,
        })
    };
    let found = run(&[smtp(true)]);
    assert_eq!(
        ids(&found),
        vec!["apt29-2020-wellmail-tls-on-port-25".to_string()]
    );
    assert!(found[0].action.contains("port 25"));
    assert!(run(&[smtp(false)]).is_empty());
}

#[test]
fn indicator_address_in_a_connection_is_found_once_per_conversation() {
    let conn = |frame| {
        NetRecord::Conn(ConnRecord {
            meta: meta(flow("192.0.2.10", "103.216.221.19", 443), frame),
            last_ts: 0,
            service: Some("tls".into()),
            client_bytes: 300,
            server_bytes: 4000,
            client_packets: 5,
            server_packets: 6,
            established: true,
            missing_bytes: 0,
            overlaps: 0,
        })
    };
    let found = run(&[conn(1), conn(20), conn(40)]);
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_eq!(f.rule.id, "ipv4:103.216.221.19");
    assert!(f.reason.contains("server_ip"), "{}", f.reason);
    assert!(f.reason.contains("Seen 3 times"), "{}", f.reason);
    let frames: Vec<u64> = f.events.iter().flat_map(|e| e.frames.clone()).collect();
    assert_eq!(frames, vec![1, 20, 40]);
    assert!(f.observables.iter().any(|o| o.value() == "103.216.221.19"));
    let ip: IpAddr = "103.216.221.19".parse().unwrap();
    assert!(f.observables.contains(&antibody_core::Observable::Ip(ip)));
}

fn pack_with(network: &str) -> Pack {
    let manifest = "[pack]\nname='p'\nversion='1'\ndescription='d'\n[[source]]\nid='s'\ntitle='t'\nurl='https://x.org'\n";
    load_files(
        vec![
            ("pack.toml".into(), manifest.as_bytes().to_vec()),
            ("network/r.toml".into(), network.as_bytes().to_vec()),
        ],
        Origin::Builtin,
        Vec::new(),
    )
    .expect("pack loads")
    .pack
}

#[test]
fn broken_rules_are_reported_with_file_line_and_reason() {
    let text = r#"
[[rule]]
id = "ok"
title = "ok"
protocol = "dns"
severity = "low"
confidence = "low"
[rule.where]
query = "*.example.org"

[[rule]]
id = "bad-field"
title = "t"
protocol = "dns"
severity = "low"
confidence = "low"
[rule.where]
sni = "x"

[[rule]]
id = "bad-regex"
title = "t"
protocol = "http"
severity = "low"
confidence = "low"
[rule.where]
uri = { regex = "(" }

[[rule]]
id = "bad-proto"
title = "t"
protocol = "ftp"
severity = "low"
confidence = "low"
[rule.where]
client_ip = "192.0.2.1"

[[rule]]
id = "bad-source"
title = "t"
protocol = "dns"
severity = "low"
confidence = "low"
source = "nope"
[rule.where]
query = "x"

[[rule]]
id = "two-tests"
title = "t"
protocol = "conn"
severity = "low"
confidence = "low"
[rule.where]
server_port = { equals = 25, not = 26 }
"#;
    let (rules, errors) = compile_pack(&pack_with(text));
    assert_eq!(rules.len(), 1);
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 5, "{shown:#?}");
    assert!(
        shown[0].starts_with("network/r.toml:11: rule `bad-field`: `sni` is not a field of dns"),
        "{}",
        shown[0]
    );
    assert!(
        shown[1].contains(":20:") && shown[1].contains("bad regex"),
        "{}",
        shown[1]
    );
    assert!(shown[2].contains("protocol `ftp`"), "{}", shown[2]);
    assert!(shown[3].contains("source `nope`"), "{}", shown[3]);
    assert!(shown[4].contains("one test per condition"), "{}", shown[4]);

    let (_, errors) = compile_pack(&pack_with("[[rule]]\nid = 3\n"));
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].line, Some(2), "{}", errors[0]);
}

#[test]
fn matchers_numbers_negation_cidr_and_counts() {
    let text = r#"
[[rule]]
id = "r"
title = "t"
protocol = "http"
severity = "low"
confidence = "low"
[rule.where]
server_ip = { cidr = ["198.51.100.0/24"] }
server_port = { min = 80, max = 80 }
method = ["GET", "POST"]
host = "*.EXAMPLE.com"
cookie_name = { regex = "^[a-z]$", count = 2 }
user_agent = { not = { contains = "curl" } }
"#;
    let pack = pack_with(text);
    let (rules, errors) = compile_pack(&pack);
    assert!(errors.is_empty(), "{errors:?}");
    let det = Detector::new(Arc::new(IndicatorIndex::new([&pack])), rules);
    let check = |r: &NetRecord| {
        let mut out = Findings::new(Location::file("x"), "pcap");
        det.check(r, &mut out);
        out.len()
    };
    assert_eq!(check(&http(&[("a", "1"), ("b", "2")], b"", None)), 1);
    assert_eq!(
        check(&http(&[("a", "1"), ("bb", "2")], b"", None)),
        0,
        "count = 2"
    );
    let NetRecord::Http(mut h) = http(&[("a", "1"), ("b", "2")], b"", None) else {
        unreachable!()
    };
    h.user_agent = Some("curl/8.0".into());
    assert_eq!(check(&NetRecord::Http(h.clone())), 0, "negation");
    h.user_agent = None;
    h.meta.flow.server_port = 8080;
    assert_eq!(check(&NetRecord::Http(h)), 0, "range");
}

#[test]
fn rule_examples_in_the_documentation_compile() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/engines/net.md"),
    )
    .unwrap();
    let mut blocks = 0;
    for block in doc.split("```toml").skip(1) {
        let text = block.split("```").next().unwrap();
        if !text.contains("[[rule]]") {
            continue;
        }
        // The documentation's sources are the apt29-2020 pack's.
        let text: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("source"))
            .map(|l| format!("{l}\n"))
            .collect();
        let (rules, errors) = compile_pack(&pack_with(&text));
        assert!(errors.is_empty(), "{errors:?}\n{text}");
        assert!(!rules.is_empty());
        blocks += 1;
    }
    assert!(blocks >= 2, "{blocks} rule examples found");
}
