//! Writes a large synthetic pcapng for `scripts/bench-net`, streamed to
//! disk (nothing but the conversations in progress is held in memory) and
//! the same bytes for the same arguments.
//!
//! ```text
//! cargo run --release -p antibody-net --example gen_bench_capture -- OUT.pcapng --size 1G [--seed S]
//! cargo run --release -p antibody-net --example gen_bench_capture -- OUT.pcapng --flows 1000000 [--seed S]
//! ```
//!
//! `--size` (mixed mode, the default, 1G): conversations are started until
//! the file holds SIZE bytes (K, M, G suffixes are powers of 1024), then
//! the ones in progress are finished, about 48 at a time interleaved
//! packet by packet over about an hour of capture time:
//!
//! - DNS over UDP to two internal resolvers: A, AAAA (sometimes both in
//!   one flow), TXT; CNAME chains, NXDOMAIN; the sites' names and many
//!   one-off names under them;
//! - HTTP/1.1 on port 80: GET and POST with browser headers and cookies,
//!   mostly one request per connection (up to 6), bodies from a few
//!   hundred bytes to megabytes (about 2% of responses are downloads of
//!   300 KB–4 MB, which hold about half the bytes);
//! - TLS on 443: ClientHello with SNI and ALPN from four client profiles,
//!   ServerHello, one certificate (a self-signed Ed25519 certificate made
//!   once from the seed), then application-data records in request and
//!   response rounds as for HTTP, responses of the same size mix;
//! - SMTP with STARTTLS from the mail relay to outside servers;
//! - 6 WellMess-style HTTP POSTs (cookies in WellMess's encoding, the
//!   first with its message markers) from 10.0.77.23 to the July 2020
//!   advisory's C2 address 103.216.221.19, spread through the file.
//!
//! Clients are about 4,000 hosts in 10.0.0.0/16 (some with IPv6
//! 2001:db8:10::/64 addresses); servers are in the documentation ranges
//! 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8:53::/48 and in
//! 10.0.250.0/23; names are under example.com/.net/.org and .test. Most
//! bytes are in bulk TLS records and HTTP bodies.
//!
//! `--flows N`: N short conversations instead (TCP to ports 80, 443, 22,
//! 8080, 3389, 445: refused, handshake and reset, or handshake, one
//! request and response (HTTP GET, TLS ClientHello and ServerHello with
//! the certificate, opaque bytes) and reset or close; UDP: DNS, NTP,
//! syslog; 1–8 packets each, 4 on average), about 4,000 open at a time,
//! over ten minutes of capture time, for measuring memory with many flows.
//!
//! A summary (JSON) goes to standard output: bytes, packets, flows and
//! what was planted.

use antibody_net::capture::LinkType;
use antibody_net::model::{Direction, Micros};
use antibody_net::packet::tcp_flags;
use antibody_net::testkit::msg::{self, ClientHelloSpec, DnsData, ServerHelloSpec};
use antibody_net::testkit::pcap::{PcapngWriter, tcp_frame, udp_frame};
use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::ExitCode;

/// 2024-03-04T09:00:00Z.
const START: Micros = 1_709_542_800_000_000;
const SECOND: Micros = 1_000_000;
const C2: Ipv4Addr = Ipv4Addr::new(103, 216, 221, 19);
const WELLMESS_CLIENT: Ipv4Addr = Ipv4Addr::new(10, 0, 77, 23);
const WELLMESS_POSTS: u64 = 6;

/// splitmix64: small, fast, the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
    /// Log-uniform between `lo` and `hi`: as many 1–10 KB bodies as
    /// 10–100 KB ones.
    fn log_size(&mut self, lo: f64, hi: f64) -> usize {
        (lo * (hi / lo).powf(self.unit())) as usize
    }
    fn word(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len).map(|_| *self.pick(alphabet) as char).collect()
    }
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const B64ISH: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:,.";
const HEX: &[u8] = b"0123456789abcdef";
const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz";

const WORDS: &[&str] = &[
    "alpha", "amber", "anchor", "apex", "arbor", "atlas", "aurora", "beacon", "birch", "blue",
    "bolt", "bright", "brook", "cedar", "cinder", "cloud", "cobalt", "comet", "coral", "crest",
    "delta", "drift", "eagle", "echo", "ember", "falcon", "fern", "flint", "forge", "frost",
    "garnet", "glade", "granite", "harbor", "hazel", "horizon", "indigo", "iris", "jade",
    "juniper", "kestrel", "lagoon", "lark", "lumen", "maple", "meadow", "mesa", "nimbus", "north",
    "oak", "onyx", "orbit", "pebble", "pine", "pixel", "prairie", "quartz", "quill", "raven",
    "ridge", "river", "sable", "sage", "silver", "slate", "solar", "spruce", "summit", "thistle",
    "tidal", "topaz", "tundra", "umber", "valley", "vertex", "willow", "zephyr",
];
const SUBS: &[&str] = &[
    "www",
    "www",
    "www",
    "cdn",
    "api",
    "static",
    "img",
    "login",
    "news",
    "shop",
    "media",
    "assets",
    "edge",
    "updates",
    "telemetry",
    "docs",
    "m",
    "app",
    "video",
    "dl",
];
const TLDS: &[&str] = &["example.com", "example.net", "example.org", "test"];
const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36",
    "Microsoft-CryptoAPI/10.0",
    "Windows-Update-Agent/10.0.10011.16384 Client-Protocol/2.50",
    "curl/7.88.1",
    "python-requests/2.31.0",
];
const TEXT_TYPES: &[&str] = &[
    "text/html; charset=utf-8",
    "application/json",
    "text/css",
    "application/javascript",
    "text/plain",
];
const MEDIUM_TYPES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "application/javascript",
    "font/woff2",
    "text/html; charset=utf-8",
];
const BULK_TYPES: &[&str] = &[
    "application/octet-stream",
    "application/zip",
    "video/mp4",
    "application/vnd.microsoft.portable-executable",
    "application/x-debian-package",
];
const PATHS: &[&str] = &[
    "/",
    "/index.html",
    "/news/",
    "/api/v2/items",
    "/static/app.js",
    "/static/site.css",
    "/img/logo.png",
    "/search",
    "/account",
    "/feed.xml",
    "/assets/font.woff2",
    "/cart",
    "/downloads/",
    "/v1/events",
    "/update/check",
    "/media/",
    "/docs/guide.html",
];

/// Random bytes (compressed or encrypted content) and HTML-like text
/// bodies are slices of these, taken at random offsets.
struct Pools {
    random: Vec<u8>,
    text: Vec<u8>,
}

impl Pools {
    fn new(rng: &mut Rng) -> Pools {
        let mut random = Vec::with_capacity(8 << 20);
        while random.len() < 8 << 20 {
            random.extend_from_slice(&rng.next().to_le_bytes());
        }
        let mut text = Vec::with_capacity(2 << 20);
        while text.len() < 2 << 20 {
            text.extend_from_slice(b"<div class=\"item\"><p>");
            for _ in 0..rng.range(8, 40) {
                text.extend_from_slice(rng.pick(WORDS).as_bytes());
                text.push(b' ');
            }
            text.extend_from_slice(b"</p></div>\n");
        }
        Pools { random, text }
    }
    fn copy(&self, text: bool, start: usize, mut n: usize, out: &mut Vec<u8>) {
        let pool = if text { &self.text } else { &self.random };
        let mut at = start % pool.len();
        while n > 0 {
            let take = n.min(pool.len() - at);
            out.extend_from_slice(&pool[at..at + take]);
            n -= take;
            at = 0;
        }
    }
}

/// TLS application-data records of 16,401 bytes (16 KiB and a tag).
const TLS_REC: usize = 16_401;

/// What follows a message's fixed head, made on the fly from the pools.
#[derive(Clone, Copy)]
enum Bulk {
    None,
    /// `len` bytes of the text or random pool from `base`.
    Raw {
        len: usize,
        base: usize,
        text: bool,
    },
    /// Application-data records carrying `payload` random bytes in all.
    Tls {
        payload: usize,
        base: usize,
    },
}

impl Bulk {
    fn len(&self) -> usize {
        match *self {
            Bulk::None => 0,
            Bulk::Raw { len, .. } => len,
            Bulk::Tls { payload, .. } => {
                let (full, rem) = (payload / TLS_REC, payload % TLS_REC);
                full * (TLS_REC + 5) + if rem > 0 { rem + 5 } else { 0 }
            }
        }
    }
    /// Appends bytes `off..off + n` of the bulk part to `out`.
    fn copy(&self, pools: &Pools, mut off: usize, mut n: usize, out: &mut Vec<u8>) {
        match *self {
            Bulk::None => {}
            Bulk::Raw { base, text, .. } => pools.copy(text, base + off, n, out),
            Bulk::Tls { payload, base } => {
                while n > 0 {
                    let (r, o) = (off / (TLS_REC + 5), off % (TLS_REC + 5));
                    let rec_len = (payload - r * TLS_REC).min(TLS_REC);
                    let take = if o < 5 {
                        let h = [23, 3, 3, (rec_len >> 8) as u8, rec_len as u8];
                        let take = n.min(5 - o);
                        out.extend_from_slice(&h[o..o + take]);
                        take
                    } else {
                        let take = n.min(rec_len + 5 - o);
                        pools.copy(false, base + r * TLS_REC + o - 5, take, out);
                        take
                    };
                    off += take;
                    n -= take;
                }
            }
        }
    }
}

/// One message of a conversation: a head built in full, then bulk bytes.
struct Msg {
    dir: Direction,
    head: Vec<u8>,
    bulk: Bulk,
}

impl Msg {
    fn new(dir: Direction, head: Vec<u8>) -> Msg {
        Msg {
            dir,
            head,
            bulk: Bulk::None,
        }
    }
    fn len(&self) -> usize {
        self.head.len() + self.bulk.len()
    }
    fn copy(&self, pools: &Pools, off: usize, n: usize, out: &mut Vec<u8>) {
        let h = self.head.len();
        if off < h {
            let take = n.min(h - off);
            out.extend_from_slice(&self.head[off..off + take]);
            self.bulk.copy(pools, 0, n - take, out);
        } else {
            self.bulk.copy(pools, off - h, n, out);
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Close {
    /// FIN, FIN-ACK, ACK.
    Fin,
    /// A reset from the client.
    Rst,
    /// Nothing (the capture ends or the flow times out).
    None,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum St {
    Syn,
    SynAck,
    Ack,
    Data,
    Fin1,
    Fin2,
    Fin3,
    Done,
}

/// A conversation in progress: emits its next frame on demand.
struct Conv {
    client: SocketAddr,
    server: SocketAddr,
    tcp: bool,
    msgs: VecDeque<Msg>,
    off: usize,
    st: St,
    cseq: u32,
    sseq: u32,
    /// Data segments since the receiver last acknowledged.
    segs: u32,
    /// A pure ACK to send next, from this side.
    ack_due: Option<Direction>,
    /// Pure ACKs every two segments and after each message.
    acks: bool,
    /// The server refuses: SYN answered by RST.
    refused: bool,
    close: Close,
    mss: usize,
}

impl Conv {
    fn tcp(client: SocketAddr, server: SocketAddr, rng: &mut Rng) -> Conv {
        Conv {
            client,
            server,
            tcp: true,
            msgs: VecDeque::new(),
            off: 0,
            st: St::Syn,
            cseq: rng.next() as u32,
            sseq: rng.next() as u32,
            segs: 0,
            ack_due: None,
            acks: true,
            refused: false,
            close: Close::Fin,
            mss: if client.is_ipv6() { 1428 } else { 1448 },
        }
    }
    fn udp(client: SocketAddr, server: SocketAddr) -> Conv {
        Conv {
            client,
            server,
            tcp: false,
            msgs: VecDeque::new(),
            off: 0,
            st: St::Data,
            cseq: 0,
            sseq: 0,
            segs: 0,
            ack_due: None,
            acks: false,
            refused: false,
            close: Close::None,
            mss: 0,
        }
    }
    fn send(&mut self, dir: Direction, head: Vec<u8>) -> &mut Self {
        self.msgs.push_back(Msg::new(dir, head));
        self
    }
    fn send_bulk(&mut self, dir: Direction, head: Vec<u8>, bulk: Bulk) -> &mut Self {
        self.msgs.push_back(Msg { dir, head, bulk });
        self
    }

    fn frame(&self, dir: Direction, flags: u8, payload: &[u8]) -> Vec<u8> {
        let (s, d, seq, ack) = match dir {
            Direction::ToServer => (self.client, self.server, self.cseq, self.sseq),
            Direction::ToClient => (self.server, self.client, self.sseq, self.cseq),
        };
        let ack = if flags & tcp_flags::ACK != 0 { ack } else { 0 };
        tcp_frame(s, d, seq, ack, flags, payload)
    }

    /// The next frame, or `None` when the conversation is over.
    fn next(&mut self, pools: &Pools, buf: &mut Vec<u8>) -> Option<Vec<u8>> {
        use Direction::{ToClient, ToServer};
        if !self.tcp {
            let m = self.msgs.pop_front()?;
            buf.clear();
            m.copy(pools, 0, m.len(), buf);
            let (s, d) = match m.dir {
                ToServer => (self.client, self.server),
                ToClient => (self.server, self.client),
            };
            return Some(udp_frame(s, d, buf));
        }
        let (syn, ack, psh, fin, rst) = (
            tcp_flags::SYN,
            tcp_flags::ACK,
            tcp_flags::PSH,
            tcp_flags::FIN,
            tcp_flags::RST,
        );
        match self.st {
            St::Syn => {
                let f = self.frame(ToServer, syn, b"");
                self.cseq = self.cseq.wrapping_add(1);
                self.st = St::SynAck;
                Some(f)
            }
            St::SynAck if self.refused => {
                self.st = St::Done;
                Some(self.frame(ToClient, rst | ack, b""))
            }
            St::SynAck => {
                let f = self.frame(ToClient, syn | ack, b"");
                self.sseq = self.sseq.wrapping_add(1);
                self.st = St::Ack;
                Some(f)
            }
            St::Ack => {
                self.st = St::Data;
                Some(self.frame(ToServer, ack, b""))
            }
            St::Data => {
                if let Some(from) = self.ack_due.take() {
                    return Some(self.frame(from, ack, b""));
                }
                let Some(m) = self.msgs.front() else {
                    return match self.close {
                        Close::Fin => {
                            self.st = St::Fin1;
                            self.next(pools, buf)
                        }
                        Close::Rst => {
                            self.st = St::Done;
                            Some(self.frame(ToServer, rst | ack, b""))
                        }
                        Close::None => {
                            self.st = St::Done;
                            None
                        }
                    };
                };
                let n = (m.len() - self.off).min(self.mss);
                buf.clear();
                m.copy(pools, self.off, n, buf);
                let dir = m.dir;
                let f = self.frame(dir, ack | psh, buf);
                match dir {
                    ToServer => self.cseq = self.cseq.wrapping_add(n as u32),
                    ToClient => self.sseq = self.sseq.wrapping_add(n as u32),
                }
                self.off += n;
                self.segs += 1;
                let done = self.off >= m.len();
                if done {
                    self.msgs.pop_front();
                    self.off = 0;
                }
                if self.acks && (done || self.segs >= 2) {
                    self.segs = 0;
                    self.ack_due = Some(match dir {
                        ToServer => ToClient,
                        ToClient => ToServer,
                    });
                }
                Some(f)
            }
            St::Fin1 => {
                self.st = St::Fin2;
                let f = self.frame(ToServer, fin | ack, b"");
                self.cseq = self.cseq.wrapping_add(1);
                Some(f)
            }
            St::Fin2 => {
                self.st = St::Fin3;
                let f = self.frame(ToClient, fin | ack, b"");
                self.sseq = self.sseq.wrapping_add(1);
                Some(f)
            }
            St::Fin3 => {
                self.st = St::Done;
                Some(self.frame(ToServer, ack, b""))
            }
            St::Done => None,
        }
    }
}

/// A server name and its addresses.
struct Site {
    name: String,
    v4: Ipv4Addr,
    v6: Ipv6Addr,
}

/// Browser-like ClientHello variants (four JA3/JA4 fingerprints).
fn client_profiles() -> Vec<ClientHelloSpec> {
    let chrome = ClientHelloSpec {
        ciphers: vec![
            0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
            0x009c, 0x009d, 0x002f, 0x0035,
        ],
        alpn: vec!["h2".into(), "http/1.1".into()],
        groups: vec![0x001d, 0x0017, 0x0018],
        sig_algs: vec![
            0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
        ],
        grease: true,
        ..ClientHelloSpec::default()
    };
    let firefox = ClientHelloSpec {
        ciphers: vec![
            0x1301, 0x1303, 0x1302, 0xc02b, 0xc02f, 0xcca9, 0xcca8, 0xc02c, 0xc030, 0xc00a, 0xc009,
            0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035,
        ],
        alpn: vec!["h2".into(), "http/1.1".into()],
        groups: vec![0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101],
        sig_algs: vec![
            0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601,
        ],
        ..ClientHelloSpec::default()
    };
    let windows = ClientHelloSpec {
        supported_versions: vec![0x0303],
        ciphers: vec![
            0xc02c, 0xc02b, 0xc030, 0xc02f, 0xc024, 0xc023, 0xc028, 0xc027, 0x009d, 0x009c,
        ],
        ..ClientHelloSpec::default()
    };
    let curl = ClientHelloSpec {
        alpn: vec!["http/1.1".into()],
        ..ClientHelloSpec::default()
    };
    vec![chrome, firefox, windows, curl]
}

/// Parses `1G`, `500M`, `64K` or a byte count.
fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = match s.chars().last()? {
        'K' | 'k' => (&s[..s.len() - 1], 1u64 << 10),
        'M' | 'm' => (&s[..s.len() - 1], 1 << 20),
        'G' | 'g' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    num.parse::<f64>().ok().map(|n| (n * mult as f64) as u64)
}

struct Gen {
    rng: Rng,
    pools: Pools,
    sites: Vec<Site>,
    clients: Vec<(Ipv4Addr, Option<Ipv6Addr>)>,
    cert: Vec<u8>,
    profiles: Vec<ClientHelloSpec>,
    dns_id: u16,
    /// Counts by what was made.
    counts: BTreeMap<&'static str, u64>,
}

impl Gen {
    fn count(&mut self, what: &'static str, n: u64) {
        *self.counts.entry(what).or_default() += n;
    }

    fn new(seed: u64, cert: Vec<u8>) -> Gen {
        let mut rng = Rng(seed ^ 0x6265_6e63_686e_6574);
        let pools = Pools::new(&mut rng);
        let mut sites = Vec::new();
        let mut seen = std::collections::HashSet::new();
        while sites.len() < 3000 {
            let brand = format!("{}{}", rng.pick(WORDS), rng.pick(WORDS));
            let name = if rng.chance(0.1) {
                format!("{}.corp.example.net", rng.pick(WORDS))
            } else {
                format!("{}.{brand}.{}", rng.pick(SUBS), rng.pick(TLDS))
            };
            if !seen.insert(name.clone()) {
                continue;
            }
            let i = sites.len() as u32;
            let internal = name.ends_with(".corp.example.net");
            let v4 = if internal {
                Ipv4Addr::new(10, 0, 250 + rng.below(2) as u8, 1 + rng.below(254) as u8)
            } else {
                let nets = [[192, 0, 2], [198, 51, 100], [203, 0, 113]];
                let n = rng.pick(&nets);
                Ipv4Addr::new(n[0], n[1], n[2], 1 + rng.below(254) as u8)
            };
            let v6 = Ipv6Addr::new(
                0x2001,
                0xdb8,
                0x53,
                (i >> 8) as u16,
                0,
                0,
                0,
                (i & 0xff) as u16 + 1,
            );
            sites.push(Site { name, v4, v6 });
        }
        let mut clients = Vec::new();
        for i in 0..4000u32 {
            let v4 = Ipv4Addr::new(10, 0, 1 + (i / 240) as u8, 10 + (i % 240) as u8);
            let v6 = rng.chance(0.15).then(|| {
                Ipv6Addr::new(0x2001, 0xdb8, 0x10, 0, 0, 0, (i >> 16) as u16, i as u16 + 1)
            });
            clients.push((v4, v6));
        }
        Gen {
            rng,
            pools,
            sites,
            clients,
            cert,
            profiles: client_profiles(),
            dns_id: 1,
            counts: BTreeMap::new(),
        }
    }

    /// Popular sites far more often than others.
    fn site(&mut self) -> usize {
        let u = self.rng.unit();
        ((u * u * u) * self.sites.len() as f64) as usize
    }

    fn port(&mut self) -> u16 {
        self.rng.range(32_768, 60_999) as u16
    }

    /// A client and a server address of one family (IPv6 when the client
    /// has it, one time in two).
    fn ends(&mut self, site: usize, port: u16) -> (SocketAddr, SocketAddr) {
        let c = *self.rng.pick(&self.clients);
        let p = self.port();
        match c.1 {
            Some(v6) if self.rng.chance(0.5) => (
                SocketAddr::new(IpAddr::V6(v6), p),
                SocketAddr::new(IpAddr::V6(self.sites[site].v6), port),
            ),
            _ => (
                SocketAddr::new(IpAddr::V4(c.0), p),
                SocketAddr::new(IpAddr::V4(self.sites[site].v4), port),
            ),
        }
    }

    /// Requests on one connection: mostly one, sometimes a few.
    fn rounds(&mut self) -> u64 {
        let r = self.rng.unit();
        if r < 0.6 {
            1
        } else if r < 0.85 {
            2
        } else {
            self.rng.range(3, 6)
        }
    }

    fn body_size(&mut self) -> (usize, &'static str) {
        let r = self.rng.unit();
        if r < 0.78 {
            (self.rng.log_size(200.0, 20_000.0), "small")
        } else if r < 0.98 {
            (self.rng.log_size(20_000.0, 250_000.0), "medium")
        } else {
            (self.rng.log_size(300_000.0, 4_000_000.0), "bulk")
        }
    }

    fn cookie(&mut self) -> String {
        let r = &mut self.rng;
        let mut c = format!(
            "_ga=GA1.2.{}.{}; sessionid={}",
            r.range(100_000_000, 999_999_999),
            1_709_000_000 + r.below(500_000),
            r.word(HEX, 32)
        );
        if r.chance(0.4) {
            c.push_str(&format!(
                "; prefs=lang%3Den%26theme%3D{}",
                r.pick(&["dark", "light"])
            ));
        }
        if r.chance(0.3) {
            c.push_str(&format!("; csrftoken={}", r.word(ALNUM, 32)));
        }
        c
    }

    // ---- DNS ----

    fn dns_name(&mut self) -> String {
        let s = self.site();
        let name = self.sites[s].name.clone();
        if self.rng.chance(0.3) {
            let base = name.split_once('.').map_or(name.as_str(), |(_, b)| b);
            let label = match self.rng.below(3) {
                0 => self.rng.word(HEX, 8),
                1 => format!("{}{}", self.rng.pick(WORDS), self.rng.below(100)),
                _ => format!("{}-{}", self.rng.pick(SUBS), self.rng.word(LOWER, 4)),
            };
            format!("{label}.{base}")
        } else {
            name
        }
    }

    fn dns_answer(&mut self, name: &str, qtype: u16, id: u16) -> Vec<u8> {
        let r = self.rng.unit();
        if r < 0.03 {
            self.count("dns_nxdomain", 1);
            return msg::dns_response_with(id, name, qtype, 3, &[], true);
        }
        let ttl = *self.rng.pick(&[60u32, 300, 3600, 86_400]);
        let mut answers: Vec<(String, u32, DnsData)> = Vec::new();
        let mut owner = name.to_string();
        if qtype != 16 && self.rng.chance(0.25) {
            let target = format!("{}.edge.{}", self.rng.word(LOWER, 6), self.rng.pick(TLDS));
            answers.push((owner.clone(), ttl, DnsData::Cname(target.clone())));
            owner = target;
        }
        for _ in 0..self.rng.range(1, 4) {
            let d = match qtype {
                1 => {
                    let n = *self
                        .rng
                        .pick(&[[192u8, 0, 2], [198, 51, 100], [203, 0, 113]]);
                    DnsData::A(Ipv4Addr::new(
                        n[0],
                        n[1],
                        n[2],
                        1 + self.rng.below(254) as u8,
                    ))
                }
                28 => DnsData::Aaaa(Ipv6Addr::new(
                    0x2001,
                    0xdb8,
                    0x53,
                    self.rng.below(16) as u16,
                    0,
                    0,
                    0,
                    1 + self.rng.below(255) as u16,
                )),
                _ => DnsData::Txt(vec![
                    match self.rng.below(3) {
                        0 => "v=spf1 include:_spf.example.com ~all".to_string(),
                        1 => format!("site-verification={}", self.rng.word(ALNUM, 43)),
                        _ => format!("MS=ms{}", self.rng.range(10_000_000, 99_999_999)),
                    }
                    .into_bytes(),
                ]),
            };
            answers.push((owner.clone(), ttl, d));
            if qtype == 16 {
                break;
            }
        }
        let refs: Vec<(&str, u32, DnsData)> = answers
            .iter()
            .map(|(o, t, d)| (o.as_str(), *t, d.clone()))
            .collect();
        msg::dns_response(id, name, qtype, &refs)
    }

    fn dns(&mut self, name: Option<String>) -> Conv {
        let c = *self.rng.pick(&self.clients);
        let resolver = Ipv4Addr::new(10, 0, 0, 53 + self.rng.below(2) as u8);
        let p = self.port();
        let mut conv = Conv::udp(
            SocketAddr::new(IpAddr::V4(c.0), p),
            SocketAddr::new(IpAddr::V4(resolver), 53),
        );
        let name = name.unwrap_or_else(|| self.dns_name());
        let r = self.rng.unit();
        let qtypes: &[u16] = if r < 0.45 {
            &[1]
        } else if r < 0.75 {
            &[1, 28]
        } else if r < 0.92 {
            &[28]
        } else {
            &[16]
        };
        for &qt in qtypes {
            let id = self.dns_id;
            self.dns_id = self.dns_id.wrapping_add(7919);
            conv.send(Direction::ToServer, msg::dns_query(id, &name, qt));
            let resp = self.dns_answer(&name, qt, id);
            conv.send(Direction::ToClient, resp);
            self.count("dns_queries", 1);
        }
        self.count("dns_flows", 1);
        conv
    }

    // ---- HTTP ----

    fn http_response_head(&mut self, status: u16, ctype: &str, len: usize) -> Vec<u8> {
        let reason = match status {
            200 => "OK",
            304 => "Not Modified",
            404 => "Not Found",
            _ => "OK",
        };
        let mut h = format!(
            "HTTP/1.1 {status} {reason}\r\nDate: Mon, 04 Mar 2024 09:{:02}:{:02} GMT\r\nServer: {}\r\nContent-Type: {ctype}\r\nContent-Length: {len}\r\n",
            self.rng.below(60),
            self.rng.below(60),
            self.rng.pick(&["nginx", "Apache", "envoy", "cloudfront"])
        );
        if self.rng.chance(0.5) {
            h.push_str(&format!(
                "Cache-Control: max-age={}\r\nETag: \"{}\"\r\n",
                self.rng.pick(&[0, 60, 3600, 86_400]),
                self.rng.word(HEX, 16)
            ));
        }
        if self.rng.chance(0.15) {
            h.push_str(&format!(
                "Set-Cookie: sessionid={}; Path=/; HttpOnly\r\n",
                self.rng.word(HEX, 32)
            ));
        }
        h.push_str("\r\n");
        h.into_bytes()
    }

    fn http(&mut self) -> Vec<Conv> {
        let s = self.site();
        let host = self.sites[s].name.clone();
        let port = if self.rng.chance(0.05) { 8080 } else { 80 };
        let (c, srv) = self.ends(s, port);
        let mut out = Vec::new();
        if self.rng.chance(0.4) {
            out.push(self.dns(Some(host.clone())));
        }
        let mut conv = Conv::tcp(c, srv, &mut self.rng);
        let ua = *self.rng.pick(USER_AGENTS);
        let cookie = self.cookie();
        for _ in 0..self.rounds() {
            let post = self.rng.chance(0.12);
            let mut path = self.rng.pick(PATHS).to_string();
            if self.rng.chance(0.5) {
                path.push_str(&format!(
                    "{}?id={}&v={}",
                    self.rng.word(LOWER, 6),
                    self.rng.below(100_000),
                    self.rng.below(10)
                ));
            }
            let mut req = format!(
                "{} {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {ua}\r\nAccept: */*\r\nAccept-Language: en-US,en;q=0.9\r\nAccept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\n",
                if post { "POST" } else { "GET" }
            );
            if self.rng.chance(0.7) {
                req.push_str(&format!("Cookie: {cookie}\r\n"));
            }
            if self.rng.chance(0.5) {
                req.push_str(&format!("Referer: http://{host}/\r\n"));
            }
            let bulk = if post {
                let len = self.rng.log_size(100.0, 40_000.0);
                req.push_str(&format!(
                    "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len}\r\n"
                ));
                Bulk::Raw {
                    len,
                    base: self.rng.below(1 << 22) as usize,
                    text: true,
                }
            } else {
                Bulk::None
            };
            req.push_str("\r\n");
            conv.send_bulk(Direction::ToServer, req.into_bytes(), bulk);
            self.count("http_requests", 1);
            let r = self.rng.unit();
            if r < 0.05 {
                let head =
                    self.http_response_head(if r < 0.03 { 304 } else { 404 }, "text/html", 0);
                conv.send(Direction::ToClient, head);
                continue;
            }
            let (len, class) = self.body_size();
            let (ctype, text) = match class {
                "small" => (*self.rng.pick(TEXT_TYPES), true),
                "medium" => {
                    let t = *self.rng.pick(MEDIUM_TYPES);
                    (t, t.starts_with("text") || t.ends_with("javascript"))
                }
                _ => (*self.rng.pick(BULK_TYPES), false),
            };
            let head = self.http_response_head(200, ctype, len);
            let base = self.rng.below(1 << 23) as usize;
            conv.send_bulk(Direction::ToClient, head, Bulk::Raw { len, base, text });
            self.count(
                if class == "bulk" {
                    "http_bulk_bodies"
                } else {
                    "http_bodies"
                },
                1,
            );
        }
        self.count("http_flows", 1);
        out.push(conv);
        out
    }

    // ---- TLS ----

    fn tls_handshake(&mut self, conv: &mut Conv, sni: &str) {
        let mut spec = self.rng.pick(&self.profiles).clone();
        spec.sni = Some(sni.to_string());
        let h2 = spec.alpn.first().is_some_and(|a| a == "h2");
        conv.send(Direction::ToServer, msg::client_hello(&spec));
        let mut flight = msg::server_hello(&ServerHelloSpec {
            cipher: if spec.supported_versions.contains(&0x0304) {
                0xc02b
            } else {
                0xc02f
            },
            alpn: h2.then(|| "h2".to_string()),
            ..ServerHelloSpec::default()
        });
        flight.extend(msg::certificate(&[&self.cert]));
        // ServerKeyExchange-sized opaque handshake record, then done.
        // ECDHE (x25519) ServerKeyExchange: key share, then an Ed25519
        // signature (opaque bytes).
        let mut ske = vec![3, 0, 0x1d, 32];
        ske.extend((0..32).map(|_| self.rng.next() as u8));
        ske.extend_from_slice(&[0x08, 0x07, 0, 64]);
        ske.extend((0..64).map(|_| self.rng.next() as u8));
        flight.extend(msg::record(
            msg::CT_HANDSHAKE,
            0x0303,
            &msg::handshake(12, &ske),
        ));
        flight.extend(msg::server_hello_done());
        conv.send(Direction::ToClient, flight);
        // ClientKeyExchange (x25519 key share), ChangeCipherSpec, Finished
        // (encrypted: opaque).
        let mut cke = vec![32u8];
        cke.extend((0..32).map(|_| self.rng.next() as u8));
        let mut fin = msg::record(msg::CT_HANDSHAKE, 0x0303, &msg::handshake(16, &cke));
        fin.extend(msg::change_cipher_spec());
        fin.extend(msg::record(msg::CT_HANDSHAKE, 0x0303, &[0x5a; 40]));
        conv.send(Direction::ToServer, fin);
        let mut sfin = msg::change_cipher_spec();
        sfin.extend(msg::record(msg::CT_HANDSHAKE, 0x0303, &[0x5a; 40]));
        conv.send(Direction::ToClient, sfin);
        self.count("tls_handshakes", 1);
    }

    fn tls(&mut self) -> Vec<Conv> {
        let s = self.site();
        let host = self.sites[s].name.clone();
        let (c, srv) = self.ends(s, 443);
        let mut out = Vec::new();
        if self.rng.chance(0.4) {
            out.push(self.dns(Some(host.clone())));
        }
        let mut conv = Conv::tcp(c, srv, &mut self.rng);
        self.tls_handshake(&mut conv, &host);
        for _ in 0..self.rounds() {
            let req = self.rng.log_size(100.0, 3000.0);
            let base = self.rng.below(1 << 23) as usize;
            conv.send_bulk(
                Direction::ToServer,
                Vec::new(),
                Bulk::Tls { payload: req, base },
            );
            let (len, class) = self.body_size();
            let base = self.rng.below(1 << 23) as usize;
            conv.send_bulk(
                Direction::ToClient,
                Vec::new(),
                Bulk::Tls { payload: len, base },
            );
            self.count(
                if class == "bulk" {
                    "tls_bulk_responses"
                } else {
                    "tls_responses"
                },
                1,
            );
        }
        self.count("tls_flows", 1);
        out.push(conv);
        out
    }

    // ---- SMTP ----

    fn smtp(&mut self) -> Conv {
        let relay = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 25)), self.port());
        let mx_name = format!(
            "mx{}.{}{}.{}",
            self.rng.below(3),
            self.rng.pick(WORDS),
            self.rng.pick(WORDS),
            self.rng.pick(TLDS)
        );
        let mx = SocketAddr::new(
            IpAddr::V4(Ipv4Addr::new(203, 0, 113, 200 + self.rng.below(50) as u8)),
            25,
        );
        let mut conv = Conv::tcp(relay, mx, &mut self.rng);
        conv.send(Direction::ToClient, format!("220 {mx_name} ESMTP ready\r\n").into_bytes())
            .send(Direction::ToServer, b"EHLO mail.corp.example.net\r\n".to_vec())
            .send(
                Direction::ToClient,
                format!("250-{mx_name}\r\n250-SIZE 52428800\r\n250-8BITMIME\r\n250-STARTTLS\r\n250 SMTPUTF8\r\n").into_bytes(),
            )
            .send(Direction::ToServer, b"STARTTLS\r\n".to_vec())
            .send(Direction::ToClient, b"220 2.0.0 Ready to start TLS\r\n".to_vec());
        self.tls_handshake(&mut conv, &mx_name);
        let (len, _) = self.body_size();
        let base = self.rng.below(1 << 23) as usize;
        conv.send_bulk(
            Direction::ToServer,
            Vec::new(),
            Bulk::Tls {
                payload: len + 400,
                base,
            },
        );
        conv.send_bulk(
            Direction::ToClient,
            Vec::new(),
            Bulk::Tls { payload: 120, base },
        );
        self.count("smtp_starttls_flows", 1);
        conv
    }

    // ---- the planted WellMess POSTs ----

    fn wellmess_cookie(&mut self) -> String {
        let r = &mut self.rng;
        let chunks = 6 + r.below(5) as usize;
        let parts: Vec<String> = (0..chunks)
            .map(|_| {
                let n = 2 + r.below(9) as usize;
                r.word(B64ISH, n)
            })
            .collect();
        format!("{}={}", r.word(ALNUM, 8), parts.join("+"))
    }

    fn wellmess(&mut self, first: bool) -> Conv {
        let p = self.port();
        let mut conv = Conv::tcp(
            SocketAddr::new(IpAddr::V4(WELLMESS_CLIENT), p),
            SocketAddr::new(IpAddr::V4(C2), 80),
            &mut self.rng,
        );
        let cookies = format!("{}; {}", self.wellmess_cookie(), self.wellmess_cookie());
        let body: &[u8] = if first {
            b"<;head;>d2VsbG1lc3M<;head;><;title;>aGVsbG8<;title;><;service;>cGluZw<;service;>"
        } else {
            b""
        };
        let req = msg::http_request(
            "POST",
            "/",
            &[
                ("Host", "103.216.221.19"),
                ("User-Agent", "Mozilla/5.0 (Windows NT 6.1; Win64; x64)"),
                ("Cookie", &cookies),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            body,
        );
        let resp = msg::http_response(200, &[("Content-Type", "text/html")], b"<html></html>");
        conv.send(Direction::ToServer, req)
            .send(Direction::ToClient, resp);
        self.count("wellmess_posts", 1);
        if first {
            self.count("wellmess_posts_with_markers", 1);
        }
        conv
    }

    /// A new conversation of the mixed capture (and the DNS lookup before
    /// it, sometimes).
    fn mixed(&mut self) -> Vec<Conv> {
        let r = self.rng.unit();
        if r < 0.45 {
            vec![self.dns(None)]
        } else if r < 0.71 {
            self.http()
        } else if r < 0.99 {
            self.tls()
        } else {
            vec![self.smtp()]
        }
    }

    // ---- short flows ----

    fn short(&mut self, i: u64) -> Conv {
        // Distinct 5-tuples: client host and port from the flow number.
        let host = (i.wrapping_mul(40_503)) % 65_000;
        let client_ip = Ipv4Addr::new(10, 0, (host / 254) as u8, (host % 254) as u8 + 1);
        let client = SocketAddr::new(
            IpAddr::V4(client_ip),
            20_000 + ((i / 65_000) % 40_000) as u16,
        );
        let srv_i = self.rng.below(2000);
        let nets = [
            [192u8, 0, 2],
            [198, 51, 100],
            [203, 0, 113],
            [10, 0, 250],
            [10, 0, 251],
        ];
        let n = nets[(srv_i % 5) as usize];
        let srv_ip = Ipv4Addr::new(n[0], n[1], n[2], (srv_i / 5 % 254) as u8 + 1);
        let r = self.rng.unit();
        if r < 0.30 {
            let mut conv = Conv::udp(
                client,
                SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 53)), 53),
            );
            let name = self.dns_name();
            let id = self.rng.next() as u16;
            let qt = if self.rng.chance(0.7) { 1 } else { 28 };
            conv.send(Direction::ToServer, msg::dns_query(id, &name, qt));
            let resp = self.dns_answer(&name, qt, id);
            conv.send(Direction::ToClient, resp);
            self.count("short_dns", 1);
            conv
        } else if r < 0.45 {
            // NTP (request and answer) or syslog (one or two messages).
            let ntp = self.rng.chance(0.6);
            let port = if ntp { 123 } else { 514 };
            let mut conv = Conv::udp(client, SocketAddr::new(IpAddr::V4(srv_ip), port));
            if ntp {
                for first in [0x23u8, 0x24] {
                    let mut m = vec![first, 2, 6, 0xe9];
                    let base = self.rng.below(1 << 22) as usize;
                    self.pools.copy(false, base, 44, &mut m);
                    let dir = if first == 0x23 {
                        Direction::ToServer
                    } else {
                        Direction::ToClient
                    };
                    conv.send(dir, m);
                }
            } else {
                for _ in 0..self.rng.range(1, 2) {
                    let m = format!(
                        "<134>Mar  4 09:{:02}:{:02} host{} app[{}]: session {} closed for user {}",
                        self.rng.below(60),
                        self.rng.below(60),
                        self.rng.below(1000),
                        self.rng.range(100, 30_000),
                        self.rng.word(HEX, 8),
                        self.rng.pick(WORDS)
                    );
                    conv.send(Direction::ToServer, m.into_bytes());
                }
            }
            self.count("short_udp", 1);
            conv
        } else {
            let port = *self.rng.pick(&[80u16, 443, 443, 22, 8080, 3389, 445]);
            let mut conv = Conv::tcp(
                client,
                SocketAddr::new(IpAddr::V4(srv_ip), port),
                &mut self.rng,
            );
            conv.acks = false;
            let r = self.rng.unit();
            if r < 0.15 {
                conv.refused = true;
                self.count("short_tcp_refused", 1);
            } else if r < 0.30 {
                conv.close = Close::Rst;
                self.count("short_tcp_handshake_reset", 1);
            } else {
                match port {
                    80 | 8080 => {
                        let s = self.site();
                        let host = self.sites[s].name.clone();
                        let req = format!(
                            "GET {} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {}\r\nAccept: */*\r\n\r\n",
                            self.rng.pick(PATHS),
                            self.rng.pick(USER_AGENTS)
                        );
                        conv.send(Direction::ToServer, req.into_bytes());
                        let len = self.rng.range(0, 900) as usize;
                        let head = self.http_response_head(200, "text/html; charset=utf-8", len);
                        let base = self.rng.below(1 << 20) as usize;
                        conv.send_bulk(
                            Direction::ToClient,
                            head,
                            Bulk::Raw {
                                len,
                                base,
                                text: true,
                            },
                        );
                    }
                    443 => {
                        let s = self.site();
                        let host = self.sites[s].name.clone();
                        let mut spec = self.rng.pick(&self.profiles).clone();
                        spec.sni = Some(host);
                        conv.send(Direction::ToServer, msg::client_hello(&spec));
                        let mut flight = msg::server_hello(&ServerHelloSpec::default());
                        flight.extend(msg::certificate(&[&self.cert]));
                        conv.send(Direction::ToClient, flight);
                    }
                    _ => {
                        let base = self.rng.below(1 << 22) as usize;
                        let req = self.rng.range(40, 600) as usize;
                        let resp = self.rng.range(40, 1400) as usize;
                        conv.send_bulk(
                            Direction::ToServer,
                            Vec::new(),
                            Bulk::Raw {
                                len: req,
                                base,
                                text: false,
                            },
                        );
                        conv.send_bulk(
                            Direction::ToClient,
                            Vec::new(),
                            Bulk::Raw {
                                len: resp,
                                base,
                                text: false,
                            },
                        );
                    }
                }
                conv.close = if self.rng.chance(0.6) {
                    Close::Rst
                } else {
                    Close::Fin
                };
                self.count("short_tcp_exchange", 1);
            }
            conv
        }
    }
}

/// A self-signed Ed25519 certificate whose key comes from the seed (Ed25519
/// signatures and rcgen's serial number are deterministic, so the DER is
/// the same for the same seed).
fn make_cert(seed: u64) -> Vec<u8> {
    use rcgen::{CertificateParams, DistinguishedName, DnType, DnValue, KeyPair};
    let mut rng = Rng(seed ^ 0x6365_7274);
    // PKCS#8 v1 wrapping of a 32-byte Ed25519 private key.
    let mut pkcs8 = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    for _ in 0..4 {
        pkcs8.extend_from_slice(&rng.next().to_le_bytes());
    }
    let key = KeyPair::try_from(pkcs8.as_slice()).expect("Ed25519 key from PKCS#8");
    let mut p = CertificateParams::new(vec![
        "*.example.com".to_string(),
        "*.example.net".to_string(),
    ])
    .expect("certificate parameters");
    p.distinguished_name = DistinguishedName::new();
    p.distinguished_name.push(
        DnType::CountryName,
        DnValue::PrintableString("US".try_into().expect("printable")),
    );
    p.distinguished_name
        .push(DnType::OrganizationName, "Example CDN");
    p.distinguished_name
        .push(DnType::CommonName, "*.example.com");
    p.self_signed(&key)
        .expect("self-signed certificate")
        .der()
        .to_vec()
}

fn usage() -> ExitCode {
    eprintln!("usage: gen_bench_capture OUT.pcapng [--size 1G | --flows N] [--seed S]");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut out_path = None;
    let mut size = 1u64 << 30;
    let mut flows: Option<u64> = None;
    let mut seed = 1u64;
    let mut i = 0;
    while i < args.len() {
        let val = args.get(i + 1);
        match args[i].as_str() {
            "--size" => match val.and_then(|v| parse_size(v)) {
                Some(v) => size = v,
                None => return usage(),
            },
            "--flows" => match val.and_then(|v| v.replace('_', "").parse().ok()) {
                Some(v) => flows = Some(v),
                None => return usage(),
            },
            "--seed" => match val.and_then(|v| v.parse().ok()) {
                Some(v) => seed = v,
                None => return usage(),
            },
            "-h" | "--help" => return usage(),
            a if !a.starts_with('-') && out_path.is_none() => {
                out_path = Some(a.to_string());
                i += 1;
                continue;
            }
            _ => return usage(),
        }
        i += 2;
    }
    let Some(out_path) = out_path else {
        return usage();
    };
    match run(&out_path, size, flows, seed) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_bench_capture: {out_path}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(path: &str, size: u64, flows: Option<u64>, seed: u64) -> std::io::Result<()> {
    let started = std::time::Instant::now();
    let file = BufWriter::with_capacity(4 << 20, File::create(path)?);
    let mut w = PcapngWriter::new(file)?;
    let ifc = w.interface(LinkType::ETHERNET, 262_144)?;
    let mut g = Gen::new(seed, make_cert(seed));
    let (slots, span) = match flows {
        Some(_) => (4096usize, 600 * SECOND),
        None => (48usize, 3600 * SECOND),
    };
    // Mean time between packets, from the expected packet count.
    let expected_packets = match flows {
        Some(n) => n as f64 * 4.0,
        None => size as f64 / 1150.0,
    };
    let gap = (span as f64 / expected_packets).max(1.0);
    let mut active: Vec<Conv> = Vec::with_capacity(slots + 8);
    let mut ts = START;
    let mut written: u64 = 0;
    let mut packets: u64 = 0;
    let mut started_flows: u64 = 0;
    let mut planted = 0u64;
    let mut buf = Vec::with_capacity(2048);
    loop {
        let more = match flows {
            Some(n) => started_flows < n,
            None => written < size,
        };
        while more && active.len() < slots {
            let new = match flows {
                Some(_) => vec![g.short(started_flows)],
                None => {
                    // The planted POSTs at 1/7, 2/7 ... 6/7 of the file.
                    if planted < WELLMESS_POSTS
                        && written >= size / (WELLMESS_POSTS + 1) * (planted + 1)
                    {
                        planted += 1;
                        vec![g.wellmess(planted == 1)]
                    } else {
                        g.mixed()
                    }
                }
            };
            started_flows += new.len() as u64;
            active.extend(new);
        }
        if active.is_empty() {
            break;
        }
        let k = g.rng.below(active.len() as u64) as usize;
        match active[k].next(&g.pools, &mut buf) {
            Some(frame) => {
                ts += (g.rng.unit() * 2.0 * gap) as Micros;
                w.write(ifc, ts, &frame)?;
                written += 32 + frame.len().next_multiple_of(4) as u64 + 4;
                packets += 1;
            }
            None => {
                active.swap_remove(k);
            }
        }
    }
    let mut file = w.into_inner();
    file.flush()?;
    drop(file);
    let bytes = std::fs::metadata(path)?.len();
    let mut doc = format!(
        "{{\"path\": \"{path}\", \"mode\": \"{}\", \"seed\": {seed}, \"size_requested\": {}, \"flows_requested\": {}, \"bytes\": {bytes}, \"packets\": {packets}, \"flows\": {started_flows}, \"first_ts\": {START}, \"last_ts\": {ts}, \"cert_der_bytes\": {}",
        if flows.is_some() { "flows" } else { "mixed" },
        if flows.is_some() { 0 } else { size },
        flows.unwrap_or(0),
        g.cert.len()
    );
    for (k, v) in &g.counts {
        doc.push_str(&format!(", \"{k}\": {v}"));
    }
    doc.push('}');
    println!("{doc}");
    eprintln!(
        "gen_bench_capture: {path}: {bytes} bytes, {packets} packets, {started_flows} flows in {:.1?}",
        started.elapsed()
    );
    Ok(())
}
