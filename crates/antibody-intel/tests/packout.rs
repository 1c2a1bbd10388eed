//! The pack writer: what it writes loads as a pack, hunts what it should,
//! leaves out what it should, and is the same every time.

use antibody_core::pack::{IndicatorType, load_dir};
use antibody_intel::packout::{PackOptions, PackWriteError, write_pack};
use antibody_intel::{Entity, EntityKind, Flag, Intel, Ioc, IocKind, Item, SourceDoc, Technique};

fn ioc(kind: IocKind, value: &str, sentence: &str) -> Ioc {
    Ioc {
        kind,
        value: value.into(),
        raw: value.into(),
        offset: 10,
        defanged: false,
        confidence: 0.9,
        flag: None,
        sentence: sentence.into(),
    }
}

fn item(ioc: Ioc, source: usize) -> Item {
    let to_ids = ioc.flag.is_none();
    Item {
        ioc,
        source,
        description: None,
        malware: None,
        attack: Vec::new(),
        to_ids,
    }
}

fn source(id: &str, url: &str) -> SourceDoc {
    SourceDoc {
        id: id.into(),
        title: format!("Advisory {id}"),
        url: url.into(),
        publisher: Some("NCSC".into()),
        date: Some("2020-07-16".into()),
        format: "text".into(),
    }
}

const YARA: &str = "rule Demo_Marker\n{\n    strings:\n        $a = \"antibody-demo-marker\"\n    condition:\n        $a\n}";
const SIGMA: &str = "title: Demo Process\nid: 6a1f0b0e-1111-4222-8333-944455556666\nstatus: experimental\nlogsource:\n    category: process_creation\n    product: windows\ndetection:\n    selection:\n        Image|endswith: '\\demo-tool.exe'\n    condition: selection\nlevel: high\n";
const SNORT: &str =
    "alert tcp any any -> any 80 (msg:\"demo\"; content:\"x-demo\"; sid:1000001; rev:1;)";

fn sample() -> Intel {
    let sentence = "The WellMess implant beaconed to 103.216.221.19 over HTTP.";
    let mut private = ioc(
        IocKind::Ipv4,
        "10.1.2.3",
        "An internal host 10.1.2.3 was used.",
    );
    private.flag = Some(Flag::Private);
    let mut weak = ioc(IocKind::Domain, "report.ps", "See report.ps.");
    weak.confidence = 0.2;
    let mut fed = item(ioc(IocKind::Sha256, &"ab".repeat(32), ""), 1);
    fed.description = Some("SoreFang sample (feed)".into());
    fed.malware = Some("SoreFang".into());
    fed.attack = vec!["S0516".into(), "not-an-id".into()];
    let mut not_for_ids = item(ioc(IocKind::Domain, "research-partner.org", "x"), 1);
    not_for_ids.to_ids = false;
    Intel {
        sources: vec![
            source("AR20-198B advisory.pdf", "file:///cases/advisory.pdf"),
            source("misp event", "https://misp.example.org/events/1"),
        ],
        items: vec![
            item(ioc(IocKind::Ipv4, "103.216.221.19", sentence), 0),
            item(
                ioc(
                    IocKind::Url,
                    "http://evil-c2.top/api/upd.php",
                    "Posts to http://evil-c2.top/api/upd.php.",
                ),
                0,
            ),
            item(
                ioc(
                    IocKind::FilePath,
                    "C:\\Windows\\Temp\\mwdg.exe",
                    "Dropped C:\\Windows\\Temp\\mwdg.exe.",
                ),
                0,
            ),
            item(
                ioc(
                    IocKind::FilePath,
                    "%APPDATA%\\Microsoft\\upd[1].exe",
                    "Copied itself.",
                ),
                0,
            ),
            item(
                ioc(
                    IocKind::Cve,
                    "CVE-2019-19781",
                    "Citrix CVE-2019-19781 was exploited.",
                ),
                0,
            ),
            item(private, 0),
            item(weak, 0),
            item(ioc(IocKind::YaraRule, YARA, ""), 0),
            item(ioc(IocKind::SigmaRule, SIGMA, ""), 0),
            item(ioc(IocKind::SnortRule, SNORT, ""), 0),
            // The same address again from the second source: one indicator.
            item(ioc(IocKind::Ipv4, "103.216.221.19", "C2 address."), 1),
            fed,
            not_for_ids,
        ],
        entities: vec![
            Entity {
                kind: EntityKind::Actor,
                id: "G0016".into(),
                name: "APT29".into(),
                mentions: vec!["Cozy Bear".into(), "the Dukes".into()],
                count: 3,
                sentence: "APT29, also known as Cozy Bear.".into(),
            },
            Entity {
                kind: EntityKind::Malware,
                id: "S0514".into(),
                name: "WellMess".into(),
                mentions: vec!["WellMess".into()],
                count: 2,
                sentence: sentence.into(),
            },
        ],
        techniques: vec![Technique {
            id: "T1190".into(),
            name: "Exploit Public-Facing Application".into(),
            evidence: "exploited a vulnerability in a VPN appliance".into(),
            from_prose: true,
            sentence: "The actor exploited a vulnerability in a VPN appliance.".into(),
        }],
        problems: Vec::new(),
    }
}

#[test]
fn written_pack_loads_and_carries_what_is_hunted() {
    let dir = tempfile::tempdir().unwrap();
    let out = write_pack(&sample(), dir.path(), &PackOptions::named("new-advisory")).unwrap();
    let loaded = load_dir(dir.path()).unwrap_or_else(|e| panic!("{e}: {:#?}", e.diagnostics));
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let pack = loaded.pack;
    assert_eq!(pack.meta.name, "new-advisory");
    assert_eq!(pack.sources.len(), 2);
    assert_eq!(pack.sources[0].url, "file:///cases/advisory.pdf");
    assert_eq!(pack.sources[0].id, "ar20-198b-advisory-pdf");
    assert!(pack.meta.actors.contains(&"Cozy Bear".to_string()));
    for id in ["G0016", "S0514", "T1190"] {
        assert!(
            pack.meta.attack.contains(&id.to_string()),
            "{id}: {:?}",
            pack.meta.attack
        );
    }

    let find = |kind: IndicatorType, value: &str| {
        pack.indicators
            .iter()
            .find(|i| i.kind == kind && i.value == value)
            .unwrap_or_else(|| panic!("{kind} {value} missing: {:#?}", pack.indicators))
    };
    let ip = find(IndicatorType::Ipv4, "103.216.221.19");
    assert!(ip.description.contains("beaconed to 103.216.221.19"));
    assert_eq!(
        ip.malware.as_deref(),
        Some("WellMess"),
        "named in its sentence"
    );
    assert_eq!(ip.source, "ar20-198b-advisory-pdf");
    find(IndicatorType::Url, "http://evil-c2.top/api/upd.php");
    find(IndicatorType::FilePath, "**/Windows/Temp/mwdg.exe");
    find(IndicatorType::FilePath, "**/Microsoft/upd[[]1].exe");
    let hash = find(IndicatorType::Sha256, &"ab".repeat(32));
    assert_eq!(hash.description, "SoreFang sample (feed)");
    assert_eq!(hash.attack, vec!["S0516"]);
    assert_eq!(pack.indicators.len(), 5, "{:#?}", pack.indicators);
    assert_eq!(out.indicator_total(), 5);

    // Not hunted, each with its reason.
    let why = |v: &str| {
        out.not_hunted
            .iter()
            .find(|n| n.value == v)
            .map(|n| n.reason.clone())
            .unwrap_or_else(|| panic!("{v} not listed"))
    };
    assert!(why("10.1.2.3").contains("private"));
    assert!(why("report.ps").contains("confidence"));
    assert!(why("CVE-2019-19781").contains("no pack indicator type"));
    assert!(why("research-partner.org").contains("not for detection"));

    // Rules: YARA and Sigma in their folders, Snort kept for the IDS.
    assert_eq!(pack.yara.len(), 1);
    assert_eq!(
        pack.yara[0].path,
        "yara/ar20-198b-advisory-pdf-demo-marker.yar"
    );
    assert_eq!(pack.sigma.len(), 1);
    assert!(pack.sigma[0].path.ends_with("demo-process.yml"));
    let rules = std::fs::read_to_string(dir.path().join("intel/suricata.rules")).unwrap();
    assert!(rules.contains("sid:1000001"));

    // The machine-readable record and the summary.
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("intel/intel.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["format"], "antibody-intel/1");
    assert_eq!(json["items"].as_array().unwrap().len(), 13);
    assert_eq!(json["not_hunted"].as_array().unwrap().len(), 4);
    let summary = std::fs::read_to_string(dir.path().join("SUMMARY.md")).unwrap();
    assert!(summary.contains("**5** indicators hunted"), "{summary}");
    assert!(summary.contains("APT29 (G0016; written Cozy Bear, the Dukes)"));
    assert!(summary.contains("| T1190 | Exploit Public-Facing Application | prose:"));
    assert!(summary.contains("| ipv4 | `10.1.2.3` | flagged: private |"));
}

#[test]
fn path_globs_match_where_evidence_is_mounted() {
    let dir = tempfile::tempdir().unwrap();
    write_pack(&sample(), dir.path(), &PackOptions::named("globs")).unwrap();
    let pack = load_dir(dir.path()).unwrap().pack;
    let glob = |v: &str| {
        globset::GlobBuilder::new(v)
            .case_insensitive(true)
            .literal_separator(true)
            .build()
            .unwrap()
            .compile_matcher()
    };
    let temp = pack
        .indicators
        .iter()
        .find(|i| i.value.contains("mwdg"))
        .unwrap();
    let m = glob(&temp.value);
    assert!(m.is_match("/mnt/image/Windows/Temp/mwdg.exe"));
    assert!(m.is_match("Windows/Temp/mwdg.exe"));
    assert!(!m.is_match("/mnt/image/Windows/Temp/other.exe"));
    let upd = pack
        .indicators
        .iter()
        .find(|i| i.kind == IndicatorType::FilePath && i.value.contains("upd"))
        .unwrap();
    let m = glob(&upd.value);
    assert!(m.is_match("/e/Users/x/AppData/Roaming/Microsoft/upd[1].exe"));
    assert!(
        !m.is_match("/e/Users/x/AppData/Roaming/Microsoft/upd1.exe"),
        "brackets are literal"
    );
}

#[test]
fn output_is_deterministic_and_rewritable() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let opts = PackOptions::named("same");
    let files = write_pack(&sample(), a.path(), &opts).unwrap().files;
    write_pack(&sample(), b.path(), &opts).unwrap();
    for f in &files {
        assert_eq!(
            std::fs::read(a.path().join(f)).unwrap(),
            std::fs::read(b.path().join(f)).unwrap(),
            "{f} differs between two runs"
        );
    }
    // Writing again into an existing pack replaces its files.
    write_pack(&sample(), a.path(), &opts).unwrap();
    assert!(load_dir(a.path()).is_ok());
}

#[test]
fn refuses_bad_names_no_sources_and_foreign_directories() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        write_pack(&sample(), dir.path(), &PackOptions::named("Bad Name")),
        Err(PackWriteError::BadName(_))
    ));
    assert!(matches!(
        write_pack(&Intel::default(), dir.path(), &PackOptions::named("x")),
        Err(PackWriteError::NoSources)
    ));
    std::fs::write(dir.path().join("thesis.docx"), "not a pack").unwrap();
    let err = write_pack(&sample(), dir.path(), &PackOptions::named("x")).unwrap_err();
    assert!(matches!(err, PackWriteError::NotAPackDir(_)));
    assert!(err.to_string().contains("refusing to overwrite"));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "nothing written"
    );
}

#[test]
fn hostile_text_stays_valid_toml() {
    let mut intel = sample();
    intel.items[0].ioc.sentence =
        "quote \" backslash \\ newline\n tab\t ]]] [[indicator]] \u{0}".into();
    intel.sources[0].title = "Title with \"quotes\" and\nnewlines".into();
    let dir = tempfile::tempdir().unwrap();
    write_pack(&intel, dir.path(), &PackOptions::named("hostile")).unwrap();
    let pack = load_dir(dir.path())
        .unwrap_or_else(|e| panic!("{e}: {:#?}", e.diagnostics))
        .pack;
    assert!(pack.indicators[0].description.contains("[[indicator]]"));
    assert_eq!(pack.indicators.len(), 5);
}
