//! The single writer of a journal: one thread that owns the file, numbers the records and decides
//! when they reach the disk, and what happens when they cannot.
//!
//! Nothing on the keystroke path waits for it: [`JournalWriter::append`] only sends the record to
//! the thread. The thread keeps the durability promises of the spec:
//! - records reach the disk (written and fdatasync'ed) within [`SYNC_WITHIN`] of being appended;
//! - a durable append ([`JournalWriter::append_durable`] for rationales and skips,
//!   [`JournalWriter::append_synced`] for `save`) returns only once its record is synced.
//!
//! Consecutive `change` records of one document that arrive within [`SYNC_WITHIN`] of the first are
//! written as one record whose `edits` are all of theirs in order. A burst of keystrokes then costs
//! one record header, not one each, and replay applies exactly the same edits in the same order.
//!
//! The thread keeps the journal's [`Chain`]: a running SHA-256 over every byte in the file, the
//! bytes that were there when it took the file over included ([`JournalWriter::resume`]). The
//! records of [`CHAINED`](super::chain::CHAINED) types carry it as `chain`.
//!
//! **When the journal cannot be written** (a full disk, a failing one, a file system turned
//! read-only, the file deleted), the writer goes back to the last point it knows is on disk (it
//! truncates whatever a failed write left after it, and takes back the records written since the
//! last sync, which a failed sync leaves in doubt), reports the outage once ([`Report::Stopped`])
//! and keeps the records made meanwhile in memory, in order, up to [`BACKLOG_LIMIT`] bytes (past
//! that, it lets go of the document records it holds and keeps instead, for each document they
//! touched, a record with its whole text: [`JournalFile::rebase`]). A
//! rationale or skip is refused instead (its change stays pending: nothing is acknowledged that is
//! not on disk); a `save` or `end` is kept, and its caller told it is not on disk. The writer tries
//! again every [`RETRY_EVERY`], and at once for a rationale or a skip. When a try succeeds, the
//! journal goes on with a `gap` record saying what happened, then the kept records, each with the
//! time it was made ([`Report::Resumed`]). A journal deleted while being written is made again at
//! its path ([`JournalFile::reopen`]) with the bytes the writer still holds open. Nothing of this
//! breaks the chain: it covers exactly the bytes in the file.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::PathBuf;
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::chain::{is_chained, Chain, ChainCheck};
use super::reader::Journal;
use super::record::{timestamp, Body, EndReason, Gap, SessionInfo};

/// The longest a record stays off the disk after it was appended (the spec allows 250 ms).
pub const SYNC_WITHIN: Duration = Duration::from_millis(200);

/// How often a journal that cannot be written is tried again.
pub const RETRY_EVERY: Duration = Duration::from_secs(1);

/// How many bytes of records the writer keeps in memory while the journal cannot be written
/// before it lets go of them for the documents' whole texts (64 MiB: days of typing).
/// `RATIONALE_JOURNAL_BACKLOG` (bytes) changes it, for tests.
pub const BACKLOG_LIMIT: usize = 64 << 20;

/// Works out the records that re-base the documents touched by records let go of
/// ([`crate::replay::rebase`]): given the journal's lines on disk followed by those records (the
/// length of the first part), the language of each document they open, and the reason to give.
pub type Rebase = fn(Vec<u8>, usize, &BTreeMap<String, String>, &str) -> Result<Vec<Body>, String>;

type MakeBody = Box<dyn FnOnce(u64) -> Body + Send>;

enum Command {
    Append {
        ts: String,
        body: Box<Body>,
    },
    /// Write the record (built from its `seq`), sync, and answer with the `seq`. When the journal
    /// cannot be written, a record that is `kept` waits to be written late; any other is refused.
    Durable {
        ts: String,
        make: MakeBody,
        kept: bool,
        done: mpsc::SyncSender<io::Result<u64>>,
    },
}

/// What the writer tells the person about the journal's file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Report {
    /// The journal cannot be written: the path and the error. Once per outage.
    Stopped(String),
    /// It can be written again: what became of the records made meanwhile.
    Resumed(String),
}

/// Where the writer's reports go.
pub type Reports = Box<dyn Fn(Report) + Send>;

/// Creates the journal's file again, new and empty, at its path (after it was deleted).
pub type Reopen = Box<dyn FnMut() -> io::Result<File> + Send>;

/// The file a writer writes, and what it needs to know of it.
pub struct JournalFile {
    /// Opened for reading and appending.
    pub file: File,
    /// Where it is, for the person: every report names it.
    pub path: PathBuf,
    /// Makes it again when it is deleted while being written; without it, a deleted journal
    /// stays an outage until the server ends.
    pub reopen: Option<Reopen>,
    /// Re-bases documents when the records kept through an outage grow past [`BACKLOG_LIMIT`];
    /// without it, every record is kept, however many.
    pub rebase: Option<Rebase>,
}

impl JournalFile {
    pub fn new(file: File, path: impl Into<PathBuf>) -> Self {
        Self { file, path: path.into(), reopen: None, rebase: None }
    }

    pub fn rebasing_with(mut self, rebase: Rebase) -> Self {
        self.rebase = Some(rebase);
        self
    }

    pub fn reopening_with(mut self, reopen: Reopen) -> Self {
        self.reopen = Some(reopen);
        self
    }
}

/// What the editor's side hands the writer's thread. Appending is a push under a lock; the thread
/// is woken by the first record of a batch, a record other than a `change`, or the end, never once
/// per keystroke (waking a thread is a system call, more than the rest of a keystroke costs).
#[derive(Default)]
struct Inbox {
    commands: VecDeque<Command>,
    /// When the oldest command waiting was appended.
    since: Option<Instant>,
    /// A record that is not a `change` is waiting: write everything now.
    urgent: bool,
    closed: bool,
}

type Mailbox = Arc<(Mutex<Inbox>, Condvar)>;

pub struct JournalWriter {
    mailbox: Mailbox,
    thread: Option<JoinHandle<()>>,
}

impl JournalWriter {
    /// Starts the writer of a new, empty journal file. `session` is called on the writer's thread
    /// (it may run git) and its record is always the first, `seq` 0.
    pub fn start(
        journal: JournalFile,
        session: impl FnOnce() -> SessionInfo + Send + 'static,
        reports: Reports,
    ) -> Self {
        let mailbox = Mailbox::default();
        let ts = timestamp();
        let inbox = mailbox.clone();
        let thread = std::thread::Builder::new()
            .name("journal".into())
            .spawn(move || {
                let mut sink = Sink::new(journal, reports, Mark::default());
                let _ = sink.write(ts, Body::Session(session()), true);
                sink.sync();
                run(&mut sink, &inbox);
            })
            .expect("spawning the journal thread");
        Self { mailbox, thread: Some(thread) }
    }

    /// Takes over a journal that already has records (opened for reading and appending), to
    /// append after them: the running hash covers the bytes already in the file, and `seq` goes
    /// on from the last record. Refused, with the reason, when the journal is damaged, its chain
    /// breaks (appending would vouch for what was tampered with), or it ends in a torn line
    /// (appending after it would make it damage); start a new journal then. The server itself
    /// only ever starts new journals today.
    pub fn resume(mut journal: JournalFile, reports: Reports) -> io::Result<Self> {
        use std::io::{Read, Seek};
        let mut bytes = Vec::new();
        journal.file.seek(io::SeekFrom::Start(0))?;
        journal.file.read_to_end(&mut bytes)?;
        let read = Journal::from_bytes("the journal", bytes);
        if let Some(torn) = read.torn() {
            return Err(io::Error::other(format!("it ends in a torn line: {torn}")));
        }
        let mut check = ChainCheck::new();
        let mut next_seq = 0;
        for line in read.records() {
            let line = line.map_err(|err| io::Error::other(err.to_string()))?;
            check.line(&read, &line).map_err(|err| io::Error::other(err.to_string()))?;
            next_seq = line.record.seq + 1;
        }
        let mut chain = Chain::default();
        chain.update(read.bytes());
        journal.file.seek(io::SeekFrom::End(0))?;
        let mark = Mark { len: read.bytes().len() as u64, next_seq, chain };
        let mailbox = Mailbox::default();
        let inbox = mailbox.clone();
        let thread = std::thread::Builder::new()
            .name("journal".into())
            .spawn(move || run(&mut Sink::new(journal, reports, mark), &inbox))
            .expect("spawning the journal thread");
        Ok(Self { mailbox, thread: Some(thread) })
    }

    /// Appends a record; it reaches the disk within [`SYNC_WITHIN`]. A `change` waits for the
    /// keystrokes after it to join it; any other record is written at once.
    pub fn append(&self, body: Body) {
        let now = !matches!(body, Body::Change { .. });
        self.send(Command::Append { ts: timestamp(), body: Box::new(body) }, now);
    }

    /// Appends a record built from its `seq` and returns once it is on disk. When the journal
    /// cannot be written, the record is refused (an error naming the journal and why): this is
    /// for records whose caller must not go on as if they were written (rationales, skips).
    pub fn append_durable(&self, make: impl FnOnce(u64) -> Body + Send + 'static) -> io::Result<u64> {
        self.durable(make, false)
    }

    /// Appends a record and returns once it is on disk. When the journal cannot be written, the
    /// record is kept to be written late, and the error is returned all the same (a `save`).
    pub fn append_synced(&self, body: Body) -> io::Result<u64> {
        self.durable(move |_| body, true)
    }

    fn durable(&self, make: impl FnOnce(u64) -> Body + Send + 'static, kept: bool) -> io::Result<u64> {
        let (done, wait) = mpsc::sync_channel(1);
        self.send(Command::Durable { ts: timestamp(), make: Box::new(make), kept, done }, true);
        wait.recv().unwrap_or_else(|_| Err(io::Error::other("the journal writer has stopped")))
    }

    /// Appends the `end` record, syncs and stops the writer.
    pub fn end(mut self, reason: EndReason) -> io::Result<u64> {
        let result = self.append_synced(Body::End { reason });
        self.stop();
        result
    }

    fn send(&self, command: Command, urgent: bool) {
        let (inbox, wake) = &*self.mailbox;
        let mut inbox = inbox.lock().unwrap();
        if inbox.closed {
            return;
        }
        let first = inbox.commands.is_empty();
        inbox.commands.push_back(command);
        inbox.since.get_or_insert_with(Instant::now);
        inbox.urgent |= urgent;
        if first || urgent {
            wake.notify_one();
        }
    }

    fn stop(&mut self) {
        let (inbox, wake) = &*self.mailbox;
        inbox.lock().unwrap().closed = true;
        wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for JournalWriter {
    /// Dropping the writer writes and syncs what is still buffered.
    fn drop(&mut self) {
        self.stop();
    }
}

/// Takes the commands in batches: at once when one is not a `change` or the writer is stopping,
/// else once the oldest has waited [`SYNC_WITHIN`] (so a burst of keystrokes becomes one record). Each
/// batch is written and synced before the next is taken. While the journal cannot be written, the
/// thread also wakes every [`RETRY_EVERY`] to try again.
fn run(sink: &mut Sink, mailbox: &Mailbox) {
    let (inbox, wake) = &**mailbox;
    let mut guard = inbox.lock().unwrap();
    loop {
        let due = guard.since.map(|since| since + SYNC_WITHIN);
        let now = Instant::now();
        let ready = guard.urgent || guard.closed || due.is_some_and(|due| due <= now);
        if !ready {
            let retry = sink.retry_at();
            if retry.is_some_and(|retry| retry <= now) {
                drop(guard);
                sink.try_resume();
                guard = inbox.lock().unwrap();
                continue;
            }
            guard = match due.into_iter().chain(retry).min() {
                Some(at) => wake.wait_timeout(guard, at - now).unwrap().0,
                None => wake.wait(guard).unwrap(),
            };
            continue;
        }
        let batch = std::mem::take(&mut guard.commands);
        let closing = guard.closed;
        (guard.since, guard.urgent) = (None, false);
        drop(guard);
        sink.before_batch(batch.iter().any(|command| matches!(command, Command::Durable { .. })));
        write_batch(sink, batch);
        sink.sync();
        if closing {
            if sink.outage.is_some() {
                tracing::error!(
                    "the journal {} ends without the records kept since it could not be written",
                    sink.path.display()
                );
            }
            return;
        }
        guard = inbox.lock().unwrap();
    }
}

/// Writes a batch in order, consecutive `change` records of one document joined into one.
fn write_batch(sink: &mut Sink, batch: VecDeque<Command>) {
    let mut held: Option<(String, Body)> = None;
    for command in batch {
        match command {
            Command::Append { ts, body } => {
                let body = *body;
                if let Some((_, held_body)) = &mut held {
                    if join(held_body, &body) {
                        continue;
                    }
                }
                if let Some((ts, body)) = held.take() {
                    let _ = sink.write(ts, body, true);
                }
                if matches!(body, Body::Change { .. }) {
                    held = Some((ts, body));
                } else {
                    let _ = sink.write(ts, body, true);
                }
            }
            Command::Durable { ts, make, kept, done } => {
                if let Some((ts, body)) = held.take() {
                    let _ = sink.write(ts, body, true);
                }
                let seq = sink.at.next_seq;
                let written = sink.write(ts, make(seq), kept).and_then(|()| sink.sync_or_error());
                let _ = done.send(written.map(|()| seq));
            }
        }
    }
    if let Some((ts, body)) = held {
        let _ = sink.write(ts, body, true);
    }
}

/// A body's `type`, as the journal writes it.
fn body_type(body: &Body) -> &'static str {
    match body {
        Body::Session(_) => "session",
        Body::Open { .. } => "open",
        Body::Change { .. } => "change",
        Body::Save { .. } => "save",
        Body::Resync { .. } => "resync",
        Body::Close { .. } => "close",
        Body::End { .. } => "end",
        Body::Rationale(_) => "rationale",
        Body::Skip(_) => "skip",
        Body::Unexplained(_) => "unexplained",
        Body::Gap(_) => "gap",
    }
}

/// Adds `next`'s edits to `held` when both change the same document; false otherwise.
fn join(held: &mut Body, next: &Body) -> bool {
    match (held, next) {
        (
            Body::Change { path, version, edits },
            Body::Change { path: next_path, version: next_version, edits: next_edits },
        ) if path == next_path => {
            *version = *next_version;
            edits.extend_from_slice(next_edits);
            true
        }
        _ => false,
    }
}

/// Where the journal stands after a whole record: its length, the next `seq`, the chain of its
/// bytes.
#[derive(Clone, Default)]
struct Mark {
    len: u64,
    next_seq: u64,
    chain: Chain,
}

/// A record waiting to be written, with the time it was made.
struct Kept {
    ts: String,
    body: Body,
    /// Made by re-basing, not by the editor's side: not counted as lost when let go of again.
    rebasing: bool,
}

impl Kept {
    fn new(ts: String, body: Body) -> Self {
        Self { ts, body, rebasing: false }
    }
}

/// The journal cannot be written: since when, why, and what waits.
struct Outage {
    /// The first error, as the system gave it.
    error: String,
    /// When the first record that could not be written was made (none yet: when it resumes).
    from: Option<String>,
    /// The records made since, in order.
    backlog: Vec<Kept>,
    /// Their serialised size, roughly.
    backlog_bytes: usize,
    /// Rationales and skips refused.
    refused: u64,
    /// Records let go of, the edits they held, and the documents they touched.
    lost: u64,
    lost_edits: u64,
    rebased: BTreeSet<String>,
    /// Past how many bytes of backlog the next re-basing is made.
    rebase_past: usize,
    last_try: Instant,
}

/// The file end of the writer: numbering, serialising, chaining, syncing, and keeping the
/// records through an outage.
struct Sink {
    file: File,
    path: PathBuf,
    reopen: Option<Reopen>,
    /// After the last record written.
    at: Mark,
    /// After the last record synced; the records written since are in `unsynced`.
    synced: Mark,
    /// The records written since the last sync, and whether each is kept if that sync fails.
    unsynced: Vec<(Kept, bool)>,
    line: Vec<u8>,
    reports: Reports,
    outage: Option<Outage>,
    rebase: Option<Rebase>,
    backlog_limit: usize,
}

impl Sink {
    fn new(journal: JournalFile, reports: Reports, mark: Mark) -> Self {
        Self {
            file: journal.file,
            path: journal.path,
            reopen: journal.reopen,
            at: mark.clone(),
            synced: mark,
            unsynced: Vec::new(),
            line: Vec::new(),
            reports,
            outage: None,
            rebase: journal.rebase,
            backlog_limit: std::env::var("RATIONALE_JOURNAL_BACKLOG")
                .ok()
                .and_then(|limit| limit.parse().ok())
                .unwrap_or(BACKLOG_LIMIT),
        }
    }

    /// Serialises `body` as the record after `mark` into `out`, one line.
    fn serialise(out: &mut Vec<u8>, mark: &Mark, ts: &str, body: &Body) -> io::Result<()> {
        let start = out.len();
        let record = RecordRef { seq: mark.next_seq, ts, body };
        serde_json::to_writer(&mut *out, &record).map_err(io::Error::other)?;
        if is_chained(body_type(body)) {
            // The last field, added to the serialised object: the record model stays the
            // editor's side's, and the chain is only known here, once the line before is written.
            out.pop();
            out.extend_from_slice(b",\"chain\":\"");
            out.extend_from_slice(mark.chain.head().as_bytes());
            out.extend_from_slice(b"\"}");
        }
        out.push(b'\n');
        debug_assert!(out.len() > start);
        Ok(())
    }

    /// Writes one record as one line with one `write` call, so a crash tears at most that line.
    /// While the journal cannot be written the record waits (when `kept`) or is refused.
    fn write(&mut self, ts: String, body: Body, kept: bool) -> io::Result<()> {
        if self.outage.is_some() {
            return Err(self.keep(Kept::new(ts, body), kept));
        }
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        Sink::serialise(&mut line, &self.at, &ts, &body)?;
        let result = self.file.write_all(&line);
        match result {
            Ok(()) => {
                self.at.len += line.len() as u64;
                self.at.chain.update(&line);
                self.at.next_seq += 1;
                self.unsynced.push((Kept::new(ts, body), kept));
            }
            Err(error) => {
                self.fail(&error);
                self.line = line;
                return Err(self.keep(Kept::new(ts, body), kept));
            }
        }
        self.line = line;
        Ok(())
    }

    /// Syncs what was written since the last sync; a failure starts an outage.
    fn sync(&mut self) {
        if self.outage.is_some() || self.unsynced.is_empty() {
            return;
        }
        match self.file.sync_data() {
            Ok(()) => {
                self.synced = self.at.clone();
                self.unsynced.clear();
            }
            Err(error) => self.fail(&error),
        }
    }

    fn sync_or_error(&mut self) -> io::Result<()> {
        self.sync();
        match &self.outage {
            None => Ok(()),
            Some(outage) => Err(self.outage_error(outage)),
        }
    }

    fn outage_error(&self, outage: &Outage) -> io::Error {
        io::Error::other(format!("cannot write the journal {}: {}", self.path.display(), outage.error))
    }

    /// Keeps a record that could not be written (or refuses it), and says why it is not on disk.
    fn keep(&mut self, record: Kept, kept: bool) -> io::Error {
        let outage = self.outage.as_mut().expect("an outage");
        outage.from.get_or_insert_with(|| record.ts.clone());
        if kept {
            outage.backlog_bytes += record_size(&record.body);
            outage.backlog.push(record);
        } else {
            outage.refused += 1;
        }
        if outage.backlog_bytes > outage.rebase_past {
            self.let_go();
        }
        self.outage_error(self.outage.as_ref().expect("an outage"))
    }

    /// Starts an outage: the journal goes back to its last sync (what a failed write left after
    /// it is cut off; what was written since the sync is in doubt after a failed sync, and is
    /// written again later), and the person is told.
    fn fail(&mut self, error: &io::Error) {
        if self.outage.is_some() {
            return;
        }
        let _ = self.file.set_len(self.synced.len);
        self.at = self.synced.clone();
        let mut backlog = Vec::new();
        let mut refused = 0;
        for (record, kept) in self.unsynced.drain(..) {
            if kept {
                backlog.push(record);
            } else {
                refused += 1;
            }
        }
        let from = backlog.first().map(|kept: &Kept| kept.ts.clone());
        let backlog_bytes = backlog.iter().map(|kept| record_size(&kept.body)).sum();
        let message = format!("cannot write the journal {}: {error}", self.path.display());
        tracing::error!("{message}");
        (self.reports)(Report::Stopped(format!(
            "{message}. Editing goes on; rationales are refused until it can be written again."
        )));
        self.outage = Some(Outage {
            error: error.to_string(),
            from,
            backlog,
            backlog_bytes,
            refused,
            lost: 0,
            lost_edits: 0,
            rebased: BTreeSet::new(),
            rebase_past: self.backlog_limit,
            last_try: Instant::now(),
        });
    }

    /// The backlog grew past its limit: lets go of its document records (`open`, `change`,
    /// `save`, `resync`, `close`) and keeps instead, for every document they touched, its whole
    /// text as they left it (see [`crate::replay::rebase`]), worked out from the journal on disk
    /// and those records. Other records (`session`, `unexplained`) are kept as they are, after
    /// the documents' (but for the `session` record, always first).
    fn let_go(&mut self) {
        let Some(rebase) = self.rebase else { return };
        let outage = self.outage.as_mut().expect("an outage");
        let mut bytes = vec![0; self.at.len as usize];
        if let Err(error) = self.file.read_exact_at(&mut bytes, 0) {
            tracing::error!("cannot read the journal {} back to re-base it: {error}", self.path.display());
            outage.rebase_past = outage.backlog_bytes + self.backlog_limit;
            return;
        }
        let base_len = bytes.len();
        let mut mark = self.at.clone();
        let mut languages = BTreeMap::new();
        for kept in &outage.backlog {
            if Sink::serialise(&mut bytes, &mark, &kept.ts, &kept.body).is_err() {
                return;
            }
            mark.next_seq += 1;
            if let Body::Open { path, language, .. } = &kept.body {
                languages.insert(path.clone(), language.clone());
            }
        }
        let from = outage.from.clone().unwrap_or_default();
        let reason = format!(
            "the journal could not be written from {from} ({}), and the records of this document \
             made since were lost: this is its whole text after them",
            outage.error
        );
        let rebased = match rebase(bytes, base_len, &languages, &reason) {
            Ok(rebased) => rebased,
            Err(error) => {
                tracing::error!("cannot re-base the documents of {}: {error}", self.path.display());
                outage.rebase_past = outage.backlog_bytes + self.backlog_limit;
                return;
            }
        };
        let now = timestamp();
        let mut backlog = Vec::with_capacity(outage.backlog.len());
        for kept in outage.backlog.drain(..) {
            let document = matches!(
                kept.body,
                Body::Open { .. }
                    | Body::Change { .. }
                    | Body::Save { .. }
                    | Body::Resync { .. }
                    | Body::Close { .. }
            );
            if !document {
                backlog.push(kept);
            } else if !kept.rebasing {
                outage.lost += 1;
                if let Body::Change { edits, .. } = &kept.body {
                    outage.lost_edits += edits.len() as u64;
                }
            }
        }
        // The documents come back first (after the `session` record, when it waits too), so that
        // the records kept (an `unexplained` change of a document closed in the gap) find them.
        let others = backlog
            .split_off(usize::from(matches!(backlog.first(), Some(Kept { body: Body::Session(_), .. }))));
        for body in rebased {
            if let Some(path) = body.path() {
                outage.rebased.insert(path.to_owned());
            }
            backlog.push(Kept { ts: now.clone(), body, rebasing: true });
        }
        backlog.extend(others);
        outage.backlog_bytes = backlog.iter().map(|kept| record_size(&kept.body)).sum();
        outage.backlog = backlog;
        outage.rebase_past = outage.backlog_bytes + self.backlog_limit;
        tracing::warn!(
            "the journal {} cannot be written: {} records let go of, their documents kept whole",
            self.path.display(),
            outage.lost
        );
    }

    /// When to try the journal again, while it cannot be written.
    fn retry_at(&self) -> Option<Instant> {
        self.outage.as_ref().map(|outage| outage.last_try + RETRY_EVERY)
    }

    /// Before a batch: a journal deleted since the last one is an outage (its records would go to
    /// a file nobody can read); during an outage, a try, when one is due or the batch holds a
    /// durable record (a rationale must not be refused for a disk freed a moment ago).
    fn before_batch(&mut self, durable: bool) {
        match &self.outage {
            None => {
                if self.deleted() {
                    let error = io::Error::new(io::ErrorKind::NotFound, "it was deleted while being written");
                    self.fail(&error);
                }
            }
            Some(outage) => {
                if durable || outage.last_try + RETRY_EVERY <= Instant::now() {
                    self.try_resume();
                }
            }
        }
    }

    fn deleted(&self) -> bool {
        self.file.metadata().is_ok_and(|meta| meta.nlink() == 0)
    }

    /// Tries to write the journal again: the `gap` record, then every record kept. All of it or
    /// nothing: a failure cuts the file back to where it was.
    fn try_resume(&mut self) -> bool {
        let Some(outage) = self.outage.as_mut() else { return true };
        outage.last_try = Instant::now();
        if self.deleted() && !self.make_again() {
            return false;
        }
        if self.file.set_len(self.at.len).is_err() {
            return false;
        }
        let outage = self.outage.as_ref().expect("an outage");
        let to = timestamp();
        let gap = Gap {
            from: outage.from.clone().unwrap_or_else(|| to.clone()),
            to,
            error: outage.error.clone(),
            late: outage.backlog.len() as u64
                - u64::from(self.at.next_seq == 0 && !outage.backlog.is_empty()),
            lost: outage.lost,
            lost_edits: outage.lost_edits,
            rebased: outage.rebased.iter().cloned().collect(),
            refused: outage.refused,
        };
        let mut mark = self.at.clone();
        let mut bytes = Vec::with_capacity(outage.backlog_bytes + 512);
        let gap = Kept::new(gap.to.clone(), Body::Gap(gap));
        // A journal whose `session` record waits too starts with it: `seq` 0 is always the
        // session.
        let first = usize::from(self.at.next_seq == 0 && !outage.backlog.is_empty());
        let (before, after) = outage.backlog.split_at(first);
        for record in before.iter().chain([&gap]).chain(after) {
            let start = bytes.len();
            if Sink::serialise(&mut bytes, &mark, &record.ts, &record.body).is_err() {
                return false;
            }
            mark.chain.update(&bytes[start..]);
            mark.len += (bytes.len() - start) as u64;
            mark.next_seq += 1;
        }
        if let Err(error) = self.file.write_all(&bytes).and_then(|()| self.file.sync_data()) {
            tracing::debug!("the journal {} still cannot be written: {error}", self.path.display());
            let _ = self.file.set_len(self.at.len);
            return false;
        }
        let Body::Gap(gap) = gap.body else { unreachable!() };
        self.at = mark.clone();
        self.synced = mark;
        self.outage = None;
        let message = format!(
            "the journal {} is written again. {} records made while it could not be written ({}) \
             were written late{}{}.",
            self.path.display(),
            gap.late,
            gap.error,
            match gap.lost {
                0 => String::new(),
                n => format!(
                    "; {n} were lost ({} edits), and {} written again whole after them",
                    gap.lost_edits,
                    gap.rebased.join(", ")
                ),
            },
            match gap.refused {
                0 => String::new(),
                1 => "; 1 rationale or skip was refused and is still to be given".to_owned(),
                n => format!("; {n} rationales or skips were refused and are still to be given"),
            }
        );
        tracing::warn!("{message}");
        (self.reports)(Report::Resumed(message));
        true
    }

    /// Makes the journal again at its path after it was deleted, with the bytes written before
    /// (still readable through the file the writer holds). False when it cannot be made yet.
    fn make_again(&mut self) -> bool {
        let Some(reopen) = self.reopen.as_mut() else { return false };
        let Ok(mut file) = reopen() else { return false };
        let mut bytes = vec![0; self.at.len as usize];
        let copied = self
            .file
            .read_exact_at(&mut bytes, 0)
            .and_then(|()| file.write_all(&bytes))
            .and_then(|()| file.sync_data());
        if copied.is_err() {
            // Gone again, so that the next try can make it new.
            drop(file);
            let _ = std::fs::remove_file(&self.path);
            return false;
        }
        self.file = file;
        true
    }
}

/// A record as it is serialised, borrowed.
#[derive(serde::Serialize)]
struct RecordRef<'a> {
    seq: u64,
    ts: &'a str,
    #[serde(flatten)]
    body: &'a Body,
}

/// About how many bytes a record takes in the journal (its texts and edits; the rest is small).
fn record_size(body: &Body) -> usize {
    120 + match body {
        Body::Open { text, .. } | Body::Resync { text, .. } => text.len(),
        Body::Change { edits, .. } => edits.iter().map(|edit| 40 + edit.text.len()).sum(),
        Body::Rationale(explanation) | Body::Skip(explanation) => {
            explanation.before.len() + explanation.after.len()
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::record::{Edit, NameVersion, Record};
    use crate::store::scratch::ScratchDir;
    use crate::text::Encoding;

    fn session() -> SessionInfo {
        SessionInfo {
            schema: 1,
            session: "s".into(),
            server: NameVersion::default(),
            client: NameVersion::default(),
            author: "a".into(),
            workspace: "w".into(),
            position_encoding: Encoding::Utf8,
            git: None,
        }
    }

    fn records(path: &std::path::Path) -> Vec<Record> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    fn change(path: &str, version: i32, text: &str) -> Body {
        Body::Change {
            path: path.into(),
            version,
            edits: vec![Edit { range: Some([[0, 0], [0, 0]]), text: text.into() }],
        }
    }

    #[test]
    fn a_burst_of_changes_to_one_document_becomes_one_record() {
        let dir = ScratchDir::new("writer");
        let path = dir.path().join("j.jsonl");
        let writer = JournalWriter::start(
            JournalFile::new(File::create(&path).unwrap(), &path),
            session,
            Box::new(|_| {}),
        );
        writer.append(change("a.py", 2, "x"));
        writer.append(change("a.py", 3, "y"));
        writer.append(change("b.py", 2, "z"));
        writer.append(Body::Close { path: "b.py".into() });
        writer.end(EndReason::Shutdown).unwrap();
        let records = records(&path);
        let seqs: Vec<u64> = records.iter().map(|r| r.seq).collect();
        assert_eq!(seqs, [0, 1, 2, 3, 4]);
        assert!(matches!(records[0].body, Body::Session(_)));
        let Body::Change { version, edits, .. } = &records[1].body else { panic!() };
        assert_eq!((*version, edits.len()), (3, 2));
        assert_eq!(records[2].body, change("b.py", 2, "z"));
        assert_eq!(records[4].body, Body::End { reason: EndReason::Shutdown });
    }

    #[test]
    fn a_durable_append_is_on_disk_when_it_returns() {
        let dir = ScratchDir::new("writer");
        let path = dir.path().join("j.jsonl");
        let writer = JournalWriter::start(
            JournalFile::new(File::create(&path).unwrap(), &path),
            session,
            Box::new(|_| {}),
        );
        writer.append(change("a.py", 2, "x"));
        let seq = writer.append_synced(Body::Save { path: "a.py".into(), sha256: "h".into() }).unwrap();
        assert_eq!(seq, 2);
        assert_eq!(records(&path).len(), 3);
        drop(writer);
    }

    #[test]
    fn a_held_change_reaches_the_disk_without_further_records() {
        let dir = ScratchDir::new("writer");
        let path = dir.path().join("j.jsonl");
        let writer = JournalWriter::start(
            JournalFile::new(File::create(&path).unwrap(), &path),
            session,
            Box::new(|_| {}),
        );
        writer.append(change("a.py", 2, "x"));
        std::thread::sleep(SYNC_WITHIN * 3);
        assert_eq!(records(&path).len(), 2);
        drop(writer);
    }

    #[test]
    fn a_write_failure_is_reported_once() {
        let dir = ScratchDir::new("writer");
        let path = dir.path().join("j.jsonl");
        std::fs::write(&path, "").unwrap();
        // A file opened read-only cannot be written: every write fails.
        let file = File::open(&path).unwrap();
        let (tx, rx) = mpsc::channel();
        let writer = JournalWriter::start(
            JournalFile::new(file, &path),
            session,
            Box::new(move |m| tx.send(m).unwrap()),
        );
        writer.append(Body::Close { path: "a.py".into() });
        assert!(writer.append_durable(|_| Body::Close { path: "b.py".into() }).is_err());
        drop(writer);
        let reports: Vec<Report> = rx.try_iter().collect();
        assert_eq!(reports.len(), 1, "{reports:?}");
        let Report::Stopped(message) = &reports[0] else { panic!("{reports:?}") };
        assert!(message.contains("cannot write the journal"), "{message}");
        assert!(message.contains(&path.display().to_string()), "{message}");
    }

    fn check_chain(path: &std::path::Path) -> Result<(usize, String), String> {
        let journal = Journal::read(path).unwrap();
        let mut check = ChainCheck::new();
        for line in journal.records() {
            let line = line.map_err(|e| e.to_string())?;
            check.line(&journal, &line).map_err(|e| e.to_string())?;
        }
        Ok((check.chained(), check.head(&journal)))
    }

    #[test]
    fn chained_records_carry_the_hash_of_every_byte_before_them() {
        let dir = ScratchDir::new("writer");
        let path = dir.path().join("j.jsonl");
        let writer = JournalWriter::start(
            JournalFile::new(File::create(&path).unwrap(), &path),
            session,
            Box::new(|_| {}),
        );
        writer.append(change("a.py", 2, "x"));
        writer.append_synced(Body::Save { path: "a.py".into(), sha256: "h".into() }).unwrap();
        writer.append(Body::Close { path: "a.py".into() });
        writer.end(EndReason::Shutdown).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(!lines[0].contains("chain") && !lines[1].contains("chain") && !lines[3].contains("chain"));
        let before_save = &text[..text.find(lines[2]).unwrap()];
        let expected = crate::text::sha256_hex([before_save])[..32].to_owned();
        assert!(lines[2].ends_with(&format!(r#","chain":"{expected}"}}"#)), "{}", lines[2]);
        assert!(lines[4].contains(r#""chain":""#));
        assert_eq!(check_chain(&path).unwrap().0, 2);
    }

    #[test]
    fn a_resumed_journal_chains_over_the_bytes_already_in_it() {
        let dir = ScratchDir::new("writer");
        let path = dir.path().join("j.jsonl");
        let writer = JournalWriter::start(
            JournalFile::new(File::create(&path).unwrap(), &path),
            session,
            Box::new(|_| {}),
        );
        writer.append_synced(Body::Save { path: "a.py".into(), sha256: "h".into() }).unwrap();
        drop(writer);
        let reopen = || std::fs::OpenOptions::new().read(true).append(true).open(&path).unwrap();
        let writer = JournalWriter::resume(JournalFile::new(reopen(), &path), Box::new(|_| {})).unwrap();
        writer.append(Body::Close { path: "a.py".into() });
        writer.end(EndReason::Exit).unwrap();
        let seqs: Vec<u64> = records(&path).iter().map(|r| r.seq).collect();
        assert_eq!(seqs, [0, 1, 2, 3]);
        let (chained, head) = check_chain(&path).unwrap();
        assert_eq!(chained, 2);
        let whole = std::fs::read(&path).unwrap();
        assert_eq!(head, crate::text::sha256_hex([&whole])[..32]);

        // A journal tampered with before it is taken over is refused, not vouched for.
        std::fs::write(
            &path,
            String::from_utf8(whole).unwrap().replace(r#""path":"a.py""#, r#""path":"b.py""#),
        )
        .unwrap();
        let refused = JournalWriter::resume(JournalFile::new(reopen(), &path), Box::new(|_| {}))
            .err()
            .expect("refused");
        assert!(refused.to_string().contains("the chain breaks"), "{refused}");
    }

    #[test]
    fn a_journal_deleted_while_written_is_made_again_with_a_gap() {
        let dir = ScratchDir::new("writer");
        let path = dir.path().join("j.jsonl");
        let create = {
            let path = path.clone();
            move || std::fs::OpenOptions::new().read(true).append(true).create_new(true).open(&path)
        };
        let (tx, rx) = mpsc::channel();
        let journal = JournalFile::new(create().unwrap(), &path).reopening_with(Box::new(create));
        let writer = JournalWriter::start(journal, session, Box::new(move |m| tx.send(m).unwrap()));
        writer.append(change("a.py", 2, "x"));
        writer.append_synced(Body::Save { path: "a.py".into(), sha256: "h".into() }).unwrap();
        std::fs::remove_file(&path).unwrap();
        // The next batch notices, keeps its records and makes the journal again at once (the
        // try a durable record makes).
        writer.append(change("a.py", 3, "y"));
        std::thread::sleep(SYNC_WITHIN * 2);
        let seq = writer.append_durable(|_| Body::Close { path: "a.py".into() }).unwrap();
        writer.end(EndReason::Shutdown).unwrap();
        let records = records(&path);
        let types: Vec<&str> = records.iter().map(|r| body_type(&r.body)).collect();
        assert_eq!(types, ["session", "change", "save", "gap", "change", "close", "end"]);
        let seqs: Vec<u64> = records.iter().map(|r| r.seq).collect();
        assert_eq!(seqs, [0, 1, 2, 3, 4, 5, 6]);
        assert_eq!(seq, 5);
        let Body::Gap(gap) = &records[3].body else { panic!() };
        assert_eq!((gap.late, gap.lost, gap.refused), (1, 0, 0));
        assert!(gap.error.contains("deleted"), "{gap:?}");
        assert_eq!(gap.from, records[4].ts);
        assert_eq!(check_chain(&path).unwrap().0, 3);
        let reports: Vec<Report> = rx.try_iter().collect();
        assert!(matches!(&reports[..], [Report::Stopped(_), Report::Resumed(_)]), "{reports:?}");
    }

    #[test]
    fn a_rationale_is_refused_while_the_journal_cannot_be_written_and_a_save_is_kept() {
        let dir = ScratchDir::new("writer");
        let path = dir.path().join("j.jsonl");
        let journal = JournalFile::new(File::create(&path).unwrap(), &path);
        let writer = JournalWriter::start(journal, session, Box::new(|_| {}));
        writer.append_synced(Body::Save { path: "a.py".into(), sha256: "h".into() }).unwrap();
        std::fs::remove_file(&path).unwrap();
        // Without a way to make it again, the journal stays lost: a save is kept (and said not to
        // be on disk), a rationale refused, and the writer stops cleanly.
        let error = writer.append_synced(Body::Save { path: "a.py".into(), sha256: "i".into() }).unwrap_err();
        assert!(error.to_string().contains(&path.display().to_string()), "{error}");
        let refused = writer.append_durable(|_| Body::Close { path: "b.py".into() }).unwrap_err();
        assert!(refused.to_string().contains("deleted"), "{refused}");
        assert!(writer.end(EndReason::Exit).is_err());
    }
}
