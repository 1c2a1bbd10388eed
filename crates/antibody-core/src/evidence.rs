//! Where a finding's evidence is: a file, a member of an archive, a process.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Separator between an archive and a member inside it, as in
/// `outer.zip!dir/inner.exe` (the convention of Loki and THOR).
pub const MEMBER_SEPARATOR: char = '!';

/// A place an analyst can go back to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Location {
    /// A file on a file system.
    File {
        /// The path as given or found by the walk (lossy UTF-8 if needed).
        path: String,
    },
    /// A member of an archive, possibly nested (`a.zip!b.tar!c.exe`).
    Member {
        /// The outermost file on disk.
        path: String,
        /// Member names from the outermost archive inwards.
        members: Vec<String>,
    },
    /// The memory of a running process.
    Process {
        /// Process id.
        pid: u32,
        /// Process name (`comm`) or executable path.
        name: String,
    },
}

impl Location {
    /// A file on disk.
    pub fn file(path: impl Into<String>) -> Self {
        Location::File { path: path.into() }
    }

    /// The same location one archive level deeper.
    pub fn member(&self, name: impl Into<String>) -> Self {
        match self {
            Location::File { path } => Location::Member {
                path: path.clone(),
                members: vec![name.into()],
            },
            Location::Member { path, members } => {
                let mut members = members.clone();
                members.push(name.into());
                Location::Member {
                    path: path.clone(),
                    members,
                }
            }
            other => other.clone(),
        }
    }

    /// How many archives deep this location is (0 for a plain file).
    pub fn depth(&self) -> usize {
        match self {
            Location::Member { members, .. } => members.len(),
            _ => 0,
        }
    }

    /// The file on disk that holds this location, if any.
    pub fn disk_path(&self) -> Option<&str> {
        match self {
            Location::File { path } | Location::Member { path, .. } => Some(path),
            Location::Process { .. } => None,
        }
    }

    /// The last name component (member or file name) for name indicators.
    pub fn leaf_name(&self) -> &str {
        let full = match self {
            Location::File { path } => path.as_str(),
            Location::Member { members, .. } => members.last().map(String::as_str).unwrap_or(""),
            Location::Process { name, .. } => name.as_str(),
        };
        full.rsplit(['/', '\\']).next().unwrap_or(full)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File { path } => f.write_str(path),
            Location::Member { path, members } => {
                f.write_str(path)?;
                for m in members {
                    write!(f, "{MEMBER_SEPARATOR}{m}")?;
                }
                Ok(())
            }
            Location::Process { pid, name } => write!(f, "pid:{pid} ({name})"),
        }
    }
}

/// One piece of matched content inside the evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Match {
    /// The rule's name for the pattern (`$s1`) or the indicator type.
    pub identifier: String,
    /// Byte offset in the item (or virtual address for process memory).
    pub offset: u64,
    /// A short, printable excerpt of the matched bytes.
    pub excerpt: String,
}

impl Match {
    /// Builds a match with a printable excerpt of at most 64 bytes of `data`.
    pub fn new(identifier: impl Into<String>, offset: u64, data: &[u8]) -> Self {
        Match {
            identifier: identifier.into(),
            offset,
            excerpt: printable_excerpt(data, 64),
        }
    }
}

/// `s` cut to at most `max` bytes on a character boundary, with `…` added
/// when something was cut.
pub fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// Renders bytes as text: printable ASCII as is, other bytes as `\xNN`,
/// cut to `max` input bytes with `…` appended when cut.
pub fn printable_excerpt(data: &[u8], max: usize) -> String {
    let mut s = String::new();
    for &b in data.iter().take(max) {
        if (0x20..0x7f).contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("\\x{b:02x}"));
        }
    }
    if data.len() > max {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_member_displays_with_bang() {
        let l = Location::file("/e/outer.zip")
            .member("dir/inner.tar")
            .member("x.exe");
        assert_eq!(l.to_string(), "/e/outer.zip!dir/inner.tar!x.exe");
        assert_eq!(l.depth(), 2);
        assert_eq!(l.leaf_name(), "x.exe");
        assert_eq!(l.disk_path(), Some("/e/outer.zip"));
    }

    #[test]
    fn excerpt_escapes_and_cuts() {
        assert_eq!(printable_excerpt(b"ab\x00c", 10), "ab\\x00c");
        assert_eq!(printable_excerpt(b"abcdef", 3), "abc…");
    }
}
