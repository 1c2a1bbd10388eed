//! TLS client and server fingerprints: JA3 and JA3S (Salesforce), JA4 and
//! JA4S (FoxIO), computed from plain [`ClientHelloInfo`] /
//! [`ServerHelloInfo`] values so they can be tested without packets.
//!
//! GREASE values (RFC 8701, `0x?a?a` with both bytes equal) are left out of
//! every list, as both specifications require. JA4 here is always the
//! TLS-over-TCP form (`t...`); QUIC and DTLS are not decoded by this crate.

use md5::{Digest as _, Md5};
use sha2::Sha256;
use std::fmt::Write as _;

/// What the fingerprints read from a ClientHello.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientHelloInfo {
    /// `legacy_version` of the hello body (0x0303 for TLS 1.2 and 1.3).
    pub version: u16,
    /// Cipher suites in wire order.
    pub ciphers: Vec<u16>,
    /// Extension types in wire order.
    pub extensions: Vec<u16>,
    /// `supported_groups` (elliptic curves) in wire order.
    pub groups: Vec<u16>,
    /// `ec_point_formats` in wire order.
    pub ec_point_formats: Vec<u8>,
    /// `signature_algorithms` in wire order.
    pub sig_algs: Vec<u16>,
    /// ALPN protocol names in wire order (raw bytes).
    pub alpn: Vec<Vec<u8>>,
    /// A `server_name` extension was present.
    pub has_sni: bool,
    /// `supported_versions` in wire order (empty when absent).
    pub supported_versions: Vec<u16>,
}

/// What the fingerprints read from a ServerHello.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerHelloInfo {
    /// `legacy_version` of the hello body.
    pub version: u16,
    /// The chosen cipher suite.
    pub cipher: u16,
    /// Extension types in wire order.
    pub extensions: Vec<u16>,
    /// The ALPN protocol the server chose, if any.
    pub alpn: Option<Vec<u8>>,
    /// The version from the `supported_versions` extension, if present.
    pub supported_version: Option<u16>,
}

/// GREASE value (RFC 8701): `0x0a0a`, `0x1a1a`, ... `0xfafa`.
pub fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && v >> 8 == v & 0xff
}

fn dash_join<T: Into<u32> + Copy>(s: &mut String, vals: impl Iterator<Item = T>) {
    for (i, v) in vals.enumerate() {
        if i > 0 {
            s.push('-');
        }
        let _ = write!(s, "{}", v.into());
    }
}

fn md5_hex(s: &str) -> String {
    hex::encode(Md5::digest(s.as_bytes()))
}

/// The JA3 string: `SSLVersion,Ciphers,Extensions,EllipticCurves,PointFormats`
/// in decimal, `-` within a field, GREASE removed.
pub fn ja3_string(ch: &ClientHelloInfo) -> String {
    let mut s = String::with_capacity(256);
    let _ = write!(s, "{},", ch.version);
    dash_join(
        &mut s,
        ch.ciphers.iter().copied().filter(|v| !is_grease(*v)),
    );
    s.push(',');
    dash_join(
        &mut s,
        ch.extensions.iter().copied().filter(|v| !is_grease(*v)),
    );
    s.push(',');
    dash_join(&mut s, ch.groups.iter().copied().filter(|v| !is_grease(*v)));
    s.push(',');
    dash_join(&mut s, ch.ec_point_formats.iter().copied());
    s
}

/// JA3 string and its MD5 (lowercase hex).
pub fn ja3(ch: &ClientHelloInfo) -> (String, String) {
    let s = ja3_string(ch);
    let h = md5_hex(&s);
    (s, h)
}

/// The JA3S string: `SSLVersion,Cipher,Extensions` in decimal.
pub fn ja3s_string(sh: &ServerHelloInfo) -> String {
    let mut s = String::with_capacity(64);
    let _ = write!(s, "{},{},", sh.version, sh.cipher);
    dash_join(
        &mut s,
        sh.extensions.iter().copied().filter(|v| !is_grease(*v)),
    );
    s
}

/// JA3S string and its MD5 (lowercase hex).
pub fn ja3s(sh: &ServerHelloInfo) -> (String, String) {
    let s = ja3s_string(sh);
    let h = md5_hex(&s);
    (s, h)
}

fn ja4_version(v: u16) -> &'static str {
    match v {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0002 => "s2",
        0xfeff => "d1",
        0xfefd => "d2",
        0xfefc => "d3",
        _ => "00",
    }
}

/// First and last character of an ALPN value, JA4 style: `00` when empty;
/// when the first or last byte is not ASCII alphanumeric, the first and
/// last hex digits of the whole value instead.
fn ja4_alpn(alpn: Option<&[u8]>) -> [char; 2] {
    let Some(a) = alpn.filter(|a| !a.is_empty()) else {
        return ['0', '0'];
    };
    let (first, last) = (a[0], a[a.len() - 1]);
    if first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric() {
        [first as char, last as char]
    } else {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        [
            HEX[(first >> 4) as usize] as char,
            HEX[(last & 0xf) as usize] as char,
        ]
    }
}

fn hex_list(vals: &[u16]) -> String {
    let mut s = String::with_capacity(vals.len() * 5);
    for (i, v) in vals.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "{v:04x}");
    }
    s
}

fn sha12(s: &str) -> String {
    if s.is_empty() {
        return "000000000000".to_string();
    }
    let mut h = hex::encode(Sha256::digest(s.as_bytes()));
    h.truncate(12);
    h
}

fn ja4_parts(ch: &ClientHelloInfo) -> (String, String, String) {
    let ciphers: Vec<u16> = ch
        .ciphers
        .iter()
        .copied()
        .filter(|v| !is_grease(*v))
        .collect();
    let exts: Vec<u16> = ch
        .extensions
        .iter()
        .copied()
        .filter(|v| !is_grease(*v))
        .collect();
    let version = ch
        .supported_versions
        .iter()
        .copied()
        .filter(|v| !is_grease(*v))
        .max()
        .unwrap_or(ch.version);
    let alpn = ja4_alpn(ch.alpn.first().map(Vec::as_slice));
    let a = format!(
        "t{}{}{:02}{:02}{}{}",
        ja4_version(version),
        if ch.has_sni { 'd' } else { 'i' },
        ciphers.len().min(99),
        exts.len().min(99),
        alpn[0],
        alpn[1]
    );
    let mut sorted_ciphers = ciphers;
    sorted_ciphers.sort_unstable();
    let mut sorted_exts: Vec<u16> = exts
        .into_iter()
        .filter(|&e| e != 0x0000 && e != 0x0010)
        .collect();
    sorted_exts.sort_unstable();
    let mut c = hex_list(&sorted_exts);
    let sigs: Vec<u16> = ch
        .sig_algs
        .iter()
        .copied()
        .filter(|v| !is_grease(*v))
        .collect();
    if !sigs.is_empty() && !c.is_empty() {
        c.push('_');
        c.push_str(&hex_list(&sigs));
    }
    (a, hex_list(&sorted_ciphers), c)
}

/// JA4 (`t13d1516h2_8daaf6152771_e5627efa2ab1`).
pub fn ja4(ch: &ClientHelloInfo) -> String {
    let (a, b, c) = ja4_parts(ch);
    format!("{a}_{}_{}", sha12(&b), sha12(&c))
}

/// JA4_r, the raw (sorted, unhashed) form of [`ja4`].
pub fn ja4_raw(ch: &ClientHelloInfo) -> String {
    let (a, b, c) = ja4_parts(ch);
    format!("{a}_{b}_{c}")
}

fn ja4s_parts(sh: &ServerHelloInfo) -> (String, String) {
    let exts: Vec<u16> = sh
        .extensions
        .iter()
        .copied()
        .filter(|v| !is_grease(*v))
        .collect();
    let version = sh.supported_version.unwrap_or(sh.version);
    let alpn = ja4_alpn(sh.alpn.as_deref());
    let a = format!(
        "t{}{:02}{}{}_{:04x}",
        ja4_version(version),
        exts.len().min(99),
        alpn[0],
        alpn[1],
        sh.cipher
    );
    (a, hex_list(&exts))
}

/// JA4S (`t120400_c030_4e8089b08790`): extensions hashed in wire order.
pub fn ja4s(sh: &ServerHelloInfo) -> String {
    let (a, c) = ja4s_parts(sh);
    format!("{a}_{}", sha12(&c))
}

/// JA4S_r, the raw form of [`ja4s`].
pub fn ja4s_raw(sh: &ServerHelloInfo) -> String {
    let (a, c) = ja4s_parts(sh);
    format!("{a}_{c}")
}

#[cfg(test)]
mod tests {
    use super::*;

    // The ClientHello of FoxIO's JA4 specification example
    // (FoxIO-LLC/ja4, technical_details/JA4.md, "Example" and "Raw Output").
    fn foxio_example() -> ClientHelloInfo {
        ClientHelloInfo {
            version: 0x0303,
            ciphers: vec![
                0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013,
                0xc014, 0x009c, 0x009d, 0x002f, 0x0035,
            ],
            extensions: vec![
                0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023,
                0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015,
            ],
            sig_algs: vec![
                0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
            ],
            alpn: vec![b"h2".to_vec(), b"http/1.1".to_vec()],
            has_sni: true,
            supported_versions: vec![0x0304, 0x0303],
            ..Default::default()
        }
    }

    #[test]
    fn ja4_matches_the_foxio_specification_example() {
        let ch = foxio_example();
        // JA4.md: "JA4 = t13d1516h2_8daaf6152771_e5627efa2ab1".
        assert_eq!(ja4(&ch), "t13d1516h2_8daaf6152771_e5627efa2ab1");
        // JA4.md: JA4_r.
        assert_eq!(
            ja4_raw(&ch),
            "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,\
             cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,\
             ff01_0403,0804,0401,0503,0805,0501,0806,0601"
        );
    }

    #[test]
    fn ja4_without_signature_algorithms_hashes_extensions_alone() {
        // JA4.md: "...,4469,ff01 = 6d807ffa2a79" when no signature algorithms.
        let mut ch = foxio_example();
        ch.sig_algs.clear();
        assert!(ja4(&ch).ends_with("_6d807ffa2a79"), "{}", ja4(&ch));
    }

    #[test]
    fn ja4_empty_lists_are_zeros_and_no_sni_is_i() {
        let ch = ClientHelloInfo {
            version: 0x0301,
            ..Default::default()
        };
        assert_eq!(ja4(&ch), "t10i000000_000000000000_000000000000");
    }

    #[test]
    fn ja4_alpn_rule_for_non_alphanumeric_bytes() {
        // JA4.md, "ALPN Extension Value" examples.
        assert_eq!(ja4_alpn(Some(&[0xab])), ['a', 'b']);
        assert_eq!(ja4_alpn(Some(&[0xab, 0xcd])), ['a', 'd']);
        assert_eq!(ja4_alpn(Some(&[0x30, 0xab])), ['3', 'b']);
        assert_eq!(ja4_alpn(Some(&[0x30, 0x31, 0xab, 0xcd])), ['3', 'd']);
        assert_eq!(ja4_alpn(Some(&[0x30, 0xab, 0xcd, 0x31])), ['0', '1']);
        assert_eq!(ja4_alpn(Some(b"http/1.1")), ['h', '1']);
        assert_eq!(ja4_alpn(Some(b"x")), ['x', 'x']);
        assert_eq!(ja4_alpn(Some(b"")), ['0', '0']);
    }

    #[test]
    fn grease_does_not_change_any_fingerprint() {
        let plain = foxio_example();
        let mut greased = plain.clone();
        greased.ciphers.insert(0, 0x2a2a);
        greased.extensions.insert(0, 0xdada);
        greased.extensions.push(0x8a8a);
        greased.groups.insert(0, 0x4a4a);
        greased.sig_algs.insert(0, 0x0a0a);
        greased.supported_versions.insert(0, 0xfafa);
        assert_eq!(ja4(&plain), ja4(&greased));
        assert_eq!(ja3(&plain), ja3(&greased));
        assert!(is_grease(0x0a0a) && is_grease(0xfafa) && !is_grease(0x0a1a));
    }

    #[test]
    fn ja3_matches_the_salesforce_readme_examples() {
        // salesforce/ja3 README.md, "How it works".
        let ch = ClientHelloInfo {
            version: 769,
            ciphers: vec![47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4],
            extensions: vec![0, 10, 11],
            groups: vec![23, 24, 25],
            ec_point_formats: vec![0],
            ..Default::default()
        };
        let (s, h) = ja3(&ch);
        assert_eq!(
            s,
            "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0"
        );
        assert_eq!(h, "ada70206e40642a3e4461f35503241d5");
        let bare = ClientHelloInfo {
            version: 769,
            ciphers: vec![4, 5, 10, 9, 100, 98, 3, 6, 19, 18, 99],
            ..Default::default()
        };
        let (s, h) = ja3(&bare);
        assert_eq!(s, "769,4-5-10-9-100-98-3-6-19-18-99,,,");
        assert_eq!(h, "de350869b8c85de67a350c8d186f11e6");
    }

    #[test]
    fn ja3s_matches_the_published_example() {
        // JA3S example string from the salesforce/ja3 JA3S description,
        // "769,47,65281-0-11-35-5-16"; its MD5 computed independently
        // (`printf %s ... | md5sum`).
        let sh = ServerHelloInfo {
            version: 769,
            cipher: 47,
            extensions: vec![65281, 0, 11, 35, 5, 16],
            ..Default::default()
        };
        let (s, h) = ja3s(&sh);
        assert_eq!(s, "769,47,65281-0-11-35-5-16");
        assert_eq!(h, "836ce314215654b5b1f85f97c73e506f");
    }

    #[test]
    fn ja4s_matches_the_foxio_specification_example() {
        // FoxIO-LLC/ja4 technical_details/JA4S.md: extensions
        // 0005,0017,ff01,0000, cipher c030, TLS 1.2, no ALPN.
        let sh = ServerHelloInfo {
            version: 0x0303,
            cipher: 0xc030,
            extensions: vec![0x0005, 0x0017, 0xff01, 0x0000],
            ..Default::default()
        };
        assert_eq!(ja4s(&sh), "t120400_c030_4e8089b08790");
        assert_eq!(ja4s_raw(&sh), "t120400_c030_0005,0017,ff01,0000");
        let tls13 = ServerHelloInfo {
            supported_version: Some(0x0304),
            alpn: Some(b"h2".to_vec()),
            ..sh
        };
        assert!(ja4s(&tls13).starts_with("t1304h2_c030_"));
    }
}
