//! Loading the packs a command asked for: built-in ones and `--pack DIR`.

use crate::cli::PackArgs;
use antibody_core::pack::{self, Diagnostic, Pack};

/// Packs that loaded, and the problems of those that did not.
pub struct LoadedPacks {
    /// Usable packs.
    pub packs: Vec<Pack>,
    /// Problems, each as `origin: diagnostic`.
    pub problems: Vec<(String, Diagnostic)>,
}

/// Loads built-in packs (unless `--no-builtin`) and every `--pack DIR`.
/// A pack that fails to load is reported and left out; the others load.
pub fn load(args: &PackArgs) -> LoadedPacks {
    let mut out = LoadedPacks {
        packs: Vec::new(),
        problems: Vec::new(),
    };
    if !args.no_builtin {
        for r in pack::builtins() {
            match r {
                Ok(l) => out.packs.push(l.pack),
                Err(e) => out
                    .problems
                    .extend(e.diagnostics.into_iter().map(|d| (e.origin.clone(), d))),
            }
        }
    }
    for dir in &args.packs {
        match pack::load_dir(dir) {
            Ok(l) => {
                if let Some(dup) = out
                    .packs
                    .iter()
                    .position(|p| p.meta.name == l.pack.meta.name)
                {
                    // A pack from disk replaces the built-in of the same name
                    // (newer content of the same advisory).
                    out.packs.remove(dup);
                }
                out.problems.extend(
                    l.warnings
                        .into_iter()
                        .map(|d| (dir.display().to_string(), d)),
                );
                out.packs.push(l.pack);
            }
            Err(e) => out
                .problems
                .extend(e.diagnostics.into_iter().map(|d| (e.origin.clone(), d))),
        }
    }
    out
}
