//! The built-in `apt29-2020` pack: its YARA rules compile cleanly and carry
//! the metadata findings need, fire on the synthetic evidence in
//! `examples/` exactly as documented there, and stay silent on decoys and
//! on negative corpora built here from the traits that are too weak alone.

use antibody_core::pack::{self, IndicatorIndex, IndicatorType, Loaded, is_attack_id};
use antibody_core::{Confidence, Severity};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

const PACK: &str = "apt29-2020";

const GO_PE: &str = "APT29_WellMess_Go_PE";
const GO_ELF: &str = "APT29_WellMess_Go_ELF";
const DOTNET: &str = "APT29_WellMess_DotNet";
const MARKERS: &str = "APT29_WellMess_C2_Markers_Text";
const WELLMAIL: &str = "APT29_WellMail_Go_ELF";
const SOREFANG: &str = "APT29_SoreFang_PE";

/// Rules that require an executable file header.
const EXECUTABLE_RULES: [&str; 5] = [GO_PE, GO_ELF, DOTNET, WELLMAIL, SOREFANG];

fn loaded() -> Loaded {
    pack::builtin(PACK)
        .expect("apt29-2020 is built in")
        .unwrap_or_else(|e| panic!("{e}: {:#?}", e.diagnostics))
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// Compiles every YARA file of the pack; any error or warning fails.
fn compile(loaded: &Loaded) -> yara_x::Rules {
    let mut compiler = yara_x::Compiler::new();
    for file in &loaded.pack.yara {
        let src = yara_x::SourceCode::from(file.text.as_str()).with_origin(file.path.as_str());
        if let Err(e) = compiler.add_source(src) {
            panic!("{} does not compile:\n{e}", file.path);
        }
    }
    let warnings: Vec<String> = compiler.warnings().iter().map(|w| w.to_string()).collect();
    assert!(
        warnings.is_empty(),
        "YARA-X warnings:\n{}",
        warnings.join("\n")
    );
    compiler.build()
}

fn rules() -> yara_x::Rules {
    compile(&loaded())
}

fn fired(rules: &yara_x::Rules, data: &[u8]) -> BTreeSet<String> {
    let mut scanner = yara_x::Scanner::new(rules);
    let results = scanner.scan(data).expect("scan");
    results
        .matching_rules()
        .map(|r| r.identifier().to_string())
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// The `string` indicators found in `data`, ASCII or UTF-16LE, as the files
/// engine searches them.
fn string_hits(loaded: &Loaded, data: &[u8]) -> BTreeSet<String> {
    loaded
        .pack
        .indicators
        .iter()
        .filter(|i| i.kind == IndicatorType::String)
        .filter(|i| {
            let wide: Vec<u8> = i.value.encode_utf16().flat_map(u16::to_le_bytes).collect();
            contains(data, i.value.as_bytes()) || contains(data, &wide)
        })
        .map(|i| i.value.clone())
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read examples")
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Every example file (and every member of the example zip, as
/// `archive.zip!member`) with its bytes.
fn example_items() -> Vec<(String, Vec<u8>)> {
    let root = examples();
    let mut files = Vec::new();
    walk(&root, &mut files);
    let mut items = Vec::new();
    for path in files {
        let rel = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let bytes = std::fs::read(&path).unwrap();
        if rel.ends_with(".zip") {
            let mut zip =
                zip::ZipArchive::new(std::io::Cursor::new(bytes.clone())).expect("example zip");
            for i in 0..zip.len() {
                let mut entry = zip.by_index(i).unwrap();
                let mut inner = Vec::new();
                entry.read_to_end(&mut inner).unwrap();
                let member = entry.name().expect("member name").to_string();
                items.push((format!("{rel}!{member}"), inner));
            }
        }
        items.push((rel, bytes));
    }
    items
}

// ---------------------------------------------------------------------------
// The pack itself

#[test]
fn pack_loads_without_errors_or_warnings() {
    let loaded = loaded();
    assert!(loaded.warnings.is_empty(), "{:#?}", loaded.warnings);
    assert_eq!(loaded.pack.meta.name, PACK);
    assert!(loaded.pack.meta.default_action.is_some());
    assert!(loaded.pack.meta.attack.iter().all(|a| is_attack_id(a)));
    let yara: Vec<&str> = loaded.pack.yara.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        yara,
        [
            "yara/sorefang.yar",
            "yara/wellmail.yar",
            "yara/wellmess.yar"
        ]
    );
}

#[test]
fn indicator_counts_per_type() {
    let counts = loaded().pack.indicator_counts();
    let expected = BTreeMap::from([
        (IndicatorType::Sha256, 11),
        (IndicatorType::Md5, 2),
        (IndicatorType::Ipv4, 1),
        (IndicatorType::FileName, 2),
        (IndicatorType::FilePath, 2),
        (IndicatorType::X509Subject, 1),
        (IndicatorType::X509Issuer, 1),
        (IndicatorType::String, 10),
    ]);
    assert_eq!(counts, expected);
}

#[test]
fn indicators_cite_sources_and_follow_the_severity_policy() {
    let loaded = loaded();
    let pack = &loaded.pack;
    for i in &pack.indicators {
        let what = format!("{} `{}`", i.kind, i.value);
        assert!(pack.source(&i.source).is_some(), "{what}: unknown source");
        assert!(
            !i.attack.is_empty() && i.attack.iter().all(|a| is_attack_id(a)),
            "{what}: attack"
        );
        assert!(i.malware.is_some(), "{what}: malware");
        let expected = match i.kind {
            IndicatorType::Sha256 | IndicatorType::Md5 => Severity::Critical,
            IndicatorType::Ipv4 | IndicatorType::String => Severity::High,
            IndicatorType::FileName => {
                assert!(
                    i.severity <= Severity::Medium,
                    "{what}: names are medium or low"
                );
                i.severity
            }
            _ => i.severity,
        };
        assert_eq!(i.severity, expected, "{what}");
    }
    // The private address CISA lists is deliberately not an indicator.
    assert!(pack.indicators.iter().all(|i| i.value != "192.168.169.103"));
    // The certificate traits come from a secondary source: medium confidence.
    for i in pack.indicators.iter().filter(|i| {
        matches!(
            i.kind,
            IndicatorType::X509Subject | IndicatorType::X509Issuer
        )
    }) {
        assert_eq!(i.confidence, Confidence::Medium);
    }
}

#[test]
fn yara_compiles_without_warnings() {
    let rules = rules();
    let names: BTreeSet<String> = rules.iter().map(|r| r.identifier().to_string()).collect();
    assert_eq!(
        names,
        set(&[GO_PE, GO_ELF, DOTNET, MARKERS, WELLMAIL, SOREFANG])
    );
}

#[test]
fn every_rule_has_the_required_meta() {
    let loaded = loaded();
    let rules = compile(&loaded);
    for rule in rules.iter() {
        let id = rule.identifier();
        let meta: BTreeMap<&str, String> = rule
            .metadata()
            .map(|(k, v)| match v {
                yara_x::MetaValue::String(s) => (k, s.to_string()),
                other => panic!("{id}: meta `{k}` is not a string: {other:?}"),
            })
            .collect();
        for key in [
            "description",
            "author",
            "date",
            "severity",
            "confidence",
            "attack",
            "source",
            "malware",
            "action",
        ] {
            assert!(
                meta.get(key).is_some_and(|v| !v.trim().is_empty()),
                "{id}: meta `{key}` missing or empty"
            );
        }
        assert_eq!(meta["author"], "antibody", "{id}");
        let date = meta["date"].as_bytes();
        assert!(
            date.len() == 10
                && date[4] == b'-'
                && date[7] == b'-'
                && chrono::NaiveDate::parse_from_str(&meta["date"], "%Y-%m-%d").is_ok(),
            "{id}: date `{}` is not YYYY-MM-DD",
            meta["date"]
        );
        meta["severity"]
            .parse::<Severity>()
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        meta["confidence"]
            .parse::<Confidence>()
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        for a in meta["attack"].split(',').map(str::trim) {
            assert!(is_attack_id(a), "{id}: `{a}` is not an ATT&CK id");
        }
        assert!(
            loaded.pack.source(&meta["source"]).is_some(),
            "{id}: source `{}` is not a pack source",
            meta["source"]
        );
        // Meta values must stay on one line without quotes: the files
        // engine reads them line by line.
        for (k, v) in &meta {
            assert!(!v.contains('"') && !v.contains('\n'), "{id}: meta `{k}`");
        }
    }
}

#[test]
fn severities_follow_the_design() {
    let rules = rules();
    for rule in rules.iter() {
        let severity = rule.metadata().find_map(|(k, v)| match v {
            yara_x::MetaValue::String(s) if k == "severity" => Some(s),
            _ => None,
        });
        // Implant rules need the file type and several specific traits:
        // critical. The marker triple in text is a lead: medium.
        let expected = if rule.identifier() == MARKERS {
            "medium"
        } else {
            "critical"
        };
        assert_eq!(severity, Some(expected), "{}", rule.identifier());
    }
}

// ---------------------------------------------------------------------------
// The examples

/// What each example should fire; every other example file fires nothing.
fn expected_rules() -> BTreeMap<&'static str, BTreeSet<String>> {
    BTreeMap::from([
        ("windows/wellmess-go.exe", set(&[GO_PE])),
        ("windows/wellmess-dotnet.exe", set(&[DOTNET])),
        ("windows/sorefang.exe", set(&[SOREFANG])),
        ("linux/wellmail", set(&[WELLMAIL])),
        (
            "quarantine/archive.zip!linux/wellmess-go.elf",
            set(&[GO_ELF]),
        ),
        ("notes/proxy-capture.txt", set(&[MARKERS])),
        // The synthetic capture carries a WellMess C2 request body.
        ("net/apt29-2020-day.pcapng", set(&[MARKERS])),
    ])
}

fn expected_strings() -> BTreeMap<&'static str, BTreeSet<String>> {
    let wellmess = set(&["botlib.wellMess", "C:/Server/BotUI/App_Data/Temp/"]);
    BTreeMap::from([
        ("windows/wellmess-go.exe", wellmess.clone()),
        ("quarantine/archive.zip!linux/wellmess-go.elf", wellmess),
        (
            "linux/wellmail",
            set(&[
                "C:/Server/Mail/App_Data/Temp/agent.sh/src/main.go",
                "HgQdbx4qRNv",
                "042a51567eea19d5aca71050b4535d33d2ed43ba",
            ]),
        ),
        (
            "windows/sorefang.exe",
            set(&[
                "------974767299852498929531610575",
                "2b6233eb3e872ff78988f4a8f3f6a3ba",
                "----------All usres directory----------",
                "I can not het information about this disk",
            ]),
        ),
        // The synthetic capture holds a SoreFang-style upload.
        (
            "net/apt29-2020-day.pcapng",
            set(&[
                "------974767299852498929531610575",
                "----------All usres directory----------",
            ]),
        ),
    ])
}

#[test]
fn examples_fire_exactly_the_documented_rules() {
    let rules = rules();
    let expected = expected_rules();
    let items = example_items();
    for name in expected.keys() {
        assert!(
            items.iter().any(|(n, _)| n == name),
            "example {name} is missing; run examples/generate.py"
        );
    }
    for (name, bytes) in &items {
        let want = expected.get(name.as_str()).cloned().unwrap_or_default();
        assert_eq!(fired(&rules, bytes), want, "{name}");
    }
}

#[test]
fn examples_carry_exactly_the_documented_string_indicators() {
    let loaded = loaded();
    let expected = expected_strings();
    for (name, bytes) in example_items() {
        let want = expected.get(name.as_str()).cloned().unwrap_or_default();
        assert_eq!(string_hits(&loaded, &bytes), want, "{name}");
    }
}

#[test]
fn only_mwdg_sh_matches_a_name_or_path_indicator() {
    let loaded = loaded();
    let index = IndicatorIndex::new([&loaded.pack]);
    for (name, _) in example_items() {
        let leaf = name.rsplit(['/', '!']).next().unwrap();
        let hits: Vec<&str> = index
            .file_name(leaf)
            .iter()
            .map(|h| h.indicator.value.as_str())
            .collect();
        let want: &[&str] = if name == "linux/mwdg.sh" {
            &["mwdg.sh"]
        } else {
            &[]
        };
        assert_eq!(hits, want, "{name}");
        assert!(index.file_path(&name).is_empty(), "{name}");
    }
    let paths = [
        "C:\\Server\\BotUI\\App_Data\\Temp\\x\\src\\main.go",
        "C:/Server/Mail/App_Data/Temp/agent.sh/src/main.go",
    ];
    for p in paths {
        assert_eq!(index.file_path(p).len(), 1, "{p}");
    }
}

#[test]
fn examples_stay_small_and_inert() {
    let items = example_items();
    let total: usize = items
        .iter()
        .filter(|(n, _)| !n.contains('!') && !n.starts_with("net/"))
        .map(|(_, b)| b.len())
        .sum();
    assert!(total < 200 * 1024, "examples/ is {total} bytes");
    // A day of synthetic traffic is bigger, but stays small for a repository.
    let captures: usize = items
        .iter()
        .filter(|(n, _)| n.starts_with("net/"))
        .map(|(_, b)| b.len())
        .sum();
    assert!(captures < 512 * 1024, "examples/net is {captures} bytes");
    for (name, bytes) in &items {
        if bytes.starts_with(b"MZ") {
            // No sections, no entry point: nothing to run.
            let lfanew = u32::from_le_bytes(bytes[0x3c..0x40].try_into().unwrap()) as usize;
            let sections = u16::from_le_bytes(bytes[lfanew + 6..lfanew + 8].try_into().unwrap());
            let entry = u32::from_le_bytes(
                bytes[lfanew + 24 + 16..lfanew + 24 + 20]
                    .try_into()
                    .unwrap(),
            );
            assert_eq!((sections, entry), (0, 0), "{name}");
        }
        if bytes.starts_with(b"\x7fELF") {
            let entry = u64::from_le_bytes(bytes[24..32].try_into().unwrap());
            let phnum = u16::from_le_bytes(bytes[56..58].try_into().unwrap());
            assert_eq!((entry, phnum), (0, 0), "{name}");
        }
    }
}

// ---------------------------------------------------------------------------
// Negative corpora

/// A PE header like the examples': MZ, e_lfanew 0x80, PE signature.
fn pe(parts: &[&[u8]]) -> Vec<u8> {
    let mut v = vec![0u8; 0x200];
    v[..2].copy_from_slice(b"MZ");
    v[0x3c] = 0x80;
    v[0x80..0x84].copy_from_slice(b"PE\0\0");
    append(v, parts)
}

fn elf(parts: &[&[u8]]) -> Vec<u8> {
    let mut v = vec![0u8; 0x200];
    v[..8].copy_from_slice(b"\x7fELF\x02\x01\x01\0");
    append(v, parts)
}

fn dotnet(parts: &[&[u8]]) -> Vec<u8> {
    let mut all: Vec<&[u8]> = vec![
        b"mscoree.dll",
        b"_CorExeMain",
        b"BSJB\x01\x00\x01\x00",
        b"#Strings",
        b"#US",
    ];
    all.extend_from_slice(parts);
    pe(&all)
}

fn append(mut v: Vec<u8>, parts: &[&[u8]]) -> Vec<u8> {
    for p in parts {
        v.extend_from_slice(p);
        v.push(0);
    }
    v.resize(v.len().max(4096), 0);
    v
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

const GO_RUNTIME: [&[u8]; 12] = [
    b"runtime.main",
    b"runtime.goexit",
    b"runtime.mallocgc",
    b"runtime.gcBgMarkWorker",
    b"runtime.newproc",
    b"runtime.schedule",
    b"sync.(*Mutex).Lock",
    b"fmt.Println",
    b"net/http.(*Client).Do",
    b"crypto/aes.NewCipher",
    b"main.main",
    b"Go build ID: \"abc/def\"",
];

/// Ordinary Go runtime names followed by `extra`.
fn go<'a>(extra: &[&'a [u8]]) -> Vec<&'a [u8]> {
    GO_RUNTIME
        .iter()
        .copied()
        .chain(extra.iter().copied())
        .collect()
}

#[test]
fn weak_traits_alone_fire_nothing() {
    let rules = rules();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "Go PE with runtime names and botlib.init",
            pe(&go(&[b"botlib.init"])),
        ),
        (
            "Go ELF with runtime names and botlib.init",
            elf(&go(&[b"botlib.init"])),
        ),
        (
            "Go PE with two botlib functions",
            pe(&go(&[
                b"botlib.Command",
                b"botlib.Download",
                b"botlib.init",
            ])),
        ),
        (
            "Go PE with botlib.Send and botlib.SendD only",
            pe(&go(&[b"botlib.Send", b"botlib.SendD", b"botlib.init"])),
        ),
        (
            "Go ELF with main.zipit",
            elf(&go(&[b"main.zipit", b"main.main"])),
        ),
        (
            "Go ELF with one WellMail string",
            elf(&go(&[b"main.zipit", b"agent.sh"])),
        ),
        (
            "Go PE with fakeLocker",
            pe(&go(&[b"fakeLocker", b"botlib.init"])),
        ),
        (
            ".NET PE with AES_Encrypt and FromBase64ToNormal",
            dotnet(&[b"AES_Encrypt", b"FromBase64ToNormal"]),
        ),
        (
            ".NET PE with WellMess but no markers or status strings",
            dotnet(&[b"WellMess", b"FromNormalToBase64", &utf16("HealthInterval")]),
        ),
        (
            ".NET PE with status strings and one identifier",
            dotnet(&[
                b"AES_Encrypt",
                b"WellMess",
                &utf16("Hello from Proxy"),
                &utf16("Start bot:"),
            ]),
        ),
        (
            "PE with every weak SoreFang trait",
            pe(&[
                b"----------Desktop directory----------",
                b"Free on disk: ",
                b"Total disk: ",
                b"Cookie:_ga=",
                &0xB7E1_5163u32.to_le_bytes(),
                &0x9E37_79B9u32.to_le_bytes(),
            ]),
        ),
        (
            "PE with one strong SoreFang trait and two weak",
            pe(&[
                b"2b6233eb3e872ff78988f4a8f3f6a3ba",
                b"Free on disk: ",
                b"Total disk: ",
            ]),
        ),
        (
            "proxy log with two of the three markers",
            b"GET / <;head;> x <;title;> y\n".to_vec(),
        ),
        (
            "markers in the wrong order",
            b"<;service;> a <;title;> b <;head;> c\n".to_vec(),
        ),
    ];
    for (what, data) in cases {
        assert_eq!(fired(&rules, &data), BTreeSet::new(), "{what}");
    }
}

#[test]
fn markers_far_apart_do_not_fire() {
    let rules = rules();
    let mut data = b"<;head;>".to_vec();
    data.extend(std::iter::repeat_n(b'a', 10_000));
    data.extend_from_slice(b"<;title;><;service;>");
    assert!(fired(&rules, &data).is_empty());
}

#[test]
fn positive_examples_without_their_header_fire_no_executable_rule() {
    let rules = rules();
    let names = [
        "windows/wellmess-go.exe",
        "windows/wellmess-dotnet.exe",
        "windows/sorefang.exe",
        "linux/wellmail",
    ];
    for name in names {
        let bytes = std::fs::read(examples().join(name)).unwrap();
        // The same traits without the headers: as the raw body, and as
        // plain text with the NUL separators made newlines.
        let body = bytes[0x200..].to_vec();
        let text: Vec<u8> = body
            .iter()
            .map(|&b| if b == 0 { b'\n' } else { b })
            .collect();
        for data in [body, text] {
            let hits = fired(&rules, &data);
            for rule in EXECUTABLE_RULES {
                assert!(
                    !hits.contains(rule),
                    "{name} without its header fired {rule}"
                );
            }
        }
    }
}

#[test]
fn rules_are_specific_to_their_platform() {
    let rules = rules();
    // Each example's traits behind the other platform's header.
    let cases = [
        ("windows/wellmess-go.exe", set(&[GO_ELF])),
        ("windows/wellmess-dotnet.exe", set(&[])),
        ("windows/sorefang.exe", set(&[])),
        ("linux/wellmail", set(&[])),
    ];
    for (name, want) in cases {
        let bytes = std::fs::read(examples().join(name)).unwrap();
        let mut swapped = if bytes.starts_with(b"MZ") {
            elf(&[])
        } else {
            pe(&[])
        };
        swapped.truncate(0x200);
        swapped.extend_from_slice(&bytes[0x200..]);
        assert_eq!(
            fired(&rules, &swapped),
            want,
            "{name} behind the other header"
        );
    }
}

#[test]
fn truncated_and_odd_headers_do_not_fire() {
    let rules = rules();
    let go_pe = std::fs::read(examples().join("windows/wellmess-go.exe")).unwrap();
    // e_lfanew pointing past the end of the file.
    let mut bad = go_pe.clone();
    bad[0x3c..0x40].copy_from_slice(&0xFFFF_0000u32.to_le_bytes());
    assert!(fired(&rules, &bad).is_empty());
    // MZ without a PE signature.
    let mut bad = go_pe.clone();
    bad[0x80..0x84].copy_from_slice(b"NE\0\0");
    assert!(fired(&rules, &bad).is_empty());
    for n in [0, 1, 2, 3, 4, 0x3c, 0x41, 0x84] {
        assert!(fired(&rules, &go_pe[..n]).is_empty(), "first {n} bytes");
    }
}

#[test]
fn the_pack_files_do_not_match_the_pack_rules() {
    let rules = rules();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../packs")
        .join(PACK);
    let mut files = Vec::new();
    walk(&root, &mut files);
    assert!(files.len() > 5);
    for path in files {
        let text = std::fs::read(&path).unwrap();
        assert!(fired(&rules, &text).is_empty(), "{}", path.display());
    }
}
