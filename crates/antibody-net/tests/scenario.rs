//! End to end: the synthetic APT29 day (`testkit::scenario`) written as
//! pcapng, hunted by the net engine with the built-in pack. Each planted
//! trait fires its detector, the ordinary hosts fire nothing, and the
//! capture in `examples/net/` is exactly what the generator makes (run
//! with `ANTIBODY_WRITE_EXAMPLES=1` to rewrite it after a deliberate change).

use antibody_core::pack::builtin;
use antibody_core::{Engine, Finding, Item, Kind, Location, Severity, VecSink};
use antibody_net::NetEngineBuilder;
use antibody_net::capture::LinkType;
use antibody_net::testkit::pcap::PcapngWriter;
use antibody_net::testkit::scenario::{self, ScenarioCerts};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    SerialNumber,
};
use std::path::PathBuf;

// Fixed Ed25519 keys (Ed25519 signatures are deterministic, so the
// certificates and the capture are the same on every run). Test keys only.
const KEY_CA: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIF45fT2FQl49zThZZ7m++/xDUxuDoQiGG7RGugXzHypW\n-----END PRIVATE KEY-----\n";
const KEY_WEB: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIAfLtZ9oUaRqGDYWjF7HT5cknzEOOB8vFqzMVjw41qZf\n-----END PRIVATE KEY-----\n";
const KEY_C2: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIAP8HXyNB6cDuN68+jVCy16jyzy4RtRxL8d+D7FmAHsj\n-----END PRIVATE KEY-----\n";
const KEY_CLIENT: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIIPGTkVUZUqr5b25iU6cVjiFHjDp50J6FStiCLuEG9yG\n-----END PRIVATE KEY-----\n";

fn dn(parts: &[(DnType, &str)]) -> DistinguishedName {
    let mut d = DistinguishedName::new();
    for (t, v) in parts {
        d.push(t.clone(), *v);
    }
    d
}

fn params(names: &[&str], serial: u8, subject: DistinguishedName) -> CertificateParams {
    let mut p = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
        .expect("params");
    p.distinguished_name = subject;
    p.serial_number = Some(SerialNumber::from(vec![serial]));
    p
}

/// The scenario's certificates, the same bytes every time.
pub fn certs() -> ScenarioCerts {
    let ca_key = KeyPair::from_pem(KEY_CA).expect("ca key");
    let mut ca = params(
        &[],
        1,
        dn(&[
            (DnType::CountryName, "US"),
            (DnType::OrganizationName, "Example Trust Services"),
            (DnType::CommonName, "Example Root CA"),
        ]),
    );
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let web_ca = ca.self_signed(&ca_key).expect("ca").der().to_vec();
    let issuer = Issuer::new(ca, ca_key);
    let web_leaf = params(
        &["www.example.com", "mx.example.org"],
        2,
        dn(&[
            (DnType::CountryName, "US"),
            (DnType::OrganizationName, "Example Inc"),
            (DnType::CommonName, "www.example.com"),
        ]),
    )
    .signed_by(&KeyPair::from_pem(KEY_WEB).expect("web key"), &issuer)
    .expect("leaf")
    .der()
    .to_vec();
    let c2_server = params(
        &[],
        3,
        dn(&[
            (DnType::CountryName, "Tunis"),
            (DnType::OrganizationName, "IT"),
        ]),
    )
    .self_signed(&KeyPair::from_pem(KEY_C2).expect("c2 key"))
    .expect("c2")
    .der()
    .to_vec();
    let c2_client = params(
        &[],
        4,
        dn(&[
            (DnType::CountryName, "BE"),
            (DnType::OrganizationName, "GlobalSign nv-sa"),
            (DnType::CommonName, "client"),
        ]),
    )
    .self_signed(&KeyPair::from_pem(KEY_CLIENT).expect("client key"))
    .expect("client")
    .der()
    .to_vec();
    ScenarioCerts {
        web_leaf,
        web_ca,
        c2_server,
        c2_client,
    }
}

fn capture() -> Vec<u8> {
    let packets = scenario::apt29_2020(&certs());
    let mut w = PcapngWriter::new(Vec::new()).expect("writer");
    let ifc = w.interface(LinkType::ETHERNET, 65_535).expect("interface");
    for p in &packets {
        w.write(ifc, p.ts, &p.data).expect("write");
    }
    w.into_inner()
}

fn example_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/net/apt29-2020-day.pcapng")
}

fn hunt(data: &[u8]) -> (Vec<Finding>, Vec<antibody_core::ItemError>) {
    let pack = builtin("apt29-2020")
        .expect("built in")
        .expect("loads")
        .pack;
    let (engine, errors) = NetEngineBuilder::new().add_pack(&pack).build();
    assert!(errors.is_empty(), "{errors:?}");
    let sink = VecSink::new();
    let location = Location::file("apt29-2020-day.pcapng");
    let item = Item {
        location: &location,
        kind: Kind::Pcapng,
        data,
    };
    engine.hunt(&item, &sink).expect("hunted");
    engine.finish(&sink);
    sink.take()
}

#[test]
fn example_capture_is_what_the_generator_makes() {
    let data = capture();
    let path = example_path();
    if std::env::var_os("ANTIBODY_WRITE_EXAMPLES").is_some() {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, &data).expect("write example");
    }
    let on_disk = std::fs::read(&path).expect("examples/net/apt29-2020-day.pcapng exists");
    assert!(
        on_disk == data,
        "examples/net/apt29-2020-day.pcapng differs from the generator's output; \
         rerun with ANTIBODY_WRITE_EXAMPLES=1 if the change is intended"
    );
}

#[test]
fn every_planted_trait_fires_and_ordinary_hosts_stay_quiet() {
    let (findings, errors) = hunt(&capture());
    assert!(errors.is_empty(), "{errors:?}");
    let ids: Vec<&str> = findings.iter().map(|f| f.rule.id.as_str()).collect();
    for want in [
        "ipv4:103.216.221.19",
        "apt29-2020-wellmess-http-cookie-encoding",
        "apt29-2020-wellmess-http-message-markers",
        "apt29-2020-beaconing",
        "apt29-2020-sorefang-multipart-boundary",
        "apt29-2020-wellmail-tls-on-port-25",
        "apt29-2020-wellmail-client-certificate-port-25",
        "apt29-2020-tls-certificate-country-not-iso",
        "apt29-2020-dns-tunnelling",
    ] {
        assert!(ids.contains(&want), "{want} missing from {ids:#?}");
    }
    assert!(
        ids.iter().any(|i| i.starts_with("x509_subject:")),
        "{ids:#?}"
    );
    assert!(ids.iter().any(|i| i.starts_with("string:")), "{ids:#?}");
    // Ordinary browsing, HTTPS and the mail server's STARTTLS fire nothing.
    for f in &findings {
        let quiet = ["192.0.2.10 ", "192.0.2.25 ", "192.0.2.10:", "192.0.2.25:"];
        let flows: Vec<&str> = f
            .events
            .iter()
            .flat_map(|e| e.fields.iter())
            .filter(|(n, _)| n == "flow")
            .map(|(_, v)| v.as_str())
            .collect();
        assert!(
            !flows.iter().any(|fl| quiet.iter().any(|q| fl.contains(q))),
            "{} fired on ordinary traffic: {flows:?}",
            f.rule.id
        );
    }
    // The C2 polling is one finding per rule, not 180.
    let cookie = findings
        .iter()
        .find(|f| f.rule.id == "apt29-2020-wellmess-http-cookie-encoding")
        .expect("cookie finding");
    assert!(
        cookie.reason.contains("Seen 180 times"),
        "{}",
        cookie.reason
    );
    assert!(!cookie.events[0].frames.is_empty());
    let beacon = findings
        .iter()
        .find(|f| f.rule.id == "apt29-2020-beaconing")
        .expect("beacon");
    let parts = &beacon.events[0].fields;
    assert!(
        parts
            .iter()
            .any(|(n, v)| n == "parts" && v.contains("interval regularity")),
        "{parts:?}"
    );
    assert!(findings.iter().any(|f| f.severity == Severity::Critical));
}
