//! Reading a case back: hunts, findings and item errors.

use crate::error::{At, CaseError};
use crate::{Case, HuntId, HuntRecord, HuntStatus, StoredFinding, lock};
use antibody_core::{Finding, ItemError, ItemErrorKind};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;

/// All findings of a case, and how many stored rows could not be read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FindingsRead {
    /// Findings, most severe first, then by location.
    pub findings: Vec<StoredFinding>,
    /// Rows whose finding JSON this build cannot decode, typically written
    /// by a newer antibody. They are skipped, not fatal; a reader should
    /// say how many were left out.
    pub unreadable: usize,
}

impl Case {
    /// Every hunt, oldest first. A `running` hunt whose handle is gone is
    /// reported as [`HuntStatus::Interrupted`] (see the [crate docs](crate)).
    pub fn hunts(&self) -> Result<Vec<HuntRecord>, CaseError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, started, finished, status, version, targets, args, packs, summary
                 FROM hunts ORDER BY id",
            )
            .at(&self.path)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(RawHunt {
                    id: r.get(0)?,
                    started: r.get(1)?,
                    finished: r.get(2)?,
                    status: r.get(3)?,
                    version: r.get(4)?,
                    targets: r.get(5)?,
                    args: r.get(6)?,
                    packs: r.get(7)?,
                    summary: r.get(8)?,
                })
            })
            .at(&self.path)?;
        let mut hunts = Vec::new();
        for row in rows {
            hunts.push(self.hunt_record(row.at(&self.path)?)?);
        }
        Ok(hunts)
    }

    /// Every finding the case holds, most severe first, then by location.
    /// Rows this build cannot decode are skipped; use
    /// [`Case::read_findings`] to learn how many.
    pub fn findings(&self) -> Result<Vec<StoredFinding>, CaseError> {
        self.read_findings().map(|r| r.findings)
    }

    /// Like [`Case::findings`], with the count of rows that could not be
    /// decoded (for example, written by a newer antibody).
    pub fn read_findings(&self) -> Result<FindingsRead, CaseError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT fingerprint, finding, first_seen_hunt, last_seen_hunt, times_seen
                 FROM findings ORDER BY severity_rank DESC, location, fingerprint",
            )
            .at(&self.path)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })
            .at(&self.path)?;
        let mut read = FindingsRead::default();
        for row in rows {
            let (fingerprint, json, first, last, times) = row.at(&self.path)?;
            let Ok(finding) = serde_json::from_str::<Finding>(&json) else {
                read.unreadable += 1;
                continue;
            };
            read.findings.push(StoredFinding {
                finding,
                fingerprint,
                first_seen_hunt: HuntId(first),
                last_seen_hunt: HuntId(last),
                times_seen: u64::try_from(times).unwrap_or(0),
            });
        }
        Ok(read)
    }

    /// Item errors of one hunt, or of all hunts, in the order recorded.
    pub fn errors(&self, hunt: Option<HuntId>) -> Result<Vec<ItemError>, CaseError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, item, kind, reason FROM errors
                 WHERE ?1 IS NULL OR hunt_id = ?1 ORDER BY hunt_id, id",
            )
            .at(&self.path)?;
        let rows = stmt
            .query_map([hunt.map(|h| h.0)], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .at(&self.path)?;
        let mut errors = Vec::new();
        for row in rows {
            let (id, item, kind, reason) = row.at(&self.path)?;
            let kind: ItemErrorKind = serde_json::from_value(serde_json::Value::String(kind))
                .map_err(|e| self.bad_row("errors", id, format!("kind: {e}")))?;
            errors.push(ItemError { item, kind, reason });
        }
        Ok(errors)
    }

    fn hunt_record(&self, raw: RawHunt) -> Result<HuntRecord, CaseError> {
        let id = raw.id;
        let bad = |what: &str, e: &dyn std::fmt::Display| {
            self.bad_row("hunts", id, format!("{what}: {e}"))
        };
        let mut status =
            HuntStatus::parse(&raw.status).ok_or_else(|| bad("status", &raw.status))?;
        if status == HuntStatus::Running
            && !self.live.contains_key(&id)
            && !lock::is_held(&self.path, id)
        {
            status = HuntStatus::Interrupted;
        }
        Ok(HuntRecord {
            id: HuntId(id),
            started: parse_time(&raw.started).map_err(|e| bad("started", &e))?,
            finished: raw
                .finished
                .as_deref()
                .map(parse_time)
                .transpose()
                .map_err(|e| bad("finished", &e))?,
            status,
            version: raw.version,
            targets: parse_json(&raw.targets).map_err(|e| bad("targets", &e))?,
            args: parse_json(&raw.args).map_err(|e| bad("args", &e))?,
            packs: parse_json(&raw.packs).map_err(|e| bad("packs", &e))?,
            // A summary from a newer version is informative, not essential.
            summary: raw.summary.as_deref().and_then(|s| parse_json(s).ok()),
        })
    }

    fn bad_row(&self, table: &'static str, id: i64, reason: String) -> CaseError {
        CaseError::BadRow {
            path: self.path.clone(),
            table,
            id,
            reason,
        }
    }
}

/// A `hunts` row before decoding.
struct RawHunt {
    id: i64,
    started: String,
    finished: Option<String>,
    status: String,
    version: String,
    targets: String,
    args: String,
    packs: String,
    summary: Option<String>,
}

fn parse_time(s: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc))
}

fn parse_json<T: DeserializeOwned>(s: &str) -> Result<T, serde_json::Error> {
    serde_json::from_str(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NewHunt;
    use crate::testing::finding;
    use antibody_core::{Severity, Summary};

    fn new_hunt(target: &str) -> NewHunt {
        NewHunt {
            version: "0.1.0".into(),
            targets: vec![target.into()],
            args: vec!["hunt".into(), target.into()],
            packs: vec![],
        }
    }

    fn integrity(case: &Case) -> String {
        case.conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn findings_read_back_equal_after_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("case.db");
        let batch: Vec<_> = (0..12).map(finding).collect();
        let mut summary = Summary {
            version: "0.1.0".into(),
            targets: vec!["/mnt/image".into()],
            items: 12,
            ..Default::default()
        };
        batch.iter().for_each(|f| summary.count_finding(f));

        let mut case = Case::open(&path).unwrap();
        let hunt = case.begin_hunt(&new_hunt("/mnt/image")).unwrap();
        case.add_findings(hunt, &batch[..5]).unwrap();
        case.add_findings(hunt, &batch[5..]).unwrap();
        case.finish_hunt(hunt, &summary).unwrap();
        drop(case);

        let case = Case::open(&path).unwrap();
        let stored = case.findings().unwrap();
        let mut expected = batch.clone();
        expected.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.location.to_string().cmp(&b.location.to_string()))
        });
        let got: Vec<Finding> = stored.iter().map(|s| s.finding.clone()).collect();
        assert_eq!(got, expected);
        assert_eq!(stored[0].finding.severity, Severity::Critical);
        assert!(
            stored
                .iter()
                .all(|s| s.times_seen == 1 && s.first_seen_hunt == hunt)
        );
        assert_eq!(stored[0].fingerprint, stored[0].finding.fingerprint());

        let hunts = case.hunts().unwrap();
        assert_eq!(hunts.len(), 1);
        let h = &hunts[0];
        assert_eq!((h.id, h.status), (hunt, HuntStatus::Finished));
        assert_eq!(h.targets, ["/mnt/image"]);
        assert_eq!(h.args, ["hunt", "/mnt/image"]);
        assert!(h.finished.unwrap() >= h.started);
        assert_eq!(h.summary.as_ref(), Some(&summary));
    }

    #[test]
    fn dropped_handle_leaves_an_interrupted_hunt_with_its_findings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("case.db");
        let mut case = Case::open(&path).unwrap();
        let done = case.begin_hunt(&new_hunt("/a")).unwrap();
        case.finish_hunt(done, &Summary::default()).unwrap();
        let hunt = case.begin_hunt(&new_hunt("/b")).unwrap();
        case.add_findings(hunt, &[finding(1), finding(2)]).unwrap();
        let lock_file = dir.path().join(format!("case.db-hunt-{hunt}.lock"));
        assert!(lock_file.exists());
        drop(case); // no finish_hunt

        // The row itself still says running until someone opens the case.
        let raw = rusqlite::Connection::open(&path).unwrap();
        let status: String = raw
            .query_row("SELECT status FROM hunts WHERE id = ?1", [hunt.0], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(status, "running");
        drop(raw);

        let case = Case::open(&path).unwrap();
        assert_eq!(integrity(&case), "ok");
        let hunts = case.hunts().unwrap();
        let statuses: Vec<_> = hunts.iter().map(|h| h.status).collect();
        assert_eq!(statuses, [HuntStatus::Finished, HuntStatus::Interrupted]);
        assert_eq!(hunts[1].finished, None);
        assert_eq!(hunts[1].summary, None);
        assert_eq!(case.findings().unwrap().len(), 2);
        assert!(!lock_file.exists(), "stale lock file not cleaned up");
        let status: String = case
            .conn
            .query_row("SELECT status FROM hunts WHERE id = ?1", [hunt.0], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(status, "interrupted", "open persists the interruption");
    }

    #[test]
    fn a_hunt_running_in_another_handle_is_not_marked_interrupted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("case.db");
        let mut hunter = Case::open(&path).unwrap();
        let hunt = hunter.begin_hunt(&new_hunt("/a")).unwrap();
        hunter.add_findings(hunt, &[finding(1)]).unwrap();

        // `antibody case show` in a second terminal, mid-hunt.
        let viewer = Case::open(&path).unwrap();
        assert_eq!(viewer.hunts().unwrap()[0].status, HuntStatus::Running);
        assert_eq!(viewer.findings().unwrap().len(), 1);

        // The hunt goes on undisturbed and finishes.
        hunter.add_findings(hunt, &[finding(2)]).unwrap();
        hunter.finish_hunt(hunt, &Summary::default()).unwrap();
        assert_eq!(viewer.hunts().unwrap()[0].status, HuntStatus::Finished);

        // A second hunt whose handle is then dropped reads as interrupted
        // through the viewer opened before it died.
        let second = hunter.begin_hunt(&new_hunt("/b")).unwrap();
        assert_eq!(viewer.hunts().unwrap()[1].status, HuntStatus::Running);
        drop(hunter);
        let h = &viewer.hunts().unwrap()[1];
        assert_eq!((h.id, h.status), (second, HuntStatus::Interrupted));
    }

    #[test]
    fn forgotten_handle_still_leaves_a_valid_case() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("case.db");
        let mut case = Case::open(&path).unwrap();
        let hunt = case.begin_hunt(&new_hunt("/a")).unwrap();
        case.add_findings(hunt, &(0..50).map(finding).collect::<Vec<_>>())
            .unwrap();
        // No destructor at all: nothing but committed transactions remain.
        // (Its lock is leaked with it, so the hunt looks alive to this
        // process; the SIGKILL test covers a real death.)
        std::mem::forget(case);
        let case = Case::open(&path).unwrap();
        assert_eq!(integrity(&case), "ok");
        assert_eq!(case.findings().unwrap().len(), 50);
        assert_eq!(case.hunts().unwrap()[0].id, hunt);
    }

    #[test]
    fn unreadable_finding_rows_are_skipped_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let mut case = Case::open(&dir.path().join("case.db")).unwrap();
        let hunt = case.begin_hunt(&new_hunt("/a")).unwrap();
        case.add_findings(hunt, &[finding(1), finding(2), finding(3)])
            .unwrap();
        // As a future version might write it: a severity this one lacks.
        let fp = finding(2).fingerprint();
        case.conn
            .execute(
                "UPDATE findings SET finding = json_set(finding, '$.severity', 'apocalyptic')
                 WHERE fingerprint = ?1",
                [&fp],
            )
            .unwrap();
        let read = case.read_findings().unwrap();
        assert_eq!(read.unreadable, 1);
        assert_eq!(read.findings.len(), 2);
        assert!(read.findings.iter().all(|s| s.fingerprint != fp));
        assert_eq!(case.findings().unwrap().len(), 2);
    }

    #[test]
    fn findings_are_ordered_by_severity_then_location() {
        let dir = tempfile::tempdir().unwrap();
        let mut case = Case::open(&dir.path().join("case.db")).unwrap();
        let hunt = case.begin_hunt(&new_hunt("/a")).unwrap();
        let mut low_a = finding(1);
        low_a.severity = Severity::Low;
        let mut crit_z = finding(2);
        crit_z.severity = Severity::Critical;
        crit_z.location = antibody_core::Location::file("/z");
        let mut crit_a = finding(3);
        crit_a.severity = Severity::Critical;
        crit_a.location = antibody_core::Location::file("/a");
        case.add_findings(hunt, &[low_a.clone(), crit_z.clone(), crit_a.clone()])
            .unwrap();
        let got: Vec<_> = case
            .findings()
            .unwrap()
            .into_iter()
            .map(|s| s.finding)
            .collect();
        assert_eq!(got, [crit_a, crit_z, low_a]);
    }
}
