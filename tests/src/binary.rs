//! Where the `rationale` binary under test is.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The binary the tests run: `$RATIONALE_BIN`, else the release build, else the debug build.
///
/// Panics with the command to run when there is none: the tests do not build the server
/// themselves, so that `cargo test` never races a build of another crate.
pub fn path() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let found = locate();
        warn_if_stale(&found);
        found
    })
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives inside the workspace")
        .to_path_buf()
}

fn locate() -> PathBuf {
    if let Some(bin) = std::env::var_os("RATIONALE_BIN") {
        let bin = PathBuf::from(bin);
        assert!(bin.is_file(), "RATIONALE_BIN is set to {} but there is no file there", bin.display());
        return bin;
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| if dir.is_relative() { workspace_root().join(dir) } else { dir })
        .unwrap_or_else(|| workspace_root().join("target"));
    let candidates = [target.join("release/rationale"), target.join("debug/rationale")];
    for candidate in &candidates {
        if candidate.is_file() {
            return candidate.clone();
        }
    }
    panic!(
        "the rationale binary is missing: run `cargo build --release -p rationale` first \
         (or set RATIONALE_BIN to a built binary). Looked at: {}",
        candidates.iter().map(|c| c.display().to_string()).collect::<Vec<_>>().join(", ")
    );
}

/// Says so on stderr when the binary is older than the server's sources: a stale binary makes
/// every failure below misleading.
fn warn_if_stale(bin: &Path) {
    let Ok(built) = bin.metadata().and_then(|m| m.modified()) else {
        return;
    };
    let newest = newest_modification(&workspace_root().join("server"));
    if let Some(newest) = newest {
        if newest > built {
            eprintln!(
                "warning: {} is older than the server's sources; rebuild it with \
                 `cargo build --release -p rationale`",
                bin.display()
            );
        }
    }
}

fn newest_modification(dir: &Path) -> Option<std::time::SystemTime> {
    let mut newest = None;
    let entries = std::fs::read_dir(dir).ok()?;
    for entry in entries.flatten() {
        let path = entry.path();
        let candidate = if path.is_dir() {
            newest_modification(&path)
        } else {
            entry.metadata().and_then(|m| m.modified()).ok()
        };
        newest = newest.max(candidate);
    }
    newest
}
