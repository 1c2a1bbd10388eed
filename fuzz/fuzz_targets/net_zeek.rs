#![no_main]
// Any bytes through `ZeekReader::read` (as conn.log and ssl.log) and
// `finish`, with small limits so the caps and the join are exercised.
use antibody_net::{
    model::NetRecord,
    zeek::{ZeekLimits, ZeekReader},
};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut reader = ZeekReader::with_limits(ZeekLimits {
        max_held_tls: 4,
        max_certs: 4,
        max_line: 4096,
        max_anomalies: 8,
    });
    let mut out: Vec<NetRecord> = Vec::new();
    let mut lines = 0;
    for name in ["conn.log", "ssl.log"] {
        if let Ok(stats) = reader.read(data, name, &mut out) {
            lines += stats.lines;
        }
    }
    reader.finish(&mut out);
    assert!(out.len() as u64 <= lines);
});
