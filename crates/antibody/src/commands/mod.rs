//! One module per subcommand.

mod case;
mod hunt;
mod intel;
mod logs;
mod net;
mod packs;
mod rules;

use crate::cli::{Cli, Command};

/// Runs the parsed command line; returns the exit code.
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Hunt(args) => hunt::run(*args),
        Command::Packs(cmd) => packs::run(cmd),
        Command::Case(cmd) => case::run(cmd),
        Command::Logs(cmd) => logs::run(cmd),
        Command::Rules(cmd) => rules::run(cmd),
        Command::Net(cmd) => net::run(cmd),
        Command::Intel(cmd) => intel::run(cmd),
    }
}
