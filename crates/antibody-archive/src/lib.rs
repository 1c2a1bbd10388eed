//! Bounded, safe expansion of zip, gzip and tar archives, in memory.
//!
//! The files engine hands [`visit_members`] an item's bytes that triage
//! called a container. Each regular-file member is decompressed in memory
//! and passed to a visitor with its [`Location`] (`outer.zip!dir/a.exe`);
//! the caller hashes and scans it and, when a member is itself a container,
//! calls [`visit_members`] again one level deeper. Nothing is written to
//! disk and member names are only ever displayed, never used as paths.
//!
//! Archives are hostile input. Every expansion is bounded by [`Limits`]
//! (nesting depth, member count, member size, compression ratio) and by a
//! [`Budget`] of decompressed bytes shared by one top-level file and all
//! archives nested in it. Decoders are read through a hard cap, so declared
//! sizes are never trusted (though one that already breaks a limit refuses
//! the member before any work). Every problem is returned as an
//! [`ItemError`]; none stops the hunt.
//!
//! ```
//! use antibody_archive::{Budget, Limits, visit_members};
//! use antibody_core::{ItemError, Kind, Location, sniff};
//!
//! /// Scans every member of `data`, recursing into nested containers.
//! fn hunt(
//!     kind: Kind,
//!     data: &[u8],
//!     at: &Location,
//!     limits: &Limits,
//!     budget: &Budget,
//!     problems: &mut Vec<ItemError>,
//! ) {
//!     let errors = visit_members(kind, data, at, limits, budget, &mut |member, bytes| {
//!         // Hash and scan `bytes` here, reporting findings at `member`.
//!         let inner = sniff(&bytes);
//!         if inner.is_container() {
//!             hunt(inner, &bytes, &member, limits, budget, problems);
//!         }
//!     });
//!     problems.extend(errors);
//! }
//!
//! let limits = Limits::default();
//! let budget = Budget::new(&limits); // one per top-level file
//! let mut problems = Vec::new();
//! hunt(Kind::Gzip, b"not gzip", &Location::file("/e/a.gz"), &limits, &budget, &mut problems);
//! assert_eq!(problems.len(), 1); // corrupt gzip
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod gzip;
mod limits;
mod name;
mod tar;
mod zip;

pub use limits::{Budget, Limits, RATIO_FLOOR};

use antibody_core::{ItemError, ItemErrorKind, Kind, Location};
use limits::{Bound, Cap, human, read_capped};
use std::io::Read;
use std::panic::{self, AssertUnwindSafe};

/// Visits each regular-file member of the container `data` of `kind`,
/// located at `at`, calling `visit(member_location, member_bytes)`.
///
/// `kind` is [`Kind::Zip`], [`Kind::Gzip`] or [`Kind::Tar`]; for any other
/// kind nothing is visited and no problem is returned. Directories,
/// symbolic and hard links and devices are skipped silently. A gzip stream
/// (all its concatenated members) is one member, named after the header's
/// file name if present, else after `at` without `.gz` (`.tgz` becomes
/// `.tar`), else `(gzip)`; a tar inside it is opened by calling this again
/// with [`Kind::Tar`] one level deeper.
///
/// Each member's location is `at.member(name)`, where control and invisible
/// formatting characters in the name are escaped and `../` or absolute
/// paths are left visible.
///
/// Returns one [`ItemError`] per problem met, naming the container or the
/// member it concerns: [`ItemErrorKind::Limit`] for a limit that stopped
/// work, [`ItemErrorKind::Corrupt`] for damaged data, and
/// [`ItemErrorKind::Unreadable`] for encrypted members or compression
/// methods this build cannot decode. A damaged zip member does not stop the
/// others; tar stops at the damage. Bytes recovered before damage are still
/// visited.
///
/// `budget` must be the same for a top-level file and everything nested in
/// it. Stored tar members are copies of bytes already counted one level up
/// and do not spend it; every decompressed byte does, including those of a
/// member then dropped for going over a limit.
pub fn visit_members(
    kind: Kind,
    data: &[u8],
    at: &Location,
    limits: &Limits,
    budget: &Budget,
    visit: &mut dyn FnMut(Location, Vec<u8>),
) -> Vec<ItemError> {
    let format = match kind {
        Kind::Zip => Format::Zip,
        Kind::Gzip => Format::Gzip,
        Kind::Tar => Format::Tar,
        _ => return Vec::new(),
    };
    let depth = at.depth();
    if depth >= limits.max_depth {
        let reason = format!(
            "nested {depth} archives deep; depth limit {} reached, not opened",
            limits.max_depth
        );
        return vec![ItemError::new(at, ItemErrorKind::Limit, reason)];
    }
    let mut walk = Walk {
        at,
        limits,
        budget,
        visit,
        errors: Vec::new(),
        members: 0,
        in_visit: false,
    };
    // The decoders are third-party parsers fed hostile bytes: should one of
    // them panic, report the archive as damaged rather than abort the hunt.
    // A panic raised by the caller's visitor is the caller's and goes on.
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| match format {
        Format::Zip => zip::walk(data, &mut walk),
        Format::Gzip => gzip::walk(data, &mut walk),
        Format::Tar => tar::walk(data, &mut walk),
    }));
    if let Err(payload) = outcome {
        if walk.in_visit {
            panic::resume_unwind(payload);
        }
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        walk.container_error(
            ItemErrorKind::Corrupt,
            format!("corrupt {}: decoder failed: {message}", format.as_str()),
        );
    }
    walk.errors
}

/// The formats this crate opens.
#[derive(Debug, Clone, Copy)]
enum Format {
    Zip,
    Gzip,
    Tar,
}

impl Format {
    fn as_str(self) -> &'static str {
        match self {
            Format::Zip => "zip",
            Format::Gzip => "gzip",
            Format::Tar => "tar",
        }
    }
}

/// How one member is to be expanded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Member {
    /// The size the archive declares, if any: refuses early when it breaks
    /// a limit, sizes the first allocation, and detects truncation.
    pub declared: Option<u64>,
    /// Compressed size to apply the ratio limit to, if it applies.
    pub packed: Option<u64>,
    /// Whether the expanded bytes spend the budget.
    pub charged: bool,
    /// The member is the container's whole content (a gzip stream), so
    /// damage is reported on the container.
    pub whole: bool,
}

/// What became of one member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Visited whole.
    Visited,
    /// Left out for a limit; the next member may still be read.
    Refused,
    /// Damaged: what came before the damage was visited.
    Damaged,
    /// The budget is spent: stop this archive.
    Spent,
}

/// The state of one [`visit_members`] call, shared by the format modules.
pub(crate) struct Walk<'a> {
    pub at: &'a Location,
    pub limits: &'a Limits,
    pub budget: &'a Budget,
    visit: &'a mut dyn FnMut(Location, Vec<u8>),
    errors: Vec<ItemError>,
    /// Regular-file members met so far.
    members: usize,
    /// The caller's visitor is running (for telling whose panic it is).
    in_visit: bool,
}

impl Walk<'_> {
    /// Records a problem with the container itself.
    pub fn container_error(&mut self, kind: ItemErrorKind, reason: impl Into<String>) {
        self.errors.push(ItemError::new(self.at, kind, reason));
    }

    /// Records a problem with one member.
    pub fn member_error(&mut self, name: &str, kind: ItemErrorKind, reason: impl Into<String>) {
        let item = self.at.member(name);
        self.errors.push(ItemError::new(item, kind, reason));
    }

    /// How many problems are recorded so far.
    pub fn error_count(&self) -> usize {
        self.errors.len()
    }

    /// Appends `more` to the reason of the problem recorded at `index`.
    pub fn amend_error(&mut self, index: usize, more: &str) {
        if let Some(error) = self.errors.get_mut(index) {
            error.reason.push_str(more);
        }
    }

    /// Counts one more regular-file member. Past the member limit, records
    /// that and returns false: the archive is to be left there.
    pub fn admit(&mut self) -> bool {
        if self.members >= self.limits.max_members {
            let reason = format!(
                "stopped after {} members (member limit)",
                self.limits.max_members
            );
            self.container_error(ItemErrorKind::Limit, reason);
            return false;
        }
        self.members += 1;
        true
    }

    /// Expands the member `name` from `reader` within the limits and visits
    /// it. `label` names the format in damage reports (`zip member`).
    pub fn expand(
        &mut self,
        label: &str,
        name: &str,
        reader: impl Read,
        member: Member,
    ) -> Outcome {
        let cap = Cap::new(self.limits, self.budget, member.packed, member.charged);
        if let Some(declared) = member.declared
            && declared > cap.bytes
        {
            return self.refuse(name, cap, Some(declared));
        }
        let got = read_capped(reader, cap.bytes, member.declared.unwrap_or(0));
        if member.charged {
            self.budget.charge(got.bytes.len() as u64);
        }
        if got.over {
            return self.refuse(name, cap, None);
        }
        let got_len = got.bytes.len() as u64;
        let damage = match (got.error, member.declared) {
            (Some(e), _) => Some(format!("corrupt {label}: {e}")),
            (None, Some(declared)) if got_len < declared => Some(format!(
                "{label} truncated: {got_len} of {declared} bytes present"
            )),
            _ => None,
        };
        let location = self.at.member(name);
        match damage {
            Some(reason) => {
                let item = if member.whole { self.at } else { &location };
                self.errors
                    .push(ItemError::new(item, ItemErrorKind::Corrupt, reason));
                if !got.bytes.is_empty() {
                    self.call_visit(location, got.bytes);
                }
                Outcome::Damaged
            }
            None => {
                self.call_visit(location, got.bytes);
                Outcome::Visited
            }
        }
    }

    fn call_visit(&mut self, location: Location, bytes: Vec<u8>) {
        self.in_visit = true;
        (self.visit)(location, bytes);
        self.in_visit = false;
    }

    /// Records why `name` was left out under `cap`; `declared` is set when
    /// the refusal comes from the declared size, before any reading.
    fn refuse(&mut self, name: &str, cap: Cap, declared: Option<u64>) -> Outcome {
        let total = human(self.budget.total());
        let (reason, outcome) = match (cap.bound, declared) {
            (Bound::MemberSize, Some(size)) => (
                format!(
                    "member `{name}` claims {}, over the {} member size limit",
                    human(size),
                    human(cap.bytes)
                ),
                Outcome::Refused,
            ),
            (Bound::MemberSize, None) => (
                format!(
                    "member `{name}` expands past the {} member size limit",
                    human(cap.bytes)
                ),
                Outcome::Refused,
            ),
            (Bound::Ratio { packed }, size) => {
                let expanded = match size {
                    Some(size) => format!("{} claimed", human(size)),
                    None => format!("more than {} expanded", human(cap.bytes)),
                };
                (
                    format!(
                        "member `{name}` expands past the {}:1 ratio limit ({} compressed, {expanded})",
                        self.limits.max_ratio,
                        human(packed)
                    ),
                    Outcome::Refused,
                )
            }
            (Bound::Budget, Some(size)) if self.budget.remaining() > 0 => (
                format!(
                    "member `{name}` claims {}, more than the {} left of the {total} expansion budget",
                    human(size),
                    human(self.budget.remaining())
                ),
                Outcome::Refused,
            ),
            (Bound::Budget, _) => (
                format!("expansion budget of {total} used up"),
                Outcome::Spent,
            ),
        };
        self.member_error(name, ItemErrorKind::Limit, reason);
        outcome
    }
}

#[cfg(test)]
mod testutil;

#[cfg(test)]
mod tests;
