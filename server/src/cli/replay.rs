//! Placeholder until this subcommand lands; `rationale` refuses to run it.
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> ExitCode {
    eprintln!("rationale: this command is not built yet");
    ExitCode::FAILURE
}
