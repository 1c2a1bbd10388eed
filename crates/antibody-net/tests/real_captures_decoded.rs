//! Real captures (suricata-verify, beside the repository in
//! `shared/data/pcap`) through the whole decoding pipeline, and our TLS and
//! DNS decoding checked against what Suricata's own tests expect from the
//! same files: every JA3 hash, JA3S hash and SNI a `test.yaml` asks Suricata
//! to log must be among the records we decode. Skipped, with a message,
//! when the directory is absent.

use antibody_net::model::{NetRecord, RecordSink};
use antibody_net::session::{SessionOptions, run_capture};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/pcap/suricata-verify")
}

#[derive(Default)]
struct Seen {
    records: [u64; 5],
    ja3: BTreeSet<String>,
    ja3s: BTreeSet<String>,
    sni: BTreeSet<String>,
    queries: BTreeSet<String>,
}

impl RecordSink for Seen {
    fn record(&mut self, r: NetRecord) {
        match r {
            NetRecord::Conn(_) => self.records[0] += 1,
            NetRecord::Http(_) => self.records[1] += 1,
            NetRecord::Tls(t) => {
                self.records[2] += 1;
                self.ja3.extend(t.ja3_hash.clone());
                self.ja3s.extend(t.ja3s_hash.clone());
                self.sni.extend(t.sni.clone());
            }
            NetRecord::Dns(d) => {
                self.records[3] += 1;
                self.queries.insert(d.query);
            }
            NetRecord::Smtp(_) => self.records[4] += 1,
        }
    }
}

fn decode(path: &Path) -> Seen {
    let data = std::fs::read(path).unwrap();
    let mut seen = Seen::default();
    // A capture the reader refuses is fine here; decoding must not panic.
    let _ = run_capture(&data, &SessionOptions::default(), &mut seen);
    seen
}

/// `key: "value"` lines of the test's filters that expect at least one
/// event (filters with `count: 0` expect none and are skipped).
fn expected(yaml: &str, key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut count_zero = false;
    for line in yaml.lines() {
        let t = line.trim();
        if t.starts_with("- filter:") {
            count_zero = false;
        }
        if t == "count: 0" {
            count_zero = true;
        }
        if let Some(v) = t.strip_prefix(&format!("{key}:")) {
            let v = v.trim().trim_matches('"').to_string();
            if !count_zero && !v.is_empty() {
                out.push(v);
            }
        }
    }
    out
}

fn capture_in(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.contains(".pcap"))
        })
}

#[test]
fn tls_fingerprints_and_sni_match_what_suricata_expects() {
    let dir = data_dir();
    if !dir.is_dir() {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    }
    let mut checked = 0;
    let mut tests: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    tests.sort();
    for t in tests {
        let Ok(yaml) = std::fs::read_to_string(t.join("test.yaml")) else {
            continue;
        };
        let ja3 = expected(&yaml, "tls.ja3.hash");
        let ja3s = expected(&yaml, "tls.ja3s.hash");
        if ja3.is_empty() && ja3s.is_empty() {
            continue;
        }
        let Some(cap) = capture_in(&t) else { continue };
        let seen = decode(&cap);
        for h in &ja3 {
            assert!(
                seen.ja3.contains(h),
                "{}: JA3 {h} not among {:?}",
                t.display(),
                seen.ja3
            );
            checked += 1;
        }
        for h in &ja3s {
            assert!(
                seen.ja3s.contains(h),
                "{}: JA3S {h} not among {:?}",
                t.display(),
                seen.ja3s
            );
            checked += 1;
        }
        for s in expected(&yaml, "tls.sni") {
            assert!(
                seen.sni.contains(&s),
                "{}: SNI {s} not among {:?}",
                t.display(),
                seen.sni
            );
            checked += 1;
        }
    }
    eprintln!("{checked} JA3/JA3S/SNI values checked against Suricata's expectations");
    assert!(checked >= 10, "only {checked} values checked");
}

#[test]
fn dns_queries_match_what_suricata_expects() {
    let dir = data_dir();
    if !dir.is_dir() {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    }
    let mut checked = 0;
    let mut missing = Vec::new();
    for name in [
        "dns__dns-eve",
        "dns-opcode",
        "dns__bug-990",
        "dns__dns-answer-name",
        "dns-reversed-udp-1",
        "dns-reversed-tcp-1",
        "dns__bug-1158",
    ] {
        let t = dir.join(name);
        let (Ok(yaml), Some(cap)) = (std::fs::read_to_string(t.join("test.yaml")), capture_in(&t))
        else {
            continue;
        };
        let seen = decode(&cap);
        for q in expected(&yaml, "dns.queries[0].rrname")
            .into_iter()
            .chain(expected(&yaml, "dns.rrname"))
        {
            let q = q.trim_end_matches('.').to_ascii_lowercase();
            checked += 1;
            if !seen.queries.contains(&q) {
                missing.push(format!("{name}: {q}"));
            }
        }
    }
    eprintln!("{checked} DNS names checked against Suricata's expectations");
    assert!(missing.is_empty(), "{missing:#?}");
    assert!(checked >= 5, "only {checked} names checked");
}

#[test]
fn every_real_capture_decodes_without_panic_and_yields_records() {
    let dir = data_dir();
    if !dir.is_dir() {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    }
    let mut total = [0u64; 5];
    let mut files = 0;
    let mut evaders = 0;
    let mut evaders_without_http = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().contains(".pcap") {
                let seen = decode(&p);
                if p.to_string_lossy().contains("http-evader") {
                    evaders += 1;
                    if seen.records[1] == 0 {
                        evaders_without_http.push(p.display().to_string());
                    }
                }
                for (t, n) in total.iter_mut().zip(seen.records) {
                    *t += n;
                }
                files += 1;
            }
        }
    }
    eprintln!("{files} captures: conn/http/tls/dns/smtp records {total:?}");
    assert!(files >= 200);
    // Every protocol is present in the corpus; each must decode somewhere.
    assert!(total.iter().all(|&n| n > 0), "{total:?}");
    // Each http-evader capture holds one HTTP download that Suricata logs
    // (with the host `evader.example.com`); it must decode here too.
    assert_eq!(evaders, 50);
    assert!(evaders_without_http.is_empty(), "{evaders_without_http:#?}");
}
