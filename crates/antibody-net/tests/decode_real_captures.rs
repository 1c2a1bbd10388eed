//! Real captures (suricata-verify's test pcaps, kept beside the repository
//! in `shared/data/pcap`) through capture reading, decoding and the flow
//! table. Skipped, with a message, when the directory is absent.

use antibody_net::capture::CaptureReader;
use antibody_net::flow::{FlowHandler, FlowLimits, FlowStats, FlowTable};
use antibody_net::model::{ConnRecord, Direction};
use antibody_net::packet::DecodeErrorKind;
use antibody_net::proto::{Ctx, Interest};
use std::path::{Path, PathBuf};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/pcap")
}

fn captures(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            captures(&p, out);
        } else if p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.contains(".pcap"))
        {
            out.push(p);
        }
    }
}

#[derive(Default)]
struct Tally {
    conns: u64,
    stream_bytes: u64,
    gaps: u64,
}

impl FlowHandler<()> for Tally {
    fn stream(&mut self, _: &mut (), _: &Ctx, _: Direction, data: &[u8]) -> Interest {
        self.stream_bytes += data.len() as u64;
        Interest::More
    }
    fn gap(&mut self, _: &mut (), _: &Ctx, _: Direction, _: u64) -> Interest {
        self.gaps += 1;
        Interest::More
    }
    fn datagram(&mut self, _: &mut (), _: &Ctx, _: Direction, _: &[u8]) {}
    fn closed(&mut self, _: &mut (), _: &Ctx, _: &ConnRecord) {
        self.conns += 1;
    }
}

/// Frames read, capture errors, flow stats, handler tally.
fn analyse(path: &Path) -> (u64, u64, FlowStats, Tally) {
    let data = std::fs::read(path).unwrap();
    let mut table = FlowTable::<()>::new(FlowLimits::default());
    let mut tally = Tally::default();
    let (mut frames, mut errors) = (0, 0);
    let Ok(reader) = CaptureReader::new(&data) else {
        return (0, 1, table.stats(), tally);
    };
    for item in reader {
        match item {
            Ok(f) => {
                frames += 1;
                assert_eq!(f.number, frames);
                table.frame(&f, &mut tally);
            }
            Err(_) => errors += 1,
        }
    }
    table.finish(&mut tally);
    (frames, errors, table.stats(), tally)
}

#[test]
fn every_real_capture_goes_through_without_panic() {
    let dir = data_dir();
    if !dir.is_dir() {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    }
    let mut files = Vec::new();
    captures(&dir, &mut files);
    files.sort();
    assert!(
        files.len() > 100,
        "only {} captures under {}",
        files.len(),
        dir.display()
    );
    let (mut frames, mut errors, mut ip, mut not_ip, mut conns, mut bytes) = (0, 0, 0, 0, 0, 0);
    for f in &files {
        let (n, e, st, tally) = analyse(f);
        frames += n;
        errors += e;
        ip += st.packets + st.fragments.fragments;
        not_ip += st.decode_errors(DecodeErrorKind::NotIp);
        conns += tally.conns;
        bytes += tally.stream_bytes;
        assert_eq!(st.frames, n);
        assert_eq!(tally.conns, st.flows, "{}", f.display());
    }
    eprintln!(
        "{} captures, {frames} frames, {errors} errors, {ip} IP, {not_ip} not IP, {conns} flows, {bytes} stream bytes",
        files.len()
    );
    // Nearly every frame in these captures is IP (a few test ARP, PPP, ...).
    assert!(
        ip * 100 > frames * 90,
        "{ip} of {frames} frames decoded to IP"
    );
    // Three of these files are damaged on purpose (Wireshark stops on
    // them too: a record "bigger than maximum of 262144").
    assert_eq!(errors, 3);
    assert!(conns > 300, "{conns} flows");
    assert!(bytes > 500_000, "{bytes} stream bytes");
}

/// Frame counts as `capinfos -c` (Wireshark 4.0) reports them, and TCP
/// conversations as `tshark -q -z conv,tcp` lists them, run once by hand.
#[test]
fn known_captures_have_the_frame_counts_wireshark_reports() {
    let dir = data_dir().join("suricata-verify");
    if !dir.is_dir() {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    }
    for (file, expected_frames, expected_tcp_flows) in KNOWN {
        let (frames, errors, _, tally) = analyse_tcp(&dir.join(file));
        assert_eq!((frames, errors), (*expected_frames, 0), "{file}");
        assert_eq!(tally, *expected_tcp_flows, "{file}");
    }
    // capinfos: "An error occurred after reading N packets ... File has
    // M-byte packet, bigger than maximum of 262144".
    for (file, frames_before_error) in DAMAGED {
        let (frames, errors, _, _) = analyse(&dir.join(file));
        assert_eq!((frames, errors), (*frames_before_error, 1), "{file}");
    }
}

/// Like [`analyse`], counting TCP flows.
fn analyse_tcp(path: &Path) -> (u64, u64, FlowStats, u64) {
    struct Tcp(u64);
    impl FlowHandler<()> for Tcp {
        fn stream(&mut self, _: &mut (), _: &Ctx, _: Direction, _: &[u8]) -> Interest {
            Interest::More
        }
        fn gap(&mut self, _: &mut (), _: &Ctx, _: Direction, _: u64) -> Interest {
            Interest::More
        }
        fn datagram(&mut self, _: &mut (), _: &Ctx, _: Direction, _: &[u8]) {}
        fn closed(&mut self, _: &mut (), _: &Ctx, rec: &ConnRecord) {
            self.0 += u64::from(rec.meta.flow.proto == 6);
        }
    }
    let data = std::fs::read(path).unwrap();
    let mut table = FlowTable::<()>::new(FlowLimits::default());
    let mut h = Tcp(0);
    let (mut frames, mut errors) = (0, 0);
    for item in CaptureReader::new(&data).unwrap() {
        match item {
            Ok(f) => {
                frames += 1;
                table.frame(&f, &mut h);
            }
            Err(_) => errors += 1,
        }
    }
    table.finish(&mut h);
    (frames, errors, table.stats(), h.0)
}

/// (path under suricata-verify, frames, TCP conversations).
const KNOWN: &[(&str, u64, u64)] = &[
    (
        "smtp-data-rejected/10.7.29.101_49898-178.63.41.150_25.pcap",
        199,
        1,
    ),
    ("dns-over-http2-limit/input.pcap", 50, 1),
    ("tls__tls13-draft19/tls13_draft19.pcap", 49, 3),
    (
        "defrag__bug-6942-6887-defrag-eth-ip-gre-ppp-ip-udp-data/eth-ip-gre-ppp-max-ip-packet.pcap",
        1024,
        0,
    ),
];

/// (path under suricata-verify, frames read before the damaged record).
const DAMAGED: &[(&str, u64)] = &[
    ("bug-1450-04/tls_DER-incomplete-header.pcap", 6),
    ("smtp-to-comma/10.7.29.101_49898-178.63.41.150_25.pcap", 18),
];
