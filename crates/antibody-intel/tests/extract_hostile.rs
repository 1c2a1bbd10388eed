//! Hostile input: huge lines, pathological defang runs, wrong encodings and
//! truncated rule blocks. The extractor must finish in time linear in the
//! input, find what is really there, and emit nothing from garbage.

use antibody_intel::extract::{ExtractOptions, Extractor};
use antibody_intel::{Ioc, IocKind};
use std::io::Read;
use std::time::{Duration, Instant};

fn extractor() -> Extractor {
    Extractor::new(ExtractOptions::default())
}

/// A reader that produces `len` bytes of prose on one line (no newline),
/// with `head` at the start and `tail` at the end, without holding it all.
struct OneLine {
    head: Vec<u8>,
    tail: Vec<u8>,
    len: usize,
    pos: usize,
}

const FILLER: &[u8] =
    b"the actor moved laterally and staged archives before exfiltration over encrypted channels ";

impl Read for OneLine {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0;
        while n < buf.len() && self.pos < self.len {
            let tail_at = self.len - self.tail.len();
            buf[n] = if self.pos < self.head.len() {
                self.head[self.pos]
            } else if self.pos >= tail_at {
                self.tail[self.pos - tail_at]
            } else {
                FILLER[(self.pos - self.head.len()) % FILLER.len()]
            };
            n += 1;
            self.pos += 1;
        }
        Ok(n)
    }
}

#[test]
fn hundred_megabytes_without_a_newline() {
    let len = 100 << 20;
    let reader = OneLine {
        head: b"First beacon to evil-start[.]top and 45.77.12.9 here ".to_vec(),
        tail: b" last beacon to evil-end[.]top at the very end".to_vec(),
        len,
        pos: 0,
    };
    let mut found: Vec<Ioc> = Vec::new();
    let t = Instant::now();
    let n = extractor()
        .extract_reader(reader, &mut |i| found.push(i))
        .expect("generated input reads");
    assert_eq!(n, len as u64);
    let values: Vec<&str> = found.iter().map(|i| i.value.as_str()).collect();
    assert_eq!(
        values,
        ["evil-start.top", "45.77.12.9", "evil-end.top"],
        "{found:?}"
    );
    assert!(found[2].offset > (len - 100) as u64);
    assert!(found.iter().all(|i| i.sentence.chars().count() <= 400));
    // Generous: debug build on a shared machine.
    assert!(
        t.elapsed() < Duration::from_secs(300),
        "took {:?}",
        t.elapsed()
    );
}

#[test]
fn a_token_longer_than_any_window_is_skipped_whole() {
    let mut text = String::from("Start evil-one[.]top then ");
    text.push_str(&"a1.".repeat(4 << 20));
    text.push_str(" and finally evil-two[.]top here.");
    let mut found = Vec::new();
    extractor()
        .extract_reader(text.as_bytes(), &mut |i| found.push(i.value))
        .expect("memory reads");
    assert_eq!(found, ["evil-one.top", "evil-two.top"]);
    assert_eq!(extractor().extract(&text).len(), 2);
}

/// Time of the fastest of two runs of `extract` over `text`.
fn time(text: &str) -> (Duration, Vec<Ioc>) {
    let mut best = Duration::MAX;
    let mut out = Vec::new();
    for _ in 0..2 {
        let t = Instant::now();
        out = extractor().extract(text);
        best = best.min(t.elapsed());
    }
    (best, out)
}

fn repeat_to(unit: &str, len: usize) -> String {
    unit.repeat(len / unit.len() + 1)
}

#[test]
fn pathological_runs_stay_linear_and_silent() {
    let units = [
        "[.]",
        "[.] ",
        "hxxp://",
        "hxxp:// ",
        "hxxp[:]//",
        "(.)(.)",
        "[dot][dot] ",
        " . ",
        "1.1.1.1.",
        "1.1.1.1.1.1 ",
        "0123456789abcdef",
        "\\.\\.",
        "[@][at](at) ",
        "\u{a0}.\u{200b}",
        "rule r {\n",
        "title: t\n  title: u\n",
        "alert tcp any any -> any any (msg:\"x\";\n",
        "%APPDATA%\\",
        "C:\\a ",
        "HKLM\\a b\\",
    ];
    // 1 and 8 MiB with optimisations; a quarter of that in debug builds,
    // where the 20 runs would otherwise take a minute: the ratio is what
    // is checked.
    let small_len = if cfg!(debug_assertions) {
        256 << 10
    } else {
        1 << 20
    };
    for unit in units {
        let small = repeat_to(unit, small_len);
        let big = repeat_to(unit, 8 * small_len);
        let (t1, found_small) = time(&small);
        let (t8, found_big) = time(&big);
        let hostile: Vec<&Ioc> = found_small
            .iter()
            .chain(&found_big)
            .filter(|i| i.flag.is_none())
            .collect();
        assert!(
            hostile
                .iter()
                .all(|i| matches!(i.kind, IocKind::FilePath | IocKind::Registry)),
            "{unit:?} emitted {:?}",
            hostile.iter().take(3).collect::<Vec<_>>()
        );
        // 8x the input within 20x the time (a floor absorbs timer noise).
        let floor = Duration::from_millis(20);
        assert!(
            t8 < (t1.max(floor)) * 20,
            "{unit:?}: {} KiB {t1:?}, 8 times that {t8:?}",
            small_len >> 10
        );
    }
}

#[test]
fn invalid_utf8_is_decoded_lossily() {
    let mut bytes =
        b"Start \xff\xfe\xc3 beacon to evil-c2[.]top \xe2\x80 and 45.77.12.9\xc0 end".to_vec();
    bytes.extend(std::iter::repeat_n(0x80u8, 1 << 16));
    bytes.extend_from_slice(b" tail evil-tail[.]top.");
    let mut found = Vec::new();
    let n = extractor()
        .extract_reader(bytes.as_slice(), &mut |i| found.push(i.value))
        .expect("memory reads");
    assert_eq!(n, bytes.len() as u64);
    assert_eq!(found, ["evil-c2.top", "45.77.12.9", "evil-tail.top"]);
}

#[test]
fn utf16_text_does_not_panic_or_invent_indicators() {
    let text = "Beacon to evil-c2.top and 45.77.12.9 and C:\\Users\\Public\\a.exe";
    for bom in [[0xFF, 0xFE], [0xFE, 0xFF]] {
        let mut bytes = bom.to_vec();
        for u in text.encode_utf16() {
            let pair = if bom[0] == 0xFF {
                u.to_le_bytes()
            } else {
                u.to_be_bytes()
            };
            bytes.extend_from_slice(&pair);
        }
        let mut found = Vec::new();
        let n = extractor()
            .extract_reader(bytes.as_slice(), &mut |i| found.push(i))
            .expect("memory reads");
        assert_eq!(n, bytes.len() as u64);
        // Every other byte is NUL, so no token is longer than one character.
        assert!(found.is_empty(), "{found:?}");
    }
}

#[test]
fn failing_reader_reports_where() {
    struct Broken(usize);
    impl Read for Broken {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0 == 0 {
                return Err(std::io::Error::other("disk gone"));
            }
            let n = buf.len().min(self.0);
            buf[..n].fill(b' ');
            buf[..n.min(12)].copy_from_slice(&b"evil-c2.top "[..n.min(12)]);
            self.0 -= n;
            Ok(n)
        }
    }
    let err = extractor()
        .extract_reader(Broken(100), &mut |_| {})
        .expect_err("the reader fails");
    assert!(err.to_string().contains("byte 100"), "{err}");
}

#[test]
fn truncated_rules_are_not_emitted() {
    let yara = "rule Demo_Marker {\n  strings:\n    $a = \"marker\"\n  condition:\n    $a\n}";
    let sigma = "title: Demo Rule\nlogsource:\n  product: windows\ndetection:\n  sel:\n    Image: x.exe\n  condition: sel";
    let snort = "alert tcp any any -> any 443 (msg:\"Demo\"; content:\"x\"; sid:9000001; rev:1;)";
    let rules = |text: &str| -> Vec<IocKind> {
        extractor()
            .extract(text)
            .into_iter()
            .filter(|i| i.kind.is_rule())
            .map(|i| i.kind)
            .collect()
    };
    assert_eq!(
        rules(&format!("Rules:\n\n{yara}\n\n{sigma}\n\n{snort}\n")).len(),
        3
    );
    assert!(rules(&format!("YARA:\n\n{}", &yara[..yara.len() - 2])).is_empty());
    assert!(
        rules(&format!(
            "YARA:\n\n{}\n\nMore prose.",
            &yara[..yara.len() - 2]
        ))
        .is_empty()
    );
    let cut_sigma = &sigma[..sigma.find("detection").unwrap_or(0)];
    assert!(rules(&format!("Sigma:\n\n{cut_sigma}\n")).is_empty());
    assert!(rules(&format!("Snort:\n{}\n", &snort[..snort.len() - 12])).is_empty());
}

#[test]
fn rules_across_window_boundaries_are_kept_whole() {
    let yara = "rule Demo_Marker {\n  strings:\n    $a = \"marker\"\n  condition:\n    $a\n}";
    for pad in [(1 << 20) - 40, (1 << 20) - 10, (1 << 20) + 3] {
        let mut text = "word ".repeat(pad / 5);
        text.push('\n');
        text.push_str(yara);
        text.push_str("\nend\n");
        let mut found = Vec::new();
        extractor()
            .extract_reader(text.as_bytes(), &mut |i| found.push(i))
            .expect("memory reads");
        let r: Vec<&Ioc> = found
            .iter()
            .filter(|i| i.kind == IocKind::YaraRule)
            .collect();
        assert_eq!(r.len(), 1, "pad {pad}");
        assert_eq!(r[0].value, yara);
    }
}
