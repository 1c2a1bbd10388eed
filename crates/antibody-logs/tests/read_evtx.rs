//! The EVTX reader on a real Sysmon log (`tests/data/sysmon_file_event.evtx`,
//! see `tests/data/README.md`), on copies of it damaged at test time, and,
//! when the Sigma regression data is on the machine, on all of it.

use antibody_core::{ItemError, ItemErrorKind, Kind, Location};
use antibody_logs::read::{ReadOptions, collect_events, read_events};
use antibody_logs::{Event, FieldValue, Format, Position};
use std::ops::ControlFlow;
use std::path::Path;

const HEADER: usize = 4096;
const CHUNK: usize = 65536;
const REGRESSION_DATA: &str = "/work/shared/data/sigma/regression_data";

fn sample() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sysmon_file_event.evtx");
    std::fs::read(path).expect("fixture")
}

fn read_with(data: &[u8], options: &ReadOptions) -> (Vec<Event>, Vec<ItemError>) {
    collect_events(Kind::Evtx, data, &Location::file("Sysmon.evtx"), options)
}

fn read(data: &[u8]) -> (Vec<Event>, Vec<ItemError>) {
    read_with(data, &ReadOptions::default())
}

/// The sample's header and chunk, with `chunks` copies of the chunk.
fn with_chunks(chunks: usize) -> Vec<u8> {
    let one = sample();
    assert_eq!(one.len(), HEADER + CHUNK);
    let mut data = one[..HEADER].to_vec();
    for _ in 0..chunks {
        data.extend_from_slice(&one[HEADER..]);
    }
    data
}

fn positions(events: &[Event]) -> Vec<Position> {
    events.iter().map(|e| e.position).collect()
}

#[test]
fn sysmon_sample_fields_timestamp_and_position() {
    let (events, errors) = read(&sample());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(events.len(), 7);
    let e = &events[0];
    assert_eq!(e.format, Format::Evtx);
    assert_eq!(e.position, Position::Record(129_825));
    assert_eq!(e.offset, Some(4608));
    assert_eq!(e.get("EventID"), Some(&FieldValue::Int(11)));
    assert_eq!(
        e.text("Channel").as_deref(),
        Some("Microsoft-Windows-Sysmon/Operational")
    );
    assert_eq!(
        e.text("Provider_Name").as_deref(),
        Some("Microsoft-Windows-Sysmon")
    );
    assert_eq!(e.get("EventRecordID"), Some(&FieldValue::Int(129_825)));
    assert_eq!(e.get("ProcessID"), Some(&FieldValue::Int(4584)));
    assert_eq!(e.text("UserID").as_deref(), Some("S-1-5-18"));
    assert_eq!(e.get("ProcessId"), Some(&FieldValue::Int(12184)));
    assert_eq!(
        e.text("Image").as_deref(),
        Some(r"C:\Users\xodih\Downloads\nxc-windows-latest\nxc.exe")
    );
    assert!(
        e.text("TargetFilename")
            .is_some_and(|t| t.ends_with(r"keepass_trigger_module\RestartKeePass.ps1"))
    );
    assert_eq!(
        e.timestamp.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-04-08T10:58:04.850672300+00:00")
    );
    assert_eq!(e.logsource.product.as_deref(), Some("windows"));
    assert!(e.raw.is_none());
    assert_eq!(positions(&events).last(), Some(&Position::Record(129_831)));
}

#[test]
fn chunks_parsed_in_parallel_come_out_in_file_order() {
    let data = with_chunks(5);
    let (one, errors) = read(&data);
    assert!(errors.is_empty(), "{errors:?}");
    let options = ReadOptions {
        evtx_threads: 3,
        ..ReadOptions::default()
    };
    let (many, errors) = read_with(&data, &options);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(one.len(), 35);
    assert_eq!(positions(&one), positions(&many));
    let offsets: Vec<_> = many.iter().map(|e| e.offset).collect();
    assert!(offsets.windows(2).all(|w| w[0] < w[1]), "{offsets:?}");
}

#[test]
fn emit_break_stops_reading() {
    let mut seen = 0;
    read_events(
        Kind::Evtx,
        &with_chunks(3),
        &Location::file("x.evtx"),
        &ReadOptions::default(),
        &mut |_| {
            seen += 1;
            ControlFlow::Break(())
        },
    );
    assert_eq!(seen, 1);
}

#[test]
fn bad_chunk_checksum_is_reported_and_records_still_read() {
    let mut data = sample();
    // The chunk header's CRC32 sits at offset 124 of the chunk.
    data[HEADER + 124] ^= 0xff;
    let (events, errors) = read(&data);
    assert_eq!(events.len(), 7);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].kind, ItemErrorKind::Corrupt);
    assert!(
        errors[0].reason.contains("chunk 0 at offset 0x1000")
            && errors[0].reason.contains("header CRC32 mismatch"),
        "{}",
        errors[0].reason
    );
}

#[test]
fn file_cut_inside_a_chunk_keeps_the_complete_chunks() {
    let mut data = with_chunks(2);
    data.truncate(HEADER + CHUNK + 30_000);
    let (events, errors) = read(&data);
    assert_eq!(events.len(), 7);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]
            .reason
            .contains("truncated in chunk 1 at offset 0x11000: 30000 of 65536 bytes"),
        "{}",
        errors[0].reason
    );
}

#[test]
fn chunk_with_bad_magic_is_skipped_the_next_one_read() {
    let mut data = with_chunks(2);
    data[HEADER..HEADER + 8].copy_from_slice(b"XXXXXXXX");
    let (events, errors) = read(&data);
    assert_eq!(events.len(), 7);
    assert_eq!(events[0].offset, Some((HEADER + CHUNK + 512) as u64));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]
            .reason
            .contains("chunk 0 at offset 0x1000: bad chunk magic")
    );
}

#[test]
fn record_with_garbled_binxml_is_reported_the_others_read() {
    let mut data = sample();
    // The third record starts at 7864; its BinXML after the 24-byte header.
    // 0x99 is not a BinXML token.
    let binxml = 7864 + 24;
    for b in &mut data[binxml..binxml + 16] {
        *b = 0x99;
    }
    let (events, errors) = read(&data);
    let ids: Vec<_> = positions(&events);
    assert!(!ids.contains(&Position::Record(129_827)), "{ids:?}");
    assert!(ids.contains(&Position::Record(129_826)) && ids.contains(&Position::Record(129_828)));
    assert_eq!(events.len(), 6);
    let reasons: Vec<&str> = errors.iter().map(|e| e.reason.as_str()).collect();
    assert!(
        reasons.iter().any(|r| r.contains("records CRC32 mismatch")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r
            .contains("chunk 0 at offset 0x1000: 1 record(s) could not be read")
            && r.contains("0x")),
        "{reasons:?}"
    );
}

#[test]
fn not_evtx_empty_and_header_only() {
    let (events, errors) = read(b"");
    assert!(events.is_empty());
    assert_eq!(errors.len(), 1);
    assert!(errors[0].reason.contains("not an EVTX file"));

    let garbage: Vec<u8> = (0..100_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let (events, errors) = read(&garbage);
    assert!(events.is_empty());
    assert_eq!(errors[0].kind, ItemErrorKind::Corrupt);

    let (events, errors) = read(&sample()[..HEADER]);
    assert!(events.is_empty() && errors.is_empty(), "{errors:?}");

    let (events, errors) = read(&sample()[..1000]);
    assert!(events.is_empty());
    assert!(errors[0].reason.contains("truncated in the file header"));
}

#[test]
fn random_damage_never_panics() {
    let clean = with_chunks(2);
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..40 {
        let mut data = clean.clone();
        for _ in 0..64 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = HEADER + (state as usize % (data.len() - HEADER));
            data[at] = (state >> 32) as u8;
        }
        let (events, _) = read(&data);
        assert!(events.len() <= 14);
    }
}

/// Every regression sample reads without errors, and each event of its
/// `evtx_dump`-style JSON has a read event with the same record id and the
/// same `EventData`/`UserData` leaves.
#[test]
fn sigma_regression_samples_match_their_json() {
    let root = Path::new(REGRESSION_DATA);
    if !root.is_dir() {
        eprintln!("{REGRESSION_DATA} absent, skipped");
        return;
    }
    let mut files = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "evtx") {
                files.push(path);
            }
        }
    }
    assert!(files.len() > 100, "{} samples", files.len());
    let mut compared = 0;
    for path in &files {
        let data = std::fs::read(path).expect("sample");
        let (events, errors) = read(&data);
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        assert!(!events.is_empty(), "{}", path.display());
        let Ok(json) = std::fs::read_to_string(path.with_extension("json")) else {
            continue;
        };
        for doc in serde_json::Deserializer::from_str(&json).into_iter::<serde_json::Value>() {
            let doc = doc.expect("json");
            let system = &doc["Event"]["System"];
            let id = system["EventRecordID"].as_u64().expect("record id");
            let event = events
                .iter()
                .find(|e| e.position == Position::Record(id))
                .unwrap_or_else(|| panic!("{}: record {id} not read", path.display()));
            assert_eq!(
                event.get("EventID").and_then(FieldValue::as_f64),
                system["EventID"].as_f64(),
                "{}",
                path.display()
            );
            for section in ["EventData", "UserData"] {
                let Some(data) = doc["Event"][section].as_object() else {
                    continue;
                };
                let mut leaves = Vec::new();
                collect_leaves(data, &mut leaves);
                for (name, value) in leaves {
                    let got = event
                        .get(&name)
                        .unwrap_or_else(|| panic!("{}: record {id} has no {name}", path.display()));
                    let want = match &value {
                        serde_json::Value::String(s) => {
                            Some(s.to_lowercase().trim().trim_matches(['{', '}']).to_string())
                        }
                        serde_json::Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    };
                    // The JSON files write GUIDs in upper case without braces
                    // and trim values, the evtx crate keeps them as stored:
                    // compare without case, braces and edge spaces.
                    assert_eq!(
                        got.as_text().map(|t| t
                            .to_lowercase()
                            .trim()
                            .trim_matches(['{', '}'])
                            .to_string()),
                        want,
                        "{}: record {id} field {name}",
                        path.display()
                    );
                }
            }
            compared += 1;
        }
    }
    assert!(compared > 100, "{compared} events compared");
}

fn collect_leaves(
    map: &serde_json::Map<String, serde_json::Value>,
    out: &mut Vec<(String, serde_json::Value)>,
) {
    for (k, v) in map {
        match v {
            serde_json::Value::Object(m) if k != "#attributes" => collect_leaves(m, out),
            serde_json::Value::Object(_) => {}
            other => out.push((k.clone(), other.clone())),
        }
    }
}
