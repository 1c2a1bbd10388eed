//! The line prefilter for text logs: skip, without parsing, every line that
//! no loaded rule and no pack indicator could match.
//!
//! Most lines of a web or VPN log are ordinary. For each rule that can
//! apply to a text log, the compiler knows text that any match must
//! contain (the literal of `cs-uri-stem|contains: '/vpns/'`, the longest
//! literal piece of a wildcard pattern...); with the pack's IPs, domains,
//! hashes and URLs, these literals go into one Aho-Corasick automaton, and
//! a line that contains none of them (also once URL-decoded, and with `+`
//! read as a space, as the readers do for matching) cannot fire anything.
//!
//! The prefilter is only built when it is sound: every rule that can apply
//! to a text log must have such literals on fields that our readers copy
//! verbatim from the line, and every indicator must be literal text. One
//! rule with a regex, a numeric comparison, a negation at the top or a
//! condition on a field the readers synthesise (`outcome`, `facility`...)
//! turns it off, and every line is parsed as before.

use crate::sigma::condition::Expr;
use crate::sigma::rule::{DetectionRule, Search};
use crate::sigma::value::{FieldMatcher, Pred};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use antibody_core::pack::{IndicatorType, Pack};

/// Fields text-log readers copy from the line as they are (after URL
/// decoding for the URI fields, `+` as space in W3C agents): a literal a
/// rule needs on one of these must be in the line. Compared as field keys
/// (lowercase, no spaces).
const VERBATIM: &[&str] = &[
    "c-ip",
    "cs-username",
    "cs-method",
    "cs-uri-stem",
    "cs-uri-query",
    "cs-uri",
    "cs-uri-stem.raw",
    "cs-uri-query.raw",
    "cs-uri.raw",
    "c-uri",
    "c-uri-stem",
    "c-uri-query",
    "cs-version",
    "sc-status",
    "sc-bytes",
    "cs-bytes",
    "sc-substatus",
    "sc-win32-status",
    "time-taken",
    "s-ip",
    "s-port",
    "c-port",
    "cs(referer)",
    "cs(user-agent)",
    "cs(cookie)",
    "cs-referer",
    "cs-user-agent",
    "c-useragent",
    "cs-host",
    "r-dns",
    "host",
    "program",
    "app_name",
    "pid",
    "message",
    "user",
    "src_ip",
    "src_port",
    "srcip",
    "dstip",
    "remip",
    "url",
    "msg",
    "devname",
    "logdesc",
];

/// Literals shorter than this make the filter useless; they turn it off.
const MIN_LITERAL: usize = 3;

/// The compiled prefilter.
#[derive(Debug, Clone)]
pub struct Prefilter {
    ac: AhoCorasick,
    literals: usize,
}

impl Prefilter {
    /// Builds the prefilter for `rules` (those that may apply to text logs)
    /// and the indicators of `packs`, or `None` when it would not be sound.
    pub fn build<'a>(
        rules: impl IntoIterator<Item = &'a DetectionRule>,
        packs: &[Pack],
    ) -> Option<Prefilter> {
        let mut literals: Vec<Vec<u8>> = Vec::new();
        for rule in rules {
            let d = &rule.detection;
            literals.extend(need_expr(&d.condition, &d.searches, Scope::RawLine)?);
        }
        for pack in packs {
            for ind in &pack.indicators {
                let lit = match ind.kind {
                    IndicatorType::Ipv4
                    | IndicatorType::Domain
                    | IndicatorType::Url
                    | IndicatorType::Md5
                    | IndicatorType::Sha1
                    | IndicatorType::Sha256 => ind.value.to_ascii_lowercase().into_bytes(),
                    IndicatorType::Cidr => cidr_prefix(&ind.value)?,
                    // IPv6 has many spellings of one address.
                    IndicatorType::Ipv6 => return None,
                    _ => continue,
                };
                literals.push(lit);
            }
        }
        if literals
            .iter()
            .any(|l| l.len() < MIN_LITERAL || !l.is_ascii())
        {
            return None;
        }
        literals.sort();
        literals.dedup();
        if literals.is_empty() {
            return None;
        }
        // Literals are lowercase and lines are lowercased before the search:
        // a case-sensitive automaton keeps its SIMD prefilter, which an
        // ASCII-case-insensitive one loses. Each literal is searched by
        // its rarest short window: a line holding the literal holds the
        // window, and windows that start with rare bytes give the SIMD
        // prefilter few false candidates (log lines are full of digits).
        let mut literals: Vec<Vec<u8>> = literals
            .iter()
            .map(|l| rare_window(&l.to_ascii_lowercase()).to_vec())
            .collect();
        literals.sort();
        literals.dedup();
        // Leftmost-first semantics let the automaton use its SIMD
        // multi-literal prefilter (Teddy); only whether a literal occurs
        // matters here, so the semantics make no difference.
        let ac = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&literals)
            .ok()?;
        Some(Prefilter {
            ac,
            literals: literals.len(),
        })
    }

    /// How many literals the automaton holds.
    pub fn literal_count(&self) -> usize {
        self.literals
    }

    /// Whether some rule or indicator could match an event of `line`.
    pub fn may_match(&self, line: &[u8]) -> bool {
        thread_local! {
            static LOWER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        LOWER.with_borrow_mut(|buf| {
            buf.clear();
            buf.extend(line.iter().map(u8::to_ascii_lowercase));
            self.may_match_lower(buf)
        })
    }

    /// [`Self::may_match`] on a line already lowercased (ASCII).
    fn may_match_lower(&self, line: &[u8]) -> bool {
        if self.ac.is_match(line) {
            return true;
        }
        if memchr::memchr(b'%', line).is_some() {
            let once: Vec<u8> = percent_encoding::percent_decode(line)
                .map(|b| b.to_ascii_lowercase())
                .collect();
            if self.ac.is_match(&once) {
                return true;
            }
            if memchr::memchr(b'%', &once).is_some() {
                let twice: Vec<u8> = percent_encoding::percent_decode(&once)
                    .map(|b| b.to_ascii_lowercase())
                    .collect();
                if self.ac.is_match(&twice) {
                    return true;
                }
            }
        }
        if memchr::memchr(b'+', line).is_some() {
            let spaced: Vec<u8> = line
                .iter()
                .map(|&b| if b == b'+' { b' ' } else { b })
                .collect();
            if self.ac.is_match(&spaced) {
                return true;
            }
        }
        false
    }
}

/// Longest window searched per literal.
const WINDOW: usize = 8;

/// How common a byte is in log text (higher is more common).
fn rank(b: u8) -> u32 {
    match b {
        b'0'..=b'9' => 250,
        b' ' | b'.' | b'/' | b':' | b'-' | b'"' | b'=' => 240,
        b'e' | b't' | b'a' | b'o' | b'i' | b'n' | b's' | b'r' | b'h' | b'l' | b'c' | b'd' => 200,
        b'a'..=b'z' => 120,
        _ => 60,
    }
}

/// The window of `lit` (at least four bytes, or all of a shorter literal;
/// at most [`WINDOW`]) whose first three bytes are the rarest.
fn rare_window(lit: &[u8]) -> &[u8] {
    let min = lit.len().min(4);
    (0..=lit.len() - min)
        .min_by_key(|&s| {
            lit[s..(s + 3).min(lit.len())]
                .iter()
                .map(|&b| rank(b))
                .sum::<u32>()
        })
        .map(|s| &lit[s..(s + WINDOW).min(lit.len())])
        .unwrap_or(lit)
}

/// The dotted prefix every address of an IPv4 network starts with
/// (`103.216.221.` for a /24); `None` for IPv6 or a network under /8.
fn cidr_prefix(net: &str) -> Option<Vec<u8>> {
    let net: ipnet::Ipv4Net = net.parse().ok()?;
    let octets = usize::from(net.prefix_len() / 8);
    if octets == 0 {
        return None;
    }
    let a = net.network().octets();
    let mut s: Vec<String> = a[..octets].iter().map(u8::to_string).collect();
    s.push(String::new());
    Some(s.join(".").into_bytes())
}

/// Where the needed literals will be looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The raw line of a text log, before parsing: only fields the readers
    /// copy verbatim count, and keyword searches cannot be judged.
    RawLine,
    /// Every field value of a parsed event (and its raw line): any field.
    Event,
}

/// Literals one of which any event satisfying `e` contains; `None` when
/// there is no such set.
pub fn need_expr(e: &Expr, searches: &[Search], scope: Scope) -> Option<Vec<Vec<u8>>> {
    match e {
        Expr::Search(i) => need_search(&searches[*i], scope),
        Expr::And(xs) => best(xs.iter().map(|x| need_expr(x, searches, scope))),
        Expr::All(ids) => best(ids.iter().map(|&i| need_search(&searches[i], scope))),
        Expr::Or(xs) => union(xs.iter().map(|x| need_expr(x, searches, scope))),
        Expr::AtLeast(_, ids) => union(ids.iter().map(|&i| need_search(&searches[i], scope))),
        Expr::Not(_) => None,
    }
}

fn need_search(s: &Search, scope: Scope) -> Option<Vec<Vec<u8>>> {
    match s {
        Search::And(ms) => best(ms.iter().map(|m| need_matcher(m, scope))),
        Search::Or(ss) => union(ss.iter().map(|s| need_search(s, scope))),
    }
}

fn need_matcher(m: &FieldMatcher, scope: Scope) -> Option<Vec<Vec<u8>>> {
    if m.negate {
        return None;
    }
    if scope == Scope::RawLine {
        // Keywords search every field, synthesised ones included.
        let f = m.field.as_ref()?;
        if !VERBATIM.contains(&f.as_str()) || m.also.iter().any(|f| !VERBATIM.contains(&f.as_str()))
        {
            return None;
        }
    }
    let per_pred = m.preds.iter().map(|p| match p {
        Pred::Str { pred, .. } => pred.literal().map(|l| vec![l.to_vec()]),
        Pred::Never => Some(Vec::new()),
        _ => None,
    });
    if m.all {
        best(per_pred)
    } else {
        union(per_pred)
    }
}

/// For an AND: the most selective known set (longest shortest literal).
fn best(sets: impl Iterator<Item = Option<Vec<Vec<u8>>>>) -> Option<Vec<Vec<u8>>> {
    sets.flatten().max_by_key(|s| {
        (
            s.iter().map(Vec::len).min().unwrap_or(usize::MAX),
            usize::MAX - s.len(),
        )
    })
}

/// For an OR: every alternative's set, or `None` if one has none.
fn union(sets: impl Iterator<Item = Option<Vec<Vec<u8>>>>) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    for s in sets {
        out.extend(s?);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigma::rule::{Document, parse_text};
    use std::path::Path;

    fn rules(text: &str) -> Vec<DetectionRule> {
        let p = parse_text(text, Path::new("t.yml"), &Default::default());
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        p.documents
            .into_iter()
            .filter_map(|d| match d {
                Document::Rule(r) => Some(*r),
                _ => None,
            })
            .collect()
    }

    const WEB: &str = "title: W\nlogsource: {category: webserver}\ndetection:\n  sel:\n    cs-uri-stem|contains: '/vpns/'\n    sc-status: 200\n  other:\n    cs-uri-query|contains: 'fgt_lang'\n  condition: sel or other\n";

    #[test]
    fn lines_without_any_needed_literal_are_skipped() {
        let rs = rules(WEB);
        let f = Prefilter::build(&rs, &[]).expect("sound");
        assert!(f.may_match(b"1.2.3.4 - - [x] \"GET /VPN/../VPNS/cfg HTTP/1.1\" 200 1"));
        assert!(f.may_match(b"\"GET /remote/fgt_lang?x HTTP/1.1\""));
        // Encoded forms are decoded the way the reader decodes them.
        assert!(f.may_match(b"\"GET /vpn/%2e%2e/%76pns/x HTTP/1.1\""));
        assert!(f.may_match(b"\"GET /vpn/..%252fvpns/x HTTP/1.1\""));
        assert!(!f.may_match(b"\"GET /index.html HTTP/1.1\" 200 512"));
    }

    #[test]
    fn unsound_rules_turn_it_off() {
        let regex = "title: R\nlogsource: {category: webserver}\ndetection:\n  sel:\n    cs-uri-stem|re: 'a.*b'\n  condition: sel\n";
        assert!(Prefilter::build(&rules(regex), &[]).is_none());
        let negated = "title: N\nlogsource: {category: webserver}\ndetection:\n  sel:\n    cs-method: GET\n  condition: not sel\n";
        assert!(Prefilter::build(&rules(negated), &[]).is_none());
        let synthesised = "title: S\nlogsource: {product: linux}\ndetection:\n  sel:\n    outcome: success\n  condition: sel\n";
        assert!(Prefilter::build(&rules(synthesised), &[]).is_none());
        let keywords = "title: K\nlogsource: {product: linux}\ndetection:\n  kw: ['success']\n  condition: kw\n";
        assert!(Prefilter::build(&rules(keywords), &[]).is_none());
        let short = "title: T\nlogsource: {category: webserver}\ndetection:\n  sel:\n    cs-method: 'GE'\n  condition: sel\n";
        assert!(Prefilter::build(&rules(short), &[]).is_none());
    }

    #[test]
    fn and_picks_the_most_selective_part() {
        let rs = rules(WEB);
        let d = &rs[0].detection;
        let need = need_expr(&d.condition, &d.searches, Scope::RawLine).unwrap();
        assert!(need.contains(&b"/vpns/".to_vec()), "{need:?}");
        assert!(!need.contains(&b"200".to_vec()), "{need:?}");
    }

    #[test]
    fn rare_windows_are_inside_their_literal() {
        for lit in [
            &b"0322c4c2d511f73ab55bf3f43b1b0f15"[..],
            b"103.216.221.19",
            b"vpns",
            b"/remote/fgt_lang",
        ] {
            let w = rare_window(lit);
            assert!(w.len() >= lit.len().min(4) && w.len() <= WINDOW);
            assert!(lit.windows(w.len()).any(|x| x == w), "{w:?}");
        }
        // Not the common `/remote/` start.
        assert!(rare_window(b"/remote/fgt_lang").ends_with(b"_lang"));
    }

    #[test]
    fn cidr_prefixes() {
        assert_eq!(cidr_prefix("103.216.221.0/24").unwrap(), b"103.216.221.");
        assert_eq!(cidr_prefix("10.1.0.0/17").unwrap(), b"10.1.");
        assert!(cidr_prefix("10.0.0.0/7").is_none());
    }
}
