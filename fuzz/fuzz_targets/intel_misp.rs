#![no_main]
// MISP event import: any bytes give items and problems or an error, never
// a panic.
use antibody_intel::Intel;
use antibody_intel::formats::{ImportOptions, InputFormat, import_reader};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut intel = Intel::default();
    let _ = import_reader(data, InputFormat::Misp, "fuzz.json", &ImportOptions::default(), &mut intel);
    assert!(intel.items.iter().all(|i| i.source < intel.sources.len()));
});
