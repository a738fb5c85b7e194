//! The `rationale` command line: one file per subcommand, each with its `Args` and `run`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod lsp;
pub mod replay;
pub mod sessions;
pub mod verify;

/// Rationale records how code changes and why.
///
/// Run `rationale lsp` from your editor (the Rationale plugins do this for you). The other
/// commands read the journals that the server keeps in `.rationale/` next to your workspace.
#[derive(Parser)]
#[command(name = "rationale", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the language server on stdin and stdout (logs go to stderr).
    Lsp(lsp::Args),
    /// List the sessions recorded for a workspace.
    Sessions(sessions::Args),
    /// Rebuild the tracked files of a session as they stood after a given record.
    Replay(replay::Args),
    /// Check every journal of a workspace: each line parses, no gaps, every save matches.
    Verify(verify::Args),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Lsp(args) => lsp::run(args),
        Command::Sessions(args) => sessions::run(args),
        Command::Replay(args) => replay::run(args),
        Command::Verify(args) => verify::run(args),
    }
}
