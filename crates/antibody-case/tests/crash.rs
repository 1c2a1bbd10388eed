//! A hunt process killed with SIGKILL in the middle of writing batches
//! leaves a valid case: every committed batch whole, none half-written, and
//! the hunt reported as interrupted.
//!
//! The test binary re-runs itself: `crash_child` does the hunting when
//! `ANTIBODY_CASE_CRASH_CHILD` names a case file, and is a no-op otherwise.

use antibody_case::{Case, HuntStatus, ItemRecord, NewHunt};
use antibody_core::{
    Confidence, Finding, ItemError, ItemErrorKind, Kind, Location, RuleRef, Severity,
};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

const CHILD_ENV: &str = "ANTIBODY_CASE_CRASH_CHILD";
/// Findings per batch; large enough that a kill usually lands mid-commit.
const FINDINGS_PER_BATCH: usize = 400;
const ITEMS_PER_BATCH: usize = 50;
const ERRORS_PER_BATCH: usize = 3;
/// Batches the parent waits to see committed before killing the child.
const BATCHES_BEFORE_KILL: usize = 5;

fn finding(i: usize) -> Finding {
    Finding {
        rule: RuleRef {
            id: "hash:sha256".into(),
            name: "Published WellMail hash".into(),
            pack: "apt29-2020".into(),
            engine: "files".into(),
            references: vec![],
            author: None,
        },
        title: "WellMail sample by hash".into(),
        reason: "SHA-256 matches the advisory".into(),
        severity: Severity::DESCENDING[i % 5],
        confidence: Confidence::High,
        techniques: vec!["S0515".into()],
        location: Location::file(format!("/mnt/image/home/u/{i}.bin")),
        offset: None,
        matches: vec![],
        observables: vec![],
        file: None,
        timestamp: None,
        action: "Isolate the host.".into(),
        events: Vec::new(),
    }
}

#[test]
fn crash_child() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return; // only meaningful when re-run by `sigkill_mid_hunt_leaves_a_valid_case`
    };
    let mut case = Case::open(path.as_ref()).unwrap();
    let hunt = case
        .begin_hunt(&NewHunt {
            version: "0.1.0".into(),
            targets: vec!["/mnt/image".into()],
            args: vec!["hunt".into()],
            packs: vec![],
        })
        .unwrap();
    let mut stdout = std::io::stdout();
    for batch in 0.. {
        let items: Vec<_> = (0..ITEMS_PER_BATCH)
            .map(|i| ItemRecord {
                location: format!("/mnt/image/{batch}/{i}"),
                kind: Kind::Binary,
                size: 4096,
                sha256: None,
            })
            .collect();
        case.add_items(hunt, &items).unwrap();
        let findings: Vec<_> = (0..FINDINGS_PER_BATCH)
            .map(|i| finding(batch * FINDINGS_PER_BATCH + i))
            .collect();
        case.add_findings(hunt, &findings).unwrap();
        let errors: Vec<_> = (0..ERRORS_PER_BATCH)
            .map(|i| {
                ItemError::new(
                    format!("/mnt/image/{batch}/e{i}"),
                    ItemErrorKind::Corrupt,
                    "bad",
                )
            })
            .collect();
        case.add_errors(hunt, &errors).unwrap();
        writeln!(stdout, "batch {batch}").unwrap();
        stdout.flush().unwrap();
    }
}

#[test]
fn sigkill_mid_hunt_leaves_a_valid_case() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("case.db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    // Keep the pipe open until the kill, so that the child cannot die of a
    // failed write instead.
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let batches = lines
        .by_ref()
        .map_while(Result::ok)
        .filter(|l| l.starts_with("batch "))
        .take(BATCHES_BEFORE_KILL)
        .count();
    // Child::kill is SIGKILL on Unix (TerminateProcess on Windows): no
    // destructor, no finish_hunt, possibly mid-transaction.
    child.kill().unwrap();
    let status = child.wait().unwrap();
    drop(lines);
    assert_eq!(batches, BATCHES_BEFORE_KILL, "child died early: {status}");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            status.signal(),
            Some(9),
            "child was not killed by SIGKILL: {status}"
        );
    }
    assert!(!status.success());

    let case = Case::open(&path).unwrap();
    let raw = rusqlite::Connection::open(&path).unwrap();
    let integrity: String = raw
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let fk_violations: i64 = raw
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(fk_violations, 0);

    let hunts = case.hunts().unwrap();
    assert_eq!(hunts.len(), 1);
    let hunt = &hunts[0];
    assert_eq!(hunt.status, HuntStatus::Interrupted);
    assert_eq!((hunt.finished, &hunt.summary), (None, &None));

    let count = |table: &str| -> usize {
        raw.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap() as usize
    };
    let (items, findings, errors) = (count("items"), count("findings"), count("errors"));
    // Batches are atomic: whole multiples only, and the three tables are
    // written in order, so they are at most one batch apart.
    assert_eq!(items % ITEMS_PER_BATCH, 0, "partial item batch: {items}");
    assert_eq!(
        findings % FINDINGS_PER_BATCH,
        0,
        "partial finding batch: {findings}"
    );
    assert_eq!(
        errors % ERRORS_PER_BATCH,
        0,
        "partial error batch: {errors}"
    );
    let (bi, bf, be) = (
        items / ITEMS_PER_BATCH,
        findings / FINDINGS_PER_BATCH,
        errors / ERRORS_PER_BATCH,
    );
    assert!(be >= BATCHES_BEFORE_KILL, "acknowledged batches lost: {be}");
    assert!(bi >= bf && bf >= be && bi <= be + 1, "{bi} {bf} {be}");

    let read = case.read_findings().unwrap();
    assert_eq!((read.findings.len(), read.unreadable), (findings, 0));
    for s in &read.findings {
        assert_eq!(s.first_seen_hunt, hunt.id);
        assert_eq!(s.last_seen_hunt, hunt.id);
        assert_eq!(s.times_seen, 1);
        assert_eq!(s.fingerprint, s.finding.fingerprint());
    }
    assert_eq!(case.errors(Some(hunt.id)).unwrap().len(), errors);
}
