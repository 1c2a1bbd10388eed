//! The sentence an indicator came from: bounded scans back and forward from
//! the indicator to a sentence end (`.`, `!`, `?` before a space), a blank
//! line, or a line break that ends a short line or starts a list item;
//! whitespace collapsed, cut to the maximum length around the indicator.

/// How far a scan goes each way, in bytes per allowed character; keeps the
/// cost per indicator bounded whatever the text.
const SCAN_FACTOR: usize = 4;

/// Lines shorter than this end their sentence at the line break (lists,
/// table rows, headings); longer lines are wrapped prose.
const SHORT_LINE: usize = 40;

fn is_list_start(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with(['-', '*', '•', '|', '#', '>'])
        || t.split_once(['.', ')']).is_some_and(|(n, _)| {
            !n.is_empty() && n.len() <= 3 && n.bytes().all(|b| b.is_ascii_digit())
        })
}

fn floor(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Whether a line break at `nl` (index of `\n`) ends a sentence.
fn line_break_ends(text: &str, nl: usize, lo: usize, hi: usize) -> bool {
    let before = &text[lo..nl];
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    let line = before[line_start..].trim_end();
    let hi = hi.max(nl + 1);
    let next_end = text[nl + 1..hi].find('\n').map_or(hi, |p| nl + 1 + p);
    let next = &text[nl + 1..next_end];
    let next_t = next.trim_start();
    // A short line ends its sentence unless the next line plainly carries
    // on with it (starts in lower case after a line of several words).
    let carries_on = next_t.starts_with(|c: char| c.is_lowercase()) && line.trim().contains(' ');
    line.trim().is_empty()
        || next_t.is_empty()
        || (line.len() < SHORT_LINE && !carries_on)
        || line.ends_with(':')
        || is_list_start(next)
}

/// The sentence around `start..end` of `text`, at most `max` characters.
pub(crate) fn sentence(text: &str, start: usize, end: usize, max: usize) -> String {
    let reach = max.saturating_mul(SCAN_FACTOR).max(64);
    let lo = floor(text, start.saturating_sub(reach));
    let hi = ceil(text, end.saturating_add(reach).min(text.len()));
    let b = text.as_bytes();
    // Back to the previous boundary.
    let mut s = start;
    while s > lo {
        let c = b[s - 1];
        if c == b'\n' && line_break_ends(text, s - 1, lo, hi) {
            break;
        }
        if matches!(c, b' ' | b'\t' | b'\n')
            && s >= 2
            && matches!(b[s - 2], b'.' | b'!' | b'?')
            && s - 1 < start
        {
            break;
        }
        s -= 1;
    }
    // Forward to the next boundary.
    let mut e = end;
    while e < hi {
        let c = b[e];
        if c == b'\n' && line_break_ends(text, e, lo, hi) {
            break;
        }
        if matches!(c, b'.' | b'!' | b'?')
            && (e + 1 == b.len() || matches!(b[e + 1], b' ' | b'\t' | b'\n' | b'\r'))
        {
            e += 1;
            break;
        }
        e += 1;
    }
    let (s, e) = (floor(text, s), ceil(text, e));
    let collapsed = collapse(&text[s..e]);
    if collapsed.chars().count() <= max {
        return collapsed;
    }
    // Too long: keep a window around the indicator.
    let ind_at = collapse(&text[s..start]).chars().count();
    let chars: Vec<char> = collapsed.chars().collect();
    let from = ind_at
        .saturating_sub(max / 3)
        .min(chars.len().saturating_sub(max));
    chars[from..(from + max).min(chars.len())]
        .iter()
        .collect::<String>()
        .trim()
        .to_string()
}

/// Collapses runs of whitespace to one space and trims.
pub(crate) fn collapse(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn around(text: &str, needle: &str, max: usize) -> String {
        let s = text.find(needle).unwrap();
        sentence(text, s, s + needle.len(), max)
    }

    #[test]
    fn prose_sentence() {
        let t = "First one. The actor used evil.com for C2.  Next sentence here.";
        assert_eq!(
            around(t, "evil.com", 400),
            "The actor used evil.com for C2."
        );
    }

    #[test]
    fn wrapped_lines_and_lists() {
        let t = "The actor then connected to the command and control server at\n   evil.com over port 443, as seen in logs.\n\nIndicators:\n- 1.2.3.4\n- 5.6.7.8\n";
        assert_eq!(
            around(t, "evil.com", 400),
            "The actor then connected to the command and control server at evil.com over port 443, as seen in logs."
        );
        assert_eq!(around(t, "5.6.7.8", 400), "- 5.6.7.8");
    }

    #[test]
    fn long_sentence_is_cut_around() {
        let t = format!("{} evil.com {}", "word ".repeat(300), "more ".repeat(300));
        let s = around(&t, "evil.com", 100);
        assert!(s.chars().count() <= 100);
        assert!(s.contains("evil.com"));
    }
}
