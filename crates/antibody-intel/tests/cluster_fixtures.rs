//! Near-duplicate clustering on hand-written fixtures: three APT29 stories
//! (the 2020 vaccine advisory, SolarWinds 2020, the 2024 Microsoft e-mail
//! breach), each as original, syndicated copy, rewrite and back-translation.
//! Every version must cluster with its original; different stories, though
//! about the same actor, must not. Also a scale test.

use antibody_intel::cluster::{ClusterOptions, Clusterer, similarity};
use std::path::Path;
use std::time::Instant;

const STORIES: [&str; 3] = ["vaccine", "solarwinds", "midnight"];
const VERSIONS: [&str; 4] = ["original", "syndicated", "rewrite", "backtranslated"];

fn fixture(story: &str, version: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/data/cluster/{story}-{version}.txt"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_version_clusters_with_its_original_and_stories_stay_apart() {
    let mut c = Clusterer::new(ClusterOptions::default()).unwrap();
    for story in STORIES {
        for version in VERSIONS {
            c.add(format!("{story}-{version}"), &fixture(story, version));
        }
    }
    let clusters = c.clusters();
    for cl in &clusters {
        let figures: Vec<String> = cl
            .members
            .iter()
            .map(|m| format!("{}={:.2}", m.name, m.similarity))
            .collect();
        eprintln!(
            "cluster (lowest {:.2}): {}",
            cl.similarity,
            figures.join(" ")
        );
    }
    assert_eq!(clusters.len(), 3, "{clusters:#?}");
    for (cl, story) in clusters.iter().zip(STORIES) {
        let names: Vec<&str> = cl.members.iter().map(|m| m.name.as_str()).collect();
        let expected: Vec<String> = VERSIONS.iter().map(|v| format!("{story}-{v}")).collect();
        assert_eq!(names, expected);
        assert!(cl.similarity >= ClusterOptions::default().threshold);
        assert_eq!(cl.members[0].similarity, 1.0);
    }
}

#[test]
fn similarity_figures_separate_versions_from_other_stories() {
    let mut lowest_same: f64 = 1.0;
    let mut highest_other: f64 = 0.0;
    for story in STORIES {
        let original = fixture(story, "original");
        for version in &VERSIONS[1..] {
            let s = similarity(&original, &fixture(story, version));
            eprintln!("{story}: original vs {version}: {s:.3}");
            lowest_same = lowest_same.min(s);
        }
        for other in STORIES.iter().filter(|&&o| o != story) {
            for version in VERSIONS {
                let s = similarity(&original, &fixture(other, version));
                highest_other = highest_other.max(s);
            }
        }
    }
    eprintln!("lowest same-story {lowest_same:.3}, highest other-story {highest_other:.3}");
    let threshold = ClusterOptions::default().threshold;
    assert!(lowest_same >= threshold + 0.1, "{lowest_same}");
    assert!(highest_other <= threshold - 0.08, "{highest_other}");
    // Syndication only adds boilerplate.
    assert!(
        similarity(
            &fixture("vaccine", "original"),
            &fixture("vaccine", "syndicated")
        ) > 0.6
    );
}

/// A deterministic generator of distinct documents over a 5,000-word
/// vocabulary, with every tenth document a lightly edited copy of the one
/// before.
fn generated(n: usize) -> Vec<String> {
    let mut state = 0x1234_5678_9abc_def0_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut docs: Vec<String> = Vec::with_capacity(n);
    for i in 0..n {
        if i % 10 == 9 {
            let prev = &docs[i - 1];
            let edited: Vec<&str> = prev.split(' ').filter(|_| next() % 10 != 0).collect();
            docs.push(edited.join(" "));
            continue;
        }
        let words: Vec<String> = (0..200).map(|_| format!("w{}", next() % 5000)).collect();
        docs.push(words.join(" "));
    }
    docs
}

#[test]
fn two_thousand_documents_cluster_quickly() {
    let docs = generated(2000);
    let started = Instant::now();
    let mut c = Clusterer::new(ClusterOptions::default()).unwrap();
    for (i, d) in docs.iter().enumerate() {
        c.add(format!("doc{i}"), d);
    }
    let added = started.elapsed();
    let clusters = c.clusters();
    let elapsed = started.elapsed();
    eprintln!("adding took {added:?}");
    eprintln!("2000 documents: {} clusters in {elapsed:?}", clusters.len());
    // Exactly the 200 edited copies pair with their originals.
    assert_eq!(clusters.len(), 200);
    assert!(
        clusters
            .iter()
            .all(|cl| cl.members.len() == 2 && cl.members[1].index == cl.members[0].index + 1)
    );
    assert!(elapsed.as_secs_f64() < 5.0, "{elapsed:?}");
}
