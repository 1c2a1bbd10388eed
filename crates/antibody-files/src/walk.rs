//! The parallel walk: every file under the given paths, with hidden files
//! and ignore files NOT honoured (hunters need everything), no symlink
//! following (so no loops), pseudo file systems skipped, and optional
//! confinement to one file system.

use antibody_core::{ItemError, ItemErrorKind};
use crossbeam_channel::Sender;
use globset::{Glob, GlobSet, GlobSetBuilder};
use std::path::{Path, PathBuf};

/// Directories never descended into: kernel pseudo file systems and
/// device nodes, whose "files" are not evidence and can block or be huge.
pub const PSEUDO_ROOTS: [&str; 3] = ["/proc", "/sys", "/dev"];

/// What the walk sends to the scanners.
#[derive(Debug)]
pub enum Walked {
    /// A regular file to hunt.
    File(PathBuf),
    /// A problem with one path (unreadable directory, fifo, device).
    Problem(ItemError),
}

/// Options of one walk.
#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    /// Walker threads (0: ignore's default).
    pub threads: usize,
    /// Stay on the file system of each root.
    pub one_file_system: bool,
    /// Globs matched against full paths and file names to leave out.
    pub excludes: Vec<String>,
}

/// Builds the exclusion set; the error names the bad glob.
pub fn exclusion_set(globs: &[String]) -> Result<GlobSet, String> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        b.add(Glob::new(g).map_err(|e| format!("--exclude `{g}`: {e}"))?);
    }
    b.build().map_err(|e| e.to_string())
}

/// Renders a path for output: UTF-8 as is, other bytes as `\xNN`, so a
/// non-UTF-8 name stays recognisable and distinct.
pub fn display_path(p: &Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let bytes = p.as_os_str().as_bytes();
        match std::str::from_utf8(bytes) {
            Ok(s) => s.to_string(),
            Err(_) => {
                let mut out = String::new();
                for chunk in bytes.utf8_chunks() {
                    out.push_str(chunk.valid());
                    for b in chunk.invalid() {
                        out.push_str(&format!("\\x{b:02x}"));
                    }
                }
                out
            }
        }
    }
    #[cfg(not(unix))]
    {
        p.to_string_lossy().into_owned()
    }
}

/// Walks `roots`, sending every file and problem to `tx` until done.
pub fn walk(roots: &[PathBuf], opts: &WalkOptions, excludes: &GlobSet, tx: &Sender<Walked>) {
    let Some((first, rest)) = roots.split_first() else {
        return;
    };
    let mut b = ignore::WalkBuilder::new(first);
    for r in rest {
        b.add(r);
    }
    b.standard_filters(false)
        .hidden(false)
        .follow_links(false)
        .same_file_system(opts.one_file_system)
        .threads(opts.threads);
    let excludes = excludes.clone();
    b.filter_entry(move |e| {
        let p = e.path();
        if e.depth() > 0 && PSEUDO_ROOTS.iter().any(|r| p == Path::new(r)) {
            return false;
        }
        if excludes.is_empty() {
            return true;
        }
        !(excludes.is_match(p) || p.file_name().is_some_and(|n| excludes.is_match(n)))
    });
    b.build_parallel().run(|| {
        let tx = tx.clone();
        Box::new(move |entry| {
            let msg = match entry {
                Ok(e) => classify(e),
                Err(err) => Some(Walked::Problem(walk_error(&err))),
            };
            match msg {
                Some(m) => match tx.send(m) {
                    Ok(()) => ignore::WalkState::Continue,
                    // The scanners are gone: stop walking.
                    Err(_) => ignore::WalkState::Quit,
                },
                None => ignore::WalkState::Continue,
            }
        })
    });
}

fn classify(e: ignore::DirEntry) -> Option<Walked> {
    let ft = e.file_type()?;
    if ft.is_file() {
        return Some(Walked::File(e.into_path()));
    }
    if ft.is_dir() || ft.is_symlink() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let what = if ft.is_fifo() {
            "a fifo"
        } else if ft.is_socket() {
            "a socket"
        } else if ft.is_block_device() || ft.is_char_device() {
            "a device"
        } else {
            "not a regular file"
        };
        return Some(Walked::Problem(ItemError::new(
            display_path(e.path()),
            ItemErrorKind::Skipped,
            format!("{what}; not read"),
        )));
    }
    #[allow(unreachable_code)]
    None
}

/// Turns a walk error into an item error naming the path.
fn walk_error(err: &ignore::Error) -> ItemError {
    fn path_of(err: &ignore::Error) -> Option<&Path> {
        match err {
            ignore::Error::WithPath { path, .. } => Some(path),
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                path_of(err)
            }
            ignore::Error::Partial(errs) => errs.iter().find_map(path_of),
            ignore::Error::Loop { child, .. } => Some(child),
            _ => None,
        }
    }
    fn io_kind(err: &ignore::Error) -> Option<std::io::ErrorKind> {
        match err {
            ignore::Error::Io(e) => Some(e.kind()),
            ignore::Error::WithPath { err, .. }
            | ignore::Error::WithDepth { err, .. }
            | ignore::Error::WithLineNumber { err, .. } => io_kind(err),
            ignore::Error::Partial(errs) => errs.iter().find_map(io_kind),
            _ => None,
        }
    }
    let item = path_of(err)
        .map(display_path)
        .unwrap_or_else(|| "(walk)".into());
    let kind = match io_kind(err) {
        Some(std::io::ErrorKind::NotFound) => ItemErrorKind::Vanished,
        _ => ItemErrorKind::Unreadable,
    };
    let reason = match err {
        ignore::Error::WithPath { err, .. } => err.to_string(),
        other => other.to_string(),
    };
    ItemError::new(item, kind, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(roots: &[PathBuf], opts: &WalkOptions) -> (Vec<PathBuf>, Vec<ItemError>) {
        let (tx, rx) = crossbeam_channel::unbounded();
        let ex = exclusion_set(&opts.excludes).unwrap();
        walk(roots, opts, &ex, &tx);
        drop(tx);
        let mut files = Vec::new();
        let mut errs = Vec::new();
        for m in rx {
            match m {
                Walked::File(p) => files.push(p),
                Walked::Problem(e) => errs.push(e),
            }
        }
        files.sort();
        (files, errs)
    }

    #[test]
    fn hidden_and_ignored_files_are_walked() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join(".gitignore"), "*.bin\nsecret/\n").unwrap();
        std::fs::write(d.path().join(".ignore"), "*\n").unwrap();
        std::fs::create_dir(d.path().join("secret")).unwrap();
        std::fs::write(d.path().join("secret/.hidden.bin"), "x").unwrap();
        std::fs::write(d.path().join("a.bin"), "x").unwrap();
        let (files, errs) = collect(&[d.path().to_path_buf()], &WalkOptions::default());
        assert!(errs.is_empty());
        assert_eq!(files.len(), 4, "{files:?}");
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_are_not_followed() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("a")).unwrap();
        std::fs::write(d.path().join("a/f"), "x").unwrap();
        std::os::unix::fs::symlink(d.path(), d.path().join("a/loop")).unwrap();
        let (files, _) = collect(&[d.path().to_path_buf()], &WalkOptions::default());
        assert_eq!(files, vec![d.path().join("a/f")]);
    }

    #[test]
    fn excludes_prune_by_name_and_path() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("skipme")).unwrap();
        std::fs::write(d.path().join("skipme/f"), "x").unwrap();
        std::fs::write(d.path().join("keep.txt"), "x").unwrap();
        std::fs::write(d.path().join("drop.log"), "x").unwrap();
        let opts = WalkOptions {
            excludes: vec!["skipme".into(), "*.log".into()],
            ..Default::default()
        };
        let (files, _) = collect(&[d.path().to_path_buf()], &opts);
        assert_eq!(files, vec![d.path().join("keep.txt")]);
        assert!(exclusion_set(&["a[".into()]).unwrap_err().contains("a["));
    }

    #[cfg(unix)]
    #[test]
    fn fifo_is_skipped_with_a_reason() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("pipe");
        let ok = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "mkfifo must exist for this test");
        let (files, errs) = collect(&[d.path().to_path_buf()], &WalkOptions::default());
        assert!(files.is_empty());
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].kind, ItemErrorKind::Skipped);
        assert!(errs[0].reason.contains("fifo"));
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_names_are_escaped_for_display() {
        use std::os::unix::ffi::OsStrExt;
        let p = Path::new(std::ffi::OsStr::from_bytes(b"/x/bad\xffname"));
        assert_eq!(display_path(p), "/x/bad\\xffname");
    }
}
