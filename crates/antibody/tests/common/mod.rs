//! Helpers shared by the CLI tests: a test pack, evidence builders, and a
//! runner for the real binary.

#![allow(dead_code)]

use assert_cmd::Command;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A marker only our test evidence contains.
pub const MARKER: &str = "antibody-test-marker-7f3a9c";

/// The binary under test.
pub fn antibody() -> Command {
    let mut c = Command::cargo_bin("antibody").expect("binary built");
    c.env("NO_COLOR", "1");
    c
}

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs the binary with `args` and reads its standard output as one JSON
/// document: the exit code, the document and standard error. A run whose
/// output is not JSON fails the test, showing both streams.
pub fn json_output<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> (i32, serde_json::Value, String) {
    let out = antibody().args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "bad JSON ({e}): {}\nstderr: {stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (out.status.code().unwrap_or(-1), doc, stderr)
}

/// `antibody ARGS --format json --quiet`, as [`json_output`].
pub fn run_json(args: &[&std::ffi::OsStr]) -> (i32, serde_json::Value, String) {
    let mut all = args.to_vec();
    all.extend(["--format", "json", "--quiet"].map(std::ffi::OsStr::new));
    json_output(&all)
}

/// Writes a user pack with one YARA rule on [`MARKER`], a SHA-256
/// indicator for `hash_of` (if given), and a file-name indicator
/// `dropper-*.sh`.
pub fn write_pack(dir: &Path, hash_of: Option<&[u8]>) -> PathBuf {
    let p = dir.join("testpack");
    std::fs::create_dir_all(p.join("yara")).unwrap();
    std::fs::write(
        p.join("pack.toml"),
        r#"[pack]
name = "test-pack"
version = "1.0.0"
description = "Test pack"
default_action = "Look at it."

[[source]]
id = "t"
title = "Test source"
url = "https://example.org/advisory"
"#,
    )
    .unwrap();
    let mut ind = String::from(
        r#"[[indicator]]
type = "file_name"
value = "dropper-*.sh"
description = "test dropper name"
severity = "medium"
attack = ["T1105"]
source = "t"
"#,
    );
    if let Some(data) = hash_of {
        use sha2::Digest;
        let h = hex::encode(sha2::Sha256::digest(data));
        ind.push_str(&format!(
            "\n[[indicator]]\ntype = \"sha256\"\nvalue = \"{h}\"\ndescription = \"test sample\"\nseverity = \"critical\"\nattack = [\"S0514\"]\nsource = \"t\"\nmalware = \"TestMal\"\n"
        ));
    }
    std::fs::write(p.join("indicators.toml"), ind).unwrap();
    std::fs::write(
        p.join("yara/test.yar"),
        format!(
            r#"rule Test_Marker {{
  meta:
    description = "Test marker present"
    severity = "high"
    confidence = "high"
    attack = "T1059"
    source = "t"
    action = "Remove the test file."
  strings:
    $m = "{MARKER}"
  condition:
    $m
}}
"#
        ),
    )
    .unwrap();
    p
}

/// `antibody packs validate PACK`: the exit code and standard output.
pub fn packs_validate(pack: &Path) -> (i32, String) {
    let out = antibody()
        .args(["packs", "validate"])
        .arg(pack)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).expect("packs validate writes UTF-8");
    (out.status.code().unwrap_or(-1), text)
}

/// Builds a zip in memory from `(name, bytes)` members.
pub fn zip_bytes(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in members {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// Runs a hunt with only the test pack and JSON output; returns the exit
/// code and the parsed document.
pub fn hunt_json(pack: &Path, args: &[&std::ffi::OsStr]) -> (i32, serde_json::Value) {
    use std::ffi::OsStr;
    let mut all = ["hunt", "--no-builtin", "--pack"].map(OsStr::new).to_vec();
    all.push(pack.as_os_str());
    all.extend(["--format", "json", "--quiet"].map(OsStr::new));
    all.extend_from_slice(args);
    let (code, doc, _) = json_output(&all);
    (code, doc)
}

/// Rule ids of the findings in a JSON document.
pub fn rule_ids(doc: &serde_json::Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"]["id"].as_str().unwrap().to_string())
        .collect()
}

/// Errors of a JSON document as (item, kind, reason).
pub fn errors(doc: &serde_json::Value) -> Vec<(String, String, String)> {
    doc["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["item"].as_str().unwrap().into(),
                e["kind"].as_str().unwrap().into(),
                e["reason"].as_str().unwrap().into(),
            )
        })
        .collect()
}
