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
//! use rationale::journal::{replay, Journal};
//! let journal = Journal::read(".rationale/sessions/x.jsonl")?;
//! let replayed = replay::replay(&journal, None)?;
//! for (path, file) in &replayed.files {
//!     println!("{path}: {} bytes", file.document.rope().len_bytes());
//! }
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::reader::{Edits, Journal, JournalError, JournalErrorKind, Line, RawEdit, RawRecord, Resume};
use super::record::SCHEMA;
use crate::text::{from_char, to_char, Document, Encoding, Position, TextChange};

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

/// A document's text and editor version after some record: the `rationale/replay` answer.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
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

/// The documents of a session after one record, and where to read on from there.
#[derive(Clone)]
pub struct Checkpoint {
    /// The `seq` of the last record applied.
    pub seq: u64,
    pub resume: Resume,
    session: Option<String>,
    encoding: Encoding,
    files: BTreeMap<String, SavedFile>,
    edits: u64,
}

#[derive(Clone)]
struct SavedFile {
    rope: ropey::Rope,
    version: i32,
    open: bool,
    opened_at: usize,
}

/// Replays records one at a time; [`replay`] drives it over a whole journal. Feed it the lines of
/// one journal in order.
pub struct Replayer {
    journal: PathBuf,
    session: Option<String>,
    encoding: Encoding,
    files: BTreeMap<String, ReplayedFile>,
    mismatches: Vec<HashMismatch>,
    last_seq: Option<u64>,
    edits: u64,
    saves: u64,
    /// Replay only this document.
    only: Option<String>,
    /// Typing not yet applied to its document.
    typing: Option<Typing>,
    /// The string of the last typing run, kept for the next.
    spare: String,
}

/// A run of typing that replay has read but not yet applied: insertions each where the one before
/// ended, and deletions (backspaces) of what the run typed. Applied as one insertion it gives the
/// same text as its edits applied one by one, at the cost of one rope edit instead of one (and
/// two position conversions) per keystroke; this is what lets replay keep up with a million edits
/// a second.
///
/// A run never holds a `\r`, and never begins with a `\n` right after a `\r` of the document:
/// either would join with its neighbour into one `\r\n` line break, and the positions the run
/// computes for its own text would no longer be the document's.
struct Typing {
    path: String,
    /// The journal line of the run's first edit, for messages.
    first_line: usize,
    /// Where the run's text goes: a position the document has.
    start: Position,
    /// Whether the document has a `\r` just before `start`.
    after_cr: bool,
    /// The position just after the run's text.
    end: Position,
    text: String,
    /// The version of the last record whose edits joined the run.
    version: i32,
}

impl Typing {
    /// Takes `edit` into the run if it continues it: an insertion right where the run ends, or
    /// the deletion of whole characters from the end of the run's text.
    fn absorb(&mut self, edit: &RawEdit<'_>, encoding: Encoding) -> bool {
        let Some([[l1, c1], [l2, c2]]) = edit.range else { return false };
        let (from, to) = (Position::new(l1, c1), Position::new(l2, c2));
        if to != self.end {
            return false;
        }
        if from == to {
            if !self.may_type(&edit.text) {
                return false;
            }
            self.end = after(self.end, &edit.text, encoding);
            self.text.push_str(&edit.text);
            return true;
        }
        if !edit.text.is_empty() || from > to || from < self.start {
            return false;
        }
        match self.offset_back_to(from, encoding) {
            Some(cut) => {
                self.text.truncate(cut);
                self.end = from;
                true
            }
            None => false,
        }
    }

    fn may_type(&self, text: &str) -> bool {
        let joins_a_cr = self.after_cr && self.text.is_empty() && text.starts_with('\n');
        !text.contains('\r') && !joins_a_cr
    }

    /// The offset in the run's text whose position is `at`, found walking back from its end:
    /// `None` if `at` falls inside a character or before the run.
    fn offset_back_to(&self, at: Position, encoding: Encoding) -> Option<usize> {
        let mut position = self.end;
        let mut offset = self.text.len();
        while position > at {
            let c = self.text[..offset].chars().next_back()?;
            offset -= c.len_utf8();
            if c == '\n' {
                // Back to the end of the line before: its width is that of the run's text on it,
                // plus the start column if it is the run's first line.
                let (line_start, base) = match self.text[..offset].rfind('\n') {
                    Some(i) => (i + 1, 0),
                    None => (0, self.start.column),
                };
                let column = base + width(&self.text[line_start..offset], encoding);
                position = Position::new(position.line - 1, column);
            } else {
                position.column -= char_width(c, encoding);
            }
        }
        (position == at).then_some(offset)
    }
}

/// The position just after `text` inserted at `at`, for a text without `\r`.
fn after(at: Position, text: &str, encoding: Encoding) -> Position {
    match text.rfind('\n') {
        None => Position::new(at.line, at.column + width(text, encoding)),
        Some(i) => {
            let breaks = text.bytes().filter(|&b| b == b'\n').count() as u32;
            Position::new(at.line + breaks, width(&text[i + 1..], encoding))
        }
    }
}

/// The width of `text` in columns of `encoding`.
fn width(text: &str, encoding: Encoding) -> u32 {
    let units = match encoding {
        Encoding::Utf8 => text.len(),
        Encoding::Utf16 => text.chars().map(char::len_utf16).sum(),
    };
    units as u32
}

fn char_width(c: char, encoding: Encoding) -> u32 {
    let units = match encoding {
        Encoding::Utf8 => c.len_utf8(),
        Encoding::Utf16 => c.len_utf16(),
    };
    units as u32
}

impl Replayer {
    /// A replayer for the journal at `journal` (the path is used in messages).
    pub fn new(journal: &Path) -> Self {
        Self {
            journal: journal.to_owned(),
            session: None,
            encoding: Encoding::Utf16,
            files: BTreeMap::new(),
            mismatches: Vec::new(),
            last_seq: None,
            edits: 0,
            saves: 0,
            only: None,
            typing: None,
            spare: String::new(),
        }
    }

    /// Applies one record.
    pub fn apply(&mut self, line: &Line<'_>) -> Result<(), JournalError> {
        let record = &line.record;
        self.last_seq = Some(record.seq);
        if let (Some(only), Some(path)) = (&self.only, &record.path) {
            if only != path {
                return Ok(());
            }
        }
        if matches!(&*record.kind, "open" | "save" | "resync" | "close") {
            self.flush()?;
        }
        match &*record.kind {
            "session" => self.session(line),
            "open" => self.open(line),
            "change" => self.change(line),
            "save" => self.save(line),
            "resync" => self.resync(line),
            "close" => self.close(line),
            // `end`, `rationale`, `skip`, and record types of later versions change no text.
            _ => Ok(()),
        }
    }

    /// The text of document `path` as the records so far left it; `None` if it was never opened.
    pub fn text_of(&mut self, path: &str) -> Result<Option<String>, JournalError> {
        if self.typing.as_ref().is_some_and(|typing| typing.path == path) {
            self.flush()?;
        }
        Ok(self.files.get(path).map(|file| file.document.text()))
    }

    /// The session's position encoding (from its `session` record).
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The hashes that disagreed so far.
    pub fn mismatches(&self) -> &[HashMismatch] {
        &self.mismatches
    }

    /// The number of edits applied so far.
    pub fn edits(&self) -> u64 {
        self.edits
    }

    /// The documents as they stand after the last record applied, to resume from later with
    /// [`Replayer::resume`]. Cheap: the ropes share their nodes with the replayer's.
    pub fn checkpoint(&mut self, resume: Resume) -> Result<Checkpoint, JournalError> {
        self.flush()?;
        let files = self
            .files
            .iter()
            .map(|(path, file)| {
                let saved = SavedFile {
                    rope: file.document.rope().clone(),
                    version: file.document.version(),
                    open: file.open,
                    opened_at: file.opened_at,
                };
                (path.clone(), saved)
            })
            .collect();
        Ok(Checkpoint {
            seq: self.last_seq.unwrap_or(0),
            resume,
            session: self.session.clone(),
            encoding: self.encoding,
            files,
            edits: self.edits,
        })
    }

    /// A replayer that goes on from `checkpoint`: feed it the records from `checkpoint.resume`.
    pub fn resume(journal: &Path, checkpoint: &Checkpoint) -> Self {
        let mut replayer = Replayer::new(journal);
        replayer.session = checkpoint.session.clone();
        replayer.encoding = checkpoint.encoding;
        replayer.last_seq = Some(checkpoint.seq);
        replayer.edits = checkpoint.edits;
        replayer.files = checkpoint
            .files
            .iter()
            .map(|(path, saved)| {
                let file = ReplayedFile {
                    document: Document::from_rope(saved.rope.clone(), saved.version),
                    open: saved.open,
                    opened_at: saved.opened_at,
                };
                (path.clone(), file)
            })
            .collect();
        replayer
    }

    /// What the records so far rebuilt.
    pub fn finish(mut self) -> Result<Replayed, JournalError> {
        self.flush()?;
        Ok(Replayed {
            session: self.session.unwrap_or_default(),
            encoding: self.encoding,
            files: self.files,
            mismatches: self.mismatches,
            last_seq: self.last_seq.unwrap_or(0),
            edits: self.edits,
            saves: self.saves,
        })
    }

    fn invalid(&self, line: &Line<'_>, message: impl Into<String>) -> JournalError {
        JournalError::invalid(&self.journal, line.number, message)
    }

    fn need<'r, T: ?Sized>(
        &self,
        line: &Line<'_>,
        value: Option<&'r T>,
        field: &str,
        shape: &str,
    ) -> Result<&'r T, JournalError> {
        value.ok_or_else(|| {
            self.invalid(line, format!("the `{}` record has no {shape} `{field}`", line.record.kind))
        })
    }

    fn path<'r>(&self, line: &'r Line<'_>) -> Result<&'r str, JournalError> {
        self.need(line, line.record.path.as_deref(), "path", "string")
    }

    fn version(&self, line: &Line<'_>) -> Result<i32, JournalError> {
        let version = *self.need(line, line.record.version.as_ref(), "version", "integer")?;
        i32::try_from(version).map_err(|_| self.invalid(line, format!("version {version} is out of range")))
    }

    fn open_file(&mut self, line: &Line<'_>) -> Result<&mut ReplayedFile, JournalError> {
        let path = self.path(line)?;
        match self.files.get_mut(path) {
            Some(file) if file.open => Ok(file),
            other => {
                let state = if other.is_some() { "closed" } else { "never opened" };
                Err(JournalError::invalid(
                    &self.journal,
                    line.number,
                    format!("`{}` of {path}, which is {state} at this point", line.record.kind),
                ))
            }
        }
    }

    fn check_own_hash(&mut self, line: &Line<'_>, text: &str) -> Result<(), JournalError> {
        let recorded = self.need(line, line.record.sha256.as_deref(), "sha256", "string")?;
        let rebuilt = crate::text::sha256_hex([text]);
        if rebuilt != recorded {
            let mismatch = self.mismatch(&line.record, recorded.to_owned(), rebuilt, line.number);
            self.mismatches.push(mismatch);
        }
        Ok(())
    }

    fn mismatch(
        &self,
        record: &RawRecord<'_>,
        recorded: String,
        rebuilt: String,
        line: usize,
    ) -> HashMismatch {
        HashMismatch {
            journal: self.journal.clone(),
            line,
            seq: record.seq,
            record: record.kind.to_string(),
            path: record.path.as_deref().unwrap_or_default().to_owned(),
            recorded,
            rebuilt,
        }
    }

    fn session(&mut self, line: &Line<'_>) -> Result<(), JournalError> {
        let record = &line.record;
        if self.session.is_some() {
            return Err(self.invalid(line, "a second `session` record; a journal has one, first"));
        }
        match record.schema {
            Some(schema) if schema == i64::from(SCHEMA) => {}
            Some(schema) => {
                return Err(self.invalid(
                    line,
                    format!("journal schema {schema} is not one this rationale reads (it reads {SCHEMA})"),
                ))
            }
            None => return Err(self.invalid(line, "the `session` record has no integer `schema`")),
        }
        let name = self.need(line, record.position_encoding.as_deref(), "positionEncoding", "string")?;
        self.encoding = Encoding::from_name(name).ok_or_else(|| {
            self.invalid(line, format!("unknown positionEncoding `{name}` (utf-8 or utf-16)"))
        })?;
        self.session = Some(self.need(line, record.session.as_deref(), "session", "string")?.to_owned());
        Ok(())
    }

    fn open(&mut self, line: &Line<'_>) -> Result<(), JournalError> {
        let path = self.path(line)?;
        if !is_workspace_relative(path) {
            return Err(self.invalid(
                line,
                format!("path `{path}` is not a workspace-relative path inside the workspace"),
            ));
        }
        let version = self.version(line)?;
        let text = self.need(line, line.record.text.as_deref(), "text", "string")?;
        self.check_own_hash(line, text)?;
        let document = Document::new(text, version, None);
        match self.files.get_mut(path) {
            // A reopened document keeps the line it was first opened at.
            Some(file) => {
                file.document = document;
                file.open = true;
            }
            None => {
                let file = ReplayedFile { document, open: true, opened_at: line.number };
                self.files.insert(path.to_owned(), file);
            }
        }
        Ok(())
    }

    fn change(&mut self, line: &Line<'_>) -> Result<(), JournalError> {
        let version = self.version(line)?;
        let Edits::List(edits) = &line.record.edits else {
            return Err(self.invalid(
                line,
                "the `change` record has no list of edits ({\"range\": [[line, col], [line, col]], \"text\"} or {\"text\"})",
            ));
        };
        let path = self.path(line)?;
        let encoding = self.encoding;
        // A typing run's document is open: everything that could close it ends the run first.
        if self.typing.as_ref().is_none_or(|typing| typing.path != path) {
            self.open_file(line)?;
        }
        for edit in edits {
            if let Some(typing) = &mut self.typing {
                if typing.path == path && typing.absorb(edit, encoding) {
                    continue;
                }
            }
            self.flush()?;
            if self.start_typing(path, edit, line.number, version) {
                continue;
            }
            let change = TextChange {
                range: edit.range.map(|[[l1, c1], [l2, c2]]| (Position::new(l1, c1), Position::new(l2, c2))),
                text: edit.text.to_string(),
            };
            let document = &mut self.open_file(line)?.document;
            if let Err(err) = document.apply(std::slice::from_ref(&change), encoding) {
                return Err(self.invalid(
                    line,
                    format!("the change to {path} cannot be applied to the rebuilt text: {err}"),
                ));
            }
        }
        self.edits += edits.len() as u64;
        match &mut self.typing {
            Some(typing) if typing.path == path => typing.version = version,
            _ => self.open_file(line)?.document.set_version(version),
        }
        Ok(())
    }

    /// Starts a typing run with `edit` if it is an insertion at a position the document has.
    /// Anything else is left to [`Document::apply`] (which also reports a position the document
    /// does not have, as it would for any edit).
    fn start_typing(&mut self, path: &str, edit: &RawEdit<'_>, line: usize, version: i32) -> bool {
        let Some([[l1, c1], [l2, c2]]) = edit.range else { return false };
        if (l1, c1) != (l2, c2) || edit.text.is_empty() {
            return false;
        }
        let Some(file) = self.files.get(path) else { return false };
        let rope = file.document.rope();
        let Ok(at) = to_char(rope, Position::new(l1, c1), self.encoding) else { return false };
        let mut typing = Typing {
            path: String::new(),
            first_line: line,
            // The position the insertion really lands on: a column past the end of the line, or
            // inside a character, means the end of the line, or that character's start.
            start: from_char(rope, at, self.encoding),
            after_cr: at > 0 && rope.char(at - 1) == '\r',
            end: Position::new(0, 0),
            text: std::mem::take(&mut self.spare),
            version,
        };
        if !typing.may_type(&edit.text) {
            self.spare = typing.text;
            return false;
        }
        typing.path.push_str(path);
        typing.end = after(typing.start, &edit.text, self.encoding);
        typing.text.push_str(&edit.text);
        self.typing = Some(typing);
        true
    }

    /// Applies the typing run, if there is one, to its document.
    fn flush(&mut self) -> Result<(), JournalError> {
        let Some(typing) = self.typing.take() else { return Ok(()) };
        let Some(file) = self.files.get_mut(&typing.path) else {
            unreachable!("a typing run is only started on a tracked document")
        };
        let at = typing.start;
        let change = TextChange { range: Some((at, at)), text: typing.text };
        if let Err(err) = file.document.apply(std::slice::from_ref(&change), self.encoding) {
            // Not expected: the run starts at a position resolved in this very document.
            return Err(JournalError::invalid(
                &self.journal,
                typing.first_line,
                format!("the typing that starts here cannot be applied to {}: {err}", typing.path),
            ));
        }
        file.document.set_version(typing.version);
        self.spare = change.text;
        self.spare.clear();
        Ok(())
    }

    fn save(&mut self, line: &Line<'_>) -> Result<(), JournalError> {
        let recorded = self.need(line, line.record.sha256.as_deref(), "sha256", "string")?;
        let recorded = recorded.to_owned();
        let rebuilt = self.open_file(line)?.document.sha256();
        self.saves += 1;
        if rebuilt != recorded {
            let mismatch = self.mismatch(&line.record, recorded, rebuilt, line.number);
            self.mismatches.push(mismatch);
        }
        Ok(())
    }

    fn resync(&mut self, line: &Line<'_>) -> Result<(), JournalError> {
        let version = self.version(line)?;
        let text = self.need(line, line.record.text.as_deref(), "text", "string")?;
        self.check_own_hash(line, text)?;
        let file = self.open_file(line)?;
        file.document.replace(text, version);
        Ok(())
    }

    fn close(&mut self, line: &Line<'_>) -> Result<(), JournalError> {
        self.open_file(line)?.open = false;
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::journal::record::{Body, Edit, NameVersion, Record, SessionInfo};

    /// A journal built from record bodies, numbered from seq 0 with a session record first.
    pub(crate) fn journal_of(encoding: Encoding, bodies: Vec<Body>) -> Journal {
        Journal::from_bytes("s.jsonl", journal_text(encoding, bodies).into_bytes())
    }

    /// The lines of [`journal_of`].
    pub(crate) fn journal_text(encoding: Encoding, bodies: Vec<Body>) -> String {
        let session = Body::Session(SessionInfo {
            schema: SCHEMA,
            session: "20261126T083000Z-7f3a9c".into(),
            server: NameVersion { name: "rationale".into(), version: Some("0.1.0".into()) },
            client: NameVersion { name: "test".into(), version: None },
            author: "dev@example.com".into(),
            workspace: "app".into(),
            position_encoding: encoding,
            git: None,
        });
        let mut text = String::new();
        for (seq, body) in std::iter::once(session).chain(bodies).enumerate() {
            let ts = format!("2026-11-26T08:30:{:02}.000Z", seq % 60);
            text += &serde_json::to_string(&Record { seq: seq as u64, ts, body }).unwrap();
            text.push('\n');
        }
        text
    }

    pub(crate) fn sha(text: &str) -> String {
        crate::text::sha256_hex([text])
    }

    pub(crate) fn open(path: &str, text: &str) -> Body {
        Body::Open {
            path: path.into(),
            language: "python".into(),
            version: 1,
            text: text.into(),
            sha256: sha(text),
        }
    }

    /// A range as `(line, column, line, column)`.
    pub(crate) type Span = (u32, u32, u32, u32);

    pub(crate) fn change(path: &str, version: i32, edits: &[(Span, &str)]) -> Body {
        Body::Change {
            path: path.into(),
            version,
            edits: edits
                .iter()
                .map(|&((l1, c1, l2, c2), text)| Edit {
                    range: Some([[l1, c1], [l2, c2]]),
                    text: text.into(),
                })
                .collect(),
        }
    }

    fn save(path: &str, text: &str) -> Body {
        Body::Save { path: path.into(), sha256: sha(text) }
    }

    fn text_of(replayed: &Replayed, path: &str) -> String {
        replayed.files[path].document.text()
    }

    #[test]
    fn opens_changes_and_saves_rebuild_the_text() {
        let journal = journal_of(
            Encoding::Utf16,
            vec![
                open("src/app.py", "def f():\n    pass\n"),
                change("src/app.py", 2, &[((0, 4, 0, 5), "g")]),
                change("src/app.py", 3, &[((1, 4, 1, 8), "return 1")]),
                save("src/app.py", "def g():\n    return 1\n"),
            ],
        );
        let replayed = replay(&journal, None).unwrap();
        assert_eq!(text_of(&replayed, "src/app.py"), "def g():\n    return 1\n");
        assert_eq!(replayed.files["src/app.py"].document.version(), 3);
        assert!(replayed.mismatches.is_empty());
        assert_eq!(replayed.session, "20261126T083000Z-7f3a9c");
        assert_eq!(replayed.last_seq, 4);
        assert_eq!(replayed.edits, 2);
        assert_eq!(replayed.saves, 1);
    }

    #[test]
    fn the_edits_of_one_change_apply_in_order() {
        // The second edit's position is only right once the first is applied.
        let journal = journal_of(
            Encoding::Utf8,
            vec![
                open("a.py", "x = 1\n"),
                change("a.py", 2, &[((0, 0, 0, 0), "y = 2\n"), ((1, 4, 1, 5), "3"), ((2, 0, 2, 0), "z")]),
            ],
        );
        assert_eq!(text_of(&replay(&journal, None).unwrap(), "a.py"), "y = 2\nx = 3\nz");
    }

    #[test]
    fn replay_stops_at_the_requested_record() {
        let journal = journal_of(
            Encoding::Utf16,
            vec![
                open("a.py", "a"),
                change("a.py", 2, &[((0, 1, 0, 1), "b")]),
                change("a.py", 3, &[((0, 2, 0, 2), "c")]),
            ],
        );
        assert_eq!(text_of(&replay(&journal, Some(2)).unwrap(), "a.py"), "ab");
        assert!(replay(&journal, Some(0)).unwrap().files.is_empty());
        let err = replay(&journal, Some(4)).unwrap_err();
        assert!(err.to_string().contains("the journal ends with record 3"), "{err}");
    }

    #[test]
    fn a_save_whose_hash_disagrees_is_reported_with_its_line() {
        let journal = journal_of(
            Encoding::Utf16,
            vec![
                open("a.py", "a"),
                change("a.py", 2, &[((0, 1, 0, 1), "b")]),
                save("a.py", "something else"),
                save("a.py", "ab"),
            ],
        );
        let replayed = replay(&journal, None).unwrap();
        assert_eq!(replayed.mismatches.len(), 1);
        let mismatch = &replayed.mismatches[0];
        assert_eq!((mismatch.line, mismatch.seq, mismatch.path.as_str()), (4, 3, "a.py"));
        assert_eq!(mismatch.rebuilt, sha("ab"));
        assert!(mismatch.to_string().starts_with("s.jsonl:4: `save` of a.py (seq 3)"), "{mismatch}");
    }

    #[test]
    fn an_open_whose_hash_does_not_match_its_text_is_reported() {
        let mut body = open("a.py", "text");
        if let Body::Open { sha256, .. } = &mut body {
            *sha256 = sha("other");
        }
        let replayed = replay(&journal_of(Encoding::Utf16, vec![body]), None).unwrap();
        assert_eq!(replayed.mismatches[0].record, "open");
    }

    #[test]
    fn a_change_that_cannot_be_applied_is_an_error_naming_the_line() {
        let journal = journal_of(
            Encoding::Utf16,
            vec![open("a.py", "one line"), change("a.py", 2, &[((5, 0, 5, 0), "x")])],
        );
        let err = replay(&journal, None).unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(err.to_string().contains("line 5 is past the end"), "{err}");
    }

    #[test]
    fn a_change_to_a_document_never_opened_or_closed_is_an_error() {
        let never = journal_of(Encoding::Utf16, vec![change("a.py", 2, &[((0, 0, 0, 0), "x")])]);
        let err = replay(&never, None).unwrap_err();
        assert!(err.to_string().contains("never opened"), "{err}");

        let closed = journal_of(
            Encoding::Utf16,
            vec![
                open("a.py", ""),
                Body::Close { path: "a.py".into() },
                change("a.py", 2, &[((0, 0, 0, 0), "x")]),
            ],
        );
        let err = replay(&closed, None).unwrap_err();
        assert_eq!(err.line, Some(4));
        assert!(err.to_string().contains("closed"), "{err}");
    }

    /// `a😀b\r\nc`: the emoji is 4 bytes in UTF-8 and 2 units in UTF-16, and `\r\n` is one line
    /// break, so the same edit has different columns in the two encodings.
    #[test]
    fn columns_count_in_the_sessions_encoding_across_emoji_and_crlf() {
        let text = "a😀b\r\nc\r\n";
        for (encoding, column) in [(Encoding::Utf8, 5), (Encoding::Utf16, 3)] {
            let journal = journal_of(
                encoding,
                vec![
                    open("a.py", text),
                    // Replace `b` and the line break, then type at the start of the next line.
                    change("a.py", 2, &[((0, column, 1, 0), "B "), ((0, column + 2, 0, column + 2), "!")]),
                    save("a.py", "a😀B !c\r\n"),
                ],
            );
            let replayed = replay(&journal, None).unwrap();
            assert_eq!(text_of(&replayed, "a.py"), "a😀B !c\r\n", "{encoding:?}");
            assert!(replayed.mismatches.is_empty(), "{encoding:?}");
        }
    }

    #[test]
    fn a_column_inside_an_emoji_differs_between_encodings() {
        // Column 3 is inside the emoji in UTF-8 (its bytes are columns 1 to 4), which means its
        // start, and just past it in UTF-16 (its units are columns 1 and 2).
        let mut texts = Vec::new();
        for encoding in [Encoding::Utf8, Encoding::Utf16] {
            let journal =
                journal_of(encoding, vec![open("a.py", "a😀b"), change("a.py", 2, &[((0, 3, 0, 3), "|")])]);
            texts.push(text_of(&replay(&journal, None).unwrap(), "a.py"));
        }
        assert_eq!(texts, ["a|😀b", "a😀|b"]);
    }

    #[test]
    fn resync_replaces_the_text() {
        let journal = journal_of(
            Encoding::Utf16,
            vec![
                open("a.py", "old"),
                Body::Resync {
                    path: "a.py".into(),
                    version: 9,
                    text: "new\n".into(),
                    sha256: sha("new\n"),
                    reason: "save hash differs".into(),
                },
                change("a.py", 10, &[((1, 0, 1, 0), "more")]),
                save("a.py", "new\nmore"),
            ],
        );
        let replayed = replay(&journal, None).unwrap();
        assert_eq!(text_of(&replayed, "a.py"), "new\nmore");
        assert_eq!(replayed.files["a.py"].document.version(), 10);
        assert!(replayed.mismatches.is_empty());
    }

    #[test]
    fn a_closed_file_keeps_its_text_and_a_reopen_replaces_it() {
        let journal = journal_of(
            Encoding::Utf16,
            vec![
                open("a.py", "first"),
                change("a.py", 2, &[((0, 5, 0, 5), "!")]),
                Body::Close { path: "a.py".into() },
                open("b.py", "b"),
                open("a.py", "reopened from disk"),
            ],
        );
        let closed = replay(&journal, Some(3)).unwrap();
        assert_eq!(text_of(&closed, "a.py"), "first!");
        assert!(!closed.files["a.py"].open);

        let reopened = replay(&journal, None).unwrap();
        assert_eq!(text_of(&reopened, "a.py"), "reopened from disk");
        assert!(reopened.files["a.py"].open);
        assert_eq!(reopened.files["a.py"].opened_at, 2);
        assert_eq!(reopened.files.keys().collect::<Vec<_>>(), ["a.py", "b.py"]);
    }

    #[test]
    fn a_whole_document_replacement_has_no_range() {
        let journal = journal_of(
            Encoding::Utf16,
            vec![
                open("a.py", "old"),
                Body::Change {
                    path: "a.py".into(),
                    version: 2,
                    edits: vec![Edit { range: None, text: "whole".into() }],
                },
            ],
        );
        assert_eq!(text_of(&replay(&journal, None).unwrap(), "a.py"), "whole");
    }

    #[test]
    fn unknown_record_types_are_passed_over() {
        let mut text = journal_text(Encoding::Utf16, vec![open("a.py", "a")]);
        text.push_str(
            r#"{"seq":2,"ts":"t","type":"rationale","pair":"s:2","path":"a.py","edits":3,"text":"because","before":"","after":"a"}
{"seq":3,"ts":"t","type":"skip","path":"a.py","edits":1,"reason":null}
{"seq":4,"ts":"t","type":"something-new","path":"a.py","text":42}
"#,
        );
        let journal = Journal::from_bytes("s.jsonl", text.into_bytes());
        let replayed = replay(&journal, None).unwrap();
        assert_eq!(text_of(&replayed, "a.py"), "a");
        assert_eq!(replayed.last_seq, 4);
    }

    #[test]
    fn paths_that_leave_the_workspace_are_refused() {
        for path in ["../x.py", "a/../../x.py", "/etc/passwd", ""] {
            let journal = journal_of(Encoding::Utf16, vec![open(path, "x")]);
            let err = replay(&journal, None).unwrap_err();
            assert_eq!(err.line, Some(2), "{path}");
            assert!(err.to_string().contains("not a workspace-relative path"), "{path}: {err}");
        }
        assert!(is_workspace_relative("src/a..b/c.py"));
    }

    #[test]
    fn a_session_of_an_unknown_schema_is_refused() {
        let line =
            r#"{"seq":0,"ts":"t","type":"session","schema":2,"session":"s","positionEncoding":"utf-8"}"#;
        let journal = Journal::from_bytes("s.jsonl", format!("{line}\n").into_bytes());
        let err = replay(&journal, None).unwrap_err();
        assert!(err.to_string().contains("schema 2"), "{err}");
    }

    #[test]
    fn one_document_after_a_given_record() {
        let journal = journal_of(
            Encoding::Utf16,
            vec![
                open("a.py", "a"),
                open("b.py", "b"),
                change("b.py", 2, &[((9, 9, 9, 9), "this edit is broken but b.py is not asked for")]),
                change("a.py", 5, &[((0, 1, 0, 1), "1")]),
            ],
        );
        assert_eq!(
            document_at(&journal, "a.py", 4).unwrap(),
            Some(DocumentState { text: "a1".into(), version: 5 })
        );
        assert_eq!(document_at(&journal, "a.py", 1).unwrap().unwrap().text, "a");
        assert_eq!(document_at(&journal, "b.py", 0).unwrap(), None);
        assert!(document_at(&journal, "b.py", 4).is_err());
        assert!(document_at(&journal, "a.py", 5).is_err(), "past the end");
    }

    /// Replay takes typing runs as one insertion each; whatever the edits, the text must be what
    /// applying every record's edits one by one gives. Random sessions of typing, backspaces,
    /// jumps, pastes, selections replaced, emoji, CRLF and columns past the end of a line, in
    /// both encodings.
    #[test]
    fn replay_equals_applying_every_edit_one_by_one() {
        use rand::{rngs::StdRng, Rng, SeedableRng};

        const PIECES: [&str; 10] = ["a", "b", " ", "😀", "é", "\n", "\r\n", "\r", "xy", "日本"];
        for seed in 0..24u64 {
            let mut rng = StdRng::seed_from_u64(seed);
            let encoding = if seed % 2 == 0 { Encoding::Utf8 } else { Encoding::Utf16 };
            let start = "def f():\r\n    return 1😀\n\nclass C:\n    pass\n";
            let mut reference = Document::new(start, 1, None);
            let mut bodies = vec![open("a.py", start)];
            let mut cursor = reference.rope().len_chars() / 2;
            for version in 2..300 {
                let mut edits = Vec::new();
                for _ in 0..rng.gen_range(1..=3) {
                    let rope = reference.rope();
                    let len = rope.len_chars();
                    cursor = cursor.min(len);
                    let at = from_char(rope, cursor, encoding);
                    let (range, text) = match rng.gen_range(0..10) {
                        // Typing at the cursor, most of the time.
                        0..=4 => ((at, at), PIECES[rng.gen_range(0..PIECES.len())].to_owned()),
                        // Backspace over one or two units (which may split a character).
                        5 | 6 => {
                            let from = Position::new(at.line, at.column.saturating_sub(rng.gen_range(1..=2)));
                            ((from, at), String::new())
                        }
                        // A jump elsewhere, sometimes past the end of a line.
                        7 => {
                            let mut to = from_char(rope, rng.gen_range(0..=len), encoding);
                            to.column += rng.gen_range(0..3) * 7;
                            ((to, to), "z".to_owned())
                        }
                        // A selection replaced, across lines.
                        8 => {
                            let a = from_char(rope, rng.gen_range(0..=len), encoding);
                            let b = from_char(rope, rng.gen_range(0..=len), encoding);
                            ((a.min(b), a.max(b)), ["", "q", "p\nq"][rng.gen_range(0..3)].to_owned())
                        }
                        _ => ((at, at), "pasted 😀 text".to_owned()),
                    };
                    let edit = Edit {
                        range: Some([[range.0.line, range.0.column], [range.1.line, range.1.column]]),
                        text,
                    };
                    // The edits of one record apply in order, each to the text the one before left.
                    let change = edit.to_change();
                    reference.apply(std::slice::from_ref(&change), encoding).unwrap();
                    // The cursor follows as in an editor: after the inserted text.
                    cursor =
                        to_char(reference.rope(), range.0, encoding).unwrap() + change.text.chars().count();
                    edits.push(edit);
                }
                bodies.push(Body::Change { path: "a.py".into(), version, edits });
                if rng.gen_range(0..50) == 0 {
                    bodies.push(Body::Save { path: "a.py".into(), sha256: reference.sha256() });
                }
            }
            let replayed = replay(&journal_of(encoding, bodies), None).unwrap();
            assert_eq!(text_of(&replayed, "a.py"), reference.text(), "seed {seed}");
            assert!(replayed.mismatches.is_empty(), "seed {seed}: {}", replayed.mismatches[0]);
            assert_eq!(replayed.files["a.py"].document.version(), 299);
        }
    }
}
