//! The tolerant reader of journals: every consumer of a journal file (replay, verify, sessions, the
//! `rationale/*` requests) reads it through here.
//!
//! A journal is read whole into memory and its lines are parsed into [`RawRecord`]s that borrow
//! from it: a flat struct of the fields replay and summaries use, all optional except `seq`, `ts`
//! and `type`. That keeps replay fast (no per-record buffering of the internally tagged
//! [`Body`](super::Body) enum, and no copies of texts that need no unescaping), and it keeps the
//! reader tolerant: a record type it does not know, or a field of a shape it does not expect, is
//! not an error here. Whoever uses a record checks that the fields it needs are there.
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

use std::borrow::Cow;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// Where the journals of a workspace folder live: `<folder>/.rationale/sessions`.
pub fn sessions_dir(workspace: &Path) -> PathBuf {
    workspace.join(crate::store::STORE_DIR).join(crate::store::SESSIONS_DIR)
}

/// The journals of a workspace folder (`.rationale/sessions/*.jsonl`), sorted by file name, which
/// sorts them by the time their session started. An error if the folder cannot be listed (a
/// workspace where nothing was ever recorded has no such folder: `io::ErrorKind::NotFound`).
pub fn journal_files(workspace: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(sessions_dir(workspace))? {
        let entry = entry?;
        let path = entry.path();
        if path.extension().is_some_and(|ext| ext == "jsonl") && entry.file_type()?.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The journal of session `session` in a workspace folder, or `None` if `session` cannot be a
/// session id. Session ids come from requests too, so one that could name a file outside the
/// sessions folder (a separator, `..`, a leading dot) is refused rather than joined.
pub fn session_journal(workspace: &Path, session: &str) -> Option<PathBuf> {
    let plausible = !session.is_empty()
        && !session.starts_with('.')
        && session.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    plausible.then(|| sessions_dir(workspace).join(format!("{session}.jsonl")))
}

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
            JournalErrorKind::Invalid(message) => f.write_str(message),
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
    pub record: RawRecord<'a>,
    /// The line's bytes, for readers that want fields [`RawRecord`] does not hold.
    pub raw: &'a [u8],
}

/// The records of a [`Journal`]; see [`Journal::records`].
pub struct Records<'a> {
    path: &'a Path,
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
        self.expected_seq += 1;
        Some(Ok(Line { number: self.number, record, raw: line }))
    }
}

/// One journal line as replay and summaries see it: `seq`, `ts` and `type`, and the fields of the
/// record types they use. A field that is missing, or of another shape than those records give it
/// (`edits` is a list in `change` records and a count in `rationale` records), is `None`.
#[derive(Debug, PartialEq, Eq, Deserialize)]
pub struct RawRecord<'a> {
    pub seq: u64,
    #[serde(borrow)]
    pub ts: Cow<'a, str>,
    /// The record's `type`.
    #[serde(borrow, rename = "type")]
    pub kind: Cow<'a, str>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub path: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "lenient_int")]
    pub version: Option<i64>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub text: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub sha256: Option<Cow<'a, str>>,
    /// The edits of a `change` record.
    #[serde(borrow, default)]
    pub edits: Edits<'a>,
    /// Of the `session` record.
    #[serde(default, deserialize_with = "lenient_int")]
    pub schema: Option<i64>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub session: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub author: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "positionEncoding", deserialize_with = "lenient_str")]
    pub position_encoding: Option<Cow<'a, str>>,
}

/// The `edits` field of a line.
#[derive(Debug, Default, PartialEq, Eq)]
pub enum Edits<'a> {
    /// No `edits` field.
    #[default]
    Absent,
    /// A list of edits as a `change` record holds them.
    List(Vec<RawEdit<'a>>),
    /// Something else: a number (as in `rationale` records), or a list with an element that is
    /// not an edit.
    Other,
}

/// One edit of a `change` record: `{"range": [[line, col], [line, col]], "text"}`, or `{"text"}`
/// for a whole-document replacement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawEdit<'a> {
    pub range: Option<[[u32; 2]; 2]>,
    pub text: Cow<'a, str>,
}

// What follows are the visitors that make the fields tolerant: each accepts the shape it wants
// and consumes anything else without failing, so that a record type the reader does not know can
// use these names for other things. serde_json drives them through `deserialize_any`.

/// Defines the listed `visit_*` methods to consume whatever value they are given (serde_json
/// hands containers to `visit_seq` and `visit_map`) and return `$other`.
macro_rules! accept_anything_else {
    ($other:expr; $($name:ident)*) => { $( fallback_visit!($other; $name); )* };
}

macro_rules! fallback_visit {
    ($other:expr; bool) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($other)
        }
    };
    ($other:expr; i64) => {
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($other)
        }
    };
    ($other:expr; u64) => {
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($other)
        }
    };
    ($other:expr; f64) => {
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($other)
        }
    };
    ($other:expr; str) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($other)
        }
    };
    ($other:expr; string) => {
        fn visit_string<E: de::Error>(self, _: String) -> Result<Self::Value, E> {
            Ok($other)
        }
    };
    ($other:expr; unit) => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($other)
        }
    };
    ($other:expr; none) => {
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($other)
        }
    };
    ($other:expr; seq) => {
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok($other)
        }
    };
    ($other:expr; map) => {
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok($other)
        }
    };
}

/// A string, borrowed from the line when it needs no unescaping.
struct StrVisitor;

impl<'de> Visitor<'de> for StrVisitor {
    type Value = Option<Cow<'de, str>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(s)))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(s)))
    }

    accept_anything_else!(None; bool i64 u64 f64 unit none seq map);
}

fn lenient_str<'de, 'a, D>(deserializer: D) -> Result<Option<Cow<'a, str>>, D::Error>
where
    D: Deserializer<'de>,
    'de: 'a,
{
    deserializer.deserialize_any(StrVisitor)
}

/// An integer.
struct IntVisitor;

impl<'de> Visitor<'de> for IntVisitor {
    type Value = Option<i64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Self::Value, E> {
        Ok(Some(n))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(n).ok())
    }

    accept_anything_else!(None; bool f64 str unit none seq map);
}

fn lenient_int<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    deserializer.deserialize_any(IntVisitor)
}

impl<'de: 'a, 'a> Deserialize<'de> for Edits<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(EditsVisitor)
    }
}

struct EditsVisitor;

impl<'de> Visitor<'de> for EditsVisitor {
    type Value = Edits<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut edits = Vec::with_capacity(seq.size_hint().unwrap_or(1));
        let mut all_edits = true;
        while let Some(edit) = seq.next_element::<MaybeEdit<'de>>()? {
            match edit.0 {
                Some(edit) if all_edits => edits.push(edit),
                _ => all_edits = false,
            }
        }
        Ok(if all_edits { Edits::List(edits) } else { Edits::Other })
    }

    accept_anything_else!(Edits::Other; bool i64 u64 f64 str unit none map);
}

/// An edit, or `None` for anything that is not one.
struct MaybeEdit<'a>(Option<RawEdit<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for MaybeEdit<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(EditVisitor).map(MaybeEdit)
    }
}

struct EditVisitor;

impl<'de> Visitor<'de> for EditVisitor {
    type Value = Option<RawEdit<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        // `None` until seen; `Some(None)` once seen with a shape that is not a range.
        let mut range: Option<Option<Range>> = None;
        let mut text: Option<Option<Cow<'de, str>>> = None;
        while let Some(key) = map.next_key::<EditKey>()? {
            match key {
                EditKey::Range if range.is_none() => range = Some(map.next_value::<MaybeRange>()?.0),
                EditKey::Text if text.is_none() => text = Some(map.next_value::<MaybeStr<'de>>()?.0),
                // A key given twice makes the edit ambiguous.
                EditKey::Range | EditKey::Text => {
                    map.next_value::<IgnoredAny>()?;
                    return drain_map(map);
                }
                EditKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let range = match range {
            None => None,
            Some(Some(Range::Null)) => None,
            Some(Some(Range::Positions(range))) => Some(range),
            Some(None) => return Ok(None),
        };
        Ok(text.flatten().map(|text| RawEdit { range, text }))
    }

    accept_anything_else!(None; bool i64 u64 f64 str unit none seq);
}

enum EditKey {
    Range,
    Text,
    Other,
}

impl<'de> Deserialize<'de> for EditKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_identifier(EditKeyVisitor)
    }
}

struct EditKeyVisitor;

impl Visitor<'_> for EditKeyVisitor {
    type Value = EditKey;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(match key {
            "range" => EditKey::Range,
            "text" => EditKey::Text,
            _ => EditKey::Other,
        })
    }
}

fn drain_map<'de, A: MapAccess<'de>, T>(mut map: A) -> Result<Option<T>, A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(None)
}

struct MaybeStr<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for MaybeStr<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrVisitor).map(MaybeStr)
    }
}

enum Range {
    /// `"range": null`, taken as no range.
    Null,
    Positions([[u32; 2]; 2]),
}

/// `[[line, col], [line, col]]`, or `None` for anything else.
struct MaybeRange(Option<Range>);

impl<'de> Deserialize<'de> for MaybeRange {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PairVisitor::<MaybePosition>::default()).map(|pair| {
            MaybeRange(match pair {
                Pair::Null => Some(Range::Null),
                Pair::Both(MaybePosition(Some(start)), MaybePosition(Some(end))) => {
                    Some(Range::Positions([start, end]))
                }
                Pair::Both(..) | Pair::Other => None,
            })
        })
    }
}

/// `[line, col]`, or `None` for anything else.
struct MaybePosition(Option<[u32; 2]>);

impl<'de> Deserialize<'de> for MaybePosition {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PairVisitor::<MaybeU32>::default()).map(|pair| {
            MaybePosition(match pair {
                Pair::Both(MaybeU32(Some(line)), MaybeU32(Some(column))) => Some([line, column]),
                _ => None,
            })
        })
    }
}

struct MaybeU32(Option<u32>);

impl<'de> Deserialize<'de> for MaybeU32 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let n = deserializer.deserialize_any(IntVisitor)?;
        Ok(MaybeU32(n.and_then(|n| u32::try_from(n).ok())))
    }
}

/// A JSON array of exactly two elements, `null`, or something else.
enum Pair<T> {
    Null,
    Both(T, T),
    Other,
}

struct PairVisitor<T>(std::marker::PhantomData<T>);

impl<T> Default for PairVisitor<T> {
    fn default() -> Self {
        Self(std::marker::PhantomData)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for PairVisitor<T> {
    type Value = Pair<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let first = seq.next_element::<T>()?;
        let second = match first {
            Some(_) => seq.next_element::<T>()?,
            None => None,
        };
        let mut extra = false;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            extra = true;
        }
        Ok(match (first, second, extra) {
            (Some(first), Some(second), false) => Pair::Both(first, second),
            _ => Pair::Other,
        })
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Pair::Null)
    }

    accept_anything_else!(Pair::Other; bool i64 u64 f64 str none map);
}

/// A parser for the one line shape that makes up nearly all of a journal: a `change` record
/// exactly as the writer serialises it (`{"seq":…,"ts":"…","type":"change","path":"…",
/// "version":…,"edits":[{"range":[[…,…],[…,…]],"text":"…"}]}`, no spaces, no escapes in its
/// strings). It reads such a line in a fraction of the time serde_json takes, which is most of what
/// replay costs. Anything else, or anything it is unsure of, it leaves to serde (`None`): it only
/// ever accepts lines that serde reads into the same [`RawRecord`], which a test checks on mutated
/// lines.
mod fast {
    use super::{Edits, RawEdit, RawRecord};
    use std::borrow::Cow;

    pub(super) fn change(line: &[u8]) -> Option<RawRecord<'_>> {
        let mut p = Cursor { bytes: line, at: 0 };
        p.expect(b"{\"seq\":")?;
        let seq = p.number()?;
        p.expect(b",\"ts\":")?;
        let ts = p.string()?;
        p.expect(b",\"type\":\"change\",\"path\":")?;
        let path = p.string()?;
        p.expect(b",\"version\":")?;
        let version = i64::try_from(p.number()?).ok()?;
        p.expect(b",\"edits\":[")?;
        let mut edits = Vec::with_capacity(1);
        if !p.eat(b"]") {
            loop {
                edits.push(p.edit()?);
                if p.eat(b"]") {
                    break;
                }
                p.expect(b",")?;
            }
        }
        p.expect(b"}")?;
        if p.at != line.len() {
            return None;
        }
        Some(RawRecord {
            seq,
            ts: Cow::Borrowed(ts),
            kind: Cow::Borrowed("change"),
            path: Some(Cow::Borrowed(path)),
            version: Some(version),
            text: None,
            sha256: None,
            edits: Edits::List(edits),
            schema: None,
            session: None,
            author: None,
            position_encoding: None,
        })
    }

    struct Cursor<'a> {
        bytes: &'a [u8],
        at: usize,
    }

    impl<'a> Cursor<'a> {
        fn eat(&mut self, literal: &[u8]) -> bool {
            let found = self.bytes[self.at..].starts_with(literal);
            if found {
                self.at += literal.len();
            }
            found
        }

        fn expect(&mut self, literal: &[u8]) -> Option<()> {
            self.eat(literal).then_some(())
        }

        /// Digits without a sign, a fraction, an exponent or a leading zero (which JSON forbids).
        fn number(&mut self) -> Option<u64> {
            let digits = self.bytes[self.at..].iter().take_while(|b| b.is_ascii_digit()).count();
            let text = &self.bytes[self.at..self.at + digits];
            if digits == 0 || (digits > 1 && text[0] == b'0') {
                return None;
            }
            let mut n = 0u64;
            for &digit in text {
                n = n.checked_mul(10)?.checked_add(u64::from(digit - b'0'))?;
            }
            self.at += digits;
            Some(n)
        }

        fn small_number(&mut self) -> Option<u32> {
            u32::try_from(self.number()?).ok()
        }

        /// A string without escapes or control characters, borrowed from the line.
        fn string(&mut self) -> Option<&'a str> {
            self.expect(b"\"")?;
            let rest = &self.bytes[self.at..];
            let len = rest.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
            if rest[len] != b'"' {
                return None;
            }
            let text = std::str::from_utf8(&rest[..len]).ok()?;
            self.at += len + 1;
            Some(text)
        }

        fn edit(&mut self) -> Option<RawEdit<'a>> {
            self.expect(b"{")?;
            let range = if self.eat(b"\"range\":[[") {
                let start = [self.small_number()?, self.expect(b",").and_then(|()| self.small_number())?];
                self.expect(b"],[")?;
                let end = [self.small_number()?, self.expect(b",").and_then(|()| self.small_number())?];
                self.expect(b"]],")?;
                Some([start, end])
            } else {
                None
            };
            self.expect(b"\"text\":")?;
            let text = self.string()?;
            self.expect(b"}")?;
            Some(RawEdit { range, text: Cow::Borrowed(text) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// The writer's change lines take the fast path, and whatever the fast path accepts, serde
    /// reads the same way: checked on the writer's lines and on many mutations of them.
    #[test]
    fn the_fast_path_reads_change_lines_as_serde_does() {
        use crate::journal::{Body, Edit, Record};
        use rand::{rngs::StdRng, Rng, SeedableRng};

        fn serde(line: &[u8]) -> Option<RawRecord<'_>> {
            serde_json::from_slice(line).ok()
        }
        let mut lines = Vec::new();
        for (i, (range, text)) in [
            (Some([[0, 0], [0, 0]]), "x"),
            (Some([[12, 4294967295], [130, 7]]), "日本 😀"),
            (None, "whole text"),
            (Some([[1, 2], [3, 4]]), ""),
            (Some([[0, 0], [0, 0]]), "needs \"escapes\"\n"),
        ]
        .into_iter()
        .enumerate()
        {
            let edits = vec![Edit { range, text: text.into() }; 1 + i % 3];
            let body = Body::Change { path: format!("src/ü{i}.py"), version: i as i32 * 1000, edits };
            let record = Record { seq: 12345 + i as u64, ts: "2026-11-26T08:30:00.123Z".into(), body };
            lines.push(serde_json::to_vec(&record).unwrap());
        }
        lines.push(br#"{"seq":1,"ts":"t","type":"change","path":"a","version":1,"edits":[]}"#.to_vec());
        for line in &lines {
            let text = String::from_utf8_lossy(line);
            assert_eq!(fast::change(line).is_some(), !text.contains('\\'), "{text}");
            if let Some(record) = fast::change(line) {
                assert_eq!(Some(record), serde(line), "{text}");
            }
        }

        let alphabet = b"0123456789-+.eE,:[]{}\" \\\n\x01\xc3\xa9\xffabcnrtuy";
        let mut rng = StdRng::seed_from_u64(7);
        let mut accepted = 0;
        for _ in 0..200_000 {
            let mut line = lines[rng.gen_range(0..lines.len())].clone();
            for _ in 0..rng.gen_range(1..=3) {
                let at = rng.gen_range(0..=line.len());
                match rng.gen_range(0..3) {
                    0 if at < line.len() => line[at] = alphabet[rng.gen_range(0..alphabet.len())],
                    1 => line.insert(at, alphabet[rng.gen_range(0..alphabet.len())]),
                    _ if at < line.len() => {
                        line.remove(at);
                    }
                    _ => {}
                }
            }
            if let Some(record) = fast::change(&line) {
                accepted += 1;
                assert_eq!(Some(record), serde(&line), "{}", String::from_utf8_lossy(&line));
            }
        }
        assert!(accepted > 1000, "the mutations should keep some lines readable: {accepted}");
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

    #[test]
    fn session_ids_that_could_leave_the_sessions_folder_are_refused() {
        let root = Path::new("/w");
        assert_eq!(
            session_journal(root, "20261126T083000Z-7f3a9c"),
            Some(PathBuf::from("/w/.rationale/sessions/20261126T083000Z-7f3a9c.jsonl"))
        );
        for bad in ["", "../x", "a/b", "..", ".hidden", "a\\b"] {
            assert_eq!(session_journal(root, bad), None, "{bad}");
        }
    }
}
