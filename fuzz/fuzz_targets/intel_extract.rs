#![no_main]
// Arbitrary bytes through the IOC extractor: the stream path always, the
// string path when the bytes are UTF-8. Whatever the input, every
// indicator must have a value, a bounded raw text and sentence, addresses
// that parse, and no (kind, value) may come twice.
use antibody_intel::extract::{ExtractOptions, Extractor};
use antibody_intel::{Ioc, IocKind};
use libfuzzer_sys::fuzz_target;
use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

const MAX_SENTENCE: usize = 120;

fn check(found: &[Ioc]) {
    let mut seen = HashSet::new();
    for i in found {
        assert!(!i.value.is_empty(), "empty value: {i:?}");
        assert!(i.raw.len() <= 512, "raw too long: {}", i.raw.len());
        assert!(i.sentence.chars().count() <= MAX_SENTENCE, "sentence too long: {i:?}");
        assert!((0.0..=1.0).contains(&i.confidence), "confidence {i:?}");
        assert!(seen.insert((i.kind, i.value.clone())), "duplicate {:?} {}", i.kind, i.value);
        match i.kind {
            IocKind::Ipv4 => assert!(i.value.parse::<Ipv4Addr>().is_ok(), "ipv4 {}", i.value),
            IocKind::Ipv6 => assert!(i.value.parse::<Ipv6Addr>().is_ok(), "ipv6 {}", i.value),
            IocKind::Cidr => {
                let (a, l) = i.value.split_once('/').expect("cidr has a length");
                assert!(a.parse::<IpAddr>().is_ok() && l.parse::<u8>().is_ok(), "cidr {}", i.value);
            }
            IocKind::Domain => assert!(
                i.value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-'),
                "domain {}",
                i.value
            ),
            _ => {}
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let ex = Extractor::new(ExtractOptions { max_sentence: MAX_SENTENCE });
    let mut streamed = Vec::new();
    let n = ex.extract_reader(data, &mut |i| streamed.push(i)).expect("reading memory cannot fail");
    assert_eq!(n, data.len() as u64);
    check(&streamed);
    if let Ok(text) = std::str::from_utf8(data) {
        let found = ex.extract(text);
        check(&found);
        // Same indicators either way (confidence may rise in `extract`).
        let a: Vec<_> = found.iter().map(|i| (i.kind, &i.value)).collect();
        let b: Vec<_> = streamed.iter().map(|i| (i.kind, &i.value)).collect();
        assert_eq!(a, b);
    }
});
