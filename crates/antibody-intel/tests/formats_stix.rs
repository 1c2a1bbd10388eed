//! STIX 2.1 bundle import: a full bundle, a partly bad one, a broken one,
//! hostile nesting, and a bundle far larger than memory should allow.

mod support;

use antibody_intel::formats::{
    FormatError, ImportOptions, InputFormat, import_path, import_reader,
};
use antibody_intel::{EntityKind, Flag, Intel, IocKind};
use std::io::Read;
use support::fixture;

fn values(intel: &Intel, kind: IocKind) -> Vec<&str> {
    intel
        .items
        .iter()
        .filter(|i| i.ioc.kind == kind)
        .map(|i| i.ioc.value.as_str())
        .collect()
}

#[test]
fn full_bundle_gives_items_entities_techniques_and_the_report() {
    let mut intel = Intel::default();
    let stats = import_path(
        &fixture("stix-bundle.json"),
        &ImportOptions::default(),
        &mut intel,
    )
    .unwrap();
    assert!(intel.problems.is_empty(), "{:?}", intel.problems);
    assert_eq!(
        values(&intel, IocKind::Sha256),
        ["0c5ad1e8fe43583e279201cdb1046aef2ab9c6f5f0e0c6b0a3b7b6a4d1b7f8e1"]
    );
    assert_eq!(
        values(&intel, IocKind::Md5),
        ["d41d8cd98f00b204e9800998ecf8427e"]
    );
    assert_eq!(
        values(&intel, IocKind::Ipv4),
        ["103.216.221.19", "10.1.2.3"]
    );
    assert_eq!(values(&intel, IocKind::Cidr), ["45.120.156.0/24"]);
    assert_eq!(
        values(&intel, IocKind::Domain),
        [
            "update-check.top",
            "cdn.update-check.top",
            "beacon.update-check.top"
        ]
    );
    assert_eq!(
        values(&intel, IocKind::Url),
        ["http://update-check.top/api/upd.php"]
    );
    assert_eq!(values(&intel, IocKind::FilePath), ["/tmp/.x/mwdg.sh"]);
    assert_eq!(
        values(&intel, IocKind::Registry),
        [r"HKEY_LOCAL_MACHINE\Software\Run"]
    );
    assert_eq!(values(&intel, IocKind::Email), ["ops@update-check.top"]);
    assert_eq!(
        values(&intel, IocKind::X509Fingerprint),
        ["da39a3ee5e6b4b0d3255bfef95601890afd80709"]
    );
    assert_eq!(values(&intel, IocKind::Ipv6), ["2a00:1450:4001::1"]);
    assert_eq!(values(&intel, IocKind::FileName), ["agent.exe"]);
    assert_eq!(
        values(&intel, IocKind::Sha1),
        ["a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"]
    );
    assert_eq!(stats.items, intel.items.len());
    assert_eq!(stats.objects, 15);

    // The relationship came before both its ends, and still applies.
    let hash = intel
        .items
        .iter()
        .find(|i| i.ioc.kind == IocKind::Md5)
        .unwrap();
    assert_eq!(hash.malware.as_deref(), Some("WellMess"));
    assert_eq!(hash.attack, ["S0514"]);
    assert_eq!(hash.description.as_deref(), Some("WellMess sample"));
    assert!(hash.to_ids);
    assert!((hash.ioc.confidence - 0.85).abs() < 1e-6);
    let c2 = intel
        .items
        .iter()
        .find(|i| i.ioc.value == "103.216.221.19")
        .unwrap();
    assert_eq!(c2.malware, None);

    // Observables are kept but not marked for detection; a private address
    // is flagged.
    let private = intel
        .items
        .iter()
        .find(|i| i.ioc.value == "10.1.2.3")
        .unwrap();
    assert_eq!(private.ioc.flag, Some(Flag::Private));
    assert!(!private.to_ids);
    let url = intel
        .items
        .iter()
        .find(|i| i.ioc.kind == IocKind::Url)
        .unwrap();
    assert!(url.ioc.defanged);

    let ent = |k: EntityKind| -> Vec<(&str, &str)> {
        intel
            .entities
            .iter()
            .filter(|e| e.kind == k)
            .map(|e| (e.id.as_str(), e.name.as_str()))
            .collect()
    };
    assert_eq!(
        ent(EntityKind::Actor),
        [
            ("G0016", "APT29"),
            ("Unnamed Cluster 7", "Unnamed Cluster 7")
        ]
    );
    assert_eq!(ent(EntityKind::Malware), [("S0514", "WellMess")]);
    assert_eq!(ent(EntityKind::Tool), [("S0002", "Mimikatz")]);
    let apt29 = intel.entities.iter().find(|e| e.id == "G0016").unwrap();
    assert_eq!(apt29.mentions, ["APT29", "Cozy Bear", "The Dukes"]);
    assert_eq!(intel.techniques.len(), 1);
    assert_eq!(intel.techniques[0].id, "T1190");
    assert_eq!(
        intel.techniques[0].name,
        "Exploit Public-Facing Application"
    );

    let doc = &intel.sources[0];
    assert_eq!(doc.title, "APT29 targets vaccine research");
    assert_eq!(doc.date.as_deref(), Some("2020-07-16"));
    assert_eq!(doc.publisher.as_deref(), Some("Example CERT"));
    assert!(doc.url.starts_with("https://www.ncsc.gov.uk/"));
    assert_eq!(doc.format, "stix");
    assert!(intel.items.iter().all(|i| i.source == 0));
}

#[test]
fn bad_objects_are_problems_naming_their_path_and_the_rest_is_kept() {
    let mut intel = Intel::default();
    import_path(
        &fixture("stix-partial.json"),
        &ImportOptions::default(),
        &mut intel,
    )
    .unwrap();
    assert_eq!(values(&intel, IocKind::Domain), ["good-one.top"]);
    assert_eq!(values(&intel, IocKind::Url), ["https://second-good.top/a"]);
    assert_eq!(
        intel
            .items
            .iter()
            .filter(|i| i.ioc.kind == IocKind::YaraRule)
            .count(),
        1
    );
    let p = |item: &str| {
        intel
            .problems
            .iter()
            .find(|p| p.item == item)
            .unwrap_or_else(|| panic!("no problem for {item}: {:?}", intel.problems))
            .message
            .clone()
    };
    let m = p("$.objects[1].pattern");
    assert!(
        m.contains("invalid STIX pattern at byte 21") && m.contains("closing `'`"),
        "{m}"
    );
    let m = p("$.objects[2].pattern");
    assert!(m.contains("at byte 13") && m.contains("quote it"), "{m}");
    assert!(p("$.objects[3].pattern").contains("not a string"));
    assert!(p("$.objects[4].pattern").contains("not an IPv4 address"));
    assert!(p("$.objects[5]").contains("without a pattern"));
    assert!(p("$.objects[6]").contains("no \"type\""));
    assert!(p("$.objects[7]").contains("no \"type\""));
    assert!(p("$.objects[8]").contains("malware without a name"));
    assert_eq!(intel.problems.len(), 8);
}

#[test]
fn broken_json_names_the_path_and_keeps_what_came_before() {
    let mut intel = Intel::default();
    let e = import_path(
        &fixture("stix-broken.json"),
        &ImportOptions::default(),
        &mut intel,
    )
    .unwrap_err();
    let FormatError::Json {
        path,
        line,
        kept,
        file,
        ..
    } = &e
    else {
        panic!("{e}")
    };
    assert_eq!(path, "$.objects[3].pattern");
    assert_eq!(*line, 8);
    assert_eq!(*kept, 3);
    assert!(file.ends_with("stix-broken.json"));
    assert_eq!(
        values(&intel, IocKind::Domain),
        ["kept-one.top", "kept-two.top", "kept-three.top"]
    );
    let msg = e.to_string();
    assert!(
        msg.contains("$.objects[3].pattern") && msg.contains("line 8"),
        "{msg}"
    );
}

#[test]
fn not_json_at_all_is_an_error_naming_the_file() {
    let mut intel = Intel::default();
    let e = import_reader(
        &b"<html>no</html>"[..],
        InputFormat::Stix,
        "page.html",
        &ImportOptions::default(),
        &mut intel,
    )
    .unwrap_err();
    assert!(e.to_string().starts_with("page.html: "), "{e}");
    assert!(matches!(e, FormatError::Json { ref path, .. } if path == "$"));
}

#[test]
fn a_json_object_that_is_not_a_bundle_is_refused() {
    let mut intel = Intel::default();
    let e = import_reader(
        &br#"{"type": "indicator", "id": "x"}"#[..],
        InputFormat::Stix,
        "one.json",
        &ImportOptions::default(),
        &mut intel,
    )
    .unwrap_err();
    assert!(matches!(e, FormatError::Format { .. }), "{e}");
    assert!(e.to_string().contains("`indicator`"));
}

#[test]
fn deep_nesting_is_a_clear_error_without_stack_overflow() {
    let mut doc = String::from(r#"{"type": "bundle", "objects": [{"type": "x-deep", "v": "#);
    doc.push_str(&"[".repeat(100_000));
    let mut intel = Intel::default();
    let e = import_reader(
        doc.as_bytes(),
        InputFormat::Stix,
        "deep.json",
        &ImportOptions::default(),
        &mut intel,
    )
    .unwrap_err();
    let FormatError::Json { message, path, .. } = &e else {
        panic!("{e}")
    };
    assert!(
        message.contains("recursion limit") || message.contains("nesting"),
        "{message}"
    );
    assert!(path.starts_with("$.objects[0].v"), "{path}");
}

#[test]
fn a_lower_depth_limit_is_honoured() {
    let doc = r#"{"type": "bundle", "objects": [{"type": "x-a", "v": [[[[1]]]]}]}"#;
    let opts = ImportOptions {
        max_depth: 4,
        ..Default::default()
    };
    let mut intel = Intel::default();
    let e = import_reader(
        doc.as_bytes(),
        InputFormat::Stix,
        "d.json",
        &opts,
        &mut intel,
    )
    .unwrap_err();
    assert!(e.to_string().contains("nesting deeper than 4"), "{e}");
}

#[test]
fn the_object_limit_stops_with_a_problem() {
    let doc = r#"{"type": "bundle", "objects": [
        {"type": "domain-name", "value": "one-a.top"},
        {"type": "domain-name", "value": "two-b.top"},
        {"type": "domain-name", "value": "three-c.top"}]}"#;
    let opts = ImportOptions {
        max_objects: 2,
        ..Default::default()
    };
    let mut intel = Intel::default();
    let stats = import_reader(
        doc.as_bytes(),
        InputFormat::Stix,
        "l.json",
        &opts,
        &mut intel,
    )
    .unwrap();
    assert_eq!(stats.items, 2);
    assert_eq!(intel.problems.len(), 1);
    assert_eq!(intel.problems[0].item, "$.objects[2]");
}

/// A bundle produced on the fly: `n` indicators of about 8 KiB each,
/// never held in memory whole.
fn bundle(n: u64) -> impl Read {
    let pad = "p".repeat(8000);
    support::Generated::new(
        br#"{"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000000", "objects": ["#,
        n,
        move |i| {
            let ip = format!(
                "{}.{}.{}.{}",
                11 + (i >> 24) % 200,
                (i >> 16) & 255,
                (i >> 8) & 255,
                i & 255
            );
            format!(
                r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--{i:012}","pattern":"[ipv4-addr:value = '{ip}']","pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z","x_padding":"{pad}"}}"#
            )
        },
        b"]}\n",
    )
}

#[test]
fn a_huge_bundle_streams_in_bounded_memory() {
    // 1 GiB with optimisations; 40 MiB without, where serde_json's parser
    // is not optimised either (about 3 MiB/s): the same code path.
    let target: u64 = if cfg!(debug_assertions) {
        40 << 20
    } else {
        1 << 30
    };
    let n = target / 8190;
    let before = support::peak_rss_kib();
    let start = std::time::Instant::now();
    let mut intel = Intel::default();
    let stats = import_reader(
        bundle(n),
        InputFormat::Stix,
        "huge.json",
        &ImportOptions::default(),
        &mut intel,
    )
    .unwrap();
    let grew_mib = support::peak_rss_kib().saturating_sub(before) / 1024;
    eprintln!(
        "{} objects, {} MiB in {:.1}s, peak RSS grew {grew_mib} MiB",
        stats.objects,
        stats.bytes >> 20,
        start.elapsed().as_secs_f64()
    );
    assert_eq!(stats.objects, n);
    assert_eq!(intel.items.len() as u64, n);
    assert!(stats.bytes >= target - 8192, "{} bytes", stats.bytes);
    assert!(intel.problems.is_empty(), "{:?}", &intel.problems[..1]);
    // The items themselves take memory; the bundle must not.
    assert!(
        grew_mib < 128,
        "peak RSS grew {grew_mib} MiB for {} MiB of input",
        stats.bytes >> 20
    );
}

#[test]
fn every_truncation_and_corruption_of_a_bundle_is_handled() {
    let doc = std::fs::read(fixture("stix-bundle.json")).unwrap();
    support::every_cut_and_corruption(&doc, InputFormat::Stix);
}
