//! Printers for antibody: one abstraction, three formats.
//!
//! A hunt ends as a [`Report`] (summary, findings, item errors); a case
//! store is shown as a [`CaseView`]. Either goes through one [`Printer`],
//! chosen by [`Format`]:
//!
//! - [`Format::Terminal`]: concise text for people, findings grouped by
//!   severity and by rule, totals, and a one-line verdict. Every piece of
//!   evidence text is escaped so that a hostile file name cannot drive the
//!   terminal.
//! - [`Format::Json`]: one pretty-printed document with the summary, the
//!   findings as ECS documents and the item errors.
//! - [`Format::Ndjson`]: one ECS document per finding per line, nothing
//!   else, for Elasticsearch, OpenSearch or Splunk.
//!
//! The layouts and schemas are documented in `docs/output.md`.
//!
//! ```
//! use antibody_core::Summary;
//! use antibody_report::{Format, Options, Report, render};
//!
//! let summary = Summary::default();
//! let report = Report { summary: &summary, findings: &[], errors: &[] };
//! let mut out = Vec::new();
//! render(Format::Terminal, &report, &Options::default(), &mut out).unwrap();
//! assert!(String::from_utf8(out).unwrap().ends_with("No findings.\n"));
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod block;
mod json;
mod style;
mod terminal;
mod text;

#[cfg(test)]
mod fixtures;

use antibody_core::{Finding, ItemError, Summary};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::io::{self, BufWriter, Write};
use std::str::FromStr;

pub use json::write_ndjson_finding;

/// An output format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Format {
    /// Text for people (the default).
    #[default]
    Terminal,
    /// One pretty-printed JSON document.
    Json,
    /// One ECS JSON document per finding per line.
    Ndjson,
}

impl Format {
    /// Every format, in the order a help text should list them.
    pub const ALL: [Format; 3] = [Format::Terminal, Format::Json, Format::Ndjson];

    /// The name used on the command line (`terminal`, `json`, `ndjson`).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Terminal => "terminal",
            Format::Json => "json",
            Format::Ndjson => "ndjson",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for a format name that is not one of [`Format::ALL`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFormat(pub String);

impl fmt::Display for UnknownFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown output format `{}` (expected terminal, json or ndjson)",
            self.0
        )
    }
}

impl std::error::Error for UnknownFormat {}

impl FromStr for Format {
    type Err = UnknownFormat;

    /// Parses `terminal` (or `text`), `json` and `ndjson`, ignoring case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "terminal" | "text" => Ok(Format::Terminal),
            "json" => Ok(Format::Json),
            "ndjson" => Ok(Format::Ndjson),
            _ => Err(UnknownFormat(s.to_string())),
        }
    }
}

/// How to render. Only the terminal format looks at these; JSON and NDJSON
/// are always complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Emit ANSI colours. The caller decides (a terminal, `NO_COLOR`,
    /// `--color`); off by default.
    pub color: bool,
    /// Show everything: every location and match of a grouped finding,
    /// observables, file digests, item kinds and skipped items.
    pub verbose: bool,
    /// How many item errors the terminal lists before `… N more`.
    pub max_errors_listed: usize,
    /// Column at which prose (reasons, actions) is wrapped. Paths are never
    /// cut.
    pub width: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            color: false,
            verbose: false,
            max_errors_listed: 20,
            width: 100,
        }
    }
}

/// Everything one hunt produced.
#[derive(Debug, Clone, Copy)]
pub struct Report<'a> {
    /// Totals, packs, and what was not hunted.
    pub summary: &'a Summary,
    /// Every finding, in any order (printers sort what they need to).
    pub findings: &'a [Finding],
    /// Items that could not be read, and items skipped on purpose.
    pub errors: &'a [ItemError],
}

/// One hunt recorded in a case, as `antibody case show` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HuntLine {
    /// The hunt's id in the case store.
    pub id: i64,
    /// When the hunt started.
    pub started: Option<DateTime<Utc>>,
    /// When it finished (`None` while running or if it died).
    pub finished: Option<DateTime<Utc>>,
    /// `running`, `finished`, `failed`, ... as the store records it.
    pub status: String,
    /// The paths hunted.
    pub targets: Vec<String>,
    /// Findings the hunt produced.
    pub findings: u64,
    /// Item errors the hunt recorded.
    pub errors: u64,
}

/// A case store's content, for `antibody case show`.
#[derive(Debug, Clone, Copy)]
pub struct CaseView<'a> {
    /// The case store's path (or URL, credentials removed).
    pub path: &'a str,
    /// Hunts recorded, in the order to list them.
    pub hunts: &'a [HuntLine],
    /// Distinct findings, each with how many times hunts have seen it.
    pub findings: &'a [(Finding, u32)],
    /// Item errors recorded.
    pub errors: &'a [ItemError],
}

/// Renders reports and case views in one format: the single sink every
/// output of antibody goes through.
///
/// Printers buffer internally and flush before returning; an error from
/// `out` (a closed pipe) is returned as is, never a panic.
pub trait Printer {
    /// Renders the outcome of one hunt.
    fn report(&self, report: &Report<'_>, out: &mut dyn Write) -> io::Result<()>;
    /// Renders a case store's hunts, findings and errors.
    fn case(&self, view: &CaseView<'_>, out: &mut dyn Write) -> io::Result<()>;
}

/// The printer for `format`.
pub fn printer(format: Format, opts: &Options) -> Box<dyn Printer + '_> {
    match format {
        Format::Terminal => Box::new(terminal::Terminal::new(opts)),
        Format::Json => Box::new(json::Json),
        Format::Ndjson => Box::new(json::Ndjson),
    }
}

/// Renders a hunt's report in `format` to `out`.
pub fn render(
    format: Format,
    report: &Report<'_>,
    opts: &Options,
    out: &mut dyn Write,
) -> io::Result<()> {
    printer(format, opts).report(report, out)
}

/// Renders a case view in `format` to `out`.
pub fn render_case(
    format: Format,
    view: &CaseView<'_>,
    opts: &Options,
    out: &mut dyn Write,
) -> io::Result<()> {
    printer(format, opts).case(view, out)
}

/// Renders the terminal header, totals and verdict without the findings:
/// what the CLI prints on stderr when stdout carries NDJSON.
pub fn render_summary(report: &Report<'_>, opts: &Options, out: &mut dyn Write) -> io::Result<()> {
    terminal::Terminal::new(opts).summary_only(report, out)
}

/// Runs `body` against a buffered `out` and flushes, so that a printer does
/// one write per buffer, not per line, and reports every write error.
fn buffered(
    out: &mut dyn Write,
    body: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let mut w = BufWriter::new(out);
    body(&mut w)?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip() {
        for f in Format::ALL {
            assert_eq!(f.to_string().parse::<Format>(), Ok(f));
        }
        assert_eq!("TEXT".parse::<Format>(), Ok(Format::Terminal));
        let e = "xml".parse::<Format>().unwrap_err();
        assert!(e.to_string().contains("`xml`"), "{e}");
    }

    /// A pipe whose reader has gone (`antibody hunt | head`).
    struct ClosedPipe {
        /// Bytes accepted before the pipe closes.
        room: usize,
    }

    impl Write for ClosedPipe {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.room == 0 {
                return Err(io::ErrorKind::BrokenPipe.into());
            }
            let n = buf.len().min(self.room);
            self.room -= n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn broken_pipe_is_returned_not_a_panic() {
        let hunt = fixtures::Hunt::new();
        let case = fixtures::Case::new();
        let opts = Options::default();
        for room in [0, 100, 700] {
            for format in Format::ALL {
                let mut pipe = ClosedPipe { room };
                let e = render(format, &hunt.report(), &opts, &mut pipe).unwrap_err();
                assert_eq!(
                    e.kind(),
                    io::ErrorKind::BrokenPipe,
                    "{format} after {room} bytes"
                );
                let mut pipe = ClosedPipe { room };
                let e = render_case(format, &case.view(), &opts, &mut pipe).unwrap_err();
                assert_eq!(
                    e.kind(),
                    io::ErrorKind::BrokenPipe,
                    "{format} case after {room}"
                );
            }
            let mut pipe = ClosedPipe { room };
            let e = render_summary(&hunt.report(), &opts, &mut pipe).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
        }
    }

    #[test]
    fn default_options_match_the_documented_values() {
        let o = Options::default();
        assert!(!o.color && !o.verbose);
        assert_eq!((o.max_errors_listed, o.width), (20, 100));
    }
}
