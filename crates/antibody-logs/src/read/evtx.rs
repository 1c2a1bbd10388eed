//! The EVTX reader: a Windows event log read chunk by chunk with the
//! `evtx` crate, each record flattened by [`super::windows`].
//!
//! The file is read sequentially, one 64 KiB chunk at a time, so a slice
//! and a decompressing stream are read the same way and memory stays at a
//! few chunks whatever the file size. Chunks are parsed in parallel, up to
//! [`ReadOptions::evtx_threads`] at a time, and their events handed on in
//! file order (not the "oldest chunk first" order of a wrapped log; every
//! event carries its time and record id).
//!
//! Damage is reported and read around: a chunk with a bad magic or
//! unreadable header is skipped with an error; a chunk whose CRC32s do not
//! match is reported and still read (a tampered log is evidence, and its
//! records usually parse); records whose BinXML does not parse are reported
//! once per chunk; a file cut inside a chunk yields the complete chunks and
//! an error naming the cut.

use super::{ReadOptions, windows};
use crate::event::{Event, Format, Position};
use antibody_core::{ItemError, ItemErrorKind, Location};
use evtx::{EvtxChunkData, ParserSettings};
use std::io::{self, Read};
use std::ops::ControlFlow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

const FILE_HEADER_SIZE: usize = 4096;
const CHUNK_SIZE: usize = 65536;
const RECORD_HEADER_SIZE: u64 = 24;
/// Failed records named in one chunk's error before the rest are counted.
const NAMED_FAILURES: usize = 3;

/// What one chunk gave.
struct ChunkOutput {
    events: Vec<Event>,
    errors: Vec<ItemError>,
}

/// Reads every record of the EVTX stream `input`.
pub(crate) fn read<R: Read>(
    mut input: R,
    location: &Location,
    options: &ReadOptions,
    emit: &mut dyn FnMut(Event) -> ControlFlow<()>,
) -> Vec<ItemError> {
    let corrupt = |reason: String| ItemError::new(location, ItemErrorKind::Corrupt, reason);
    let mut errors = Vec::new();
    let mut header = vec![0u8; FILE_HEADER_SIZE];
    let got = match read_full(&mut input, &mut header) {
        Ok(n) => n,
        Err(e) => return vec![corrupt(format!("read error in the file header: {e}"))],
    };
    if got < 8 || &header[..8] != b"ElfFile\0" {
        return vec![corrupt(format!(
            "not an EVTX file: header magic at offset 0 is {:02x?}",
            &header[..got.min(8)]
        ))];
    }
    if got < FILE_HEADER_SIZE {
        return vec![corrupt(format!(
            "truncated in the file header: {got} of {FILE_HEADER_SIZE} bytes"
        ))];
    }
    drop(header);

    let settings = Arc::new(ParserSettings::new().indent(false));
    let threads = options.evtx_threads.max(1);
    let mut number: u64 = 0;
    let mut done = false;
    while !done {
        // Read up to `threads` chunks, then parse them side by side.
        let mut batch = Vec::with_capacity(threads);
        while batch.len() < threads {
            let offset = FILE_HEADER_SIZE as u64 + number * CHUNK_SIZE as u64;
            let mut data = vec![0u8; CHUNK_SIZE];
            let got = match read_full(&mut input, &mut data) {
                Ok(n) => n,
                Err(e) => {
                    errors.push(corrupt(format!(
                        "read error in chunk {number} at offset {offset:#x}: {e}"
                    )));
                    done = true;
                    break;
                }
            };
            if got == 0 {
                done = true;
                break;
            }
            if got < CHUNK_SIZE {
                errors.push(corrupt(format!(
                    "file truncated in chunk {number} at offset {offset:#x}: {got} of \
                     {CHUNK_SIZE} bytes, its records were not read"
                )));
                done = true;
                break;
            }
            // Never-used chunks at the end of a preallocated log are zeros.
            if data.iter().any(|&b| b != 0) {
                batch.push((number, offset, data));
            }
            number += 1;
        }
        let outputs: Vec<ChunkOutput> = if batch.len() <= 1 {
            batch
                .into_iter()
                .map(|(n, off, data)| guarded_chunk(n, off, data, &settings, location))
                .collect()
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = batch
                    .into_iter()
                    .map(|(n, off, data)| {
                        let settings = &settings;
                        scope.spawn(move || guarded_chunk(n, off, data, settings, location))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join().unwrap_or_else(|_| ChunkOutput {
                            events: Vec::new(),
                            errors: vec![corrupt("a chunk's parser thread failed".into())],
                        })
                    })
                    .collect()
            })
        };
        for out in outputs {
            errors.extend(out.errors);
            for event in out.events {
                if emit(event).is_break() {
                    return errors;
                }
            }
        }
    }
    errors
}

/// Reads until `buf` is full or the input ends; the count read.
fn read_full<R: Read>(input: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match input.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// [`parse_chunk`], with a parser panic turned into an error for the chunk.
fn guarded_chunk(
    number: u64,
    offset: u64,
    data: Vec<u8>,
    settings: &Arc<ParserSettings>,
    location: &Location,
) -> ChunkOutput {
    catch_unwind(AssertUnwindSafe(|| {
        parse_chunk(number, offset, data, settings, location)
    }))
    .unwrap_or_else(|_| ChunkOutput {
        events: Vec::new(),
        errors: vec![ItemError::new(
            location,
            ItemErrorKind::Corrupt,
            format!("chunk {number} at offset {offset:#x}: the EVTX parser failed on it"),
        )],
    })
}

fn parse_chunk(
    number: u64,
    offset: u64,
    data: Vec<u8>,
    settings: &Arc<ParserSettings>,
    location: &Location,
) -> ChunkOutput {
    let corrupt = |reason: String| ItemError::new(location, ItemErrorKind::Corrupt, reason);
    let mut out = ChunkOutput {
        events: Vec::new(),
        errors: Vec::new(),
    };
    let at = format!("chunk {number} at offset {offset:#x}");
    if &data[..8] != b"ElfChnk\0" {
        out.errors.push(corrupt(format!(
            "{at}: bad chunk magic {:02x?}, chunk skipped",
            &data[..8]
        )));
        return out;
    }
    let mut chunk_data = match EvtxChunkData::new(data, false) {
        Ok(c) => c,
        Err(e) => {
            out.errors.push(corrupt(format!(
                "{at}: unreadable chunk header ({}), chunk skipped",
                chain(&e)
            )));
            return out;
        }
    };
    chunk_data.number = Some(number);
    let mut bad_sums = Vec::new();
    if !chunk_data.validate_header_checksum() {
        bad_sums.push("header");
    }
    if !chunk_data.validate_data_checksum() {
        bad_sums.push("records");
    }
    if !bad_sums.is_empty() {
        out.errors.push(corrupt(format!(
            "{at}: {} CRC32 mismatch (damaged or edited), records read anyway",
            bad_sums.join(" and ")
        )));
    }
    let mut chunk = match chunk_data.parse(Arc::clone(settings)) {
        Ok(c) => c,
        Err(e) => {
            out.errors.push(corrupt(format!(
                "{at}: chunk cannot be parsed ({}), chunk skipped",
                chain(&e)
            )));
            return out;
        }
    };
    let mut failures: Vec<String> = Vec::new();
    let mut failed = 0usize;
    let mut last_good: Option<u64> = None;
    for record in chunk.iter() {
        let problem = match record {
            Ok(record) => {
                let record_offset =
                    offset + record.binxml_offset.saturating_sub(RECORD_HEADER_SIZE);
                let id = record.event_record_id;
                last_good = Some(record_offset);
                match record.into_json_value() {
                    Ok(serialized) => {
                        out.events
                            .push(to_event(&serialized.data, id, record_offset));
                        continue;
                    }
                    Err(e) => format!("record {id} at offset {record_offset:#x}: {}", chain(&e)),
                }
            }
            Err(e) => {
                let after = last_good
                    .map(|o| format!(" (after the record at offset {o:#x})"))
                    .unwrap_or_default();
                format!("{}{after}", chain(&e))
            }
        };
        failed += 1;
        if failures.len() < NAMED_FAILURES {
            failures.push(problem);
        }
    }
    if failed > 0 {
        let more = if failed > failures.len() {
            format!("; and {} more", failed - failures.len())
        } else {
            String::new()
        };
        out.errors.push(corrupt(format!(
            "{at}: {failed} record(s) could not be read: {}{more}",
            failures.join("; ")
        )));
    }
    out
}

/// An error and its sources, `outer: inner: innermost`.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

fn to_event(json: &serde_json::Value, record_id: u64, offset: u64) -> Event {
    let mut event = Event::new(Format::Evtx, Position::Record(record_id));
    event.offset = Some(offset);
    if let Some(object) = windows::event_object(json) {
        let info = windows::flatten(object, &mut event);
        if let Some(id) = info.record_id {
            event.position = Position::Record(id);
        }
        event.timestamp = info.timestamp;
        event.logsource.product = Some(info.product.to_string());
    } else {
        event.logsource.product = Some("windows".to_string());
    }
    event
}
