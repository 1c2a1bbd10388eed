//! Sentences and word boundaries of a document's text, shared by name and
//! technique recognition.

/// Words after which a full stop does not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "no", "fig", "inc", "ltd", "corp", "co",
    "jr", "sr", "st", "approx", "cf", "al", "u.s", "u.k", "u.s.a", "d.p.r.k", "u.a.e", "jan",
    "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
];

/// Longest sentence kept as evidence, in characters.
pub(crate) const MAX_SENTENCE: usize = 400;

/// Byte spans of the sentences of a text, in order.
#[derive(Debug)]
pub(crate) struct Sentences {
    spans: Vec<(usize, usize)>,
}

impl Sentences {
    /// Splits at `.`, `!` or `?` followed by white space (unless the word
    /// before is an abbreviation or a single letter), at blank lines, and
    /// at line starts that look like list items or headings.
    pub(crate) fn split(text: &str) -> Sentences {
        let bytes = text.as_bytes();
        let mut spans = Vec::new();
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            let end_here = match b {
                b'.' | b'!' | b'?' => {
                    let next = bytes.get(i + 1).copied();
                    matches!(next, None | Some(b' ' | b'\n' | b'\r' | b'\t'))
                        && (b != b'.' || !abbreviation_before(text, i))
                }
                b'\n' => {
                    // A blank line, or a new line starting a list item.
                    let rest = &text[i + 1..];
                    let trimmed = rest.trim_start_matches([' ', '\t']);
                    let next_line = rest.split('\n').next().unwrap_or("");
                    rest.starts_with('\n')
                        || rest.starts_with("\r\n")
                        || trimmed.starts_with(['-', '*', '•', '#'])
                        || line_is_heading(&text[start..i])
                        || line_is_record(last_line(&text[start..i]))
                        || line_is_record(next_line)
                }
                _ => false,
            };
            if end_here {
                push_span(text, &mut spans, start, i + 1);
                start = i + 1;
            }
            i += 1;
        }
        push_span(text, &mut spans, start, text.len());
        Sentences { spans }
    }

    /// The span of the sentence holding byte `offset`.
    pub(crate) fn span_at(&self, offset: usize) -> Option<(usize, usize)> {
        let i = self.spans.partition_point(|&(_, end)| end <= offset);
        self.spans.get(i).copied().filter(|&(s, _)| s <= offset)
    }

    /// Every sentence span.
    pub(crate) fn spans(&self) -> &[(usize, usize)] {
        &self.spans
    }
}

fn push_span(text: &str, spans: &mut Vec<(usize, usize)>, start: usize, end: usize) {
    if !text[start..end].trim().is_empty() {
        spans.push((start, end));
    }
}

/// Whether the word ending just before the `.` at `dot` is an
/// abbreviation or an initial (`U.K.`, `e.g.`, `J.`).
fn abbreviation_before(text: &str, dot: usize) -> bool {
    // A word longer than this is no abbreviation; the bound keeps the
    // split linear on text without spaces.
    let mut from = dot.saturating_sub(16);
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    let before = &text[from..dot];
    // White space may be wider than one byte (U+2009 THIN SPACE).
    let word_start = match before
        .char_indices()
        .rev()
        .find(|&(_, c)| c.is_whitespace() || c == '(')
    {
        Some((p, c)) => p + c.len_utf8(),
        None if from > 0 => return false,
        None => 0,
    };
    let word = before[word_start..].to_ascii_lowercase();
    if word.chars().count() == 1 && word.chars().all(char::is_alphabetic) {
        return true;
    }
    ABBREVIATIONS.contains(&word.as_str())
}

/// The last line of a text.
fn last_line(text: &str) -> &str {
    text.rsplit('\n').next().unwrap_or(text)
}

/// A row of a table or a CSV record: each line is a statement of its own
/// (`a | b | c`, `2023-03-08,url,hxxp://...,E4,loader download`).
fn line_is_record(line: &str) -> bool {
    line.matches('|').count() >= 2 || (line.matches(',').count() >= 3 && !line.contains(", "))
}

/// A short line without final punctuation (a title or heading).
fn line_is_heading(line: &str) -> bool {
    let line = line.rsplit('\n').next().unwrap_or(line).trim();
    !line.is_empty()
        && line.len() < 80
        && !line.ends_with([',', ';', ':', '-'])
        && line.split_whitespace().count() <= 8
}

/// A sentence as evidence: white space collapsed, at most
/// [`MAX_SENTENCE`] characters.
pub(crate) fn evidence(sentence: &str) -> String {
    let mut out = String::with_capacity(sentence.len().min(MAX_SENTENCE * 4));
    for (n, word) in sentence.split_whitespace().enumerate() {
        if n > 0 {
            out.push(' ');
        }
        out.push_str(word);
        if out.chars().count() >= MAX_SENTENCE {
            break;
        }
    }
    match out.char_indices().nth(MAX_SENTENCE) {
        Some((cut, _)) => out[..cut].to_string(),
        None => out,
    }
}

/// Whether `c` continues a word.
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `text[start..end]` stands as whole words: not glued to letters
/// or digits, and not part of a dotted or slashed token (a domain, a file
/// name, a path, an e-mail address).
pub(crate) fn whole_word(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let mut after = text[end..].chars();
    let next = after.next();
    let next2 = after.next();
    if before.is_some_and(|c| is_word_char(c) || matches!(c, '.' | '/' | '\\' | '@' | '$' | '%')) {
        return false;
    }
    match next {
        Some(c) if is_word_char(c) => false,
        Some('.' | '@' | '/' | '\\') if next2.is_some_and(is_word_char) => false,
        // Defanged domains: `name[.]com`, `name(.)com`, `name{.}com`.
        Some('[' | '(' | '{') if next2 == Some('.') => false,
        _ => true,
    }
}

/// The word before `start` and the word after `end` on the same line, each
/// only when a single space separates it from the match.
pub(crate) fn neighbours(text: &str, start: usize, end: usize) -> (Option<&str>, Option<&str>) {
    let before = text[..start]
        .strip_suffix(' ')
        .and_then(|b| b.rsplit([' ', '\n', '\t']).next())
        .filter(|w| !w.is_empty());
    let after = text[end..]
        .strip_prefix(' ')
        .and_then(|a| a.split([' ', '\n', '\t']).next())
        .filter(|w| !w.is_empty());
    (before, after)
}

/// A word written in capitals (two letters or more, no digits).
pub(crate) fn is_shouted(word: &str) -> bool {
    let word = word.trim_matches(|c: char| !c.is_alphanumeric());
    word.chars().count() >= 2 && word.chars().all(|c| c.is_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_split_at_stops_but_not_abbreviations() {
        let text = "The U.S. and the U.K. agree. APT29 used WellMess! Did it? Yes, e.g. in 2020.\n\nHeading\n- item one";
        let s = Sentences::split(text);
        let got: Vec<&str> = s.spans().iter().map(|&(a, b)| text[a..b].trim()).collect();
        assert_eq!(
            got,
            vec![
                "The U.S. and the U.K. agree.",
                "APT29 used WellMess!",
                "Did it?",
                "Yes, e.g. in 2020.",
                "Heading",
                "- item one"
            ]
        );
        let at = text.find("WellMess").unwrap();
        let (a, b) = s.span_at(at).unwrap();
        assert_eq!(text[a..b].trim(), "APT29 used WellMess!");
    }

    #[test]
    fn wide_white_space_before_a_full_stop() {
        // Found by fuzzing: a thin space (three bytes) before `sX\0_s.`.
        let text = "=[2[2..\n\u{2009}sX\0_s.";
        let s = Sentences::split(text);
        assert!(!s.spans().is_empty());
        assert!(abbreviation_before("a\u{2009}e.g.", 7));
    }

    #[test]
    fn table_rows_and_csv_records_are_sentences_of_their_own() {
        let text = "Columns: a | b | c\nx | C2 | one\ny | TLS | two\n2023,url,hxxp://a,E4,loader\n2023,ip,1.2.3.4,E5,C2\nwrapped prose, with a comma,\ngoes on here.";
        let s = Sentences::split(text);
        let got: Vec<&str> = s.spans().iter().map(|&(a, b)| text[a..b].trim()).collect();
        assert_eq!(
            got,
            vec![
                "Columns: a | b | c",
                "x | C2 | one",
                "y | TLS | two",
                "2023,url,hxxp://a,E4,loader",
                "2023,ip,1.2.3.4,E5,C2",
                "wrapped prose, with a comma,\ngoes on here."
            ]
        );
    }

    #[test]
    fn whole_words_exclude_tokens_with_dots_and_letters() {
        let t = "use WellMess. wellmess.exe xWellMess WellMess-based";
        let check = |word: &str, nth: usize| {
            let at = t.match_indices(word).nth(nth).unwrap().0;
            whole_word(t, at, at + word.len())
        };
        assert!(check("WellMess", 0));
        assert!(!check("wellmess", 0)); // wellmess.exe
        assert!(!check("WellMess", 1)); // xWellMess
        assert!(check("WellMess", 2)); // WellMess-based
    }

    #[test]
    fn evidence_collapses_space_and_caps_length() {
        assert_eq!(evidence("a \n  b\tc"), "a b c");
        let long = "word ".repeat(200);
        assert_eq!(evidence(&long).chars().count(), MAX_SENTENCE);
    }
}
