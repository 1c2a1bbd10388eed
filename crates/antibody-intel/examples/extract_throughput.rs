//! Measures extraction speed on generated advisory-like prose: about
//! 64 MiB of sentences mixing plain words with indicators (one word in 25, drawn from a
//! pool of 20,000) (defanged and
//! not), section numbers, file names and hashes. Prints MB/s for
//! `extract` and for `extract_reader`. Run with `--release`.

use antibody_intel::extract::{ExtractOptions, Extractor};
use std::time::Instant;

/// A small deterministic generator (xorshift), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

const WORDS: &[&str] = &[
    "the",
    "actor",
    "used",
    "a",
    "spear-phishing",
    "e-mail",
    "to",
    "deliver",
    "loader",
    "which",
    "then",
    "connected",
    "its",
    "command",
    "and",
    "control",
    "server",
    "over",
    "HTTPS",
    "after",
    "persistence",
    "was",
    "established",
    "through",
    "scheduled",
    "task",
    "named",
    "in",
    "section",
    "defenders",
    "should",
    "block",
    "following",
    "indicators",
    "observed",
    "during",
    "investigation",
    "of",
    "victim",
    "network",
    "credentials",
    "were",
    "harvested",
    "from",
    "memory",
    "lateral",
    "movement",
    "followed",
    "with",
    "RDP",
    "organisations",
];

fn indicator(rng: &mut Rng) -> String {
    let n = rng.next();
    let (a, b, c, d) = (
        n % 223 + 1,
        (n >> 8) % 256,
        (n >> 16) % 256,
        (n >> 24) % 254 + 1,
    );
    match n % 12 {
        0 => format!("{a}.{b}.{c}.{d}"),
        1 => format!("{a}.{b}.{c}[.]{d}"),
        2 => format!("hxxps://update-{b}[.]example-cdn[.]top/api/v{c}/gate.php?id={d}"),
        3 => format!("c2-{c}.malicious-{d}.xyz"),
        4 => format!("{:016x}{:016x}", rng.next(), rng.next()),
        5 => format!(
            "{:016x}{:016x}{:016x}{:016x}",
            rng.next(),
            rng.next(),
            rng.next(),
            rng.next()
        ),
        6 => format!("CVE-20{}-{}", 10 + a % 15, 1000 + b * 37),
        7 => format!("T{}.00{}", 1000 + b * 3, c % 9),
        8 => format!("C:\\Users\\Public\\upd{b}.exe"),
        9 => format!("section {}.{}.{}.{}", a % 9, b % 9, c % 9, d % 9),
        10 => format!("ops{b}[@]mail-{c}[.]ru"),
        _ => format!("setup{b}.py"),
    }
}

/// CPU seconds this process has used (user + system), from
/// `/proc/self/stat`; the machine may be shared, so MB/s per CPU second is
/// the figure that says how fast one core goes. `None` off Linux.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after = stat.rsplit(')').next()?;
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn report(what: &str, mb: f64, wall: f64, cpu: Option<f64>, n: usize) {
    let per_cpu = cpu.map_or("n/a".to_string(), |c| {
        format!("{:.1} MB/CPU-s", mb / c.max(0.01))
    });
    println!(
        "{what:<15} {mb:.1} MB, wall {wall:.2} s = {:.1} MB/s, {per_cpu}, {n} distinct indicators",
        mb / wall
    );
}

fn main() {
    let target = 64 << 20;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut text = String::with_capacity(target + 1024);
    let pool: Vec<String> = (0..20_000).map(|_| indicator(&mut rng)).collect();
    while text.len() < target {
        let len = 8 + rng.next() % 20;
        for i in 0..len {
            if i > 0 {
                text.push(' ');
            }
            if rng.next().is_multiple_of(25) {
                // Advisories repeat their indicators: draw from a pool.
                let k = (rng.next() % pool.len() as u64) as usize;
                text.push_str(&pool[k]);
            } else {
                text.push_str(rng.pick(WORDS));
            }
        }
        text.push_str(if rng.next().is_multiple_of(5) {
            ".\n\n"
        } else {
            ". "
        });
    }
    let ex = Extractor::new(ExtractOptions::default());
    let mb = text.len() as f64 / 1e6;

    for _ in 0..2 {
        let (t, c) = (Instant::now(), cpu_seconds());
        let found = ex.extract(&text);
        let cpu = c.zip(cpu_seconds()).map(|(a, b)| b - a);
        report("extract:", mb, t.elapsed().as_secs_f64(), cpu, found.len());

        let (t, c) = (Instant::now(), cpu_seconds());
        let mut n = 0usize;
        let read = ex
            .extract_reader(text.as_bytes(), &mut |_| n += 1)
            .unwrap_or(0);
        let cpu = c.zip(cpu_seconds()).map(|(a, b)| b - a);
        report(
            "extract_reader:",
            read as f64 / 1e6,
            t.elapsed().as_secs_f64(),
            cpu,
            n,
        );
    }
}
