//! Raw-byte checks made before lopdf sees a file, and bounded inflation of
//! stream data.

use flate2::read::{DeflateDecoder, ZlibDecoder};
use lopdf::{Dictionary, Object, Stream};
use std::io::Read;

/// The most a deflate stream can expand (258 bytes from one 2-bit code
/// pair, about 1032:1), used to judge streams before inflating them.
pub(super) const MAX_DEFLATE_RATIO: usize = 1032;
/// The most an LZW code can expand, per byte of input.
const MAX_LZW_RATIO: usize = 3641;

/// Position of `needle` in `hay`.
pub(super) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    super::super::sniff::find(hay, needle)
}

/// Where array or dictionary nesting first passes `max`, skipping strings,
/// comments and stream data; `None` when it never does. lopdf's parser
/// recurses once per level and has no limit of its own.
pub(super) fn too_deep(bytes: &[u8], max: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'(' => {
                let mut parens = 0usize;
                while i < bytes.len() {
                    match bytes[i] {
                        b'\\' => i += 1,
                        b'(' => parens += 1,
                        b')' => {
                            parens -= 1;
                            if parens == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
            }
            b'[' => depth += 1,
            b']' => depth = depth.saturating_sub(1),
            b'<' if bytes.get(i + 1) == Some(&b'<') => {
                depth += 1;
                i += 1;
            }
            b'<' => {
                while i < bytes.len() && bytes[i] != b'>' {
                    i += 1;
                }
            }
            b'>' if bytes.get(i + 1) == Some(&b'>') => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b's' if bytes[i..].starts_with(b"stream")
                && matches!(bytes.get(i + 6), Some(b'\r' | b'\n')) =>
            {
                // Stream data is binary; skip to its end.
                match find(&bytes[i + 6..], b"endstream") {
                    Some(end) => i += 6 + end + 8,
                    None => return None,
                }
            }
            _ => {}
        }
        if depth > max {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Compressed bytes held in object streams (`/Type /ObjStm`), read from the
/// raw file: the dictionary is never encrypted, so this works before
/// decryption.
pub(super) fn object_stream_bytes(bytes: &[u8]) -> usize {
    let mut total = 0usize;
    let mut at = 0;
    while let Some(pos) = find(&bytes[at..], b"/ObjStm") {
        let from = at + pos;
        let Some(start) = find(&bytes[from..], b"stream") else {
            break;
        };
        let data = from + start + 6;
        let Some(len) = find(&bytes[data..], b"endstream") else {
            total = total.saturating_add(bytes.len() - data);
            break;
        };
        total = total.saturating_add(len);
        at = data + len;
    }
    total
}

/// A stream's data with its filters undone, at most `cap` bytes; the flag
/// says whether it was cut at the cap. Filters that cannot carry text
/// (images) give nothing.
pub(super) fn inflate(stream: &Stream, cap: usize) -> (Vec<u8>, bool) {
    let filters: Vec<Vec<u8>> = match stream.dict.get(b"Filter") {
        Ok(Object::Name(n)) => vec![n.clone()],
        Ok(Object::Array(a)) => a
            .iter()
            .filter_map(|o| o.as_name().ok().map(<[u8]>::to_vec))
            .collect(),
        _ => Vec::new(),
    };
    let mut data = stream.content.clone();
    for filter in &filters {
        let (next, cut) = match filter.as_slice() {
            b"FlateDecode" | b"Fl" => flate(&data, cap),
            b"ASCIIHexDecode" | b"AHx" => (ascii_hex(&data), false),
            b"ASCII85Decode" | b"A85" | b"LZWDecode" | b"LZW" => {
                let lzw = filter.starts_with(b"LZW");
                if lzw && data.len().saturating_mul(MAX_LZW_RATIO) > cap {
                    return (Vec::new(), true);
                }
                let mut dict = Dictionary::new();
                dict.set("Filter", Object::Name(filter.clone()));
                let decoded = Stream::new(dict, data)
                    .decompressed_content()
                    .unwrap_or_default();
                (decoded, false)
            }
            _ => return (Vec::new(), false),
        };
        data = next;
        if data.len() > cap {
            data.truncate(cap);
            return (data, true);
        }
        if cut {
            return (data, true);
        }
    }
    if data.len() > cap {
        data.truncate(cap);
        return (data, true);
    }
    (data, false)
}

/// Inflates zlib data (or raw deflate, which some writers emit) to at most
/// `cap` bytes. A damaged stream yields what inflated before the damage.
fn flate(input: &[u8], cap: usize) -> (Vec<u8>, bool) {
    let limit = cap as u64 + 1;
    let mut out = Vec::new();
    let _ = ZlibDecoder::new(input).take(limit).read_to_end(&mut out);
    if out.is_empty() {
        let _ = DeflateDecoder::new(input).take(limit).read_to_end(&mut out);
    }
    let cut = out.len() > cap;
    out.truncate(cap);
    (out, cut)
}

fn ascii_hex(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() / 2);
    let mut high: Option<u8> = None;
    for &b in input {
        if b == b'>' {
            break;
        }
        let Some(v) = (b as char).to_digit(16) else {
            continue;
        };
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

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::ZlibEncoder;
    use std::io::Write;

    #[test]
    fn nesting_is_measured_outside_strings_and_streams() {
        assert_eq!(too_deep(b"<< /A [[1]] >>", 3), None);
        assert_eq!(too_deep(b"<< /A [[[1]]] >>", 3), Some(8));
        assert_eq!(too_deep(b"(((([[[[[[))))) [1]", 2), None);
        assert_eq!(too_deep(b"<5b5b5b5b> % [[[[[[\n[1]", 2), None);
        assert_eq!(
            too_deep(b"1 0 obj<<>>stream\n[[[[[[[[\nendstream [1]", 2),
            None
        );
    }

    #[test]
    fn inflation_stops_at_the_cap() {
        let mut enc = ZlibEncoder::new(Vec::new(), Compression::best());
        enc.write_all(&vec![b'A'; 1 << 20]).unwrap();
        let mut dict = Dictionary::new();
        dict.set("Filter", Object::Name(b"FlateDecode".to_vec()));
        let s = Stream::new(dict, enc.finish().unwrap());
        let (data, cut) = inflate(&s, 1000);
        assert_eq!(data.len(), 1000);
        assert!(cut);
        let (data, cut) = inflate(&s, 2 << 20);
        assert_eq!(data.len(), 1 << 20);
        assert!(!cut);
    }

    #[test]
    fn ascii_hex_decodes_with_whitespace_and_odd_length() {
        assert_eq!(ascii_hex(b"48 65 6c6C6f7>"), b"Hellop");
    }

    #[test]
    fn object_stream_bytes_counts_data_between_the_keywords() {
        let raw = b"1 0 obj <</Type /ObjStm /N 1>> stream\n0123456789\nendstream endobj";
        assert_eq!(object_stream_bytes(raw), 12);
    }
}
