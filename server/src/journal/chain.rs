//! The journal's chain: tamper evidence. The writer keeps a running SHA-256 over every byte it
//! has written to a journal; the records a lab pays for or relies on (`save`, `rationale`,
//! `skip`, `unexplained`, `end`, `gap`: [`CHAINED`]) carry `chain`, the first [`DIGITS`] hex digits of
//! the hash of every byte before their own line. A line edited, removed, inserted or moved
//! before such a record changes those bytes, and the record's `chain` no longer matches.
//! Keystroke records carry none, so typing costs no more bytes.
//!
//! [`Chain`] is the running hash, for the writer; [`ChainCheck`] follows a journal's lines as a
//! reader reads them and stops at the first record whose `chain` does not match.
//!
//! What the chain cannot catch: a whole journal rewritten with a new chain (anyone can compute
//! SHA-256), and changes to the last chained record's own line and to the lines after it. A lab
//! closes the first gap by keeping each journal's [`ChainCheck::head`] (printed by `rationale
//! stats --json`) on its side at each hand-in: a later copy must extend what was handed in.

use std::path::Path;

use sha2::{Digest, Sha256};

use super::error::{JournalError, JournalErrorKind};
use super::reader::{Journal, Line};

/// The record types that carry `chain`.
pub const CHAINED: [&str; 6] = ["save", "rationale", "skip", "unexplained", "end", "gap"];

/// Hex digits of the hash a `chain` holds: 128 bits, more than anyone can find a collision for,
/// at half the bytes.
pub const DIGITS: usize = 32;

/// Whether records of type `kind` carry `chain`.
pub fn is_chained(kind: &str) -> bool {
    CHAINED.contains(&kind)
}

/// Whether `value` has the shape of a `chain`: [`DIGITS`] lowercase hex digits.
pub fn is_well_formed(value: &str) -> bool {
    value.len() == DIGITS && value.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The running hash of a journal's bytes.
#[derive(Clone, Default)]
pub struct Chain {
    hasher: Sha256,
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Chain({})", self.head())
    }
}

impl Chain {
    pub fn update(&mut self, bytes: &[u8]) {
        self.hasher.update(bytes);
    }

    /// The chain of the bytes so far: the first [`DIGITS`] hex digits of their SHA-256.
    pub fn head(&self) -> String {
        let digest = self.hasher.clone().finalize();
        let mut out = String::with_capacity(DIGITS);
        for byte in &digest[..DIGITS / 2] {
            use std::fmt::Write;
            let _ = write!(out, "{byte:02x}");
        }
        out
    }
}

/// Checks a journal's chain as its lines are read: give it every line, in order, through
/// [`ChainCheck::line`]. Bytes are hashed only up to a chained record when one comes, so a
/// journal written before the chain costs nothing to check.
#[derive(Clone, Debug, Default)]
pub struct ChainCheck {
    chain: Chain,
    /// How many bytes of the journal `chain` has taken in.
    hashed: usize,
    /// Records whose chain held.
    chained: usize,
    /// The line of the last of them.
    last_chained_line: Option<usize>,
}

impl ChainCheck {
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks one line of `journal` (the next one). An error names the line where the chain
    /// breaks.
    pub fn line(&mut self, journal: &Journal, line: &Line<'_>) -> Result<(), JournalError> {
        let kind = &*line.record.kind;
        let Some(expected) = line.record.chain.as_deref() else {
            if is_chained(kind) && self.chained > 0 {
                // The writer gives every such record a chain once it gives one to any.
                return Err(self.broken(journal.path(), line.number, kind, "it has no `chain`"));
            }
            return Ok(());
        };
        self.chain.update(&journal.bytes()[self.hashed..line.offset]);
        self.hashed = line.offset;
        if self.chain.head() != expected {
            return Err(self.broken(
                journal.path(),
                line.number,
                kind,
                "its `chain` is not the hash of the lines before it",
            ));
        }
        self.chained += 1;
        self.last_chained_line = Some(line.number);
        Ok(())
    }

    fn broken(&self, path: &Path, number: usize, kind: &str, what: &str) -> JournalError {
        let since = match self.last_chained_line {
            Some(line) => format!("after line {line} (the last record whose chain holds)"),
            None => "before it".to_owned(),
        };
        JournalError::new(
            path,
            Some(number),
            JournalErrorKind::Chain(format!(
                "the chain breaks at this `{kind}` record: {what}, so a line {since} was edited, \
                 removed, inserted or moved"
            )),
        )
    }

    /// How many records carried a chain that held; 0 for a journal written before the chain.
    pub fn chained(&self) -> usize {
        self.chained
    }

    /// The line of the last record whose chain held.
    pub fn last_chained_line(&self) -> Option<usize> {
        self.last_chained_line
    }

    /// The head of the journal's chain: the chain of all its complete lines (what a record
    /// appended next would carry). A lab keeps it at each hand-in.
    pub fn head(&mut self, journal: &Journal) -> String {
        let complete = journal.complete_bytes();
        self.chain.update(&complete[self.hashed..]);
        self.hashed = complete.len();
        self.chain.head()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_is_the_start_of_the_sha256_of_the_bytes() {
        let mut chain = Chain::default();
        // SHA-256 of nothing: e3b0c44298fc1c149afbf4c8996fb924...
        assert_eq!(chain.head(), "e3b0c44298fc1c149afbf4c8996fb924");
        chain.update(b"ab");
        chain.update(b"c");
        // SHA-256 of "abc": ba7816bf8f01cfea414140de5dae2223...
        assert_eq!(chain.head(), "ba7816bf8f01cfea414140de5dae2223");
        assert!(is_well_formed(&chain.head()));
        assert!(!is_well_formed("BA7816BF8F01CFEA414140DE5DAE2223"));
        assert!(!is_well_formed("ba78"));
    }
}
