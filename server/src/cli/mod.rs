//! The `rationale` command line: one file per subcommand, each with its `Args` and `run`.

use std::process::ExitCode;

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub mod export;
pub mod lsp;
pub mod quality;
pub mod replay;
pub mod sessions;
pub mod stats;
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
    /// Write the explained pairs as training data (JSON Lines), secrets redacted.
    Export(export::Args),
    /// Sum up the journals: pairs, skips, unexplained changes, coverage, reviews.
    Stats(stats::Args),
    /// Rate rationales read from stdin: generic, restates the diff, no why (docs/quality.md).
    Quality(quality::Args),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Lsp(args) => lsp::run(args),
        Command::Sessions(args) => sessions::run(args),
        Command::Replay(args) => replay::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Export(args) => export::run(args),
        Command::Stats(args) => stats::run(args),
        Command::Quality(args) => quality::run(args),
    }
}

/// Progress bars go to a terminal only: on stderr when it is one, nowhere otherwise.
fn progress_target() -> ProgressDrawTarget {
    if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    }
}

/// A bar over the bytes of `journals`.
fn progress_bar(journals: &[PathBuf], verb: &str, target: ProgressDrawTarget) -> ProgressBar {
    let total: u64 = journals.iter().filter_map(|file| file.metadata().ok()).map(|meta| meta.len()).sum();
    ProgressBar::with_draw_target(Some(total), target).with_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} {verb} {{wide_bar}} {{bytes}}/{{total_bytes}} {{eta}}"
        ))
        .expect("a valid template"),
    )
}

/// `3 pairs`, `1 pair`.
fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}
