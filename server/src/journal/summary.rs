//! Summaries of sessions: who recorded, when, which files, how many pairs and skips. `rationale
//! sessions` prints them and the `rationale/sessions` request returns them.

use std::collections::BTreeSet;
use std::path::Path;

use super::{journal_files, Journal, JournalError, JournalErrorKind};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionSummary {
    /// The session id, e.g. `20261126T083000Z-7f3a9c`.
    pub id: String,
    pub author: String,
    /// The `ts` of the `session` record.
    pub started: String,
    /// The `ts` of the `end` record; `None` while the server runs, or if it stopped without one.
    pub ended: Option<String>,
    /// The distinct workspace-relative paths the session opened, sorted.
    pub files: Vec<String>,
    /// The number of `rationale` records.
    pub pairs: u64,
    /// The number of `rationale` records with a quality flag ([`super::record::Explanation::flags`]).
    pub flagged: u64,
    /// The number of `skip` records.
    pub skips: u64,
    /// The `seq` of each `rationale` record: the pairs are `<id>:<seq>`.
    pub pair_seqs: Vec<u64>,
}

/// Summarises one journal. A torn final line is ignored; any other fault is an error.
pub fn summarize(journal: &Journal) -> Result<SessionSummary, JournalError> {
    let mut summary = SessionSummary {
        id: String::new(),
        author: String::new(),
        started: String::new(),
        ended: None,
        files: Vec::new(),
        pairs: 0,
        flagged: 0,
        skips: 0,
        pair_seqs: Vec::new(),
    };
    let mut files = BTreeSet::new();
    for line in journal.records() {
        let line = line?;
        // Read before the record's fields are moved out of the line below.
        let flagged = line.record.kind == "rationale"
            && !line.fields::<super::record::Explanation>(journal.path())?.flags().is_empty();
        let record = line.record;
        match &*record.kind {
            "session" => {
                let Some(id) = record.session else {
                    return Err(JournalError::invalid(
                        journal.path(),
                        line.number,
                        "the `session` record has no string `session`",
                    ));
                };
                summary.id = id.into_owned();
                summary.author = record.author.unwrap_or_default().into_owned();
                summary.started = record.ts.into_owned();
            }
            "open" => {
                if let Some(path) = record.path {
                    if !files.contains(&*path) {
                        files.insert(path.into_owned());
                    }
                }
            }
            "rationale" => {
                summary.pairs += 1;
                summary.pair_seqs.push(record.seq);
                summary.flagged += u64::from(flagged);
            }
            "skip" => summary.skips += 1,
            "end" => summary.ended = Some(record.ts.into_owned()),
            _ => {}
        }
    }
    summary.files = files.into_iter().collect();
    Ok(summary)
}

/// The sessions of a workspace folder, oldest first, and the journals that could not be
/// summarised. A folder where nothing was recorded yet has no sessions and no errors.
pub fn summarize_workspace(workspace: &Path) -> (Vec<SessionSummary>, Vec<JournalError>) {
    let files = match journal_files(workspace) {
        Ok(files) => files,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(err) => {
            let dir = super::sessions_dir(workspace);
            return (Vec::new(), vec![JournalError::new(&dir, None, JournalErrorKind::Io(err))]);
        }
    };
    let mut sessions = Vec::new();
    let mut errors = Vec::new();
    for file in files {
        match Journal::read(&file).and_then(|journal| summarize(&journal)) {
            Ok(summary) => sessions.push(summary),
            Err(err) => errors.push(err),
        }
    }
    // Timestamps of one format sort as strings; the id breaks ties and keeps the order stable.
    sessions.sort_by(|a, b| (&a.started, &a.id).cmp(&(&b.started, &b.id)));
    (sessions, errors)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::journal::samples::{change, journal_text, open};
    use crate::journal::{Body, EndReason};
    use crate::text::Encoding;

    #[test]
    fn a_summary_counts_files_pairs_flagged_pairs_and_skips() {
        let mut text = journal_text(
            Encoding::Utf8,
            vec![
                open("b.py", "b"),
                open("a.py", "a"),
                change("a.py", 2, &[((0, 0, 0, 0), "x")]),
                Body::Close { path: "a.py".into() },
                open("a.py", "xa"),
            ],
        );
        text += r#"{"seq":6,"ts":"2026-11-26T08:31:00.000Z","type":"rationale","pair":"s:6","path":"a.py","edits":1,"text":"Callers retried forever because the timeout was never set, so it is bounded at five seconds"}
{"seq":7,"ts":"2026-11-26T08:31:01.000Z","type":"skip","path":"a.py","edits":1}
{"seq":8,"ts":"2026-11-26T08:31:02.000Z","type":"rationale","pair":"s:8","path":"b.py","edits":1,"text":"another reason","quality":{"flags":["no_why"],"generic":0.1,"no_why":0.9}}
{"seq":9,"ts":"2026-11-26T08:31:03.000Z","type":"end","reason":"shutdown"}
"#;
        let summary = summarize(&Journal::from_bytes("s.jsonl", text.into_bytes())).unwrap();
        assert_eq!(
            summary,
            SessionSummary {
                id: "20261126T083000Z-7f3a9c".into(),
                author: "dev@example.com".into(),
                started: "2026-11-26T08:30:00.000Z".into(),
                ended: Some("2026-11-26T08:31:03.000Z".into()),
                files: vec!["a.py".into(), "b.py".into()],
                pairs: 2,
                flagged: 1,
                skips: 1,
                pair_seqs: vec![6, 8],
            }
        );
    }

    #[test]
    fn a_session_without_an_end_has_not_ended() {
        let text = journal_text(Encoding::Utf16, vec![open("a.py", "a")]);
        let summary = summarize(&Journal::from_bytes("s.jsonl", text.into_bytes())).unwrap();
        assert_eq!(summary.ended, None);
    }

    #[test]
    fn a_workspace_lists_its_sessions_oldest_first_and_names_broken_journals() {
        let dir = tempdir("summary");
        let sessions = dir.join(".rationale/sessions");
        std::fs::create_dir_all(&sessions).unwrap();
        let older = journal_text(Encoding::Utf16, vec![Body::End { reason: EndReason::Exit }]);
        let newer = older.replace("2026-11-26T08:30:00", "2026-11-27T08:30:00").replace("7f3a9c", "000000");
        // File names in the opposite order from the start times.
        std::fs::write(sessions.join("a.jsonl"), newer).unwrap();
        std::fs::write(sessions.join("b.jsonl"), older).unwrap();
        std::fs::write(sessions.join("c.jsonl"), "not json\n").unwrap();
        std::fs::write(sessions.join("notes.txt"), "not a journal").unwrap();

        let (summaries, errors) = summarize_workspace(&dir);
        let ids: Vec<_> = summaries.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["20261126T083000Z-7f3a9c", "20261126T083000Z-000000"]);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, Some(1));
        assert!(errors[0].path.ends_with("c.jsonl"));

        let (none, errors) = summarize_workspace(&dir.join("nothing-recorded"));
        assert!(none.is_empty() && errors.is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// A fresh folder under the system's temporary folder.
    pub(crate) fn tempdir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "rationale-{name}-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
