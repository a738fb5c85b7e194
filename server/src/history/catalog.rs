//! The sessions recorded in the workspace folders: listing them for `rationale/sessions`, and
//! finding the journal of one by its id.

use std::path::{Path, PathBuf};

use super::{HistoryError, Result};
use crate::journal::summary::{summarize_workspace, SessionSummary};
use crate::journal::{session_journal, JournalErrorKind};
use crate::reviews::Reviews;

/// A session as `rationale/sessions` lists it.
#[derive(Clone, Debug)]
pub struct Listed {
    pub summary: SessionSummary,
    /// How many of its pairs have at least one verdict.
    pub reviewed: u64,
    /// The workspace folder's name.
    pub workspace: String,
    /// The workspace folder's path: one server writes a journal per folder under one session id,
    /// so the id alone may name several journals.
    pub folder: PathBuf,
}

/// Every session of every folder, oldest first, and a sentence for each journal that could not be
/// read (`FILE:LINE: why`). A journal that has no complete line yet (a server that is starting)
/// is neither.
pub fn list(folders: &[PathBuf]) -> (Vec<Listed>, Vec<String>) {
    let mut listed = Vec::new();
    let mut problems = Vec::new();
    for folder in folders {
        let (sessions, errors) = summarize_workspace(folder);
        let (reviews, review_problems) = Reviews::read(folder);
        problems.extend(review_problems);
        problems.extend(
            errors
                .iter()
                .filter(|e| !matches!(e.kind, JournalErrorKind::NoSession { found: None }))
                .map(ToString::to_string),
        );
        let workspace = folder.file_name().map_or_else(|| "/".into(), |n| n.to_string_lossy().into_owned());
        for summary in sessions {
            let reviewed = summary
                .pair_seqs
                .iter()
                .filter(|seq| reviews.latest(&format!("{}:{seq}", summary.id)).is_some())
                .count() as u64;
            listed.push(Listed { summary, reviewed, workspace: workspace.clone(), folder: folder.clone() });
        }
    }
    listed.sort_by(|a, b| {
        (&a.summary.started, &a.summary.id, &a.folder).cmp(&(&b.summary.started, &b.summary.id, &b.folder))
    });
    (listed, problems)
}

/// A session's journal and the folder it belongs to.
#[derive(Clone, Debug)]
pub struct SessionFile {
    pub id: String,
    pub folder: PathBuf,
    pub journal: PathBuf,
}

/// The journal of session `id`: in `folder` when given, else in the first workspace folder that
/// has one, else in the first workspace under one that has one. `folder` is a workspace folder or a workspace under one (a team's collected folder of
/// workspaces, as the queue finds them); a folder outside every workspace folder is not looked in.
pub fn find(folders: &[PathBuf], id: &str, folder: Option<&Path>) -> Result<SessionFile> {
    let wanted: Vec<PathBuf> = match folder {
        None => folders.to_vec(),
        Some(wanted) if folders.iter().any(|root| root == wanted) => vec![wanted.to_owned()],
        Some(wanted) if is_inside(folders, wanted) => vec![wanted.to_owned()],
        Some(_) => Vec::new(),
    };
    let in_folder = |root: PathBuf| {
        let journal = session_journal(&root, id)?;
        journal.is_file().then(|| SessionFile { id: id.to_owned(), folder: root, journal })
    };
    let found = wanted.into_iter().find_map(in_folder).or_else(|| {
        // Not in a workspace folder itself: in a workspace under one (a team's collected folder).
        let under = folders.iter().filter_map(|root| crate::dataset::workspaces(root).ok()).flatten();
        folder.is_none().then(|| under.filter(|w| !folders.contains(w)).find_map(in_folder)).flatten()
    });
    found.ok_or_else(|| HistoryError::UnknownSession(id.to_owned()))
}

/// Whether `folder` is under one of `roots` once links and `..` are resolved: a request cannot
/// name its way out of the workspace folders.
fn is_inside(roots: &[PathBuf], folder: &Path) -> bool {
    let Ok(folder) = folder.canonicalize() else { return false };
    roots.iter().filter_map(|root| root.canonicalize().ok()).any(|root| folder.starts_with(root))
}
