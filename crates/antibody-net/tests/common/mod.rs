//! Shared helpers for the protocol decoder tests: a sink that keeps
//! records and anomalies, and drivers that feed a scripted conversation
//! whole or split into small pieces.
#![allow(dead_code)]

use antibody_net::model::{Anomaly, Direction, FlowKey, NetRecord, RecordSink, proto};
use antibody_net::proto::{Ctx, Interest, StreamDecoder};
use std::net::{IpAddr, Ipv4Addr};

#[derive(Default, Debug)]
pub struct Sink {
    pub records: Vec<NetRecord>,
    pub anomalies: Vec<Anomaly>,
}

impl RecordSink for Sink {
    fn record(&mut self, record: NetRecord) {
        self.records.push(record);
    }
    fn anomaly(&mut self, anomaly: Anomaly) {
        self.anomalies.push(anomaly);
    }
}

impl Sink {
    pub fn codes(&self) -> Vec<&'static str> {
        self.anomalies.iter().map(|a| a.code).collect()
    }
}

pub fn flow(server_port: u16) -> FlowKey {
    FlowKey {
        proto: proto::TCP,
        client_ip: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10)),
        client_port: 49152,
        server_ip: IpAddr::V4(Ipv4Addr::new(198, 51, 100, 20)),
        server_port,
    }
}

pub fn ctx(frame: u64) -> Ctx {
    Ctx {
        flow: flow(443),
        ts: 1_700_000_000_000_000 + frame as i64,
        frame,
    }
}

/// Feeds each `(direction, bytes)` step as one packet (frame = step + 1),
/// in pieces of at most `piece` bytes; stops at `Done`. Returns the sink
/// and the last interest.
pub fn run(
    dec: &mut dyn StreamDecoder,
    script: &[(Direction, Vec<u8>)],
    piece: usize,
) -> (Sink, Interest) {
    let mut sink = Sink::default();
    let mut last = Interest::More;
    'outer: for (i, (dir, bytes)) in script.iter().enumerate() {
        let c = ctx(i as u64 + 1);
        for chunk in bytes.chunks(piece.max(1)) {
            last = dec.data(*dir, chunk, &c, &mut sink);
            if last == Interest::Done {
                break 'outer;
            }
        }
    }
    dec.end(&ctx(script.len() as u64 + 1), &mut sink);
    (sink, last)
}

/// Runs the script whole and byte by byte with fresh decoders and checks
/// that both give the same records; returns the whole-feed result.
pub fn run_both(
    mk: impl Fn() -> Box<dyn StreamDecoder>,
    script: &[(Direction, Vec<u8>)],
) -> (Sink, Interest) {
    let whole = run(mk().as_mut(), script, usize::MAX);
    let bytes = run(mk().as_mut(), script, 1);
    assert_eq!(
        whole.0.records, bytes.0.records,
        "byte-by-byte feeding differs"
    );
    assert_eq!(whole.0.codes(), bytes.0.codes());
    whole
}
