#![no_main]
// Any bytes as a capture (pcap or pcapng) through reading, decoding,
// fragment and TCP reassembly and the flow table, with small limits so
// eviction and the out-of-order caps are exercised.
use antibody_net::capture::CaptureReader;
use antibody_net::flow::{FlowHandler, FlowLimits, FlowTable};
use antibody_net::model::{ConnRecord, Direction};
use antibody_net::proto::{Ctx, Interest};

struct Nop;

impl FlowHandler<()> for Nop {
    fn stream(&mut self, _: &mut (), _: &Ctx, _: Direction, data: &[u8]) -> Interest {
        assert!(!data.is_empty());
        Interest::More
    }
    fn gap(&mut self, _: &mut (), _: &Ctx, _: Direction, len: u64) -> Interest {
        assert!(len > 0);
        Interest::More
    }
    fn datagram(&mut self, _: &mut (), _: &Ctx, _: Direction, _: &[u8]) {}
    fn closed(&mut self, _: &mut (), _: &Ctx, summary: &ConnRecord) {
        assert!(summary.meta.evidence.frames.len() <= 16);
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(reader) = CaptureReader::new(data) else {
        return;
    };
    let limits = FlowLimits::default()
        .max_flows(8)
        .ooo_per_direction(512)
        .ooo_total(2048);
    let mut table = FlowTable::<()>::new(limits);
    let mut last = 0;
    for item in reader {
        let Ok(frame) = item else { continue };
        assert!(frame.number > last);
        last = frame.number;
        assert!(frame.data.len() <= data.len());
        table.frame(&frame, &mut Nop);
        assert!(table.len() <= 8);
        assert!(table.buffered() <= 2048);
    }
    table.finish(&mut Nop);
    assert!(table.is_empty());
    assert_eq!(table.buffered(), 0);
});
