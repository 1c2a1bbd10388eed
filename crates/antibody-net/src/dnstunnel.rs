//! DNS tunnelling heuristics per registered parent domain (eTLD+1 by the
//! public suffix list, the `psl` crate): tunnels (iodine, dnscat2,
//! DNSExfiltrator, Cobalt Strike's DNS beacon) encode data into many
//! unique, long, high-entropy subdomain labels under one domain they
//! control, often asking for TXT or NULL records to get room for replies.
//!
//! Each parent gets four signals, each 0..=1:
//!
//! * `unique`: distinct subdomains / [`TunnelThresholds::unique_subdomains`]
//!   (default 200), capped at 1;
//! * `entropy`: mean Shannon entropy (bits per character) of the subdomain
//!   part (dots removed) over queries whose subdomain has at least
//!   [`TunnelThresholds::min_entropy_len`] characters (default 16; shorter
//!   strings cannot show much entropy), mapped linearly from
//!   [`TunnelThresholds::entropy_low`] (3.0) to `entropy_high` (4.0);
//! * `long`: share of queries with a label longer than
//!   [`TunnelThresholds::long_label`] (default 40 characters; the DNS
//!   limit is 63, and tunnel tools fill 50–63);
//! * `txt`: share of TXT (16) and NULL (10) queries.
//!
//! `score = 0.3·unique + 0.3·entropy + 0.25·long + 0.15·txt`, and a parent
//! is a candidate when `score ≥ min_score` (0.6) and it has at least
//! `min_unique` (20) distinct subdomains. A CDN or telemetry domain with
//! many short hex-like labels gets `unique` and part of `entropy` but
//! neither `long` nor `txt`, staying near 0.45; `_dmarc` and
//! `_domainkey` TXT lookups are TXT-heavy but few, short and plain.
//! Reverse lookups (`.arpa`) are skipped.
//!
//! Bounds ([`TunnelLimits`]): parents past `max_parents` are counted in
//! [`DnsTunnelTracker::dropped`]. Distinct subdomains are counted with a
//! fixed 4,096-bit linear-counting sketch per parent (512 bytes; estimate
//! `−m·ln(empty/m)`, within a few percent up to several thousand names and
//! saturating near 34,000), not a set of names. Up to
//! [`TunnelLimits::max_clients`] client addresses and 5 example names
//! (the first distinct ones with a long or high-entropy subdomain, else
//! the first seen) are kept.

use crate::model::Micros;
use serde::Serialize;
use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::net::IpAddr;

/// Bounds on what a [`DnsTunnelTracker`] keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TunnelLimits {
    /// Parent domains tracked (default 100,000; each about 700 bytes).
    pub max_parents: usize,
    /// Client addresses kept per parent (default 16).
    pub max_clients: usize,
}

impl Default for TunnelLimits {
    fn default() -> Self {
        TunnelLimits {
            max_parents: 100_000,
            max_clients: 16,
        }
    }
}

/// Where the signals start and saturate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TunnelThresholds {
    /// A label longer than this is "long" (default 40).
    pub long_label: usize,
    /// Subdomains shorter than this are left out of the entropy (default 16).
    pub min_entropy_len: usize,
    /// Mean entropy (bits/char) at which the entropy signal starts (3.0).
    pub entropy_low: f64,
    /// Mean entropy at which it is full (4.0).
    pub entropy_high: f64,
    /// Distinct subdomains at which the unique signal is full (200).
    pub unique_subdomains: f64,
    /// Fewest distinct subdomains for a candidate (20).
    pub min_unique: u64,
    /// Lowest score for a candidate (0.6).
    pub min_score: f64,
}

impl Default for TunnelThresholds {
    fn default() -> Self {
        TunnelThresholds {
            long_label: 40,
            min_entropy_len: 16,
            entropy_low: 3.0,
            entropy_high: 4.0,
            unique_subdomains: 200.0,
            min_unique: 20,
            min_score: 0.6,
        }
    }
}

const SKETCH_BITS: usize = 4096;

#[derive(Debug)]
struct Parent {
    queries: u64,
    sketch: Box<[u64; SKETCH_BITS / 64]>,
    long_queries: u64,
    max_label: usize,
    entropy_sum: f64,
    entropy_n: u64,
    txt_null: u64,
    clients: Vec<IpAddr>,
    first_ts: Micros,
    last_ts: Micros,
    examples: Vec<String>,
    plain_examples: Vec<String>,
}

/// A parent domain that looks like a tunnel, with the numbers that say so.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TunnelCandidate {
    /// Registered domain (eTLD+1): `example.net`.
    pub parent: String,
    /// Clients that asked (up to [`TunnelLimits::max_clients`]).
    pub clients: Vec<IpAddr>,
    /// Queries under the parent.
    pub queries: u64,
    /// Distinct subdomains (estimated).
    pub unique_subdomains: u64,
    /// Longest label seen.
    pub max_label_len: usize,
    /// Share of queries with a long label.
    pub long_label_share: f64,
    /// Mean entropy of long-enough subdomains, bits per character.
    pub mean_entropy: f64,
    /// Share of TXT and NULL queries.
    pub txt_share: f64,
    /// First query.
    pub first_ts: Micros,
    /// Last query.
    pub last_ts: Micros,
    /// 0..=1.
    pub score: f64,
    /// Up to 5 query names.
    pub examples: Vec<String>,
}

/// Shannon entropy of `s`'s bytes, bits per byte.
pub fn shannon_entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    for b in s.bytes() {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    if n == 0.0 {
        return 0.0;
    }
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = f64::from(*c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Tracks DNS questions per parent domain.
#[derive(Debug, Default)]
pub struct DnsTunnelTracker {
    limits: TunnelLimits,
    thresholds: TunnelThresholds,
    parents: HashMap<String, Parent>,
    dropped: u64,
}

impl DnsTunnelTracker {
    /// A tracker with these bounds and the default thresholds.
    pub fn new(limits: TunnelLimits) -> Self {
        Self::with_thresholds(limits, TunnelThresholds::default())
    }

    /// A tracker with these bounds and thresholds.
    pub fn with_thresholds(limits: TunnelLimits, thresholds: TunnelThresholds) -> Self {
        DnsTunnelTracker {
            limits,
            thresholds,
            ..DnsTunnelTracker::default()
        }
    }

    /// Queries not tracked because the parent table was full.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// One question: `query` (any case, trailing dot allowed), its type,
    /// when and who asked.
    pub fn add(&mut self, query: &str, qtype: u16, ts: Micros, client: IpAddr) {
        let name = query.trim_end_matches('.').to_ascii_lowercase();
        if name.is_empty() || name.ends_with(".arpa") {
            return;
        }
        let Some(parent) = psl::domain_str(&name) else {
            return;
        };
        let sub = name[..name.len() - parent.len()].trim_end_matches('.');
        if !self.parents.contains_key(parent) && self.parents.len() >= self.limits.max_parents {
            self.dropped += 1;
            return;
        }
        let th = self.thresholds;
        let p = self
            .parents
            .entry(parent.to_string())
            .or_insert_with(|| Parent {
                queries: 0,
                sketch: Box::new([0; SKETCH_BITS / 64]),
                long_queries: 0,
                max_label: 0,
                entropy_sum: 0.0,
                entropy_n: 0,
                txt_null: 0,
                clients: Vec::new(),
                first_ts: ts,
                last_ts: ts,
                examples: Vec::new(),
                plain_examples: Vec::new(),
            });
        p.queries += 1;
        p.first_ts = p.first_ts.min(ts);
        p.last_ts = p.last_ts.max(ts);
        if matches!(qtype, 10 | 16) {
            p.txt_null += 1;
        }
        if p.clients.len() < self.limits.max_clients && !p.clients.contains(&client) {
            p.clients.push(client);
        }
        if sub.is_empty() {
            return;
        }
        let mut h = DefaultHasher::new();
        sub.hash(&mut h);
        let bit = (h.finish() as usize) % SKETCH_BITS;
        p.sketch[bit / 64] |= 1 << (bit % 64);
        let longest = sub.split('.').map(str::len).max().unwrap_or(0);
        p.max_label = p.max_label.max(longest);
        let long = longest > th.long_label;
        p.long_queries += u64::from(long);
        let compact: String = sub.chars().filter(|c| *c != '.').collect();
        let mut high_entropy = false;
        if compact.len() >= th.min_entropy_len {
            let e = shannon_entropy(&compact);
            p.entropy_sum += e;
            p.entropy_n += 1;
            high_entropy = e >= th.entropy_low;
        }
        let list = if long || high_entropy {
            &mut p.examples
        } else {
            &mut p.plain_examples
        };
        if list.len() < 5 && !list.contains(&name) {
            list.push(name);
        }
    }

    /// Parents that look like tunnels, highest score first.
    pub fn candidates(&self) -> Vec<TunnelCandidate> {
        let th = &self.thresholds;
        let mut out: Vec<TunnelCandidate> = self
            .parents
            .iter()
            .filter_map(|(name, p)| {
                let zeros: u32 = p.sketch.iter().map(|w| w.count_zeros()).sum();
                let m = SKETCH_BITS as f64;
                let unique = if zeros == 0 {
                    (m * m.ln()).round() as u64
                } else {
                    (-m * (f64::from(zeros) / m).ln()).round() as u64
                };
                let q = p.queries as f64;
                let mean_entropy = if p.entropy_n > 0 {
                    p.entropy_sum / p.entropy_n as f64
                } else {
                    0.0
                };
                let s_unique = (unique as f64 / th.unique_subdomains).min(1.0);
                let s_entropy = ((mean_entropy - th.entropy_low)
                    / (th.entropy_high - th.entropy_low))
                    .clamp(0.0, 1.0);
                let long_share = p.long_queries as f64 / q;
                let txt_share = p.txt_null as f64 / q;
                let score = 0.3 * s_unique + 0.3 * s_entropy + 0.25 * long_share + 0.15 * txt_share;
                let score = (score * 1000.0).round() / 1000.0;
                if unique < th.min_unique || score < th.min_score {
                    return None;
                }
                let mut examples = p.examples.clone();
                examples.extend(p.plain_examples.iter().take(5 - examples.len()).cloned());
                Some(TunnelCandidate {
                    parent: name.clone(),
                    clients: p.clients.clone(),
                    queries: p.queries,
                    unique_subdomains: unique,
                    max_label_len: p.max_label,
                    long_label_share: long_share,
                    mean_entropy,
                    txt_share,
                    first_ts: p.first_ts,
                    last_ts: p.last_ts,
                    score,
                    examples,
                })
            })
            .collect();
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.parent.cmp(&b.parent)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_of_known_strings() {
        assert_eq!(shannon_entropy(""), 0.0);
        assert_eq!(shannon_entropy("aaaa"), 0.0);
        assert!((shannon_entropy("abcd") - 2.0).abs() < 1e-12);
        assert!((shannon_entropy("0123456789abcdef") - 4.0).abs() < 1e-12);
    }

    #[test]
    fn parents_follow_the_public_suffix_list() {
        let mut t = DnsTunnelTracker::new(TunnelLimits::default());
        let c: IpAddr = "192.0.2.1".parse().unwrap();
        t.add("a.b.example.co.uk.", 1, 0, c);
        t.add("WWW.Example.Co.Uk", 1, 0, c);
        t.add("1.2.0.192.in-addr.arpa", 12, 0, c);
        let keys: Vec<&String> = t.parents.keys().collect();
        assert_eq!(keys, vec!["example.co.uk"]);
        assert_eq!(t.parents["example.co.uk"].queries, 2);
    }
}
