//! Prints what the extractor finds in each file given on the command line,
//! one JSON object per file:
//! `{"file", "bytes", "seconds", "iocs": [{"kind", "value", "flag"}]}`.
//!
//! `seconds` is the time spent in extraction alone (not reading), so that
//! `scripts/bench_intel_peers.py` compares extraction speed with the peers'
//! in-process timings.

use antibody_intel::extract::Extractor;
use serde_json::json;
use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: gold_eval FILE...");
        return ExitCode::from(2);
    }
    let extractor = Extractor::new(Default::default());
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failed = false;
    for file in &files {
        let bytes = match std::fs::read(file) {
            Ok(b) => b,
            Err(e) => {
                // One unreadable file does not stop the others.
                eprintln!("{file}: {e}");
                failed = true;
                continue;
            }
        };
        let text = String::from_utf8_lossy(&bytes);
        let start = Instant::now();
        let iocs = extractor.extract(&text);
        let seconds = start.elapsed().as_secs_f64();
        let list: Vec<_> = iocs
            .iter()
            .map(|i| json!({"kind": i.kind.as_str(), "value": i.value, "flag": i.flag.map(|f| f.as_str())}))
            .collect();
        let line = json!({"file": file, "bytes": bytes.len(), "seconds": seconds, "iocs": list});
        if writeln!(out, "{line}").is_err() {
            return ExitCode::FAILURE;
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
