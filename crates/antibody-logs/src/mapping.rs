//! Logsource and field mappings: which Sigma `logsource` an event belongs
//! to, and which other names its fields are known by.
//!
//! The built-in mapping is `mapping/default.yml` (documented in
//! `docs/engines/logs-mapping.md`); users add or override entries with a
//! file of the same format.

use crate::event::Event;
use crate::sigma::error::{RuleError, RuleErrorKind};
use crate::sigma::value::Placeholders;
use crate::sigma::yaml::{self, Node};
use std::collections::HashSet;
use std::path::Path;

/// The built-in mapping's text.
pub const BUILTIN: &str = include_str!("../mapping/default.yml");

/// What a condition key looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Channel,
    EventId,
    Provider,
    Format,
    Product,
    Service,
    Category,
}

/// One `when` entry: every key matches one of its values.
#[derive(Debug, Clone, PartialEq)]
struct Cond(Vec<(Key, Vec<String>)>);

/// A logsource and the events that belong to it.
#[derive(Debug, Clone, PartialEq)]
struct LogSourceEntry {
    product: Option<String>,
    category: Option<String>,
    service: Option<String>,
    when: Vec<Cond>,
}

/// Aliases added to events that match `when`.
#[derive(Debug, Clone, PartialEq)]
struct FieldEntry {
    when: Vec<Cond>,
    /// (Sigma field, event field)
    aliases: Vec<(String, String)>,
}

/// A loaded mapping.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    logsources: Vec<LogSourceEntry>,
    fields: Vec<FieldEntry>,
    /// Values for `expand` placeholders.
    pub placeholders: Placeholders,
    /// Sigma field (lowercased) → other event fields (lowercased) its
    /// values may also hold on.
    pub equivalents: std::collections::HashMap<String, Vec<String>>,
}

/// Which logsources an event belongs to and which aliases it gets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Classification {
    /// Sigma products.
    pub products: HashSet<String>,
    /// Sigma categories.
    pub categories: HashSet<String>,
    /// Sigma services.
    pub services: HashSet<String>,
    /// (Sigma field, event field) aliases to add.
    pub aliases: Vec<(String, String)>,
}

impl Mapping {
    /// The built-in mapping.
    pub fn builtin() -> Mapping {
        let mut m = Mapping::default();
        m.extend_from(BUILTIN, Path::new("mapping/default.yml"))
            .expect("the built-in mapping is valid (tested)");
        m
    }

    /// Adds a user mapping file's entries after the current ones; a
    /// logsource with the same product/category/service replaces the
    /// existing `when`.
    pub fn extend_from(&mut self, text: &str, file: &Path) -> Result<(), RuleError> {
        let bad =
            |line: usize, msg: String| RuleError::new(file, line, RuleErrorKind::Structure, msg);
        let docs = yaml::parse_documents(text)
            .map_err(|e| RuleError::new(file, e.line, RuleErrorKind::Yaml, e.message))?;
        let doc = docs
            .into_iter()
            .next()
            .ok_or_else(|| bad(0, "the mapping file is empty".into()))?;
        if let Some(v) = doc.get("version")
            && v.as_str() != Some("1")
        {
            return Err(bad(v.line, "only mapping `version: 1` is known".into()));
        }
        if let Some(ls) = doc.get("logsources") {
            for e in ls
                .as_seq()
                .ok_or_else(|| bad(ls.line, "`logsources` must be a list".into()))?
            {
                let get = |k: &str| e.get(k).and_then(Node::as_str).map(|s| s.to_lowercase());
                let entry = LogSourceEntry {
                    product: get("product"),
                    category: get("category"),
                    service: get("service"),
                    when: conds(e.get("when"), file)?,
                };
                match self.logsources.iter_mut().find(|x| {
                    x.product == entry.product
                        && x.category == entry.category
                        && x.service == entry.service
                }) {
                    Some(existing) => existing.when = entry.when,
                    None => self.logsources.push(entry),
                }
            }
        }
        if let Some(fs) = doc.get("fields") {
            for e in fs
                .as_seq()
                .ok_or_else(|| bad(fs.line, "`fields` must be a list".into()))?
            {
                let al = e.get("aliases").and_then(Node::as_map).ok_or_else(|| {
                    bad(
                        e.line,
                        "a `fields` entry needs `aliases`: a map of Sigma field to event field"
                            .into(),
                    )
                })?;
                let mut aliases = Vec::new();
                for (k, v) in al {
                    let target = v.as_str().ok_or_else(|| {
                        bad(v.line, format!("alias `{k}` must name one event field"))
                    })?;
                    aliases.push((k.clone(), target.to_string()));
                }
                self.fields.push(FieldEntry {
                    when: conds(e.get("when"), file)?,
                    aliases,
                });
            }
        }
        if let Some(eq) = doc.get("equivalents") {
            for (k, v) in eq
                .as_map()
                .ok_or_else(|| bad(eq.line, "`equivalents` must be a map".into()))?
            {
                let others = v
                    .str_list()
                    .ok_or_else(|| bad(v.line, format!("`{k}` needs a list of event fields")))?;
                self.equivalents.insert(
                    crate::sigma::value::field_key(k),
                    others
                        .into_iter()
                        .map(crate::sigma::value::field_key)
                        .collect(),
                );
            }
        }
        if let Some(ph) = doc.get("placeholders") {
            for (k, v) in ph
                .as_map()
                .ok_or_else(|| bad(ph.line, "`placeholders` must be a map".into()))?
            {
                let values = v.str_list().ok_or_else(|| {
                    bad(v.line, format!("placeholder `{k}` needs a list of values"))
                })?;
                self.placeholders
                    .insert(k.clone(), values.into_iter().map(str::to_owned).collect());
            }
        }
        Ok(())
    }

    /// Every category and service some entry can assign (with the reader
    /// categories), so rules naming others are known to be unmapped.
    pub fn known(&self) -> (HashSet<String>, HashSet<String>) {
        let mut cats: HashSet<String> = ["webserver", "proxy", "firewall"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut svcs = HashSet::new();
        for e in &self.logsources {
            cats.extend(e.category.clone());
            svcs.extend(e.service.clone());
        }
        (cats, svcs)
    }

    /// The key that decides an event's classification: events with equal
    /// keys are classified alike, so the result can be cached.
    pub fn route_key(event: &Event) -> String {
        let f = |n: &str| event.text(n).map(|c| c.into_owned()).unwrap_or_default();
        let ls = &event.logsource;
        format!(
            "{}\u{1}{}\u{1}{}\u{1}{}\u{1}{}\u{1}{}\u{1}{}",
            event.format.as_str(),
            ls.product.as_deref().unwrap_or(""),
            ls.service.as_deref().unwrap_or(""),
            ls.category.as_deref().unwrap_or(""),
            f("Channel"),
            f("EventID"),
            f("Provider_Name"),
        )
    }

    /// Classifies an event.
    pub fn classify(&self, event: &Event) -> Classification {
        let mut c = Classification::default();
        let ls = &event.logsource;
        c.products.extend(ls.product.clone());
        c.services.extend(ls.service.clone());
        c.categories.extend(ls.category.clone());
        for e in &self.logsources {
            if e.when.iter().any(|w| w.matches(event)) {
                c.products.extend(e.product.clone());
                c.categories.extend(e.category.clone());
                c.services.extend(e.service.clone());
            }
        }
        for f in &self.fields {
            if f.when.iter().any(|w| w.matches(event)) {
                c.aliases.extend(f.aliases.iter().cloned());
            }
        }
        c
    }
}

fn conds(node: Option<&Node>, file: &Path) -> Result<Vec<Cond>, RuleError> {
    let Some(node) = node else {
        return Err(RuleError::new(
            file,
            0,
            RuleErrorKind::Structure,
            "an entry needs `when`",
        ));
    };
    let items: Vec<&Node> = match node.as_seq() {
        Some(s) => s.iter().collect(),
        None => vec![node],
    };
    items
        .into_iter()
        .map(|i| {
            let map = i.as_map().ok_or_else(|| {
                RuleError::new(file, i.line, RuleErrorKind::Structure, "a `when` entry must be a map")
            })?;
            let mut keys = Vec::new();
            for (k, v) in map {
                let key = match k.as_str() {
                    "Channel" => Key::Channel,
                    "EventID" => Key::EventId,
                    "Provider_Name" => Key::Provider,
                    "format" => Key::Format,
                    "product" => Key::Product,
                    "service" => Key::Service,
                    "category" => Key::Category,
                    other => {
                        return Err(RuleError::new(
                            file,
                            v.line,
                            RuleErrorKind::Structure,
                            format!("unknown `when` key `{other}` (Channel, EventID, Provider_Name, format, product, service, category)"),
                        ));
                    }
                };
                let values = v.str_list().ok_or_else(|| {
                    RuleError::new(file, v.line, RuleErrorKind::Structure, format!("`{k}` needs a value or a list"))
                })?;
                keys.push((key, values.into_iter().map(str::to_owned).collect()));
            }
            Ok(Cond(keys))
        })
        .collect()
}

impl Cond {
    fn matches(&self, event: &Event) -> bool {
        self.0.iter().all(|(key, values)| {
            let have: Option<String> = match key {
                Key::Channel => event.text("Channel").map(|c| c.into_owned()),
                Key::EventId => event.text("EventID").map(|c| c.into_owned()),
                Key::Provider => event.text("Provider_Name").map(|c| c.into_owned()),
                Key::Format => Some(event.format.as_str().to_string()),
                Key::Product => event.logsource.product.clone(),
                Key::Service => event.logsource.service.clone(),
                Key::Category => event.logsource.category.clone(),
            };
            have.is_some_and(|h| values.iter().any(|v| v.eq_ignore_ascii_case(&h)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Format, Position};

    fn sysmon(id: i64) -> Event {
        let mut e = Event::new(Format::Evtx, Position::Record(1));
        e.push("Channel", "Microsoft-Windows-Sysmon/Operational");
        e.push("EventID", id);
        e.logsource.product = Some("windows".into());
        e
    }

    #[test]
    fn builtin_loads_and_classifies_sysmon_and_security() {
        let m = Mapping::builtin();
        let c = m.classify(&sysmon(1));
        assert!(c.products.contains("windows"));
        assert!(c.categories.contains("process_creation"));
        assert!(c.services.contains("sysmon"));
        let mut e = Event::new(Format::Evtx, Position::Record(2));
        e.push("Channel", "Security");
        e.push("EventID", 4688i64);
        let c = m.classify(&e);
        assert!(c.categories.contains("process_creation"));
        assert!(c.services.contains("security"));
        assert!(
            c.aliases
                .iter()
                .any(|(s, ev)| s == "Image" && ev == "NewProcessName")
        );
    }

    #[test]
    fn user_entries_replace_and_add() {
        let mut m = Mapping::builtin();
        let user = "version: 1\nlogsources:\n  - product: windows\n    category: process_creation\n    when:\n      - { Channel: MyEDR, EventID: 7 }\nplaceholders:\n  Admins: [root, adm]\n";
        m.extend_from(user, Path::new("u.yml")).unwrap();
        assert!(
            !m.classify(&sysmon(1))
                .categories
                .contains("process_creation")
        );
        let mut e = Event::new(Format::JsonLines, Position::Line(1));
        e.push("Channel", "MyEDR");
        e.push("EventID", "7");
        assert!(m.classify(&e).categories.contains("process_creation"));
        assert_eq!(m.placeholders["Admins"], vec!["root", "adm"]);
    }

    #[test]
    fn bad_user_file_names_the_line() {
        let mut m = Mapping::default();
        let e = m
            .extend_from(
                "logsources:\n  - product: x\n    when:\n      - { Chanel: y }\n",
                Path::new("u.yml"),
            )
            .unwrap_err();
        assert_eq!(e.line, 4);
        assert!(e.message.contains("Chanel"));
    }
}
