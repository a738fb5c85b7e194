//! A recording session: one server process's workspace folders, the documents it follows, and a
//! journal per folder. This is the core the language server drives; it knows documents, paths and
//! journals, never the protocol.
//!
//! Every method that changes a document runs synchronously, in the order the editor sent the
//! notifications (the transport guarantees that), and never waits on the disk except where the
//! spec asks for durability (`save`, `end`).
//!
//! One `impl Session` per concern, none calling into another's: this module follows documents
//! (open, change, save, close) and folders; `changes` lists pending changes, settles them and
//! records rationales and skips; `why` records nothing itself (it says what becomes of each
//! why-comment, and `save`, here, records it); `shown` keeps what the editor has been shown.

mod changes;
mod followed;
pub mod generated;
mod shown;
mod why;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Instant;

use dashmap::{DashMap, DashSet};

use crate::config::Config;
use crate::exclusions::{relative_path, Exclusions};
use crate::git::resolve_author;
use crate::journal::record::{Body, Edit, EndReason, NameVersion, SessionInfo, SCHEMA};
use crate::journal::writer::{JournalFile, Report};
use crate::journal::JournalWriter;
use crate::store::Store;
use crate::syntax::language_for_path;
use crate::text::{Document, EditError, Encoding, TextChange};

pub use changes::{DocumentChanges, Explained, PendingView, Refusal, Settled, UnitAt, Via, REFRESH_AFTER};
use followed::Followed;
pub use why::{
    Removal, Skeleton, WhyNote, NUDGED as WHY_NUDGED, RECORDED as WHY_RECORDED, REFUSED as WHY_REFUSED,
};

/// Something the person at the editor should be told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub level: Level,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
    Info,
}

/// Where notices go (the language server shows them with `window/showMessage`).
pub type Notices = Arc<dyn Fn(Notice) + Send + Sync>;

/// Finds the earlier rationale that a new one nearly repeats: given a workspace folder, an author
/// and a rationale's text, the pair id of an earlier rationale of that author in that folder's
/// journals (`docs/quality.md`, `duplicate_of`). The language server reads the journals for it.
pub type Earlier = Arc<dyn Fn(&Path, &str, &str) -> Option<String> + Send + Sync>;

/// What the session knows about itself, shared by every folder's journal.
#[derive(Clone)]
pub struct Identity {
    pub id: String,
    pub encoding: Encoding,
    pub client: NameVersion,
}

pub struct Session {
    identity: Identity,
    folders: RwLock<Vec<Arc<Folder>>>,
    /// The editor's settings, applied over each folder's `rationale.toml`.
    editor_settings: Mutex<Option<serde_json::Value>>,
    documents: DashMap<String, Followed>,
    /// Documents the editor opened that Rationale does not track, so their changes are expected.
    untracked: DashSet<String>,
    notices: Notices,
    /// Numbers the pending changes of the whole session.
    change_ids: Arc<AtomicU64>,
    /// Numbers the groups of multi-change rationales.
    group_ids: AtomicU64,
    /// What the editor has been shown of the prompts.
    shown: shown::Shown,
    /// The generated documents the person has been told about, by folder and path: once each.
    told_generated: DashSet<(PathBuf, String)>,
    /// Where a rationale's near duplicate is looked for.
    earlier: Earlier,
}

/// Why a text notification was not applied. The session goes on either way.
#[derive(Debug, PartialEq, Eq)]
pub enum Problem {
    NotOpen(String),
    Rejected { key: String, error: EditError },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::NotOpen(key) => write!(f, "{key} was never opened; ignoring the notification"),
            Problem::Rejected { key, error } => {
                write!(f, "cannot apply a change to {key}: {error}; ignoring it (the next save resyncs)")
            }
        }
    }
}

impl Session {
    pub fn new(
        identity: Identity,
        folders: Vec<PathBuf>,
        editor_settings: Option<serde_json::Value>,
        notices: Notices,
    ) -> Self {
        let session = Self {
            identity,
            folders: RwLock::new(Vec::new()),
            editor_settings: Mutex::new(editor_settings),
            documents: DashMap::new(),
            untracked: DashSet::new(),
            notices,
            change_ids: Arc::default(),
            group_ids: AtomicU64::new(0),
            shown: shown::Shown::default(),
            told_generated: DashSet::new(),
            earlier: Arc::new(|_, _, _| None),
        };
        for root in folders {
            session.add_folder(root);
        }
        session
    }

    /// Looks for the rationales that a new one nearly repeats with `earlier` (without it, none is
    /// ever found).
    pub fn finding_duplicates_with(mut self, earlier: Earlier) -> Self {
        self.earlier = earlier;
        self
    }

    pub fn add_folder(&self, root: PathBuf) {
        let settings = self.editor_settings.lock().unwrap().clone();
        let folder = Folder::new(root, settings.as_ref(), &self.notices);
        self.folders.write().unwrap().push(Arc::new(folder));
    }

    /// Stops tracking a workspace folder: its documents leave the journal, which is ended.
    pub fn remove_folder(&self, root: &Path) {
        let removed: Vec<Arc<Folder>> = {
            let mut folders = self.folders.write().unwrap();
            let (gone, kept) = folders.drain(..).partition(|f| f.root == root);
            *folders = kept;
            gone
        };
        for folder in removed {
            self.documents.retain(|_, doc| {
                let kept = !Arc::ptr_eq(doc.folder(), &folder);
                if !kept {
                    self.leave_unexplained(doc);
                }
                kept
            });
            folder.end(EndReason::Shutdown);
        }
    }

    /// The workspace folders, in the order they were added.
    pub fn folder_roots(&self) -> Vec<PathBuf> {
        self.folders.read().unwrap().iter().map(|folder| folder.root.clone()).collect()
    }

    /// Who reviews in workspace folder `root`: its configured author, as for recording.
    pub fn reviewer(&self, root: &Path) -> String {
        let folders = self.folders.read().unwrap();
        let configured = folders.iter().find(|f| f.root == root).and_then(|f| f.config().author);
        resolve_author(configured.as_deref(), root)
    }

    /// Applies new editor settings to every folder (they take effect for documents opened from
    /// now on; the exclusions of open documents do not change under them).
    pub fn set_editor_settings(&self, settings: serde_json::Value) {
        for folder in self.folders.read().unwrap().iter() {
            folder.reconfigure(Some(&settings), &self.notices);
        }
        *self.editor_settings.lock().unwrap() = Some(settings);
    }

    /// The folder a file belongs to: the innermost workspace folder that contains it.
    fn folder_of(&self, file: &Path) -> Option<(Arc<Folder>, String)> {
        let folders = self.folders.read().unwrap();
        folders
            .iter()
            .filter_map(|folder| relative_path(&folder.root, file).map(|rel| (folder, rel)))
            .max_by_key(|(folder, _)| folder.root.as_os_str().len())
            .map(|(folder, rel)| (folder.clone(), rel))
    }

    /// `key` names the document in every later call (the language server uses its URI); `file` is
    /// its path on disk, if it has one.
    pub fn open(&self, key: &str, file: Option<&Path>, version: i32, text: &str) {
        let followed = file.and_then(|file| {
            let language = language_for_path(file)?;
            let (folder, path) = self.folder_of(file)?;
            (!folder.excludes(file)).then_some((folder, path, language))
        });
        let Some((folder, path, language)) = followed else {
            self.untracked.insert(key.to_owned());
            return;
        };
        let generated = generated::reason(text, folder.config().max_file_bytes);
        if let Some(reason) = &generated {
            if self.told_generated.insert((folder.root.clone(), path.clone())) {
                (self.notices)(Notice {
                    level: Level::Info,
                    message: format!(
                        "Rationale takes {path} as generated ({reason}): its edits are journaled, but \
                         its changes are not prompted. Raise maxFileBytes to follow it."
                    ),
                });
            }
        }
        // A generated document is kept as text alone: never parsed, so it has no units.
        let document = Document::new(text, version, generated.is_none().then_some(language));
        let sha256 = document.sha256();
        folder.append(
            &self.identity,
            &self.notices,
            Body::Open {
                path: path.clone(),
                language: language.name.to_owned(),
                version,
                text: text.to_owned(),
                sha256,
            },
        );
        self.untracked.remove(key);
        self.shown.reopened(key);
        let followed = Followed::open(folder, path, language, document, generated, self.change_ids.clone());
        self.documents.insert(key.to_owned(), followed);
    }

    /// Applies the editor's changes, all or none, and journals them as they were sent.
    pub fn change(&self, key: &str, version: i32, changes: Vec<TextChange>) -> Result<(), Problem> {
        let Some(mut followed) = self.documents.get_mut(key) else {
            return self.not_open(key);
        };
        let followed = &mut *followed;
        followed
            .edit(version, &changes, self.identity.encoding)
            .map_err(|error| Problem::Rejected { key: key.to_owned(), error })?;
        let edits = changes.into_iter().map(Edit::from).collect();
        let body = Body::Change { path: followed.path().to_owned(), version, edits };
        followed.folder().append(&self.identity, &self.notices, body);
        Ok(())
    }

    /// The editor saved the document; `text` is the saved text when the editor sent it. A saved
    /// text that differs from ours is the truth: it is journaled as a `resync` first. The `save`
    /// record is on disk when this returns, and so is the rationale of every why-comment the
    /// document holds; returns the why-comments the editor is asked to remove.
    pub fn save(&self, key: &str, text: Option<&str>) -> Result<Vec<Removal>, Problem> {
        let (folder, mut records) = {
            let Some(mut followed) = self.documents.get_mut(key) else {
                return self.not_open(key).map(|()| Vec::new());
            };
            let followed = &mut *followed;
            let mut records = Vec::with_capacity(2);
            let version = followed.version();
            if let (Some(reason), Some(text)) = (followed.save(text), text) {
                tracing::warn!("resyncing {}: {reason}", followed.path());
                records.push(Body::Resync {
                    path: followed.path().to_owned(),
                    version,
                    text: text.to_owned(),
                    sha256: followed.sha256(),
                    reason,
                });
            }
            records.push(Body::Save { path: followed.path().to_owned(), sha256: followed.sha256() });
            (followed.folder().clone(), records)
        };
        // The document is released before waiting for the disk, so requests are not held up.
        let save = records.pop().expect("a save record");
        for record in records {
            folder.append(&self.identity, &self.notices, record);
        }
        folder.append_synced(&self.identity, &self.notices, save);
        Ok(self.why_comments(key))
    }

    /// Records the why-comments of a document just saved (see [`why`]); returns the removals to
    /// ask of the editor. The notes (diagnostics) are kept with the document.
    fn why_comments(&self, key: &str) -> Vec<Removal> {
        let Some(found) = self.with_document(key, Followed::why_comments) else { return Vec::new() };
        let (mut recorded, mut notes, mut cuts) = (Vec::new(), Vec::new(), Vec::new());
        for found in found {
            let comment = found.comment;
            match found.outcome {
                why::Outcome::Record(numbers) => {
                    let located = numbers.into_iter().map(|number| (key.to_owned(), number)).collect();
                    match self.record_located(
                        located,
                        &comment.text,
                        Via::WhyComment,
                        found.compose_ms,
                        false,
                    ) {
                        Ok(explained) => {
                            if explained.nudge {
                                // Recorded as it is; the hint is for the next one.
                                notes.push((found.name_range, WHY_NUDGED, why::nudged(&found.unit)));
                            }
                            recorded.push((comment.text, found.unit));
                            cuts.push(comment.cut);
                        }
                        Err(refusal) => notes.push((comment.comments, WHY_REFUSED, why::why_not(&refusal))),
                    }
                }
                why::Outcome::Tell(code, message) => notes.push((comment.comments, code, message)),
                why::Outcome::Nothing => {}
            }
        }
        let encoding = self.identity.encoding;
        self.with_document(key, |followed| followed.why_dealt_with(recorded, notes, cuts, encoding))
            .unwrap_or_default()
    }

    pub fn close(&self, key: &str) -> Result<(), Problem> {
        if self.untracked.remove(key).is_some() {
            return Ok(());
        }
        let Some((_, mut followed)) = self.documents.remove(key) else {
            return Err(Problem::NotOpen(key.to_owned()));
        };
        self.leave_unexplained(&mut followed);
        let body = Body::Close { path: followed.path().to_owned() };
        followed.folder().append(&self.identity, &self.notices, body);
        Ok(())
    }

    pub fn is_tracked(&self, key: &str) -> bool {
        self.documents.contains_key(key)
    }

    /// The keys of every followed document.
    pub fn tracked_keys(&self) -> Vec<String> {
        self.documents.iter().map(|entry| entry.key().clone()).collect()
    }

    /// Whether the folder of a followed document wants code lenses.
    pub fn codelens(&self, key: &str) -> bool {
        self.with_document(key, |followed| followed.folder().config().codelens).unwrap_or(false)
    }

    /// A document was just edited: whether the settler must be woken to look at it within
    /// [`REFRESH_AFTER`] (see [`Session::settle`]).
    pub fn settler_must_wake(&self, now: Instant) -> bool {
        self.shown.must_wake(now, REFRESH_AFTER)
    }

    /// Runs `f` on a followed document (which brings itself up to date as it is read).
    fn with_document<R>(&self, key: &str, f: impl FnOnce(&mut Followed) -> R) -> Option<R> {
        self.documents.get_mut(key).map(|mut followed| f(&mut followed))
    }

    /// Ends every journal with an `end` record, synced, after an `unexplained` record for each
    /// change still pending.
    pub fn end(&self, reason: EndReason) {
        for mut entry in self.documents.iter_mut() {
            self.leave_unexplained(entry.value_mut());
        }
        for folder in self.folders.read().unwrap().iter() {
            folder.end(reason);
        }
    }

    fn not_open(&self, key: &str) -> Result<(), Problem> {
        if self.untracked.contains(key) {
            Ok(())
        } else {
            Err(Problem::NotOpen(key.to_owned()))
        }
    }
}

/// A workspace folder: its settings, what it excludes, and its journal.
pub struct Folder {
    pub root: PathBuf,
    settings: RwLock<(Config, Exclusions)>,
    journal: Mutex<Journal>,
    /// Who records here, as the journal's `session` record says, worked out once.
    author: Arc<OnceLock<String>>,
}

enum Journal {
    /// Created with the first followed document, so that a folder nobody edits leaves no trace.
    NotStarted,
    Open(JournalWriter),
    /// The store could not be written (already reported); the session goes on without it.
    Unavailable,
    Ended,
}

impl Folder {
    fn new(root: PathBuf, editor_settings: Option<&serde_json::Value>, notices: &Notices) -> Self {
        Self {
            settings: RwLock::new(Folder::load_settings(&root, editor_settings, notices)),
            root,
            journal: Mutex::new(Journal::NotStarted),
            author: Arc::default(),
        }
    }

    fn load_settings(
        root: &Path,
        editor_settings: Option<&serde_json::Value>,
        notices: &Notices,
    ) -> (Config, Exclusions) {
        let (mut config, mut problems) = Config::load(root);
        if let Some(settings) = editor_settings {
            problems.extend(config.apply_editor(settings));
        }
        let (exclusions, more) = config.exclusions(root);
        problems.extend(more);
        for problem in problems {
            notices(Notice { level: Level::Warning, message: problem.to_string() });
        }
        (config, exclusions)
    }

    fn reconfigure(&self, editor_settings: Option<&serde_json::Value>, notices: &Notices) {
        *self.settings.write().unwrap() = Folder::load_settings(&self.root, editor_settings, notices);
    }

    pub fn config(&self) -> Config {
        self.settings.read().unwrap().0.clone()
    }

    /// Who records in this folder: the author its journal's `session` record names (worked out
    /// once, since asking git takes a process).
    pub fn author(&self) -> String {
        let configured = self.config().author;
        self.author.get_or_init(|| resolve_author(configured.as_deref(), &self.root)).clone()
    }

    /// The prefix of a why-comment (without cloning the rest of the settings).
    pub fn why_marker(&self) -> String {
        self.settings.read().unwrap().0.why_marker.clone()
    }

    fn excludes(&self, file: &Path) -> bool {
        self.settings.read().unwrap().1.excludes(file)
    }

    fn name(&self) -> String {
        self.root.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_else(|| "/".into())
    }

    /// Runs `f` with the open journal, starting it first if need be.
    fn with_journal<R>(
        &self,
        identity: &Identity,
        notices: &Notices,
        f: impl FnOnce(&JournalWriter) -> R,
    ) -> Option<R> {
        let mut journal = self.journal.lock().unwrap();
        if matches!(*journal, Journal::NotStarted) {
            *journal = self.start_journal(identity, notices);
        }
        match &*journal {
            Journal::Open(writer) => Some(f(writer)),
            _ => None,
        }
    }

    fn append(&self, identity: &Identity, notices: &Notices, body: Body) {
        self.with_journal(identity, notices, |writer| writer.append(body));
    }

    /// Appends a record that is on disk when this returns, or kept to be written late when the
    /// journal cannot be written (the writer has told the person).
    fn append_synced(&self, identity: &Identity, notices: &Notices, body: Body) {
        self.with_journal(identity, notices, |writer| writer.append_synced(body));
    }

    /// Appends a record built from its `seq` and returns the `seq` once the record is on disk.
    fn append_durable_with(
        &self,
        identity: &Identity,
        notices: &Notices,
        make: impl FnOnce(u64) -> Body + Send + 'static,
    ) -> Result<u64, String> {
        self.with_journal(identity, notices, |writer| writer.append_durable(make))
            .ok_or_else(|| format!("the journal of {} cannot be written", self.root.display()))?
            .map_err(|err| err.to_string())
    }

    fn start_journal(&self, identity: &Identity, notices: &Notices) -> Journal {
        let opened = Store::open(&self.root).and_then(|store| {
            let file = store.create_journal(&identity.id)?;
            Ok((file, store.journal_path(&identity.id)))
        });
        let (file, path) = match opened {
            Ok(opened) => opened,
            Err(err) => {
                notices(Notice {
                    level: Level::Error,
                    message: format!("Rationale is not recording {}: {err}", self.root.display()),
                });
                return Journal::Unavailable;
            }
        };
        let root = self.root.clone();
        let name = self.name();
        let author = self.config().author;
        let author_cell = self.author.clone();
        let session_id = identity.id.clone();
        let identity = identity.clone();
        let session = move || SessionInfo {
            schema: SCHEMA,
            session: identity.id,
            server: NameVersion { name: "rationale".into(), version: Some(env!("CARGO_PKG_VERSION").into()) },
            client: identity.client,
            author: author_cell.get_or_init(|| resolve_author(author.as_deref(), &root)).clone(),
            workspace: name,
            position_encoding: identity.encoding,
            git: crate::git::state(&root),
        };
        let notices = notices.clone();
        let reports = Box::new(move |report: Report| {
            let (level, message) = match report {
                Report::Stopped(message) => (Level::Error, message),
                Report::Resumed(message) => (Level::Info, message),
            };
            notices(Notice { level, message: format!("Rationale: {message}") })
        });
        // A journal deleted under the server is made again where it was, through the store's
        // checks (the folders made again too, never through a link).
        let root = self.root.clone();
        let reopen = Box::new(move || {
            Store::open(&root)
                .and_then(|store| store.create_journal(&session_id))
                .map_err(std::io::Error::other)
        });
        let journal =
            JournalFile::new(file, path).reopening_with(reopen).rebasing_with(crate::replay::rebase);
        Journal::Open(JournalWriter::start(journal, session, reports))
    }

    fn end(&self, reason: EndReason) {
        let mut journal = self.journal.lock().unwrap();
        if let Journal::Open(writer) = std::mem::replace(&mut *journal, Journal::Ended) {
            let _ = writer.end(reason);
        }
    }
}
