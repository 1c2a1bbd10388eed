//! Writing to a case: beginning and finishing hunts, and the batched,
//! transactional adds of items, item errors and findings.

use crate::error::{At, CaseError};
use crate::lock::{self, HuntLock};
use crate::{AddOutcome, Case, HuntId, HuntStatus, ItemRecord, NewHunt, time_text};
use antibody_core::{Finding, ItemError, Severity, Summary};
use chrono::Utc;
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};
use serde::Serialize;

/// Inserts a finding, or refreshes the stored one with the same
/// fingerprint. `times_seen` counts hunts, so a repeat within the hunt that
/// last saw it does not count.
const UPSERT_FINDING: &str = "
INSERT INTO findings (fingerprint, rule_id, pack, engine, severity, severity_rank, title,
                      location, first_seen_hunt, last_seen_hunt, times_seen, finding)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, 1, ?10)
ON CONFLICT (fingerprint) DO UPDATE SET
    times_seen = times_seen + (last_seen_hunt <> excluded.last_seen_hunt),
    last_seen_hunt = max(last_seen_hunt, excluded.last_seen_hunt),
    rule_id = excluded.rule_id,
    pack = excluded.pack,
    engine = excluded.engine,
    severity = excluded.severity,
    severity_rank = excluded.severity_rank,
    title = excluded.title,
    location = excluded.location,
    finding = excluded.finding";

impl Case {
    /// Records the start of a hunt and returns its id. The hunt is
    /// `running` until [`Case::finish_hunt`]; this handle holds its lock
    /// file until then (see the [crate docs](crate)).
    pub fn begin_hunt(&mut self, h: &NewHunt) -> Result<HuntId, CaseError> {
        let targets = self.json("targets", &h.targets)?;
        let args = self.json("args", &h.args)?;
        let packs = self.json("packs", &h.packs)?;
        let path = self.path.clone();
        let tx = self.write_tx()?;
        tx.execute(
            "INSERT INTO hunts (started, status, version, targets, args, packs)
             VALUES (?1, 'running', ?2, ?3, ?4, ?5)",
            params![time_text(Utc::now()), h.version, targets, args, packs],
        )
        .at(&path)?;
        let id = tx.last_insert_rowid();
        // Locked before the row becomes visible, so no other handle can
        // see this hunt running without its lock held.
        let lock = HuntLock::acquire(&path, id).map_err(|source| CaseError::Io {
            path: path.clone(),
            source,
        })?;
        tx.commit().at(&path)?;
        self.live.insert(id, lock);
        Ok(HuntId(id))
    }

    /// Records the items a hunt looked at, in one transaction.
    pub fn add_items(&mut self, hunt: HuntId, items: &[ItemRecord]) -> Result<(), CaseError> {
        self.check_live(hunt)?;
        let path = self.path.clone();
        let tx = self.write_tx()?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO items (hunt_id, location, kind, size, sha256)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .at(&path)?;
            for item in items {
                // Sizes past i64::MAX do not exist on real media; saturate
                // rather than fail the batch.
                let size = i64::try_from(item.size).unwrap_or(i64::MAX);
                insert
                    .execute(params![
                        hunt.0,
                        item.location,
                        serde_name(&item.kind),
                        size,
                        item.sha256
                    ])
                    .at(&path)?;
            }
        }
        tx.commit().at(&path)
    }

    /// Records findings of a hunt, in one transaction. A finding whose
    /// fingerprint the case already holds is updated, not duplicated: its
    /// JSON and columns are refreshed, `last_seen_hunt` becomes this hunt
    /// and `times_seen` goes up by one if an earlier hunt last saw it.
    pub fn add_findings(&mut self, hunt: HuntId, f: &[Finding]) -> Result<AddOutcome, CaseError> {
        self.check_live(hunt)?;
        let path = self.path.clone();
        // Encode first: a failure must not leave a half-done transaction.
        let encoded = f
            .iter()
            .map(|finding| {
                Ok((
                    finding,
                    finding.fingerprint(),
                    self.json("finding", finding)?,
                ))
            })
            .collect::<Result<Vec<_>, CaseError>>()?;
        let tx = self.write_tx()?;
        let mut outcome = AddOutcome::default();
        {
            let mut last_seen = tx
                .prepare_cached("SELECT last_seen_hunt FROM findings WHERE fingerprint = ?1")
                .at(&path)?;
            let mut upsert = tx.prepare_cached(UPSERT_FINDING).at(&path)?;
            for (finding, fingerprint, json) in &encoded {
                let before: Option<i64> = last_seen
                    .query_row([fingerprint], |r| r.get(0))
                    .optional()
                    .at(&path)?;
                match before {
                    None => outcome.new += 1,
                    Some(h) if h == hunt.0 => outcome.repeated += 1,
                    Some(_) => outcome.seen_again += 1,
                }
                upsert
                    .execute(params![
                        fingerprint,
                        finding.rule.id,
                        finding.rule.pack,
                        finding.rule.engine,
                        finding.severity.as_str(),
                        severity_rank(finding.severity),
                        finding.title,
                        finding.location.to_string(),
                        hunt.0,
                        json,
                    ])
                    .at(&path)?;
            }
        }
        tx.commit().at(&path)?;
        Ok(outcome)
    }

    /// Records items a hunt could not (fully) read, in one transaction.
    pub fn add_errors(&mut self, hunt: HuntId, e: &[ItemError]) -> Result<(), CaseError> {
        self.check_live(hunt)?;
        let path = self.path.clone();
        let tx = self.write_tx()?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO errors (hunt_id, item, kind, reason) VALUES (?1, ?2, ?3, ?4)",
                )
                .at(&path)?;
            for err in e {
                insert
                    .execute(params![hunt.0, err.item, err.kind.as_str(), err.reason])
                    .at(&path)?;
            }
        }
        tx.commit().at(&path)
    }

    /// Marks a hunt finished and stores its summary. The finish time is the
    /// summary's `finished`, or now. Releases the hunt's lock file.
    pub fn finish_hunt(&mut self, hunt: HuntId, summary: &Summary) -> Result<(), CaseError> {
        self.check_live(hunt)?;
        let json = self.json("summary", summary)?;
        let finished = time_text(summary.finished.unwrap_or_else(Utc::now));
        let path = self.path.clone();
        let tx = self.write_tx()?;
        let changed = tx
            .execute(
                "UPDATE hunts SET status = 'finished', finished = ?2, summary = ?3
                 WHERE id = ?1 AND status = 'running'",
                params![hunt.0, finished, json],
            )
            .at(&path)?;
        if changed != 1 {
            // Marked interrupted by a handle that could not see our lock
            // (no file locking on this platform); do not resurrect it.
            return Err(CaseError::HuntNotOpen { path, hunt: hunt.0 });
        }
        tx.commit().at(&path)?;
        self.live.remove(&hunt.0);
        Ok(())
    }

    /// Persists `interrupted` for every running hunt whose lock nobody
    /// holds, and removes its stale lock file.
    pub(crate) fn mark_interrupted(&self) -> Result<(), CaseError> {
        let running = self.running_hunt_ids()?;
        for id in running {
            if self.live.contains_key(&id) || lock::is_held(&self.path, id) {
                continue;
            }
            self.conn
                .execute(
                    "UPDATE hunts SET status = ?2 WHERE id = ?1 AND status = 'running'",
                    params![id, HuntStatus::Interrupted.as_str()],
                )
                .at(&self.path)?;
            lock::remove_stale(&self.path, id);
        }
        Ok(())
    }

    fn running_hunt_ids(&self) -> Result<Vec<i64>, CaseError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM hunts WHERE status = 'running' ORDER BY id")
            .at(&self.path)?;
        let ids = stmt
            .query_map([], |r| r.get(0))
            .at(&self.path)?
            .collect::<Result<Vec<i64>, _>>()
            .at(&self.path)?;
        Ok(ids)
    }

    /// Writes are only for hunts this handle began and has not finished.
    fn check_live(&self, hunt: HuntId) -> Result<(), CaseError> {
        if self.live.contains_key(&hunt.0) {
            Ok(())
        } else {
            Err(CaseError::HuntNotOpen {
                path: self.path.clone(),
                hunt: hunt.0,
            })
        }
    }

    /// An immediate transaction: it takes the write lock up front, so a
    /// concurrent writer waits out the busy timeout instead of failing on
    /// a read-to-write upgrade.
    fn write_tx(&mut self) -> Result<Transaction<'_>, CaseError> {
        self.conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .at(&self.path)
    }

    fn json<T: Serialize + ?Sized>(&self, what: &'static str, v: &T) -> Result<String, CaseError> {
        serde_json::to_string(v).map_err(|source| CaseError::Json {
            path: self.path.clone(),
            what,
            source,
        })
    }
}

/// 0 for info up to 4 for critical; the column findings are ordered by.
fn severity_rank(s: Severity) -> i64 {
    match s {
        Severity::Info => 0,
        Severity::Low => 1,
        Severity::Medium => 2,
        Severity::High => 3,
        Severity::Critical => 4,
    }
}

/// The serde name of a unit enum variant (`mach_o`, `seven_zip`), so that
/// what is stored reads back with serde.
fn serde_name<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(e) => format!("unencodable: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::finding;
    use antibody_core::{ItemErrorKind, Kind};

    fn new_hunt() -> NewHunt {
        NewHunt {
            version: "0.1.0".into(),
            targets: vec!["/mnt/image".into()],
            args: vec![
                "hunt".into(),
                "/mnt/image".into(),
                "--case".into(),
                "case.db".into(),
            ],
            packs: vec![antibody_core::PackInfo {
                name: "apt29-2020".into(),
                version: "1".into(),
                origin: "built-in".into(),
            }],
        }
    }

    fn count(case: &Case, table: &str) -> i64 {
        case.conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn same_findings_in_a_second_hunt_are_updated_not_duplicated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("case.db");
        let batch: Vec<_> = (0..25).map(finding).collect();

        let mut case = Case::open(&path).unwrap();
        let first = case.begin_hunt(&new_hunt()).unwrap();
        let out = case.add_findings(first, &batch).unwrap();
        assert_eq!(
            out,
            AddOutcome {
                new: 25,
                seen_again: 0,
                repeated: 0
            }
        );
        case.finish_hunt(first, &Summary::default()).unwrap();
        drop(case);

        let mut case = Case::open(&path).unwrap();
        let second = case.begin_hunt(&new_hunt()).unwrap();
        assert_ne!(first, second);
        // Two new ones alongside the 25 known ones.
        let mut again = batch.clone();
        again.push(finding(100));
        again.push(finding(101));
        let out = case.add_findings(second, &again).unwrap();
        assert_eq!(
            out,
            AddOutcome {
                new: 2,
                seen_again: 25,
                repeated: 0
            }
        );
        // The same hunt reporting them once more does not count a hunt.
        let out = case.add_findings(second, &batch[..5]).unwrap();
        assert_eq!(
            out,
            AddOutcome {
                new: 0,
                seen_again: 0,
                repeated: 5
            }
        );
        case.finish_hunt(second, &Summary::default()).unwrap();

        assert_eq!(count(&case, "findings"), 27);
        let stored = case.findings().unwrap();
        assert_eq!(stored.len(), 27);
        for s in &stored {
            let old = s.finding.location != finding(100).location
                && s.finding.location != finding(101).location;
            let expect_first = if old { first } else { second };
            assert_eq!(s.first_seen_hunt, expect_first, "{}", s.finding.location);
            assert_eq!(s.last_seen_hunt, second);
            assert_eq!(s.times_seen, if old { 2 } else { 1 });
        }
    }

    #[test]
    fn a_repeat_refreshes_the_stored_json() {
        let dir = tempfile::tempdir().unwrap();
        let mut case = Case::open(&dir.path().join("case.db")).unwrap();
        let h1 = case.begin_hunt(&new_hunt()).unwrap();
        case.add_findings(h1, &[finding(1)]).unwrap();
        case.finish_hunt(h1, &Summary::default()).unwrap();
        let h2 = case.begin_hunt(&new_hunt()).unwrap();
        let mut changed = finding(1);
        changed.reason = "4 of the published WellMess strings".into();
        changed.severity = Severity::Low;
        assert_eq!(changed.fingerprint(), finding(1).fingerprint());
        case.add_findings(h2, &[changed.clone()]).unwrap();
        let stored = case.findings().unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].finding, changed);
        let sev: String = case
            .conn
            .query_row("SELECT severity FROM findings", [], |r| r.get(0))
            .unwrap();
        assert_eq!(sev, "low");
    }

    #[test]
    fn ten_thousand_findings_in_one_batch() {
        let dir = tempfile::tempdir().unwrap();
        let mut case = Case::open(&dir.path().join("case.db")).unwrap();
        let hunt = case.begin_hunt(&new_hunt()).unwrap();
        let batch: Vec<_> = (0..10_000).map(finding).collect();
        let out = case.add_findings(hunt, &batch).unwrap();
        assert_eq!(out.new, 10_000);
        assert_eq!(count(&case, "findings"), 10_000);
        let read = case.read_findings().unwrap();
        assert_eq!(read.findings.len(), 10_000);
        assert_eq!(read.unreadable, 0);
    }

    #[test]
    fn items_and_errors_are_stored_per_hunt() {
        let dir = tempfile::tempdir().unwrap();
        let mut case = Case::open(&dir.path().join("case.db")).unwrap();
        let h1 = case.begin_hunt(&new_hunt()).unwrap();
        let items = [
            ItemRecord {
                location: "/mnt/image/bin/ls".into(),
                kind: Kind::MachO,
                size: 1234,
                sha256: Some("ab".repeat(32)),
            },
            ItemRecord {
                location: "/mnt/image/a.7z".into(),
                kind: Kind::SevenZip,
                size: u64::MAX,
                sha256: None,
            },
        ];
        case.add_items(h1, &items).unwrap();
        let e1 = ItemError::new("/mnt/image/a.7z", ItemErrorKind::Skipped, "no 7z engine");
        case.add_errors(h1, std::slice::from_ref(&e1)).unwrap();
        case.finish_hunt(h1, &Summary::default()).unwrap();
        let h2 = case.begin_hunt(&new_hunt()).unwrap();
        let e2 = ItemError::new(
            "/mnt/image/c.zip",
            ItemErrorKind::Corrupt,
            "bad CRC at 0x1a",
        );
        case.add_errors(h2, std::slice::from_ref(&e2)).unwrap();

        assert_eq!(count(&case, "items"), 2);
        let kinds: Vec<String> = case
            .conn
            .prepare("SELECT kind FROM items ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(kinds, ["mach_o", "seven_zip"]);
        assert_eq!(case.errors(None).unwrap(), [e1.clone(), e2.clone()]);
        assert_eq!(case.errors(Some(h1)).unwrap(), [e1]);
        assert_eq!(case.errors(Some(h2)).unwrap(), [e2]);
    }

    #[test]
    fn writes_to_a_hunt_this_handle_did_not_begin_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut case = Case::open(&dir.path().join("case.db")).unwrap();
        let err = case.add_findings(HuntId(42), &[finding(0)]).unwrap_err();
        assert!(
            matches!(err, CaseError::HuntNotOpen { hunt: 42, .. }),
            "{err}"
        );
        let hunt = case.begin_hunt(&new_hunt()).unwrap();
        case.finish_hunt(hunt, &Summary::default()).unwrap();
        let err = case.add_errors(hunt, &[]).unwrap_err();
        assert!(matches!(err, CaseError::HuntNotOpen { .. }), "{err}");
        assert!(case.finish_hunt(hunt, &Summary::default()).is_err());
        assert_eq!(count(&case, "findings"), 0);
    }

    #[test]
    fn a_failed_batch_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let mut case = Case::open(&dir.path().join("case.db")).unwrap();
        let hunt = case.begin_hunt(&new_hunt()).unwrap();
        case.add_findings(hunt, &[finding(0)]).unwrap();
        // A trigger stands in for a failure in the middle of a batch.
        case.conn
            .execute_batch(
                "CREATE TEMP TRIGGER fail BEFORE INSERT ON findings
                 WHEN NEW.location LIKE '%app7/%' BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
            )
            .unwrap();
        let batch: Vec<_> = (1..10).map(finding).collect();
        assert!(case.add_findings(hunt, &batch).is_err());
        assert_eq!(
            count(&case, "findings"),
            1,
            "the failed batch was not rolled back"
        );
    }
}
