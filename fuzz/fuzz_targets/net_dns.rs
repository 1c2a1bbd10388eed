#![no_main]
// DNS: any bytes as one UDP message, and the same bytes cut into segments
// (first byte of each: bit 0 the direction, the rest the length) through
// the length-prefixed TCP decoder.
use antibody_net::model::{Direction, FlowKey, NetRecord, RecordSink};
use antibody_net::proto::dns::{DnsTcpDecoder, MAX_RECORDS, parse_message};
use antibody_net::proto::{Ctx, Interest, StreamDecoder};
use std::net::{IpAddr, Ipv4Addr};

struct Check;
impl RecordSink for Check {
    fn record(&mut self, r: NetRecord) {
        if let NetRecord::Dns(d) = r {
            assert!(d.answers.len() <= MAX_RECORDS);
        }
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let flow = FlowKey { proto: 17, client_ip: ip, client_port: 1, server_ip: ip, server_port: 53 };
    let ctx = Ctx { flow, ts: 0, frame: 1 };
    if let Ok(rec) = parse_message(data, &ctx) {
        assert!(rec.answers.len() <= MAX_RECORDS);
        for a in &rec.answers {
            assert!(a.name.len() <= 4 * 255);
        }
    }
    let mut dec = DnsTcpDecoder::new();
    let mut rest = data;
    while let Some((&head, tail)) = rest.split_first() {
        let n = ((head >> 1) as usize).min(tail.len());
        let dir = if head & 1 == 0 { Direction::ToServer } else { Direction::ToClient };
        if dec.data(dir, &tail[..n], &ctx, &mut Check) == Interest::Done {
            break;
        }
        rest = &tail[n..];
    }
    dec.end(&ctx, &mut Check);
});
