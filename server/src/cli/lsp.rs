//! `rationale lsp`: the language server on stdin and stdout.

use std::process::ExitCode;

use tracing_subscriber::EnvFilter;

#[derive(clap::Args)]
pub struct Args {
    /// Talk over stdin and stdout. This is the only transport and the default; the flag is
    /// accepted because editors (vscode-languageclient) append it.
    #[arg(long)]
    stdio: bool,
}

pub fn run(_args: Args) -> ExitCode {
    // Stdout belongs to the protocol: logs go to stderr, filtered by RUST_LOG (default: info).
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    crate::lsp::run_stdio()
}
