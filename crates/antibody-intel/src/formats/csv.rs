//! CSV with a header line: import through a column mapping (given as a
//! [`CsvMap`], or detected from common header names), and export of a pack
//! as `type,value,description,severity,confidence,attack,source,malware`
//! with RFC 4180 quoting.
//!
//! A row whose type column is empty, generic (`hash`, `ip`) or unknown is
//! classified from its value. A bad row is a problem naming its line; the
//! other rows are kept.

use super::misp::{MispType, misp_type};
use super::{FormatError, Meta, Sink};
use crate::model::IocKind;
use antibody_core::pack::Pack;
use std::io::{Read, Write};
use std::str::FromStr;

/// A column of a CSV file: by header name (case-insensitive) or by 1-based
/// number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    /// The column with this header.
    Name(String),
    /// The n-th column, from 1.
    Number(usize),
}

/// Which columns of a CSV file hold what.
///
/// Parsed from `type=Type,value=Indicator,description=Comment` (keys
/// `type`, `value`, `description`, `malware`, `attack`, `to_ids`; a value
/// of digits is a 1-based column number).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CsvMap {
    /// The indicator type; values are classified when absent.
    pub type_col: Option<Column>,
    /// The value (required).
    pub value_col: Option<Column>,
    /// A description.
    pub description_col: Option<Column>,
    /// The malware or tool.
    pub malware_col: Option<Column>,
    /// ATT&CK ids (separated by spaces, commas or semicolons).
    pub attack_col: Option<Column>,
    /// Whether to detect on it (`1`, `true`, `yes`).
    pub to_ids_col: Option<Column>,
}

/// Why a CSV mapping does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CsvMapError {
    /// A part is not `key=column`.
    #[error("`{0}` is not key=column")]
    NotKeyValue(String),
    /// The key is not one of the known ones.
    #[error("unknown key `{0}` (expected type, value, description, malware, attack or to_ids)")]
    UnknownKey(String),
    /// No `value=` was given.
    #[error("a mapping needs value=COLUMN")]
    NoValue,
}

impl FromStr for CsvMap {
    type Err = CsvMapError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut m = CsvMap::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .map(|(k, v)| (k.trim(), v.trim()))
                .filter(|(k, v)| !k.is_empty() && !v.is_empty())
                .ok_or_else(|| CsvMapError::NotKeyValue(part.to_string()))?;
            let col = match v.parse::<usize>() {
                Ok(n) if n > 0 => Column::Number(n),
                _ => Column::Name(v.to_string()),
            };
            let slot = match k.to_ascii_lowercase().as_str() {
                "type" => &mut m.type_col,
                "value" => &mut m.value_col,
                "description" => &mut m.description_col,
                "malware" => &mut m.malware_col,
                "attack" => &mut m.attack_col,
                "to_ids" => &mut m.to_ids_col,
                _ => return Err(CsvMapError::UnknownKey(k.to_string())),
            };
            *slot = Some(col);
        }
        if m.value_col.is_none() {
            return Err(CsvMapError::NoValue);
        }
        Ok(m)
    }
}

impl CsvMap {
    /// The mapping read from a header with common column names, when it
    /// has a value column.
    pub fn detect(header: &[&str]) -> Option<CsvMap> {
        let find = |names: &[&str]| {
            header
                .iter()
                .position(|h| {
                    let h = h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase();
                    names.contains(&h.as_str())
                })
                .map(|i| Column::Number(i + 1))
        };
        let m = CsvMap {
            type_col: find(&[
                "type",
                "ioc_type",
                "indicator_type",
                "ioc type",
                "indicator type",
                "kind",
            ]),
            value_col: find(&[
                "value",
                "indicator",
                "ioc",
                "observable",
                "ioc_value",
                "indicator_value",
            ]),
            description_col: find(&["description", "comment", "comments", "notes", "note"]),
            malware_col: find(&["malware", "malware_family", "family"]),
            attack_col: find(&["attack", "mitre", "technique", "techniques"]),
            to_ids_col: find(&["to_ids"]),
        };
        m.value_col.is_some().then_some(m)
    }

    fn index(c: &Option<Column>, header: &[String]) -> Result<Option<usize>, String> {
        match c {
            None => Ok(None),
            Some(Column::Number(n)) => Ok(Some(n - 1)),
            Some(Column::Name(name)) => header
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
                .map(Some)
                .ok_or_else(|| format!("no column `{name}` in the header ({})", header.join(", "))),
        }
    }
}

/// What a type column's text means.
enum TypeName {
    Kind(IocKind),
    /// A generic or unknown type: classify the value.
    Classify,
    /// A type with no indicator kind (`string`, `x509_subject`, `text`).
    Skip,
}

fn type_name(t: &str) -> TypeName {
    let l = t.trim().to_ascii_lowercase();
    if let Ok(k) = l.parse::<IocKind>() {
        return TypeName::Kind(k);
    }
    let k = match l.as_str() {
        "" | "ip" | "ip address" | "hash" | "filehash" | "file hash" | "ioc" | "indicator"
        | "other" | "unknown" => {
            return TypeName::Classify;
        }
        "ipv4-addr" | "ipv4 address" | "ipaddress" => IocKind::Ipv4,
        "ipv6-addr" | "ipv6 address" => IocKind::Ipv6,
        "domain-name" | "fqdn" | "domain name" => IocKind::Domain,
        "email-addr" | "email address" | "e-mail" => IocKind::Email,
        "filehash-md5" | "md5 hash" => IocKind::Md5,
        "filehash-sha1" | "sha-1" | "sha1 hash" => IocKind::Sha1,
        "filehash-sha256" | "sha-256" | "sha256 hash" => IocKind::Sha256,
        "filehash-sha512" | "sha-512" => IocKind::Sha512,
        "filepath" | "file path" | "path" => IocKind::FilePath,
        "file name" | "file" => IocKind::FileName,
        "registry key" | "registry" => IocKind::Registry,
        "ja3" | "ja3s" => IocKind::Ja3,
        "x509" | "certificate" => IocKind::X509Fingerprint,
        "yara" => IocKind::YaraRule,
        "snort" | "suricata" => IocKind::SnortRule,
        "sigma" => IocKind::SigmaRule,
        "string" | "x509_subject" | "x509_issuer" | "text" | "comment" | "mutex" => {
            return TypeName::Skip;
        }
        _ => match misp_type(&l) {
            MispType::One(k) => k,
            MispType::FileName => IocKind::FileName,
            MispType::Skip => return TypeName::Skip,
            _ => return TypeName::Classify,
        },
    };
    TypeName::Kind(k)
}

pub(crate) fn import(r: impl Read, sink: &mut Sink<'_>) -> Result<(), FormatError> {
    let mut rd = ::csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .comment(Some(b'#'))
        .from_reader(r);
    let header: Vec<String> = match rd.headers() {
        Ok(h) => h
            .iter()
            .map(|s| s.trim_start_matches('\u{feff}').to_string())
            .collect(),
        Err(e) => {
            return Err(FormatError::Format {
                file: sink.name.clone(),
                message: format!("cannot read the CSV header: {e}"),
            });
        }
    };
    let refs: Vec<&str> = header.iter().map(String::as_str).collect();
    let map = match sink.opts.csv_map.clone().or_else(|| CsvMap::detect(&refs)) {
        Some(m) => m,
        None => {
            return Err(FormatError::Format {
                file: sink.name.clone(),
                message: format!(
                    "no value column in the header ({}); name one with a mapping such as value=Indicator",
                    header.join(", ")
                ),
            });
        }
    };
    let bad = |message: String| FormatError::Format {
        file: sink.name.clone(),
        message,
    };
    let col = |c: &Option<Column>| CsvMap::index(c, &header).map_err(bad);
    let (type_i, value_i, desc_i) = (
        col(&map.type_col)?,
        col(&map.value_col)?,
        col(&map.description_col)?,
    );
    let (mal_i, att_i, ids_i) = (
        col(&map.malware_col)?,
        col(&map.attack_col)?,
        col(&map.to_ids_col)?,
    );
    let value_i = value_i.unwrap_or(0);
    let mut rec = ::csv::StringRecord::new();
    loop {
        let line = rd.position().line() + 1;
        let item = format!("{}:{line}", sink.name);
        match rd.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                if e.is_io_error() {
                    return Err(FormatError::Io {
                        file: sink.name.clone(),
                        source: std::io::Error::other(e.to_string()),
                    });
                }
                sink.problem(&item, format!("unreadable row: {e}"));
                continue;
            }
        }
        let line = rec.position().map_or(line, |p| p.line());
        let item = format!("{}:{line}", sink.name);
        if !sink.count_object(&item) {
            break;
        }
        let get = |i: Option<usize>| {
            i.and_then(|i| rec.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let Some(value) = get(Some(value_i)) else {
            sink.problem(&item, "no value in this row");
            continue;
        };
        let meta = Meta {
            description: get(desc_i).map(str::to_string),
            malware: get(mal_i).map(str::to_string),
            attack: get(att_i)
                .map(|a| {
                    a.split([' ', ',', ';'])
                        .map(|x| x.trim().to_ascii_uppercase())
                        .filter(|x| antibody_core::pack::is_attack_id(x))
                        .collect()
                })
                .unwrap_or_default(),
            to_ids: get(ids_i).is_none_or(|v| {
                matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "y")
            }),
            confidence: Some(0.8),
        };
        match type_name(get(type_i).unwrap_or("")) {
            TypeName::Kind(k) => {
                sink.item(&item, k, value, meta);
            }
            TypeName::Classify => {
                sink.classified(&item, value, meta);
            }
            TypeName::Skip => sink.skip(),
        }
    }
    sink.add_bytes(rd.position().byte());
    Ok(())
}

/// Writes `pack`'s indicators as CSV.
pub(crate) fn export(pack: &Pack, w: &mut dyn Write) -> Result<(), FormatError> {
    let mut wr = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(w);
    let io = |e: ::csv::Error| FormatError::Write(std::io::Error::other(e.to_string()));
    wr.write_record([
        "type",
        "value",
        "description",
        "severity",
        "confidence",
        "attack",
        "source",
        "malware",
    ])
    .map_err(io)?;
    for i in &pack.indicators {
        wr.write_record([
            i.kind.as_str(),
            &i.value,
            &i.description,
            i.severity.as_str(),
            i.confidence.as_str(),
            &i.attack.join(" "),
            &i.source,
            i.malware.as_deref().unwrap_or(""),
        ])
        .map_err(io)?;
    }
    wr.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_mapping() {
        let m: CsvMap = "type=Type, value=Indicator,description=3".parse().unwrap();
        assert_eq!(m.type_col, Some(Column::Name("Type".into())));
        assert_eq!(m.value_col, Some(Column::Name("Indicator".into())));
        assert_eq!(m.description_col, Some(Column::Number(3)));
        assert_eq!("type=Type".parse::<CsvMap>(), Err(CsvMapError::NoValue));
        assert!(matches!(
            "colour=red,value=v".parse::<CsvMap>(),
            Err(CsvMapError::UnknownKey(_))
        ));
        assert!(matches!(
            "value".parse::<CsvMap>(),
            Err(CsvMapError::NotKeyValue(_))
        ));
    }

    #[test]
    fn detects_common_headers() {
        let m = CsvMap::detect(&["IOC_Type", "Indicator", "Comment"]).unwrap();
        assert_eq!(m.type_col, Some(Column::Number(1)));
        assert_eq!(m.value_col, Some(Column::Number(2)));
        assert_eq!(m.description_col, Some(Column::Number(3)));
        assert!(CsvMap::detect(&["a", "b"]).is_none());
    }

    #[test]
    fn type_names_map_to_kinds() {
        assert!(matches!(type_name("ip-dst"), TypeName::Classify));
        assert!(matches!(
            type_name("FileHash-SHA256"),
            TypeName::Kind(IocKind::Sha256)
        ));
        assert!(matches!(
            type_name("domain"),
            TypeName::Kind(IocKind::Domain)
        ));
        assert!(matches!(type_name("string"), TypeName::Skip));
        assert!(matches!(type_name("weird"), TypeName::Classify));
    }
}
