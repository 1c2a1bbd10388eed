//! `--case`, `case show` and `packs list | show | validate` end to end.

mod common;

use common::*;

#[test]
fn rerunning_a_hunt_into_a_case_does_not_duplicate_findings() {
    let d = tempfile::tempdir().unwrap();
    let pack = write_pack(d.path(), None);
    let ev = d.path().join("ev");
    std::fs::create_dir(&ev).unwrap();
    std::fs::write(ev.join("a"), MARKER).unwrap();
    std::fs::write(ev.join("b"), MARKER).unwrap();
    let case = d.path().join("case.db");
    for _ in 0..2 {
        let st = antibody()
            .args(["hunt", "--no-builtin", "--quiet", "--pack"])
            .arg(&pack)
            .arg(&ev)
            .arg("--case")
            .arg(&case)
            .output()
            .unwrap();
        assert_eq!(st.status.code(), Some(1));
    }
    let out = antibody()
        .args(["case", "show", "--format", "json"])
        .arg(&case)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["hunts"].as_array().unwrap().len(), 2);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 2, "{doc:#}");
    let text = antibody()
        .args(["case", "show"])
        .arg(&case)
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("Test marker present"), "{text}");
}

#[test]
fn case_show_on_a_missing_or_foreign_file_fails_clearly() {
    let d = tempfile::tempdir().unwrap();
    let out = antibody()
        .args(["case", "show"])
        .arg(d.path().join("nope.db"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.db"));
    let junk = d.path().join("junk.db");
    std::fs::write(&junk, vec![0x42u8; 4096]).unwrap();
    let out = antibody()
        .args(["case", "show"])
        .arg(&junk)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        std::fs::read(&junk).unwrap(),
        vec![0x42u8; 4096],
        "a foreign file is never modified"
    );
}

#[test]
fn packs_list_and_show_the_builtin_pack() {
    let out = antibody().args(["packs", "list"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success());
    assert!(
        text.lines()
            .any(|l| l.starts_with("apt29-2020") && l.contains("built-in")),
        "{text}"
    );
    let out = antibody()
        .args(["packs", "show", "apt29-2020"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("sha256") && text.contains("https://"),
        "{text}"
    );
    let out = antibody().args(["packs", "show", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("apt29-2020"));
}

#[test]
fn packs_validate_reports_every_problem_with_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    let pack = write_pack(d.path(), None);
    let (code, text) = packs_validate(&pack);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("ok: pack test-pack"), "{text}");

    std::fs::write(
        pack.join("yara/broken.yar"),
        "rule Broken {\n  condition:\n    nothing\n}\n",
    )
    .unwrap();
    std::fs::write(
        pack.join("indicators.toml"),
        "[[indicator]]\ntype = \"md5\"\nvalue = \"xyz\"\ndescription = \"bad\"\nseverity = \"high\"\nsource = \"t\"\n\n[[indicator]]\ntype = \"ipv4\"\nvalue = \"999.1.1.1\"\ndescription = \"bad\"\nseverity = \"high\"\nsource = \"t\"\n",
    )
    .unwrap();
    let (code, text) = packs_validate(&pack);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("indicators.toml:1: md5 `xyz`"), "{text}");
    assert!(
        text.contains("indicators.toml:8: ipv4 `999.1.1.1`"),
        "{text}"
    );
    assert!(text.contains("invalid: 2 errors"), "{text}");

    // Indicators fixed: now only the YARA file is wrong, named with its line.
    write_pack(d.path(), None);
    let (code, text) = packs_validate(&pack);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("yara/broken.yar:3"), "{text}");
}
