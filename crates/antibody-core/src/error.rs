//! Per-item errors: an item that could not be hunted fully, and why.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why an item was not (fully) hunted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ItemErrorKind {
    /// Permission denied or an I/O error while reading.
    Unreadable,
    /// The item disappeared between listing and reading.
    Vanished,
    /// The content is damaged or not what its header says.
    Corrupt,
    /// A safety limit (depth, ratio, member count, bytes) stopped the work.
    Limit,
    /// Skipped on purpose (over `--max-file-size`, a device, a fifo).
    Skipped,
}

impl ItemErrorKind {
    /// Whether this kind means evidence could not be read (exit code 3),
    /// as opposed to a deliberate skip.
    pub fn is_failure(self) -> bool {
        !matches!(self, ItemErrorKind::Skipped)
    }

    /// The snake_case name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemErrorKind::Unreadable => "unreadable",
            ItemErrorKind::Vanished => "vanished",
            ItemErrorKind::Corrupt => "corrupt",
            ItemErrorKind::Limit => "limit",
            ItemErrorKind::Skipped => "skipped",
        }
    }
}

/// An item (file, archive member, process) the hunt could not fully read.
/// Recorded and reported; never stops the hunt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemError {
    /// The item, as a location string (`/x/a.zip!b.exe`, `pid:42 (sshd)`).
    pub item: String,
    /// The class of problem.
    pub kind: ItemErrorKind,
    /// A clear reason, with the offset or limit where it applies.
    pub reason: String,
}

impl ItemError {
    /// Builds an item error.
    pub fn new(item: impl fmt::Display, kind: ItemErrorKind, reason: impl Into<String>) -> Self {
        ItemError {
            item: item.to_string(),
            kind,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ItemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.item, self.reason, self.kind.as_str())
    }
}

impl std::error::Error for ItemError {}
