//! Advisory intelligence: turns advisories (text, HTML, Markdown, PDF, DOCX)
//! and shared intelligence (STIX 2.1, MISP, CISA KEV, CSV, plain lists) into
//! indicators, entities and techniques, and those into a pack that every
//! engine hunts with.
//!
//! - [`model`]: what every part produces and consumes ([`Ioc`], [`Entity`],
//!   [`Technique`], [`Intel`]).
//! - [`extract`]: indicators from prose, with refanging and false-positive
//!   control.
//! - [`doc`]: readers that turn documents into text.
//! - [`attack`], [`entities`]: the ATT&CK table shipped with the binary,
//!   entity and technique recognition.
//! - [`cluster`]: near-duplicate reports (MinHash with LSH).
//! - [`formats`]: STIX 2.1, MISP, KEV, CSV and list import; STIX, MISP and
//!   CSV export.
//! - [`ingest`]: documents read into an [`Intel`] set.
//! - [`packout`]: an [`Intel`] set written as a pack with a readable
//!   summary.

#![deny(missing_docs)]

pub mod attack;
pub mod cluster;
pub mod doc;
pub mod entities;
pub mod extract;
pub mod formats;
pub mod ingest;
pub mod model;
pub mod packout;
mod summary;

pub use model::{
    Entity, EntityKind, Flag, Intel, Ioc, IocKind, Item, Problem, SourceDoc, Technique,
};
