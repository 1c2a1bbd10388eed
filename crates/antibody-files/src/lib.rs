//! The files engine of antibody: a parallel walk of everything given,
//! content triage, digests (only those the packs need, in one pass),
//! file-name and path indicators, YARA-X rules compiled once with one
//! scanner per worker, archives opened in memory within limits, and Linux
//! process memory.

#![deny(missing_docs)]

pub mod hash;
mod hunter;
pub mod mmap;
pub mod process;
pub mod rules;
mod scan;
pub mod walk;

pub use antibody_archive::Limits as ArchiveLimits;
pub use hunter::{DEFAULT_MAX_FILE_SIZE, FileHunter, HuntOptions, NoProgress, Progress};
pub use rules::{RuleInfo, RuleProblem, RuleSet};
