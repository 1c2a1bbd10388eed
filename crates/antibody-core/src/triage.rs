//! Triage: decide what an item is from its content, never its extension.
//!
//! Only the first [`SNIFF_LEN`] bytes are looked at. Each kind names the
//! engine that is meant to hunt it, so that items no loaded engine handles
//! can be counted and listed as "not hunted" instead of being dropped.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How many leading bytes [`sniff`] needs to decide.
pub const SNIFF_LEN: usize = 4096;

/// The kind of an item, decided by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Kind {
    /// Zero bytes.
    Empty,
    /// Windows PE (MZ with a PE header).
    Pe,
    /// ELF executable or library.
    Elf,
    /// Mach-O or universal binary.
    MachO,
    /// ZIP archive (also JAR, DOCX, APK).
    Zip,
    /// gzip stream.
    Gzip,
    /// POSIX/GNU tar archive.
    Tar,
    /// bzip2 stream.
    Bzip2,
    /// xz stream.
    Xz,
    /// 7-Zip archive.
    SevenZip,
    /// RAR archive.
    Rar,
    /// Windows event log file.
    Evtx,
    /// Classic libpcap capture.
    Pcap,
    /// pcapng capture.
    Pcapng,
    /// An RFC 5322 e-mail message.
    Email,
    /// An mbox mailbox.
    Mbox,
    /// SQLite database.
    Sqlite,
    /// PDF document.
    Pdf,
    /// OLE compound file (legacy Office, MSI).
    Ole,
    /// Lines of JSON objects (Winlogbeat, Sysmon for Linux).
    JsonLines,
    /// Web, proxy or VPN access log, or syslog.
    Log,
    /// A Zeek log (TSV with `#separator`/`#fields` headers, or JSON lines
    /// with `uid` and `id.orig_h`).
    ZeekLog,
    /// Other text.
    Text,
    /// Other binary data.
    Binary,
}

impl Kind {
    /// The snake_case name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Empty => "empty",
            Kind::Pe => "pe",
            Kind::Elf => "elf",
            Kind::MachO => "macho",
            Kind::Zip => "zip",
            Kind::Gzip => "gzip",
            Kind::Tar => "tar",
            Kind::Bzip2 => "bzip2",
            Kind::Xz => "xz",
            Kind::SevenZip => "7z",
            Kind::Rar => "rar",
            Kind::Evtx => "evtx",
            Kind::Pcap => "pcap",
            Kind::Pcapng => "pcapng",
            Kind::Email => "email",
            Kind::Mbox => "mbox",
            Kind::Sqlite => "sqlite",
            Kind::Pdf => "pdf",
            Kind::Ole => "ole",
            Kind::JsonLines => "json_lines",
            Kind::Log => "log",
            Kind::ZeekLog => "zeek",
            Kind::Text => "text",
            Kind::Binary => "binary",
        }
    }

    /// The engine meant to hunt this kind beyond the generic file checks
    /// (hashes, names, YARA), if any.
    pub fn specialist(self) -> Option<&'static str> {
        match self {
            Kind::Evtx | Kind::JsonLines | Kind::Log => Some("logs"),
            Kind::Pcap | Kind::Pcapng | Kind::ZeekLog => Some("net"),
            Kind::Email | Kind::Mbox => Some("mail"),
            Kind::Bzip2 | Kind::Xz | Kind::SevenZip | Kind::Rar => Some("archive"),
            _ => None,
        }
    }

    /// Whether the files engine opens this kind as a container.
    pub fn is_container(self) -> bool {
        matches!(self, Kind::Zip | Kind::Gzip | Kind::Tar)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Decides an item's kind from its first bytes.
pub fn sniff(head: &[u8]) -> Kind {
    if head.is_empty() {
        return Kind::Empty;
    }
    let starts = |m: &[u8]| head.starts_with(m);
    if starts(b"MZ") && is_pe(head) {
        return Kind::Pe;
    }
    if starts(b"\x7fELF") {
        return Kind::Elf;
    }
    if starts(&[0xfe, 0xed, 0xfa, 0xce])
        || starts(&[0xfe, 0xed, 0xfa, 0xcf])
        || starts(&[0xce, 0xfa, 0xed, 0xfe])
        || starts(&[0xcf, 0xfa, 0xed, 0xfe])
    {
        return Kind::MachO;
    }
    if starts(b"PK\x03\x04") || starts(b"PK\x05\x06") || starts(b"PK\x07\x08") {
        return Kind::Zip;
    }
    if starts(&[0x1f, 0x8b]) {
        return Kind::Gzip;
    }
    if starts(b"BZh") && head.len() > 3 && (b'1'..=b'9').contains(&head[3]) {
        return Kind::Bzip2;
    }
    if starts(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
        return Kind::Xz;
    }
    if starts(&[b'7', b'z', 0xbc, 0xaf, 0x27, 0x1c]) {
        return Kind::SevenZip;
    }
    if starts(b"Rar!\x1a\x07") {
        return Kind::Rar;
    }
    if starts(b"ElfFile\0") {
        return Kind::Evtx;
    }
    if starts(&[0xd4, 0xc3, 0xb2, 0xa1])
        || starts(&[0xa1, 0xb2, 0xc3, 0xd4])
        || starts(&[0x4d, 0x3c, 0xb2, 0xa1])
        || starts(&[0xa1, 0xb2, 0x3c, 0x4d])
    {
        return Kind::Pcap;
    }
    if starts(&[0x0a, 0x0d, 0x0d, 0x0a]) {
        return Kind::Pcapng;
    }
    if starts(b"SQLite format 3\0") {
        return Kind::Sqlite;
    }
    if starts(b"%PDF-") {
        return Kind::Pdf;
    }
    if starts(&[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]) {
        return Kind::Ole;
    }
    if is_tar(head) {
        return Kind::Tar;
    }
    if !looks_textual(head) {
        return Kind::Binary;
    }
    sniff_text(head)
}

fn is_pe(head: &[u8]) -> bool {
    if head.len() < 0x40 {
        // Too short to hold a PE header: still call it PE if only MZ is
        // there, since truncated PEs are what a hunter wants scanned as such.
        return true;
    }
    let e_lfanew = u32::from_le_bytes([head[0x3c], head[0x3d], head[0x3e], head[0x3f]]) as usize;
    match head.get(e_lfanew..e_lfanew + 4) {
        Some(sig) => sig == b"PE\0\0",
        // Header beyond the sniffed window: trust the MZ.
        None => e_lfanew >= head.len(),
    }
}

fn is_tar(head: &[u8]) -> bool {
    if head.len() < 512 {
        return false;
    }
    if &head[257..262] == b"ustar" {
        return true;
    }
    // Old (v7) tar: checksum field must match the header's byte sum.
    let field = &head[148..156];
    let text: String = field
        .iter()
        .take_while(|&&b| b != 0 && b != b' ')
        .map(|&b| b as char)
        .collect();
    let Ok(stored) = u32::from_str_radix(text.trim(), 8) else {
        return false;
    };
    let sum: u32 = head[..512]
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u32::from(b)
            }
        })
        .sum();
    stored == sum && head[0] != 0
}

fn looks_textual(head: &[u8]) -> bool {
    // UTF-16 with a byte-order mark is text too (exported logs often are).
    if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
        return true;
    }
    let control = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c | 0x1b))
        .count();
    control * 100 <= head.len() // at most 1% control bytes
        && !head.contains(&0)
}

fn sniff_text(head: &[u8]) -> Kind {
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start_matches('\u{feff}');
    let first = text.lines().next().unwrap_or("");
    if first.starts_with("From ") && text.contains("\nFrom:") {
        return Kind::Mbox;
    }
    if is_mail_header(text) {
        return Kind::Email;
    }
    let mut lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(9)
        .collect();
    // A full head that does not end a line cut its last line: judge that
    // one by how it starts only. When it is the only line (a first event
    // longer than the head, such as a big script block), it is all there is.
    let cut = head.len() >= SNIFF_LEN && !head.ends_with(b"\n");
    let partial = if cut { lines.pop() } else { None };
    lines.truncate(8);
    if first.starts_with("#separator") {
        return Kind::ZeekLog;
    }
    let json = |l: &str| l.trim_start().starts_with('{') && l.trim_end().ends_with('}');
    let zeek_json = |l: &str| l.contains("\"uid\":") && l.contains("\"id.orig_h\":");
    if lines.first().is_some_and(|l| json(l) && zeek_json(l)) {
        return Kind::ZeekLog;
    }
    if (!lines.is_empty() && lines.iter().all(|l| json(l)))
        && partial.is_none_or(|p| p.trim_start().starts_with('{'))
        || (lines.is_empty() && partial.is_some_and(|p| p.trim_start().starts_with("{\"")))
    {
        return Kind::JsonLines;
    }
    if first.starts_with("#Software: Microsoft Internet Information Services")
        || first.starts_with("#Version:")
        || first.starts_with("#Fields:")
    {
        return Kind::Log;
    }
    let log_like = lines.iter().filter(|l| is_log_line(l)).count();
    if !lines.is_empty() && log_like * 2 > lines.len() {
        return Kind::Log;
    }
    if lines.is_empty() && partial.is_some_and(|p| is_log_line(p) || starts_like_access_line(p)) {
        return Kind::Log;
    }
    Kind::Text
}

fn is_mail_header(text: &str) -> bool {
    let mut seen = 0;
    for line in text.lines().take(40) {
        if line.is_empty() {
            break;
        }
        let lower = line.to_ascii_lowercase();
        for h in [
            "from:",
            "to:",
            "subject:",
            "date:",
            "message-id:",
            "received:",
            "return-path:",
            "mime-version:",
        ] {
            if lower.starts_with(h) {
                seen += 1;
            }
        }
    }
    seen >= 3
}

/// Access-log and syslog shapes: `1.2.3.4 - - [..] "GET ..."`,
/// `<13>Jan  1 ...`, `Jan  1 00:00:00 host prog[pid]: ...`, ISO timestamps.
/// The start of a combined/common access-log line whose end was cut:
/// `IP - user [date] "METHOD ...`.
fn starts_like_access_line(line: &str) -> bool {
    let l = line.trim_start();
    l.contains(" [")
        && ["\"GET ", "\"POST ", "\"HEAD ", "\"PUT ", "\"OPTIONS "]
            .iter()
            .any(|m| l.contains(m))
}

fn is_log_line(line: &str) -> bool {
    let l = line.trim_start();
    if l.starts_with('<')
        && l[1..].chars().take_while(char::is_ascii_digit).count() > 0
        && l.contains('>')
    {
        return true;
    }
    if l.contains("\" ")
        && l.contains(" [")
        && (l.contains("\"GET ")
            || l.contains("\"POST ")
            || l.contains("\"HEAD ")
            || l.contains("\"-\""))
    {
        return true;
    }
    const MONTHS: [&str; 12] = [
        "Jan ", "Feb ", "Mar ", "Apr ", "May ", "Jun ", "Jul ", "Aug ", "Sep ", "Oct ", "Nov ",
        "Dec ",
    ];
    if MONTHS.iter().any(|m| l.starts_with(m))
        && l.get(7..15)
            .is_some_and(|t| t.as_bytes().get(2) == Some(&b':'))
    {
        return true;
    }
    let b = l.as_bytes();
    b.len() > 19
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b'T' || b[10] == b' ')
        && b[13] == b':'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_first_line_longer_than_the_head_is_judged_by_its_start() {
        let long = "a".repeat(2 * SNIFF_LEN);
        let json = format!("{{\"message\":\"{long}\"}}\n{{\"a\":1}}\n");
        assert_eq!(sniff(&json.as_bytes()[..SNIFF_LEN]), Kind::JsonLines);
        let access =
            format!("192.0.2.1 - - [12/May/2020:08:01:00 +0000] \"GET /{long} HTTP/1.1\" 200 1\n");
        assert_eq!(sniff(&access.as_bytes()[..SNIFF_LEN]), Kind::Log);
        let prose = format!("Once upon a time {long}");
        assert_eq!(sniff(&prose.as_bytes()[..SNIFF_LEN]), Kind::Text);
    }

    fn pe_header() -> Vec<u8> {
        let mut v = vec![0u8; 0x100];
        v[..2].copy_from_slice(b"MZ");
        v[0x3c] = 0x80;
        v[0x80..0x84].copy_from_slice(b"PE\0\0");
        v
    }

    #[test]
    fn binaries_by_magic() {
        assert_eq!(sniff(&pe_header()), Kind::Pe);
        assert_eq!(sniff(b"\x7fELF\x02\x01\x01"), Kind::Elf);
        assert_eq!(sniff(b"PK\x03\x04rest"), Kind::Zip);
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Kind::Gzip);
        assert_eq!(sniff(b"ElfFile\0xxxx"), Kind::Evtx);
        assert_eq!(sniff(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0]), Kind::Pcap);
        assert_eq!(sniff(&[0x0a, 0x0d, 0x0d, 0x0a, 0, 0]), Kind::Pcapng);
        assert_eq!(sniff(b""), Kind::Empty);
        assert_eq!(sniff(&[0u8, 1, 2, 3, 0xff]), Kind::Binary);
    }

    #[test]
    fn mz_without_pe_header_is_not_pe() {
        let mut v = pe_header();
        v[0x80..0x84].copy_from_slice(b"XXXX");
        assert_eq!(sniff(&v), Kind::Binary);
    }

    #[test]
    fn ustar_header_is_tar() {
        let mut v = vec![0u8; 1024];
        v[..5].copy_from_slice(b"a.txt");
        v[257..263].copy_from_slice(b"ustar\0");
        assert_eq!(sniff(&v), Kind::Tar);
    }

    #[test]
    fn text_kinds() {
        assert_eq!(
            sniff(b"192.0.2.1 - - [04/May/2020:10:00:00 +0000] \"GET / HTTP/1.1\" 200 12 \"-\" \"x\"\n"),
            Kind::Log
        );
        assert_eq!(sniff(b"{\"a\":1}\n{\"b\":2}\n"), Kind::JsonLines);
        assert_eq!(
            sniff(b"From: a@b\nTo: c@d\nSubject: hi\nDate: x\n\nbody"),
            Kind::Email
        );
        assert_eq!(sniff(b"just some notes\nabout things\n"), Kind::Text);
        assert_eq!(sniff(b"#Fields: date time cs-uri-stem\n"), Kind::Log);
        assert_eq!(
            sniff(b"#separator \\x09\n#set_separator\t,\n#path\tconn\n"),
            Kind::ZeekLog
        );
        assert_eq!(
            sniff(b"{\"ts\":1.5,\"uid\":\"C1\",\"id.orig_h\":\"192.0.2.1\"}\n"),
            Kind::ZeekLog
        );
        assert_eq!(Kind::ZeekLog.specialist(), Some("net"));
        assert_eq!(
            sniff(b"May  4 10:00:00 host sshd[1]: Accepted\n"),
            Kind::Log
        );
    }

    #[test]
    fn extension_does_not_matter_specialists_named() {
        assert_eq!(Kind::Evtx.specialist(), Some("logs"));
        assert_eq!(Kind::Pcap.specialist(), Some("net"));
        assert_eq!(Kind::Pe.specialist(), None);
        assert!(Kind::Zip.is_container());
    }
}
