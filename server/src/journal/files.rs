//! Where a workspace folder's journals are and what they are called: `.rationale/sessions/`, one
//! file per session, named by the session's id.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use time::{OffsetDateTime, UtcOffset};

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

/// A new session id: the UTC time to the second, then six hex digits, e.g.
/// `20261126T083000Z-7f3a9c`. Ids sort by the time their session started.
///
/// The suffix starts at a random value per process and counts up, so ids made by one process
/// never repeat (up to 16 million a second), and two processes starting in the same second
/// collide with odds of one in 16 million; [`crate::store::Store::create_journal`] refuses a name that exists.
pub fn new_session_id() -> String {
    session_id_at(OffsetDateTime::now_utc(), next_suffix())
}

fn session_id_at(at: OffsetDateTime, suffix: u32) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z-{:06x}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        suffix & 0xff_ffff
    )
}

fn next_suffix() -> u32 {
    static START: OnceLock<u32> = OnceLock::new();
    static COUNT: AtomicU32 = AtomicU32::new(0);
    let start = *START.get_or_init(rand::random::<u32>);
    start.wrapping_add(COUNT.fetch_add(1, Ordering::Relaxed)) & 0xff_ffff
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

    #[test]
    fn session_ids_have_the_spec_format_and_sort_by_time() {
        use time::macros::datetime;
        assert_eq!(
            session_id_at(datetime!(2026-11-26 08:30:00.999 UTC), 0x7f3a9c),
            "20261126T083000Z-7f3a9c"
        );
        // Local offsets are turned into UTC.
        assert_eq!(session_id_at(datetime!(2026-11-26 09:30:00 +01:00), 0x1), "20261126T083000Z-000001");
        let earlier = session_id_at(datetime!(2026-11-26 08:30:59 UTC), 0xffffff);
        let later = session_id_at(datetime!(2026-11-26 08:31:00 UTC), 0x000000);
        assert!(earlier < later);

        let id = new_session_id();
        assert_eq!(id.len(), "20261126T083000Z-7f3a9c".len(), "{id}");
        assert!(session_journal(Path::new("/w"), &id).is_some(), "{id}");
        let (stamp, suffix) = id.split_once('-').unwrap();
        assert!(stamp.ends_with('Z') && stamp.as_bytes()[8] == b'T', "{id}");
        assert!(suffix.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "{id}");
    }

    #[test]
    fn session_ids_are_unique() {
        let ids: std::collections::HashSet<String> = (0..10_000).map(|_| new_session_id()).collect();
        assert_eq!(ids.len(), 10_000);
    }
}
