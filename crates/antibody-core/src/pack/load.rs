//! Loading and validating packs from a directory or from the binary.
//!
//! Validation collects every problem (file, line, reason) instead of
//! stopping at the first, so `antibody packs validate` can list them all.

use super::model::{Indicator, IndicatorType, Origin, Pack, PackMeta, RuleFile, Source};
use crate::severity::{Confidence, Severity};
use serde::Deserialize;
use std::collections::HashSet;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use toml::Spanned;

/// Largest file a pack may contain; packs are text, not evidence.
pub const MAX_PACK_FILE: u64 = 16 * 1024 * 1024;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// The pack is still usable.
    Warning,
    /// The pack (or the item named) cannot be used.
    Error,
}

/// One problem in a pack, pointing at the file and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// How serious.
    pub level: Level,
    /// File relative to the pack root (`indicators.toml`).
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// The reason.
    pub message: String,
}

impl Diagnostic {
    /// An error at `file:line`.
    pub fn error(file: impl Into<String>, line: Option<usize>, message: impl Into<String>) -> Self {
        Diagnostic {
            level: Level::Error,
            file: file.into(),
            line,
            message: message.into(),
        }
    }

    /// A warning at `file:line`.
    pub fn warning(
        file: impl Into<String>,
        line: Option<usize>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            level: Level::Warning,
            ..Diagnostic::error(file, line, message)
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        match self.line {
            Some(l) => write!(f, "{level}: {}:{l}: {}", self.file, self.message),
            None => write!(f, "{level}: {}: {}", self.file, self.message),
        }
    }
}

/// A pack that could not be loaded, with every reason.
#[derive(Debug, Clone, thiserror::Error)]
#[error("pack {origin} is invalid: {}", first_error(.diagnostics))]
pub struct PackError {
    /// Where the pack was loaded from.
    pub origin: String,
    /// Every problem found (errors and warnings).
    pub diagnostics: Vec<Diagnostic>,
}

fn first_error(d: &[Diagnostic]) -> String {
    let errors: Vec<&Diagnostic> = d.iter().filter(|d| d.level == Level::Error).collect();
    match errors.first() {
        Some(e) if errors.len() == 1 => e.to_string(),
        Some(e) => format!("{e} (and {} more)", errors.len() - 1),
        None => "no errors".into(),
    }
}

/// A loaded pack and the warnings it produced.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The pack.
    pub pack: Pack,
    /// Warnings (no errors: a pack with errors is not loaded).
    pub warnings: Vec<Diagnostic>,
}

/// Loads a pack from a directory, reading at most [`MAX_PACK_FILE`] bytes
/// per file.
pub fn load_dir(dir: &Path) -> Result<Loaded, PackError> {
    let origin = Origin::Dir(dir.to_path_buf());
    let mut files = Vec::new();
    let mut diags = Vec::new();
    if !dir.join("pack.toml").is_file() {
        return Err(PackError {
            origin: origin.to_string(),
            diagnostics: vec![Diagnostic::error(
                "pack.toml",
                None,
                format!(
                    "{} has no pack.toml; is this a pack directory?",
                    dir.display()
                ),
            )],
        });
    }
    collect_dir(dir, dir, 0, &mut files, &mut diags);
    load_files(files, origin, diags)
}

fn collect_dir(
    root: &Path,
    dir: &Path,
    depth: usize,
    out: &mut Vec<(String, Vec<u8>)>,
    diags: &mut Vec<Diagnostic>,
) {
    let rel = |p: &Path| {
        p.strip_prefix(root)
            .unwrap_or(p)
            .to_string_lossy()
            .replace('\\', "/")
    };
    if depth > 8 {
        diags.push(Diagnostic::warning(
            rel(dir),
            None,
            "directory nested too deep; not read",
        ));
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            diags.push(Diagnostic::error(
                rel(dir),
                None,
                format!("cannot read directory: {e}"),
            ));
            return;
        }
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            if depth == 0 && entry.file_name().eq_ignore_ascii_case("intel") {
                // Reference material, never hunted: not read (it may be big).
                continue;
            }
            collect_dir(root, &path, depth + 1, out, diags);
        } else if ft.is_file() {
            match entry.metadata() {
                Ok(m) if m.len() > MAX_PACK_FILE => {
                    diags.push(Diagnostic::error(
                        rel(&path),
                        None,
                        format!(
                            "file is {} bytes, over the {MAX_PACK_FILE}-byte limit for pack files",
                            m.len()
                        ),
                    ));
                    continue;
                }
                _ => {}
            }
            match std::fs::read(&path) {
                Ok(bytes) => out.push((rel(&path), bytes)),
                Err(e) => diags.push(Diagnostic::error(
                    rel(&path),
                    None,
                    format!("cannot read: {e}"),
                )),
            }
        }
    }
}

/// Loads a pack from `(relative path, content)` pairs.
pub fn load_files(
    files: Vec<(String, Vec<u8>)>,
    origin: Origin,
    mut diags: Vec<Diagnostic>,
) -> Result<Loaded, PackError> {
    let mut manifest = None;
    let mut indicator_files = Vec::new();
    let (mut yara, mut sigma, mut network, mut exposure) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (path, bytes) in files {
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                diags.push(Diagnostic::error(
                    &path,
                    None,
                    format!(
                        "not UTF-8 text (invalid byte at offset {})",
                        e.utf8_error().valid_up_to()
                    ),
                ));
                continue;
            }
        };
        let lower = path.to_ascii_lowercase();
        let ext = lower.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        if path == "pack.toml" {
            manifest = Some(text);
        } else if lower.starts_with("indicators") && ext == "toml" {
            indicator_files.push((path, text));
        } else if lower.starts_with("yara/") && matches!(ext, "yar" | "yara") {
            yara.push(RuleFile { path, text });
        } else if lower.starts_with("sigma/") && matches!(ext, "yml" | "yaml") {
            sigma.push(RuleFile { path, text });
        } else if lower.starts_with("network/") && ext == "toml" {
            network.push(RuleFile { path, text });
        } else if lower.starts_with("exposure/") && ext == "toml" {
            exposure.push(RuleFile { path, text });
        } else if lower.starts_with("intel/") {
            // Reference material kept with the pack (observables without a
            // pack type, rules for other tools): documented, not hunted.
        } else if !matches!(ext, "md" | "txt") && !lower.ends_with("license") {
            diags.push(Diagnostic::warning(
                &path,
                None,
                "not a pack file (ignored)",
            ));
        }
    }
    let origin_s = origin.to_string();
    let Some(manifest) = manifest else {
        diags.push(Diagnostic::error("pack.toml", None, "missing"));
        return Err(PackError {
            origin: origin_s,
            diagnostics: diags,
        });
    };
    let Some((meta, sources)) = parse_manifest(&manifest, &mut diags) else {
        return Err(PackError {
            origin: origin_s,
            diagnostics: diags,
        });
    };
    let mut indicators = Vec::new();
    for (path, text) in &indicator_files {
        parse_indicators(path, text, &sources, &mut indicators, &mut diags);
    }
    let mut seen = HashSet::new();
    for ind in &indicators {
        if !seen.insert((ind.kind, ind.value.clone())) {
            diags.push(Diagnostic::warning(
                "indicators",
                Some(ind.line),
                format!("duplicate {} indicator `{}`", ind.kind, ind.value),
            ));
        }
    }
    if diags.iter().any(|d| d.level == Level::Error) {
        return Err(PackError {
            origin: origin_s,
            diagnostics: diags,
        });
    }
    Ok(Loaded {
        pack: Pack {
            meta,
            sources,
            indicators,
            yara,
            sigma,
            network,
            exposure,
            origin,
        },
        warnings: diags,
    })
}

/// 1-based line of byte `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    LineIndex::new(text).line(offset)
}

/// Line starts of a text, for many offset-to-line lookups in
/// O(log n) each (a pack file may hold tens of thousands of indicators).
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    /// 1-based line holding byte `offset`.
    fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    pack: PackMeta,
    #[serde(default)]
    source: Vec<Spanned<Source>>,
    /// Reserved for the logs engine's settings.
    #[serde(default)]
    sigma: Option<toml::Table>,
    /// Reserved for the network engine's settings.
    #[serde(default)]
    network: Option<toml::Table>,
    /// Reserved for the exposure engine's settings.
    #[serde(default)]
    exposure: Option<toml::Table>,
}

fn parse_manifest(text: &str, diags: &mut Vec<Diagnostic>) -> Option<(PackMeta, Vec<Source>)> {
    let raw: RawManifest = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let line = e.span().map(|s| line_of(text, s.start));
            diags.push(Diagnostic::error(
                "pack.toml",
                line,
                e.message().to_string(),
            ));
            return None;
        }
    };
    let _ = (&raw.sigma, &raw.network, &raw.exposure);
    let meta = raw.pack;
    let name_ok = !meta.name.is_empty()
        && meta.name.len() <= 64
        && meta
            .name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !meta.name.starts_with('-');
    if !name_ok {
        diags.push(Diagnostic::error(
            "pack.toml",
            Some(line_of(text, text.find("name").unwrap_or(0))),
            format!(
                "pack name `{}` must be 1–64 lowercase letters, digits and dashes",
                meta.name
            ),
        ));
    }
    for id in &meta.attack {
        if !is_attack_id(id) {
            diags.push(Diagnostic::error(
                "pack.toml",
                None,
                format!(
                    "`{id}` is not an ATT&CK id (T1234, T1234.001, S0514, G0016, M1051, TA0001)"
                ),
            ));
        }
    }
    let mut sources = Vec::new();
    let mut ids = HashSet::new();
    for s in raw.source {
        let line = line_of(text, s.span().start);
        let s = s.into_inner();
        if !ids.insert(s.id.clone()) {
            diags.push(Diagnostic::error(
                "pack.toml",
                Some(line),
                format!("duplicate source id `{}`", s.id),
            ));
        }
        // `file://` names a local document a pack was built from (an
        // advisory PDF on the analyst's disk) when it has no public address.
        if !["https://", "http://", "file://"]
            .iter()
            .any(|scheme| s.url.starts_with(scheme))
        {
            diags.push(Diagnostic::error(
                "pack.toml",
                Some(line),
                format!(
                    "source `{}` url `{}` is not an http(s) or file URL",
                    s.id, s.url
                ),
            ));
        }
        sources.push(s);
    }
    if sources.is_empty() {
        diags.push(Diagnostic::error(
            "pack.toml",
            None,
            "a pack must cite at least one [[source]]",
        ));
    }
    Some((meta, sources))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicatorFile {
    #[serde(default)]
    indicator: Vec<Spanned<RawIndicator>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    #[serde(rename = "type")]
    kind: String,
    value: String,
    description: String,
    severity: String,
    #[serde(default)]
    confidence: Option<String>,
    #[serde(default)]
    attack: Vec<String>,
    source: String,
    #[serde(default)]
    malware: Option<String>,
    #[serde(default)]
    action: Option<String>,
}

fn parse_indicators(
    path: &str,
    text: &str,
    sources: &[Source],
    out: &mut Vec<Indicator>,
    diags: &mut Vec<Diagnostic>,
) {
    let raw: RawIndicatorFile = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let line = e.span().map(|s| line_of(text, s.start));
            diags.push(Diagnostic::error(
                path,
                line,
                e.message().trim().to_string(),
            ));
            return;
        }
    };
    let lines = LineIndex::new(text);
    for spanned in raw.indicator {
        let line = lines.line(spanned.span().start);
        let r = spanned.into_inner();
        let mut err = |m: String| diags.push(Diagnostic::error(path, Some(line), m));
        let kind = match r.kind.parse::<IndicatorType>() {
            Ok(k) => k,
            Err(m) => {
                err(m);
                continue;
            }
        };
        let value = match normalise_value(kind, &r.value) {
            Ok(v) => v,
            Err(m) => {
                err(format!("{kind} `{}`: {m}", r.value));
                continue;
            }
        };
        let severity = match r.severity.parse::<Severity>() {
            Ok(s) => s,
            Err(e) => {
                err(e.to_string());
                continue;
            }
        };
        let confidence = match r.confidence.as_deref().map(str::parse::<Confidence>) {
            None if matches!(
                kind,
                IndicatorType::Md5 | IndicatorType::Sha1 | IndicatorType::Sha256
            ) =>
            {
                Confidence::High
            }
            None => Confidence::Medium,
            Some(Ok(c)) => c,
            Some(Err(m)) => {
                err(m);
                continue;
            }
        };
        if !sources.iter().any(|s| s.id == r.source) {
            err(format!(
                "source `{}` is not a [[source]] id in pack.toml",
                r.source
            ));
            continue;
        }
        if let Some(bad) = r.attack.iter().find(|a| !is_attack_id(a)) {
            err(format!("`{bad}` is not an ATT&CK id"));
            continue;
        }
        if r.description.trim().is_empty() {
            err("empty description".into());
            continue;
        }
        if let Some(w) = value_warning(kind, &value) {
            diags.push(Diagnostic::warning(
                path,
                Some(line),
                format!("{kind} `{value}`: {w}"),
            ));
        }
        out.push(Indicator {
            kind,
            value,
            description: r.description,
            severity,
            confidence,
            attack: r.attack,
            source: r.source,
            malware: r.malware,
            action: r.action,
            line,
        });
    }
}

/// Whether `id` looks like a MITRE ATT&CK id.
pub fn is_attack_id(id: &str) -> bool {
    let b = id.as_bytes();
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    match b.first() {
        Some(b'T') if b.get(1) == Some(&b'A') => b.len() == 6 && digits(&b[2..]),
        Some(b'T') => {
            (b.len() == 5 && digits(&b[1..]))
                || (b.len() == 9 && digits(&b[1..5]) && b[5] == b'.' && digits(&b[6..]))
        }
        Some(b'S' | b'G' | b'M' | b'C') => b.len() == 5 && digits(&b[1..]),
        _ => false,
    }
}

/// Checks and normalises a value for its type.
pub fn normalise_value(kind: IndicatorType, value: &str) -> Result<String, String> {
    let v = value.trim();
    if v.is_empty() {
        return Err("empty value".into());
    }
    let hex = |len: &[usize]| -> Result<String, String> {
        let h: String = v
            .chars()
            .filter(|&c| c != ':')
            .collect::<String>()
            .to_ascii_lowercase();
        if !len.contains(&h.len()) || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "expected {} hex digits",
                len.iter()
                    .map(|l| l.to_string())
                    .collect::<Vec<_>>()
                    .join(" or ")
            ));
        }
        Ok(h)
    };
    match kind {
        IndicatorType::Md5 | IndicatorType::Ja3 => hex(&[32]),
        IndicatorType::Sha1 => hex(&[40]),
        IndicatorType::Sha256 => hex(&[64]),
        IndicatorType::X509Fingerprint => hex(&[40, 64]),
        IndicatorType::Ipv4 => v
            .parse::<Ipv4Addr>()
            .map(|a| a.to_string())
            .map_err(|_| "not an IPv4 address".into()),
        IndicatorType::Ipv6 => v
            .parse::<Ipv6Addr>()
            .map(|a| a.to_string())
            .map_err(|_| "not an IPv6 address".into()),
        IndicatorType::Cidr => v
            .parse::<ipnet::IpNet>()
            .map(|n| n.trunc().to_string())
            .map_err(|_| "not a CIDR network (a.b.c.d/n or x::/n)".into()),
        IndicatorType::Domain => {
            let d = v.trim_end_matches('.').to_ascii_lowercase();
            if is_domain(&d) {
                Ok(d)
            } else {
                Err("not a DNS name (labels of a-z, 0-9, -, at least one dot)".into())
            }
        }
        IndicatorType::Url => {
            let Some((scheme, rest)) = v.split_once("://") else {
                return Err("a URL needs a scheme (http://, https://, ...)".into());
            };
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            let host = host.rsplit('@').next().unwrap_or(host);
            if scheme.is_empty()
                || !scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'+')
                || host.is_empty()
            {
                return Err("not a URL with a scheme and a host".into());
            }
            Ok(format!("{}://{}", scheme.to_ascii_lowercase(), rest))
        }
        IndicatorType::Email => {
            let Some((local, domain)) = v.rsplit_once('@') else {
                return Err("an e-mail address needs an @".into());
            };
            let domain = domain.to_ascii_lowercase();
            if local.is_empty() || local.contains(char::is_whitespace) || !is_domain(&domain) {
                return Err("not an e-mail address".into());
            }
            Ok(format!("{local}@{domain}"))
        }
        IndicatorType::FileName | IndicatorType::FilePath => {
            let p = if kind == IndicatorType::FilePath {
                v.replace('\\', "/")
            } else {
                v.to_string()
            };
            globset::GlobBuilder::new(&p)
                .case_insensitive(true)
                .literal_separator(kind == IndicatorType::FilePath)
                .build()
                .map(|_| p.clone())
                .map_err(|e| format!("bad glob: {e}"))
        }
        IndicatorType::Ja4 => {
            let parts: Vec<&str> = v.split('_').collect();
            let ok = parts.len() == 3
                && parts[0].len() == 10
                && parts[1].len() == 12
                && parts[2].len() == 12
                && parts[0].bytes().all(|b| b.is_ascii_alphanumeric())
                && parts[1..]
                    .iter()
                    .all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()));
            if ok {
                Ok(v.to_ascii_lowercase())
            } else {
                Err("not a JA4 fingerprint (a_b_c: 10 + 12 + 12 characters)".into())
            }
        }
        IndicatorType::X509Subject | IndicatorType::X509Issuer | IndicatorType::String => {
            Ok(v.to_string())
        }
    }
}

fn value_warning(kind: IndicatorType, value: &str) -> Option<&'static str> {
    match kind {
        IndicatorType::Ipv4 | IndicatorType::Ipv6 => {
            let ip: IpAddr = value.parse().ok()?;
            is_non_public(ip)
                .then_some("private, loopback or documentation address: hits may be local traffic")
        }
        IndicatorType::String if value.len() < 6 => {
            Some("strings under 6 bytes cause false positives")
        }
        _ => None,
    }
}

/// Whether `ip` is private, loopback, link-local, reserved or documentation.
pub fn is_non_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            a.is_private()
                || a.is_loopback()
                || a.is_link_local()
                || a.is_unspecified()
                || a.is_broadcast()
                || a.is_documentation()
                || o[0] == 100 && (64..128).contains(&o[1])
                || o[0] >= 224
        }
        IpAddr::V6(a) => {
            let s = a.segments();
            a.is_loopback()
                || a.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || s[0] == 0x2001 && s[1] == 0x0db8
                || a.is_multicast()
        }
    }
}

/// Whether `d` (lowercase) is a syntactically valid DNS name with a dot.
pub fn is_domain(d: &str) -> bool {
    d.len() <= 253
        && d.contains('.')
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        })
        && !d
            .rsplit('.')
            .next()
            .unwrap_or("")
            .bytes()
            .all(|b| b.is_ascii_digit())
}
