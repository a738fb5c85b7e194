//! Which documents are excluded: the decision, made when a document is opened, whether anything of
//! it may reach the journal, and the workspace-relative path the journal names it by.
//!
//! A document inside the workspace folder is excluded when it is under `.rationale/` (the store)
//! or `.git/`, when the `exclude` setting matches it, or when the workspace's `.gitignore` files
//! ignore it, whether or not the folder is a git work tree. Both kinds of patterns have
//! gitignore semantics, decided the way git decides: from the folder down, a path under an
//! ignored folder is ignored whatever a deeper `!` pattern says, and a deeper `.gitignore`
//! overrides a shallower one. `.git/info/exclude` counts as a `.gitignore` at the root with the
//! lowest precedence.
//!
//! The `exclude` globs are compiled here, and checked here for the settings ([`pattern_error`]).
//! The `.gitignore` files are read at every decision rather than cached: a decision is a handful
//! of small reads, made once per opened document, and is never stale.

use std::fs;
use std::path::{Component, Path, PathBuf};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::Match;

/// The exclusion rules of one workspace folder.
#[derive(Debug)]
pub struct Exclusions {
    /// The workspace folder, lexically normalised.
    folder: PathBuf,
    /// The `exclude` setting, rooted at the folder.
    patterns: Gitignore,
}

impl Exclusions {
    /// The rules for `folder` with the `exclude` patterns (gitignore semantics, relative to the
    /// folder: `.env*` and `*.pem` match at any depth), and a sentence for each pattern that
    /// could not be used. A pattern that is not a valid glob is left out; the others still apply.
    /// The settings never hold such a pattern (they refuse the list, see [`pattern_error`]), so
    /// this is the last guard, not the usual path.
    pub fn new(folder: &Path, patterns: &[String]) -> (Exclusions, Vec<String>) {
        let folder = normalize(folder);
        let mut builder = exclude_builder(&folder);
        let mut problems = Vec::new();
        for pattern in patterns {
            if let Err(e) = builder.add_line(None, pattern) {
                problems.push(format!(
                    "`exclude` pattern {} is not a valid glob ({}); it is left out",
                    serde_json::Value::from(pattern.as_str()),
                    glob_error(&e)
                ));
            }
        }
        let patterns = builder.build().unwrap_or_else(|e| {
            // Only a pattern set too large to compile gets here; every single glob compiled.
            problems.push(format!("the `exclude` patterns cannot be used together ({e})"));
            Gitignore::empty()
        });
        (Exclusions { folder, patterns }, problems)
    }

    /// The workspace folder these rules are for (lexically normalised).
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// Whether the document at `path` (absolute) must not be tracked. A path outside the folder
    /// is excluded too: callers check first, and nothing outside may reach the journal anyway.
    pub fn excludes(&self, path: &Path) -> bool {
        let path = normalize(path);
        let Ok(relative) = path.strip_prefix(&self.folder) else {
            return true;
        };
        let names: Vec<Component> = relative.components().collect();
        let Some(first) = names.first() else {
            return true; // the folder itself is not a document
        };
        if first.as_os_str() == crate::store::STORE_DIR || names.iter().any(|n| n.as_os_str() == ".git") {
            return true;
        }
        self.matches_patterns(&names) || self.gitignored(&names)
    }

    /// Whether the `exclude` patterns exclude the path or a folder above it.
    fn matches_patterns(&self, names: &[Component]) -> bool {
        let mut path = self.folder.clone();
        for (i, name) in names.iter().enumerate() {
            path.push(name);
            let is_dir = i + 1 < names.len();
            match self.patterns.matched(&path, is_dir) {
                Match::Ignore(_) => return true,
                // A `!` pattern re-includes this level; a folder ignored above still wins,
                // because the walk stopped there.
                Match::Whitelist(_) | Match::None => {}
            }
        }
        false
    }

    /// Whether git would ignore the path: walks from the folder down, reading each folder's
    /// `.gitignore` only once it is known that the folder itself is not ignored (as git does).
    fn gitignored(&self, names: &[Component]) -> bool {
        // Lowest precedence first; the deepest file decides.
        let mut layers: Vec<Gitignore> = Vec::new();
        if let Some(exclude) = info_exclude(&self.folder) {
            layers.extend(read_ignore_file(&self.folder, &exclude));
        }
        let mut path = self.folder.clone();
        layers.extend(read_ignore_file(&path, &path.join(".gitignore")));
        for (i, name) in names.iter().enumerate() {
            path.push(name);
            let is_dir = i + 1 < names.len();
            let decision =
                layers.iter().rev().map(|layer| layer.matched(&path, is_dir)).find(|m| !m.is_none());
            if matches!(decision, Some(Match::Ignore(_))) {
                return true;
            }
            if is_dir {
                layers.extend(read_ignore_file(&path, &path.join(".gitignore")));
            }
        }
        false
    }
}

/// Why `pattern` cannot be an `exclude` pattern, or `None` if it can.
pub fn pattern_error(pattern: &str) -> Option<String> {
    exclude_builder(Path::new("/")).add_line(None, pattern).err().map(|e| glob_error(&e))
}

/// The builder for the `exclude` setting: gitignore semantics, except that an unclosed `[` is an
/// error (a `.gitignore` takes it literally, but a setting deserves to hear about its typo).
fn exclude_builder(root: &Path) -> GitignoreBuilder {
    let mut builder = GitignoreBuilder::new(root);
    builder.allow_unclosed_class(false);
    builder
}

fn glob_error(e: &ignore::Error) -> String {
    match e {
        ignore::Error::Glob { err, .. } => err.clone(),
        other => other.to_string(),
    }
}

/// The workspace-relative path of `path`, with `/` separators, or `None` when it is outside the
/// folder (or is the folder itself, or has a name that is not UTF-8). Decided lexically, after
/// normalising `.` and `..`; the file system is not consulted.
pub fn relative_path(folder: &Path, path: &Path) -> Option<String> {
    let folder = normalize(folder);
    let path = normalize(path);
    let relative = path.strip_prefix(&folder).ok()?;
    let names = relative.components().map(|name| name.as_os_str().to_str()).collect::<Option<Vec<&str>>>()?;
    if names.is_empty() {
        return None;
    }
    Some(names.join("/"))
}

/// `path` without `.` and with each `..` applied to the name before it. A `..` at the root stays
/// at the root, as the file system has it.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other),
        }
    }
    out
}

/// Reads one ignore file whose patterns are relative to `dir`. A missing file is no layer; a
/// symbolic link is not followed (git stopped following them in 2.32); bad lines are skipped as
/// git skips them.
fn read_ignore_file(dir: &Path, file: &Path) -> Option<Gitignore> {
    if !fs::symlink_metadata(file).is_ok_and(|meta| meta.is_file()) {
        return None;
    }
    let mut builder = GitignoreBuilder::new(dir);
    if let Some(e) = builder.add(file) {
        tracing::debug!("{}: {e}", file.display());
    }
    builder.build().ok()
}

/// `.git/info/exclude` of the folder when it is a git work tree: in `.git/` itself, or for a
/// linked work tree (whose `.git` is a file naming its git dir) in the common git dir.
fn info_exclude(folder: &Path) -> Option<PathBuf> {
    let dot_git = folder.join(".git");
    let meta = fs::symlink_metadata(&dot_git).ok()?;
    let git_dir = if meta.is_dir() {
        dot_git
    } else {
        let text = fs::read_to_string(&dot_git).ok()?;
        let named = text.lines().find_map(|line| line.strip_prefix("gitdir:"))?.trim();
        let git_dir = folder.join(named);
        match fs::read_to_string(git_dir.join("commondir")) {
            Ok(common) => git_dir.join(common.trim()),
            Err(_) => git_dir,
        }
    };
    Some(git_dir.join("info").join("exclude"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::scratch::ScratchDir;

    fn exclusions(ws: &ScratchDir, patterns: &[&str]) -> Exclusions {
        let patterns: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        let (exclusions, problems) = Exclusions::new(ws.path(), &patterns);
        assert!(problems.is_empty(), "{problems:?}");
        exclusions
    }

    /// The relative paths among `paths` that `exclusions` excludes.
    fn excluded<'a>(ws: &ScratchDir, exclusions: &Exclusions, paths: &[&'a str]) -> Vec<&'a str> {
        paths.iter().copied().filter(|p| exclusions.excludes(&ws.path().join(p))).collect()
    }

    #[test]
    fn the_default_exclude_list() {
        let ws = ScratchDir::new("exclusions-defaults");
        let defaults = [".env*", "*.pem", "*.key", "**/secrets*", "**/node_modules/**"].map(String::from);
        let (exclusions, problems) = Exclusions::new(ws.path(), &defaults);
        assert!(problems.is_empty());
        let paths = [
            ".env",
            ".env.local",
            "deploy/.env.production",
            "server.pem",
            "certs/deep/server.pem",
            "id.key",
            "config/secrets.yaml",
            "secrets/token.py",
            "app/secrets_test.py",
            "node_modules/left-pad/index.js",
            "web/node_modules/react/index.js",
            // Tracked:
            "src/env.py",
            "src/environment.py",
            "keys.py",
            "pem.js",
            "src/main.py",
            "node_modules_helper.js",
        ];
        assert_eq!(
            excluded(&ws, &exclusions, &paths),
            [
                ".env",
                ".env.local",
                "deploy/.env.production",
                "server.pem",
                "certs/deep/server.pem",
                "id.key",
                "config/secrets.yaml",
                "secrets/token.py",
                "app/secrets_test.py",
                "node_modules/left-pad/index.js",
                "web/node_modules/react/index.js",
            ]
        );
    }

    #[test]
    fn the_store_and_git_folders_are_never_tracked() {
        let ws = ScratchDir::new("exclusions-store");
        let exclusions = exclusions(&ws, &[]);
        let paths = [
            ".rationale/sessions/x.jsonl",
            ".git/hooks/pre-commit.py",
            "sub/.git/x.py",
            "src/.rationale.py",
            "a.py",
        ];
        assert_eq!(
            excluded(&ws, &exclusions, &paths),
            [".rationale/sessions/x.jsonl", ".git/hooks/pre-commit.py", "sub/.git/x.py"]
        );
        // However the path is spelled.
        assert!(exclusions.excludes(&ws.path().join("src/../.rationale/reviews/a.jsonl")));
    }

    #[test]
    fn paths_outside_the_folder_are_excluded_and_have_no_relative_path() {
        let ws = ScratchDir::new("exclusions-outside");
        let exclusions = exclusions(&ws, &[]);
        let outside = ws.path().parent().unwrap().join("elsewhere.py");
        assert!(exclusions.excludes(&outside));
        assert!(exclusions.excludes(&ws.path().join("../x.py")));
        assert!(exclusions.excludes(ws.path()));
        assert_eq!(relative_path(ws.path(), &outside), None);
    }

    #[test]
    fn gitignore_files_apply_without_a_git_repository() {
        let ws = ScratchDir::new("exclusions-gitignore");
        ws.write(".gitignore", "*.log\nbuild/\n/top.py\n# a comment\n");
        let exclusions = exclusions(&ws, &[]);
        let paths = [
            "debug.log",
            "deep/er/debug.log",
            "build/out.py",
            "src/build/gen/out.py",
            "top.py",
            // Tracked:
            "build.py",
            "src/top.py",
            "logs.py",
        ];
        assert_eq!(
            excluded(&ws, &exclusions, &paths),
            ["debug.log", "deep/er/debug.log", "build/out.py", "src/build/gen/out.py", "top.py"]
        );
    }

    #[test]
    fn deeper_gitignore_files_override_and_negation_re_includes() {
        let ws = ScratchDir::new("exclusions-nested");
        ws.write(".gitignore", "*.gen.py\n");
        ws.write("sub/.gitignore", "!keep.gen.py\nlocal.py\n");
        ws.write("sub/inner/.gitignore", "!local.py\n");
        let exclusions = exclusions(&ws, &[]);
        let paths = [
            "other.gen.py",
            "keep.gen.py",
            "sub/other.gen.py",
            "sub/local.py",
            // Tracked:
            "sub/keep.gen.py",
            "sub/deeper/keep.gen.py",
            "local.py",
            "sub/inner/local.py",
        ];
        assert_eq!(
            excluded(&ws, &exclusions, &paths),
            ["other.gen.py", "keep.gen.py", "sub/other.gen.py", "sub/local.py"]
        );
    }

    #[test]
    fn nothing_under_an_ignored_folder_comes_back() {
        let ws = ScratchDir::new("exclusions-dirs");
        ws.write(".gitignore", "vendor/\n!vendor/keep.py\nout/*\n!out/keep.py\n");
        // Git never reads a .gitignore inside an ignored folder.
        ws.write("vendor/.gitignore", "!*.py\n");
        let exclusions = exclusions(&ws, &[]);
        let paths = ["vendor/keep.py", "vendor/lib/a.py", "out/a.py", "out/keep.py"];
        // `out/*` ignores what is in `out`, not `out` itself, so `!out/keep.py` can re-include.
        assert_eq!(excluded(&ws, &exclusions, &paths), ["vendor/keep.py", "vendor/lib/a.py", "out/a.py"]);
    }

    #[test]
    fn exclude_patterns_follow_gitignore_semantics_too() {
        let ws = ScratchDir::new("exclusions-patterns");
        let exclusions = exclusions(&ws, &["generated/", "/scratch.py", "*.min.js", "!keep.min.js"]);
        let paths = [
            "generated/a.py",
            "src/generated/b.py",
            "scratch.py",
            "app.min.js",
            // Tracked:
            "src/scratch.py",
            "generated.py",
            "keep.min.js",
        ];
        assert_eq!(
            excluded(&ws, &exclusions, &paths),
            ["generated/a.py", "src/generated/b.py", "scratch.py", "app.min.js"]
        );
    }

    #[test]
    fn an_invalid_exclude_pattern_is_reported_and_the_rest_still_apply() {
        let ws = ScratchDir::new("exclusions-invalid");
        let patterns = vec!["*.secret".to_string(), "[oops".to_string()];
        let (exclusions, problems) = Exclusions::new(ws.path(), &patterns);
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].starts_with("`exclude` pattern \"[oops\" is not a valid glob ("),
            "{}",
            problems[0]
        );
        assert!(exclusions.excludes(&ws.path().join("a.secret")));
    }

    #[test]
    fn git_info_exclude_counts_below_every_gitignore() {
        let ws = ScratchDir::new("exclusions-info");
        ws.write(".git/info/exclude", "*.scratch.py\nnotes/\n");
        ws.write("sub/.gitignore", "!keep.scratch.py\n");
        let exclusions = exclusions(&ws, &[]);
        let paths = ["a.scratch.py", "notes/todo.py", "sub/keep.scratch.py", "b.py"];
        assert_eq!(excluded(&ws, &exclusions, &paths), ["a.scratch.py", "notes/todo.py"]);
    }

    #[test]
    fn a_linked_work_tree_reads_info_exclude_from_the_common_git_dir() {
        let repo = ScratchDir::new("exclusions-main-repo");
        repo.write(".git/info/exclude", "*.local.py\n");
        repo.write(".git/worktrees/wt/commondir", "../..\n");
        let ws = ScratchDir::new("exclusions-worktree");
        ws.write(".git", &format!("gitdir: {}\n", repo.path().join(".git/worktrees/wt").display()));
        let exclusions = exclusions(&ws, &[]);
        assert!(exclusions.excludes(&ws.path().join("settings.local.py")));
        assert!(!exclusions.excludes(&ws.path().join("settings.py")));
    }

    #[test]
    fn relative_paths_are_lexical_and_slash_separated() {
        let folder = Path::new("/w/project");
        let rel = |p: &str| relative_path(folder, Path::new(p));
        assert_eq!(rel("/w/project/src/main.py").as_deref(), Some("src/main.py"));
        assert_eq!(rel("/w/project/./src/../lib/./a.js").as_deref(), Some("lib/a.js"));
        assert_eq!(rel("/w/project/src/").as_deref(), Some("src"));
        assert_eq!(
            relative_path(Path::new("/w/./project/"), Path::new("/w/project/a.py")).as_deref(),
            Some("a.py")
        );
        assert_eq!(rel("/w/project/../project/a.py").as_deref(), Some("a.py"));
        assert_eq!(rel("/w/project/../other/a.py"), None);
        assert_eq!(rel("/w/projector/a.py"), None);
        assert_eq!(rel("/w/project/.."), None);
        assert_eq!(rel("/w/project"), None);
        assert_eq!(rel("/elsewhere/a.py"), None);
        assert_eq!(
            relative_path(Path::new("/"), Path::new("/../../etc/passwd")).as_deref(),
            Some("etc/passwd")
        );
    }
}
