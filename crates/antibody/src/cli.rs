//! Command-line arguments.

use crate::size::parse_size;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Hunt your own evidence for a state actor's tools, infrastructure and
/// traces — offline, from files, archives and process memory.
#[derive(Debug, Parser)]
#[command(name = "antibody", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Hunt files, folders, archives and process memory with the loaded packs.
    Hunt(Box<HuntArgs>),
    /// List, show and validate packs.
    #[command(subcommand)]
    Packs(PacksCommand),
    /// Read a case file.
    #[command(subcommand)]
    Case(CaseCommand),
    /// Hunt logs only (EVTX, JSON lines, access logs, syslog) and build
    /// timelines.
    #[command(subcommand)]
    Logs(LogsCommand),
    /// Check Sigma rules: parse and compile each, report every failure.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Hunt packet captures and Zeek logs only, and summarise flows.
    #[command(subcommand)]
    Net(NetCommand),
    /// Turn advisories and shared intelligence into packs: extract
    /// indicators, entities and techniques; cluster reports; import and
    /// export STIX 2.1, MISP, CISA KEV and CSV.
    #[command(subcommand)]
    Intel(IntelCommand),
}

/// `antibody intel ...`.
#[derive(Debug, Subcommand)]
pub enum IntelCommand {
    /// Find indicators (refanged), entities and ATT&CK techniques in
    /// advisories: text, HTML, Markdown, PDF, DOCX (`-` reads standard input).
    Extract(IntelExtractArgs),
    /// Turn advisories into a pack that `hunt --pack DIR` uses at once,
    /// with every indicator's sentence and a readable SUMMARY.md.
    Ingest(IntelIngestArgs),
    /// Which reports tell the same story: near-duplicates (syndicated
    /// copies, rewrites, translations) grouped with a similarity figure.
    Cluster {
        /// Documents, or folders holding them.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Estimated similarity (0–1) from which two reports are grouped.
        #[arg(long, value_name = "X")]
        threshold: Option<f64>,
        /// Output format (terminal or json).
        #[arg(long, value_enum, default_value_t = FormatArg::Terminal)]
        format: FormatArg,
    },
    /// Turn STIX 2.1 bundles, MISP events, CISA KEV catalogues, CSV and
    /// plain lists into a pack.
    Import(IntelImportArgs),
    /// Write a pack's indicators as a STIX 2.1 bundle, a MISP event or CSV.
    Export {
        /// A built-in pack's name, or a pack directory.
        #[arg(long, value_name = "NAME|DIR")]
        pack: String,
        /// Output format.
        #[arg(long, value_enum)]
        format: ExportFormatArg,
        /// Write here instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// Formats of `intel extract`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExtractFormatArg {
    /// Per document: indicators with their sentence, entities, techniques.
    Terminal,
    /// One JSON document with every source, indicator, entity, technique
    /// and problem.
    Json,
    /// One JSON object per indicator.
    Ndjson,
    /// CSV: one row per indicator.
    Csv,
}

/// Formats of `intel export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormatArg {
    /// STIX 2.1 bundle (deterministic ids).
    Stix,
    /// MISP event JSON.
    Misp,
    /// CSV: type, value, description, severity, confidence, attack, source, malware.
    Csv,
}

/// Input formats of `intel import` (default: decided by content).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFormatArg {
    /// STIX 2.1 bundle.
    Stix,
    /// MISP event JSON.
    Misp,
    /// CISA Known Exploited Vulnerabilities JSON.
    Kev,
    /// CSV with a header.
    Csv,
    /// One value per line.
    List,
}

/// `antibody intel extract`.
#[derive(Debug, Args)]
pub struct IntelExtractArgs {
    /// Documents to read (`-` for standard input).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExtractFormatArg::Terminal)]
    pub format: ExtractFormatArg,
    /// Also list values that are named but not hostile (private addresses,
    /// example domains, well-known names), with the reason.
    #[arg(long)]
    pub all: bool,
    /// Write here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// The pack `intel ingest` and `intel import` write.
#[derive(Debug, Args)]
pub struct PackOutArgs {
    /// Write the pack into this directory (created; an existing pack there
    /// is rewritten).
    #[arg(long, value_name = "DIR")]
    pub pack_out: PathBuf,
    /// The pack's name (default: made from the directory's name).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

/// `antibody intel ingest`.
#[derive(Debug, Args)]
pub struct IntelIngestArgs {
    /// Advisories to read (text, HTML, Markdown, PDF, DOCX).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Where the pack goes.
    #[command(flatten)]
    pub out: PackOutArgs,
    /// Indicators found with a lower confidence (0–1) are listed in
    /// SUMMARY.md but not hunted.
    #[arg(long, value_name = "X", default_value_t = 0.5)]
    pub min_confidence: f32,
}

/// `antibody intel import`.
#[derive(Debug, Args)]
pub struct IntelImportArgs {
    /// STIX, MISP, KEV, CSV or list files.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Where the pack goes.
    #[command(flatten)]
    pub out: PackOutArgs,
    /// Read every file as this format instead of deciding by content.
    #[arg(long = "as", value_enum, value_name = "FORMAT")]
    pub input_format: Option<ImportFormatArg>,
    /// CSV columns: `type=Type,value=Indicator,description=Comment`.
    #[arg(long, value_name = "MAP")]
    pub csv_map: Option<String>,
}

/// `antibody net ...`.
#[derive(Debug, Subcommand)]
pub enum NetCommand {
    /// Hunt pcap/pcapng captures and Zeek logs (files or folders) with the
    /// packs' network indicators and rules only (no YARA, no file hashes).
    Hunt(Box<HuntArgs>),
    /// Who talked to whom, how much and how regularly: the busiest
    /// conversations of captures or Zeek conn logs, with beacon scores.
    Flows {
        /// Captures, Zeek logs, or folders holding them.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// How many conversations to list.
        #[arg(long, value_name = "N", default_value_t = 20)]
        top: usize,
        /// Order by total bytes or by beacon score.
        #[arg(long, value_enum, default_value_t = FlowSort::Bytes)]
        sort: FlowSort,
        /// Output format (terminal or json).
        #[arg(long, value_enum, default_value_t = FormatArg::Terminal)]
        format: FormatArg,
    },
}

/// Orders of `net flows`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FlowSort {
    /// Most bytes (both ways) first.
    Bytes,
    /// Highest beacon score first.
    Beacon,
    /// Most connections first.
    Connections,
}

/// Log-engine options shared by `hunt` and `logs hunt`.
#[derive(Debug, Clone, Args)]
pub struct LogArgs {
    /// Also run the Sigma rules in this file or folder (repeatable), e.g.
    /// a SigmaHQ checkout.
    #[arg(long = "sigma", value_name = "PATH")]
    pub sigma: Vec<PathBuf>,
    /// Add this logsource/field mapping file to the built-in one.
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
    /// Only log events at or after this time (2020-01-01, RFC 3339...).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// Only log events before this time.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub to: Option<chrono::DateTime<chrono::Utc>>,
    /// Most findings one rule raises in one log before the rest are counted.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub max_findings_per_rule: usize,
}

/// `antibody logs ...`.
#[derive(Debug, Subcommand)]
pub enum LogsCommand {
    /// Hunt log files with Sigma rules and pack indicators only (no YARA,
    /// no file hashes).
    Hunt(Box<HuntArgs>),
    /// The events behind a case's findings, in time order.
    Timeline {
        /// The case file.
        case: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = TimelineFormat::Csv)]
        format: TimelineFormat,
        /// Write here instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// Timeline formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TimelineFormat {
    /// CSV that Timesketch imports (message, datetime, timestamp_desc, ...).
    Csv,
    /// One JSON object per event.
    Ndjson,
}

/// `antibody rules ...`.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Parse and compile every rule; list each failure with file, line and
    /// reason. Exit 0 when all load, 1 when some were rejected.
    Check {
        /// Rule files or folders.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Mapping file (placeholders for `expand`, extra logsources).
        #[arg(long, value_name = "FILE")]
        mapping: Option<PathBuf>,
        /// Output format (terminal or json).
        #[arg(long, value_enum, default_value_t = FormatArg::Terminal)]
        format: FormatArg,
        /// Also list warnings.
        #[arg(long, short)]
        verbose: bool,
    },
}

/// Parses `2020-01-01`, `2020-01-01 10:00:00`, or RFC 3339, as UTC.
pub fn parse_time(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Ok(Utc.from_utc_datetime(&t));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default()));
    }
    Err(format!(
        "`{s}` is not a time (use 2020-01-01, 2020-01-01 10:00:00 or RFC 3339)"
    ))
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Concise summary for people.
    Terminal,
    /// One JSON document: summary, findings (ECS), errors.
    Json,
    /// One ECS finding per line.
    Ndjson,
}

/// When to use colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    /// On a terminal only.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Pack selection shared by subcommands.
#[derive(Debug, Clone, Args)]
pub struct PackArgs {
    /// Load the pack in DIR as well as the built-in packs (repeatable).
    #[arg(long = "pack", value_name = "DIR")]
    pub packs: Vec<PathBuf>,
    /// Do not load the built-in packs.
    #[arg(long)]
    pub no_builtin: bool,
}

/// `antibody hunt`.
#[derive(Debug, Args)]
pub struct HuntArgs {
    /// Files and folders to hunt (archives are opened, content decides kinds).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Also hunt the memory of running processes (Linux; root or CAP_SYS_PTRACE).
    #[arg(long)]
    pub processes: bool,
    #[command(flatten)]
    pub packs: PackArgs,
    #[command(flatten)]
    pub logs: LogArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Terminal)]
    pub format: FormatArg,
    /// Write the output here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Keep the hunt, its findings and errors in this case file (SQLite).
    #[arg(long, value_name = "FILE")]
    pub case: Option<PathBuf>,
    /// Scanning threads (default: one per CPU).
    #[arg(long, short = 'j', default_value_t = 0)]
    pub threads: usize,
    /// Skip files larger than this (K, M, G suffixes). Default: 256M for
    /// `hunt`, no limit for `logs hunt` (logs are streamed, not loaded).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_file_size: Option<u64>,
    /// Leave out paths or names matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Do not cross into other file systems.
    #[arg(long)]
    pub one_file_system: bool,
    /// Read files instead of memory-mapping them.
    #[arg(long)]
    pub no_mmap: bool,
    /// Deepest archive nesting opened.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub archive_depth: usize,
    /// Most members read from one archive.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub archive_members: usize,
    /// Largest expansion ratio of an archive member.
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub archive_ratio: u64,
    /// Most bytes expanded from one file, nested archives included.
    #[arg(long, value_name = "SIZE", default_value = "2G", value_parser = parse_size)]
    pub archive_total: u64,
    /// YARA time limit per item, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub scan_timeout: u64,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Colour in terminal output.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
    /// List every item error and every location of grouped findings.
    #[arg(long, short)]
    pub verbose: bool,
}

/// `antibody packs ...`.
#[derive(Debug, Subcommand)]
pub enum PacksCommand {
    /// List the loaded packs.
    List(PackArgs),
    /// Show one pack: sources, indicators, rules.
    Show {
        /// Pack name.
        name: String,
        #[command(flatten)]
        packs: PackArgs,
    },
    /// Check pack directories and report every problem with file and line.
    Validate {
        /// Pack directories.
        #[arg(required = true, value_name = "DIR")]
        dirs: Vec<PathBuf>,
    },
}

/// `antibody case ...`.
#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// Print a case: its hunts, findings and errors.
    Show {
        /// The case file.
        case: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = FormatArg::Terminal)]
        format: FormatArg,
        /// Colour in terminal output.
        #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
        color: ColorArg,
    },
}
