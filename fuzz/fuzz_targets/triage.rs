#![no_main]
// Content triage must decide every byte string without panicking.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = antibody_core::sniff(data);
});
