//! `antibody packs list | show | validate`.

use crate::cli::PacksCommand;
use crate::packs;
use antibody_core::pack::{self, Diagnostic, Level, Pack};
use anyhow::bail;
use std::io::Write;

pub fn run(cmd: PacksCommand) -> anyhow::Result<u8> {
    let mut out = std::io::stdout().lock();
    match cmd {
        PacksCommand::List(args) => {
            let loaded = packs::load(&args);
            report_problems(&loaded.problems);
            writeln!(
                out,
                "{:<20} {:<9} {:>10} {:>5} {:>7}  ORIGIN",
                "NAME", "VERSION", "INDICATORS", "YARA", "SOURCES"
            )?;
            for p in &loaded.packs {
                writeln!(
                    out,
                    "{:<20} {:<9} {:>10} {:>5} {:>7}  {}",
                    p.meta.name,
                    p.meta.version,
                    p.indicators.len(),
                    yara_rule_count(p),
                    p.sources.len(),
                    p.origin
                )?;
            }
            Ok(0)
        }
        PacksCommand::Show { name, packs: args } => {
            let loaded = packs::load(&args);
            report_problems(&loaded.problems);
            let Some(p) = loaded.packs.iter().find(|p| p.meta.name == name) else {
                let names: Vec<&str> = loaded.packs.iter().map(|p| p.meta.name.as_str()).collect();
                bail!("no pack named `{name}` (loaded: {})", names.join(", "));
            };
            show(&mut out, p)?;
            Ok(0)
        }
        PacksCommand::Validate { dirs } => {
            let mut failed = false;
            for dir in &dirs {
                let mut diags: Vec<Diagnostic> = Vec::new();
                let pack = match pack::load_dir(dir) {
                    Ok(l) => {
                        diags.extend(l.warnings);
                        Some(l.pack)
                    }
                    Err(e) => {
                        diags.extend(e.diagnostics);
                        None
                    }
                };
                if let Some(p) = &pack {
                    for f in &p.yara {
                        diags.extend(antibody_files::rules::check_file(&f.path, &f.text));
                    }
                }
                let errors = diags.iter().filter(|d| d.level == Level::Error).count();
                let warnings = diags.len() - errors;
                for d in &diags {
                    writeln!(out, "{}: {d}", dir.display())?;
                }
                if errors == 0 {
                    let p = pack.as_ref().expect("no errors means loaded");
                    writeln!(
                        out,
                        "{}: ok: pack {} {} ({} indicators, {} YARA rules, {warnings} warnings)",
                        dir.display(),
                        p.meta.name,
                        p.meta.version,
                        p.indicators.len(),
                        yara_rule_count(p)
                    )?;
                } else {
                    failed = true;
                    writeln!(
                        out,
                        "{}: invalid: {errors} errors, {warnings} warnings",
                        dir.display()
                    )?;
                }
            }
            Ok(u8::from(failed))
        }
    }
}

fn report_problems(problems: &[(String, Diagnostic)]) {
    for (origin, d) in problems {
        eprintln!("antibody: {origin}: {d}");
    }
}

fn yara_rule_count(p: &Pack) -> usize {
    p.yara
        .iter()
        .map(|f| {
            f.text
                .lines()
                .filter(|l| {
                    let t = l.trim_start();
                    t.starts_with("rule ")
                        || t.starts_with("private rule ")
                        || t.starts_with("global rule ")
                })
                .count()
        })
        .sum()
}

fn show(out: &mut dyn Write, p: &Pack) -> std::io::Result<()> {
    let m = &p.meta;
    writeln!(out, "{} {} ({})", m.name, m.version, p.origin)?;
    writeln!(out, "{}", m.description)?;
    if let Some(d) = &m.published {
        writeln!(out, "published: {d}")?;
    }
    if !m.actors.is_empty() {
        writeln!(out, "actors:    {}", m.actors.join(", "))?;
    }
    if !m.attack.is_empty() {
        writeln!(out, "ATT&CK:    {}", m.attack.join(", "))?;
    }
    writeln!(out, "\nsources ({}):", p.sources.len())?;
    for s in &p.sources {
        writeln!(out, "  {:<18} {}\n  {:<18} {}", s.id, s.title, "", s.url)?;
    }
    writeln!(out, "\nindicators ({}):", p.indicators.len())?;
    for (kind, n) in p.indicator_counts() {
        writeln!(out, "  {:<18} {n}", kind.as_str())?;
    }
    writeln!(
        out,
        "\nYARA ({} rules in {} files):",
        yara_rule_count(p),
        p.yara.len()
    )?;
    for f in &p.yara {
        writeln!(out, "  {}", f.path)?;
        for l in f.text.lines() {
            let t = l.trim_start();
            if let Some(rest) = t
                .strip_prefix("rule ")
                .or_else(|| t.strip_prefix("private rule "))
            {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                writeln!(out, "    {name}")?;
            }
        }
    }
    writeln!(
        out,
        "\nsigma: {} files, network: {} files, exposure: {} files",
        p.sigma.len(),
        p.network.len(),
        p.exposure.len()
    )?;
    Ok(())
}
