//! What kind of indicator a lone value is, and the normal form of a value of
//! a known kind.
//!
//! Feeds often say a value's type (`ip-dst`, `domain-name:value`); CSV files
//! and plain lists often do not, or say something generic (`hash`, `ioc`).
//! [`classify`] decides from the value alone; [`normalise`] puts a value of a
//! known kind into the form the extractor emits (lowercase hex, canonical
//! addresses, lowercase A-label domains, refanged URLs, hives spelt out), so
//! imported and extracted indicators compare equal.

use crate::model::{Flag, IocKind};
use antibody_core::pack::{IndicatorType, normalise_value};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// File extensions that make a dotted name a file name rather than a host.
const FILE_EXTENSIONS: &[&str] = &[
    "exe", "dll", "sys", "scr", "ps1", "psm1", "bat", "cmd", "vbs", "js", "jse", "hta", "lnk",
    "msi", "sh", "py", "pl", "php", "jsp", "jspx", "aspx", "asp", "ashx", "war", "jar", "elf",
    "bin", "so", "doc", "docx", "docm", "xls", "xlsx", "xlsm", "ppt", "pptx", "rtf", "pdf", "zip",
    "rar", "7z", "iso", "img", "tar", "gz", "tgz", "dat", "tmp", "ps", "com", "txt", "log", "conf",
    "xml", "json", "yml",
];

/// Extensions that are also common top-level domains: a dotted name ending
/// in one is a file name only when it has no more than two labels
/// (`setup.py`, `mwdg.sh`), a host otherwise (`cdn.evil.sh`).
const AMBIGUOUS_EXTENSIONS: &[&str] = &["sh", "py", "pl", "ps", "so", "com", "zip"];

/// Undoes the common defanging styles (`[.]`, `(.)`, `{.}`, `[dot]`,
/// `hxxp`, `[:]`, `[://]`, `[@]`, `[at]`, `\.`). Returns the refanged text
/// and whether anything was changed.
pub fn refang(s: &str) -> (String, bool) {
    const PAIRS: &[(&str, &str)] = &[
        ("[.]", "."),
        ("(.)", "."),
        ("{.}", "."),
        ("[dot]", "."),
        ("(dot)", "."),
        ("{dot}", "."),
        ("[://]", "://"),
        ("[:]", ":"),
        (":[//]", "://"),
        ("[/]", "/"),
        ("[@]", "@"),
        ("[at]", "@"),
        ("(at)", "@"),
        ("\\.", "."),
    ];
    let mut out = s.trim().to_string();
    for (from, to) in PAIRS {
        if out.contains(from) {
            out = out.replace(from, to);
        }
    }
    if let Some((scheme, rest)) = out.split_once("://") {
        let fixed = match scheme.to_ascii_lowercase().as_str() {
            "hxxp" | "h**p" | "meow" => Some("http"),
            "hxxps" | "h**ps" => Some("https"),
            "fxp" => Some("ftp"),
            _ => None,
        };
        if let Some(f) = fixed {
            out = format!("{f}://{}", rest.trim_start());
        }
    }
    let changed = out != s.trim();
    (out, changed)
}

/// The kind and normal form of a lone value, when it is recognisably an
/// indicator. The value is refanged first. A 32-hex value is taken as MD5
/// (a JA3 cannot be told from one without context).
pub fn classify(value: &str) -> Option<(IocKind, String)> {
    let (v, _) = refang(value);
    let v = v.trim();
    if v.is_empty() || v.len() > 8192 {
        return None;
    }
    let upper = v.to_ascii_uppercase();
    if is_cve(&upper) {
        return Some((IocKind::Cve, upper));
    }
    if antibody_core::pack::is_attack_id(&upper) {
        return Some((IocKind::Attack, upper));
    }
    if let Ok(a) = v.parse::<Ipv4Addr>() {
        return Some((IocKind::Ipv4, a.to_string()));
    }
    if let Ok(a) = v.parse::<Ipv6Addr>() {
        return Some((IocKind::Ipv6, a.to_string()));
    }
    if let Ok(n) = v.parse::<ipnet::IpNet>() {
        return Some((IocKind::Cidr, n.trunc().to_string()));
    }
    if let Ok(std::net::SocketAddr::V4(sa)) = v.parse::<std::net::SocketAddr>() {
        return Some((IocKind::Ipv4, sa.ip().to_string()));
    }
    if v.bytes().all(|b| b.is_ascii_hexdigit()) {
        let kind = match v.len() {
            32 => IocKind::Md5,
            40 => IocKind::Sha1,
            64 => IocKind::Sha256,
            128 => IocKind::Sha512,
            _ => return None,
        };
        return Some((kind, v.to_ascii_lowercase()));
    }
    if is_ssdeep(v) {
        return Some((IocKind::Ssdeep, v.to_string()));
    }
    if let Ok(j) = normalise(IocKind::Ja4, v) {
        return Some((IocKind::Ja4, j));
    }
    if v.contains("://") {
        return normalise(IocKind::Url, v).ok().map(|u| (IocKind::Url, u));
    }
    if v.contains('@') && !v.contains(['/', '\\', ' ']) {
        return normalise(IocKind::Email, v)
            .ok()
            .map(|e| (IocKind::Email, e));
    }
    if registry_hive(v).is_some() {
        return normalise(IocKind::Registry, v)
            .ok()
            .map(|r| (IocKind::Registry, r));
    }
    if is_path(v) {
        return Some((IocKind::FilePath, v.to_string()));
    }
    if v.contains(char::is_whitespace) {
        return None;
    }
    // `host/path` written without a scheme is a URL when the host is one.
    if let Some((host, _)) = v.split_once('/')
        && (host.parse::<IpAddr>().is_ok() || is_public_domain(&host.to_ascii_lowercase()))
    {
        return normalise(IocKind::Url, &format!("http://{v}"))
            .ok()
            .map(|u| (IocKind::Url, u));
    }
    let ext = v.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    let is_file_ext = ext.as_deref().is_some_and(|e| FILE_EXTENSIONS.contains(&e));
    let labels = v.split('.').count();
    let ambiguous = ext
        .as_deref()
        .is_some_and(|e| AMBIGUOUS_EXTENSIONS.contains(&e));
    if is_file_ext && (!ambiguous || labels <= 2) && !v.contains(['/', '\\']) {
        return Some((IocKind::FileName, v.to_string()));
    }
    if let Ok(d) = normalise(IocKind::Domain, v)
        && is_public_domain(&d)
    {
        return Some((IocKind::Domain, d));
    }
    None
}

/// The normal form of `value` taken as an indicator of `kind`, or why it is
/// not one. Refangs first; see the module documentation for the forms.
pub fn normalise(kind: IocKind, value: &str) -> Result<String, String> {
    let (v, _) = refang(value);
    let v = v.trim();
    if v.is_empty() {
        return Err("empty value".into());
    }
    let hex = |lens: &[usize], strip_colons: bool| -> Result<String, String> {
        let h: String = v
            .chars()
            .filter(|&c| !(strip_colons && c == ':'))
            .collect::<String>()
            .to_ascii_lowercase();
        if lens.contains(&h.len()) && h.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(h)
        } else {
            let l: Vec<String> = lens.iter().map(|l| l.to_string()).collect();
            Err(format!("expected {} hex digits", l.join(" or ")))
        }
    };
    match kind {
        IocKind::Md5 | IocKind::Ja3 => hex(&[32], false),
        IocKind::Sha1 => hex(&[40], false),
        IocKind::Sha256 => hex(&[64], false),
        IocKind::Sha512 => hex(&[128], false),
        IocKind::X509Fingerprint => hex(&[40, 64], true),
        IocKind::Ipv4 => v
            .parse::<Ipv4Addr>()
            .map(|a| a.to_string())
            .map_err(|_| "not an IPv4 address".into()),
        IocKind::Ipv6 => v
            .parse::<Ipv6Addr>()
            .map(|a| a.to_string())
            .map_err(|_| "not an IPv6 address".into()),
        IocKind::Cidr => v
            .parse::<ipnet::IpNet>()
            .map(|n| n.trunc().to_string())
            .map_err(|_| "not a CIDR network (a.b.c.d/n or x::/n)".into()),
        IocKind::Domain => {
            let d = to_ascii_domain(v.trim_end_matches('.'))?;
            if antibody_core::pack::is_domain(&d) {
                Ok(d)
            } else {
                Err("not a DNS name (labels of a-z, 0-9, -, at least one dot)".into())
            }
        }
        IocKind::Url => normalise_url(v),
        IocKind::Email => {
            let (local, domain) = v
                .rsplit_once('@')
                .ok_or_else(|| "an e-mail address needs an @".to_string())?;
            let domain = to_ascii_domain(domain.trim_end_matches('.'))?;
            if local.is_empty()
                || local.contains(char::is_whitespace)
                || !antibody_core::pack::is_domain(&domain)
            {
                return Err("not an e-mail address".into());
            }
            Ok(format!("{local}@{domain}"))
        }
        IocKind::Ssdeep => {
            if is_ssdeep(v) {
                Ok(v.to_string())
            } else {
                Err("not an SSDEEP hash (blocksize:hash:hash)".into())
            }
        }
        IocKind::Cve => {
            let u = v.to_ascii_uppercase();
            if is_cve(&u) {
                Ok(u)
            } else {
                Err("not a CVE id (CVE-YYYY-NNNN)".into())
            }
        }
        IocKind::Attack => {
            let u = v.to_ascii_uppercase();
            if antibody_core::pack::is_attack_id(&u) {
                Ok(u)
            } else {
                Err("not an ATT&CK id (T1566, T1566.001, G0016, S0514...)".into())
            }
        }
        IocKind::Ja4 => normalise_value(IndicatorType::Ja4, v)
            .map_err(|_| "not a JA4 fingerprint (10_12_12 characters)".into()),
        IocKind::Registry => {
            let (hive, rest) =
                registry_hive(v).ok_or_else(|| "not a registry key (no known hive)".to_string())?;
            Ok(format!("{hive}{rest}").trim_end_matches('\\').to_string())
        }
        IocKind::FileName | IocKind::FilePath => {
            if v.contains(['\n', '\r', '\0']) {
                Err("a file name or path cannot hold line breaks or NUL".into())
            } else {
                Ok(v.to_string())
            }
        }
        // Rule texts are whole documents: only surrounding blank space goes.
        _ => Ok(value.trim().to_string()),
    }
}

/// Why an indicator of `kind` with normal form `value` is not hostile, if it
/// is not: private, loopback, link-local, documentation or reserved
/// addresses and networks, and example names.
pub fn flag_for(kind: IocKind, value: &str) -> Option<Flag> {
    match kind {
        IocKind::Ipv4 | IocKind::Ipv6 => ip_flag(value.parse().ok()?),
        IocKind::Cidr => ip_flag(value.parse::<ipnet::IpNet>().ok()?.network()),
        IocKind::Domain => example_domain(value).then_some(Flag::ExampleDomain),
        IocKind::Url => {
            let host = url_host(value)?;
            if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
                ip_flag(ip)
            } else {
                example_domain(host).then_some(Flag::ExampleDomain)
            }
        }
        IocKind::Email => example_domain(value.rsplit_once('@')?.1).then_some(Flag::ExampleDomain),
        _ => None,
    }
}

fn ip_flag(ip: IpAddr) -> Option<Flag> {
    match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            if a.is_private() {
                Some(Flag::Private)
            } else if a.is_loopback() {
                Some(Flag::Loopback)
            } else if a.is_link_local() {
                Some(Flag::LinkLocal)
            } else if a.is_documentation() {
                Some(Flag::Documentation)
            } else if a.is_unspecified()
                || a.is_broadcast()
                || o[0] == 0
                || o[0] >= 224
                || (o[0] == 100 && (64..128).contains(&o[1]))
            {
                Some(Flag::Reserved)
            } else {
                None
            }
        }
        IpAddr::V6(a) => {
            let s = a.segments();
            if let Some(v4) = a.to_ipv4_mapped() {
                ip_flag(IpAddr::V4(v4))
            } else if (s[0] & 0xfe00) == 0xfc00 {
                Some(Flag::Private)
            } else if a.is_loopback() {
                Some(Flag::Loopback)
            } else if (s[0] & 0xffc0) == 0xfe80 {
                Some(Flag::LinkLocal)
            } else if s[0] == 0x2001 && s[1] == 0x0db8 {
                Some(Flag::Documentation)
            } else if a.is_unspecified() || a.is_multicast() {
                Some(Flag::Reserved)
            } else {
                None
            }
        }
    }
}

fn example_domain(d: &str) -> bool {
    let d = d.trim_end_matches('.');
    ["example.com", "example.net", "example.org"]
        .iter()
        .any(|e| d == *e || d.ends_with(&format!(".{e}")))
        || ["example", "test", "invalid", "localhost", "local"]
            .iter()
            .any(|t| d == *t || d.ends_with(&format!(".{t}")))
}

/// Whether `d` (lowercase, ASCII) ends in a known ICANN public suffix with
/// at least one label before it.
pub fn is_public_domain(d: &str) -> bool {
    if !antibody_core::pack::is_domain(d) {
        return false;
    }
    match psl::suffix(d.as_bytes()) {
        Some(s) => {
            s.is_known() && s.typ() == Some(psl::Type::Icann) && s.as_bytes().len() < d.len()
        }
        None => false,
    }
}

fn is_cve(u: &str) -> bool {
    let Some(rest) = u.strip_prefix("CVE-") else {
        return false;
    };
    let Some((year, num)) = rest.split_once('-') else {
        return false;
    };
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && num.len() >= 4
        && num.len() <= 19
        && num.bytes().all(|b| b.is_ascii_digit())
}

fn is_ssdeep(v: &str) -> bool {
    let mut parts = v.splitn(3, ':');
    let (Some(bs), Some(a), Some(b)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let b64 = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
    };
    // A file name may follow the second hash (`,"name"`), as ssdeep prints.
    let b = b.split(',').next().unwrap_or("");
    !bs.is_empty() && bs.len() <= 10 && bs.bytes().all(|c| c.is_ascii_digit()) && b64(a) && b64(b)
}

/// The spelt-out hive and the rest of a registry key, when it starts with a
/// known hive name or abbreviation.
fn registry_hive(v: &str) -> Option<(&'static str, &str)> {
    const HIVES: &[(&str, &str)] = &[
        ("HKEY_LOCAL_MACHINE", "HKEY_LOCAL_MACHINE"),
        ("HKEY_CURRENT_USER", "HKEY_CURRENT_USER"),
        ("HKEY_CLASSES_ROOT", "HKEY_CLASSES_ROOT"),
        ("HKEY_USERS", "HKEY_USERS"),
        ("HKEY_CURRENT_CONFIG", "HKEY_CURRENT_CONFIG"),
        ("HKLM", "HKEY_LOCAL_MACHINE"),
        ("HKCU", "HKEY_CURRENT_USER"),
        ("HKCR", "HKEY_CLASSES_ROOT"),
        ("HKU", "HKEY_USERS"),
        ("HKCC", "HKEY_CURRENT_CONFIG"),
    ];
    let head = v.split(['\\', '/']).next()?;
    let (_, full) = HIVES.iter().find(|(h, _)| head.eq_ignore_ascii_case(h))?;
    Some((full, &v[head.len()..]))
}

/// Whether a lone value is a file path: the extractor's own test (`C:\`,
/// `%VAR%\`, `\\server\`, a Unix root directory), so a value is a path in a
/// feed exactly when it is one in prose, plus `C:/` written with a slash.
fn is_path(v: &str) -> bool {
    let b = v.as_bytes();
    let drive_slash = b.len() > 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'/';
    crate::extract::names::path_start(v) || drive_slash
}

fn url_host(u: &str) -> Option<&str> {
    let (_, rest) = u.split_once("://")?;
    let auth = rest.split(['/', '?', '#']).next()?;
    let host = auth.rsplit('@').next()?;
    if host.starts_with('[') {
        return host.split_inclusive(']').next();
    }
    Some(host.split(':').next().unwrap_or(host))
}

fn normalise_url(v: &str) -> Result<String, String> {
    let v = v.trim_matches(|c: char| matches!(c, '"' | '\'' | '<' | '>' | '“' | '”'));
    let (scheme, rest) = match v.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r),
        None => ("http".to_string(), v),
    };
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.')
    {
        return Err("not a URL scheme".into());
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (auth, tail) = rest.split_at(end);
    let (user, hostport) = match auth.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, auth),
    };
    if hostport.is_empty() || hostport.contains(char::is_whitespace) {
        return Err("a URL needs a host".into());
    }
    let hostport = if hostport.starts_with('[') {
        hostport.to_ascii_lowercase()
    } else {
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => (h, Some(p)),
            _ => (hostport, None),
        };
        let host = if host.parse::<Ipv4Addr>().is_ok() {
            host.to_string()
        } else {
            to_ascii_domain(host.trim_end_matches('.'))?
        };
        match port {
            Some(p) => format!("{host}:{p}"),
            None => host,
        }
    };
    let user = user.map(|u| format!("{u}@")).unwrap_or_default();
    Ok(format!("{scheme}://{user}{hostport}{tail}"))
}

/// Lowercases a host name and turns non-ASCII labels into A-labels
/// (`bücher.de` → `xn--bcher-kva.de`).
fn to_ascii_domain(d: &str) -> Result<String, String> {
    if d.is_ascii() {
        return Ok(d.to_ascii_lowercase());
    }
    let mut out = Vec::new();
    for label in d.to_lowercase().split('.') {
        if label.is_ascii() {
            out.push(label.to_string());
        } else {
            out.push(format!("xn--{}", punycode(label)?));
        }
    }
    Ok(out.join("."))
}

/// RFC 3492 encoding of one label.
fn punycode(label: &str) -> Result<String, String> {
    const BASE: u32 = 36;
    let adapt = |mut delta: u32, n: u32, first: bool| {
        delta /= if first { 700 } else { 2 };
        delta += delta / n;
        let mut k = 0;
        while delta > ((BASE - 1) * 26) / 2 {
            delta /= BASE - 1;
            k += BASE;
        }
        k + (BASE * delta) / (delta + 38)
    };
    let digit = |d: u32| -> char {
        if d < 26 {
            (b'a' + d as u8) as char
        } else {
            (b'0' + (d - 26) as u8) as char
        }
    };
    let cps: Vec<u32> = label.chars().map(|c| c as u32).collect();
    if cps.len() > 63 {
        return Err("label longer than 63 characters".into());
    }
    let mut out: String = label.chars().filter(char::is_ascii).collect();
    let basic = out.len() as u32;
    let mut h = basic;
    if basic > 0 {
        out.push('-');
    }
    let (mut n, mut delta, mut bias) = (128u32, 0u32, 72u32);
    let overflow = || "label too long to encode".to_string();
    while (h as usize) < cps.len() {
        let m = cps
            .iter()
            .copied()
            .filter(|&c| c >= n)
            .min()
            .ok_or_else(overflow)?;
        delta = delta
            .checked_add((m - n).checked_mul(h + 1).ok_or_else(overflow)?)
            .ok_or_else(overflow)?;
        n = m;
        for &c in &cps {
            if c < n {
                delta = delta.checked_add(1).ok_or_else(overflow)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        1
                    } else if k >= bias + 26 {
                        26
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    out.push(digit(t + (q - t) % (BASE - t)));
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                out.push(digit(q));
                bias = adapt(delta, h + 1, h == basic);
                delta = 0;
                h += 1;
            }
        }
        delta += 1;
        n += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_each_kind() {
        let cases = [
            ("103.216.221.19", IocKind::Ipv4, "103.216.221.19"),
            ("2001:DB8::1", IocKind::Ipv6, "2001:db8::1"),
            ("10.1.2.3/8", IocKind::Cidr, "10.0.0.0/8"),
            (
                "D41D8CD98F00B204E9800998ECF8427E",
                IocKind::Md5,
                "d41d8cd98f00b204e9800998ecf8427e",
            ),
            (
                "da39a3ee5e6b4b0d3255bfef95601890afd80709",
                IocKind::Sha1,
                "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            ),
            (
                "hxxp://Evil-C2[.]TOP/api/Upd.php",
                IocKind::Url,
                "http://evil-c2.top/api/Upd.php",
            ),
            (
                "evil-site.top/gate.php",
                IocKind::Url,
                "http://evil-site.top/gate.php",
            ),
            (
                "a.b[@]Mail.Example-c2.top",
                IocKind::Email,
                "a.b@mail.example-c2.top",
            ),
            ("update-check[.]Com.", IocKind::Domain, "update-check.com"),
            ("bücher.de", IocKind::Domain, "xn--bcher-kva.de"),
            ("cve-2019-19781", IocKind::Cve, "CVE-2019-19781"),
            ("T1566.001", IocKind::Attack, "T1566.001"),
            (
                "HKLM\\Software\\Run\\",
                IocKind::Registry,
                "HKEY_LOCAL_MACHINE\\Software\\Run",
            ),
            (
                "C:\\Windows\\Temp\\a.exe",
                IocKind::FilePath,
                "C:\\Windows\\Temp\\a.exe",
            ),
            ("/tmp/.x/run.sh", IocKind::FilePath, "/tmp/.x/run.sh"),
            // Roots the extractor knows are paths in feeds too.
            (
                "/Library/LaunchAgents/com.x.plist",
                IocKind::FilePath,
                "/Library/LaunchAgents/com.x.plist",
            ),
            ("/data/local/tmp/x", IocKind::FilePath, "/data/local/tmp/x"),
            (
                "C:/Users/Public/a.dll",
                IocKind::FilePath,
                "C:/Users/Public/a.dll",
            ),
            ("setup.py", IocKind::FileName, "setup.py"),
            ("mwdg.sh", IocKind::FileName, "mwdg.sh"),
            ("invoice.pdf", IocKind::FileName, "invoice.pdf"),
            ("cdn.evil.sh", IocKind::Domain, "cdn.evil.sh"),
            ("96:abcDEF+/1:xyz", IocKind::Ssdeep, "96:abcDEF+/1:xyz"),
            (
                "t13d1516h2_8daaf6152771_e5627efa2ab1",
                IocKind::Ja4,
                "t13d1516h2_8daaf6152771_e5627efa2ab1",
            ),
        ];
        for (input, kind, value) in cases {
            assert_eq!(classify(input), Some((kind, value.to_string())), "{input}");
        }
    }

    #[test]
    fn rejects_non_indicators() {
        for v in [
            "",
            "hello world",
            "version",
            "1.2.3.4.5",
            "abc",
            "foo.notatld",
            "12345",
        ] {
            assert_eq!(classify(v), None, "{v}");
        }
    }

    #[test]
    fn punycode_matches_rfc_examples() {
        assert_eq!(punycode("bücher").unwrap(), "bcher-kva");
        assert_eq!(punycode("münchen").unwrap(), "mnchen-3ya");
        assert_eq!(punycode("例え").unwrap(), "r8jz45g");
    }

    #[test]
    fn flags_non_public_values() {
        assert_eq!(flag_for(IocKind::Ipv4, "10.1.2.3"), Some(Flag::Private));
        assert_eq!(
            flag_for(IocKind::Ipv4, "192.0.2.44"),
            Some(Flag::Documentation)
        );
        assert_eq!(
            flag_for(IocKind::Domain, "a.example.com"),
            Some(Flag::ExampleDomain)
        );
        assert_eq!(
            flag_for(IocKind::Url, "http://127.0.0.1/x"),
            Some(Flag::Loopback)
        );
        assert_eq!(flag_for(IocKind::Ipv4, "103.216.221.19"), None);
    }

    #[test]
    fn normalises_certificate_fingerprints_with_colons() {
        let v = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01";
        assert_eq!(
            normalise(IocKind::X509Fingerprint, v).unwrap(),
            "abcdef0123456789abcdef0123456789abcdef01"
        );
        assert!(normalise(IocKind::Sha256, "abc").is_err());
    }
}
