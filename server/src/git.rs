//! What the session record says about the workspace's git state. Git is asked, never parsed by
//! hand, and a folder that is not a work tree (or a machine without git) simply has no state.

use std::path::Path;
use std::process::Command;

use crate::journal::record::GitState;

fn git(folder: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git").arg("-C").arg(folder).args(args).output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The head commit, branch and dirtiness of the work tree at `folder`, if it is one.
pub fn state(folder: &Path) -> Option<GitState> {
    if git(folder, &["rev-parse", "--is-inside-work-tree"])? != "true" {
        return None;
    }
    let head = git(folder, &["rev-parse", "HEAD"]);
    let branch = git(folder, &["symbolic-ref", "--quiet", "--short", "HEAD"]);
    let dirty = git(folder, &["status", "--porcelain", "--untracked-files=no"])
        .is_some_and(|status| !status.is_empty());
    Some(GitState { head, branch, dirty })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_folder_has_no_git_state() {
        let dir = std::env::temp_dir().join(format!("rationale-git-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        // GIT_CEILING_DIRECTORIES keeps git from finding a repository above the temp folder.
        assert!(git(&dir, &["--version"]).is_some(), "git is installed");
        let parent = dir.parent().unwrap().to_owned();
        std::env::set_var("GIT_CEILING_DIRECTORIES", &parent);
        assert_eq!(state(&dir), None);
        assert!(Command::new("git").arg("init").arg("-q").arg(&dir).status().unwrap().success());
        let found = state(&dir).unwrap();
        assert_eq!((found.head, found.dirty), (None, false));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
