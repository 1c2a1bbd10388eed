//! Core model of antibody: findings, evidence, severities, observables,
//! item errors, triage of items by content, packs, and the [`Engine`]
//! trait that hunting engines implement.
//!
//! This crate does no heavy I/O; engines depend on it and never on each
//! other.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod engine;
pub mod error;
pub mod evidence;
pub mod finding;
pub mod observable;
pub mod pack;
pub mod severity;
pub mod summary;
pub mod triage;

pub use engine::{Engine, Item, Sink, VecSink};
pub use error::{ItemError, ItemErrorKind};
pub use evidence::{Location, Match, cut, printable_excerpt};
pub use finding::{EventRef, FileInfo, Finding, RuleRef};
pub use observable::Observable;
pub use severity::{Confidence, Severity};
pub use summary::{NotHunted, PackInfo, Summary};
pub use triage::{Kind, sniff};
