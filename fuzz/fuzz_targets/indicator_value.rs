#![no_main]
// Indicator values from untrusted pack text: the first byte picks the type,
// the rest is the value. Normalising must never panic, must be idempotent
// (the index compares normalised values), and an indexed value must be
// found again by the lookup the engines use for its type.
use antibody_core::pack::{
    HashAlgo, Indicator, IndicatorIndex, IndicatorType, Origin, Pack, PackMeta, Source,
    normalise_value,
};
use antibody_core::{Confidence, Severity};
use std::net::IpAddr;

fn pack_of(kind: IndicatorType, value: &str) -> Pack {
    let text = |s: &str| s.to_string();
    Pack {
        meta: PackMeta {
            name: text("f"),
            version: text("1"),
            description: text("d"),
            published: None,
            actors: Vec::new(),
            attack: Vec::new(),
            default_action: None,
        },
        sources: vec![Source {
            id: text("s"),
            title: text("t"),
            url: text("https://x.org"),
            publisher: None,
            date: None,
        }],
        indicators: vec![Indicator {
            kind,
            value: value.to_string(),
            description: text("d"),
            severity: Severity::High,
            confidence: Confidence::Medium,
            attack: Vec::new(),
            source: text("s"),
            malware: None,
            action: None,
            line: 1,
        }],
        yara: Vec::new(),
        sigma: Vec::new(),
        network: Vec::new(),
        exposure: Vec::new(),
        origin: Origin::Builtin,
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let kind = IndicatorType::ALL[usize::from(pick) % IndicatorType::ALL.len()];
    let raw = String::from_utf8_lossy(rest);
    let Ok(value) = normalise_value(kind, &raw) else {
        return;
    };
    assert_eq!(
        normalise_value(kind, &value).as_ref(),
        Ok(&value),
        "{kind} `{raw}`"
    );

    let pack = pack_of(kind, &value);
    let index = IndicatorIndex::new([&pack]);
    let found = match kind {
        IndicatorType::Md5 => index.hash(HashAlgo::Md5, &value).len(),
        IndicatorType::Sha1 => index.hash(HashAlgo::Sha1, &value).len(),
        IndicatorType::Sha256 => index.hash(HashAlgo::Sha256, &value).len(),
        IndicatorType::Ipv4 | IndicatorType::Ipv6 => index
            .ip(value.parse::<IpAddr>().expect("normalised IP parses"))
            .len(),
        IndicatorType::Cidr => {
            let net: ipnet::IpNet = value.parse().expect("normalised CIDR parses");
            index.ip(net.network()).len()
        }
        IndicatorType::Domain => index.domain(&value).len(),
        IndicatorType::FileName | IndicatorType::FilePath => {
            // A glob need not match its own text; matching must not panic.
            let _ = (index.file_name(&raw), index.file_path(&raw));
            1
        }
        IndicatorType::String => index.strings().len(),
        _ => 1,
    };
    assert_eq!(found, 1, "{kind} `{value}` not found in the index");
});
