//! Rule problems: which file, which line, which rule, and why.

use std::fmt;
use std::path::PathBuf;

/// Why a rule was rejected (stable codes, documented in docs/engines/logs.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RuleErrorKind {
    /// The file could not be read.
    Io,
    /// The file is not valid YAML.
    Yaml,
    /// A required key is missing or has the wrong type.
    Structure,
    /// A value modifier is unknown or used where it cannot apply.
    Modifier,
    /// A value cannot be compiled (bad regex, bad CIDR, bad number).
    Value,
    /// The condition does not parse or names an unknown identifier.
    Condition,
    /// A correlation or filter refers to a rule that is not loaded.
    Reference,
}

impl RuleErrorKind {
    /// The stable code shown to users.
    pub fn code(self) -> &'static str {
        match self {
            RuleErrorKind::Io => "S001",
            RuleErrorKind::Yaml => "S002",
            RuleErrorKind::Structure => "S003",
            RuleErrorKind::Modifier => "S004",
            RuleErrorKind::Value => "S005",
            RuleErrorKind::Condition => "S006",
            RuleErrorKind::Reference => "S007",
        }
    }
}

/// One rejected rule (or file), pointing at the text that is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// The rule file.
    pub file: PathBuf,
    /// 1-based line of the offending text (0 when the whole file is bad).
    pub line: usize,
    /// The rule's title or id when known.
    pub rule: Option<String>,
    /// The class of problem.
    pub kind: RuleErrorKind,
    /// What is wrong, in words.
    pub message: String,
}

impl RuleError {
    /// Builds an error at `line` of `file`.
    pub fn new(
        file: impl Into<PathBuf>,
        line: usize,
        kind: RuleErrorKind,
        message: impl Into<String>,
    ) -> Self {
        RuleError {
            file: file.into(),
            line,
            rule: None,
            kind,
            message: message.into(),
        }
    }

    /// The same error naming the rule.
    pub fn in_rule(mut self, rule: impl Into<String>) -> Self {
        self.rule = Some(rule.into());
        self
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error[{}]: {}", self.kind.code(), self.message)?;
        write!(f, "\n  --> {}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        if let Some(r) = &self.rule {
            write!(f, " (rule `{r}`)")?;
        }
        Ok(())
    }
}

impl std::error::Error for RuleError {}
