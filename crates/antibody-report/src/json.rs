//! The JSON and NDJSON printers.
//!
//! JSON is one pretty-printed document (`summary`, `findings`, `errors`, or
//! for a case `case`, `hunts`, `findings`, `errors`); NDJSON is one ECS
//! document per finding per line and nothing else, so that it can be piped
//! straight into a SIEM. Findings are converted one at a time while
//! writing, not collected first.

use crate::{CaseView, HuntLine, Printer, Report, buffered};
use antibody_core::{Finding, ItemError, Summary};
use serde::ser::{Serialize, Serializer};
use serde_json::{Value, json};
use std::io::{self, Write};

/// One pretty-printed document.
pub(crate) struct Json;

/// One ECS document per finding per line.
pub(crate) struct Ndjson;

/// A finding's ECS document, with `antibody.times_seen` for a case.
fn ecs(finding: &Finding, times_seen: Option<u32>) -> Value {
    let mut doc = finding.to_ecs();
    if let (Some(n), Some(ab)) = (times_seen, doc.get_mut("antibody")) {
        ab["times_seen"] = json!(n);
    }
    doc
}

/// Writes one finding as one NDJSON line (its ECS document and `\n`), for
/// callers that stream findings as engines produce them.
///
/// `times_seen` adds `antibody.times_seen`, as `antibody case show` does.
pub fn write_ndjson_finding(
    finding: &Finding,
    times_seen: Option<u32>,
    out: &mut dyn Write,
) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &ecs(finding, times_seen))?;
    out.write_all(b"\n")
}

/// Serialises findings as ECS documents lazily.
struct EcsSeq<'a, T>(&'a [T]);

impl<T: EcsItem> Serialize for EcsSeq<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(EcsItem::ecs))
    }
}

/// A finding alone (a hunt) or with its count (a case).
trait EcsItem {
    fn ecs(&self) -> Value;
}

impl EcsItem for Finding {
    fn ecs(&self) -> Value {
        ecs(self, None)
    }
}

impl EcsItem for (Finding, u32) {
    fn ecs(&self) -> Value {
        ecs(&self.0, Some(self.1))
    }
}

#[derive(serde::Serialize)]
struct ReportDoc<'a> {
    summary: &'a Summary,
    findings: EcsSeq<'a, Finding>,
    errors: &'a [ItemError],
}

#[derive(serde::Serialize)]
struct CaseDoc<'a> {
    case: &'a str,
    hunts: &'a [HuntLine],
    findings: EcsSeq<'a, (Finding, u32)>,
    errors: &'a [ItemError],
}

fn pretty(out: &mut dyn Write, doc: &impl Serialize) -> io::Result<()> {
    buffered(out, |w| {
        serde_json::to_writer_pretty(&mut *w, doc)?;
        w.write_all(b"\n")
    })
}

impl Printer for Json {
    fn report(&self, r: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
        pretty(
            out,
            &ReportDoc {
                summary: r.summary,
                findings: EcsSeq(r.findings),
                errors: r.errors,
            },
        )
    }

    fn case(&self, v: &CaseView<'_>, out: &mut dyn Write) -> io::Result<()> {
        pretty(
            out,
            &CaseDoc {
                case: v.path,
                hunts: v.hunts,
                findings: EcsSeq(v.findings),
                errors: v.errors,
            },
        )
    }
}

impl Printer for Ndjson {
    fn report(&self, r: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
        buffered(out, |w| {
            r.findings
                .iter()
                .try_for_each(|f| write_ndjson_finding(f, None, w))
        })
    }

    fn case(&self, v: &CaseView<'_>, out: &mut dyn Write) -> io::Result<()> {
        buffered(out, |w| {
            v.findings
                .iter()
                .try_for_each(|(f, n)| write_ndjson_finding(f, Some(*n), w))
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::fixtures::{Case, Hunt};
    use crate::{Format, Options, render, render_case};
    use serde_json::Value;

    fn json(format: Format, hunt: &Hunt) -> String {
        let mut out = Vec::new();
        render(format, &hunt.report(), &Options::default(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn json_is_one_document_with_summary_findings_and_errors() {
        let hunt = Hunt::new();
        let text = json(Format::Json, &hunt);
        assert!(text.ends_with("}\n"), "newline at the end");
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc.as_object().unwrap().len(), 3);
        assert_eq!(doc["findings"].as_array().unwrap().len(), 16);
        assert_eq!(doc["errors"].as_array().unwrap().len(), 4);
        assert_eq!(doc["summary"]["version"], "0.1.0");
        assert_eq!(doc["summary"]["findings"]["critical"], 2);
        assert_eq!(doc["summary"]["findings"]["high"], 12);
        assert_eq!(doc["summary"]["errors"], 3);
        assert_eq!(doc["summary"]["not_hunted"]["evtx"]["count"], 7);
        assert_eq!(doc["errors"][0]["kind"], "unreadable");
        // Findings are ECS documents, not the internal form.
        assert_eq!(doc["findings"][0]["event"]["kind"], "alert");
        // Control characters are JSON-escaped, never raw.
        assert!(!text.contains('\x1b'));
        assert!(text.contains("\\u001b]0;owned"));
    }

    #[test]
    fn json_key_order_is_summary_findings_errors() {
        let text = json(Format::Json, &Hunt::new());
        let pos = |k: &str| text.find(&format!("\n  \"{k}\":")).unwrap();
        assert!(pos("summary") < pos("findings") && pos("findings") < pos("errors"));
    }

    #[test]
    fn ndjson_is_one_ecs_document_per_finding_and_nothing_else() {
        let hunt = Hunt::new();
        let text = json(Format::Ndjson, &hunt);
        assert!(text.ends_with('\n'));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), hunt.findings.len());
        for (line, f) in lines.iter().zip(&hunt.findings) {
            let doc: Value = serde_json::from_str(line).unwrap();
            assert_eq!(doc, f.to_ecs());
        }
    }

    #[test]
    fn ndjson_of_a_clean_hunt_is_empty() {
        assert_eq!(json(Format::Ndjson, &Hunt::clean()), "");
    }

    #[test]
    fn case_json_carries_hunts_and_times_seen() {
        let case = Case::new();
        let mut out = Vec::new();
        render_case(Format::Json, &case.view(), &Options::default(), &mut out).unwrap();
        let doc: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(doc["case"], "/cases/host-17.antibody");
        assert_eq!(doc["hunts"].as_array().unwrap().len(), 2);
        assert_eq!(doc["hunts"][0]["started"], "2020-07-16T10:00:00Z");
        assert_eq!(doc["hunts"][1]["finished"], Value::Null);
        let findings = doc["findings"].as_array().unwrap();
        assert_eq!(findings.len(), case.findings.len());
        for (d, (_, seen)) in findings.iter().zip(&case.findings) {
            assert_eq!(d["antibody"]["times_seen"], *seen);
        }
        assert_eq!(doc["errors"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn case_ndjson_is_findings_only_with_times_seen() {
        let case = Case::new();
        let mut out = Vec::new();
        render_case(Format::Ndjson, &case.view(), &Options::default(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), case.findings.len());
        for line in text.lines() {
            let d: Value = serde_json::from_str(line).unwrap();
            assert!(d["antibody"]["times_seen"].as_u64().unwrap() >= 1);
            assert!(d.get("hunts").is_none());
        }
    }
}
