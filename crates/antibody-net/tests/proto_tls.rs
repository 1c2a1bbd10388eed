//! TLS decoder: hellos, fingerprints, certificates, mutual TLS, splits and
//! hostile records.

mod common;

use antibody_net::fingerprint::{self, ClientHelloInfo};
use antibody_net::model::{Direction::*, NetRecord, TlsRecord};
use antibody_net::proto::tls::TlsDecoder;
use antibody_net::proto::{Interest, StreamDecoder};
use antibody_net::testkit::msg::{self, ClientHelloSpec, ServerHelloSpec};
use common::{run, run_both};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use sha2::{Digest, Sha256};

fn tls(records: &[NetRecord]) -> Vec<&TlsRecord> {
    records
        .iter()
        .filter_map(|r| match r {
            NetRecord::Tls(t) => Some(t.as_ref()),
            _ => None,
        })
        .collect()
}

fn chrome_like() -> ClientHelloSpec {
    ClientHelloSpec {
        sni: Some("WWW.Example.TEST".into()),
        alpn: vec!["h2".into(), "http/1.1".into()],
        grease: true,
        ..Default::default()
    }
}

fn mk() -> Box<dyn StreamDecoder> {
    Box::new(TlsDecoder::new())
}

fn self_signed(c: &str, o: &str) -> Vec<u8> {
    let mut p = CertificateParams::new(vec!["c2.example.test".into()]).unwrap();
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name.push(DnType::CountryName, c);
    p.distinguished_name.push(DnType::OrganizationName, o);
    p.self_signed(&KeyPair::generate().unwrap())
        .unwrap()
        .der()
        .to_vec()
}

#[test]
fn client_hello_sni_alpn_grease_and_fingerprints() {
    let spec = chrome_like();
    let (sink, _) = run_both(mk, &[(ToServer, msg::client_hello(&spec))]);
    let t = tls(&sink.records);
    assert_eq!(t.len(), 1);
    let t = t[0];
    assert_eq!(t.sni.as_deref(), Some("www.example.test"));
    assert_eq!(t.alpn, ["h2", "http/1.1"]);
    assert_eq!(t.version.as_deref(), Some("TLSv1.3"));
    assert!(!t.server_hello_seen);
    // Extensions in the order the builder writes them, GREASE removed:
    // server_name, supported_groups, ec_point_formats, signature_algorithms,
    // ALPN, supported_versions.
    let ja3 = "771,4865-4866-4867-49195-49199-47,0-10-11-13-16-43,29-23-24,0";
    assert_eq!(t.ja3.as_deref(), Some(ja3));
    assert_eq!(
        t.ja3_hash.as_deref(),
        Some(hex::encode(md5::Md5::digest(ja3)).as_str())
    );
    // JA4 by hand: 6 ciphers, 6 extensions, h2; sorted ciphers; sorted
    // extensions without 0000/0010, then the signature algorithms.
    let b = &hex::encode(Sha256::digest("002f,1301,1302,1303,c02b,c02f"))[..12];
    let c = &hex::encode(Sha256::digest("000a,000b,000d,002b_0403,0804,0401"))[..12];
    assert_eq!(
        t.ja4.as_deref(),
        Some(format!("t13d0606h2_{b}_{c}").as_str())
    );
}

#[test]
fn grease_only_difference_gives_same_fingerprints() {
    let with = run(
        mk().as_mut(),
        &[(ToServer, msg::client_hello(&chrome_like()))],
        usize::MAX,
    )
    .0;
    let without_spec = ClientHelloSpec {
        grease: false,
        ..chrome_like()
    };
    let without = run(
        mk().as_mut(),
        &[(ToServer, msg::client_hello(&without_spec))],
        usize::MAX,
    )
    .0;
    let (a, b) = (tls(&with.records)[0], tls(&without.records)[0]);
    assert_eq!(a.ja3_hash, b.ja3_hash);
    assert_eq!(a.ja4, b.ja4);
}

fn server_flight(chain: &[&[u8]], extra: &[Vec<u8>]) -> Vec<u8> {
    let mut v = msg::server_hello(&ServerHelloSpec::default());
    v.extend(msg::certificate(chain));
    for e in extra {
        v.extend_from_slice(e);
    }
    v.extend(msg::server_hello_done());
    v
}

fn tail(v: &mut Vec<(antibody_net::model::Direction, Vec<u8>)>) {
    let mut client = msg::change_cipher_spec();
    client.extend(msg::application_data(40));
    v.push((ToServer, client));
    let mut server = msg::change_cipher_spec();
    server.extend(msg::application_data(40));
    v.push((ToClient, server));
}

#[test]
fn server_certificate_self_signed_and_done_after_encryption() {
    let der = self_signed("Tunis", "IT");
    let mut script = vec![
        (ToServer, msg::client_hello(&chrome_like())),
        (ToClient, server_flight(&[&der], &[])),
    ];
    tail(&mut script);
    let (sink, last) = run_both(mk, &script);
    assert_eq!(last, Interest::Done, "both directions encrypted: done");
    let t = tls(&sink.records)[0];
    assert!(t.server_hello_seen);
    assert_eq!(t.version.as_deref(), Some("TLSv1.2"));
    assert_eq!(t.server_certs.len(), 1);
    let c = &t.server_certs[0];
    assert_eq!(c.subject, "C=Tunis, O=IT");
    assert_eq!(c.issuer, "C=Tunis, O=IT");
    assert!(c.self_signed);
    assert_eq!(c.sha256, hex::encode(Sha256::digest(&der)));
    assert_eq!(c.san_dns, ["c2.example.test"]);
    // JA3S/JA4S from the builder's ServerHello: TLS 1.2, c02f, ff01 only.
    let sh = fingerprint::ServerHelloInfo {
        version: 0x0303,
        cipher: 0xc02f,
        extensions: vec![0xff01],
        ..Default::default()
    };
    assert_eq!(
        t.ja3s_hash.as_deref(),
        Some(fingerprint::ja3s(&sh).1.as_str())
    );
    assert_eq!(t.ja4s.as_deref(), Some(fingerprint::ja4s(&sh).as_str()));
    assert!(t.ja4s.as_deref().unwrap().starts_with("t120100_c02f_"));
    assert!(t.client_certs.is_empty() && !t.client_cert_requested);
    assert_eq!(
        t.meta.ts,
        common::ctx(1).ts,
        "record time is the ClientHello's"
    );
    assert_eq!(t.meta.evidence.frames, [1, 2, 3, 4]);
}

#[test]
fn ca_signed_leaf_is_not_self_signed() {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name.push(DnType::CommonName, "Test Root");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_der = ca.self_signed(&ca_key).unwrap().der().to_vec();
    let issuer = Issuer::new(ca, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["shop.example.test".into()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap()
        .der()
        .to_vec();
    let script = [
        (ToServer, msg::client_hello(&chrome_like())),
        (ToClient, server_flight(&[&leaf, &ca_der], &[])),
    ];
    let (sink, _) = run(mk().as_mut(), &script, usize::MAX);
    let t = tls(&sink.records)[0];
    assert_eq!(t.server_certs.len(), 2);
    assert!(!t.server_certs[0].self_signed);
    assert!(t.server_certs[1].self_signed);
    assert!(t.server_certs[0].issuer.contains("CN=Test Root"));
}

#[test]
fn mutual_tls_client_certificate() {
    let server = self_signed("TN", "Server");
    let client = self_signed("TN", "Implant");
    let mut client_flight = msg::certificate(&[&client]);
    client_flight.extend(msg::record(22, 0x0303, &msg::handshake(16, &[0; 33])));
    let mut script = vec![
        (ToServer, msg::client_hello(&chrome_like())),
        (
            ToClient,
            server_flight(&[&server], &[msg::certificate_request()]),
        ),
        (ToServer, client_flight),
    ];
    tail(&mut script);
    let (sink, _) = run_both(mk, &script);
    let t = tls(&sink.records)[0];
    assert!(t.client_cert_requested);
    assert_eq!(t.client_certs.len(), 1);
    assert_eq!(t.client_certs[0].subject, "C=TN, O=Implant");
    assert_eq!(t.server_certs[0].subject, "C=TN, O=Server");
}

#[test]
fn handshake_split_across_records_and_chunks() {
    let der = self_signed("Tunis", "IT");
    // ClientHello in 50-byte records; certificate in 100-byte records, all
    // fed 7 bytes at a time.
    let hello = msg::records(22, 0x0301, &msg::handshake_client_hello(&chrome_like()), 50);
    let mut flight = msg::server_hello(&ServerHelloSpec::default());
    flight.extend(msg::records(
        22,
        0x0303,
        &msg::handshake_certificate(&[&der]),
        100,
    ));
    let script = [(ToServer, hello), (ToClient, flight)];
    let split = run(mk().as_mut(), &script, 7).0;
    let whole_spec = [
        (ToServer, msg::client_hello(&chrome_like())),
        (ToClient, server_flight(&[&der], &[])),
    ];
    let whole = run(mk().as_mut(), &whole_spec, usize::MAX).0;
    let (a, b) = (tls(&split.records)[0], tls(&whole.records)[0]);
    assert_eq!(a.ja3, b.ja3);
    assert_eq!(a.ja4, b.ja4);
    assert_eq!(a.sni.as_deref(), Some("www.example.test"));
    assert_eq!(a.server_certs, b.server_certs);
    assert!(split.anomalies.is_empty(), "{:?}", split.anomalies);
}

#[test]
fn record_claiming_16mb_is_an_anomaly_and_done() {
    // Type 0x16, version 3.1, length 0xffff is within u16; a 16 MB claim can
    // only be made by a handshake message header, and a bad record length
    // by an oversize u16: test both.
    let mut dec = TlsDecoder::new();
    let mut sink = common::Sink::default();
    let r = dec.data(
        ToServer,
        &[0x16, 0x03, 0x01, 0xff, 0xff, 1, 2, 3],
        &common::ctx(1),
        &mut sink,
    );
    assert_eq!(sink.codes(), ["tls_record_too_large"]);
    assert_eq!(r, Interest::Done);

    let mut dec = TlsDecoder::new();
    let mut sink = common::Sink::default();
    let mut rec = vec![0x16, 0x03, 0x01, 0x40, 0x00, 0x01, 0xff, 0xff, 0xff];
    rec.extend(vec![0u8; 0x4000 - 4]);
    let r = dec.data(ToServer, &rec, &common::ctx(1), &mut sink);
    assert_eq!(sink.codes(), ["tls_handshake_too_large"]);
    assert_eq!(r, Interest::Done);
    dec.end(&common::ctx(2), &mut sink);
    assert!(sink.records.is_empty());
}

#[test]
fn garbage_and_malformed_certificates_do_not_panic() {
    let der = self_signed("Tunis", "IT");
    let truncated = &der[..der.len() - 10];
    let garbage = b"\x30\x03\x02\x01";
    let script = [
        (ToServer, msg::client_hello(&chrome_like())),
        (ToClient, server_flight(&[truncated, garbage], &[])),
    ];
    let (sink, _) = run_both(mk, &script);
    let t = tls(&sink.records)[0];
    assert_eq!(t.server_certs.len(), 2);
    for (c, bytes) in t.server_certs.iter().zip([truncated, &garbage[..]]) {
        assert!(c.error.is_some());
        assert_eq!(c.sha256, hex::encode(Sha256::digest(bytes)));
    }
    assert!(sink.codes().contains(&"cert_malformed"));

    let mut dec = TlsDecoder::new();
    let mut sink = common::Sink::default();
    assert_eq!(
        dec.data(
            ToServer,
            b"GET / HTTP/1.1\r\n\r\n",
            &common::ctx(1),
            &mut sink
        ),
        Interest::Done
    );
    assert_eq!(sink.codes(), ["tls_bad_record"]);
}

#[test]
fn sslv2_compatible_hello_is_read() {
    // SSLv2 CLIENT-HELLO offering TLS 1.0 with two TLS ciphers and one
    // SSLv2-only spec (RFC 5246 appendix E.2).
    let mut body = vec![0x01, 0x03, 0x01, 0x00, 0x09, 0x00, 0x00, 0x00, 0x10];
    body.extend([0x00, 0x00, 0x2f, 0x00, 0x00, 0x35, 0x07, 0x00, 0xc0]);
    body.extend([0xaa; 16]);
    let mut v = vec![0x80 | (body.len() >> 8) as u8, body.len() as u8];
    v.extend(body);
    let (sink, _) = run_both(mk, &[(ToServer, v)]);
    let t = tls(&sink.records)[0];
    assert_eq!(t.ja3.as_deref(), Some("769,47-53,,,"));
    assert_eq!(t.version.as_deref(), Some("TLSv1.0"));
}

#[test]
fn fingerprint_inputs_match_the_decoded_hello() {
    // The decoder and a hand-built info agree (so fingerprint tests cover it).
    let spec = ClientHelloSpec {
        grease: false,
        ..chrome_like()
    };
    let info = ClientHelloInfo {
        version: 0x0303,
        ciphers: spec.ciphers.clone(),
        extensions: msg::client_hello_extensions(&spec)
            .iter()
            .map(|e| e.0)
            .collect(),
        groups: spec.groups.clone(),
        ec_point_formats: spec.point_formats.clone(),
        sig_algs: spec.sig_algs.clone(),
        alpn: vec![b"h2".to_vec(), b"http/1.1".to_vec()],
        has_sni: true,
        supported_versions: spec.supported_versions.clone(),
    };
    let (sink, _) = run(
        mk().as_mut(),
        &[(ToServer, msg::client_hello(&spec))],
        usize::MAX,
    );
    assert_eq!(
        tls(&sink.records)[0].ja4.as_deref(),
        Some(fingerprint::ja4(&info).as_str())
    );
}
