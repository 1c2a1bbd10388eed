//! Zeek's TSV format: `#separator`, `#set_separator`, `#empty_field`,
//! `#unset_field`, `#path`, `#fields` headers (again whenever rotated files
//! were concatenated), then one line per entry with `\xHH` escapes for
//! separators and unprintable bytes.

use super::records::{self, Row};
use super::{ReadCtx, ZeekError, ZeekLog, ZeekReader, line_text, lines, log_kind};
use crate::model::RecordSink;
use std::borrow::Cow;

/// Header state; reset by each `#separator`.
struct Header {
    sep: u8,
    set_sep: u8,
    empty: String,
    unset: String,
    path: Option<String>,
    fields: Option<Vec<String>>,
    /// Column of each of the kind's fields, resolved at the first data line.
    cols: Option<(Option<ZeekLog>, Vec<Option<usize>>)>,
    unsupported_reported: bool,
}

impl Default for Header {
    fn default() -> Self {
        Header {
            sep: b'\t',
            set_sep: b',',
            empty: "(empty)".to_string(),
            unset: "-".to_string(),
            path: None,
            fields: None,
            cols: None,
            unsupported_reported: false,
        }
    }
}

/// `\xHH` escapes to bytes (`\x09` → tab); other text as it is.
pub(crate) fn unescape(s: &str) -> Cow<'_, str> {
    if memchr::memchr(b'\\', s.as_bytes()).is_none() {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1] == b'x'
            && let (Some(h), Some(l)) = (hex(b[i + 2]), hex(b[i + 3]))
        {
            out.push(h << 4 | l);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    match String::from_utf8(out) {
        Ok(s) => Cow::Owned(s),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// The header's single-byte separator value (`\x09`, `,`).
fn sep_byte(value: &str) -> Option<u8> {
    match unescape(value).as_bytes() {
        [b] => Some(*b),
        _ => None,
    }
}

struct TsvRow<'a> {
    line: &'a str,
    spans: &'a [(usize, usize)],
    cols: &'a [Option<usize>],
    header: &'a Header,
    /// The line has a backslash somewhere; most lines have none, and then
    /// no field needs unescaping.
    escaped: bool,
}

impl TsvRow<'_> {
    fn raw(&self, f: usize) -> Option<&str> {
        let col = (*self.cols.get(f)?)?;
        let (s, e) = *self.spans.get(col)?;
        let v = &self.line[s..e];
        (v != self.header.unset).then_some(v)
    }
}

impl Row for TsvRow<'_> {
    fn get(&self, f: usize) -> Option<Cow<'_, str>> {
        let v = self.raw(f)?;
        if v == self.header.empty {
            return Some(Cow::Borrowed(""));
        }
        Some(if self.escaped {
            unescape(v)
        } else {
            Cow::Borrowed(v)
        })
    }

    fn list(&self, f: usize) -> Vec<String> {
        match self.raw(f) {
            None => Vec::new(),
            Some(v) if v == self.header.empty || v.is_empty() => Vec::new(),
            Some(v) => v
                .split(self.header.set_sep as char)
                .map(|e| unescape(e).into_owned())
                .collect(),
        }
    }
}

/// Reads a TSV log; returns the unsupported `#path` seen, if any.
pub(crate) fn read(
    reader: &mut ZeekReader,
    data: &[u8],
    ctx: &mut ReadCtx<'_>,
    out: &mut dyn RecordSink,
) -> Result<Option<String>, ZeekError> {
    let limits = reader.limits;
    let mut h = Header::default();
    let mut unsupported = None;
    let mut spans: Vec<(usize, usize)> = Vec::with_capacity(32);
    for (n, raw) in lines(data) {
        if raw.is_empty() {
            continue;
        }
        if raw[0] == b'#' {
            let text = String::from_utf8_lossy(raw);
            let (key, value) = text.split_once([' ', h.sep as char]).unwrap_or((&text, ""));
            match key {
                "#separator" => {
                    h = Header::default();
                    h.sep = sep_byte(value.trim()).ok_or_else(|| ZeekError::BadSeparator {
                        name: ctx.name.to_string(),
                        line: n,
                        found: value.to_string(),
                    })?;
                }
                "#set_separator" => h.set_sep = sep_byte(value).unwrap_or(b','),
                "#empty_field" => h.empty = value.to_string(),
                "#unset_field" => h.unset = value.to_string(),
                "#path" => {
                    h.path = Some(value.to_string());
                    h.cols = None;
                }
                "#fields" => {
                    h.fields = Some(value.split(h.sep as char).map(str::to_string).collect());
                    h.cols = None;
                }
                _ => {} // #open, #close, #types, comments
            }
            continue;
        }
        ctx.stats.lines += 1;
        let Some(fields) = &h.fields else {
            return Err(ZeekError::MissingFields {
                name: ctx.name.to_string(),
                line: n,
            });
        };
        if h.cols.is_none() {
            let kind = log_kind(ctx.name, h.path.as_deref());
            let cols = match kind {
                Some(k) => records::fields(k)
                    .iter()
                    .map(|want| fields.iter().position(|f| f == want))
                    .collect(),
                None => Vec::new(),
            };
            h.cols = Some((kind, cols));
        }
        let Some((kind, cols)) = &h.cols else {
            continue;
        };
        let Some(kind) = *kind else {
            ctx.stats.unsupported_lines += 1;
            let path = h.path.clone().unwrap_or_else(|| ctx.name.to_string());
            if !h.unsupported_reported {
                h.unsupported_reported = true;
                ctx.anomaly(
                    out,
                    "zeek_unsupported_log",
                    n,
                    &format!("log {path:?} not read"),
                );
            }
            unsupported.get_or_insert(path);
            continue;
        };
        let Some(text) = line_text(raw, n, &limits, ctx, out) else {
            continue;
        };
        spans.clear();
        let mut start = 0;
        for i in memchr::memchr_iter(h.sep, text.as_bytes()) {
            spans.push((start, i));
            start = i + 1;
        }
        spans.push((start, text.len()));
        if spans.len() != fields.len() {
            let why = format!("expected {} fields, found {}", fields.len(), spans.len());
            ctx.bad_line(out, n, &why);
            continue;
        }
        let row = TsvRow {
            line: &text,
            spans: &spans,
            cols,
            header: &h,
            escaped: memchr::memchr(b'\\', text.as_bytes()).is_some(),
        };
        match records::parse(kind, &row) {
            Ok(parsed) => reader.take(parsed, ctx, out),
            Err(why) => ctx.bad_line(out, n, &why),
        }
    }
    Ok(unsupported)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_hex_only() {
        assert_eq!(unescape("a\\x09b"), "a\tb");
        assert_eq!(unescape("a\\x2cb"), "a,b");
        assert_eq!(unescape("C:\\dir"), "C:\\dir");
        assert_eq!(unescape("end\\x4"), "end\\x4");
        assert_eq!(unescape("\\xff"), "\u{fffd}");
        assert!(matches!(unescape("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn separators_from_headers() {
        assert_eq!(sep_byte("\\x09"), Some(b'\t'));
        assert_eq!(sep_byte(","), Some(b','));
        assert_eq!(sep_byte("ab"), None);
    }
}
