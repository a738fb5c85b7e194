use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Talk over stdin and stdout (the default and only transport; accepted because
    /// vscode-languageclient appends it).
    #[arg(long)]
    stdio: bool,
}

pub fn run(_args: Args) -> ExitCode {
    ExitCode::FAILURE
}
