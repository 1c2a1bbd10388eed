//! The text builder every reader writes into: collapses whitespace of
//! flowing text, keeps code verbatim, turns block boundaries into line
//! breaks, and stops at the output limit.

/// Text under construction, capped at a byte limit.
pub(crate) struct TextOut {
    text: String,
    max: usize,
    full: bool,
    pending_space: bool,
    pending_newlines: usize,
}

impl TextOut {
    /// An empty text that will hold at most `max` bytes.
    pub(crate) fn new(max: usize) -> Self {
        TextOut {
            text: String::new(),
            max,
            full: false,
            pending_space: false,
            pending_newlines: 0,
        }
    }

    /// Whether the limit was reached (more text would be dropped).
    pub(crate) fn is_full(&self) -> bool {
        self.full
    }

    /// Bytes written so far.
    pub(crate) fn len(&self) -> usize {
        self.text.len()
    }

    /// The text written since byte `start` (from [`TextOut::len`]).
    pub(crate) fn since(&self, start: usize) -> &str {
        self.text.get(start..).unwrap_or("")
    }

    /// Flowing text: runs of whitespace become one space.
    pub(crate) fn text(&mut self, s: &str) {
        for (i, word) in s.split(char::is_whitespace).enumerate() {
            if i > 0 {
                self.pending_space = true;
            }
            if !word.is_empty() {
                self.flush_pending();
                self.push_raw(word);
            }
        }
    }

    /// Text kept exactly as written (code, preformatted blocks).
    pub(crate) fn verbatim(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        self.flush_pending();
        self.push_raw(s);
    }

    /// Ends the current line (no effect at the start of a line).
    pub(crate) fn line_break(&mut self) {
        self.pending_newlines = self.pending_newlines.max(1);
        self.pending_space = false;
    }

    /// Ends the current line and leaves one blank line.
    pub(crate) fn blank_line(&mut self) {
        self.pending_newlines = 2;
        self.pending_space = false;
    }

    /// The text, with a warning pushed if it was cut at the limit.
    pub(crate) fn finish(mut self, warnings: &mut Vec<String>) -> String {
        if self.full {
            warnings.push(format!(
                "text cut at {} bytes (the output limit); the rest of the document was not read",
                self.max
            ));
        }
        let trimmed = self.text.trim_end().len();
        self.text.truncate(trimmed);
        self.text
    }

    fn flush_pending(&mut self) {
        if self.text.is_empty() {
            self.pending_newlines = 0;
            self.pending_space = false;
            return;
        }
        if self.pending_newlines > 0 {
            // At most two are wanted; counting further would make many short
            // verbatim pieces quadratic.
            let have = self
                .text
                .bytes()
                .rev()
                .take(2)
                .take_while(|&b| b == b'\n')
                .count();
            // Trailing spaces on a line carry nothing.
            if have == 0 {
                let trimmed = self.text.trim_end_matches([' ', '\t']).len();
                self.text.truncate(trimmed);
            }
            for _ in have.min(self.pending_newlines)..self.pending_newlines {
                self.push_raw("\n");
            }
        } else if self.pending_space && !self.text.ends_with(char::is_whitespace) {
            self.push_raw(" ");
        }
        self.pending_newlines = 0;
        self.pending_space = false;
    }

    fn push_raw(&mut self, s: &str) {
        if self.full {
            return;
        }
        let room = self.max - self.text.len();
        if s.len() <= room {
            self.text.push_str(s);
            return;
        }
        let mut end = room;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        self.text.push_str(&s[..end]);
        self.full = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flowing_text_collapses_whitespace_and_lines_do_not_stack() {
        let mut out = TextOut::new(1000);
        out.line_break();
        out.text("  Hello \n\t world ");
        out.line_break();
        out.line_break();
        out.text("next");
        out.blank_line();
        out.verbatim("a  b\n  c\n");
        out.line_break();
        out.text("end");
        let mut w = Vec::new();
        assert_eq!(out.finish(&mut w), "Hello world\nnext\n\na  b\n  c\nend");
        assert!(w.is_empty());
    }

    #[test]
    fn output_stops_at_the_limit_on_a_char_boundary_with_a_warning() {
        let mut out = TextOut::new(5);
        out.text("abcd\u{e9}f");
        assert!(out.is_full());
        let mut w = Vec::new();
        assert_eq!(out.finish(&mut w), "abcd");
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("5 bytes"), "{w:?}");
    }
}
