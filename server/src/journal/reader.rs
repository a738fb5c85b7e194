//! The tolerant reader of journals: every consumer of a journal file (replay, verify, sessions, the
//! `rationale/*` requests) reads it through here.
//!
//! A journal is read whole into memory and its lines are parsed into [`RawRecord`]s that borrow
//! from it (see `raw`), which keeps replay fast: no per-record buffering of the internally tagged
//! [`Body`](super::Body) enum, and no copies of texts that need no unescaping. The writer's
//! `change` lines, nearly all of a journal, take a faster path still (see `fast`).
//!
//! What is an error (naming the file and the line):
//! - a line that is not a JSON object with a number `seq` and string `ts` and `type`,
//! - a `seq` that is not 0, 1, 2, … in order,
//! - a first record that is not the `session` record.
//!
//! What is only a warning: a torn final line, the last line of the file when it has no trailing
//! newline and does not parse. The server was stopped while writing it; the spec says readers
//! ignore it ([`Journal::torn`]).
//!
//! ```no_run
//! # fn main() -> Result<(), rationale::journal::JournalError> {
//! let journal = rationale::journal::Journal::read(".rationale/sessions/x.jsonl")?;
//! if let Some(torn) = journal.torn() {
//!     eprintln!("warning: {torn}");
//! }
//! for line in journal.records() {
//!     let line = line?;
//!     println!("{} {}", line.number, line.record.kind);
//! }
//! # Ok(()) }
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use super::error::{JournalError, JournalErrorKind};
use super::fast;
use super::record::RawRecord;

use serde::de::DeserializeOwned;

/// The torn final line of a journal, ignored by every reader. Displays as a warning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TornLine {
    pub path: PathBuf,
    pub line: usize,
    /// Its length in bytes.
    pub bytes: usize,
}

impl fmt::Display for TornLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: torn final line ignored ({} bytes without a newline that do not parse; \
             the server stopped while writing it)",
            self.path.display(),
            self.line,
            self.bytes
        )
    }
}

/// A journal file in memory. [`Journal::records`] parses its lines on demand.
pub struct Journal {
    path: PathBuf,
    bytes: Vec<u8>,
    /// The length of the part made of complete lines (everything but a torn final line).
    complete: usize,
    torn: Option<TornLine>,
}

impl Journal {
    /// Reads a journal file.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, JournalError> {
        let path = path.as_ref();
        let bytes =
            std::fs::read(path).map_err(|err| JournalError::new(path, None, JournalErrorKind::Io(err)))?;
        Ok(Self::from_bytes(path, bytes))
    }

    /// A journal from its contents; `path` is only used to name it in messages.
    pub fn from_bytes(path: impl Into<PathBuf>, bytes: Vec<u8>) -> Self {
        let path = path.into();
        let mut journal = Self { complete: bytes.len(), bytes, path, torn: None };
        if journal.bytes.last().is_some_and(|&b| b != b'\n') {
            let start = memchr_rev_newline(&journal.bytes).map_or(0, |i| i + 1);
            let last = &journal.bytes[start..];
            if parse_line(last).is_err() {
                let line = journal.bytes[..start].iter().filter(|&&b| b == b'\n').count() + 1;
                journal.torn = Some(TornLine { path: journal.path.clone(), line, bytes: last.len() });
                journal.complete = start;
            }
        }
        journal
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The size of the file in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The file's bytes, as read.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The bytes of its complete lines: all of them but a torn final line.
    pub fn complete_bytes(&self) -> &[u8] {
        &self.bytes[..self.complete]
    }

    /// Whether the journal has not one complete line: the file is empty, or holds only a torn
    /// line (the server stopped before its `session` record was written).
    pub fn has_no_records(&self) -> bool {
        self.complete == 0
    }

    /// The torn final line, if the journal ends with one; the records stop before it.
    pub fn torn(&self) -> Option<&TornLine> {
        self.torn.as_ref()
    }

    /// The records in order, each with its line number. The iterator yields an error for the
    /// first line that is not a record (or breaks the order of `seq`) and then stops.
    pub fn records(&self) -> Records<'_> {
        self.records_from(Resume { offset: 0, line: 0, seq: 0 })
    }

    /// The records from a point that an earlier [`Records::resume_point`] returned for this
    /// journal (or for the shorter journal this one grew from).
    pub fn records_from(&self, at: Resume) -> Records<'_> {
        let complete = &self.bytes[..self.complete];
        Records {
            path: &self.path,
            complete: complete.len(),
            rest: complete.get(at.offset..).unwrap_or_default(),
            number: at.line,
            expected_seq: at.seq,
            failed: false,
        }
    }
}

/// Where reading can resume: the byte offset of the next line, its line number less one, and the
/// `seq` it must have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resume {
    pub offset: usize,
    pub line: usize,
    pub seq: u64,
}

/// Parses one line. serde would also accept a JSON array for a struct (its fields in order), so
/// the object is checked for first.
fn parse_line(line: &[u8]) -> Result<RawRecord<'_>, String> {
    if let Some(record) = fast::change(line) {
        return Ok(record);
    }
    match line.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => serde_json::from_slice(line).map_err(|err| {
            // serde_json ends its messages with "at line 1 column N"; the line is ours to name.
            let message = err.to_string();
            let message = message.rsplit_once(" at line ").map_or(&*message, |(message, _)| message);
            format!("{message} (column {})", err.column())
        }),
        Some(_) => Err("the line is not a JSON object".into()),
        None => Err("the line is empty".into()),
    }
}

/// The offset of the first `\n` in `bytes`. Looks at eight bytes at a time, which makes splitting
/// a large journal into lines several times faster than a byte loop (the standard library keeps
/// its own `memchr` private, and the crate does not depend on the `memchr` crate).
fn find_newline(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    const NEWLINES: u64 = u64::from_le_bytes([b'\n'; 8]);
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("chunks of eight bytes"));
        // A byte of `x` is zero where the byte is a newline; the lowest set high bit of `found`
        // marks the first zero byte (borrows can only mark bytes above it).
        let x = word ^ NEWLINES;
        let found = x.wrapping_sub(ONES) & !x & HIGHS;
        if found != 0 {
            return Some(offset + found.trailing_zeros() as usize / 8);
        }
        offset += 8;
    }
    chunks.remainder().iter().position(|&b| b == b'\n').map(|i| offset + i)
}

fn memchr_rev_newline(bytes: &[u8]) -> Option<usize> {
    bytes.iter().rposition(|&b| b == b'\n')
}

/// One record and where it stands.
#[derive(Debug)]
pub struct Line<'a> {
    /// 1-based, as editors count lines.
    pub number: usize,
    /// Where the line starts in the journal's bytes.
    pub offset: usize,
    pub record: RawRecord<'a>,
    /// The line's bytes, for readers that want fields [`RawRecord`] does not hold (see
    /// [`Line::fields`]).
    pub raw: &'a [u8],
}

impl Line<'_> {
    /// The record's fields as one of `record`'s body types reads them: [`Explanation`] for a
    /// `rationale` or `skip` record, [`Unexplained`], [`SessionInfo`]. An error (a field of the
    /// wrong type) names the journal and the line.
    ///
    /// [`Explanation`]: super::record::Explanation
    /// [`Unexplained`]: super::record::Unexplained
    /// [`SessionInfo`]: super::record::SessionInfo
    pub fn fields<T: DeserializeOwned>(&self, journal: &Path) -> Result<T, JournalError> {
        serde_json::from_slice(self.raw).map_err(|err| {
            JournalError::invalid(journal, self.number, format!("the `{}` record: {err}", self.record.kind))
        })
    }
}

/// The records of a [`Journal`]; see [`Journal::records`].
pub struct Records<'a> {
    path: &'a Path,
    /// The length of the journal's complete lines; `rest` is their end.
    complete: usize,
    rest: &'a [u8],
    number: usize,
    expected_seq: u64,
    failed: bool,
}

impl<'a> Records<'a> {
    /// The number of the line the iterator returned last.
    pub fn line_number(&self) -> usize {
        self.number
    }

    /// How many bytes are still to be read (for progress bars).
    pub fn remaining_bytes(&self) -> usize {
        self.rest.len()
    }

    /// Where to resume reading after the line returned last; `journal` is the one iterated.
    pub fn resume_point(&self, journal: &Journal) -> Resume {
        Resume { offset: journal.complete - self.rest.len(), line: self.number, seq: self.expected_seq }
    }

    fn error(&mut self, kind: JournalErrorKind) -> Option<Result<Line<'a>, JournalError>> {
        self.failed = true;
        Some(Err(JournalError::new(self.path, Some(self.number), kind)))
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<Line<'a>, JournalError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.rest.is_empty() {
            if !self.failed && self.number == 0 {
                // Not even a session record: an empty journal (or only a torn first line).
                self.number = 1;
                return self.error(JournalErrorKind::NoSession { found: None });
            }
            return None;
        }
        let offset = self.complete - self.rest.len();
        let (line, rest) = match find_newline(self.rest) {
            Some(end) => (&self.rest[..end], &self.rest[end + 1..]),
            None => (self.rest, &self.rest[self.rest.len()..]),
        };
        self.rest = rest;
        self.number += 1;
        let record = match parse_line(line) {
            Ok(record) => record,
            Err(err) => return self.error(JournalErrorKind::Parse(err)),
        };
        if record.seq != self.expected_seq {
            let kind = JournalErrorKind::Seq { expected: self.expected_seq, found: record.seq };
            return self.error(kind);
        }
        if record.seq == 0 && record.kind != "session" {
            let kind = JournalErrorKind::NoSession { found: Some(record.kind.into_owned()) };
            return self.error(kind);
        }
        if let Some(chain) = record.chain.as_deref() {
            if !super::chain::is_well_formed(chain) {
                let message = format!(
                    "not a journal record: `chain` is {chain:?}, not {} lowercase hex digits",
                    super::chain::DIGITS
                );
                return self.error(JournalErrorKind::Parse(message));
            }
        }
        self.expected_seq += 1;
        Some(Ok(Line { number: self.number, offset, record, raw: line }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::record::{Edits, RawEdit};

    const SESSION: &str = r#"{"seq":0,"ts":"2026-11-26T08:30:00.000Z","type":"session","schema":1,"session":"s","author":"a","positionEncoding":"utf-8"}"#;

    fn journal(lines: &[&str], trailing_newline: bool) -> Journal {
        let mut text = lines.join("\n");
        if trailing_newline {
            text.push('\n');
        }
        Journal::from_bytes("test.jsonl", text.into_bytes())
    }

    fn kinds(journal: &Journal) -> Vec<String> {
        journal.records().map(|line| line.unwrap().record.kind.into_owned()).collect()
    }

    #[test]
    fn newlines_are_found_wherever_they_are() {
        for len in 0..40 {
            for at in 0..len {
                let mut bytes = vec![b'x'; len];
                bytes[at] = b'\n';
                if at + 3 < len {
                    bytes[at + 3] = b'\n';
                }
                // Bytes that differ from a newline by one bit, and high bytes of UTF-8.
                if at > 0 {
                    bytes[at - 1] = 0x0b;
                }
                assert_eq!(find_newline(&bytes), Some(at), "{len} {at}");
            }
            let none: Vec<u8> = (0..len).map(|i| [b'a', 0x0b, 0x8a, 0x09, 0xff][i % 5]).collect();
            assert_eq!(find_newline(&none), None);
        }
    }

    #[test]
    fn a_torn_final_line_is_ignored_with_a_warning() {
        let journal = journal(
            &[SESSION, r#"{"seq":1,"ts":"t","type":"close","path":"a.py"}"#, r#"{"seq":2,"ts":"t","ty"#],
            false,
        );
        assert_eq!(kinds(&journal), ["session", "close"]);
        let torn = journal.torn().expect("a warning");
        assert_eq!(torn.line, 3);
        assert!(torn.to_string().starts_with("test.jsonl:3: torn final line"), "{torn}");
    }

    #[test]
    fn a_final_line_cut_inside_a_multibyte_character_is_torn_too() {
        let mut bytes =
            format!("{SESSION}\n{{\"seq\":1,\"ts\":\"t\",\"type\":\"x\",\"text\":\"é").into_bytes();
        bytes.pop(); // half of the é
        let journal = Journal::from_bytes("j.jsonl", bytes);
        assert_eq!(kinds(&journal), ["session"]);
        assert_eq!(journal.torn().unwrap().line, 2);
    }

    #[test]
    fn a_complete_final_line_without_newline_is_a_record() {
        let journal = journal(&[SESSION, r#"{"seq":1,"ts":"t","type":"close","path":"a.py"}"#], false);
        assert_eq!(kinds(&journal), ["session", "close"]);
        assert!(journal.torn().is_none());
    }

    #[test]
    fn garbage_in_the_middle_is_an_error_naming_the_line() {
        let journal = journal(
            &[
                SESSION,
                r#"{"seq":1,"ts":"t","type":"close","path":"a.py"}"#,
                "garbage",
                r#"{"seq":2,"ts":"t","type":"close","path":"a.py"}"#,
            ],
            true,
        );
        let mut records = journal.records();
        assert!(records.next().unwrap().is_ok());
        assert!(records.next().unwrap().is_ok());
        let err = records.next().unwrap().unwrap_err();
        assert_eq!(err.line, Some(3));
        assert_eq!(err.to_string(), "test.jsonl:3: not a journal record: the line is not a JSON object");
        assert!(records.next().is_none(), "reading stops at the first error");
        assert!(journal.torn().is_none());
    }

    #[test]
    fn an_unparseable_last_line_with_its_newline_is_an_error_not_a_torn_line() {
        let journal = journal(&[SESSION, r#"{"seq":1,"ts""#], true);
        let err = journal.records().nth(1).unwrap().unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(journal.torn().is_none());
    }

    #[test]
    fn a_broken_line_is_described_by_its_column() {
        let journal = journal(&[SESSION, r#"{"seq":1,"ts":"t","type":}"#], true);
        let err = journal.records().nth(1).unwrap().unwrap_err();
        assert_eq!(err.to_string(), "test.jsonl:2: not a journal record: expected value (column 26)");
    }

    #[test]
    fn a_line_needs_seq_ts_and_type() {
        for line in [
            r#"{"ts":"t","type":"close"}"#,
            r#"{"seq":1,"type":"close"}"#,
            r#"{"seq":1,"ts":"t"}"#,
            r#"{"seq":"1","ts":"t","type":"close"}"#,
            r#"[1,"t","close"]"#,
            "",
        ] {
            let journal = journal(&[SESSION, line, r#"{"seq":2,"ts":"t","type":"close"}"#], true);
            let err = journal.records().nth(1).unwrap().unwrap_err();
            assert_eq!(err.line, Some(2), "{line}");
            assert!(matches!(err.kind, JournalErrorKind::Parse(_)), "{line}: {err}");
        }
    }

    #[test]
    fn a_gap_in_seq_is_an_error_naming_the_line() {
        let journal = journal(
            &[SESSION, r#"{"seq":1,"ts":"t","type":"close"}"#, r#"{"seq":3,"ts":"t","type":"close"}"#],
            true,
        );
        let err = journal.records().nth(2).unwrap().unwrap_err();
        assert_eq!(err.line, Some(3));
        assert_eq!(err.to_string(), "test.jsonl:3: seq jumps from 1 to 3: 1 record(s) are missing");
    }

    #[test]
    fn a_journal_that_does_not_start_at_seq_0_is_an_error() {
        let journal = journal(&[&SESSION.replace(r#""seq":0"#, r#""seq":4"#)], true);
        let err = journal.records().next().unwrap().unwrap_err();
        assert_eq!(
            err.to_string(),
            "test.jsonl:1: the first record has seq 4; a journal's records start at 0"
        );
    }

    #[test]
    fn a_repeated_seq_is_an_error() {
        let journal = journal(&[SESSION, r#"{"seq":0,"ts":"t","type":"close"}"#], true);
        let err = journal.records().nth(1).unwrap().unwrap_err();
        assert!(matches!(err.kind, JournalErrorKind::Seq { expected: 1, found: 0 }), "{err}");
    }

    #[test]
    fn the_first_record_must_be_the_session() {
        let journal = journal(&[r#"{"seq":0,"ts":"t","type":"open"}"#], true);
        let err = journal.records().next().unwrap().unwrap_err();
        assert_eq!(err.line, Some(1));
        assert!(err.to_string().contains("`open`"), "{err}");

        let empty = Journal::from_bytes("empty.jsonl", Vec::new());
        let err = empty.records().next().unwrap().unwrap_err();
        assert!(matches!(err.kind, JournalErrorKind::NoSession { found: None }), "{err}");
    }

    #[test]
    fn unknown_record_types_and_fields_of_other_shapes_are_read() {
        let journal = journal(
            &[
                SESSION,
                r#"{"seq":1,"ts":"t","type":"rationale","pair":"s:1","edits":12,"unit":{"name":"f"},"text":"why","version":3}"#,
                r#"{"seq":2,"ts":"t","type":"future","path":{"nested":[1,2]},"edits":[{"weird":true}],"version":"x","text":null}"#,
            ],
            true,
        );
        let lines: Vec<_> = journal.records().map(Result::unwrap).collect();
        assert_eq!(lines[1].record.edits, Edits::Other);
        assert_eq!(lines[1].record.text.as_deref(), Some("why"));
        assert_eq!(lines[2].record.kind, "future");
        assert_eq!(lines[2].record.path, None);
        assert_eq!(lines[2].record.version, None);
        assert_eq!(lines[2].record.edits, Edits::Other);
    }

    #[test]
    fn edits_are_read_with_their_ranges_and_escapes() {
        let journal = journal(
            &[
                SESSION,
                r#"{"seq":1,"ts":"t","type":"change","path":"a.py","version":2,"edits":[{"range":[[0,1],[2,3]],"text":"x\n\"y\""},{"text":"whole"}]}"#,
            ],
            true,
        );
        let line = journal.records().nth(1).unwrap().unwrap();
        let Edits::List(edits) = line.record.edits else { panic!("edits") };
        assert_eq!(edits[0].range, Some([[0, 1], [2, 3]]));
        assert_eq!(edits[0].text, "x\n\"y\"");
        assert_eq!(edits[1], RawEdit { range: None, text: "whole".into() });
    }

    #[test]
    fn an_edit_with_a_malformed_range_makes_the_edits_unusable() {
        for edits in [
            r#"[{"range":[[0,1]],"text":"x"}]"#,
            r#"[{"range":[[0,-1],[0,1]],"text":"x"}]"#,
            r#"[{"range":[[0,1],[0,1]]}]"#,
            r#"[{"range":[[0,1],[0,1]],"text":"x","range":[[0,0],[0,0]]}]"#,
        ] {
            let line =
                format!(r#"{{"seq":1,"ts":"t","type":"change","path":"a","version":1,"edits":{edits}}}"#);
            let journal = journal(&[SESSION, &line], true);
            let record = journal.records().nth(1).unwrap().unwrap().record;
            assert_eq!(record.edits, Edits::Other, "{edits}");
        }
    }

    #[test]
    fn record_lines_can_be_made_by_the_writer_types() {
        let record = crate::journal::Record {
            seq: 1,
            ts: "t".into(),
            body: crate::journal::Body::Close { path: "dir/ü.py".into() },
        };
        let line = serde_json::to_string(&record).unwrap();
        let journal = journal(&[SESSION, &line], true);
        let read = journal.records().nth(1).unwrap().unwrap().record;
        assert_eq!(read.path.as_deref(), Some("dir/ü.py"));
    }
}
