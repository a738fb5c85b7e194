//! The journal: one JSON Lines file per server process and workspace folder, recording every
//! tracked edit and every rationale. `record` defines the lines, `writer` appends them durably,
//! `reader` reads them back tolerantly, `replay` rebuilds documents from them and `summary` sums
//! up a session.

pub mod reader;
pub mod record;
pub mod replay;
pub mod summary;
pub mod writer;

pub use reader::{Journal, JournalError};
pub use record::{Body, Edit, EndReason, Record};
pub use writer::JournalWriter;
