//! `antibody intel extract | ingest | cluster | import | export`.
//!
//! The work is in `antibody-intel`; this module reads arguments, prints,
//! and checks a written pack's rules with the engines that run them (YARA
//! with the files engine, Sigma with the logs engine).

use crate::cli::{
    ExportFormatArg, ExtractFormatArg, FormatArg, ImportFormatArg, IntelCommand, IntelExtractArgs,
    IntelImportArgs, IntelIngestArgs, PackOutArgs,
};
use antibody_core::pack::{self, Level, Pack};
use antibody_intel::cluster::{ClusterOptions, Clusterer};
use antibody_intel::doc::{self, DocLimits};
use antibody_intel::formats::{self, CsvMap, ExportFormat, ImportOptions, InputFormat};
use antibody_intel::ingest::{DocReport, Ingester};
use antibody_intel::packout::{self, PackOptions, PackOutcome, one_line, slug};
use antibody_intel::{Intel, SourceDoc};
use anyhow::{Context, bail};
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

/// Exit code when some inputs could not be read (docs/output.md).
const EXIT_PARTIAL: u8 = 3;

pub fn run(cmd: IntelCommand) -> anyhow::Result<u8> {
    match cmd {
        IntelCommand::Extract(args) => extract(args),
        IntelCommand::Ingest(args) => ingest(args),
        IntelCommand::Cluster {
            paths,
            threshold,
            format,
        } => cluster(&paths, threshold, format),
        IntelCommand::Import(args) => import(args),
        IntelCommand::Export {
            pack,
            format,
            output,
        } => export(&pack, format, output.as_deref()),
    }
}

/// One document's results, for `intel extract`.
struct DocResult {
    intel: Intel,
    report: DocReport,
}

fn extract(args: IntelExtractArgs) -> anyhow::Result<u8> {
    let ingester = Ingester::default();
    let mut docs = Vec::new();
    let mut failed = 0;
    for path in &args.files {
        let mut intel = Intel::default();
        let read = if path.as_os_str() == "-" {
            read_stdin(&ingester, &mut intel)
        } else {
            ingester
                .add_path(path, &mut intel)
                .map_err(anyhow::Error::from)
        };
        match read {
            Ok(report) => docs.push(DocResult { intel, report }),
            Err(e) => {
                failed += 1;
                eprintln!("antibody: {e:#}");
            }
        }
    }
    let mut out = output(args.output.as_deref())?;
    match args.format {
        ExtractFormatArg::Terminal => print_terminal(&mut out, &docs, args.all)?,
        ExtractFormatArg::Json => {
            let doc = serde_json::json!({
                "format": "antibody-intel-extract/1",
                "documents": docs.iter().map(|d| doc_json(d, args.all)).collect::<Vec<_>>(),
                "unreadable": failed,
            });
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
        ExtractFormatArg::Ndjson => {
            for d in &docs {
                let src = &d.intel.sources[0];
                for item in d.intel.items.iter().filter(|i| args.all || i.to_ids) {
                    let mut v = serde_json::to_value(&item.ioc)?;
                    v["source"] = serde_json::Value::String(src.title.clone());
                    v["source_url"] = serde_json::Value::String(src.url.clone());
                    serde_json::to_writer(&mut out, &v)?;
                    writeln!(out)?;
                }
            }
        }
        ExtractFormatArg::Csv => {
            writeln!(out, "type,value,flag,confidence,defanged,source,sentence")?;
            for d in &docs {
                let src = &d.intel.sources[0];
                for item in d.intel.items.iter().filter(|i| args.all || i.to_ids) {
                    let i = &item.ioc;
                    writeln!(
                        out,
                        "{},{},{},{:.2},{},{},{}",
                        i.kind,
                        csv_field(&i.value),
                        i.flag.map(|f| f.as_str()).unwrap_or(""),
                        i.confidence,
                        i.defanged,
                        csv_field(&src.title),
                        csv_field(&i.sentence)
                    )?;
                }
            }
        }
    }
    out.flush()?;
    Ok(if failed > 0 { EXIT_PARTIAL } else { 0 })
}

fn read_stdin(ingester: &Ingester, intel: &mut Intel) -> anyhow::Result<DocReport> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(DocLimits::default().max_bytes)
        .read_to_end(&mut bytes)
        .context("standard input")?;
    let text = String::from_utf8_lossy(&bytes);
    let source = SourceDoc {
        id: "stdin".into(),
        title: "standard input".into(),
        url: "file:///dev/stdin".into(),
        publisher: None,
        date: None,
        format: "text".into(),
    };
    Ok(ingester.add_text(&text, source, intel))
}

fn doc_json(d: &DocResult, all: bool) -> serde_json::Value {
    serde_json::json!({
        "source": d.intel.sources[0],
        "text_bytes": d.report.text_bytes,
        "indicators": d.intel.items.iter().filter(|i| all || i.to_ids).map(|i| &i.ioc).collect::<Vec<_>>(),
        "entities": d.intel.entities,
        "techniques": d.intel.techniques,
        "warnings": d.report.warnings,
    })
}

fn print_terminal(out: &mut dyn Write, docs: &[DocResult], all: bool) -> std::io::Result<()> {
    for d in docs {
        let src = &d.intel.sources[0];
        writeln!(
            out,
            "{} ({}, {} bytes of text): {} indicators, {} named but not hostile, {} entities, {} techniques",
            src.title,
            src.format,
            d.report.text_bytes,
            d.report.indicators - d.report.flagged,
            d.report.flagged,
            d.intel.entities.len(),
            d.intel.techniques.len()
        )?;
        for w in &d.report.warnings {
            writeln!(out, "  warning: {w}")?;
        }
        for item in d.intel.items.iter().filter(|i| all || i.to_ids) {
            let i = &item.ioc;
            let value = if i.kind.is_rule() {
                format!(
                    "{} ({} lines)",
                    first_line(&i.value),
                    i.value.lines().count()
                )
            } else {
                i.value.clone()
            };
            let flag = i.flag.map(|f| format!(" [{f}]")).unwrap_or_default();
            let sentence = if i.kind.is_rule() {
                String::new()
            } else {
                format!("  “{}”", one_line(&i.sentence, 100))
            };
            writeln!(
                out,
                "  {:<16} {}{flag}  {:.2}{sentence}",
                i.kind.as_str(),
                value,
                i.confidence,
            )?;
        }
        for e in &d.intel.entities {
            writeln!(
                out,
                "  {:<16} {} ({}) written {}",
                e.kind.as_str(),
                e.name,
                e.id,
                e.mentions.join(", ")
            )?;
        }
        for t in &d.intel.techniques {
            let via = if t.from_prose {
                format!("from “{}”", t.evidence)
            } else {
                "named".into()
            };
            writeln!(out, "  {:<16} {} {} ({via})", "technique", t.id, t.name)?;
        }
    }
    Ok(())
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("").trim()
}

fn ingest(args: IntelIngestArgs) -> anyhow::Result<u8> {
    let ingester = Ingester::default();
    let mut intel = Intel::default();
    let mut failed = 0;
    for path in &args.files {
        match ingester.add_path(path, &mut intel) {
            Ok(r) => eprintln!(
                "{}: {} indicators ({} named but not hostile), {} entities, {} techniques",
                path.display(),
                r.indicators - r.flagged,
                r.flagged,
                r.entities,
                r.techniques
            ),
            Err(e) => {
                failed += 1;
                eprintln!("antibody: {e}");
            }
        }
    }
    if intel.sources.is_empty() {
        bail!("no document could be read, so no pack was written");
    }
    write_and_check(&intel, args.out, args.min_confidence)?;
    Ok(if failed > 0 { EXIT_PARTIAL } else { 0 })
}

fn import(args: IntelImportArgs) -> anyhow::Result<u8> {
    let csv_map = match &args.csv_map {
        Some(m) => Some(
            m.parse::<CsvMap>()
                .map_err(|e| anyhow::anyhow!("--csv-map `{m}`: {e}"))?,
        ),
        None => None,
    };
    let opts = ImportOptions {
        csv_map,
        ..ImportOptions::default()
    };
    let mut intel = Intel::default();
    let mut failed = 0;
    for path in &args.files {
        let before = intel.problems.len();
        let result = match args.input_format {
            None => formats::import_path(path, &opts, &mut intel).map_err(anyhow::Error::from),
            Some(f) => std::fs::File::open(path)
                .with_context(|| path.display().to_string())
                .and_then(|file| {
                    formats::import_reader(
                        std::io::BufReader::new(file),
                        input_format(f),
                        &path.display().to_string(),
                        &opts,
                        &mut intel,
                    )
                    .map_err(anyhow::Error::from)
                }),
        };
        match result {
            Ok(s) => eprintln!(
                "{}: {} objects read, {} indicators, {} entities, {} techniques, {} skipped, {} problems",
                path.display(),
                s.objects,
                s.items,
                s.entities,
                s.techniques,
                s.skipped,
                s.problems
            ),
            Err(e) => {
                failed += 1;
                eprintln!("antibody: {}: {e:#}", path.display());
            }
        }
        for p in &intel.problems[before..] {
            eprintln!("antibody: {p}");
        }
    }
    if intel.sources.is_empty() {
        bail!("no input could be read, so no pack was written");
    }
    write_and_check(&intel, args.out, 0.0)?;
    Ok(if failed > 0 { EXIT_PARTIAL } else { 0 })
}

fn input_format(f: ImportFormatArg) -> InputFormat {
    match f {
        ImportFormatArg::Stix => InputFormat::Stix,
        ImportFormatArg::Misp => InputFormat::Misp,
        ImportFormatArg::Kev => InputFormat::Kev,
        ImportFormatArg::Csv => InputFormat::Csv,
        ImportFormatArg::List => InputFormat::List,
    }
}

/// Writes the pack, then checks it as `packs validate` would and leaves
/// out rule files the engines reject (each reported), so the pack that
/// remains loads and hunts.
fn write_and_check(intel: &Intel, out: PackOutArgs, min_confidence: f32) -> anyhow::Result<()> {
    let dir = out.pack_out.as_path();
    let name = match out.name {
        Some(n) => n,
        None => {
            let base = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
            let stem = base
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            let s = slug(&stem, 64);
            if s.is_empty() { "intel-pack".into() } else { s }
        }
    };
    let opts = PackOptions {
        min_confidence,
        ..PackOptions::named(name)
    };
    let outcome = packout::write_pack(intel, dir, &opts)?;
    let rejected = check_rules(dir)?;
    let loaded = pack::load_dir(dir).map_err(|e| {
        let lines: Vec<String> = e.diagnostics.iter().map(|d| d.to_string()).collect();
        anyhow::anyhow!(
            "the written pack in {} does not load:\n{}",
            dir.display(),
            lines.join("\n")
        )
    })?;
    print_outcome(&loaded.pack, &outcome, &rejected, dir);
    Ok(())
}

/// Compiles every YARA and Sigma file of the pack in `dir`; removes those
/// that fail and returns `(file, reason)` for each.
fn check_rules(dir: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let loaded = match pack::load_dir(dir) {
        Ok(l) => l,
        Err(_) => return Ok(Vec::new()),
    };
    let mut rejected = Vec::new();
    for f in &loaded.pack.yara {
        let errors: Vec<String> = antibody_files::rules::check_file(&f.path, &f.text)
            .into_iter()
            .filter(|d| d.level == Level::Error)
            .map(|d| d.message)
            .collect();
        if !errors.is_empty() {
            rejected.push((f.path.clone(), errors.join("; ")));
        }
    }
    if !loaded.pack.sigma.is_empty() {
        let mut b = antibody_logs::LogsEngineBuilder::new(
            antibody_logs::mapping::Mapping::builtin(),
            antibody_logs::LogOptions::default(),
        );
        b.add_pack(&loaded.pack);
        let (_, report) = b.build(&[]);
        let root = Path::new(&loaded.pack.meta.name);
        for e in &report.errors {
            let Ok(rel) = e.file.strip_prefix(root) else {
                continue;
            };
            let rel = rel.to_string_lossy().replace('\\', "/");
            if !rejected.iter().any(|(p, _)| *p == rel) {
                rejected.push((rel, e.message.clone()));
            }
        }
    }
    for (path, _) in &rejected {
        std::fs::remove_file(dir.join(path)).with_context(|| format!("removing {path}"))?;
    }
    Ok(rejected)
}

fn print_outcome(p: &Pack, o: &PackOutcome, rejected: &[(String, String)], dir: &Path) {
    for (path, why) in rejected {
        eprintln!("antibody: {path}: left out of the pack, the rule does not compile: {why}");
    }
    let by_type: Vec<String> = o
        .indicators
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    println!(
        "pack {} {} written to {}: {} indicators ({}), {} YARA and {} Sigma rule files, {} Snort/Suricata rules kept in intel/; {} values named but not hunted (see SUMMARY.md)",
        p.meta.name,
        p.meta.version,
        dir.display(),
        p.indicators.len(),
        if by_type.is_empty() {
            "none".to_string()
        } else {
            by_type.join(", ")
        },
        p.yara.len(),
        p.sigma.len(),
        o.snort,
        o.not_hunted.len()
    );
    println!(
        "hunt with it: antibody hunt --pack {} EVIDENCE...",
        dir.display()
    );
}

fn cluster(paths: &[PathBuf], threshold: Option<f64>, format: FormatArg) -> anyhow::Result<u8> {
    let mut opts = ClusterOptions::default();
    if let Some(t) = threshold {
        if !(0.0..=1.0).contains(&t) {
            bail!("--threshold {t}: must be between 0 and 1");
        }
        opts.threshold = t;
    }
    let mut clusterer = Clusterer::new(opts).map_err(|e| anyhow::anyhow!("{e}"))?;
    let limits = DocLimits::default();
    let mut failed = 0;
    let mut read = 0;
    for path in documents(paths)? {
        match doc::read_path(&path, &limits) {
            Ok(text) => {
                clusterer.add(path.display().to_string(), &text.text);
                read += 1;
            }
            Err(e) => {
                failed += 1;
                eprintln!("antibody: {}: {e}", path.display());
            }
        }
    }
    let clusters = clusterer.clusters();
    let mut out = std::io::stdout().lock();
    match format {
        FormatArg::Terminal => {
            let groups: Vec<_> = clusters.iter().filter(|c| c.members.len() > 1).collect();
            writeln!(
                out,
                "{read} reports, {} groups telling the same story",
                groups.len()
            )?;
            for (n, c) in groups.iter().enumerate() {
                writeln!(out, "group {} ({} reports):", n + 1, c.members.len())?;
                for m in &c.members {
                    writeln!(out, "  {:.2}  {}", m.similarity, m.name)?;
                }
            }
        }
        FormatArg::Json | FormatArg::Ndjson => {
            serde_json::to_writer_pretty(
                &mut out,
                &serde_json::json!({ "reports": read, "clusters": clusters }),
            )?;
            writeln!(out)?;
        }
    }
    Ok(if failed > 0 { EXIT_PARTIAL } else { 0 })
}

/// The files named, and the files under the folders named (sorted).
fn documents(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            for entry in ignore::WalkBuilder::new(p).standard_filters(false).build() {
                let entry = entry.with_context(|| p.display().to_string())?;
                if entry.file_type().is_some_and(|t| t.is_file()) {
                    found.push(entry.into_path());
                }
            }
            found.sort();
            out.extend(found);
        } else if p.exists() {
            out.push(p.clone());
        } else {
            bail!("{}: no such file or folder", p.display());
        }
    }
    Ok(out)
}

fn export(pack: &str, format: ExportFormatArg, output_path: Option<&Path>) -> anyhow::Result<u8> {
    let p = if Path::new(pack).is_dir() {
        pack::load_dir(Path::new(pack))
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .pack
    } else {
        match pack::builtin(pack) {
            Some(r) => r.map_err(|e| anyhow::anyhow!("{e}"))?.pack,
            None => bail!(
                "`{pack}` is neither a pack directory nor a built-in pack (built-in: {})",
                pack::builtin_names().join(", ")
            ),
        }
    };
    let format = match format {
        ExportFormatArg::Stix => ExportFormat::Stix,
        ExportFormatArg::Misp => ExportFormat::Misp,
        ExportFormatArg::Csv => ExportFormat::Csv,
    };
    let mut out = output(output_path)?;
    formats::export_pack(&p, format, &mut out)?;
    out.flush()?;
    Ok(0)
}

fn output(path: Option<&Path>) -> anyhow::Result<Box<dyn Write>> {
    Ok(match path {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => {
            let stdout = std::io::stdout();
            let _ = stdout.is_terminal();
            Box::new(std::io::BufWriter::new(stdout.lock()))
        }
    })
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
