#![no_main]
// EVTX: the input as a whole file, and as the body of a chunk behind a valid
// file header and chunk magic (so the chunk and BinXML parsers are reached
// without the fuzzer having to find the magics), on one and two threads.
use antibody_core::{Kind, Location};
use antibody_logs::read::{ReadOptions, read_events};
use std::ops::ControlFlow;

const HEADER: usize = 4096;
const CHUNK: usize = 65536;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut file = vec![0u8; HEADER];
    file[..8].copy_from_slice(b"ElfFile\0");
    let mut chunk = b"ElfChnk\0".to_vec();
    chunk.extend_from_slice(data.get(8..).unwrap_or_default());
    chunk.resize(CHUNK, 0);
    file.extend_from_slice(&chunk);
    for (input, threads) in [(data, 1), (&file[..], 1), (&file[..], 2)] {
        let options = ReadOptions {
            evtx_threads: threads,
            ..ReadOptions::default()
        };
        let _ = read_events(
            Kind::Evtx,
            input,
            &Location::file("fuzz"),
            &options,
            &mut |_| ControlFlow::Continue(()),
        );
    }
});
