//! The replayer: applies the records of one journal, one at a time, to the documents they name,
//! and saves and restores where it stands ([`Checkpoint`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::typing::{after, Typing};
use super::{is_workspace_relative, HashMismatch, Replayed, ReplayedFile};
use crate::journal::record::SCHEMA;
use crate::journal::{Edits, JournalError, Line, RawEdit, RawRecord, Resume};
use crate::text::{from_char, to_char, Document, Encoding, Position, TextChange};

/// The documents of a session after one record, and where to read on from there.
#[derive(Clone)]
pub struct Checkpoint {
    /// The `seq` of the last record applied.
    pub seq: u64,
    pub resume: Resume,
    session: Option<String>,
    encoding: Encoding,
    files: BTreeMap<String, SavedDocument>,
    edits: u64,
}

/// A document as a checkpoint keeps it.
#[derive(Clone, Debug)]
pub struct SavedDocument {
    pub rope: ropey::Rope,
    pub version: i32,
    /// Whether the editor still had it open.
    pub open: bool,
    /// The line of the `open` record that first brought it into the session.
    pub opened_at: usize,
}

impl Checkpoint {
    /// A checkpoint made of its parts, as an index on disk keeps them: after record `seq`, read
    /// on from `resume`, with `edits` edits applied so far.
    pub fn from_parts(
        seq: u64,
        resume: Resume,
        session: Option<String>,
        encoding: Encoding,
        edits: u64,
        files: BTreeMap<String, SavedDocument>,
    ) -> Self {
        Checkpoint { seq, resume, session, encoding, files, edits }
    }

    /// Every document the session had opened by then, by workspace-relative path.
    pub fn documents(&self) -> &BTreeMap<String, SavedDocument> {
        &self.files
    }

    pub fn session(&self) -> Option<&str> {
        self.session.as_deref()
    }

    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The number of edits applied up to the checkpoint.
    pub fn edits(&self) -> u64 {
        self.edits
    }
}

/// Replays records one at a time; [`replay`](super::replay) drives it over a whole journal. Feed it the lines of
/// one journal in order.
pub struct Replayer {
    journal: PathBuf,
    session: Option<String>,
    encoding: Encoding,
    files: BTreeMap<String, ReplayedFile>,
    mismatches: Vec<HashMismatch>,
    pub(super) last_seq: Option<u64>,
    edits: u64,
    saves: u64,
    /// Replay only this document.
    pub(super) only: Option<String>,
    /// Typing not yet applied to its document.
    typing: Option<Typing>,
    /// The string of the last typing run, kept for the next.
    spare: String,
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
                let saved = SavedDocument {
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

    /// Applies only the records of document `path` from now on (the others are read and passed
    /// over): for a request that wants one document.
    pub fn only(&mut self, path: &str) {
        self.only = Some(path.to_owned());
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
