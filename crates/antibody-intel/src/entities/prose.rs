//! ATT&CK techniques in a text: ids written out (`T1566.001`, also in
//! ATT&CK URLs as `T1566/001`) and phrases of prose ("sent spear-phishing
//! e-mails with malicious attachments", "exploited a vulnerability in a VPN
//! appliance").
//!
//! A phrase rule is a pattern that must match inside one sentence, often a
//! verb and its object with a few words between (`exploit… VPN`), with
//! optionally a word that must also be in the sentence and one that must
//! not. Precision comes first:
//! - sentences giving advice or describing defences ("should", "recommend",
//!   "mitigate", "awareness", "training", "ensure", "best practice") yield
//!   no technique, so "phishing awareness training" is not T1566;
//! - data encrypted by ransomware is not encrypted C2 (T1573);
//! - "PowerShell Empire" names a tool, not PowerShell use.

use super::text::{Sentences, evidence};
use crate::attack;
use crate::model::Technique;
use regex::Regex;

/// A phrase rule.
struct RuleSpec {
    id: &'static str,
    /// Alternatives; `~N~` stands for a gap of at most N words.
    patterns: &'static [&'static str],
    /// Must also be in the sentence.
    also: Option<&'static str>,
    /// Must not be in the sentence.
    not: Option<&'static str>,
}

const C2: &str = r"(?:c2|c&c|command[- ]and[- ]control)";

const RULES: &[RuleSpec] = &[
    RuleSpec {
        id: "T1566.001",
        patterns: &[
            r"\b(?:spear[- ]?)?phish\w*~6~(?:attachments?|attached)\b",
            r"\bmalicious (?:e-?mail )?attachments?\b",
            r"\b(?:phish\w*|malspam)\b~3~(?:carrying|containing|with)\s+(?:[\w-]+\s+){0,3}?(?:files|documents|archives|zip files|iso images|attachments?)\b",
        ],
        also: None,
        not: None,
    },
    RuleSpec {
        id: "T1566.002",
        patterns: &[
            r"\b(?:spear[- ]?)?phish\w*~6~(?:links?|hyperlinks?|URLs?)\b",
            r"\b(?:lures?|e-?mails?|sms)\b~5~(?:links?|hyperlinks?|URLs?)\b",
        ],
        also: None,
        not: None,
    },
    RuleSpec {
        id: "T1566",
        patterns: &[
            r"\b(?:spear[- ]?)?phish(?:ing|ed|es)?\b",
            r"\bmalspam\b",
            r"\bsocial[- ]engineering\b",
            r"\bbusiness e-?mail compromise\b",
            // `fake "tax refund" e-mails`, `spoofed e-mails`.
            r#"\b(?:fake|spoofed|fraudulent|bogus|lure)\s+(?:["“][^"”]{1,40}["”]\s+)?e-?mails?\b"#,
            r"\be-?mails?\s+(?:claiming|purporting|pretending|impersonating|posing)\b",
        ],
        also: None,
        not: None,
    },
    RuleSpec {
        id: "T1190",
        patterns: &[
            r"\bexploit(?:s|ed|ing|ation)?\b~8~(?:vpns?|virtual private networks?|internet[- ]facing|public[- ]facing|externally[- ]facing|internet[- ]exposed|edge devices?|perimeter devices?|network appliances?|appliances?|web servers?|exchange servers?|citrix|pulse (?:connect )?secure|fortigate|fortios|zimbra|ivanti|confluence|moveit|netscaler|web applications?)\b",
            r"\b(?:vpn|internet[- ]facing|public[- ]facing)\b~6~(?:vulnerabilit(?:y|ies)|flaws?)\b~4~exploit\w*",
            // "harvested by exploiting CVE-2018-13379": an advisory's CVE
            // is, as a rule, in the exposed product it describes.
            r"\bexploit(?:s|ed|ing|ation)?\b~6~CVE-\d{4}-\d{4,}\b",
            // "Citrix NetScaler ADC and Gateway (Citrix Bleed). Status:
            // exploited in the wild."
            r"\b(?:vpns?|gateways?|citrix|netscaler|pulse (?:connect )?secure|fortigate|fortios|ivanti|confluence|moveit|internet[- ]facing|public[- ]facing)\b~4~exploit(?:s|ed|ing|ation)?\b",
        ],
        also: None,
        not: None,
    },
    RuleSpec {
        id: "T1078",
        patterns: &[
            r"\b(?:stolen|valid|compromised|legitimate|harvested|leaked)\s+(?:[\w-]+\s+){0,2}?(?:credentials|accounts?|logins?)\b",
        ],
        // Credentials used, not merely taken ("exfiltrated harvested
        // credentials").
        also: Some(
            r"\b(?:us(?:e|es|ed|ing)|abus\w*|log\w*\s+in|logins?|sign\w*\s+in|access\w*|authenticat\w*|with|via|through|replay\w*|remain valid)\b",
        ),
        not: None,
    },
    RuleSpec {
        id: "T1110.003",
        patterns: &[r"\bpassword[- ]spray\w*"],
        also: None,
        not: None,
    },
    RuleSpec {
        id: "T1110",
        patterns: &[r"\bbrute[- ]?forc\w*"],
        also: None,
        not: None,
    },
    RuleSpec {
        id: "T1595.002",
        patterns: &[
            r"\bscan(?:s|ned|ning)?\b~4~vulnerab\w*",
            r"\bvulnerability scan\w*",
        ],
        also: None,
        not: None,
    },
    RuleSpec {
        id: "T1053.005",
        patterns: &[r"\bscheduled tasks?\b", r"\bschtasks\b"],
        also: None,
        not: None,
    },
    RuleSpec {
        id: "T1059.001",
        // Not `\powershell` (a process name in a detection rule).
        patterns: &[r"(?:^|[^\\/])\bpowershell\b"],
        also: None,
        not: Some(r"\bpowershell empire\b"),
    },
    RuleSpec {
        id: "T1059.003",
        patterns: &[
            r"\bwindows command shell\b",
            r"\bcmd\.exe\b",
            r"\bcmd /[ck]\b",
            r"\bcommand prompt\b",
        ],
        also: None,
        not: None,
    },
    RuleSpec {
        id: "T1059.004",
        patterns: &[
            r"\bunix shell\b",
            r"\bbash\b~2~(?:commands?|scripts?)\b",
            r"\bshell scripts?\b",
            r"(?:^|\s)/bin/(?:ba)?sh\b",
        ],
        also: None,
        not: None,
    },
    RuleSpec {
        id: "T1505.003",
        patterns: &[r"\bweb[- ]?shells?\b"],
        also: None,
        not: None,
    },
    RuleSpec {
        id: "T1071.004",
        patterns: &[
            r"\bdns[- ]tunnel\w*",
            r"\b~C2~\b~5~(?:over|via|using|through)\s+(?:the\s+)?dns\b",
            r"\bdns\b~3~(?:for|as)\s+~C2~\b",
        ],
        also: None,
        not: None,
    },
    RuleSpec {
        id: "T1071.001",
        patterns: &[
            r"\b(?:~C2~|beacons?|beaconing|communicat\w*)\b~6~(?:over|via|using|through)\s+(?:the\s+)?https?\b",
            r"\bhttps?\b~3~(?:for|as)\s+~C2~\b",
            r"\bhttps?[- ]based\s+~C2~",
            r"\b(?:switch\w*|fall\w* back|falls back|revert\w*)\s+to\s+https?\b",
            r"\bhttps?\s+(?:post|get|requests?|transport|traffic|channel)\b",
            r"\bhttps?\s+over\s+(?:tls|ssl)\b",
        ],
        also: Some(
            r"\b(?:c2|c&c|command[- ]and[- ]control|servers?|beacon\w*|implants?|backdoors?|malware|traffic|relays?)\b",
        ),
        not: None,
    },
    RuleSpec {
        // A C2 or beacon address written as an http(s) URL, defanged or
        // not: "C2 URI hxxps://...", "beacon config points to https://...".
        id: "T1071.001",
        patterns: &[
            r"\b(?:~C2~|beacon)\s+(?:urls?|uris?|endpoints?|paths?)\b~2~h(?:tt|xx)ps?\b",
            r"\b(?:~C2~|beacon)\b~3~(?:points?|posts?|connects?|sends?|reports?)\s+to\s+h(?:tt|xx)ps?\b",
        ],
        also: None,
        not: None,
    },
    RuleSpec {
        id: "T1573",
        // Not `encryptor` (ransomware's, not the channel's), and not TLS
        // alone: ATT&CK counts the protection a protocol gives itself
        // (HTTPS) under the protocol.
        patterns: &[r"\b(?:encrypt(?:s|ed|ing|ion)?|aes(?:-\d+)?|rsa(?:-\d+)?|rc4|chacha20)\b"],
        also: Some(
            r"\b(?:c2|c&c|command[- ]and[- ]control|communications?|beacon\w*|traffic|team servers?)\b",
        ),
        not: Some(r"\bransom\w*"),
    },
    RuleSpec {
        // "The response is decrypted with a hard-coded XOR key".
        id: "T1573",
        patterns: &[r"\b(?:responses?|commands?|tasking|~C2~)\b~4~decrypt\w*"],
        also: None,
        not: Some(r"\bransom\w*"),
    },
    RuleSpec {
        id: "T1132.001",
        patterns: &[r"\bbase[- ]?64\b~4~(?:encod\w*|send\w*|sent)|\bencod\w*~4~base[- ]?64\b"],
        // Data encoding for C2, not an encoded command line (T1027).
        also: Some(
            r"\b(?:c2|c&c|command[- ]and[- ]control|communicat\w*|traffic|servers?|beacon\w*|exfiltrat\w*)\b",
        ),
        not: None,
    },
    RuleSpec {
        id: "T1105",
        patterns: &[
            r"\bingress tool transfer\b",
            r"\b(?:download|fetch|retriev|transferr?|stag)\w*~5~(?:additional|further|more|other|secondary|second[- ]stage|next[- ]stage|new)\s+(?:\w+\s+)?(?:tools?|payloads?|malware|files|stages?|implants?|modules?|components?|binaries)\b",
            r"\b(?:tools?|payloads?|modules?|implants?)\s+(?:were|was|are|is)\s+(?:then\s+|subsequently\s+|later\s+)?(?:downloaded|transferred)\b",
            r"\b(?:used|uses|using)\s+(?:[\w-]+\s+){0,3}?to\s+(?:download|fetch|retrieve|pull|transfer)\b",
            r"\b(?:commands?|scripts?|one-liners?)\s+(?:that|to)\s+(?:download|fetch|retriev|pull)\w*",
            // A capability: "can upload and download files".
            r"\b(?:upload|download)\s+(?:and|or|/)\s*(?:upload|download)\s+files\b",
        ],
        also: None,
        not: None,
    },
    RuleSpec {
        // "the loaders download the Emotet DLL from compromised websites",
        // "pulls the payload from": not what analysts did ("confirmed by
        // pulling the beacon configuration from the server").
        id: "T1105",
        patterns: &[
            r"\b(?:download(?:s|ed|ing)?|fetch(?:es|ed|ing)?|retriev(?:es|ed|ing)|pull(?:s|ed|ing)?|staged)\b~5~from\b",
        ],
        also: None,
        not: Some(r"\b(?:we|our|us|researchers?|analysts?|investigators?|confirmed|verified)\b"),
    },
    RuleSpec {
        id: "T1195.002",
        patterns: &[
            r"\bsupply[- ]chain (?:compromise|attack|intrusion|operation)s?\b",
            r"\btrojani[sz]ed (?:[\w-]+\s+){0,2}?updates?\b",
            r"\bcompromised (?:the\s+)?(?:software )?(?:build|update) (?:process|system|mechanism|server)\b",
            // Malicious packages published to a public package index.
            r"\btyposquat\w*\s+(?:[\w-]+\s+)?packages?\b",
            r"\bmalicious\s+(?:pypi|npm|rubygems|nuget|python|javascript)?\s*packages?\b",
        ],
        also: None,
        not: None,
    },
    RuleSpec {
        id: "T1041",
        patterns: &[
            r"\bexfiltrat\w*~6~(?:over|via|through|using|across)\s+(?:(?:the|its|an?|existing|same|established)\s+){0,3}~C2~",
            r"\bexfiltrat\w*~3~(?:over|via|through)\s+(?:the\s+)?(?:same|existing|established)\s+(?:~C2~\s+)?channel\b",
        ],
        also: None,
        not: None,
    },
    RuleSpec {
        id: "T1021.001",
        patterns: &[r"\b(?:rdp|remote desktop(?: protocol)?)\b"],
        also: Some(r"\blateral\w*|\bmov\w* laterally\b|\bpivot\w*"),
        not: None,
    },
    RuleSpec {
        id: "T1003.001",
        patterns: &[
            r"\blsass\b",
            r"\bcredential[- ]dump\w*",
            r"\bdump\w*~4~(?:credentials|password hashes|hashes)\b",
        ],
        also: None,
        not: None,
    },
    RuleSpec {
        id: "T1550",
        patterns: &[
            r"\b(?:mfa|multi[- ]factor(?: authentication)?|2fa|two[- ]factor(?: authentication)?)\b~2~bypass\w*",
            r"\bbypass\w*~3~(?:mfa|multi[- ]factor|2fa|two[- ]factor)\b",
            r"\b(?:token|cookie) theft\b",
            r"\bst(?:ole|ealing|eal|eals|olen)\b~3~(?:session\s+|authentication\s+|access\s+|oauth\s+)?(?:tokens|cookies)\b",
            r"\bpass[- ]the[- ](?:hash|ticket|cookie)\b",
        ],
        also: None,
        not: None,
    },
];

/// Sentences that give advice or describe defences name techniques
/// without saying they were used.
const ADVICE: &str = r"(?i)\b(?:should|recommend\w*|mitigat\w*|awareness|training|ensure|best practices?|no evidence)\b";

struct Rule {
    id: &'static str,
    name: String,
    pattern: Regex,
    also: Option<Regex>,
    not: Option<Regex>,
}

/// Technique recognition, compiled once.
pub(crate) struct Techniques {
    rules: Vec<Rule>,
    advice: Regex,
    explicit: Regex,
}

impl std::fmt::Debug for Techniques {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Techniques")
            .field("rules", &self.rules.len())
            .finish()
    }
}

fn expand(pattern: &str) -> String {
    let mut out = pattern.replace("~C2~", C2);
    for n in 1..=9 {
        out = out.replace(&format!("~{n}~"), &format!(r"(?:\W+\w+){{0,{n}}}?\W+"));
    }
    format!("(?i){out}")
}

impl Techniques {
    pub(crate) fn new() -> Techniques {
        let table = attack::table();
        let rules = RULES
            .iter()
            .map(|spec| {
                let alternatives: Vec<String> = spec
                    .patterns
                    .iter()
                    .map(|p| format!("(?:{})", expand(p)))
                    .collect();
                Rule {
                    id: spec.id,
                    name: table.name_of(spec.id).unwrap_or(spec.id).to_string(),
                    // The rules are constants checked by the tests below.
                    pattern: Regex::new(&alternatives.join("|")).expect("technique rule compiles"),
                    also: spec
                        .also
                        .map(|p| Regex::new(&expand(p)).expect("technique rule compiles")),
                    not: spec
                        .not
                        .map(|p| Regex::new(&expand(p)).expect("technique rule compiles")),
                }
            })
            .collect();
        Techniques {
            rules,
            advice: Regex::new(ADVICE).expect("advice pattern compiles"),
            explicit: Regex::new(r"\bT(\d{4})(?:\.(\d{3})|/(\d{3}))?\b")
                .expect("id pattern compiles"),
        }
    }

    /// Every technique in `text`, one per id in order of first appearance;
    /// an id written out wins over the same technique found in prose.
    pub(crate) fn find(&self, text: &str, sentences: &Sentences) -> Vec<Technique> {
        let mut found: Vec<(usize, Technique)> = Vec::new();
        let sentence_of = |at: usize| sentences.span_at(at).map_or("", |(s, e)| &text[s..e]);
        let table = attack::table();
        for c in self.explicit.captures_iter(text) {
            let whole = c.get(0).map_or(0..0, |m| m.range());
            let sub = c.get(2).or(c.get(3)).map(|m| m.as_str());
            let main = &c[1];
            let id = match sub {
                Some(sub) => format!("T{main}.{sub}"),
                None => format!("T{main}"),
            };
            // A sub-technique unknown to the table falls back to its parent.
            let entry = table
                .technique(&id)
                .or_else(|| table.technique(&format!("T{main}")));
            if let Some(entry) = entry {
                found.push((
                    whole.start,
                    Technique {
                        id: entry.id.clone(),
                        name: entry.name.clone(),
                        evidence: text[whole.clone()].to_string(),
                        from_prose: false,
                        sentence: evidence(sentence_of(whole.start)),
                    },
                ));
            }
        }
        for &(s, e) in sentences.spans() {
            let sentence = &text[s..e];
            if self.advice.is_match(sentence) {
                continue;
            }
            let mut here: Vec<(usize, Technique)> = Vec::new();
            for rule in &self.rules {
                let Some(m) = rule.pattern.find(sentence) else {
                    continue;
                };
                if rule.also.as_ref().is_some_and(|r| !r.is_match(sentence)) {
                    continue;
                }
                if rule.not.as_ref().is_some_and(|r| r.is_match(sentence)) {
                    continue;
                }
                here.push((
                    s + m.start(),
                    Technique {
                        id: rule.id.to_string(),
                        name: rule.name.clone(),
                        evidence: evidence(m.as_str().trim()),
                        from_prose: true,
                        sentence: evidence(sentence),
                    },
                ));
            }
            // "phishing e-mails with malicious attachments" states the
            // sub-technique; the parent its words also match adds nothing.
            let subs: Vec<String> = here
                .iter()
                .filter_map(|(_, t)| t.id.split_once('.').map(|(p, _)| p.to_string()))
                .collect();
            found.extend(here.into_iter().filter(|(_, t)| !subs.contains(&t.id)));
        }
        found.sort_by_key(|(at, t)| (*at, t.from_prose));
        let mut out: Vec<Technique> = Vec::new();
        for (_, t) in found {
            match out.iter_mut().find(|x| x.id == t.id) {
                Some(x) if x.from_prose && !t.from_prose => *x = t,
                Some(_) => {}
                None => out.push(t),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_compiles_and_names_a_known_technique() {
        let t = Techniques::new();
        for r in &t.rules {
            assert!(attack::table().technique(r.id).is_some(), "{}", r.id);
            assert_ne!(r.name, r.id);
        }
    }

    fn ids(text: &str) -> Vec<String> {
        let t = Techniques::new();
        t.find(text, &Sentences::split(text))
            .into_iter()
            .map(|t| t.id)
            .collect()
    }

    #[test]
    fn prose_rules_and_their_guards() {
        // A sub-technique stated in a sentence subsumes its parent there.
        assert_eq!(
            ids("The intrusion began with a phishing e-mail carrying a malicious attachment."),
            vec!["T1566.001"]
        );
        assert_eq!(
            ids("It sends the data to the C2 server with an HTTP POST."),
            vec!["T1071.001"]
        );
        assert_eq!(
            ids("The loader fetched further tools from compromised sites."),
            vec!["T1105"]
        );
        assert!(
            ids("All were confirmed by pulling the beacon configuration from the server.")
                .is_empty()
        );
        assert!(ids("Cobalt Strike team server: 192.0.2.1 (TLS on 443)").is_empty());
        assert!(
            ids("Look for PowerShell run with an encoded command (Base64 for a sleep).")
                .iter()
                .all(|t| t != "T1132.001")
        );
        assert!(ids("Exfiltrated harvested credentials to a remote host.").is_empty());
        assert_eq!(
            ids("The actor exploited CVE-2022-26134, an unauthenticated injection."),
            vec!["T1190"]
        );
        assert!(ids("ParentImage|endswith: '\\powershell'").is_empty());
        assert_eq!(
            ids("Data was exfiltrated over the same channel."),
            vec!["T1041"]
        );
    }

    #[test]
    fn explicit_ids_in_text_and_urls() {
        let t = Techniques::new();
        let text = "See T1566.001 and https://attack.mitre.org/techniques/T1059/001/ and T9999 and XT1234.";
        let got = t.find(text, &Sentences::split(text));
        let ids: Vec<&str> = got.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, vec!["T1566.001", "T1059.001"]);
        assert!(got.iter().all(|t| !t.from_prose));
        assert_eq!(got[0].name, "Spearphishing Attachment");
    }
}
