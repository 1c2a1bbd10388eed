//! The in-memory model of a pack: metadata, sources, indicators, rule files.

use crate::severity::{Confidence, Severity};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Metadata from `[pack]` in `pack.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackMeta {
    /// Unique name, lowercase with dashes (`apt29-2020`).
    pub name: String,
    /// Version of the pack's content (semver).
    pub version: String,
    /// One paragraph on what the pack hunts.
    pub description: String,
    /// Publication date of the advisory, `YYYY-MM-DD`.
    #[serde(default)]
    pub published: Option<String>,
    /// Actor names and aliases.
    #[serde(default)]
    pub actors: Vec<String>,
    /// ATT&CK ids of the actor, software and techniques covered.
    #[serde(default)]
    pub attack: Vec<String>,
    /// Action recommended for findings that do not give their own.
    #[serde(default)]
    pub default_action: Option<String>,
}

/// A published source an indicator or rule comes from (`[[source]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Short id that indicators cite (`cisa-ar20-198b`).
    pub id: String,
    /// Title of the document.
    pub title: String,
    /// Where it is published.
    pub url: String,
    /// Who published it.
    #[serde(default)]
    pub publisher: Option<String>,
    /// When, `YYYY-MM-DD`.
    #[serde(default)]
    pub date: Option<String>,
}

/// The type of an indicator's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum IndicatorType {
    /// MD5 digest of a file (32 hex).
    Md5,
    /// SHA-1 digest of a file (40 hex).
    Sha1,
    /// SHA-256 digest of a file (64 hex).
    Sha256,
    /// An IPv4 address.
    Ipv4,
    /// An IPv6 address.
    Ipv6,
    /// An IPv4 or IPv6 network in CIDR notation.
    Cidr,
    /// A DNS name; matches the name and its subdomains.
    Domain,
    /// A URL.
    Url,
    /// An e-mail address.
    Email,
    /// A glob on a file's name (`*.sh`, `mwdg.sh`), case-insensitive.
    FileName,
    /// A glob on a file's full path, `/` separated (`**/App_Data/Temp/*`).
    FilePath,
    /// A pattern on an X.509 subject (`C=Tunis, O=IT`).
    X509Subject,
    /// A pattern on an X.509 issuer.
    X509Issuer,
    /// An X.509 certificate SHA-1 or SHA-256 fingerprint (hex).
    X509Fingerprint,
    /// A literal string searched for in content (ASCII and UTF-16LE).
    String,
    /// A JA3 or JA3S fingerprint (MD5 hex).
    Ja3,
    /// A JA4 fingerprint.
    Ja4,
}

impl IndicatorType {
    /// Every type, in documentation order.
    pub const ALL: [IndicatorType; 17] = [
        IndicatorType::Md5,
        IndicatorType::Sha1,
        IndicatorType::Sha256,
        IndicatorType::Ipv4,
        IndicatorType::Ipv6,
        IndicatorType::Cidr,
        IndicatorType::Domain,
        IndicatorType::Url,
        IndicatorType::Email,
        IndicatorType::FileName,
        IndicatorType::FilePath,
        IndicatorType::X509Subject,
        IndicatorType::X509Issuer,
        IndicatorType::X509Fingerprint,
        IndicatorType::String,
        IndicatorType::Ja3,
        IndicatorType::Ja4,
    ];

    /// The snake_case name used in packs.
    pub fn as_str(self) -> &'static str {
        match self {
            IndicatorType::Md5 => "md5",
            IndicatorType::Sha1 => "sha1",
            IndicatorType::Sha256 => "sha256",
            IndicatorType::Ipv4 => "ipv4",
            IndicatorType::Ipv6 => "ipv6",
            IndicatorType::Cidr => "cidr",
            IndicatorType::Domain => "domain",
            IndicatorType::Url => "url",
            IndicatorType::Email => "email",
            IndicatorType::FileName => "file_name",
            IndicatorType::FilePath => "file_path",
            IndicatorType::X509Subject => "x509_subject",
            IndicatorType::X509Issuer => "x509_issuer",
            IndicatorType::X509Fingerprint => "x509_fingerprint",
            IndicatorType::String => "string",
            IndicatorType::Ja3 => "ja3",
            IndicatorType::Ja4 => "ja4",
        }
    }
}

impl fmt::Display for IndicatorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for IndicatorType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IndicatorType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = IndicatorType::ALL.iter().map(|t| t.as_str()).collect();
                format!(
                    "unknown indicator type `{s}` (expected one of: {})",
                    names.join(", ")
                )
            })
    }
}

/// One indicator of compromise, with where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicator {
    /// What kind of value this is.
    #[serde(rename = "type")]
    pub kind: IndicatorType,
    /// The value, normalised (hex lowercase, domains lowercase).
    pub value: String,
    /// What it is (`WellMess sample, Go, 64-bit PE`).
    pub description: String,
    /// Severity of a hit.
    pub severity: Severity,
    /// Confidence of a hit.
    pub confidence: Confidence,
    /// ATT&CK ids.
    pub attack: Vec<String>,
    /// Id of the `[[source]]` it comes from.
    pub source: String,
    /// The malware or tool it belongs to, if any.
    pub malware: Option<String>,
    /// What to do on a hit; the pack default otherwise.
    pub action: Option<String>,
    /// Line in the indicator file, for diagnostics.
    #[serde(skip)]
    pub line: usize,
}

/// A rule file shipped in a pack (YARA now; Sigma, network, exposure later).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleFile {
    /// Path relative to the pack root (`yara/wellmess.yar`).
    pub path: String,
    /// The file's text.
    pub text: String,
}

/// Where a pack was loaded from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Compiled into the binary.
    Builtin,
    /// A directory given with `--pack`.
    Dir(std::path::PathBuf),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Builtin => f.write_str("built-in"),
            Origin::Dir(p) => write!(f, "{}", p.display()),
        }
    }
}

/// A loaded, validated pack.
#[derive(Debug, Clone)]
pub struct Pack {
    /// `[pack]` metadata.
    pub meta: PackMeta,
    /// `[[source]]` entries.
    pub sources: Vec<Source>,
    /// All indicators from `indicators*.toml` and `indicators/*.toml`.
    pub indicators: Vec<Indicator>,
    /// YARA rule files from `yara/`.
    pub yara: Vec<RuleFile>,
    /// Sigma rule files from `sigma/` (hunted by the logs engine).
    pub sigma: Vec<RuleFile>,
    /// Network detection definitions from `network/`.
    pub network: Vec<RuleFile>,
    /// Exposure definitions from `exposure/`.
    pub exposure: Vec<RuleFile>,
    /// Where it came from.
    pub origin: Origin,
}

impl Pack {
    /// The source with id `id`.
    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.id == id)
    }

    /// The action for a finding that gives none of its own.
    pub fn default_action(&self) -> &str {
        self.meta.default_action.as_deref().unwrap_or(
            "Preserve the evidence, isolate the host if this is confirmed, and investigate.",
        )
    }

    /// Number of indicators of each type.
    pub fn indicator_counts(&self) -> std::collections::BTreeMap<IndicatorType, usize> {
        let mut m = std::collections::BTreeMap::new();
        for i in &self.indicators {
            *m.entry(i.kind).or_insert(0) += 1;
        }
        m
    }
}
