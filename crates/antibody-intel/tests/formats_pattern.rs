//! The STIX 2.1 pattern parser: the grammar, its errors, and the
//! indicators patterns assert.

use antibody_intel::IocKind;
use antibody_intel::formats::parse_pattern;
use antibody_intel::formats::stix::pattern::{
    CompareOp, ComparisonExpr, Literal, ObservationExpr, PathStep, PropTest, Qualifier,
};

#[test]
fn the_whole_grammar_parses() {
    let ok = [
        "[file:hashes.'SHA-256' = 'aa']",
        "[file:hashes.MD5 == 'aa' OR file:name != 'x.exe']",
        "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
        "[ipv4-addr:value ISSUPERSET '198.51.100.7/32']",
        "[network-traffic:dst_port > 1024 AND network-traffic:dst_port <= 65535]",
        "[network-traffic:dst_port < 10 OR network-traffic:dst_port >= -1]",
        "[file:size <> 0.5 AND file:size NOT > +12]",
        "[file:name LIKE 'upd%.sh' AND file:name NOT MATCHES '^a\\\\.b$']",
        "[domain-name:value IN ('a.top', 'b.top') AND domain-name:value NOT IN ()]",
        "[email-message:to_refs[*].value = 'a@b.top' AND email-message:to_refs[0].value = 'c@d.top']",
        "[x-custom-thing:list[-1] = true AND x-custom-thing:flag = false]",
        "[artifact:payload_bin = b'aGVsbG8=' AND artifact:payload_bin != h'0aFF']",
        "[file:created = t'2020-07-16T00:00:00Z' AND file:modified > t'2020-07-16T00:00:00.123Z']",
        "[file:name = 'it\\'s \\\\ here']",
        "[a:b = 1] AND [c:d = 2] OR [e:f = 3] FOLLOWEDBY [g:h = 4]",
        "([a:b = 1] OR [c:d = 2]) AND ([e:f = 3] FOLLOWEDBY [g:h = 4]) WITHIN 10.5 SECONDS",
        "[a:b = 1] REPEATS 5 TIMES WITHIN 300 SECONDS",
        "[a:b = 1] START t'2020-01-01T00:00:00Z' STOP t'2020-02-01T00:00:00Z'",
        "[(a:b = 1 OR a:c = 2) AND NOT_A_KEYWORD:d = 3]",
        "[EXISTS windows-registry-key:values[*].name]",
        "[windows-registry-key:'key' = 'HKLM']",
    ];
    for p in ok {
        parse_pattern(p).unwrap_or_else(|e| panic!("{p}: {e}"));
    }
}

#[test]
fn the_tree_keeps_precedence_and_qualifiers() {
    let p = parse_pattern("[a:b = 1] AND [c:d = 2] OR [e:f = 3] REPEATS 2 TIMES").unwrap();
    let ObservationExpr::Or(items) = &p.root else {
        panic!("{:?}", p.root)
    };
    assert!(matches!(items[0], ObservationExpr::And(ref v) if v.len() == 2));
    assert!(matches!(
        items[1],
        ObservationExpr::Qualified(_, Qualifier::Repeats(2))
    ));

    let p = parse_pattern("[file:hashes.'SHA-256' NOT IN ('x', 3)]").unwrap();
    let ObservationExpr::Observation(ComparisonExpr::Test(PropTest::Compare {
        path,
        negated,
        op,
        value,
    })) = &p.root
    else {
        panic!("{:?}", p.root)
    };
    assert_eq!(path.object_type, "file");
    assert_eq!(
        path.steps,
        [
            PathStep::Key("hashes".into()),
            PathStep::Key("SHA-256".into())
        ]
    );
    assert!(*negated);
    assert_eq!(*op, CompareOp::In);
    assert_eq!(
        *value,
        Literal::Set(vec![Literal::String("x".into()), Literal::Int(3)])
    );

    let p = parse_pattern(r"[file:name = 'a\'b\\c']").unwrap();
    let ObservationExpr::Observation(ComparisonExpr::Test(PropTest::Compare { value, .. })) =
        &p.root
    else {
        panic!()
    };
    assert_eq!(*value, Literal::String(r"a'b\c".into()));
}

#[test]
fn errors_give_the_offset_and_what_was_expected() {
    let cases: &[(&str, usize, &str)] = &[
        ("", 0, "`[` or `(`"),
        ("[file:name = 'x'", 16, "`]`"),
        ("[file:name = 'x]", 13, "closing `'`"),
        ("[file:name = 'a\\n']", 15, "escapes"),
        ("[file name = 'x']", 6, "`:`"),
        ("[file:name 'x']", 11, "comparison operator"),
        ("[file:name LIKE 3]", 16, "a string"),
        ("[file:size > true]", 13, "orderable literal"),
        ("[file:hashes.SHA-256 = 'x']", 13, "quote it"),
        ("[a:b = 1] AND", 13, "`[` or `(`"),
        ("[a:b = 1] WITHIN 0 SECONDS", 17, "positive number"),
        ("[a:b = 1] REPEATS 2", 19, "`TIMES`"),
        (
            "[a:b = 1] START t'2020-01-01T00:00:00Z' STOP '2020'",
            45,
            "timestamp",
        ),
        ("[a:b = t'2020-01-01']", 7, "timestamp"),
        ("[a:b = b'abc']", 7, "base64"),
        ("[a:b = h'abc']", 7, "hex digits"),
        ("[a:b = 007]", 7, "leading zeros"),
        ("[a:b = 99999999999999999999]", 7, "64 bits"),
        ("[a:b IN ('x' 'y')]", 13, "`,` or `)`"),
        ("[a:b[x] = 1]", 5, "list index"),
        ("[a:b = 1] [c:d = 2]", 10, "the end"),
        ("[a:b = 1 § ]", 9, "a token"),
    ];
    for (p, offset, expected) in cases {
        let e = parse_pattern(p).expect_err(p);
        assert_eq!(e.offset, *offset, "{p}: {e}");
        assert!(e.to_string().contains(expected), "{p}: {e}");
    }
}

#[test]
fn hostile_patterns_fail_or_parse_without_exhausting_the_stack() {
    let deep = format!("{}[a:b = 1]{}", "(".repeat(100_000), ")".repeat(100_000));
    let e = parse_pattern(&deep).unwrap_err();
    assert!(e.to_string().contains("levels of nesting"), "{e}");
    let deep = format!("[{}a:b = 1{}]", "(".repeat(100_000), ")".repeat(100_000));
    assert!(parse_pattern(&deep).is_err());
    // A long flat chain is fine: chains are lists, not nested pairs.
    let chain = vec!["[a:b = 1]"; 50_000].join(" AND ");
    let t = std::time::Instant::now();
    let p = parse_pattern(&chain).unwrap();
    assert!(t.elapsed().as_secs() < 5);
    assert!(matches!(p.root, ObservationExpr::And(ref v) if v.len() == 50_000));
    let inner = vec!["a:b = 'x'"; 50_000].join(" OR ");
    let p = parse_pattern(&format!("[{inner}]")).unwrap();
    assert_eq!(p.indicators().len(), 0);
}

#[test]
fn indicators_from_equality_tests() {
    let p = parse_pattern(
        "[ipv4-addr:value = '1.2.3.4' OR ipv4-addr:value = '10.0.0.0/8' OR ipv4-addr:value = '5.6.7.8/32'] \
         AND [ipv6-addr:value = '2a00::1'] AND [domain-name:value IN ('a.top', 'b.top')] \
         AND [url:value = 'http://a.top/x'] AND [email-message:from_ref.value = 'x@a.top'] \
         AND [file:hashes.md5 = 'aa' AND file:hashes.'SHA-1' = 'bb' AND file:hashes.SHA256 = 'cc' \
              AND file:hashes.'SHA-512' = 'dd' AND file:hashes.SSDEEP = 'ee' AND file:hashes.'TLSH' = 'ff'] \
         AND [file:name = 'a.exe'] AND [directory:path = 'C:\\\\Temp'] \
         AND [windows-registry-key:key = 'HKLM\\\\Run'] AND [x509-certificate:hashes.'SHA-256' = 'ab'] \
         AND [x509-certificate:hashes.MD5 = 'no'] \
         AND [network-traffic:dst_ref.value = '9.9.9.9' AND network-traffic:src_ref.value = 'c2.top'] \
         AND [domain-name:value != 'not.top' AND domain-name:value NOT = 'neither.top'] \
         AND [domain-name:value LIKE '%.top' AND x-acme:value = 'custom']",
    )
    .unwrap();
    use IocKind::*;
    let want: Vec<(IocKind, String)> = [
        (Ipv4, "1.2.3.4"),
        (Cidr, "10.0.0.0/8"),
        (Ipv4, "5.6.7.8"),
        (Ipv6, "2a00::1"),
        (Domain, "a.top"),
        (Domain, "b.top"),
        (Url, "http://a.top/x"),
        (Email, "x@a.top"),
        (Md5, "aa"),
        (Sha1, "bb"),
        (Sha256, "cc"),
        (Sha512, "dd"),
        (Ssdeep, "ee"),
        (FileName, "a.exe"),
        (FilePath, r"C:\Temp"),
        (Registry, r"HKLM\Run"),
        (X509Fingerprint, "ab"),
        (Ipv4, "9.9.9.9"),
        (Domain, "c2.top"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect();
    assert_eq!(p.indicators(), want);
}

#[test]
fn a_directory_and_a_name_tested_together_are_one_path() {
    let p = parse_pattern(
        "[file:parent_directory_ref.path = 'C:\\\\Users\\\\Public' AND file:name = 'upd.exe' AND file:size = 3]",
    )
    .unwrap();
    assert_eq!(
        p.indicators(),
        [(IocKind::FilePath, r"C:\Users\Public\upd.exe".to_string())]
    );
    let p = parse_pattern("[file:parent_directory_ref.path = '/tmp/.x/' AND file:name = 'run.sh']")
        .unwrap();
    assert_eq!(
        p.indicators(),
        [(IocKind::FilePath, "/tmp/.x/run.sh".to_string())]
    );
    // Two names: no single path; the names are reported on their own and
    // the directory, being only where the file is, is not.
    let p = parse_pattern(
        "[file:parent_directory_ref.path = '/tmp' AND file:name = 'a' AND file:name = 'b']",
    )
    .unwrap();
    let names: Vec<IocKind> = p.indicators().into_iter().map(|(k, _)| k).collect();
    assert_eq!(names, [IocKind::FileName, IocKind::FileName]);
    // A directory with a name pattern is not a path of its own.
    let p = parse_pattern("[file:parent_directory_ref.path = '/tmp' AND file:name LIKE '%.sh']")
        .unwrap();
    assert!(p.indicators().is_empty());
}
