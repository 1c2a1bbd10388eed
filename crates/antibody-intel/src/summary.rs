//! `SUMMARY.md` of a written pack: what was read, what was found, what is
//! hunted and what is not (and why), for the person who reviews the pack
//! before hunting with it or sharing it.

use crate::model::{EntityKind, Intel, IocKind};
use crate::packout::{PackOptions, PackOutcome, one_line};
use std::collections::BTreeMap;
use std::fmt::Write as _;

const ENTITY_ORDER: [(EntityKind, &str); 7] = [
    (EntityKind::Actor, "Actors"),
    (EntityKind::Malware, "Malware"),
    (EntityKind::Tool, "Tools"),
    (EntityKind::Organisation, "Organisations"),
    (EntityKind::Country, "Countries"),
    (EntityKind::Sector, "Sectors"),
    (EntityKind::Topic, "Topics"),
];

/// Most rows listed per table; the rest are counted.
const MAX_ROWS: usize = 500;

/// Renders the summary.
pub(crate) fn render(
    intel: &Intel,
    opts: &PackOptions,
    source_ids: &[String],
    out: &PackOutcome,
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Pack `{}` {}\n", opts.name, opts.version);
    let _ = writeln!(
        s,
        "Built by `antibody intel` from {} source{}. Review it before hunting with it or sharing it: every indicator below cites the sentence it was found in.\n",
        intel.sources.len(),
        if intel.sources.len() == 1 { "" } else { "s" }
    );

    let _ = writeln!(s, "## Sources\n");
    let _ = writeln!(s, "| id | title | format | date |\n|---|---|---|---|");
    for (i, src) in intel.sources.iter().enumerate() {
        let _ = writeln!(
            s,
            "| `{}` | [{}]({}) | {} | {} |",
            source_ids[i],
            cell(&src.title, 120),
            src.url,
            src.format,
            src.date.as_deref().unwrap_or("")
        );
    }

    let _ = writeln!(s, "\n## At a glance\n");
    let _ = writeln!(
        s,
        "- **{}** indicators hunted ({}); **{}** YARA and **{}** Sigma rules; **{}** Snort/Suricata rules kept for the IDS (`intel/suricata.rules`).",
        out.indicator_total(),
        out.indicators
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect::<Vec<_>>()
            .join(", "),
        out.yara,
        out.sigma,
        out.snort
    );
    let _ = writeln!(
        s,
        "- **{}** values named but not hunted (below, with the reason).",
        out.not_hunted.len()
    );
    for (kind, title) in ENTITY_ORDER {
        let names: Vec<String> = intel
            .entities
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| {
                let aka: Vec<&str> = e
                    .mentions
                    .iter()
                    .filter(|m| **m != e.name)
                    .map(String::as_str)
                    .collect();
                if aka.is_empty() {
                    format!("{} ({})", e.name, e.id)
                } else {
                    format!("{} ({}; written {})", e.name, e.id, aka.join(", "))
                }
            })
            .collect();
        if !names.is_empty() {
            let _ = writeln!(s, "- {title}: {}", names.join("; "));
        }
    }

    if !intel.techniques.is_empty() {
        let _ = writeln!(s, "\n## ATT&CK techniques\n");
        let _ = writeln!(s, "| id | name | from | sentence |\n|---|---|---|---|");
        for t in &intel.techniques {
            let from = if t.from_prose {
                format!("prose: “{}”", cell(&t.evidence, 60))
            } else {
                "id in the text".to_string()
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                t.id,
                cell(&t.name, 60),
                from,
                cell(&t.sentence, 200)
            );
        }
    }

    let _ = writeln!(s, "\n## Indicators found\n");
    let _ = writeln!(
        s,
        "| type | value | confidence | source | sentence |\n|---|---|---|---|---|"
    );
    let mut by_kind: BTreeMap<IocKind, usize> = BTreeMap::new();
    let mut rows = 0;
    for item in &intel.items {
        *by_kind.entry(item.ioc.kind).or_insert(0) += 1;
        if item.ioc.kind.is_rule() {
            continue;
        }
        rows += 1;
        if rows > MAX_ROWS {
            continue;
        }
        let _ = writeln!(
            s,
            "| {} | `{}` | {:.2} | `{}` | {} |",
            item.ioc.kind,
            cell(&item.ioc.value, 120),
            item.ioc.confidence,
            source_ids[item.source],
            cell(
                item.description.as_deref().unwrap_or(&item.ioc.sentence),
                200
            )
        );
    }
    if rows > MAX_ROWS {
        let _ = writeln!(s, "\n{} more rows in `intel/intel.json`.", rows - MAX_ROWS);
    }
    let _ = writeln!(
        s,
        "\nBy type: {}.",
        by_kind
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );

    if !out.not_hunted.is_empty() {
        let _ = writeln!(s, "\n## Named but not hunted\n");
        let _ = writeln!(s, "| type | value | why |\n|---|---|---|");
        for n in out.not_hunted.iter().take(MAX_ROWS) {
            let _ = writeln!(
                s,
                "| {} | `{}` | {} |",
                n.kind,
                cell(&n.value, 120),
                cell(&n.reason, 100)
            );
        }
        if out.not_hunted.len() > MAX_ROWS {
            let _ = writeln!(
                s,
                "\n{} more in `intel/intel.json`.",
                out.not_hunted.len() - MAX_ROWS
            );
        }
    }

    if !intel.problems.is_empty() {
        let _ = writeln!(s, "\n## Problems while reading\n");
        for p in intel.problems.iter().take(MAX_ROWS) {
            let _ = writeln!(s, "- {}", cell(&p.to_string(), 300));
        }
    }
    s
}

/// Text safe in a Markdown table cell.
fn cell(text: &str, max: usize) -> String {
    one_line(text, max).replace('|', "\\|").replace('`', "'")
}
