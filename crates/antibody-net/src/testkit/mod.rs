//! Builders for synthetic, harmless test traffic: a pcap/pcapng writer and
//! packet/session builders ([`pcap`]), TLS and DNS message builders
//! ([`msg`]). Used by this crate's tests, the CLI tests and the example
//! and benchmark generators. Addresses are from documentation ranges.

pub mod msg;
pub mod pcap;
pub mod scenario;
