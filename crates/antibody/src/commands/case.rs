//! `antibody case show`: print a case file.

use crate::cli::CaseCommand;
use crate::output;
use antibody_case::Case;
use antibody_report::{CaseView, HuntLine, Options};
use anyhow::{Context, bail};

pub fn run(cmd: CaseCommand) -> anyhow::Result<u8> {
    match cmd {
        CaseCommand::Show {
            case,
            format,
            color,
        } => {
            if !case.is_file() {
                bail!("{}: no such case file", case.display());
            }
            let c =
                Case::open(&case).with_context(|| format!("opening case {}", case.display()))?;
            let hunts: Vec<HuntLine> = c
                .hunts()?
                .into_iter()
                .map(|h| HuntLine {
                    id: h.id.0,
                    started: Some(h.started),
                    finished: h.finished,
                    status: h.status.to_string(),
                    targets: h.targets,
                    findings: h.summary.as_ref().map_or(0, |s| s.total_findings()),
                    errors: h.summary.as_ref().map_or(0, |s| s.errors),
                })
                .collect();
            let findings: Vec<_> = c
                .findings()?
                .into_iter()
                .map(|s| (s.finding, u32::try_from(s.times_seen).unwrap_or(u32::MAX)))
                .collect();
            let errors = c.errors(None)?;
            let shown = case.display().to_string();
            let view = CaseView {
                path: &shown,
                hunts: &hunts,
                findings: &findings,
                errors: &errors,
            };
            let opts = Options {
                color: output::color(color, false),
                ..Options::default()
            };
            let mut out = std::io::stdout().lock();
            antibody_report::render_case(output::format(format), &view, &opts, &mut out)?;
            Ok(0)
        }
    }
}
