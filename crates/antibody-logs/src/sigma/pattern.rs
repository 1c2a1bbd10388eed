//! Sigma string values as literal pieces and wildcards, the
//! transformations of the encoding modifiers, and their compilation into
//! the cheapest comparison that does the job (exact, prefix, suffix,
//! substring, or a regex only when the wildcards need one).

use super::value::{Pred, REGEX_SIZE_LIMIT, StrPred};
use base64::Engine as _;
use memchr::memmem;
use regex::bytes::RegexBuilder;

/// Most `windash` variants generated before falling back to a regex.
const WINDASH_MAX_VARIANTS: usize = 125;

/// The dash characters `windash` makes interchangeable.
const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

/// The Sigma escape rules applied to a value that is not a wildcard
/// pattern (encoded values): `\*`, `\?`, `\\` become the plain character.
pub(crate) fn unescape_plain(t: &str) -> Vec<u8> {
    let mut p = Pattern::parse(t);
    for part in &mut p.parts {
        match part {
            Part::Star => *part = Part::Lit(b"*".to_vec()),
            Part::One => *part = Part::Lit(b"?".to_vec()),
            _ => {}
        }
    }
    p.literal_bytes()
}

pub(crate) fn utf16(bytes: &[u8], big_endian: bool, bom: bool) -> Vec<u8> {
    let s = String::from_utf8_lossy(bytes);
    let mut out = Vec::with_capacity(bytes.len() * 2 + 2);
    if bom {
        out.extend_from_slice(&[0xff, 0xfe]);
    }
    for u in s.encode_utf16() {
        if big_endian {
            out.extend_from_slice(&u.to_be_bytes());
        } else {
            out.extend_from_slice(&u.to_le_bytes());
        }
    }
    out
}

/// The three base64 forms of `value` at offsets 0, 1 and 2 of a longer
/// encoded string, without the characters that depend on the neighbours
/// (the same construction as the reference implementation).
pub(crate) fn base64_offsets(value: &[u8]) -> Vec<Vec<u8>> {
    const START: [usize; 3] = [0, 2, 3];
    const END: [usize; 3] = [0, 3, 2];
    (0..3)
        .map(|i| {
            let mut padded = vec![b' '; i];
            padded.extend_from_slice(value);
            let enc = base64::engine::general_purpose::STANDARD
                .encode(&padded)
                .into_bytes();
            let cut = END[(value.len() + i) % 3];
            let end = enc.len().saturating_sub(cut);
            enc.get(START[i]..end).unwrap_or_default().to_vec()
        })
        .filter(|v| !v.is_empty())
        .collect()
}

pub(crate) fn windash(variants: Vec<Pattern>) -> Vec<Pattern> {
    let mut out = Vec::new();
    for p in variants {
        let dashes: usize = p
            .parts
            .iter()
            .map(|part| match part {
                Part::Lit(b) => String::from_utf8_lossy(b)
                    .chars()
                    .filter(|c| DASHES.contains(c))
                    .count(),
                _ => 0,
            })
            .sum();
        if dashes == 0 {
            out.push(p);
            continue;
        }
        if DASHES.len().pow(dashes.min(8) as u32) > WINDASH_MAX_VARIANTS {
            // Too many permutations: one pattern with a dash class instead.
            let mut q = p.clone();
            q.dash_class = true;
            out.push(q);
            continue;
        }
        let mut acc = vec![Pattern {
            parts: Vec::new(),
            dash_class: false,
        }];
        for part in p.parts {
            match part {
                Part::Lit(bytes) => {
                    let s = String::from_utf8_lossy(&bytes).into_owned();
                    for c in s.chars() {
                        let choices: Vec<char> = if DASHES.contains(&c) {
                            DASHES.to_vec()
                        } else {
                            vec![c]
                        };
                        let mut next = Vec::with_capacity(acc.len() * choices.len());
                        for a in &acc {
                            for ch in &choices {
                                let mut b = a.clone();
                                let mut buf = [0u8; 4];
                                b.push_lit(ch.encode_utf8(&mut buf).as_bytes());
                                next.push(b);
                            }
                        }
                        acc = next;
                    }
                }
                other => acc.iter_mut().for_each(|a| a.parts.push(other.clone())),
            }
        }
        out.extend(acc);
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Part {
    Lit(Vec<u8>),
    Star,
    One,
}

/// A value as literal pieces and wildcards.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pattern {
    parts: Vec<Part>,
    /// `windash` with too many dashes: any dash matches any dash.
    dash_class: bool,
}

impl Pattern {
    pub(crate) fn literal(bytes: Vec<u8>) -> Pattern {
        Pattern {
            parts: vec![Part::Lit(bytes)],
            dash_class: false,
        }
    }

    /// Parses Sigma wildcards and escapes: `*`, `?`; `\*`, `\?` are plain;
    /// `\\` before a wildcard is one backslash; other backslashes are plain.
    pub(crate) fn parse(t: &str) -> Pattern {
        let mut p = Pattern {
            parts: Vec::new(),
            dash_class: false,
        };
        let b = t.as_bytes();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'*' => p.parts.push(Part::Star),
                b'?' => p.parts.push(Part::One),
                b'\\' => {
                    // Count the run of backslashes.
                    let start = i;
                    while i < b.len() && b[i] == b'\\' {
                        i += 1;
                    }
                    let run = i - start;
                    let next = b.get(i).copied();
                    if matches!(next, Some(b'*') | Some(b'?')) {
                        // Pairs are escaped backslashes; an odd one escapes
                        // the wildcard.
                        for _ in 0..run / 2 {
                            p.push_lit(b"\\");
                        }
                        if run % 2 == 1 {
                            p.push_lit(&[next.unwrap_or(b'*')]);
                            i += 1;
                        }
                    } else {
                        // Not before a wildcard: `\\` is one backslash, a
                        // single one is itself.
                        for _ in 0..run.div_ceil(2) {
                            p.push_lit(b"\\");
                        }
                    }
                    continue;
                }
                c => p.push_lit(&[c]),
            }
            i += 1;
        }
        p
    }

    fn push_lit(&mut self, bytes: &[u8]) {
        if let Some(Part::Lit(last)) = self.parts.last_mut() {
            last.extend_from_slice(bytes);
        } else {
            self.parts.push(Part::Lit(bytes.to_vec()));
        }
    }

    pub(crate) fn literal_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for p in &self.parts {
            match p {
                Part::Lit(b) => out.extend_from_slice(b),
                Part::Star => out.push(b'*'),
                Part::One => out.push(b'?'),
            }
        }
        out
    }

    pub(crate) fn map_bytes(self, f: impl Fn(&[u8]) -> Vec<u8>) -> Pattern {
        Pattern::literal(f(&self.literal_bytes()))
    }

    pub(crate) fn star_front(&mut self) {
        if self.parts.first() != Some(&Part::Star) {
            self.parts.insert(0, Part::Star);
        }
    }

    pub(crate) fn star_back(&mut self) {
        if self.parts.last() != Some(&Part::Star) {
            self.parts.push(Part::Star);
        }
    }

    pub(crate) fn compile(self, cased: bool) -> Result<Pred, regex::Error> {
        let fold = |b: &[u8]| -> Vec<u8> {
            if cased {
                b.to_vec()
            } else {
                lower(b).into_owned()
            }
        };
        if !self.dash_class {
            let lits: Vec<&Vec<u8>> = self
                .parts
                .iter()
                .filter_map(|p| match p {
                    Part::Lit(b) => Some(b),
                    _ => None,
                })
                .collect();
            let shape: Vec<u8> = self
                .parts
                .iter()
                .map(|p| match p {
                    Part::Lit(_) => b'L',
                    Part::Star => b'*',
                    Part::One => b'?',
                })
                .collect();
            let pred = match shape.as_slice() {
                b"" => Some(StrPred::Exact(Vec::new())),
                b"*" => Some(StrPred::Any),
                b"L" => Some(StrPred::Exact(fold(lits[0]))),
                b"L*" => Some(StrPred::Prefix(fold(lits[0]))),
                b"*L" => Some(StrPred::Suffix(fold(lits[0]))),
                b"*L*" => Some(StrPred::Contains(Box::new(
                    memmem::Finder::new(&fold(lits[0])).into_owned(),
                ))),
                _ => None,
            };
            if let Some(pred) = pred {
                return Ok(Pred::Str { pred, cased });
            }
        }
        let mut re = String::from("^");
        for p in &self.parts {
            match p {
                Part::Star => re.push_str("(?s:.*)"),
                Part::One => re.push_str("(?s:.)"),
                Part::Lit(b) => {
                    let text = String::from_utf8_lossy(&fold(b)).into_owned();
                    if self.dash_class {
                        for c in text.chars() {
                            if DASHES.contains(&c) {
                                re.push_str("[-/\u{2013}\u{2014}\u{2015}]");
                            } else {
                                re.push_str(&regex::escape(&c.to_string()));
                            }
                        }
                    } else {
                        re.push_str(&regex::escape(&text));
                    }
                }
            }
        }
        re.push('$');
        let rx = RegexBuilder::new(&re)
            .unicode(true)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()?;
        // The longest literal piece: text any match must contain (used by
        // the line prefilter). With a dash class, dashes vary: none then.
        let literal = if self.dash_class {
            Vec::new()
        } else {
            self.parts
                .iter()
                .filter_map(|p| match p {
                    Part::Lit(b) => Some(fold(b)),
                    _ => None,
                })
                .max_by_key(Vec::len)
                .unwrap_or_default()
        };
        Ok(Pred::Str {
            pred: StrPred::Pattern(Box::new(rx), literal),
            cased,
        })
    }
}

/// Lowercases for case-insensitive comparison (Unicode-aware when the
/// bytes are UTF-8, ASCII otherwise).
pub fn lower(b: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if b.iter().all(|c| !c.is_ascii_uppercase() && c.is_ascii()) {
        return std::borrow::Cow::Borrowed(b);
    }
    match std::str::from_utf8(b) {
        Ok(s) => std::borrow::Cow::Owned(s.to_lowercase().into_bytes()),
        Err(_) => std::borrow::Cow::Owned(b.to_ascii_lowercase()),
    }
}
