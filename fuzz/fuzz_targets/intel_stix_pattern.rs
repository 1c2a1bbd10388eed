#![no_main]
// STIX patterns: parse or fail with an offset inside the input; the
// indicators of a parsed pattern are only asked for, never assumed.
use antibody_intel::formats::parse_pattern;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match parse_pattern(text) {
        Ok(p) => {
            let _ = p.indicators();
        }
        Err(e) => assert!(e.offset <= text.len(), "{e} for {} bytes", text.len()),
    }
});
