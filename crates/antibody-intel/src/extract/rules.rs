//! Detection rules embedded in advisories, kept whole and validated: YARA
//! (structurally: name, tags, `meta:`/`strings:`/`condition:` sections,
//! balanced braces, closed strings), Sigma (a YAML document with `title`,
//! `logsource` and `detection` holding a `condition`) and Snort/Suricata
//! (`action proto src sport dir dst dport (options)` with `msg` and `sid`).
//!
//! Rules are looked for only at line starts, and each candidate is read at
//! most [`MAX_RULE`] bytes, so the scan stays linear. A candidate that runs
//! into the end of a window that is not the last is reported as
//! incomplete, so the caller can carry it into the next window.

use crate::model::IocKind;
use saphyr::{LoadableYamlNode, Yaml};

/// Longest rule text read, in bytes.
pub(crate) const MAX_RULE: usize = 64 * 1024;

/// A rule found in the text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RuleHit {
    /// YARA, Sigma or Snort.
    pub kind: IocKind,
    /// Byte range of the whole rule.
    pub start: usize,
    /// End of the rule (exclusive).
    pub end: usize,
    /// The rule's identity: YARA name, Sigma title, Snort sid.
    pub id: String,
}

/// What reading one candidate gave.
enum Read {
    Found(RuleHit),
    /// Not a rule.
    No,
    /// Ran into the end of the text before the rule could be judged.
    Incomplete,
}

/// Every valid rule in `text`; with `last == false`, also where a
/// candidate started that the end of `text` cut short.
pub(crate) fn find(text: &str, last: bool) -> (Vec<RuleHit>, Option<usize>) {
    let b = text.as_bytes();
    let mut hits = Vec::new();
    let mut line = 0;
    while line < b.len() {
        let next_line = memchr::memchr(b'\n', &b[line..]).map_or(b.len(), |p| line + p + 1);
        let indent = b[line..next_line]
            .iter()
            .take_while(|c| matches!(c, b' ' | b'\t'))
            .count();
        let s = line + indent;
        let head = &b[s..next_line];
        let read = match head.first() {
            Some(b'r' | b'p' | b'g') if is_yara_start(head) => yara(text, s),
            Some(b't') if head.starts_with(b"title:") => sigma(text, line, indent, last),
            Some(b'a' | b'd' | b'r' | b'p' | b'l' | b's') => snort(text, s),
            _ => Read::No,
        };
        match read {
            Read::Found(hit) => {
                line = hit.end;
                hits.push(hit);
                continue;
            }
            Read::Incomplete if !last => return (hits, Some(line)),
            _ => {}
        }
        line = next_line;
    }
    (hits, None)
}

fn is_yara_start(head: &[u8]) -> bool {
    let mut h = head;
    for m in [&b"private "[..], b"global "] {
        if let Some(r) = h.strip_prefix(m) {
            h = r;
        }
    }
    h.starts_with(b"rule ") || h.starts_with(b"rule\t")
}

/// A small YARA lexer, enough to check the structure.
struct Lex<'a> {
    b: &'a [u8],
    i: usize,
    end: usize,
}

#[derive(Debug, PartialEq)]
enum Tok<'a> {
    Ident(&'a [u8]),
    Str,
    Regex,
    Num,
    Punct(u8),
    Eof,
    Bad,
}

impl<'a> Lex<'a> {
    fn skip_space(&mut self) {
        loop {
            while self.i < self.end && self.b[self.i].is_ascii_whitespace() {
                self.i += 1;
            }
            let rest = &self.b[self.i..self.end];
            if rest.starts_with(b"//") {
                self.i += memchr::memchr(b'\n', rest).unwrap_or(rest.len());
            } else if rest.starts_with(b"/*") {
                match memchr::memmem::find(&rest[2..], b"*/") {
                    Some(p) => self.i += p + 4,
                    None => self.i = self.end,
                }
            } else {
                return;
            }
        }
    }

    fn peek_byte(&mut self) -> Option<u8> {
        self.skip_space();
        (self.i < self.end).then(|| self.b[self.i])
    }

    /// The next token; `regex` says whether a `/` starts a regex here.
    fn next(&mut self, regex: bool) -> Tok<'a> {
        self.skip_space();
        if self.i >= self.end {
            return Tok::Eof;
        }
        let b = self.b;
        let c = b[self.i];
        let s = self.i;
        if c.is_ascii_alphabetic() || c == b'_' || c == b'$' || c == b'#' || c == b'@' {
            self.i += 1;
            while self.i < self.end
                && (b[self.i].is_ascii_alphanumeric() || b[self.i] == b'_' || b[self.i] == b'*')
            {
                self.i += 1;
            }
            return Tok::Ident(&b[s..self.i]);
        }
        if c.is_ascii_digit() {
            while self.i < self.end && (b[self.i].is_ascii_alphanumeric() || b[self.i] == b'.') {
                self.i += 1;
            }
            return Tok::Num;
        }
        if c == b'"' || (c == b'/' && regex) {
            self.i += 1;
            while self.i < self.end {
                match b[self.i] {
                    b'\\' => self.i += 2,
                    b'\n' => return Tok::Bad,
                    x if x == c => {
                        self.i += 1;
                        if c == b'/' {
                            while self.i < self.end && matches!(b[self.i], b'i' | b's') {
                                self.i += 1;
                            }
                            return Tok::Regex;
                        }
                        return Tok::Str;
                    }
                    _ => self.i += 1,
                }
            }
            self.i = self.end;
            return Tok::Eof;
        }
        self.i += 1;
        Tok::Punct(c)
    }
}

const YARA_KEYWORDS: &[&str] = &[
    "all",
    "and",
    "any",
    "condition",
    "contains",
    "false",
    "for",
    "global",
    "import",
    "in",
    "meta",
    "none",
    "not",
    "of",
    "or",
    "private",
    "rule",
    "strings",
    "them",
    "true",
];

fn yara_ident(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && (id[0].is_ascii_alphabetic() || id[0] == b'_')
        && id.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
        && !YARA_KEYWORDS.iter().any(|k| k.as_bytes() == id)
}

fn yara(text: &str, start: usize) -> Read {
    let end = (start + MAX_RULE).min(text.len());
    let hit_end = end == text.len();
    let mut lx = Lex {
        b: text.as_bytes(),
        i: start,
        end,
    };
    let eof = |hit_end| if hit_end { Read::Incomplete } else { Read::No };
    // Header: [private|global]* rule NAME [: TAG...] {
    let name = loop {
        match lx.next(false) {
            Tok::Ident(b"private" | b"global") => continue,
            Tok::Ident(b"rule") => {}
            _ => return Read::No,
        }
        match lx.next(false) {
            Tok::Ident(n) if yara_ident(n) => break n,
            Tok::Eof => return eof(hit_end),
            _ => return Read::No,
        }
    };
    let name = String::from_utf8_lossy(name).into_owned();
    match lx.next(false) {
        Tok::Punct(b'{') => {}
        Tok::Punct(b':') => loop {
            match lx.next(false) {
                Tok::Ident(t) if yara_ident(t) => {}
                Tok::Punct(b'{') => break,
                Tok::Eof => return eof(hit_end),
                _ => return Read::No,
            }
        },
        Tok::Eof => return eof(hit_end),
        _ => return Read::No,
    }
    // Sections.
    let mut section = 0; // 1 meta, 2 strings, 3 condition
    let mut cond_tokens = 0;
    let mut depth = 0i32;
    loop {
        let regex_ok = section == 2 || section == 3;
        let tok = lx.next(regex_ok && section == 2);
        match tok {
            Tok::Eof | Tok::Bad if tok == Tok::Eof && hit_end => return Read::Incomplete,
            Tok::Eof | Tok::Bad => return Read::No,
            Tok::Ident(w @ (b"meta" | b"strings" | b"condition"))
                if lx.peek_byte() == Some(b':') && depth == 0 =>
            {
                let n = match w {
                    b"meta" => 1,
                    b"strings" => 2,
                    _ => 3,
                };
                if n <= section {
                    return Read::No;
                }
                lx.next(false);
                section = n;
            }
            Tok::Punct(b'}') if section == 3 && depth == 0 => {
                if cond_tokens == 0 {
                    return Read::No;
                }
                return Read::Found(RuleHit {
                    kind: IocKind::YaraRule,
                    start,
                    end: lx.i,
                    id: name,
                });
            }
            _ if section == 0 => return Read::No,
            Tok::Ident(_) if section == 1 => {
                // meta: key = value
                if lx.next(false) != Tok::Punct(b'=') {
                    return Read::No;
                }
                match lx.next(false) {
                    Tok::Str | Tok::Num | Tok::Ident(b"true" | b"false") => {}
                    Tok::Punct(b'-') if lx.next(false) == Tok::Num => {}
                    Tok::Eof if hit_end => return Read::Incomplete,
                    _ => return Read::No,
                }
            }
            Tok::Ident(id) if section == 2 && id.starts_with(b"$") => {
                if lx.next(false) != Tok::Punct(b'=') {
                    return Read::No;
                }
                match lx.next(true) {
                    Tok::Str | Tok::Regex => {}
                    Tok::Punct(b'{') => {
                        // Hex string: hex digits, wildcards, jumps, alternatives.
                        loop {
                            let Some(c) = lx.peek_byte() else {
                                return eof(hit_end);
                            };
                            lx.i += 1;
                            match c {
                                b'}' => break,
                                c if c.is_ascii_hexdigit() || b"?[]-|()~".contains(&c) => {}
                                _ => return Read::No,
                            }
                        }
                    }
                    Tok::Eof if hit_end => return Read::Incomplete,
                    _ => return Read::No,
                }
                // Modifiers, possibly with arguments, up to the next string.
                while let Some(c) = lx.peek_byte() {
                    if c == b'$' || c == b'}' {
                        break;
                    }
                    let at = lx.i;
                    match lx.next(false) {
                        Tok::Ident(b"condition") => {
                            lx.i = at;
                            break;
                        }
                        Tok::Ident(_)
                        | Tok::Str
                        | Tok::Num
                        | Tok::Punct(b'(' | b')' | b'-' | b',') => {}
                        Tok::Eof if hit_end => return Read::Incomplete,
                        _ => return Read::No,
                    }
                }
            }
            _ if section == 1 || section == 2 => return Read::No,
            Tok::Punct(b'(') => {
                depth += 1;
                cond_tokens += 1;
            }
            Tok::Punct(b')') => {
                depth -= 1;
                if depth < 0 {
                    return Read::No;
                }
            }
            Tok::Punct(b'{') => return Read::No,
            Tok::Ident(b"matches") => {
                cond_tokens += 1;
                match lx.next(true) {
                    Tok::Regex => {}
                    Tok::Eof if hit_end => return Read::Incomplete,
                    _ => return Read::No,
                }
            }
            _ => cond_tokens += 1,
        }
    }
}

fn sigma(text: &str, line_start: usize, indent: usize, last: bool) -> Read {
    let b = text.as_bytes();
    let limit = (line_start + MAX_RULE).min(b.len());
    let mut pos = line_start;
    let mut end = line_start;
    let mut first = true;
    let mut reached_end = false;
    loop {
        if pos >= limit {
            reached_end = limit == b.len();
            break;
        }
        let nl = memchr::memchr(b'\n', &b[pos..limit]).map_or(limit, |p| pos + p + 1);
        let line = &text[pos..nl];
        let body = line.trim_end();
        let ind = body.len() - body.trim_start().len();
        let t = body.trim_start();
        let keep = if first {
            true
        } else if t.is_empty() {
            // A blank line: kept only if more YAML follows (judged on the
            // next line).
            pos = nl;
            continue;
        } else if t.starts_with("```")
            || t == "---"
            || t == "..."
            || t.starts_with("title:") && ind == indent
        {
            false
        } else if ind > indent {
            true
        } else if ind == indent {
            let key = t.split_once(':').is_some_and(|(k, _)| {
                !k.is_empty()
                    && k.bytes()
                        .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
            });
            key || t.starts_with("- ") || t.starts_with('#')
        } else {
            false
        };
        if !keep {
            break;
        }
        first = false;
        pos = nl;
        end = nl;
        if nl == limit {
            reached_end = limit == b.len();
            break;
        }
    }
    if reached_end && !last {
        return Read::Incomplete;
    }
    let block = &text[line_start..end];
    let dedented: String = block
        .lines()
        .map(|l| {
            l.get(indent.min(l.len() - l.trim_start().len())..)
                .unwrap_or("")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let Ok(docs) = Yaml::load_from_str(&dedented) else {
        return Read::No;
    };
    let Some(doc) = docs.first() else {
        return Read::No;
    };
    let title = doc
        .as_mapping_get("title")
        .and_then(|t| t.as_str())
        .map(str::trim);
    let logsource = doc
        .as_mapping_get("logsource")
        .and_then(|l| l.as_mapping())
        .is_some_and(|m| !m.is_empty());
    let condition = doc
        .as_mapping_get("detection")
        .and_then(|d| d.as_mapping_get("condition"))
        .is_some_and(|c| {
            c.as_str().is_some_and(|s| !s.trim().is_empty())
                || c.as_sequence().is_some_and(|s| !s.is_empty())
        });
    match title {
        Some(t) if !t.is_empty() && logsource && condition => {
            let trimmed_end = line_start + block.trim_end().len();
            Read::Found(RuleHit {
                kind: IocKind::SigmaRule,
                start: line_start + indent,
                end: trimmed_end,
                id: t.to_string(),
            })
        }
        _ => Read::No,
    }
}

fn next_rule_or_blank(rest: &[u8]) -> bool {
    let t = rest
        .iter()
        .position(|c| !matches!(c, b' ' | b'\t' | b'\r'))
        .map_or(&rest[rest.len()..], |p| &rest[p..]);
    t.first() == Some(&b'\n')
        || SNORT_ACTIONS
            .iter()
            .any(|a| t.starts_with(a.as_bytes()) && t.get(a.len()) == Some(&b' '))
}

const SNORT_ACTIONS: &[&str] = &[
    "alert",
    "drop",
    "reject",
    "pass",
    "log",
    "sdrop",
    "rejectsrc",
    "rejectdst",
    "rejectboth",
];

fn snort(text: &str, start: usize) -> Read {
    let b = text.as_bytes();
    let word_end = b[start..]
        .iter()
        .position(|c| !c.is_ascii_alphabetic())
        .map_or(b.len(), |p| start + p);
    if !SNORT_ACTIONS.contains(&&text[start..word_end]) || b.get(word_end) != Some(&b' ') {
        return Read::No;
    }
    let limit = (start + 8 * 1024).min(b.len());
    let Some(open) = memchr::memchr(b'(', &b[start..limit]).map(|p| start + p) else {
        return if limit == b.len() && memchr::memchr(b'\n', &b[start..]).is_none() {
            Read::Incomplete
        } else {
            Read::No
        };
    };
    let header: Vec<&str> = text[start..open]
        .split_whitespace()
        .filter(|w| *w != "\\")
        .collect();
    if header.len() != 7
        || !header[1]
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        || !matches!(header[4], "->" | "<>")
    {
        return Read::No;
    }
    // Options up to the closing parenthesis outside quotes.
    let mut i = open + 1;
    let mut quoted = false;
    let mut opts: Vec<(usize, usize)> = Vec::new();
    let mut opt_start = i;
    let close = loop {
        if i >= limit {
            return if limit == b.len() {
                Read::Incomplete
            } else {
                Read::No
            };
        }
        match b[i] {
            b'\\' => i += 1,
            // The next rule (or a blank line) starts: this one never closed.
            // Stopping here keeps the scan of many open rules linear.
            b'\n' if next_rule_or_blank(&b[i + 1..limit]) => return Read::No,
            b'"' => quoted = !quoted,
            b';' if !quoted => {
                opts.push((opt_start, i));
                opt_start = i + 1;
            }
            b')' if !quoted && text[opt_start..i].trim().is_empty() => break i,
            _ => {}
        }
        i += 1;
    };
    let mut msg = false;
    let mut sid = None;
    for (s, e) in opts {
        let o = text[s..e].trim();
        let (k, v) = o
            .split_once(':')
            .map_or((o, ""), |(k, v)| (k.trim(), v.trim()));
        match k {
            "msg" => msg = v.starts_with('"') && v.ends_with('"') && v.len() >= 2,
            "sid" if !v.is_empty() && v.bytes().all(|c| c.is_ascii_digit()) => {
                sid = Some(v.to_string())
            }
            _ => {}
        }
    }
    match sid {
        Some(id) if msg => Read::Found(RuleHit {
            kind: IocKind::SnortRule,
            start,
            end: close + 1,
            id,
        }),
        _ => Read::No,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const YARA: &str = r#"rule APT29_WellMess_Marker : apt29 wellmess {
    meta:
        author = "analyst"
        score = 80
    strings:
        $a = "WellMess" ascii wide
        $b = { 4D 5A ?? [2-4] 90 }
        $c = /botlib\.[a-z]+/ nocase
    condition:
        uint16(0) == 0x5A4D and (2 of ($a, $b, $c)) and filesize < 5MB
}"#;

    #[test]
    fn yara_whole_and_truncated() {
        let text = format!("Intro.\n\n{YARA}\n\nAfter.");
        let (hits, _) = find(&text, true);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].id, "APT29_WellMess_Marker");
        assert_eq!(&text[hits[0].start..hits[0].end], YARA);
        let cut = &YARA[..YARA.len() - 3];
        assert!(find(cut, true).0.is_empty());
        assert_eq!(find(cut, false).1, Some(0));
        let no_cond = YARA.replace("condition:", "conditions");
        assert!(find(&no_cond, true).0.is_empty());
        let open_str = YARA.replace("\"WellMess\"", "\"WellMess");
        assert!(find(&open_str, true).0.is_empty());
    }

    const SIGMA: &str = "title: Suspicious Citrix Template Write\nid: 1\nlogsource:\n    product: linux\n    service: auditd\ndetection:\n    sel:\n        path|startswith: '/var/tmp/netscaler/portal/templates/'\n    condition: sel\nlevel: high\n";

    #[test]
    fn sigma_valid_and_not() {
        let text = format!("Use this rule:\n\n{SIGMA}\nThat is all.\n");
        let (hits, _) = find(&text, true);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].id, "Suspicious Citrix Template Write");
        let no_cond = SIGMA.replace("condition: sel", "other: sel");
        assert!(find(&no_cond, true).0.is_empty());
        let indented: String = SIGMA.lines().map(|l| format!("    {l}\n")).collect();
        assert_eq!(find(&indented, true).0.len(), 1);
    }

    #[test]
    fn snort_valid_and_not() {
        let r = r#"alert tcp $HOME_NET any -> $EXTERNAL_NET 443 (msg:"ET MALWARE WellMess; beacon"; flow:established,to_server; content:"|16 03|"; sid:2031234; rev:1;)"#;
        let (hits, _) = find(r, true);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].id, "2031234");
        assert_eq!(hits[0].end, r.len());
        assert!(find(&r.replace("sid:2031234; ", ""), true).0.is_empty());
        assert!(
            find(
                &r.replace("msg:\"ET MALWARE WellMess; beacon\"; ", ""),
                true
            )
            .0
            .is_empty()
        );
        assert!(find(&r[..r.len() - 10], true).0.is_empty());
        assert!(
            find("alert the team when it happens (soon).", true)
                .0
                .is_empty()
        );
    }
}
