#![no_main]
// HTTP/1.x: arbitrary bytes cut into segments
// (first byte of each: bit 0 the direction, the rest the length) fed to the
// HTTP decoder (pipelined requests, chunked bodies, hostile headers).
use antibody_net::model::{Anomaly, Direction, FlowKey, NetRecord, RecordSink};
use antibody_net::proto::{AppProto, Ctx, Interest, new_decoder};
use std::net::{IpAddr, Ipv4Addr};

struct Count(usize);
impl RecordSink for Count {
    fn record(&mut self, _: NetRecord) {
        self.0 += 1;
    }
    fn anomaly(&mut self, _: Anomaly) {}
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let flow = FlowKey { proto: 6, client_ip: ip, client_port: 1, server_ip: ip, server_port: 80 };
    for proto in [AppProto::Http] {
        let mut dec = new_decoder(proto);
        let mut out = Count(0);
        let mut rest = data;
        let mut frame = 1;
        while let Some((&head, tail)) = rest.split_first() {
            let n = ((head >> 1) as usize).min(tail.len());
            let dir = if head & 1 == 0 { Direction::ToServer } else { Direction::ToClient };
            let ctx = Ctx { flow, ts: frame as i64, frame };
            if dec.data(dir, &tail[..n], &ctx, &mut out) == Interest::Done {
                break;
            }
            rest = &tail[n..];
            frame += 1;
        }
        dec.end(&Ctx { flow, ts: 0, frame }, &mut out);
        // At most one record per request line, and a request line takes bytes.
        assert!(out.0 <= data.len());
    }
});
