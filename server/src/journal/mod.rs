//! The journal: one JSON Lines file per server process and workspace folder, recording every
//! tracked edit and every rationale. `record` defines the lines, `writer` appends them durably.

pub mod record;
pub mod writer;

pub use record::{Body, Edit, EndReason, Record};
pub use writer::JournalWriter;
