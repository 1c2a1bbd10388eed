//! Observables: the concrete values a finding is about (an IP, a hash, ...).

use serde::{Deserialize, Serialize};
use std::fmt;

/// A value an analyst can pivot on in another tool.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Observable {
    /// An IPv4 or IPv6 address.
    Ip(std::net::IpAddr),
    /// A DNS name.
    Domain(String),
    /// A URL.
    Url(String),
    /// An MD5 digest, lowercase hex.
    Md5(String),
    /// A SHA-1 digest, lowercase hex.
    Sha1(String),
    /// A SHA-256 digest, lowercase hex.
    Sha256(String),
    /// An e-mail address.
    Email(String),
    /// A file path (on the host or inside an archive).
    FilePath(String),
    /// A user name.
    User(String),
    /// A host name.
    Host(String),
    /// A TLS client or server fingerprint (JA3/JA3S MD5, JA4/JA4S).
    TlsFingerprint(String),
    /// An X.509 certificate, by its SHA-256 (or SHA-1) digest, lowercase hex.
    Certificate(String),
}

impl Observable {
    /// The type name used in JSON (`ip`, `sha256`, ...).
    pub fn type_name(&self) -> &'static str {
        match self {
            Observable::Ip(_) => "ip",
            Observable::Domain(_) => "domain",
            Observable::Url(_) => "url",
            Observable::Md5(_) => "md5",
            Observable::Sha1(_) => "sha1",
            Observable::Sha256(_) => "sha256",
            Observable::Email(_) => "email",
            Observable::FilePath(_) => "file_path",
            Observable::User(_) => "user",
            Observable::Host(_) => "host",
            Observable::TlsFingerprint(_) => "tls_fingerprint",
            Observable::Certificate(_) => "certificate",
        }
    }

    /// The value as text.
    pub fn value(&self) -> String {
        match self {
            Observable::Ip(ip) => ip.to_string(),
            Observable::Domain(v)
            | Observable::Url(v)
            | Observable::Md5(v)
            | Observable::Sha1(v)
            | Observable::Sha256(v)
            | Observable::Email(v)
            | Observable::FilePath(v)
            | Observable::TlsFingerprint(v)
            | Observable::Certificate(v)
            | Observable::User(v)
            | Observable::Host(v) => v.clone(),
        }
    }
}

impl fmt::Display for Observable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.type_name(), self.value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_type_and_value() {
        let o = Observable::Sha256("ab".into());
        let j = serde_json::to_string(&o).unwrap();
        assert_eq!(j, r#"{"type":"sha256","value":"ab"}"#);
        let back: Observable = serde_json::from_str(&j).unwrap();
        assert_eq!(back, o);
    }
}
