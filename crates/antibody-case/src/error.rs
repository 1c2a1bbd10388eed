//! Errors of the case store; every variant names the case file.

use std::path::{Path, PathBuf};

/// Why a case could not be opened, written or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaseError {
    /// The file exists but is not a SQLite database at all.
    #[error("{}: not an antibody case (not a SQLite database)", path.display())]
    NotSqlite {
        /// The case file.
        path: PathBuf,
    },
    /// A SQLite database that some other program made: it has tables but
    /// no antibody schema.
    #[error(
        "{}: not an antibody case: it has tables {}",
        path.display(),
        tables.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ")
    )]
    ForeignTables {
        /// The case file.
        path: PathBuf,
        /// Names of the tables found.
        tables: Vec<String>,
    },
    /// A SQLite database stamped with another program's application id, or
    /// with a schema version but no antibody stamp.
    #[error(
        "{}: not an antibody case: application id {application_id:#010x} (antibody uses {:#010x}), user version {user_version}",
        path.display(),
        crate::schema::APPLICATION_ID
    )]
    ForeignApplication {
        /// The case file.
        path: PathBuf,
        /// `PRAGMA application_id` found.
        application_id: i32,
        /// `PRAGMA user_version` found.
        user_version: i64,
    },
    /// The case was written by a newer antibody whose schema this one does
    /// not know.
    #[error(
        "{} has schema version {found}; this antibody knows up to {supported}; upgrade antibody",
        path.display()
    )]
    TooNew {
        /// The case file.
        path: PathBuf,
        /// Schema version in the file.
        found: i64,
        /// Newest schema version this build knows.
        supported: i64,
    },
    /// A schema migration script failed; the transaction was rolled back and
    /// the case is still at `version - 1`.
    #[error("{}: migrating the case to schema version {version} failed: {source}", path.display())]
    Migration {
        /// The case file.
        path: PathBuf,
        /// The version the failed script would have produced.
        version: i64,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// Any other SQLite failure (locked past the busy timeout, disk full,
    /// corruption, ...).
    #[error("{}: {source}", path.display())]
    Sqlite {
        /// The case file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// Reading the file's header or the hunt lock file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file that failed (the case or its hunt lock file).
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A value could not be encoded as JSON for storage.
    #[error("{}: cannot encode {what} as JSON: {source}", path.display())]
    Json {
        /// The case file.
        path: PathBuf,
        /// What was being encoded (`finding`, `summary`, ...).
        what: &'static str,
        /// The encoder's error.
        source: serde_json::Error,
    },
    /// A stored row holds a value this build cannot read (other than a
    /// finding, which readers skip and count instead).
    #[error("{}: table `{table}` row {id}: {reason}", path.display())]
    BadRow {
        /// The case file.
        path: PathBuf,
        /// The table.
        table: &'static str,
        /// The row's `id`.
        id: i64,
        /// What is wrong with it.
        reason: String,
    },
    /// A write named a hunt that this handle did not begin, or that it has
    /// already finished. Only the handle that began a hunt writes to it.
    #[error("{}: hunt {hunt} is not running in this handle", path.display())]
    HuntNotOpen {
        /// The case file.
        path: PathBuf,
        /// The hunt id given.
        hunt: i64,
    },
}

/// Attaches the case path to SQLite errors, turning "file is not a
/// database" into [`CaseError::NotSqlite`].
pub(crate) trait At<T> {
    /// The result with its error tied to `path`.
    fn at(self, path: &Path) -> Result<T, CaseError>;
}

impl<T> At<T> for Result<T, rusqlite::Error> {
    fn at(self, path: &Path) -> Result<T, CaseError> {
        self.map_err(|source| sqlite_error(path, source))
    }
}

/// The [`CaseError`] for a SQLite error on the case at `path`.
pub(crate) fn sqlite_error(path: &Path, source: rusqlite::Error) -> CaseError {
    if source.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase) {
        CaseError::NotSqlite {
            path: path.to_path_buf(),
        }
    } else {
        CaseError::Sqlite {
            path: path.to_path_buf(),
            source,
        }
    }
}
