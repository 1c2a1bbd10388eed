//! Arbitrary text into entity and technique recognition: never a panic,
//! every entity has an id, every technique is one the ATT&CK table knows.

#![no_main]

use antibody_intel::attack;
use antibody_intel::entities::Recogniser;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let got = Recogniser::shared().recognise(text);
    for e in &got.entities {
        assert!(!e.id.is_empty(), "entity without an id: {e:?}");
        assert!(e.count >= 1 && !e.mentions.is_empty(), "{e:?}");
    }
    let table = attack::table();
    for t in &got.techniques {
        assert!(
            table.technique(&t.id).is_some(),
            "technique {} not in the ATT&CK table",
            t.id
        );
    }
});
