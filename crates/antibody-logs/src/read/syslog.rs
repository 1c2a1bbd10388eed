//! Syslog: RFC 3164 (BSD, with or without `<PRI>`, as in `/var/log/auth.log`
//! or with an RFC 3339 timestamp as rsyslog writes it) and RFC 5424.
//!
//! ```text
//! <38>May  4 10:00:00 web1 sshd[4242]: Accepted password for alice from 192.0.2.7 port 51234 ssh2
//! May  4 10:00:00 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/sh
//! 2024-05-04T10:00:00.123456+00:00 web1 CRON[77]: (root) CMD (run-parts /etc/cron.hourly)
//! <165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application"] An application event
//! ```
//!
//! Fields: `facility` and `severity` (names: `auth`, `local0`...; `err`,
//! `info`...) when a PRI is there; `host`; `program` and `app_name` (the
//! same value); `pid` (an integer when numeric); `msgid` (RFC 5424);
//! every RFC 5424 structured-data parameter by its name; `message`.
//! sshd logins (`Accepted|Failed <method> for [invalid user ]USER from IP
//! port N`, `Invalid user USER from IP`) add `user`, `src_ip`, `src_port`,
//! `auth_method` and `outcome` (`success` or `failure`).
//!
//! Logsource: product `linux`; service by program: `sshd` (also
//! `sshd-session`), `sudo`, `cron` (`CRON`, `crond`, `anacron`), `vsftpd`,
//! `clamav` (`clamd`, `freshclam`), `guacamole` (`guacd`); `auth` for the
//! other authentication programs (`su`, `login`, `passwd`, `useradd`,
//! `systemd-logind`, `polkitd`, PAM helpers...) and for any program logging
//! to the `auth`/`authpriv` facility; `syslog` otherwise. (Rules written for
//! `service: auth` read all of `auth.log`, which also holds sshd and sudo
//! lines: the mapping should let `auth` match those services too.)
//!
//! RFC 3164 timestamps have no year: the current year is assumed, unless
//! that puts the event more than a day in the future (a log from last
//! December read in January), then the year before. They have no zone
//! either and are taken as UTC.

use crate::event::Event;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use regex::Regex;
use std::sync::LazyLock;

const FACILITIES: [&str; 24] = [
    "kern",
    "user",
    "mail",
    "daemon",
    "auth",
    "syslog",
    "lpr",
    "news",
    "uucp",
    "cron",
    "authpriv",
    "ftp",
    "ntp",
    "security",
    "console",
    "solaris-cron",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
];
const SEVERITIES: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A parsed syslog line; text borrows from the line.
#[derive(Debug, Default)]
pub(crate) struct Syslog<'a> {
    /// `<PRI>` value.
    pub pri: Option<u8>,
    /// Header timestamp, in UTC.
    pub timestamp: Option<DateTime<Utc>>,
    /// Sending host.
    pub host: Option<&'a str>,
    /// Tag / APP-NAME.
    pub app: Option<&'a str>,
    /// `[pid]` / PROCID.
    pub pid: Option<&'a str>,
    /// RFC 5424 MSGID.
    pub msgid: Option<&'a str>,
    /// RFC 5424 structured-data parameters.
    pub params: Vec<(String, String)>,
    /// The message after the header.
    pub message: &'a str,
}

/// Parses `line` as syslog, `None` when it has neither a PRI nor a
/// syslog timestamp. `now` fixes the year of RFC 3164 timestamps.
pub(crate) fn parse(line: &str, now: DateTime<Utc>) -> Option<Syslog<'_>> {
    let mut out = Syslog::default();
    let mut rest = line;
    if let Some((pri, after)) = parse_pri(rest) {
        out.pri = Some(pri);
        rest = after;
        if let Some(after) = rest.strip_prefix("1 ") {
            return parse_5424(after, out);
        }
    }
    let trimmed = rest.trim_start();
    let (timestamp, after) = match bsd_timestamp(trimmed, now) {
        Some(found) => found,
        None => {
            let token = trimmed.split(' ').next().unwrap_or("");
            match super::parse_timestamp(token).filter(|_| token.contains('T')) {
                Some(t) => (t, &trimmed[token.len()..]),
                None if out.pri.is_some() => {
                    // A PRI then something else (FortiGate, NetScaler): the
                    // rest is the message.
                    out.message = trimmed;
                    return Some(out);
                }
                None => return None,
            }
        }
    };
    out.timestamp = Some(timestamp);
    let after = after.trim_start();
    let (first, tail) = split_token(after);
    if let Some((app, pid)) = tag(first) {
        // No host: the first word is already the tag.
        out.app = Some(app);
        out.pid = pid;
        out.message = tail.trim_start();
        return Some(out);
    }
    out.host = Some(first).filter(|h| !h.is_empty());
    let (second, tail2) = split_token(tail.trim_start());
    match tag(second) {
        Some((app, pid)) => {
            out.app = Some(app);
            out.pid = pid;
            out.message = tail2.trim_start();
        }
        None => out.message = tail.trim_start(),
    }
    Some(out)
}

fn parse_pri(s: &str) -> Option<(u8, &str)> {
    let body = s.strip_prefix('<')?;
    let end = body.find('>')?;
    if end == 0 || end > 3 || !body[..end].bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let pri: u8 = body[..end].parse().ok().filter(|p| *p <= 191)?;
    Some((pri, &body[end + 1..]))
}

fn split_token(s: &str) -> (&str, &str) {
    match s.find(' ') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    }
}

/// `prog[pid]:` or `prog:` → (prog, pid).
fn tag(token: &str) -> Option<(&str, Option<&str>)> {
    let token = token.strip_suffix(':')?;
    if let Some(open) = token.find('[') {
        let pid = token[open + 1..].strip_suffix(']')?;
        let app = &token[..open];
        return (!app.is_empty()).then_some((app, Some(pid)));
    }
    (!token.is_empty() && !token.contains(':')).then_some((token, None))
}

/// `Mmm dd hh:mm:ss` at the start of `s`, and the rest.
fn bsd_timestamp(s: &str, now: DateTime<Utc>) -> Option<(DateTime<Utc>, &str)> {
    let b = s.as_bytes();
    if b.len() < 15 || b[3] != b' ' || b[9] != b':' || b[12] != b':' {
        return None;
    }
    let month = MONTHS.iter().position(|m| s.get(..3) == Some(m))? as u32 + 1;
    let day: u32 = s.get(4..6)?.trim().parse().ok()?;
    let h: u32 = s.get(7..9)?.parse().ok()?;
    let m: u32 = s.get(10..12)?.parse().ok()?;
    let sec: u32 = s.get(13..15)?.parse().ok()?;
    let t = infer_year(month, day, h, m, sec, now)?;
    Some((t, &s[15..]))
}

/// The latest year (this one or up to four back, for 29 February) that
/// does not put the time more than a day after `now`.
pub(crate) fn infer_year(
    month: u32,
    day: u32,
    h: u32,
    m: u32,
    s: u32,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let year = now.year();
    (0..5).find_map(|back| {
        let t = NaiveDate::from_ymd_opt(year - back, month, day)?
            .and_hms_opt(h, m, s)?
            .and_utc();
        (t <= now + Duration::days(1)).then_some(t)
    })
}

fn nil(s: &str) -> Option<&str> {
    (s != "-" && !s.is_empty()).then_some(s)
}

fn parse_5424<'a>(s: &'a str, mut out: Syslog<'a>) -> Option<Syslog<'a>> {
    let mut rest = s;
    let mut header = [""; 5];
    for slot in header.iter_mut() {
        let (token, tail) = split_token(rest);
        *slot = token;
        rest = tail.strip_prefix(' ').unwrap_or(tail);
    }
    out.timestamp = nil(header[0]).and_then(super::parse_timestamp);
    out.host = nil(header[1]);
    out.app = nil(header[2]);
    out.pid = nil(header[3]);
    out.msgid = nil(header[4]);
    if let Some(after) = rest.strip_prefix('-') {
        rest = after;
    } else {
        while rest.starts_with('[') {
            match structured_element(rest, &mut out.params) {
                Some(after) => rest = after,
                None => break,
            }
        }
    }
    let msg = rest.strip_prefix(' ').unwrap_or(rest);
    out.message = msg.strip_prefix('\u{feff}').unwrap_or(msg);
    Some(out)
}

/// One `[id k="v" ...]` element; its parameters go to `params`; the rest
/// of the line after `]`.
fn structured_element<'a>(s: &'a str, params: &mut Vec<(String, String)>) -> Option<&'a str> {
    let body = s.strip_prefix('[')?;
    let mut chars = body.char_indices().peekable();
    // The SD-ID.
    while let Some(&(_, c)) = chars.peek() {
        if c == ' ' || c == ']' {
            break;
        }
        chars.next();
    }
    loop {
        let (i, c) = chars.next()?;
        match c {
            ']' => return Some(&body[i + 1..]),
            ' ' => {}
            _ => {
                let name_start = i;
                let mut name_end = i;
                let mut c = c;
                while c != '=' {
                    let (j, next) = chars.next()?;
                    name_end = j;
                    c = next;
                }
                if chars.next()?.1 != '"' {
                    return None;
                }
                let mut value = String::new();
                loop {
                    let (_, c) = chars.next()?;
                    match c {
                        '\\' => {
                            let (_, escaped) = chars.next()?;
                            if !matches!(escaped, '"' | '\\' | ']') {
                                value.push('\\');
                            }
                            value.push(escaped);
                        }
                        '"' => break,
                        c => value.push(c),
                    }
                }
                params.push((body[name_start..name_end].to_string(), value));
            }
        }
    }
}

static SSHD_LOGIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(Accepted|Failed) (\S+) for (?:invalid user )?(\S*) from (\S+) port (\d+)")
        .expect("valid regex")
});
static SSHD_INVALID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^Invalid user (\S*) from (\S+)(?: port (\d+))?").expect("valid regex")
});

/// Adds the syslog fields of `s` to `event` and sets its logsource.
pub(crate) fn add_fields(s: &Syslog<'_>, event: &mut Event) {
    if let Some(pri) = s.pri {
        event.push("facility", FACILITIES[usize::from(pri / 8)]);
        event.push("severity", SEVERITIES[usize::from(pri % 8)]);
    }
    if let Some(host) = s.host {
        event.push("host", host);
    }
    if let Some(app) = s.app {
        event.push("program", app);
        event.push("app_name", app);
    }
    if let Some(pid) = s.pid {
        match pid.parse::<i64>() {
            Ok(n) => event.push("pid", n),
            Err(_) => event.push("pid", pid),
        }
    }
    if let Some(msgid) = s.msgid {
        event.push("msgid", msgid);
    }
    for (name, value) in &s.params {
        event.push(name.as_str(), value.as_str());
    }
    event.push("message", s.message);
    let service = service(s.app, s.pri.map(|p| p / 8));
    if service == "sshd" {
        sshd_fields(s.message, event);
    }
    event.timestamp = s.timestamp;
    event.logsource.product = Some("linux".to_string());
    event.logsource.service = Some(service.to_string());
}

fn sshd_fields(message: &str, event: &mut Event) {
    if let Some(c) = SSHD_LOGIN.captures(message) {
        let outcome = if &c[1] == "Accepted" {
            "success"
        } else {
            "failure"
        };
        event.push("auth_method", &c[2]);
        event.push("user", &c[3]);
        event.push("src_ip", &c[4]);
        if let Ok(port) = c[5].parse::<i64>() {
            event.push("src_port", port);
        }
        event.push("outcome", outcome);
    } else if let Some(c) = SSHD_INVALID.captures(message) {
        event.push("user", &c[1]);
        event.push("src_ip", &c[2]);
        if let Some(port) = c.get(3).and_then(|p| p.as_str().parse::<i64>().ok()) {
            event.push("src_port", port);
        }
        event.push("outcome", "failure");
    }
}

/// The Sigma service of a program (see the module doc).
pub(crate) fn service(app: Option<&str>, facility: Option<u8>) -> &'static str {
    let name = app
        .map(|a| a.rsplit('/').next().unwrap_or(a).to_ascii_lowercase())
        .unwrap_or_default();
    match name.as_str() {
        "sshd" | "sshd-session" | "sshd-auth" => "sshd",
        "sudo" => "sudo",
        "cron" | "crond" | "anacron" => "cron",
        "vsftpd" => "vsftpd",
        "clamd" | "freshclam" | "clamav" | "clamscan" => "clamav",
        "guacd" | "guacamole" => "guacamole",
        "su" | "login" | "passwd" | "useradd" | "userdel" | "usermod" | "groupadd" | "groupdel"
        | "groupmod" | "gpasswd" | "chpasswd" | "chage" | "newgrp" | "systemd-logind"
        | "polkitd" | "pkexec" | "doas" | "unix_chkpwd" | "gdm-password" | "lightdm" | "sssd" => {
            "auth"
        }
        n if n.starts_with("pam") || n.starts_with("polkit") => "auth",
        _ if matches!(facility, Some(4 | 10)) => "auth",
        _ => "syslog",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::FieldValue;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0)
            .single()
            .expect("valid")
    }

    #[test]
    fn rfc3164_with_pri_and_sshd_login() {
        let s = parse(
            "<38>May  4 10:00:00 web1 sshd[4242]: Accepted password for alice from 192.0.2.7 port 51234 ssh2",
            now(),
        )
        .expect("syslog");
        assert_eq!(s.pri, Some(38));
        assert_eq!(
            (s.host, s.app, s.pid),
            (Some("web1"), Some("sshd"), Some("4242"))
        );
        assert_eq!(
            s.timestamp.map(|t| t.to_rfc3339()).as_deref(),
            Some("2024-05-04T10:00:00+00:00")
        );
        let mut e = Event::new(crate::Format::Syslog, crate::Position::Line(1));
        add_fields(&s, &mut e);
        assert_eq!(e.text("facility").as_deref(), Some("auth"));
        assert_eq!(e.text("severity").as_deref(), Some("info"));
        assert_eq!(e.get("pid"), Some(&FieldValue::Int(4242)));
        assert_eq!(e.text("user").as_deref(), Some("alice"));
        assert_eq!(e.text("src_ip").as_deref(), Some("192.0.2.7"));
        assert_eq!(e.text("outcome").as_deref(), Some("success"));
        assert_eq!(e.logsource.service.as_deref(), Some("sshd"));
    }

    #[test]
    fn year_of_a_future_date_is_last_year() {
        let s = parse("Dec 31 23:59:59 h CRON[1]: x", now()).expect("syslog");
        assert_eq!(s.timestamp.map(|t| t.year()), Some(2023));
        assert!(parse("Feb 29 00:00:00 h x: y", now()).is_some());
    }

    #[test]
    fn no_pri_no_timestamp_is_not_syslog() {
        assert!(parse("hello world", now()).is_none());
        let s = parse("<189>date=2019-05-13 time=14:21:42 devname=x", now()).expect("pri");
        assert_eq!(s.message, "date=2019-05-13 time=14:21:42 devname=x");
    }

    #[test]
    fn rfc5424_structured_data() {
        let s = parse(
            r#"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Appli\"cation"][x@1 a="]"] An application event"#,
            now(),
        )
        .expect("syslog");
        assert_eq!(s.host, Some("mymachine.example.com"));
        assert_eq!(
            (s.app, s.pid, s.msgid),
            (Some("evntslog"), None, Some("ID47"))
        );
        assert_eq!(
            s.params,
            vec![
                ("iut".to_string(), "3".to_string()),
                ("eventSource".to_string(), "Appli\"cation".to_string()),
                ("a".to_string(), "]".to_string())
            ]
        );
        assert_eq!(s.message, "An application event");
        assert_eq!(s.timestamp.map(|t| t.timestamp_subsec_millis()), Some(3));
    }

    #[test]
    fn services_by_program() {
        assert_eq!(service(Some("/usr/sbin/sshd"), None), "sshd");
        assert_eq!(service(Some("CRON"), None), "cron");
        assert_eq!(service(Some("useradd"), None), "auth");
        assert_eq!(service(Some("foo"), Some(10)), "auth");
        assert_eq!(service(Some("foo"), Some(1)), "syslog");
    }
}
