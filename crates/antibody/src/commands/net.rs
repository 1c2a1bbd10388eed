//! `antibody net hunt` and `antibody net flows`, and the net engine set-up
//! shared with `antibody hunt`.

use crate::cli::{FlowSort, FormatArg, NetCommand};
use antibody_core::pack::Pack;
use antibody_core::{Kind, sniff};
use antibody_net::flows::{FlowRow, FlowSummary, SortBy};
use antibody_net::rules::RuleError;
use antibody_net::session::SessionOptions;
use antibody_net::{NetEngine, NetEngineBuilder};
use anyhow::{Context, bail};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

pub fn run(cmd: NetCommand) -> anyhow::Result<u8> {
    match cmd {
        NetCommand::Hunt(args) => super::hunt::run_mode(*args, super::hunt::Mode::NetOnly),
        NetCommand::Flows {
            paths,
            top,
            sort,
            format,
        } => flows(&paths, top, sort, format),
    }
}

/// Builds the net engine from the packs' indicators and network rules.
pub fn build_engine(packs: &[Pack]) -> (NetEngine, Vec<(String, RuleError)>) {
    let mut b = NetEngineBuilder::new();
    for p in packs {
        b = b.add_pack(p);
    }
    b.build()
}

/// Most bytes a gzip-compressed Zeek log may expand to in `net flows`.
const MAX_GZIP: u64 = 4 << 30;

fn files_under(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).with_context(|| format!("{}: cannot read", p.display()))?;
        if meta.is_dir() {
            let mut stack = vec![p.clone()];
            while let Some(dir) = stack.pop() {
                let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
                    .with_context(|| format!("{}: cannot list", dir.display()))?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .collect();
                entries.sort();
                for e in entries {
                    match std::fs::symlink_metadata(&e) {
                        Ok(m) if m.is_dir() => stack.push(e),
                        Ok(m) if m.is_file() => out.push(e),
                        _ => {}
                    }
                }
            }
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn flows(paths: &[PathBuf], top: usize, sort: FlowSort, format: FormatArg) -> anyhow::Result<u8> {
    let mut summary = FlowSummary::new();
    let options = SessionOptions::default();
    let mut problems = 0u32;
    let mut used = 0u32;
    for path in files_under(paths)? {
        match add_file(&mut summary, &path, &options) {
            Ok(true) => used += 1,
            Ok(false) => {}
            Err(e) => {
                problems += 1;
                eprintln!("antibody: {}: {e:#}", path.display());
            }
        }
    }
    if used == 0 {
        bail!("no capture or Zeek log found in the paths given");
    }
    let sort = match sort {
        FlowSort::Bytes => SortBy::Bytes,
        FlowSort::Beacon => SortBy::Beacon,
        FlowSort::Connections => SortBy::Connections,
    };
    let rows = summary.rows(top, sort);
    let mut out = std::io::stdout().lock();
    match format {
        FormatArg::Json => {
            let doc = serde_json::json!({
                "connections": summary.connections,
                "conversations_dropped": summary.dropped(),
                "rows": rows,
            });
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
        FormatArg::Ndjson => {
            for r in &rows {
                serde_json::to_writer(&mut out, r)?;
                writeln!(out)?;
            }
        }
        FormatArg::Terminal => print_table(&mut out, &summary, &rows)?,
    }
    out.flush()?;
    Ok(if problems > 0 { 3 } else { 0 })
}

/// Reads one file into the summary; `false` when it is no capture or Zeek log.
fn add_file(
    summary: &mut FlowSummary,
    path: &Path,
    options: &SessionOptions,
) -> anyhow::Result<bool> {
    let file = std::fs::File::open(path).context("cannot open")?;
    // SAFETY: the map is read-only and dropped before this function returns;
    // a file truncated meanwhile can raise SIGBUS, as for any mmap reader
    // (the hunt itself uses the same approach with a read fallback).
    let map = match unsafe { memmap2::Mmap::map(&file) } {
        Ok(m) => m,
        Err(_) => return Ok(false),
    };
    let mut data: &[u8] = &map;
    let decompressed;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().trim_end_matches(".gz").to_string())
        .unwrap_or_default();
    let mut kind = sniff(&data[..data.len().min(4096)]);
    if kind == Kind::Gzip {
        let mut buf = Vec::new();
        flate2::read::MultiGzDecoder::new(data)
            .take(MAX_GZIP)
            .read_to_end(&mut buf)
            .context("gzip stream does not decompress")?;
        decompressed = buf;
        data = &decompressed;
        kind = sniff(&data[..data.len().min(4096)]);
    }
    match kind {
        Kind::Pcap | Kind::Pcapng => {
            let stats = summary
                .add_capture(data, options)
                .map_err(|e| anyhow::anyhow!("not a readable capture: {e}"))?;
            for e in &stats.errors {
                eprintln!(
                    "antibody: {}: {e} (frames before it were counted)",
                    path.display()
                );
            }
            Ok(true)
        }
        Kind::ZeekLog => {
            summary
                .add_zeek(data, &name)
                .map_err(|e| anyhow::anyhow!("not a readable Zeek log: {e}"))?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

fn print_table(w: &mut impl Write, s: &FlowSummary, rows: &[FlowRow]) -> std::io::Result<()> {
    writeln!(
        w,
        "{} connections in {} conversations shown (of the busiest)",
        s.connections,
        rows.len()
    )?;
    writeln!(
        w,
        "{:<40} {:<22} {:>7} {:>10} {:>10} {:>6}  why",
        "client -> server", "port/service", "conns", "sent", "received", "beacon"
    )?;
    for r in rows {
        let k = &r.stats.key;
        let pair = format!("{} -> {}", k.client, k.server);
        let port = format!(
            "{}/{}{}",
            k.server_port,
            antibody_net::fields::transport(k.proto),
            r.service
                .as_deref()
                .map(|s| format!(" {s}"))
                .unwrap_or_default()
        );
        let (score, why) = match &r.beacon {
            Some(b) => (
                format!("{:.2}", b.score),
                format!(
                    "every {:.0} s, interval {:.2}, size {:.2}, active {}/24",
                    b.median_interval_s, b.ts_score, b.ds_score, b.hours_active
                ),
            ),
            None => ("-".to_string(), String::new()),
        };
        writeln!(
            w,
            "{pair:<40} {port:<22} {:>7} {:>10} {:>10} {score:>6}  {why}",
            r.stats.connections,
            human_bytes(r.stats.client_bytes),
            human_bytes(r.stats.server_bytes),
        )?;
    }
    Ok(())
}
