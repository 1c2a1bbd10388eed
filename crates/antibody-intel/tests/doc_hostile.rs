//! The document readers on hostile and broken input: every case ends in a
//! clear error or a warning, in bounded time and memory, never a panic.

mod doc_fixtures;

use antibody_intel::doc::{DocError, DocFormat, DocLimits, read_bytes, read_path};
use doc_fixtures::*;
use std::time::{Duration, Instant};

fn limits() -> DocLimits {
    DocLimits::default()
}

/// A small output limit, so bounds show quickly.
fn small() -> DocLimits {
    DocLimits {
        max_text: 1 << 20,
        ..DocLimits::default()
    }
}

fn assert_fast(started: Instant, what: &str) {
    let took = started.elapsed();
    assert!(took < Duration::from_secs(30), "{what} took {took:?}");
}

// ---- PDF ----

fn encrypted_pdf() -> Vec<u8> {
    let page: &[u8] = b"BT (secret) Tj ET";
    let mut bytes = pdf_pages(&[page], false, "", "");
    // Rebuild with an encryption dictionary whose keys the empty password
    // does not match.
    let o = "7a".repeat(32);
    let u = "3c".repeat(32);
    let objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>".to_vec(),
        stream("", b"BT (secret) Tj ET"),
        format!("<< /Filter /Standard /V 2 /R 3 /Length 128 /P -3904 /O <{o}> /U <{u}> >>")
            .into_bytes(),
    ];
    bytes.clear();
    bytes.extend(pdf(
        &objects,
        "/Encrypt 5 0 R /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>]",
    ));
    bytes
}

#[test]
fn encrypted_pdf_is_refused_with_a_reason() {
    let err = read_bytes(&encrypted_pdf(), DocFormat::Pdf, &limits()).unwrap_err();
    assert!(matches!(err, DocError::Encrypted { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.starts_with("the PDF is encrypted (password needed): "),
        "{msg}"
    );
    assert!(
        msg.contains("Standard") && msg.contains("revision 3"),
        "{msg}"
    );
}

/// A real encrypted PDF, written by lopdf with RC4 128-bit keys.
fn lopdf_encrypted(user_password: &str) -> Vec<u8> {
    use lopdf::encryption::{EncryptionState, EncryptionVersion, Permissions};
    let page: &[u8] = b"BT (hidden C2 198.51.100.99) Tj ET";
    let plain = pdf_pages(
        &[page],
        true,
        "/Title (Locked report)",
        "/ID [<00112233445566778899aabbccddeeff> <00112233445566778899aabbccddeeff>]",
    );
    let mut doc = lopdf::Document::load_mem(&plain).unwrap();
    let state = EncryptionState::try_from(EncryptionVersion::V2 {
        document: &doc,
        owner_password: "owner-secret",
        user_password,
        key_length: 128,
        permissions: Permissions::all(),
    })
    .unwrap();
    doc.encrypt(&state).unwrap();
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

#[test]
fn encrypted_pdf_with_the_empty_user_password_is_read() {
    let bytes = lopdf_encrypted("");
    assert!(bytes.windows(8).any(|w| w == b"/Encrypt"));
    assert!(
        !bytes.windows(6).any(|w| w == b"hidden"),
        "content should be encrypted"
    );
    let doc = read_bytes(&bytes, DocFormat::Pdf, &limits()).unwrap();
    assert_eq!(doc.text, "hidden C2 198.51.100.99");
    assert_eq!(doc.title.as_deref(), Some("Locked report"));
    assert!(
        doc.warnings
            .iter()
            .any(|w| w.contains("empty user password")),
        "{:?}",
        doc.warnings
    );
}

#[test]
fn encrypted_pdf_with_a_user_password_is_refused() {
    let err = read_bytes(&lopdf_encrypted("letmein"), DocFormat::Pdf, &limits()).unwrap_err();
    assert!(matches!(err, DocError::Encrypted { .. }), "{err:?}");
    assert!(err.to_string().contains("revision"), "{err}");
}

#[test]
fn broken_pdf_is_malformed() {
    let err = read_bytes(
        b"%PDF-1.7\nthis is not a PDF body",
        DocFormat::Pdf,
        &limits(),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            DocError::Malformed {
                format: DocFormat::Pdf,
                ..
            }
        ),
        "{err:?}"
    );
    let err = read_bytes(b"no header at all", DocFormat::Pdf, &limits()).unwrap_err();
    assert!(
        err.to_string().starts_with("malformed pdf document: "),
        "{err}"
    );
}

#[test]
fn truncated_pdf_is_malformed_at_every_cut() {
    let page: &[u8] = b"BT (C2 198.51.100.23) Tj ET";
    let whole = pdf_pages(&[page], true, "/Title (t)", "");
    for cut in (0..whole.len() - 8).step_by(7) {
        match read_bytes(&whole[..cut], DocFormat::Pdf, &limits()) {
            Err(DocError::Malformed { .. }) => {}
            Ok(doc) => panic!("cut at {cut} read as {:?}", doc.text),
            Err(e) => panic!("cut at {cut}: unexpected {e:?}"),
        }
    }
}

#[test]
fn garbage_after_the_pdf_header_is_malformed_not_a_panic() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for round in 0..200 {
        let mut bytes = b"%PDF-1.5\n".to_vec();
        for _ in 0..(round * 37 % 4000) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            bytes.push(b"0123456789 obj<<>>[]()/R endstream xref trailer\n"[(seed % 48) as usize]);
        }
        let result = read_bytes(&bytes, DocFormat::Pdf, &limits());
        assert!(
            matches!(result, Err(DocError::Malformed { .. })),
            "round {round}: {result:?}"
        );
    }
}

#[test]
fn pdf_content_stream_deflate_bomb_is_bounded() {
    // 64 MiB of spaces inside a text string compress to about 64 KiB,
    // eight times the inflate budget of a 1 MiB output limit.
    let mut content = b"BT (start 192.0.2.1) Tj ET BT (".to_vec();
    content.resize(content.len() + (64 << 20), b' ');
    content.extend_from_slice(b") Tj ET");
    let bytes = pdf_pages(&[&content], true, "", "");
    drop(content);
    assert!(bytes.len() < 2 << 20, "bomb is {} bytes", bytes.len());
    let started = Instant::now();
    let doc = read_bytes(&bytes, DocFormat::Pdf, &small()).unwrap();
    assert_fast(started, "the deflate bomb");
    assert!(
        doc.text.starts_with("start 192.0.2.1"),
        "{:?}",
        &doc.text[..40.min(doc.text.len())]
    );
    assert!(doc.text.len() <= 1 << 20);
    assert!(
        doc.warnings
            .iter()
            .any(|w| w.contains("inflates past the limit")),
        "{:?}",
        doc.warnings
    );
}

#[test]
fn pdf_object_stream_bomb_is_dropped_and_pages_still_read() {
    let bomb = deflate(&vec![b'0'; 64 << 20]);
    let objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>".to_vec(),
        stream("", b"BT (page text) Tj ET"),
        stream("/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode", &bomb),
    ];
    let started = Instant::now();
    let doc = read_bytes(&pdf(&objects, ""), DocFormat::Pdf, &small()).unwrap();
    assert_fast(started, "the object stream bomb");
    assert_eq!(doc.text, "page text");
    assert!(
        doc.warnings.iter().any(|w| w.contains("object stream")),
        "{:?}",
        doc.warnings
    );
}

#[test]
fn encrypted_pdf_with_large_object_streams_is_refused_before_inflating() {
    let mut bytes = encrypted_pdf();
    let tail = bytes.split_off(bytes.len() - 1);
    bytes.extend_from_slice(
        b"99 0 obj << /Type /ObjStm /N 1 /First 2 /Filter /FlateDecode >> stream\n",
    );
    bytes.extend(std::iter::repeat_n(b'x', 64 * 1024));
    bytes.extend_from_slice(b"\nendstream endobj\n");
    bytes.extend(tail);
    let err = read_bytes(&bytes, DocFormat::Pdf, &small()).unwrap_err();
    assert!(
        matches!(
            err,
            DocError::Bomb {
                format: DocFormat::Pdf,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn deeply_nested_pdf_arrays_do_not_overflow_the_stack() {
    let mut body = b"<< /Type /Catalog /Pages 2 0 R /X ".to_vec();
    body.extend(std::iter::repeat_n(b'[', 100_000));
    body.extend(std::iter::repeat_n(b']', 100_000));
    body.extend_from_slice(b" >>");
    let bytes = pdf(
        &[body, b"<< /Type /Pages /Kids [] /Count 0 >>".to_vec()],
        "",
    );
    let err = read_bytes(&bytes, DocFormat::Pdf, &limits()).unwrap_err();
    assert!(err.to_string().contains("nest deeper than 512"), "{err}");
}

// ---- DOCX ----

#[test]
fn docx_zip_bomb_is_refused() {
    let body = "<w:p/>".repeat(8 << 20);
    let bytes = zip_parts(&[("word/document.xml", &document_xml(&body))]);
    assert!(bytes.len() < 1 << 20);
    let started = Instant::now();
    let err = read_bytes(&bytes, DocFormat::Docx, &limits()).unwrap_err();
    assert_fast(started, "the zip bomb");
    assert!(
        matches!(
            err,
            DocError::Bomb {
                format: DocFormat::Docx,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("word/document.xml"), "{err}");
}

#[test]
fn docx_entry_lying_about_its_size_is_stopped_while_inflating() {
    let body = "<w:p/>".repeat(8 << 20);
    let mut bytes = zip_parts(&[("word/document.xml", &document_xml(&body))]);
    // Declare 1,000 bytes in both the local header and the central
    // directory.
    let small_size = 1000u32.to_le_bytes();
    bytes[22..26].copy_from_slice(&small_size);
    let central = bytes.windows(4).rposition(|w| w == b"PK\x01\x02").unwrap();
    bytes[central + 24..central + 28].copy_from_slice(&small_size);
    let started = Instant::now();
    let result = read_bytes(&bytes, DocFormat::Docx, &limits());
    assert_fast(started, "the lying entry");
    match result {
        Err(DocError::Bomb { .. }) | Err(DocError::Malformed { .. }) => {}
        Ok(doc) => assert!(
            doc.text.len() < 1 << 20 && !doc.warnings.is_empty(),
            "{:?}",
            doc.warnings
        ),
        Err(e) => panic!("unexpected {e:?}"),
    }
}

#[test]
fn deeply_nested_docx_xml_keeps_shallow_text() {
    let body = format!(
        "<w:p><w:r><w:t>kept 198.51.100.4</w:t></w:r></w:p>{}<w:t>deep</w:t>{}<w:p><w:r><w:t>after</w:t></w:r></w:p>",
        "<w:sdt>".repeat(100_000),
        "</w:sdt>".repeat(100_000)
    );
    let bytes = docx(&body);
    // Repeated tags compress far past the default ratio; this test is
    // about nesting.
    let lenient = DocLimits {
        max_zip_ratio: 10_000,
        ..limits()
    };
    let started = Instant::now();
    let doc = read_bytes(&bytes, DocFormat::Docx, &lenient).unwrap();
    assert_fast(started, "nested DOCX");
    assert_eq!(doc.text, "kept 198.51.100.4\nafter");
    assert!(
        doc.warnings.iter().any(|w| w.contains("deeper than 512")),
        "{:?}",
        doc.warnings
    );
}

#[test]
fn docx_without_document_xml_is_malformed() {
    let bytes = zip_parts(&[("word/styles.xml", b"<w:styles/>")]);
    let err = read_bytes(&bytes, DocFormat::Docx, &limits()).unwrap_err();
    assert!(
        err.to_string().contains("word/document.xml is missing"),
        "{err}"
    );
}

#[test]
fn docx_with_non_xml_document_is_malformed() {
    for junk in [
        &b"this is plain text, not XML"[..],
        b"\x00\x01\x02<<<>>>",
        b"<w:document",
    ] {
        let bytes = zip_parts(&[("word/document.xml", junk)]);
        let err = read_bytes(&bytes, DocFormat::Docx, &limits()).unwrap_err();
        assert!(
            matches!(
                err,
                DocError::Malformed {
                    format: DocFormat::Docx,
                    ..
                }
            ),
            "{junk:?}: {err:?}"
        );
    }
}

#[test]
fn truncated_docx_is_malformed() {
    let whole = docx("<w:p><w:r><w:t>text</w:t></w:r></w:p>");
    for cut in [0, 4, 30, whole.len() / 2, whole.len() - 10] {
        let err = read_bytes(&whole[..cut], DocFormat::Docx, &limits()).unwrap_err();
        assert!(
            matches!(err, DocError::Malformed { .. }),
            "cut {cut}: {err:?}"
        );
    }
}

// ---- HTML ----

#[test]
fn hundred_thousand_nested_divs_are_linear() {
    let html = format!(
        "<p>top 203.0.113.77</p>{}deep{}<p>end</p>",
        "<div>".repeat(100_000),
        "</div>".repeat(100_000)
    );
    let started = Instant::now();
    let doc = read_bytes(html.as_bytes(), DocFormat::Html, &limits()).unwrap();
    assert_fast(started, "nested divs");
    assert_eq!(doc.text, "top 203.0.113.77\n\ndeep\n\nend");
    assert!(
        doc.warnings.iter().any(|w| w.contains("deeper than 512")),
        "{:?}",
        doc.warnings
    );
}

#[test]
fn fifty_megabytes_in_one_element_is_capped_and_linear() {
    let mut html = b"<html><body><p>".to_vec();
    html.extend(b"word 192.0.2.9 ".iter().cycle().take(50 << 20));
    html.extend_from_slice(b"</p></body></html>");
    let started = Instant::now();
    let doc = read_bytes(&html, DocFormat::Html, &small()).unwrap();
    assert_fast(started, "50 MB element, capped");
    assert!(doc.text.len() <= 1 << 20 && doc.text.len() > (1 << 20) - 64);
    assert!(
        doc.warnings.iter().any(|w| w.contains("text cut at")),
        "{:?}",
        doc.warnings
    );
    // Whole, below the limit: every byte of text comes out. 2 MB keeps the
    // unoptimised test build quick; the tokenizer's generic code is
    // compiled at the test profile's level.
    let mut html = b"<p>".to_vec();
    html.extend(b"word 192.0.2.9 ".iter().cycle().take(2 << 20));
    let started = Instant::now();
    let doc = read_bytes(&html, DocFormat::Html, &limits()).unwrap();
    assert_fast(started, "2 MB element, whole");
    assert_eq!(
        doc.text,
        std::str::from_utf8(&html[3..]).unwrap().trim_end()
    );
    assert!(doc.warnings.is_empty(), "{:?}", doc.warnings);
}

#[test]
fn line_breaks_between_many_short_verbatim_pieces_stay_linear() {
    // Each block boundary inside <pre> once looked back over every newline
    // already written.
    let html = format!("<pre>{}</pre>", "<div></div>\n".repeat(100_000));
    let started = Instant::now();
    let doc = read_bytes(html.as_bytes(), DocFormat::Html, &limits()).unwrap();
    assert_fast(started, "newlines in pre");
    assert_eq!(doc.text, "");
}

// ---- encodings, empty input, size ----

#[test]
fn utf16_with_bom_and_windows_1252_are_decoded() {
    let mut le = vec![0xff, 0xfe];
    for u in "<html><body><p>caf\u{e9} 198.51.100.8</p></body></html>".encode_utf16() {
        le.extend_from_slice(&u.to_le_bytes());
    }
    let doc = read_bytes(&le, DocFormat::Html, &limits()).unwrap();
    assert_eq!(doc.text, "caf\u{e9} 198.51.100.8");
    let doc = read_bytes(&le, DocFormat::Text, &limits()).unwrap();
    assert!(doc.text.contains("caf\u{e9} 198.51.100.8"));
    let doc = read_bytes(b"\x93quoted\x94 na\xefve", DocFormat::Text, &limits()).unwrap();
    assert_eq!(doc.text, "\u{201c}quoted\u{201d} na\u{ef}ve");
    assert!(
        doc.warnings.iter().any(|w| w.contains("Windows-1252")),
        "{:?}",
        doc.warnings
    );
    let doc = read_bytes(b"# caf\xe9", DocFormat::Markdown, &limits()).unwrap();
    assert_eq!(doc.title.as_deref(), Some("caf\u{e9}"));
}

#[test]
fn empty_files() {
    for format in [DocFormat::Text, DocFormat::Html, DocFormat::Markdown] {
        let doc = read_bytes(b"", format, &limits()).unwrap();
        assert_eq!(doc.text, "", "{format}");
        assert_eq!(doc.title, None, "{format}");
    }
    for format in [DocFormat::Pdf, DocFormat::Docx] {
        let err = read_bytes(b"", format, &limits()).unwrap_err();
        assert!(
            matches!(err, DocError::Malformed { .. }),
            "{format}: {err:?}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.txt");
    std::fs::write(&path, b"").unwrap();
    assert_eq!(read_path(&path, &limits()).unwrap().text, "");
}

#[test]
fn file_larger_than_max_bytes_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.pdf");
    // A sparse 64 GiB file: reading it whole would be noticed.
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(64 << 30).unwrap();
    let started = Instant::now();
    let err = read_path(&path, &limits()).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    match err {
        DocError::TooLarge {
            size,
            limit,
            ref what,
        } => {
            assert_eq!(size, 64 << 30);
            assert_eq!(limit, 256 << 20);
            assert!(what.ends_with("huge.pdf"));
        }
        other => panic!("{other:?}"),
    }
}
