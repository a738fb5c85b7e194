//! What stops a journal from being read or replayed.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// A problem that stops a journal from being read or replayed, with the file and (where there is
/// one) the 1-based line at fault. Displays as `FILE:LINE: message`.
#[derive(Debug)]
pub struct JournalError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub kind: JournalErrorKind,
}

#[derive(Debug)]
pub enum JournalErrorKind {
    /// The file could not be read.
    Io(io::Error),
    /// The line is not a JSON object with `seq`, `ts` and `type`.
    Parse(String),
    /// `seq` is not the one that follows the previous record's.
    Seq { expected: u64, found: u64 },
    /// The first record is not the `session` record.
    NoSession { found: Option<String> },
    /// A record the reader accepted but replay cannot use; the message says why.
    Invalid(String),
    /// The journal's chain breaks at this record (see `chain`); the message says how.
    Chain(String),
}

impl JournalError {
    pub fn new(path: &Path, line: Option<usize>, kind: JournalErrorKind) -> Self {
        Self { path: path.to_owned(), line, kind }
    }

    pub fn invalid(path: &Path, line: usize, message: impl Into<String>) -> Self {
        Self::new(path, Some(line), JournalErrorKind::Invalid(message.into()))
    }
}

impl fmt::Display for JournalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        f.write_str(": ")?;
        match &self.kind {
            JournalErrorKind::Io(err) => write!(f, "cannot read the journal: {err}"),
            JournalErrorKind::Parse(err) => write!(f, "not a journal record: {err}"),
            JournalErrorKind::Seq { expected: 0, found } => {
                write!(f, "the first record has seq {found}; a journal's records start at 0")
            }
            JournalErrorKind::Seq { expected, found } if found > expected => write!(
                f,
                "seq jumps from {} to {found}: {} record(s) are missing",
                expected.wrapping_sub(1),
                found - expected
            ),
            JournalErrorKind::Seq { expected, found } => {
                write!(f, "seq {found} where {expected} was expected: records are out of order")
            }
            JournalErrorKind::NoSession { found: Some(kind) } => {
                write!(f, "the first record is `{kind}`; a journal starts with its `session` record")
            }
            JournalErrorKind::NoSession { found: None } => {
                f.write_str("the journal is empty: it has no `session` record")
            }
            JournalErrorKind::Invalid(message) | JournalErrorKind::Chain(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for JournalError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            JournalErrorKind::Io(err) => Some(err),
            _ => None,
        }
    }
}
