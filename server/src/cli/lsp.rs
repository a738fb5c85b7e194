//! `rationale lsp`: the language server on stdin and stdout.

use std::io::Write;
use std::process::ExitCode;

use tracing_subscriber::EnvFilter;

#[derive(clap::Args)]
pub struct Args {
    /// Talk over stdin and stdout. This is the only transport and the default; the flag is
    /// accepted because editors (vscode-languageclient) append it.
    #[arg(long)]
    stdio: bool,
}

/// Stderr that never fails: an editor that exits without waiting closes the pipe, and a log line
/// written after that must not take the server down before it has ended its journals.
struct Stderr;

impl Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let _ = std::io::stderr().write_all(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn run(_args: Args) -> ExitCode {
    // Stdout belongs to the protocol: logs go to stderr, filtered by RUST_LOG. Warnings by
    // default, because editors file every stderr line of a server under errors.
    tracing_subscriber::fmt()
        .with_writer(|| Stderr)
        .with_ansi(false)
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")))
        .init();
    crate::lsp::run_stdio()
}
