//! The CISA Known Exploited Vulnerabilities catalogue (JSON): each entry of
//! `vulnerabilities` becomes a CVE item whose description says what is
//! affected, what to do and whether ransomware campaigns use it. Streamed
//! like STIX: one entry in memory at a time.

use super::jsonpath::{Member, Next, str_of, stream_object};
use super::{FormatError, Meta, Sink};
use crate::model::IocKind;
use serde_json::Value;
use std::io::Read;

pub(crate) fn import(r: impl Read, sink: &mut Sink<'_>) -> Result<(), FormatError> {
    let mut fields: Vec<(String, Value)> = Vec::new();
    let mut saw_entries = false;
    let choose = |k: &str| match k {
        "vulnerabilities" => Member::Stream,
        "title" | "catalogVersion" | "dateReleased" => Member::Keep,
        _ => Member::Skip,
    };
    let res = stream_object(
        r,
        sink.opts.max_depth,
        &choose,
        &mut |k, v| fields.push((k.to_string(), v)),
        &mut |_, i, v| {
            saw_entries = true;
            let path = format!("$.vulnerabilities[{i}]");
            if !sink.count_object(&path) {
                return Next::Stop;
            }
            entry(sink, &path, &v);
            Next::Continue
        },
    );
    let field = |k: &str| {
        fields
            .iter()
            .find(|(f, _)| f == k)
            .and_then(|(_, v)| v.as_str())
    };
    let title = field("title").map(str::to_string);
    let version = field("catalogVersion").map(str::to_string);
    let date = field("dateReleased")
        .and_then(|d| d.get(..10))
        .map(str::to_string);
    let doc = sink.doc();
    doc.publisher = Some("CISA".into());
    doc.title = match (title, &version) {
        (Some(t), Some(v)) => format!("{t} (version {v})"),
        (Some(t), None) => t,
        (None, Some(v)) => format!("CISA Known Exploited Vulnerabilities Catalog (version {v})"),
        (None, None) => doc.title.clone(),
    };
    doc.date = date;
    let bytes = res.map_err(|b| sink.json_error(b))?;
    sink.add_bytes(bytes);
    if version.is_none() && !saw_entries {
        return Err(FormatError::Format {
            file: sink.name.clone(),
            message: "not a KEV catalogue: no \"catalogVersion\" and no \"vulnerabilities\"".into(),
        });
    }
    Ok(())
}

fn entry(sink: &mut Sink<'_>, path: &str, v: &Value) {
    let Some(cve) = str_of(v, "cveID") else {
        sink.problem(path, "entry without a \"cveID\" string");
        return;
    };
    let s = |k: &str| str_of(v, k).map(str::trim).filter(|x| !x.is_empty());
    let mut d = String::new();
    match (s("vendorProject"), s("product")) {
        (Some(v), Some(p)) => d.push_str(&format!("{v} {p}")),
        (Some(x), None) | (None, Some(x)) => d.push_str(x),
        _ => {}
    }
    if let Some(n) = s("vulnerabilityName") {
        d.push_str(&format!("{}{n}.", if d.is_empty() { "" } else { ": " }));
    }
    for (key, label) in [
        ("shortDescription", ""),
        ("requiredAction", "Required action: "),
    ] {
        if let Some(x) = s(key) {
            d.push_str(&format!(" {label}{x}"));
        }
    }
    if let Some(a) = s("dateAdded") {
        d.push_str(&format!(" Added {a}."));
    }
    if s("knownRansomwareCampaignUse") == Some("Known") {
        d.push_str(" Known to be used in ransomware campaigns.");
    }
    let meta = Meta {
        description: Some(d.trim().to_string()),
        to_ids: false,
        confidence: Some(1.0),
        ..Meta::default()
    };
    sink.item(&format!("{path}.cveID"), IocKind::Cve, cve, meta);
}
