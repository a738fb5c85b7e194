//! The review queue: every pair, skip and unexplained change of every workspace at or under the
//! workspace folders (a team's collected folder of workspaces included, found as `export` finds
//! them), in the order a reviewer should take them: not yet judged before judged, flagged by the
//! quality signals before not, then oldest first. `rationale/reviewQueue` pages through it.
//!
//! What each journal holds for the queue is kept between requests and read again only when the
//! journal's size changed (journals are only ever appended to), so a queue over many workspaces
//! costs a listing of their folders and their review files, not a reading of every journal.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::journal::record::{Explanation, SessionInfo, Unexplained, UnitRef};
use crate::journal::{journal_files, Journal, JournalError};
use crate::reviews::{Comment, Review, Reviews};

/// The quality flags a filter may name.
pub use crate::quality::FLAGS;

/// Which records a reviewer asked for; every field left out lets all through.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// The session's author, exactly.
    pub author: Option<String>,
    /// One of [`FLAGS`]: only pairs with that flag.
    pub flag: Option<String>,
    /// `true`: only records without a verdict; `false`: only records with one.
    pub unreviewed: Option<bool>,
}

/// What a queue entry is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A `rationale` record.
    Pair,
    /// A `skip` record.
    Skip,
    /// An `unexplained` record.
    Unexplained,
}

impl Kind {
    /// The journal record's type.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Pair => "rationale",
            Kind::Skip => "skip",
            Kind::Unexplained => "unexplained",
        }
    }
}

/// One record of a journal, as the queue keeps it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub kind: Kind,
    pub session: String,
    pub seq: u64,
    pub ts: String,
    pub path: String,
    pub unit: UnitRef,
    /// `modified`, `added` or `removed`.
    pub change: String,
    /// The unit's whole text before and after (empty for an unexplained change).
    pub before: String,
    pub after: String,
    pub rationale: Option<String>,
    pub reason: Option<String>,
    pub flags: Vec<&'static str>,
}

impl Recorded {
    /// `<session>:<seq>`: the id verdicts and comments name.
    pub fn id(&self) -> String {
        format!("{}:{}", self.session, self.seq)
    }
}

/// One entry of the queue: a record, where it was found, and how it was judged.
#[derive(Clone, Debug)]
pub struct Entry {
    pub recorded: Arc<Recorded>,
    pub id: String,
    pub author: String,
    /// The workspace folder's name, and its absolute path.
    pub workspace: String,
    pub folder: PathBuf,
    /// Every reviewer's standing verdict, latest first.
    pub reviews: Vec<Review>,
    pub comments: Vec<Comment>,
}

/// One page of the queue.
#[derive(Debug)]
pub struct Page {
    pub entries: Vec<Entry>,
    /// Where the next page starts, if there is one.
    pub next: Option<usize>,
    /// How many entries the whole queue holds, under the filter.
    pub total: usize,
    /// A sentence for each journal or review file that could not be read (`FILE:LINE: why`).
    pub errors: Vec<String>,
}

/// What one journal gave the queue.
struct Read {
    size: u64,
    author: String,
    records: Vec<Arc<Recorded>>,
}

/// The queue's memory of the journals it read.
#[derive(Default)]
pub struct Queue {
    journals: Mutex<HashMap<PathBuf, Arc<Read>>>,
}

impl Queue {
    /// The entries `from..from + limit` of the queue over `roots` under `filter`. `from` past the
    /// end is the caller's to refuse; here it answers an empty page.
    pub fn page(&self, roots: &[PathBuf], filter: &Filter, from: usize, limit: usize) -> Page {
        let mut errors = Vec::new();
        let mut entries = Vec::new();
        for workspace in workspaces(roots, &mut errors) {
            let (reviews, problems) = Reviews::read(&workspace);
            errors.extend(problems);
            let name = workspace.file_name().map_or_else(|| "/".into(), |n| n.to_string_lossy().into_owned());
            let journals = match journal_files(&workspace) {
                Ok(journals) => journals,
                Err(err) => {
                    errors.push(format!("{}: {err}", crate::journal::sessions_dir(&workspace).display()));
                    continue;
                }
            };
            for journal in journals {
                let read = match self.read(&journal) {
                    Ok(Some(read)) => read,
                    // A server that is starting has not written its first line yet.
                    Ok(None) => continue,
                    Err(err) => {
                        errors.push(err.to_string());
                        continue;
                    }
                };
                if filter.author.as_ref().is_some_and(|author| *author != read.author) {
                    continue;
                }
                for recorded in &read.records {
                    if filter.flag.as_ref().is_some_and(|flag| !recorded.flags.contains(&flag.as_str())) {
                        continue;
                    }
                    let id = recorded.id();
                    let standing = reviews.of(&id);
                    if filter.unreviewed.is_some_and(|unreviewed| unreviewed != standing.is_empty()) {
                        continue;
                    }
                    entries.push(Entry {
                        recorded: recorded.clone(),
                        reviews: standing.to_vec(),
                        comments: reviews.comments(&id).to_vec(),
                        id,
                        author: read.author.clone(),
                        workspace: name.clone(),
                        folder: workspace.clone(),
                    });
                }
            }
        }
        entries.sort_by(|a, b| order(a).cmp(&order(b)));
        let total = entries.len();
        let end = from.saturating_add(limit).min(total);
        let page = if from < end { entries.drain(from..end).collect() } else { Vec::new() };
        Page { entries: page, next: (end < total).then_some(end), total, errors }
    }

    /// What `journal` holds for the queue, read again only if its size changed; `None` while it
    /// has no complete line.
    fn read(&self, journal: &Path) -> Result<Option<Arc<Read>>, JournalError> {
        let size = std::fs::metadata(journal)
            .map_err(|err| JournalError::new(journal, None, crate::journal::JournalErrorKind::Io(err)))?
            .len();
        if let Some(read) = self.journals.lock().unwrap_or_else(|e| e.into_inner()).get(journal) {
            if read.size == size {
                return Ok(Some(read.clone()));
            }
        }
        let Some(read) = read_journal(journal)? else { return Ok(None) };
        let read = Arc::new(read);
        self.journals.lock().unwrap_or_else(|e| e.into_inner()).insert(journal.to_owned(), read.clone());
        Ok(Some(read))
    }
}

/// The workspaces at or under each root, each once.
fn workspaces(roots: &[PathBuf], errors: &mut Vec<String>) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for root in roots {
        match crate::dataset::workspaces(root) {
            Ok(under) => found.extend(under),
            // A folder that does not exist (yet) holds nothing to review.
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => errors.push(format!("{}: {err}", root.display())),
        }
    }
    found.sort();
    found.dedup();
    found
}

/// The queue's order: not judged first, flagged first, oldest first; the id breaks ties so that
/// pages never overlap.
fn order(entry: &Entry) -> (bool, bool, &str, &str, u64, &Path) {
    let recorded = &entry.recorded;
    (
        !entry.reviews.is_empty(),
        recorded.flags.is_empty(),
        recorded.ts.as_str(),
        recorded.session.as_str(),
        recorded.seq,
        entry.folder.as_path(),
    )
}

/// Reads one journal's pairs, skips and unexplained changes.
fn read_journal(path: &Path) -> Result<Option<Read>, JournalError> {
    let journal = Journal::read(path)?;
    let size = journal.len() as u64;
    if journal.has_no_records() {
        return Ok(None);
    }
    let session_id = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let mut author = String::new();
    let mut records = Vec::new();
    for line in journal.records() {
        let line = line?;
        let record = &line.record;
        let recorded =
            |kind, path: String, unit, change, texts: (String, String), rationale, reason, flags| {
                Arc::new(Recorded {
                    kind,
                    session: session_id.clone(),
                    seq: record.seq,
                    ts: record.ts.to_string(),
                    path,
                    unit,
                    change,
                    before: texts.0,
                    after: texts.1,
                    rationale,
                    reason,
                    flags,
                })
            };
        match &*record.kind {
            "session" => author = line.fields::<SessionInfo>(path)?.author,
            "rationale" | "skip" => {
                let explanation: Explanation = line.fields(path)?;
                let kind = if record.kind == "rationale" { Kind::Pair } else { Kind::Skip };
                let flags = explanation.flags();
                records.push(recorded(
                    kind,
                    explanation.path,
                    explanation.unit,
                    explanation.kind,
                    (explanation.before, explanation.after),
                    explanation.text,
                    explanation.reason,
                    flags,
                ));
            }
            "unexplained" => {
                let unexplained: Unexplained = line.fields(path)?;
                records.push(recorded(
                    Kind::Unexplained,
                    unexplained.path,
                    unexplained.unit,
                    unexplained.kind,
                    (String::new(), String::new()),
                    None,
                    None,
                    Vec::new(),
                ));
            }
            _ => {}
        }
    }
    Ok(Some(Read { size, author, records }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reviews::Verdict;
    use crate::store::scratch::ScratchDir;

    fn session(author: &str) -> String {
        format!(
            r#"{{"seq":0,"ts":"2026-11-26T08:30:00.000Z","type":"session","schema":1,"session":"s1","author":"{author}","positionEncoding":"utf-8"}}"#
        )
    }

    fn record(kind: &str, seq: u64, minute: u32, text: &str) -> String {
        let said = match kind {
            "rationale" => format!(r#","text":"{text}""#),
            "skip" => format!(r#","reason":"{text}""#),
            _ => String::new(),
        };
        format!(
            r#"{{"seq":{seq},"ts":"2026-11-26T08:{minute:02}:00.000Z","type":"{kind}","change":"x.{seq}","path":"a.py","language":"python","unit":{{"name":"f{seq}","kind":"function"}},"kind":"modified","before":"def f():\n    return 1\n","after":"def f():\n    return 2\n"{said}}}"#
        )
    }

    fn ids(page: &Page) -> Vec<String> {
        page.entries.iter().map(|e| format!("{}/{}", e.workspace, e.id)).collect()
    }

    #[test]
    fn the_queue_puts_the_unjudged_and_the_flagged_first_then_the_oldest() {
        let dir = ScratchDir::new("queue");
        let good = "Return 2 because the billing API now counts from two, see issue 12";
        dir.write(
            "team/ana/.rationale/sessions/s1.jsonl",
            &[
                session("ana"),
                record("rationale", 1, 31, good),
                record("rationale", 2, 32, "fix"),
                record("skip", 3, 33, "formatting"),
                record("unexplained", 4, 34, ""),
            ]
            .join("\n"),
        );
        dir.write(
            "team/bo/.rationale/sessions/s1.jsonl",
            &[session("bo"), record("rationale", 1, 30, good), String::new()].join("\n"),
        );
        let store = crate::store::Store::open(&dir.path().join("team/ana")).unwrap();
        let verdict = Review {
            ts: "2026-11-27T00:00:00.000Z".into(),
            reviewer: "r".into(),
            pair: "s1:2".into(),
            verdict: Verdict::Accept,
            note: None,
        };
        crate::reviews::append(&store, &verdict).unwrap();
        let queue = Queue::default();
        let roots = [dir.path().join("team")];
        let page = queue.page(&roots, &Filter::default(), 0, 500);
        assert_eq!(
            ids(&page),
            ["bo/s1:1", "ana/s1:1", "ana/s1:3", "ana/s1:4", "ana/s1:2"],
            "the judged pair last though flagged; then by age"
        );
        assert_eq!((page.total, page.next), (5, None));
        assert_eq!(page.entries[4].recorded.flags, ["generic"]);

        let page = queue.page(&roots, &Filter::default(), 1, 2);
        assert_eq!(ids(&page), ["ana/s1:1", "ana/s1:3"]);
        assert_eq!(page.next, Some(3));
        let flagged = Filter { flag: Some("generic".into()), ..Filter::default() };
        assert_eq!(ids(&queue.page(&roots, &flagged, 0, 500)), ["ana/s1:2"]);
        let bo = Filter { author: Some("bo".into()), ..Filter::default() };
        assert_eq!(ids(&queue.page(&roots, &bo, 0, 500)), ["bo/s1:1"]);
        let judged = Filter { unreviewed: Some(false), ..Filter::default() };
        assert_eq!(ids(&queue.page(&roots, &judged, 0, 500)), ["ana/s1:2"]);
    }
}
