#![no_main]
// DOCX reader: any bytes as a zip, and the bytes as the document part of a
// valid zip, with small limits.
use antibody_intel::doc::{DocFormat, DocLimits, read_bytes};
use std::io::{Cursor, Write};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let limits = DocLimits {
        max_bytes: 1 << 20,
        max_text: 4096,
        max_depth: 16,
        ..DocLimits::default()
    };
    if let Ok(doc) = read_bytes(data, DocFormat::Docx, &limits) {
        assert!(doc.text.len() <= 4096);
    }
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    w.start_file("word/document.xml", opts).unwrap();
    w.write_all(data).unwrap();
    let zipped = w.finish().unwrap().into_inner();
    if let Ok(doc) = read_bytes(&zipped, DocFormat::Docx, &limits) {
        assert!(doc.text.len() <= 4096);
    }
});
