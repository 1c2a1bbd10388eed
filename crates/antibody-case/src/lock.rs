//! Liveness of running hunts.
//!
//! The handle that begins a hunt holds an exclusive advisory lock on a
//! small file next to the case (`case.db-hunt-3.lock`) until the hunt
//! finishes or the handle is dropped. The operating system releases the
//! lock when the process dies, even by SIGKILL, so another handle can tell
//! a hunt that is still running (say, while `antibody case show` runs in a
//! second terminal) from one whose process is gone.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io;
use std::path::{Path, PathBuf};

/// The lock held by the handle running one hunt. Dropping it removes the
/// file and releases the lock.
#[derive(Debug)]
pub(crate) struct HuntLock {
    /// `None` where the platform cannot lock files: the hunt then runs
    /// unguarded and other handles treat it as interrupted.
    file: Option<File>,
    path: PathBuf,
}

impl HuntLock {
    /// Creates and locks the lock file of hunt `id` of the case at `case`.
    pub(crate) fn acquire(case: &Path, id: i64) -> io::Result<HuntLock> {
        let path = lock_path(case, id);
        let file = OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .open(&path)?;
        let file = match file.try_lock() {
            Ok(()) => Some(file),
            Err(TryLockError::WouldBlock) => {
                return Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    format!("{} is locked by another process", path.display()),
                ));
            }
            Err(TryLockError::Error(e)) if e.kind() == io::ErrorKind::Unsupported => None,
            Err(TryLockError::Error(e)) => return Err(e),
        };
        Ok(HuntLock { file, path })
    }
}

impl Drop for HuntLock {
    fn drop(&mut self) {
        // Remove first, then unlock by closing: a checker that opened the
        // file before the removal sees it unlocked only once we are done.
        let _ = fs::remove_file(&self.path);
        self.file.take();
    }
}

/// Whether some handle, in this process or another, holds the lock of hunt
/// `id`. A missing file or a lock that can be taken means nobody does.
pub(crate) fn is_held(case: &Path, id: i64) -> bool {
    let Ok(file) = File::open(lock_path(case, id)) else {
        return false;
    };
    // Shared, so that two checkers never mistake each other for the owner.
    matches!(file.try_lock_shared(), Err(TryLockError::WouldBlock))
}

/// Removes the lock file of a hunt whose owner is gone.
pub(crate) fn remove_stale(case: &Path, id: i64) {
    let _ = fs::remove_file(lock_path(case, id));
}

/// `<case file name>-hunt-<id>.lock` next to the case.
fn lock_path(case: &Path, id: i64) -> PathBuf {
    let mut name = case
        .file_name()
        .map(OsString::from)
        .unwrap_or_else(|| OsString::from("case"));
    name.push(format!("-hunt-{id}.lock"));
    case.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_is_seen_while_held_and_gone_after_drop() {
        let dir = tempfile::tempdir().unwrap();
        let case = dir.path().join("case.db");
        assert!(!is_held(&case, 1));
        let lock = HuntLock::acquire(&case, 1).unwrap();
        assert!(is_held(&case, 1));
        assert!(!is_held(&case, 2));
        assert!(dir.path().join("case.db-hunt-1.lock").exists());
        drop(lock);
        assert!(!is_held(&case, 1));
        assert!(!dir.path().join("case.db-hunt-1.lock").exists());
    }
}
