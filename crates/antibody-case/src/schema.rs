//! The case file's schema and its migrations, and the checks that make
//! sure a file is an antibody case before anything writes to it.
//!
//! The schema version is `PRAGMA user_version`; `PRAGMA application_id`
//! stamps the file as antibody's. [`MIGRATIONS`] is append-only: script `i`
//! takes the schema from version `i` to `i + 1`, in its own transaction.
//! Never edit a script that has shipped; add a new one.

use crate::error::{At, CaseError};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use std::fs::File;
use std::io::{ErrorKind, Read};
use std::path::Path;
use std::time::Duration;

/// `PRAGMA application_id` of an antibody case: `ABDY` in ASCII.
pub const APPLICATION_ID: i32 = 0x4142_4459;

/// The schema version this build writes and the newest it can read.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How long a writer waits for another writer before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The first 16 bytes of every SQLite 3 database.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Migration scripts in order; see the module docs.
pub(crate) const MIGRATIONS: &[&str] = &[V1];

/// Version 1: hunts, the items and errors of each hunt, and findings
/// deduplicated by fingerprint across hunts.
///
/// Times are RFC 3339 UTC text (sortable). JSON columns hold the serde
/// form of the `antibody-core` types. `severity_rank` (0 info .. 4
/// critical) exists so that "most severe first" is an index scan.
const V1: &str = "
CREATE TABLE hunts (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    started  TEXT NOT NULL,
    finished TEXT,
    status   TEXT NOT NULL DEFAULT 'running'
             CHECK (status IN ('running', 'finished', 'interrupted')),
    version  TEXT NOT NULL,
    targets  TEXT NOT NULL CHECK (json_valid(targets)),
    args     TEXT NOT NULL CHECK (json_valid(args)),
    packs    TEXT NOT NULL CHECK (json_valid(packs)),
    summary  TEXT CHECK (summary IS NULL OR json_valid(summary)),
    CHECK ((status = 'finished') = (finished IS NOT NULL AND summary IS NOT NULL))
) STRICT;

CREATE TABLE items (
    id       INTEGER PRIMARY KEY,
    hunt_id  INTEGER NOT NULL REFERENCES hunts(id) ON DELETE CASCADE,
    location TEXT NOT NULL,
    kind     TEXT NOT NULL,
    size     INTEGER NOT NULL CHECK (size >= 0),
    sha256   TEXT
) STRICT;
CREATE INDEX items_by_hunt ON items(hunt_id);
CREATE INDEX items_by_location ON items(location);
CREATE INDEX items_by_sha256 ON items(sha256) WHERE sha256 IS NOT NULL;

CREATE TABLE errors (
    id      INTEGER PRIMARY KEY,
    hunt_id INTEGER NOT NULL REFERENCES hunts(id) ON DELETE CASCADE,
    item    TEXT NOT NULL,
    kind    TEXT NOT NULL,
    reason  TEXT NOT NULL
) STRICT;
CREATE INDEX errors_by_hunt ON errors(hunt_id);

CREATE TABLE findings (
    id              INTEGER PRIMARY KEY,
    fingerprint     TEXT NOT NULL UNIQUE,
    rule_id         TEXT NOT NULL,
    pack            TEXT NOT NULL,
    engine          TEXT NOT NULL,
    severity        TEXT NOT NULL,
    severity_rank   INTEGER NOT NULL,
    title           TEXT NOT NULL,
    location        TEXT NOT NULL,
    first_seen_hunt INTEGER NOT NULL REFERENCES hunts(id),
    last_seen_hunt  INTEGER NOT NULL REFERENCES hunts(id),
    times_seen      INTEGER NOT NULL DEFAULT 1 CHECK (times_seen >= 1),
    finding         TEXT NOT NULL CHECK (json_valid(finding)),
    CHECK (first_seen_hunt <= last_seen_hunt)
) STRICT;
CREATE INDEX findings_by_severity ON findings(severity_rank DESC, location, fingerprint);
CREATE INDEX findings_by_rule ON findings(pack, rule_id);
CREATE INDEX findings_by_first_seen ON findings(first_seen_hunt);
CREATE INDEX findings_by_last_seen ON findings(last_seen_hunt);
";

/// Opens the case at `path` (creating it if missing), refuses anything that
/// is not an antibody case before writing a byte, sets the connection up
/// (WAL, foreign keys, busy timeout) and migrates it to [`SCHEMA_VERSION`].
pub(crate) fn connect(path: &Path) -> Result<Connection, CaseError> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if !has_sqlite_header(path)? {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let mut conn = Connection::open_with_flags(path, flags).at(path)?;
    conn.busy_timeout(BUSY_TIMEOUT).at(path)?;
    check_is_case(&conn, path)?;
    // Only now that the file is known to be ours (or new) may it change:
    // switching to WAL rewrites the header.
    conn.pragma_update_and_check(None, "journal_mode", "wal", |r| r.get::<_, String>(0))
        .at(path)?;
    conn.pragma_update(None, "foreign_keys", true).at(path)?;
    // In WAL mode NORMAL cannot corrupt the file on a crash; a power cut
    // may lose the last committed batch, which a re-run finds again.
    conn.pragma_update(None, "synchronous", "NORMAL").at(path)?;
    migrate(&mut conn, path, MIGRATIONS)?;
    Ok(conn)
}

/// Whether `path` exists with a SQLite header. A missing or empty file is a
/// new case (`false`); a non-empty file without the header is refused.
fn has_sqlite_header(path: &Path) -> Result<bool, CaseError> {
    let io = |source| CaseError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(io(e)),
    };
    let mut head = Vec::with_capacity(SQLITE_MAGIC.len());
    (&mut file)
        .take(SQLITE_MAGIC.len() as u64)
        .read_to_end(&mut head)
        .map_err(io)?;
    if head.is_empty() {
        return Ok(false);
    }
    if head != SQLITE_MAGIC {
        return Err(CaseError::NotSqlite {
            path: path.to_path_buf(),
        });
    }
    Ok(true)
}

/// Refuses databases that another program made, and cases from a newer
/// antibody. Reads only.
fn check_is_case(conn: &Connection, path: &Path) -> Result<(), CaseError> {
    let application_id: i32 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .at(path)?;
    let user_version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .at(path)?;
    if application_id == APPLICATION_ID {
        if user_version > SCHEMA_VERSION {
            return Err(CaseError::TooNew {
                path: path.to_path_buf(),
                found: user_version,
                supported: SCHEMA_VERSION,
            });
        }
        return Ok(());
    }
    let tables = user_tables(conn, path)?;
    if application_id == 0 {
        if !tables.is_empty() {
            return Err(CaseError::ForeignTables {
                path: path.to_path_buf(),
                tables,
            });
        }
        if user_version == 0 {
            return Ok(()); // a new, empty database
        }
    }
    Err(CaseError::ForeignApplication {
        path: path.to_path_buf(),
        application_id,
        user_version,
    })
}

/// Names of the tables in the database, SQLite's own excluded.
fn user_tables(conn: &Connection, path: &Path) -> Result<Vec<String>, CaseError> {
    let mut stmt = conn
        .prepare(
            "SELECT name FROM sqlite_schema
             WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
             ORDER BY name",
        )
        .at(path)?;
    let names = stmt
        .query_map([], |r| r.get(0))
        .at(path)?
        .collect::<Result<Vec<String>, _>>()
        .at(path)?;
    Ok(names)
}

/// Applies the scripts of `migrations` that the database has not had yet,
/// each in its own immediate transaction that also bumps `user_version`.
///
/// The version is re-read inside each transaction, so two processes
/// opening a new case at once apply every script exactly once.
pub(crate) fn migrate(
    conn: &mut Connection,
    path: &Path,
    migrations: &[&str],
) -> Result<(), CaseError> {
    let current: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .at(path)?;
    if current >= migrations.len() as i64 {
        return Ok(());
    }
    for (i, script) in migrations.iter().enumerate() {
        let version = i as i64 + 1;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .at(path)?;
        let current: i64 = tx
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .at(path)?;
        if current >= version {
            continue; // dropping `tx` rolls back an empty transaction
        }
        tx.execute_batch(script)
            .map_err(|source| CaseError::Migration {
                path: path.to_path_buf(),
                version,
                source,
            })?;
        tx.pragma_update(None, "user_version", version).at(path)?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .at(path)?;
        tx.commit().at(path)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Case;

    fn user_version(conn: &Connection) -> i64 {
        conn.pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn new_case_is_at_the_latest_version_in_wal_mode_with_our_id() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("case.db");
        let case = Case::open(&path).unwrap();
        assert_eq!(user_version(&case.conn), SCHEMA_VERSION);
        let mode: String = case
            .conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: bool = case
            .conn
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .unwrap();
        assert!(fk);
        let id: i32 = case
            .conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .unwrap();
        assert_eq!(id, APPLICATION_ID);
        assert_eq!(&APPLICATION_ID.to_be_bytes(), b"ABDY");
        drop(case);
        // Reopening an up-to-date case applies nothing and still works.
        let case = Case::open(&path).unwrap();
        assert_eq!(user_version(&case.conn), SCHEMA_VERSION);
    }

    #[test]
    fn failed_migration_rolls_back_and_keeps_the_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        let mut conn = Connection::open(&path).unwrap();
        let scripts = [
            "CREATE TABLE a (x INTEGER);",
            "CREATE TABLE b (x INTEGER); THIS IS NOT SQL;",
        ];
        let err = migrate(&mut conn, &path, &scripts).unwrap_err();
        assert!(
            matches!(err, CaseError::Migration { version: 2, .. }),
            "{err}"
        );
        assert_eq!(user_version(&conn), 1);
        let tables = user_tables(&conn, &path).unwrap();
        assert_eq!(tables, ["a"], "table b must have been rolled back");
        // Fixing the script and re-running applies only the missing step.
        migrate(
            &mut conn,
            &path,
            &[scripts[0], "CREATE TABLE b (x INTEGER);"],
        )
        .unwrap();
        assert_eq!(user_version(&conn), 2);
        assert_eq!(user_tables(&conn, &path).unwrap(), ["a", "b"]);
    }

    #[test]
    fn newer_schema_version_is_refused_with_a_clear_message() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("case.db");
        drop(Case::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 7).unwrap();
        drop(conn);
        let err = Case::open(&path).expect_err("a newer case must be refused");
        assert!(matches!(err, CaseError::TooNew { found: 7, .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            format!(
                "{} has schema version 7; this antibody knows up to {SCHEMA_VERSION}; upgrade antibody",
                path.display()
            )
        );
    }

    #[test]
    fn non_sqlite_file_is_refused_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("evidence.bin");
        // Deterministic noise (xorshift), long enough to span pages.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let bytes: Vec<u8> = (0..8192)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        std::fs::write(&path, &bytes).unwrap();
        let err = Case::open(&path).expect_err("noise must be refused");
        assert!(matches!(err, CaseError::NotSqlite { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(
            msg.contains("not an antibody case (not a SQLite database)"),
            "{msg}"
        );
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "file was modified");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["evidence.bin"], "no -wal/-shm or lock files left");
    }

    #[test]
    fn foreign_sqlite_database_is_refused_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("browser.sqlite");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE x (a TEXT); INSERT INTO x VALUES ('keep');")
            .unwrap();
        drop(conn);
        let before = std::fs::read(&path).unwrap();
        let err = Case::open(&path).expect_err("a foreign db must be refused");
        assert!(matches!(err, CaseError::ForeignTables { .. }), "{err:?}");
        assert!(
            err.to_string()
                .ends_with("not an antibody case: it has tables `x`"),
            "{err}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), before, "file was modified");
    }

    #[test]
    fn database_of_another_application_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "application_id", 0x1234).unwrap();
        drop(conn);
        let err = Case::open(&path).expect_err("must be refused");
        assert!(
            matches!(
                err,
                CaseError::ForeignApplication {
                    application_id: 0x1234,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn empty_file_becomes_a_case() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("touched.db");
        std::fs::write(&path, b"").unwrap();
        let case = Case::open(&path).unwrap();
        assert_eq!(user_version(&case.conn), SCHEMA_VERSION);
    }
}
