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

use super::reader::{Edits, Journal, JournalError, JournalErrorKind, Line, RawRecord};
use super::record::SCHEMA;
use crate::text::{Document, Encoding, Position, TextChange};

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
        let what = if self.record == "save" {
            "the rebuilt text"
        } else {
            "the record's own text"
        };
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
}

/// A document's text and editor version after some record (the `rationale/replay` answer).
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
    Ok(replayer.finish())
}

/// The text and version of the document `path` as it stood after record `at`; `None` if the
/// session had not opened `path` by then. Records about other documents are read but not applied.
pub fn document_at(journal: &Journal, path: &str, at: u64) -> Result<Option<DocumentState>, JournalError> {
    let mut replayer = Replayer::new(journal.path());
    replayer.only = Some(path.to_owned());
    replay_into(&mut replayer, journal, Some(at))?;
    Ok(replayer.files.get(path).map(|file| DocumentState {
        text: file.document.text(),
        version: file.document.version(),
    }))
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
    /// Replay only this document.
    only: Option<String>,
    /// The changes of the current record; kept between records so that their strings are reused.
    scratch: Vec<TextChange>,
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
            only: None,
            scratch: Vec::new(),
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

    /// The documents so far.
    pub fn files(&self) -> &BTreeMap<String, ReplayedFile> {
        &self.files
    }

    pub fn finish(self) -> Replayed {
        Replayed {
            session: self.session.unwrap_or_default(),
            encoding: self.encoding,
            files: self.files,
            mismatches: self.mismatches,
            last_seq: self.last_seq.unwrap_or(0),
            edits: self.edits,
        }
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
        i32::try_from(version)
            .map_err(|_| self.invalid(line, format!("version {version} is out of range")))
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

    fn mismatch(&self, record: &RawRecord<'_>, recorded: String, rebuilt: String, line: usize) -> HashMismatch {
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
        // Reuse the strings of the previous record's changes rather than allocating new ones.
        self.scratch.truncate(edits.len());
        for (i, edit) in edits.iter().enumerate() {
            let range = edit
                .range
                .map(|[[l1, c1], [l2, c2]]| (Position::new(l1, c1), Position::new(l2, c2)));
            match self.scratch.get_mut(i) {
                Some(change) => {
                    change.range = range;
                    change.text.clear();
                    change.text.push_str(&edit.text);
                }
                None => self.scratch.push(TextChange { range, text: edit.text.to_string() }),
            }
        }
        let encoding = self.encoding;
        let changes = std::mem::take(&mut self.scratch);
        let result = self.open_file(line).map(|file| {
            let applied = file.document.apply(&changes, encoding);
            if applied.is_ok() {
                file.document.set_version(version);
            }
            applied
        });
        self.scratch = changes;
        match result? {
            Ok(()) => {
                self.edits += edits.len() as u64;
                Ok(())
            }
            Err(err) => Err(self.invalid(
                line,
                format!(
                    "the change to {} cannot be applied to the rebuilt text: {err}",
                    line.record.path.as_deref().unwrap_or_default()
                ),
            )),
        }
    }

    fn save(&mut self, line: &Line<'_>) -> Result<(), JournalError> {
        let recorded = self.need(line, line.record.sha256.as_deref(), "sha256", "string")?;
        let recorded = recorded.to_owned();
        let rebuilt = self.open_file(line)?.document.sha256();
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

    pub(crate) fn change(path: &str, version: i32, edits: &[((u32, u32, u32, u32), &str)]) -> Body {
        Body::Change {
            path: path.into(),
            version,
            edits: edits
                .iter()
                .map(|&((l1, c1, l2, c2), text)| Edit { range: Some([[l1, c1], [l2, c2]]), text: text.into() })
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
            vec![open("a.py", ""), Body::Close { path: "a.py".into() }, change("a.py", 2, &[((0, 0, 0, 0), "x")])],
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
            let journal = journal_of(encoding, vec![open("a.py", "a😀b"), change("a.py", 2, &[((0, 3, 0, 3), "|")])]);
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
                Body::Change { path: "a.py".into(), version: 2, edits: vec![Edit { range: None, text: "whole".into() }] },
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
        let line = r#"{"seq":0,"ts":"t","type":"session","schema":2,"session":"s","positionEncoding":"utf-8"}"#;
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
}
