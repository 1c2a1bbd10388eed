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
    for name in ["conn.log", "ssl.log"] {
        // A file that turns out unreadable part way (a later header with a
        // bad separator, no `#fields`) keeps what was read before.
        let _ = reader.read(data, name, &mut out);
    }
    reader.finish(&mut out);
    // Each line of the input gives at most one record per read.
    let lines = data.split(|&b| b == b'\n').count() as u64;
    assert!(out.len() as u64 <= 2 * lines, "{} records from {lines} lines", out.len());
});
