//! Reading a correlation rule from its YAML document, checking every key
//! against the specification and pointing errors at their line.

use super::{Alias, CompareOp, CorrelationKind, CorrelationRule, CountCondition};
use crate::sigma::error::{RuleError, RuleErrorKind};
use crate::sigma::yaml::{Node, Value};
use chrono::Duration;
use std::path::Path;

/// Is this YAML document a correlation rule (a top-level `correlation`)?
pub fn is_correlation(doc: &Node) -> bool {
    doc.get("correlation").is_some()
}

/// Keys allowed inside `correlation:`; anything else is most likely a typo
/// (`group_by`) that would silently change what the rule means.
const CORRELATION_KEYS: [&str; 7] = [
    "type",
    "rules",
    "group-by",
    "timespan",
    "condition",
    "aliases",
    "generate",
];

/// Parses one document; every problem is a [`RuleError`] at the line of
/// the offending key or value.
pub fn parse(doc: &Node, file: &Path) -> Result<CorrelationRule, RuleError> {
    let title = match doc.get("title").map(|n| (n, n.as_str())) {
        Some((_, Some(t))) => t.to_string(),
        Some((n, None)) => {
            return Err(RuleError::new(
                file,
                n.line,
                RuleErrorKind::Structure,
                format!("`title` must be text, not {}", n.type_name()),
            ));
        }
        None => {
            return Err(RuleError::new(
                file,
                doc.line,
                RuleErrorKind::Structure,
                "a correlation rule needs a `title`",
            ));
        }
    };
    let cx = Cx { file, title };
    let corr = doc.get("correlation").ok_or_else(|| {
        cx.err(
            doc.line,
            RuleErrorKind::Structure,
            "no `correlation` section",
        )
    })?;
    let entries = corr.as_map().ok_or_else(|| {
        cx.err(
            corr.line,
            RuleErrorKind::Structure,
            format!("`correlation` must be a map, not {}", corr.type_name()),
        )
    })?;
    if let Some((key, node)) = entries
        .iter()
        .find(|(k, _)| !CORRELATION_KEYS.contains(&k.as_str()))
    {
        return Err(cx.err(
            node.line,
            RuleErrorKind::Structure,
            format!(
                "unknown key `correlation.{key}` (expected one of {})",
                CORRELATION_KEYS.join(", ")
            ),
        ));
    }

    let kind_node = corr.get("type").ok_or_else(|| {
        cx.err(
            corr.line,
            RuleErrorKind::Structure,
            "`correlation` needs a `type`",
        )
    })?;
    let kind_name = kind_node.as_str().unwrap_or_default();
    let kind = CorrelationKind::ALL
        .into_iter()
        .find(|k| k.as_str() == kind_name)
        .ok_or_else(|| {
            let names: Vec<_> = CorrelationKind::ALL.iter().map(|k| k.as_str()).collect();
            cx.err(
                kind_node.line,
                RuleErrorKind::Value,
                format!(
                    "unknown correlation type `{kind_name}` (expected one of {})",
                    names.join(", ")
                ),
            )
        })?;

    let rules_node = corr.get("rules").ok_or_else(|| {
        cx.err(
            corr.line,
            RuleErrorKind::Structure,
            "`correlation` needs `rules`",
        )
    })?;
    let rules = cx.texts(rules_node, "correlation.rules")?;
    if rules.is_empty() {
        return Err(cx.err(
            rules_node.line,
            RuleErrorKind::Structure,
            "`correlation.rules` is empty",
        ));
    }
    if let Some(dup) = rules
        .iter()
        .enumerate()
        .find(|(i, r)| rules[..*i].contains(r))
    {
        return Err(cx.err(
            rules_node.line,
            RuleErrorKind::Structure,
            format!("`{}` is listed twice in `correlation.rules`", dup.1),
        ));
    }
    let group_by = match corr.get("group-by") {
        Some(n) => cx.texts(n, "correlation.group-by")?,
        None => Vec::new(),
    };

    let span_node = corr.get("timespan").ok_or_else(|| {
        cx.err(
            corr.line,
            RuleErrorKind::Structure,
            "`correlation` needs a `timespan`",
        )
    })?;
    let timespan = span_node
        .as_str()
        .ok_or_else(|| format!("a timespan is text, not {}", span_node.type_name()))
        .and_then(parse_timespan)
        .map_err(|m| cx.err(span_node.line, RuleErrorKind::Value, m))?;

    let condition = match corr.get("condition") {
        Some(n) => Some(cx.condition(n, kind)?),
        None if kind.is_temporal() => None,
        None => {
            return Err(cx.err(
                corr.line,
                RuleErrorKind::Structure,
                format!("a `{}` correlation needs a `condition`", kind.as_str()),
            ));
        }
    };
    let aliases = match corr.get("aliases") {
        Some(n) => cx.aliases(n)?,
        None => Vec::new(),
    };
    // The specification lists `generate` among the top-level keys; pySigma
    // reads it inside `correlation`. Either is accepted.
    let generate = match corr.get("generate").or_else(|| doc.get("generate")) {
        Some(n) => match n.value {
            Value::Scalar {
                ref text,
                quoted: false,
            } if text == "true" => true,
            Value::Scalar {
                ref text,
                quoted: false,
            } if text == "false" => false,
            _ => return Err(cx.err(n.line, RuleErrorKind::Value, "`generate` is true or false")),
        },
        None => false,
    };

    Ok(CorrelationRule {
        id: cx.opt_text(doc, "id")?,
        name: cx.opt_text(doc, "name")?,
        description: cx.opt_text(doc, "description")?,
        author: cx.opt_text(doc, "author")?,
        level: cx.opt_text(doc, "level")?,
        tags: cx.opt_list(doc, "tags")?,
        references: cx.opt_list(doc, "references")?,
        kind,
        rules,
        group_by,
        timespan,
        condition,
        aliases,
        generate,
        file: file.to_path_buf(),
        line: doc.line,
        title: cx.title,
    })
}

/// Parses `90m`, `1h`, `2d`: a positive count and a lowercase unit.
pub fn parse_timespan(text: &str) -> Result<Duration, String> {
    let bad =
        || format!("bad timespan `{text}` (expected a number and s, m, h, d or w, as in `90m`)");
    let unit = text.chars().last().ok_or_else(bad)?;
    let digits = &text[..text.len() - unit.len_utf8()];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let count: i64 = digits.parse().map_err(|_| bad())?;
    let unit_seconds: i64 = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        'w' => 604_800,
        'M' => 2_629_746,
        'y' => 31_556_952,
        _ => return Err(bad()),
    };
    if count == 0 {
        return Err(format!("timespan `{text}` must be longer than zero"));
    }
    count
        .checked_mul(unit_seconds)
        .and_then(Duration::try_seconds)
        .ok_or_else(|| format!("timespan `{text}` is too long"))
}

/// Where errors go: the file and the rule's title.
struct Cx<'a> {
    file: &'a Path,
    title: String,
}

impl Cx<'_> {
    fn err(&self, line: usize, kind: RuleErrorKind, message: impl Into<String>) -> RuleError {
        RuleError::new(self.file, line, kind, message).in_rule(&self.title)
    }

    /// A scalar or a list of scalars.
    fn texts(&self, node: &Node, what: &str) -> Result<Vec<String>, RuleError> {
        node.str_list()
            .map(|v| v.into_iter().map(str::to_string).collect())
            .ok_or_else(|| {
                self.err(
                    node.line,
                    RuleErrorKind::Structure,
                    format!(
                        "`{what}` must be text or a list of texts, not {}",
                        node.type_name()
                    ),
                )
            })
    }

    fn opt_text(&self, doc: &Node, key: &str) -> Result<Option<String>, RuleError> {
        match doc.get(key) {
            None => Ok(None),
            Some(n) if n.is_null() => Ok(None),
            Some(n) => n.as_str().map(|s| Some(s.to_string())).ok_or_else(|| {
                self.err(
                    n.line,
                    RuleErrorKind::Structure,
                    format!("`{key}` must be text, not {}", n.type_name()),
                )
            }),
        }
    }

    fn opt_list(&self, doc: &Node, key: &str) -> Result<Vec<String>, RuleError> {
        match doc.get(key) {
            None => Ok(Vec::new()),
            Some(n) if n.is_null() => Ok(Vec::new()),
            Some(n) => self.texts(n, key),
        }
    }

    fn condition(&self, node: &Node, kind: CorrelationKind) -> Result<CountCondition, RuleError> {
        let entries = node.as_map().ok_or_else(|| {
            self.err(
                node.line,
                RuleErrorKind::Structure,
                format!(
                    "`condition` must be a map such as `gte: 10`, not {}",
                    node.type_name()
                ),
            )
        })?;
        let mut cond = CountCondition {
            ops: Vec::new(),
            field: Vec::new(),
            percentile: None,
        };
        for (key, value) in entries {
            let number = || {
                value
                    .as_str()
                    .and_then(|t| t.trim().parse::<f64>().ok())
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| {
                        self.err(
                            value.line,
                            RuleErrorKind::Value,
                            format!("`condition.{key}` must be a number"),
                        )
                    })
            };
            if let Some(op) = CompareOp::from_name(key) {
                cond.ops.push((op, number()?));
            } else if key == "field" {
                cond.field = self.texts(value, "condition.field")?;
            } else if key == "percentile" {
                let p = number()?;
                if !(0.0..=100.0).contains(&p) {
                    return Err(self.err(
                        value.line,
                        RuleErrorKind::Value,
                        "`condition.percentile` must be between 0 and 100",
                    ));
                }
                if kind != CorrelationKind::ValuePercentile {
                    return Err(self.err(
                        value.line,
                        RuleErrorKind::Value,
                        "`condition.percentile` only applies to `value_percentile`",
                    ));
                }
                cond.percentile = Some(p);
            } else {
                return Err(self.err(
                    value.line,
                    RuleErrorKind::Value,
                    format!(
                        "unknown condition operator `{key}` (expected gt, gte, lt, lte, eq, neq, field)"
                    ),
                ));
            }
        }
        if cond.ops.is_empty() {
            return Err(self.err(
                node.line,
                RuleErrorKind::Structure,
                "`condition` needs a comparison: gt, gte, lt, lte, eq or neq",
            ));
        }
        if kind.needs_field() && cond.field.is_empty() {
            return Err(self.err(
                node.line,
                RuleErrorKind::Structure,
                format!("a `{}` correlation needs `condition.field`", kind.as_str()),
            ));
        }
        if kind.needs_field() && kind != CorrelationKind::ValueCount && cond.field.len() > 1 {
            return Err(self.err(
                node.line,
                RuleErrorKind::Value,
                format!(
                    "a `{}` correlation takes one `condition.field`",
                    kind.as_str()
                ),
            ));
        }
        Ok(cond)
    }

    fn aliases(&self, node: &Node) -> Result<Vec<Alias>, RuleError> {
        let shape = |n: &Node| {
            self.err(
                n.line,
                RuleErrorKind::Structure,
                "`aliases` maps an alias to a map of rule → field name",
            )
        };
        let mut out = Vec::new();
        for (name, per_rule) in node.as_map().ok_or_else(|| shape(node))? {
            let mut fields = Vec::new();
            for (rule, field) in per_rule.as_map().ok_or_else(|| shape(per_rule))? {
                let field = field.as_str().ok_or_else(|| shape(field))?;
                fields.push((rule.clone(), field.to_string()));
            }
            out.push(Alias {
                name: name.clone(),
                fields,
                line: per_rule.line,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigma::correlation::testkit::FULL_EXAMPLE;
    use crate::sigma::yaml::parse_documents;
    use CompareOp::*;

    fn one(text: &str) -> Result<CorrelationRule, RuleError> {
        let docs = parse_documents(text).unwrap();
        parse(&docs[0], Path::new("mr_test.yml"))
    }

    fn ops(rule: &CorrelationRule) -> Vec<(CompareOp, f64)> {
        rule.condition.as_ref().unwrap().ops.clone()
    }

    // The examples below are the specification's, copied as written.

    const EVENT_COUNT: &str = "\
title: Many failed logins
id: 0e95725d-7320-415d-80f7-004da920fc11
correlation:
    type: event_count
    rules:
        - 5638f7c0-ac70-491d-8465-2a65075e0d86
    group-by:
        - ComputerName
    timespan: 1h
    condition:
        gte: 100
";

    #[test]
    fn spec_event_count() {
        let r = one(EVENT_COUNT).unwrap();
        assert_eq!(r.title, "Many failed logins");
        assert_eq!(
            r.id.as_deref(),
            Some("0e95725d-7320-415d-80f7-004da920fc11")
        );
        assert_eq!(r.kind, CorrelationKind::EventCount);
        assert_eq!(r.rules, ["5638f7c0-ac70-491d-8465-2a65075e0d86"]);
        assert_eq!(r.group_by, ["ComputerName"]);
        assert_eq!(r.timespan, Duration::hours(1));
        assert_eq!(ops(&r), [(Gte, 100.0)]);
        assert!(!r.generate);
        assert_eq!(r.line, 1);
    }

    #[test]
    fn spec_value_count() {
        let r = one("\
title: Failed login
id: 0e95725d-7320-415d-80f7-004da920fc12
correlation:
    type: value_count
    rules:
        - 5638f7c0-ac70-491d-8465-2a65075e0d86
    group-by:
        - ComputerName
        - WorkstationName
    timespan: 1d
    condition:
        field: User
        gte: 100
")
        .unwrap();
        assert_eq!(r.kind, CorrelationKind::ValueCount);
        assert_eq!(r.group_by, ["ComputerName", "WorkstationName"]);
        assert_eq!(r.timespan, Duration::days(1));
        let c = r.condition.unwrap();
        assert_eq!(c.field, ["User"]);
        assert_eq!(c.ops, [(Gte, 100.0)]);
    }

    const TEMPORAL: &str = "\
correlation:
    type: temporal
    rules:
        - recon_cmd_a
        - recon_cmd_b
        - recon_cmd_c
    group-by:
        - ComputerName
        - User
    timespan: 5m
";

    #[test]
    fn spec_temporal_fragment_needs_a_title() {
        // The specification shows only the `correlation` section.
        let e = one(TEMPORAL).unwrap_err();
        assert_eq!((e.kind, e.line), (RuleErrorKind::Structure, 1));
        assert!(e.message.contains("title"), "{e}");
        let r = one(&format!("title: Recon\n{TEMPORAL}")).unwrap();
        assert_eq!(r.kind, CorrelationKind::Temporal);
        assert_eq!(r.rules, ["recon_cmd_a", "recon_cmd_b", "recon_cmd_c"]);
        assert_eq!(r.group_by, ["ComputerName", "User"]);
        assert_eq!(r.timespan, Duration::minutes(5));
        assert_eq!(r.condition, None);
    }

    #[test]
    fn spec_temporal_ordered() {
        let r = one("\
title: Brute force then success
correlation:
    type: temporal_ordered
    rules:
        - many_failed_logins
        - successful_login
    group-by:
        - User
    timespan: 1h
")
        .unwrap();
        assert_eq!(r.kind, CorrelationKind::TemporalOrdered);
        assert_eq!(r.rules, ["many_failed_logins", "successful_login"]);
        assert_eq!(r.group_by, ["User"]);
    }

    #[test]
    fn spec_value_sum_avg_percentile() {
        let sum = one("\
title: Possible Exfiltration to Website
correlation:
    type: value_sum
    rules:
        - website_access
    group-by:
        - SourceIP
        - User
    timespan: 1h
    condition:
        field: bytes_sent
        gt: 1000000
")
        .unwrap();
        assert_eq!(sum.kind, CorrelationKind::ValueSum);
        assert_eq!(sum.condition.as_ref().unwrap().field, ["bytes_sent"]);
        assert_eq!(ops(&sum), [(Gt, 1_000_000.0)]);

        let avg = one("\
title: Suspicious average network traffic
correlation:
    type: value_avg
    rules: 
        - rule_a_id
    group-by:
        - SourceIP
        - User
    timespan: 24h
    condition:
        field: BytesOut
        gt: 500
")
        .unwrap();
        assert_eq!(avg.kind, CorrelationKind::ValueAvg);
        assert_eq!(avg.rules, ["rule_a_id"]);
        assert_eq!(avg.timespan, Duration::hours(24));

        let pct = one("\
title: A computer spawned a processes name in the last 24h than 1% of all the processes.
correlation:
    type: value_percentile
    rules: 
        - process_creation
    group-by:
        - ComputerName
    timespan: 24h
    condition:
        field: image
        lte: 1
")
        .unwrap();
        assert_eq!(pct.kind, CorrelationKind::ValuePercentile);
        let c = pct.condition.unwrap();
        assert_eq!(c.field, ["image"]);
        assert_eq!(c.ops, [(Lte, 1.0)]);
        assert_eq!(c.percentile, None);
    }

    #[test]
    fn spec_aliases() {
        let r = one("\
title: —
id: —
correlation:
    type: temporal
    rules:
        - internal_error
        - new_network_connection
    group-by:
        - internal_ip
        - remote_ip
    timespan: 10s
    aliases:
        internal_ip:
            internal_error: destination.ip
            new_network_connection: source.ip
        remote_ip:
            internal_error: source.ip
            new_network_connection: destination.ip
")
        .unwrap();
        assert_eq!(r.timespan, Duration::seconds(10));
        assert_eq!(r.aliases.len(), 2);
        assert_eq!(r.aliases[0].name, "internal_ip");
        let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(
            r.aliases[0].fields,
            [
                pair("internal_error", "destination.ip"),
                pair("new_network_connection", "source.ip")
            ]
        );
        assert_eq!(r.aliases[1].name, "remote_ip");
        assert_eq!(r.aliases[1].line, 17);
    }

    #[test]
    fn spec_full_example() {
        let docs = parse_documents(FULL_EXAMPLE).unwrap();
        let kinds: Vec<bool> = docs.iter().map(is_correlation).collect();
        assert_eq!(kinds, [true, true, false, false]);
        let outer = parse(&docs[0], Path::new("mr.yml")).unwrap();
        assert_eq!(outer.kind, CorrelationKind::TemporalOrdered);
        assert_eq!(outer.rules, ["multiple_failed_login", "successful_login"]);
        assert_eq!(outer.level.as_deref(), Some("high"));
        assert_eq!(
            outer.author.as_deref(),
            Some("Florian Roth (Nextron Systems)")
        );
        assert_eq!(outer.references, ["https://reference.com"]);
        assert_eq!(outer.timespan, Duration::minutes(10));
        let inner = parse(&docs[1], Path::new("mr.yml")).unwrap();
        assert_eq!(inner.name.as_deref(), Some("multiple_failed_login"));
        assert_eq!(inner.line, 21);
        assert_eq!(ops(&inner), [(Gte, 10.0)]);
    }

    #[test]
    fn spec_rules_fragment_lacks_type() {
        let e = one("\
title: login brute force
id: 0e95725d-7320-415d-80f7-004da920fc11
correlation:
  rules:
    - 5638f7c0-ac70-491d-8465-2a65075e0d86 # ID of the low firewall rule for action: block
    - firewall_block  # The internal tools have a lookup table to the correct rule `id` by `name`
")
        .unwrap_err();
        assert_eq!((e.kind, e.line), (RuleErrorKind::Structure, 4), "{e}");
        assert!(e.message.contains("`type`"), "{e}");
        assert_eq!(e.rule.as_deref(), Some("login brute force"));
    }

    fn broken(from: &str, to: &str) -> RuleError {
        assert!(EVENT_COUNT.contains(from));
        one(&EVENT_COUNT.replace(from, to)).unwrap_err()
    }

    #[test]
    fn bad_values_point_at_their_line() {
        let e = broken("type: event_count", "type: event_counts");
        assert_eq!((e.kind, e.line), (RuleErrorKind::Value, 4), "{e}");
        let e = broken("timespan: 1h", "timespan: 5x");
        assert_eq!((e.kind, e.line), (RuleErrorKind::Value, 9), "{e}");
        assert!(e.message.contains("5x"));
        let e = broken("gte: 100", "gte: 100\n        more: 3");
        assert_eq!((e.kind, e.line), (RuleErrorKind::Value, 12), "{e}");
        assert!(e.message.contains("`more`"));
        let e = broken("gte: 100", "gte: many");
        assert_eq!((e.kind, e.line), (RuleErrorKind::Value, 11), "{e}");
        let e = broken("group-by:", "group_by:");
        assert_eq!((e.kind, e.line), (RuleErrorKind::Structure, 8), "{e}");
        let e = broken("        gte: 100\n", "        field: User\n");
        assert!(e.message.contains("comparison"), "{e}");
    }

    #[test]
    fn value_count_needs_a_field() {
        let e = broken("type: event_count", "type: value_count");
        assert_eq!((e.kind, e.line), (RuleErrorKind::Structure, 11), "{e}");
        assert!(e.message.contains("condition.field"));
        let text = "title: t\ncorrelation:\n  type: value_sum\n  rules: [a]\n  timespan: 1h\n";
        let e = one(text).unwrap_err();
        assert_eq!((e.kind, e.line), (RuleErrorKind::Structure, 3), "{e}");
        assert!(e.message.contains("needs a `condition`"));
    }

    #[test]
    fn ranges_and_percentile() {
        let r = one(&EVENT_COUNT.replace("gte: 100", "gt: 100\n        lte: 200")).unwrap();
        let c = r.condition.unwrap();
        assert_eq!(c.ops, [(Gt, 100.0), (Lte, 200.0)]);
        assert!(c.matches(101.0) && c.matches(200.0));
        assert!(!c.matches(100.0) && !c.matches(201.0));
        assert!(!c.lower_bounds_only());

        let e = broken("gte: 100", "gte: 100\n        percentile: 95");
        assert!(e.message.contains("only applies"), "{e}");
        let e = broken("type: event_count", "type: value_percentile");
        assert!(e.message.contains("condition.field"), "{e}");
        let text = EVENT_COUNT
            .replace("event_count", "value_percentile")
            .replace(
                "gte: 100",
                "field: Bytes\n        percentile: 95\n        gt: 9",
            );
        assert_eq!(
            one(&text).unwrap().condition.unwrap().percentile,
            Some(95.0)
        );
    }

    #[test]
    fn generate_duplicates_and_no_group_by() {
        let text = EVENT_COUNT.replace("timespan: 1h", "timespan: 1h\n    generate: true");
        assert!(one(&text).unwrap().generate);
        assert!(
            one(&format!("{EVENT_COUNT}generate: true\n"))
                .unwrap()
                .generate
        );
        let e = broken("timespan: 1h", "timespan: 1h\n    generate: yes please");
        assert_eq!((e.kind, e.line), (RuleErrorKind::Value, 10), "{e}");
        let e = broken(
            "        - 5638f7c0-ac70-491d-8465-2a65075e0d86\n",
            "        - a1\n        - a1\n",
        );
        assert!(e.message.contains("twice"), "{e}");
        let text = EVENT_COUNT.replace("    group-by:\n        - ComputerName\n", "");
        assert!(one(&text).unwrap().group_by.is_empty());
    }

    #[test]
    fn timespans() {
        assert_eq!(parse_timespan("30s"), Ok(Duration::seconds(30)));
        assert_eq!(parse_timespan("90m"), Ok(Duration::minutes(90)));
        assert_eq!(parse_timespan("2d"), Ok(Duration::days(2)));
        assert_eq!(parse_timespan("1w"), Ok(Duration::weeks(1)));
        for bad in [
            "5x",
            "m",
            "",
            "1.5h",
            "-1h",
            "1H",
            "0m",
            "99999999999999999y",
        ] {
            assert!(parse_timespan(bad).is_err(), "{bad}");
        }
    }
}
