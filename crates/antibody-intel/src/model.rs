//! What every part of the intel crate produces and consumes.
//!
//! Extraction from prose yields [`Ioc`]s (with the sentence they came from),
//! [`Entity`]s and [`Technique`]s. Importers of shared intelligence yield
//! the same types. Both are gathered in an [`Intel`] set, with the
//! [`SourceDoc`] each item came from, which the pack writer turns into a
//! pack.

use antibody_core::pack::IndicatorType;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The type of an extracted or imported indicator.
///
/// A superset of the pack's indicator types: some (CVE ids, ATT&CK ids,
/// SSDEEP, SHA-512, registry keys, embedded rules) are kept and reported but
/// have no pack indicator type ([`IocKind::pack_type`] is `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum IocKind {
    /// IPv4 address, dotted quad, canonical form.
    Ipv4,
    /// IPv6 address, canonical compressed lowercase form.
    Ipv6,
    /// IPv4 or IPv6 network, host bits cleared (`10.0.0.0/8`).
    Cidr,
    /// DNS name, lowercase, validated against the Public Suffix List;
    /// internationalised names in their A-label (punycode) form.
    Domain,
    /// URL with scheme (`http://` added when written without one).
    Url,
    /// E-mail address, domain lowercased.
    Email,
    /// MD5, 32 hex digits, lowercase.
    Md5,
    /// SHA-1, 40 hex digits, lowercase.
    Sha1,
    /// SHA-256, 64 hex digits, lowercase.
    Sha256,
    /// SHA-512, 128 hex digits, lowercase.
    Sha512,
    /// SSDEEP fuzzy hash, `blocksize:hash:hash`.
    Ssdeep,
    /// CVE id, uppercase (`CVE-2019-19781`).
    Cve,
    /// ATT&CK id, uppercase (`T1566.001`, `G0016`, `S0514`, `TA0001`).
    Attack,
    /// A file name with an extension (`mwdg.sh`, `invoice.exe`).
    FileName,
    /// A Windows or Unix path (`C:\Windows\Temp\a.exe`, `/tmp/.x/run.sh`),
    /// kept as written.
    FilePath,
    /// A Windows registry key (`HKLM\Software\...`), hive spelt out
    /// (`HKEY_LOCAL_MACHINE\...`).
    Registry,
    /// A JA3 or JA3S fingerprint (32 hex digits named as JA3 in the text).
    Ja3,
    /// A JA4-family fingerprint (`t13d1516h2_8daaf6152771_e5627efa2ab1`).
    Ja4,
    /// A certificate fingerprint (SHA-1 or SHA-256 hex named as a
    /// certificate's in the text).
    X509Fingerprint,
    /// A YARA rule block, kept whole.
    YaraRule,
    /// A Sigma rule (YAML document), kept whole.
    SigmaRule,
    /// A Snort or Suricata rule line, kept whole.
    SnortRule,
}

impl IocKind {
    /// Every kind, in documentation order.
    pub const ALL: [IocKind; 22] = [
        IocKind::Ipv4,
        IocKind::Ipv6,
        IocKind::Cidr,
        IocKind::Domain,
        IocKind::Url,
        IocKind::Email,
        IocKind::Md5,
        IocKind::Sha1,
        IocKind::Sha256,
        IocKind::Sha512,
        IocKind::Ssdeep,
        IocKind::Cve,
        IocKind::Attack,
        IocKind::FileName,
        IocKind::FilePath,
        IocKind::Registry,
        IocKind::Ja3,
        IocKind::Ja4,
        IocKind::X509Fingerprint,
        IocKind::YaraRule,
        IocKind::SigmaRule,
        IocKind::SnortRule,
    ];

    /// The snake_case name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            IocKind::Ipv4 => "ipv4",
            IocKind::Ipv6 => "ipv6",
            IocKind::Cidr => "cidr",
            IocKind::Domain => "domain",
            IocKind::Url => "url",
            IocKind::Email => "email",
            IocKind::Md5 => "md5",
            IocKind::Sha1 => "sha1",
            IocKind::Sha256 => "sha256",
            IocKind::Sha512 => "sha512",
            IocKind::Ssdeep => "ssdeep",
            IocKind::Cve => "cve",
            IocKind::Attack => "attack",
            IocKind::FileName => "file_name",
            IocKind::FilePath => "file_path",
            IocKind::Registry => "registry",
            IocKind::Ja3 => "ja3",
            IocKind::Ja4 => "ja4",
            IocKind::X509Fingerprint => "x509_fingerprint",
            IocKind::YaraRule => "yara_rule",
            IocKind::SigmaRule => "sigma_rule",
            IocKind::SnortRule => "snort_rule",
        }
    }

    /// The pack indicator type this kind becomes, if any.
    pub fn pack_type(self) -> Option<IndicatorType> {
        Some(match self {
            IocKind::Ipv4 => IndicatorType::Ipv4,
            IocKind::Ipv6 => IndicatorType::Ipv6,
            IocKind::Cidr => IndicatorType::Cidr,
            IocKind::Domain => IndicatorType::Domain,
            IocKind::Url => IndicatorType::Url,
            IocKind::Email => IndicatorType::Email,
            IocKind::Md5 => IndicatorType::Md5,
            IocKind::Sha1 => IndicatorType::Sha1,
            IocKind::Sha256 => IndicatorType::Sha256,
            IocKind::FileName => IndicatorType::FileName,
            IocKind::FilePath => IndicatorType::FilePath,
            IocKind::Ja3 => IndicatorType::Ja3,
            IocKind::Ja4 => IndicatorType::Ja4,
            IocKind::X509Fingerprint => IndicatorType::X509Fingerprint,
            _ => return None,
        })
    }

    /// Whether values of this kind are whole rule texts (many lines).
    pub fn is_rule(self) -> bool {
        matches!(
            self,
            IocKind::YaraRule | IocKind::SigmaRule | IocKind::SnortRule
        )
    }
}

impl fmt::Display for IocKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for IocKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IocKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown indicator type `{s}`"))
    }
}

/// Why an indicator is reported but not treated as hostile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Flag {
    /// RFC 1918 / RFC 4193 private address or network.
    Private,
    /// Loopback (`127.0.0.0/8`, `::1`).
    Loopback,
    /// Link-local (`169.254.0.0/16`, `fe80::/10`).
    LinkLocal,
    /// Documentation range (`192.0.2.0/24`, `198.51.100.0/24`,
    /// `203.0.113.0/24`, `2001:db8::/32`).
    Documentation,
    /// Other reserved or special-purpose range (multicast, `0.0.0.0/8`,
    /// `100.64.0.0/10`, `240.0.0.0/4`, broadcast...).
    Reserved,
    /// Example or reserved name (`example.com`, `*.example`, `*.test`,
    /// `*.invalid`, `*.localhost`, `*.local`).
    ExampleDomain,
    /// A well-known legitimate name or file (the advisory's own publisher,
    /// `cmd.exe`, `microsoft.com`): named in the text, not an indicator of
    /// the actor.
    Benign,
}

impl Flag {
    /// The snake_case name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::Private => "private",
            Flag::Loopback => "loopback",
            Flag::LinkLocal => "link_local",
            Flag::Documentation => "documentation",
            Flag::Reserved => "reserved",
            Flag::ExampleDomain => "example_domain",
            Flag::Benign => "benign",
        }
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One indicator found in a document or imported from a feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ioc {
    /// What kind of value it is.
    pub kind: IocKind,
    /// The value, refanged and normalised for its kind.
    pub value: String,
    /// The text as written (defanged as written), at most 512 bytes.
    pub raw: String,
    /// Byte offset of `raw` in the document's text (0 for imports).
    pub offset: u64,
    /// Whether it was written defanged (`hxxp`, `[.]`, ...).
    pub defanged: bool,
    /// How sure the extractor is that this is a real indicator, 0.0–1.0.
    pub confidence: f32,
    /// Set when the value is named but not hostile (private address,
    /// example domain, well-known file...).
    pub flag: Option<Flag>,
    /// The sentence it came from (whitespace collapsed, at most 400
    /// characters), or the description an import gave it.
    pub sentence: String,
}

impl Ioc {
    /// Whether this indicator should be hunted for (not flagged).
    pub fn is_hostile(&self) -> bool {
        self.flag.is_none()
    }
}

/// The kind of a named entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EntityKind {
    /// A threat actor (ATT&CK group, id `G....`).
    Actor,
    /// Malware (ATT&CK software of type malware, id `S....`).
    Malware,
    /// A tool (ATT&CK software of type tool, id `S....`).
    Tool,
    /// An agency, company or organisation (id: a stable slug such as
    /// `ncsc-uk`).
    Organisation,
    /// A country (id: ISO 3166-1 alpha-2, `GB`).
    Country,
    /// A targeted sector (id: `government`, `diplomatic`, `think-tank`,
    /// `healthcare`, `pharmaceutical`, `energy`, `academia`, `research`,
    /// ...).
    Sector,
    /// A topic (id: a slug such as `covid-19-vaccine-research`).
    Topic,
}

impl EntityKind {
    /// The snake_case name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Actor => "actor",
            EntityKind::Malware => "malware",
            EntityKind::Tool => "tool",
            EntityKind::Organisation => "organisation",
            EntityKind::Country => "country",
            EntityKind::Sector => "sector",
            EntityKind::Topic => "topic",
        }
    }
}

/// A named entity with its canonical id and the names it was written as.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    /// What it is.
    pub kind: EntityKind,
    /// Canonical id (`G0016`, `S0514`, `ncsc-uk`, `GB`, `healthcare`).
    pub id: String,
    /// Canonical name (`APT29`, `WellMess`, `National Cyber Security
    /// Centre`, `United Kingdom`).
    pub name: String,
    /// The names it was written as in the text, each once, in order of
    /// first appearance (`Cozy Bear`, `the Dukes`).
    pub mentions: Vec<String>,
    /// How many times it was mentioned.
    pub count: usize,
    /// The first sentence that mentions it.
    pub sentence: String,
}

/// An ATT&CK technique recognised in a document, by id or from prose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Technique {
    /// Technique id (`T1566`, `T1566.001`).
    pub id: String,
    /// Its ATT&CK name.
    pub name: String,
    /// What in the text gave it: the id as written, or the phrase
    /// (`spear-phishing`).
    pub evidence: String,
    /// Whether it came from prose (true) or an explicit id (false).
    pub from_prose: bool,
    /// The supporting sentence.
    pub sentence: String,
}

/// A document or feed that items came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceDoc {
    /// Short id, unique in an [`Intel`] set (`ar20-198b`).
    pub id: String,
    /// Title (the document's own, or its file name).
    pub title: String,
    /// Where it was read from: an `http(s)://` URL when the document names
    /// its own, otherwise a `file://` URL of the file read.
    pub url: String,
    /// Who published it, when known.
    pub publisher: Option<String>,
    /// When, `YYYY-MM-DD`, when known.
    pub date: Option<String>,
    /// What format it was read as (`text`, `html`, `markdown`, `pdf`,
    /// `docx`, `stix`, `misp`, `kev`, `csv`, `list`).
    pub format: String,
}

/// An indicator with its provenance and what feeds said of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// The indicator.
    pub ioc: Ioc,
    /// Index of its [`SourceDoc`] in [`Intel::sources`].
    pub source: usize,
    /// A description given by a feed (STIX indicator name, MISP comment).
    pub description: Option<String>,
    /// The malware or tool it belongs to, when known.
    pub malware: Option<String>,
    /// ATT&CK ids attached to it.
    pub attack: Vec<String>,
    /// MISP `to_ids` or equivalent: whether the feed says to detect on it.
    /// `true` for indicators from prose that are not flagged.
    pub to_ids: bool,
}

/// A problem with one part of the input: the rest was still read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// What it concerns: a file, a JSON path (`$.objects[12].pattern`), a
    /// line (`kev.json:3`).
    pub item: String,
    /// What is wrong, in plain words.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.item, self.message)
    }
}

/// Everything gathered from a set of documents and feeds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Intel {
    /// The documents and feeds read.
    pub sources: Vec<SourceDoc>,
    /// Indicators with provenance (duplicates across sources kept).
    pub items: Vec<Item>,
    /// Entities, merged by kind and id.
    pub entities: Vec<Entity>,
    /// Techniques, one per id.
    pub techniques: Vec<Technique>,
    /// Problems met on the way; the rest was read.
    pub problems: Vec<Problem>,
}
