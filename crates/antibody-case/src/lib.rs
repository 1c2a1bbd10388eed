//! The case store of antibody: one SQLite file that holds every hunt run
//! into it, the items each hunt looked at, the items it could not read,
//! and the findings, deduplicated across hunts.
//!
//! ```no_run
//! # use antibody_case::{Case, NewHunt};
//! # fn main() -> Result<(), antibody_case::CaseError> {
//! let mut case = Case::open("case.db".as_ref())?;
//! let hunt = case.begin_hunt(&NewHunt {
//!     version: "0.1.0".into(),
//!     targets: vec!["/mnt/image".into()],
//!     args: vec!["hunt".into(), "/mnt/image".into()],
//!     packs: vec![],
//! })?;
//! // ... case.add_findings(hunt, &batch)? as the engines report ...
//! case.finish_hunt(hunt, &antibody_core::Summary::default())?;
//! # Ok(()) }
//! ```
//!
//! # Guarantees
//!
//! - Each `add_*` call is one transaction: a batch is stored whole or not
//!   at all. A process killed mid-hunt leaves a valid case holding every
//!   batch committed before the kill.
//! - A finding is stored once per [`Finding::fingerprint`]; seeing it again
//!   in a later hunt bumps `times_seen` and `last_seen_hunt`.
//! - The file is in WAL mode with foreign keys on and a 5 s busy timeout,
//!   so a reader (`antibody case show`) can run while a hunt writes.
//!
//! # Interrupted hunts
//!
//! A hunt is `running` from [`Case::begin_hunt`] to [`Case::finish_hunt`].
//! The handle that began it holds a lock file next to the case
//! (`case.db-hunt-<id>.lock`) that the operating system releases when the
//! process dies. [`Case::open`] marks every `running` hunt whose lock is not
//! held — its handle was dropped or its process killed — as `interrupted`,
//! persistently; a hunt still running in another handle or process is left
//! alone. [`Case::hunts`] applies the same test when reading, so a hunt
//! that dies after this handle was opened is reported `interrupted` too.
//! On a platform without file locks every `running` hunt not begun by the
//! opening handle is taken as interrupted.
//!
//! [`Finding::fingerprint`]: antibody_core::Finding::fingerprint

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod error;
mod lock;
mod read;
mod schema;
mod store;

pub use error::CaseError;
pub use read::FindingsRead;
pub use schema::{APPLICATION_ID, SCHEMA_VERSION};

use antibody_core::{Finding, Kind, PackInfo, Summary};
use chrono::{DateTime, Utc};
use lock::HuntLock;
use rusqlite::Connection;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// An open case file. See the [crate docs](crate) for what it guarantees.
#[derive(Debug)]
pub struct Case {
    conn: Connection,
    path: PathBuf,
    /// Hunts begun by this handle and not yet finished.
    live: HashMap<i64, HuntLock>,
}

/// The id of a hunt within one case (the `hunts.id` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HuntId(pub i64);

impl fmt::Display for HuntId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What a hunt records about itself when it begins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewHunt {
    /// antibody version running the hunt.
    pub version: String,
    /// The paths (or `processes`) hunted.
    pub targets: Vec<String>,
    /// The command line, for the record.
    pub args: Vec<String>,
    /// Packs in use.
    pub packs: Vec<PackInfo>,
}

/// One item a hunt looked at. Store top-level items (files given or walked,
/// processes) rather than every archive member, to keep the case bounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRecord {
    /// The item's location string (`/mnt/image/x.exe`, `pid:42 (sshd)`).
    pub location: String,
    /// Its kind, as triage decided.
    pub kind: Kind,
    /// Its size in bytes.
    pub size: u64,
    /// SHA-256, lowercase hex, when it was computed.
    pub sha256: Option<String>,
}

/// How a batch of findings related to what the case already held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AddOutcome {
    /// Findings the case had never seen.
    pub new: usize,
    /// Findings an earlier hunt had already recorded; their `times_seen`
    /// went up by one.
    pub seen_again: usize,
    /// Findings this same hunt had already recorded in an earlier batch (or
    /// earlier in this batch); stored once, `times_seen` unchanged.
    pub repeated: usize,
}

/// The state of a hunt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HuntStatus {
    /// Begun and not finished, and its handle is still alive.
    Running,
    /// [`Case::finish_hunt`] was called.
    Finished,
    /// Its handle or process went away before finishing. Everything it
    /// committed is kept.
    Interrupted,
}

impl HuntStatus {
    /// The name stored in the `hunts.status` column.
    pub fn as_str(self) -> &'static str {
        match self {
            HuntStatus::Running => "running",
            HuntStatus::Finished => "finished",
            HuntStatus::Interrupted => "interrupted",
        }
    }

    fn parse(s: &str) -> Option<HuntStatus> {
        match s {
            "running" => Some(HuntStatus::Running),
            "finished" => Some(HuntStatus::Finished),
            "interrupted" => Some(HuntStatus::Interrupted),
            _ => None,
        }
    }
}

impl fmt::Display for HuntStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One hunt as the case records it.
#[derive(Debug, Clone, PartialEq)]
pub struct HuntRecord {
    /// The hunt's id.
    pub id: HuntId,
    /// When it began.
    pub started: DateTime<Utc>,
    /// When it finished; `None` while running or if interrupted.
    pub finished: Option<DateTime<Utc>>,
    /// Its state (see the [crate docs](crate) on interrupted hunts).
    pub status: HuntStatus,
    /// antibody version that ran it.
    pub version: String,
    /// The paths hunted.
    pub targets: Vec<String>,
    /// The command line.
    pub args: Vec<String>,
    /// Packs in use.
    pub packs: Vec<PackInfo>,
    /// The summary given to [`Case::finish_hunt`]; `None` until then, or if
    /// it was written by a version whose summary this one cannot read.
    pub summary: Option<Summary>,
}

/// A finding with its history in the case.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFinding {
    /// The finding as last seen.
    pub finding: Finding,
    /// Its fingerprint, the deduplication key.
    pub fingerprint: String,
    /// The hunt that first found it.
    pub first_seen_hunt: HuntId,
    /// The latest hunt that found it.
    pub last_seen_hunt: HuntId,
    /// How many hunts found it.
    pub times_seen: u64,
}

impl Case {
    /// Opens the case at `path`, creating it if it does not exist, and
    /// migrates it to [`SCHEMA_VERSION`]. Marks hunts whose process is gone
    /// as interrupted (see the [crate docs](crate)).
    ///
    /// Refuses, without changing a byte of the file: a file that is not
    /// SQLite, a SQLite database of another program, and a case written by
    /// a newer antibody.
    pub fn open(path: &Path) -> Result<Case, CaseError> {
        let conn = schema::connect(path)?;
        let case = Case {
            conn,
            path: path.to_path_buf(),
            live: HashMap::new(),
        };
        case.mark_interrupted()?;
        Ok(case)
    }

    /// The case file's path, as given to [`Case::open`].
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Time as stored: RFC 3339 UTC with microseconds, which sorts as text.
fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

#[cfg(test)]
pub(crate) mod testing {
    //! Realistic findings for the tests.

    use antibody_core::{
        Confidence, FileInfo, Finding, Location, Match, Observable, RuleRef, Severity,
    };

    /// Finding number `i`: a distinct location per `i`, severities cycling.
    pub(crate) fn finding(i: usize) -> Finding {
        let severity = Severity::DESCENDING[i % Severity::DESCENDING.len()];
        let sha = format!("{:064x}", i as u128 * 0x9e37_79b9_7f4a_7c15);
        Finding {
            rule: RuleRef {
                id: "WellMess_Go".into(),
                name: "WellMess Go implant".into(),
                pack: "apt29-2020".into(),
                engine: "files".into(),
                references: vec!["https://example.invalid/advisory".into()],
                author: None,
            },
            title: "WellMess (Go) implant".into(),
            reason: "3 of the published WellMess strings".into(),
            severity,
            confidence: Confidence::High,
            techniques: vec!["S0514".into(), "T1071.001".into()],
            location: Location::file(format!("/mnt/image/srv/app{i}/update.zip")).member("bot.exe"),
            offset: Some(16),
            matches: vec![Match::new("$a", 16, b"botlib.wellMess\x00")],
            observables: vec![
                Observable::Sha256(sha.clone()),
                Observable::Ip("103.216.221.19".parse().unwrap()),
            ],
            file: Some(FileInfo {
                size: 4096,
                sha256: Some(sha),
                ..Default::default()
            }),
            timestamp: Some("2020-07-16T10:00:00Z".parse().unwrap()),
            action: "Isolate the host and collect memory.".into(),
            events: Vec::new(),
        }
    }
}
