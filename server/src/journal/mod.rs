//! The journal: one JSON Lines file per server process and workspace folder, recording every
//! tracked edit and every rationale. `record` defines the lines, `writer` appends them durably,
//! `reader` reads them back tolerantly and `summary` sums up a session. Rebuilding documents from
//! a journal is [`crate::replay`]'s.

pub mod reader;
pub mod record;
#[cfg(test)]
pub(crate) mod samples;
pub mod summary;
pub mod writer;

pub use reader::{Journal, JournalError};
pub use record::{Body, Edit, EndReason, Record};
pub use writer::JournalWriter;
