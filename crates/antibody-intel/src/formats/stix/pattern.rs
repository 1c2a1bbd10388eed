//! The STIX 2.1 patterning language: a parser for the whole grammar
//! (observation expressions joined by `AND`, `OR` and `FOLLOWEDBY`,
//! comparison expressions inside `[ ]`, every operator and literal form,
//! object paths with quoted keys and list indexes, and the `WITHIN`,
//! `REPEATS` and `START`/`STOP` qualifiers), and the indicators a pattern
//! asserts by equality.
//!
//! The parser is recursive descent over a token list with no backtracking:
//! time is linear in the pattern's length. Chains of `AND`/`OR` are kept as
//! lists rather than nested pairs, and parentheses may nest at most
//! [`MAX_NESTING`] deep, so neither parsing nor walking a hostile pattern
//! can exhaust the stack.

use super::lexer::{Tok, err, lex};
use crate::model::IocKind;

/// Deepest nesting of parentheses and brackets accepted.
pub const MAX_NESTING: usize = 64;

/// A parsed STIX pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    /// The top-level observation expression.
    pub root: ObservationExpr,
}

/// An observation expression: what is matched against observed data.
#[derive(Debug, Clone, PartialEq)]
pub enum ObservationExpr {
    /// `[ comparison ]`: one observation.
    Observation(ComparisonExpr),
    /// `a AND b AND ...`: all of them.
    And(Vec<ObservationExpr>),
    /// `a OR b OR ...`: any of them.
    Or(Vec<ObservationExpr>),
    /// `a FOLLOWEDBY b ...`: in this order in time.
    FollowedBy(Vec<ObservationExpr>),
    /// An expression with a qualifier after it.
    Qualified(Box<ObservationExpr>, Qualifier),
}

/// A qualifier on an observation expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Qualifier {
    /// `WITHIN n SECONDS`.
    Within(f64),
    /// `REPEATS n TIMES`.
    Repeats(u64),
    /// `START t'...' STOP t'...'`.
    StartStop {
        /// Start timestamp as written.
        start: String,
        /// Stop timestamp as written.
        stop: String,
    },
}

/// A comparison expression: the inside of `[ ]`.
#[derive(Debug, Clone, PartialEq)]
pub enum ComparisonExpr {
    /// One property test.
    Test(PropTest),
    /// All of them.
    And(Vec<ComparisonExpr>),
    /// Any of them.
    Or(Vec<ComparisonExpr>),
}

/// A test on one property of an observed object.
#[derive(Debug, Clone, PartialEq)]
pub enum PropTest {
    /// `path [NOT] op literal`.
    Compare {
        /// The property.
        path: ObjectPath,
        /// Whether `NOT` precedes the operator.
        negated: bool,
        /// The operator.
        op: CompareOp,
        /// The right-hand side ([`Literal::Set`] for `IN`).
        value: Literal,
    },
    /// `EXISTS path`.
    Exists(ObjectPath),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// `=` or `==`.
    Eq,
    /// `!=` or `<>`.
    Ne,
    /// `>`.
    Gt,
    /// `<`.
    Lt,
    /// `>=`.
    Ge,
    /// `<=`.
    Le,
    /// `IN (...)`.
    In,
    /// `LIKE` (SQL-style `%` and `_`).
    Like,
    /// `MATCHES` (PCRE).
    Matches,
    /// `ISSUBSET` (network).
    IsSubset,
    /// `ISSUPERSET` (network).
    IsSuperset,
}

/// An object path: `file:hashes.'SHA-256'`, `email-message:to_refs[*].value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectPath {
    /// The object type (`file`).
    pub object_type: String,
    /// The steps after the colon.
    pub steps: Vec<PathStep>,
}

/// One step of an object path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    /// A property name (quoted or not).
    Key(String),
    /// `[n]`: one list element.
    Index(i64),
    /// `[*]`: any list element.
    AnyIndex,
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `'...'`, escapes resolved.
    String(String),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// `true` or `false`.
    Bool(bool),
    /// `b'...'`: base64 as written.
    Binary(String),
    /// `h'...'`: hex as written.
    Hex(String),
    /// `t'...'`: RFC 3339 timestamp as written.
    Timestamp(String),
    /// `( a, b, ... )` after `IN`.
    Set(Vec<Literal>),
}

/// Why a pattern does not parse: where, and what was expected there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at byte {offset}: expected {expected}, found {found}")]
pub struct PatternError {
    /// Byte offset in the pattern.
    pub offset: usize,
    /// What the grammar allows there.
    pub expected: String,
    /// What was there instead.
    pub found: String,
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].0
    }

    fn offset(&self) -> usize {
        self.toks[self.pos].1
    }

    fn bump(&mut self) -> Tok {
        let t = self.toks[self.pos].0.clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Tok::Ident(s) if s == kw)
    }

    fn fail<T>(&self, expected: &str) -> Result<T, PatternError> {
        Err(err(self.offset(), expected, self.peek().describe()))
    }

    fn expect(&mut self, t: Tok, expected: &str) -> Result<(), PatternError> {
        if *self.peek() == t {
            self.bump();
            Ok(())
        } else {
            self.fail(expected)
        }
    }

    fn nest(&mut self) -> Result<(), PatternError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(err(
                self.offset(),
                format!("at most {MAX_NESTING} levels of nesting"),
                "deeper nesting",
            ));
        }
        Ok(())
    }

    fn observations(&mut self) -> Result<ObservationExpr, PatternError> {
        self.chain("FOLLOWEDBY", Self::obs_or, ObservationExpr::FollowedBy)
    }

    fn obs_or(&mut self) -> Result<ObservationExpr, PatternError> {
        self.chain("OR", Self::obs_and, ObservationExpr::Or)
    }

    fn obs_and(&mut self) -> Result<ObservationExpr, PatternError> {
        self.chain("AND", Self::obs_qualified, ObservationExpr::And)
    }

    fn chain<T>(
        &mut self,
        kw: &str,
        next: fn(&mut Self) -> Result<T, PatternError>,
        make: fn(Vec<T>) -> T,
    ) -> Result<T, PatternError> {
        let mut items = vec![next(self)?];
        while self.is_kw(kw) {
            self.bump();
            items.push(next(self)?);
        }
        Ok(if items.len() == 1 {
            items.pop().expect("one item")
        } else {
            make(items)
        })
    }

    fn obs_qualified(&mut self) -> Result<ObservationExpr, PatternError> {
        let mut e = match self.peek() {
            Tok::LBrack => {
                self.bump();
                self.nest()?;
                let c = self.comparisons()?;
                self.depth -= 1;
                self.expect(Tok::RBrack, "`]`, `AND` or `OR`")?;
                ObservationExpr::Observation(c)
            }
            Tok::LParen => {
                self.bump();
                self.nest()?;
                let o = self.observations()?;
                self.depth -= 1;
                self.expect(Tok::RParen, "`)`, `AND`, `OR` or `FOLLOWEDBY`")?;
                o
            }
            _ => return self.fail("`[` or `(` starting an observation expression"),
        };
        loop {
            let q = if self.is_kw("WITHIN") {
                self.bump();
                let n = match self.bump() {
                    Tok::Int(n) if n > 0 => n as f64,
                    Tok::Float(f) if f > 0.0 => f,
                    _ => {
                        return Err(err(
                            self.toks[self.pos - 1].1,
                            "a positive number of seconds",
                            "something else",
                        ));
                    }
                };
                self.kw("SECONDS")?;
                Qualifier::Within(n)
            } else if self.is_kw("REPEATS") {
                self.bump();
                let n = match self.peek() {
                    Tok::Int(n) if *n > 0 => *n as u64,
                    _ => return self.fail("a positive integer after REPEATS"),
                };
                self.bump();
                self.kw("TIMES")?;
                Qualifier::Repeats(n)
            } else if self.is_kw("START") {
                self.bump();
                let start = self.timestamp()?;
                self.kw("STOP")?;
                let stop = self.timestamp()?;
                Qualifier::StartStop { start, stop }
            } else {
                return Ok(e);
            };
            e = ObservationExpr::Qualified(Box::new(e), q);
        }
    }

    fn kw(&mut self, kw: &str) -> Result<(), PatternError> {
        if self.is_kw(kw) {
            self.bump();
            Ok(())
        } else {
            self.fail(&format!("`{kw}`"))
        }
    }

    fn timestamp(&mut self) -> Result<String, PatternError> {
        match self.peek().clone() {
            Tok::Timestamp(t) => {
                self.bump();
                Ok(t)
            }
            _ => self.fail("a timestamp t'...'"),
        }
    }

    fn comparisons(&mut self) -> Result<ComparisonExpr, PatternError> {
        self.chain("OR", Self::cmp_and, ComparisonExpr::Or)
    }

    fn cmp_and(&mut self) -> Result<ComparisonExpr, PatternError> {
        self.chain("AND", Self::prop_test, ComparisonExpr::And)
    }

    fn prop_test(&mut self) -> Result<ComparisonExpr, PatternError> {
        if *self.peek() == Tok::LParen {
            self.bump();
            self.nest()?;
            let c = self.comparisons()?;
            self.depth -= 1;
            self.expect(Tok::RParen, "`)`, `AND` or `OR`")?;
            return Ok(c);
        }
        if self.is_kw("EXISTS") {
            self.bump();
            return Ok(ComparisonExpr::Test(PropTest::Exists(self.object_path()?)));
        }
        let path = self.object_path()?;
        let negated = self.is_kw("NOT");
        if negated {
            self.bump();
        }
        let op_at = self.offset();
        let op = match self.bump() {
            Tok::Op(o) => o,
            Tok::Ident(s) => match s.as_str() {
                "IN" => CompareOp::In,
                "LIKE" => CompareOp::Like,
                "MATCHES" => CompareOp::Matches,
                "ISSUBSET" => CompareOp::IsSubset,
                "ISSUPERSET" => CompareOp::IsSuperset,
                _ => return Err(err(op_at, "a comparison operator", format!("`{s}`"))),
            },
            t => return Err(err(op_at, "a comparison operator", t.describe())),
        };
        let value = match op {
            CompareOp::In => self.set()?,
            CompareOp::Like | CompareOp::Matches | CompareOp::IsSubset | CompareOp::IsSuperset => {
                match self.peek().clone() {
                    Tok::Str(s) => {
                        self.bump();
                        Literal::String(s)
                    }
                    _ => return self.fail("a string"),
                }
            }
            CompareOp::Eq | CompareOp::Ne => self.literal(true)?,
            _ => self.literal(false)?,
        };
        Ok(ComparisonExpr::Test(PropTest::Compare {
            path,
            negated,
            op,
            value,
        }))
    }

    fn set(&mut self) -> Result<Literal, PatternError> {
        self.expect(Tok::LParen, "`(` starting a set")?;
        let mut items = Vec::new();
        if *self.peek() == Tok::RParen {
            self.bump();
            return Ok(Literal::Set(items));
        }
        loop {
            items.push(self.literal(true)?);
            match self.bump() {
                Tok::Comma => continue,
                Tok::RParen => return Ok(Literal::Set(items)),
                t => {
                    return Err(err(
                        self.toks[self.pos - 1].1,
                        "`,` or `)` in a set",
                        t.describe(),
                    ));
                }
            }
        }
    }

    fn literal(&mut self, bool_ok: bool) -> Result<Literal, PatternError> {
        let l = match self.peek().clone() {
            Tok::Str(s) => Literal::String(s),
            Tok::Int(n) => Literal::Int(n),
            Tok::Float(f) => Literal::Float(f),
            Tok::Binary(s) => Literal::Binary(s),
            Tok::Hex(s) => Literal::Hex(s),
            Tok::Timestamp(s) => Literal::Timestamp(s),
            Tok::Ident(s) if bool_ok && (s == "true" || s == "false") => Literal::Bool(s == "true"),
            _ => {
                return self.fail(if bool_ok {
                    "a literal"
                } else {
                    "an orderable literal"
                });
            }
        };
        self.bump();
        Ok(l)
    }

    fn object_path(&mut self) -> Result<ObjectPath, PatternError> {
        let object_type = match self.peek().clone() {
            Tok::Ident(s) => s,
            _ => return self.fail("an object type (`file`, `ipv4-addr`...)"),
        };
        self.bump();
        self.expect(Tok::Colon, "`:` after the object type")?;
        let mut steps = vec![self.key("a property name")?];
        loop {
            match self.peek() {
                Tok::Dot => {
                    self.bump();
                    steps.push(self.key("a property name after `.`")?);
                }
                // A `[` right after a path is a list index; `[` never
                // follows a path otherwise.
                Tok::LBrack => {
                    self.bump();
                    let s = match self.bump() {
                        Tok::Star => PathStep::AnyIndex,
                        Tok::Int(n) => PathStep::Index(n),
                        t => {
                            return Err(err(
                                self.toks[self.pos - 1].1,
                                "a list index (`*` or an integer)",
                                t.describe(),
                            ));
                        }
                    };
                    self.expect(Tok::RBrack, "`]` closing the list index")?;
                    steps.push(s);
                }
                _ => return Ok(ObjectPath { object_type, steps }),
            }
        }
    }

    fn key(&mut self, expected: &str) -> Result<PathStep, PatternError> {
        match self.peek().clone() {
            Tok::Ident(s) if !s.contains('-') => {
                self.bump();
                Ok(PathStep::Key(s))
            }
            Tok::Str(s) => {
                self.bump();
                Ok(PathStep::Key(s))
            }
            Tok::Ident(s) => Err(err(
                self.offset(),
                "a property name without `-` (quote it: 'SHA-256')",
                format!("`{}`", crate::formats::clip(&s, 40)),
            )),
            _ => self.fail(expected),
        }
    }
}

/// Parses a STIX 2.1 pattern.
pub fn parse_pattern(p: &str) -> Result<Pattern, PatternError> {
    let toks = lex(p)?;
    let mut parser = Parser {
        toks,
        pos: 0,
        depth: 0,
    };
    let root = parser.observations()?;
    if *parser.peek() != Tok::End {
        return parser.fail("`AND`, `OR`, `FOLLOWEDBY`, a qualifier or the end");
    }
    Ok(Pattern { root })
}

impl Pattern {
    /// The indicators the pattern asserts by equality (`=` and `IN`,
    /// without `NOT`), with the value as written in the pattern: IP
    /// addresses and networks, domain names, URLs, e-mail addresses, file
    /// hashes, names and directories, registry keys and certificate
    /// fingerprints. A file's directory and name tested together in one
    /// observation give its full path.
    pub fn indicators(&self) -> Vec<(IocKind, String)> {
        let mut out = Vec::new();
        walk_obs(&self.root, &mut out);
        out
    }
}

fn walk_obs(e: &ObservationExpr, out: &mut Vec<(IocKind, String)>) {
    match e {
        ObservationExpr::Observation(c) => walk_cmp(c, out),
        ObservationExpr::And(v) | ObservationExpr::Or(v) | ObservationExpr::FollowedBy(v) => {
            v.iter().for_each(|x| walk_obs(x, out))
        }
        ObservationExpr::Qualified(x, _) => walk_obs(x, out),
    }
}

fn walk_cmp(c: &ComparisonExpr, out: &mut Vec<(IocKind, String)>) {
    match c {
        ComparisonExpr::Test(t) => emit(t, out),
        ComparisonExpr::Or(v) => v.iter().for_each(|x| walk_cmp(x, out)),
        ComparisonExpr::And(v) => {
            let eq_str = |x: &ComparisonExpr, want: &[&str], types: &[&str]| match x {
                ComparisonExpr::Test(PropTest::Compare {
                    path,
                    negated: false,
                    op: CompareOp::Eq,
                    value: Literal::String(s),
                }) if types.contains(&path.object_type.as_str()) && keys(path) == want => {
                    Some(s.clone())
                }
                _ => None,
            };
            let names: Vec<usize> = (0..v.len())
                .filter(|&i| eq_str(&v[i], &["name"], &["file"]).is_some())
                .collect();
            let dirs: Vec<usize> = (0..v.len())
                .filter(|&i| eq_str(&v[i], &["parent_directory_ref", "path"], &["file"]).is_some())
                .collect();
            if let ([n], [d]) = (names.as_slice(), dirs.as_slice()) {
                let name = eq_str(&v[*n], &["name"], &["file"]).unwrap_or_default();
                let dir = eq_str(&v[*d], &["parent_directory_ref", "path"], &["file"])
                    .unwrap_or_default();
                let sep = if dir.contains('\\') { '\\' } else { '/' };
                out.push((
                    IocKind::FilePath,
                    format!("{}{sep}{name}", dir.trim_end_matches(sep)),
                ));
                for (i, x) in v.iter().enumerate() {
                    if i != *n && i != *d {
                        walk_cmp(x, out);
                    }
                }
            } else {
                // A directory tested with a name pattern (`LIKE`) is where
                // the file is, not a path of its own.
                let name_tested = v.iter().any(|x| {
                    matches!(x, ComparisonExpr::Test(PropTest::Compare { path, .. })
                        if path.object_type == "file" && keys(path) == ["name"])
                });
                for (i, x) in v.iter().enumerate() {
                    if !(name_tested && dirs.contains(&i)) {
                        walk_cmp(x, out);
                    }
                }
            }
        }
    }
}

/// The steps of a path as strings, indexes as `*`.
fn keys(p: &ObjectPath) -> Vec<&str> {
    p.steps
        .iter()
        .map(|s| match s {
            PathStep::Key(k) => k.as_str(),
            _ => "*",
        })
        .collect()
}

fn emit(t: &PropTest, out: &mut Vec<(IocKind, String)>) {
    let PropTest::Compare {
        path,
        negated: false,
        op,
        value,
    } = t
    else {
        return;
    };
    let values: Vec<&str> = match (op, value) {
        (CompareOp::Eq, Literal::String(s)) => vec![s.as_str()],
        (CompareOp::In, Literal::Set(items)) => items
            .iter()
            .filter_map(|l| match l {
                Literal::String(s) => Some(s.as_str()),
                _ => None,
            })
            .collect(),
        _ => return,
    };
    let k = keys(path);
    let hash_kind = |name: &str| -> Option<IocKind> {
        let n: String = name
            .chars()
            .filter(|c| *c != '-' && *c != '_')
            .collect::<String>()
            .to_ascii_uppercase();
        match n.as_str() {
            "MD5" => Some(IocKind::Md5),
            "SHA1" => Some(IocKind::Sha1),
            "SHA256" => Some(IocKind::Sha256),
            "SHA512" => Some(IocKind::Sha512),
            "SSDEEP" => Some(IocKind::Ssdeep),
            _ => None,
        }
    };
    let address = |v: &str, v6: bool| -> IocKind {
        if v.contains('/') {
            IocKind::Cidr
        } else if v6 {
            IocKind::Ipv6
        } else {
            IocKind::Ipv4
        }
    };
    for v in values {
        let kind = match (path.object_type.as_str(), k.as_slice()) {
            ("ipv4-addr", ["value"]) => address(v, false),
            ("ipv6-addr", ["value"]) => address(v, true),
            ("domain-name", ["value"]) => IocKind::Domain,
            ("url", ["value"]) => IocKind::Url,
            ("email-addr", ["value"]) => IocKind::Email,
            ("email-message", ["from_ref" | "sender_ref", "value"])
            | ("email-message", ["to_refs" | "cc_refs" | "bcc_refs", "*", "value"]) => {
                IocKind::Email
            }
            ("file" | "artifact", ["hashes", h]) => match hash_kind(h) {
                Some(k) => k,
                None => continue,
            },
            ("file", ["name"]) => IocKind::FileName,
            ("file", ["parent_directory_ref", "path"]) | ("directory", ["path"]) => {
                IocKind::FilePath
            }
            ("windows-registry-key", ["key"]) => IocKind::Registry,
            ("x509-certificate", ["hashes", h]) => match hash_kind(h) {
                Some(IocKind::Sha1 | IocKind::Sha256) => IocKind::X509Fingerprint,
                _ => continue,
            },
            ("network-traffic", ["src_ref" | "dst_ref", "value"]) => {
                match v.parse::<std::net::IpAddr>() {
                    Ok(std::net::IpAddr::V4(_)) => IocKind::Ipv4,
                    Ok(std::net::IpAddr::V6(_)) => IocKind::Ipv6,
                    Err(_) if v.contains('/') => IocKind::Cidr,
                    Err(_) => IocKind::Domain,
                }
            }
            _ => continue,
        };
        // A host network written as a CIDR is the address itself.
        let (kind, v) = match (kind, v.split_once('/')) {
            (IocKind::Cidr, Some((a, "32"))) if a.parse::<std::net::Ipv4Addr>().is_ok() => {
                (IocKind::Ipv4, a)
            }
            (IocKind::Cidr, Some((a, "128"))) if a.parse::<std::net::Ipv6Addr>().is_ok() => {
                (IocKind::Ipv6, a)
            }
            _ => (kind, v),
        };
        out.push((kind, v.to_string()));
    }
}

/// Quotes `s` as a STIX string literal.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_escapes_quotes_and_backslashes() {
        assert_eq!(quote(r"C:\a'b"), r"'C:\\a\'b'");
    }
}
