//! Tests across formats: nesting, the shared budget, bombs, and robustness
//! against mutated input.

use crate::testutil::{Entry, Got, Rng, gzip, run, run_nested, run_with, tar, zip, zip_stored};
use crate::{Budget, Limits, visit_members};
use antibody_core::{ItemErrorKind, Kind, Location};

#[test]
fn other_kinds_are_not_opened() {
    for kind in [
        Kind::Pe,
        Kind::Text,
        Kind::SevenZip,
        Kind::Bzip2,
        Kind::Empty,
    ] {
        let got = run(kind, b"PK\x03\x04whatever", "/e/x");
        assert!(got.members.is_empty() && got.errors.is_empty(), "{kind}");
    }
}

#[test]
fn container_at_the_depth_limit_is_not_opened() {
    let data = zip_stored(&[("a.txt", b"a")]);
    let mut at = Location::file("/e/x.zip");
    for i in 0..5 {
        at = at.member(format!("l{i}.zip"));
    }
    let got = run_with(Kind::Zip, &data, &at, &Limits::default());
    assert!(got.members.is_empty());
    assert_eq!(got.errors.len(), 1);
    assert_eq!(got.errors[0].kind, ItemErrorKind::Limit);
    assert_eq!(got.errors[0].item, at.to_string());
    assert_eq!(
        got.errors[0].reason,
        "nested 5 archives deep; depth limit 5 reached, not opened"
    );
    // One level less is opened.
    let shallower = Location::file("/e/x.zip").member("l0.zip");
    assert_eq!(
        run_with(Kind::Zip, &data, &shallower, &Limits::default())
            .members
            .len(),
        1
    );
}

/// `level8.zip` holds `level7.zip` ... holds `level1.zip` holds `payload.txt`.
fn matryoshka(levels: usize) -> Vec<u8> {
    let mut data = zip(&[Entry::File("payload.txt", b"found me")]);
    for level in 1..levels {
        let name = format!("level{level}.zip");
        data = zip(&[Entry::File(&name, &data)]);
    }
    data
}

#[test]
fn nested_bomb_stops_at_the_depth_limit() {
    let data = matryoshka(8);
    let got = run_nested(
        Kind::Zip,
        &data,
        &Location::file("/e/level8.zip"),
        &Limits::default(),
    );
    // Levels 8..4 are opened (depths 0..4); the zip at depth 5 is visited
    // (it can still be hashed and scanned) but not opened.
    let depths: Vec<usize> = got.members.iter().map(|(l, _)| l.depth()).collect();
    assert_eq!(depths, [1, 2, 3, 4, 5]);
    assert_eq!(got.errors.len(), 1, "{:?}", got.errors);
    let e = &got.errors[0];
    assert_eq!(e.kind, ItemErrorKind::Limit);
    assert_eq!(
        e.item,
        "/e/level8.zip!level7.zip!level6.zip!level5.zip!level4.zip!level3.zip"
    );
    assert!(e.reason.contains("depth limit 5 reached"), "{e}");
    assert!(!got.members.iter().any(|(_, b)| b == b"found me"));

    // With room for all levels the payload is found, 8 archives deep.
    let limits = Limits {
        max_depth: 8,
        ..Limits::default()
    };
    let got = run_nested(Kind::Zip, &data, &Location::file("/e/level8.zip"), &limits);
    assert!(got.errors.is_empty(), "{:?}", got.errors);
    let (at, bytes) = got.members.last().unwrap();
    assert_eq!(bytes, b"found me");
    assert_eq!(at.depth(), 8);
}

#[test]
fn budget_spans_nested_levels() {
    let noise = |seed: u64| {
        let mut rng = Rng::new(seed);
        (0..150_000).map(|_| rng.next() as u8).collect::<Vec<u8>>()
    };
    let inner_a = zip_stored(&[("a1.bin", &noise(1)), ("a2.bin", &noise(2))]);
    let inner_b = zip_stored(&[("b1.bin", &noise(3)), ("b2.bin", &noise(4))]);
    let outer = zip_stored(&[("a.zip", &inner_a), ("b.zip", &inner_b)]);
    let limits = Limits {
        max_total: 1_000_000,
        ..Limits::default()
    };
    let got = run_nested(Kind::Zip, &outer, &Location::file("/e/o.zip"), &limits);
    // The outer members spend about 600 kB, leaving room for two of the
    // four 150 kB inner members.
    assert!(got.budget_used <= limits.max_total);
    let visited: u64 = got.members.iter().map(|(_, b)| b.len() as u64).sum();
    assert!(visited <= limits.max_total, "visited {visited}");
    assert_eq!(got.names()[..2], ["/e/o.zip!a.zip", "/e/o.zip!b.zip"]);
    assert_eq!(got.members.len(), 4, "{:?}", got.names());
    assert_eq!(got.errors.len(), 2, "{:?}", got.errors);
    assert!(got.errors.iter().all(|e| e.kind == ItemErrorKind::Limit));
    assert!(
        got.errors
            .iter()
            .all(|e| e.reason.contains("expansion budget"))
    );
}

#[test]
fn gzip_bomb_is_cut_at_the_ratio_cap() {
    let zeros = vec![0u8; 20 << 20];
    let data = gzip(&zeros);
    let got = run(Kind::Gzip, &data, "/e/bomb.gz");
    assert!(got.members.is_empty());
    assert_eq!(got.errors.len(), 1, "{:?}", got.errors);
    assert_eq!(got.errors[0].kind, ItemErrorKind::Limit);
    assert!(
        got.errors[0].reason.contains("200:1 ratio limit"),
        "{}",
        got.errors[0]
    );
    // Only the cap (200 times the stream, at least 1 MiB) plus one byte was
    // decompressed.
    let cap = (data.len() as u64 * 200).max(1 << 20);
    assert_eq!(got.budget_used, cap + 1);
}

#[test]
fn gzip_over_the_member_size_is_cut_there() {
    let data = gzip(&vec![b'x'; 3 << 20]);
    let limits = Limits {
        max_member_size: 1 << 20,
        max_ratio: 1_000_000,
        ..Limits::default()
    };
    let got = run_with(Kind::Gzip, &data, &Location::file("/e/a.gz"), &limits);
    assert!(got.members.is_empty());
    assert_eq!(
        got.errors[0].reason,
        "member `a` expands past the 1 MiB member size limit"
    );
    assert_eq!(got.budget_used, (1 << 20) + 1);
}

#[test]
fn spent_budget_stops_a_gzip() {
    let limits = Limits {
        max_total: 10,
        ..Limits::default()
    };
    let got = run_with(
        Kind::Gzip,
        &gzip(b"more than ten bytes"),
        &Location::file("/e/a.gz"),
        &limits,
    );
    assert!(got.members.is_empty());
    assert_eq!(got.errors[0].kind, ItemErrorKind::Limit);
    assert_eq!(got.errors[0].reason, "expansion budget of 10 bytes used up");
    assert_eq!(got.budget_used, 10);
}

#[test]
fn visitor_panics_are_not_swallowed() {
    let data = zip_stored(&[("a.txt", b"a")]);
    let limits = Limits::default();
    let budget = Budget::new(&limits);
    let at = Location::file("/e/p.zip");
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        visit_members(Kind::Zip, &data, &at, &limits, &budget, &mut |_, _| {
            panic!("visitor bug")
        })
    }));
    assert!(result.is_err());
}

/// Applies one of a few mutations a fuzzer would: flipped bytes, a cut,
/// inserted or overwritten runs.
fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut data = seed.to_vec();
    for _ in 0..=rng.below(4) {
        if data.is_empty() {
            data.push(rng.next() as u8);
        }
        let at = rng.below(data.len());
        match rng.below(5) {
            0 => data[at] ^= 1 << rng.below(8),
            1 => data[at] = rng.next() as u8,
            2 => data.truncate(at),
            3 => {
                let run: Vec<u8> = (0..rng.below(64)).map(|_| rng.next() as u8).collect();
                data.splice(at..at, run);
            }
            _ => {
                let end = (at + rng.below(16)).min(data.len());
                let fill = [0x00, 0xff, 0x7f][rng.below(3)];
                data[at..end].fill(fill);
            }
        }
    }
    data
}

#[test]
fn mutated_archives_never_panic_and_stay_bounded() {
    let files = [
        Entry::Dir("d/"),
        Entry::File("d/a.txt", b"alpha alpha alpha alpha"),
        Entry::File("b.bin", &[0u8; 5000]),
        Entry::File("c.txt", b"charlie"),
    ];
    let tar_seed = tar(&files);
    let seeds = [
        (Kind::Zip, zip(&files)),
        (Kind::Zip, zip_stored(&[("x", b"x"), ("y", b"yy")])),
        (Kind::Gzip, gzip(&tar_seed)),
        (Kind::Tar, tar_seed),
    ];
    let limits = Limits {
        max_member_size: 1 << 20,
        max_members: 50,
        max_total: 4 << 20,
        ..Limits::default()
    };
    let at = Location::file("/e/fuzz");
    let mut rng = Rng::new(0x5eed);
    for (kind, seed) in &seeds {
        // Rounds that still yielded members, and that met problems: both
        // must be common or the mutations are not exercising anything.
        let (mut with_members, mut with_errors) = (0, 0);
        for round in 0..2_000 {
            let data = mutate(seed, &mut rng);
            let budget = Budget::new(&limits);
            let mut got = Got::default();
            got.errors = visit_members(*kind, &data, &at, &limits, &budget, &mut |l, b| {
                got.members.push((l, b))
            });
            let context = format!("{kind} round {round}");
            assert!(got.members.len() <= limits.max_members, "{context}");
            assert!(got.errors.len() <= limits.max_members * 2 + 2, "{context}");
            assert!(budget.used() <= limits.max_total, "{context}");
            for (_, bytes) in &got.members {
                assert!(bytes.len() as u64 <= limits.max_member_size, "{context}");
            }
            for e in &got.errors {
                assert!(!e.reason.contains("decoder failed"), "{context}: {e}");
            }
            with_members += usize::from(!got.members.is_empty());
            with_errors += usize::from(!got.errors.is_empty());
        }
        assert!(
            with_members > 200 && with_errors > 200,
            "{kind}: {with_members}, {with_errors}"
        );
    }
}
