//! `antibody hunt`: hunt paths and process memory with the loaded packs.

use crate::cli::{FormatArg, HuntArgs};
use crate::commands::{logs, net};
use crate::output::{self, Bar};
use crate::packs;
use crate::sink::HuntSink;
use antibody_case::{Case, NewHunt};
use antibody_core::{ItemError, ItemErrorKind, PackInfo, Summary};
use antibody_files::{ArchiveLimits, FileHunter, HuntOptions};
use antibody_report::{Options, Report};
use anyhow::{Context, bail};
use chrono::Utc;
use std::io::Write;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// `--max-file-size` of `antibody hunt` when not given.
const DEFAULT_MAX_FILE_SIZE: u64 = 256 << 20;

/// What a hunt runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Every engine.
    All,
    /// The log engine only (`antibody logs hunt`).
    LogsOnly,
    /// The net engine only (`antibody net hunt`).
    NetOnly,
}

pub fn run(args: HuntArgs) -> anyhow::Result<u8> {
    run_mode(args, Mode::All)
}

pub fn run_mode(args: HuntArgs, mode: Mode) -> anyhow::Result<u8> {
    if mode != Mode::All && args.processes {
        bail!(
            "`logs hunt` and `net hunt` read files; use `antibody hunt --processes` for process memory"
        );
    }
    if args.paths.is_empty() && !args.processes {
        bail!("nothing to hunt: give one or more paths, or --processes");
    }
    for p in &args.paths {
        // symlink_metadata: a dangling link given on purpose is still there.
        if std::fs::symlink_metadata(p).is_err() {
            bail!("{}: no such file or directory", p.display());
        }
    }
    let loaded = packs::load(&args.packs);
    if loaded.packs.is_empty() && args.logs.sigma.is_empty() {
        for (origin, d) in &loaded.problems {
            eprintln!("antibody: {origin}: {d}");
        }
        bail!("no usable pack and no --sigma rules: nothing to hunt with");
    }
    let options = HuntOptions {
        threads: args.threads,
        max_file_size: args.max_file_size.unwrap_or(match mode {
            Mode::All => DEFAULT_MAX_FILE_SIZE,
            Mode::LogsOnly | Mode::NetOnly => u64::MAX,
        }),
        excludes: args.exclude.clone(),
        one_file_system: args.one_file_system,
        mmap: !args.no_mmap,
        archives: ArchiveLimits {
            max_depth: args.archive_depth,
            max_members: args.archive_members,
            max_ratio: args.archive_ratio,
            max_total: args.archive_total,
            ..ArchiveLimits::default()
        },
        scan_timeout: Duration::from_secs(args.scan_timeout.max(1)),
        ..HuntOptions::default()
    };
    // `logs hunt` and `net hunt` keep the walk, archives and triage but
    // none of the generic file checks (hashes, names, YARA).
    let file_packs: &[antibody_core::pack::Pack] = match mode {
        Mode::All => &loaded.packs,
        Mode::LogsOnly | Mode::NetOnly => &[],
    };
    let (mut hunter, rule_problems) = FileHunter::new(file_packs, options);
    let mut load = antibody_logs::LoadReport::default();
    let mut events_read = None;
    if mode != Mode::NetOnly {
        let (log_engine, l) = logs::build_engine(&args.logs, &loaded.packs)?;
        events_read = Some(log_engine.event_counter());
        hunter = hunter.with_engine(Box::new(log_engine));
        load = l;
        logs::report_load(&load, args.verbose);
    }
    let mut net_counters = None;
    let mut net_rules = 0;
    let mut net_problems = Vec::new();
    if mode != Mode::LogsOnly {
        let (net_engine, problems) = net::build_engine(&loaded.packs);
        net_counters = Some(net_engine.counters());
        net_rules = net_engine.rule_count();
        net_problems = problems;
        hunter = hunter.with_engine(Box::new(net_engine));
    }

    let mut targets: Vec<String> = args
        .paths
        .iter()
        .map(|p| antibody_files::walk::display_path(p))
        .collect();
    if args.processes {
        targets.push("processes".into());
    }
    let pack_infos: Vec<PackInfo> = loaded
        .packs
        .iter()
        .map(|p| PackInfo {
            name: p.meta.name.clone(),
            version: p.meta.version.clone(),
            origin: p.origin.to_string(),
        })
        .collect();
    let case = match &args.case {
        Some(path) => {
            let mut case =
                Case::open(path).with_context(|| format!("opening case {}", path.display()))?;
            let hunt = case.begin_hunt(&NewHunt {
                version: env!("CARGO_PKG_VERSION").into(),
                targets: targets.clone(),
                args: std::env::args().skip(1).collect(),
                packs: pack_infos.clone(),
            })?;
            Some((case, hunt))
        }
        None => None,
    };

    let started = Utc::now();
    let clock = Instant::now();
    let sink = HuntSink::new(case);
    // Pack problems are reported like unreadable items: the hunt goes on
    // with everything that loaded, and the exit code says something was
    // left out.
    for (origin, d) in &loaded.problems {
        if d.level == antibody_core::pack::Level::Error {
            antibody_core::Sink::error(&sink, pack_error(origin, d, ""));
        } else {
            eprintln!("antibody: {origin}: {d}");
        }
    }
    for p in &rule_problems {
        antibody_core::Sink::error(
            &sink,
            pack_error(&p.pack, &p.diagnostic, "YARA rule file left out: "),
        );
    }
    for (pack, e) in &net_problems {
        antibody_core::Sink::error(
            &sink,
            ItemError::new(
                format!("pack {pack}/{}", e.file),
                ItemErrorKind::Corrupt,
                format!("network rule left out: {e}"),
            ),
        );
    }

    let bar = Bar::new(args.quiet, &sink);
    let mut summary = Summary::default();
    if !args.paths.is_empty() {
        summary = hunter.hunt_paths(&args.paths, &sink, &bar);
    }
    if args.processes {
        let mem = hunter.hunt_processes(&sink, &bar);
        summary.items += mem.items;
        summary.bytes += mem.bytes;
    }
    bar.finish();

    let (findings, errors, case) = sink.finish();
    summary.version = env!("CARGO_PKG_VERSION").into();
    summary.targets = targets;
    summary.started = Some(started);
    summary.finished = Some(Utc::now());
    summary.seconds = clock.elapsed().as_secs_f64();
    summary.packs = pack_infos;
    summary.yara_rules = hunter.rule_count();
    summary.sigma_rules = load.loaded;
    summary.sigma_rejected = load.errors.len();
    summary.log_events = events_read.map_or(0, |c| c.load(Ordering::Relaxed));
    summary.net_rules = net_rules;
    if let Some(c) = net_counters {
        summary.net_items = c.items.load(Ordering::Relaxed);
        summary.net_frames = c.frames.load(Ordering::Relaxed);
        summary.net_flows = c.flows.load(Ordering::Relaxed);
        summary.net_records = c.records.load(Ordering::Relaxed);
    }
    summary.indicators = hunter.indicator_count();
    for f in &findings {
        summary.count_finding(f);
    }
    for e in &errors {
        summary.count_error(e);
    }
    if let Some((mut case, hunt, failed)) = case {
        if let Some(msg) = failed {
            eprintln!("antibody: warning: the case could not be fully written: {msg}");
        }
        case.finish_hunt(hunt, &summary)
            .context("finishing the hunt in the case")?;
    }

    let report = Report {
        summary: &summary,
        findings: &findings,
        errors: &errors,
    };
    let to_file = args.output.is_some();
    let opts = Options {
        color: output::color(args.color, to_file) && args.format == FormatArg::Terminal,
        verbose: args.verbose,
        ..Options::default()
    };
    match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("creating {}", path.display()))?;
            let mut w = std::io::BufWriter::new(file);
            antibody_report::render(output::format(args.format), &report, &opts, &mut w)?;
            w.flush()?;
            if args.format != FormatArg::Terminal {
                // The file is for machines; people still get the summary.
                let term = Options {
                    color: output::color(args.color, false),
                    ..opts
                };
                let mut out = std::io::stdout().lock();
                antibody_report::render(
                    antibody_report::Format::Terminal,
                    &report,
                    &term,
                    &mut out,
                )?;
            }
        }
        None => {
            let mut out = std::io::stdout().lock();
            antibody_report::render(output::format(args.format), &report, &opts, &mut out)?;
            out.flush()?;
            if args.format == FormatArg::Ndjson && !args.quiet {
                // NDJSON carries findings only: totals, items not hunted and
                // errors go to stderr for the person watching.
                antibody_report::render_summary(
                    &report,
                    &Options::default(),
                    &mut std::io::stderr().lock(),
                )?;
            }
        }
    }
    Ok(summary.exit_code())
}

/// A pack problem as an item error naming `pack ORIGIN/FILE:LINE`.
fn pack_error(origin: &str, d: &antibody_core::pack::Diagnostic, prefix: &str) -> ItemError {
    let at = d
        .line
        .map(|l| format!("{}:{l}", d.file))
        .unwrap_or_else(|| d.file.clone());
    ItemError::new(
        format!("pack {origin}/{at}"),
        ItemErrorKind::Corrupt,
        format!("{prefix}{}", d.message),
    )
}
