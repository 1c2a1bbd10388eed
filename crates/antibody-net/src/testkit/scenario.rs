//! A synthetic day of traffic with the network traits of the July 2020
//! APT29 advisory among ordinary traffic: what `examples/net/` holds and
//! what the end-to-end tests hunt. Everything is inert: documentation
//! addresses (plus the advisory's published C2 address), made-up payloads
//! that only carry the published markers, certificates made for the test.
//!
//! | hosts | what | should fire |
//! |---|---|---|
//! | 192.0.2.10 | DNS, web browsing with ordinary cookies, HTTPS | nothing |
//! | 192.0.2.25 | a mail server sending with STARTTLS | nothing |
//! | 192.0.2.50 → 103.216.221.19:80 | WellMess-style HTTP polling every ~2 minutes for 6 hours, data in cookies, markers in the first POST | C2 address, cookie encoding, markers, beaconing |
//! | 192.0.2.60 → 203.0.113.80:80 | SoreFang-style upload: fixed multipart boundary, fake `_ga` cookie | boundary rule, string indicators |
//! | 192.0.2.70 → 198.51.100.25:25 | WellMail-style mutual TLS on port 25, certificate `C=Tunis, O=IT` | TLS without SMTP, client certificate on 25, certificate subject/issuer, country |
//! | 192.0.2.80 → 192.0.2.53:53 | TXT queries with long base32 labels under `t.example.net` | DNS tunnelling |

use super::msg::{self, ClientHelloSpec, DnsData, ServerHelloSpec};
use super::pcap::{TcpSession, TestPacket, udp_exchange};
use crate::model::{Direction, Micros};
use std::net::{Ipv4Addr, SocketAddr};

/// Certificates (DER) the scenario's TLS handshakes present.
#[derive(Debug, Clone)]
pub struct ScenarioCerts {
    /// An ordinary web server certificate (issued by a CA, `C=US`).
    pub web_leaf: Vec<u8>,
    /// The CA that issued it.
    pub web_ca: Vec<u8>,
    /// A self-signed C2 server certificate, subject `C=Tunis, O=IT`.
    pub c2_server: Vec<u8>,
    /// The C2 client certificate.
    pub c2_client: Vec<u8>,
}

/// 2020-05-04T08:00:00Z.
pub const START: Micros = 1_588_579_200_000_000;
const SECOND: Micros = 1_000_000;

fn sa(ip: [u8; 4], port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::from(ip), port))
}

/// A small deterministic generator (xorshift) for jitter and labels.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn word(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| alphabet[self.below(alphabet.len() as u64) as usize] as char)
            .collect()
    }
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const B64ISH: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:,.";
const BASE32: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";

/// A cookie value in WellMess's published encoding: short Base64 chunks
/// joined by `+`, `/` written `:` and `+` written `,` (random here).
fn wellmess_cookie(rng: &mut Rng) -> String {
    let chunks = 6 + rng.below(5) as usize;
    let mut parts = Vec::new();
    for _ in 0..chunks {
        let n = 2 + rng.below(9) as usize;
        parts.push(rng.word(B64ISH, n));
    }
    format!("{}={}", rng.word(ALNUM, 8), parts.join("+"))
}

fn http_session(
    client: SocketAddr,
    server: SocketAddr,
    at: Micros,
    request: &[u8],
    response: &[u8],
) -> Vec<TestPacket> {
    let mut s = TcpSession::new(client, server).start(at).step(2_000);
    s.handshake()
        .client_send(request)
        .server_send(response)
        .close();
    s.into_packets()
}

fn browsing(out: &mut Vec<TestPacket>, certs: &ScenarioCerts) {
    let client = sa([192, 0, 2, 10], 50_000);
    let resolver = sa([192, 0, 2, 53], 53);
    let web = Ipv4Addr::new(198, 51, 100, 80);
    for (i, name) in ["www.example.com", "static.example.com", "news.example.org"]
        .iter()
        .enumerate()
    {
        let q = msg::dns_query(0x1000 + i as u16, name, 1);
        let r = msg::dns_response(0x1000 + i as u16, name, 1, &[(name, 300, DnsData::A(web))]);
        let c = sa([192, 0, 2, 10], 53_000 + i as u16);
        out.extend(udp_exchange(
            c,
            resolver,
            &[(Direction::ToServer, &q), (Direction::ToClient, &r)],
            START + (i as Micros) * 3_600 * SECOND,
            3_000,
        ));
    }
    for i in 0..6u16 {
        let req = msg::http_request(
            "GET",
            &format!("/news/{i}.html"),
            &[
                ("Host", "www.example.com"),
                (
                    "User-Agent",
                    "Mozilla/5.0 (X11; Linux x86_64; rv:76.0) Gecko/20100101 Firefox/76.0",
                ),
                (
                    "Cookie",
                    "_ga=GA1.2.1234567890.1588579200; sessionid=a8Zk3+Qm9/0bXy==",
                ),
            ],
            b"",
        );
        let resp = msg::http_response(
            200,
            &[("Content-Type", "text/html")],
            b"<html><body>news</body></html>",
        );
        out.extend(http_session(
            sa([192, 0, 2, 10], client.port() + 1 + i),
            SocketAddr::from((web, 80)),
            START + Micros::from(i) * 2_700 * SECOND + 40 * SECOND,
            &req,
            &resp,
        ));
    }
    // HTTPS with an ordinary CA-issued certificate.
    let hello = msg::client_hello(&ClientHelloSpec {
        sni: Some("www.example.com".into()),
        alpn: vec!["h2".into(), "http/1.1".into()],
        grease: true,
        ..ClientHelloSpec::default()
    });
    let mut server_flight = msg::server_hello(&ServerHelloSpec::default());
    server_flight.extend(msg::certificate(&[&certs.web_leaf, &certs.web_ca]));
    server_flight.extend(msg::server_hello_done());
    let mut s = TcpSession::new(sa([192, 0, 2, 10], 51_000), SocketAddr::from((web, 443)))
        .start(START + 300 * SECOND)
        .step(2_000);
    s.handshake()
        .client_send(&hello)
        .server_send(&server_flight)
        .client_send(&msg::change_cipher_spec())
        .server_send(&msg::change_cipher_spec())
        .client_send(&msg::application_data(300))
        .server_send(&msg::application_data(5_000))
        .close();
    out.extend(s.into_packets());
}

fn mail_server(out: &mut Vec<TestPacket>, certs: &ScenarioCerts) {
    let mut s = TcpSession::new(sa([192, 0, 2, 25], 40_000), sa([203, 0, 113, 25], 25))
        .start(START + 1_800 * SECOND)
        .step(5_000);
    s.handshake()
        .server_send(b"220 mx.example.org ESMTP ready\r\n")
        .client_send(b"EHLO mail.example.net\r\n")
        .server_send(b"250-mx.example.org\r\n250-STARTTLS\r\n250 8BITMIME\r\n")
        .client_send(b"STARTTLS\r\n")
        .server_send(b"220 2.0.0 Ready to start TLS\r\n");
    let mut flight = msg::server_hello(&ServerHelloSpec::default());
    flight.extend(msg::certificate(&[&certs.web_leaf, &certs.web_ca]));
    flight.extend(msg::server_hello_done());
    s.client_send(&msg::client_hello(&ClientHelloSpec {
        sni: Some("mx.example.org".into()),
        ..ClientHelloSpec::default()
    }))
    .server_send(&flight)
    .client_send(&msg::change_cipher_spec())
    .client_send(&msg::application_data(2_000))
    .close();
    out.extend(s.into_packets());
}

fn wellmess(out: &mut Vec<TestPacket>, rng: &mut Rng) {
    let c2 = sa([103, 216, 221, 19], 80);
    let mut at = START + 600 * SECOND;
    for i in 0..180u16 {
        let cookies: Vec<String> = (0..2).map(|_| wellmess_cookie(rng)).collect();
        let body: Vec<u8> = if i == 0 {
            b"<\x3bhead\x3b>d2VsbG1lc3M<\x3bhead\x3b><\x3btitle\x3b>aGVsbG8<\x3btitle\x3b><\x3bservice\x3b>cGluZw<\x3bservice\x3b>"
                .to_vec()
        } else {
            Vec::new()
        };
        let req = msg::http_request(
            "POST",
            "/",
            &[
                ("Host", "103.216.221.19"),
                ("User-Agent", "Mozilla/5.0 (Windows NT 6.1; Win64; x64)"),
                ("Cookie", &cookies.join("; ")),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            &body,
        );
        let resp = msg::http_response(200, &[("Content-Type", "text/html")], b"<html></html>");
        out.extend(http_session(
            sa([192, 0, 2, 50], 49_200 + i),
            c2,
            at,
            &req,
            &resp,
        ));
        // About two minutes, give or take five seconds.
        at += 115 * SECOND + rng.below(10) as Micros * SECOND;
    }
}

fn sorefang(out: &mut Vec<TestPacket>) {
    let boundary = "------974767299852498929531610575";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"report.txt\"\r\n\r\n----------All usres directory----------\r\nC:\\Users\\Public\r\nFree on disk: 1024\r\n--{boundary}--\r\n"
    );
    let req = msg::http_request(
        "POST",
        "/upload.php",
        &[
            ("Host", "203.0.113.80"),
            ("Cookie", "_ga=GA1.2.84193312.1588580000"),
            (
                "Content-Type",
                &format!("multipart/form-data; boundary={boundary}"),
            ),
        ],
        body.as_bytes(),
    );
    let resp = msg::http_response(200, &[], b"ok");
    out.extend(http_session(
        sa([192, 0, 2, 60], 52_000),
        sa([203, 0, 113, 80], 80),
        START + 7_200 * SECOND,
        &req,
        &resp,
    ));
}

fn wellmail(out: &mut Vec<TestPacket>, certs: &ScenarioCerts) {
    let mut s = TcpSession::new(sa([192, 0, 2, 70], 45_000), sa([198, 51, 100, 25], 25))
        .start(START + 9_000 * SECOND)
        .step(3_000);
    let mut flight = msg::server_hello(&ServerHelloSpec::default());
    flight.extend(msg::certificate(&[&certs.c2_server]));
    flight.extend(msg::certificate_request());
    flight.extend(msg::server_hello_done());
    let mut client_flight = msg::certificate(&[&certs.c2_client]);
    client_flight.extend(msg::change_cipher_spec());
    s.handshake()
        .client_send(&msg::client_hello(&ClientHelloSpec::default()))
        .server_send(&flight)
        .client_send(&client_flight)
        .server_send(&msg::change_cipher_spec())
        .client_send(&msg::application_data(700))
        .server_send(&msg::application_data(1_200))
        .close();
    out.extend(s.into_packets());
}

fn dns_tunnel(out: &mut Vec<TestPacket>, rng: &mut Rng) {
    let resolver = sa([192, 0, 2, 53], 53);
    let mut at = START + 10_000 * SECOND;
    for i in 0..300u16 {
        let name = format!(
            "{}.{}.t.example.net",
            rng.word(BASE32, 52),
            rng.word(BASE32, 20)
        );
        let q = msg::dns_query(0x2000 + i, &name, 16);
        let r = msg::dns_response(
            0x2000 + i,
            &name,
            16,
            &[(
                &name,
                0,
                DnsData::Txt(vec![rng.word(BASE32, 60).into_bytes()]),
            )],
        );
        out.extend(udp_exchange(
            sa([192, 0, 2, 80], 30_000 + i),
            resolver,
            &[(Direction::ToServer, &q), (Direction::ToClient, &r)],
            at,
            2_000,
        ));
        at += SECOND / 2 + rng.below(1_000) as Micros * 1_000;
    }
}

/// Every frame of the scenario, in time order.
pub fn apt29_2020(certs: &ScenarioCerts) -> Vec<TestPacket> {
    let mut rng = Rng(0x2020_0716_a9a2_9c0b);
    let mut out = Vec::new();
    browsing(&mut out, certs);
    mail_server(&mut out, certs);
    wellmess(&mut out, &mut rng);
    sorefang(&mut out);
    wellmail(&mut out, certs);
    dns_tunnel(&mut out, &mut rng);
    out.sort_by_key(|p| p.ts);
    out
}
