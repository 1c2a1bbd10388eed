//! Sigma values and modifiers, compiled into predicates on one field.
//!
//! A detection item `Field|mod1|mod2: values` becomes a [`FieldMatcher`]:
//! the field to read, how its values combine (`or`, or `and` with `all`),
//! whether the result is negated (`neq`), and one [`Pred`] per value.
//! Transformation modifiers (`windash`, `utf16*`, `base64*`, `contains`...)
//! run here, once; evaluation only compares.

use super::error::{RuleError, RuleErrorKind};
pub use super::pattern::lower;
use super::pattern::{Pattern, base64_offsets, unescape_plain, utf16, windash};
use super::yaml::{Node, Value};
use crate::event::FieldValue;
use base64::Engine as _;
use ipnet::IpNet;
use memchr::memmem;
use regex::bytes::{Regex, RegexBuilder};
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;

/// Largest compiled regex accepted (bytes of automaton); keeps hostile
/// rules from eating memory. The `regex` crate matches in linear time.
pub(crate) const REGEX_SIZE_LIMIT: usize = 32 << 20;

/// A value modifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modifier {
    /// `contains`
    Contains,
    /// `startswith`
    StartsWith,
    /// `endswith`
    EndsWith,
    /// `all`
    All,
    /// `re`
    Re,
    /// `i` after `re`
    ReI,
    /// `m` after `re`
    ReM,
    /// `s` after `re`
    ReS,
    /// `base64`
    Base64,
    /// `base64offset`
    Base64Offset,
    /// `utf16le` or `wide`
    Utf16Le,
    /// `utf16be`
    Utf16Be,
    /// `utf16` (with byte order mark)
    Utf16,
    /// `windash`
    Windash,
    /// `cidr`
    Cidr,
    /// `exists`
    Exists,
    /// `gt`
    Gt,
    /// `gte`
    Gte,
    /// `lt`
    Lt,
    /// `lte`
    Lte,
    /// `neq`
    Neq,
    /// `fieldref`
    FieldRef,
    /// `expand`
    Expand,
    /// `cased`
    Cased,
    /// `minute`, `hour`, `day`, `week`, `month`, `year`
    Time(TimePart),
}

/// Which part of a date the time modifiers extract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimePart {
    /// 0–59
    Minute,
    /// 0–23
    Hour,
    /// 1–31
    Day,
    /// ISO week 1–53
    Week,
    /// 1–12
    Month,
    /// The year
    Year,
}

impl Modifier {
    /// Parses one modifier name.
    pub fn parse(name: &str) -> Option<Modifier> {
        Some(match name {
            "contains" => Modifier::Contains,
            "startswith" => Modifier::StartsWith,
            "endswith" => Modifier::EndsWith,
            "all" => Modifier::All,
            "re" => Modifier::Re,
            "i" => Modifier::ReI,
            "m" => Modifier::ReM,
            "s" => Modifier::ReS,
            "base64" => Modifier::Base64,
            "base64offset" => Modifier::Base64Offset,
            "utf16le" | "wide" => Modifier::Utf16Le,
            "utf16be" => Modifier::Utf16Be,
            "utf16" => Modifier::Utf16,
            "windash" => Modifier::Windash,
            "cidr" => Modifier::Cidr,
            "exists" => Modifier::Exists,
            "gt" => Modifier::Gt,
            "gte" => Modifier::Gte,
            "lt" => Modifier::Lt,
            "lte" => Modifier::Lte,
            "neq" => Modifier::Neq,
            "fieldref" => Modifier::FieldRef,
            "expand" => Modifier::Expand,
            "cased" => Modifier::Cased,
            "minute" => Modifier::Time(TimePart::Minute),
            "hour" => Modifier::Time(TimePart::Hour),
            "day" => Modifier::Time(TimePart::Day),
            "week" => Modifier::Time(TimePart::Week),
            "month" => Modifier::Time(TimePart::Month),
            "year" => Modifier::Time(TimePart::Year),
            _ => return None,
        })
    }
}

/// Numeric comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    /// `==`
    Eq,
    /// `>`
    Gt,
    /// `>=`
    Gte,
    /// `<`
    Lt,
    /// `<=`
    Lte,
}

impl Cmp {
    fn test(self, a: f64, b: f64) -> bool {
        match self {
            Cmp::Eq => a == b,
            Cmp::Gt => a > b,
            Cmp::Gte => a >= b,
            Cmp::Lt => a < b,
            Cmp::Lte => a <= b,
        }
    }
}

/// How a string pattern is anchored.
#[derive(Debug, Clone)]
pub enum StrPred {
    /// The whole value.
    Exact(Vec<u8>),
    /// A prefix.
    Prefix(Vec<u8>),
    /// A suffix.
    Suffix(Vec<u8>),
    /// Anywhere.
    Contains(Box<memmem::Finder<'static>>),
    /// A wildcard pattern other than the above, as a regex, with its
    /// longest literal piece (empty when it has none).
    Pattern(Box<Regex>, Vec<u8>),
    /// `*`: any value, including the empty one.
    Any,
}

/// A compiled predicate on one field value.
#[derive(Debug, Clone)]
pub enum Pred {
    /// A string comparison; `cased` false means both sides are lowercased.
    Str {
        /// The comparison.
        pred: StrPred,
        /// Whether case matters.
        cased: bool,
    },
    /// A regular expression (flags already applied).
    Regex(Box<Regex>),
    /// An IP network.
    Cidr(IpNet),
    /// A numeric comparison.
    Num(Cmp, f64),
    /// Field missing, null or empty.
    Null,
    /// Field present (true) or absent (false).
    Exists(bool),
    /// Compare with another field of the same event.
    FieldRef {
        /// The other field (lowercased name).
        field: String,
        /// The comparison, with the other field's value as pattern.
        mode: RefMode,
        /// Whether case matters.
        cased: bool,
    },
    /// A part of a date compared with a number.
    Time(TimePart, Cmp, f64),
    /// Matches nothing (an undefined placeholder).
    Never,
}

/// How `fieldref` compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefMode {
    /// Equal.
    Equals,
    /// Contains.
    Contains,
    /// Starts with.
    StartsWith,
    /// Ends with.
    EndsWith,
}

/// A compiled detection item.
#[derive(Debug, Clone)]
pub struct FieldMatcher {
    /// The field (lowercased), or `None` for keywords (any field).
    pub field: Option<String>,
    /// The field name as written in the rule.
    pub field_display: Option<String>,
    /// One predicate per value.
    pub preds: Vec<Pred>,
    /// `all`: every predicate must hold (else any).
    pub all: bool,
    /// `neq`: the result is negated.
    pub negate: bool,
    /// Other fields (lowercased) the values may also hold on: a Sigma
    /// field the mapping declares equivalent to others.
    pub also: Vec<String>,
}

/// Values the `expand` modifier substitutes for `%name%` placeholders.
pub type Placeholders = HashMap<String, Vec<String>>;

/// What the compiler needs besides the item itself.
pub struct Context<'a> {
    /// The rule file, for errors.
    pub file: &'a Path,
    /// Placeholder values for `expand`.
    pub placeholders: &'a Placeholders,
    /// Warnings that do not reject the rule (undefined placeholders).
    pub warnings: &'a mut Vec<RuleError>,
}

fn err(ctx: &Context<'_>, line: usize, kind: RuleErrorKind, msg: impl Into<String>) -> RuleError {
    RuleError::new(ctx.file, line, kind, msg)
}

/// Compiles `key: value` of a detection map (`key` is `field|mod|...`, or
/// `|mod` / empty for keywords).
pub fn compile_item(
    key: &str,
    key_line: usize,
    value: &Node,
    ctx: &mut Context<'_>,
) -> Result<FieldMatcher, RuleError> {
    let mut parts = key.split('|');
    let field = parts.next().unwrap_or("").trim();
    let mut mods = Vec::new();
    for name in parts {
        match Modifier::parse(name) {
            Some(m) => mods.push(m),
            None => {
                return Err(err(
                    ctx,
                    key_line,
                    RuleErrorKind::Modifier,
                    format!("unknown modifier `{name}` in `{key}`"),
                ));
            }
        }
    }
    let values: Vec<&Node> = match &value.value {
        Value::Seq(items) => items.iter().collect(),
        _ => vec![value],
    };
    let field = (!field.is_empty()).then(|| field.to_string());
    compile_values(field, &mods, &values, key_line, ctx)
}

/// Compiles keyword values (a list under a search identifier).
pub fn compile_keywords(
    values: &[&Node],
    line: usize,
    ctx: &mut Context<'_>,
) -> Result<FieldMatcher, RuleError> {
    compile_values(None, &[], values, line, ctx)
}

fn compile_values(
    field: Option<String>,
    mods: &[Modifier],
    values: &[&Node],
    line: usize,
    ctx: &mut Context<'_>,
) -> Result<FieldMatcher, RuleError> {
    let has = |m: Modifier| mods.contains(&m);
    let all = has(Modifier::All);
    let negate = has(Modifier::Neq);
    if (has(Modifier::ReI) || has(Modifier::ReM) || has(Modifier::ReS)) && !has(Modifier::Re) {
        return Err(err(
            ctx,
            line,
            RuleErrorKind::Modifier,
            "regex flags `i`, `m`, `s` need the `re` modifier",
        ));
    }
    let is_keyword = field.is_none();
    let mut preds = Vec::new();
    for v in values {
        compile_value(mods, v, is_keyword, ctx, &mut preds)?;
    }
    if preds.is_empty() {
        return Err(err(ctx, line, RuleErrorKind::Value, "no values"));
    }
    // The spec forbids `all` on one value; it is harmless, so it is accepted.
    let field_display = field.clone();
    Ok(FieldMatcher {
        field: field.map(|f| field_key(&f)),
        field_display,
        preds,
        all,
        negate,
        also: Vec::new(),
    })
}

fn compile_value(
    mods: &[Modifier],
    v: &Node,
    is_keyword: bool,
    ctx: &mut Context<'_>,
    out: &mut Vec<Pred>,
) -> Result<(), RuleError> {
    let line = v.line;
    let has = |m: Modifier| mods.contains(&m);
    let text = match &v.value {
        Value::Null => {
            if mods
                .iter()
                .any(|m| !matches!(m, Modifier::All | Modifier::Neq))
            {
                return Err(err(
                    ctx,
                    line,
                    RuleErrorKind::Value,
                    "null cannot take value modifiers",
                ));
            }
            out.push(Pred::Null);
            return Ok(());
        }
        Value::Scalar { text, .. } => text.as_str(),
        Value::Seq(_) | Value::Map(_) => {
            return Err(err(
                ctx,
                line,
                RuleErrorKind::Structure,
                format!("a value must be a scalar or null, not {}", v.type_name()),
            ));
        }
    };
    if has(Modifier::Exists) {
        let b = match text.to_ascii_lowercase().as_str() {
            "true" | "yes" => true,
            "false" | "no" => false,
            _ => {
                return Err(err(
                    ctx,
                    line,
                    RuleErrorKind::Value,
                    format!("`exists` needs true or false, not `{text}`"),
                ));
            }
        };
        out.push(Pred::Exists(b));
        return Ok(());
    }
    let cmp = [
        (Modifier::Gt, Cmp::Gt),
        (Modifier::Gte, Cmp::Gte),
        (Modifier::Lt, Cmp::Lt),
        (Modifier::Lte, Cmp::Lte),
    ]
    .iter()
    .find(|(m, _)| has(*m))
    .map(|(_, c)| *c);
    let number = |ctx: &Context<'_>| -> Result<f64, RuleError> {
        text.trim().parse::<f64>().map_err(|_| {
            err(
                ctx,
                line,
                RuleErrorKind::Value,
                format!("`{text}` is not a number"),
            )
        })
    };
    if let Some(part) = mods.iter().find_map(|m| match m {
        Modifier::Time(p) => Some(*p),
        _ => None,
    }) {
        out.push(Pred::Time(part, cmp.unwrap_or(Cmp::Eq), number(ctx)?));
        return Ok(());
    }
    if let Some(c) = cmp {
        out.push(Pred::Num(c, number(ctx)?));
        return Ok(());
    }
    if has(Modifier::Cidr) {
        let net: IpNet = text
            .trim()
            .parse()
            .or_else(|_| text.trim().parse::<IpAddr>().map(IpNet::from))
            .map_err(|_| {
                err(
                    ctx,
                    line,
                    RuleErrorKind::Value,
                    format!("`{text}` is not a CIDR network"),
                )
            })?;
        out.push(Pred::Cidr(net.trunc()));
        return Ok(());
    }
    let cased = has(Modifier::Cased);
    if has(Modifier::FieldRef) {
        let mode = if has(Modifier::Contains) {
            RefMode::Contains
        } else if has(Modifier::StartsWith) {
            RefMode::StartsWith
        } else if has(Modifier::EndsWith) {
            RefMode::EndsWith
        } else {
            RefMode::Equals
        };
        out.push(Pred::FieldRef {
            field: field_key(text),
            mode,
            cased,
        });
        return Ok(());
    }
    if has(Modifier::Re) {
        let mut b = RegexBuilder::new(text);
        b.case_insensitive(has(Modifier::ReI))
            .multi_line(has(Modifier::ReM))
            .dot_matches_new_line(has(Modifier::ReS))
            .size_limit(REGEX_SIZE_LIMIT)
            .dfa_size_limit(REGEX_SIZE_LIMIT);
        let re = b.build().map_err(|e| {
            err(
                ctx,
                line,
                RuleErrorKind::Value,
                format!("regex does not compile: {}", first_line(&e.to_string())),
            )
        })?;
        out.push(Pred::Regex(Box::new(re)));
        return Ok(());
    }

    // Strings: expand placeholders, then windash variants, then encodings,
    // then anchoring.
    let mut texts: Vec<String> = vec![text.to_string()];
    if has(Modifier::Expand) {
        texts = expand(text, line, ctx)?;
        if texts.is_empty() {
            out.push(Pred::Never);
            return Ok(());
        }
    }
    let encoded = has(Modifier::Base64)
        || has(Modifier::Base64Offset)
        || has(Modifier::Utf16Le)
        || has(Modifier::Utf16Be)
        || has(Modifier::Utf16);
    let mut patterns: Vec<Pattern> = Vec::new();
    for t in &texts {
        let mut variants: Vec<Pattern> = vec![if encoded {
            Pattern::literal(unescape_plain(t))
        } else {
            Pattern::parse(t)
        }];
        for m in mods {
            variants = match m {
                Modifier::Windash => windash(variants),
                Modifier::Utf16Le => variants
                    .into_iter()
                    .map(|p| p.map_bytes(|b| utf16(b, false, false)))
                    .collect(),
                Modifier::Utf16Be => variants
                    .into_iter()
                    .map(|p| p.map_bytes(|b| utf16(b, true, false)))
                    .collect(),
                Modifier::Utf16 => variants
                    .into_iter()
                    .map(|p| p.map_bytes(|b| utf16(b, false, true)))
                    .collect(),
                Modifier::Base64 => variants
                    .into_iter()
                    .map(|p| {
                        p.map_bytes(|b| {
                            base64::engine::general_purpose::STANDARD
                                .encode(b)
                                .into_bytes()
                        })
                    })
                    .collect(),
                Modifier::Base64Offset => variants
                    .into_iter()
                    .flat_map(|p| {
                        let bytes = p.literal_bytes();
                        base64_offsets(&bytes).into_iter().map(Pattern::literal)
                    })
                    .collect(),
                _ => variants,
            };
        }
        patterns.extend(variants);
    }
    let implicit_contains = is_keyword;
    // Base64 text is case-sensitive by nature.
    let cased = cased || has(Modifier::Base64) || has(Modifier::Base64Offset);
    for mut p in patterns {
        if has(Modifier::Contains) || implicit_contains {
            p.star_front();
            p.star_back();
        } else if has(Modifier::StartsWith) {
            p.star_back();
        } else if has(Modifier::EndsWith) {
            p.star_front();
        }
        out.push(p.compile(cased).map_err(|e| {
            err(
                ctx,
                line,
                RuleErrorKind::Value,
                format!("pattern does not compile: {e}"),
            )
        })?);
    }
    Ok(())
}

fn first_line(s: &str) -> String {
    s.lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or(s)
        .trim()
        .to_string()
}

fn expand(text: &str, line: usize, ctx: &mut Context<'_>) -> Result<Vec<String>, RuleError> {
    // Split into literal pieces and placeholder names; `\%` is a plain `%`.
    let mut results = vec![String::new()];
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&'%') {
            chars.next();
            results.iter_mut().for_each(|r| r.push('%'));
        } else if c == '%' {
            let name: String = chars.by_ref().take_while(|&c| c != '%').collect();
            match ctx.placeholders.get(&name) {
                Some(values) => {
                    results = results
                        .iter()
                        .flat_map(|r| values.iter().map(move |v| format!("{r}{v}")))
                        .collect();
                }
                None => {
                    ctx.warnings.push(RuleError::new(
                        ctx.file,
                        line,
                        RuleErrorKind::Value,
                        format!(
                            "placeholder %{name}% has no values (define it under `placeholders:` in a mapping file); it matches nothing"
                        ),
                    ));
                    return Ok(Vec::new());
                }
            }
        } else {
            results.iter_mut().for_each(|r| r.push(c));
        }
    }
    Ok(results)
}

/// How field names are compared: case-insensitive, and with spaces
/// removed, as the Sigma specification names fields whose log names have
/// spaces (`Threat Name` is `ThreatName`).
pub fn field_key(name: &str) -> String {
    name.chars()
        .filter(|c| *c != ' ')
        .flat_map(char::to_lowercase)
        .collect()
}

impl StrPred {
    /// Bytes every value matching this predicate contains (lowercased
    /// unless the predicate is cased), when there are any.
    pub fn literal(&self) -> Option<&[u8]> {
        let l: &[u8] = match self {
            StrPred::Exact(p) | StrPred::Prefix(p) | StrPred::Suffix(p) => p,
            StrPred::Contains(f) => f.needle(),
            StrPred::Pattern(_, lit) => lit,
            StrPred::Any => return None,
        };
        (!l.is_empty()).then_some(l)
    }

    /// Tests `hay` (already lowercased when the predicate is not cased).
    pub fn test(&self, hay: &[u8]) -> bool {
        match self {
            StrPred::Exact(p) => hay == p.as_slice(),
            StrPred::Prefix(p) => hay.starts_with(p),
            StrPred::Suffix(p) => hay.ends_with(p),
            StrPred::Contains(f) => f.find(hay).is_some(),
            StrPred::Pattern(r, _) => r.is_match(hay),
            StrPred::Any => true,
        }
    }
}

/// Extracts a date part from a field value (RFC 3339, `YYYY-MM-DD
/// hh:mm:ss[.fff]`, or a date alone).
pub fn time_part(text: &str, part: TimePart) -> Option<f64> {
    use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
    let t = text.trim();
    let dt = chrono::DateTime::parse_from_rfc3339(t)
        .map(|d| d.naive_utc())
        .ok()
        .or_else(|| NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f").ok())
        .or_else(|| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f").ok())
        .or_else(|| {
            NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })?;
    Some(f64::from(match part {
        TimePart::Minute => dt.minute(),
        TimePart::Hour => dt.hour(),
        TimePart::Day => dt.day(),
        TimePart::Week => dt.iso_week().week(),
        TimePart::Month => dt.month(),
        TimePart::Year => dt.year() as u32,
    }))
}

impl Pred {
    /// Tests one scalar value of the field. `lowered` is the value's text
    /// lowercased (computed once per field per event by the caller).
    pub fn test_value(&self, value: &FieldValue, text: &[u8], lowered: &[u8]) -> bool {
        match self {
            Pred::Str { pred, cased } => pred.test(if *cased { text } else { lowered }),
            Pred::Regex(r) => r.is_match(text),
            Pred::Cidr(net) => std::str::from_utf8(text)
                .ok()
                .and_then(|s| s.trim().parse::<IpAddr>().ok())
                .is_some_and(|ip| net.contains(&ip)),
            Pred::Num(cmp, n) => value.as_f64().is_some_and(|v| cmp.test(v, *n)),
            Pred::Null => text.is_empty(),
            Pred::Time(part, cmp, n) => std::str::from_utf8(text)
                .ok()
                .and_then(|s| time_part(s, *part))
                .is_some_and(|v| cmp.test(v, *n)),
            Pred::Exists(_) | Pred::FieldRef { .. } | Pred::Never => false,
        }
    }

    /// Tests another field's value against this one for `fieldref`.
    pub fn test_ref(mode: RefMode, cased: bool, mine: &[u8], other: &[u8]) -> bool {
        let (a, b) = if cased {
            (
                std::borrow::Cow::Borrowed(mine),
                std::borrow::Cow::Borrowed(other),
            )
        } else {
            (lower(mine), lower(other))
        };
        match mode {
            RefMode::Equals => a == b,
            RefMode::Contains => memmem::find(&a, &b).is_some(),
            RefMode::StartsWith => a.starts_with(&b),
            RefMode::EndsWith => a.ends_with(&b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigma::yaml::parse_documents;

    fn item(key: &str, yaml: &str) -> Result<FieldMatcher, RuleError> {
        let node = parse_documents(&format!("v: {yaml}\n")).unwrap().remove(0);
        let v = node.get("v").unwrap().clone();
        let ph: Placeholders = [(
            "Admins".to_string(),
            vec!["root".to_string(), "adm".to_string()],
        )]
        .into();
        let mut warnings = Vec::new();
        let mut ctx = Context {
            file: Path::new("t.yml"),
            placeholders: &ph,
            warnings: &mut warnings,
        };
        compile_item(key, 1, &v, &mut ctx)
    }

    fn test(m: &FieldMatcher, s: &str) -> bool {
        let fv = FieldValue::Str(s.into());
        let low = lower(s.as_bytes());
        let mut hits = m
            .preds
            .iter()
            .map(|p| p.test_value(&fv, s.as_bytes(), &low));
        let r = if m.all {
            hits.all(|b| b)
        } else {
            hits.any(|b| b)
        };
        r != m.negate
    }

    #[test]
    fn plain_values_are_case_insensitive_exact() {
        let m = item("Image", "'C:\\Windows\\cmd.exe'").unwrap();
        assert!(test(&m, "c:\\windows\\CMD.EXE"));
        assert!(!test(&m, "c:\\windows\\cmd.exe2"));
    }

    #[test]
    fn anchors_and_wildcards() {
        assert!(test(
            &item("a|endswith", "'\\cmd.exe'").unwrap(),
            "C:\\X\\CMD.exe"
        ));
        assert!(test(&item("a|startswith", "'adm_'").unwrap(), "ADM_bob"));
        assert!(test(&item("a|contains", "'enc'").unwrap(), "x -EnC y"));
        let m = item("a", "'prog?.exe'").unwrap();
        assert!(test(&m, "progA.exe") && !test(&m, "progAB.exe"));
        let m = item("a", r"'*\temp\\*.ps1'").unwrap();
        assert!(test(&m, "C:\\Temp\\x.ps1") && !test(&m, "C:\\Temp\\x.ps2"));
    }

    #[test]
    fn escapes_follow_the_spec() {
        // `\*` is a plain star; `\\*` is a backslash then a wildcard.
        let m = item("a", "'a\\*b'").unwrap();
        assert!(test(&m, "a*b") && !test(&m, "axxb"));
        let m = item("a", "'a\\\\*'").unwrap();
        assert!(test(&m, "a\\anything") && !test(&m, "ab"));
        let m = item("a", "'C:\\Windows\\'").unwrap();
        assert!(test(&m, "c:\\windows\\"));
        let m = item("a", "'\\\\\\\\server'").unwrap();
        assert!(test(&m, "\\\\server"));
    }

    #[test]
    fn all_and_lists() {
        let m = item("a|contains|all", "['-nop', 'hidden']").unwrap();
        assert!(test(&m, "powershell -nop -w hidden"));
        assert!(!test(&m, "powershell -nop"));
        let m = item("a|contains", "['-nop', 'hidden']").unwrap();
        assert!(test(&m, "powershell -nop"));
    }

    #[test]
    fn windash_permutes_dashes() {
        let m = item("a|windash|contains", "' -enc '").unwrap();
        for s in [
            "x -enc y",
            "x /enc y",
            "x \u{2013}enc y",
            "x \u{2014}enc y",
            "x \u{2015}enc y",
        ] {
            assert!(test(&m, s), "{s}");
        }
        assert!(!test(&m, "x +enc y"));
    }

    #[test]
    fn regex_with_flags_and_case() {
        let m = item("a|re", "'^ab+c$'").unwrap();
        assert!(test(&m, "abbc") && !test(&m, "ABBC"));
        let m = item("a|re|i", "'^ab+c$'").unwrap();
        assert!(test(&m, "ABBC"));
        let e = item("a|re", "'(?<=x)y'").unwrap_err();
        assert_eq!(e.kind, RuleErrorKind::Value);
    }

    #[test]
    fn catastrophic_regex_stays_linear() {
        let m = item("a|re", "'^(a+)+$'").unwrap();
        let hay = format!("{}b", "a".repeat(50_000));
        let t = std::time::Instant::now();
        assert!(!test(&m, &hay));
        assert!(t.elapsed().as_secs() < 2);
    }

    #[test]
    fn base64offset_finds_the_value_at_any_offset() {
        let m = item("a|base64offset|contains", "'http://'").unwrap();
        for prefix in ["", "x", "xy", "xyz"] {
            let enc =
                base64::engine::general_purpose::STANDARD.encode(format!("{prefix}http://evil"));
            assert!(test(&m, &enc), "{prefix}: {enc}");
        }
        assert!(!test(&m, "aGVsbG8gd29ybGQ="));
    }

    #[test]
    fn wide_base64offset_catches_encoded_powershell() {
        let m = item("a|wide|base64offset|contains", "'IEX'").unwrap();
        let payload: Vec<u8> = "x; IEX (y)"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        let enc = base64::engine::general_purpose::STANDARD.encode(payload);
        assert!(test(&m, &format!("powershell -enc {enc}")));
    }

    #[test]
    fn plain_base64_and_utf16() {
        let m = item("a|base64", "'abc'").unwrap();
        assert!(test(&m, "YWJj") && !test(&m, "ywjj"));
        let m = item("a|utf16le|contains", "'ab'").unwrap();
        assert!(test(&m, "xa\0b\0"));
        let m = item("a|utf16be|contains", "'ab'").unwrap();
        assert!(test(&m, "\0a\0b"));
    }

    #[test]
    fn numbers_cidr_exists_null() {
        let m = item("a|gt", "10").unwrap();
        assert!(test(&m, "11") && !test(&m, "10") && !test(&m, "x"));
        let m = item("a|lte", "10").unwrap();
        assert!(test(&m, "10"));
        let m = item("a|cidr", "'10.0.0.0/8'").unwrap();
        assert!(test(&m, "10.2.3.4") && !test(&m, "11.0.0.1"));
        let m = item("a|cidr", "'2001:db8::/32'").unwrap();
        assert!(test(&m, "2001:db8::1"));
        assert!(matches!(
            item("a|exists", "true").unwrap().preds[0],
            Pred::Exists(true)
        ));
        assert!(matches!(item("a", "null").unwrap().preds[0], Pred::Null));
        assert!(item("a|cidr", "'10.0.0/33'").is_err());
        assert!(item("a|gt", "'ten'").is_err());
    }

    #[test]
    fn neq_negates() {
        let m = item("a|neq", "['x', 'y']").unwrap();
        assert!(test(&m, "z") && !test(&m, "x"));
    }

    #[test]
    fn cased_keeps_case() {
        let m = item("a|cased", "'Abc'").unwrap();
        assert!(test(&m, "Abc") && !test(&m, "abc"));
    }

    #[test]
    fn expand_uses_placeholders() {
        let m = item("a|expand", "'%Admins%'").unwrap();
        assert!(test(&m, "root") && test(&m, "ADM") && !test(&m, "bob"));
        let m = item("a|expand", "'%Nobody%'").unwrap();
        assert!(matches!(m.preds[0], Pred::Never));
    }

    #[test]
    fn time_modifiers() {
        let m = item("t|hour", "3").unwrap();
        assert!(test(&m, "2020-05-04T03:12:00Z") && !test(&m, "2020-05-04 04:00:00"));
    }

    #[test]
    fn unknown_modifier_is_named() {
        let e = item("a|contians", "'x'").unwrap_err();
        assert_eq!(e.kind, RuleErrorKind::Modifier);
        assert!(e.message.contains("contians"), "{}", e.message);
    }
}
