//! Finding blocks for the terminal: findings grouped by severity and rule,
//! each group printed as one short block (what, where, why, ATT&CK, source,
//! action).
//!
//! One rule with one title that fires on 500 files is one block listing the
//! locations, so a noisy rule cannot push everything else off the screen.

use crate::style::Paint;
use crate::text::{clean, count, plural, wrap};
use antibody_core::{Finding, Severity};
use chrono::{DateTime, Utc};
use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Locations listed per block unless verbose.
pub(crate) const MAX_LOCATIONS: usize = 10;
/// Matches listed per block unless verbose.
pub(crate) const MAX_MATCHES: usize = 3;
/// Advisory references listed per block unless verbose.
const MAX_REFERENCES: usize = 3;
/// Width of the label column (`  where   `).
const LABEL_COLUMN: usize = 10;

/// One finding to print, with how many times a case has seen it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry<'a> {
    pub(crate) finding: &'a Finding,
    pub(crate) seen: Option<u32>,
}

/// Findings with the same severity, rule and title, sorted by location.
#[derive(Debug)]
pub(crate) struct Group<'a> {
    /// The location as text, and the entry; never empty.
    entries: Vec<(String, Entry<'a>)>,
}

impl<'a> Group<'a> {
    /// The finding whose reason and matches stand for the group.
    fn first(&self) -> &'a Finding {
        self.entries[0].1.finding
    }
}

/// Sort key: most severe first, then by title, so the same findings print
/// the same way whatever order the engines' threads produced them in.
type Key<'a> = (Reverse<Severity>, &'a str, &'a str, &'a str, &'a str);

/// Groups `entries` by severity, title and rule, most severe first.
pub(crate) fn group<'a>(entries: impl IntoIterator<Item = Entry<'a>>) -> Vec<Group<'a>> {
    let mut map: BTreeMap<Key<'a>, Vec<(String, Entry<'a>)>> = BTreeMap::new();
    for e in entries {
        let f = e.finding;
        let key = (
            Reverse(f.severity),
            f.title.as_str(),
            f.rule.pack.as_str(),
            f.rule.engine.as_str(),
            f.rule.id.as_str(),
        );
        map.entry(key)
            .or_default()
            .push((f.location.to_string(), e));
    }
    map.into_values()
        .map(|mut entries| {
            entries.sort_by(|a, b| (&a.0, a.1.finding.offset).cmp(&(&b.0, b.1.finding.offset)));
            Group { entries }
        })
        .collect()
}

/// What a block needs to know about the output.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Style {
    pub(crate) paint: Paint,
    pub(crate) verbose: bool,
    pub(crate) width: usize,
}

impl Style {
    fn limit(self, n: usize) -> usize {
        if self.verbose { usize::MAX } else { n }
    }

    /// Width left for a value after the label column.
    fn value_width(self) -> usize {
        self.width.saturating_sub(LABEL_COLUMN)
    }
}

/// Writes `label` and the first line, then the other lines under the first.
fn field(w: &mut dyn Write, label: &str, lines: &[String]) -> io::Result<()> {
    for (i, line) in lines.iter().enumerate() {
        let label = if i == 0 { label } else { "" };
        writeln!(w, "  {label:<width$}{line}", width = LABEL_COLUMN - 2)?;
    }
    Ok(())
}

/// `2020-07-16 10:00:00 UTC`.
pub(crate) fn time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// The severity tag, coloured, padded to the widest tag.
pub(crate) fn tag(paint: Paint, severity: Severity) -> String {
    let name = severity.as_str().to_uppercase();
    let pad = " ".repeat(8usize.saturating_sub(name.len()));
    format!("{}{pad}", paint.severity(severity, &name))
}

fn location_line(loc: &str, e: &Entry<'_>) -> String {
    let mut s = clean(loc).into_owned();
    if let Some(ev) = e.finding.events.first() {
        s.push_str(&format!(" {}", ev.position()));
    } else if let Some(off) = e.finding.offset {
        s.push_str(&format!(" @ {off:#x}"));
    }
    if let Some(t) = &e.finding.timestamp {
        s.push_str(&format!(" · {}", time(t)));
    }
    if let Some(n) = e.seen {
        s.push_str(&format!(
            " · seen {}",
            plural(u64::from(n), "time", "times")
        ));
    }
    s
}

/// `… and N more`, `… and 1 more match`, dimmed.
fn more(style: Style, n: usize, what: Option<(&str, &str)>) -> String {
    let text = match what {
        Some((one, many)) => {
            let word = if n == 1 { one } else { many };
            format!("… and {} more {word}", count(n as u64))
        }
        None => format!("… and {} more", count(n as u64)),
    };
    style.paint.dim(&text)
}

/// Writes one group as a block, followed by a blank line.
pub(crate) fn write_group(w: &mut dyn Write, g: &Group<'_>, style: Style) -> io::Result<()> {
    let f = g.first();
    let paint = style.paint;

    let mut meta = format!("· {} confidence", f.confidence);
    if g.entries.len() > 1 {
        meta.push_str(&format!(" · {} locations", count(g.entries.len() as u64)));
    }
    writeln!(
        w,
        "{}  {}  {}",
        tag(paint, f.severity),
        paint.bold(&clean(&f.title)),
        paint.dim(&meta)
    )?;

    let shown = g.entries.len().min(style.limit(MAX_LOCATIONS));
    let mut lines: Vec<String> = g.entries[..shown]
        .iter()
        .map(|(loc, e)| location_line(loc, e))
        .collect();
    if shown < g.entries.len() {
        lines.push(more(style, g.entries.len() - shown, None));
    }
    field(w, "where", &lines)?;

    let mut lines = Vec::new();
    if !f.reason.trim().is_empty() {
        lines = wrap(&clean(&f.reason), style.value_width());
    }
    let shown = f.matches.len().min(style.limit(MAX_MATCHES));
    for m in &f.matches[..shown] {
        lines.push(format!(
            "{} @ {:#x} \"{}\"",
            clean(&m.identifier),
            m.offset,
            clean(&m.excerpt)
        ));
    }
    if shown < f.matches.len() {
        lines.push(more(
            style,
            f.matches.len() - shown,
            Some(("match", "matches")),
        ));
    }
    if !lines.is_empty() {
        field(w, "why", &lines)?;
    }

    if !f.techniques.is_empty() {
        let ids: Vec<_> = f.techniques.iter().map(|t| clean(t)).collect();
        field(w, "att&ck", &wrap(&ids.join(", "), style.value_width()))?;
    }

    let mut lines = vec![format!(
        "{} · rule {} · {} engine",
        clean(&f.rule.pack),
        clean(&f.rule.id),
        clean(&f.rule.engine)
    )];
    let refs = &f.rule.references;
    let shown = refs.len().min(style.limit(MAX_REFERENCES));
    lines.extend(refs[..shown].iter().map(|r| clean(r).into_owned()));
    if shown < refs.len() {
        lines.push(more(
            style,
            refs.len() - shown,
            Some(("reference", "references")),
        ));
    }
    field(w, "source", &lines)?;

    if style.verbose && g.entries.len() == 1 {
        write_details(w, f, style)?;
    }

    if !f.action.trim().is_empty() {
        field(w, "action", &wrap(&clean(&f.action), style.value_width()))?;
    }
    writeln!(w)
}

/// Observables and file digests of a single finding (verbose only).
fn write_details(w: &mut dyn Write, f: &Finding, style: Style) -> io::Result<()> {
    if !f.observables.is_empty() {
        let iocs: Vec<String> = f
            .observables
            .iter()
            .map(|o| clean(&o.to_string()).into_owned())
            .collect();
        field(w, "iocs", &wrap(&iocs.join(", "), style.value_width()))?;
    }
    if let Some(info) = &f.file {
        let mut lines = vec![crate::text::bytes(info.size)];
        for (name, v) in [
            ("md5", &info.md5),
            ("sha1", &info.sha1),
            ("sha256", &info.sha256),
        ] {
            if let Some(v) = v {
                lines.push(format!("{name} {}", clean(v)));
            }
        }
        field(w, "file", &lines)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    fn render(findings: &[Finding], verbose: bool) -> String {
        let style = Style {
            paint: Paint::new(false),
            verbose,
            width: 100,
        };
        let mut out = Vec::new();
        for g in group(findings.iter().map(|finding| Entry {
            finding,
            seen: None,
        })) {
            write_group(&mut out, &g, style).unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn twelve_locations_of_one_rule_list_ten_and_the_rest_as_a_count() {
        let findings = fixtures::many_locations(12);
        let out = render(&findings, false);
        assert_eq!(out.matches("HIGH").count(), 1, "one block:\n{out}");
        assert!(out.contains("12 locations"), "{out}");
        assert_eq!(out.matches("/srv/www/shell").count(), 10, "{out}");
        assert!(out.contains("… and 2 more\n"), "{out}");
        // Sorted by location, so the first ten are the same in every run.
        assert!(out.contains("/srv/www/shell00.aspx"));
        assert!(!out.contains("/srv/www/shell11.aspx"));
    }

    #[test]
    fn verbose_lists_every_location() {
        let out = render(&fixtures::many_locations(12), true);
        assert_eq!(out.matches("/srv/www/shell").count(), 12, "{out}");
        assert!(!out.contains("more"), "{out}");
    }

    #[test]
    fn different_titles_of_one_rule_are_separate_blocks() {
        let mut findings = fixtures::many_locations(2);
        findings[1].title = "Another title".into();
        let out = render(&findings, false);
        assert_eq!(out.matches("HIGH").count(), 2, "{out}");
    }

    #[test]
    fn blocks_are_ordered_most_severe_first() {
        let report = fixtures::findings();
        let out = render(&report, false);
        let pos = |s: &str| out.find(s).unwrap_or_else(|| panic!("{s} missing:\n{out}"));
        assert!(pos("CRITICAL") < pos("HIGH"));
        assert!(pos("HIGH") < pos("MEDIUM"));
        assert!(pos("MEDIUM") < pos("LOW"));
    }

    #[test]
    fn only_three_matches_unless_verbose() {
        let mut findings = fixtures::many_locations(1);
        let m = findings[0].matches[0].clone();
        findings[0].matches = vec![m; 5];
        assert!(render(&findings, false).contains("… and 2 more matches"));
        assert!(!render(&findings, true).contains("more matches"));
    }
}
