//! The net engine end to end: `net hunt` on the example capture and on Zeek
//! logs, `hunt` picking captures up by content, `net flows`, and damaged
//! captures and broken network rules.

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn example_capture() -> PathBuf {
    repo().join("examples/net/apt29-2020-day.pcapng")
}

fn zeek_fixtures() -> PathBuf {
    repo().join("crates/antibody-net/tests/data/zeek")
}

fn net_hunt(path: &Path) -> (i32, Value, String) {
    run_json(&["net".as_ref(), "hunt".as_ref(), path.as_os_str()])
}

#[test]
fn net_hunt_on_the_example_capture_finds_every_planted_trait() {
    let (code, doc, stderr) = net_hunt(&example_capture());
    assert_eq!(code, 1, "findings give exit 1; stderr: {stderr}");
    let ids = rule_ids(&doc);
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
        assert!(ids.iter().any(|i| i == want), "{want} missing: {ids:#?}");
    }
    let s = &doc["summary"];
    assert_eq!(s["net_items"], 1);
    assert_eq!(
        s["net_frames"], 2544,
        "tshark counts 2544 frames in the example"
    );
    assert!(s["net_flows"].as_u64().unwrap() > 300);
    assert!(s["net_rules"].as_u64().unwrap() >= 8);
    // `net hunt` runs no YARA and no file hashes.
    assert_eq!(s["yara_rules"], 0);
    // ECS output names the frames of the evidence.
    let markers = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"]["id"] == "apt29-2020-wellmess-http-message-markers")
        .unwrap();
    let frames = &markers["antibody"]["events"][0]["frames"];
    assert!(
        frames.as_array().is_some_and(|f| !f.is_empty()),
        "{markers:#}"
    );
    assert_eq!(markers["event"]["dataset"], "antibody.net");
}

#[test]
fn hunt_finds_captures_by_content_inside_archives_too() {
    let dir = tempfile::tempdir().unwrap();
    // A capture with no telling extension, and one gzip-compressed.
    let data = std::fs::read(example_capture()).unwrap();
    std::fs::write(dir.path().join("evidence.bin"), &data).unwrap();
    let gz = std::fs::File::create(dir.path().join("capture.gz")).unwrap();
    let mut enc = flate2::write::GzEncoder::new(gz, flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &data).unwrap();
    enc.finish().unwrap();
    let (code, doc, stderr) = run_json(&["hunt".as_ref(), dir.path().as_os_str()]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(doc["summary"]["net_items"], 2, "{:#}", doc["summary"]);
    let locations: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"]["id"] == "apt29-2020-wellmail-tls-on-port-25")
        .map(|f| f["antibody"]["location"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(locations.len(), 2, "{locations:?}");
    assert!(locations.iter().any(|l| l.ends_with("evidence.bin")));
    assert!(locations.iter().any(|l| l.contains("capture.gz!")));
}

#[test]
fn net_hunt_reads_a_zeek_log_folder_and_joins_certificates() {
    let (code, doc, stderr) = net_hunt(&zeek_fixtures());
    assert_eq!(code, 1, "every fixture reads; {stderr} {:#}", doc["errors"]);
    let ids = rule_ids(&doc);
    // ssl.log joined with x509.log: the certificate issued by
    // `C=Tunis, O=IT, CN=...` (the pack's issuer pattern).
    assert!(
        ids.iter().any(|i| i.starts_with("x509_issuer:")),
        "{ids:#?}"
    );
    assert!(
        ids.iter()
            .any(|i| i == "apt29-2020-tls-certificate-country-not-iso"),
        "{ids:#?}"
    );
    let cert = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"]["id"] == "apt29-2020-tls-certificate-country-not-iso")
        .unwrap();
    assert_eq!(cert["antibody"]["events"][0]["uid"], "CTls1", "{cert:#}");
    assert!(doc["summary"]["net_items"].as_u64().unwrap() >= 6);
}

#[test]
fn truncated_capture_is_an_error_naming_the_offset_and_the_rest_is_hunted() {
    let data = std::fs::read(example_capture()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.pcapng");
    // Cut in the middle of the last quarter: the WellMess polling before it
    // is still there.
    std::fs::write(&cut, &data[..data.len() * 3 / 4 + 7]).unwrap();
    let (code, doc, stderr) = net_hunt(&cut);
    assert_eq!(code, 3, "an item error gives exit 3; {stderr}");
    let errors = doc["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let reason = errors[0]["reason"].as_str().unwrap();
    assert!(reason.contains("offset 0x"), "{reason}");
    assert!(reason.contains("frames before it were hunted"), "{reason}");
    assert!(
        rule_ids(&doc)
            .iter()
            .any(|i| i == "apt29-2020-wellmess-http-cookie-encoding")
    );
}

#[test]
fn garbage_with_a_capture_magic_is_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let mut bad = vec![0x0a, 0x0d, 0x0d, 0x0a, 0xff, 0xff, 0xff, 0xff];
    bad.extend_from_slice(&[0x4d; 64]);
    std::fs::write(dir.path().join("bad.pcapng"), &bad).unwrap();
    std::fs::copy(example_capture(), dir.path().join("good.pcapng")).unwrap();
    let (code, doc, _) = net_hunt(dir.path());
    assert_eq!(code, 3);
    let errors = doc["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["item"].as_str().unwrap().ends_with("bad.pcapng")),
        "{errors:#?}"
    );
    assert!(rule_ids(&doc).iter().any(|i| i == "apt29-2020-beaconing"));
}

#[test]
fn broken_network_rules_in_a_user_pack_are_reported_and_the_rest_work() {
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("pack");
    std::fs::create_dir_all(pack.join("network")).unwrap();
    std::fs::write(
        pack.join("pack.toml"),
        "[pack]\nname = \"site\"\nversion = \"1\"\ndescription = \"site rules\"\n\n[[source]]\nid = \"s\"\ntitle = \"t\"\nurl = \"https://example.org\"\n",
    )
    .unwrap();
    std::fs::write(
        pack.join("network/site.toml"),
        "[[rule]]\nid = \"ok\"\ntitle = \"DNS lookup of the tunnel domain\"\nprotocol = \"dns\"\nseverity = \"low\"\nconfidence = \"high\"\n[rule.where]\nquery = \"*.t.example.net\"\n\n[[rule]]\nid = \"broken\"\ntitle = \"t\"\nprotocol = \"dns\"\nseverity = \"low\"\nconfidence = \"high\"\n[rule.where]\nsni = \"x\"\n",
    )
    .unwrap();
    let (code, doc, _) = run_json(&[
        "net".as_ref(),
        "hunt".as_ref(),
        "--pack".as_ref(),
        pack.as_os_str(),
        example_capture().as_os_str(),
    ]);
    assert_eq!(code, 3);
    let errors = doc["errors"].as_array().unwrap();
    let reason = errors
        .iter()
        .map(|e| format!("{} {}", e["item"], e["reason"]))
        .find(|r| r.contains("network/site.toml"))
        .unwrap_or_else(|| panic!("{errors:#?}"));
    assert!(
        reason.contains(":10:") && reason.contains("`sni` is not a field of dns"),
        "{reason}"
    );
    let ids = rule_ids(&doc);
    assert!(ids.iter().any(|i| i == "ok"), "{ids:?}");
    assert!(
        ids.iter().any(|i| i == "apt29-2020-dns-tunnelling"),
        "{ids:?}"
    );
}

#[test]
fn net_flows_lists_the_busiest_conversations_with_beacon_scores() {
    let out = antibody()
        .args([
            "net", "flows", "--top", "5", "--sort", "beacon", "--format", "json",
        ])
        .arg(example_capture())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = doc["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    // The WellMess polling is the most regular conversation.
    assert_eq!(rows[0]["key"]["server"], "103.216.221.19", "{:#}", rows[0]);
    assert_eq!(rows[0]["connections"], 180);
    assert!(rows[0]["beacon"]["score"].as_f64().unwrap() >= 0.8);
    assert_eq!(rows[0]["service"], "http");

    let out = antibody()
        .args(["net", "flows", "--top", "3"])
        .arg(example_capture())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("client -> server"), "{text}");
    assert_eq!(text.lines().count(), 2 + 3, "{text}");

    let empty = tempfile::tempdir().unwrap();
    let out = antibody()
        .args(["net", "flows"])
        .arg(empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no capture or Zeek log"));
}
