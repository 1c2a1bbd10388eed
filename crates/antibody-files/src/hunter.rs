//! The files engine's driver: walk, read, and hunt every file with a pool
//! of workers, each with its own YARA scanner over rules compiled once.

use crate::mmap;
use crate::process::{self, MemLimits};
use crate::rules::{self, RuleProblem, RuleSet};
use crate::scan::{Shared, Worker, scan_error, yara_finding};
use crate::walk::{self, WalkOptions, Walked, display_path};
use antibody_archive::Limits;
use antibody_core::pack::{HashAlgo, IndicatorIndex, Pack};
use antibody_core::{Engine, ItemError, ItemErrorKind, Kind, Location, Sink, Summary};
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use std::fs::File;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

/// Default `--max-file-size`: larger files are skipped and reported.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 256 * 1024 * 1024;

/// Options of a hunt (see `antibody hunt --help`).
#[derive(Debug, Clone)]
pub struct HuntOptions {
    /// Scanning threads; 0 means one per CPU.
    pub threads: usize,
    /// Files larger than this are skipped (reported as skipped).
    pub max_file_size: u64,
    /// Globs of paths or names to leave out.
    pub excludes: Vec<String>,
    /// Do not cross into other file systems.
    pub one_file_system: bool,
    /// Memory-map large files (read them otherwise).
    pub mmap: bool,
    /// Archive expansion limits.
    pub archives: Limits,
    /// YARA time limit per item.
    pub scan_timeout: Duration,
    /// Process memory limits.
    pub memory: MemLimits,
}

impl Default for HuntOptions {
    fn default() -> Self {
        HuntOptions {
            threads: 0,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            excludes: Vec::new(),
            one_file_system: false,
            mmap: true,
            archives: Limits::default(),
            scan_timeout: Duration::from_secs(60),
            memory: MemLimits::default(),
        }
    }
}

/// Receives progress from the workers (a progress bar on a terminal).
pub trait Progress: Sync {
    /// One top-level item was hunted: a file (with its kind) or a process
    /// (kind `None`), and the bytes read from it.
    fn item(&self, location: &str, kind: Option<Kind>, bytes: u64);
}

/// Progress that goes nowhere.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn item(&self, _: &str, _: Option<Kind>, _: u64) {}
}

/// The files engine, ready to hunt: rules compiled and indicators indexed.
pub struct FileHunter {
    rules: RuleSet,
    index: IndicatorIndex,
    hash_algos: Vec<HashAlgo>,
    engines: Vec<Box<dyn Engine>>,
    options: HuntOptions,
}

impl std::fmt::Debug for FileHunter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileHunter")
            .field("rules", &self.rules.len())
            .field("indicators", &self.index.len())
            .finish()
    }
}

impl FileHunter {
    /// Compiles the packs' rules and indexes their indicators. Rule files
    /// that fail to compile are left out and returned as problems.
    pub fn new(packs: &[Pack], options: HuntOptions) -> (FileHunter, Vec<RuleProblem>) {
        let (rules, problems) = rules::compile(packs.iter());
        let index = IndicatorIndex::new(packs.iter());
        let hash_algos = index.needed_hashes();
        let hunter = FileHunter {
            rules,
            index,
            hash_algos,
            engines: Vec::new(),
            options,
        };
        (hunter, problems)
    }

    /// Adds a specialist engine (logs, captures, mail) that items of its
    /// kinds are handed to.
    pub fn with_engine(mut self, engine: Box<dyn Engine>) -> Self {
        self.engines.push(engine);
        self
    }

    /// Number of compiled YARA rules (including string indicators).
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// Number of indicators indexed.
    pub fn indicator_count(&self) -> usize {
        self.index.len()
    }

    /// The digest algorithms computed for every file.
    pub fn hash_algorithms(&self) -> &[HashAlgo] {
        &self.hash_algos
    }

    fn threads(&self) -> usize {
        match self.options.threads {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        }
    }

    /// Hunts every file under `roots`. Returns the item counts; findings
    /// and item errors go to `sink`.
    pub fn hunt_paths(
        &self,
        roots: &[PathBuf],
        sink: &dyn Sink,
        progress: &dyn Progress,
    ) -> Summary {
        let summary = Mutex::new(Summary::default());
        let excludes = match walk::exclusion_set(&self.options.excludes) {
            Ok(e) => e,
            Err(m) => {
                sink.error(ItemError::new("--exclude", ItemErrorKind::Unreadable, m));
                return summary.into_inner().unwrap_or_default();
            }
        };
        let shared = Shared {
            rules: &self.rules,
            index: &self.index,
            hash_algos: &self.hash_algos,
            engines: &self.engines,
            archive_limits: &self.options.archives,
            sink,
            summary: &summary,
        };
        let threads = self.threads();
        let (tx, rx) = crossbeam_channel::bounded::<Walked>(4096);
        let walk_opts = WalkOptions {
            threads: threads.min(4),
            one_file_system: self.options.one_file_system,
            excludes: self.options.excludes.clone(),
        };
        std::thread::scope(|s| {
            s.spawn(move || walk::walk(roots, &walk_opts, &excludes, &tx));
            for _ in 0..threads {
                let rx = rx.clone();
                let shared = &shared;
                s.spawn(move || {
                    let mut worker = Worker::new(shared, self.options.scan_timeout);
                    for msg in rx {
                        match msg {
                            Walked::File(path) => self.hunt_path(&mut worker, &path, progress),
                            Walked::Problem(e) => sink.error(e),
                        }
                    }
                });
            }
        });
        // Engines that look across items (correlations) report last.
        for engine in &self.engines {
            engine.finish(sink);
        }
        summary.into_inner().unwrap_or_else(|e| e.into_inner())
    }

    fn hunt_path(&self, worker: &mut Worker<'_>, path: &std::path::Path, progress: &dyn Progress) {
        let shown = display_path(path);
        let sink = worker.shared.sink;
        let mut file = match File::open(path) {
            Ok(f) => f,
            Err(e) => return sink.error(io_error(&shown, &e)),
        };
        let meta = match file.metadata() {
            Ok(m) => m,
            Err(e) => return sink.error(io_error(&shown, &e)),
        };
        if !meta.is_file() {
            return sink.error(ItemError::new(
                &shown,
                ItemErrorKind::Skipped,
                "not a regular file; not read",
            ));
        }
        let len = meta.len();
        if len > self.options.max_file_size {
            return sink.error(ItemError::new(
                &shown,
                ItemErrorKind::Skipped,
                format!(
                    "{} bytes, over --max-file-size {}; not read",
                    len, self.options.max_file_size
                ),
            ));
        }
        let mtime = meta.modified().ok().map(DateTime::<Utc>::from);
        let content = match mmap::load(&mut file, len, self.options.mmap) {
            Ok(c) => c,
            Err(e) => return sink.error(io_error(&shown, &e)),
        };
        let kind = worker.hunt_file(&Location::file(shown.clone()), &content, mtime);
        progress.item(&shown, Some(kind), len);
    }

    /// Hunts the memory of every readable process on this machine (Linux)
    /// with the packs' YARA rules. A process that cannot be read is an item
    /// error; the others are still hunted.
    pub fn hunt_processes(&self, sink: &dyn Sink, progress: &dyn Progress) -> Summary {
        let mut summary = Summary::default();
        let procs = match process::list_processes() {
            Ok(p) => p,
            Err(e) => {
                sink.error(ItemError::new(
                    "processes",
                    ItemErrorKind::Unreadable,
                    format!("cannot list processes: {e}"),
                ));
                return summary;
            }
        };
        let me = std::process::id();
        let procs: Vec<_> = procs.into_iter().filter(|p| p.pid != me).collect();
        let counted = Mutex::new((0u64, 0u64));
        let next = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..self.threads() {
                s.spawn(|| {
                    let mut scanner = yara_x::Scanner::new(self.rules.rules());
                    scanner.set_timeout(self.options.scan_timeout);
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(p) = procs.get(i) else { break };
                        let loc = Location::Process {
                            pid: p.pid,
                            name: p.name.clone(),
                        };
                        let shown = loc.to_string();
                        let mut fired = HashSet::new();
                        let result = process::read_memory(
                            p.pid,
                            &self.options.memory,
                            &mut |_, base, bytes| match scanner.scan(bytes) {
                                Ok(r) => {
                                    for rule in r.matching_rules() {
                                        let key = (
                                            rule.namespace().to_string(),
                                            rule.identifier().to_string(),
                                        );
                                        if fired.contains(&key) {
                                            continue;
                                        }
                                        if let Some(mut f) =
                                            yara_finding(&self.rules, &rule, &loc, "memory", base)
                                        {
                                            if let Some(exe) = &p.exe {
                                                f.observables.push(
                                                    antibody_core::Observable::FilePath(
                                                        exe.clone(),
                                                    ),
                                                );
                                            }
                                            fired.insert(key);
                                            sink.finding(f);
                                        }
                                    }
                                }
                                Err(e) => sink.error(scan_error(&shown, &e)),
                            },
                        );
                        match result {
                            Ok(stats) => {
                                let mut c = counted.lock().unwrap_or_else(|e| e.into_inner());
                                c.0 += 1;
                                c.1 += stats.bytes;
                                if let Some(e) = stats.limit_error(&shown, &self.options.memory) {
                                    sink.error(e);
                                }
                                progress.item(&shown, None, stats.bytes);
                            }
                            Err(e) => sink.error(e),
                        }
                    }
                });
            }
        });
        let (n, bytes) = counted.into_inner().unwrap_or_else(|e| e.into_inner());
        summary.items = n;
        summary.bytes = bytes;
        summary
    }
}

/// Turns an I/O error on `item` into an item error of the right kind.
fn io_error(item: &str, e: &std::io::Error) -> ItemError {
    let kind = match e.kind() {
        std::io::ErrorKind::NotFound => ItemErrorKind::Vanished,
        _ => ItemErrorKind::Unreadable,
    };
    let reason = match e.kind() {
        std::io::ErrorKind::NotFound => "disappeared before it could be read".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    };
    ItemError::new(item, kind, reason)
}
