//! antibody: hunt your own evidence for a state actor's tools and traces,
//! offline. This binary only parses arguments and dispatches; the work is
//! in the library crates.

mod cli;
mod commands;
mod output;
mod packs;
mod sink;
mod size;

use clap::Parser;
use std::process::ExitCode;

/// Exit code for usage errors and fatal failures (the contract in
/// `docs/output.md`).
pub const EXIT_FATAL: u8 = 2;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("antibody: error: {e:#}");
            ExitCode::from(EXIT_FATAL)
        }
    }
}

/// A closed pipe (`antibody ... | head`) is not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
