//! Beaconing: how regularly one client talks to one server port, scored as
//! RITA does, plus per-pair byte totals for a "top talkers" table.
//!
//! The score follows RITA v5 (activecm/rita, `analysis/beacons.go` and the
//! defaults in `config/config.go`, 2024–2025):
//!
//! * **timestamp score**: intervals between connections in whole seconds,
//!   zero intervals dropped (at least 3 left). Bowley skew
//!   `(Q1 + Q3 − 2·Q2) / (Q3 − Q1)`, taken as 0 when `Q3 − Q1 < 10` or the
//!   median equals a quartile; skew score `1 − |skew|`. MAD (median
//!   absolute deviation about the median) score `(median − MAD) / median`
//!   (1 when the median is under 1 s), floored at 0. Timestamp score = mean
//!   of the two, rounded to 3 decimals.
//! * **data-size score**: the same on the per-connection byte counts (the
//!   MAD score is 0 when the median is under 1 byte).
//! * **histogram score**: the observation window (first to last timestamp
//!   over all pairs) cut into 24 equal bins, hours for a day of data;
//!   `max(1 − CV, bimodal fit)` where CV is the coefficient of variation
//!   of the bin counts (score 0 past 1) and bimodal fit, with at least 11
//!   bins seen, is the share of non-empty bins in the two most common
//!   count bands (band width 5 % of the largest bin; one outlier bin
//!   forgiven).
//! * **persistence** (RITA's duration score): with at least 6 bins seen,
//!   `max(coverage, consistency)`: coverage is the pair's first-to-last
//!   span over the window, consistency the longest run of consecutive
//!   non-empty bins (wrapping around) over 12.
//! * **score** = 0.25 × each of the four (RITA's default weights).
//!
//! Earlier RITA (rita-legacy `pkg/beacon/analyzer.go`) cut MAD off at 30 s
//! and 32 bytes and added connection-count and "smallness" parts; v5
//! normalises by the median instead, which scores slow beacons (hourly,
//! with minutes of jitter) fairly. Like RITA, a pair busy all day at an
//! even rate gets high histogram and persistence parts: a steady poller
//! (an update check, a monitoring agent) is beacon-like, and the parts are
//! returned so a finding can say which ones drove the score.
//!
//! Bounds ([`BeaconLimits`]): pairs beyond `max_pairs` are counted and not
//! tracked; a pair with more than `max_samples_per_pair` connections keeps
//! an even subsample (every 2nd, then every 4th, ... connection in arrival
//! order), whose intervals are then multiples of the true ones, so the
//! regularity measures hold; `sample_stride` says by how much, and the
//! reported median interval is divided by it.

use crate::model::{FlowKey, Micros};
use serde::Serialize;
use std::collections::HashMap;
use std::net::IpAddr;

/// The conversation a beacon is scored over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct BeaconKey {
    /// Initiator.
    pub client: IpAddr,
    /// Responder.
    pub server: IpAddr,
    /// Responder port.
    pub server_port: u16,
    /// IP protocol number.
    pub proto: u8,
}

impl From<&FlowKey> for BeaconKey {
    fn from(f: &FlowKey) -> Self {
        BeaconKey {
            client: f.client_ip,
            server: f.server_ip,
            server_port: f.server_port,
            proto: f.proto,
        }
    }
}

/// Bounds on what a [`BeaconTracker`] keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BeaconLimits {
    /// Pairs tracked (default 200,000); connections of further pairs are
    /// counted in [`BeaconTracker::dropped_connections`].
    pub max_pairs: usize,
    /// Connections kept per pair (default 86,400: one a second for a day);
    /// beyond it an even subsample.
    pub max_samples_per_pair: usize,
}

impl Default for BeaconLimits {
    fn default() -> Self {
        BeaconLimits {
            max_pairs: 200_000,
            max_samples_per_pair: 86_400,
        }
    }
}

#[derive(Debug, Default)]
struct Series {
    samples: Vec<(Micros, u64)>,
    connections: u64,
    first: Micros,
    last: Micros,
    stride: u64,
}

/// Collects connection times and sizes per pair and scores them.
#[derive(Debug, Default)]
pub struct BeaconTracker {
    limits: BeaconLimits,
    pairs: HashMap<BeaconKey, Series>,
    window: Option<(Micros, Micros)>,
    dropped_connections: u64,
}

/// One pair's beacon score and the parts it is made of.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BeaconScore {
    /// The pair.
    pub key: BeaconKey,
    /// Connections seen (all of them, not only the sampled ones).
    pub connections: u64,
    /// First connection.
    pub first_ts: Micros,
    /// Last connection.
    pub last_ts: Micros,
    /// Median interval between connections, seconds.
    pub median_interval_s: f64,
    /// Bowley skew of the intervals (0 symmetric).
    pub ts_skew: f64,
    /// Median absolute deviation of the intervals, seconds.
    pub ts_mad: f64,
    /// Timestamp part, 0..=1.
    pub ts_score: f64,
    /// Bowley skew of the sizes.
    pub ds_skew: f64,
    /// Median absolute deviation of the sizes, bytes.
    pub ds_mad: f64,
    /// Most common size, bytes.
    pub ds_mode: u64,
    /// Data-size part, 0..=1.
    pub ds_score: f64,
    /// Bins of the window (of 24) with a connection.
    pub hours_active: u32,
    /// Longest run of consecutive active bins (wrapping around).
    pub longest_run_hours: u32,
    /// Histogram part, 0..=1.
    pub hist_score: f64,
    /// Persistence (RITA's duration part), 0..=1.
    pub persistence_score: f64,
    /// Weighted total, 0..=1.
    pub score: f64,
    /// 1 when every connection was kept, else the subsampling step.
    pub sample_stride: u64,
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn median_sorted(v: &[f64]) -> f64 {
    let n = v.len();
    if n == 0 {
        return 0.0;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Quartiles as montanaflynn/stats (which RITA uses) computes them: the
/// medians of the lower and upper halves, the middle value left out when
/// the count is odd.
fn quartiles(sorted: &[f64]) -> (f64, f64, f64) {
    let n = sorted.len();
    let half = n / 2;
    let (lower, upper) = if n.is_multiple_of(2) {
        (&sorted[..half], &sorted[half..])
    } else {
        (&sorted[..half], &sorted[half + 1..])
    };
    (
        median_sorted(lower),
        median_sorted(sorted),
        median_sorted(upper),
    )
}

/// Bowley skew and its score, as RITA's `calculateBowleySkewness`.
fn bowley(sorted: &[f64]) -> (f64, f64) {
    let (q1, q2, q3) = quartiles(sorted);
    let den = q3 - q1;
    let skew = if den >= 10.0 && q2 != q1 && q2 != q3 {
        (q1 + q3 - 2.0 * q2) / den
    } else {
        0.0
    };
    (skew, 1.0 - skew.abs())
}

/// MAD and its score, as RITA's `calculateMedianAbsoluteDeviation`.
fn mad(sorted: &[f64], default_score: f64) -> (f64, f64) {
    let m = median_sorted(sorted);
    let mut devs: Vec<f64> = sorted.iter().map(|x| (x - m).abs()).collect();
    devs.sort_by(f64::total_cmp);
    let mad = median_sorted(&devs);
    let score = if m >= 1.0 {
        (m - mad) / m
    } else {
        default_score
    };
    (
        mad,
        if score.is_nan() || score < 0.0 {
            0.0
        } else {
            score
        },
    )
}

/// `(skew, mad, score)` as RITA's `calculateStatisticalScore`.
fn statistical(sorted: &[f64], default_mad_score: f64) -> (f64, f64, f64) {
    let (skew, skew_score) = bowley(sorted);
    let (m, mad_score) = mad(sorted, default_mad_score);
    (skew, m, round3((skew_score + mad_score) / 2.0))
}

const BINS: usize = 24;

/// Histogram and duration parts, as RITA's `getHistogramScore` and
/// `getDurationScore` with its default settings.
fn histogram(window: (i64, i64), secs: &[i64]) -> (u32, u32, f64, f64) {
    let (lo, hi) = window;
    let step = (hi - lo) as f64 / BINS as f64;
    let mut hist = [0u64; BINS];
    for &t in secs {
        let i = (((t - lo) as f64) / step).floor();
        let i = if i.is_finite() && i >= 0.0 {
            (i as usize).min(BINS - 1)
        } else {
            0
        };
        hist[i] += 1;
    }
    let total: u64 = hist.iter().sum();
    let bars = hist.iter().filter(|c| **c > 0).count() as u32;
    let largest = hist.iter().copied().max().unwrap_or(0);
    let mut run = 0u32;
    let mut longest = 0u32;
    for i in 0..BINS * 2 {
        if hist[i % BINS] > 0 {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let longest = longest.min(BINS as u32);
    // Coefficient of variation.
    let mean = total as f64 / BINS as f64;
    let var = hist.iter().map(|c| (*c as f64 - mean).powi(2)).sum::<f64>() / BINS as f64;
    let cv = var.sqrt() / mean;
    let cv_score = if cv > 1.0 || cv.is_nan() {
        0.0
    } else {
        round3(1.0 - cv)
    };
    // Bimodal fit.
    let band = (largest as f64 * 0.05).ceil().max(1.0);
    let mut bands: HashMap<u64, u32> = HashMap::new();
    for c in hist.iter().filter(|c| **c > 0) {
        *bands
            .entry(((*c as f64 / band).floor() * band) as u64)
            .or_default() += 1;
    }
    let mut modal = 0.0;
    if bars >= 11 {
        let mut counts: Vec<u32> = bands.values().copied().collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        let top2 = counts.iter().take(2).sum::<u32>() as f64;
        modal = (top2 / f64::from(bars.saturating_sub(1).max(1))).min(1.0);
    }
    let hist_score = cv_score.max(round3(modal));
    let first = secs.iter().copied().min().unwrap_or(lo);
    let last = secs.iter().copied().max().unwrap_or(lo);
    let dur = if bars >= 6 && last > first {
        let coverage = ((((last - first) as f64) / ((hi - lo) as f64)) * 1000.0).ceil() / 1000.0;
        let consistency = ((f64::from(longest) / 12.0) * 1000.0).ceil() / 1000.0;
        coverage.min(1.0).max(consistency.min(1.0))
    } else {
        0.0
    };
    (bars, longest, hist_score, dur)
}

impl BeaconTracker {
    /// A tracker with these bounds.
    pub fn new(limits: BeaconLimits) -> Self {
        BeaconTracker {
            limits,
            ..BeaconTracker::default()
        }
    }

    /// One connection of `key` at `ts` carrying `bytes` (client to server,
    /// as RITA's `orig_bytes`).
    pub fn add(&mut self, key: BeaconKey, ts: Micros, bytes: u64) {
        let window = self.window.get_or_insert((ts, ts));
        window.0 = window.0.min(ts);
        window.1 = window.1.max(ts);
        if !self.pairs.contains_key(&key) && self.pairs.len() >= self.limits.max_pairs {
            self.dropped_connections += 1;
            return;
        }
        let s = self.pairs.entry(key).or_insert_with(|| Series {
            first: ts,
            last: ts,
            stride: 1,
            ..Series::default()
        });
        s.first = s.first.min(ts);
        s.last = s.last.max(ts);
        let n = s.connections;
        s.connections += 1;
        if !n.is_multiple_of(s.stride) {
            return;
        }
        if s.samples.len() >= self.limits.max_samples_per_pair.max(2) {
            let mut i = 0;
            s.samples.retain(|_| {
                i += 1;
                i % 2 == 1
            });
            s.stride *= 2;
            if !n.is_multiple_of(s.stride) {
                return;
            }
        }
        s.samples.push((ts, bytes));
    }

    /// Connections not tracked because the pair table was full.
    pub fn dropped_connections(&self) -> u64 {
        self.dropped_connections
    }

    /// Pairs tracked.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// No pair tracked.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Scores of the pairs with at least `min_connections` connections
    /// (never fewer than 4, RITA's floor) and 3 non-zero intervals, highest
    /// score first.
    pub fn scores(&self, min_connections: usize) -> Vec<BeaconScore> {
        let Some(window) = self.window else {
            return Vec::new();
        };
        let window = (
            window.0.div_euclid(1_000_000),
            window.1.div_euclid(1_000_000),
        );
        if window.1 <= window.0 {
            return Vec::new();
        }
        let min = min_connections.max(4) as u64;
        let mut out: Vec<BeaconScore> = self
            .pairs
            .iter()
            .filter(|(_, s)| s.connections >= min)
            .filter_map(|(k, s)| score_pair(*k, s, window))
            .collect();
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.key.cmp(&b.key)));
        out
    }
}

fn score_pair(key: BeaconKey, s: &Series, window: (i64, i64)) -> Option<BeaconScore> {
    let mut secs: Vec<i64> = s
        .samples
        .iter()
        .map(|(t, _)| t.div_euclid(1_000_000))
        .collect();
    secs.sort_unstable();
    let mut intervals: Vec<f64> = secs
        .windows(2)
        .map(|w| (w[1] - w[0]) as f64)
        .filter(|d| *d > 0.0)
        .collect();
    if intervals.len() < 3 {
        return None;
    }
    intervals.sort_by(f64::total_cmp);
    let (ts_skew, ts_mad, ts_score) = statistical(&intervals, 1.0);
    let mut sizes: Vec<f64> = s.samples.iter().map(|(_, b)| *b as f64).collect();
    sizes.sort_by(f64::total_cmp);
    let (ds_skew, ds_mad, ds_score) = statistical(&sizes, 0.0);
    let mut mode = (0u64, 0usize);
    let mut i = 0;
    while i < sizes.len() {
        let j = sizes[i..].iter().take_while(|v| **v == sizes[i]).count();
        if j > mode.1 {
            mode = (sizes[i] as u64, j);
        }
        i += j;
    }
    let (bars, longest, hist_score, persistence) = histogram(window, &secs);
    let stride = s.stride as f64;
    Some(BeaconScore {
        key,
        connections: s.connections,
        first_ts: s.first,
        last_ts: s.last,
        median_interval_s: median_sorted(&intervals) / stride,
        ts_skew,
        ts_mad: ts_mad / stride,
        ts_score,
        ds_skew,
        ds_mad,
        ds_mode: mode.0,
        ds_score,
        hours_active: bars,
        longest_run_hours: longest,
        hist_score,
        persistence_score: persistence,
        score: round3(0.25 * (ts_score + ds_score + hist_score + persistence)),
        sample_stride: s.stride,
    })
}

/// Traffic totals of one pair, for a `net flows --top N` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PairStats {
    /// The pair.
    pub key: BeaconKey,
    /// Connections.
    pub connections: u64,
    /// Bytes client → server.
    pub client_bytes: u64,
    /// Bytes server → client.
    pub server_bytes: u64,
    /// First connection.
    pub first_ts: Micros,
    /// Last connection.
    pub last_ts: Micros,
}

/// Byte and connection totals per pair (bounded: pairs past `max_pairs`
/// are counted in [`PairTable::dropped`]).
#[derive(Debug, Default)]
pub struct PairTable {
    max_pairs: usize,
    pairs: HashMap<BeaconKey, PairStats>,
    dropped: u64,
}

impl PairTable {
    /// A table of at most `max_pairs` pairs.
    pub fn new(max_pairs: usize) -> Self {
        PairTable {
            max_pairs,
            ..PairTable::default()
        }
    }

    /// One connection of `key`.
    pub fn add(&mut self, key: BeaconKey, ts: Micros, client_bytes: u64, server_bytes: u64) {
        if !self.pairs.contains_key(&key) && self.pairs.len() >= self.max_pairs {
            self.dropped += 1;
            return;
        }
        let p = self.pairs.entry(key).or_insert(PairStats {
            key,
            connections: 0,
            client_bytes: 0,
            server_bytes: 0,
            first_ts: ts,
            last_ts: ts,
        });
        p.connections += 1;
        p.client_bytes = p.client_bytes.saturating_add(client_bytes);
        p.server_bytes = p.server_bytes.saturating_add(server_bytes);
        p.first_ts = p.first_ts.min(ts);
        p.last_ts = p.last_ts.max(ts);
    }

    /// Connections not counted because the table was full.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The `n` pairs with the most bytes both ways, most first.
    pub fn top(&self, n: usize) -> Vec<PairStats> {
        let mut v: Vec<PairStats> = self.pairs.values().cloned().collect();
        v.sort_by(|a, b| {
            let ta = a.client_bytes.saturating_add(a.server_bytes);
            let tb = b.client_bytes.saturating_add(b.server_bytes);
            tb.cmp(&ta).then(a.key.cmp(&b.key))
        });
        v.truncate(n);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quartiles_match_montanaflynn_stats() {
        // stats.Quartile([1..=7]) → Q1 2, Q2 4, Q3 6; even count [1..=8] → 2.5, 4.5, 6.5.
        let odd: Vec<f64> = (1..=7).map(f64::from).collect();
        assert_eq!(quartiles(&odd), (2.0, 4.0, 6.0));
        let even: Vec<f64> = (1..=8).map(f64::from).collect();
        assert_eq!(quartiles(&even), (2.5, 4.5, 6.5));
    }

    #[test]
    fn bowley_ignores_narrow_spreads_and_measures_wide_ones() {
        let narrow = [50.0, 55.0, 58.0, 60.0, 63.0, 64.0];
        assert_eq!(bowley(&narrow).0, 0.0);
        // Q1 10, Q2 20, Q3 100: strongly right-skewed.
        let wide = [5.0, 10.0, 15.0, 20.0, 50.0, 100.0, 150.0];
        let (skew, score) = bowley(&wide);
        assert!((skew - 0.7777).abs() < 1e-3, "{skew}");
        assert!((score - 0.2222).abs() < 1e-3);
    }

    #[test]
    fn mad_score_normalises_by_median() {
        let v = [54.0, 57.0, 60.0, 63.0, 66.0];
        let (m, s) = mad(&v, 1.0);
        assert_eq!(m, 3.0);
        assert!((s - 0.95).abs() < 1e-9);
        assert_eq!(mad(&[0.0, 0.0, 0.0], 0.0), (0.0, 0.0));
    }
}
