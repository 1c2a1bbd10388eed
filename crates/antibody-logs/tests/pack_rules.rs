//! The apt29-2020 pack's Sigma rules against hand-made events: each fires
//! on the trait it names and stays quiet on the look-alike next to it.

use antibody_core::{Location, Severity, VecSink};
use antibody_logs::mapping::Mapping;
use antibody_logs::{Event, Format, LogOptions, LogsEngine, LogsEngineBuilder, Position};
use std::path::Path;

fn engine() -> LogsEngine {
    let mut b = LogsEngineBuilder::new(Mapping::builtin(), LogOptions::default());
    b.add_path(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../packs/apt29-2020/sigma"),
        "apt29-2020",
    )
    .unwrap();
    let (e, report) = b.build(&[]);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    e
}

fn windows(channel: &str, id: i64, fields: &[(&str, &str)]) -> Event {
    let mut e = Event::new(Format::Evtx, Position::Record(id as u64));
    e.logsource.product = Some("windows".into());
    e.push("Channel", channel);
    e.push("EventID", id);
    for (k, v) in fields {
        e.push(*k, *v);
    }
    e
}

/// The rule titles that fire on `event`, with their severities.
fn fired(engine: &LogsEngine, event: Event) -> Vec<(String, Severity)> {
    let sink = VecSink::new();
    engine.hunt_events(
        &Location::file("x.evtx"),
        &mut std::iter::once(event),
        &sink,
    );
    sink.take()
        .0
        .into_iter()
        .map(|f| (f.title, f.severity))
        .collect()
}

const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";

#[test]
fn a_published_hash_in_sysmon_process_creation_is_critical() {
    let e = engine();
    let hit = fired(
        &e,
        windows(
            SYSMON,
            1,
            &[
                ("Image", "C:\\Users\\x\\AppData\\Local\\Temp\\svc.exe"),
                (
                    "Hashes",
                    "SHA1=AAAA,MD5=BBBB,SHA256=0322C4C2D511F73AB55BF3F43B1B0F152188D7146CC67FF497AD275D9DD1C20F",
                ),
            ],
        ),
    );
    assert!(hit.iter().any(|(_, s)| *s == Severity::Critical), "{hit:?}");
    let other = fired(
        &e,
        windows(
            SYSMON,
            1,
            &[
                ("Image", "C:\\Windows\\notepad.exe"),
                ("Hashes", "SHA256=00AA"),
            ],
        ),
    );
    assert!(other.is_empty(), "{other:?}");
}

#[test]
fn the_c2_address_fires_in_sysmon_and_security_auditing() {
    let e = engine();
    let sysmon = fired(
        &e,
        windows(SYSMON, 3, &[("DestinationIp", "103.216.221.19")]),
    );
    assert_eq!(sysmon.len(), 1, "{sysmon:?}");
    let audit = fired(
        &e,
        windows("Security", 5156, &[("DestAddress", "103.216.221.19")]),
    );
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert!(fired(&e, windows(SYSMON, 3, &[("DestinationIp", "198.51.100.4")])).is_empty());
}

#[test]
fn wellmess_markers_in_a_script_block_need_all_three() {
    let e = engine();
    let ps = "Microsoft-Windows-PowerShell/Operational";
    let all = "$m = '<;head;>x<;title;>y<;service;>z'";
    let hit = fired(&e, windows(ps, 4104, &[("ScriptBlockText", all)]));
    assert_eq!(hit.len(), 1, "{hit:?}");
    let two = "$m = '<;head;>x<;title;>y'";
    assert!(fired(&e, windows(ps, 4104, &[("ScriptBlockText", two)])).is_empty());
    // The helpers alone are an alternative; one of them is not enough.
    let helpers = "[x]::FromNormalToBase64($a); [x]::FromBase64ToNormal($b)";
    assert_eq!(
        fired(&e, windows(ps, 4104, &[("ScriptBlockText", helpers)])).len(),
        1
    );
    let one = "[x]::FromNormalToBase64($a)";
    assert!(fired(&e, windows(ps, 4104, &[("ScriptBlockText", one)])).is_empty());
}

fn web(uri: &str, status: i64) -> Event {
    let mut e = Event::new(Format::Combined, Position::Line(1));
    e.logsource.category = Some("webserver".into());
    let (stem, query) = uri.split_once('?').unwrap_or((uri, ""));
    e.push("c-ip", "203.0.113.5");
    e.push("cs-method", "GET");
    e.push("cs-uri-stem", stem);
    e.push("cs-uri-query", query);
    e.push("cs-uri", uri);
    e.push("sc-status", status);
    e
}

#[test]
fn answered_exploitation_outranks_a_failed_probe() {
    let e = engine();
    let fortios = "/remote/fgt_lang?lang=/../../../..//////////dev/cmdb/sslvpn_websession";
    let ok = fired(&e, web(fortios, 200));
    assert!(ok.iter().any(|(_, s)| *s == Severity::Critical), "{ok:?}");
    let failed = fired(&e, web(fortios, 404));
    assert!(
        !failed.is_empty() && failed.iter().all(|(_, s)| *s < Severity::Critical),
        "{failed:?}"
    );
    let pulse = "/dana-na/../dana/html5acc/guacamole/../../../../../../etc/passwd?/dana/html5acc/guacamole/";
    assert!(
        fired(&e, web(pulse, 200))
            .iter()
            .any(|(_, s)| *s == Severity::Critical)
    );
    // Ordinary pages on the same appliances raise nothing.
    for benign in [
        "/remote/login?lang=en",
        "/dana-na/auth/url_default/welcome.cgi",
        "/vpn/index.html",
    ] {
        assert!(fired(&e, web(benign, 200)).is_empty(), "{benign}");
    }
}
