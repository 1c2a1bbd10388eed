//! YARA rules of all loaded packs, compiled once with YARA-X, plus the
//! metadata each finding needs (severity, ATT&CK, source, action).
//!
//! A pack's `string` indicators become generated rules in the same set, so
//! content is searched once for everything.

use antibody_core::pack::{Diagnostic, IndicatorType, Origin, Pack};
use antibody_core::{Confidence, Severity};
use std::collections::HashMap;

/// Rule id prefix of findings from `string` indicators (`string:<value>`),
/// matching the `type:value` ids of the other indicator findings.
pub const STRING_RULE_PREFIX: &str = "string:";

/// What a finding needs to know about the rule that fired.
#[derive(Debug, Clone)]
pub struct RuleInfo {
    /// Pack name.
    pub pack: String,
    /// Rule identifier.
    pub id: String,
    /// File in the pack the rule comes from (or `indicators`).
    pub file: String,
    /// `meta: description`.
    pub description: String,
    /// `meta: severity`, default medium.
    pub severity: Severity,
    /// `meta: confidence`, default medium.
    pub confidence: Confidence,
    /// `meta: attack`, comma separated.
    pub techniques: Vec<String>,
    /// URL of `meta: source` in the pack's sources.
    pub reference: Option<String>,
    /// `meta: action`, else the pack's default action.
    pub action: String,
    /// `meta: malware`.
    pub malware: Option<String>,
}

/// The compiled rules and their metadata.
pub struct RuleSet {
    rules: yara_x::Rules,
    info: HashMap<(String, String), RuleInfo>,
}

impl std::fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleSet")
            .field("rules", &self.info.len())
            .finish()
    }
}

impl RuleSet {
    /// The compiled rules.
    pub fn rules(&self) -> &yara_x::Rules {
        &self.rules
    }

    /// Number of rules (pack rules and generated string-indicator rules).
    pub fn len(&self) -> usize {
        self.info.len()
    }

    /// Whether the set holds no rule.
    pub fn is_empty(&self) -> bool {
        self.info.is_empty()
    }

    /// Metadata of rule `id` in `namespace`.
    pub fn info(&self, namespace: &str, id: &str) -> Option<&RuleInfo> {
        self.info.get(&(namespace.to_string(), id.to_string()))
    }
}

/// One pack's rule-file problem: the pack and a diagnostic.
#[derive(Debug, Clone)]
pub struct RuleProblem {
    /// The pack's name.
    pub pack: String,
    /// Where and why.
    pub diagnostic: Diagnostic,
}

/// Compiles the YARA files and string indicators of `packs`.
///
/// A rule file that does not compile is left out and reported; the other
/// files and packs are still compiled. Built-in packs are trusted (they are
/// tested) and are not compiled twice.
pub fn compile<'a>(packs: impl IntoIterator<Item = &'a Pack>) -> (RuleSet, Vec<RuleProblem>) {
    let mut compiler = yara_x::Compiler::new();
    let mut info = HashMap::new();
    let mut problems = Vec::new();
    for pack in packs {
        let name = &pack.meta.name;
        for file in &pack.yara {
            if pack.origin != Origin::Builtin {
                let bad = check_file(&file.path, &file.text);
                if !bad.is_empty() {
                    problems.extend(bad.into_iter().map(|d| RuleProblem {
                        pack: name.clone(),
                        diagnostic: d,
                    }));
                    continue;
                }
            }
            let ns = format!("{name}/{}", file.path);
            compiler.new_namespace(&ns);
            let src = yara_x::SourceCode::from(file.text.as_str()).with_origin(file.path.as_str());
            if let Err(e) = compiler.add_source(src) {
                problems.push(RuleProblem {
                    pack: name.clone(),
                    diagnostic: to_diagnostic(&file.path, &e.to_string()),
                });
                continue;
            }
            for (id, meta) in rule_metas(&file.text) {
                info.insert(
                    (ns.clone(), id.clone()),
                    rule_info(pack, &file.path, id, &meta),
                );
            }
        }
        let (src, generated) = string_indicator_rules(pack);
        if !generated.is_empty() {
            let ns = format!("{name}/indicators");
            compiler.new_namespace(&ns);
            match compiler.add_source(src.as_str()) {
                Ok(_) => {
                    for (ident, g) in generated {
                        info.insert((ns.clone(), ident), g);
                    }
                }
                Err(e) => problems.push(RuleProblem {
                    pack: name.clone(),
                    diagnostic: to_diagnostic("indicators", &e.to_string()),
                }),
            }
        }
    }
    (
        RuleSet {
            rules: compiler.build(),
            info,
        },
        problems,
    )
}

/// Compiles one YARA file alone and returns its errors as diagnostics
/// (empty when it compiles).
pub fn check_file(path: &str, text: &str) -> Vec<Diagnostic> {
    let mut c = yara_x::Compiler::new();
    let src = yara_x::SourceCode::from(text).with_origin(path);
    match c.add_source(src) {
        Ok(_) => {
            let mut out: Vec<Diagnostic> = c
                .warnings()
                .iter()
                .map(|w| {
                    let mut d = to_diagnostic(path, &w.to_string());
                    d.level = antibody_core::pack::Level::Warning;
                    d
                })
                .collect();
            for (id, meta) in rule_metas(text) {
                if !meta.contains_key("description") {
                    out.push(Diagnostic::warning(
                        path,
                        None,
                        format!("rule `{id}` has no `description` meta"),
                    ));
                }
                if let Some(s) = meta.get("severity")
                    && s.parse::<Severity>().is_err()
                {
                    out.push(Diagnostic::error(
                        path,
                        None,
                        format!("rule `{id}`: unknown severity `{s}`"),
                    ));
                }
            }
            out
        }
        Err(e) => vec![to_diagnostic(path, &e.to_string())],
    }
}

/// Turns a YARA-X error report into a diagnostic at its `--> file:line`.
fn to_diagnostic(path: &str, report: &str) -> Diagnostic {
    let title = report.lines().next().unwrap_or(report).trim().to_string();
    let line = report
        .lines()
        .find_map(|l| l.trim().strip_prefix("--> "))
        .and_then(|loc| loc.rsplit(':').nth(1))
        .and_then(|n| n.parse().ok());
    Diagnostic::error(path, line, title)
}

/// Extracts `rule name { meta: k = "v" ... }` pairs from YARA text.
///
/// The compiled `Rules` hold metadata too, but only for matching rules at
/// scan time; reading it here lets `packs show` and validation list it.
fn rule_metas(text: &str) -> Vec<(String, HashMap<String, String>)> {
    let mut out = Vec::new();
    let mut current: Option<(String, HashMap<String, String>)> = None;
    let mut in_meta = false;
    for raw in text.lines() {
        let line = raw.trim();
        let head = line
            .trim_start_matches("private ")
            .trim_start_matches("global ");
        if let Some(rest) = head.strip_prefix("rule ") {
            if let Some(c) = current.take() {
                out.push(c);
            }
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            current = Some((name, HashMap::new()));
            in_meta = false;
            continue;
        }
        if line.starts_with("meta:") {
            in_meta = true;
            continue;
        }
        if line.starts_with("strings:") || line.starts_with("condition:") {
            in_meta = false;
            continue;
        }
        if in_meta && let (Some((_, m)), Some((k, v))) = (current.as_mut(), line.split_once('=')) {
            let v = v.trim().trim_matches('"').to_string();
            m.insert(k.trim().to_string(), v);
        }
    }
    if let Some(c) = current.take() {
        out.push(c);
    }
    out
}

fn rule_info(pack: &Pack, file: &str, id: String, meta: &HashMap<String, String>) -> RuleInfo {
    let get = |k: &str| meta.get(k).map(String::as_str);
    RuleInfo {
        pack: pack.meta.name.clone(),
        description: get("description").unwrap_or(&id).to_string(),
        severity: get("severity")
            .and_then(|s| s.parse().ok())
            .unwrap_or(Severity::Medium),
        confidence: get("confidence")
            .and_then(|s| s.parse().ok())
            .unwrap_or(Confidence::Medium),
        techniques: get("attack")
            .map(|a| {
                a.split([',', ' '])
                    .filter(|t| !t.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        reference: get("source")
            .and_then(|s| pack.source(s))
            .map(|s| s.url.clone()),
        action: get("action").unwrap_or(pack.default_action()).to_string(),
        malware: get("malware").map(str::to_string),
        file: file.to_string(),
        id,
    }
}

/// Generates one rule per `string` indicator: the literal in ASCII and
/// UTF-16LE (`ascii wide`).
fn string_indicator_rules(pack: &Pack) -> (String, Vec<(String, RuleInfo)>) {
    let mut src = String::new();
    let mut infos = Vec::new();
    for (n, ind) in pack.indicators.iter().enumerate() {
        if ind.kind != IndicatorType::String {
            continue;
        }
        let ident = format!("indicator_string_{n}");
        src.push_str(&format!(
            "rule {ident} {{ strings: $s = \"{}\" ascii wide condition: $s }}\n",
            yara_escape(&ind.value)
        ));
        infos.push((
            ident,
            RuleInfo {
                pack: pack.meta.name.clone(),
                id: format!("{STRING_RULE_PREFIX}{}", ind.value),
                file: "indicators".into(),
                description: format!("string indicator `{}`: {}", ind.value, ind.description),
                severity: ind.severity,
                confidence: ind.confidence,
                techniques: ind.attack.clone(),
                reference: pack.source(&ind.source).map(|s| s.url.clone()),
                action: ind
                    .action
                    .clone()
                    .unwrap_or_else(|| pack.default_action().to_string()),
                malware: ind.malware.clone(),
            },
        ));
    }
    (src, infos)
}

/// Escapes a literal for a YARA text string.
pub fn yara_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use antibody_core::pack::load_files;

    fn pack(origin: Origin, yara: &[(&str, &str)], indicators: &str) -> Pack {
        let manifest = "[pack]\nname='t'\nversion='1'\ndescription='d'\n[[source]]\nid='s'\ntitle='t'\nurl='https://x.org/s'\n";
        let mut files = vec![
            ("pack.toml".to_string(), manifest.as_bytes().to_vec()),
            ("indicators.toml".into(), indicators.as_bytes().to_vec()),
        ];
        for (p, t) in yara {
            files.push((p.to_string(), t.as_bytes().to_vec()));
        }
        load_files(files, origin, vec![]).unwrap().pack
    }

    const GOOD: &str = r#"rule Good_One {
  meta:
    description = "good rule"
    severity = "high"
    attack = "S0514, T1071.001"
    source = "s"
  strings:
    $a = "needle-one"
  condition:
    $a
}
"#;

    #[test]
    fn broken_user_file_is_reported_with_line_and_others_compile() {
        let bad =
            "rule Bad {\n  strings:\n    $a = \"x\"\n  condition:\n    $a and nothing_here\n}\n";
        let p = pack(
            Origin::Dir("/p".into()),
            &[("yara/good.yar", GOOD), ("yara/bad.yar", bad)],
            "",
        );
        let (set, problems) = compile([&p]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].diagnostic.file, "yara/bad.yar");
        assert_eq!(problems[0].diagnostic.line, Some(5));
        assert!(
            problems[0]
                .diagnostic
                .message
                .contains("unknown identifier"),
            "{}",
            problems[0].diagnostic.message
        );
        assert_eq!(set.len(), 1);
        let info = set.info("t/yara/good.yar", "Good_One").unwrap();
        assert_eq!(info.severity, Severity::High);
        assert_eq!(info.techniques, vec!["S0514", "T1071.001"]);
        assert_eq!(info.reference.as_deref(), Some("https://x.org/s"));
    }

    #[test]
    fn string_indicators_become_ascii_and_wide_rules() {
        let ind = "[[indicator]]\ntype='string'\nvalue='Evil \"quoted\" \\ marker'\ndescription='d'\nseverity='high'\nsource='s'\n";
        let p = pack(Origin::Builtin, &[], ind);
        let (set, problems) = compile([&p]);
        assert!(problems.is_empty(), "{problems:?}");
        let mut scanner = yara_x::Scanner::new(set.rules());
        let wide: Vec<u8> = "Evil \"quoted\" \\ marker"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        for data in [b"xx Evil \"quoted\" \\ marker yy".to_vec(), wide] {
            let r = scanner.scan(&data).unwrap();
            assert_eq!(r.matching_rules().len(), 1);
        }
        assert_eq!(
            scanner
                .scan(b"Evil quoted marker")
                .unwrap()
                .matching_rules()
                .len(),
            0
        );
    }

    #[test]
    fn meta_extraction() {
        let m = rule_metas(GOOD);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].0, "Good_One");
        assert_eq!(m[0].1["severity"], "high");
    }
}
