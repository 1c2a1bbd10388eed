//! Parses every rule under the given folders and prints what failed.
use antibody_logs::sigma::rule::{parse_file, rule_files};
use std::path::Path;

fn main() {
    let mut ok = 0;
    let mut bad = 0;
    let mut warn = 0;
    for dir in std::env::args().skip(1) {
        for f in rule_files(Path::new(&dir)).unwrap() {
            let p = parse_file(&f, &Default::default());
            ok += p.documents.len();
            bad += p.errors.len();
            warn += p.warnings.len();
            for e in p.errors {
                println!("{e}");
            }
        }
    }
    println!("loaded {ok}, rejected {bad}, warnings {warn}");
}
