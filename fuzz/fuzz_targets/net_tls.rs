#![no_main]
// TLS (and SMTP, which embeds it): arbitrary bytes cut into segments
// (first byte of each: bit 0 the direction, the rest the length) fed to the
// stream decoders; the same bytes as one certificate to the X.509 summary.
use antibody_net::model::{Anomaly, Direction, FlowKey, NetRecord, RecordSink};
use antibody_net::proto::{AppProto, Ctx, Interest, cert, new_decoder};
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
    let flow = FlowKey { proto: 6, client_ip: ip, client_port: 1, server_ip: ip, server_port: 443 };
    for proto in [AppProto::Tls, AppProto::Smtp] {
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
        // TLS emits at most one record; SMTP one of its own plus one TLS.
        assert!(out.0 <= 2);
    }
    let info = cert::parse(data);
    assert_eq!(info.sha256.len(), 64);
});
