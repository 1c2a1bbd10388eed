//! JSON lines through `read_events(Kind::JsonLines, ..)`.

use antibody_core::{ItemError, ItemErrorKind, Kind, Location};
use antibody_logs::read::{ReadOptions, collect_events};
use antibody_logs::{Event, FieldValue, Format, Position};

fn read(data: &[u8]) -> (Vec<Event>, Vec<ItemError>) {
    collect_events(
        Kind::JsonLines,
        data,
        &Location::file("events.json"),
        &ReadOptions::default(),
    )
}

#[test]
fn winlogbeat_gets_windows_names_too() {
    let line = r#"{"@timestamp":"2019-05-15T13:21:14.563Z","event":{"code":"4688","provider":"Microsoft-Windows-Security-Auditing"},"winlog":{"channel":"Security","event_id":"4688","computer_name":"WIN-DC1.example.local","provider_name":"Microsoft-Windows-Security-Auditing","record_id":9012,"event_data":{"NewProcessName":"C:\\Windows\\System32\\cmd.exe","CommandLine":"cmd.exe /c whoami","TokenElevationType":"%%1936"}},"process":{"command_line":"cmd.exe /c whoami","args":["cmd.exe","/c","whoami"]}}"#;
    let (events, errors) = read(line.as_bytes());
    assert!(errors.is_empty(), "{errors:?}");
    let e = &events[0];
    assert_eq!(e.format, Format::JsonLines);
    assert_eq!(e.position, Position::Line(1));
    assert_eq!(e.get("EventID"), Some(&FieldValue::Int(4688)));
    assert_eq!(e.text("Channel").as_deref(), Some("Security"));
    assert_eq!(e.text("Computer").as_deref(), Some("WIN-DC1.example.local"));
    assert_eq!(
        e.text("Provider_Name").as_deref(),
        Some("Microsoft-Windows-Security-Auditing")
    );
    assert_eq!(e.text("CommandLine").as_deref(), Some("cmd.exe /c whoami"));
    assert_eq!(
        e.text("winlog.event_data.CommandLine").as_deref(),
        Some("cmd.exe /c whoami")
    );
    assert_eq!(
        e.text("process.command_line").as_deref(),
        Some("cmd.exe /c whoami")
    );
    assert_eq!(
        e.get("process.args"),
        Some(&FieldValue::List(vec![
            "cmd.exe".into(),
            "/c".into(),
            "whoami".into()
        ]))
    );
    assert_eq!(e.get("winlog.record_id"), Some(&FieldValue::Int(9012)));
    assert_eq!(e.logsource.product.as_deref(), Some("windows"));
    assert_eq!(
        e.timestamp.map(|t| t.to_rfc3339()).as_deref(),
        Some("2019-05-15T13:21:14.563+00:00")
    );
}

#[test]
fn evtx_dump_shape_gets_the_evtx_fields() {
    let line = r##"{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon","Guid":"5770385F-C22A-43E0-BF4C-06F5698FFBD9"}},"EventID":1,"Version":5,"Level":4,"Task":1,"Opcode":0,"Keywords":"0x8000000000000000","TimeCreated":{"#attributes":{"SystemTime":"2026-04-17T05:24:53.088849Z"}},"EventRecordID":83237,"Correlation":null,"Execution":{"#attributes":{"ProcessID":3208,"ThreadID":1724}},"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"ws1","Security":{"#attributes":{"UserID":"S-1-5-18"}}},"EventData":{"Image":"C:\\Windows\\System32\\rundll32.exe","CommandLine":"rundll32.exe comsvcs.dll, MiniDump 624 C:\\x.dmp full","ProcessId":15596}}}"##;
    let (events, errors) = read(line.as_bytes());
    assert!(errors.is_empty());
    let e = &events[0];
    assert_eq!(e.get("EventID"), Some(&FieldValue::Int(1)));
    assert_eq!(
        e.text("Provider_Name").as_deref(),
        Some("Microsoft-Windows-Sysmon")
    );
    assert_eq!(e.get("ThreadID"), Some(&FieldValue::Int(1724)));
    assert_eq!(e.get("ProcessId"), Some(&FieldValue::Int(15596)));
    assert!(
        e.text("CommandLine")
            .is_some_and(|c| c.contains("MiniDump"))
    );
    // Flattened like EVTX, not dotted.
    assert!(e.get("Event.System.Channel").is_none());
    assert_eq!(e.position, Position::Line(1));
    assert_eq!(e.logsource.product.as_deref(), Some("windows"));
    assert_eq!(e.timestamp.map(|t| t.timestamp()), Some(1_776_403_493));
}

#[test]
fn sysmon_for_linux_is_product_linux() {
    let line = r##"{"Event":{"System":{"Provider":{"#attributes":{"Name":"Linux-Sysmon","Guid":"ff032593-a8d3-4f13-b0d6-01fc615a0f97"}},"EventID":1,"Channel":"Linux-Sysmon/Operational","Computer":"ubuntu"},"EventData":{"Image":"/usr/bin/bash","CommandLine":"bash -i","User":"root"}}}"##;
    let (events, _) = read(line.as_bytes());
    assert_eq!(events[0].logsource.product.as_deref(), Some("linux"));
    assert_eq!(events[0].text("Image").as_deref(), Some("/usr/bin/bash"));
}

#[test]
fn timestamps_from_other_keys() {
    let (events, _) = read(
        b"{\"timestamp\":1700000000123}\n{\"TimeCreated\":\"2024-01-02 03:04:05\"}\n{\"x\":1}\n",
    );
    assert_eq!(
        events[0].timestamp.map(|t| t.timestamp_millis()),
        Some(1_700_000_000_123)
    );
    assert_eq!(
        events[1].timestamp.map(|t| t.timestamp()),
        Some(1_704_164_645)
    );
    assert!(events[2].timestamp.is_none());
    assert_eq!(events[2].position, Position::Line(3));
}

#[test]
fn bad_lines_give_one_error_and_the_rest_is_read() {
    let mut log = String::new();
    for i in 0..10 {
        log.push_str(&format!("{{\"n\":{i}}}\nnot json {i}\n"));
    }
    log.push_str("[1,2,3]\n\"string\"\n");
    let (events, errors) = read(log.as_bytes());
    assert_eq!(events.len(), 10);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].kind, ItemErrorKind::Corrupt);
    assert!(
        errors[0]
            .reason
            .starts_with("12 line(s) are not JSON objects (lines 2, 4, 6, 8, 10, ...); line 2:"),
        "{}",
        errors[0].reason
    );
}

#[test]
fn nesting_100k_levels_deep_is_an_error_not_a_stack_overflow() {
    let depth = 100_000;
    let mut log = "{\"a\":".repeat(depth);
    log.push('1');
    log.push_str(&"}".repeat(depth));
    log.push_str("\n{\"after\":true}\n");
    let (events, errors) = read(log.as_bytes());
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].position, Position::Line(2));
    assert_eq!(events[0].get("after"), Some(&FieldValue::Bool(true)));
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].reason.contains("(lines 1)") && errors[0].reason.contains("recursion limit"),
        "{}",
        errors[0].reason
    );
}

#[test]
fn invalid_utf8_in_a_value_is_replaced() {
    let (events, errors) = read(b"{\"CommandLine\":\"powershell -enc \xff\xfe\"}\n");
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        events[0].text("CommandLine").as_deref(),
        Some("powershell -enc \u{fffd}\u{fffd}")
    );
}

#[test]
fn empty_and_blank_files() {
    assert_eq!(read(b"").0.len(), 0);
    let (events, errors) = read(b"\xef\xbb\xbf\n  \n\n");
    assert!(events.is_empty() && errors.is_empty(), "{errors:?}");
}
