//! JSON reading that knows where it is: every value is built through a seed
//! that keeps the path from the root (`$.objects[3].pattern`), so a parse
//! error names the place it broke, and the large arrays of a feed (STIX
//! `objects`, KEV `vulnerabilities`, MISP `Event.Attribute` at any depth a
//! caller chooses) are visited one element at a time so memory stays
//! bounded by the largest element rather than the file. A caller says, path
//! by path, what to descend into, keep, stream or skip; what it skips is
//! read past without being built.
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

/// What [`stream_tree`] does with the value at a path.
pub(crate) enum Member {
    /// Build it as a [`Value`] and hand it to the field callback.
    Keep,
    /// It is an array: hand each element to the element callback, one at a
    /// time (`null` is an empty array).
    Stream,
    /// Read past it without keeping it.
    Skip,
    /// It is an object or array: decide for each of its members in turn,
    /// and call the close callback at its end. A scalar found here goes to
    /// the field callback.
    Descend,
}

/// Whether to go on after an element.
pub(crate) enum Next {
    /// Read the next element.
    Continue,
    /// Stop reading the document here (a limit was reached).
    Stop,
}

/// The callbacks of [`stream_tree`]. Each is given the path of the value
/// (for an element, ending with its index).
pub(crate) struct Walk<'c> {
    /// What to do with the value at a path.
    pub choose: &'c dyn Fn(&[Seg]) -> Member,
    /// A kept value (or a scalar where a container was expected).
    pub field: &'c mut dyn FnMut(&[Seg], Value),
    /// One element of a streamed array.
    pub elem: &'c mut dyn FnMut(&[Seg], Value) -> Next,
    /// A descended object or array ended.
    pub close: &'c mut dyn FnMut(&[Seg]),
}

/// Visits a container member by member, as [`Walk::choose`] says.
struct TreeSeed<'s, 'c> {
    t: &'s Tracker,
    walk: &'s mut Walk<'c>,
    /// The value must be an object (the root of STIX and KEV documents).
    object_only: bool,
}

impl<'s, 'c> TreeSeed<'s, 'c> {
    fn child(&mut self) -> TreeSeed<'_, 'c> {
        TreeSeed {
            t: self.t,
            walk: &mut *self.walk,
            object_only: false,
        }
    }

    fn array(&mut self) -> ArraySeed<'_, 'c> {
        ArraySeed {
            t: self.t,
            walk: &mut *self.walk,
        }
    }

    fn scalar<E>(self, v: Value) -> Result<(), E> {
        (self.walk.field)(&self.t.path.borrow(), v);
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for TreeSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if self.object_only {
            d.deserialize_map(self)
        } else {
            d.deserialize_any(self)
        }
    }
}

impl<'de> Visitor<'de> for TreeSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.scalar(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.scalar(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.scalar(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.scalar(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.scalar(Value::String(v.to_string()))
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.scalar(Value::Null)
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        self.t.enter()?;
        while let Some(k) = map.next_key::<String>()? {
            self.t.push(Seg::Key(k));
            let what = (self.walk.choose)(&self.t.path.borrow());
            match what {
                Member::Keep => {
                    let v = map.next_value_seed(ValueSeed(self.t))?;
                    (self.walk.field)(&self.t.path.borrow(), v);
                }
                Member::Stream => map.next_value_seed(self.array())?,
                Member::Skip => {
                    map.next_value::<IgnoredAny>()?;
                }
                Member::Descend => map.next_value_seed(self.child())?,
            }
            self.t.pop();
        }
        (self.walk.close)(&self.t.path.borrow());
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        self.t.enter()?;
        let mut i = 0u64;
        loop {
            self.t.push(Seg::Index(i));
            let what = (self.walk.choose)(&self.t.path.borrow());
            let more = match what {
                Member::Keep => match seq.next_element_seed(ValueSeed(self.t))? {
                    Some(v) => {
                        (self.walk.field)(&self.t.path.borrow(), v);
                        true
                    }
                    None => false,
                },
                Member::Stream => seq.next_element_seed(self.array())?.is_some(),
                Member::Skip => seq.next_element::<IgnoredAny>()?.is_some(),
                Member::Descend => seq.next_element_seed(self.child())?.is_some(),
            };
            self.t.pop();
            if !more {
                break;
            }
            i += 1;
        }
        (self.walk.close)(&self.t.path.borrow());
        Ok(())
    }
}

/// Hands each element of an array to [`Walk::elem`].
struct ArraySeed<'s, 'c> {
    t: &'s Tracker,
    walk: &'s mut Walk<'c>,
}

impl<'de> DeserializeSeed<'de> for ArraySeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ArraySeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array")
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0u64;
        loop {
            self.t.push(Seg::Index(i));
            let Some(v) = seq.next_element_seed(ValueSeed(self.t))? else {
                self.t.pop();
                return Ok(());
            };
            let next = (self.walk.elem)(&self.t.path.borrow(), v);
            self.t.pop();
            if let Next::Stop = next {
                self.t.stopped.set(true);
                // Unwinds the parse; recognised by `stream_tree`.
                return Err(A::Error::custom("stopped"));
            }
            i += 1;
        }
    }
}

/// Reads a JSON document as `walk` says: descending into the containers it
/// names, building the values it keeps and streaming the arrays it
/// streams, so memory is bounded by the largest kept value or element,
/// never by the file. The root is descended into; with `object_only` it
/// must be an object. Returns the bytes read.
pub(crate) fn stream_tree<R: Read>(
    reader: R,
    max_depth: usize,
    object_only: bool,
    walk: &mut Walk<'_>,
) -> Result<u64, JsonBreak> {
    let count = Rc::new(Cell::new(0));
    let counting = Counting {
        inner: io::BufReader::with_capacity(64 * 1024, reader),
        count: count.clone(),
    };
    let t = Tracker::new(max_depth);
    let mut de = serde_json::Deserializer::from_reader(counting);
    let r = TreeSeed {
        t: &t,
        walk,
        object_only,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    match r {
        Ok(()) => Ok(count.get()),
        Err(_) if t.stopped.get() => Ok(count.get()),
        Err(e) => Err(to_break(e, &t, count.get())),
    }
}

/// Reads a document whose root is an object, building the top-level members
/// `choose` says to keep and streaming the arrays it says to stream
/// (`Descend` is read as `Skip` here). Returns the bytes read.
pub(crate) fn stream_object<R: Read>(
    reader: R,
    max_depth: usize,
    choose: &dyn Fn(&str) -> Member,
    on_field: &mut dyn FnMut(&str, Value),
    on_elem: &mut dyn FnMut(&str, u64, Value) -> Next,
) -> Result<u64, JsonBreak> {
    let choose_path = |p: &[Seg]| match p {
        [Seg::Key(k)] => match choose(k) {
            Member::Descend => Member::Skip,
            m => m,
        },
        _ => Member::Skip,
    };
    let mut field = |p: &[Seg], v: Value| {
        if let [Seg::Key(k)] = p {
            on_field(k, v);
        }
    };
    let mut elem = |p: &[Seg], v: Value| match p {
        [Seg::Key(k), Seg::Index(i)] => on_elem(k, *i, v),
        _ => Next::Continue,
    };
    let mut walk = Walk {
        choose: &choose_path,
        field: &mut field,
        elem: &mut elem,
        close: &mut |_: &[Seg]| {},
    };
    stream_tree(reader, max_depth, true, &mut walk)
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

    /// Reads a document keeping every member of the root.
    fn keep_all(doc: &[u8]) -> Result<u64, JsonBreak> {
        let mut walk = Walk {
            choose: &|_: &[Seg]| Member::Keep,
            field: &mut |_, _| {},
            elem: &mut |_, _| Next::Continue,
            close: &mut |_| {},
        };
        stream_tree(doc, 128, false, &mut walk)
    }

    #[test]
    fn names_the_path_of_a_fault() {
        let doc = br#"{"a": [1, {"b": "ok", "c": "bad \q"}]}"#;
        let e = keep_all(&doc[..]).unwrap_err();
        assert_eq!(e.path.to_string(), "$.a[1].c");
        assert_eq!(e.line, 1);
        assert!(e.message.contains("escape"), "{}", e.message);
    }

    #[test]
    fn deep_nesting_is_an_error_not_an_overflow() {
        let doc = "[".repeat(100_000);
        let e = keep_all(doc.as_bytes()).unwrap_err();
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
    fn descends_keeps_streams_and_closes_by_path() {
        let doc = br#"{"r": [{"E": {"a": [1, 2], "k": "v", "s": {"x": 1}}}, {"E": "flat"}, {"E": {"a": null}}], "z": 0}"#;
        let events = RefCell::new(Vec::<String>::new());
        let log = |e: String| events.borrow_mut().push(e);
        let path = |p: &[Seg]| JsonPath(p.to_vec()).to_string();
        let choose = |p: &[Seg]| match p.last() {
            Some(Seg::Key(k)) if k == "r" || k == "E" => Member::Descend,
            Some(Seg::Index(_)) if p.len() == 2 => Member::Descend,
            Some(Seg::Key(k)) if k == "a" => Member::Stream,
            Some(Seg::Key(k)) if k == "k" => Member::Keep,
            _ => Member::Skip,
        };
        let mut walk = Walk {
            choose: &choose,
            field: &mut |p, v| log(format!("field {} {v}", path(p))),
            elem: &mut |p, v| {
                log(format!("elem {} {v}", path(p)));
                Next::Continue
            },
            close: &mut |p| log(format!("close {}", path(p))),
        };
        let n = stream_tree(&doc[..], 128, false, &mut walk).unwrap();
        assert_eq!(n, doc.len() as u64);
        assert_eq!(
            events.into_inner(),
            [
                "elem $.r[0].E.a[0] 1",
                "elem $.r[0].E.a[1] 2",
                "field $.r[0].E.k \"v\"",
                "close $.r[0].E",
                "close $.r[0]",
                "field $.r[1].E \"flat\"",
                "close $.r[1]",
                "close $.r[2].E",
                "close $.r[2]",
                "close $.r",
                "close $",
            ]
        );
        // With `object_only`, a root that is not an object is an error.
        let mut walk = Walk {
            choose: &choose,
            field: &mut |_, _| {},
            elem: &mut |_, _| Next::Continue,
            close: &mut |_| {},
        };
        let e = stream_tree(&b"[1]"[..], 128, true, &mut walk).unwrap_err();
        assert!(
            e.message.contains("expected a JSON object"),
            "{}",
            e.message
        );
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
