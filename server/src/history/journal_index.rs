//! The index of one journal, so that a reviewer's request reads a few thousand lines of a long
//! session rather than the whole day: where every 256th record's line starts (a page of the
//! `edits` timeline is read from the mark before it), where each pair's line is (the `pairs`
//! timeline), how many records there are, and checkpoints: every few thousand edits, the texts of
//! the documents changed since the checkpoint before. The document at any record is its text at
//! the checkpoint before the record, and the records of that document read on from there.
//!
//! The index is kept at `.rationale/index/<session>.idx` of the journal's folder and read by
//! every later server; it is built on first use (one replay of the journal) where there is none.
//! It is never trusted over the journal. It names the journal it indexes by its session, the
//! length it indexed and the SHA-256 of the first and of the last 4 KiB of that length, and these
//! are checked against the journal at every request: a journal that is shorter, or differs there,
//! is indexed again from its start; one that grew (a session still being recorded) is indexed on
//! from the index's last checkpoint. A file that is not a whole index of this version (cut short,
//! damaged, of another format) is rebuilt. Every text taken from it is checked against its
//! SHA-256, and every line it points at must be the record it says; anything else rebuilds it from
//! the journal and answers from that.
//!
//! The file: a first line `rationale-index <version>`, then the directory (one line of JSON),
//! then the texts of the checkpoints, back to back, which the directory locates by offset.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::timeline::{self, Granularity, Page};
use super::{HistoryError, Result};
use crate::journal::record::Explanation;
use crate::journal::{Journal, JournalError, JournalErrorKind, Line, Resume};
use crate::replay::{Checkpoint, DocumentState, Replayer, SavedDocument};
use crate::reviews::Reviews;
use crate::store::Store;
use crate::text::{sha256_hex, Encoding};

/// The store's folder that holds the indexes, and their extension.
pub const INDEX_DIR: &str = "index";
const INDEX_EXTENSION: &str = "idx";
/// Bumped whenever the file's layout or meaning changes; an index of another version is rebuilt.
const VERSION: u32 = 1;
const MAGIC: &str = "rationale-index";

/// A checkpoint is made once this many edits, or records, were replayed since the last one: the
/// most a request replays.
const EVERY: u64 = 4096;
/// A page mark every this many records: the most lines a page reads beyond its own.
const MARK_EVERY: u64 = 256;
/// How many bytes at the start and at the end of the indexed journal name it.
const WINDOW: u64 = 4096;

/// Where a record's line starts: what [`Resume`] says, on disk.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
struct At {
    offset: u64,
    /// The number of the line before it (the line count so far).
    line: u64,
    seq: u64,
}

impl At {
    const START: At = At { offset: 0, line: 0, seq: 0 };

    /// Where to start reading the lines read into memory from this line on.
    fn resume(self) -> Resume {
        Resume { offset: 0, line: self.line as usize, seq: self.seq }
    }

    /// Where to start reading the whole journal from this line on.
    fn absolute(self) -> Resume {
        Resume { offset: self.offset as usize, line: self.line as usize, seq: self.seq }
    }

    fn of(resume: Resume, base: u64) -> At {
        At { offset: base + resume.offset as u64, line: resume.line as u64, seq: resume.seq }
    }
}

/// A pair's line: where it starts and ends.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
struct PairAt {
    at: At,
    end: u64,
}

/// Which journal, and how much of it, an index indexes.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
struct Identity {
    session: String,
    /// The bytes of complete lines indexed.
    length: u64,
    /// SHA-256 of the first and of the last [`WINDOW`] bytes of those.
    head: String,
    tail: String,
}

/// A text kept in the file: where, and its hash.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Blob {
    offset: u64,
    len: u64,
    sha256: String,
}

/// A document as a checkpoint saved it.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct SavedText {
    path: String,
    version: i32,
    open: bool,
    opened_at: usize,
    text: Blob,
}

/// A checkpoint: after record `seq`, read on from `resume`. It holds the documents that records
/// since the checkpoint before touched; any other document stands as its last saved text says.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct SavedCheckpoint {
    seq: u64,
    resume: At,
    edits: u64,
    documents: Vec<SavedText>,
}

/// The directory of an index file.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Directory {
    journal: Identity,
    encoding: Encoding,
    /// The last record's `seq`.
    last_seq: u64,
    /// Where reading on from the indexed part starts.
    end: At,
    /// Every [`MARK_EVERY`]th record, from record 0.
    marks: Vec<At>,
    pairs: Vec<PairAt>,
    checkpoints: Vec<SavedCheckpoint>,
    /// The replay failed at this record (a damaged journal): no checkpoint after it.
    broken: Option<u64>,
    /// The bytes of the texts.
    texts: u64,
}

/// Where the checkpoints' texts are.
enum Texts {
    Memory(Vec<u8>),
    /// In the index file, from `start`.
    File {
        path: PathBuf,
        start: u64,
    },
}

/// Why an index could not be used; it is rebuilt from the journal.
#[derive(Debug)]
struct Untrusted;

pub struct JournalIndex {
    journal: PathBuf,
    session: String,
    /// The workspace folder whose store keeps the index.
    folder: Option<PathBuf>,
    directory: Directory,
    texts: Texts,
    /// By path: the checkpoints (by position) that saved a text of it, and where in them.
    saved: HashMap<String, Vec<(usize, usize)>>,
    /// Whether it was read from or written to its file as it stands.
    persisted: bool,
    /// Whether it was read from a file (rather than built from the journal by this process).
    from_file: bool,
}

impl JournalIndex {
    /// The index of the journal at `journal`: the one kept in `folder`'s store if it is sound
    /// and still describes the journal, else one built now (and kept there, where it can be).
    pub fn open(journal: &Path, folder: Option<&Path>) -> Result<JournalIndex> {
        let session = session_of(journal);
        let kept = folder.and_then(|folder| load(&index_path(folder, &session)).ok());
        let mut index = match kept {
            Some((directory, texts)) => {
                let mut index = JournalIndex::new(journal, folder, directory, texts);
                index.persisted = true;
                index.from_file = true;
                index
            }
            None => JournalIndex::empty(journal, folder),
        };
        index.refresh()?;
        Ok(index)
    }

    fn new(journal: &Path, folder: Option<&Path>, directory: Directory, texts: Texts) -> JournalIndex {
        let mut index = JournalIndex {
            journal: journal.to_owned(),
            session: session_of(journal),
            folder: folder.map(Path::to_owned),
            directory,
            texts,
            saved: HashMap::new(),
            persisted: false,
            from_file: false,
        };
        index.list_saved();
        index
    }

    /// An index of nothing yet: [`JournalIndex::refresh`] indexes the journal from its start.
    fn empty(journal: &Path, folder: Option<&Path>) -> JournalIndex {
        let directory = Directory {
            journal: Identity {
                session: session_of(journal),
                length: 0,
                head: String::new(),
                tail: String::new(),
            },
            encoding: Encoding::Utf16,
            last_seq: 0,
            end: At::START,
            marks: Vec::new(),
            pairs: Vec::new(),
            checkpoints: Vec::new(),
            broken: None,
            texts: 0,
        };
        JournalIndex::new(journal, folder, directory, Texts::Memory(Vec::new()))
    }

    fn list_saved(&mut self) {
        self.saved.clear();
        for (i, checkpoint) in self.directory.checkpoints.iter().enumerate() {
            for (j, document) in checkpoint.documents.iter().enumerate() {
                self.saved.entry(document.path.clone()).or_default().push((i, j));
            }
        }
    }

    /// Whether the journal has no complete record yet (a server that is starting).
    pub fn is_empty(&self) -> bool {
        self.directory.journal.length == 0
    }

    /// Brings the index up to date with the journal: nothing if it still describes it, the
    /// records it gained if it grew, everything again if it is not the journal indexed.
    pub fn refresh(&mut self) -> Result<()> {
        match self.compare()? {
            Compared::Same => Ok(()),
            Compared::Grown if !self.is_empty() => self.extend(),
            _ => self.rebuild(),
        }
    }

    /// Whether the index was read from its file: what it says may be wrong, where an index this
    /// process built from the journal is not.
    pub fn is_from_file(&self) -> bool {
        self.from_file
    }

    /// Indexes the journal from its start.
    pub fn rebuild(&mut self) -> Result<()> {
        *self = JournalIndex::empty(&self.journal, self.folder.as_deref());
        self.extend()
    }

    fn compare(&self) -> Result<Compared> {
        let mut file = File::open(&self.journal).map_err(|err| self.io(err))?;
        let size = file.metadata().map_err(|err| self.io(err))?.len();
        let known = &self.directory.journal;
        if self.is_empty() {
            return Ok(if size == 0 { Compared::Same } else { Compared::Grown });
        }
        if size < known.length || known.session != self.session {
            return Ok(Compared::Other);
        }
        let (head, tail) = windows(&mut file, known.length).map_err(|err| self.io(err))?;
        if head != known.head || tail != known.tail {
            return Ok(Compared::Other);
        }
        Ok(if size == known.length { Compared::Same } else { Compared::Grown })
    }

    fn io(&self, err: std::io::Error) -> HistoryError {
        HistoryError::Journal(JournalError::new(&self.journal, None, JournalErrorKind::Io(err)))
    }

    /// Reads the journal on from the last checkpoint (the start if there is none), marking the
    /// records the index does not know yet and making checkpoints past the last one; keeps the
    /// index if it made one.
    fn extend(&mut self) -> Result<()> {
        if !matches!(self.texts, Texts::Memory(_)) {
            self.texts = Texts::Memory(self.read_texts().map_err(|_| HistoryError::IndexUnreadable)?);
        }
        let (mut replayer, from) = match self.directory.checkpoints.last().cloned() {
            Some(last) => (self.restore(self.directory.checkpoints.len() - 1, None)?, last.resume),
            None => (Replayer::new(&self.journal), At::START),
        };
        let known = (!self.is_empty()).then_some(self.directory.last_seq);
        let bytes = read_from(&self.journal, from.offset).map_err(|err| self.io(err))?;
        let journal = Journal::from_bytes(&self.journal, bytes);
        if from.offset == 0 && journal.has_no_records() {
            return Ok(()); // not one complete line yet: a server that is starting
        }
        let mut records = journal.records_from(from.resume());
        let texts = match &mut self.texts {
            Texts::Memory(texts) => texts,
            Texts::File { .. } => unreachable!("read into memory above"),
        };
        let directory = &mut self.directory;
        let checkpoints_before = directory.checkpoints.len();
        let (mut edits_then, mut records_since) = (replayer.edits(), 0u64);
        let mut touched = BTreeSet::new();
        let mut end = from;
        loop {
            let before = At::of(records.resume_point(&journal), from.offset);
            let Some(line) = records.next() else { break };
            let line = line?;
            let seq = line.record.seq;
            if known.is_none_or(|known| seq > known) {
                if seq % MARK_EVERY == 0 {
                    directory.marks.push(before);
                }
                if line.record.kind == "rationale" {
                    let end = At::of(records.resume_point(&journal), from.offset).offset;
                    directory.pairs.push(PairAt { at: before, end });
                }
                directory.last_seq = seq;
            }
            end = At::of(records.resume_point(&journal), from.offset);
            if directory.broken.is_some() {
                continue;
            }
            if let Some(path) = &line.record.path {
                touched.insert(path.to_string());
            }
            if let Err(err) = replayer.apply(&line) {
                // The steps are still listed; a replay past here fails with this error.
                tracing::warn!("{err}");
                directory.broken = Some(seq);
                continue;
            }
            records_since += 1;
            let due = replayer.edits() - edits_then >= EVERY || records_since >= EVERY;
            if due && directory.checkpoints.last().is_none_or(|last| seq > last.seq) {
                let checkpoint = replayer.checkpoint(end.absolute())?;
                directory.checkpoints.push(save(&checkpoint, end, &touched, texts));
                touched.clear();
                (edits_then, records_since) = (replayer.edits(), 0);
            }
        }
        directory.encoding = replayer.encoding();
        directory.end = end;
        directory.texts = texts.len() as u64;
        let io =
            |err| HistoryError::Journal(JournalError::new(&self.journal, None, JournalErrorKind::Io(err)));
        let (head, tail) =
            File::open(&self.journal).and_then(|mut file| windows(&mut file, end.offset)).map_err(io)?;
        directory.journal = Identity { session: self.session.clone(), length: end.offset, head, tail };
        let made = directory.checkpoints.len() > checkpoints_before;
        self.list_saved();
        if made || !self.persisted {
            self.persist();
        }
        Ok(())
    }

    /// Writes the index into its folder's store; an index that cannot be kept is only used.
    fn persist(&mut self) {
        let (Some(folder), Texts::Memory(texts)) = (&self.folder, &self.texts) else { return };
        if self.is_empty() {
            return;
        }
        let Ok(directory) = serde_json::to_string(&self.directory) else { return };
        let mut bytes = Vec::with_capacity(directory.len() + texts.len() + 32);
        bytes.extend_from_slice(format!("{MAGIC} {VERSION}\n").as_bytes());
        bytes.extend_from_slice(directory.as_bytes());
        bytes.push(b'\n');
        bytes.extend_from_slice(texts);
        let relative = format!("{INDEX_DIR}/{}.{INDEX_EXTENSION}", self.session);
        match Store::open(folder).and_then(|store| store.replace_file(&relative, &bytes)) {
            Ok(()) => self.persisted = true,
            Err(err) => tracing::warn!("the index of {} is not kept: {err}", self.journal.display()),
        }
    }

    /// Every text of the file, for an index that is extended.
    fn read_texts(&self) -> std::result::Result<Vec<u8>, Untrusted> {
        match &self.texts {
            Texts::Memory(texts) => Ok(texts.clone()),
            Texts::File { path, start } => {
                let mut file = File::open(path).map_err(|_| Untrusted)?;
                file.seek(SeekFrom::Start(*start)).map_err(|_| Untrusted)?;
                let mut texts = Vec::with_capacity(self.directory.texts as usize);
                file.take(self.directory.texts).read_to_end(&mut texts).map_err(|_| Untrusted)?;
                if texts.len() as u64 != self.directory.texts {
                    return Err(Untrusted);
                }
                Ok(texts)
            }
        }
    }

    /// One text, checked against its hash.
    fn text(&self, blob: &Blob) -> std::result::Result<String, Untrusted> {
        let bytes = match &self.texts {
            Texts::Memory(texts) => {
                texts.get(blob.offset as usize..(blob.offset + blob.len) as usize).ok_or(Untrusted)?.to_vec()
            }
            Texts::File { path, start } => {
                let mut file = File::open(path).map_err(|_| Untrusted)?;
                file.seek(SeekFrom::Start(start + blob.offset)).map_err(|_| Untrusted)?;
                let mut bytes = vec![0; blob.len as usize];
                file.read_exact(&mut bytes).map_err(|_| Untrusted)?;
                bytes
            }
        };
        if sha256_hex([&bytes]) != blob.sha256 {
            return Err(Untrusted);
        }
        String::from_utf8(bytes).map_err(|_| Untrusted)
    }

    /// A replayer standing at checkpoint `at` (by position): every document as it stood then, or
    /// only `only`.
    fn restore(&self, at: usize, only: Option<&str>) -> Result<Replayer> {
        let checkpoint = &self.directory.checkpoints[at];
        let mut files = BTreeMap::new();
        for (path, saved) in &self.saved {
            if only.is_some_and(|only| only != path) {
                continue;
            }
            // The last text saved at or before the checkpoint: no record touched the document
            // since, or a later checkpoint up to this one would have saved it.
            let Some(&(i, j)) = saved.iter().rev().find(|(i, _)| *i <= at) else { continue };
            let document = &self.directory.checkpoints[i].documents[j];
            let text = self.text(&document.text).map_err(|_| HistoryError::IndexUnreadable)?;
            let saved = SavedDocument {
                rope: ropey::Rope::from_str(&text),
                version: document.version,
                open: document.open,
                opened_at: document.opened_at,
            };
            files.insert(path.clone(), saved);
        }
        let restored = Checkpoint::from_parts(
            checkpoint.seq,
            checkpoint.resume.absolute(),
            Some(self.session.clone()),
            self.directory.encoding,
            checkpoint.edits,
            files,
        );
        let mut replayer = Replayer::resume(&self.journal, &restored);
        if let Some(only) = only {
            replayer.only(only);
        }
        Ok(replayer)
    }

    /// The last record's `seq`.
    pub fn last_seq(&self) -> u64 {
        self.directory.last_seq
    }

    /// The lines from `from` up to the byte `until` (the end of the indexed part if `None`).
    fn read(&self, from: At, until: Option<u64>) -> Result<Journal> {
        let until = until.unwrap_or(self.directory.journal.length);
        let mut file = File::open(&self.journal).map_err(|err| self.io(err))?;
        file.seek(SeekFrom::Start(from.offset)).map_err(|err| self.io(err))?;
        let mut bytes = Vec::with_capacity(until.saturating_sub(from.offset) as usize);
        file.take(until.saturating_sub(from.offset)).read_to_end(&mut bytes).map_err(|err| self.io(err))?;
        Ok(Journal::from_bytes(&self.journal, bytes))
    }

    /// The mark at or before `seq`, and the offset of the first mark past `until` (where reading
    /// up to record `until` can stop).
    fn span(&self, seq: u64, until: u64) -> (At, Option<u64>) {
        let marks = &self.directory.marks;
        let start = marks.partition_point(|mark| mark.seq <= seq);
        let from = start.checked_sub(1).map_or(At::START, |i| marks[i]);
        let end = marks.partition_point(|mark| mark.seq <= until);
        (from, marks.get(end).map(|mark| mark.offset))
    }

    /// A page of the timeline: the steps from `from` on, at most `limit` of them.
    pub fn page(&self, granularity: Granularity, from: u64, limit: usize, reviews: &Reviews) -> Result<Page> {
        let last = self.directory.last_seq;
        if from > last {
            return Err(HistoryError::FromPastEnd { session: self.session.clone(), from, last });
        }
        match granularity {
            Granularity::Edits => {
                // Record 0 is the `session` record, not a step: a journal of only that line (its
                // server has not written the next one yet) has no steps so far.
                let from = from.max(1);
                if from > last {
                    return Ok(Page { steps: Vec::new(), next: None, total: last });
                }
                let until = (from + limit as u64 - 1).min(last);
                let (start, stop) = self.span(from, until);
                let journal = self.read(start, stop)?;
                let mut steps = Vec::with_capacity(limit);
                for line in journal.records_from(start.resume()) {
                    let line = line?;
                    let seq = line.record.seq;
                    if seq > until {
                        break;
                    }
                    if seq >= from {
                        steps.push(timeline::step(&line, &self.journal, &self.session, reviews)?);
                    }
                }
                if steps.first().is_none_or(|step| step.seq != from) || steps.len() as u64 != until - from + 1
                {
                    return Err(HistoryError::IndexUnreadable);
                }
                Ok(Page { steps, next: (until < last).then_some(until + 1), total: last })
            }
            Granularity::Pairs => {
                let pairs = &self.directory.pairs;
                let first = pairs.partition_point(|pair| pair.at.seq < from);
                let mut steps = Vec::new();
                for pair in pairs.iter().skip(first).take(limit) {
                    let journal = self.read(pair.at, Some(pair.end))?;
                    let line = journal.records_from(pair.at.resume()).next();
                    let Some(Ok(line)) = line else { return Err(HistoryError::IndexUnreadable) };
                    if line.record.kind != "rationale" {
                        return Err(HistoryError::IndexUnreadable);
                    }
                    steps.push(timeline::step(&line, &self.journal, &self.session, reviews)?);
                }
                let next = pairs.get(first + limit).map(|pair| pair.at.seq);
                Ok(Page { steps, next, total: pairs.len() as u64 })
            }
        }
    }

    /// The document `path` after record `seq`; `None` if the session had not opened it by then.
    pub fn document_at(&self, path: &str, seq: u64) -> Result<Option<DocumentState>> {
        self.past_end(seq)?;
        let checkpoints = &self.directory.checkpoints;
        let at = checkpoints.partition_point(|c| c.seq <= seq).checked_sub(1);
        let (mut replayer, from) = match at {
            Some(at) => (self.restore(at, Some(path))?, checkpoints[at].resume),
            None => {
                let mut replayer = Replayer::new(&self.journal);
                replayer.only(path);
                (replayer, At::START)
            }
        };
        if from.seq <= seq {
            let (_, stop) = self.span(seq, seq);
            let journal = self.read(from, stop)?;
            let mut reached = false;
            for line in journal.records_from(from.resume()) {
                let line = line?;
                replayer.apply(&line)?;
                if line.record.seq == seq {
                    reached = true;
                    break;
                }
            }
            if !reached {
                return Err(HistoryError::IndexUnreadable);
            }
        }
        let replayed = replayer.finish()?;
        Ok(replayed
            .files
            .get(path)
            .map(|file| DocumentState { text: file.document.text(), version: file.document.version() }))
    }

    fn past_end(&self, seq: u64) -> Result<()> {
        if seq > self.directory.last_seq || self.is_empty() {
            return Err(HistoryError::SeqPastEnd {
                session: self.session.clone(),
                seq,
                last: self.directory.last_seq,
            });
        }
        Ok(())
    }

    /// The records from the mark at or before `seq` up to record `seq`, read into `f` in order.
    fn lines_up_to(&self, seq: u64, mut f: impl FnMut(&Line<'_>)) -> Result<()> {
        let (start, stop) = self.span(seq, seq);
        let journal = self.read(start, stop)?;
        for line in journal.records_from(start.resume()) {
            let line = line?;
            f(&line);
            if line.record.seq == seq {
                return Ok(());
            }
        }
        Err(HistoryError::IndexUnreadable)
    }

    /// The `rationale`, `skip` or `unexplained` record `seq` (an `unexplained` one has no
    /// `before` or `after`), or `None` if record `seq` is of another type.
    pub fn explanation_at(&self, seq: u64) -> Result<Option<Explanation>> {
        self.past_end(seq)?;
        let mut found = None;
        self.lines_up_to(seq, |line| {
            if line.record.seq == seq && matches!(&*line.record.kind, "rationale" | "skip" | "unexplained") {
                found = Some(line.fields(&self.journal));
            }
        })?;
        Ok(found.transpose()?)
    }

    /// The last record before `seq` that left `path` as it stood before an edit made at
    /// `edits_from`: the last record of `path` earlier than `seq` whose `ts` is earlier. Falls back
    /// to the record before `seq` when the time is unknown. Read backwards a page at a time, so
    /// it costs the records since that edit.
    pub fn seq_before(&self, path: &str, edits_from: Option<&str>, seq: u64) -> Result<u64> {
        let Some(from) = edits_from else { return Ok(seq.saturating_sub(1)) };
        let mut upper = seq;
        while upper > 0 {
            let (start, _) = self.span(upper - 1, upper - 1);
            let mut before = None;
            self.lines_up_to(upper - 1, |line| {
                if line.record.path.as_deref() == Some(path) && *line.record.ts < *from {
                    before = Some(line.record.seq);
                }
            })?;
            if let Some(before) = before {
                return Ok(before);
            }
            upper = start.seq;
        }
        Ok(0)
    }
}

enum Compared {
    Same,
    Grown,
    Other,
}

/// Saves the documents `touched` as `checkpoint` has them.
fn save(
    checkpoint: &Checkpoint,
    resume: At,
    touched: &BTreeSet<String>,
    texts: &mut Vec<u8>,
) -> SavedCheckpoint {
    let documents = touched
        .iter()
        .filter_map(|path| {
            let document = checkpoint.documents().get(path)?;
            let offset = texts.len() as u64;
            for chunk in document.rope.chunks() {
                texts.extend_from_slice(chunk.as_bytes());
            }
            let bytes = &texts[offset as usize..];
            Some(SavedText {
                path: path.clone(),
                version: document.version,
                open: document.open,
                opened_at: document.opened_at,
                text: Blob { offset, len: bytes.len() as u64, sha256: sha256_hex([bytes]) },
            })
        })
        .collect();
    SavedCheckpoint { seq: checkpoint.seq, resume, edits: checkpoint.edits(), documents }
}

/// Where the index of `session` is kept in `folder`.
pub fn index_path(folder: &Path, session: &str) -> PathBuf {
    folder.join(crate::store::STORE_DIR).join(INDEX_DIR).join(format!("{session}.{INDEX_EXTENSION}"))
}

/// Reads an index file's directory; its texts stay in the file. `Untrusted` if it is not a whole
/// index of this version.
fn load(path: &Path) -> std::result::Result<(Directory, Texts), Untrusted> {
    let meta = std::fs::symlink_metadata(path).map_err(|_| Untrusted)?;
    if !meta.file_type().is_file() {
        return Err(Untrusted);
    }
    let mut reader = BufReader::new(File::open(path).map_err(|_| Untrusted)?);
    let mut first = String::new();
    reader.read_line(&mut first).map_err(|_| Untrusted)?;
    if first.trim_end() != format!("{MAGIC} {VERSION}") {
        return Err(Untrusted);
    }
    let mut line = Vec::new();
    reader.read_until(b'\n', &mut line).map_err(|_| Untrusted)?;
    if line.pop() != Some(b'\n') {
        return Err(Untrusted);
    }
    let directory: Directory = serde_json::from_slice(&line).map_err(|_| Untrusted)?;
    let start = (first.len() + line.len() + 1) as u64;
    if meta.len() != start + directory.texts {
        return Err(Untrusted);
    }
    Ok((directory, Texts::File { path: path.to_owned(), start }))
}

/// The SHA-256 of the first and of the last [`WINDOW`] bytes of the first `length` bytes.
fn windows(file: &mut File, length: u64) -> std::io::Result<(String, String)> {
    let mut read = |from: u64| -> std::io::Result<String> {
        file.seek(SeekFrom::Start(from))?;
        let mut bytes = vec![0; (length - from).min(WINDOW) as usize];
        file.read_exact(&mut bytes)?;
        Ok(sha256_hex([&bytes]))
    };
    Ok((read(0)?, read(length.saturating_sub(WINDOW))?))
}

/// The file from byte `offset` to its end.
fn read_from(path: &Path, offset: u64) -> std::io::Result<Vec<u8>> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The session id a journal's file name carries.
fn session_of(path: &Path) -> String {
    path.file_stem().map_or_else(String::new, |s| s.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::record::{Body, Edit};
    use crate::journal::samples::journal_text;
    use crate::store::scratch::ScratchDir;
    use crate::text::Encoding;

    fn typing(n: usize) -> Vec<Body> {
        let mut bodies = vec![Body::Open {
            path: "a.py".into(),
            language: "python".into(),
            version: 0,
            text: String::new(),
            sha256: crate::text::sha256_hex([""]),
        }];
        for i in 0..n {
            let edit = Edit {
                range: Some([[0, i as u32], [0, i as u32]]),
                text: ((b'a' + (i % 26) as u8) as char).to_string(),
            };
            bodies.push(Body::Change { path: "a.py".into(), version: i as i32 + 1, edits: vec![edit] });
        }
        bodies
    }

    fn expected(n: usize) -> String {
        (0..n).map(|i| (b'a' + (i % 26) as u8) as char).collect()
    }

    #[test]
    fn any_record_is_rebuilt_the_same_from_checkpoints_as_from_the_start() {
        let dir = ScratchDir::new("journal-index");
        let path = dir.write("s.jsonl", &journal_text(Encoding::Utf8, typing(10_000)));
        let journal = JournalIndex::open(&path, None).unwrap();
        let checkpoints = journal.directory.checkpoints.len();
        assert!(checkpoints >= 2, "{checkpoints} checkpoints");
        // Record 1 is the open (0 is the session): the text after record k has k - 1 characters.
        for seq in [1, 2, 4097, 4098, 8193, 9999, 10_001, 5, 3000] {
            let state = journal.document_at("a.py", seq).unwrap().unwrap();
            assert_eq!(state.text, expected(seq as usize - 1), "at {seq}");
            assert_eq!(state.version, seq as i32 - 1);
        }
        assert!(journal.document_at("a.py", 0).unwrap().is_none(), "not yet opened");
        assert!(matches!(
            journal.document_at("a.py", 10_002),
            Err(HistoryError::SeqPastEnd { seq: 10_002, last: 10_001, .. })
        ));
    }

    #[test]
    fn a_journal_that_grows_is_read_on() {
        let dir = ScratchDir::new("journal-index-grow");
        let text = journal_text(Encoding::Utf8, typing(9000));
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let path = dir.write("s.jsonl", &lines[..5000].concat());
        let mut journal = JournalIndex::open(&path, None).unwrap();
        assert_eq!(journal.document_at("a.py", 4999).unwrap().unwrap().text, expected(4998));
        // More lines arrive, the last one still being written.
        let grown = format!("{}{}", lines[..8000].concat(), &lines[8000][..10]);
        std::fs::write(&path, grown).unwrap();
        journal.refresh().unwrap();
        assert_eq!(journal.document_at("a.py", 7999).unwrap().unwrap().text, expected(7998));
        assert!(matches!(
            journal.document_at("a.py", 8000),
            Err(HistoryError::SeqPastEnd { last: 7999, .. })
        ));
        assert_eq!(journal.document_at("a.py", 10).unwrap().unwrap().text, expected(9));
        // Pages of the grown journal run to its new end.
        let page = journal.page(Granularity::Edits, 7990, 50, &Reviews::default()).unwrap();
        assert_eq!((page.steps.len(), page.next, page.total), (10, None, 7999));
    }

    #[test]
    fn a_journal_of_only_its_session_record_has_an_empty_timeline() {
        // A server writes its `session` record first and the next a moment later: a reviewer who
        // asks in between reads a journal of one complete line, whose steps (from record 1) are
        // none yet.
        let dir = ScratchDir::new("journal-index-session-only");
        let text = journal_text(Encoding::Utf8, typing(3));
        let first = text.split_inclusive('\n').next().unwrap();
        let path = dir.write("s.jsonl", first);
        let mut journal = JournalIndex::open(&path, None).unwrap();
        assert!(!journal.is_empty());
        assert_eq!(journal.last_seq(), 0);
        let page = journal.page(Granularity::Edits, 0, 50, &Reviews::default()).unwrap();
        assert_eq!((page.steps.len(), page.next, page.total), (0, None, 0));
        assert!(matches!(
            journal.page(Granularity::Edits, 1, 50, &Reviews::default()),
            Err(HistoryError::FromPastEnd { from: 1, last: 0, .. })
        ));
        // Once the next records are written, they are its steps.
        std::fs::write(&path, &text).unwrap();
        journal.refresh().unwrap();
        let page = journal.page(Granularity::Edits, 0, 50, &Reviews::default()).unwrap();
        let seqs: Vec<u64> = page.steps.iter().map(|step| step.seq).collect();
        assert_eq!((seqs, page.next, page.total), (vec![1, 2, 3, 4], None, 4));
    }
}
