//! Plain lists: one value per line, `#` comments, blank lines ignored,
//! defanged values refanged, each value classified. A line may carry a
//! note after the value (`1.2.3.4  # C2`, `evil.top<TAB>phishing`), which
//! becomes its description. Lines are read with a length cap, so one
//! endless line cannot exhaust memory.

use super::{FormatError, Meta, Sink};
use std::io::{BufRead, BufReader, Read};

/// Longest line read; the rest of a longer line is skipped with a problem.
pub const MAX_LINE: usize = 64 * 1024;

pub(crate) fn import(r: impl Read, sink: &mut Sink<'_>) -> Result<(), FormatError> {
    let mut r = BufReader::new(r);
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    loop {
        buf.clear();
        line_no += 1;
        let (n, overlong) =
            read_line_capped(&mut r, &mut buf, MAX_LINE).map_err(|source| FormatError::Io {
                file: sink.name.clone(),
                source,
            })?;
        if n == 0 {
            return Ok(());
        }
        sink.add_bytes(n as u64);
        let item = format!("{}:{line_no}", sink.name);
        if overlong {
            sink.problem(&item, format!("line longer than {MAX_LINE} bytes skipped"));
            continue;
        }
        let text = String::from_utf8_lossy(&buf);
        let line = text.trim_start_matches('\u{feff}').trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if !sink.count_object(&item) {
            return Ok(());
        }
        let (value, note) = split_note(line);
        let meta = Meta {
            description: note.map(str::to_string),
            to_ids: true,
            confidence: Some(0.7),
            ..Meta::default()
        };
        if super::classify::classify(value).is_some() {
            sink.classified(&item, value, meta);
        } else {
            // A value with spaces (a Windows path) or a first word with a note.
            match line.split_once(char::is_whitespace) {
                Some((first, rest)) if super::classify::classify(first).is_some() => {
                    let meta = Meta {
                        description: Some(rest.trim().to_string()),
                        ..meta
                    };
                    sink.classified(&item, first, meta);
                }
                _ => {
                    sink.classified(&item, line, meta);
                }
            }
        }
    }
}

/// Splits `value  # note` (a `#` after blank space; a `#` inside a URL is
/// part of it).
fn split_note(line: &str) -> (&str, Option<&str>) {
    let b = line.as_bytes();
    for i in 1..b.len() {
        if b[i] == b'#' && b[i - 1].is_ascii_whitespace() {
            return (line[..i].trim_end(), Some(line[i + 1..].trim()));
        }
    }
    (line, None)
}

/// Reads one line (without its end) into `buf`, keeping at most `cap`
/// bytes. Returns the bytes consumed and whether the line was longer.
pub(crate) fn read_line_capped(
    r: &mut impl BufRead,
    buf: &mut Vec<u8>,
    cap: usize,
) -> std::io::Result<(usize, bool)> {
    let mut consumed = 0;
    let mut over = false;
    loop {
        let chunk = match r.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok((consumed, over));
        }
        let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        let data = &chunk[..take];
        let data = data.strip_suffix(b"\n").unwrap_or(data);
        let room = cap.saturating_sub(buf.len());
        if data.len() > room {
            over = true;
        }
        buf.extend_from_slice(&data[..data.len().min(room)]);
        r.consume(take);
        consumed += take;
        if done {
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            return Ok((consumed, over));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_split_only_after_blank_space() {
        assert_eq!(split_note("1.2.3.4  # C2"), ("1.2.3.4", Some("C2")));
        assert_eq!(
            split_note("http://a.top/x#frag"),
            ("http://a.top/x#frag", None)
        );
    }

    #[test]
    fn long_lines_are_capped_and_reported() {
        let text = format!("{}\nshort\n", "a".repeat(100));
        let mut r = BufReader::with_capacity(16, text.as_bytes());
        let mut buf = Vec::new();
        assert_eq!(read_line_capped(&mut r, &mut buf, 10).unwrap(), (101, true));
        assert_eq!(buf.len(), 10);
        buf.clear();
        assert_eq!(read_line_capped(&mut r, &mut buf, 10).unwrap(), (6, false));
        assert_eq!(buf, b"short");
    }
}
