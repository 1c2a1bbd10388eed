//! The Sigma condition grammar, parsed into an expression over the rule's
//! search identifiers.
//!
//! ```text
//! expr    := and ("or" and)*
//! and     := not ("and" not)*
//! not     := "not" not | primary
//! primary := "(" expr ")" | quant "of" ("them" | pattern) | identifier
//! quant   := "1" | "any" | "all" | N
//! ```
//! Keywords are case-insensitive; `them` leaves out identifiers that start
//! with `_`; patterns use `*` as a wildcard.

/// A compiled condition over search identifiers (by index).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// Every operand is true.
    And(Vec<Expr>),
    /// Any operand is true.
    Or(Vec<Expr>),
    /// The operand is false.
    Not(Box<Expr>),
    /// One search identifier.
    Search(usize),
    /// At least `n` of the searches are true.
    AtLeast(usize, Vec<usize>),
    /// All of the searches are true.
    All(Vec<usize>),
}

impl Expr {
    /// Evaluates with `search(i)` giving the value of identifier `i`.
    pub fn eval(&self, search: &mut dyn FnMut(usize) -> bool) -> bool {
        match self {
            Expr::And(xs) => xs.iter().all(|x| x.eval(search)),
            Expr::Or(xs) => xs.iter().any(|x| x.eval(search)),
            Expr::Not(x) => !x.eval(search),
            Expr::Search(i) => search(*i),
            Expr::AtLeast(n, ids) => {
                let mut hits = 0;
                for &i in ids {
                    if search(i) {
                        hits += 1;
                        if hits >= *n {
                            return true;
                        }
                    }
                }
                false
            }
            Expr::All(ids) => ids.iter().all(|&i| search(i)),
        }
    }

    /// The identifiers this expression reads.
    pub fn searches(&self, out: &mut Vec<usize>) {
        match self {
            Expr::And(xs) | Expr::Or(xs) => xs.iter().for_each(|x| x.searches(out)),
            Expr::Not(x) => x.searches(out),
            Expr::Search(i) => out.push(*i),
            Expr::AtLeast(_, ids) | Expr::All(ids) => out.extend(ids),
        }
    }
}

/// Why a condition does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionError(pub String);

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    Word(String),
}

fn tokenize(s: &str) -> Result<Vec<Tok>, ConditionError> {
    let mut out = Vec::new();
    let mut word = String::new();
    let flush = |w: &mut String, out: &mut Vec<Tok>| {
        if !w.is_empty() {
            out.push(Tok::Word(std::mem::take(w)));
        }
    };
    for c in s.chars() {
        match c {
            '(' => {
                flush(&mut word, &mut out);
                out.push(Tok::LParen);
            }
            ')' => {
                flush(&mut word, &mut out);
                out.push(Tok::RParen);
            }
            c if c.is_whitespace() => flush(&mut word, &mut out),
            c if c.is_alphanumeric() || matches!(c, '_' | '*' | '-' | '.') => word.push(c),
            '|' => {
                return Err(ConditionError(
                    "aggregations with `|` (`| count() ...`) are Sigma 1 syntax; write a correlation rule instead"
                        .into(),
                ));
            }
            other => return Err(ConditionError(format!("unexpected character `{other}`"))),
        }
    }
    flush(&mut word, &mut out);
    Ok(out)
}

/// Deepest parenthesis nesting accepted.
const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    names: &'a [String],
    depth: usize,
}

/// Parses `condition` against the rule's search identifier `names`.
pub fn parse(condition: &str, names: &[String]) -> Result<Expr, ConditionError> {
    let toks = tokenize(condition)?;
    if toks.is_empty() {
        return Err(ConditionError("the condition is empty".into()));
    }
    let mut p = Parser {
        toks,
        pos: 0,
        names,
        depth: 0,
    };
    let e = p.or()?;
    if let Some(t) = p.toks.get(p.pos) {
        return Err(ConditionError(format!(
            "unexpected `{}` after the end of the expression",
            show(t)
        )));
    }
    Ok(e)
}

fn show(t: &Tok) -> String {
    match t {
        Tok::LParen => "(".into(),
        Tok::RParen => ")".into(),
        Tok::Word(w) => w.clone(),
    }
}

fn is_kw(t: Option<&Tok>, kw: &str) -> bool {
    matches!(t, Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn or(&mut self) -> Result<Expr, ConditionError> {
        let mut xs = vec![self.and()?];
        while is_kw(self.peek(), "or") {
            self.pos += 1;
            xs.push(self.and()?);
        }
        Ok(if xs.len() == 1 {
            xs.remove(0)
        } else {
            Expr::Or(xs)
        })
    }

    fn and(&mut self) -> Result<Expr, ConditionError> {
        let mut xs = vec![self.not()?];
        while is_kw(self.peek(), "and") {
            self.pos += 1;
            xs.push(self.not()?);
        }
        Ok(if xs.len() == 1 {
            xs.remove(0)
        } else {
            Expr::And(xs)
        })
    }

    fn not(&mut self) -> Result<Expr, ConditionError> {
        if is_kw(self.peek(), "not") {
            self.pos += 1;
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(ConditionError(format!("nesting deeper than {MAX_DEPTH}")));
            }
            let e = self.not()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(e)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ConditionError> {
        match self.peek().cloned() {
            None => Err(ConditionError(
                "the condition ends where an identifier was expected".into(),
            )),
            Some(Tok::LParen) => {
                self.pos += 1;
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(ConditionError(format!(
                        "parentheses nested deeper than {MAX_DEPTH}"
                    )));
                }
                let e = self.or()?;
                self.depth -= 1;
                if self.peek() != Some(&Tok::RParen) {
                    return Err(ConditionError("a `(` is not closed".into()));
                }
                self.pos += 1;
                Ok(e)
            }
            Some(Tok::RParen) => Err(ConditionError("unexpected `)`".into())),
            Some(Tok::Word(w)) => {
                if is_kw(self.toks.get(self.pos + 1), "of") {
                    self.pos += 2;
                    let quant = w.to_ascii_lowercase();
                    let target = match self.peek() {
                        Some(Tok::Word(t)) => t.clone(),
                        _ => {
                            return Err(ConditionError(format!(
                                "`{w} of` needs `them` or a pattern"
                            )));
                        }
                    };
                    self.pos += 1;
                    let ids = self.select(&target)?;
                    return match quant.as_str() {
                        "all" => Ok(Expr::All(ids)),
                        "any" => Ok(Expr::AtLeast(1, ids)),
                        n => match n.parse::<usize>() {
                            Ok(n) if n >= 1 => Ok(Expr::AtLeast(n, ids)),
                            _ => Err(ConditionError(format!(
                                "`{w} of`: expected 1, any, all or a count"
                            ))),
                        },
                    };
                }
                if ["and", "or", "of", "them"]
                    .iter()
                    .any(|k| w.eq_ignore_ascii_case(k))
                {
                    return Err(ConditionError(format!(
                        "`{w}` where an identifier was expected"
                    )));
                }
                self.pos += 1;
                match self.names.iter().position(|n| *n == w) {
                    Some(i) => Ok(Expr::Search(i)),
                    None => Err(ConditionError(format!(
                        "`{w}` is not a search identifier of this rule"
                    ))),
                }
            }
        }
    }

    fn select(&self, target: &str) -> Result<Vec<usize>, ConditionError> {
        let ids: Vec<usize> = if target.eq_ignore_ascii_case("them") {
            self.names
                .iter()
                .enumerate()
                .filter(|(_, n)| !n.starts_with('_'))
                .map(|(i, _)| i)
                .collect()
        } else {
            self.names
                .iter()
                .enumerate()
                .filter(|(_, n)| glob(target, n))
                .map(|(i, _)| i)
                .collect()
        };
        if ids.is_empty() {
            return Err(ConditionError(format!(
                "`{target}` matches no search identifier"
            )));
        }
        Ok(ids)
    }
}

/// `*` matches any run of characters; everything else is literal.
fn glob(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let mut rest = name;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(ns: &[&str]) -> Vec<String> {
        ns.iter().map(|s| s.to_string()).collect()
    }

    fn run(cond: &str, ns: &[&str], truth: &[bool]) -> bool {
        let e = parse(cond, &names(ns)).unwrap();
        e.eval(&mut |i| truth[i])
    }

    #[test]
    fn precedence_not_and_or() {
        let ns = ["a", "b", "c"];
        // not binds tighter than and, and tighter than or.
        assert!(run("a or b and c", &ns, &[true, false, false]));
        assert!(!run("not a and b", &ns, &[true, true, false]));
        assert!(run("not (a and b)", &ns, &[true, false, false]));
        assert!(run("a and not b or c", &ns, &[false, false, true]));
    }

    #[test]
    fn of_them_and_patterns() {
        let ns = ["selection_1", "selection_2", "filter_x", "_hidden"];
        assert!(run("1 of selection_*", &ns, &[false, true, false, false]));
        assert!(!run(
            "all of selection_*",
            &ns,
            &[false, true, false, false]
        ));
        assert!(run("all of them", &ns, &[true, true, true, false]));
        assert!(!run("any of them", &ns, &[false, false, false, true]));
        assert!(run(
            "1 of selection* and not 1 of filter*",
            &ns,
            &[true, false, false, false]
        ));
        assert!(!run(
            "1 of selection* and not 1 of filter*",
            &ns,
            &[true, false, true, false]
        ));
        assert!(run("2 of them", &ns, &[true, false, true, false]));
        assert!(run(
            "ALL OF selection_* OR filter_x",
            &ns,
            &[false, false, true, false]
        ));
    }

    #[test]
    fn errors_name_the_problem() {
        let ns = names(&["sel"]);
        assert!(
            parse("sel and other", &ns)
                .unwrap_err()
                .0
                .contains("`other`")
        );
        assert!(parse("(sel", &ns).unwrap_err().0.contains("not closed"));
        assert!(
            parse("sel |count() > 5", &ns)
                .unwrap_err()
                .0
                .contains("correlation")
        );
        assert!(
            parse("1 of nothing*", &ns)
                .unwrap_err()
                .0
                .contains("matches no")
        );
        assert!(parse("", &ns).is_err());
        assert!(parse("sel sel", &ns).is_err());
        let deep = format!("{}sel{}", "(".repeat(1000), ")".repeat(1000));
        assert!(parse(&deep, &ns).unwrap_err().0.contains("deeper"));
    }

    #[test]
    fn glob_matches_like_sigma() {
        assert!(glob("sel*", "selection"));
        assert!(glob("*_main_*", "filter_main_x"));
        assert!(!glob("sel*", "xsel"));
        assert!(glob("a*b*c", "aXbYc"));
    }
}
