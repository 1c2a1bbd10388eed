#![no_main]
// Archive expansion: any bytes as zip, gzip or tar, with small limits so a
// fuzzer-made bomb is cut quickly; nested members are opened too.
use antibody_archive::{Budget, Limits, visit_members};
use antibody_core::{Kind, Location, sniff};

fn open(kind: Kind, data: &[u8], at: &Location, limits: &Limits, budget: &Budget) {
    let mut members = Vec::new();
    let _ = visit_members(kind, data, at, limits, budget, &mut |l, b| members.push((l, b)));
    for (l, b) in members {
        let k = sniff(&b);
        if k.is_container() {
            open(k, &b, &l, limits, budget);
        }
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_member_size: 1 << 20, max_total: 4 << 20, ..Limits::default() };
    for kind in [Kind::Zip, Kind::Gzip, Kind::Tar] {
        let budget = Budget::new(&limits);
        open(kind, data, &Location::file("fuzz"), &limits, &budget);
    }
});
