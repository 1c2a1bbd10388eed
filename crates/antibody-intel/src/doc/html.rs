//! HTML: the text of a page, with block elements on their own lines, code
//! kept verbatim, scripts and styles dropped, and link targets kept next to
//! their text.
//!
//! This runs html5ever's spec tokenizer (entities, raw-text elements,
//! comments, attributes exactly as a browser reads them) with a small
//! state machine instead of the tree builder. Text needs no tree, and the
//! tree builder keeps an unbounded stack of open elements that its scope
//! checks walk on every start tag, so a page of 100,000 nested `<div>`s
//! costs quadratic time and a DOM as large as the page. The tokenizer is
//! linear, holds one token at a time, and lets reading stop as soon as the
//! output limit is reached.

use super::out::TextOut;
use super::{DocFormat, DocLimits, DocText, is_kept_link, iso_date, text};
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use std::cell::RefCell;

/// Bytes of decoded text handed to the tokenizer at a time; the output
/// limit is checked between chunks.
const CHUNK: usize = 64 * 1024;
/// Longest title kept, in bytes.
const MAX_TITLE: usize = 4096;

/// Reads an HTML page.
pub(super) fn read(bytes: &[u8], limits: &DocLimits) -> DocText {
    let mut warnings = Vec::new();
    let declared = declared_charset(bytes);
    let decoded = text::decode(bytes, declared, &mut warnings);
    let state = run(&decoded, TextOut::new(limits.max_text), limits.max_depth);
    let title = state
        .title
        .or(state.og_title)
        .map(|t| collapse(&t))
        .filter(|t| !t.is_empty());
    let url = state.canonical.or(state.og_url);
    warnings.extend(state.warnings);
    DocText {
        format: DocFormat::Html,
        title,
        url,
        published: state.published,
        text: state.out.finish(&mut warnings),
        warnings,
    }
}

/// Writes the text of an HTML fragment (a Markdown HTML block) into `out`.
pub(super) fn fragment_into(fragment: &str, out: &mut TextOut, max_depth: usize) {
    let taken = std::mem::replace(out, TextOut::new(0));
    *out = run(fragment, taken, max_depth).out;
}

fn run(input: &str, out: TextOut, max_depth: usize) -> State {
    let sink = Sink(RefCell::new(State::new(out, max_depth)));
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let queue = BufferQueue::default();
    let mut rest = input;
    let mut stopped = false;
    while !rest.is_empty() {
        let mut end = rest.len().min(CHUNK);
        while !rest.is_char_boundary(end) {
            end += 1;
        }
        queue.push_back(StrTendril::from_slice(&rest[..end]));
        rest = &rest[end..];
        let _ = tokenizer.feed(&queue);
        if tokenizer.sink.0.borrow().out.is_full() {
            stopped = true;
            break;
        }
    }
    if !stopped {
        tokenizer.end();
    }
    let mut state = tokenizer.sink.0.into_inner();
    state.finish_link();
    state
}

struct Sink(RefCell<State>);

struct State {
    out: TextOut,
    max_depth: usize,
    /// Open elements whose content is dropped (script, style, template...).
    skip: usize,
    /// Open elements whose text is kept verbatim (pre, code, ...).
    verbatim: usize,
    /// Just after `<pre>`: its first newline is not content.
    pre_start: bool,
    /// An open `<a>` with a kept target: the target and where its text
    /// starts in the output.
    link: Option<(String, usize)>,
    /// Elements opened and not closed, to notice absurd nesting.
    depth: usize,
    in_title: bool,
    title: Option<String>,
    og_title: Option<String>,
    canonical: Option<String>,
    og_url: Option<String>,
    published: Option<String>,
    warnings: Vec<String>,
}

impl State {
    fn new(out: TextOut, max_depth: usize) -> Self {
        State {
            out,
            max_depth,
            skip: 0,
            verbatim: 0,
            pre_start: false,
            link: None,
            depth: 0,
            in_title: false,
            title: None,
            og_title: None,
            canonical: None,
            og_url: None,
            published: None,
            warnings: Vec::new(),
        }
    }

    fn characters(&mut self, s: &str) {
        if self.in_title {
            let title = self.title.get_or_insert_with(String::new);
            if title.len() + s.len() <= MAX_TITLE {
                title.push_str(s);
            }
            return;
        }
        if self.skip > 0 {
            return;
        }
        if self.verbatim > 0 {
            let s = if std::mem::take(&mut self.pre_start) {
                s.strip_prefix('\n').unwrap_or(s)
            } else {
                s
            };
            self.out.verbatim(s);
        } else {
            self.out.text(s);
        }
    }

    fn finish_link(&mut self) {
        if let Some((target, start)) = self.link.take() {
            let shown = self.out.since(start).trim();
            if shown != target.trim() {
                self.out.text(" <");
                self.out.verbatim(target.trim());
                self.out.verbatim(">");
            }
        }
    }

    fn tag(&mut self, tag: Tag) -> TokenSinkResult<()> {
        let name: &str = &tag.name;
        let start = tag.kind == TagKind::StartTag;
        if start && !tag.self_closing && !is_void(name) {
            self.depth += 1;
            if self.depth == self.max_depth + 1 {
                self.warnings.push(format!(
                    "elements nest deeper than {} levels; the page was read as a flat sequence past that",
                    self.max_depth
                ));
            }
        } else if !start {
            self.depth = self.depth.saturating_sub(1);
        }
        match name {
            "script" | "style" | "noscript" | "template" | "iframe" | "noembed" | "noframes" => {
                if start {
                    if !tag.self_closing {
                        self.skip += 1;
                    }
                    return match name {
                        "script" => TokenSinkResult::RawData(RawKind::ScriptData),
                        "template" => TokenSinkResult::Continue,
                        _ => TokenSinkResult::RawData(RawKind::Rawtext),
                    };
                }
                self.skip = self.skip.saturating_sub(1);
            }
            "title" => {
                if start && self.title.is_none() && !tag.self_closing {
                    self.in_title = true;
                    return TokenSinkResult::RawData(RawKind::Rcdata);
                }
                self.in_title = false;
                if start {
                    return TokenSinkResult::RawData(RawKind::Rcdata);
                }
            }
            "textarea" if start => return TokenSinkResult::RawData(RawKind::Rcdata),
            "plaintext" if start => {
                self.out.line_break();
                self.verbatim += 1;
                return TokenSinkResult::Plaintext;
            }
            "pre" | "code" | "kbd" | "samp" | "xmp" | "listing" => {
                if name != "code" && name != "kbd" && name != "samp" {
                    self.out.line_break();
                }
                if start {
                    self.verbatim += 1;
                    self.pre_start = name != "code" && name != "kbd" && name != "samp";
                } else {
                    self.verbatim = self.verbatim.saturating_sub(1);
                }
                if start && name == "xmp" {
                    return TokenSinkResult::RawData(RawKind::Rawtext);
                }
            }
            "a" => {
                self.finish_link();
                if start
                    && self.skip == 0
                    && let Some(href) = attr(&tag, "href").filter(|h| is_kept_link(h))
                {
                    self.link = Some((href.trim().to_string(), self.out.len()));
                }
            }
            "meta" if start => self.meta(&tag),
            "link" if start => {
                let canonical = attr(&tag, "rel").is_some_and(|r| {
                    r.split_ascii_whitespace()
                        .any(|t| t.eq_ignore_ascii_case("canonical"))
                });
                if canonical && self.canonical.is_none() {
                    self.canonical = attr(&tag, "href")
                        .filter(|h| is_web_url(h))
                        .map(|h| h.trim().to_string());
                }
            }
            "br" | "hr" => self.out.line_break(),
            "p" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => self.out.blank_line(),
            _ if is_block(name) => self.out.line_break(),
            _ => {}
        }
        TokenSinkResult::Continue
    }

    fn meta(&mut self, tag: &Tag) {
        let Some(key) = attr(tag, "property").or_else(|| attr(tag, "name")) else {
            return;
        };
        let Some(content) = attr(tag, "content") else {
            return;
        };
        let key = key.to_ascii_lowercase();
        match key.as_str() {
            "og:title" if self.og_title.is_none() => {
                self.og_title = Some(content.chars().take(MAX_TITLE).collect());
            }
            "og:url" if self.og_url.is_none() && is_web_url(content) => {
                self.og_url = Some(content.trim().to_string());
            }
            "article:published_time" | "date" | "dcterms.created" | "dc.date"
                if self.published.is_none() =>
            {
                self.published = iso_date(content);
            }
            _ => {}
        }
    }
}

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut state = self.0.borrow_mut();
        match token {
            Token::TagToken(tag) => state.tag(tag),
            Token::CharacterTokens(s) => {
                state.characters(&s);
                TokenSinkResult::Continue
            }
            _ => TokenSinkResult::Continue,
        }
    }
}

fn attr<'t>(tag: &'t Tag, name: &str) -> Option<&'t str> {
    tag.attrs
        .iter()
        .find(|a| &*a.name.local == name)
        .map(|a| &*a.value)
}

fn is_web_url(s: &str) -> bool {
    let t = s.trim();
    is_kept_link(t) && !t[..4].eq_ignore_ascii_case("ftp:")
}

fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "source"
            | "track"
            | "wbr"
    )
}

/// Elements that start a new line in a browser's rendering, plus table
/// cells so that a row's cells do not run together.
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "body"
            | "caption"
            | "dd"
            | "details"
            | "dialog"
            | "div"
            | "dl"
            | "dt"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "header"
            | "li"
            | "main"
            | "nav"
            | "ol"
            | "section"
            | "summary"
            | "table"
            | "tbody"
            | "td"
            | "tfoot"
            | "th"
            | "thead"
            | "tr"
            | "ul"
    )
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The encoding a `<meta charset>` or `http-equiv` content type names in
/// the first kilobyte, used only when the bytes are not UTF-8.
fn declared_charset(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let head = bytes[..bytes.len().min(1024)].to_ascii_lowercase();
    let at = super::sniff::find(&head, b"charset=")? + b"charset=".len();
    let rest = &head[at..];
    let rest = rest
        .strip_prefix(b"\"")
        .or_else(|| rest.strip_prefix(b"'"))
        .unwrap_or(rest);
    let end = rest
        .iter()
        .position(|b| matches!(b, b'"' | b'\'' | b';' | b'>' | b' ' | b'/'))
        .unwrap_or(rest.len());
    encoding_rs::Encoding::for_label(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(s: &str) -> DocText {
        read(s.as_bytes(), &DocLimits::default())
    }

    #[test]
    fn blocks_become_lines_and_scripts_vanish() {
        let doc = html(
            "<html><head><title> Lazarus &amp; friends </title><style>p{}</style></head>\
             <body><h1>Report</h1><p>First <b>bold</b> sentence.</p><div>Second</div>\
             <script>var x = '<p>not text</p>';</script><noscript>enable js</noscript>\
             <ul><li>one</li><li>two</li></ul><table><tr><td>a</td><td>b</td></tr></table>\
             line<br>break</body></html>",
        );
        assert_eq!(doc.title.as_deref(), Some("Lazarus & friends"));
        assert_eq!(
            doc.text,
            "Report\n\nFirst bold sentence.\n\nSecond\none\ntwo\na\nb\nline\nbreak"
        );
    }

    #[test]
    fn pre_and_code_are_verbatim() {
        let doc = html(
            "<p>rule:</p><pre>\nrule x {\n  strings:\n    $a = \"&lt;evil&gt;\"\n}</pre><p>run <code>a  b</code></p>",
        );
        assert_eq!(
            doc.text,
            "rule:\n\nrule x {\n  strings:\n    $a = \"<evil>\"\n}\n\nrun a  b"
        );
    }

    #[test]
    fn link_targets_follow_their_text_when_they_differ() {
        let doc = html(
            "<p><a href=\"https://evil.example/payload\">this file</a>, \
             <a href=\"https://same.example/\">https://same.example/</a>, \
             <a href=\"mailto:x@example.com\">mail</a>, <a href=\"/rel\">rel</a></p>",
        );
        assert_eq!(
            doc.text,
            "this file <https://evil.example/payload>, https://same.example/, mail, rel"
        );
    }

    #[test]
    fn metadata_comes_from_head() {
        let doc = html(
            "<head><meta property=\"og:title\" content=\"OG\"><link rel=\"Canonical\" href=\"https://ex.example/a\">\
             <meta property=\"article:published_time\" content=\"2023-06-01T08:00:00+00:00\"></head><body>x</body>",
        );
        assert_eq!(doc.title.as_deref(), Some("OG"));
        assert_eq!(doc.url.as_deref(), Some("https://ex.example/a"));
        assert_eq!(doc.published.as_deref(), Some("2023-06-01"));
    }

    #[test]
    fn declared_charset_is_used_for_non_utf8() {
        let mut bytes = b"<meta charset=\"iso-8859-7\"><p>".to_vec();
        bytes.push(0xe1); // Greek small alpha in ISO-8859-7
        let doc = read(&bytes, &DocLimits::default());
        assert_eq!(doc.text, "\u{3b1}");
        assert!(doc.warnings.is_empty(), "{:?}", doc.warnings);
    }
}
