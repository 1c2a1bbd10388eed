#![no_main]
// Pack loading: the first byte picks the file the rest is fed as.
use antibody_core::pack::{Origin, load_files};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let manifest = b"[pack]\nname='f'\nversion='1'\ndescription='d'\n[[source]]\nid='s'\ntitle='t'\nurl='https://x.org'\n".to_vec();
    let files = if pick % 2 == 0 {
        vec![("pack.toml".to_string(), rest.to_vec())]
    } else {
        vec![("pack.toml".to_string(), manifest), ("indicators.toml".to_string(), rest.to_vec())]
    };
    let _ = load_files(files, Origin::Builtin, Vec::new());
});
