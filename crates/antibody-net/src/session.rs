//! From frames to records: runs a capture through the flow table and hands
//! each flow's bytes to the decoder its first bytes call for.
//!
//! A flow gets a decoder from [`proto::sniff`] on the first bytes of either
//! direction. A flow no decoder recognises after [`SNIFF_LIMIT`] bytes each
//! way is left alone (counted, not reassembled further). UDP datagrams to or
//! from port 53 (and 5353, 5355) are parsed as DNS messages.

use crate::capture::{CaptureError, CaptureFormat, CaptureReader};
use crate::flow::{FlowHandler, FlowLimits, FlowStats, FlowTable};
use crate::model::{Anomaly, ConnRecord, Direction, NetRecord, RecordSink, proto as ipproto};
use crate::proto::{self, AppProto, Ctx, Interest, StreamDecoder};

/// Bytes of each direction looked at to recognise a protocol.
pub const SNIFF_LIMIT: u64 = 4096;

/// Most DNS parse errors reported as anomalies per capture (the rest counted).
const MAX_DNS_ANOMALIES: u64 = 100;

/// Per-flow state kept in the flow table.
#[derive(Default)]
pub struct FlowState {
    decoder: Option<Box<dyn StreamDecoder + Send>>,
    app: Option<AppProto>,
    unknown_bytes: [u32; 2],
    given_up: bool,
}

impl std::fmt::Debug for FlowState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowState")
            .field("app", &self.app)
            .field("given_up", &self.given_up)
            .finish()
    }
}

/// What a capture held, beyond its records.
#[derive(Debug, Clone, Default)]
pub struct CaptureStats {
    /// pcap or pcapng.
    pub format: Option<CaptureFormat>,
    /// Flow table counts (frames, bytes, flows, evictions, decode errors...).
    pub flows: FlowStats,
    /// Records emitted, by kind: conn, http, tls, dns, smtp.
    pub records: [u64; 5],
    /// DNS datagrams that did not parse.
    pub dns_errors: u64,
    /// Errors of the capture file itself (truncation, bad blocks), in order.
    pub errors: Vec<CaptureError>,
}

struct Handler<'o> {
    out: &'o mut dyn RecordSink,
    records: [u64; 5],
    dns_errors: u64,
}

impl Handler<'_> {
    fn emit(&mut self, r: NetRecord) {
        let i = match &r {
            NetRecord::Conn(_) => 0,
            NetRecord::Http(_) => 1,
            NetRecord::Tls(_) => 2,
            NetRecord::Dns(_) => 3,
            NetRecord::Smtp(_) => 4,
        };
        self.records[i] += 1;
        self.out.record(r);
    }
}

/// Counts records on their way to the real sink.
struct Counting<'a, 'o> {
    h: &'a mut Handler<'o>,
}

impl RecordSink for Counting<'_, '_> {
    fn record(&mut self, record: NetRecord) {
        self.h.emit(record);
    }
    fn anomaly(&mut self, anomaly: Anomaly) {
        self.h.out.anomaly(anomaly);
    }
}

fn dir_index(dir: Direction) -> usize {
    match dir {
        Direction::ToServer => 0,
        Direction::ToClient => 1,
    }
}

impl FlowHandler<FlowState> for Handler<'_> {
    fn stream(&mut self, st: &mut FlowState, ctx: &Ctx, dir: Direction, data: &[u8]) -> Interest {
        if st.given_up {
            return Interest::Done;
        }
        if st.decoder.is_none() {
            if data.is_empty() {
                return Interest::More;
            }
            match proto::sniff(data, dir, ctx.flow.server_port) {
                Some(app) => {
                    st.app = Some(app);
                    st.decoder = Some(proto::new_decoder(app));
                }
                None => {
                    let d = dir_index(dir);
                    let add = u32::try_from(data.len()).unwrap_or(u32::MAX);
                    st.unknown_bytes[d] = st.unknown_bytes[d].saturating_add(add);
                    if st
                        .unknown_bytes
                        .iter()
                        .all(|&n| u64::from(n) >= SNIFF_LIMIT)
                        || u64::from(st.unknown_bytes[d]) >= 4 * SNIFF_LIMIT
                    {
                        st.given_up = true;
                        return Interest::Done;
                    }
                    return Interest::More;
                }
            }
        }
        let Some(dec) = st.decoder.as_mut() else {
            return Interest::Done;
        };
        dec.data(dir, data, ctx, &mut Counting { h: self })
    }

    fn gap(&mut self, st: &mut FlowState, ctx: &Ctx, dir: Direction, len: u64) -> Interest {
        match st.decoder.as_mut() {
            Some(dec) => dec.gap(dir, len, ctx, &mut Counting { h: self }),
            None => {
                st.given_up = true;
                Interest::Done
            }
        }
    }

    fn datagram(&mut self, _st: &mut FlowState, ctx: &Ctx, _dir: Direction, payload: &[u8]) {
        if ctx.flow.proto != ipproto::UDP {
            return;
        }
        let dns_port = |p: u16| matches!(p, 53 | 5353 | 5355);
        if !(dns_port(ctx.flow.server_port) || dns_port(ctx.flow.client_port)) {
            return;
        }
        match proto::dns::parse_message(payload, ctx) {
            Ok(rec) => self.emit(NetRecord::Dns(rec)),
            Err(e) => {
                self.dns_errors += 1;
                if self.dns_errors <= MAX_DNS_ANOMALIES {
                    self.out.anomaly(Anomaly {
                        frame: Some(ctx.frame),
                        flow: Some(ctx.flow),
                        code: e.code(),
                        detail: e.to_string(),
                    });
                }
            }
        }
    }

    fn closed(&mut self, st: &mut FlowState, ctx: &Ctx, summary: &ConnRecord) {
        if let Some(mut dec) = st.decoder.take() {
            dec.end(ctx, &mut Counting { h: self });
        }
        let mut conn = summary.clone();
        if conn.service.is_none() {
            conn.service = st.app.map(|a| a.name().to_string());
        }
        self.emit(NetRecord::Conn(conn));
    }

    fn anomaly(&mut self, anomaly: Anomaly) {
        self.out.anomaly(anomaly);
    }
}

/// How much of a capture is read before the pages behind it are handed
/// back to the kernel.
const RELEASE_EVERY: usize = 32 << 20;

/// Tells the kernel that the capture's bytes in `from..to` (already read)
/// are not needed again, so that a memory-mapped capture does not stay
/// resident as it is read: peak memory is then what the flow table and
/// decoders hold, not the size of the file.
///
/// `MADV_PAGEOUT` is only advice: the bytes stay valid and readable (a
/// file-backed page is read again from the file, an anonymous one swapped
/// in), so it is sound on any slice; where the kernel does not know it
/// (before Linux 5.4) the call fails and nothing happens.
#[cfg(target_os = "linux")]
fn release_read_pages(data: &[u8], from: usize, to: usize) {
    const PAGE: usize = 4096;
    let base = data.as_ptr() as usize;
    let start = (base + from).div_ceil(PAGE) * PAGE;
    let end = (base + to.min(data.len())) / PAGE * PAGE;
    if end <= start {
        return;
    }
    // SAFETY: the range lies inside `data` (page-aligned inward) and
    // MADV_PAGEOUT does not change the contents a reader sees.
    unsafe {
        libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_PAGEOUT);
    }
}

#[cfg(not(target_os = "linux"))]
fn release_read_pages(_data: &[u8], _from: usize, _to: usize) {}

/// Options of a capture run.
#[derive(Debug, Clone, Copy, Default)]
pub struct SessionOptions {
    /// Flow table bounds.
    pub limits: FlowLimits,
}

/// Reads a whole capture (pcap or pcapng, already in memory or mapped) and
/// emits its records to `out`. Errors of the file itself are collected in
/// the stats; frames after a recoverable error are still read.
pub fn run_capture(
    data: &[u8],
    options: &SessionOptions,
    out: &mut dyn RecordSink,
) -> Result<CaptureStats, CaptureError> {
    let mut reader = CaptureReader::new(data)?;
    let format = reader.format();
    let mut table: FlowTable<FlowState> = FlowTable::new(options.limits);
    let mut h = Handler {
        out,
        records: [0; 5],
        dns_errors: 0,
    };
    let mut errors = Vec::new();
    let mut released = 0usize;
    while let Some(item) = reader.next() {
        match item {
            Ok(frame) => table.frame(&frame, &mut h),
            Err(e) => {
                if errors.len() < 100 {
                    errors.push(e);
                }
            }
        }
        // Nothing keeps a reference into bytes already read (out-of-order
        // data and fragments are copied), so they can go.
        let done = usize::try_from(reader.offset()).unwrap_or(usize::MAX);
        if done.saturating_sub(released) >= RELEASE_EVERY {
            release_read_pages(data, released, done);
            released = done;
        }
    }
    table.finish(&mut h);
    Ok(CaptureStats {
        format: Some(format),
        flows: table.stats(),
        records: h.records,
        dns_errors: h.dns_errors,
        errors,
    })
}
