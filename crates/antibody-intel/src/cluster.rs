//! Near-duplicate reports: MinHash signatures over word shingles, with LSH
//! banding so that only likely pairs are compared.
//!
//! The same advisory comes back syndicated (new header and footer),
//! rewritten (sentences reordered, cut, reworded) and machine-translated
//! back and forth; different reports on the same actor share its names and
//! vocabulary but not their facts. What tells them apart best was measured
//! on the fixtures in `tests/data/cluster/` (three APT29 stories, four
//! versions each), exact Jaccard:
//!
//! | features                         | original vs syndicated | vs rewrite | vs back-translated | weakest same-story pair | different stories, highest |
//! |----------------------------------|------------------------|------------|--------------------|-------------------------|----------------------------|
//! | word 3-shingles                  | 0.78–0.81              | 0.12–0.19  | 0.09–0.15          | 0.04                    | 0.006                      |
//! | word 2-shingles                  | 0.77–0.80              | 0.22–0.29  | 0.21–0.28          | 0.12                    | 0.027                      |
//! | content words (no stop words)    | 0.73–0.78              | 0.52–0.60  | 0.56–0.63          | 0.39                    | 0.068                      |
//! | content words + content bigrams  | 0.74–0.79              | 0.34–0.44  | 0.32–0.41          | 0.21                    | 0.030                      |
//!
//! Word 3-shingles cannot see a back-translation (0.09 against 0.006 for
//! different stories: too close to the estimation error of a signature).
//! Content words with their bigrams (shingles of 1 to `shingle` content
//! words) keep the widest margin: every version is at 0.32 or more from its
//! original, different stories at 0.03 or less. The default threshold,
//! 0.15, sits between, more than three standard errors of a 128-hash
//! estimate (±0.04 at 0.3) from either side. Estimated by the default
//! signatures (`tests/cluster_fixtures.rs` prints them): original vs
//! syndicated 0.71–0.78, vs rewrite 0.27–0.46, vs back-translated
//! 0.33–0.40; an original vs any version of another story 0.016 at most.
//!
//! Text is normalised first: lower case, anything but letters and digits
//! becomes a space, lines of fewer than three words (menus, "Share",
//! "Advertisement") are dropped, and common English stop words are left
//! out. Hashes are FNV-1a with fixed seeds: the same input always gives the
//! same signatures and clusters. Only signatures are kept (`hashes` × 8
//! bytes per document), never the texts.
//!
//! LSH: the signature is cut into `bands` bands of `hashes / bands` rows;
//! documents sharing a band's values are candidates, and a candidate pair
//! joins a cluster when its estimated Jaccard reaches `threshold`. With 64
//! bands of 2 rows, a pair at 0.2 is a candidate with probability 0.93, at
//! 0.3 with 0.998. Within one bucket each document is compared with the
//! bucket's first document and its predecessor only, so a bucket of
//! thousands of copies costs linear time; clusters are the connected
//! components of the pairs that pass. Buckets are rebuilt from the
//! signatures when clusters are asked for (one sort per band), so nothing
//! but the signatures is kept between calls. Documents alone in their cluster are
//! not listed by [`Clusterer::clusters`].

use std::collections::HashMap;

/// Words left out of shingles: they carry no fact and differ most between
/// a text and its paraphrase. Sorted, for binary search.
const STOP_WORDS: &[&str] = &[
    "a", "about", "after", "all", "also", "an", "and", "any", "are", "as", "at", "be", "been",
    "before", "being", "but", "by", "can", "could", "did", "do", "does", "during", "each", "for",
    "from", "had", "has", "have", "he", "her", "his", "i", "in", "into", "is", "it", "its", "may",
    "might", "more", "most", "no", "nor", "not", "of", "on", "onto", "or", "other", "our", "over",
    "she", "should", "so", "some", "such", "than", "that", "the", "their", "them", "then", "these",
    "they", "this", "those", "through", "to", "under", "us", "very", "was", "we", "were", "what",
    "when", "where", "which", "while", "who", "whom", "whose", "will", "with", "would", "you",
    "your",
];

/// Lines with fewer words than this are dropped as boilerplate.
const MIN_LINE_WORDS: usize = 3;

/// How documents are compared.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClusterOptions {
    /// Longest shingle, in content words: features are every run of 1 to
    /// `shingle` consecutive content words.
    pub shingle: usize,
    /// Hash functions in a signature.
    pub hashes: usize,
    /// LSH bands; must divide `hashes`.
    pub bands: usize,
    /// Estimated Jaccard similarity at or above which two documents are
    /// near-duplicates.
    pub threshold: f64,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions {
            shingle: 2,
            hashes: 128,
            bands: 64,
            threshold: 0.15,
        }
    }
}

/// Options that cannot work.
#[derive(Debug, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum ClusterError {
    /// A count is zero or the bands do not divide the hashes.
    #[error("invalid cluster options: {0}")]
    Options(String),
}

/// One member of a cluster.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Member {
    /// The name it was added under.
    pub name: String,
    /// Its index, as returned by [`Clusterer::add`].
    pub index: usize,
    /// Estimated Jaccard similarity to the cluster's representative (its
    /// first member, 1.0 for the representative itself).
    pub similarity: f64,
}

/// Near-duplicate documents.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Cluster {
    /// Members in the order they were added; the first is the
    /// representative.
    pub members: Vec<Member>,
    /// The lowest similarity of a member to the representative.
    pub similarity: f64,
}

/// Gathers documents' signatures and groups near-duplicates.
#[derive(Debug)]
pub struct Clusterer {
    opts: ClusterOptions,
    seed: u64,
    names: Vec<String>,
    /// Signatures, `hashes` values per document, back to back.
    signatures: Vec<u64>,
    /// Documents with no feature at all (never similar to anything).
    empty: Vec<bool>,
}

impl Default for Clusterer {
    fn default() -> Self {
        Clusterer::with_valid_options(ClusterOptions::default())
    }
}

impl Clusterer {
    /// A clusterer with these options.
    pub fn new(opts: ClusterOptions) -> Result<Clusterer, ClusterError> {
        if opts.shingle == 0 || opts.hashes == 0 || opts.bands == 0 {
            return Err(ClusterError::Options(format!(
                "shingle ({}), hashes ({}) and bands ({}) must be at least 1",
                opts.shingle, opts.hashes, opts.bands
            )));
        }
        if !opts.hashes.is_multiple_of(opts.bands) {
            return Err(ClusterError::Options(format!(
                "{} bands do not divide {} hashes",
                opts.bands, opts.hashes
            )));
        }
        if !(opts.threshold > 0.0 && opts.threshold <= 1.0) {
            return Err(ClusterError::Options(format!(
                "threshold {} is not in (0, 1]",
                opts.threshold
            )));
        }
        Ok(Clusterer::with_valid_options(opts))
    }

    fn with_valid_options(opts: ClusterOptions) -> Clusterer {
        Clusterer {
            opts,
            seed: SEED,
            names: Vec::new(),
            signatures: Vec::new(),
            empty: Vec::new(),
        }
    }

    /// Adds a document; returns its index.
    pub fn add(&mut self, name: String, text: &str) -> usize {
        let index = self.names.len();
        let (signature, empty) = signature(text, &self.opts, self.seed);
        self.signatures.extend_from_slice(&signature);
        self.empty.push(empty);
        self.names.push(name);
        index
    }

    /// How many documents were added.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether no document was added.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    fn signature_of(&self, i: usize) -> &[u64] {
        &self.signatures[i * self.opts.hashes..(i + 1) * self.opts.hashes]
    }

    /// Estimated Jaccard similarity of two added documents.
    pub fn similarity_between(&self, a: usize, b: usize) -> f64 {
        if self.empty[a] || self.empty[b] {
            return 0.0;
        }
        estimate(self.signature_of(a), self.signature_of(b))
    }

    /// Groups of near-duplicates (two members or more), ordered by their
    /// first member.
    pub fn clusters(&self) -> Vec<Cluster> {
        let mut sets = UnionFind::new(self.names.len());
        let rows = self.opts.hashes / self.opts.bands;
        // One band at a time: the documents sorted by the band's values,
        // so that equal values (an LSH bucket) are neighbours. Buckets are
        // rebuilt here from the signatures rather than kept.
        let mut bucket: Vec<(u64, u32)> = Vec::with_capacity(self.names.len());
        for band in 0..self.opts.bands {
            bucket.clear();
            for doc in (0..self.names.len()).filter(|&d| !self.empty[d]) {
                let values = &self.signature_of(doc)[band * rows..(band + 1) * rows];
                let key = values
                    .iter()
                    .fold(FNV_OFFSET, |h, v| fnv(&v.to_le_bytes(), h));
                bucket.push((key, doc as u32));
            }
            bucket.sort_unstable();
            for run in bucket.chunk_by(|a, b| a.0 == b.0).filter(|r| r.len() > 1) {
                for n in 1..run.len() {
                    let d = run[n].1 as usize;
                    for other in [run[0].1 as usize, run[n - 1].1 as usize] {
                        if sets.find(other) != sets.find(d)
                            && self.similarity_between(other, d) >= self.opts.threshold
                        {
                            sets.union(other, d);
                        }
                    }
                }
            }
        }
        let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
        for i in 0..self.names.len() {
            groups.entry(sets.find(i)).or_default().push(i);
        }
        let mut out: Vec<Cluster> = groups
            .into_values()
            .filter(|g| g.len() > 1)
            .map(|g| {
                let rep = g[0];
                let members: Vec<Member> = g
                    .iter()
                    .map(|&i| Member {
                        name: self.names[i].clone(),
                        index: i,
                        similarity: if i == rep {
                            1.0
                        } else {
                            self.similarity_between(rep, i)
                        },
                    })
                    .collect();
                let similarity = members
                    .iter()
                    .skip(1)
                    .map(|m| m.similarity)
                    .fold(1.0, f64::min);
                Cluster {
                    members,
                    similarity,
                }
            })
            .collect();
        out.sort_by_key(|c| c.members[0].index);
        out
    }
}

/// Estimated Jaccard similarity of two texts with the default options.
pub fn similarity(a: &str, b: &str) -> f64 {
    let mut c = Clusterer::default();
    let x = c.add(String::new(), a);
    let y = c.add(String::new(), b);
    c.similarity_between(x, y)
}

fn estimate(a: &[u64], b: &[u64]) -> f64 {
    let same = a.iter().zip(b).filter(|(x, y)| x == y).count();
    same as f64 / a.len() as f64
}

/// Fixed seed of the feature hash: signatures are comparable across runs.
const SEED: u64 = 0x5eed_0fa1_1c0d_e5ed;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

fn fnv(bytes: &[u8], mut h: u64) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The hashes of the content words of a text: lower case, letters and
/// digits only, boilerplate lines and stop words dropped.
fn content_words(text: &str) -> Vec<u64> {
    let mut out = Vec::new();
    let mut lower = String::new();
    for line in text.lines() {
        let words = || {
            line.split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
        };
        if words().take(MIN_LINE_WORDS).count() < MIN_LINE_WORDS {
            continue;
        }
        for word in words() {
            let word: &str = if word.bytes().any(|b| b.is_ascii_uppercase()) || !word.is_ascii() {
                lower.clear();
                lower.extend(word.chars().flat_map(char::to_lowercase));
                &lower
            } else {
                word
            };
            if STOP_WORDS.binary_search(&word).is_err() {
                out.push(fnv(word.as_bytes(), FNV_OFFSET));
            }
        }
    }
    out
}

/// The MinHash signature of a text, and whether it had no feature.
///
/// One-permutation MinHash: each feature's hash picks one of the `hashes`
/// bins (its high bits) and competes for that bin's minimum (its low
/// bits), so a document costs one hash per feature instead of one per
/// feature and function. Bins no feature fell in borrow from the next
/// filled bin, marked with the distance, which keeps two documents' empty
/// bins comparable ("densified" one-permutation hashing).
fn signature(text: &str, opts: &ClusterOptions, seed: u64) -> (Vec<u64>, bool) {
    let hashed = content_words(text);
    let bins = opts.hashes as u64;
    let mut sig = vec![u64::MAX; opts.hashes];
    let mut any = false;
    for start in 0..hashed.len() {
        let mut h = seed;
        for &w in &hashed[start..(start + opts.shingle).min(hashed.len())] {
            // Shingles of every length up to `shingle` start here.
            h = mix(h ^ w);
            any = true;
            let bin = ((h >> 32) * bins) >> 32;
            let value = h & 0xffff_ffff;
            let slot = &mut sig[bin as usize];
            if value < *slot {
                *slot = value;
            }
        }
    }
    if !any {
        return (sig, true);
    }
    let filled: Vec<u64> = sig.clone();
    for (i, slot) in sig.iter_mut().enumerate() {
        if *slot != u64::MAX {
            continue;
        }
        let mut distance = 1;
        let borrowed = loop {
            let v = filled[(i + distance) % filled.len()];
            if v != u64::MAX {
                break v;
            }
            distance += 1;
        };
        *slot = borrowed | (distance as u64) << 32;
    }
    (sig, false)
}

/// Disjoint sets over document indices.
struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> UnionFind {
        UnionFind {
            parent: (0..n).collect(),
        }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    /// Joins two sets; the lower index stays the root so that a cluster's
    /// representative is its first document.
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent[hi] = lo;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_texts_are_fully_similar_and_unrelated_ones_are_not() {
        let a =
            "The actor exploited VPN appliances to steal vaccine research data from laboratories.";
        assert_eq!(similarity(a, a), 1.0);
        let b = "Local bakeries report record sales of sourdough bread during the summer festival weekend.";
        assert!(similarity(a, b) < 0.05, "{}", similarity(a, b));
    }

    #[test]
    fn boilerplate_and_stop_words_are_dropped() {
        let words =
            content_words("Share\nThe actor used the WellMess malware.\nAdvertisement here");
        let expected: Vec<u64> = ["actor", "used", "wellmess", "malware"]
            .iter()
            .map(|w| fnv(w.as_bytes(), FNV_OFFSET))
            .collect();
        assert_eq!(words, expected);
    }

    #[test]
    fn stop_words_are_sorted() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn empty_documents_are_never_similar() {
        assert_eq!(similarity("", ""), 0.0);
        assert_eq!(similarity("Share", "Share"), 0.0);
    }

    #[test]
    fn invalid_options_are_refused() {
        let bad = |f: fn(&mut ClusterOptions)| {
            let mut o = ClusterOptions::default();
            f(&mut o);
            Clusterer::new(o).is_err()
        };
        assert!(bad(|o| o.bands = 0));
        assert!(bad(|o| o.bands = 7));
        assert!(bad(|o| o.threshold = 0.0));
        assert!(bad(|o| o.threshold = f64::NAN));
        assert!(bad(|o| o.shingle = 0));
        assert!(Clusterer::new(ClusterOptions::default()).is_ok());
    }

    #[test]
    fn signatures_are_reproducible() {
        let t = "APT29 used WellMess and WellMail against vaccine research.";
        let (a, _) = signature(t, &ClusterOptions::default(), SEED);
        let (b, _) = signature(t, &ClusterOptions::default(), SEED);
        assert_eq!(a, b);
        // Every bin is filled, also in a short text.
        assert!(a.iter().all(|&v| v != u64::MAX));
    }
}
