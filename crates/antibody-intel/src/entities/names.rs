//! The name tables recognition matches against: ATT&CK groups and software
//! (with the stop and weak lists of `data/attack-names.tsv`), organisations
//! (`data/organisations.tsv`), countries (`data/countries.tsv`), sectors and
//! topics (`data/keywords.tsv`), and how each name's case is compared.

use crate::attack::{self, EntryKind};
use crate::model::EntityKind;
use std::collections::{HashMap, HashSet};

const ORGANISATIONS: &str = include_str!("../../data/organisations.tsv");
const COUNTRIES: &str = include_str!("../../data/countries.tsv");
const KEYWORDS: &str = include_str!("../../data/keywords.tsv");
const ATTACK_NAMES: &str = include_str!("../../data/attack-names.tsv");

/// Place names that contain a country's name or adjective without meaning
/// the country ("New Jersey", "British Columbia"): matched so that they
/// hide the shorter name, then dropped.
const NOT_COUNTRIES: &[&str] = &[
    "New Jersey",
    "New Mexico",
    "New England",
    "New South Wales",
    "New Guinea",
    "British Columbia",
    "Latin America",
    "Latin American",
    "South America",
    "South American",
    "North America",
    "North American",
    "Central America",
    "Central American",
    "Native American",
    "Indian Ocean",
    "American Express",
    "Georgia Tech",
    "Jordan Valley",
];

/// Which layer a name belongs to: within a layer the longest match wins;
/// layers overlap (a country inside an organisation's name counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Layer {
    /// Groups, software and organisations.
    Names,
    /// Countries.
    Countries,
    /// Sectors and topics (every keyword counts on its own).
    Keywords,
}

/// How a name's case is compared with the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Case {
    /// Any case.
    Any,
    /// Exactly as written.
    Exact,
    /// As written, or with its first letter in lower case (`the Dukes`).
    ExactOrLowerFirst,
}

/// What a name designates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    /// The entity kind; `None` for a name matched only to hide shorter ones.
    pub kind: Option<EntityKind>,
    /// Canonical id.
    pub id: String,
    /// Canonical name.
    pub name: String,
    /// Needs a context word in its sentence or a distinctive mention of
    /// the same id elsewhere.
    pub weak: bool,
    /// A bare sector word: counts only as an item in a list of targets.
    pub listed: bool,
}

/// One name as written in a table, with how it is matched.
#[derive(Debug, Clone)]
pub(crate) struct Name {
    /// The name as written.
    pub text: String,
    pub case: Case,
    pub layer: Layer,
    /// Indices into [`NameTable::targets`], most likely first.
    pub targets: Vec<usize>,
    /// An acronym (matched as written; `(ACRONYM)` definitions checked).
    pub acronym: bool,
}

/// Every name recognition looks for.
#[derive(Debug)]
pub(crate) struct NameTable {
    pub names: Vec<Name>,
    pub targets: Vec<Target>,
    /// Lowercased long names of each organisation id, for the
    /// `Long Form (ACRONYM)` check.
    pub org_long_names: HashMap<String, Vec<String>>,
}

impl NameTable {
    pub(crate) fn build() -> NameTable {
        let mut b = Builder::default();
        b.attack();
        b.organisations();
        b.countries();
        b.keywords();
        b.finish()
    }
}

#[derive(Default)]
struct Builder {
    names: Vec<Name>,
    targets: Vec<Target>,
    /// (text, layer, case) → index in `names`.
    seen: HashMap<(String, Layer, bool), usize>,
    org_long_names: HashMap<String, Vec<String>>,
}

impl Builder {
    fn target(&mut self, t: Target) -> usize {
        if let Some(i) = self.targets.iter().position(|x| *x == t) {
            return i;
        }
        self.targets.push(t);
        self.targets.len() - 1
    }

    fn add(&mut self, text: &str, case: Case, layer: Layer, target: usize, acronym: bool) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        let key = (text.to_string(), layer, case == Case::Any);
        match self.seen.get(&key) {
            Some(&i) => {
                if !self.names[i].targets.contains(&target) {
                    self.names[i].targets.push(target);
                }
            }
            None => {
                self.seen.insert(key, self.names.len());
                self.names.push(Name {
                    text: text.to_string(),
                    case,
                    layer,
                    targets: vec![target],
                    acronym,
                });
            }
        }
        // Typeset apostrophes.
        if text.contains('\'') {
            self.add(
                &text.replace('\'', "\u{2019}"),
                case,
                layer,
                target,
                acronym,
            );
        }
    }

    fn attack(&mut self) {
        let mut stop = HashSet::new();
        let mut weak = HashSet::new();
        for line in data_lines(ATTACK_NAMES) {
            let mut f = line.split('\t');
            match (f.next(), f.next()) {
                (Some("stop"), Some(name)) => stop.insert(name),
                (Some("weak"), Some(name)) => weak.insert(name),
                _ => false,
            };
        }
        let table = attack::table();
        for e in table.iter() {
            let kind = match e.kind {
                EntryKind::Group => EntityKind::Actor,
                EntryKind::Malware => EntityKind::Malware,
                EntryKind::Tool => EntityKind::Tool,
                _ => continue,
            };
            for name in e.names() {
                if stop.contains(name) {
                    continue;
                }
                let short = name.chars().count() <= 3;
                let is_weak = short || weak.contains(name);
                let t = self.target(Target {
                    kind: Some(kind),
                    id: e.id.clone(),
                    name: e.name.clone(),
                    weak: is_weak,
                    listed: false,
                });
                let case = attack_case(name, is_weak);
                self.add(name, case, Layer::Names, t, false);
                // `APT29` is also written `APT 29` and `APT-29`.
                if let Some(num) = name
                    .strip_prefix("APT")
                    .filter(|n| n.bytes().all(|b| b.is_ascii_digit()) && !n.is_empty())
                {
                    self.add(&format!("APT {num}"), Case::Exact, Layer::Names, t, false);
                    self.add(&format!("APT-{num}"), Case::Exact, Layer::Names, t, false);
                }
                // `Agent Tesla` is also written `AgentTesla` (hashtags,
                // family labels).
                if let Some(joined) = joined(name).filter(|_| !is_weak) {
                    self.add(&joined, Case::Any, Layer::Names, t, false);
                }
            }
        }
    }

    fn organisations(&mut self) {
        for line in data_lines(ORGANISATIONS) {
            let f: Vec<&str> = line.split('\t').collect();
            let (id, name) = (f[0], f[1]);
            let aliases = f.get(2).copied().unwrap_or("");
            let t = self.target(Target {
                kind: Some(EntityKind::Organisation),
                id: id.to_string(),
                name: name.to_string(),
                weak: false,
                listed: false,
            });
            for alias in std::iter::once(name)
                .chain(aliases.split('|'))
                .filter(|a| !a.is_empty())
            {
                let acronym = is_acronym(alias);
                let case = if acronym { Case::Exact } else { Case::Any };
                self.add(alias, case, Layer::Names, t, acronym);
                if !acronym && alias.split_whitespace().count() >= 2 {
                    self.org_long_names
                        .entry(id.to_string())
                        .or_default()
                        .push(alias.to_lowercase());
                }
            }
        }
    }

    fn countries(&mut self) {
        for line in data_lines(COUNTRIES) {
            let f: Vec<&str> = line.split('\t').collect();
            let (code, name) = (f[0], f[1]);
            let aliases = f.get(2).copied().unwrap_or("");
            let t = self.target(Target {
                kind: Some(EntityKind::Country),
                id: code.to_string(),
                name: name.to_string(),
                weak: false,
                listed: false,
            });
            for alias in std::iter::once(name)
                .chain(aliases.split('|'))
                .filter(|a| !a.is_empty())
            {
                let case = if alias.starts_with("the ") {
                    Case::ExactOrLowerFirst
                } else {
                    Case::Exact
                };
                self.add(alias, case, Layer::Countries, t, is_acronym(alias));
            }
        }
        let none = self.target(Target {
            kind: None,
            id: String::new(),
            name: String::new(),
            weak: false,
            listed: false,
        });
        for place in NOT_COUNTRIES {
            self.add(place, Case::Exact, Layer::Countries, none, false);
        }
    }

    fn keywords(&mut self) {
        for line in data_lines(KEYWORDS) {
            let f: Vec<&str> = line.split('\t').collect();
            let (kind, listed) = match f[0] {
                "sector" => (EntityKind::Sector, false),
                "listed" => (EntityKind::Sector, true),
                _ => (EntityKind::Topic, false),
            };
            let t = self.target(Target {
                kind: Some(kind),
                id: f[1].to_string(),
                name: f[1].to_string(),
                weak: listed,
                listed,
            });
            for phrase in f.get(2).copied().unwrap_or("").split('|') {
                // Acronyms (NGO, ISPs, MSPs) keep their case; phrases do not.
                let upper = phrase.chars().filter(|c| c.is_uppercase()).count();
                let case = if upper >= 2 && !phrase.contains(' ') {
                    Case::Exact
                } else {
                    Case::Any
                };
                self.add(phrase, case, Layer::Keywords, t, false);
            }
        }
    }

    fn finish(self) -> NameTable {
        NameTable {
            names: self.names,
            targets: self.targets,
            org_long_names: self.org_long_names,
        }
    }
}

/// The lines of a data table that are neither comments nor blank.
fn data_lines(text: &'static str) -> impl Iterator<Item = &'static str> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
}

/// An acronym: capitals, digits and `/ - &`, at least two capitals.
pub(crate) fn is_acronym(s: &str) -> bool {
    s.chars().filter(|c| c.is_ascii_uppercase()).count() >= 2
        && s.chars().all(|c| {
            c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '/' | '-' | '&' | '.')
        })
}

/// A name of several capitalised words written as one (`Agent Tesla` →
/// `AgentTesla`), when long enough not to be an ordinary word.
fn joined(name: &str) -> Option<String> {
    let words: Vec<&str> = name.split(' ').collect();
    let capitalised = words
        .iter()
        .all(|w| w.chars().next().is_some_and(char::is_uppercase));
    let joined: String = words.concat();
    (words.len() >= 2 && capitalised && joined.chars().count() >= 8).then_some(joined)
}

/// How an ATT&CK name is compared: weak names and names in capitals as
/// written (`ZINC` is not "zinc"), names starting with `The` also with a
/// lower-case `the`; distinctive names (`WellMess`, `Cozy Bear`) in any
/// case.
fn attack_case(name: &str, weak: bool) -> Case {
    let letters: Vec<char> = name.chars().filter(|c| c.is_alphabetic()).collect();
    let capitals = !letters.is_empty() && letters.iter().all(|c| c.is_uppercase());
    if name.starts_with("The ") {
        Case::ExactOrLowerFirst
    } else if weak || (capitals && !name.chars().any(|c| c.is_ascii_digit())) {
        Case::Exact
    } else if name.contains(' ')
        && name
            .split(' ')
            .all(|w| w.chars().next().is_some_and(char::is_uppercase))
    {
        // `Cozy Bear`, `Midnight Blizzard`: ordinary words in title case;
        // in lower case they are just words.
        Case::Exact
    } else {
        Case::Any
    }
}

/// Whether a name's case as found in the text is acceptable.
pub(crate) fn case_ok(case: Case, written: &str, found: &str) -> bool {
    match case {
        Case::Any => true,
        Case::Exact => written == found,
        Case::ExactOrLowerFirst => {
            written == found || {
                let mut w = written.chars();
                let mut f = found.chars();
                w.next().map(|c| c.to_lowercase().collect::<String>())
                    == f.next().map(|c| c.to_string())
                    && w.as_str() == f.as_str()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_attack_name_exists() {
        // A stop or weak entry that names nothing in the table is a typo.
        let table = attack::table();
        let all: HashSet<&str> = table.iter().flat_map(|e| e.names()).collect();
        for line in data_lines(ATTACK_NAMES) {
            let name = line.split('\t').nth(1).unwrap();
            assert!(all.contains(name), "`{name}` is not an ATT&CK name");
        }
    }

    #[test]
    fn conventions_ids_exist() {
        let t = NameTable::build();
        let ids: HashSet<(EntityKind, &str)> = t
            .targets
            .iter()
            .filter_map(|x| Some((x.kind?, x.id.as_str())))
            .collect();
        for org in [
            "ncsc-uk",
            "cse-canada",
            "cccs",
            "nsa",
            "cisa",
            "fbi",
            "dhs",
            "us-cert",
            "jpcert",
            "gchq",
            "bsi",
            "anssi",
            "acsc",
            "nhs-digital",
            "who",
            "svr",
            "fsb",
            "gru",
            "microsoft",
            "mandiant",
            "fireeye",
            "crowdstrike",
            "pwc",
            "kaspersky",
            "eset",
            "symantec",
            "unit42",
            "talos",
            "volexity",
            "recorded-future",
            "mitre",
            "citrix",
            "pulse-secure",
            "fortinet",
            "zimbra",
            "solarwinds",
        ] {
            assert!(ids.contains(&(EntityKind::Organisation, org)), "{org}");
        }
        for s in [
            "government",
            "diplomatic",
            "think-tank",
            "healthcare",
            "pharmaceutical",
            "energy",
            "academia",
            "research",
            "defence",
            "finance",
            "telecommunications",
            "technology",
            "ngo",
            "manufacturing",
        ] {
            assert!(ids.contains(&(EntityKind::Sector, s)), "{s}");
        }
        for s in [
            "covid-19-vaccine-research",
            "covid-19",
            "elections",
            "supply-chain",
        ] {
            assert!(ids.contains(&(EntityKind::Topic, s)), "{s}");
        }
        let countries = t
            .targets
            .iter()
            .filter(|x| x.kind == Some(EntityKind::Country))
            .count();
        assert!(countries >= 249, "{countries} countries");
    }

    #[test]
    fn case_rules() {
        assert_eq!(attack_case("ZINC", true), Case::Exact);
        assert_eq!(attack_case("NOBELIUM", false), Case::Exact);
        assert_eq!(attack_case("WellMess", false), Case::Any);
        assert_eq!(attack_case("The Dukes", false), Case::ExactOrLowerFirst);
        assert!(case_ok(Case::ExactOrLowerFirst, "The Dukes", "the Dukes"));
        assert!(!case_ok(Case::ExactOrLowerFirst, "The Dukes", "the dukes"));
        assert!(!case_ok(Case::Exact, "Empire", "empire"));
        assert!(is_acronym("JPCERT/CC") && is_acronym("U.S.") && !is_acronym("PwC"));
        assert_eq!(joined("Agent Tesla").as_deref(), Some("AgentTesla"));
        assert_eq!(joined("Black Basta").as_deref(), Some("BlackBasta"));
        assert_eq!(joined("Net Crawler"), Some("NetCrawler".to_string()));
        assert_eq!(joined("Ke3chang"), None);
        assert_eq!(joined("Sea Turtle").as_deref(), Some("SeaTurtle"));
        assert_eq!(joined("Red Eyes"), None);
    }
}
