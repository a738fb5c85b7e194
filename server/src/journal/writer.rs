//! The single writer of a journal: one thread that owns the file, numbers the records and decides
//! when they reach the disk.
//!
//! Nothing on the keystroke path waits for it: [`JournalWriter::append`] only sends the record to
//! the thread. The thread keeps the durability promises of the spec:
//! - records reach the disk (written and fdatasync'ed) within [`SYNC_WITHIN`] of being appended;
//! - a durable append ([`JournalWriter::append_durable`], used for `save`, `end` and rationales)
//!   returns only once its record is synced.
//!
//! Consecutive `change` records of one document that arrive within [`SYNC_WITHIN`] of the first are
//! written as one record whose `edits` are all of theirs in order. A burst of keystrokes then costs
//! one record header, not one each, and replay applies exactly the same edits in the same order.
//!
//! The thread keeps the journal's [`Chain`]: a running SHA-256 over every byte in the file, the
//! bytes that were there when it took the file over included ([`JournalWriter::resume`]). The
//! records of [`CHAINED`](super::chain::CHAINED) types carry it as `chain`.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Write};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::chain::{is_chained, Chain, ChainCheck};
use super::reader::Journal;
use super::record::{timestamp, Body, EndReason, Record, SessionInfo};

/// The longest a record stays off the disk after it was appended (the spec allows 250 ms).
pub const SYNC_WITHIN: Duration = Duration::from_millis(200);

type MakeBody = Box<dyn FnOnce(u64) -> Body + Send>;

enum Command {
    Append {
        ts: String,
        body: Box<Body>,
    },
    /// Write the record (built from its `seq`), sync, and answer with the `seq`.
    Durable {
        ts: String,
        make: MakeBody,
        done: mpsc::SyncSender<io::Result<u64>>,
    },
}

/// Reports a failure to write the journal (once, with what failed).
pub type ErrorSink = Box<dyn Fn(String) + Send>;

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
        file: File,
        session: impl FnOnce() -> SessionInfo + Send + 'static,
        on_error: ErrorSink,
    ) -> Self {
        let mailbox = Mailbox::default();
        let ts = timestamp();
        let inbox = mailbox.clone();
        let thread = std::thread::Builder::new()
            .name("journal".into())
            .spawn(move || {
                let mut sink = Sink::new(file, on_error, 0, Chain::default());
                let _ = sink.write(ts, Body::Session(session()));
                let _ = sink.sync();
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
    pub fn resume(mut file: File, on_error: ErrorSink) -> io::Result<Self> {
        use std::io::{Read, Seek};
        let mut bytes = Vec::new();
        file.seek(io::SeekFrom::Start(0))?;
        file.read_to_end(&mut bytes)?;
        let journal = Journal::from_bytes("the journal", bytes);
        if let Some(torn) = journal.torn() {
            return Err(io::Error::other(format!("it ends in a torn line: {torn}")));
        }
        let mut check = ChainCheck::new();
        let mut next_seq = 0;
        for line in journal.records() {
            let line = line.map_err(|err| io::Error::other(err.to_string()))?;
            check.line(&journal, &line).map_err(|err| io::Error::other(err.to_string()))?;
            next_seq = line.record.seq + 1;
        }
        let mut chain = Chain::default();
        chain.update(journal.bytes());
        file.seek(io::SeekFrom::End(0))?;
        let mailbox = Mailbox::default();
        let inbox = mailbox.clone();
        let thread = std::thread::Builder::new()
            .name("journal".into())
            .spawn(move || run(&mut Sink::new(file, on_error, next_seq, chain), &inbox))
            .expect("spawning the journal thread");
        Ok(Self { mailbox, thread: Some(thread) })
    }

    /// Appends a record; it reaches the disk within [`SYNC_WITHIN`]. A `change` waits for the
    /// keystrokes after it to join it; any other record is written at once.
    pub fn append(&self, body: Body) {
        let now = !matches!(body, Body::Change { .. });
        self.send(Command::Append { ts: timestamp(), body: Box::new(body) }, now);
    }

    /// Appends a record built from its `seq` and returns once it is on disk.
    pub fn append_durable(&self, make: impl FnOnce(u64) -> Body + Send + 'static) -> io::Result<u64> {
        let (done, wait) = mpsc::sync_channel(1);
        self.send(Command::Durable { ts: timestamp(), make: Box::new(make), done }, true);
        wait.recv().unwrap_or_else(|_| Err(io::Error::other("the journal writer has stopped")))
    }

    /// Appends the `end` record, syncs and stops the writer.
    pub fn end(mut self, reason: EndReason) -> io::Result<u64> {
        let result = self.append_durable(move |_| Body::End { reason });
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
/// batch is written and synced before the next is taken.
fn run(sink: &mut Sink, mailbox: &Mailbox) {
    let (inbox, wake) = &**mailbox;
    let mut guard = inbox.lock().unwrap();
    loop {
        let due = guard.since.map(|since| since + SYNC_WITHIN);
        let now = Instant::now();
        let ready = guard.urgent || guard.closed || due.is_some_and(|due| due <= now);
        if !ready {
            guard = match due {
                Some(due) => wake.wait_timeout(guard, due - now).unwrap().0,
                None => wake.wait(guard).unwrap(),
            };
            continue;
        }
        let batch = std::mem::take(&mut guard.commands);
        let closing = guard.closed;
        (guard.since, guard.urgent) = (None, false);
        drop(guard);
        write_batch(sink, batch);
        let _ = sink.sync();
        if closing {
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
                    let _ = sink.write(ts, body);
                }
                if matches!(body, Body::Change { .. }) {
                    held = Some((ts, body));
                } else {
                    let _ = sink.write(ts, body);
                }
            }
            Command::Durable { ts, make, done } => {
                if let Some((ts, body)) = held.take() {
                    let _ = sink.write(ts, body);
                }
                let seq = sink.next_seq;
                let written = sink.write(ts, make(seq));
                let _ = done.send(written.and_then(|()| sink.sync()).map(|()| seq));
            }
        }
    }
    if let Some((ts, body)) = held {
        let _ = sink.write(ts, body);
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

/// The file end of the writer: numbering, serialising, chaining, syncing, and reporting the first
/// failure.
struct Sink {
    file: File,
    next_seq: u64,
    /// Every byte written to the file so far.
    chain: Chain,
    line: Vec<u8>,
    unsynced_since: Option<Instant>,
    on_error: ErrorSink,
    failed: bool,
}

impl Sink {
    fn new(file: File, on_error: ErrorSink, next_seq: u64, chain: Chain) -> Self {
        Self { file, next_seq, chain, line: Vec::new(), unsynced_since: None, on_error, failed: false }
    }

    /// Writes one record as one line with one `write` call, so a crash tears at most that line.
    fn write(&mut self, ts: String, body: Body) -> io::Result<()> {
        let chained = is_chained(body_type(&body));
        let record = Record { seq: self.next_seq, ts, body };
        self.line.clear();
        serde_json::to_writer(&mut self.line, &record).map_err(io::Error::other)?;
        if chained {
            // The last field, added to the serialised object: the record model stays the
            // editor's side's, and the chain is only known here, once the line before is written.
            self.line.pop();
            self.line.extend_from_slice(b",\"chain\":\"");
            self.line.extend_from_slice(self.chain.head().as_bytes());
            self.line.extend_from_slice(b"\"}");
        }
        self.line.push(b'\n');
        let result = self.file.write_all(&self.line);
        // Hashed whether or not the write went through: after a failed write the file's bytes
        // are not known, and the next chained record shows a break where the damage is.
        self.chain.update(&self.line);
        match &result {
            // The seq is only used up by a record that was written, so the journal has no gaps.
            Ok(()) => {
                self.next_seq += 1;
                self.unsynced_since.get_or_insert_with(Instant::now);
            }
            Err(err) => self.report(format!("cannot write the journal: {err}")),
        }
        result
    }

    fn sync(&mut self) -> io::Result<()> {
        if self.unsynced_since.is_none() {
            return Ok(());
        }
        let result = self.file.sync_data();
        match &result {
            Ok(()) => self.unsynced_since = None,
            Err(err) => self.report(format!("cannot sync the journal to disk: {err}")),
        }
        result
    }

    fn report(&mut self, message: String) {
        tracing::error!("{message}");
        if !self.failed {
            self.failed = true;
            (self.on_error)(message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::record::{Edit, NameVersion};
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
        let writer = JournalWriter::start(File::create(&path).unwrap(), session, Box::new(|_| {}));
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
        let writer = JournalWriter::start(File::create(&path).unwrap(), session, Box::new(|_| {}));
        writer.append(change("a.py", 2, "x"));
        let seq = writer.append_durable(|_| Body::Save { path: "a.py".into(), sha256: "h".into() }).unwrap();
        assert_eq!(seq, 2);
        assert_eq!(records(&path).len(), 3);
        drop(writer);
    }

    #[test]
    fn a_held_change_reaches_the_disk_without_further_records() {
        let dir = ScratchDir::new("writer");
        let path = dir.path().join("j.jsonl");
        let writer = JournalWriter::start(File::create(&path).unwrap(), session, Box::new(|_| {}));
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
        let writer = JournalWriter::start(file, session, Box::new(move |m| tx.send(m).unwrap()));
        writer.append(Body::Close { path: "a.py".into() });
        assert!(writer.append_durable(|_| Body::Close { path: "b.py".into() }).is_err());
        drop(writer);
        let reports: Vec<String> = rx.try_iter().collect();
        assert_eq!(reports.len(), 1, "{reports:?}");
        assert!(reports[0].contains("cannot write the journal"));
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
        let writer = JournalWriter::start(File::create(&path).unwrap(), session, Box::new(|_| {}));
        writer.append(change("a.py", 2, "x"));
        writer.append_durable(|_| Body::Save { path: "a.py".into(), sha256: "h".into() }).unwrap();
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
        let writer = JournalWriter::start(File::create(&path).unwrap(), session, Box::new(|_| {}));
        writer.append_durable(|_| Body::Save { path: "a.py".into(), sha256: "h".into() }).unwrap();
        drop(writer);
        let reopen = || std::fs::OpenOptions::new().read(true).append(true).open(&path).unwrap();
        let writer = JournalWriter::resume(reopen(), Box::new(|_| {})).unwrap();
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
        let refused = JournalWriter::resume(reopen(), Box::new(|_| {})).err().expect("refused");
        assert!(refused.to_string().contains("the chain breaks"), "{refused}");
    }
}
