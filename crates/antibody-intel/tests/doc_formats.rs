//! The document readers on ordinary documents of every format: the text,
//! title, URL and date they give.

mod doc_fixtures;

use antibody_intel::doc::{DocFormat, DocLimits, read_bytes, read_path, sniff};
use doc_fixtures::*;
use std::path::Path;

fn limits() -> DocLimits {
    DocLimits::default()
}

#[test]
fn pdf_pages_are_read_with_title_and_date() {
    let p1: &[u8] = b"BT /F1 12 Tf 72 720 Td (Threat advisory) Tj 0 -20 Td (C2 at 203.0.113.9 and hxxps://bad.example/x) Tj ET";
    let p2: &[u8] = b"BT /F1 12 Tf 72 720 Td [(Second)-300(page)] TJ ET";
    let bytes = pdf_pages(
        &[p1, p2],
        true,
        "/Title (Quarterly \\(Q3\\) report) /CreationDate (D:20240115093000Z)",
        "",
    );
    let doc = read_bytes(&bytes, DocFormat::Pdf, &limits()).unwrap();
    assert_eq!(doc.format, DocFormat::Pdf);
    assert_eq!(doc.title.as_deref(), Some("Quarterly (Q3) report"));
    assert_eq!(doc.published.as_deref(), Some("2024-01-15"));
    assert_eq!(
        doc.text,
        "Threat advisory\nC2 at 203.0.113.9 and hxxps://bad.example/x\n\nSecond page"
    );
    assert!(doc.warnings.is_empty(), "{:?}", doc.warnings);
}

#[test]
fn pdf_page_limit_is_kept_with_a_warning() {
    let page: &[u8] = b"BT (p) Tj ET";
    let bytes = pdf_pages(&[page, page, page], false, "", "");
    let small = DocLimits {
        pdf_max_pages: 2,
        ..limits()
    };
    let doc = read_bytes(&bytes, DocFormat::Pdf, &small).unwrap();
    assert_eq!(doc.text, "p\n\np");
    assert!(
        doc.warnings.iter().any(|w| w.contains("first 2 pages")),
        "{:?}",
        doc.warnings
    );
}

#[test]
fn docx_paragraphs_links_and_properties() {
    let body = r#"<w:p><w:r><w:t>Actor used </w:t></w:r><w:hyperlink r:id="rId7"><w:r><w:t>this archive</w:t></w:r></w:hyperlink><w:r><w:t xml:space="preserve"> from 192.0.2.</w:t><w:t>44</w:t></w:r></w:p>
<w:tbl><w:tr><w:tc><w:p><w:r><w:t>cell&amp;one</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>two</w:t><w:tab/><w:t>three</w:t><w:br/><w:t>four</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"#;
    let doc = read_bytes(&docx(body), DocFormat::Docx, &limits()).unwrap();
    assert_eq!(doc.title.as_deref(), Some("Incident 42"));
    assert_eq!(doc.published.as_deref(), Some("2021-04-09"));
    assert_eq!(
        doc.text,
        "Actor used this archive <https://evil.example/drop.zip> from 192.0.2.44\ncell&one\ntwo three\nfour"
    );
    assert!(doc.warnings.is_empty(), "{:?}", doc.warnings);
}

#[test]
fn docx_notes_headers_and_footers_follow_the_body() {
    const W: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#;
    let part = |root: &str, inner: &str| format!("<w:{root} {W}>{inner}</w:{root}>").into_bytes();
    let para = |t: &str| format!("<w:p><w:r><w:t>{t}</w:t></w:r></w:p>");
    let footnotes = part(
        "footnotes",
        &format!(
            "<w:footnote w:id=\"1\">{}<w:p><w:hyperlink r:id=\"rId3\"><w:r><w:t>source</w:t></w:r></w:hyperlink></w:p></w:footnote>",
            para("See hxxps://notes[.]example/report")
        ),
    );
    let footnote_rels = br#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId3" Type="t/hyperlink" Target="https://vendor.example/apt29" TargetMode="External"/></Relationships>"#;
    let header2 = part("hdr", &para("second header"));
    let header10 = part("hdr", &para("tenth header"));
    let header1 = part("hdr", &para("TLP:CLEAR"));
    let broken_footer = b"<w:ftr><w:p></w:q>".to_vec();
    let bytes = zip_parts(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("word/header10.xml", &header10),
        ("word/footer1.xml", &broken_footer),
        ("word/header2.xml", &header2),
        ("word/document.xml", &document_xml(&para("Body first."))),
        ("word/footnotes.xml", &footnotes),
        ("word/_rels/footnotes.xml.rels", footnote_rels),
        ("word/header1.xml", &header1),
        ("word/headerX.xml", &part("hdr", &para("not a header part"))),
    ]);
    let doc = read_bytes(&bytes, DocFormat::Docx, &limits()).unwrap();
    assert_eq!(
        doc.text,
        "Body first.\n\nSee hxxps://notes[.]example/report\nsource <https://vendor.example/apt29>\n\nTLP:CLEAR\n\nsecond header\n\ntenth header"
    );
    assert_eq!(doc.warnings.len(), 1, "{:?}", doc.warnings);
    assert!(
        doc.warnings[0].starts_with("word/footer1.xml is broken"),
        "{:?}",
        doc.warnings
    );
}

#[test]
fn read_path_sniffs_each_format() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let cases: Vec<(std::path::PathBuf, DocFormat, &str)> = vec![
        (
            write("a.txt", b"plain 198.51.100.1"),
            DocFormat::Text,
            "plain 198.51.100.1",
        ),
        (
            write("b.bin", b"<!DOCTYPE html><p>web</p>"),
            DocFormat::Html,
            "web",
        ),
        (
            write("c.md", b"# T\n\nmd *text*"),
            DocFormat::Markdown,
            "T\n\nmd text",
        ),
        (
            write("d.dat", &pdf_pages(&[b"BT (pdf) Tj ET"], false, "", "")),
            DocFormat::Pdf,
            "pdf",
        ),
        // No .docx name and the zip directory is at the end: read_path
        // looks inside the zip.
        (
            write("e.bin", &docx("<w:p><w:r><w:t>word</w:t></w:r></w:p>")),
            DocFormat::Docx,
            "word",
        ),
    ];
    for (path, format, text) in cases {
        let doc = read_path(&path, &limits()).unwrap();
        assert_eq!(doc.format, format, "{}", path.display());
        assert_eq!(doc.text, text, "{}", path.display());
    }
}

#[test]
fn read_path_names_a_missing_file() {
    let err = read_path(Path::new("/nonexistent/advisory.pdf"), &limits()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("/nonexistent/advisory.pdf"), "{msg}");
}

#[test]
fn sniff_on_generated_documents() {
    assert_eq!(
        sniff(&pdf_pages(&[b""], false, "", ""), None),
        DocFormat::Pdf
    );
    let d = docx("<w:p/>");
    assert_eq!(sniff(&d[..64], Some(Path::new("x.docx"))), DocFormat::Docx);
    assert_eq!(DocFormat::Markdown.as_str(), "markdown");
}

#[test]
fn pdf_with_object_and_xref_streams_is_read() {
    let page: &[u8] = b"BT /F1 11 Tf 50 700 Td (Beacon to 198.51.100.200) Tj ET";
    let plain = pdf_pages(&[page], true, "/Title (Modern)", "");
    let mut doc = lopdf::Document::load_mem(&plain).unwrap();
    let mut modern = Vec::new();
    doc.save_modern(&mut modern).unwrap();
    assert!(
        modern.windows(7).any(|w| w == b"/ObjStm"),
        "no object stream written"
    );
    let read = read_bytes(&modern, DocFormat::Pdf, &limits()).unwrap();
    assert_eq!(read.text, "Beacon to 198.51.100.200");
    assert_eq!(read.title.as_deref(), Some("Modern"));
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);
}

#[test]
fn pdf_two_byte_font_is_decoded_through_its_compressed_tounicode_map() {
    // CIDs 1..=94 map to U+0020..=U+007D, so a character c is CID c - 0x1f.
    let cmap = b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
        /CMapName /Test def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n\
        1 beginbfrange\n<0001> <005E> <0020>\nendbfrange\nendcmap\n\
        CMapName currentdict /CMap defineresource pop\nend\nend\n";
    let encode = |s: &str| -> String {
        s.bytes()
            .map(|c| format!("{:04X}", u16::from(c) - 0x1f))
            .collect()
    };
    let content = format!(
        "BT /F1 12 Tf 72 700 Td <{}> Tj ET",
        encode("evil.example 203.0.113.5")
    );
    let objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
            .to_vec(),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /Test /Encoding /Identity-H /ToUnicode 6 0 R >>".to_vec(),
        stream("/Filter /FlateDecode", &deflate(content.as_bytes())),
        stream("/Filter /FlateDecode", &deflate(cmap)),
    ];
    let read = read_bytes(&pdf(&objects, ""), DocFormat::Pdf, &limits()).unwrap();
    assert_eq!(read.text, "evil.example 203.0.113.5");
}
