//! The journal: one JSON Lines file per server process and workspace folder, recording every
//! tracked edit and every rationale. `record` defines the lines, as written and as read: the one
//! model every reader and writer uses. `writer` appends them durably; `files` knows where a
//! folder's journals are and what sessions are called; `reader` reads them back tolerantly, line
//! by line, into `record`'s types (through `raw`'s deserializers, the writer's `change` lines by
//! the `fast` path), stopping at the first `error`; `chain` is the running hash that makes
//! tampering evident; `summary` sums up a session. Rebuilding
//! documents from a journal is [`crate::replay`]'s.

pub mod chain;
pub mod error;
mod fast;
pub mod files;
mod raw;
pub mod reader;
pub mod record;
#[cfg(test)]
pub(crate) mod samples;
pub mod summary;
pub mod writer;

pub use error::{JournalError, JournalErrorKind};
pub use files::{journal_files, new_session_id, session_journal, sessions_dir};
pub use reader::{Journal, Line, Records, Resume, TornLine};
pub use record::{Body, Edit, Edits, EndReason, RawEdit, RawRecord, Record};
pub use writer::JournalWriter;
