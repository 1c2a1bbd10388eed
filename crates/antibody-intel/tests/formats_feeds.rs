//! KEV, CSV and plain-list import.

mod support;

use antibody_intel::formats::{
    CsvMap, FormatError, ImportOptions, InputFormat, import_path, import_reader,
};
use antibody_intel::{Intel, IocKind};
use support::fixture;

fn pairs(intel: &Intel) -> Vec<(IocKind, &str)> {
    intel
        .items
        .iter()
        .map(|i| (i.ioc.kind, i.ioc.value.as_str()))
        .collect()
}

#[test]
fn kev_entries_become_described_cves() {
    let mut intel = Intel::default();
    import_path(&fixture("kev.json"), &ImportOptions::default(), &mut intel).unwrap();
    assert_eq!(
        pairs(&intel),
        [
            (IocKind::Cve, "CVE-2019-19781"),
            (IocKind::Cve, "CVE-2019-11510")
        ]
    );
    let d = intel.items[0].description.as_deref().unwrap();
    assert!(
        d.starts_with("Citrix Application Delivery Controller: Citrix ADC Path Traversal."),
        "{d}"
    );
    assert!(
        d.contains("Required action: Apply updates") && d.contains("ransomware"),
        "{d}"
    );
    assert!(
        !intel.items[1]
            .description
            .as_deref()
            .unwrap()
            .contains("ransomware")
    );
    let items: Vec<&str> = intel.problems.iter().map(|p| p.item.as_str()).collect();
    assert_eq!(
        items,
        ["$.vulnerabilities[1]", "$.vulnerabilities[3].cveID"]
    );
    let doc = &intel.sources[0];
    assert_eq!(
        doc.title,
        "CISA Catalog of Known Exploited Vulnerabilities (version 2024.01.02)"
    );
    assert_eq!(doc.date.as_deref(), Some("2024-01-02"));
    assert_eq!(doc.publisher.as_deref(), Some("CISA"));
}

#[test]
fn kev_without_its_members_is_refused() {
    let mut intel = Intel::default();
    let e = import_reader(
        &br#"{"title": "x"}"#[..],
        InputFormat::Kev,
        "k.json",
        &ImportOptions::default(),
        &mut intel,
    )
    .unwrap_err();
    assert!(matches!(e, FormatError::Format { .. }), "{e}");
}

#[test]
fn csv_with_detected_headers_classifies_generic_rows_and_reports_bad_ones() {
    let mut intel = Intel::default();
    let stats = import_path(&fixture("iocs.csv"), &ImportOptions::default(), &mut intel).unwrap();
    assert_eq!(
        pairs(&intel),
        [
            (IocKind::Ipv4, "103.216.221.19"),
            (IocKind::Md5, "d41d8cd98f00b204e9800998ecf8427e"),
            (IocKind::Url, "http://evil-site.top/gate.php"),
            (IocKind::Domain, "update-check.top"),
            (IocKind::Registry, r"HKEY_LOCAL_MACHINE\Software\Run"),
        ]
    );
    assert_eq!(
        intel.items[1].description.as_deref(),
        Some("sample, packed")
    );
    assert_eq!(intel.items[0].malware.as_deref(), Some("WellMess"));
    assert_eq!(
        intel.items[4].description.as_deref(),
        Some("quoted \"note\"")
    );
    let probs: Vec<(&str, &str)> = intel
        .problems
        .iter()
        .map(|p| (p.item.as_str(), p.message.as_str()))
        .collect();
    assert_eq!(probs.len(), 2, "{probs:?}");
    assert!(
        probs[0].0.ends_with("iocs.csv:5") && probs[0].1.contains("64 hex"),
        "{probs:?}"
    );
    assert!(
        probs[1].0.ends_with("iocs.csv:8") && probs[1].1.contains("no value"),
        "{probs:?}"
    );
    assert_eq!(stats.skipped, 1, "the string row");
}

#[test]
fn csv_with_a_given_mapping() {
    let opts = ImportOptions {
        csv_map: Some(
            "type=Kind,value=Observed value,description=3"
                .parse::<CsvMap>()
                .unwrap(),
        ),
        ..Default::default()
    };
    let mut intel = Intel::default();
    import_path(&fixture("custom.csv"), &opts, &mut intel).unwrap();
    assert_eq!(
        pairs(&intel),
        [
            (IocKind::Sha1, "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"),
            (IocKind::Url, "http://second-site.top/x")
        ]
    );
    assert_eq!(intel.items[1].description.as_deref(), Some("second"));
    // Without the mapping, the header names nothing known.
    let e = import_path(
        &fixture("custom.csv"),
        &ImportOptions::default(),
        &mut Intel::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("no value column"), "{e}");
    // A mapping naming a column that is not there.
    let opts = ImportOptions {
        csv_map: Some("value=Nope".parse().unwrap()),
        ..Default::default()
    };
    let e = import_path(&fixture("custom.csv"), &opts, &mut Intel::default()).unwrap_err();
    assert!(e.to_string().contains("no column `Nope`"), "{e}");
}

#[test]
fn lists_are_refanged_classified_and_commented() {
    let mut intel = Intel::default();
    import_path(&fixture("list.txt"), &ImportOptions::default(), &mut intel).unwrap();
    assert_eq!(
        pairs(&intel),
        [
            (IocKind::Ipv4, "103.216.221.19"),
            (IocKind::Url, "http://update-check.top/api/upd.php"),
            (IocKind::Domain, "update-check.top"),
            (IocKind::Email, "hr@update-check.top"),
            (IocKind::Ipv6, "2001:db8::5"),
            (IocKind::Md5, "d41d8cd98f00b204e9800998ecf8427e"),
            (IocKind::FilePath, r"C:\Program Files\Upd\upd.exe"),
            (IocKind::Domain, "evil.top"),
            (IocKind::FileName, "mwdg.sh"),
        ]
    );
    assert!(intel.items[0].ioc.defanged);
    assert_eq!(intel.items[1].description.as_deref(), Some("C2 gate"));
    assert_eq!(
        intel.items[7].description.as_deref(),
        Some("phishing domain")
    );
    assert_eq!(intel.problems.len(), 1);
    assert!(
        intel.problems[0].item.ends_with("list.txt:10"),
        "{:?}",
        intel.problems
    );
    assert_eq!(intel.sources[0].format, "list");
}

#[test]
fn a_list_with_an_endless_line_keeps_the_rest() {
    let mut text = "a".repeat(200_000);
    text.push_str("\nevil-site.top\n");
    let mut intel = Intel::default();
    import_reader(
        text.as_bytes(),
        InputFormat::List,
        "l.txt",
        &ImportOptions::default(),
        &mut intel,
    )
    .unwrap();
    assert_eq!(pairs(&intel), [(IocKind::Domain, "evil-site.top")]);
    assert_eq!(intel.problems[0].item, "l.txt:1");
}

#[test]
fn every_truncation_and_corruption_of_a_kev_catalogue_is_handled() {
    let doc = std::fs::read(fixture("kev.json")).unwrap();
    support::every_cut_and_corruption(&doc, InputFormat::Kev);
}
