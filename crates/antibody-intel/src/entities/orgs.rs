//! Organisation acronyms defined in the text: `Long Form (ACRONYM)`.
//!
//! Advisories often spell an organisation's name loosely ("National Center
//! for Cyber Security (NCSC)") and then use the acronym. When the acronym
//! is one of ours:
//! - a long form close to one of the organisation's names (same content
//!   words, ignoring case and the spellings centre/center,
//!   organisation/organization, defence/defense) is a mention of it;
//! - a long form that spells the acronym but names something else
//!   ("National Counterintelligence and Security Center (NCSC)") redefines
//!   the acronym: its bare uses in this text are not our organisation;
//! - anything else changes nothing.

use std::collections::HashSet;

/// Words left out when comparing names and taking initials.
const MINOR: &[&str] = &[
    "of", "for", "and", "the", "&", "de", "la", "du", "des", "on", "in", "to",
];

/// How similar two long names must be (Jaccard of their content words) to
/// be taken as the same organisation.
const CLOSE: f64 = 0.75;

/// One `Long Form (ACRONYM)` in the text.
#[derive(Debug, PartialEq)]
pub(crate) struct Definition<'a> {
    /// Byte span of the long form.
    pub long_start: usize,
    /// End of the long form.
    pub long_end: usize,
    /// The long form as written.
    pub long: &'a str,
    /// The acronym as written.
    pub acronym: &'a str,
}

/// Every `Long Form (ACRONYM)`: an acronym in parentheses right after a run
/// of capitalised words (minor words allowed inside the run).
pub(crate) fn definitions(text: &str) -> Vec<Definition<'_>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find('(').map(|i| from + i) {
        from = open + 1;
        let Some(close) = text[open..].find(')').map(|i| open + i) else {
            break;
        };
        let acronym = &text[open + 1..close];
        if acronym.len() < 2 || acronym.len() > 12 || !super::names::is_acronym(acronym) {
            continue;
        }
        // Walk back over the words before `(`, at most 12.
        let before = text[..open].trim_end();
        let base = before.as_ptr() as usize;
        let words: Vec<(usize, &str)> = before
            .split_whitespace()
            .map(|w| (w.as_ptr() as usize - base, w))
            .collect();
        let mut long_start = None;
        for &(i, w) in words.iter().rev().take(12) {
            // Punctuation after a word ends the run ("said, National ...").
            if i + w.len() != before.len() && w.ends_with([',', ';', ':', '.', ')']) {
                break;
            }
            let word = w.trim_matches(|c: char| !c.is_alphanumeric());
            let minor = MINOR.contains(&word.to_lowercase().as_str()) || w == "&";
            let capital = word.chars().next().is_some_and(char::is_uppercase);
            if !(minor || capital) {
                break;
            }
            if capital && !minor {
                long_start = Some(i);
            }
        }
        let Some(long_start) = long_start else {
            continue;
        };
        let long = &before[long_start..];
        if long.split_whitespace().count() < 2 {
            continue;
        }
        out.push(Definition {
            long_start,
            long_end: before.len(),
            long,
            acronym,
        });
    }
    out
}

/// Content words of a name, lowercased, with British and American
/// spellings made one.
fn content_words(name: &str) -> HashSet<String> {
    name.split(|c: char| c.is_whitespace() || c == '-' || c == '/')
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty() && !MINOR.contains(&w.as_str()))
        .map(|w| match w.as_str() {
            "center" => "centre".to_string(),
            "organization" => "organisation".to_string(),
            "organizations" => "organisations".to_string(),
            "defense" => "defence".to_string(),
            "cybersecurity" => "cyber security".to_string(),
            _ => w,
        })
        .flat_map(|w| w.split(' ').map(str::to_string).collect::<Vec<_>>())
        .collect()
}

/// Jaccard similarity of two names' content words.
pub(crate) fn closeness(a: &str, b: &str) -> f64 {
    let a = content_words(a);
    let b = content_words(b);
    let union = a.union(&b).count();
    if union == 0 {
        return 0.0;
    }
    a.intersection(&b).count() as f64 / union as f64
}

/// Whether `long` is close to one of `names`.
pub(crate) fn is_close(long: &str, names: &[String]) -> bool {
    names.iter().any(|n| closeness(long, n) >= CLOSE)
}

/// Whether the initials of `long`'s content words spell `acronym`.
pub(crate) fn spells(long: &str, acronym: &str) -> bool {
    let initials: String = long
        .split_whitespace()
        .filter(|w| !MINOR.contains(&w.to_lowercase().as_str()))
        .filter_map(|w| w.chars().next())
        .flat_map(char::to_uppercase)
        .collect();
    let letters: String = acronym.chars().filter(char::is_ascii_alphabetic).collect();
    initials == letters
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_long_forms_before_acronyms() {
        let text =
            "Advice from the National Center for Cyber Security (NCSC) and the FBI (FBI) today.";
        let d = definitions(text);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].long, "National Center for Cyber Security");
        assert_eq!(d[0].acronym, "NCSC");
        assert_eq!(&text[d[0].long_start..d[0].long_end], d[0].long);
    }

    #[test]
    fn sloppy_long_form_is_close_and_other_bodies_are_not() {
        let ours = vec!["national cyber security centre".to_string()];
        assert!(is_close("National Center for Cyber Security", &ours));
        assert!(!is_close(
            "National Counterintelligence and Security Center",
            &ours
        ));
        assert!(spells(
            "National Counterintelligence and Security Center",
            "NCSC"
        ));
        assert!(!spells("National Center for Cyber Security", "NCSC"));
    }

    #[test]
    fn lower_case_prose_before_parentheses_is_no_definition() {
        assert!(definitions("the actor used a tool (WCE) to dump hashes").is_empty());
        assert!(definitions("unbalanced ( NCSC").is_empty());
    }
}
