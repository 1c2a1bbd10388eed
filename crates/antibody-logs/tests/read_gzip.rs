//! gzip streams handed to `read_events(Kind::Gzip, ..)`: decompressed as a
//! stream, content sniffed, size capped.

use antibody_core::{ItemError, ItemErrorKind, Kind, Location};
use antibody_logs::read::{ReadOptions, collect_events};
use antibody_logs::{Event, Format, Position};
use flate2::Compression;
use flate2::write::GzEncoder;
use std::io::Write;
use std::path::Path;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(data).expect("gzip");
    enc.finish().expect("gzip")
}

fn read(data: &[u8], options: &ReadOptions) -> (Vec<Event>, Vec<ItemError>) {
    collect_events(Kind::Gzip, data, &Location::file("auth.log.1.gz"), options)
}

const LINE: &[u8] =
    b"May  4 10:00:00 web1 sshd[4242]: Failed password for root from 203.0.113.9 port 40022 ssh2\n";

#[test]
fn gzipped_syslog_reads_like_the_plain_file() {
    let (events, errors) = read(&gzip(&LINE.repeat(3)), &ReadOptions::default());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(events.len(), 3);
    assert_eq!(events[2].position, Position::Line(3));
    assert_eq!(events[2].offset, Some(2 * LINE.len() as u64));
    assert_eq!(events[0].text("user").as_deref(), Some("root"));
}

#[test]
fn gzipped_evtx_is_read() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sysmon_file_event.evtx");
    let evtx = std::fs::read(path).expect("fixture");
    let (events, errors) = read(&gzip(&evtx), &ReadOptions::default());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(events.len(), 7);
    assert_eq!(events[0].format, Format::Evtx);
}

/// 256 MiB of log lines in a few hundred KiB of gzip, read with an 8 MiB
/// cap: the lines within the cap, then a limit error.
#[test]
fn gzip_bomb_stops_at_the_cap() {
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    let block = LINE.repeat(10_000);
    let mut written = 0;
    while written < 256 << 20 {
        enc.write_all(&block).expect("gzip");
        written += block.len();
    }
    let bomb = enc.finish().expect("gzip");
    assert!(bomb.len() < 4 << 20, "{} bytes", bomb.len());
    let options = ReadOptions {
        max_decompressed: 8 << 20,
        ..ReadOptions::default()
    };
    let (events, errors) = read(&bomb, &options);
    let whole = (8 << 20) / LINE.len();
    assert!(
        events.len() == whole || events.len() == whole + 1,
        "{}",
        events.len()
    );
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].kind, ItemErrorKind::Limit);
    assert!(errors[0].reason.contains("more than 8388608 bytes"));
}

#[test]
fn stream_of_exactly_the_cap_is_not_a_limit() {
    let data = LINE.repeat(2);
    let options = ReadOptions {
        max_decompressed: data.len() as u64,
        ..ReadOptions::default()
    };
    let (events, errors) = read(&gzip(&data), &options);
    assert_eq!(events.len(), 2);
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn truncated_gzip_keeps_what_was_read_and_says_so() {
    let data = LINE.repeat(20_000);
    let mut gz = gzip(&data);
    gz.truncate(gz.len() / 2);
    let (events, errors) = read(&gz, &ReadOptions::default());
    assert!(
        !events.is_empty() && events.len() < 20_000,
        "{}",
        events.len()
    );
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].kind, ItemErrorKind::Corrupt);
    assert!(
        errors[0].reason.starts_with("read error at byte"),
        "{}",
        errors[0].reason
    );
}

#[test]
fn not_gzip_and_binary_content() {
    let (events, errors) = read(b"plain text", &ReadOptions::default());
    assert!(events.is_empty());
    assert_eq!(errors[0].kind, ItemErrorKind::Corrupt);
    let (events, errors) = read(&gzip(&[0u8; 100_000]), &ReadOptions::default());
    assert!(events.is_empty() && errors.is_empty(), "{errors:?}");
}
