#![no_main]
// Text logs, JSON lines and gzip: any bytes through `read_events` as
// `Kind::Log`, `Kind::JsonLines` and `Kind::Gzip`, with a short line limit so
// cutting is exercised and a small decompression cap so bombs end quickly.
use antibody_core::{Kind, Location};
use antibody_logs::Position;
use antibody_logs::read::{ReadOptions, read_events};
use std::ops::ControlFlow;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let options = ReadOptions {
        max_line: 256,
        max_decompressed: 1 << 20,
        ..ReadOptions::default()
    };
    for kind in [Kind::Log, Kind::JsonLines, Kind::Gzip] {
        let mut last = 0;
        let _ = read_events(kind, data, &Location::file("fuzz"), &options, &mut |e| {
            let Position::Line(n) = e.position else {
                if kind == Kind::Gzip {
                    return ControlFlow::Continue(());
                }
                panic!("text event at {:?}", e.position);
            };
            assert!(n > last, "line {n} after {last}");
            last = n;
            // Lossy UTF-8 turns one bad byte into three.
            assert!(
                e.raw
                    .as_ref()
                    .is_none_or(|r| r.len() <= 3 * options.max_line)
            );
            ControlFlow::Continue(())
        });
    }
});
