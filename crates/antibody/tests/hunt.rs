//! `antibody hunt` end to end: findings, formats, exit codes, and hostile
//! input from the foundation issue, each a test.

mod common;

use common::*;
use std::ffi::OsStr;
use std::io::Write;

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

#[test]
fn yara_hash_and_name_indicators_fire_with_their_locations() {
    let d = tempfile::tempdir().unwrap();
    let sample = format!("inert text carrying {MARKER} for the rule").into_bytes();
    let pack = write_pack(d.path(), Some(&sample));
    let ev = d.path().join("ev");
    std::fs::create_dir_all(ev.join("sub")).unwrap();
    std::fs::write(ev.join("sub/sample.bin"), &sample).unwrap();
    std::fs::write(ev.join("dropper-01.sh"), "echo harmless\n").unwrap();
    std::fs::write(ev.join("clean.txt"), "nothing here\n").unwrap();
    let (code, doc) = hunt_json(&pack, &[ev.as_os_str()]);
    assert_eq!(code, 1, "findings give exit code 1: {doc:#}");
    let mut ids = rule_ids(&doc);
    ids.sort();
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert!(ids.contains(&"Test_Marker".to_string()));
    assert!(ids.iter().any(|i| i.starts_with("sha256:")));
    assert!(ids.contains(&"file_name:dropper-*.sh".to_string()));
    let yara = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"]["id"] == "Test_Marker")
        .unwrap();
    assert!(
        yara["file"]["path"]
            .as_str()
            .unwrap()
            .ends_with("sub/sample.bin")
    );
    assert_eq!(yara["antibody"]["severity"], "high");
    assert_eq!(yara["antibody"]["offset"], 20);
    assert_eq!(yara["antibody"]["action"], "Remove the test file.");
    assert_eq!(yara["threat"]["technique"]["id"][0], "T1059");
    assert_eq!(yara["rule"]["reference"][0], "https://example.org/advisory");
    assert_eq!(yara["file"]["hash"]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(doc["summary"]["items"], 3);
    assert_eq!(doc["summary"]["findings"]["critical"], 1);
}

#[test]
fn clean_evidence_exits_zero() {
    let d = tempfile::tempdir().unwrap();
    let pack = write_pack(d.path(), None);
    std::fs::write(d.path().join("a.txt"), "nothing").unwrap();
    let (code, doc) = hunt_json(&pack, &[d.path().join("a.txt").as_os_str()]);
    assert_eq!(code, 0);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 0);
}

#[test]
fn archive_members_are_hunted_and_located_with_bang() {
    let d = tempfile::tempdir().unwrap();
    let pack = write_pack(d.path(), None);
    let inner = zip_bytes(&[("deep/x.dat", MARKER.as_bytes())]);
    let outer = zip_bytes(&[("dir/inner.zip", &inner), ("readme.txt", b"hello")]);
    // tar.gz with the marker too.
    let mut tar = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(MARKER.len() as u64);
    h.set_cksum();
    tar.append_data(&mut h, "t/inner.txt", MARKER.as_bytes())
        .unwrap();
    let tar = tar.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).unwrap();
    let ev = d.path().join("ev");
    std::fs::create_dir(&ev).unwrap();
    std::fs::write(ev.join("outer.zip"), outer).unwrap();
    std::fs::write(ev.join("logs.tgz"), gz.finish().unwrap()).unwrap();
    let (code, doc) = hunt_json(&pack, &[ev.as_os_str()]);
    assert_eq!(code, 1, "{doc:#}");
    let mut paths: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["antibody"]["location"].as_str().unwrap().to_string())
        .collect();
    paths.sort();
    assert_eq!(paths.len(), 2, "{paths:?}");
    assert!(
        paths
            .iter()
            .any(|p| p.ends_with("outer.zip!dir/inner.zip!deep/x.dat")),
        "{paths:?}"
    );
    assert!(
        paths
            .iter()
            .any(|p| p.contains("logs.tgz!") && p.ends_with("!t/inner.txt")),
        "{paths:?}"
    );
}

#[test]
fn ndjson_is_one_finding_per_line() {
    let d = tempfile::tempdir().unwrap();
    let pack = write_pack(d.path(), None);
    let ev = d.path().join("ev");
    std::fs::create_dir(&ev).unwrap();
    for i in 0..3 {
        std::fs::write(ev.join(format!("f{i}")), MARKER).unwrap();
    }
    let out = antibody()
        .args([
            "hunt",
            "--no-builtin",
            "--quiet",
            "--format",
            "ndjson",
            "--pack",
        ])
        .arg(&pack)
        .arg(&ev)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    for l in lines {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["event"]["kind"], "alert");
        assert_eq!(v["rule"]["id"], "Test_Marker");
    }
    // Without --quiet the person watching gets the totals on stderr.
    let out = antibody()
        .args(["hunt", "--no-builtin", "--format", "ndjson", "--pack"])
        .arg(&pack)
        .arg(&ev)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 3);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("3 findings"), "{err}");
}

#[test]
fn output_file_gets_json_and_terminal_gets_summary() {
    let d = tempfile::tempdir().unwrap();
    let pack = write_pack(d.path(), None);
    std::fs::write(d.path().join("f"), MARKER).unwrap();
    let out_file = d.path().join("findings.json");
    let out = antibody()
        .args([
            "hunt",
            "--no-builtin",
            "--quiet",
            "--format",
            "json",
            "--pack",
        ])
        .arg(&pack)
        .arg(d.path().join("f"))
        .arg("--output")
        .arg(&out_file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
    let term = String::from_utf8(out.stdout).unwrap();
    assert!(term.contains("Test marker present"), "{term}");
}

#[test]
fn missing_path_is_fatal_and_named() {
    let d = tempfile::tempdir().unwrap();
    let missing = d.path().join("no-such-dir");
    let out = antibody().arg("hunt").arg(&missing).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("no-such-dir") && err.contains("no such file"),
        "{err}"
    );
}

#[test]
fn nothing_to_hunt_is_a_usage_error() {
    let out = antibody().arg("hunt").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn empty_files_and_non_utf8_names() {
    let d = tempfile::tempdir().unwrap();
    let pack = write_pack(d.path(), None);
    let ev = d.path().join("ev");
    std::fs::create_dir(&ev).unwrap();
    std::fs::write(ev.join("empty"), b"").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        std::fs::write(ev.join(OsStr::from_bytes(b"bad\xffname")), MARKER).unwrap();
    }
    let (code, doc) = hunt_json(&pack, &[ev.as_os_str()]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(doc["summary"]["kinds"]["empty"], 1);
    #[cfg(unix)]
    assert!(
        doc["findings"][0]["antibody"]["location"]
            .as_str()
            .unwrap()
            .ends_with("bad\\xffname")
    );
    assert!(doc["errors"].as_array().unwrap().is_empty());
}

#[test]
fn sparse_20gb_file_is_skipped_by_size_not_read() {
    let d = tempfile::tempdir().unwrap();
    let pack = write_pack(d.path(), None);
    let big = d.path().join("sparse.img");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(20 << 30)
        .unwrap();
    let t = std::time::Instant::now();
    let (code, doc) = hunt_json(&pack, &[big.as_os_str()]);
    assert!(
        t.elapsed().as_secs() < 60,
        "a skipped file must not be read"
    );
    assert_eq!(code, 0, "a deliberate skip is not a read failure: {doc:#}");
    let errs = errors(&doc);
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].1, "skipped");
    assert!(errs[0].2.contains("max-file-size"), "{errs:?}");
    assert_eq!(doc["summary"]["skipped"], 1);
}

#[test]
fn max_file_size_option_is_honoured() {
    let d = tempfile::tempdir().unwrap();
    let pack = write_pack(d.path(), None);
    std::fs::write(d.path().join("f"), format!("{MARKER}{}", "x".repeat(5000))).unwrap();
    let (code, doc) = hunt_json(
        &pack,
        &[
            os("--max-file-size"),
            os("4K"),
            d.path().join("f").as_os_str(),
        ],
    );
    assert_eq!(code, 0);
    assert_eq!(errors(&doc)[0].1, "skipped");
}

#[test]
fn flat_and_nested_zip_bombs_are_stopped_and_reported() {
    let d = tempfile::tempdir().unwrap();
    let pack = write_pack(d.path(), None);
    // Flat: 300 MiB of zeros, a few hundred KiB compressed.
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(false);
    w.start_file("zeros.bin", opts).unwrap();
    let block = vec![0u8; 1 << 20];
    for _ in 0..300 {
        w.write_all(&block).unwrap();
    }
    let flat = w.finish().unwrap().into_inner();
    // Nested: a marker 9 zips deep.
    let mut nested = zip_bytes(&[("core.txt", MARKER.as_bytes())]);
    for i in 0..9 {
        nested = zip_bytes(&[(&format!("level{i}.zip"), &nested)]);
    }
    let ev = d.path().join("ev");
    std::fs::create_dir(&ev).unwrap();
    std::fs::write(ev.join("flat.zip"), flat).unwrap();
    std::fs::write(ev.join("nested.zip"), nested).unwrap();
    std::fs::write(ev.join("other.txt"), MARKER).unwrap();
    let (code, doc) = hunt_json(&pack, &[ev.as_os_str()]);
    assert_eq!(code, 3, "limits hit mean not everything was read: {doc:#}");
    let errs = errors(&doc);
    assert!(
        errs.iter()
            .any(|e| e.0.contains("flat.zip") && e.1 == "limit"),
        "{errs:?}"
    );
    assert!(
        errs.iter()
            .any(|e| e.0.contains("nested.zip") && e.1 == "limit" && e.2.contains("deep")),
        "{errs:?}"
    );
    // The rest of the hunt went on.
    assert!(rule_ids(&doc).contains(&"Test_Marker".to_string()));
}

#[test]
fn zip_slip_names_are_shown_and_nothing_is_written() {
    let d = tempfile::tempdir().unwrap();
    let pack = write_pack(d.path(), None);
    let work = d.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let z = zip_bytes(&[
        ("../../escaped.txt", MARKER.as_bytes()),
        ("/abs/evil.txt", b"x"),
    ]);
    let zpath = d.path().join("slip.zip");
    std::fs::write(&zpath, z).unwrap();
    let out = antibody()
        .current_dir(&work)
        .args([
            "hunt",
            "--no-builtin",
            "--quiet",
            "--format",
            "json",
            "--pack",
        ])
        .arg(&pack)
        .arg(&zpath)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["findings"][0]["antibody"]["location"].as_str().unwrap(),
        format!("{}!../../escaped.txt", zpath.display())
    );
    assert_eq!(std::fs::read_dir(&work).unwrap().count(), 0);
    assert!(!d.path().join("escaped.txt").exists());
    assert!(!std::path::Path::new("/abs/evil.txt").exists());
}

#[test]
fn corrupted_zip_is_an_error_and_the_hunt_goes_on() {
    let d = tempfile::tempdir().unwrap();
    let pack = write_pack(d.path(), None);
    let mut z = zip_bytes(&[("a.txt", b"hello world hello world"), ("b.txt", b"more")]);
    let n = z.len();
    z.truncate(n - 30); // cut into the central directory
    std::fs::write(d.path().join("broken.zip"), z).unwrap();
    std::fs::write(d.path().join("good.txt"), MARKER).unwrap();
    let (code, doc) = hunt_json(
        &pack,
        &[
            d.path().join("broken.zip").as_os_str(),
            d.path().join("good.txt").as_os_str(),
        ],
    );
    assert_eq!(code, 3);
    let errs = errors(&doc);
    assert!(
        errs.iter()
            .any(|e| e.0.ends_with("broken.zip") && e.1 == "corrupt"),
        "{errs:?}"
    );
    assert_eq!(rule_ids(&doc), vec!["Test_Marker"]);
}

#[test]
fn broken_yara_in_a_user_pack_names_file_and_line_and_builtins_keep_working() {
    let d = tempfile::tempdir().unwrap();
    let pack = write_pack(d.path(), None);
    std::fs::write(
        pack.join("yara/broken.yar"),
        "rule Broken {\n  strings:\n    $a = \"abc\"\n  condition:\n    $a and $b\n}\n",
    )
    .unwrap();
    std::fs::write(d.path().join("f"), MARKER).unwrap();
    // With built-in packs on: they still load, and our good rule still fires.
    let out = antibody()
        .args(["hunt", "--quiet", "--format", "json", "--pack"])
        .arg(&pack)
        .arg(d.path().join("f"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let errs = errors(&doc);
    assert!(
        errs.iter()
            .any(|e| e.0.ends_with("yara/broken.yar:5") && e.2.contains("$b")),
        "{errs:?}"
    );
    assert!(rule_ids(&doc).contains(&"Test_Marker".to_string()));
    let packs: Vec<&str> = doc["summary"]["packs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        packs.contains(&"apt29-2020") && packs.contains(&"test-pack"),
        "{packs:?}"
    );
}

#[cfg(unix)]
#[test]
fn unreadable_files_and_folders_are_reported_and_the_rest_hunted() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let pack = write_pack(d.path(), None);
    let ev = d.path().join("ev");
    std::fs::create_dir_all(ev.join("locked")).unwrap();
    std::fs::write(ev.join("locked/inside"), MARKER).unwrap();
    std::fs::write(ev.join("secret"), MARKER).unwrap();
    std::fs::write(ev.join("open"), MARKER).unwrap();
    for p in [&pack, &ev] {
        for e in walk(p) {
            std::fs::set_permissions(
                &e,
                std::fs::Permissions::from_mode(if e.is_dir() { 0o755 } else { 0o644 }),
            )
            .unwrap();
        }
    }
    std::fs::set_permissions(ev.join("locked"), std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::set_permissions(ev.join("secret"), std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads everything: drop to an unprivileged user when we are root.
    let bin = assert_cmd::cargo::cargo_bin("antibody");
    let mut cmd = if is_root() {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(&bin);
        c
    } else {
        std::process::Command::new(&bin)
    };
    let out = cmd
        .args([
            "hunt",
            "--no-builtin",
            "--quiet",
            "--format",
            "json",
            "--pack",
        ])
        .arg(&pack)
        .arg(&ev)
        .output()
        .unwrap();
    std::fs::set_permissions(ev.join("locked"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(out.status.code(), Some(3), "{doc:#}");
    let errs = errors(&doc);
    assert!(
        errs.iter().any(|e| e.0.ends_with("ev/secret")
            && e.1 == "unreadable"
            && e.2.contains("permission denied")),
        "{errs:?}"
    );
    assert!(
        errs.iter()
            .any(|e| e.0.ends_with("ev/locked") && e.1 == "unreadable"),
        "{errs:?}"
    );
    assert_eq!(rule_ids(&doc), vec!["Test_Marker"]);
    assert!(
        doc["findings"][0]["antibody"]["location"]
            .as_str()
            .unwrap()
            .ends_with("ev/open")
    );
}

fn walk(p: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut v = vec![p.to_path_buf()];
    if p.is_dir() {
        for e in std::fs::read_dir(p).unwrap() {
            v.extend(walk(&e.unwrap().path()));
        }
    }
    v
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

#[test]
fn examples_hunt_shows_findings() {
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let out = antibody()
        .args(["hunt", "--quiet", "--format", "json"])
        .arg(&examples)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{doc:#}");
    let ids = rule_ids(&doc);
    assert!(ids.len() >= 5, "{ids:?}");
    // Logs are hunted by the log engine now: the pack's Sigma rules fire on
    // the example access and VPN logs, the CVE-2019-19781 chain is
    // correlated, and the pack's IP shows up in a Sysmon event.
    for id in [
        "a841a913-dca6-4412-9499-85db32cd3bd5",
        "e3878d1b-104d-4888-b388-8e098d642aa8",
        "7388c181-4074-4f6f-a0a0-a4f2765a139c",
        "dcdb449d-a3a7-4c9c-8bcd-5a62d68687ab",
        "ipv4:103.216.221.19",
    ] {
        assert!(ids.iter().any(|i| i == id), "{id} missing from {ids:?}");
    }
    assert!(doc["summary"]["not_hunted"].get("log").is_none(), "{doc:#}");
    assert!(doc["summary"]["sigma_rules"].as_u64().unwrap() >= 16);
    assert!(doc["summary"]["log_events"].as_u64().unwrap() >= 40);
    // The benign lines around the attacks raise nothing.
    let benign = doc["findings"].as_array().unwrap().iter().any(|f| {
        f["antibody"]["events"][0]["raw"]
            .as_str()
            .is_some_and(|r| r.contains("GET /index.html") || r.contains("robots.txt"))
    });
    assert!(!benign, "{doc:#}");
}

#[cfg(target_os = "linux")]
#[test]
fn processes_memory_is_hunted_and_unreadable_processes_are_reported() {
    let d = tempfile::tempdir().unwrap();
    let pack = write_pack(d.path(), None);
    // A harmless child that builds the marker at run time and waits.
    let (a, b) = MARKER.split_at(10);
    let mut child = std::process::Command::new("python3")
        .args(["-c", &format!("import time\ns = ''.join(['{a}', '{b}']) * 3\nprint('ready', flush=True)\ntime.sleep(60)")])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 is installed by scripts/test");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "ready");
    let (code, doc) = hunt_json(&pack, &[os("--processes")]);
    child.kill().ok();
    child.wait().ok();
    let me = format!("pid:{} ", child.id());
    let hit = doc["findings"].as_array().unwrap().iter().any(|f| {
        f["antibody"]["location"].as_str().unwrap().starts_with(&me)
            && f["rule"]["id"] == "Test_Marker"
            && f["event"]["dataset"] == "antibody.memory"
    });
    let denied = errors(&doc)
        .iter()
        .any(|e| e.0.starts_with(&me) && e.2.contains("permission denied"));
    assert!(
        hit || denied,
        "child {me} neither hunted nor reported: {doc:#}"
    );
    if is_root() {
        assert!(hit, "root reads every process: {doc:#}");
    }
    assert!(code == 1 || code == 3, "{code}");
    assert!(doc["summary"]["items"].as_u64().unwrap() > 1);
}

#[test]
fn folded_string_hits_are_not_reported_again_on_the_tar_around_them() {
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let sample = std::fs::read(examples.join("windows/wellmess-go.exe")).unwrap();
    let mut tar = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(sample.len() as u64);
    h.set_cksum();
    tar.append_data(&mut h, "bin/wm.exe", &sample[..]).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar.into_inner().unwrap()).unwrap();
    let d = tempfile::tempdir().unwrap();
    let tgz = d.path().join("drop.tgz");
    std::fs::write(&tgz, gz.finish().unwrap()).unwrap();
    let out = antibody()
        .args(["hunt", "--quiet", "--format", "json"])
        .arg(&tgz)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let locations: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["antibody"]["location"].as_str().unwrap())
        .collect();
    assert_eq!(locations.len(), 1, "{locations:?}");
    assert!(
        locations[0].ends_with("drop.tgz!drop.tar!bin/wm.exe"),
        "{locations:?}"
    );
    assert!(
        doc["findings"][0]["rule"]["description"]
            .as_str()
            .unwrap()
            .contains("string indicators also match")
    );
}
