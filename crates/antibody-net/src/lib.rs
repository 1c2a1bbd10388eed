//! Network hunting for antibody: packet captures (pcap, pcapng) and Zeek
//! logs, decoded into one set of records ([`model`]) that pack-driven
//! detectors read.
//!
//! Pipeline for a capture: [`capture`] reads frames (streamed), [`packet`]
//! decodes link, IP and transport layers (with [`ipfrag`] for fragments),
//! [`flow`] keeps the flow table and [`reasm`] reassembles TCP streams,
//! [`proto`] decodes HTTP, TLS, DNS and SMTP from them and [`fingerprint`]
//! computes JA3/JA3S/JA4/JA4S. [`zeek`] turns Zeek logs into the same
//! records. [`beacon`] and [`dnstunnel`] score what spans many records.

pub mod beacon;
pub mod capture;
pub mod detect;
pub mod dnstunnel;
pub mod engine;
pub mod fields;
pub mod fingerprint;
pub mod flow;
pub mod flows;
pub mod ipfrag;
pub mod model;
pub mod packet;
pub mod proto;
pub mod reasm;
pub mod rules;
pub mod session;
pub mod testkit;
pub mod zeek;

pub use engine::{NetCounters, NetEngine, NetEngineBuilder};
