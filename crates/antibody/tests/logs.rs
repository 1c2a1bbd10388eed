//! The log engine end to end: `logs hunt`, `hunt --case` then `logs
//! timeline`, `rules check`, user Sigma rules, and hostile log files.

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const CITRIX_SUCCESS: &str = "a841a913-dca6-4412-9499-85db32cd3bd5";
const CITRIX_ATTEMPT: &str = "0d343595-6c19-4033-877a-4ce65601f92f";
const CITRIX_CHAIN: &str = "e3878d1b-104d-4888-b388-8e098d642aa8";
const PULSE_ATTEMPT: &str = "dcdb449d-a3a7-4c9c-8bcd-5a62d68687ab";
const FORTIOS_ATTEMPT: &str = "7388c181-4074-4f6f-a0a0-a4f2765a139c";

/// An ordinary request in Apache combined format.
const OK_LINE: &str = "198.51.100.7 - - [12/May/2020:08:00:00 +0000] \"GET /index.html HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"\n";
/// The Citrix CVE-2019-19781 probe of `examples/logs/access.log` line 3,
/// answered with 200.
const PROBE_LINE: &str = "203.0.113.45 - - [12/May/2020:08:03:05 +0000] \"GET /vpn/../vpns/cfg/smb.conf HTTP/1.1\" 200 158 \"-\" \"python-requests/2.22.0\"\n";

fn example_logs() -> PathBuf {
    repo().join("examples/logs")
}

/// `antibody logs hunt EXTRA... PATH` with JSON output.
fn logs_hunt(path: &Path, extra: &[&str]) -> (i32, Value, String) {
    let mut args: Vec<&std::ffi::OsStr> = vec!["logs".as_ref(), "hunt".as_ref()];
    args.extend(extra.iter().map(|s| std::ffi::OsStr::new(*s)));
    args.push(path.as_os_str());
    run_json(&args)
}

fn findings(doc: &Value) -> &Vec<Value> {
    doc["findings"].as_array().unwrap()
}

fn findings_of<'a>(doc: &'a Value, id: &str) -> Vec<&'a Value> {
    findings(doc)
        .iter()
        .filter(|f| f["rule"]["id"] == id)
        .collect()
}

/// The 1-based line numbers of the first event of each finding of `id`.
fn lines_of(doc: &Value, id: &str) -> Vec<u64> {
    let mut l: Vec<u64> = findings_of(doc, id)
        .iter()
        .map(|f| f["antibody"]["events"][0]["line"].as_u64().unwrap())
        .collect();
    l.sort();
    l
}

#[test]
fn logs_hunt_finds_the_pack_web_rules_in_the_examples() {
    let (code, doc, stderr) = logs_hunt(&example_logs(), &[]);
    assert_eq!(code, 1, "findings give exit code 1: {stderr}\n{doc:#}");
    assert_eq!(lines_of(&doc, CITRIX_SUCCESS), [3, 18, 20], "{doc:#}");
    assert_eq!(lines_of(&doc, CITRIX_ATTEMPT), [3, 17, 18, 20]);
    assert_eq!(lines_of(&doc, PULSE_ATTEMPT), [14]);
    assert_eq!(lines_of(&doc, FORTIOS_ATTEMPT), [4]);

    // The correlation carries both steps as evidence, in order.
    let chain = findings_of(&doc, CITRIX_CHAIN);
    assert_eq!(chain.len(), 1, "{doc:#}");
    let steps = chain[0]["antibody"]["events"].as_array().unwrap();
    let lines: Vec<u64> = steps.iter().map(|e| e["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [18, 20]);
    assert_eq!(chain[0]["antibody"]["severity"], "critical");

    // A finding names the event: line, time and the fields that matched.
    let hit = findings_of(&doc, CITRIX_SUCCESS)
        .into_iter()
        .find(|f| f["antibody"]["events"][0]["line"] == 3)
        .unwrap();
    let ev = &hit["antibody"]["events"][0];
    assert_eq!(ev["timestamp"], "2020-05-12T08:03:05Z");
    assert_eq!(hit["@timestamp"], "2020-05-12T08:03:05+00:00");
    let fields: Vec<(&str, &str)> = ev["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|kv| (kv[0].as_str().unwrap(), kv[1].as_str().unwrap()))
        .collect();
    assert!(
        fields.contains(&("cs-uri-stem", "/vpn/../vpns/cfg/smb.conf")),
        "{fields:?}"
    );
    assert!(fields.contains(&("sc-status", "200")), "{fields:?}");
    assert!(ev["raw"].as_str().unwrap().contains("python-requests"));
    assert!(
        hit["antibody"]["location"]
            .as_str()
            .unwrap()
            .ends_with("examples/logs/access.log")
    );
    assert_eq!(hit["event"]["dataset"], "antibody.logs");

    // Ordinary traffic fires nothing: no finding on lines 12, 13, 15 or 6.
    for f in findings(&doc) {
        for e in f["antibody"]["events"].as_array().unwrap() {
            if f["antibody"]["location"]
                .as_str()
                .unwrap()
                .ends_with("access.log")
            {
                let line = e["line"].as_u64().unwrap();
                assert!(
                    [3, 14, 17, 18, 20].contains(&line),
                    "unexpected finding on access.log line {line}: {f:#}"
                );
            }
        }
    }
    assert_eq!(doc["summary"]["sigma_rejected"], 0);
    assert!(doc["summary"]["sigma_rules"].as_u64().unwrap() >= 15);
    assert!(doc["summary"]["log_events"].as_u64().unwrap() >= 40);
}

#[test]
fn logs_hunt_runs_only_the_log_engine() {
    let examples = repo().join("examples");
    let (code, doc, stderr) = logs_hunt(&examples, &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(!findings(&doc).is_empty());
    for f in findings(&doc) {
        assert_eq!(f["event"]["dataset"], "antibody.logs", "{f:#}");
        assert!(
            f["antibody"]["location"]
                .as_str()
                .unwrap()
                .contains("examples/logs/"),
            "{f:#}"
        );
    }
    assert_eq!(doc["summary"]["yara_rules"], 0);
    // The same folder under `hunt` does report the files (YARA, names).
    let (_, all, _) = run_json(&["hunt".as_ref(), examples.as_os_str()]);
    assert!(
        findings(&all)
            .iter()
            .any(|f| f["event"]["dataset"] == "antibody.files"),
        "{all:#}"
    );
}

#[test]
fn from_after_every_event_finds_nothing() {
    let (code, doc, stderr) = logs_hunt(&example_logs(), &["--from", "2030-01-01"]);
    assert_eq!(code, 0, "{stderr}\n{doc:#}");
    assert!(findings(&doc).is_empty(), "{doc:#}");
    // The events were read, and left out by time.
    assert!(doc["summary"]["log_events"].as_u64().unwrap() > 0);
}

#[test]
fn from_and_to_narrow_the_window() {
    // access.log: line 3 at 08:03:05, line 14 at 08:20:14, line 17 at
    // 08:31:09; the rest is later.
    let (code, doc, stderr) = logs_hunt(
        &example_logs(),
        &[
            "--from",
            "2020-05-12T08:10:00Z",
            "--to",
            "2020-05-12T08:40:00Z",
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    let mut got: Vec<(String, u64)> = findings(&doc)
        .iter()
        .map(|f| {
            (
                f["rule"]["id"].as_str().unwrap().to_string(),
                f["antibody"]["events"][0]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            (CITRIX_ATTEMPT.to_string(), 17),
            (PULSE_ATTEMPT.to_string(), 14)
        ],
        "{doc:#}"
    );
}

#[test]
fn a_bad_from_is_a_usage_error_naming_the_value() {
    let out = antibody()
        .args(["logs", "hunt", "--from", "xyz"])
        .arg(example_logs())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("xyz"), "{stderr}");
    assert!(stderr.contains("--from"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn a_from_not_before_to_is_a_usage_error() {
    let out = antibody()
        .args(["logs", "hunt", "--from", "2021-01-01", "--to", "2020-01-01"])
        .arg(example_logs())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "an empty window is a mistake");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is not before --to"), "{stderr}");
    assert!(out.stdout.is_empty());
}

const GOOD_RULE: &str = r"title: Evil Tool Started
id: 11111111-2222-3333-4444-555555555555
status: experimental
level: high
logsource:
  product: windows
  category: process_creation
detection:
  sel:
    Image|endswith: '\evil-tool.exe'
  condition: sel
";

const BAD_MODIFIER: &str = r"title: Bad Modifier
id: 22222222-2222-3333-4444-555555555555
logsource:
  product: windows
  category: process_creation
detection:
  sel:
    Image|contians: 'evil'
  condition: sel
";

const CATASTROPHIC_REGEX: &str = r"title: Catastrophic Regex
id: 33333333-2222-3333-4444-555555555555
logsource:
  product: windows
  category: process_creation
detection:
  sel:
    CommandLine|re: '^(a+)+$'
  condition: sel
";

const UNKNOWN_IDENTIFIER: &str = r"title: Bad Condition
id: 44444444-2222-3333-4444-555555555555
logsource:
  product: windows
  category: process_creation
detection:
  sel:
    Image: 'x'
  condition: sel and not filter_missing
";

const NOT_YAML: &str = "title: [unclosed\n  - : : {\n";

/// Writes the good rule and the broken ones to `dir`.
fn write_rules(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("good.yml"), GOOD_RULE).unwrap();
    std::fs::write(dir.join("not_yaml.yml"), NOT_YAML).unwrap();
    std::fs::write(dir.join("bad_modifier.yml"), BAD_MODIFIER).unwrap();
    std::fs::write(dir.join("bad_condition.yml"), UNKNOWN_IDENTIFIER).unwrap();
}

/// A Winlogbeat Sysmon process creation, as `examples/logs/sysmon.jsonl`.
fn process_event(time: &str, image: &str, command_line: &str) -> String {
    serde_json::json!({
        "@timestamp": time,
        "winlog": {
            "channel": "Microsoft-Windows-Sysmon/Operational",
            "event_id": 1,
            "event_data": {"Image": image, "CommandLine": command_line},
        },
    })
    .to_string()
}

#[test]
fn user_sigma_rules_fire_and_broken_ones_are_reported() {
    let d = tempfile::tempdir().unwrap();
    let rules = d.path().join("rules");
    write_rules(&rules);
    std::fs::write(rules.join("redos.yml"), CATASTROPHIC_REGEX).unwrap();
    let ev = d.path().join("ev");
    std::fs::create_dir(&ev).unwrap();
    // 100 KB of `a` then `b`: a backtracking engine takes forever on
    // `^(a+)+$`; it must not match.
    let long = format!("{}b", "a".repeat(100 * 1024));
    // The short event first: a first line longer than the 4 KiB the
    // triage looks at makes the file `text` (see the ignored test below).
    let text = [
        process_event(
            "2021-03-01T10:00:00Z",
            r"C:\Windows\Temp\evil-tool.exe",
            "evil-tool.exe --steal",
        ),
        process_event("2021-03-01T10:00:01Z", r"C:\Windows\notepad.exe", &long),
    ]
    .join("\n");
    std::fs::write(ev.join("proc.jsonl"), text + "\n").unwrap();

    let clock = Instant::now();
    let (code, doc, stderr) = logs_hunt(&ev, &["--sigma", rules.to_str().unwrap()]);
    assert!(
        clock.elapsed() < Duration::from_secs(10),
        "took {:?}",
        clock.elapsed()
    );
    assert_eq!(code, 1, "{stderr}\n{doc:#}");
    assert!(stderr.contains("3 Sigma rule(s) rejected"), "{stderr}");
    let got: Vec<(String, u64)> = findings(&doc)
        .iter()
        .map(|f| {
            (
                f["rule"]["id"].as_str().unwrap().to_string(),
                f["antibody"]["events"][0]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [("11111111-2222-3333-4444-555555555555".to_string(), 1)],
        "only the good rule fires, on the evil-tool event: {doc:#}"
    );
    assert_eq!(doc["summary"]["sigma_rejected"], 3);
    // The pack's rules, the good one and the regex one.
    let (_, pack_only, _) = logs_hunt(&ev, &[]);
    assert_eq!(
        doc["summary"]["sigma_rules"].as_u64().unwrap(),
        pack_only["summary"]["sigma_rules"].as_u64().unwrap() + 2
    );
    assert_eq!(doc["summary"]["log_events"], 2);
}

#[test]
fn a_missing_sigma_path_is_a_usage_error() {
    let d = tempfile::tempdir().unwrap();
    let out = antibody()
        .args(["logs", "hunt", "--sigma"])
        .arg(d.path().join("nope"))
        .arg(example_logs())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope"));
}

#[test]
fn rules_check_names_each_broken_file_line_and_reason() {
    let d = tempfile::tempdir().unwrap();
    write_rules(d.path());
    let out = antibody()
        .args(["rules", "check"])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let has = |needle: &str| assert!(text.contains(needle), "no `{needle}` in:\n{text}");
    has("error[S002]");
    has("not_yaml.yml:2");
    has("error[S004]");
    has("`contians`");
    has("bad_modifier.yml:8");
    has("error[S006]");
    has("`filter_missing`");
    has("bad_condition.yml:9");
    has("1 loaded, 3 rejected");
    assert!(!text.contains("good.yml"), "{text}");

    let out = antibody()
        .args(["rules", "check", "--format", "json"])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["loaded"], 1);
    assert_eq!(doc["rejected"], 3);
    let mut errors: Vec<(String, u64, String, String)> = doc["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let file = Path::new(e["file"].as_str().unwrap());
            (
                file.file_name().unwrap().to_string_lossy().into_owned(),
                e["line"].as_u64().unwrap(),
                e["code"].as_str().unwrap().to_string(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    errors.sort();
    let summary: Vec<(&str, u64, &str)> = errors
        .iter()
        .map(|(f, l, c, _)| (f.as_str(), *l, c.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("bad_condition.yml", 9, "S006"),
            ("bad_modifier.yml", 8, "S004"),
            ("not_yaml.yml", 2, "S002"),
        ]
    );
    assert!(errors[0].3.contains("filter_missing"), "{errors:?}");
    assert!(errors[1].3.contains("contians"), "{errors:?}");
}

#[test]
fn rules_check_accepts_every_pack_rule() {
    let out = antibody()
        .args(["rules", "check"])
        .arg(repo().join("packs/apt29-2020/sigma"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains(" loaded, 0 rejected"), "{text}");
    assert!(!text.contains("error["), "{text}");
}

#[test]
fn rules_check_on_a_missing_path_is_a_usage_error() {
    let d = tempfile::tempdir().unwrap();
    let out = antibody()
        .args(["rules", "check"])
        .arg(d.path().join("nope"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Splits one RFC 4180 CSV line.
fn csv_split(line: &str) -> Vec<String> {
    let mut cols = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', false) => quoted = true,
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cols.last_mut().unwrap().push('"');
            }
            ('"', true) => quoted = false,
            (',', false) => cols.push(String::new()),
            (c, _) => cols.last_mut().unwrap().push(c),
        }
    }
    assert!(!quoted, "unbalanced quotes: {line}");
    cols
}

#[test]
fn hunt_into_a_case_then_timeline_as_csv_and_ndjson() {
    let d = tempfile::tempdir().unwrap();
    let case = d.path().join("case.db");
    let out = antibody()
        .args(["hunt", "--quiet", "--case"])
        .arg(&case)
        .arg(example_logs())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = antibody()
        .args(["logs", "timeline"])
        .arg(&case)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let header = csv_split(lines.next().unwrap());
    assert_eq!(
        header[..4],
        ["datetime", "timestamp", "timestamp_desc", "message"]
    );
    let rows: Vec<Vec<String>> = lines.map(csv_split).collect();
    assert!(rows.len() >= 15, "{text}");
    for r in &rows {
        assert_eq!(r.len(), header.len(), "{r:?}");
    }
    let micros: Vec<i64> = rows.iter().map(|r| r[1].parse().unwrap()).collect();
    assert!(micros.is_sorted(), "rows out of time order:\n{text}");
    assert_eq!(rows[0][0], "2020-05-12T08:03:05+00:00");
    // The hash rule's title has commas: one quoted column, read back whole.
    let col = header.iter().position(|h| h == "rule").unwrap();
    assert!(
        rows.iter().any(|r| r[col]
            == "APT29 2020 Malware Started (Published WellMess, WellMail or SoreFang Hash)"),
        "{text}"
    );
    assert!(text.contains("\"APT29 2020 Malware Started (Published WellMess,"));
    let id = header.iter().position(|h| h == "rule_id").unwrap();
    assert!(rows.iter().any(|r| r[id] == CITRIX_CHAIN));

    let out = antibody()
        .args(["logs", "timeline", "--format", "ndjson"])
        .arg(&case)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let docs: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(docs.len(), rows.len());
    // Same rows, same order: `datetime` ascends as the CSV's microseconds.
    let datetimes: Vec<&str> = docs
        .iter()
        .map(|d| d["datetime"].as_str().unwrap())
        .collect();
    let csv_datetimes: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(datetimes, csv_datetimes);
    assert!(docs.iter().all(|d| d["message"].is_string()));
    assert!(docs.iter().any(|d| d["rule_id"] == CITRIX_CHAIN));
}

#[test]
fn a_200_mb_line_is_cut_and_the_probe_after_it_still_found() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("access.log");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        // Three ordinary lines first, so the file is sniffed as a log.
        for _ in 0..3 {
            f.write_all(OK_LINE.as_bytes()).unwrap();
        }
        f.write_all(b"198.51.100.9 - - [12/May/2020:08:01:00 +0000] \"GET /")
            .unwrap();
        let block = vec![b'A'; 1 << 20];
        for _ in 0..200 {
            f.write_all(&block).unwrap();
        }
        f.write_all(b" HTTP/1.1\" 200 1 \"-\" \"x\"\n").unwrap();
        f.write_all(PROBE_LINE.as_bytes()).unwrap();
    }
    let clock = Instant::now();
    let (code, doc, stderr) = logs_hunt(&path, &[]);
    let took = clock.elapsed();
    assert!(took < Duration::from_secs(30), "took {took:?}");
    assert_eq!(code, 3, "the limit is reported: {stderr}\n{doc:#}");
    assert_eq!(lines_of(&doc, CITRIX_SUCCESS), [5], "{doc:#}");
    assert_eq!(lines_of(&doc, CITRIX_ATTEMPT), [5]);
    let errs = errors(&doc);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].0.ends_with("access.log"));
    assert_eq!(errs[0].1, "limit");
    assert!(errs[0].2.contains("line 4"), "{errs:?}");
    assert_eq!(doc["summary"]["kinds"]["log"], 1);
}

#[test]
fn invalid_utf8_in_a_log_does_not_stop_the_hunt() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("access.log");
    let mut data = OK_LINE.as_bytes().to_vec();
    data.extend_from_slice(
        b"198.51.100.9 - - [12/May/2020:08:01:00 +0000] \"GET /\xff\xfe\xc3\x28 HTTP/1.1\" 200 1 \"-\" \"\x80x\"\n",
    );
    data.extend_from_slice(PROBE_LINE.as_bytes());
    std::fs::write(&path, data).unwrap();
    let (code, doc, stderr) = logs_hunt(&path, &[]);
    assert_eq!(code, 1, "{stderr}\n{doc:#}");
    assert_eq!(lines_of(&doc, CITRIX_SUCCESS), [3], "{doc:#}");
    assert_eq!(doc["summary"]["log_events"], 3);
}

#[test]
fn a_truncated_evtx_reports_the_cut_and_hunts_the_complete_chunk() {
    let sample =
        std::fs::read(repo().join("crates/antibody-logs/tests/data/sysmon_file_event.evtx"))
            .unwrap();
    // The sample is the file header and one chunk of seven records; a copy
    // of that chunk cut in its middle makes a second chunk the file ends in.
    assert_eq!(sample.len(), 4096 + 65536);
    let mut data = sample.clone();
    data.extend_from_slice(&sample[4096..4096 + 30000]);
    let d = tempfile::tempdir().unwrap();
    let ev = d.path().join("ev");
    std::fs::create_dir(&ev).unwrap();
    std::fs::write(ev.join("cut.evtx"), data).unwrap();
    let rules = d.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(
        rules.join("file_created.yml"),
        r"title: Any File Created
id: 55555555-2222-3333-4444-555555555555
level: low
logsource:
  product: windows
  category: file_event
detection:
  sel:
    TargetFilename|contains: '\'
  condition: sel
",
    )
    .unwrap();
    let (code, doc, stderr) = logs_hunt(
        &ev,
        &[
            "--sigma",
            rules.to_str().unwrap(),
            "--max-findings-per-rule",
            "100",
        ],
    );
    assert_eq!(code, 3, "evidence partly unreadable: {stderr}\n{doc:#}");
    let errs = errors(&doc);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].0.ends_with("cut.evtx"), "{errs:?}");
    assert_eq!(errs[0].1, "corrupt");
    assert!(errs[0].2.contains("truncated in chunk 1"), "{errs:?}");
    assert_eq!(doc["summary"]["log_events"], 7);
    assert_eq!(
        findings_of(&doc, "55555555-2222-3333-4444-555555555555").len(),
        7,
        "{doc:#}"
    );
}

/// Regression: `antibody_core::sniff` sees only the first 4 KiB, and when
/// that held no complete line (a Winlogbeat event with a long script block,
/// an access log opening with a huge request) the file was triaged as
/// `text` and never reached the log engine. A cut first line is now judged
/// by its start.
#[test]
fn a_log_whose_first_line_is_longer_than_the_sniffed_head_is_still_hunted() {
    let d = tempfile::tempdir().unwrap();
    let long = "a".repeat(8 * 1024);
    let jsonl = [
        process_event("2021-03-01T10:00:00Z", r"C:\Windows\notepad.exe", &long),
        process_event("2021-03-01T10:00:01Z", r"C:\Windows\calc.exe", "calc"),
    ]
    .join("\n");
    std::fs::write(d.path().join("proc.jsonl"), jsonl + "\n").unwrap();
    let access = format!(
        "198.51.100.9 - - [12/May/2020:08:01:00 +0000] \"GET /{long} HTTP/1.1\" 200 1 \"-\" \"x\"\n{PROBE_LINE}"
    );
    std::fs::write(d.path().join("access.log"), access).unwrap();
    let (_, doc, stderr) = logs_hunt(d.path(), &[]);
    assert_eq!(
        doc["summary"]["kinds"].get("text"),
        None,
        "{stderr}\n{doc:#}"
    );
    assert_eq!(doc["summary"]["log_events"], 4, "{doc:#}");
    assert_eq!(lines_of(&doc, CITRIX_SUCCESS), [2], "{doc:#}");
}
