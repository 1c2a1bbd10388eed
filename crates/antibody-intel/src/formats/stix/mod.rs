//! STIX 2.1: bundles are imported as a stream (`import`), patterns parsed
//! with the whole patterning grammar ([`pattern`]), and packs exported as
//! deterministic bundles ([`export`]).

pub mod export;
pub(crate) mod import;
mod lexer;
pub mod pattern;

use serde_json::Value;

/// The ATT&CK id in a STIX object's `external_references`
/// (`source_name` `mitre-attack`, or its mobile and ICS variants).
pub(crate) fn attack_external_id(obj: &Value) -> Option<&str> {
    obj.get("external_references")?
        .as_array()?
        .iter()
        .find(|r| {
            r.get("source_name")
                .and_then(Value::as_str)
                .is_some_and(|s| s.starts_with("mitre-") && s.ends_with("attack"))
        })?
        .get("external_id")?
        .as_str()
}
