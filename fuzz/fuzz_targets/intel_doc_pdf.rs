#![no_main]
// PDF reader: any bytes, small limits. The reader catches panics raised
// inside lopdf (its parser is not ours); a panic anywhere else is a crash.
use antibody_intel::doc::{DocFormat, DocLimits, read_bytes};

libfuzzer_sys::fuzz_target!(
    init: {
        std::panic::set_hook(Box::new(|info| {
            let in_lopdf = info.location().is_some_and(|l| l.file().contains("lopdf"));
            if !in_lopdf {
                eprintln!("{info}");
                std::process::abort();
            }
        }));
    },
    |data: &[u8]| {
        let limits = DocLimits {
            max_bytes: 1 << 20,
            max_text: 4096,
            max_depth: 32,
            pdf_max_pages: 8,
            ..DocLimits::default()
        };
        if let Ok(doc) = read_bytes(data, DocFormat::Pdf, &limits) {
            assert!(doc.text.len() <= 4096);
        }
    }
);
