//! Entities and techniques in prose: threat actors, malware and tools
//! (ATT&CK groups and software), organisations, countries, sectors and
//! topics, and ATT&CK techniques, each with its canonical id.
//!
//! One Aho-Corasick automaton holds every name and alias. A match counts
//! only as a whole word (not inside a longer word, a domain, a file name or
//! a path), with the case its table asks for, and, for weak names (ordinary
//! words such as `Carbon` or `Empire`, names of three characters or fewer),
//! only when its sentence has a context word for its kind or a distinctive
//! name of the same entity appears elsewhere in the text. Built-in system
//! utilities that ATT&CK lists as tools are never entities (the stop list in
//! `data/attack-names.tsv`). Within groups, software and organisations the
//! longest match wins; a country inside an organisation's name still
//! counts ("Canadian Centre for Cyber Security" gives `cccs` and `CA`), a
//! country inside an actor's name does not ("Lebanese Cedar").
//!
//! Ids: ATT&CK ids for actors (`G0016`), malware and tools (`S0514`);
//! our own slugs for organisations (`ncsc-uk`), ISO 3166-1 alpha-2 codes
//! for countries (`GB`), and the sector and topic ids of
//! `data/keywords.tsv`.

mod names;
mod orgs;
mod prose;
mod text;

use crate::model::{Entity, EntityKind, Technique};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use names::{Layer, NameTable, case_ok};
use regex::Regex;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;
use text::{Sentences, evidence, is_shouted, neighbours, whole_word};

/// Words that make a weak actor name count in their sentence.
const ACTOR_CONTEXT: &str = r"(?i)\b(?:groups?|actors?|APT|threat|attributed|attribution|campaigns?|hackers?|hacking|operators?|adversar(?:y|ies)|intrusions?|espionage|state[- ]sponsored|aka|a\.k\.a\.|known as|tracked as)\b";
/// Words that make a weak malware or tool name count in their sentence.
const SOFTWARE_CONTEXT: &str = r"(?i)\b(?:malware|ransomware|backdoors?|trojans?|implants?|loaders?|RATs?|tools?|toolkits?|frameworks?|payloads?|variants?|famil(?:y|ies)|botnets?|stealers?|infostealers?|wipers?|droppers?|beacons?|C2|command[- ]and[- ]control|worms?|rootkits?|downloaders?|samples?|keyloggers?|spyware|post-exploitation)\b";

/// Words that say what was targeted, for sectors named by a bare word in a
/// list ("targeted government, financial services and healthcare
/// organisations").
const TARGET_CONTEXT: &str = r"(?i)\b(?:target\w*|victims?|against|attack\w*|compromis\w*|sectors?|industr(?:y|ies)|verticals?|intrusions?|breach\w*|hit|hitting|impacted|affected)\b";
/// Words before a bare sector word that make it no list item ("the UK
/// government", "its technology").
const NOT_LIST_BEFORE: &[&str] = &[
    "the", "a", "an", "its", "their", "his", "her", "our", "your", "whose", "this", "that",
];
/// Nouns a bare sector word may qualify and still be a target
/// ("technology companies" when not a phrase of its own).
const LIST_NOUNS: &str = r"(?i)^\s+(?:organi[sz]ations?|sectors?|networks?|entities|targets?|companies|firms|victims?|industr(?:y|ies)|institutions?|agencies|bodies|customers|clients|providers)\b";

/// What [`Recogniser::recognise`] found in a text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recognised {
    /// Entities, one per kind and id, in order of first mention.
    pub entities: Vec<Entity>,
    /// Techniques, one per id, in order of first appearance.
    pub techniques: Vec<Technique>,
}

impl Recognised {
    /// The ids of the entities of one kind, in order of first mention.
    pub fn ids(&self, kind: EntityKind) -> Vec<&str> {
        self.entities
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.id.as_str())
            .collect()
    }

    /// The entity of this kind and id, if found.
    pub fn entity(&self, kind: EntityKind, id: &str) -> Option<&Entity> {
        self.entities.iter().find(|e| e.kind == kind && e.id == id)
    }
}

/// Recognises entities and techniques. Built once (it compiles every name
/// into an automaton), then shared between threads.
pub struct Recogniser {
    table: NameTable,
    automaton: AhoCorasick,
    /// Automaton pattern → indices into `table.names`.
    pattern_names: Vec<Vec<usize>>,
    /// Every name written in capitals, so that "NSA CISA" is not taken for
    /// a heading written in capitals.
    shouted: HashSet<String>,
    /// Organisation acronym → its target.
    org_acronyms: HashMap<String, usize>,
    actor_context: Regex,
    software_context: Regex,
    target_context: Regex,
    list_nouns: Regex,
    /// ATT&CK group and software ids written out (`G0032`, `S0584`).
    attack_ids: Regex,
    /// Words after a country adjective that make it a language.
    language_after: Regex,
    techniques: prose::Techniques,
}

impl std::fmt::Debug for Recogniser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recogniser")
            .field("names", &self.table.names.len())
            .finish()
    }
}

impl Default for Recogniser {
    fn default() -> Self {
        Recogniser::new()
    }
}

/// A name found in the text, before overlaps are resolved.
#[derive(Debug, Clone)]
struct Candidate {
    start: usize,
    end: usize,
    target: usize,
    layer: Layer,
    /// Lower is preferred when two candidates cover the same text.
    rank: u8,
}

impl Recogniser {
    /// Builds the automaton over every name in the tables.
    pub fn new() -> Recogniser {
        let table = NameTable::build();
        let mut by_key: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, n) in table.names.iter().enumerate() {
            by_key
                .entry(n.text.to_ascii_lowercase())
                .or_default()
                .push(i);
        }
        let (keys, pattern_names): (Vec<String>, Vec<Vec<usize>>) = by_key.into_iter().unzip();
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&keys)
            // A few thousand short literal patterns: well within limits.
            .expect("name automaton builds");
        let shouted = table
            .names
            .iter()
            .filter(|n| is_shouted(&n.text))
            .map(|n| n.text.clone())
            .collect();
        let mut org_acronyms = HashMap::new();
        for n in table.names.iter().filter(|n| n.acronym) {
            for &t in &n.targets {
                if table.targets[t].kind == Some(EntityKind::Organisation) {
                    org_acronyms.entry(n.text.clone()).or_insert(t);
                }
            }
        }
        Recogniser {
            table,
            automaton,
            pattern_names,
            shouted,
            org_acronyms,
            actor_context: Regex::new(ACTOR_CONTEXT).expect("context pattern compiles"),
            software_context: Regex::new(SOFTWARE_CONTEXT).expect("context pattern compiles"),
            target_context: Regex::new(TARGET_CONTEXT).expect("context pattern compiles"),
            list_nouns: Regex::new(LIST_NOUNS).expect("context pattern compiles"),
            attack_ids: Regex::new(r"\b[GS]\d{4}\b").expect("id pattern compiles"),
            language_after: Regex::new(
                r"^(?:[- ]speak(?:ing|ers?)|[- ]language\b|\s+(?:umlaut|alphabet|keyboard|characters|translation|text|words?)\b)",
            )
            .expect("language pattern compiles"),
            techniques: prose::Techniques::new(),
        }
    }

    /// A recogniser built on first use and shared by every caller.
    pub fn shared() -> &'static Recogniser {
        static SHARED: OnceLock<Recogniser> = OnceLock::new();
        SHARED.get_or_init(Recogniser::new)
    }

    /// Every entity and technique in `text`.
    pub fn recognise(&self, text: &str) -> Recognised {
        let sentences = Sentences::split(text);
        let candidates = self.candidates(text);
        let (extra, redefined) = self.definitions(text);
        let candidates: Vec<Candidate> = candidates
            .into_iter()
            .filter(|c| !redefined.contains(&text[c.start..c.end]))
            .chain(extra)
            .collect();
        let candidates = self.prefer(text, &sentences, candidates);
        let eligible = self.eligible(text, &sentences, candidates);
        let chosen = select(eligible, &self.table);
        Recognised {
            entities: self.merge(text, &sentences, chosen),
            techniques: self.techniques.find(text, &sentences),
        }
    }

    /// Every whole-word, case-correct match of a name, one candidate per
    /// target it may designate.
    fn candidates(&self, text: &str) -> Vec<Candidate> {
        let mut out = Vec::new();
        for m in self.automaton.find_overlapping_iter(text) {
            let (start, end) = (m.start(), m.end());
            if !text.is_char_boundary(start)
                || !text.is_char_boundary(end)
                || !whole_word(text, start, end)
            {
                continue;
            }
            let found = &text[start..end];
            // "Mimikatz-like tooling" is not Mimikatz.
            if text[end..].starts_with("-like") {
                continue;
            }
            for &ni in &self.pattern_names[m.pattern().as_usize()] {
                let name = &self.table.names[ni];
                if !case_ok(name.case, &name.text, found) {
                    continue;
                }
                if is_shouted(&name.text) && self.in_shouted_line(text, start, end) {
                    continue;
                }
                // "the German umlaut", "Russian-speaking": a language.
                if name.layer == Layer::Countries && self.language_after.is_match(&text[end..]) {
                    continue;
                }
                for (rank, &target) in name.targets.iter().enumerate() {
                    out.push(Candidate {
                        start,
                        end,
                        target,
                        layer: name.layer,
                        rank: rank.min(255) as u8,
                    });
                }
            }
        }
        out
    }

    /// Whether a name in capitals stands next to other words in capitals
    /// that are not names themselves: a heading ("WHO WE ARE").
    fn in_shouted_line(&self, text: &str, start: usize, end: usize) -> bool {
        let (before, after) = neighbours(text, start, end);
        [before, after].into_iter().flatten().any(|w| {
            let w = w.trim_matches(|c: char| !c.is_alphanumeric());
            is_shouted(w) && !self.shouted.contains(w)
        })
    }

    /// Candidates from `Long Form (ACRONYM)` definitions, and acronyms the
    /// text defines as something else.
    fn definitions<'t>(&self, text: &'t str) -> (Vec<Candidate>, HashSet<&'t str>) {
        let mut extra = Vec::new();
        let mut redefined = HashSet::new();
        for d in orgs::definitions(text) {
            let Some(&target) = self.org_acronyms.get(d.acronym) else {
                continue;
            };
            let id = &self.table.targets[target].id;
            let long_names = self
                .table
                .org_long_names
                .get(id)
                .map_or(&[][..], Vec::as_slice);
            if orgs::is_close(d.long, long_names) {
                extra.push(Candidate {
                    start: d.long_start,
                    end: d.long_end,
                    target,
                    layer: Layer::Names,
                    rank: 0,
                });
            } else if orgs::spells(d.long, d.acronym) {
                redefined.insert(d.acronym);
            }
        }
        (extra, redefined)
    }

    /// Among the targets one name may designate (`AppleJeus` is a group and
    /// a malware), prefers the one whose ATT&CK id the text writes out,
    /// then one whose kind has a context word in the sentence, then the
    /// table's order.
    fn prefer(
        &self,
        text: &str,
        sentences: &Sentences,
        mut candidates: Vec<Candidate>,
    ) -> Vec<Candidate> {
        let written: HashSet<&str> = self
            .attack_ids
            .find_iter(text)
            .map(|m| m.as_str())
            .collect();
        for c in &mut candidates {
            let t = &self.table.targets[c.target];
            let tier = if written.contains(t.id.as_str()) {
                0
            } else if t
                .kind
                .is_some_and(|k| self.in_context(k, text, sentences, c))
            {
                1
            } else {
                2
            };
            c.rank = tier * 64 + c.rank.min(63);
        }
        candidates
    }

    /// Whether the sentence around a candidate, without the name itself
    /// (`RAT` is not its own context), has a context word for `kind`.
    fn in_context(
        &self,
        kind: EntityKind,
        text: &str,
        sentences: &Sentences,
        c: &Candidate,
    ) -> bool {
        let ctx = match kind {
            EntityKind::Actor => &self.actor_context,
            EntityKind::Malware | EntityKind::Tool => &self.software_context,
            _ => return false,
        };
        let (s, e) = sentences.span_at(c.start).unwrap_or((c.start, c.end));
        let before = &text[s.min(c.start)..c.start];
        let after = &text[c.end..e.max(c.end)];
        ctx.is_match(before) || ctx.is_match(after)
    }

    /// Whether a bare sector word stands as an item in a list of targets:
    /// next to a comma, `and`, `or` or a noun such as `organisations`, not
    /// after an article, a possessive or a capitalised word, in a sentence
    /// that says what was targeted.
    fn in_target_list(&self, text: &str, sentences: &Sentences, c: &Candidate) -> bool {
        // The few words before it on its line (bounded: linear time).
        let mut from = c.start.saturating_sub(80);
        while !text.is_char_boundary(from) {
            from -= 1;
        }
        let line_start = text[from..c.start]
            .rfind('\n')
            .map_or(from, |i| from + i + 1);
        let before = &text[line_start..c.start];
        let prev = before.split_whitespace().next_back().unwrap_or("");
        let prev_word = prev.trim_matches(|ch: char| !ch.is_alphanumeric());
        if NOT_LIST_BEFORE.contains(&prev_word.to_lowercase().as_str())
            || prev.ends_with("'s")
            || prev.ends_with("\u{2019}s")
            || (prev.ends_with(|ch: char| ch.is_alphanumeric())
                && prev_word.chars().next().is_some_and(char::is_uppercase))
        {
            return false;
        }
        let after = &text[c.end..];
        let listed_after = after.starts_with(',')
            || after.starts_with(" and ")
            || after.starts_with(" or ")
            || after.starts_with('/')
            || self.list_nouns.is_match(after);
        let listed_before = prev.ends_with(',') || matches!(prev_word, "and" | "or");
        if !(listed_after || listed_before) {
            return false;
        }
        let (s, e) = sentences.span_at(c.start).unwrap_or((c.start, c.end));
        self.target_context.is_match(&text[s..e])
    }

    /// Drops weak names without context and names that designate nothing.
    fn eligible(
        &self,
        text: &str,
        sentences: &Sentences,
        candidates: Vec<Candidate>,
    ) -> Vec<Candidate> {
        let targets = &self.table.targets;
        let strong: HashSet<(EntityKind, &str)> = candidates
            .iter()
            .map(|c| &targets[c.target])
            .filter(|t| !t.weak)
            .filter_map(|t| Some((t.kind?, t.id.as_str())))
            .collect();
        candidates
            .into_iter()
            .filter(|c| {
                let t = &targets[c.target];
                let Some(kind) = t.kind else { return true };
                if !t.weak || strong.contains(&(kind, t.id.as_str())) {
                    return true;
                }
                if t.listed {
                    return self.in_target_list(text, sentences, c);
                }
                self.in_context(kind, text, sentences, c)
            })
            .collect()
    }

    /// Entities from the chosen candidates, merged by kind and id.
    fn merge(&self, text: &str, sentences: &Sentences, mut chosen: Vec<Candidate>) -> Vec<Entity> {
        chosen.sort_by_key(|c| (c.start, c.end));
        let mut out: Vec<Entity> = Vec::new();
        let mut index: HashMap<(EntityKind, String), usize> = HashMap::new();
        for c in chosen {
            let t = &self.table.targets[c.target];
            let Some(kind) = t.kind else { continue };
            let mention = text[c.start..c.end]
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            match index.get(&(kind, t.id.clone())) {
                Some(&i) => {
                    let e = &mut out[i];
                    e.count += 1;
                    if !e.mentions.contains(&mention) {
                        e.mentions.push(mention);
                    }
                }
                None => {
                    index.insert((kind, t.id.clone()), out.len());
                    let sentence = sentences.span_at(c.start).map_or("", |(s, e)| &text[s..e]);
                    out.push(Entity {
                        kind,
                        id: t.id.clone(),
                        name: t.name.clone(),
                        mentions: vec![mention],
                        count: 1,
                        sentence: evidence(sentence),
                    });
                }
            }
        }
        out
    }
}

/// Resolves overlaps: in the names and countries layers the longest match
/// wins (then the earliest, then the preferred target); keywords compete
/// only with keywords of the same id. A country inside a chosen actor or
/// software name is dropped, and matches that designate nothing (place
/// names hiding a country) are dropped last.
fn select(mut candidates: Vec<Candidate>, table: &NameTable) -> Vec<Candidate> {
    candidates.sort_by_key(|c| (std::cmp::Reverse(c.end - c.start), c.start, c.rank));
    // Picked spans per competition key.
    let mut picked: HashMap<(Layer, Option<usize>), BTreeMap<usize, usize>> = HashMap::new();
    let mut out = Vec::new();
    for c in candidates {
        let key = match c.layer {
            Layer::Keywords => (c.layer, Some(c.target)),
            _ => (c.layer, None),
        };
        let spans = picked.entry(key).or_default();
        let overlaps = spans
            .range(..c.end)
            .next_back()
            .is_some_and(|(_, &end)| end > c.start);
        if overlaps {
            continue;
        }
        spans.insert(c.start, c.end);
        out.push(c);
    }
    let software_spans: Vec<(usize, usize)> = out
        .iter()
        .filter(|c| {
            matches!(
                table.targets[c.target].kind,
                Some(EntityKind::Actor | EntityKind::Malware | EntityKind::Tool)
            )
        })
        .map(|c| (c.start, c.end))
        .collect();
    out.retain(|c| {
        let t = &table.targets[c.target];
        t.kind.is_some()
            && !(t.kind == Some(EntityKind::Country)
                && software_spans
                    .iter()
                    .any(|&(s, e)| s <= c.start && c.end <= e))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recogniser_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Recogniser>();
    }

    #[test]
    fn ids_written_out_and_context_choose_between_targets() {
        let r = Recogniser::shared();
        let got = r.recognise("North Korean Trojan: APPLEJEUS. AppleJeus is S0584.");
        assert_eq!(got.ids(EntityKind::Malware), vec!["S0584"]);
        assert!(got.ids(EntityKind::Actor).is_empty());
        let got = r.recognise("New #AgentTesla wave; Mimikatz-like tooling; the German umlaut.");
        assert_eq!(got.ids(EntityKind::Malware), vec!["S0331"]);
        assert!(got.ids(EntityKind::Tool).is_empty());
        assert!(got.ids(EntityKind::Country).is_empty());
    }

    #[test]
    fn bare_sector_words_count_only_in_lists_of_targets() {
        let r = Recogniser::shared();
        let got = r.recognise(
            "The actor targeted government, financial services and technology organisations.",
        );
        let sectors = got.ids(EntityKind::Sector);
        assert!(sectors.contains(&"government") && sectors.contains(&"technology"));
        assert!(sectors.contains(&"finance"));
        for text in [
            "The UK government said the actor targeted banks.",
            "The government, the agency said, was not targeted.",
            "Working with US Government partners, the agencies found malware.",
            "Russia's embassy in Washington did not respond.",
        ] {
            let got = r.recognise(text);
            let sectors = got.ids(EntityKind::Sector);
            assert!(!sectors.contains(&"government"), "{text}: {sectors:?}");
            assert!(!sectors.contains(&"diplomatic"), "{text}: {sectors:?}");
        }
    }

    #[test]
    fn longest_match_wins_and_countries_hide_in_actor_names() {
        let r = Recogniser::shared();
        let got = r.recognise("Lebanese Cedar is a threat group. The UK NCSC published advice.");
        assert_eq!(got.ids(EntityKind::Actor), vec!["G0123"]);
        assert!(!got.ids(EntityKind::Country).contains(&"LB"));
        assert_eq!(got.ids(EntityKind::Organisation), vec!["ncsc-uk"]);
        assert!(got.ids(EntityKind::Country).contains(&"GB"));
    }
}
