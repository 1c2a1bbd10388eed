#![no_main]
// HTML reader: any bytes, small limits; the output limit and the nesting
// warning must hold.
use antibody_intel::doc::{DocFormat, DocLimits, read_bytes};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let limits = DocLimits {
        max_bytes: 1 << 20,
        max_text: 4096,
        max_depth: 16,
        ..DocLimits::default()
    };
    let doc = read_bytes(data, DocFormat::Html, &limits).expect("HTML reading never fails");
    assert!(doc.text.len() <= 4096);
    let doc = read_bytes(data, DocFormat::Markdown, &limits).expect("Markdown reading never fails");
    assert!(doc.text.len() <= 4096);
});
