//! JSON reading that knows where it is: every value is built through a seed
//! that keeps the path from the root (`$.objects[3].pattern`), so a parse
//! error names the place it broke, and the large array of a feed (STIX
//! `objects`, KEV `vulnerabilities`) is visited one element at a time so
//! memory stays bounded by the largest element rather than the file.
//!
//! serde_json's recursion limit (128 levels) stays on: deeply nested input
//! is an error, never a stack overflow.

use serde::de::{
    DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::{Map, Value};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::io::{self, Read};
use std::rc::Rc;

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    /// An object member.
    Key(String),
    /// An array element.
    Index(u64),
}

/// A path from the root of a JSON document, printed `$.objects[3].pattern`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct JsonPath(pub Vec<Seg>);

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("$")?;
        for s in &self.0 {
            match s {
                Seg::Key(k)
                    if !k.is_empty()
                        && k.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') =>
                {
                    write!(f, ".{k}")?
                }
                Seg::Key(k) => write!(f, "[{}]", Value::String(k.clone()))?,
                Seg::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

/// Where a JSON document broke.
#[derive(Debug)]
pub(crate) struct JsonBreak {
    /// The path being read when it broke.
    pub path: JsonPath,
    /// Line (1-based), 0 when unknown.
    pub line: usize,
    /// Column (1-based), 0 when unknown.
    pub column: usize,
    /// Bytes consumed when it broke (within one byte of the fault).
    pub offset: u64,
    /// serde_json's description, without its position suffix.
    pub message: String,
    /// Set when the underlying read failed (not a syntax problem).
    pub io: Option<io::Error>,
}

/// Counts the bytes serde_json has taken from the reader.
struct Counting<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// The path of the value being built, shared by all seeds of one document.
pub(crate) struct Tracker {
    path: RefCell<Vec<Seg>>,
    max_depth: usize,
    stopped: Cell<bool>,
}

impl Tracker {
    fn new(max_depth: usize) -> Self {
        Tracker {
            path: RefCell::new(Vec::new()),
            max_depth,
            stopped: Cell::new(false),
        }
    }

    fn push(&self, s: Seg) {
        self.path.borrow_mut().push(s);
    }

    fn pop(&self) {
        self.path.borrow_mut().pop();
    }

    fn enter<E: serde::de::Error>(&self) -> Result<(), E> {
        if self.path.borrow().len() >= self.max_depth {
            return Err(E::custom(format_args!(
                "nesting deeper than {} levels",
                self.max_depth
            )));
        }
        Ok(())
    }
}

/// Builds a [`Value`] while keeping the tracker's path current. On an
/// error the path is left as it was at the fault.
struct ValueSeed<'a>(&'a Tracker);

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.0.enter()?;
        let mut out = Vec::new();
        loop {
            self.0.push(Seg::Index(out.len() as u64));
            match seq.next_element_seed(ValueSeed(self.0))? {
                Some(v) => out.push(v),
                None => {
                    self.0.pop();
                    break;
                }
            }
            self.0.pop();
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.0.enter()?;
        let mut out = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            self.0.push(Seg::Key(k.clone()));
            let v = map.next_value_seed(ValueSeed(self.0))?;
            self.0.pop();
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
}

/// What [`stream_object`] does with one member of the top-level object.
pub(crate) enum Member {
    /// Build it as a [`Value`] and hand it to the field callback.
    Keep,
    /// It is an array: hand each element to the element callback, one at a
    /// time.
    Stream,
    /// Read past it without keeping it.
    Skip,
}

/// Whether to go on after an element.
pub(crate) enum Next {
    /// Read the next element.
    Continue,
    /// Stop reading the document here (a limit was reached).
    Stop,
}

type FieldFn<'a> = dyn FnMut(&str, Value) + 'a;
type ElemFn<'a> = dyn FnMut(&str, u64, Value) -> Next + 'a;

struct TopSeed<'a, 'b> {
    t: &'a Tracker,
    choose: &'a dyn Fn(&str) -> Member,
    on_field: &'a RefCell<&'b mut FieldFn<'b>>,
    on_elem: &'a RefCell<&'b mut ElemFn<'b>>,
}

impl<'de> DeserializeSeed<'de> for TopSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(k) = map.next_key::<String>()? {
            self.t.push(Seg::Key(k.clone()));
            match (self.choose)(&k) {
                Member::Keep => {
                    let v = map.next_value_seed(ValueSeed(self.t))?;
                    (self.on_field.borrow_mut())(&k, v);
                }
                Member::Stream => map.next_value_seed(ArraySeed {
                    t: self.t,
                    key: &k,
                    on_elem: self.on_elem,
                })?,
                Member::Skip => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            self.t.pop();
        }
        Ok(())
    }
}

struct ArraySeed<'a, 'b> {
    t: &'a Tracker,
    key: &'a str,
    on_elem: &'a RefCell<&'b mut ElemFn<'b>>,
}

impl<'de> DeserializeSeed<'de> for ArraySeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ArraySeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0u64;
        loop {
            self.t.push(Seg::Index(i));
            let Some(v) = seq.next_element_seed(ValueSeed(self.t))? else {
                self.t.pop();
                return Ok(());
            };
            let next = (self.on_elem.borrow_mut())(self.key, i, v);
            self.t.pop();
            if let Next::Stop = next {
                self.t.stopped.set(true);
                // Unwinds the parse; recognised by `stream_object`.
                return Err(A::Error::custom("stopped"));
            }
            i += 1;
        }
    }
}

/// Reads a document whose root is an object, building the members `choose`
/// says to keep and streaming the arrays it says to stream. Returns the
/// bytes read.
pub(crate) fn stream_object<R: Read>(
    reader: R,
    max_depth: usize,
    choose: &dyn Fn(&str) -> Member,
    on_field: &mut FieldFn<'_>,
    on_elem: &mut ElemFn<'_>,
) -> Result<u64, JsonBreak> {
    let count = Rc::new(Cell::new(0));
    let counting = Counting {
        inner: io::BufReader::with_capacity(64 * 1024, reader),
        count: count.clone(),
    };
    let t = Tracker::new(max_depth);
    let mut de = serde_json::Deserializer::from_reader(counting);
    // Two-lifetime juggling is avoided by erasing to the shortest one.
    let on_field: &RefCell<&mut FieldFn<'_>> = &RefCell::new(on_field);
    let on_elem: &RefCell<&mut ElemFn<'_>> = &RefCell::new(on_elem);
    let r = TopSeed {
        t: &t,
        choose,
        on_field,
        on_elem,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    match r {
        Ok(()) => Ok(count.get()),
        Err(_) if t.stopped.get() => Ok(count.get()),
        Err(e) => Err(to_break(e, &t, count.get())),
    }
}

/// Reads a whole JSON document into a [`Value`], naming the path of any
/// fault.
pub(crate) fn read_value<R: Read>(reader: R, max_depth: usize) -> Result<Value, JsonBreak> {
    let count = Rc::new(Cell::new(0));
    let counting = Counting {
        inner: io::BufReader::with_capacity(64 * 1024, reader),
        count: count.clone(),
    };
    let t = Tracker::new(max_depth);
    let mut de = serde_json::Deserializer::from_reader(counting);
    let r = ValueSeed(&t)
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v));
    r.map_err(|e| to_break(e, &t, count.get()))
}

fn to_break(e: serde_json::Error, t: &Tracker, offset: u64) -> JsonBreak {
    let full = e.to_string();
    // serde_json appends " at line L column C"; the position is kept apart.
    let message = match full.rfind(" at line ") {
        Some(i) if e.line() > 0 => full[..i].to_string(),
        _ => full,
    };
    let (line, column) = (e.line(), e.column());
    let io = if e.is_io() {
        Some(io::Error::from(e))
    } else {
        None
    };
    JsonBreak {
        path: JsonPath(t.path.borrow().clone()),
        line,
        column,
        offset,
        message,
        io,
    }
}

/// The string member `key` of `v`, when it is a string.
pub(crate) fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)?.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_path_of_a_fault() {
        let doc = br#"{"a": [1, {"b": "ok", "c": "bad \q"}]}"#;
        let e = read_value(&doc[..], 128).unwrap_err();
        assert_eq!(e.path.to_string(), "$.a[1].c");
        assert_eq!(e.line, 1);
        assert!(e.message.contains("escape"), "{}", e.message);
    }

    #[test]
    fn deep_nesting_is_an_error_not_an_overflow() {
        let doc = "[".repeat(100_000);
        let e = read_value(doc.as_bytes(), 128).unwrap_err();
        assert!(e.message.contains("recursion limit") || e.message.contains("nesting"));
    }

    #[test]
    fn streams_elements_in_order_and_stops_on_request() {
        let doc = br#"{"x": 1, "skip": {"deep": [1,2]}, "items": [10, 20, 30]}"#;
        let mut fields = Vec::new();
        let mut elems = Vec::new();
        let choose = |k: &str| match k {
            "x" => Member::Keep,
            "items" => Member::Stream,
            _ => Member::Skip,
        };
        stream_object(
            &doc[..],
            128,
            &choose,
            &mut |k, v| fields.push((k.to_string(), v)),
            &mut |_, i, v| {
                elems.push((i, v));
                if i == 1 { Next::Stop } else { Next::Continue }
            },
        )
        .unwrap();
        assert_eq!(fields, vec![("x".to_string(), Value::from(1))]);
        assert_eq!(elems, vec![(0, Value::from(10)), (1, Value::from(20))]);
    }

    #[test]
    fn odd_keys_are_quoted_in_paths() {
        let p = JsonPath(vec![
            Seg::Key("objects".into()),
            Seg::Index(2),
            Seg::Key("a b".into()),
        ]);
        assert_eq!(p.to_string(), r#"$.objects[2]["a b"]"#);
    }
}
