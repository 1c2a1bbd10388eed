//! Beacon scores on synthetic series: regular, jittered, human-like, too short.

use antibody_net::beacon::{BeaconKey, BeaconLimits, BeaconTracker, PairTable};
use antibody_net::model::{Micros, proto};

const DAY0: Micros = 1_700_000_000_000_000;
const SEC: Micros = 1_000_000;

fn key(client: &str, port: u16) -> BeaconKey {
    BeaconKey {
        client: client.parse().unwrap(),
        server: "203.0.113.50".parse().unwrap(),
        server_port: port,
        proto: proto::TCP,
    }
}

/// splitmix64: a small seeded generator, so the series are reproducible.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn exp(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.unit()).ln()
    }
}

fn regular(t: &mut BeaconTracker, k: BeaconKey, period_s: i64) {
    let mut ts = DAY0;
    while ts < DAY0 + 86_400 * SEC {
        t.add(k, ts, 312);
        ts += period_s * SEC;
    }
}

#[test]
fn regular_minute_beacon_scores_high_in_every_part() {
    let mut t = BeaconTracker::new(BeaconLimits::default());
    regular(&mut t, key("192.0.2.10", 443), 60);
    let s = &t.scores(10)[0];
    assert_eq!(s.connections, 1440);
    assert_eq!(s.median_interval_s, 60.0);
    assert_eq!((s.ts_skew, s.ts_mad, s.ds_mad), (0.0, 0.0, 0.0));
    assert_eq!(s.ds_mode, 312);
    assert!(s.ts_score >= 0.99 && s.ds_score >= 0.99, "{s:?}");
    assert!(s.hist_score >= 0.95 && s.persistence_score >= 0.95, "{s:?}");
    assert_eq!(s.hours_active, 24);
    assert!(s.score >= 0.9, "{s:?}");
    let json = serde_json::to_value(s).unwrap();
    assert!(json["ts_score"].is_number() && json["key"]["server_port"] == 443);
}

#[test]
fn jittered_beacon_still_scores_high() {
    let mut rng = Rng(7);
    let mut t = BeaconTracker::new(BeaconLimits::default());
    let k = key("192.0.2.11", 8443);
    let mut ts = DAY0;
    while ts < DAY0 + 86_400 * SEC {
        let size = 500 + (rng.next() % 50);
        t.add(k, ts, size);
        let jitter = 0.9 + 0.2 * rng.unit();
        ts += (300.0 * jitter * 1e6) as Micros;
    }
    let s = &t.scores(10)[0];
    assert!((s.median_interval_s - 300.0).abs() < 10.0, "{s:?}");
    assert!(s.ts_score >= 0.85, "{s:?}");
    assert!(s.ds_score >= 0.9, "{s:?}");
    assert!(s.score >= 0.85, "{s:?}");
}

#[test]
fn human_browsing_scores_low() {
    let mut rng = Rng(42);
    let mut t = BeaconTracker::new(BeaconLimits::default());
    // A day-long beacon elsewhere sets the observation window to the day.
    regular(&mut t, key("192.0.2.99", 443), 600);
    let k = key("192.0.2.12", 443);
    // Working hours: bursts of page loads (a few seconds apart), idle
    // gaps of tens of minutes between them, sizes spread widely.
    let mut ts = DAY0 + 9 * 3600 * SEC;
    while ts < DAY0 + 17 * 3600 * SEC {
        let burst = 3 + rng.next() % 25;
        for _ in 0..burst {
            let size = (200.0 * (1.0 + rng.exp(20.0))) as u64;
            t.add(k, ts, size);
            ts += ((1.0 + rng.exp(4.0)) * 1e6) as Micros;
        }
        ts += (rng.exp(1500.0) * 1e6) as Micros;
    }
    let scores = t.scores(10);
    let s = scores.iter().find(|s| s.key == k).unwrap();
    assert!(s.connections > 100, "{s:?}");
    assert!(s.score < 0.5, "{s:?}");
    assert!(s.hist_score < 0.5, "{s:?}");
    // The regular one is still the top score.
    assert_eq!(scores[0].key, key("192.0.2.99", 443));
}

#[test]
fn too_few_connections_or_intervals_give_no_score() {
    let mut t = BeaconTracker::new(BeaconLimits::default());
    for i in 0..3 {
        t.add(key("192.0.2.13", 80), DAY0 + i * 60 * SEC, 100);
    }
    // Many connections, but all in the same second: no interval.
    for i in 0..50 {
        t.add(key("192.0.2.14", 80), DAY0 + 3600 * SEC + i, 100);
    }
    assert!(t.scores(1).is_empty());
    assert!(t.scores(0).is_empty());
    // Four connections, three intervals: scored at min 4 but not at min 5.
    t.add(key("192.0.2.13", 80), DAY0 + 180 * SEC, 100);
    assert_eq!(t.scores(4).len(), 1);
    assert!(t.scores(5).is_empty());
}

#[test]
fn pair_cap_drops_and_counts() {
    let mut t = BeaconTracker::new(BeaconLimits {
        max_pairs: 2,
        ..BeaconLimits::default()
    });
    for i in 0..10 {
        t.add(key("192.0.2.1", 1), DAY0 + i * SEC, 1);
        t.add(key("192.0.2.2", 1), DAY0 + i * SEC, 1);
        t.add(key("192.0.2.3", 1), DAY0 + i * SEC, 1);
    }
    assert_eq!(t.len(), 2);
    assert_eq!(t.dropped_connections(), 10);
}

#[test]
fn sample_cap_keeps_an_even_subsample_and_the_score() {
    let mut t = BeaconTracker::new(BeaconLimits {
        max_samples_per_pair: 100,
        ..BeaconLimits::default()
    });
    regular(&mut t, key("192.0.2.15", 443), 60);
    let s = &t.scores(10)[0];
    assert_eq!(s.connections, 1440);
    assert_eq!(s.sample_stride, 16);
    assert_eq!(s.median_interval_s, 60.0);
    assert!(s.score >= 0.9, "{s:?}");
}

#[test]
fn pair_table_ranks_by_bytes_and_caps() {
    let mut p = PairTable::new(2);
    p.add(key("192.0.2.1", 443), DAY0, 100, 900);
    p.add(key("192.0.2.1", 443), DAY0 + SEC, 100, 900);
    p.add(key("192.0.2.2", 443), DAY0, 5000, 0);
    p.add(key("192.0.2.3", 443), DAY0, 1, 1);
    let top = p.top(5);
    assert_eq!(top.len(), 2);
    assert_eq!(top[0].key, key("192.0.2.2", 443));
    assert_eq!(top[1].connections, 2);
    assert_eq!((top[1].client_bytes, top[1].server_bytes), (200, 1800));
    assert_eq!(top[1].last_ts, DAY0 + SEC);
    assert_eq!(p.dropped(), 1);
    assert_eq!(p.top(1).len(), 1);
}
