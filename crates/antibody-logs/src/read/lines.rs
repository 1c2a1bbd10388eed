//! Line iteration for the text readers: one reusable buffer, lines cut at
//! `max_line` bytes without ever holding a longer line, CR-LF tolerated,
//! read errors and over-long lines kept for one report per item.

use antibody_core::{ItemError, ItemErrorKind, Location};
use std::io::{self, BufRead};

/// One line as the readers see it.
pub(crate) struct Line<'a> {
    /// 1-based line number.
    pub number: u64,
    /// Byte offset of the line's first byte in the item.
    pub offset: u64,
    /// The line without its terminator, at most `max_line` bytes.
    pub bytes: &'a [u8],
}

/// Reads lines from any [`BufRead`]: a byte slice (`&[u8]` is one, so
/// nothing is copied but the current line) or a decompressor.
pub(crate) struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    max_line: usize,
    number: u64,
    offset: u64,
    long: Option<(u64, u64)>,
    long_count: u64,
    error: Option<(u64, io::Error)>,
}

impl<R: BufRead> LineReader<R> {
    /// Lines of `inner`, each cut to `max_line` bytes (at least 1).
    pub fn new(inner: R, max_line: usize) -> Self {
        LineReader {
            inner,
            buf: Vec::new(),
            max_line: max_line.max(1),
            number: 0,
            offset: 0,
            long: None,
            long_count: 0,
            error: None,
        }
    }

    /// The next line, or `None` at the end (or after a read error, which
    /// [`Self::finish`] reports).
    pub fn next_line(&mut self) -> Option<Line<'_>> {
        if self.error.is_some() {
            return None;
        }
        self.buf.clear();
        let start = self.offset;
        let mut len: u64 = 0;
        let mut any = false;
        loop {
            let avail = match self.inner.fill_buf() {
                Ok(avail) => avail,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.error = Some((self.offset, e));
                    break;
                }
            };
            if avail.is_empty() {
                break;
            }
            any = true;
            let (piece, done, used) = match memchr::memchr(b'\n', avail) {
                Some(i) => (&avail[..i], true, i + 1),
                None => (avail, false, avail.len()),
            };
            let room = self.max_line.saturating_sub(self.buf.len());
            self.buf.extend_from_slice(&piece[..piece.len().min(room)]);
            len += piece.len() as u64;
            self.inner.consume(used);
            self.offset += used as u64;
            if done {
                break;
            }
        }
        if !any {
            return None;
        }
        self.number += 1;
        if len > self.max_line as u64 {
            self.long_count += 1;
            if self.long.is_none() {
                self.long = Some((self.number, len));
            }
        } else if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        Some(Line {
            number: self.number,
            offset: start,
            bytes: &self.buf,
        })
    }

    /// The problems met on the way: the first over-long line (with a count
    /// of the others) and a read error, if any.
    pub fn finish(&self, location: &Location) -> Vec<ItemError> {
        let mut errors = Vec::new();
        if let Some((line, len)) = self.long {
            let mut reason = format!(
                "line {line} is {len} bytes, cut to {} for matching",
                self.max_line
            );
            if self.long_count > 1 {
                reason.push_str(&format!(
                    " ({} more lines over the limit)",
                    self.long_count - 1
                ));
            }
            errors.push(ItemError::new(location, ItemErrorKind::Limit, reason));
        }
        if let Some((offset, e)) = &self.error {
            errors.push(ItemError::new(
                location,
                ItemErrorKind::Corrupt,
                format!(
                    "read error at byte {offset} (after line {}): {e}",
                    self.number
                ),
            ));
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(data: &[u8], max: usize) -> Vec<(u64, u64, Vec<u8>)> {
        let mut r = LineReader::new(data, max);
        let mut out = Vec::new();
        while let Some(l) = r.next_line() {
            out.push((l.number, l.offset, l.bytes.to_vec()));
        }
        out
    }

    #[test]
    fn lines_offsets_and_crlf() {
        let got = collect(b"a\r\nbb\n\nccc", 100);
        assert_eq!(
            got,
            vec![
                (1, 0, b"a".to_vec()),
                (2, 3, b"bb".to_vec()),
                (3, 6, b"".to_vec()),
                (4, 7, b"ccc".to_vec()),
            ]
        );
    }

    #[test]
    fn long_line_is_cut_and_reported_once() {
        let mut data = vec![b'x'; 50];
        data.extend_from_slice(b"\nshort\n");
        data.extend_from_slice(&[b'y'; 30]);
        let mut r = LineReader::new(&data[..], 10);
        let first = r.next_line().map(|l| l.bytes.len());
        assert_eq!(first, Some(10));
        assert_eq!(
            r.next_line().map(|l| l.bytes.to_vec()),
            Some(b"short".to_vec())
        );
        assert_eq!(r.next_line().map(|l| (l.number, l.offset)), Some((3, 57)));
        assert!(r.next_line().is_none());
        let errors = r.finish(&Location::file("x.log"));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].kind, ItemErrorKind::Limit);
        assert!(
            errors[0].reason.contains("line 1 is 50 bytes, cut to 10")
                && errors[0].reason.contains("1 more"),
            "{}",
            errors[0].reason
        );
    }

    #[test]
    fn empty_input_has_no_lines() {
        assert!(collect(b"", 10).is_empty());
    }
}
