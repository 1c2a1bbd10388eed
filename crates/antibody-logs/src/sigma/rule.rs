//! Sigma rule files: detection rules, filters and correlations, with rule
//! collections (`action: global`, `reset`, `repeat`) resolved.

use super::condition::{self, Expr};
use super::error::{RuleError, RuleErrorKind};
use super::value::{self, Context, FieldMatcher, Placeholders};
use super::yaml::{self, Node, Value};
use std::path::{Path, PathBuf};

/// Largest rule file read (a rule is a few KB; this only stops accidents).
pub const MAX_RULE_FILE: u64 = 4 << 20;

/// Metadata every Sigma document may carry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Meta {
    /// `title`
    pub title: String,
    /// `id`
    pub id: Option<String>,
    /// `name` (used by correlations to refer to rules)
    pub name: Option<String>,
    /// `status`
    pub status: Option<String>,
    /// `description`
    pub description: Option<String>,
    /// `author`
    pub author: Option<String>,
    /// `level`
    pub level: Option<String>,
    /// `tags`
    pub tags: Vec<String>,
    /// `references`
    pub references: Vec<String>,
    /// `falsepositives`
    pub falsepositives: Vec<String>,
    /// `date`
    pub date: Option<String>,
}

/// A rule's `logsource`, lowercased.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct LogSourceSpec {
    /// `product`
    pub product: Option<String>,
    /// `category`
    pub category: Option<String>,
    /// `service`
    pub service: Option<String>,
}

/// A search identifier's compiled content.
#[derive(Debug, Clone)]
pub enum Search {
    /// Every item holds (a map).
    And(Vec<FieldMatcher>),
    /// Any alternative holds (a list of maps, or keywords).
    Or(Vec<Search>),
}

impl Search {
    /// Every matcher in this search, mutably.
    pub fn matchers_mut(&mut self) -> Vec<&mut FieldMatcher> {
        match self {
            Search::And(ms) => ms.iter_mut().collect(),
            Search::Or(ss) => ss.iter_mut().flat_map(Search::matchers_mut).collect(),
        }
    }

    /// Every matcher in this search.
    pub fn matchers(&self) -> Vec<&FieldMatcher> {
        match self {
            Search::And(ms) => ms.iter().collect(),
            Search::Or(ss) => ss.iter().flat_map(Search::matchers).collect(),
        }
    }
}

/// A compiled `detection` section.
#[derive(Debug, Clone)]
pub struct Detection {
    /// Search identifier names, in order.
    pub names: Vec<String>,
    /// The searches, parallel to `names`.
    pub searches: Vec<Search>,
    /// The condition (a list of conditions is their `or`).
    pub condition: Expr,
}

/// A detection rule.
#[derive(Debug, Clone)]
pub struct DetectionRule {
    /// Metadata.
    pub meta: Meta,
    /// Where the rule applies.
    pub logsource: LogSourceSpec,
    /// What it looks for.
    pub detection: Detection,
    /// The file it came from.
    pub file: PathBuf,
    /// Line of the document's first key.
    pub line: usize,
}

/// A Sigma filter: suppresses matches of the listed rules.
#[derive(Debug, Clone)]
pub struct FilterRule {
    /// Metadata (`title`, `id`).
    pub meta: Meta,
    /// Where the filter applies.
    pub logsource: LogSourceSpec,
    /// Ids or names of the rules it tunes.
    pub rules: Vec<String>,
    /// The filter's own detection.
    pub detection: Detection,
    /// The file it came from.
    pub file: PathBuf,
    /// Line of the document's first key.
    pub line: usize,
}

/// One document of a rule file.
#[derive(Debug, Clone)]
pub enum Document {
    /// A detection rule.
    Rule(Box<DetectionRule>),
    /// A filter.
    Filter(Box<FilterRule>),
    /// A correlation rule, left as YAML for the correlation module.
    Correlation(Box<Node>, PathBuf),
}

/// What a file gave: documents, rejected documents, and warnings.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Documents that compiled.
    pub documents: Vec<Document>,
    /// Documents (or whole files) rejected, each with its reason.
    pub errors: Vec<RuleError>,
    /// Problems that did not reject anything.
    pub warnings: Vec<RuleError>,
}

/// Reads and parses one rule file.
pub fn parse_file(path: &Path, placeholders: &Placeholders) -> Parsed {
    let mut parsed = Parsed::default();
    let text = match std::fs::metadata(path) {
        Ok(m) if m.len() > MAX_RULE_FILE => {
            parsed.errors.push(RuleError::new(
                path,
                0,
                RuleErrorKind::Io,
                format!(
                    "{} bytes is larger than the {MAX_RULE_FILE}-byte limit for a rule file",
                    m.len()
                ),
            ));
            return parsed;
        }
        _ => match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                parsed
                    .errors
                    .push(RuleError::new(path, 0, RuleErrorKind::Io, e.to_string()));
                return parsed;
            }
        },
    };
    match String::from_utf8(text) {
        Ok(t) => parse_text(&t, path, placeholders),
        Err(e) => {
            parsed.errors.push(RuleError::new(
                path,
                0,
                RuleErrorKind::Yaml,
                format!(
                    "not UTF-8 (invalid byte at offset {})",
                    e.utf8_error().valid_up_to()
                ),
            ));
            parsed
        }
    }
}

/// Parses the documents of one rule file's text.
pub fn parse_text(text: &str, file: &Path, placeholders: &Placeholders) -> Parsed {
    let mut parsed = Parsed::default();
    let docs = match yaml::parse_documents(text) {
        Ok(d) => d,
        Err(e) => {
            parsed.errors.push(RuleError::new(
                file,
                e.line,
                RuleErrorKind::Yaml,
                format!("not valid YAML: {}", e.message),
            ));
            return parsed;
        }
    };
    let mut global: Option<Node> = None;
    let mut previous: Option<Node> = None;
    for doc in docs {
        if doc.is_null() {
            continue;
        }
        if doc.as_map().is_none() {
            parsed.errors.push(RuleError::new(
                file,
                doc.line,
                RuleErrorKind::Structure,
                format!("a Sigma document must be a map, not {}", doc.type_name()),
            ));
            continue;
        }
        let action = doc.get("action").and_then(Node::as_str).map(str::to_owned);
        let doc = match action.as_deref() {
            Some("global") => {
                global = Some(without(&doc, "action"));
                continue;
            }
            Some("reset") => {
                global = None;
                continue;
            }
            Some("repeat") => match &previous {
                Some(prev) => {
                    let mut d = prev.clone();
                    d.merge(&without(&doc, "action"));
                    d
                }
                None => {
                    parsed.errors.push(RuleError::new(
                        file,
                        doc.line,
                        RuleErrorKind::Structure,
                        "`action: repeat` with no document before it",
                    ));
                    continue;
                }
            },
            Some(other) => {
                parsed.errors.push(RuleError::new(
                    file,
                    doc.line,
                    RuleErrorKind::Structure,
                    format!("unknown collection action `{other}` (global, reset or repeat)"),
                ));
                continue;
            }
            None => match &global {
                Some(g) => {
                    let mut d = g.clone();
                    d.merge(&doc);
                    d
                }
                None => doc,
            },
        };
        previous = Some(doc.clone());
        if doc.get("correlation").is_some() {
            parsed
                .documents
                .push(Document::Correlation(Box::new(doc), file.to_path_buf()));
            continue;
        }
        let mut warnings = Vec::new();
        let result = if doc.get("filter").is_some() && doc.get("detection").is_none() {
            parse_filter(&doc, file, placeholders, &mut warnings)
                .map(|f| Document::Filter(Box::new(f)))
        } else {
            parse_rule(&doc, file, placeholders, &mut warnings).map(|r| Document::Rule(Box::new(r)))
        };
        let title = doc
            .get("title")
            .and_then(Node::as_str)
            .unwrap_or("")
            .to_string();
        let name_of = |e: RuleError| {
            if title.is_empty() {
                e
            } else {
                e.in_rule(title.clone())
            }
        };
        parsed.warnings.extend(warnings.into_iter().map(name_of));
        match result {
            Ok(d) => parsed.documents.push(d),
            Err(e) => parsed.errors.push(name_of(e)),
        }
    }
    parsed
}

fn without(doc: &Node, key: &str) -> Node {
    match &doc.value {
        Value::Map(m) => Node {
            line: doc.line,
            value: Value::Map(m.iter().filter(|(k, _)| k != key).cloned().collect()),
        },
        _ => doc.clone(),
    }
}

fn structure(file: &Path, line: usize, msg: impl Into<String>) -> RuleError {
    RuleError::new(file, line, RuleErrorKind::Structure, msg)
}

/// Reads the metadata keys of a document.
pub fn parse_meta(doc: &Node, file: &Path) -> Result<Meta, RuleError> {
    let text = |k: &str| doc.get(k).and_then(Node::as_str).map(str::to_owned);
    let list = |k: &str| -> Vec<String> {
        doc.get(k)
            .and_then(Node::str_list)
            .map(|v| v.into_iter().map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let title = match doc.get("title") {
        Some(t) => t.as_str().map(str::to_owned).ok_or_else(|| {
            structure(
                file,
                t.line,
                format!("`title` must be text, not {}", t.type_name()),
            )
        })?,
        None => return Err(structure(file, doc.line, "missing `title`")),
    };
    if let Some(l) = doc.get("level") {
        let level = l.as_str().unwrap_or("");
        if !["informational", "low", "medium", "high", "critical"].contains(&level) {
            return Err(structure(
                file,
                l.line,
                format!("`level: {level}` is not informational, low, medium, high or critical"),
            ));
        }
    }
    Ok(Meta {
        title,
        id: text("id"),
        name: text("name"),
        status: text("status"),
        description: text("description"),
        author: text("author"),
        level: text("level"),
        tags: list("tags"),
        references: list("references"),
        falsepositives: list("falsepositives"),
        date: text("date"),
    })
}

fn parse_logsource(doc: &Node, file: &Path, required: bool) -> Result<LogSourceSpec, RuleError> {
    let Some(ls) = doc.get("logsource") else {
        if required {
            return Err(structure(file, doc.line, "missing `logsource`"));
        }
        return Ok(LogSourceSpec::default());
    };
    if ls.as_map().is_none() {
        return Err(structure(
            file,
            ls.line,
            format!("`logsource` must be a map, not {}", ls.type_name()),
        ));
    }
    let get = |k: &str| ls.get(k).and_then(Node::as_str).map(|s| s.to_lowercase());
    Ok(LogSourceSpec {
        product: get("product"),
        category: get("category"),
        service: get("service"),
    })
}

fn parse_rule(
    doc: &Node,
    file: &Path,
    placeholders: &Placeholders,
    warnings: &mut Vec<RuleError>,
) -> Result<DetectionRule, RuleError> {
    let meta = parse_meta(doc, file)?;
    let logsource = parse_logsource(doc, file, true)?;
    let det = doc
        .get("detection")
        .ok_or_else(|| structure(file, doc.line, "missing `detection`"))?;
    let detection = parse_detection(det, &[], file, placeholders, warnings)?;
    Ok(DetectionRule {
        meta,
        logsource,
        detection,
        file: file.to_path_buf(),
        line: doc.line,
    })
}

fn parse_filter(
    doc: &Node,
    file: &Path,
    placeholders: &Placeholders,
    warnings: &mut Vec<RuleError>,
) -> Result<FilterRule, RuleError> {
    let meta = parse_meta(doc, file)?;
    let logsource = parse_logsource(doc, file, true)?;
    let f = doc
        .get("filter")
        .ok_or_else(|| structure(file, doc.line, "missing `filter`"))?;
    let rules = f
        .get("rules")
        .and_then(Node::str_list)
        .ok_or_else(|| {
            structure(
                file,
                f.line,
                "`filter` needs `rules`: the ids or names of the rules it tunes",
            )
        })?
        .into_iter()
        .map(str::to_owned)
        .collect();
    let detection = parse_detection(f, &["rules"], file, placeholders, warnings)?;
    Ok(FilterRule {
        meta,
        logsource,
        rules,
        detection,
        file: file.to_path_buf(),
        line: doc.line,
    })
}

/// Keys of a detection map that are not search identifiers.
const RESERVED: [&str; 2] = ["condition", "timeframe"];

fn parse_detection(
    det: &Node,
    also_reserved: &[&str],
    file: &Path,
    placeholders: &Placeholders,
    warnings: &mut Vec<RuleError>,
) -> Result<Detection, RuleError> {
    let map = det.as_map().ok_or_else(|| {
        structure(
            file,
            det.line,
            format!("`detection` must be a map, not {}", det.type_name()),
        )
    })?;
    let mut ctx = Context {
        file,
        placeholders,
        warnings,
    };
    let mut names = Vec::new();
    let mut searches = Vec::new();
    for (k, v) in map {
        if RESERVED.contains(&k.as_str()) || also_reserved.contains(&k.as_str()) {
            continue;
        }
        searches.push(parse_search(v, &mut ctx)?);
        names.push(k.clone());
    }
    if let Some(tf) = det.get("timeframe") {
        ctx.warnings.push(RuleError::new(
            file,
            tf.line,
            RuleErrorKind::Structure,
            "`timeframe` is Sigma 1 syntax and is ignored; use a correlation rule",
        ));
    }
    let cond = det
        .get("condition")
        .ok_or_else(|| structure(file, det.line, "missing `condition`"))?;
    let texts: Vec<(&str, usize)> = match &cond.value {
        Value::Scalar { text, .. } => vec![(text.as_str(), cond.line)],
        Value::Seq(items) => items
            .iter()
            .map(|i| i.as_str().map(|s| (s, i.line)))
            .collect::<Option<_>>()
            .ok_or_else(|| {
                structure(file, cond.line, "every condition in the list must be text")
            })?,
        _ => {
            return Err(structure(
                file,
                cond.line,
                "`condition` must be text or a list of texts",
            ));
        }
    };
    let mut exprs = Vec::new();
    for (text, line) in texts {
        exprs.push(condition::parse(text, &names).map_err(|e| {
            RuleError::new(
                file,
                line,
                RuleErrorKind::Condition,
                format!("condition `{text}`: {}", e.0),
            )
        })?);
    }
    let condition = if exprs.len() == 1 {
        exprs.remove(0)
    } else {
        Expr::Or(exprs)
    };
    Ok(Detection {
        names,
        searches,
        condition,
    })
}

fn parse_search(v: &Node, ctx: &mut Context<'_>) -> Result<Search, RuleError> {
    match &v.value {
        Value::Map(items) => {
            if items.is_empty() {
                return Err(structure(
                    ctx.file,
                    v.line,
                    "an empty search identifier matches nothing",
                ));
            }
            let mut ms = Vec::new();
            for (k, val) in items {
                ms.push(value::compile_item(k, val.line, val, ctx)?);
            }
            Ok(Search::And(ms))
        }
        Value::Seq(items) => {
            if items.is_empty() {
                return Err(structure(ctx.file, v.line, "an empty list matches nothing"));
            }
            if items
                .iter()
                .all(|i| matches!(i.value, Value::Scalar { .. }))
            {
                let refs: Vec<&Node> = items.iter().collect();
                return Ok(Search::And(vec![value::compile_keywords(
                    &refs, v.line, ctx,
                )?]));
            }
            let mut alts = Vec::new();
            for i in items {
                alts.push(parse_search(i, ctx)?);
            }
            Ok(Search::Or(alts))
        }
        Value::Scalar { .. } => Ok(Search::And(vec![value::compile_keywords(
            &[v],
            v.line,
            ctx,
        )?])),
        Value::Null => Err(structure(
            ctx.file,
            v.line,
            "a search identifier cannot be empty",
        )),
    }
}

/// Every `.yml`/`.yaml` file under `path` (or `path` itself), sorted.
pub fn rule_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path)?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let p = entry.path();
            let ft = entry.file_type()?;
            if ft.is_dir() {
                stack.push(p);
            } else if ft.is_file()
                && p.extension().is_some_and(|e| {
                    e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml")
                })
            {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Parsed {
        parse_text(text, Path::new("r.yml"), &Placeholders::new())
    }

    const RULE: &str = "title: T\nid: 1\nlogsource:\n  product: Windows\n  category: process_creation\ndetection:\n  sel:\n    Image|endswith: '\\x.exe'\n  condition: sel\nlevel: high\ntags:\n  - attack.t1059\n";

    #[test]
    fn a_plain_rule() {
        let p = parse(RULE);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let Document::Rule(r) = &p.documents[0] else {
            panic!()
        };
        assert_eq!(r.meta.title, "T");
        assert_eq!(r.logsource.product.as_deref(), Some("windows"));
        assert_eq!(r.meta.tags, vec!["attack.t1059"]);
        assert_eq!(r.detection.names, vec!["sel"]);
    }

    #[test]
    fn collections_global_reset_repeat() {
        let text = "action: global\ntitle: G\nlogsource: {product: windows}\ndetection:\n  condition: sel\n---\nlogsource: {service: security}\ndetection:\n  sel: {EventID: 1}\n---\naction: repeat\ndetection:\n  sel: {EventID: 2}\n---\naction: reset\n---\ntitle: Alone\nlogsource: {product: linux}\ndetection:\n  k: [x]\n  condition: k\n";
        let p = parse(text);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.documents.len(), 3);
        let Document::Rule(a) = &p.documents[0] else {
            panic!()
        };
        assert_eq!(a.meta.title, "G");
        assert_eq!(a.logsource.product.as_deref(), Some("windows"));
        assert_eq!(a.logsource.service.as_deref(), Some("security"));
        let Document::Rule(c) = &p.documents[2] else {
            panic!()
        };
        assert_eq!(c.meta.title, "Alone");
        assert_eq!(c.logsource.product.as_deref(), Some("linux"));
    }

    #[test]
    fn errors_have_lines_and_do_not_stop_other_documents() {
        let text = "title: Bad\nlogsource: {product: x}\ndetection:\n  sel:\n    a|nosuch: 1\n  condition: sel\n---\ntitle: Good\nlogsource: {product: x}\ndetection:\n  sel: {a: 1}\n  condition: sel\n";
        let p = parse(text);
        assert_eq!(p.documents.len(), 1);
        assert_eq!(p.errors.len(), 1);
        let e = &p.errors[0];
        assert_eq!(e.kind, RuleErrorKind::Modifier);
        assert_eq!(e.line, 5);
        assert_eq!(e.rule.as_deref(), Some("Bad"));
    }

    #[test]
    fn not_yaml_and_not_a_map() {
        let p = parse("title: [unclosed\n");
        assert_eq!(p.errors[0].kind, RuleErrorKind::Yaml);
        let p = parse("- just\n- a list\n");
        assert_eq!(p.errors[0].kind, RuleErrorKind::Structure);
    }

    #[test]
    fn missing_parts_are_named() {
        let p = parse("title: X\nlogsource: {product: x}\ndetection:\n  sel: {a: 1}\n");
        assert!(p.errors[0].message.contains("condition"));
        let p = parse("logsource: {product: x}\ndetection:\n  sel: {a: 1}\n  condition: sel\n");
        assert!(p.errors[0].message.contains("title"));
        let p = parse(
            "title: X\nlevel: severe\nlogsource: {product: x}\ndetection:\n  sel: {a: 1}\n  condition: sel\n",
        );
        assert!(p.errors[0].message.contains("severe"));
    }

    #[test]
    fn filters_and_correlations_are_recognised() {
        let text = "title: F\nlogsource: {product: windows, category: process_creation}\nfilter:\n  rules: [abc]\n  selection: {User|startswith: adm_}\n  condition: selection\n---\ntitle: C\ncorrelation:\n  type: event_count\n  rules: [abc]\n  timespan: 5m\n  condition: {gte: 3}\n";
        let p = parse(text);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let Document::Filter(f) = &p.documents[0] else {
            panic!()
        };
        assert_eq!(f.rules, vec!["abc"]);
        assert_eq!(f.detection.names, vec!["selection"]);
        assert!(matches!(p.documents[1], Document::Correlation(..)));
    }

    #[test]
    fn keywords_lists_and_maps() {
        let text = "title: K\nlogsource: {product: x}\ndetection:\n  kw: ['a', 'b']\n  alt:\n    - {x: 1}\n    - {y: 2}\n  allkw:\n    '|all': ['p', 'q']\n  condition: kw or alt or allkw\n";
        let p = parse(text);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let Document::Rule(r) = &p.documents[0] else {
            panic!()
        };
        assert!(matches!(r.detection.searches[1], Search::Or(ref v) if v.len() == 2));
        let Search::And(m) = &r.detection.searches[2] else {
            panic!()
        };
        assert!(m[0].all && m[0].field.is_none());
    }
}
