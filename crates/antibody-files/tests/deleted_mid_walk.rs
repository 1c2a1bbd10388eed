//! Files that disappear while the hunt runs are reported as vanished; the
//! hunt neither fails nor loses the other files.

use antibody_core::pack::{Origin, load_files};
use antibody_core::{ItemErrorKind, VecSink};
use antibody_files::{FileHunter, HuntOptions, NoProgress};

const MARKER: &str = "antibody-vanish-test-31c8";

fn pack() -> antibody_core::pack::Pack {
    let manifest = "[pack]\nname='t'\nversion='1'\ndescription='d'\n[[source]]\nid='s'\ntitle='t'\nurl='https://x.org'\n";
    let rule = format!(
        "rule M {{ meta: description = \"m\" severity = \"high\" strings: $a = \"{MARKER}\" condition: $a }}\n"
    );
    load_files(
        vec![
            ("pack.toml".into(), manifest.into()),
            ("yara/m.yar".into(), rule.into_bytes()),
        ],
        Origin::Builtin,
        vec![],
    )
    .unwrap()
    .pack
}

#[test]
fn files_deleted_mid_walk_are_vanished_or_hunted_never_lost() {
    let d = tempfile::tempdir().unwrap();
    const N: usize = 3000;
    for i in 0..N {
        std::fs::write(d.path().join(format!("f{i:05}")), MARKER).unwrap();
    }
    let (hunter, problems) = FileHunter::new(
        &[pack()],
        HuntOptions {
            threads: 2,
            ..HuntOptions::default()
        },
    );
    assert!(problems.is_empty());
    let sink = VecSink::new();
    let root = d.path().to_path_buf();
    let summary = std::thread::scope(|s| {
        let deleter = s.spawn(|| {
            // Delete every other file while the hunt is walking.
            for i in (0..N).step_by(2) {
                let _ = std::fs::remove_file(root.join(format!("f{i:05}")));
            }
        });
        let summary = hunter.hunt_paths(std::slice::from_ref(&root), &sink, &NoProgress);
        deleter.join().unwrap();
        summary
    });
    let (findings, errors) = sink.take();
    assert!(
        errors.iter().all(|e| e.kind == ItemErrorKind::Vanished),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .all(|e| e.reason.contains("disappeared") || e.reason.contains("No such file")),
        "{errors:?}"
    );
    // Every file the walk saw was either hunted (and fired) or reported.
    assert_eq!(summary.items as usize, findings.len());
    assert!(
        findings.len() >= N / 2,
        "the files never deleted are all hunted"
    );
    assert!(findings.len() + errors.len() <= N);
}
