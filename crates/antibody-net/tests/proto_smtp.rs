//! SMTP decoder: conversation fields, STARTTLS hand-over to TLS, TLS
//! without SMTP on port 25, hostile lines.

mod common;

use antibody_net::model::{Direction::*, NetRecord, SmtpRecord, TlsRecord};
use antibody_net::proto::smtp::SmtpDecoder;
use antibody_net::proto::{AppProto, Interest, StreamDecoder, new_decoder, sniff};
use antibody_net::testkit::msg::{self, ClientHelloSpec, ServerHelloSpec};
use common::{run, run_both};
use rcgen::{CertificateParams, DnType, KeyPair};

fn mk() -> Box<dyn StreamDecoder> {
    Box::new(SmtpDecoder::new())
}

fn split(records: &[NetRecord]) -> (Vec<&SmtpRecord>, Vec<&TlsRecord>) {
    let smtp = records
        .iter()
        .filter_map(|r| {
            if let NetRecord::Smtp(s) = r {
                Some(s)
            } else {
                None
            }
        })
        .collect();
    let tls = records
        .iter()
        .filter_map(|r| {
            if let NetRecord::Tls(t) = r {
                Some(t.as_ref())
            } else {
                None
            }
        })
        .collect();
    (smtp, tls)
}

fn cert(o: &str) -> Vec<u8> {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name.push(DnType::OrganizationName, o);
    p.self_signed(&KeyPair::generate().unwrap())
        .unwrap()
        .der()
        .to_vec()
}

#[test]
fn banner_ehlo_starttls_hands_over_to_tls() {
    let hello = ClientHelloSpec {
        sni: Some("mx.example.test".into()),
        ..Default::default()
    };
    let mut server_flight = msg::server_hello(&ServerHelloSpec::default());
    server_flight.extend(msg::certificate(&[&cert("Mail")]));
    server_flight.extend(msg::server_hello_done());
    let script = [
        (ToClient, b"220 mx.example.test ESMTP ready\r\n".to_vec()),
        (ToServer, b"EHLO client.example.test\r\n".to_vec()),
        (
            ToClient,
            b"250-mx.example.test\r\n250-SIZE 1000\r\n250 STARTTLS\r\n".to_vec(),
        ),
        (ToServer, b"STARTTLS\r\n".to_vec()),
        (ToClient, b"220 2.0.0 go ahead\r\n".to_vec()),
        (ToServer, msg::client_hello(&hello)),
        (ToClient, server_flight),
    ];
    let (sink, _) = run_both(mk, &script);
    let (smtp, tls) = split(&sink.records);
    assert_eq!(smtp.len(), 1);
    assert_eq!(
        smtp[0].banner.as_deref(),
        Some("mx.example.test ESMTP ready")
    );
    assert_eq!(smtp[0].helo.as_deref(), Some("client.example.test"));
    assert!(smtp[0].starttls && !smtp[0].tls_without_smtp);
    assert_eq!(tls.len(), 1);
    assert_eq!(tls[0].sni.as_deref(), Some("mx.example.test"));
    assert_eq!(tls[0].server_certs[0].subject, "O=Mail");
}

#[test]
fn mail_from_rcpt_to_and_data_stops() {
    let script = [
        (ToClient, b"220 mx ESMTP\r\n".to_vec()),
        (ToServer, b"HELO pc\r\nMAIL FROM:<a@example.test> SIZE=10\r\nRCPT TO:<b@example.test>\r\nRCPT TO: c@example.test\r\nDATA\r\n".to_vec()),
        (ToClient, b"250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n".to_vec()),
        (ToServer, b"Subject: x\r\n\r\nbody\r\n.\r\n".to_vec()),
    ];
    let (sink, last) = run_both(mk, &script);
    assert_eq!(last, Interest::Done);
    let (smtp, _) = split(&sink.records);
    assert_eq!(smtp[0].helo.as_deref(), Some("pc"));
    assert_eq!(smtp[0].mail_from, ["a@example.test"]);
    assert_eq!(smtp[0].rcpt_to, ["b@example.test", "c@example.test"]);
    assert!(!smtp[0].starttls);
}

#[test]
fn tls_first_on_port_25_with_client_certificate() {
    let hello = msg::client_hello(&ClientHelloSpec::default());
    assert_eq!(sniff(&hello, ToServer, 25), Some(AppProto::Smtp));
    let mut server_flight = msg::server_hello(&ServerHelloSpec::default());
    server_flight.extend(msg::certificate(&[&cert("Relay")]));
    server_flight.extend(msg::certificate_request());
    server_flight.extend(msg::server_hello_done());
    let mut client_flight = msg::certificate(&[&cert("Implant")]);
    client_flight.extend(msg::change_cipher_spec());
    let mut server_end = msg::change_cipher_spec();
    server_end.extend(msg::application_data(32));
    let script = [
        (ToServer, hello),
        (ToClient, server_flight),
        (ToServer, client_flight),
        (ToClient, server_end),
    ];
    let (sink, last) = run_both(
        || new_decoder(AppProto::Smtp) as Box<dyn StreamDecoder>,
        &script,
    );
    assert_eq!(last, Interest::Done);
    let (smtp, tls) = split(&sink.records);
    assert!(smtp[0].tls_without_smtp && smtp[0].banner.is_none());
    assert!(tls[0].client_cert_requested);
    assert_eq!(tls[0].client_certs[0].subject, "O=Implant");
}

#[test]
fn one_megabyte_line_is_an_anomaly() {
    let mut line = b"EHLO ".to_vec();
    line.extend(vec![b'a'; 1 << 20]);
    let script = [(ToClient, b"220 mx\r\n".to_vec()), (ToServer, line)];
    let (sink, last) = run(mk().as_mut(), &script, usize::MAX);
    assert_eq!(last, Interest::Done);
    assert_eq!(sink.codes(), ["smtp_line_too_long"]);
    assert_eq!(split(&sink.records).0.len(), 1);
}

#[test]
fn refused_starttls_keeps_reading_smtp() {
    let script = [
        (ToClient, b"220 mx\r\n".to_vec()),
        (
            ToServer,
            b"STARTTLS\r\nMAIL FROM:<x@example.test>\r\n".to_vec(),
        ),
        (ToClient, b"454 not now\r\n".to_vec()),
    ];
    let (sink, _) = run_both(mk, &script);
    let (smtp, tls) = split(&sink.records);
    assert!(!smtp[0].starttls && tls.is_empty());
    assert_eq!(smtp[0].mail_from, ["x@example.test"]);
}

#[test]
fn command_prefix_inside_a_multibyte_character_does_not_panic() {
    // Found by the net_tls fuzz target: "RCPT T" followed by a replacement
    // character put byte 8 inside it.
    let script = [
        (ToClient, b"220 mx\r\n".to_vec()),
        (
            ToServer,
            b"RCPT T\xff\r\nMAIL FRO\xc3\xa9\r\nRCPT TO:<\xc3\xa9@example.test>\r\n".to_vec(),
        ),
    ];
    let (sink, _) = run_both(mk, &script);
    let (smtp, _) = split(&sink.records);
    assert_eq!(smtp[0].rcpt_to, ["\u{e9}@example.test"]);
    assert!(smtp[0].mail_from.is_empty());
}
