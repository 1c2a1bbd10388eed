//! Where output goes, colour decisions, and the progress bar.

use crate::cli::{ColorArg, FormatArg};
use crate::sink::HuntSink;
use antibody_case::ItemRecord;
use antibody_core::Kind;
use antibody_report::Format;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The report format for a `--format` value.
pub fn format(f: FormatArg) -> Format {
    match f {
        FormatArg::Terminal => Format::Terminal,
        FormatArg::Json => Format::Json,
        FormatArg::Ndjson => Format::Ndjson,
    }
}

/// Whether to colour output written to stdout.
pub fn color(c: ColorArg, to_file: bool) -> bool {
    match c {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => {
            !to_file && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    }
}

/// A spinner with counts on a terminal (nothing when piped or `--quiet`),
/// which also hands each top-level item to the case.
pub struct Bar<'a> {
    bar: Option<ProgressBar>,
    items: AtomicU64,
    sink: &'a HuntSink,
}

impl<'a> Bar<'a> {
    /// A bar on stderr if it is a terminal and not `quiet`.
    pub fn new(quiet: bool, sink: &'a HuntSink) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(8));
            b.set_style(
                ProgressStyle::with_template("{spinner} {bytes} ({bytes_per_sec})  {wide_msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            b.enable_steady_tick(Duration::from_millis(125));
            b
        });
        Bar {
            bar,
            items: AtomicU64::new(0),
            sink,
        }
    }

    /// Removes the bar from the screen.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl antibody_files::Progress for Bar<'_> {
    fn item(&self, location: &str, kind: Option<Kind>, bytes: u64) {
        if let Some(kind) = kind {
            self.sink.item(ItemRecord {
                location: location.to_string(),
                kind,
                size: bytes,
                sha256: None,
            });
        }
        let n = self.items.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(b) = &self.bar {
            b.inc(bytes);
            if n % 32 == 1 {
                b.set_message(format!("{n} items  {location}"));
            }
        }
    }
}
