//! Where a workspace folder's journals are: `.rationale/sessions/`, one file per session.

use std::io;
use std::path::{Path, PathBuf};

/// Where the journals of a workspace folder live: `<folder>/.rationale/sessions`.
pub fn sessions_dir(workspace: &Path) -> PathBuf {
    workspace.join(crate::store::STORE_DIR).join(crate::store::SESSIONS_DIR)
}

/// The journals of a workspace folder (`.rationale/sessions/*.jsonl`), sorted by file name, which
/// sorts them by the time their session started. An error if the folder cannot be listed (a
/// workspace where nothing was ever recorded has no such folder: `io::ErrorKind::NotFound`).
pub fn journal_files(workspace: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(sessions_dir(workspace))? {
        let entry = entry?;
        let path = entry.path();
        if path.extension().is_some_and(|ext| ext == "jsonl") && entry.file_type()?.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The journal of session `session` in a workspace folder, or `None` if `session` cannot be a
/// session id. Session ids come from requests too, so one that could name a file outside the
/// sessions folder (a separator, `..`, a leading dot) is refused rather than joined.
pub fn session_journal(workspace: &Path, session: &str) -> Option<PathBuf> {
    let plausible = !session.is_empty()
        && !session.starts_with('.')
        && session.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    plausible.then(|| sessions_dir(workspace).join(format!("{session}.jsonl")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_that_could_leave_the_sessions_folder_are_refused() {
        let root = Path::new("/w");
        assert_eq!(
            session_journal(root, "20261126T083000Z-7f3a9c"),
            Some(PathBuf::from("/w/.rationale/sessions/20261126T083000Z-7f3a9c.jsonl"))
        );
        for bad in ["", "../x", "a/b", "..", ".hidden", "a\\b"] {
            assert_eq!(session_journal(root, bad), None, "{bad}");
        }
    }
}
