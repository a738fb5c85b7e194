//! The journals as a data set: which folders hold them, and what each journal holds for a
//! dataset engineer (its pairs, skips and the changes left unexplained). `rationale export` and
//! `rationale stats` read journals through here.
//!
//! - [`workspaces`] finds the workspace folders under the folders given on the command line;
//! - [`read_journal`] reads one journal's pairs in one pass, without replaying its edits, as the
//!   journal's own records ([`Explanation`], [`Unexplained`]), and checks its chain;
//! - [`quality`] gives each pair its quality signals and finds the duplicates among pairs;
//! - [`history`] replays a journal to add the whole documents and the history of each pair;
//! - [`agreement`] measures how far reviewers agree;
//! - [`rows`] turns pairs into the rows of each export format; [`diff`] writes unified diffs.

pub mod agreement;
pub mod diff;
pub mod history;
pub mod quality;
pub mod rows;
pub mod time;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::journal::chain::ChainCheck;
use crate::journal::record::{Explanation, Gap, NameVersion, SessionInfo, Unexplained};
use crate::journal::{journal_files, sessions_dir, TornLine};
use crate::journal::{Journal, JournalError};
use crate::quality::Quality;
use crate::store::STORE_DIR;

/// The workspace folders (folders with `.rationale/sessions/`) at or under `dir`, sorted. `dir`
/// may be a workspace folder, its `.rationale` folder, or a folder that holds many workspaces
/// (a team's collected folders) at any depth. Hidden folders other than `.rationale` and
/// symbolic links are not entered.
pub fn workspaces(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    if dir.file_name().is_some_and(|name| name == STORE_DIR) && dir.join(crate::store::SESSIONS_DIR).is_dir()
    {
        return Ok(vec![dir.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf)]);
    }
    std::fs::metadata(dir)?;
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        if sessions_dir(&folder).is_dir() {
            found.push(folder);
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&folder) else { continue };
        for entry in entries.flatten() {
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if !hidden && entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(entry.path());
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Every journal of the workspace folders, sorted by path.
pub fn journals_of(workspaces: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for workspace in workspaces {
        match journal_files(workspace) {
            Ok(found) => files.extend(found),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(err),
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

/// What a session's first record says about it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionMeta {
    pub id: String,
    pub author: String,
    /// The workspace folder's name.
    pub workspace: String,
    pub editor: NameVersion,
    pub started: String,
}

/// An explained change: a `rationale` record and where it stands.
#[derive(Clone, Debug)]
pub struct Pair {
    pub session: Arc<SessionMeta>,
    /// `<session>:<seq>`.
    pub id: String,
    pub seq: u64,
    /// The record's `ts`: when it was explained.
    pub explained_at: String,
    pub record: Explanation,
    /// The `quality` the record carries (journals written before it carry none).
    pub recorded_quality: Option<Quality>,
}

impl Pair {
    /// The rationale, trimmed as the server records it.
    pub fn rationale(&self) -> &str {
        self.record.text.as_deref().unwrap_or_default()
    }
}

/// One journal, read for its pairs.
#[derive(Debug, Default)]
pub struct JournalContent {
    pub session: Arc<SessionMeta>,
    pub pairs: Vec<Pair>,
    /// `skip` records.
    pub skips: Vec<Explanation>,
    /// `unexplained` records: changes still pending when the server stopped tracking them.
    pub unexplained: Vec<Unexplained>,
    /// Whether the journal has its `end` record.
    pub ended: bool,
    /// `gap` records: where the journal could not be written for a while.
    pub gaps: Vec<Gap>,
    pub torn: Option<TornLine>,
    /// The journal's chain, checked to its end: how many records carried one that held (none
    /// for a journal written before the chain), and its head for whoever needs it.
    pub chain: ChainCheck,
}

/// The `quality` field of a `rationale` record, read apart from the record (a field of another
/// shape reads as none: export and stats then compute the signals themselves).
#[derive(serde::Deserialize)]
struct RecordedQuality {
    #[serde(default, deserialize_with = "lenient_quality")]
    quality: Option<Quality>,
}

fn lenient_quality<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Quality>, D::Error> {
    let value = <serde_json::Value as serde::Deserialize>::deserialize(d)?;
    Ok(serde_json::from_value(value).ok())
}

/// Reads a journal's pairs, skips and unexplained changes, without replaying its edits, and checks
/// its chain (a break is an error, as damage is). `progress` hears how many bytes have been read
/// now and then.
pub fn read_journal(
    journal: &Journal,
    mut progress: impl FnMut(usize),
) -> Result<JournalContent, JournalError> {
    let mut content = JournalContent { torn: journal.torn().cloned(), ..JournalContent::default() };
    let mut records = journal.records();
    let mut chain = ChainCheck::new();
    while let Some(line) = records.next() {
        let line = line?;
        chain.line(journal, &line)?;
        let record = &line.record;
        match &*record.kind {
            "session" => {
                let session: SessionInfo = line.fields(journal.path())?;
                if session.session.is_empty() {
                    return Err(JournalError::invalid(
                        journal.path(),
                        line.number,
                        "the `session` record has no string `session`",
                    ));
                }
                content.session = Arc::new(SessionMeta {
                    id: session.session,
                    author: session.author,
                    workspace: session.workspace,
                    editor: session.client,
                    started: record.ts.to_string(),
                });
            }
            "rationale" => {
                let explanation: Explanation = line.fields(journal.path())?;
                let recorded_quality = serde_json::from_slice::<RecordedQuality>(line.raw)
                    .ok()
                    .and_then(|recorded| recorded.quality);
                let id = match explanation.pair.is_empty() {
                    true => format!("{}:{}", content.session.id, record.seq),
                    false => explanation.pair.clone(),
                };
                content.pairs.push(Pair {
                    session: content.session.clone(),
                    id,
                    seq: record.seq,
                    explained_at: record.ts.to_string(),
                    record: explanation,
                    recorded_quality,
                });
            }
            "skip" => content.skips.push(line.fields(journal.path())?),
            "unexplained" => content.unexplained.push(line.fields(journal.path())?),
            "end" => content.ended = true,
            "gap" => content.gaps.push(line.fields(journal.path())?),
            _ => {}
        }
        if records.line_number().is_multiple_of(4096) {
            progress(journal.len() - records.remaining_bytes());
        }
    }
    content.chain = chain;
    Ok(content)
}

/// The workspace folders and journals under the folders given on the command line. An error
/// names a folder that does not exist or holds no workspace.
pub fn gather(dirs: &[PathBuf]) -> Result<(Vec<PathBuf>, Vec<PathBuf>), String> {
    let mut all = Vec::new();
    for dir in dirs {
        let found = workspaces(dir).map_err(|err| format!("cannot read {}: {err}", dir.display()))?;
        if found.is_empty() {
            return Err(format!(
                "no journals under {} (looked for .rationale/sessions/ in it and in the folders below it)",
                dir.display()
            ));
        }
        all.extend(found);
    }
    all.sort();
    all.dedup();
    let journals = journals_of(&all).map_err(|err| format!("cannot list the journals: {err}"))?;
    Ok((all, journals))
}

/// The verdicts of every workspace folder, and the lines that could not be read.
pub fn reviews_of(workspaces: &[PathBuf]) -> (crate::reviews::Reviews, Vec<String>) {
    let mut reviews = crate::reviews::Reviews::default();
    let mut problems = Vec::new();
    for workspace in workspaces {
        let (found, more) = crate::reviews::Reviews::read(workspace);
        reviews.merge(found);
        problems.extend(more);
    }
    (reviews, problems)
}
