//! What was recorded, as reviewers read it: the sessions of the workspace folders
//! ([`catalog`]), the steps of one session a page at a time ([`timeline`]), any document at any
//! record (both through [`journal_index`], the index kept beside each journal), the rationales of
//! each unit ([`index`], for hover) and the review queue across every workspace ([`queue`]).
//!
//! Everything here reads journals and review files that a server may be appending to at that
//! moment, this one included: a journal is read up to its last complete line, and a journal that
//! grew since it was last read is read on from where it was, never from the start again.

pub mod catalog;
pub mod index;
pub mod journal_index;
pub mod queue;
pub mod timeline;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::journal::record::format_timestamp;
use crate::journal::JournalError;
use crate::replay::DocumentState;
use crate::reviews::{Comment, Review, Reviews, Verdict};
use crate::store::{Store, StoreError};

use catalog::SessionFile;
use journal_index::JournalIndex;

/// Why a reviewer's request could not be answered. All but [`HistoryError::Journal`] and
/// [`HistoryError::Store`] are faults of the request; those two are faults of the files.
#[derive(Debug)]
pub enum HistoryError {
    UnknownSession(String),
    UnknownPath {
        session: String,
        path: String,
        seq: u64,
    },
    UnknownPair(String),
    /// A line comment on a line the pair's `after` text does not have.
    LineOutOfRange {
        id: String,
        line: u32,
        lines: usize,
    },
    SeqPastEnd {
        session: String,
        seq: u64,
        last: u64,
    },
    FromPastEnd {
        session: String,
        from: u64,
        last: u64,
    },
    NotAPair {
        session: String,
        seq: u64,
    },
    /// The journal's index did not hold what it said (it is rebuilt, and the request answered
    /// from that); never answered.
    IndexUnreadable,
    Journal(JournalError),
    Store(StoreError),
}

impl HistoryError {
    /// Whether the request was at fault (rather than a file).
    pub fn is_bad_request(&self) -> bool {
        !matches!(self, HistoryError::Journal(_) | HistoryError::Store(_) | HistoryError::IndexUnreadable)
    }
}

impl fmt::Display for HistoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HistoryError::UnknownSession(id) => write!(
                f,
                "there is no session `{id}` in the workspace folders (ask rationale/sessions for \
                 the sessions there are)"
            ),
            HistoryError::UnknownPath { session, path, seq } => write!(
                f,
                "session `{session}` had not opened `{path}` by record {seq} (a path is \
                 workspace-relative, as the timeline gives it)"
            ),
            HistoryError::UnknownPair(pair) => write!(
                f,
                "there is no pair, skip or unexplained change `{pair}`: an id is `<session>:<seq>` \
                 of a `rationale`, `skip` or `unexplained` record, as the timeline and the queue \
                 give it"
            ),
            HistoryError::LineOutOfRange { id, line, lines: 0 } => write!(
                f,
                "`{id}` has no `after` text (a removed unit, or an unexplained change), so it has \
                 no line {line} to comment on: send the note without `line`"
            ),
            HistoryError::LineOutOfRange { id, line, lines } => write!(
                f,
                "line {line} is past the `after` text of `{id}`, which has {lines} lines (counted \
                 from 0, so the last is {})",
                lines - 1
            ),
            HistoryError::SeqPastEnd { session, seq, last } => {
                write!(f, "session `{session}` has no record {seq}: its journal ends with record {last}")
            }
            HistoryError::FromPastEnd { session, from, last } => write!(
                f,
                "session `{session}` has no record {from} to start a page at: its journal ends with \
                 record {last}"
            ),
            HistoryError::IndexUnreadable => write!(f, "the journal's index could not be read"),
            HistoryError::NotAPair { session, seq } => write!(
                f,
                "record {seq} of session `{session}` is not a pair (`rationale` or `skip` record), \
                 so it has no `before` side"
            ),
            HistoryError::Journal(err) => write!(f, "{err}"),
            HistoryError::Store(err) => write!(f, "{err}"),
        }
    }
}

impl From<JournalError> for HistoryError {
    fn from(err: JournalError) -> Self {
        HistoryError::Journal(err)
    }
}

pub type Result<T> = std::result::Result<T, HistoryError>;

/// Which text of a document `replay` answers with at a pair's record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The document as it stood after the record.
    After,
    /// The same document with the pair's unit at its baseline.
    Before,
}

/// How many journals keep their index in memory at once; a reviewer steps through one or two
/// sessions at a time.
const CACHED_JOURNALS: usize = 4;

/// The reviewer's side of one server: caches of journals being stepped through, and the index of
/// rationales by unit.
#[derive(Default)]
pub struct History {
    journals: Mutex<Cache>,
    pub index: index::Index,
    pub queue: queue::Queue,
}

#[derive(Default)]
struct Cache {
    entries: HashMap<PathBuf, JournalIndex>,
    /// Journals from least to most recently used.
    order: Vec<PathBuf>,
}

impl History {
    /// Runs `f` on the index of a session's journal, brought up to date with the journal. An
    /// index that does not hold what it says is rebuilt from the journal, and `f` runs again.
    fn with_journal<R>(&self, file: &SessionFile, f: impl Fn(&JournalIndex) -> Result<R>) -> Result<R> {
        let mut cache = self.journals.lock().unwrap_or_else(|e| e.into_inner());
        let cache = &mut *cache;
        cache.order.retain(|p| p != &file.journal);
        cache.order.push(file.journal.clone());
        if cache.order.len() > CACHED_JOURNALS {
            let oldest = cache.order.remove(0);
            cache.entries.remove(&oldest);
        }
        let index = match cache.entries.entry(file.journal.clone()) {
            std::collections::hash_map::Entry::Occupied(entry) => {
                let index = entry.into_mut();
                index.refresh()?;
                index
            }
            std::collections::hash_map::Entry::Vacant(entry) => {
                entry.insert(JournalIndex::open(&file.journal, Some(&file.folder))?)
            }
        };
        match f(index) {
            // Read through an index that pointed wrong: the journal decides.
            Err(HistoryError::IndexUnreadable | HistoryError::Journal(_)) if index.is_from_file() => {
                index.rebuild()?;
                f(index)
            }
            other => other,
        }
    }

    /// `rationale/timeline`: the steps from `from` (the first if `None`), at most `limit`.
    pub fn timeline(
        &self,
        folders: &[PathBuf],
        session: &str,
        folder: Option<&Path>,
        granularity: timeline::Granularity,
        from: Option<u64>,
        limit: usize,
    ) -> Result<timeline::Page> {
        let file = catalog::find(folders, session, folder)?;
        let (reviews, _) = Reviews::read(&file.folder);
        self.with_journal(&file, |journal| {
            if journal.is_empty() {
                // A server that is starting has not written its first line yet.
                return Ok(timeline::Page { steps: Vec::new(), next: None, total: 0 });
            }
            journal.page(granularity, from.unwrap_or(0), limit, &reviews)
        })
    }

    /// `rationale/replay`: the document `path` after record `seq`.
    pub fn replay(
        &self,
        folders: &[PathBuf],
        session: &str,
        folder: Option<&Path>,
        path: &str,
        seq: u64,
        side: Side,
    ) -> Result<DocumentState> {
        let file = catalog::find(folders, session, folder)?;
        self.with_journal(&file, |journal| {
            let unknown = || HistoryError::UnknownPath { session: file.id.clone(), path: path.into(), seq };
            let after = journal.document_at(path, seq)?.ok_or_else(unknown)?;
            if side == Side::After {
                return Ok(after);
            }
            let pair = journal
                .explanation_at(seq)?
                .ok_or_else(|| HistoryError::NotAPair { session: file.id.clone(), seq })?;
            if pair.path != path {
                return Err(unknown());
            }
            if !pair.after.is_empty() {
                if let Some(at) = after.text.find(&pair.after) {
                    let mut text = after.text;
                    text.replace_range(at..at + pair.after.len(), &pair.before);
                    return Ok(DocumentState { text, version: after.version });
                }
            }
            // A removed unit has no text to put its baseline in place of: the document as it
            // stood before the change's first edit shows it.
            let before = journal.seq_before(path, pair.edits_from.as_deref(), seq)?;
            Ok(journal
                .document_at(path, before)?
                .unwrap_or(DocumentState { text: String::new(), version: 0 }))
        })
    }

    /// `rationale/review`: appends `reviewer`'s verdict on a pair, skip or unexplained change
    /// (`id`), and a comment on line `line` of its `after` text, to the reviews of the folder
    /// that holds it, synced before it returns. `folder` picks the workspace as for the timeline.
    pub fn review(
        &self,
        folders: &[PathBuf],
        id: &str,
        folder: Option<&Path>,
        judgement: Judgement,
        reviewer: impl Fn(&Path) -> String,
    ) -> Result<()> {
        let unknown = || HistoryError::UnknownPair(id.to_owned());
        let (session, seq) = id.rsplit_once(':').ok_or_else(unknown)?;
        let seq: u64 = seq.parse().map_err(|_| unknown())?;
        let file = catalog::find(folders, session, folder).map_err(|_| unknown())?;
        let judged = self.with_journal(&file, |journal| match journal.explanation_at(seq) {
            Ok(explanation) => Ok(explanation),
            Err(HistoryError::SeqPastEnd { .. }) => Ok(None),
            Err(err) => Err(err),
        })?;
        let judged = judged.ok_or_else(unknown)?;
        if let Some((line, _)) = &judgement.comment {
            let lines = judged.after.lines().count();
            if *line as usize >= lines {
                return Err(HistoryError::LineOutOfRange { id: id.to_owned(), line: *line, lines });
            }
        }
        let ts = format_timestamp(time::OffsetDateTime::now_utc());
        let reviewer = reviewer(&file.folder);
        let store = Store::open(&file.folder).map_err(HistoryError::Store)?;
        if let Some((line, note)) = judgement.comment {
            let comment =
                Comment { ts: ts.clone(), reviewer: reviewer.clone(), pair: id.to_owned(), line, note };
            crate::reviews::append_comment(&store, &comment).map_err(HistoryError::Store)?;
        }
        if let Some(verdict) = judgement.verdict {
            let review = Review {
                ts,
                reviewer,
                pair: id.to_owned(),
                verdict,
                note: judgement.note.filter(|note| !note.trim().is_empty()),
            };
            crate::reviews::append(&store, &review).map_err(HistoryError::Store)?;
            self.index.add_review(&file.folder, review);
        }
        Ok(())
    }
}

/// What a reviewer says of a pair, a skip or an unexplained change: a verdict, a comment on one
/// line, or both.
#[derive(Clone, Debug, Default)]
pub struct Judgement {
    pub verdict: Option<Verdict>,
    /// The verdict's note.
    pub note: Option<String>,
    /// A line of the `after` text (0-based) and the remark on it.
    pub comment: Option<(u32, String)>,
}
