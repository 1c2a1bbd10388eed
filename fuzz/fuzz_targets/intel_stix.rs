#![no_main]
// STIX bundle import: any bytes give items and problems or an error, never
// a panic; every problem names a place.
use antibody_intel::Intel;
use antibody_intel::formats::{ImportOptions, InputFormat, import_reader};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut intel = Intel::default();
    let opts = ImportOptions { max_objects: 10_000, ..Default::default() };
    let _ = import_reader(data, InputFormat::Stix, "fuzz.json", &opts, &mut intel);
    assert!(intel.problems.iter().all(|p| !p.item.is_empty()));
    assert!(intel.items.iter().all(|i| i.source < intel.sources.len()));
});
