//! Black-box test harness for the `rationale` binary.
//!
//! The tests in `tests/tests/` run the real binary the way an editor does: they spawn
//! `rationale lsp` on a temporary workspace folder, speak JSON-RPC with `Content-Length` framing
//! over its stdin and stdout, and then read back what it wrote to `.rationale/sessions/*.jsonl`,
//! both directly and through the `rationale replay` and `rationale verify` commands.
//!
//! Build the binary first; the tests never build it themselves:
//!
//! ```text
//! cargo build --release -p rationale
//! cargo test --release -p rationale-tests
//! ```
//!
//! [`binary::path`] says which binary runs: `$RATIONALE_BIN`, else `target/release/rationale`,
//! else `target/debug/rationale` (under `$CARGO_TARGET_DIR` when that is set).
//!
//! What lives here:
//! - [`server`]: one running server, its temporary workspace, requests, notifications, raw bytes;
//! - [`journal`]: the tolerant journal reader and the `replay`/`verify`/`sessions` commands;
//! - [`doc`]: the editor's copy of one document, edited by hand as an editor sends it;
//! - [`model`]: a deliberately plain reference model of a document and of LSP positions;
//! - [`gen`]: seeded random edits for the property, order and crash tests;
//! - [`rng`]: the small seeded generator they share (reproducible from a printed seed);
//! - [`long_session`]: long journals made up with the text of every document after every record.

pub mod binary;
pub mod doc;
pub mod gen;
pub mod journal;
pub mod long_session;
pub mod model;
pub mod rng;
pub mod samples;
pub mod server;

pub use journal::{Journal, RunOutput};
pub use model::{Encoding, TextModel};
pub use rng::Rng;
pub use server::{RpcError, Server, ServerOptions};

/// The hex sha256 of some text, as the journal writes it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs `case` and, if it panics, panics again with `context` (a seed, a case number) in front
/// of the message, so that a failing random case says how to reproduce it.
pub fn with_context<T>(context: &str, case: impl FnOnce() -> T) -> T {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(case)) {
        Ok(value) => value,
        Err(payload) => {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "(no message)".into());
            panic!("{context}\n{message}");
        }
    }
}
