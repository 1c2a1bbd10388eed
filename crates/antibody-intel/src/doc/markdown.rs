//! Markdown: paragraphs, list items, headings and table cells as lines;
//! code spans and fenced code verbatim; link destinations kept next to
//! their text; embedded HTML read by the HTML reader.

use super::out::TextOut;
use super::{DocFormat, DocLimits, DocText, html, is_kept_link, text};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// Longest title kept, in bytes.
const MAX_TITLE: usize = 4096;

/// Reads a Markdown document.
pub(super) fn read(bytes: &[u8], limits: &DocLimits) -> DocText {
    let mut warnings = Vec::new();
    let source = text::decode(bytes, None, &mut warnings);
    let mut out = TextOut::new(limits.max_text);
    let mut title: Option<String> = None;
    let mut in_first_heading = false;
    let mut links: Vec<(String, usize)> = Vec::new();
    let mut html_block = String::new();
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;

    for event in Parser::new_ext(&source, options) {
        if out.is_full() {
            break;
        }
        if !matches!(event, Event::Html(_)) && !html_block.is_empty() {
            html::fragment_into(&html_block, &mut out, limits.max_depth);
            out.line_break();
            html_block.clear();
        }
        match event {
            Event::Start(tag) => match tag {
                Tag::Heading { .. } => {
                    out.blank_line();
                    if title.is_none() {
                        title = Some(String::new());
                        in_first_heading = true;
                    }
                }
                Tag::Paragraph | Tag::CodeBlock(_) => out.blank_line(),
                Tag::Item
                | Tag::TableRow
                | Tag::TableHead
                | Tag::TableCell
                | Tag::BlockQuote(_) => out.line_break(),
                Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. } => {
                    links.push((dest_url.to_string(), out.len()));
                }
                _ => {}
            },
            Event::End(tag) => match tag {
                TagEnd::Heading(_) => {
                    in_first_heading = false;
                    out.blank_line();
                }
                TagEnd::Paragraph | TagEnd::CodeBlock => out.blank_line(),
                TagEnd::Item
                | TagEnd::TableRow
                | TagEnd::TableHead
                | TagEnd::TableCell
                | TagEnd::BlockQuote(_) => out.line_break(),
                TagEnd::Link | TagEnd::Image => {
                    if let Some((dest, start)) = links.pop() {
                        let shown = out.since(start).trim();
                        if is_kept_link(&dest) && shown != dest.trim() {
                            out.text(" <");
                            out.verbatim(dest.trim());
                            out.verbatim(">");
                        }
                    }
                }
                _ => {}
            },
            Event::Text(s) => {
                if in_first_heading
                    && let Some(t) = title.as_mut()
                    && t.len() + s.len() <= MAX_TITLE
                {
                    t.push_str(&s);
                }
                // Text inside a fenced or indented code block comes as Text
                // events with its line ends; keep them.
                if s.contains('\n') {
                    out.verbatim(&s)
                } else {
                    out.text(&s)
                }
            }
            Event::Code(s) => {
                if in_first_heading
                    && let Some(t) = title.as_mut()
                    && t.len() + s.len() <= MAX_TITLE
                {
                    t.push_str(&s);
                }
                out.text(" ");
                out.verbatim(&s);
            }
            Event::Html(s) => html_block.push_str(&s),
            Event::InlineHtml(s) => {
                let tag = s
                    .trim_start_matches('<')
                    .trim_start_matches('/')
                    .to_ascii_lowercase();
                if tag.starts_with("br") || tag.starts_with("p") || tag.starts_with("div") {
                    out.line_break();
                }
            }
            Event::SoftBreak => out.text(" "),
            Event::HardBreak | Event::Rule => out.line_break(),
            Event::InlineMath(s) | Event::DisplayMath(s) | Event::FootnoteReference(s) => {
                out.text(&s)
            }
            Event::TaskListMarker(_) => {}
        }
    }
    if !html_block.is_empty() && !out.is_full() {
        html::fragment_into(&html_block, &mut out, limits.max_depth);
    }
    let title = title
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| !t.is_empty());
    DocText {
        format: DocFormat::Markdown,
        title,
        url: None,
        published: None,
        text: out.finish(&mut warnings),
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(s: &str) -> DocText {
        read(s.as_bytes(), &DocLimits::default())
    }

    #[test]
    fn structure_becomes_lines_and_the_first_heading_is_the_title() {
        let doc = md(
            "# APT `X` report\n\nFirst line\ncontinues.\n\n- one\n- two\n\n## More\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        );
        assert_eq!(doc.title.as_deref(), Some("APT X report"));
        assert_eq!(
            doc.text,
            "APT X report\n\nFirst line continues.\n\none\ntwo\n\nMore\n\na\nb\n1\n2"
        );
    }

    #[test]
    fn code_is_verbatim_and_links_keep_their_targets() {
        let doc = md(
            "See [the loader](https://evil.example/l.ps1) and <https://plain.example/>.\n\n```yara\nrule r {\n  condition: true\n}\n```\n",
        );
        assert_eq!(
            doc.text,
            "See the loader <https://evil.example/l.ps1> and https://plain.example/.\n\nrule r {\n  condition: true\n}"
        );
    }

    #[test]
    fn embedded_html_is_read_as_html() {
        let doc = md(
            "Intro\n\n<div>\n<p>inside &amp; block</p><script>x()</script>\n</div>\n\nafter <b>bold</b>\n",
        );
        assert_eq!(doc.text, "Intro\n\ninside & block\n\nafter bold");
    }
}
