//! One module per subcommand.

mod case;
mod hunt;
mod packs;

use crate::cli::{Cli, Command};

/// Runs the parsed command line; returns the exit code.
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Hunt(args) => hunt::run(args),
        Command::Packs(cmd) => packs::run(cmd),
        Command::Case(cmd) => case::run(cmd),
    }
}
