//! Helpers shared by the correlation tests: events at given seconds,
//! rules from YAML, a correlator fed in one call, and the specification's
//! complete example.

use super::{CorrelationHit, CorrelationRule, Correlator, Observation, parse};
use crate::event::{Event, Format, Position};
use crate::sigma::error::RuleError;
use crate::sigma::yaml::parse_documents;
use chrono::{DateTime, TimeZone, Utc};
use std::path::Path;

/// The specification's example, copied as written.
pub(super) const FULL_EXAMPLE: &str = "\
title: Correlation - Multiple Failed Logins Followed by Successful Login
id: b180ead8-d58f-40b2-ae54-c8940995b9b6
status: experimental
description: Detects multiple failed logins by a single user followed by a successful login of that user
references:
    - https://reference.com
author: Florian Roth (Nextron Systems)
date: 2023-06-16
correlation:
    type: temporal_ordered
    rules:
        - multiple_failed_login
        - successful_login
    group-by:
        - User
    timespan: 10m
falsepositives:
    - Unlikely
level: high
---
title: Multiple failed logons
id: a8418a5a-5fc4-46b5-b23b-6c73beb19d41
description: Detects multiple failed logins within a certain amount of time
name: multiple_failed_login
correlation:
    type: event_count
    rules:
        - failed_login
    group-by:
        - User
    timespan: 10m
    condition:
        gte: 10
---
title: Single failed login
id: 53ba33fd-3a50-4468-a5ef-c583635cfa92
name: failed_login
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID:
            - 529
            - 4625
    condition: selection
---
title: Successful login
id: 4d0a2c83-c62c-4ed4-b475-c7e23a9269b8
description: Detects a successful login
name: successful_login
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID:
            - 528
            - 4624
    condition: selection
";

/// Base rules known to the engine, by index.
pub(super) const BASE: [&str; 4] = ["a", "b", "c", "d"];

pub(super) fn at(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::seconds(secs)
}

pub(super) fn ev(secs: i64, fields: &[(&str, &str)]) -> Event {
    let mut e = Event::new(Format::Evtx, Position::Record(secs as u64));
    for (k, v) in fields {
        e.push(*k, *v);
    }
    e.timestamp = Some(at(secs));
    e
}

pub(super) fn rules(yaml: &str) -> Vec<CorrelationRule> {
    let docs = parse_documents(yaml).unwrap();
    let docs = docs.iter().filter(|d| super::is_correlation(d));
    docs.map(|d| parse(d, Path::new("t.yml")).unwrap())
        .collect()
}

pub(super) fn correlator(yaml: &str) -> (Correlator, Vec<RuleError>) {
    Correlator::new(rules(yaml), &|r| BASE.iter().position(|b| *b == r))
}

/// Feeds (rule, event) pairs with their index as `event_ref`.
pub(super) fn run(yaml: &str, input: &[(usize, Event)]) -> (Vec<CorrelationHit>, Vec<String>) {
    let (mut c, errors) = correlator(yaml);
    assert!(errors.is_empty(), "{errors:?}");
    for (i, (rule, event)) in input.iter().enumerate() {
        c.observe(Observation {
            rule: *rule,
            event,
            event_ref: i as u64,
        });
    }
    c.finish()
}

pub(super) fn count_rule(condition: &str, span: &str) -> String {
    format!(
        "title: count\ncorrelation:\n  type: event_count\n  rules: [a]\n  group-by: [Host]\n  \
         timespan: {span}\n  condition: {{{condition}}}\n"
    )
}

pub(super) fn on(host: &str, times: &[i64]) -> Vec<(usize, Event)> {
    times
        .iter()
        .map(|&t| (0, ev(t, &[("Host", host)])))
        .collect()
}
