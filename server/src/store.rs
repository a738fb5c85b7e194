//! The store: `<folder>/.rationale/`, where a workspace folder's journals (`sessions/`) and review
//! verdicts (`reviews/`) live. This module owns where they are, their permissions and the rule that
//! nothing is written through a symbolic link or outside the workspace folder.
//!
//! [`Store::open`] makes sure the folders exist and are safe; [`Store::create_journal`] and
//! [`Store::append_file`] hand out files to write. Every check is made again on each call, because
//! the folders can change under a long-running server.
//!
//! Permissions: folders this module creates are 0700 and files 0600, exactly (not left to the
//! umask). A `.rationale` that already exists, or a file in it that someone else made, keeps the
//! permissions it has: it was made by a person, a team's checkout or a tool that chose them, and
//! tightening it behind their back would break whatever sharing they set up. New journals are
//! 0600 whatever the folder allows, so their content stays private either way.
//!
//! Threat model: the symlink checks protect against a workspace that arrives with a planted link
//! (a cloned repository whose `.rationale` points at `~/.ssh` or `/etc`). They are path checks
//! followed by `O_NOFOLLOW` opens, not a descent with `openat`: someone able to swap folders inside
//! the workspace while the server runs can already change the code being edited, so racing them is
//! not a line worth defending.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The store's folder name inside a workspace folder.
pub const STORE_DIR: &str = ".rationale";
/// One journal per server process and workspace folder: `sessions/<session>.jsonl`.
pub const SESSIONS_DIR: &str = "sessions";
/// Review verdicts: `reviews/<reviewer>.jsonl`.
pub const REVIEWS_DIR: &str = "reviews";
/// The extension of journals and review files.
pub const JOURNAL_EXTENSION: &str = "jsonl";

/// The `.rationale` folder of one workspace folder, checked and ready to write into.
#[derive(Debug, Clone)]
pub struct Store {
    /// The workspace folder, canonical: every path written must resolve below it.
    folder: PathBuf,
    /// `<folder>/.rationale`.
    dir: PathBuf,
}

/// Why nothing was written. The message names the path at fault and says what is wrong with it.
#[derive(Debug)]
pub enum StoreError {
    /// The workspace folder itself cannot be resolved (it does not exist, or cannot be read).
    Folder { folder: PathBuf, source: io::Error },
    /// A path the store would write through is a symbolic link.
    Symlink { path: PathBuf },
    /// A path resolves outside the workspace folder.
    Outside { path: PathBuf, resolved: PathBuf, folder: PathBuf },
    /// A path that must be a folder is something else (a regular file, say).
    NotAFolder { path: PathBuf },
    /// A path that must be a regular file is something else (a folder, a FIFO, a device).
    NotAFile { path: PathBuf },
    /// A file to append to has other hard links, so it may be a file outside the workspace.
    HardLinked { path: PathBuf },
    /// A journal of that name exists already; journals are only ever created new.
    AlreadyExists { path: PathBuf },
    /// A session id or relative path that is not a plain name inside the store.
    BadName { name: String, reason: &'static str },
    /// The file system refused (read-only, no permission, full disk, ...).
    Io { path: PathBuf, action: &'static str, source: io::Error },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Folder { folder, source } => write!(
                f,
                "not writing to {}: the workspace folder cannot be opened ({source})",
                folder.join(STORE_DIR).display()
            ),
            Self::Symlink { path } => write!(
                f,
                "not writing to {}: it is a symbolic link, and Rationale never writes through one",
                path.display()
            ),
            Self::Outside { path, resolved, folder } => write!(
                f,
                "not writing to {}: it resolves to {}, outside the workspace folder {}",
                path.display(),
                resolved.display(),
                folder.display()
            ),
            Self::NotAFolder { path } => {
                write!(f, "not writing to {}: it is not a folder", path.display())
            }
            Self::NotAFile { path } => {
                write!(f, "not writing to {}: it is not a regular file", path.display())
            }
            Self::HardLinked { path } => write!(
                f,
                "not writing to {}: it has other hard links, so it may be a file outside the workspace",
                path.display()
            ),
            Self::AlreadyExists { path } => write!(
                f,
                "not writing to {}: it already exists, and a journal is only ever created new",
                path.display()
            ),
            Self::BadName { name, reason } => {
                write!(f, "not writing to {STORE_DIR}/{name}: {reason}")
            }
            Self::Io { path, action, source } => {
                write!(f, "not writing to {}: cannot {action} it ({source})", path.display())
            }
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Folder { source, .. } | Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl Store {
    /// Opens the store of a workspace folder, creating `<folder>/.rationale` (0700) with a
    /// `.gitignore` holding `*` if it does not exist, and `sessions/` and `reviews/` (0700).
    ///
    /// The `.gitignore` is written only when this call creates `.rationale`: a team that deleted
    /// it to commit the data does not get it back.
    pub fn open(folder: &Path) -> Result<Store, StoreError> {
        let root = folder
            .canonicalize()
            .map_err(|source| StoreError::Folder { folder: folder.to_owned(), source })?;
        if !root.is_dir() {
            return Err(StoreError::NotAFolder { path: root });
        }
        let store = Store { dir: root.join(STORE_DIR), folder: root };
        store.ensure_store_dir()?;
        store.subfolder(&[SESSIONS_DIR])?;
        store.subfolder(&[REVIEWS_DIR])?;
        Ok(store)
    }

    /// The workspace folder (canonical).
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// `<folder>/.rationale`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the journal of `session` lives (whether or not it exists).
    pub fn journal_path(&self, session: &str) -> PathBuf {
        self.dir.join(SESSIONS_DIR).join(format!("{session}.{JOURNAL_EXTENSION}"))
    }

    /// Creates `sessions/<session>.jsonl`: a new file (never an existing one), 0600, opened for
    /// reading and appending, never through a symbolic link.
    pub fn create_journal(&self, session: &str) -> Result<File, StoreError> {
        check_name(session)?;
        let dir = self.subfolder(&[SESSIONS_DIR])?;
        let path = self.journal_path(session);
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => return Err(StoreError::Symlink { path }),
            Ok(_) => return Err(StoreError::AlreadyExists { path }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(StoreError::Io { path, action: "inspect", source }),
        }
        // O_EXCL: a file that appeared since the check (even a dangling link) is refused, never
        // opened.
        // Readable too: the writer copies the journal from it when the file is deleted under it.
        let file = os::private_file_options()
            .read(true)
            .append(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| open_error(path.clone(), "create", e))?;
        os::set_private(&file, &path)?;
        // The journal's records are synced as they are written; its name in the folder must be
        // too, or a crash could lose the whole file.
        os::sync_dir(&dir);
        Ok(file)
    }

    /// Opens `relative` (for example `reviews/alice.jsonl`) for appending, creating it 0600 if it
    /// does not exist, never through a symbolic link. Missing folders on the way are created
    /// 0700. Callers sanitize names they build from user input; this refuses `..`, absolute
    /// paths and anything else that is not a plain path inside the store all the same.
    pub fn append_file(&self, relative: &str) -> Result<File, StoreError> {
        let parts = split_relative(relative)?;
        let (name, folders) = parts.split_last().expect("split_relative returns a name");
        let dir = self.subfolder(folders)?;
        let path = dir.join(name);
        let existed = match fs::symlink_metadata(&path) {
            Ok(meta) => {
                check_appendable(&path, &meta)?;
                true
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => false,
            Err(source) => return Err(StoreError::Io { path, action: "inspect", source }),
        };
        let file = os::private_file_options()
            .append(true)
            .create(true)
            .open(&path)
            .map_err(|e| open_error(path.clone(), "open", e))?;
        // What was opened is what counts: check it again, without following anything.
        let meta = file.metadata().map_err(|source| StoreError::Io {
            path: path.clone(),
            action: "inspect",
            source,
        })?;
        check_appendable(&path, &meta)?;
        if !existed {
            os::set_private(&file, &path)?;
            os::sync_dir(&dir);
        }
        Ok(file)
    }

    /// Writes `relative` (for example `index/<session>.idx`) whole: into a new temporary file
    /// beside it (0600, never through a symbolic link), then renamed over it, so that a reader
    /// sees the old file or the new one, never half of one. For files made from others, which
    /// can be made again: nothing is synced.
    pub fn replace_file(&self, relative: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let parts = split_relative(relative)?;
        let (name, folders) = parts.split_last().expect("split_relative returns a name");
        let dir = self.subfolder(folders)?;
        let path = dir.join(name);
        let temporary = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let _ = fs::remove_file(&temporary);
        let mut file = os::private_file_options()
            .write(true)
            .create_new(true)
            .open(&temporary)
            .map_err(|e| open_error(temporary.clone(), "create", e))?;
        os::set_private(&file, &temporary)?;
        let written = file.write_all(bytes).and_then(|()| fs::rename(&temporary, &path));
        written.map_err(|source| {
            let _ = fs::remove_file(&temporary);
            StoreError::Io { path, action: "write", source }
        })
    }

    /// Makes sure `.rationale` is a real folder inside the workspace, creating it (with its
    /// `.gitignore`) if it is missing, as it is when someone deleted it while the server ran.
    fn ensure_store_dir(&self) -> Result<(), StoreError> {
        if ensure_dir(&self.dir)? {
            write_gitignore(&self.dir)?;
        }
        self.check_inside(&self.dir)
    }

    /// Makes sure each of `folders`, nested in `.rationale`, is a real folder inside the
    /// workspace, creating any that is missing; returns the innermost.
    fn subfolder(&self, folders: &[&str]) -> Result<PathBuf, StoreError> {
        self.ensure_store_dir()?;
        let mut dir = self.dir.clone();
        for folder in folders {
            dir.push(folder);
            ensure_dir(&dir)?;
        }
        self.check_inside(&dir)?;
        Ok(dir)
    }

    /// Refuses a folder whose real path is outside the workspace folder. With no symbolic link
    /// below the workspace this cannot happen; it is the check that does not depend on having
    /// thought of every way a path can be redirected.
    fn check_inside(&self, path: &Path) -> Result<(), StoreError> {
        let resolved = path.canonicalize().map_err(|source| StoreError::Io {
            path: path.to_owned(),
            action: "resolve",
            source,
        })?;
        if resolved.starts_with(&self.folder) {
            Ok(())
        } else {
            Err(StoreError::Outside { path: path.to_owned(), resolved, folder: self.folder.clone() })
        }
    }
}

/// Makes sure `path` is a real folder (not a link to one), creating it 0700 if it is missing.
/// Returns whether it was created. The parent has been checked already, so only `path` itself
/// is looked at.
fn ensure_dir(path: &Path) -> Result<bool, StoreError> {
    match fs::symlink_metadata(path) {
        Ok(meta) => return existing_dir(path, &meta).map(|()| false),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(inspect_error(path, e)),
    }
    match os::private_dir_builder().create(path) {
        Ok(()) => {
            os::set_dir_private(path)?;
            if let Some(parent) = path.parent() {
                os::sync_dir(parent);
            }
            Ok(true)
        }
        // Someone made it between the check and now: judge what they made.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let meta = fs::symlink_metadata(path).map_err(|e| inspect_error(path, e))?;
            existing_dir(path, &meta).map(|()| false)
        }
        Err(source) => Err(StoreError::Io { path: path.to_owned(), action: "create", source }),
    }
}

fn existing_dir(path: &Path, meta: &fs::Metadata) -> Result<(), StoreError> {
    if meta.file_type().is_symlink() {
        Err(StoreError::Symlink { path: path.to_owned() })
    } else if meta.is_dir() {
        Ok(())
    } else {
        Err(StoreError::NotAFolder { path: path.to_owned() })
    }
}

/// An error from looking at `path`: "not a directory" means a parent on the way is a file.
fn inspect_error(path: &Path, source: io::Error) -> StoreError {
    if os::is_not_a_directory(&source) {
        if let Some(parent) = path.parent() {
            return StoreError::NotAFolder { path: parent.to_owned() };
        }
    }
    StoreError::Io { path: path.to_owned(), action: "inspect", source }
}

fn open_error(path: PathBuf, action: &'static str, source: io::Error) -> StoreError {
    if os::is_symlink_refusal(&source) {
        StoreError::Symlink { path }
    } else if source.kind() == io::ErrorKind::AlreadyExists {
        StoreError::AlreadyExists { path }
    } else if os::is_fifo_refusal(&source) {
        StoreError::NotAFile { path }
    } else {
        StoreError::Io { path, action, source }
    }
}

fn check_appendable(path: &Path, meta: &fs::Metadata) -> Result<(), StoreError> {
    if meta.file_type().is_symlink() {
        Err(StoreError::Symlink { path: path.to_owned() })
    } else if !meta.is_file() {
        Err(StoreError::NotAFile { path: path.to_owned() })
    } else if os::link_count(meta) > 1 {
        Err(StoreError::HardLinked { path: path.to_owned() })
    } else {
        Ok(())
    }
}

fn write_gitignore(dir: &Path) -> Result<(), StoreError> {
    let path = dir.join(".gitignore");
    let mut file = match os::private_file_options().write(true).create_new(true).open(&path) {
        Ok(file) => file,
        // Whoever made it first decided its content.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(()),
        Err(e) => return Err(open_error(path, "create", e)),
    };
    os::set_private(&file, &path)?;
    file.write_all(b"*\n").map_err(|source| StoreError::Io { path, action: "write", source })
}

/// A session id must be one plain file name.
fn check_name(name: &str) -> Result<(), StoreError> {
    let bad = |reason| Err(StoreError::BadName { name: name.to_owned(), reason });
    if name.is_empty() {
        return bad("the name is empty");
    }
    if name.len() > 200 {
        return bad("the name is longer than 200 bytes");
    }
    if name.starts_with('.') {
        return bad("a name may not start with `.`");
    }
    if name.chars().any(|c| matches!(c, '/' | '\\' | ':') || c.is_control()) {
        return bad("a name may not hold `/`, `\\`, `:` or control characters");
    }
    Ok(())
}

/// Splits a store-relative path into plain names, refusing anything that could leave the store.
fn split_relative(relative: &str) -> Result<Vec<&str>, StoreError> {
    let bad = |reason| StoreError::BadName { name: relative.to_owned(), reason };
    if relative.starts_with('/') || relative.starts_with('\\') || Path::new(relative).is_absolute() {
        return Err(bad("the path must be relative to the store, not absolute"));
    }
    let parts: Vec<&str> = relative.split('/').collect();
    if parts.contains(&"..") {
        return Err(bad("the path may not contain `..`"));
    }
    for part in &parts {
        if part.is_empty() {
            return Err(bad("the path has an empty name in it"));
        }
        check_name(part).map_err(|_| bad("each name in the path must be a plain file name"))?;
    }
    Ok(parts)
}

/// What differs between platforms: modes, `O_NOFOLLOW` and hard-link counts exist on Unix only.
#[cfg(unix)]
mod os {
    use std::fs::{self, DirBuilder, File, OpenOptions, Permissions};
    use std::io;
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
    use std::path::Path;

    use super::StoreError;

    const DIR_MODE: u32 = 0o700;
    const FILE_MODE: u32 = 0o600;

    pub fn private_dir_builder() -> DirBuilder {
        let mut builder = DirBuilder::new();
        builder.mode(DIR_MODE);
        builder
    }

    /// Options that never open through a symbolic link (`O_NOFOLLOW`) and never block on a FIFO
    /// planted where a file should be (`O_NONBLOCK`, which changes nothing for regular files).
    pub fn private_file_options() -> OpenOptions {
        let mut options = OpenOptions::new();
        options.mode(FILE_MODE).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
        options
    }

    /// Sets a new file's mode exactly: the mode given at creation is narrowed by the umask.
    pub fn set_private(file: &File, path: &Path) -> Result<(), StoreError> {
        file.set_permissions(Permissions::from_mode(FILE_MODE)).map_err(|source| StoreError::Io {
            path: path.to_owned(),
            action: "set the permissions of",
            source,
        })
    }

    /// Sets a new folder's mode exactly, through a handle opened without following links.
    pub fn set_dir_private(path: &Path) -> Result<(), StoreError> {
        let io_error =
            |source| StoreError::Io { path: path.to_owned(), action: "set the permissions of", source };
        let dir = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_DIRECTORY)
            .open(path)
            .map_err(|e| super::open_error(path.to_owned(), "open", e))?;
        dir.set_permissions(Permissions::from_mode(DIR_MODE)).map_err(io_error)
    }

    /// Makes a folder's entries durable. Best effort: a file system that cannot sync folders
    /// still holds the data.
    pub fn sync_dir(path: &Path) {
        if let Ok(dir) = File::open(path) {
            let _ = dir.sync_all();
        }
    }

    pub fn is_symlink_refusal(e: &io::Error) -> bool {
        e.raw_os_error() == Some(libc::ELOOP)
    }

    pub fn is_fifo_refusal(e: &io::Error) -> bool {
        e.raw_os_error() == Some(libc::ENXIO)
    }

    pub fn is_not_a_directory(e: &io::Error) -> bool {
        e.raw_os_error() == Some(libc::ENOTDIR)
    }

    pub fn link_count(meta: &fs::Metadata) -> u64 {
        meta.nlink()
    }
}

#[cfg(not(unix))]
mod os {
    use std::fs::{self, DirBuilder, File, OpenOptions};
    use std::io;
    use std::path::Path;

    use super::StoreError;

    pub fn private_dir_builder() -> DirBuilder {
        DirBuilder::new()
    }

    pub fn private_file_options() -> OpenOptions {
        OpenOptions::new()
    }

    pub fn set_private(_file: &File, _path: &Path) -> Result<(), StoreError> {
        Ok(())
    }

    pub fn set_dir_private(_path: &Path) -> Result<(), StoreError> {
        Ok(())
    }

    pub fn sync_dir(_path: &Path) {}

    pub fn is_symlink_refusal(_e: &io::Error) -> bool {
        false
    }

    pub fn is_fifo_refusal(_e: &io::Error) -> bool {
        false
    }

    pub fn is_not_a_directory(_e: &io::Error) -> bool {
        false
    }

    pub fn link_count(_meta: &fs::Metadata) -> u64 {
        1
    }
}

/// Temporary folders for this crate's tests, removed when dropped.
#[cfg(test)]
pub(crate) mod scratch {
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicU32, Ordering};

    pub struct ScratchDir(PathBuf);

    impl ScratchDir {
        pub fn new(label: &str) -> Self {
            static NEXT: AtomicU32 = AtomicU32::new(0);
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir().join(format!("rationale-{label}-{}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).expect("creating a scratch folder");
            // Canonical, so that paths the code under test resolves compare equal.
            Self(path.canonicalize().expect("resolving a scratch folder"))
        }

        pub fn path(&self) -> &Path {
            &self.0
        }

        /// Writes `content` to `relative`, creating the folders on the way.
        pub fn write(&self, relative: &str, content: &str) -> PathBuf {
            let path = self.0.join(relative);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, content).unwrap();
            path
        }
    }

    impl Drop for ScratchDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::scratch::ScratchDir;
    use super::*;
    use std::io::Read;
    use std::os::unix::fs::{symlink, PermissionsExt};

    fn mode(path: &Path) -> u32 {
        fs::symlink_metadata(path).unwrap().permissions().mode() & 0o7777
    }

    fn read(path: &Path) -> String {
        let mut text = String::new();
        File::open(path).unwrap().read_to_string(&mut text).unwrap();
        text
    }

    /// Everything below `dir`, as sorted relative paths: to show that nothing was written.
    fn tree(dir: &Path) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_owned()];
        while let Some(next) = stack.pop() {
            for entry in fs::read_dir(&next).unwrap() {
                let path = entry.unwrap().path();
                out.push(path.strip_prefix(dir).unwrap().display().to_string());
                if fs::symlink_metadata(&path).unwrap().is_dir() {
                    stack.push(path);
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn a_fresh_store_has_private_folders_and_ignores_itself() {
        let ws = ScratchDir::new("store-fresh");
        let store = Store::open(ws.path()).unwrap();
        let dir = ws.path().join(".rationale");
        assert_eq!(store.dir(), dir);
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("sessions")), 0o700);
        assert_eq!(mode(&dir.join("reviews")), 0o700);
        assert_eq!(read(&dir.join(".gitignore")), "*\n");
        assert_eq!(mode(&dir.join(".gitignore")), 0o600);

        let mut journal = store.create_journal("20261126T083000Z-7f3a9c").unwrap();
        let path = dir.join("sessions/20261126T083000Z-7f3a9c.jsonl");
        assert_eq!(mode(&path), 0o600);
        journal.write_all(b"{\"seq\":0}\n").unwrap();
        journal.write_all(b"{\"seq\":1}\n").unwrap();
        assert_eq!(read(&path), "{\"seq\":0}\n{\"seq\":1}\n");
    }

    #[test]
    fn an_existing_store_is_reused_and_its_deleted_gitignore_stays_deleted() {
        let ws = ScratchDir::new("store-reuse");
        let store = Store::open(ws.path()).unwrap();
        store.create_journal("first").unwrap().write_all(b"kept\n").unwrap();
        fs::remove_file(ws.path().join(".rationale/.gitignore")).unwrap();

        let again = Store::open(ws.path()).unwrap();
        assert!(!ws.path().join(".rationale/.gitignore").exists());
        assert_eq!(read(&again.journal_path("first")), "kept\n");
        assert!(matches!(again.create_journal("first"), Err(StoreError::AlreadyExists { .. })));
        assert_eq!(read(&again.journal_path("first")), "kept\n");
    }

    #[test]
    fn an_existing_store_keeps_the_permissions_it_was_given() {
        let ws = ScratchDir::new("store-perms");
        let dir = ws.path().join(".rationale");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        let store = Store::open(ws.path()).unwrap();
        assert_eq!(mode(&dir), 0o755);
        assert!(!dir.join(".gitignore").exists(), "only a store it creates gets a .gitignore");
        store.create_journal("s").unwrap();
        assert_eq!(mode(&store.journal_path("s")), 0o600);
    }

    #[test]
    fn missing_subfolders_are_made_again() {
        let ws = ScratchDir::new("store-deleted");
        let store = Store::open(ws.path()).unwrap();
        fs::remove_dir_all(store.dir()).unwrap();
        store.create_journal("after").unwrap();
        assert!(store.journal_path("after").is_file());
        assert_eq!(read(&store.dir().join(".gitignore")), "*\n");
        assert!(!store.dir().join("reviews").exists());
        store.append_file("reviews/alice.jsonl").unwrap();
        assert_eq!(mode(&store.dir().join("reviews")), 0o700);
    }

    #[test]
    fn a_symlinked_store_is_refused_wherever_it_points() {
        let outside = ScratchDir::new("store-link-target");
        let ws = ScratchDir::new("store-link");
        let inside = ws.path().join("elsewhere");
        fs::create_dir(&inside).unwrap();
        for target in [inside.as_path(), outside.path()] {
            let link = ws.path().join(".rationale");
            let _ = fs::remove_file(&link);
            symlink(target, &link).unwrap();
            let err = Store::open(ws.path()).unwrap_err();
            assert!(matches!(&err, StoreError::Symlink { path } if *path == link), "{err}");
            assert_eq!(
                err.to_string(),
                format!(
                    "not writing to {}: it is a symbolic link, and Rationale never writes through one",
                    link.display()
                )
            );
            assert!(tree(target).is_empty(), "nothing written through the link");
        }
    }

    #[test]
    fn a_symlinked_sessions_folder_is_refused() {
        let outside = ScratchDir::new("store-sessions-target");
        let ws = ScratchDir::new("store-sessions");
        let store = Store::open(ws.path()).unwrap();
        let sessions = store.dir().join("sessions");
        fs::remove_dir(&sessions).unwrap();
        symlink(outside.path(), &sessions).unwrap();

        let err = store.create_journal("s").unwrap_err();
        assert!(matches!(&err, StoreError::Symlink { path } if *path == sessions), "{err}");
        assert!(matches!(Store::open(ws.path()), Err(StoreError::Symlink { .. })));
        assert!(tree(outside.path()).is_empty());
    }

    #[test]
    fn a_symlinked_reviews_folder_is_refused() {
        let outside = ScratchDir::new("store-reviews-target");
        let ws = ScratchDir::new("store-reviews");
        let store = Store::open(ws.path()).unwrap();
        let reviews = store.dir().join("reviews");
        fs::remove_dir(&reviews).unwrap();
        symlink(outside.path(), &reviews).unwrap();
        assert!(matches!(store.append_file("reviews/a.jsonl"), Err(StoreError::Symlink { .. })));
        assert!(tree(outside.path()).is_empty());
    }

    #[test]
    fn a_journal_planted_as_a_symlink_is_refused() {
        let outside = ScratchDir::new("store-planted-target");
        let victim = outside.write("victim.txt", "precious\n");
        let ws = ScratchDir::new("store-planted");
        let store = Store::open(ws.path()).unwrap();

        symlink(&victim, store.journal_path("taken")).unwrap();
        let err = store.create_journal("taken").unwrap_err();
        assert!(matches!(err, StoreError::Symlink { .. }), "{err}");
        assert_eq!(read(&victim), "precious\n");

        // A dangling link is refused too, and creates nothing where it points.
        let missing = outside.path().join("would-be-created");
        symlink(&missing, store.journal_path("dangling")).unwrap();
        assert!(matches!(store.create_journal("dangling"), Err(StoreError::Symlink { .. })));
        assert!(!missing.exists());
    }

    #[test]
    fn review_files_are_created_private_then_appended_to() {
        let ws = ScratchDir::new("store-append");
        let store = Store::open(ws.path()).unwrap();
        store.append_file("reviews/alice.jsonl").unwrap().write_all(b"one\n").unwrap();
        store.append_file("reviews/alice.jsonl").unwrap().write_all(b"two\n").unwrap();
        let path = store.dir().join("reviews/alice.jsonl");
        assert_eq!(read(&path), "one\ntwo\n");
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn append_refuses_paths_that_leave_the_store() {
        let ws = ScratchDir::new("store-names");
        let store = Store::open(ws.path()).unwrap();
        for bad in [
            "",
            "../escape.jsonl",
            "reviews/../../escape.jsonl",
            "/etc/passwd",
            "reviews//a.jsonl",
            "reviews/",
            "reviews/..",
            ".gitignore",
            "reviews/a\\b.jsonl",
            "reviews/new\nline.jsonl",
        ] {
            let err = store.append_file(bad).unwrap_err();
            assert!(matches!(err, StoreError::BadName { .. }), "{bad:?}: {err}");
        }
        assert!(!ws.path().join("escape.jsonl").exists());
        for bad in ["", "../x", "a/b", ".hidden"] {
            assert!(matches!(store.create_journal(bad), Err(StoreError::BadName { .. })), "{bad:?}");
        }
    }

    #[test]
    fn append_refuses_planted_links_fifos_and_folders() {
        let outside = ScratchDir::new("store-append-target");
        let victim = outside.write("victim.txt", "precious\n");
        let ws = ScratchDir::new("store-append-planted");
        let store = Store::open(ws.path()).unwrap();
        let reviews = store.dir().join("reviews");

        symlink(&victim, reviews.join("link.jsonl")).unwrap();
        assert!(matches!(store.append_file("reviews/link.jsonl"), Err(StoreError::Symlink { .. })));

        fs::hard_link(&victim, reviews.join("hard.jsonl")).unwrap();
        assert!(matches!(store.append_file("reviews/hard.jsonl"), Err(StoreError::HardLinked { .. })));
        assert_eq!(read(&victim), "precious\n");

        let fifo =
            std::ffi::CString::new(reviews.join("fifo.jsonl").into_os_string().into_encoded_bytes()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        // Must answer at once rather than wait for a reader.
        assert!(matches!(store.append_file("reviews/fifo.jsonl"), Err(StoreError::NotAFile { .. })));

        fs::create_dir(reviews.join("dir.jsonl")).unwrap();
        assert!(matches!(store.append_file("reviews/dir.jsonl"), Err(StoreError::NotAFile { .. })));
    }

    #[test]
    fn a_store_that_resolves_outside_the_folder_is_refused() {
        // With every link refused this cannot happen through the public calls; check the last
        // line of defence directly.
        let ws = ScratchDir::new("store-outside");
        let other = ScratchDir::new("store-outside-other");
        let store = Store { folder: ws.path().to_owned(), dir: other.path().join(".rationale") };
        let err = store.subfolder(&["sessions"]).unwrap_err();
        assert!(matches!(err, StoreError::Outside { .. }), "{err}");
        assert!(err.to_string().contains("outside the workspace folder"), "{err}");
    }

    #[test]
    fn an_unusable_folder_is_a_clear_error() {
        let ws = ScratchDir::new("store-unusable");

        let missing = ws.path().join("missing");
        let err = Store::open(&missing).unwrap_err();
        assert!(matches!(err, StoreError::Folder { .. }), "{err}");
        assert!(err.to_string().contains("the workspace folder cannot be opened"), "{err}");

        // A "folder" that is a regular file: nothing can be created below it.
        let file = ws.write("plain-file", "");
        let err = Store::open(&file).unwrap_err();
        assert!(matches!(&err, StoreError::NotAFolder { path } if *path == file), "{err}");

        // A `.rationale` that is a regular file, and a `sessions` that is one.
        let other = ScratchDir::new("store-unusable-file");
        other.write(".rationale", "");
        let err = Store::open(other.path()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("not writing to {}: it is not a folder", other.path().join(".rationale").display())
        );
        fs::remove_file(other.path().join(".rationale")).unwrap();
        other.write(".rationale/sessions", "");
        assert!(matches!(Store::open(other.path()), Err(StoreError::NotAFolder { .. })));
    }

    #[test]
    fn a_read_only_folder_is_a_clear_error() {
        // Root ignores permission bits, so a chmod-ed folder only proves anything for other
        // users; /proc refuses new entries even to root.
        if Path::new("/proc/self").is_dir() {
            let err = Store::open(Path::new("/proc")).unwrap_err();
            assert!(matches!(err, StoreError::Io { action: "create", .. }), "{err}");
            assert!(err.to_string().starts_with("not writing to /proc/.rationale: cannot create it"));
        }
        if unsafe { libc::geteuid() } != 0 {
            let ws = ScratchDir::new("store-readonly");
            fs::set_permissions(ws.path(), fs::Permissions::from_mode(0o555)).unwrap();
            let result = Store::open(ws.path());
            fs::set_permissions(ws.path(), fs::Permissions::from_mode(0o755)).unwrap();
            assert!(matches!(result, Err(StoreError::Io { action: "create", .. })));
        }
    }
}
