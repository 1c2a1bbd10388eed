//! `antibody intel ...` end to end: an advisory becomes a pack that hunts,
//! shared intelligence is imported, packs are exported, reports cluster.

mod common;

use common::antibody;
use serde_json::Value;
use sha2::Digest;
use std::path::Path;

/// The content of a harmless "sample" whose SHA-256 the advisory lists.
const SAMPLE: &[u8] = b"antibody intel test sample: not malware, just bytes\n";

fn sample_sha256() -> String {
    hex::encode(sha2::Sha256::digest(SAMPLE))
}

fn advisory() -> String {
    format!(
        "Joint advisory: APT29 targets vaccine research\n\n\
         The National Cyber Security Centre (NCSC) and CISA assess that APT29, also known as \
         Cozy Bear and the Dukes, used spear-phishing e-mails and exploited a vulnerability in a \
         VPN appliance to gain access.\n\n\
         The WellMess implant beaconed to 185.145.128[.]35 and to hxxps://update-check[.]top/api/v2/poll.\n\
         A dropper with SHA-256 {} was found on one server.\n\
         The internal jump host 10.20.30.40 was used for staging; see https://www.ncsc.gov.uk/ for details.\n",
        sample_sha256()
    )
}

fn run_json(args: &[&str]) -> (i32, Value) {
    let (code, doc, _) = common::json_output(args);
    (code, doc)
}

fn values(doc: &Value, kind: &str) -> Vec<String> {
    doc["documents"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["indicators"].as_array().unwrap().iter())
        .filter(|i| i["kind"] == kind)
        .map(|i| i["value"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn extract_refangs_flags_and_understands_an_advisory() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("advisory.txt");
    std::fs::write(&doc, advisory()).unwrap();
    let (code, json) = run_json(&[
        "intel",
        "extract",
        "--format",
        "json",
        doc.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{json:#}");
    assert!(
        values(&json, "ipv4").contains(&"185.145.128.35".to_string()),
        "{json:#}"
    );
    assert!(
        values(&json, "url").contains(&"https://update-check.top/api/v2/poll".to_string()),
        "{json:#}"
    );
    assert!(values(&json, "sha256").contains(&sample_sha256()));
    // Named but not hostile: left out unless --all.
    assert!(!values(&json, "ipv4").contains(&"10.20.30.40".to_string()));
    let d = &json["documents"][0];
    let ip = d["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["value"] == "185.145.128.35")
        .unwrap();
    assert!(ip["sentence"].as_str().unwrap().contains("beaconed"));
    assert_eq!(ip["defanged"], true);
    let entity = |kind: &str, id: &str| {
        d["entities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == kind && e["id"] == id)
    };
    assert!(entity("actor", "G0016"), "{:#}", d["entities"]);
    assert!(entity("malware", "S0514"), "{:#}", d["entities"]);
    assert!(entity("organisation", "ncsc-uk"), "{:#}", d["entities"]);
    let techniques: Vec<&str> = d["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert!(techniques.contains(&"T1566"), "{techniques:?}");
    assert!(techniques.contains(&"T1190"), "{techniques:?}");

    let (_, all) = run_json(&[
        "intel",
        "extract",
        "--all",
        "--format",
        "json",
        doc.to_str().unwrap(),
    ]);
    let private = all["documents"][0]["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["value"] == "10.20.30.40")
        .expect("listed with --all");
    assert_eq!(private["flag"], "private");
}

#[test]
fn extract_reads_standard_input_and_writes_csv() {
    let out = antibody()
        .args(["intel", "extract", "--format", "csv", "-"])
        .write_stdin(advisory())
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("type,value,flag,confidence,defanged,source,sentence")
    );
    assert!(text.contains("ipv4,185.145.128.35,,"), "{text}");
}

#[test]
fn ingest_writes_a_pack_that_validates_and_hunts_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("advisory.md");
    std::fs::write(&doc, advisory()).unwrap();
    let broken = dir.path().join("broken.pdf");
    std::fs::write(&broken, b"%PDF-1.7\n1 0 obj << /Type /Catalog").unwrap();
    let pack = dir.path().join("new-advisory");
    let out = antibody()
        .args(["intel", "ingest"])
        .arg(&doc)
        .arg(&broken)
        .arg("--pack-out")
        .arg(&pack)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "one input unreadable: {stderr}");
    assert!(stderr.contains("broken.pdf"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("pack new-advisory 0.1.0 written"),
        "{stdout}"
    );
    assert!(pack.join("SUMMARY.md").is_file());

    let (code, text) = common::packs_validate(&pack);
    assert_eq!(code, 0, "{text}");

    // Evidence: the sample the advisory lists, among harmless files.
    let evidence = dir.path().join("evidence");
    std::fs::create_dir(&evidence).unwrap();
    std::fs::write(evidence.join("dropper.bin"), SAMPLE).unwrap();
    std::fs::write(evidence.join("notes.txt"), "nothing to see").unwrap();
    let (code, json) = run_json(&[
        "hunt",
        "--no-builtin",
        "--pack",
        pack.to_str().unwrap(),
        "--format",
        "json",
        evidence.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "findings: {json:#}");
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{json:#}");
    let f = &findings[0];
    assert!(f["file"]["path"].as_str().unwrap().ends_with("dropper.bin"));
    assert!(
        f.to_string().contains("A dropper with SHA-256"),
        "the finding carries the sentence: {f:#}"
    );
}

#[test]
fn ingest_keeps_valid_embedded_rules_and_leaves_out_broken_ones() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("rules.txt");
    std::fs::write(
        &doc,
        "Defenders can use the following rules.\n\n\
         rule Good_Marker\n{\n    strings:\n        $a = \"antibody-good-marker\"\n    condition:\n        $a\n}\n\n\
         rule Broken_Marker\n{\n    strings:\n        $a = \"x\"\n    condition:\n        $b\n}\n\n\
         The second rule refers to a string it does not define.\n",
    )
    .unwrap();
    let pack = dir.path().join("rules-pack");
    let out = antibody()
        .args(["intel", "ingest"])
        .arg(&doc)
        .arg("--pack-out")
        .arg(&pack)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let yara: Vec<String> = std::fs::read_dir(pack.join("yara"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(yara.iter().any(|f| f.contains("good-marker")), "{yara:?}");
    if yara.iter().any(|f| f.contains("broken-marker")) {
        panic!("a rule that does not compile stayed in the pack: {yara:?}");
    }
    let (code, text) = common::packs_validate(&pack);
    assert_eq!(code, 0, "{text}");
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn import_stix_misp_and_kev_into_one_pack() {
    let dir = tempfile::tempdir().unwrap();
    let stix = write(
        dir.path(),
        "bundle.json",
        r#"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
 {"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2020-07-16T00:00:00.000Z","modified":"2020-07-16T00:00:00.000Z","name":"WellMess C2","pattern":"[ipv4-addr:value = '45.120.156.69']","pattern_type":"stix","valid_from":"2020-07-16T00:00:00Z"},
 {"type":"indicator","spec_version":"2.1","id":"indicator--1e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2020-07-16T00:00:00.000Z","modified":"2020-07-16T00:00:00.000Z","name":"broken","pattern":"[ipv4-addr:value = ","pattern_type":"stix","valid_from":"2020-07-16T00:00:00Z"}
]}"#,
    );
    let misp = write(
        dir.path(),
        "event.json",
        r#"{"Event":{"info":"WellMail infrastructure","date":"2020-07-16","Attribute":[
 {"type":"domain","category":"Network activity","value":"mail-relay-check.xyz","to_ids":true,"comment":"WellMail C2"},
 {"type":"ip-dst","category":"Network activity","value":"8.8.8.8","to_ids":false,"comment":"resolver, context only"}]}}"#,
    );
    let kev = write(
        dir.path(),
        "kev.json",
        r#"{"title":"CISA Catalog of Known Exploited Vulnerabilities","catalogVersion":"2026.11.30","dateReleased":"2026-11-30T00:00:00.000Z","count":1,"vulnerabilities":[
 {"cveID":"CVE-2019-19781","vendorProject":"Citrix","product":"ADC and Gateway","vulnerabilityName":"Citrix ADC path traversal","dateAdded":"2021-11-03","shortDescription":"Directory traversal.","requiredAction":"Apply updates.","dueDate":"2022-05-03","knownRansomwareCampaignUse":"Known","notes":""}]}"#,
    );
    let pack = dir.path().join("shared");
    let out = antibody()
        .args(["intel", "import", &stix, &misp, &kev, "--pack-out"])
        .arg(&pack)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("objects[1].pattern"),
        "the bad pattern is named: {stderr}"
    );
    let loaded = antibody_core_pack(&pack);
    assert!(
        loaded.contains(&("ipv4".into(), "45.120.156.69".into())),
        "{loaded:?}"
    );
    assert!(
        loaded.contains(&("domain".into(), "mail-relay-check.xyz".into())),
        "{loaded:?}"
    );
    assert!(
        !loaded.iter().any(|(_, v)| v == "8.8.8.8"),
        "to_ids false is not hunted: {loaded:?}"
    );
    let summary = std::fs::read_to_string(pack.join("SUMMARY.md")).unwrap();
    assert!(summary.contains("CVE-2019-19781"), "{summary}");
}

/// `antibody intel export --pack PACK --format FORMAT`, which must succeed:
/// its standard output.
fn export(pack: &std::ffi::OsStr, format: &str) -> Vec<u8> {
    let out = antibody()
        .args(["intel", "export", "--format", format, "--pack"])
        .arg(pack)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `(type, value)` of every indicator in the pack at `dir`, through
/// `packs show`-independent JSON: the exported CSV.
fn antibody_core_pack(dir: &Path) -> Vec<(String, String)> {
    String::from_utf8(export(dir.as_os_str(), "csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let mut f = l.splitn(3, ',');
            (f.next().unwrap().to_string(), f.next().unwrap().to_string())
        })
        .collect()
}

#[test]
fn export_is_deterministic_stix_and_misp() {
    let run = |format: &str| export("apt29-2020".as_ref(), format);
    let a = run("stix");
    assert_eq!(a, run("stix"), "same pack, same bytes");
    let bundle: Value = serde_json::from_slice(&a).unwrap();
    assert_eq!(bundle["type"], "bundle");
    let objects = bundle["objects"].as_array().unwrap();
    assert!(
        objects.iter().any(|o| o["type"] == "indicator"
            && o["pattern"].as_str().unwrap().contains("103.216.221.19")),
        "the C2 address is exported"
    );
    let misp: Value = serde_json::from_slice(&run("misp")).unwrap();
    assert!(!misp["Event"]["Attribute"].as_array().unwrap().is_empty());
    let out = antibody()
        .args([
            "intel",
            "export",
            "--pack",
            "no-such-pack",
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-pack"));
}

#[test]
fn cluster_groups_copies_and_keeps_other_stories_apart() {
    let dir = tempfile::tempdir().unwrap();
    let story = "Security researchers said on Tuesday that a group linked to Russian intelligence \
        tried to steal research on coronavirus vaccines from laboratories in Britain, Canada and the \
        United States. The hackers used custom malware called WellMess and WellMail and exploited \
        flaws in virtual private network devices made by Citrix, Pulse Secure and Fortinet. \
        Officials urged laboratories to patch their systems and to reset passwords.";
    write(dir.path(), "a.txt", story);
    write(
        dir.path(),
        "b.txt",
        &format!(
            "Syndicated from the newswire. All rights reserved.\n\n{story}\n\nShare this article."
        ),
    );
    write(
        dir.path(),
        "c.txt",
        "A ransomware gang encrypted the servers of a regional hospital network over the weekend, \
         forcing ambulances to divert to other towns. The attackers demanded a payment in bitcoin \
         and threatened to publish patient records. The hospital said backups were intact and \
         systems would be restored within days.",
    );
    let (code, json) = run_json(&[
        "intel",
        "cluster",
        "--format",
        "json",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert_eq!(json["reports"], 3);
    let clusters = json["clusters"].as_array().unwrap();
    let groups: Vec<Vec<String>> = clusters
        .iter()
        .map(|c| {
            let mut names: Vec<String> = c["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| {
                    Path::new(m["name"].as_str().unwrap())
                        .file_name()
                        .unwrap()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect();
            names.sort();
            names
        })
        .filter(|g| g.len() > 1)
        .collect();
    assert_eq!(
        groups,
        vec![vec!["a.txt".to_string(), "b.txt".to_string()]],
        "{json:#}"
    );
}
