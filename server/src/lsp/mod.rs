//! The language server: the only part of Rationale that knows the protocol.
//!
//! - `transport` frames the wire (over `pipes` where stdio are pipes); `dispatch` sorts what it
//!   reads and keeps the ordered notifications in order;
//! - `routes` is the one table from method to handler (`names` holds the names it routes);
//! - the handlers: `backend` (the lifecycle), `text_sync` (the ordered notifications), `prompts`
//!   (`rationale/pendingChanges`, code actions, lenses), `commands` and `why`
//!   (`workspace/executeCommand`; `why` also removes recorded why-comments), `reviewer` (the
//!   reviewer's requests and hover);
//! - `from_proto` reads the protocol's values as the product's, `to_proto` shapes the product's
//!   values for the protocol (every answer's fields), and `errors` builds every error the server
//!   answers with;
//! - what they all share (the client, the session) is `shared`'s.

mod backend;
mod commands;
mod dispatch;
mod errors;
mod from_proto;
mod names;
#[cfg(unix)]
mod pipes;
mod prompts;
mod reviewer;
mod routes;
mod shared;
mod text_sync;
mod to_proto;
mod transport;
mod why;
mod why_client;

use std::process::ExitCode;

use crate::journal::EndReason;
pub use to_proto::SessionOut;
pub use transport::{read_frame, Ending, Frame, MAX_CONTENT_LENGTH};

/// Runs the server on stdin and stdout until `exit` or the end of the input, then ends every
/// journal. The exit code follows the LSP specification: 0 after `shutdown`, 1 otherwise.
pub fn run_stdio() -> ExitCode {
    crate::syntax::free_small_blocks_at_once();
    // One thread reads, applies and answers. Handlers still interleave at their awaits, and what
    // may take long (history, the end of a session) runs on the blocking pool. A second worker
    // bought no parallelism worth having (a request waits for the keystrokes before it anyway)
    // and cost every message a wake-up across threads: in the stdio benchmark, a refused
    // request's round trip went from 78 µs to 44 to 60 µs, and a keystroke from about 8 µs to 4.5
    // to 5.5 µs.
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            tracing::error!("cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(async {
        let (service, socket) = routes::service();
        let shared = service.inner().shared().clone();
        let (input, output) = stdio();
        let input = tokio::io::BufReader::with_capacity(64 * 1024, input);
        let serving = dispatch::serve(input, output, service, socket);
        // An editor that stops its server with SIGTERM still gets a journal that ends properly.
        let ending = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut terminate) => tokio::select! {
                ending = serving => ending,
                _ = terminate.recv() => Ending::Fatal("terminated by SIGTERM".into()),
            },
            Err(_) => serving.await,
        };
        let shut_down = shared.is_shut_down();
        match &ending {
            Ending::Fatal(why) => tracing::error!("stopping: {why}"),
            Ending::EndOfInput => tracing::info!("the input closed; stopping"),
            Ending::Exit => tracing::info!("exit"),
        }
        if let Some(session) = shared.session() {
            let reason = if shut_down { EndReason::Shutdown } else { EndReason::Exit };
            session.end(reason);
        }
        if shut_down && !matches!(ending, Ending::Fatal(_)) {
            0
        } else {
            1
        }
    });
    // Reading stdin may occupy a blocking thread that would keep the runtime from shutting down.
    runtime.shutdown_background();
    ExitCode::from(code)
}

type Input = Box<dyn tokio::io::AsyncRead + Send + Unpin>;
type Output = Box<dyn tokio::io::AsyncWrite + Send + Unpin>;

/// Stdin and stdout: as pipes the runtime polls where they are pipes (see `pipes`), else
/// tokio's, which read and write on a blocking thread.
fn stdio() -> (Input, Output) {
    #[cfg(unix)]
    let (input, output) = (pipes::Pipe::stdin(), pipes::Pipe::stdout());
    #[cfg(not(unix))]
    let (input, output): (Option<Input>, Option<Output>) = (None, None);
    let input: Input = match input {
        Some(pipe) => Box::new(pipe),
        None => Box::new(tokio::io::stdin()),
    };
    let output: Output = match output {
        Some(pipe) => Box::new(pipe),
        None => Box::new(tokio::io::stdout()),
    };
    (input, output)
}
