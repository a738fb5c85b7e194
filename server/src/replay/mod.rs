//! Replay: rebuilding the tracked documents of a session from its journal, as they stood after a
//! given record. `rationale replay`, `rationale verify` and the `rationale/replay` request use it.
//!
//! Each record does what it did in the server: `open` sets a document's text, `change` applies its
//! edits in order in the session's position encoding, `resync` replaces the text, `close` leaves
//! the last text in place (the file still stood that way), and `save` checks the rebuilt text
//! against the hash the server saw. Record types replay does not need (`rationale`, `skip`, and
//! any it does not know) are passed over.
//!
//! A hash that disagrees is reported, not fatal ([`Replayed::mismatches`]): the rest of the journal
//! still replays, and the server follows such a save with a `resync`. A change that cannot be
//! applied is fatal: the server journals only changes it applied, so the journal is damaged.
//!
//! ```no_run
//! # fn main() -> Result<(), rationale::journal::JournalError> {
//! use rationale::journal::Journal;
//! use rationale::replay;
//! let journal = Journal::read(".rationale/sessions/x.jsonl")?;
//! let replayed = replay::replay(&journal, None)?;
//! for (path, file) in &replayed.files {
//!     println!("{path}: {} bytes", file.document.rope().len_bytes());
//! }
//! # Ok(()) }
//! ```

mod rebase;
mod replayer;
#[cfg(test)]
mod tests;
mod typing;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

pub use rebase::rebase;
pub use replayer::{Checkpoint, Replayer, SavedDocument};

use crate::journal::JournalErrorKind;
use crate::journal::{Journal, JournalError};
use crate::text::{Document, Encoding};

/// A tracked document as replay rebuilt it.
pub struct ReplayedFile {
    pub document: Document,
    /// Whether the document was still open in the editor (no `close` since its last `open`).
    pub open: bool,
    /// The line of the `open` record that first brought it into the session.
    pub opened_at: usize,
}

impl fmt::Debug for ReplayedFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplayedFile")
            .field("version", &self.document.version())
            .field("bytes", &self.document.rope().len_bytes())
            .field("open", &self.open)
            .field("opened_at", &self.opened_at)
            .finish()
    }
}

/// A record whose `sha256` disagrees with the text replay rebuilt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HashMismatch {
    pub journal: PathBuf,
    pub line: usize,
    pub seq: u64,
    /// `save`, or `open`/`resync` when the hash does not even match the record's own text.
    pub record: String,
    pub path: String,
    /// The hash in the record.
    pub recorded: String,
    /// The hash of the rebuilt text.
    pub rebuilt: String,
}

impl fmt::Display for HashMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.record == "save" { "the rebuilt text" } else { "the record's own text" };
        write!(
            f,
            "{}:{}: `{}` of {} (seq {}): {what} has sha256 {}, the record says {}",
            self.journal.display(),
            self.line,
            self.record,
            self.path,
            self.seq,
            short(&self.rebuilt),
            short(&self.recorded),
        )
    }
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// What a replay rebuilt.
#[derive(Debug)]
pub struct Replayed {
    /// The session id from the `session` record.
    pub session: String,
    pub encoding: Encoding,
    /// Every document the session tracked up to the last replayed record, by workspace-relative
    /// path (sorted).
    pub files: BTreeMap<String, ReplayedFile>,
    pub mismatches: Vec<HashMismatch>,
    /// The `seq` of the last record replayed.
    pub last_seq: u64,
    /// The number of edits applied (each element of a `change` record's `edits` counts one).
    pub edits: u64,
    /// The number of `save` records checked (whether their hash matched or not).
    pub saves: u64,
}

/// A document's text and editor version after some record: what `rationale/replay` answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentState {
    pub text: String,
    pub version: i32,
}

/// Replays `journal` up to and including the record `at` (default: its last record). An error if
/// `at` is past the journal's last record.
pub fn replay(journal: &Journal, at: Option<u64>) -> Result<Replayed, JournalError> {
    let mut replayer = Replayer::new(journal.path());
    replay_into(&mut replayer, journal, at)?;
    replayer.finish()
}

/// The text and version of the document `path` as it stood after record `at`; `None` if the
/// session had not opened `path` by then. Records about other documents are read but not applied.
pub fn document_at(journal: &Journal, path: &str, at: u64) -> Result<Option<DocumentState>, JournalError> {
    let mut replayer = Replayer::new(journal.path());
    replayer.only = Some(path.to_owned());
    replay_into(&mut replayer, journal, Some(at))?;
    let replayed = replayer.finish()?;
    Ok(replayed
        .files
        .get(path)
        .map(|file| DocumentState { text: file.document.text(), version: file.document.version() }))
}

fn replay_into(replayer: &mut Replayer, journal: &Journal, at: Option<u64>) -> Result<(), JournalError> {
    for line in journal.records() {
        let line = line?;
        let seq = line.record.seq;
        replayer.apply(&line)?;
        if Some(seq) == at {
            return Ok(());
        }
    }
    match (at, replayer.last_seq) {
        (Some(at), Some(last)) => Err(JournalError::new(
            journal.path(),
            None,
            JournalErrorKind::Invalid(format!(
                "there is no record {at}: the journal ends with record {last}"
            )),
        )),
        _ => Ok(()),
    }
}

/// Whether `path` is a workspace-relative, `/`-separated path that stays inside the workspace: not
/// empty, not absolute, no `..` component (nor, on Windows, a drive or a `\`).
pub fn is_workspace_relative(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\0')
        && !(cfg!(windows) && (path.contains('\\') || path.contains(':')))
        && path.split('/').all(|component| component != "..")
}
