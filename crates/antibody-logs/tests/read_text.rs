//! Text logs through `read_events(Kind::Log, ..)`: access logs, W3C,
//! syslog, appliances, and hostile input.

use antibody_core::{ItemError, ItemErrorKind, Kind, Location};
use antibody_logs::read::{ReadOptions, collect_events, read_events};
use antibody_logs::{Event, FieldValue, Format, Position};
use std::ops::ControlFlow;
use std::time::Instant;

fn read_opts(data: &[u8], options: &ReadOptions) -> (Vec<Event>, Vec<ItemError>) {
    collect_events(Kind::Log, data, &Location::file("access.log"), options)
}

fn read(data: &[u8]) -> (Vec<Event>, Vec<ItemError>) {
    read_opts(data, &ReadOptions::default())
}

fn text<'a>(e: &'a Event, name: &str) -> Option<std::borrow::Cow<'a, str>> {
    e.text(name)
}

#[test]
fn combined_and_common_lines() {
    let log = concat!(
        "203.0.113.5 - - [14/Jan/2020:10:20:30 +0100] \"GET /vpn/../vpns/cfg/smb.conf HTTP/1.1\" 200 512 \"-\" \"curl/7.67.0\"\n",
        "198.51.100.1 - bob [14/Jan/2020:10:21:00 +0000] \"POST /remote/fgt_lang?lang=/../../../..//////////dev/cmdb/sslvpn_websession HTTP/1.1\" 200 1024\n",
    );
    let (events, errors) = read(log.as_bytes());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(events.len(), 2);
    let a = &events[0];
    assert_eq!(a.format, Format::Combined);
    assert_eq!(a.position, Position::Line(1));
    assert_eq!(a.offset, Some(0));
    assert_eq!(a.logsource.category.as_deref(), Some("webserver"));
    assert_eq!(
        text(a, "cs-uri-stem").as_deref(),
        Some("/vpn/../vpns/cfg/smb.conf")
    );
    assert_eq!(a.get("cs-referer"), Some(&FieldValue::Null));
    assert_eq!(text(a, "cs(User-Agent)").as_deref(), Some("curl/7.67.0"));
    assert_eq!(
        text(a, "date").as_deref(),
        Some("14/Jan/2020:10:20:30 +0100")
    );
    assert_eq!(
        a.timestamp.map(|t| t.to_rfc3339()).as_deref(),
        Some("2020-01-14T09:20:30+00:00")
    );
    assert!(
        a.raw
            .as_deref()
            .is_some_and(|r| r.starts_with("203.0.113.5 - -"))
    );
    let b = &events[1];
    assert_eq!(b.position, Position::Line(2));
    assert_eq!(text(b, "cs-username").as_deref(), Some("bob"));
    assert_eq!(text(b, "cs-method").as_deref(), Some("POST"));
    assert_eq!(
        text(b, "cs-uri-query").as_deref(),
        Some("lang=/../../../..//////////dev/cmdb/sslvpn_websession")
    );
    assert!(b.get("cs-user-agent").is_none());
}

#[test]
fn url_decoding_keeps_raw_values() {
    let log = "192.0.2.1 - - [04/May/2024:10:00:00 +0000] \"GET /cgi-bin/%2e%2e/%252e%252e/bin/sh?x=%3Cscript%3E%ZZ HTTP/1.1\" 400 0 \"-\" \"-\"\n";
    let (events, _) = read(log.as_bytes());
    let e = &events[0];
    assert_eq!(
        text(e, "cs-uri-stem").as_deref(),
        Some("/cgi-bin/../../bin/sh")
    );
    assert_eq!(
        text(e, "cs-uri-stem.raw").as_deref(),
        Some("/cgi-bin/%2e%2e/%252e%252e/bin/sh")
    );
    assert_eq!(text(e, "cs-uri-query").as_deref(), Some("x=<script>%ZZ"));
    assert_eq!(
        text(e, "cs-uri").as_deref(),
        Some("/cgi-bin/../../bin/sh?x=<script>%ZZ")
    );
}

#[test]
fn iis_w3c_with_fields_changing_mid_file() {
    let log = concat!(
        "#Software: Microsoft Internet Information Services 10.0\r\n",
        "#Version: 1.0\r\n",
        "#Date: 2021-03-02 00:00:00\r\n",
        "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n",
        "2021-03-02 02:17:48 10.0.0.5 POST /ecp/DDI/DDIService.svc/GetList reason=0&schema=VirtualDirectory 443 - 198.51.100.4 Mozilla/5.0+(Windows+NT+10.0) - 200 0 0 31\r\n",
        "#Fields: date time cs-method cs-uri-stem c-ip sc-status\r\n",
        "2021-03-02 02:18:00 GET /owa/auth/Current/themes/resources/logon.css 198.51.100.4 304\r\n",
    );
    let (events, errors) = read(log.as_bytes());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(events.len(), 2);
    let a = &events[0];
    assert_eq!(a.format, Format::W3c);
    assert_eq!(a.position, Position::Line(5));
    assert_eq!(
        text(a, "cs-uri-stem").as_deref(),
        Some("/ecp/DDI/DDIService.svc/GetList")
    );
    assert_eq!(
        text(a, "cs-uri-query").as_deref(),
        Some("reason=0&schema=VirtualDirectory")
    );
    assert_eq!(
        text(a, "cs-uri").as_deref(),
        Some("/ecp/DDI/DDIService.svc/GetList?reason=0&schema=VirtualDirectory")
    );
    assert_eq!(a.get("cs-username"), Some(&FieldValue::Null));
    assert_eq!(
        text(a, "cs-user-agent").as_deref(),
        Some("Mozilla/5.0 (Windows NT 10.0)")
    );
    assert_eq!(a.get("s-port"), Some(&FieldValue::Int(443)));
    assert_eq!(a.get("time-taken"), Some(&FieldValue::Int(31)));
    assert_eq!(
        a.timestamp.map(|t| t.to_rfc3339()).as_deref(),
        Some("2021-03-02T02:17:48+00:00")
    );
    let b = &events[1];
    assert_eq!(b.position, Position::Line(7));
    assert_eq!(b.get("sc-status"), Some(&FieldValue::Int(304)));
    assert_eq!(text(b, "c-ip").as_deref(), Some("198.51.100.4"));
    assert!(b.get("s-port").is_none());
}

#[test]
fn auth_log_lines() {
    let log = concat!(
        "May  4 10:00:00 web1 sshd[4242]: Failed password for invalid user admin from 203.0.113.9 port 40022 ssh2\n",
        "May  4 10:00:05 web1 sshd[4242]: Accepted publickey for alice from 192.0.2.7 port 51234 ssh2: RSA SHA256:abc\n",
        "May  4 10:01:00 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash\n",
        "May  4 10:02:01 web1 CRON[77]: pam_unix(cron:session): session opened for user root by (uid=0)\n",
        "May  4 10:03:00 web1 useradd[90]: new user: name=backdoor, UID=1001\n",
    );
    let (events, errors) = read(log.as_bytes());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(events.len(), 5);
    let failed = &events[0];
    assert_eq!(failed.format, Format::Syslog);
    assert_eq!(text(failed, "host").as_deref(), Some("web1"));
    assert_eq!(text(failed, "program").as_deref(), Some("sshd"));
    assert_eq!(failed.get("pid"), Some(&FieldValue::Int(4242)));
    assert_eq!(text(failed, "user").as_deref(), Some("admin"));
    assert_eq!(text(failed, "src_ip").as_deref(), Some("203.0.113.9"));
    assert_eq!(failed.get("src_port"), Some(&FieldValue::Int(40022)));
    assert_eq!(text(failed, "outcome").as_deref(), Some("failure"));
    assert!(failed.get("facility").is_none());
    assert_eq!(failed.logsource.product.as_deref(), Some("linux"));
    assert_eq!(failed.logsource.service.as_deref(), Some("sshd"));
    assert_eq!(text(&events[1], "outcome").as_deref(), Some("success"));
    assert_eq!(
        text(&events[1], "auth_method").as_deref(),
        Some("publickey")
    );
    let services: Vec<_> = events
        .iter()
        .map(|e| e.logsource.service.clone().unwrap_or_default())
        .collect();
    assert_eq!(services, ["sshd", "sshd", "sudo", "cron", "auth"]);
    assert_eq!(
        text(&events[2], "message").as_deref(),
        Some("alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash")
    );
    // No year in RFC 3164: this year or, if that is in the future, last.
    let now = chrono::Utc::now();
    assert!(events.iter().all(|e| {
        e.timestamp
            .is_some_and(|t| t <= now + chrono::Duration::days(1))
    }));
}

#[test]
fn rfc5424_with_structured_data() {
    let log = "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] An application event log entry\n";
    let (events, _) = read(log.as_bytes());
    let e = &events[0];
    assert_eq!(text(e, "facility").as_deref(), Some("local4"));
    assert_eq!(text(e, "severity").as_deref(), Some("notice"));
    assert_eq!(text(e, "app_name").as_deref(), Some("evntslog"));
    assert_eq!(text(e, "msgid").as_deref(), Some("ID47"));
    assert_eq!(text(e, "eventSource").as_deref(), Some("Application"));
    assert_eq!(
        text(e, "message").as_deref(),
        Some("An application event log entry")
    );
    assert!(e.get("pid").is_none());
    assert_eq!(
        e.timestamp.map(|t| t.to_rfc3339()).as_deref(),
        Some("2003-10-11T22:14:15.003+00:00")
    );
}

#[test]
fn one_file_mixing_syslog_and_appliances() {
    let log = concat!(
        "Jan 14 10:20:30 gw kernel: eth0 link up\n",
        "<134> 01/14/2020:10:20:30 GMT ns01 0-PPE-0 : default SSLVPN HTTPREQUEST 1234 0 : Context alice@198.51.100.7 - SessionId: 5- gw.example.com User alice : Group(s) N/A : Vserver 10.0.0.1:443 - 01/14/2020:10:20:30 GMT POST /vpns/portal/scripts/newbm.pl - -\n",
        "<134>Jul 24 09:46:36 pcs01 PulseSecure: 2025-07-24 09:46:36 - ive - [198.51.100.9] Default Network::alice(Users)[Staff] - Login succeeded for alice/Users (session:00000000) from 198.51.100.9 with Pulse-Secure/9.1.\n",
        "<134>Mar  4 17:05:15 pcs01 PulseSecure: id=firewall time=\"2021-03-04 17:05:15\" pri=6 fw=172.16.128.22 vpn=ive ivs=Default Network user=System realm=\"\" roles=\"\" proto= src=93.19.66.118 dst= dstname= type=vpn op= arg=\"\" result= sent= rcvd= agent=\"\" duration= msg=\"WEB20174: Unauthenticated request url /dana-na/../dana/html5acc/guacamole/../../../../../../etc/passwd?/dana/html5acc/guacamole/ came from IP 93.19.66.118.\"\n",
        "<189>date=2019-05-10 time=11:37:47 devname=\"FGT60D\" devid=\"FGT60D4614044725\" logid=\"0101039426\" type=\"event\" subtype=\"vpn\" level=\"alert\" vd=\"root\" eventtime=1557513467 logdesc=\"SSL VPN login fail\" action=\"ssl-login-fail\" tunneltype=\"ssl-web\" remip=198.51.100.2 user=\"bob\" reason=\"sslvpn_login_permission_denied\" msg=\"SSL user failed to logged in\"\n",
        "date=2023-06-12 time=08:00:01 devname=\"FGT\" logid=\"0316013056\" type=\"utm\" subtype=\"webfilter\" srcip=10.1.1.5 hostname=\"evil.example\" url=\"https://evil.example/payload.ps1?x=1\" httpmethod=\"GET\" action=\"blocked\" tz=\"+0200\"\n",
    );
    let (events, errors) = read(log.as_bytes());
    assert!(errors.is_empty(), "{errors:?}");
    let products: Vec<_> = events
        .iter()
        .map(|e| e.logsource.product.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        products,
        [
            "linux",
            "citrix",
            "pulse_secure",
            "pulse_secure",
            "fortigate",
            "fortigate"
        ]
    );

    let ns = &events[1];
    assert_eq!(ns.format, Format::Appliance);
    assert_eq!(text(ns, "cs-method").as_deref(), Some("POST"));
    assert_eq!(
        text(ns, "cs-uri-stem").as_deref(),
        Some("/vpns/portal/scripts/newbm.pl")
    );
    assert_eq!(text(ns, "c-ip").as_deref(), Some("198.51.100.7"));
    assert_eq!(text(ns, "user").as_deref(), Some("alice"));
    assert_eq!(ns.logsource.category.as_deref(), Some("webserver"));

    let login = &events[2];
    assert_eq!(text(login, "user").as_deref(), Some("alice"));
    assert_eq!(text(login, "realm").as_deref(), Some("Users"));
    assert_eq!(text(login, "src_ip").as_deref(), Some("198.51.100.9"));
    assert_eq!(text(login, "action").as_deref(), Some("login"));
    assert_eq!(text(login, "status").as_deref(), Some("success"));
    assert_eq!(text(login, "program").as_deref(), Some("PulseSecure"));

    let unauth = &events[3];
    assert_eq!(text(unauth, "event_code").as_deref(), Some("WEB20174"));
    assert_eq!(text(unauth, "ivs").as_deref(), Some("Default Network"));
    assert_eq!(text(unauth, "c-ip").as_deref(), Some("93.19.66.118"));
    assert_eq!(
        text(unauth, "cs-uri-query").as_deref(),
        Some("/dana/html5acc/guacamole/")
    );
    assert_eq!(unauth.logsource.category.as_deref(), Some("webserver"));

    let vpn = &events[4];
    assert_eq!(text(vpn, "action").as_deref(), Some("ssl-login-fail"));
    assert_eq!(text(vpn, "user").as_deref(), Some("bob"));
    assert_eq!(text(vpn, "src_ip").as_deref(), Some("198.51.100.2"));
    assert_eq!(vpn.logsource.service.as_deref(), Some("event"));
    assert_eq!(vpn.timestamp.map(|t| t.timestamp()), Some(1_557_513_467));

    let web = &events[5];
    assert_eq!(text(web, "cs-uri-stem").as_deref(), Some("/payload.ps1"));
    assert_eq!(text(web, "cs-host").as_deref(), Some("evil.example"));
    assert_eq!(
        text(web, "c-uri").as_deref(),
        Some("https://evil.example/payload.ps1?x=1")
    );
    assert_eq!(web.logsource.category.as_deref(), Some("proxy"));
    assert_eq!(
        web.timestamp.map(|t| t.to_rfc3339()).as_deref(),
        Some("2023-06-12T06:00:01+00:00")
    );
}

#[test]
fn zeek_tsv_gives_nothing() {
    let log = "#separator \\x09\n#set_separator\t,\n#fields\tts\tuid\n1.0\tCx\n";
    let (events, errors) = read(log.as_bytes());
    assert!(events.is_empty() && errors.is_empty());
}

#[test]
fn empty_header_only_and_unknown_lines() {
    assert_eq!(read(b"").0.len(), 0);
    let (events, errors) = read(b"#Software: Microsoft Internet Information Services 10.0\n#Fields: date time cs-uri-stem\n");
    assert!(events.is_empty() && errors.is_empty());
    let (events, _) = read(b"nothing log-like here\n\n   \n");
    assert_eq!(events.len(), 1);
    assert_eq!(
        text(&events[0], "message").as_deref(),
        Some("nothing log-like here")
    );
    assert!(events[0].logsource.product.is_none());
}

#[test]
fn invalid_utf8_is_replaced_and_still_parsed() {
    let mut log = b"May  4 10:00:00 web1 sshd[1]: Failed password for r\xffot from 203.0.113.9 port 22 ssh2\n".to_vec();
    log.extend_from_slice(b"\xfe\xfe\x00\x01 binary \x80\n");
    let (events, errors) = read(&log);
    assert!(errors.is_empty());
    assert_eq!(events.len(), 2);
    assert_eq!(text(&events[0], "user").as_deref(), Some("r\u{fffd}ot"));
    assert_eq!(text(&events[0], "src_ip").as_deref(), Some("203.0.113.9"));
    assert!(
        events[1]
            .raw
            .as_deref()
            .is_some_and(|r| r.contains('\u{fffd}'))
    );
}

#[test]
fn binary_garbage_does_not_panic() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let garbage: Vec<u8> = (0..1_000_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let (events, _) = read(&garbage);
    assert!(
        events
            .iter()
            .all(|e| matches!(e.position, Position::Line(_)))
    );
}

/// A 200 MB line is cut to `max_line` for matching, reported once, and the
/// next line is still read; nothing like 200 MB is copied.
#[test]
fn two_hundred_megabyte_line_is_cut_and_reported() {
    let mut log = vec![b'A'; 200_000_000];
    log.extend_from_slice(
        b"\nMay  4 10:00:00 web1 sshd[1]: Accepted password for a from 192.0.2.1 port 1 ssh2\n",
    );
    let started = Instant::now();
    let (events, errors) = read(&log);
    let elapsed = started.elapsed();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].raw.as_ref().map(String::len), Some(1 << 20));
    assert_eq!(events[1].position, Position::Line(2));
    assert_eq!(events[1].offset, Some(200_000_001));
    assert_eq!(text(&events[1], "user").as_deref(), Some("a"));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].kind, ItemErrorKind::Limit);
    assert_eq!(
        errors[0].reason,
        "line 1 is 200000000 bytes, cut to 1048576 for matching"
    );
    assert!(elapsed.as_secs() < 30, "{elapsed:?}");
}

#[test]
fn break_stops_reading() {
    let log = "a\nb\nc\n";
    let mut seen = 0;
    read_events(
        Kind::Log,
        log.as_bytes(),
        &Location::file("x"),
        &ReadOptions::default(),
        &mut |_| {
            seen += 1;
            if seen == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        },
    );
    assert_eq!(seen, 2);
}
