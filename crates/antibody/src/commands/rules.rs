//! `antibody rules check`: parse and compile Sigma rules, report each
//! failure with file, line and reason.

use crate::cli::{FormatArg, RulesCommand};
use antibody_logs::LogOptions;
use antibody_logs::LogsEngineBuilder;
use antibody_logs::sigma::RuleError;
use anyhow::bail;
use std::io::Write;

pub fn run(cmd: RulesCommand) -> anyhow::Result<u8> {
    let RulesCommand::Check {
        paths,
        mapping,
        format,
        verbose,
    } = cmd;
    let mut b = LogsEngineBuilder::new(
        super::logs::mapping(mapping.as_deref())?,
        LogOptions::default(),
    );
    for p in &paths {
        if !p.exists() {
            bail!("{}: no such rule file or folder", p.display());
        }
        b.add_path(p, "sigma")?;
    }
    let (_, report) = b.build(&[]);
    let mut out = std::io::stdout().lock();
    match format {
        FormatArg::Json | FormatArg::Ndjson => {
            let doc = serde_json::json!({
                "loaded": report.loaded,
                "rejected": report.errors.len(),
                "errors": report.errors.iter().map(error_json).collect::<Vec<_>>(),
                "warnings": report.warnings.iter().map(error_json).collect::<Vec<_>>(),
            });
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
        FormatArg::Terminal => {
            for e in &report.errors {
                writeln!(out, "{e}")?;
            }
            if verbose {
                for w in &report.warnings {
                    writeln!(out, "{}", w.to_string().replacen("error[", "warning[", 1))?;
                }
            }
            let total = report.loaded + report.errors.len();
            let share = if total == 0 {
                100.0
            } else {
                report.loaded as f64 * 100.0 / total as f64
            };
            writeln!(
                out,
                "{} loaded, {} rejected ({share:.2}% loaded), {} warnings",
                report.loaded,
                report.errors.len(),
                report.warnings.len()
            )?;
        }
    }
    Ok(u8::from(!report.errors.is_empty()))
}

fn error_json(e: &RuleError) -> serde_json::Value {
    serde_json::json!({
        "file": e.file.display().to_string(),
        "line": e.line,
        "rule": e.rule,
        "code": e.kind.code(),
        "message": e.message,
    })
}
