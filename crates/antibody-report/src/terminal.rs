//! The terminal printer: a header, findings grouped by severity and rule,
//! totals (including what was not hunted and what could not be read), and
//! a one-line verdict.
//!
//! Every string that comes from evidence, packs or the case store goes
//! through [`clean`] before it is written, so the only escape sequences in
//! the output are the colours of [`Paint`].

use crate::block::{Entry, Style, group, time, write_group};
use crate::style::Paint;
use crate::text::{bytes, clean, count, duration, plural};
use crate::{CaseView, HuntLine, Options, Printer, Report, buffered};
use antibody_core::{ItemError, Severity, Summary};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Targets named in the header before `and N more`.
const MAX_TARGETS: usize = 3;
/// Example paths listed per not-hunted kind unless verbose.
const MAX_EXAMPLES: usize = 3;
/// Width of the totals' label column (`  not hunted  `).
const TOTALS_COLUMN: usize = 14;
/// Indent of the lines listed under a totals row.
const SUB_INDENT: usize = TOTALS_COLUMN + 2;

/// Text for people; see `docs/output.md` for the layout.
pub(crate) struct Terminal<'o> {
    opts: &'o Options,
    paint: Paint,
}

impl<'o> Terminal<'o> {
    pub(crate) fn new(opts: &'o Options) -> Self {
        Terminal {
            opts,
            paint: Paint::new(opts.color),
        }
    }

    fn style(&self) -> Style {
        Style {
            paint: self.paint,
            verbose: self.opts.verbose,
            width: self.opts.width,
        }
    }

    /// Header, totals and verdict, without finding blocks.
    pub(crate) fn summary_only(&self, r: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
        buffered(out, |w| {
            self.header(w, r.summary)?;
            writeln!(w)?;
            self.totals(w, r)?;
            writeln!(w)?;
            self.verdict(w, &r.summary.findings, r.summary.errors)
        })
    }

    fn header(&self, w: &mut dyn Write, s: &Summary) -> io::Result<()> {
        let mut targets: Vec<String> = s
            .targets
            .iter()
            .take(MAX_TARGETS)
            .map(|t| clean(t).into_owned())
            .collect();
        if s.targets.len() > MAX_TARGETS {
            targets.push(format!("and {} more", s.targets.len() - MAX_TARGETS));
        }
        let packs: Vec<String> = s
            .packs
            .iter()
            .map(|p| {
                format!(
                    "{} {} ({})",
                    clean(&p.name),
                    clean(&p.version),
                    clean(&p.origin)
                )
            })
            .collect();
        writeln!(
            w,
            "{} · targets: {} · packs: {}",
            self.paint
                .bold(format!("antibody {}", clean(&s.version)).trim_end()),
            or_none(&targets.join(", ")),
            or_none(&packs.join(", ")),
        )?;
        if self.opts.verbose {
            let mut line = format!(
                "{} · {}",
                plural(s.yara_rules as u64, "YARA rule", "YARA rules"),
                plural(s.indicators as u64, "indicator", "indicators"),
            );
            if let Some(t) = &s.started {
                line.push_str(&format!(" · started {}", time(t)));
            }
            writeln!(w, "{}", self.paint.dim(&line))?;
        }
        Ok(())
    }

    fn totals(&self, w: &mut dyn Write, r: &Report<'_>) -> io::Result<()> {
        let s = r.summary;
        let p = self.paint;
        writeln!(w, "{}", p.bold("Totals"))?;
        row(
            w,
            "hunted",
            &format!(
                "{}, {} in {}",
                plural(s.items, "item", "items"),
                bytes(s.bytes),
                duration(s.seconds)
            ),
        )?;
        if self.opts.verbose && !s.kinds.is_empty() {
            let kinds: Vec<String> = s
                .kinds
                .iter()
                .map(|(k, n)| format!("{k} {}", count(*n)))
                .collect();
            row(w, "kinds", &kinds.join(", "))?;
        }
        if s.sigma_rules > 0 || s.sigma_rejected > 0 {
            let mut line = format!(
                "{} over {}",
                plural(s.sigma_rules as u64, "rule", "rules"),
                plural(s.log_events, "event", "events")
            );
            if s.sigma_rejected > 0 {
                line.push_str(&format!(
                    "; {} rejected (`antibody rules check` lists why)",
                    count(s.sigma_rejected as u64)
                ));
            }
            row(w, "sigma", &line)?;
        }
        if s.net_items > 0 {
            let mut line = format!(
                "{} over {}",
                plural(s.net_rules as u64, "rule", "rules"),
                plural(s.net_items, "capture or Zeek log", "captures and Zeek logs")
            );
            if s.net_frames > 0 {
                line.push_str(&format!(
                    ": {}, {}",
                    plural(s.net_frames, "frame", "frames"),
                    plural(s.net_flows, "flow", "flows")
                ));
            }
            line.push_str(&format!(", {}", plural(s.net_records, "record", "records")));
            row(w, "network", &line)?;
        }
        row(w, "findings", &or_none(&per_severity(&s.findings)))?;

        let mut label = "not hunted";
        for (kind, nh) in &s.not_hunted {
            let (verb, items) = if nh.count == 1 {
                ("needs", "item")
            } else {
                ("need", "items")
            };
            row(
                w,
                label,
                &format!(
                    "{} {kind} {items} {verb} the {} engine, which is not loaded",
                    count(nh.count),
                    clean(&nh.needs)
                ),
            )?;
            label = "";
            let shown = nh.examples.len().min(self.limit(MAX_EXAMPLES));
            for ex in &nh.examples[..shown] {
                sub(w, &clean(ex))?;
            }
            if (shown as u64) < nh.count {
                sub(
                    w,
                    &p.dim(&format!("… and {} more", count(nh.count - shown as u64))),
                )?;
            }
        }

        let (failed, skipped): (Vec<&ItemError>, Vec<&ItemError>) =
            r.errors.iter().partition(|e| e.kind.is_failure());
        let n_skipped = s.skipped.max(skipped.len() as u64);
        if n_skipped > 0 {
            row(
                w,
                "skipped",
                &format!(
                    "{} on purpose (size limit, device, fifo)",
                    plural(n_skipped, "item", "items")
                ),
            )?;
            if self.opts.verbose {
                self.error_list(w, SUB_INDENT, &skipped, n_skipped)?;
            }
        }
        let n_failed = s.errors.max(failed.len() as u64);
        if n_failed > 0 {
            row(
                w,
                "errors",
                &format!(
                    "{} could not be read (exit code 3)",
                    plural(n_failed, "item", "items")
                ),
            )?;
            self.error_list(w, SUB_INDENT, &failed, n_failed)?;
        }
        Ok(())
    }

    /// Lists up to `max_errors_listed` of `errors`, indented by `indent`,
    /// then how many of `total` were left out.
    fn error_list(
        &self,
        w: &mut dyn Write,
        indent: usize,
        errors: &[&ItemError],
        total: u64,
    ) -> io::Result<()> {
        let shown = errors.len().min(self.opts.max_errors_listed);
        for e in &errors[..shown] {
            writeln!(w, "{:indent$}{}", "", error_line(e))?;
        }
        if (shown as u64) < total {
            let more = format!("… {} more; see --format json", count(total - shown as u64));
            writeln!(w, "{:indent$}{}", "", self.paint.dim(&more))?;
        }
        Ok(())
    }

    /// `No findings.` or `16 findings (2 critical, 14 high).`, plus how
    /// many items could not be read.
    fn verdict(
        &self,
        w: &mut dyn Write,
        by_severity: &BTreeMap<Severity, u64>,
        unreadable: u64,
    ) -> io::Result<()> {
        let total: u64 = by_severity.values().sum();
        let mut line = if total == 0 {
            "No findings.".to_string()
        } else {
            format!(
                "{} ({}).",
                plural(total, "finding", "findings"),
                per_severity(by_severity)
            )
        };
        if unreadable > 0 {
            line.push_str(&format!(
                " {} could not be read.",
                plural(unreadable, "item", "items")
            ));
        }
        let worst = by_severity
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(s, _)| *s)
            .max();
        let painted = match worst {
            Some(s) if s >= Severity::Medium => self.paint.severity(s, &line),
            _ => self.paint.bold(&line),
        };
        writeln!(w, "{painted}")
    }

    fn limit(&self, n: usize) -> usize {
        if self.opts.verbose { usize::MAX } else { n }
    }

    fn hunts_table(&self, w: &mut dyn Write, hunts: &[HuntLine]) -> io::Result<()> {
        writeln!(w, "{}", self.paint.bold("Hunts"))?;
        if hunts.is_empty() {
            return writeln!(w, "  none");
        }
        let rows: Vec<[String; 6]> = hunts
            .iter()
            .map(|h| {
                let targets: Vec<_> = h.targets.iter().map(|t| clean(t)).collect();
                [
                    h.id.to_string(),
                    h.started.as_ref().map_or_else(|| "-".to_string(), time),
                    clean(&h.status).into_owned(),
                    count(h.findings),
                    count(h.errors),
                    targets.join(", "),
                ]
            })
            .collect();
        let head = ["id", "started", "status", "findings", "errors", "targets"];
        let mut width = head.map(str::len);
        for r in &rows {
            for (wd, cell) in width.iter_mut().zip(r) {
                *wd = (*wd).max(cell.chars().count());
            }
        }
        let line = |c: &[&str; 6]| {
            format!(
                "  {:>w0$}  {:<w1$}  {:<w2$}  {:>w3$}  {:>w4$}  {}",
                c[0],
                c[1],
                c[2],
                c[3],
                c[4],
                c[5],
                w0 = width[0],
                w1 = width[1],
                w2 = width[2],
                w3 = width[3],
                w4 = width[4],
            )
        };
        writeln!(w, "{}", self.paint.dim(&line(&head)))?;
        for r in &rows {
            let cells = [r[0].as_str(), &r[1], &r[2], &r[3], &r[4], &r[5]];
            writeln!(w, "{}", line(&cells))?;
        }
        Ok(())
    }
}

impl Printer for Terminal<'_> {
    fn report(&self, r: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
        buffered(out, |w| {
            self.header(w, r.summary)?;
            writeln!(w)?;
            let entries = r.findings.iter().map(|finding| Entry {
                finding,
                seen: None,
            });
            for g in group(entries) {
                write_group(w, &g, self.style())?;
            }
            self.totals(w, r)?;
            writeln!(w)?;
            self.verdict(w, &r.summary.findings, r.summary.errors)
        })
    }

    fn case(&self, v: &CaseView<'_>, out: &mut dyn Write) -> io::Result<()> {
        buffered(out, |w| {
            writeln!(
                w,
                "{} · {}",
                self.paint.bold(&format!("antibody case {}", clean(v.path))),
                plural(v.hunts.len() as u64, "hunt", "hunts")
            )?;
            writeln!(w)?;
            self.hunts_table(w, v.hunts)?;
            writeln!(w)?;
            let entries = v.findings.iter().map(|(finding, seen)| Entry {
                finding,
                seen: Some(*seen),
            });
            for g in group(entries) {
                write_group(w, &g, self.style())?;
            }
            let errors: Vec<&ItemError> = v.errors.iter().collect();
            if !errors.is_empty() {
                writeln!(w, "{}", self.paint.bold("Errors"))?;
                self.error_list(w, 2, &errors, errors.len() as u64)?;
                writeln!(w)?;
            }
            let mut by_severity = BTreeMap::new();
            for (f, _) in v.findings {
                *by_severity.entry(f.severity).or_insert(0) += 1;
            }
            let unreadable = v.errors.iter().filter(|e| e.kind.is_failure()).count();
            self.verdict(w, &by_severity, unreadable as u64)
        })
    }
}

/// `2 critical, 12 high`, most severe first, zeros left out.
fn per_severity(counts: &BTreeMap<Severity, u64>) -> String {
    Severity::DESCENDING
        .iter()
        .filter_map(|s| match counts.get(s) {
            Some(&n) if n > 0 => Some(format!("{} {s}", count(n))),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn or_none(s: &str) -> String {
    if s.is_empty() {
        "none".into()
    } else {
        s.into()
    }
}

/// `item: reason (kind)`, escaped.
fn error_line(e: &ItemError) -> String {
    format!(
        "{}: {} ({})",
        clean(&e.item),
        clean(&e.reason),
        e.kind.as_str()
    )
}

/// A totals row: label column, then the value.
fn row(w: &mut dyn Write, label: &str, value: &str) -> io::Result<()> {
    writeln!(w, "  {label:<width$}{value}", width = TOTALS_COLUMN - 2)
}

/// A line under a totals row, indented past the label column.
fn sub(w: &mut dyn Write, text: &str) -> io::Result<()> {
    writeln!(w, "{:SUB_INDENT$}{text}", "")
}

#[cfg(test)]
mod tests {
    use crate::fixtures::{Case, Hunt};
    use crate::style::ALL_CODES;
    use crate::{Format, Options, render, render_case, render_summary};

    fn text(hunt: &Hunt, opts: &Options) -> String {
        let mut out = Vec::new();
        render(Format::Terminal, &hunt.report(), opts, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn realistic_hunt() {
        insta::assert_snapshot!(text(&Hunt::new(), &Options::default()));
    }

    #[test]
    fn realistic_hunt_verbose() {
        let opts = Options {
            verbose: true,
            ..Options::default()
        };
        insta::assert_snapshot!(text(&Hunt::new(), &opts));
    }

    #[test]
    fn clean_hunt() {
        insta::assert_snapshot!(text(&Hunt::clean(), &Options::default()));
    }

    #[test]
    fn case_show() {
        let case = Case::new();
        let mut out = Vec::new();
        render_case(
            Format::Terminal,
            &case.view(),
            &Options::default(),
            &mut out,
        )
        .unwrap();
        insta::assert_snapshot!(String::from_utf8(out).unwrap());
    }

    #[test]
    fn summary_only_has_no_finding_blocks_but_the_full_verdict() {
        let hunt = Hunt::new();
        let mut out = Vec::new();
        render_summary(&hunt.report(), &Options::default(), &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(!out.contains("where"), "{out}");
        assert!(out.contains("Totals"), "{out}");
        assert!(
            out.ends_with(
                "16 findings (2 critical, 12 high, 1 medium, 1 low). 3 items could not be read.\n"
            ),
            "{out}"
        );
    }

    #[test]
    fn errors_past_the_limit_are_counted_and_point_to_json() {
        let opts = Options {
            max_errors_listed: 1,
            ..Options::default()
        };
        let out = text(&Hunt::new(), &opts);
        assert!(out.contains("root/.ssh/id_rsa: permission denied"), "{out}");
        assert!(!out.contains("bad tar header"), "{out}");
        assert!(out.contains("… 2 more; see --format json\n"), "{out}");
    }

    /// A hostile file name must not clear the screen or retitle the window.
    #[test]
    fn escape_sequences_in_evidence_are_not_passed_to_the_terminal() {
        let mut hunt = Hunt::new();
        hunt.findings[0].location = antibody_core::Location::file("/tmp/\x1b[2Jgone\u{9b}1m");
        hunt.findings[0].title = "t\x1b]0;x\x07".into();
        hunt.findings[0].matches = vec![antibody_core::Match {
            identifier: "$\x1b[31m".into(),
            offset: 0,
            excerpt: "\x1b[?1049h".into(),
        }];

        let plain = text(&hunt, &Options::default());
        assert!(!plain.contains('\x1b'), "raw ESC with colour off");
        assert!(!plain.contains('\u{9b}'), "raw CSI with colour off");
        assert!(!plain.contains('\x07'));
        assert!(plain.contains("/tmp/\\x1b[2Jgone\\u{009b}1m"), "{plain}");
        assert!(
            plain.contains("$\\x1b[31m @ 0x0 \"\\x1b[?1049h\""),
            "{plain}"
        );

        let opts = Options {
            color: true,
            ..Options::default()
        };
        let colored = text(&hunt, &opts);
        assert!(colored.contains("/tmp/\\x1b[2Jgone"));
        // Every ESC that remains starts one of our own colour codes.
        let mut rest = colored.as_str();
        let mut ours = 0;
        while let Some(i) = rest.find('\x1b') {
            rest = &rest[i..];
            let code = ALL_CODES
                .iter()
                .find(|c| rest.starts_with(**c))
                .unwrap_or_else(|| panic!("foreign escape: {:?}", &rest[..rest.len().min(12)]));
            ours += 1;
            rest = &rest[code.len()..];
        }
        assert!(ours > 0, "colour on should colour something");
        assert!(!colored.contains('\u{9b}'));
    }

    #[test]
    fn colour_marks_critical_in_bold_red() {
        let opts = Options {
            color: true,
            ..Options::default()
        };
        let out = text(&Hunt::new(), &opts);
        assert!(out.contains("\x1b[1;31mCRITICAL\x1b[0m"), "{out}");
        assert!(out.contains("\x1b[33mMEDIUM\x1b[0m"), "{out}");
    }
}
