//! HTTP decoder: requests, bodies, pipelining, hostile header blocks and
//! chunk sizes.

mod common;

use antibody_net::model::{Direction::*, HttpRecord, NetRecord};
use antibody_net::proto::http::{HttpDecoder, MAX_BODY};
use antibody_net::proto::{Interest, StreamDecoder};
use antibody_net::testkit::msg::{http_request, http_response};
use common::{run, run_both};

fn mk() -> Box<dyn StreamDecoder> {
    Box::new(HttpDecoder::new())
}

fn http(records: &[NetRecord]) -> Vec<&HttpRecord> {
    records
        .iter()
        .filter_map(|r| match r {
            NetRecord::Http(h) => Some(h.as_ref()),
            _ => None,
        })
        .collect()
}

#[test]
fn get_with_cookies_and_host_port() {
    let req =
        b"GET /gate.php?id=7 HTTP/1.1\r\nHost: C2.Example.TEST:8080\r\nUser-Agent: Mozilla/4.0\r\n\
Cookie: session=abc; theme = dark\r\nCookie: flag; token=a=b\r\n\r\n"
            .to_vec();
    let (sink, _) = run_both(
        mk,
        &[(ToServer, req), (ToClient, http_response(200, &[], b"ok"))],
    );
    let h = http(&sink.records);
    assert_eq!(h.len(), 1);
    let h = h[0];
    assert_eq!(h.method, "GET");
    assert_eq!(h.uri, "/gate.php?id=7");
    assert_eq!(h.version, "1.1");
    assert_eq!(h.host.as_deref(), Some("c2.example.test"));
    assert_eq!(h.user_agent.as_deref(), Some("Mozilla/4.0"));
    let cookies: Vec<(&str, &str)> = h
        .cookies
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(
        cookies,
        [
            ("session", "abc"),
            ("theme", "dark"),
            ("flag", ""),
            ("token", "a=b")
        ]
    );
    assert_eq!(h.status, Some(200));
    assert_eq!(h.response_body, b"ok");
    assert_eq!(h.meta.evidence.frames, [1, 2]);
}

#[test]
fn post_with_multipart_body_kept() {
    let boundary = "------974767299852498929531610575";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nhello\r\n--{boundary}--\r\n"
    );
    let ct = format!("multipart/form-data; boundary={boundary}");
    let req = http_request(
        "POST",
        "/upload",
        &[("Host", "files.example.test"), ("Content-Type", &ct)],
        body.as_bytes(),
    );
    let (sink, _) = run_both(
        mk,
        &[(ToServer, req), (ToClient, http_response(201, &[], b""))],
    );
    let h = http(&sink.records)[0];
    assert_eq!(h.request_body, body.as_bytes());
    assert_eq!(h.request_body_len, body.len() as u64);
    assert!(String::from_utf8_lossy(&h.request_body).contains(boundary));
    assert_eq!(h.status, Some(201));
}

#[test]
fn chunked_response_and_large_body_prefix() {
    let big = vec![b'x'; MAX_BODY + 1000];
    let mut resp = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    resp.extend(b"5;ext=1\r\nhello\r\n");
    resp.extend(format!("{:x}\r\n", big.len()).as_bytes());
    resp.extend(&big);
    resp.extend(b"\r\n0\r\nX-Trailer: 1\r\n\r\n");
    let script = [
        (ToServer, http_request("GET", "/a", &[("Host", "h")], b"")),
        (ToClient, resp),
        (ToServer, http_request("GET", "/b", &[("Host", "h")], b"")),
        (ToClient, http_response(404, &[], b"nope")),
    ];
    let (sink, _) = run_both(mk, &script);
    let h = http(&sink.records);
    assert_eq!(h.len(), 2);
    assert_eq!(h[0].response_body_len, 5 + big.len() as u64);
    assert_eq!(h[0].response_body.len(), MAX_BODY);
    assert!(h[0].response_body.starts_with(b"helloxxx"));
    assert_eq!((h[1].uri.as_str(), h[1].status), ("/b", Some(404)));
}

#[test]
fn pipelined_requests_pair_in_order_and_head_has_no_body() {
    let mut reqs = http_request("GET", "/1", &[("Host", "h")], b"");
    reqs.extend(http_request("HEAD", "/2", &[("Host", "h")], b""));
    reqs.extend(http_request("POST", "/3", &[("Host", "h")], b"abc"));
    let mut resps = http_response(200, &[], b"one");
    // A HEAD response announces a length but carries no body.
    resps.extend(b"HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n");
    resps.extend(b"HTTP/1.1 100 Continue\r\n\r\n");
    resps.extend(http_response(302, &[("Location", "/x")], b"three"));
    let (sink, _) = run_both(mk, &[(ToServer, reqs), (ToClient, resps)]);
    let h = http(&sink.records);
    let got: Vec<(&str, Option<u16>, &[u8])> = h
        .iter()
        .map(|r| (r.uri.as_str(), r.status, r.response_body.as_slice()))
        .collect();
    assert_eq!(
        got,
        [
            ("/1", Some(200), &b"one"[..]),
            ("/2", Some(200), b""),
            ("/3", Some(302), b"three")
        ]
    );
    assert_eq!(h[2].request_body, b"abc");
}

#[test]
fn request_without_response_is_emitted_at_end() {
    let req = http_request("POST", "/beacon", &[("Host", "evil.example.test")], b"data");
    let (sink, last) = run_both(mk, &[(ToServer, req)]);
    assert_eq!(last, Interest::More);
    let h = http(&sink.records);
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].status, None);
    assert_eq!(h[0].request_body, b"data");
}

#[test]
fn header_block_of_200k_is_an_anomaly_and_done() {
    let mut req = b"GET / HTTP/1.1\r\nHost: h\r\n".to_vec();
    while req.len() < 200 * 1024 {
        req.extend(
            b"X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
        );
    }
    req.extend(b"\r\n");
    let (sink, last) = run(mk().as_mut(), &[(ToServer, req.clone())], usize::MAX);
    assert_eq!(last, Interest::Done);
    assert_eq!(sink.codes(), ["http_header_too_large"]);
    let (sink, last) = run(mk().as_mut(), &[(ToServer, req)], 1);
    assert_eq!(last, Interest::Done);
    assert_eq!(sink.codes(), ["http_header_too_large"]);
    // Too many headers, each small.
    let mut req = b"GET / HTTP/1.1\r\n".to_vec();
    for i in 0..200 {
        req.extend(format!("X-{i}: v\r\n").as_bytes());
    }
    req.extend(b"\r\n");
    let (sink, _) = run(mk().as_mut(), &[(ToServer, req)], usize::MAX);
    assert_eq!(sink.codes(), ["http_header_too_large"]);
}

#[test]
fn huge_chunk_size_is_bounded() {
    let req = b"POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nAAAA".to_vec();
    let (sink, last) = run(mk().as_mut(), &[(ToServer, req)], usize::MAX);
    assert_eq!(last, Interest::Done);
    assert_eq!(sink.codes(), ["http_chunk_bad"]);
    assert_eq!(
        http(&sink.records).len(),
        1,
        "the request is still reported"
    );
    let req =
        b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1ffffffffffffffff0\r\n".to_vec();
    let (sink, _) = run(mk().as_mut(), &[(ToServer, req)], 3);
    assert_eq!(sink.codes(), ["http_chunk_bad"]);
}

#[test]
fn connect_is_done_after_its_record() {
    let req = b"CONNECT c2.example.test:443 HTTP/1.1\r\nHost: c2.example.test:443\r\n\r\n".to_vec();
    let resp = b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01".to_vec();
    let (sink, last) = run_both(mk, &[(ToServer, req), (ToClient, resp)]);
    assert_eq!(last, Interest::Done);
    let h = http(&sink.records);
    assert_eq!((h[0].method.as_str(), h[0].status), ("CONNECT", Some(200)));
    assert_eq!(h[0].host.as_deref(), Some("c2.example.test"));
}

#[test]
fn close_delimited_body_stops_after_prefix() {
    let mut resp = b"HTTP/1.0 200 OK\r\nServer: x\r\n\r\n".to_vec();
    resp.extend(vec![b'z'; MAX_BODY + 10]);
    let script = [
        (ToServer, b"GET /f HTTP/1.0\r\n\r\n".to_vec()),
        (ToClient, resp),
    ];
    let (sink, last) = run_both(mk, &script);
    assert_eq!(last, Interest::Done);
    assert_eq!(http(&sink.records)[0].response_body.len(), MAX_BODY);
}

#[test]
fn garbage_is_a_bad_message() {
    let (sink, last) = run(
        mk().as_mut(),
        &[(ToServer, b"\x00\x01\x02 nonsense\r\n\r\n".to_vec())],
        usize::MAX,
    );
    assert_eq!(last, Interest::Done);
    assert_eq!(sink.codes(), ["http_bad_message"]);
}
