//! Zeek's JSON lines: one object per line with dotted keys (`id.orig_h`),
//! or nested objects (`{"id": {"orig_h": ...}}`) as some shippers rewrite
//! them; the log kind from `_path`, else from the file name.

use super::records::{self, Row};
use super::{ReadCtx, ZeekReader, line_text, lines, log_kind};
use crate::model::RecordSink;
use serde_json::{Map, Value};
use std::borrow::Cow;

struct JsonRow<'a> {
    obj: &'a Map<String, Value>,
    names: &'static [&'static str],
}

impl JsonRow<'_> {
    fn value(&self, f: usize) -> Option<&Value> {
        let name = *self.names.get(f)?;
        if let Some(v) = self.obj.get(name) {
            return Some(v);
        }
        let mut parts = name.split('.');
        let mut v = self.obj.get(parts.next()?)?;
        for p in parts {
            v = v.as_object()?.get(p)?;
        }
        Some(v)
    }
}

fn scalar(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "T" } else { "F" })),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        // A set where a scalar is expected: Zeek's own TSV form of it.
        Value::Array(a) => Some(Cow::Owned(
            a.iter().filter_map(scalar).collect::<Vec<_>>().join(","),
        )),
        Value::Object(_) => None,
    }
}

impl Row for JsonRow<'_> {
    fn get(&self, f: usize) -> Option<Cow<'_, str>> {
        scalar(self.value(f)?)
    }

    fn list(&self, f: usize) -> Vec<String> {
        match self.value(f) {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| scalar(v).map(Cow::into_owned))
                .collect(),
            Some(v) => scalar(v)
                .filter(|s| !s.is_empty())
                .map(|s| vec![s.into_owned()])
                .unwrap_or_default(),
            None => Vec::new(),
        }
    }
}

/// Reads JSON lines; returns an unsupported `_path` seen, if any.
pub(crate) fn read(
    reader: &mut ZeekReader,
    data: &[u8],
    ctx: &mut ReadCtx<'_>,
    out: &mut dyn RecordSink,
) -> Option<String> {
    let limits = reader.limits;
    let mut unsupported: Option<String> = None;
    for (n, raw) in lines(data) {
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        ctx.stats.lines += 1;
        let Some(text) = line_text(raw, n, &limits, ctx, out) else {
            continue;
        };
        // serde_json stops at 128 levels of nesting, so hostile depth is
        // an error, not a stack overflow.
        let obj: Map<String, Value> = match serde_json::from_str(&text) {
            Ok(o) => o,
            Err(e) => {
                ctx.bad_line(out, n, &format!("not a JSON object: {e}"));
                continue;
            }
        };
        let path = obj.get("_path").and_then(Value::as_str);
        let Some(kind) = log_kind(ctx.name, path) else {
            ctx.stats.unsupported_lines += 1;
            let p = path.unwrap_or(ctx.name).to_string();
            if unsupported.as_deref() != Some(p.as_str()) {
                ctx.anomaly(
                    out,
                    "zeek_unsupported_log",
                    n,
                    &format!("log {p:?} not read"),
                );
            }
            unsupported = Some(p);
            continue;
        };
        let row = JsonRow {
            obj: &obj,
            names: records::fields(kind),
        };
        match records::parse(kind, &row) {
            Ok(parsed) => reader.take(parsed, ctx, out),
            Err(why) => ctx.bad_line(out, n, &why),
        }
    }
    unsupported
}
