//! Prints the indicators found in a text file, one per line, for looking
//! at what the extractor makes of a document.

use antibody_intel::extract::{ExtractOptions, Extractor};

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: extract_dump FILE");
        std::process::exit(2);
    };
    let text = match std::fs::read(&path) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
    };
    for ioc in Extractor::new(ExtractOptions::default()).extract(&text) {
        let flag = ioc.flag.map_or("-".to_string(), |f| f.to_string());
        let value = ioc.value.lines().next().unwrap_or("");
        println!(
            "{:<16} {:<8} {:.2} {} {value}",
            ioc.kind.as_str(),
            flag,
            ioc.confidence,
            u8::from(ioc.defanged)
        );
    }
}
