//! A journal with checkpoints: the documents as they stood every few thousand edits, so that the
//! document at any record is rebuilt from the nearest checkpoint before it rather than from the
//! start. Ropes share their nodes, so a checkpoint costs what the edits since the one before
//! changed, not a copy of every document.
//!
//! Checkpoints are made as a side effect of replaying (a first request for a late record leaves
//! them behind on its way), or all at once by [`Checkpointed::warm`]. A journal that grew since it
//! was read is read again on [`Checkpointed::refresh`]; its checkpoints stay valid, since a
//! journal is only ever appended to.

use std::path::{Path, PathBuf};

use crate::journal::record::Explanation;
use crate::journal::JournalError;
use crate::journal::{Journal, Line};
use crate::replay::{Checkpoint, DocumentState, Replayer};

use super::{HistoryError, Result};

/// A checkpoint is made once this many edits, or records, were replayed since the last one.
const EVERY: u64 = 4096;

pub struct Checkpointed {
    path: PathBuf,
    journal: Journal,
    /// In order of `seq`.
    checkpoints: Vec<Checkpoint>,
    /// Whether every record has been replayed once (so that the checkpoints cover the journal as
    /// it was then read).
    warm: bool,
}

impl Checkpointed {
    pub fn read(path: &Path) -> std::result::Result<Self, JournalError> {
        Ok(Self {
            path: path.to_owned(),
            journal: Journal::read(path)?,
            checkpoints: Vec::new(),
            warm: false,
        })
    }

    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Reads the journal again if the file changed size: it grew (a session still being
    /// recorded), or it shrank, which means it was replaced rather than appended to, and its
    /// checkpoints go. Returns whether it was read again.
    pub fn refresh(&mut self) -> std::result::Result<bool, JournalError> {
        let size = std::fs::metadata(&self.path).map(|m| m.len() as usize).unwrap_or(0);
        if size == self.journal.len() {
            return Ok(false);
        }
        if size < self.journal.len() {
            self.checkpoints.clear();
        }
        self.journal = Journal::read(&self.path)?;
        self.warm = false;
        Ok(true)
    }

    /// Replays the whole journal once, leaving checkpoints all the way.
    pub fn warm(&mut self) -> Result<()> {
        if !self.warm {
            self.replay_to(None)?;
            self.warm = true;
        }
        Ok(())
    }

    /// Runs `f`, and once more after reading the journal again if `f` asked for a record past its
    /// end and the file has grown since.
    fn fresh<T>(&mut self, mut f: impl FnMut(&mut Self) -> Result<T>) -> Result<T> {
        match f(self) {
            Err(HistoryError::SeqPastEnd { .. }) if self.refresh()? => f(self),
            other => other,
        }
    }

    /// The document `path` after record `seq`; `None` if the session had not opened it by then.
    pub fn document_at(&mut self, path: &str, seq: u64) -> Result<Option<DocumentState>> {
        let replayer = self.fresh(|journal| journal.replay_to(Some(seq)))?;
        let replayed = replayer.finish()?;
        Ok(replayed
            .files
            .get(path)
            .map(|file| DocumentState { text: file.document.text(), version: file.document.version() }))
    }

    /// The `rationale` or `skip` record `seq`, or `None` if record `seq` is of another type.
    pub fn explanation_at(&mut self, seq: u64) -> Result<Option<Explanation>> {
        self.fresh(|journal| {
            let mut found = None;
            let mut last = None;
            journal.scan_from_checkpoint(seq, |line| {
                last = Some(line.record.seq);
                if line.record.seq == seq && matches!(&*line.record.kind, "rationale" | "skip") {
                    found = line.fields(&journal.path).ok();
                }
                line.record.seq < seq
            })?;
            match last {
                Some(last) if last >= seq => Ok(found),
                last => Err(HistoryError::SeqPastEnd {
                    session: session_of(&journal.path),
                    seq,
                    last: last.unwrap_or(0),
                }),
            }
        })
    }

    /// The last record before `seq` that left `path` as it stood before an edit made at
    /// `edits_from`: the last record of `path` whose `ts` is earlier. Falls back to the record
    /// before `seq` when the time is unknown.
    pub fn seq_before(&mut self, path: &str, edits_from: Option<&str>, seq: u64) -> Result<u64> {
        let Some(from) = edits_from else { return Ok(seq.saturating_sub(1)) };
        let mut before = 0;
        for line in self.journal.records() {
            let line = line?;
            if line.record.seq >= seq || *line.record.ts >= *from {
                break;
            }
            if line.record.path.as_deref() == Some(path) {
                before = line.record.seq;
            }
        }
        Ok(before)
    }

    /// Reads lines from the last checkpoint at or before `seq` until `f` says stop.
    fn scan_from_checkpoint(&self, seq: u64, mut f: impl FnMut(&Line<'_>) -> bool) -> Result<()> {
        let start = self.checkpoints.iter().rev().find(|c| c.seq < seq).map(|c| c.resume);
        let records = match start {
            Some(at) => self.journal.records_from(at),
            None => self.journal.records(),
        };
        for line in records {
            if !f(&line?) {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Replays up to record `until` (the end if `None`) from the nearest checkpoint before it,
    /// making checkpoints past the last one on the way.
    fn replay_to(&mut self, until: Option<u64>) -> Result<Replayer> {
        let start = self.checkpoints.iter().rev().find(|c| until.is_none_or(|seq| c.seq <= seq)).cloned();
        let (mut replayer, mut records) = match &start {
            Some(checkpoint) => {
                (Replayer::resume(&self.path, checkpoint), self.journal.records_from(checkpoint.resume))
            }
            None => (Replayer::new(&self.path), self.journal.records()),
        };
        if start.as_ref().is_some_and(|c| Some(c.seq) == until) {
            return Ok(replayer);
        }
        let newest = self.checkpoints.last().map(|c| c.seq);
        let (mut edits_then, mut records_since) = (replayer.edits(), 0u64);
        let mut last = start.as_ref().map(|c| c.seq);
        while let Some(line) = records.next() {
            let line = line?;
            let seq = line.record.seq;
            replayer.apply(&line)?;
            last = Some(seq);
            if Some(seq) == until {
                return Ok(replayer);
            }
            records_since += 1;
            let due = replayer.edits() - edits_then >= EVERY || records_since >= EVERY;
            if due && newest.is_none_or(|newest| seq > newest) {
                let checkpoint = replayer.checkpoint(records.resume_point(&self.journal))?;
                self.checkpoints.push(checkpoint);
                (edits_then, records_since) = (replayer.edits(), 0);
            }
        }
        match (until, last) {
            (Some(seq), last) => Err(HistoryError::SeqPastEnd {
                session: session_of(&self.path),
                seq,
                last: last.unwrap_or(0),
            }),
            (None, _) => Ok(replayer),
        }
    }
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
        let dir = ScratchDir::new("checkpoints");
        let path = dir.write("s.jsonl", &journal_text(Encoding::Utf8, typing(10_000)));
        let mut journal = Checkpointed::read(&path).unwrap();
        journal.warm().unwrap();
        assert!(journal.checkpoints.len() >= 2, "{} checkpoints", journal.checkpoints.len());
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
        let dir = ScratchDir::new("checkpoints-grow");
        let text = journal_text(Encoding::Utf8, typing(9000));
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let path = dir.write("s.jsonl", &lines[..5000].concat());
        let mut journal = Checkpointed::read(&path).unwrap();
        assert_eq!(journal.document_at("a.py", 4999).unwrap().unwrap().text, expected(4998));
        // More lines arrive, the last one still being written.
        let grown = format!("{}{}", lines[..8000].concat(), &lines[8000][..10]);
        std::fs::write(&path, grown).unwrap();
        assert_eq!(journal.document_at("a.py", 7999).unwrap().unwrap().text, expected(7998));
        assert!(matches!(
            journal.document_at("a.py", 8000),
            Err(HistoryError::SeqPastEnd { last: 7999, .. })
        ));
        assert_eq!(journal.document_at("a.py", 10).unwrap().unwrap().text, expected(9));
    }
}
