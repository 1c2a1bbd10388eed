//! Text from a page's content stream: a linear lexer over the operators
//! that show and place text (`Tf`, `Tj`, `TJ`, `'`, `"`, `Td`, `TD`, `T*`,
//! `Tm`, `ET`). It holds one operator's operands at a time and never
//! recurses, whatever the stream holds.

use super::super::out::TextOut;
use lopdf::{Document, Encoding};
use std::collections::BTreeMap;

/// Operands kept for one operator; more means a broken stream and older
/// ones are dropped.
const MAX_OPERANDS: usize = 4096;
/// A `TJ` adjustment (thousandths of a text unit) wider than this is a gap
/// between words.
const WORD_GAP: f64 = 180.0;

#[derive(Debug, PartialEq)]
enum Operand {
    Number(f64),
    String(Vec<u8>),
    Name(Vec<u8>),
    ArrayStart,
    ArrayEnd,
    Other,
}

/// Writes the text shown by `data` into `out`.
pub(super) fn text(data: &[u8], encodings: &BTreeMap<Vec<u8>, Encoding<'_>>, out: &mut TextOut) {
    let mut font: Option<&Encoding<'_>> = None;
    let mut last_y: Option<f64> = None;
    let mut operands: Vec<Operand> = Vec::new();
    let mut lexer = Lexer { data, at: 0 };
    while let Some(token) = lexer.next() {
        let op = match token {
            Token::Operand(o) => {
                if operands.len() == MAX_OPERANDS {
                    operands.clear();
                }
                operands.push(o);
                continue;
            }
            Token::Operator(op) => op,
        };
        let show = |s: &[u8], out: &mut TextOut| out.text(&decode(font, s));
        match op {
            b"Tf" => {
                if let Some(Operand::Name(name)) = operands.first() {
                    font = encodings.get(name);
                }
            }
            b"Tj" => {
                if let Some(Operand::String(s)) = operands.last() {
                    show(s, out);
                }
            }
            b"'" | b"\"" => {
                out.line_break();
                if let Some(Operand::String(s)) = operands.last() {
                    show(s, out);
                }
            }
            b"TJ" => {
                for o in &operands {
                    match o {
                        Operand::String(s) => show(s, out),
                        Operand::Number(n) if *n < -WORD_GAP => out.text(" "),
                        _ => {}
                    }
                }
            }
            b"Td" | b"TD" => {
                if let [.., Operand::Number(x), Operand::Number(y)] = operands.as_slice() {
                    if *y != 0.0 {
                        out.line_break();
                    } else if *x > 0.0 {
                        out.text(" ");
                    }
                }
            }
            b"Tm" => {
                if let [.., Operand::Number(y)] = operands.as_slice() {
                    if last_y.is_some_and(|l| l != *y) {
                        out.line_break();
                    } else {
                        out.text(" ");
                    }
                    last_y = Some(*y);
                }
            }
            b"T*" | b"ET" => out.line_break(),
            _ => {}
        }
        operands.clear();
        if out.is_full() {
            return;
        }
    }
}

fn decode(font: Option<&Encoding<'_>>, bytes: &[u8]) -> String {
    match font {
        Some(encoding) => Document::decode_text(encoding, bytes)
            .unwrap_or_else(|_| bytes.iter().map(|&b| b as char).collect()),
        // No font known: Latin-1 keeps ASCII indicators intact.
        None => bytes.iter().map(|&b| b as char).collect(),
    }
}

enum Token<'a> {
    Operand(Operand),
    Operator(&'a [u8]),
}

struct Lexer<'a> {
    data: &'a [u8],
    at: usize,
}

fn is_white(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | b'\0')
}

fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

impl<'a> Lexer<'a> {
    fn next(&mut self) -> Option<Token<'a>> {
        let d = self.data;
        loop {
            while self.at < d.len() && is_white(d[self.at]) {
                self.at += 1;
            }
            let b = *d.get(self.at)?;
            match b {
                b'%' => {
                    while self.at < d.len() && d[self.at] != b'\n' && d[self.at] != b'\r' {
                        self.at += 1;
                    }
                }
                b'(' => return Some(Token::Operand(Operand::String(self.literal()))),
                b'<' if d.get(self.at + 1) == Some(&b'<') => {
                    self.at += 2;
                    return Some(Token::Operand(Operand::Other));
                }
                b'>' if d.get(self.at + 1) == Some(&b'>') => {
                    self.at += 2;
                    return Some(Token::Operand(Operand::Other));
                }
                b'<' => return Some(Token::Operand(Operand::String(self.hex()))),
                b'[' => {
                    self.at += 1;
                    return Some(Token::Operand(Operand::ArrayStart));
                }
                b']' => {
                    self.at += 1;
                    return Some(Token::Operand(Operand::ArrayEnd));
                }
                b'/' => {
                    self.at += 1;
                    let word = self.word();
                    return Some(Token::Operand(Operand::Name(word.to_vec())));
                }
                _ if is_delimiter(b) => {
                    // A stray ')', '>', '{' or '}': skip it.
                    self.at += 1;
                }
                _ => {
                    let word = self.word();
                    if word.is_empty() {
                        self.at += 1;
                        continue;
                    }
                    if let Some(n) = number(word) {
                        return Some(Token::Operand(Operand::Number(n)));
                    }
                    if word == b"BI" {
                        self.skip_inline_image();
                        continue;
                    }
                    if matches!(word, b"true" | b"false" | b"null") {
                        return Some(Token::Operand(Operand::Other));
                    }
                    return Some(Token::Operator(word));
                }
            }
        }
    }

    fn word(&mut self) -> &'a [u8] {
        let start = self.at;
        while self.at < self.data.len()
            && !is_white(self.data[self.at])
            && !is_delimiter(self.data[self.at])
        {
            self.at += 1;
        }
        &self.data[start..self.at]
    }

    /// A literal string, escapes resolved; the opening `(` is at `at`.
    fn literal(&mut self) -> Vec<u8> {
        let d = self.data;
        let mut s = Vec::new();
        let mut depth = 0usize;
        while self.at < d.len() {
            let b = d[self.at];
            self.at += 1;
            match b {
                b'(' => {
                    depth += 1;
                    if depth == 1 {
                        continue;
                    }
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return s;
                    }
                }
                b'\\' => {
                    let Some(&e) = d.get(self.at) else { break };
                    self.at += 1;
                    match e {
                        b'n' => s.push(b'\n'),
                        b'r' => s.push(b'\r'),
                        b't' => s.push(b'\t'),
                        b'b' => s.push(8),
                        b'f' => s.push(12),
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match d.get(self.at) {
                                    Some(&o @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(o - b'0');
                                        self.at += 1;
                                    }
                                    _ => break,
                                }
                            }
                            s.push(v as u8);
                        }
                        b'\r' => {
                            if d.get(self.at) == Some(&b'\n') {
                                self.at += 1;
                            }
                        }
                        b'\n' => {}
                        other => s.push(other),
                    }
                    continue;
                }
                _ => {}
            }
            s.push(b);
        }
        s
    }

    /// A hex string; the opening `<` is at `at`.
    fn hex(&mut self) -> Vec<u8> {
        self.at += 1;
        let start = self.at;
        while self.at < self.data.len() && self.data[self.at] != b'>' {
            self.at += 1;
        }
        let digits = &self.data[start..self.at];
        self.at += 1;
        let mut out = Vec::with_capacity(digits.len() / 2);
        let mut high: Option<u8> = None;
        for v in digits.iter().filter_map(|&b| (b as char).to_digit(16)) {
            match high.take() {
                Some(h) => out.push(h << 4 | v as u8),
                None => high = Some(v as u8),
            }
        }
        if let Some(h) = high {
            out.push(h << 4);
        }
        out
    }

    /// Skips `BI <dict> ID <binary> EI`: image bytes are not operators.
    fn skip_inline_image(&mut self) {
        let d = self.data;
        let Some(id) = super::stream::find(&d[self.at..], b"ID") else {
            self.at = d.len();
            return;
        };
        let mut i = self.at + id + 2;
        while i + 2 <= d.len() {
            if &d[i..i + 2] == b"EI"
                && i > 0
                && is_white(d[i - 1])
                && d.get(i + 2).is_none_or(|&b| is_white(b))
            {
                self.at = i + 2;
                return;
            }
            i += 1;
        }
        self.at = d.len();
    }
}

fn number(word: &[u8]) -> Option<f64> {
    let first = *word.first()?;
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return None;
    }
    std::str::from_utf8(word).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(data: &[u8]) -> String {
        let mut out = TextOut::new(1 << 20);
        text(data, &BTreeMap::new(), &mut out);
        out.finish(&mut Vec::new())
    }

    #[test]
    fn text_operators_give_lines_and_words() {
        let t = page(
            b"BT /F1 12 Tf 72 700 Td (C2 server:) Tj 0 -14 Td [(198.51)-10(.100.7)] TJ \
              T* [(two)-250(words)] TJ (next\\051 line) ' ET",
        );
        assert_eq!(t, "C2 server:\n198.51.100.7\ntwo words\nnext) line");
    }

    #[test]
    fn strings_escapes_and_hex_are_decoded() {
        let t = page(b"BT <48656c6c6f> Tj ( \\(nested (ok)\\) \\101\\102) Tj ET");
        assert_eq!(t, "Hello (nested (ok)) AB");
    }

    #[test]
    fn inline_images_and_junk_do_not_derail_the_lexer() {
        let t = page(b"BI /W 1 /H 1 ID \x00(Tj)[\xff EI BT (after) Tj ET ) } >> [[[[ Tj");
        assert_eq!(t, "after");
    }
}
