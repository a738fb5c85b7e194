//! The rationales recorded in each workspace folder: by unit, for hover (the reason behind the
//! code, where the code is), and by author, to find the earlier rationale a new one nearly
//! repeats (`duplicate_of`, see [`crate::quality::duplicates`]).
//!
//! Built off the request path: [`Index::refresh`] reads what each journal gained since the last
//! refresh (the first reads them whole), and is called in the background when the server starts
//! and after each rationale it records. Hover only looks the unit up. [`Index::duplicate_of`]
//! reads on first, so that it sees every rationale on disk, the ones just recorded included.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};

use crate::journal::record::Explanation;
use crate::journal::{journal_files, Journal, Resume};
use crate::quality::duplicates::Duplicates;
use crate::reviews::{Review, Reviews};

/// A rationale recorded for a unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    pub pair: String,
    pub text: String,
    pub author: String,
    pub ts: String,
}

/// A rationale with its latest standing verdict, as hover shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shown {
    pub recorded: Recorded,
    pub review: Option<Review>,
}

/// Where each journal was read to.
struct Progress {
    resume: Resume,
    author: String,
    /// A journal with a line that is not a record is read no further.
    broken: bool,
}

#[derive(Default)]
struct State {
    /// By folder, workspace-relative path and qualified unit name; oldest first.
    units: HashMap<(PathBuf, String, String), Vec<Recorded>>,
    reviews: HashMap<PathBuf, Reviews>,
    /// Every rationale's text by folder and author, under its pair id, in the order read.
    texts: HashMap<(PathBuf, String), Duplicates<String>>,
}

#[derive(Default)]
pub struct Index {
    state: RwLock<State>,
    /// Held by the one refresh that runs at a time.
    progress: Mutex<HashMap<PathBuf, Progress>>,
}

impl Index {
    /// The rationales of unit `unit` of `path` in `folder`, latest first.
    pub fn rationales(&self, folder: &Path, path: &str, unit: &str) -> Vec<Shown> {
        let state = self.state.read().unwrap_or_else(|e| e.into_inner());
        let key = (folder.to_owned(), path.to_owned(), unit.to_owned());
        let Some(recorded) = state.units.get(&key) else { return Vec::new() };
        let reviews = state.reviews.get(folder);
        recorded
            .iter()
            .rev()
            .map(|r| Shown { recorded: r.clone(), review: reviews.and_then(|v| v.latest(&r.pair)).cloned() })
            .collect()
    }

    /// The pair id of an earlier rationale by `author` in `folder`'s journals that `text` nearly
    /// repeats (see [`crate::quality::duplicates`]), after reading what the journals gained.
    pub fn duplicate_of(&self, folder: &Path, author: &str, text: &str) -> Option<String> {
        {
            let mut progress = self.progress.lock().unwrap_or_else(|e| e.into_inner());
            self.read_journals(folder, &mut progress);
        }
        let state = self.state.read().unwrap_or_else(|e| e.into_inner());
        // No earlier rationale has an empty pair id: the new one is never its own duplicate.
        state.texts.get(&(folder.to_owned(), author.to_owned()))?.find(&String::new(), text)
    }

    /// Takes in what the journals and review files of `folders` gained since the last refresh.
    pub fn refresh(&self, folders: &[PathBuf]) {
        let mut progress = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        for folder in folders {
            self.read_journals(folder, &mut progress);
            let (reviews, problems) = Reviews::read(folder);
            for problem in problems {
                tracing::warn!("reviews: {problem}");
            }
            let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
            state.reviews.insert(folder.clone(), reviews);
        }
    }

    /// Takes in what the journals of `folder` gained since they were last read.
    fn read_journals(&self, folder: &Path, progress: &mut HashMap<PathBuf, Progress>) {
        let folder = folder.to_owned();
        let mut found = Vec::new();
        for journal in journal_files(&folder).unwrap_or_default() {
            let read = progress.entry(journal.clone()).or_insert_with(|| Progress {
                resume: Resume { offset: 0, line: 0, seq: 0 },
                author: String::new(),
                broken: false,
            });
            if !read.broken {
                read_on(&journal, read, &mut found);
            }
        }
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        for (path, unit, previous, recorded) in found {
            let key = (folder.clone(), recorded.author.clone());
            state.texts.entry(key).or_default().add(recorded.pair.clone(), &recorded.text);
            // A unit renamed by this change keeps the rationales of its earlier name.
            let earlier = previous
                .and_then(|name| state.units.get(&(folder.clone(), path.clone(), name)).cloned())
                .unwrap_or_default();
            let list = state.units.entry((folder.clone(), path, unit)).or_default();
            for entry in earlier {
                if !list.contains(&entry) {
                    list.push(entry);
                }
            }
            list.push(recorded);
            list.sort_by(|a, b| a.ts.cmp(&b.ts));
        }
    }

    /// Takes in a verdict just written.
    pub fn add_review(&self, folder: &Path, review: Review) {
        // A refresh running now may have read the reviews file before this verdict was written,
        // and would put that older reading in place of this one: wait for it to finish.
        let _refresh = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        state.reviews.entry(folder.to_owned()).or_default().add(review);
    }
}

/// What a journal gained: path, unit name, the unit's earlier name if the change renamed it, and
/// the rationale.
type Found = Vec<(String, String, Option<String>, Recorded)>;

/// Reads the complete lines `journal` gained since `read`, collecting its rationales.
fn read_on(journal: &Path, read: &mut Progress, found: &mut Found) {
    let mut tail = Vec::new();
    let opened = std::fs::File::open(journal).and_then(|mut file| {
        file.seek(SeekFrom::Start(read.resume.offset as u64))?;
        file.read_to_end(&mut tail)
    });
    if let Err(err) = opened {
        tracing::warn!("cannot read {}: {err}", journal.display());
        return;
    }
    // Only complete lines: the last one may still be being written.
    let complete = tail.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    if complete == 0 {
        // Nothing new. This includes a journal just created whose session record is not written
        // yet: read as a journal, it would be damaged (no session) and never read again.
        return;
    }
    tail.truncate(complete);
    let tail = Journal::from_bytes(journal, tail);
    let start = Resume { offset: 0, ..read.resume };
    let mut records = tail.records_from(start);
    for line in &mut records {
        let line = match line {
            Ok(line) => line,
            Err(err) => {
                tracing::warn!("not indexing the rest of {err}");
                read.broken = true;
                break;
            }
        };
        match &*line.record.kind {
            "session" => read.author = line.record.author.as_deref().unwrap_or_default().to_owned(),
            "rationale" => {
                if let (Ok(explanation), Some(session)) =
                    (line.fields::<Explanation>(journal), journal.file_stem())
                {
                    let recorded = Recorded {
                        pair: format!("{}:{}", session.to_string_lossy(), line.record.seq),
                        text: explanation.text.unwrap_or_default(),
                        author: read.author.clone(),
                        ts: line.record.ts.to_string(),
                    };
                    found.push((
                        explanation.path,
                        explanation.unit.name,
                        explanation.unit.previous_name,
                        recorded,
                    ));
                }
            }
            _ => {}
        }
    }
    if !read.broken {
        let after = records.resume_point(&tail);
        read.resume = Resume { offset: read.resume.offset + after.offset, ..after };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::scratch::ScratchDir;

    const SESSION: &str = r#"{"seq":0,"ts":"2026-11-26T08:30:00.000Z","type":"session","schema":1,"session":"s1","author":"dev@example.com","positionEncoding":"utf-8"}"#;

    fn rationale(seq: u64, unit: &str, text: &str) -> String {
        format!(
            r#"{{"seq":{seq},"ts":"2026-11-26T08:3{seq}:00.000Z","type":"rationale","pair":"s1:{seq}","change":"x.1","path":"a.py","language":"python","unit":{{"name":"{unit}","kind":"function"}},"kind":"modified","before":"b","after":"a","text":"{text}","editsFrom":null,"editsTo":null,"edits":1,"promptedAt":null,"version":1,"via":"command","group":null}}"#
        )
    }

    #[test]
    fn a_journal_found_before_its_session_record_is_written_is_read_once_it_is() {
        let dir = ScratchDir::new("index-empty");
        let path = dir.write(".rationale/sessions/s1.jsonl", "");
        let index = Index::default();
        let folders = [dir.path().to_owned()];
        index.refresh(&folders);
        std::fs::write(&path, &SESSION[..30]).unwrap();
        index.refresh(&folders);
        std::fs::write(&path, format!("{SESSION}\n{}\n", rationale(1, "greet", "first reason here")))
            .unwrap();
        index.refresh(&folders);
        let shown = index.rationales(dir.path(), "a.py", "greet");
        assert_eq!(shown.len(), 1, "the journal was given up on before it had a line");
        assert_eq!(shown[0].recorded.author, "dev@example.com");
    }

    #[test]
    fn rationales_are_indexed_by_unit_and_kept_current_as_the_journal_grows() {
        let dir = ScratchDir::new("index");
        let journal = format!("{SESSION}\n{}\n", rationale(1, "greet", "first reason here"));
        let path = dir.write(".rationale/sessions/s1.jsonl", &journal);
        let index = Index::default();
        let folders = [dir.path().to_owned()];
        index.refresh(&folders);
        let shown = index.rationales(dir.path(), "a.py", "greet");
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0].recorded.author, "dev@example.com");
        assert_eq!(shown[0].recorded.pair, "s1:1");

        // A second rationale, and a third whose line is still being written.
        let grown = format!(
            "{journal}{}\n{}",
            rationale(2, "greet", "second reason"),
            &rationale(3, "greet", "x")[..20]
        );
        std::fs::write(&path, grown).unwrap();
        index.refresh(&folders);
        let texts: Vec<_> =
            index.rationales(dir.path(), "a.py", "greet").into_iter().map(|s| s.recorded.text).collect();
        assert_eq!(texts, ["second reason", "first reason here"], "latest first, the torn line not yet");
        assert!(index.rationales(dir.path(), "a.py", "other").is_empty());
        // Renamed: the new name shows the rationales of the old one too, latest first.
        let renamed = rationale(4, "welcome", "renamed for the new landing page")
            .replace(r#""kind":"function"}"#, r#""kind":"function","previousName":"greet"}"#);
        let grown = format!(
            "{journal}{}\n{}\n{renamed}\n",
            rationale(2, "greet", "second reason"),
            rationale(3, "greet", "third")
        );
        std::fs::write(&path, grown).unwrap();
        index.refresh(&folders);
        let texts: Vec<_> =
            index.rationales(dir.path(), "a.py", "welcome").into_iter().map(|s| s.recorded.text).collect();
        assert_eq!(
            texts,
            ["renamed for the new landing page", "third", "second reason", "first reason here"]
        );
        assert!(index.rationales(dir.path(), "b.py", "greet").is_empty());

        index.add_review(
            dir.path(),
            Review {
                ts: "2026-11-26T09:00:00.000Z".into(),
                reviewer: "r".into(),
                pair: "s1:2".into(),
                verdict: crate::reviews::Verdict::Accept,
                note: None,
            },
        );
        let shown = index.rationales(dir.path(), "a.py", "greet");
        let second = shown.iter().find(|s| s.recorded.pair == "s1:2").unwrap();
        assert_eq!(second.review.as_ref().map(|r| r.verdict), Some(crate::reviews::Verdict::Accept));
        assert!(shown.iter().filter(|s| s.recorded.pair != "s1:2").all(|s| s.review.is_none()));
    }
}
