//! Network indicators: IPv4/IPv6 addresses and networks, domains validated
//! against the Public Suffix List (ICANN section), URLs and e-mail
//! addresses, with the flags that keep private, documentation and
//! well-known names out of the hostile set.

use crate::model::Flag;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Well-known legitimate names that advisories cite in passing (their
/// publishers, references, the big platforms). Kept short on purpose: an
/// entry hides every indicator under that name. Subdomains are included.
const BENIGN_DOMAINS: &[&str] = &[
    "microsoft.com",
    "google.com",
    "github.com",
    "ncsc.gov.uk",
    "cisa.gov",
    "us-cert.gov",
    "mitre.org",
    "nist.gov",
    "virustotal.com",
    "asp.net",
    "w3.org",
];

/// Public resolvers that malware queries to test connectivity.
const BENIGN_IPV4: &[[u8; 4]] = &[
    [8, 8, 8, 8],
    [8, 8, 4, 4],
    [1, 1, 1, 1],
    [1, 0, 0, 1],
    [9, 9, 9, 9],
];

/// Top-level names reserved for examples and tests (RFC 2606, RFC 6761,
/// RFC 6762); not in the Public Suffix List, but worth reporting.
const EXAMPLE_TLDS: &[&str] = &["example", "test", "invalid", "localhost", "local"];

/// Second-level names reserved for documentation (RFC 2606).
const EXAMPLE_DOMAINS: &[&str] = &["example.com", "example.net", "example.org"];

/// Why an IPv4 address is not hostile, if it is not.
pub(crate) fn ipv4_flag(ip: Ipv4Addr) -> Option<Flag> {
    let o = ip.octets();
    if ip.is_private() {
        Some(Flag::Private)
    } else if ip.is_loopback() {
        Some(Flag::Loopback)
    } else if ip.is_link_local() {
        Some(Flag::LinkLocal)
    } else if ip.is_documentation() {
        Some(Flag::Documentation)
    } else if o[0] == 0
        || o[0] >= 224
        || (o[0] == 100 && (o[1] & 0xC0) == 64)
        || (o[0] == 192 && o[1] == 0 && o[2] == 0)
        || (o[0] == 198 && (o[1] & 0xFE) == 18)
    {
        Some(Flag::Reserved)
    } else if BENIGN_IPV4.contains(&o) {
        Some(Flag::Benign)
    } else {
        None
    }
}

/// Why an IPv6 address is not hostile, if it is not.
pub(crate) fn ipv6_flag(ip: Ipv6Addr) -> Option<Flag> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return ipv4_flag(v4);
    }
    let s = ip.segments();
    if ip.is_loopback() {
        Some(Flag::Loopback)
    } else if (s[0] & 0xFE00) == 0xFC00 {
        Some(Flag::Private)
    } else if (s[0] & 0xFFC0) == 0xFE80 {
        Some(Flag::LinkLocal)
    } else if s[0] == 0x2001 && s[1] == 0x0db8 {
        Some(Flag::Documentation)
    } else if ip.is_unspecified()
        || ip.is_multicast()
        || s[0] == 0
        || (s[0] == 0x2001 && s[1] < 0x200)
    {
        Some(Flag::Reserved)
    } else {
        None
    }
}

/// Flag of any address.
pub(crate) fn ip_flag(ip: IpAddr) -> Option<Flag> {
    match ip {
        IpAddr::V4(v4) => ipv4_flag(v4),
        IpAddr::V6(v6) => ipv6_flag(v6),
    }
}

/// Parses a strict dotted quad (no leading `+`, octets ≤ 255, at most
/// three digits each; a leading zero is accepted as decimal).
pub(crate) fn parse_ipv4(s: &str) -> Option<Ipv4Addr> {
    let mut o = [0u8; 4];
    let mut n = 0;
    for part in s.split('.') {
        if n == 4 || part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        o[n] = part.parse::<u16>().ok().filter(|v| *v <= 255)? as u8;
        n += 1;
    }
    (n == 4).then(|| Ipv4Addr::from(o))
}

/// Parses an IPv6 address written with at least two colons and some hex
/// digit (so `a::b` in prose is rare enough to accept, `::` is not).
pub(crate) fn parse_ipv6(s: &str) -> Option<Ipv6Addr> {
    let s = s.split('%').next().unwrap_or(s);
    if s.bytes().filter(|b| *b == b':').count() < 2 || s.len() < 3 || s.len() > 45 {
        return None;
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
    {
        return None;
    }
    // Clock times and ratios (`12:30:45`) parse as nothing, but a
    // run like `1:2:3:4:5:6:7:8` does: demand a `::` or a 4-digit group.
    if !s.contains("::") && !s.split(':').any(|g| g.len() >= 3) {
        return None;
    }
    s.parse().ok()
}

/// Result of validating a host name.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Host {
    /// Lowercase A-label form.
    pub name: String,
    /// Flag, if any.
    pub flag: Option<Flag>,
    /// The top-level label.
    pub tld: String,
}

/// Validates a host name: LDH labels (or Unicode ones, converted to
/// punycode), a public ICANN suffix with a label before it; example names
/// are accepted with [`Flag::ExampleDomain`].
pub(crate) fn domain(raw: &str) -> Option<Host> {
    let raw = raw.strip_suffix('.').unwrap_or(raw);
    if raw.len() < 3 || raw.len() > 253 || !raw.contains('.') {
        return None;
    }
    let name = if raw.is_ascii() {
        raw.to_ascii_lowercase()
    } else {
        if !raw
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
        {
            return None;
        }
        idna::domain_to_ascii(raw).ok()?
    };
    let mut labels = 0;
    for label in name.split('.') {
        labels += 1;
        if label.is_empty()
            || label.len() > 63
            || label.starts_with('-')
            || label.ends_with('-')
            || !label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return None;
        }
    }
    let tld = name.rsplit('.').next()?.to_string();
    if !(tld.bytes().all(|b| b.is_ascii_alphabetic()) || tld.starts_with("xn--")) {
        return None;
    }
    if EXAMPLE_TLDS.contains(&tld.as_str()) {
        return Some(Host {
            name,
            flag: Some(Flag::ExampleDomain),
            tld,
        });
    }
    let suffix = psl::suffix(name.as_bytes())?;
    let suffix_labels = suffix.as_bytes().split(|b| *b == b'.').count();
    let ok = match suffix.typ() {
        Some(psl::Type::Icann) => labels > suffix_labels,
        // Private suffixes (`github.io`) all sit under an ICANN one.
        Some(psl::Type::Private) => true,
        None => false,
    };
    if !ok {
        return None;
    }
    let flag = if under_any(&name, EXAMPLE_DOMAINS) {
        Some(Flag::ExampleDomain)
    } else if under_any(&name, BENIGN_DOMAINS) {
        Some(Flag::Benign)
    } else {
        None
    };
    Some(Host { name, flag, tld })
}

fn under_any(name: &str, list: &[&str]) -> bool {
    list.iter().any(|d| {
        name == *d
            || (name.len() > d.len()
                && name.ends_with(d)
                && name.as_bytes()[name.len() - d.len() - 1] == b'.')
    })
}

/// A URL split into normalised parts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Url {
    /// The normalised URL (scheme and host lowercase, rest as written).
    pub value: String,
    /// The host as an indicator.
    pub host: UrlHost,
    /// Whether something follows the host (a path other than `/`, a query).
    pub has_path: bool,
}

/// The host of a URL.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum UrlHost {
    /// A domain name.
    Domain(Host),
    /// An address.
    Ip(IpAddr),
}

impl UrlHost {
    /// The host's flag.
    pub fn flag(&self) -> Option<Flag> {
        match self {
            UrlHost::Domain(h) => h.flag,
            UrlHost::Ip(ip) => ip_flag(*ip),
        }
    }
}

/// Schemes accepted in URLs.
const SCHEMES: &[&str] = &["http", "https", "ftp", "ftps", "sftp", "ws", "wss"];

/// Parses `scheme://host[:port][/rest]` or, with `scheme` `None`,
/// `host[:port]/rest`. `s` has already been trimmed of surrounding
/// punctuation.
pub(crate) fn url(scheme: Option<&str>, s: &str) -> Option<Url> {
    let explicit = scheme.is_some();
    let scheme = match scheme {
        Some(sc) => {
            let sc = sc.to_ascii_lowercase();
            SCHEMES.contains(&sc.as_str()).then_some(sc)?
        }
        None => "http".to_string(),
    };
    let end = s.find(['/', '?', '#']).unwrap_or(s.len());
    let (authority, rest) = s.split_at(end);
    let hostport = authority.rsplit('@').next()?;
    let (host_str, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let close = v6.find(']')?;
        (&v6[..close], &v6[close + 1..])
    } else {
        match hostport.rfind(':') {
            Some(c) => (&hostport[..c], &hostport[c..]),
            None => (hostport, ""),
        }
    };
    if !port.is_empty() {
        let p = port.strip_prefix(':')?;
        if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    let (host, host_out) = if hostport.starts_with('[') {
        let ip = parse_ipv6(host_str)?;
        (UrlHost::Ip(IpAddr::V6(ip)), format!("[{ip}]"))
    } else if let Some(ip) = parse_ipv4(host_str) {
        (UrlHost::Ip(IpAddr::V4(ip)), ip.to_string())
    } else {
        let h = domain(host_str)?;
        let out = h.name.clone();
        (UrlHost::Domain(h), out)
    };
    let userinfo = &authority[..authority.len() - hostport.len()];
    // Written with a scheme, `/` alone makes it a URL; without one, a
    // trailing slash after a host is punctuation.
    let has_path = if explicit {
        !rest.is_empty()
    } else {
        rest.len() > 1
    };
    let value = format!("{scheme}://{userinfo}{host_out}{port}{rest}");
    Some(Url {
        value,
        host,
        has_path,
    })
}

/// Validates `local@domain`; returns the normalised address and the
/// domain's validation.
pub(crate) fn email(s: &str) -> Option<(String, Host)> {
    let at = s.rfind('@')?;
    let (local, dom) = (&s[..at], &s[at + 1..]);
    if local.is_empty()
        || local.len() > 64
        || local.starts_with('.')
        || local.ends_with('.')
        || !local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".!#$%&'*+-/=?^_`{|}~".contains(&b))
    {
        return None;
    }
    let host = domain(dom)?;
    Some((format!("{local}@{}", host.name), host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_parsing_and_flags() {
        assert_eq!(
            parse_ipv4("103.216.221.19"),
            Some(Ipv4Addr::new(103, 216, 221, 19))
        );
        assert_eq!(parse_ipv4("1.2.3.4.5"), None);
        assert_eq!(parse_ipv4("1.2.3.256"), None);
        assert_eq!(parse_ipv4("1.2.3"), None);
        assert_eq!(ipv4_flag("10.10.1.5".parse().unwrap()), Some(Flag::Private));
        assert_eq!(
            ipv4_flag("192.0.2.44".parse().unwrap()),
            Some(Flag::Documentation)
        );
        assert_eq!(
            ipv4_flag("127.0.0.1".parse().unwrap()),
            Some(Flag::Loopback)
        );
        assert_eq!(
            ipv4_flag("169.254.1.1".parse().unwrap()),
            Some(Flag::LinkLocal)
        );
        assert_eq!(
            ipv4_flag("239.1.1.1".parse().unwrap()),
            Some(Flag::Reserved)
        );
        assert_eq!(
            ipv4_flag("100.64.0.1".parse().unwrap()),
            Some(Flag::Reserved)
        );
        assert_eq!(ipv4_flag("103.216.221.19".parse().unwrap()), None);
    }

    #[test]
    fn ipv6_parsing_and_flags() {
        assert_eq!(
            parse_ipv6("2001:DB8::1").map(|i| i.to_string()),
            Some("2001:db8::1".into())
        );
        assert_eq!(parse_ipv6("12:30:45"), None);
        assert_eq!(parse_ipv6("::"), None);
        assert_eq!(
            ipv6_flag(parse_ipv6("2001:db8::1").unwrap()),
            Some(Flag::Documentation)
        );
        assert_eq!(
            ipv6_flag(parse_ipv6("fd00::5").unwrap()),
            Some(Flag::Private)
        );
        assert_eq!(
            ipv6_flag(parse_ipv6("fe80::1").unwrap()),
            Some(Flag::LinkLocal)
        );
        assert_eq!(ipv6_flag(parse_ipv6("2a01:4f8:c17:1::2").unwrap()), None);
    }

    #[test]
    fn domains() {
        assert_eq!(domain("Example-C2.TOP").unwrap().name, "example-c2.top");
        assert_eq!(domain("bücher.de").unwrap().name, "xn--bcher-kva.de");
        assert!(domain("co.uk").is_none());
        assert!(domain("evil.notatld").is_none());
        assert!(domain("a..b.com").is_none());
        // Found by fuzzing: underscores made it through as a domain.
        assert!(domain("8_.it").is_none());
        assert!(domain("a_b.test").is_none());
        assert_eq!(
            domain("x.example.com").unwrap().flag,
            Some(Flag::ExampleDomain)
        );
        assert_eq!(domain("c2.test").unwrap().flag, Some(Flag::ExampleDomain));
        assert_eq!(
            domain("docs.microsoft.com").unwrap().flag,
            Some(Flag::Benign)
        );
        assert_eq!(domain("notmicrosoft.com").unwrap().flag, None);
        assert!(domain("x.github.io").is_some());
    }

    #[test]
    fn urls() {
        let u = url(Some("HTTP"), "Evil.COM:8080/a/B?x=1").unwrap();
        assert_eq!(u.value, "http://evil.com:8080/a/B?x=1");
        assert!(u.has_path);
        let u = url(None, "1.2.3.4/gate.php").unwrap();
        assert_eq!(u.value, "http://1.2.3.4/gate.php");
        assert_eq!(u.host, UrlHost::Ip("1.2.3.4".parse().unwrap()));
        assert!(url(Some("https"), "[2001:db8::1]/x").is_some());
        assert!(url(Some("gopher"), "evil.com/x").is_none());
        assert!(url(None, "and/or").is_none());
    }

    #[test]
    fn emails() {
        let (v, h) = email("John.Doe@Evil-Mail.COM").unwrap();
        assert_eq!(v, "John.Doe@evil-mail.com");
        assert_eq!(h.name, "evil-mail.com");
        assert!(email("@evil.com").is_none());
        assert!(email("a@b").is_none());
    }
}
