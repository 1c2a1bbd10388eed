//! Packs: the indicators and rules of one advisory, as data.
//!
//! The on-disk format is documented in `docs/pack-format.md`. Built-in packs
//! (the `packs/` directory of the repository) are compiled into the binary;
//! `--pack DIR` loads more at run time. Nothing in code is specific to one
//! pack.

mod index;
mod load;
mod model;

pub use index::{HashAlgo, IndicatorHit, IndicatorIndex};
pub use load::{
    Diagnostic, Level, Loaded, MAX_PACK_FILE, PackError, is_attack_id, is_domain, is_non_public,
    line_of, load_dir, load_files, normalise_value,
};
pub use model::{Indicator, IndicatorType, Origin, Pack, PackMeta, RuleFile, Source};

use include_dir::{Dir, include_dir};

static BUILTIN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../packs");

/// Names of the packs compiled into the binary.
pub fn builtin_names() -> Vec<&'static str> {
    let mut names: Vec<&str> = BUILTIN
        .dirs()
        .filter(|d| d.get_file(d.path().join("pack.toml")).is_some())
        .filter_map(|d| d.path().file_name()?.to_str())
        .collect();
    names.sort_unstable();
    names
}

/// Loads one built-in pack by name.
pub fn builtin(name: &str) -> Option<Result<Loaded, PackError>> {
    let dir = BUILTIN.get_dir(name)?;
    let mut files = Vec::new();
    collect_embedded(dir, dir.path(), &mut files);
    Some(load_files(files, Origin::Builtin, Vec::new()))
}

/// Loads every built-in pack.
pub fn builtins() -> Vec<Result<Loaded, PackError>> {
    builtin_names().into_iter().filter_map(builtin).collect()
}

fn collect_embedded(dir: &Dir<'static>, root: &std::path::Path, out: &mut Vec<(String, Vec<u8>)>) {
    for f in dir.files() {
        let rel = f.path().strip_prefix(root).unwrap_or(f.path());
        out.push((
            rel.to_string_lossy().replace('\\', "/"),
            f.contents().to_vec(),
        ));
    }
    for d in dir.dirs() {
        collect_embedded(d, root, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"
[pack]
name = "test-pack"
version = "1.0.0"
description = "test"

[[source]]
id = "s1"
title = "Source"
url = "https://example.org/a"
"#;

    fn load(indicators: &str) -> Result<Loaded, PackError> {
        load_files(
            vec![
                ("pack.toml".into(), MANIFEST.as_bytes().to_vec()),
                ("indicators.toml".into(), indicators.as_bytes().to_vec()),
            ],
            Origin::Builtin,
            Vec::new(),
        )
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let text = r#"
[[indicator]]
type = "sha256"
value = "abc"
description = "too short"
severity = "high"
source = "s1"

[[indicator]]
type = "ipv4"
value = "192.0.2.300"
description = "bad ip"
severity = "high"
source = "s1"

[[indicator]]
type = "domain"
value = "Evil.Example.COM"
description = "fine"
severity = "loud"
source = "nope"
"#;
        let err = load(text).unwrap_err();
        let lines: Vec<_> = err
            .diagnostics
            .iter()
            .map(|d| (d.line, d.message.clone()))
            .collect();
        assert_eq!(err.diagnostics.len(), 3, "{lines:?}");
        assert_eq!(lines[0].0, Some(2));
        assert!(lines[0].1.contains("64 hex digits"));
        assert_eq!(lines[1].0, Some(9));
        assert!(lines[1].1.contains("not an IPv4"));
        assert_eq!(lines[2].0, Some(16));
        assert!(lines[2].1.contains("unknown severity"));
    }

    #[test]
    fn values_are_normalised() {
        let text = r#"
[[indicator]]
type = "sha256"
value = "0322C4C2D511F73AB55BF3F43B1B0F152188D7146CC67FF497AD275D9DD1C20F"
description = "x"
severity = "critical"
source = "s1"

[[indicator]]
type = "domain"
value = "Evil.Example.COM."
description = "x"
severity = "high"
source = "s1"
"#;
        let loaded = load(text).unwrap();
        assert_eq!(
            loaded.pack.indicators[0].value,
            "0322c4c2d511f73ab55bf3f43b1b0f152188d7146cc67ff497ad275d9dd1c20f"
        );
        assert_eq!(loaded.pack.indicators[1].value, "evil.example.com");
        assert_eq!(
            loaded.pack.indicators[0].confidence,
            crate::Confidence::High
        );
    }

    #[test]
    fn syntax_error_names_line() {
        let err = load("[[indicator]]\ntype = \"md5\"\nvalue = \n").unwrap_err();
        assert_eq!(err.diagnostics[0].file, "indicators.toml");
        assert_eq!(err.diagnostics[0].line, Some(3));
    }

    #[test]
    fn unknown_field_is_an_error() {
        let err =
            load("[[indicator]]\ntype = \"md5\"\nvalue = \"x\"\ncolour = \"red\"\n").unwrap_err();
        assert!(
            err.diagnostics[0].message.contains("colour"),
            "{:?}",
            err.diagnostics
        );
    }

    #[test]
    fn private_ip_is_a_warning_not_an_error() {
        let text = "[[indicator]]\ntype = \"ipv4\"\nvalue = \"192.168.169.103\"\ndescription = \"x\"\nseverity = \"low\"\nsource = \"s1\"\n";
        let loaded = load(text).unwrap();
        assert_eq!(loaded.warnings.len(), 1);
        assert!(loaded.warnings[0].message.contains("private"));
    }

    #[test]
    fn value_checks() {
        use IndicatorType as T;
        assert!(normalise_value(T::Cidr, "103.216.221.0/24").is_ok());
        assert_eq!(
            normalise_value(T::Cidr, "10.1.2.3/8").unwrap(),
            "10.0.0.0/8"
        );
        assert!(normalise_value(T::Url, "example.com/x").is_err());
        assert!(normalise_value(T::Email, "a@b").is_err());
        assert!(normalise_value(T::FileName, "[").is_err());
        assert!(normalise_value(T::Domain, "1.2.3.4").is_err());
        assert!(normalise_value(T::Ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1").is_ok());
        assert_eq!(
            normalise_value(
                T::X509Fingerprint,
                "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd"
            )
            .unwrap()
            .len(),
            40
        );
        assert!(is_attack_id("T1573.002") && is_attack_id("S0514") && is_attack_id("TA0001"));
        assert!(!is_attack_id("T15") && !is_attack_id("X0001"));
    }

    #[test]
    fn hostile_pack_files_are_errors_not_crashes() {
        // Wrong encoding: named with the offset of the bad byte.
        let mut bytes = b"[[indicator]]\ntype = \"md5\"\n".to_vec();
        bytes.extend_from_slice(&[0xff, 0xfe, b'\n']);
        let err = load_files(
            vec![
                ("pack.toml".into(), MANIFEST.as_bytes().to_vec()),
                ("indicators.toml".into(), bytes),
            ],
            Origin::Builtin,
            Vec::new(),
        )
        .unwrap_err();
        assert!(
            err.diagnostics[0].message.contains("not UTF-8")
                && err.diagnostics[0].message.contains("27")
        );
        // Deeply nested arrays: rejected by the parser, no stack overflow.
        let deep = format!("x = {}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(load(&deep).is_err());
        // Truncated mid-table.
        assert!(load("[[indicator]]\ntype = \"sha256\"\nvalue = \"ab").is_err());
        // Oversized: 20,000 indicators load (bounded only by MAX_PACK_FILE).
        let mut many = String::new();
        for i in 0..20_000u32 {
            many.push_str(&format!(
                "[[indicator]]\ntype = \"md5\"\nvalue = \"{i:032x}\"\ndescription = \"d\"\nseverity = \"high\"\nsource = \"s1\"\n"
            ));
        }
        assert_eq!(load(&many).unwrap().pack.indicators.len(), 20_000);
    }

    #[test]
    fn file_sources_and_intel_material_are_accepted() {
        let manifest = MANIFEST.replace("https://example.org/a", "file:///srv/advisory.pdf");
        let loaded = load_files(
            vec![
                ("pack.toml".into(), manifest.into_bytes()),
                ("intel/observables.json".into(), b"{}".to_vec()),
                ("intel/suricata.rules".into(), b"alert ip any any".to_vec()),
            ],
            Origin::Builtin,
            Vec::new(),
        )
        .unwrap();
        assert_eq!(loaded.pack.sources[0].url, "file:///srv/advisory.pdf");
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);

        let manifest = MANIFEST.replace("https://example.org/a", "ftp://example.org/a");
        let err = load_files(
            vec![("pack.toml".into(), manifest.into_bytes())],
            Origin::Builtin,
            Vec::new(),
        )
        .unwrap_err();
        assert!(
            err.diagnostics[0]
                .message
                .contains("not an http(s) or file URL")
        );

        // A directory on disk: `intel/` is not even read, so its size does not
        // matter; other unknown files still warn.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pack.toml"), MANIFEST).unwrap();
        std::fs::create_dir(dir.path().join("intel")).unwrap();
        let big = vec![b'x'; (MAX_PACK_FILE + 1) as usize];
        std::fs::write(dir.path().join("intel/observables.json"), big).unwrap();
        std::fs::write(dir.path().join("notes.rtf"), "x").unwrap();
        let loaded = load_dir(dir.path()).unwrap();
        assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
        assert_eq!(loaded.warnings[0].file, "notes.rtf");
    }

    #[test]
    fn builtin_packs_load_cleanly() {
        let names = builtin_names();
        assert!(names.contains(&"apt29-2020"), "{names:?}");
        for r in builtins() {
            let loaded = r.unwrap_or_else(|e| panic!("{e}: {:#?}", e.diagnostics));
            assert!(loaded.warnings.iter().all(|w| w.level == Level::Warning));
            assert!(!loaded.pack.indicators.is_empty());
        }
    }
}
