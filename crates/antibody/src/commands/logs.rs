//! `antibody logs hunt` and `antibody logs timeline`, and the log engine
//! set-up shared with `antibody hunt`.

use crate::cli::{LogArgs, LogsCommand, TimelineFormat};
use antibody_case::Case;
use antibody_core::pack::Pack;
use antibody_core::{EventRef, Finding};
use antibody_logs::mapping::Mapping;
use antibody_logs::{LoadReport, LogOptions, LogsEngine, LogsEngineBuilder};
use anyhow::{Context, bail};
use std::io::Write;

pub fn run(cmd: LogsCommand) -> anyhow::Result<u8> {
    match cmd {
        LogsCommand::Hunt(args) => super::hunt::run_mode(*args, super::hunt::Mode::LogsOnly),
        LogsCommand::Timeline {
            case,
            format,
            output,
        } => timeline(&case, format, output.as_deref()),
    }
}

/// The mapping: built-in, plus `--mapping FILE`.
pub fn mapping(file: Option<&std::path::Path>) -> anyhow::Result<Mapping> {
    let mut m = Mapping::builtin();
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading mapping {}", path.display()))?;
        m.extend_from(&text, path)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(m)
}

/// Builds the log engine from the packs' Sigma rules and `--sigma` paths.
pub fn build_engine(args: &LogArgs, packs: &[Pack]) -> anyhow::Result<(LogsEngine, LoadReport)> {
    // A reversed window would hunt nothing and report "no findings".
    if let (Some(from), Some(to)) = (args.from, args.to)
        && from >= to
    {
        bail!(
            "--from {} is not before --to {}: no event could be hunted",
            from.to_rfc3339(),
            to.to_rfc3339()
        );
    }
    let options = LogOptions {
        from: args.from,
        to: args.to,
        max_findings_per_rule: args.max_findings_per_rule.max(1),
        ..LogOptions::default()
    };
    let mut b = LogsEngineBuilder::new(mapping(args.mapping.as_deref())?, options);
    for p in packs {
        b.add_pack(p);
    }
    for path in &args.sigma {
        if !path.exists() {
            bail!("{}: no such Sigma rule file or folder", path.display());
        }
        b.add_path(path, "sigma")
            .with_context(|| format!("reading Sigma rules under {}", path.display()))?;
    }
    Ok(b.build(packs))
}

/// Tells the person about rejected rules without flooding the terminal.
pub fn report_load(load: &LoadReport, verbose: bool) {
    if load.errors.is_empty() {
        return;
    }
    eprintln!(
        "antibody: {} Sigma rule(s) rejected, {} loaded{}",
        load.errors.len(),
        load.loaded,
        if verbose {
            ":"
        } else {
            " (-v lists them; `antibody rules check PATH` explains each)"
        }
    );
    if verbose {
        for e in &load.errors {
            eprintln!("{e}");
        }
    }
}

/// One row of a timeline.
struct Row<'a> {
    event: &'a EventRef,
    finding: &'a Finding,
}

fn timeline(
    case: &std::path::Path,
    format: TimelineFormat,
    output: Option<&std::path::Path>,
) -> anyhow::Result<u8> {
    if !case.is_file() {
        bail!("{}: no such case file", case.display());
    }
    let c = Case::open(case).with_context(|| format!("opening case {}", case.display()))?;
    let findings: Vec<Finding> = c.findings()?.into_iter().map(|s| s.finding).collect();
    let mut rows: Vec<Row<'_>> = findings
        .iter()
        .flat_map(|f| {
            f.events.iter().map(move |e| Row {
                event: e,
                finding: f,
            })
        })
        .collect();
    // Events without a time go last, in case order.
    rows.sort_by(|a, b| match (a.event.timestamp, b.event.timestamp) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    let mut out: Box<dyn Write> = match output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    match format {
        TimelineFormat::Csv => write_csv(&mut out, &rows)?,
        TimelineFormat::Ndjson => {
            for r in &rows {
                serde_json::to_writer(&mut out, &row_json(r))?;
                out.write_all(b"\n")?;
            }
        }
    }
    out.flush()?;
    Ok(0)
}

fn row_json(r: &Row<'_>) -> serde_json::Value {
    serde_json::json!({
        "datetime": r.event.timestamp.map(|t| t.to_rfc3339()),
        "timestamp_desc": "Event Recorded",
        "message": message(r),
        "severity": r.finding.severity,
        "rule_id": r.finding.rule.id,
        "rule": r.finding.rule.name,
        "pack": r.finding.rule.pack,
        "source": r.finding.location.to_string(),
        "position": r.event.position(),
        "format": r.event.format,
        "fields": r.event.fields.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect::<serde_json::Map<_, _>>(),
        "techniques": r.finding.techniques,
    })
}

fn message(r: &Row<'_>) -> String {
    format!("[{}] {}", r.finding.severity.as_str(), r.finding.title)
}

/// Timesketch's CSV import needs `message`, `datetime` and
/// `timestamp_desc`; the other columns become event attributes.
fn write_csv(out: &mut dyn Write, rows: &[Row<'_>]) -> anyhow::Result<()> {
    writeln!(
        out,
        "datetime,timestamp,timestamp_desc,message,severity,rule_id,rule,pack,source,position,fields,techniques"
    )?;
    for r in rows {
        let fields: Vec<String> = r
            .event
            .fields
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let cols = [
            r.event
                .timestamp
                .map(|t| t.to_rfc3339())
                .unwrap_or_default(),
            r.event
                .timestamp
                .map(|t| t.timestamp_micros().to_string())
                .unwrap_or_default(),
            "Event Recorded".to_string(),
            message(r),
            r.finding.severity.as_str().to_string(),
            r.finding.rule.id.clone(),
            r.finding.rule.name.clone(),
            r.finding.rule.pack.clone(),
            r.finding.location.to_string(),
            r.event.position(),
            fields.join("; "),
            r.finding.techniques.join(" "),
        ];
        let line: Vec<String> = cols.iter().map(|c| csv_field(c)).collect();
        writeln!(out, "{}", line.join(","))?;
    }
    Ok(())
}

/// RFC 4180 quoting; a leading `=`, `+`, `-` or `@` is prefixed with `'` so
/// that spreadsheets do not run attacker-controlled log text as a formula.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    let s: String = s
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    if s.contains([',', '"']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(csv_field("two\nlines"), "two lines");
    }
}
