//! X.509 certificates seen in TLS handshakes, summarised into
//! [`CertInfo`] with `x509-parser`.
//!
//! Names are written in the order the certificate has them (not reversed as
//! RFC 4514 does), `, ` between attributes, with short attribute names:
//! `C`, `ST`, `L`, `O`, `OU`, `CN`, `emailAddress` (and `DC`, `serialNumber`);
//! other attributes appear as their dotted OID. `,`, `+`, `"`, `\` and `=`
//! in values are escaped with a backslash. Multi-valued RDNs are joined
//! with `+`.
//!
//! `self_signed` is structural: the issuer name equals the subject name and,
//! when both the authority and subject key identifiers are present, they are
//! equal. The signature itself is not verified: that needs x509-parser's
//! `verify` feature, which would bring `ring` (a C and assembly crypto
//! build) into this parsing library's normal dependencies for a flag that a
//! hunter reads as "not issued by anyone else". The key-identifier check
//! catches the usual false positive (a CA whose subject name was copied
//! into the issuer field of a leaf it signed).

use crate::model::{CertInfo, Micros};
use sha1::Sha1;
use sha2::{Digest as _, Sha256};
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::x509::{AttributeTypeAndValue, X509Name};

/// Largest certificate parsed; larger DER only gets digests and an error.
pub const MAX_CERT_LEN: usize = 64 * 1024;

/// Most SAN DNS names kept per certificate.
pub const MAX_SAN_DNS: usize = 256;

/// Summarises one DER certificate. Never fails: digests are always filled,
/// and what could not be read is said in `error`.
pub fn parse(der: &[u8]) -> CertInfo {
    let mut info = CertInfo {
        sha1: hex::encode(Sha1::digest(der)),
        sha256: hex::encode(Sha256::digest(der)),
        ..CertInfo::default()
    };
    if der.len() > MAX_CERT_LEN {
        info.error = Some(format!(
            "certificate of {} bytes exceeds {MAX_CERT_LEN}",
            der.len()
        ));
        return info;
    }
    let cert = match X509Certificate::from_der(der) {
        Ok((rest, cert)) => {
            if !rest.is_empty() {
                info.error = Some(format!(
                    "{} trailing bytes after the certificate",
                    rest.len()
                ));
            }
            cert
        }
        Err(e) => {
            info.error = Some(format!("malformed certificate: {e}"));
            return info;
        }
    };
    info.subject = name_string(cert.subject());
    info.issuer = name_string(cert.issuer());
    info.serial = serial_hex(cert.raw_serial());
    let v = cert.validity();
    info.not_before = Some(secs_to_micros(v.not_before.timestamp()));
    info.not_after = Some(secs_to_micros(v.not_after.timestamp()));
    let mut ski = None;
    let mut aki = None;
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => {
                for gn in &san.general_names {
                    if let GeneralName::DNSName(d) = gn
                        && info.san_dns.len() < MAX_SAN_DNS
                    {
                        info.san_dns.push(d.to_ascii_lowercase());
                    }
                }
            }
            ParsedExtension::SubjectKeyIdentifier(k) => ski = Some(k.0),
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                aki = a.key_identifier.as_ref().map(|k| k.0)
            }
            ParsedExtension::ParseError { error } if info.error.is_none() => {
                info.error = Some(format!("extension {}: {error}", ext.oid));
            }
            _ => {}
        }
    }
    let same_name =
        cert.subject().as_raw() == cert.issuer().as_raw() || info.subject == info.issuer;
    let keys_agree = match (aki, ski) {
        (Some(a), Some(s)) => a == s,
        _ => true,
    };
    info.self_signed = same_name && keys_agree;
    info
}

fn secs_to_micros(s: i64) -> Micros {
    s.saturating_mul(1_000_000)
}

/// Lowercase hex without the sign-padding zero bytes DER adds.
fn serial_hex(raw: &[u8]) -> String {
    let mut s = raw;
    while s.len() > 1 && s[0] == 0 {
        s = &s[1..];
    }
    hex::encode(s)
}

fn short_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.6" => "C",
        "2.5.4.8" => "ST",
        "2.5.4.7" => "L",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.3" => "CN",
        "2.5.4.5" => "serialNumber",
        "1.2.840.113549.1.9.1" => "emailAddress",
        "0.9.2342.19200300.100.1.25" => "DC",
        _ => return None,
    })
}

fn attr_value(attr: &AttributeTypeAndValue<'_>) -> String {
    if let Ok(s) = attr.as_str() {
        return s.to_string();
    }
    let any = attr.attr_value();
    let data = any.data;
    // BMPString (tag 30) is UTF-16BE; other string types read as UTF-8.
    if any.tag().0 == 30 && data.len() % 2 == 0 {
        let units = data
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]));
        return char::decode_utf16(units)
            .map(|c| c.unwrap_or('\u{fffd}'))
            .collect();
    }
    String::from_utf8_lossy(data).into_owned()
}

/// `C=Tunis, O=IT, CN=x`: attributes in certificate order.
fn name_string(name: &X509Name<'_>) -> String {
    let mut out = String::new();
    for (i, rdn) in name.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        for (j, attr) in rdn.iter().enumerate() {
            if j > 0 {
                out.push('+');
            }
            let oid = attr.attr_type().to_id_string();
            out.push_str(short_name(&oid).unwrap_or(&oid));
            out.push('=');
            for c in attr_value(attr).chars() {
                if matches!(c, ',' | '+' | '"' | '\\' | '=') {
                    out.push('\\');
                }
                out.push(c);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};

    fn params(c: &str, o: &str, cn: Option<&str>) -> CertificateParams {
        let mut p =
            CertificateParams::new(vec!["www.example.test".into(), "Mail.Example.Test".into()])
                .unwrap();
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.distinguished_name.push(DnType::CountryName, c);
        p.distinguished_name.push(DnType::OrganizationName, o);
        if let Some(cn) = cn {
            p.distinguished_name.push(DnType::CommonName, cn);
        }
        p.serial_number = Some(vec![0x00, 0xab, 0x01].into());
        p
    }

    #[test]
    fn self_signed_certificate_fields() {
        let key = KeyPair::generate().unwrap();
        let cert = params("Tunis", "IT", None).self_signed(&key).unwrap();
        let der = cert.der().to_vec();
        let info = parse(&der);
        assert_eq!(info.error, None);
        assert_eq!(info.subject, "C=Tunis, O=IT");
        assert_eq!(info.issuer, "C=Tunis, O=IT");
        assert!(info.self_signed);
        assert_eq!(info.sha256, hex::encode(Sha256::digest(&der)));
        assert_eq!(info.sha1, hex::encode(Sha1::digest(&der)));
        assert_eq!(info.san_dns, ["www.example.test", "mail.example.test"]);
        assert_eq!(info.serial, "ab01");
        let (nb, na) = (info.not_before.unwrap(), info.not_after.unwrap());
        assert!(nb < na && nb % 1_000_000 == 0);
    }

    #[test]
    fn ca_signed_leaf_is_not_self_signed() {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = params("TN", "Root Authority", Some("Root CA"));
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let leaf_key = KeyPair::generate().unwrap();
        let leaf = params("TN", "Shop", Some("shop.example.test"))
            .signed_by(&leaf_key, &issuer)
            .unwrap();
        let info = parse(leaf.der());
        assert_eq!(info.subject, "C=TN, O=Shop, CN=shop.example.test");
        assert_eq!(info.issuer, "C=TN, O=Root Authority, CN=Root CA");
        assert!(!info.self_signed);
        assert!(parse(ca.der()).self_signed);
    }

    #[test]
    fn malformed_der_keeps_digests_and_says_why() {
        let key = KeyPair::generate().unwrap();
        let der = params("Tunis", "IT", None)
            .self_signed(&key)
            .unwrap()
            .der()
            .to_vec();
        for bad in [
            &der[..der.len() / 2],
            &b"\x30\x82\xff\xffgarbage"[..],
            &[][..],
            &[0xff; 40][..],
        ] {
            let info = parse(bad);
            assert!(info.error.is_some(), "{bad:?}");
            assert_eq!(info.sha256, hex::encode(Sha256::digest(bad)));
            assert_eq!(info.sha1.len(), 40);
        }
    }

    #[test]
    fn names_escape_separators() {
        let key = KeyPair::generate().unwrap();
        let cert = params("TN", "Evil, Inc", Some("a+b"))
            .self_signed(&key)
            .unwrap();
        assert_eq!(parse(cert.der()).subject, "C=TN, O=Evil\\, Inc, CN=a\\+b");
    }
}
