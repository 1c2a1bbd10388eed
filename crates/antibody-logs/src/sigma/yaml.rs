//! YAML documents as a small tree with line numbers, so that every rule
//! problem can point at the line it comes from.
//!
//! `saphyr` (a maintained YAML 1.2 parser) does the parsing; scalars are
//! kept unresolved so that `4688`, `'4688'` and `1.10` reach the rule
//! compiler with their original text and quoting.

use saphyr::{MarkedYaml, ScalarStyle, YamlData, YamlLoader};
use saphyr_parser::Parser;

/// Deepest nesting accepted in a rule file.
pub const MAX_DEPTH: usize = 64;

/// A YAML node with the 1-based line it starts on.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// 1-based line of the node's first character.
    pub line: usize,
    /// The node's value.
    pub value: Value,
}

/// A YAML value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`, `~`, or nothing.
    Null,
    /// A scalar with its text; `quoted` when it was written in quotes or as
    /// a block scalar (then it is always a string).
    Scalar {
        /// The scalar's text, unescaped.
        text: String,
        /// Whether it was quoted (never a number, boolean or null).
        quoted: bool,
    },
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order (keys are scalars as text).
    Map(Vec<(String, Node)>),
}

/// A YAML syntax problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct YamlError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl Node {
    /// The value under `key` when this is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The text of a scalar (quoted or not).
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// The entries of a mapping.
    pub fn as_map(&self) -> Option<&[(String, Node)]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The items of a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// Whether this is null.
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// A scalar or a sequence of scalars as a list of texts.
    pub fn str_list(&self) -> Option<Vec<&str>> {
        match &self.value {
            Value::Scalar { text, .. } => Some(vec![text.as_str()]),
            Value::Seq(items) => items.iter().map(Node::as_str).collect(),
            _ => None,
        }
    }

    /// A short name of the node's type for error messages.
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Scalar { .. } => "a scalar",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a map",
        }
    }

    /// Merges `other` into `self` as Sigma rule collections do: maps merge
    /// key by key (recursively), anything else is replaced.
    pub fn merge(&mut self, other: &Node) {
        match (&mut self.value, &other.value) {
            (Value::Map(mine), Value::Map(theirs)) => {
                for (k, v) in theirs {
                    match mine.iter_mut().find(|(mk, _)| mk == k) {
                        Some((_, existing)) => existing.merge(v),
                        None => mine.push((k.clone(), v.clone())),
                    }
                }
            }
            _ => *self = other.clone(),
        }
    }
}

/// Parses every document of a YAML stream.
pub fn parse_documents(text: &str) -> Result<Vec<Node>, YamlError> {
    check_flow_depth(text)?;
    let mut loader: YamlLoader<'_, MarkedYaml<'_>> = YamlLoader::default();
    loader.early_parse(false);
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut loader, true).map_err(|e| YamlError {
        line: e.marker().line(),
        message: e.info().to_string(),
    })?;
    loader
        .into_documents()
        .iter()
        .map(|d| convert(d, 0))
        .collect()
}

/// Flow collections (`[[[[...`) can nest without costing indentation; the
/// parser and the drop of its tree recurse, so refuse deep ones up front.
fn check_flow_depth(text: &str) -> Result<(), YamlError> {
    let (mut depth, mut line) = (0usize, 1usize);
    let mut quote: Option<char> = None;
    let mut comment = false;
    // The last significant character: brackets and quotes only open a
    // collection or a quoted scalar where a value can start.
    let mut prev = '\n';
    for c in text.chars() {
        if c == '\n' {
            line += 1;
            comment = false;
            if quote.is_none() {
                prev = '\n';
            }
            continue;
        }
        if comment {
            continue;
        }
        if let Some(q) = quote {
            if c == q {
                quote = None;
                prev = c;
            }
            continue;
        }
        let value_start = matches!(prev, '\n' | ':' | '-' | '[' | '{' | ',' | '?');
        match c {
            '\'' | '"' if value_start => quote = Some(c),
            '#' if prev == '\n' || prev == ' ' => comment = true,
            '[' | '{' if value_start => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(YamlError {
                        line,
                        message: format!("nesting deeper than {MAX_DEPTH} levels"),
                    });
                }
            }
            ']' | '}' if depth > 0 => depth -= 1,
            _ => {}
        }
        if c != ' ' && c != '\t' || c == '#' {
            prev = c;
        } else if c == ' ' && !value_start {
            // A space ends a token; `#` after it starts a comment.
            prev = ' ';
        }
    }
    Ok(())
}

fn convert(node: &MarkedYaml<'_>, depth: usize) -> Result<Node, YamlError> {
    let line = node.span.start.line();
    if depth > MAX_DEPTH {
        return Err(YamlError {
            line,
            message: format!("nesting deeper than {MAX_DEPTH} levels"),
        });
    }
    let value = match &node.data {
        YamlData::Representation(text, style, _) => {
            let quoted = !matches!(style, ScalarStyle::Plain);
            if !quoted && matches!(text.as_ref(), "" | "~" | "null" | "Null" | "NULL") {
                Value::Null
            } else {
                Value::Scalar {
                    text: text.to_string(),
                    quoted,
                }
            }
        }
        YamlData::Value(s) => match s {
            saphyr::Scalar::Null => Value::Null,
            saphyr::Scalar::Boolean(b) => plain(b.to_string()),
            saphyr::Scalar::Integer(i) => plain(i.to_string()),
            saphyr::Scalar::FloatingPoint(f) => plain(f.to_string()),
            saphyr::Scalar::String(s) => Value::Scalar {
                text: s.to_string(),
                quoted: true,
            },
        },
        YamlData::Sequence(items) => Value::Seq(
            items
                .iter()
                .map(|i| convert(i, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        YamlData::Mapping(map) => {
            let mut out = Vec::with_capacity(map.len());
            for (k, v) in map {
                let key = match &k.data {
                    YamlData::Representation(t, ..) => t.to_string(),
                    YamlData::Value(s) => match s {
                        saphyr::Scalar::String(s) => s.to_string(),
                        saphyr::Scalar::Integer(i) => i.to_string(),
                        saphyr::Scalar::Boolean(b) => b.to_string(),
                        saphyr::Scalar::FloatingPoint(f) => f.to_string(),
                        saphyr::Scalar::Null => "null".into(),
                    },
                    _ => {
                        return Err(YamlError {
                            line: k.span.start.line(),
                            message: "a mapping key must be a scalar".into(),
                        });
                    }
                };
                out.push((key, convert(v, depth + 1)?));
            }
            Value::Map(out)
        }
        YamlData::Tagged(_, inner) => return convert(inner, depth + 1),
        YamlData::Alias(_) | YamlData::BadValue => {
            return Err(YamlError {
                line,
                message: "unresolvable YAML alias or value".into(),
            });
        }
    };
    Ok(Node { line, value })
}

fn plain(text: String) -> Value {
    Value::Scalar {
        text,
        quoted: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_lines_text_and_quoting() {
        let docs = parse_documents("a: 1.10\nb: '4688'\nc:\n  - x\n  - ~\n").unwrap();
        let d = &docs[0];
        assert_eq!(d.get("a").unwrap().as_str(), Some("1.10"));
        assert_eq!(
            d.get("b").unwrap().value,
            Value::Scalar {
                text: "4688".into(),
                quoted: true
            }
        );
        let c = d.get("c").unwrap().as_seq().unwrap();
        assert_eq!(c[0].line, 4);
        assert!(c[1].is_null());
    }

    #[test]
    fn several_documents() {
        let docs = parse_documents("a: 1\n---\nb: 2\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].get("b").unwrap().line, 3);
    }

    #[test]
    fn syntax_error_has_a_line() {
        let e = parse_documents("a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
        assert!(e.line >= 2, "{e}");
    }

    #[test]
    fn deep_flow_nesting_is_refused() {
        let text = format!("a: {}{}", "[".repeat(100_000), "]".repeat(100_000));
        let e = parse_documents(&text).unwrap_err();
        assert!(e.message.contains("nesting"), "{e}");
    }

    #[test]
    fn merge_is_deep_for_maps() {
        let mut a = parse_documents("x: {p: 1, q: 2}\ny: 1\n")
            .unwrap()
            .remove(0);
        let b = parse_documents("x: {q: 3, r: 4}\n").unwrap().remove(0);
        a.merge(&b);
        let x = a.get("x").unwrap();
        assert_eq!(x.get("q").unwrap().as_str(), Some("3"));
        assert_eq!(x.get("p").unwrap().as_str(), Some("1"));
        assert_eq!(x.get("r").unwrap().as_str(), Some("4"));
    }
}
