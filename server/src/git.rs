//! What git says about a workspace folder: its state for the session record, and the author's
//! `user.email` when no setting names the author. Git is asked, never parsed by hand, and a
//! folder that is not a work tree (or a machine without git) simply has no state.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::journal::record::GitState;

/// Git's answer to `args` run in `folder`, trimmed; `None` when git is missing or fails. Git
/// reads nothing from our stdin and its complaints are not ours to log.
fn git(folder: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(folder)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
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

/// Who is recording: `configured` (the `author` setting), else `$RATIONALE_AUTHOR`, else
/// `git config user.email` run in `folder`, else the OS user (`$USER`, `$USERNAME`), else
/// `unknown`. Blank values count as absent.
pub fn resolve_author(configured: Option<&str>, folder: &Path) -> String {
    resolve_author_from(configured, |name| std::env::var(name).ok(), || git_user_email(folder))
}

fn resolve_author_from(
    configured: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
    git_email: impl FnOnce() -> Option<String>,
) -> String {
    let present = |value: Option<String>| value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    present(configured.map(str::to_string))
        .or_else(|| present(env("RATIONALE_AUTHOR")))
        .or_else(|| present(git_email()))
        .or_else(|| present(env("USER")))
        .or_else(|| present(env("USERNAME")))
        .unwrap_or_else(|| "unknown".to_string())
}

fn git_user_email(folder: &Path) -> Option<String> {
    git(folder, &["config", "user.email"])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::scratch::ScratchDir;

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

    #[test]
    fn the_author_is_worked_out_in_order() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
        };
        let all = env(&[("RATIONALE_AUTHOR", "env@x"), ("USER", "user"), ("USERNAME", "username")]);
        let git = || Some("git@x\n".to_string());
        assert_eq!(resolve_author_from(Some(" set@x "), all, git), "set@x");
        assert_eq!(resolve_author_from(None, all, git), "env@x");
        assert_eq!(
            resolve_author_from(Some(""), env(&[("RATIONALE_AUTHOR", " "), ("USER", "user")]), git),
            "git@x"
        );
        assert_eq!(resolve_author_from(None, env(&[("USER", "user"), ("USERNAME", "u")]), || None), "user");
        assert_eq!(resolve_author_from(None, env(&[("USERNAME", "username")]), || None), "username");
        assert_eq!(resolve_author_from(None, env(&[]), || None), "unknown");
    }

    #[test]
    fn the_author_comes_from_git_in_the_folder() {
        let ws = ScratchDir::new("git-author");
        let git = |args: &[&str]| {
            Command::new("git").args(args).current_dir(ws.path()).output().is_ok_and(|o| o.status.success())
        };
        // Without git on the machine there is nothing to ask; the fallback is tested above.
        if git(&["init", "-q"]) {
            assert!(git(&["config", "user.email", "repo@example.com"]));
            assert_eq!(git_user_email(ws.path()).unwrap().trim(), "repo@example.com");
        }
        assert_eq!(git_user_email(&ws.path().join("missing")), None);
    }
}
