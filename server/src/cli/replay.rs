//! `rationale replay JOURNAL --out OUT [--at SEQ]`: rebuilds every file a session tracked, as it
//! stood after a given record, under OUT by its workspace-relative path.
//!
//! A journal is data from elsewhere (a colleague's session, a dataset): nothing it says may write
//! outside OUT. Paths that are absolute or climb out with `..` are refused before anything is
//! written, and no file is written through a symbolic link found below OUT.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::journal::Journal;
use crate::replay::{self, is_workspace_relative, Replayed};

#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  rationale replay .rationale/sessions/20261126T083000Z-7f3a9c.jsonl --out /tmp/session
  rationale replay .rationale/sessions/20261126T083000Z-7f3a9c.jsonl --out /tmp/step --at 120

Every line of a journal is one record, numbered by its `seq` from 0 (the session record). Files
the session closed are written as they stood when closed.

Exit status: 0 if the files were rebuilt and every `save` record's hash matched the rebuilt text;
1 if a hash disagrees (the files are still written) or the journal cannot be replayed.")]
pub struct Args {
    /// The session's journal: a file `.rationale/sessions/<session>.jsonl` next to the workspace.
    #[arg(value_name = "JOURNAL")]
    journal: PathBuf,

    /// The folder to rebuild the files in, each at its path relative to the workspace. Created if
    /// missing; files already there with the same paths are overwritten.
    #[arg(long, value_name = "OUT")]
    out: PathBuf,

    /// Rebuild the files as they stood right after the record whose `seq` is SEQ, instead of
    /// after the last record.
    #[arg(long, value_name = "SEQ")]
    at: Option<u64>,
}

pub fn run(args: Args) -> ExitCode {
    let code = execute(&args, &mut io::stdout().lock(), &mut io::stderr().lock());
    ExitCode::from(code)
}

/// Runs the command, printing the summary to `out` and problems to `err`; returns the exit code.
fn execute(args: &Args, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    // Failing to print is not worth a second error: the exit code still tells.
    let journal = match Journal::read(&args.journal) {
        Ok(journal) => journal,
        Err(error) => {
            let _ = writeln!(err, "rationale replay: {error}");
            return 1;
        }
    };
    if let Some(torn) = journal.torn() {
        let _ = writeln!(err, "warning: {torn}");
    }
    let replayed = match replay::replay(&journal, args.at) {
        Ok(replayed) => replayed,
        Err(error) => {
            let _ = writeln!(err, "rationale replay: {error}");
            return 1;
        }
    };
    if let Err(error) = write_files(&replayed, &journal, &args.out) {
        let _ = writeln!(err, "rationale replay: {error}");
        return 1;
    }
    for mismatch in &replayed.mismatches {
        let _ = writeln!(err, "error: {mismatch}");
    }
    let files = replayed.files.len();
    let _ = writeln!(
        out,
        "Rebuilt {files} file{} of session {} as they stood after record {}{} in {}{}",
        if files == 1 { "" } else { "s" },
        replayed.session,
        replayed.last_seq,
        if args.at.is_some() { "" } else { " (the last)" },
        args.out.display(),
        match replayed.mismatches.len() {
            0 => format!(
                "; {} save hash{} matched.",
                replayed.saves,
                if replayed.saves == 1 { "" } else { "es" }
            ),
            n => format!("; {n} hash{} disagreed (above).", if n == 1 { "" } else { "es" }),
        }
    );
    u8::from(!replayed.mismatches.is_empty())
}

/// Writes every rebuilt file under `out`. Every path is checked before the first file is written.
fn write_files(replayed: &Replayed, journal: &Journal, out: &Path) -> Result<(), String> {
    let mut targets = Vec::with_capacity(replayed.files.len());
    for (path, file) in &replayed.files {
        let Some(components) = relative_components(path) else {
            return Err(format!(
                "{}:{}: refusing to write `{path}`: not a path inside the workspace",
                journal.path().display(),
                file.opened_at
            ));
        };
        targets.push((components, file));
    }
    fs::create_dir_all(out).map_err(|error| format!("cannot create {}: {error}", out.display()))?;
    for (components, file) in targets {
        write_inside(out, &components, file.document.rope())
            .map_err(|error| format!("cannot write {}: {error}", out.join(components.join("/")).display()))?;
    }
    Ok(())
}

/// The components of a workspace-relative journal path, or `None` if it could lead anywhere but
/// below the folder it is joined to.
fn relative_components(path: &str) -> Option<Vec<&str>> {
    if !is_workspace_relative(path) {
        return None;
    }
    let components: Vec<&str> = path.split('/').filter(|c| !c.is_empty() && *c != ".").collect();
    // Whatever the platform makes of each component, it must be a plain name.
    let plain = components.iter().all(|component| {
        let mut parts = Path::new(component).components();
        matches!(parts.next(), Some(std::path::Component::Normal(_))) && parts.next().is_none()
    });
    (plain && !components.is_empty()).then_some(components)
}

/// Writes `text` at `out/components…`, creating folders, and refusing to go through anything
/// below `out` that is a symbolic link (the link could point anywhere).
fn write_inside(out: &Path, components: &[&str], text: &ropey::Rope) -> io::Result<()> {
    let (name, folders) = components.split_last().expect("at least one component");
    let mut dir = out.to_path_buf();
    for folder in folders {
        dir.push(folder);
        match fs::symlink_metadata(&dir) {
            Ok(meta) if meta.file_type().is_symlink() => return Err(symlink_refused(&dir)),
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(io::Error::other(format!("{} is a file, not a folder", dir.display()))),
            Err(error) if error.kind() == io::ErrorKind::NotFound => fs::create_dir(&dir)?,
            Err(error) => return Err(error),
        }
    }
    let file = dir.join(name);
    if fs::symlink_metadata(&file).is_ok_and(|meta| meta.file_type().is_symlink()) {
        return Err(symlink_refused(&file));
    }
    let mut writer = io::BufWriter::new(fs::File::create(&file)?);
    for chunk in text.chunks() {
        writer.write_all(chunk.as_bytes())?;
    }
    writer.into_inner().map_err(io::IntoInnerError::into_error)?.sync_all()
}

fn symlink_refused(path: &Path) -> io::Error {
    io::Error::other(format!("{} is a symbolic link; replay does not write through links", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::samples::{change, journal_text, open, sha};
    use crate::journal::summary::tests::tempdir;
    use crate::journal::Body;
    use crate::text::Encoding;

    struct Run {
        code: u8,
        out: String,
        err: String,
    }

    fn run_replay(journal: &Path, out: &Path, at: Option<u64>) -> Run {
        let args = Args { journal: journal.to_owned(), out: out.to_owned(), at };
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let code = execute(&args, &mut stdout, &mut stderr);
        Run { code, out: String::from_utf8(stdout).unwrap(), err: String::from_utf8(stderr).unwrap() }
    }

    #[test]
    fn files_are_written_by_their_workspace_relative_paths() {
        let dir = tempdir("replay-cli");
        let journal = dir.join("s.jsonl");
        let text = journal_text(
            Encoding::Utf16,
            vec![
                open("src/pkg/app.py", "x = 1\n"),
                change("src/pkg/app.py", 2, &[((0, 4, 0, 5), "2")]),
                open("top.py", "t"),
                Body::Close { path: "top.py".into() },
                Body::Save { path: "src/pkg/app.py".into(), sha256: sha("x = 2\n") },
            ],
        );
        fs::write(&journal, text).unwrap();

        let run = run_replay(&journal, &dir.join("out"), None);
        assert_eq!(run.code, 0, "{}", run.err);
        assert_eq!(fs::read_to_string(dir.join("out/src/pkg/app.py")).unwrap(), "x = 2\n");
        assert_eq!(fs::read_to_string(dir.join("out/top.py")).unwrap(), "t");
        assert!(run.out.contains("Rebuilt 2 files"), "{}", run.out);

        let run = run_replay(&journal, &dir.join("at1"), Some(1));
        assert_eq!(run.code, 0, "{}", run.err);
        assert_eq!(fs::read_to_string(dir.join("at1/src/pkg/app.py")).unwrap(), "x = 1\n");
        assert!(!dir.join("at1/top.py").exists());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_save_that_disagrees_exits_1_naming_the_line_and_still_writes() {
        let dir = tempdir("replay-cli");
        let journal = dir.join("s.jsonl");
        let text = journal_text(
            Encoding::Utf8,
            vec![open("a.py", "a"), Body::Save { path: "a.py".into(), sha256: sha("b") }],
        );
        fs::write(&journal, text).unwrap();
        let run = run_replay(&journal, &dir.join("out"), None);
        assert_eq!(run.code, 1);
        assert!(run.err.contains("s.jsonl:3: `save` of a.py (seq 2)"), "{}", run.err);
        assert_eq!(fs::read_to_string(dir.join("out/a.py")).unwrap(), "a");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_hostile_journal_writes_nothing_outside_out() {
        let dir = tempdir("replay-cli");
        for (i, path) in
            ["../escaped.py", "a/../../escaped.py", "/tmp/escaped-rationale.py"].iter().enumerate()
        {
            let journal = dir.join(format!("{i}.jsonl"));
            let text = journal_text(Encoding::Utf8, vec![open("fine.py", "ok"), open(path, "pwned")]);
            fs::write(&journal, text).unwrap();
            let out = dir.join(format!("out{i}"));
            let run = run_replay(&journal, &out, None);
            assert_eq!(run.code, 1, "{path}");
            assert!(run.err.contains(&format!("{i}.jsonl:3:")), "{path}: {}", run.err);
            assert!(!dir.join("escaped.py").exists() && !out.join("fine.py").exists(), "{path}");
        }
        assert!(!Path::new("/tmp/escaped-rationale.py").exists());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn paths_that_could_leave_out_have_no_components() {
        for path in ["", "/abs", "..", "a/../b", "a/..", "./..", "//x"] {
            assert_eq!(relative_components(path), None, "{path}");
        }
        assert_eq!(relative_components("src/./a.py"), Some(vec!["src", "a.py"]));
        assert_eq!(relative_components("a..b/c"), Some(vec!["a..b", "c"]));
    }

    #[cfg(unix)]
    #[test]
    fn no_file_is_written_through_a_symbolic_link_below_out() {
        let dir = tempdir("replay-cli");
        let out = dir.join("out");
        let elsewhere = dir.join("elsewhere");
        fs::create_dir_all(&out).unwrap();
        fs::create_dir_all(&elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, out.join("src")).unwrap();
        let journal = dir.join("s.jsonl");
        fs::write(&journal, journal_text(Encoding::Utf8, vec![open("src/a.py", "a")])).unwrap();
        let run = run_replay(&journal, &out, None);
        assert_eq!(run.code, 1);
        assert!(run.err.contains("symbolic link"), "{}", run.err);
        assert!(!elsewhere.join("a.py").exists());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_torn_final_line_is_a_warning_and_errors_name_the_line() {
        let dir = tempdir("replay-cli");
        let journal = dir.join("s.jsonl");
        let mut text = journal_text(Encoding::Utf8, vec![open("a.py", "a")]);
        text += r#"{"seq":2,"ts":"2026-11-"#;
        fs::write(&journal, &text).unwrap();
        let run = run_replay(&journal, &dir.join("out"), None);
        assert_eq!(run.code, 0, "{}", run.err);
        assert!(
            run.err.starts_with("warning: ") && run.err.contains("s.jsonl:3: torn final line"),
            "{}",
            run.err
        );

        text.insert_str(text.find("{\"seq\":1").unwrap(), "oops\n");
        fs::write(&journal, &text).unwrap();
        let run = run_replay(&journal, &dir.join("out"), None);
        assert_eq!(run.code, 1);
        assert!(run.err.contains("s.jsonl:2: not a journal record"), "{}", run.err);
        fs::remove_dir_all(dir).unwrap();
    }
}
