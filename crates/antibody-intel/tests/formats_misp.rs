//! MISP event import: attributes, object attributes, composite types,
//! tags and galaxies, the three document shapes, and bad input.

mod support;

use antibody_intel::formats::{
    FormatError, ImportOptions, ImportStats, InputFormat, import_path, import_reader,
};
use antibody_intel::{EntityKind, Flag, Intel, IocKind};
use support::fixture;

/// Imports a MISP document given in the test.
fn import_misp(doc: &[u8], intel: &mut Intel) -> Result<ImportStats, FormatError> {
    import_reader(
        doc,
        InputFormat::Misp,
        "event.json",
        &ImportOptions::default(),
        intel,
    )
}

/// Kind, id and name of each entity.
fn entities(intel: &Intel) -> Vec<(EntityKind, &str, &str)> {
    intel
        .entities
        .iter()
        .map(|e| (e.kind, e.id.as_str(), e.name.as_str()))
        .collect()
}

fn pairs(intel: &Intel) -> Vec<(IocKind, &str)> {
    intel
        .items
        .iter()
        .map(|i| (i.ioc.kind, i.ioc.value.as_str()))
        .collect()
}

#[test]
fn event_attributes_objects_and_tags() {
    let mut intel = Intel::default();
    let stats = import_path(
        &fixture("misp-event.json"),
        &ImportOptions::default(),
        &mut intel,
    )
    .unwrap();
    use IocKind::*;
    assert_eq!(
        pairs(&intel),
        [
            (Ipv4, "103.216.221.19"),
            (Ipv4, "45.120.156.7"),
            (Domain, "update-check.top"),
            (Ipv4, "91.234.254.44"),
            (Domain, "cdn.update-check.top"),
            (Url, "https://update-check.top/gate.php"),
            (FileName, "loader.exe"),
            (
                Sha256,
                "0c5ad1e8fe43583e279201cdb1046aef2ab9c6f5f0e0c6b0a3b7b6a4d1b7f8e1"
            ),
            (Email, "hr@update-check.top"),
            (
                Registry,
                r"HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Run\upd"
            ),
            (Cve, "CVE-2019-19781"),
            (X509Fingerprint, "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
            (Ja3, "51c64c77e60f3980eea90869b68c58a8"),
            (FilePath, r"C:\Users\Public\upd.exe"),
            (Md5, "d41d8cd98f00b204e9800998ecf8427e"),
            (FileName, "mwdg.sh"),
        ]
    );
    assert_eq!(stats.objects, 18);
    assert_eq!(stats.skipped, 2, "link and text are not indicators");
    let c2 = &intel.items[0];
    assert!(c2.to_ids);
    assert_eq!(c2.description.as_deref(), Some("C2 server"));
    assert_eq!(c2.malware.as_deref(), Some("WellMess"));
    assert_eq!(c2.attack, ["T1566"]);
    assert!(intel.items[1].to_ids, "to_ids given as \"1\"");
    assert!(!intel.items[4].to_ids);
    let path = &intel.items[13];
    assert_eq!(path.attack, ["T1547.001", "T1566"]);

    let probs: Vec<(&str, &str)> = intel
        .problems
        .iter()
        .map(|p| (p.item.as_str(), p.message.as_str()))
        .collect();
    assert_eq!(probs.len(), 2, "{probs:?}");
    assert_eq!(probs[0].0, "$.Event.Attribute[7].value");
    assert!(probs[0].1.contains("sha1 `not-a-hash`"), "{}", probs[0].1);
    assert_eq!(
        probs[1],
        ("$.Event.Attribute[15]", "attribute without a value")
    );

    assert_eq!(
        entities(&intel),
        [
            (EntityKind::Actor, "G0016", "APT29"),
            (EntityKind::Malware, "S0514", "WellMess")
        ]
    );
    let techs: Vec<(&str, &str)> = intel
        .techniques
        .iter()
        .map(|t| (t.id.as_str(), t.name.as_str()))
        .collect();
    assert_eq!(
        techs,
        [
            ("T1566", "Phishing"),
            ("T1547.001", "Registry Run Keys / Startup Folder")
        ]
    );

    let doc = &intel.sources[0];
    assert_eq!(doc.title, "Phishing wave with WellMess loader");
    assert_eq!(doc.date.as_deref(), Some("2021-03-04"));
    assert_eq!(doc.publisher.as_deref(), Some("Example CSIRT"));
    assert_eq!(doc.format, "misp");
}

#[test]
fn response_lists_and_galaxies() {
    let mut intel = Intel::default();
    import_path(
        &fixture("misp-response.json"),
        &ImportOptions::default(),
        &mut intel,
    )
    .unwrap();
    assert_eq!(
        pairs(&intel),
        [
            (IocKind::Domain, "first-event.top"),
            (IocKind::Ipv4, "198.51.100.7")
        ]
    );
    let doc_ip = &intel.items[1];
    assert_eq!(doc_ip.ioc.flag, Some(Flag::Documentation));
    assert!(
        !doc_ip.to_ids,
        "a flagged value is not marked for detection"
    );
    assert_eq!(intel.entities.len(), 1);
    assert_eq!(
        (
            intel.entities[0].id.as_str(),
            intel.entities[0].name.as_str()
        ),
        ("G0007", "APT28")
    );
    assert_eq!(intel.sources[0].title, "First event");
    assert_eq!(intel.problems.len(), 1);
    assert_eq!(intel.problems[0].item, "$.response[2].Event");
}

#[test]
fn galaxy_names_without_ids_resolve_through_attack() {
    // Tags name actors and software by any alias, without an ATT&CK id: the
    // same actor from prose, STIX and MISP must be one entity.
    let doc = br#"{"Event": {"info": "aliases", "Tag": [
        {"name": "misp-galaxy:threat-actor=\"Cozy Bear\""},
        {"name": "misp-galaxy:threat-actor=\"NOBELIUM\""},
        {"name": "misp-galaxy:tool=\"mimikatz\""},
        {"name": "misp-galaxy:malware=\"WellMail\""},
        {"name": "misp-galaxy:threat-actor=\"Unheard Of Panda\""}
    ], "Attribute": []}}"#;
    let mut intel = Intel::default();
    import_misp(&doc[..], &mut intel).unwrap();
    assert_eq!(
        entities(&intel),
        [
            (EntityKind::Actor, "G0016", "APT29"),
            (EntityKind::Tool, "S0002", "Mimikatz"),
            (EntityKind::Malware, "S0515", "WellMail"),
            (EntityKind::Actor, "Unheard Of Panda", "Unheard Of Panda"),
        ]
    );
    let apt29 = &intel.entities[0];
    assert_eq!(apt29.count, 2, "both aliases merged into one actor");
    for alias in ["Cozy Bear", "NOBELIUM"] {
        assert!(
            apt29.mentions.iter().any(|m| m == alias),
            "{alias}: {:?}",
            apt29.mentions
        );
    }
}

#[test]
fn a_bare_event_with_untyped_attributes_is_classified() {
    let doc = br#"{"info": "bare", "Attribute": [{"value": "evil-site[.]top"}, {"value": "???"}]}"#;
    let mut intel = Intel::default();
    import_misp(&doc[..], &mut intel).unwrap();
    assert_eq!(pairs(&intel), [(IocKind::Domain, "evil-site.top")]);
    assert_eq!(intel.problems.len(), 1);
    assert_eq!(intel.problems[0].item, "$.Attribute[1].value");
}

#[test]
fn json_that_is_not_an_event_is_refused() {
    let mut intel = Intel::default();
    let e = import_misp(&br#"{"foo": 1}"#[..], &mut intel).unwrap_err();
    assert!(matches!(e, FormatError::Format { .. }), "{e}");
}

#[test]
fn broken_and_deep_json_name_their_path() {
    let mut intel = Intel::default();
    let doc = br#"{"Event": {"info": "x", "Attribute": [{"type": "md5", "value": "ab\q"}]}}"#;
    let e = import_misp(&doc[..], &mut intel).unwrap_err();
    let FormatError::Json { path, column, .. } = &e else {
        panic!("{e}")
    };
    assert_eq!(path, "$.Event.Attribute[0].value");
    assert_eq!(*column, 68);
    // Deep nesting inside an attribute (built as a value) hits the depth
    // limit; deep nesting where nothing is kept is skipped without
    // recursion. Neither overflows the stack.
    let deep = format!(r#"{{"Event": {{"Attribute": {}"#, "[".repeat(50_000));
    let e = import_misp(deep.as_bytes(), &mut intel).unwrap_err();
    assert!(e.to_string().contains("recursion limit"), "{e}");
    let skipped = format!(r#"{{"Event": {}"#, "[".repeat(50_000));
    let e = import_misp(skipped.as_bytes(), &mut intel).unwrap_err();
    let FormatError::Json { path, .. } = &e else {
        panic!("{e}")
    };
    assert_eq!(path, "$.Event[0]");
}

#[test]
fn event_tags_after_the_attributes_reach_every_attribute() {
    // MISP writes `Tag` after `Attribute` and `Object`: the event's malware
    // and techniques must still reach the indicators read before them.
    let doc = br#"{"Event": {"info": "late tags",
        "Attribute": [{"type": "domain", "value": "late-tags.top", "to_ids": true},
                      {"type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427f", "to_ids": true,
                       "Tag": [{"name": "misp-galaxy:mitre-malware=\"SoreFang - S0516\""}]}],
        "Object": [{"name": "file", "Attribute": [{"type": "filename", "value": "late.exe", "to_ids": true}]}],
        "Tag": [{"name": "misp-galaxy:mitre-malware=\"WellMess - S0514\""},
                {"name": "misp-galaxy:mitre-attack-pattern=\"Phishing - T1566\""}]}}"#;
    let mut intel = Intel::default();
    import_misp(&doc[..], &mut intel).unwrap();
    let got: Vec<(&str, Option<&str>, &[String])> = intel
        .items
        .iter()
        .map(|i| (i.ioc.value.as_str(), i.malware.as_deref(), &i.attack[..]))
        .collect();
    let t1566 = ["T1566".to_string()];
    assert_eq!(
        got,
        [
            ("late-tags.top", Some("WellMess"), &t1566[..]),
            (
                "d41d8cd98f00b204e9800998ecf8427f",
                Some("SoreFang"),
                &t1566[..]
            ),
            ("late.exe", Some("WellMess"), &t1566[..]),
        ]
    );
}

#[test]
fn a_fault_keeps_the_attributes_before_it() {
    let doc = br#"{"Event": {"info": "cut", "Attribute": [
        {"type": "domain", "value": "before-fault.top", "to_ids": true},
        {"type": "domain", "value": "after-fault.top", "to_ids": tru}]}}"#;
    let mut intel = Intel::default();
    let e = import_misp(&doc[..], &mut intel).unwrap_err();
    let FormatError::Json { path, kept, .. } = &e else {
        panic!("{e}")
    };
    assert_eq!(path, "$.Event.Attribute[1].to_ids");
    assert_eq!(*kept, 1);
    assert_eq!(pairs(&intel), [(IocKind::Domain, "before-fault.top")]);
}

#[test]
fn a_large_event_streams_in_bounded_memory() {
    // 64 MiB of attributes: read whole, the event alone would take more
    // than that; streamed, only the items (about 8,000 short values) stay.
    let n = (64u64 << 20) / 8080;
    let before = support::peak_rss_kib();
    let mut intel = Intel::default();
    let stats = import_reader(
        support::Generated::new(
            br#"{"Event": {"info": "big", "Attribute": ["#,
            n,
            |i| {
                // The padding is a member the reader skips.
                let pad = "p".repeat(8000);
                format!(
                    r#"{{"type":"domain","value":"host{i}.stream-test.top","to_ids":true,"x_pad":"{pad}"}}"#
                )
            },
            br#"], "Tag": [{"name": "misp-galaxy:mitre-malware=\"WellMess - S0514\""}]}}"#,
        ),
        InputFormat::Misp,
        "big.json",
        &ImportOptions::default(),
        &mut intel,
    )
    .unwrap();
    let grew_mib = support::peak_rss_kib().saturating_sub(before) / 1024;
    assert_eq!(stats.objects, n);
    assert_eq!(intel.items.len() as u64, n);
    assert!(stats.bytes > 60 << 20, "{} bytes", stats.bytes);
    assert!(
        intel
            .items
            .iter()
            .all(|i| i.malware.as_deref() == Some("WellMess")),
        "the closing tags reach every attribute"
    );
    assert!(
        grew_mib < 32,
        "peak RSS grew {grew_mib} MiB for {} MiB of input",
        stats.bytes >> 20
    );
}

#[test]
fn every_truncation_and_corruption_of_an_event_is_handled() {
    let doc = std::fs::read(fixture("misp-event.json")).unwrap();
    support::every_cut_and_corruption(&doc, InputFormat::Misp);
    let doc = std::fs::read(fixture("misp-response.json")).unwrap();
    support::every_cut_and_corruption(&doc, InputFormat::Misp);
}
