//! Log hunting for antibody: Sigma rules (parse → compile → evaluate,
//! filters, collections, correlations) over EVTX, JSON lines, web/proxy/VPN
//! access logs and syslog, with field mappings between them.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod engine;
pub mod event;
pub mod mapping;
pub mod prefilter;
pub mod read;
pub mod sigma;

pub use engine::{LoadReport, LogOptions, LogsEngine, LogsEngineBuilder};
pub use event::{Event, FieldValue, Format, LogSource, Position};
