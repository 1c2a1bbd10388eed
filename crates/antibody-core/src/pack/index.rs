//! Fast lookup of every loaded pack's indicators by value.

use super::model::{Indicator, IndicatorType, Pack};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use std::collections::HashMap;
use std::net::IpAddr;

/// A file digest algorithm that packs can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HashAlgo {
    /// MD5.
    Md5,
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
}

impl HashAlgo {
    /// The observable for a digest of this algorithm (lowercase hex).
    pub fn observable(self, hex: &str) -> crate::Observable {
        let hex = hex.to_string();
        match self {
            HashAlgo::Md5 => crate::Observable::Md5(hex),
            HashAlgo::Sha1 => crate::Observable::Sha1(hex),
            HashAlgo::Sha256 => crate::Observable::Sha256(hex),
        }
    }
}

/// One indicator that matched, with its pack.
#[derive(Debug, Clone, Copy)]
pub struct IndicatorHit<'a> {
    /// The pack's name.
    pub pack: &'a str,
    /// The indicator.
    pub indicator: &'a Indicator,
    /// URLs of the indicator's source.
    pub reference: Option<&'a str>,
    /// The pack's default action.
    pub default_action: &'a str,
}

/// Indicators of all loaded packs, indexed for the engines.
#[derive(Debug, Default)]
pub struct IndicatorIndex {
    entries: Vec<Entry>,
    hashes: HashMap<(HashAlgo, String), Vec<usize>>,
    ips: HashMap<IpAddr, Vec<usize>>,
    cidrs: Vec<(ipnet::IpNet, usize)>,
    domains: HashMap<String, Vec<usize>>,
    names: GlobSet,
    name_ids: Vec<usize>,
    paths: GlobSet,
    path_ids: Vec<usize>,
    strings: Vec<usize>,
    urls: Vec<usize>,
}

#[derive(Debug)]
struct Entry {
    pack: String,
    indicator: Indicator,
    reference: Option<String>,
    default_action: String,
}

impl IndicatorIndex {
    /// Indexes the indicators of `packs`.
    pub fn new<'a>(packs: impl IntoIterator<Item = &'a Pack>) -> Self {
        let mut idx = IndicatorIndex::default();
        let mut names = GlobSetBuilder::new();
        let mut paths = GlobSetBuilder::new();
        for pack in packs {
            for ind in &pack.indicators {
                let id = idx.entries.len();
                idx.entries.push(Entry {
                    pack: pack.meta.name.clone(),
                    indicator: ind.clone(),
                    reference: pack.source(&ind.source).map(|s| s.url.clone()),
                    default_action: pack.default_action().to_string(),
                });
                let v = ind.value.clone();
                match ind.kind {
                    IndicatorType::Md5 => {
                        idx.hashes.entry((HashAlgo::Md5, v)).or_default().push(id)
                    }
                    IndicatorType::Sha1 => {
                        idx.hashes.entry((HashAlgo::Sha1, v)).or_default().push(id)
                    }
                    IndicatorType::Sha256 => idx
                        .hashes
                        .entry((HashAlgo::Sha256, v))
                        .or_default()
                        .push(id),
                    IndicatorType::Ipv4 | IndicatorType::Ipv6 => {
                        if let Ok(ip) = v.parse() {
                            idx.ips.entry(ip).or_default().push(id);
                        }
                    }
                    IndicatorType::Cidr => {
                        if let Ok(net) = v.parse() {
                            idx.cidrs.push((net, id));
                        }
                    }
                    IndicatorType::Domain => idx.domains.entry(v).or_default().push(id),
                    IndicatorType::FileName | IndicatorType::FilePath => {
                        let path = ind.kind == IndicatorType::FilePath;
                        // Validated at load time; a failure here is skipped.
                        if let Ok(g) = GlobBuilder::new(&v)
                            .case_insensitive(true)
                            .literal_separator(path)
                            .build()
                        {
                            if path {
                                paths.add(g);
                                idx.path_ids.push(id);
                            } else {
                                names.add(g);
                                idx.name_ids.push(id);
                            }
                        }
                    }
                    IndicatorType::String => idx.strings.push(id),
                    IndicatorType::Url => idx.urls.push(id),
                    _ => {}
                }
            }
        }
        idx.names = names.build().unwrap_or_default();
        idx.paths = paths.build().unwrap_or_default();
        idx
    }

    fn hit(&self, id: usize) -> IndicatorHit<'_> {
        let e = &self.entries[id];
        IndicatorHit {
            pack: &e.pack,
            indicator: &e.indicator,
            reference: e.reference.as_deref(),
            default_action: &e.default_action,
        }
    }

    fn hits(&self, ids: Option<&Vec<usize>>) -> Vec<IndicatorHit<'_>> {
        ids.map(|v| v.iter().map(|&i| self.hit(i)).collect())
            .unwrap_or_default()
    }

    /// Number of indicators indexed.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no indicator is indexed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The digest algorithms some pack has indicators for: compute only these.
    pub fn needed_hashes(&self) -> Vec<HashAlgo> {
        let mut v: Vec<HashAlgo> = self.hashes.keys().map(|(a, _)| *a).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Indicators for a digest (lowercase hex).
    pub fn hash(&self, algo: HashAlgo, hex: &str) -> Vec<IndicatorHit<'_>> {
        self.hits(self.hashes.get(&(algo, hex.to_string())))
    }

    /// Indicators for an IP address: exact addresses and containing CIDRs.
    pub fn ip(&self, ip: IpAddr) -> Vec<IndicatorHit<'_>> {
        let mut v = self.hits(self.ips.get(&ip));
        v.extend(
            self.cidrs
                .iter()
                .filter(|(n, _)| n.contains(&ip))
                .map(|&(_, i)| self.hit(i)),
        );
        v
    }

    /// Indicators for a DNS name: the name itself and any parent domain.
    pub fn domain(&self, name: &str) -> Vec<IndicatorHit<'_>> {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let mut out = Vec::new();
        let mut rest = name.as_str();
        loop {
            out.extend(self.hits(self.domains.get(rest)));
            match rest.split_once('.') {
                Some((_, parent)) if parent.contains('.') => rest = parent,
                _ => break,
            }
        }
        out
    }

    /// File-name indicators matching the last component of `leaf`.
    pub fn file_name(&self, leaf: &str) -> Vec<IndicatorHit<'_>> {
        self.names
            .matches(leaf)
            .into_iter()
            .map(|i| self.hit(self.name_ids[i]))
            .collect()
    }

    /// File-path indicators matching `path` (`\` treated as `/`).
    pub fn file_path(&self, path: &str) -> Vec<IndicatorHit<'_>> {
        let p = path.replace('\\', "/");
        self.paths
            .matches(&p)
            .into_iter()
            .map(|i| self.hit(self.path_ids[i]))
            .collect()
    }

    /// All `url` indicators (looked for in URL fields by the log and
    /// network engines).
    pub fn urls(&self) -> Vec<IndicatorHit<'_>> {
        self.urls.iter().map(|&i| self.hit(i)).collect()
    }

    /// Every indicator of type `kind` (for engines that build their own
    /// lookup, like the network engine's certificate and JA3/JA4 sets).
    pub fn of_type(&self, kind: super::IndicatorType) -> Vec<IndicatorHit<'_>> {
        (0..self.entries.len())
            .filter(|&i| self.entries[i].indicator.kind == kind)
            .map(|i| self.hit(i))
            .collect()
    }

    /// All `string` indicators (searched in content by the files engine).
    pub fn strings(&self) -> Vec<IndicatorHit<'_>> {
        self.strings.iter().map(|&i| self.hit(i)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Origin, load_files};
    use super::*;

    fn pack() -> Pack {
        let manifest = "[pack]\nname='p'\nversion='1'\ndescription='d'\n[[source]]\nid='s'\ntitle='t'\nurl='https://x.org'\n";
        let ind = r#"
[[indicator]]
type = "sha256"
value = "b10fa150e9f022838347115d39fa672440c740a014913947b79464b68dcc2d55"
description = "mwdg.sh"
severity = "critical"
source = "s"
[[indicator]]
type = "cidr"
value = "103.216.221.0/24"
description = "net"
severity = "medium"
source = "s"
[[indicator]]
type = "domain"
value = "evil.example.net"
description = "c2"
severity = "high"
source = "s"
[[indicator]]
type = "file_name"
value = "mwdg.sh"
description = "first stage"
severity = "high"
source = "s"
[[indicator]]
type = "file_path"
value = "**/App_Data/Temp/**"
description = "build path"
severity = "low"
source = "s"
"#;
        load_files(
            vec![
                ("pack.toml".into(), manifest.into()),
                ("indicators.toml".into(), ind.into()),
            ],
            Origin::Builtin,
            vec![],
        )
        .unwrap()
        .pack
    }

    #[test]
    fn lookups() {
        let p = pack();
        let idx = IndicatorIndex::new([&p]);
        assert_eq!(idx.needed_hashes(), vec![HashAlgo::Sha256]);
        assert_eq!(
            idx.hash(
                HashAlgo::Sha256,
                "b10fa150e9f022838347115d39fa672440c740a014913947b79464b68dcc2d55"
            )
            .len(),
            1
        );
        assert!(
            idx.hash(
                HashAlgo::Md5,
                "b10fa150e9f022838347115d39fa672440c740a014913947b79464b68dcc2d55"
            )
            .is_empty()
        );
        assert_eq!(idx.ip("103.216.221.19".parse().unwrap()).len(), 1);
        assert!(idx.ip("103.216.222.19".parse().unwrap()).is_empty());
        assert_eq!(idx.domain("A.Evil.Example.NET.").len(), 1);
        assert!(idx.domain("notevil.example.net").is_empty());
        assert_eq!(idx.file_name("MWDG.SH").len(), 1);
        assert!(idx.file_name("mwdg.sh.txt").is_empty());
        assert_eq!(
            idx.file_path("C:\\Server\\BotUI\\App_Data\\Temp\\x.go")
                .len(),
            1
        );
        assert_eq!(idx.file_path("C:/Server/BotUI/App_Data/Temp/x.go").len(), 1);
    }
}
