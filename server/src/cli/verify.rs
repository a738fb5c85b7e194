//! `rationale verify [DIR]`: checks every journal of a workspace folder: each line parses, `seq`
//! has no gaps, the chain holds, and replaying the edits gives the text every `save` record
//! hashed.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::count;
use crate::journal::chain::ChainCheck;
use crate::journal::record::Gap;
use crate::journal::Journal;
use crate::journal::{journal_files, sessions_dir};
use crate::replay::Replayer;

#[derive(clap::Args)]
#[command(after_help = "\
Checks, for every journal in DIR/.rationale/sessions/*.jsonl: each line is a journal record, the
records are numbered 0, 1, 2, ... without gaps, the chain holds (each `save`, `rationale`,
`skip`, `unexplained`, `end` and `gap` record's `chain` is the hash of every byte before it, so a
line edited, removed, inserted or moved is found at the first such record after it), every edit
applies, and the rebuilt text matches the hash of every `save`. A torn final line (the server
stopped while writing it) is a warning. A `gap` record (the journal could not be written for a
while) is reported with what it says: when, why, how many records were written late, lost or
refused; the documents it re-based replay from their whole text after it. A journal written before the chain is reported as
unchained and checked as before.

Exit status: 0 if every journal is sound (warnings allowed), 1 if any has a problem or DIR has no
journals folder.")]
pub struct Args {
    /// The workspace folder whose journals are checked.
    #[arg(value_name = "DIR", default_value = ".")]
    dir: PathBuf,
}

pub fn run(args: Args) -> ExitCode {
    let progress =
        if io::stderr().is_terminal() { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
    let code = execute(&args.dir, progress, &mut io::stdout().lock(), &mut io::stderr().lock());
    ExitCode::from(code)
}

/// What one journal came to.
#[derive(Default)]
struct Verdict {
    errors: Vec<String>,
    warnings: Vec<String>,
    /// For a sound journal: what was checked.
    checked: Option<String>,
    /// The gaps: where the journal could not be written for a while, and what became of it.
    gaps: Vec<String>,
}

fn execute(dir: &Path, progress: ProgressDrawTarget, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let folder = sessions_dir(dir);
    let files = match journal_files(dir) {
        Ok(files) => files,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            let _ = writeln!(
                err,
                "rationale verify: {} does not exist: no session was recorded in {}",
                folder.display(),
                dir.display()
            );
            return 1;
        }
        Err(error) => {
            let _ = writeln!(err, "rationale verify: cannot list {}: {error}", folder.display());
            return 1;
        }
    };
    if files.is_empty() {
        let _ = writeln!(out, "No journals in {}: nothing to verify.", folder.display());
        return 0;
    }

    let total: u64 = files.iter().filter_map(|file| file.metadata().ok()).map(|meta| meta.len()).sum();
    let bar = ProgressBar::with_draw_target(Some(total), progress).with_style(
        ProgressStyle::with_template("{spinner} verifying {msg} {wide_bar} {bytes}/{total_bytes} {eta}")
            .expect("a valid template"),
    );
    let (mut sound, mut errors, mut warnings) = (0, 0, 0);
    for file in &files {
        let name =
            file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
        bar.set_message(name.clone());
        let done_before = bar.position();
        let verdict = verify(file, |read| bar.set_position(done_before + read));
        bar.set_position(done_before + file.metadata().map_or(0, |meta| meta.len()));
        errors += verdict.errors.len();
        warnings += verdict.warnings.len();
        sound += usize::from(verdict.errors.is_empty());
        bar.suspend(|| {
            let status = match (&verdict.errors[..], &verdict.warnings[..]) {
                ([], []) => "ok".to_owned(),
                ([], w) => format!("ok, {}", count(w.len(), "warning")),
                (e, _) => format!("FAILED, {}", count(e.len(), "problem")),
            };
            let checked = verdict.checked.as_deref().map(|c| format!(" ({c})")).unwrap_or_default();
            let _ = writeln!(out, "{name}: {status}{checked}");
            for gap in &verdict.gaps {
                let _ = writeln!(out, "  gap: {gap}");
            }
            for warning in &verdict.warnings {
                let _ = writeln!(out, "  warning: {warning}");
            }
            for error in &verdict.errors {
                let _ = writeln!(out, "  error: {error}");
            }
        });
    }
    bar.finish_and_clear();
    let failed = files.len() - sound;
    let _ = writeln!(
        out,
        "Verified {} in {}: {sound} sound, {failed} with problems ({}, {}).",
        count(files.len(), "journal"),
        folder.display(),
        count(errors, "error"),
        count(warnings, "warning"),
    );
    u8::from(failed > 0)
}

/// Checks one journal; `progress` hears how many of its bytes have been read.
fn verify(file: &Path, mut progress: impl FnMut(u64)) -> Verdict {
    let mut verdict = Verdict::default();
    let journal = match Journal::read(file) {
        Ok(journal) => journal,
        Err(error) => {
            verdict.errors.push(error.to_string());
            return verdict;
        }
    };
    if let Some(torn) = journal.torn() {
        verdict.warnings.push(torn.to_string());
    }
    if journal.has_no_records() {
        // The server creates the file and writes its session record at once; a crash in between
        // leaves nothing to check, which is not damage.
        verdict.warnings.push(format!("{}: no complete record (the session never started)", file.display()));
        return verdict;
    }
    let mut replayer = Replayer::new(file);
    let mut chain = ChainCheck::new();
    let mut records = journal.records();
    let mut fatal = None;
    while let Some(line) = records.next() {
        let checked = line.and_then(|line| {
            if line.record.kind == "gap" {
                let gap: Gap = line.fields(file)?;
                verdict.gaps.push(describe_gap(line.number, &gap));
            }
            chain.line(&journal, &line).and_then(|()| replayer.apply(&line))
        });
        if let Err(error) = checked {
            fatal = Some(error);
            break;
        }
        if records.line_number() % 16_384 == 0 {
            progress((journal.len() - records.remaining_bytes()) as u64);
        }
    }
    verdict.errors.extend(replayer.mismatches().iter().map(ToString::to_string));
    match fatal.map_or_else(|| replayer.finish(), Err) {
        Ok(replayed) => {
            let chained = match chain.chained() {
                0 => "unchained: written before the chain".to_owned(),
                n => format!(
                    "chained: {} carry a chain, the last on line {}",
                    count(n, "record"),
                    chain.last_chained_line().unwrap_or(0)
                ),
            };
            let gaps = match verdict.gaps.len() {
                0 => String::new(),
                n => format!(", {}", count(n, "gap")),
            };
            verdict.checked = Some(format!(
                "{}, {}, {}, {}{gaps}; {chained}",
                count(replayed.last_seq as usize + 1, "record"),
                count(replayed.edits as usize, "edit"),
                count(replayed.files.len(), "file"),
                count(replayed.saves as usize, "save"),
            ));
        }
        Err(error) => verdict.errors.push(error.to_string()),
    }
    verdict
}

/// What a `gap` record says, in a sentence.
fn describe_gap(line: usize, gap: &Gap) -> String {
    let mut said = format!(
        "line {line}: the journal could not be written from {} to {} ({}); {} made meanwhile written late",
        gap.from,
        gap.to,
        gap.error,
        count(gap.late as usize, "record")
    );
    if gap.lost > 0 {
        said += &format!(
            ", {} lost ({}), {} re-based by their whole text",
            count(gap.lost as usize, "record"),
            count(gap.lost_edits as usize, "edit"),
            gap.rebased.join(", ")
        );
    }
    if gap.refused > 0 {
        said += &format!(", {} refused", count(gap.refused as usize, "rationale or skip"));
    }
    said
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::samples::{change, journal_text, open, sha};
    use crate::journal::summary::tests::tempdir;
    use crate::journal::Body;
    use crate::text::Encoding;

    fn run_verify(dir: &Path) -> (u8, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = execute(dir, ProgressDrawTarget::hidden(), &mut out, &mut err);
        (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
    }

    fn sound_journal() -> String {
        journal_text(
            Encoding::Utf16,
            vec![
                open("a.py", "a"),
                change("a.py", 2, &[((0, 1, 0, 1), "b")]),
                Body::Save { path: "a.py".into(), sha256: sha("ab") },
            ],
        )
    }

    #[test]
    fn sound_journals_pass_and_a_torn_final_line_is_only_a_warning() {
        let dir = tempdir("verify");
        let sessions = dir.join(".rationale/sessions");
        std::fs::create_dir_all(&sessions).unwrap();
        std::fs::write(sessions.join("1.jsonl"), sound_journal()).unwrap();
        std::fs::write(sessions.join("2.jsonl"), sound_journal() + r#"{"seq":4,"ts":"#).unwrap();
        std::fs::write(sessions.join("3.jsonl"), "").unwrap();

        let (code, out, err) = run_verify(&dir);
        assert_eq!(code, 0, "{out}{err}");
        assert!(
            out.contains(
                "1.jsonl: ok (4 records, 1 edit, 1 file, 1 save; unchained: written before the chain)"
            ),
            "{out}"
        );
        assert!(out.contains("2.jsonl: ok, 1 warning"), "{out}");
        assert!(out.contains("2.jsonl:5: torn final line"), "{out}");
        assert!(out.contains("3.jsonl: ok, 1 warning"), "{out}");
        assert!(out.contains("Verified 3 journals"), "{out}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn gaps_garbage_and_disagreeing_saves_fail_naming_file_and_line() {
        let dir = tempdir("verify");
        let sessions = dir.join(".rationale/sessions");
        std::fs::create_dir_all(&sessions).unwrap();
        std::fs::write(sessions.join("ok.jsonl"), sound_journal()).unwrap();
        let gap = sound_journal().replace(r#""seq":2,"#, r#""seq":7,"#);
        std::fs::write(sessions.join("gap.jsonl"), gap).unwrap();
        let garbage = sound_journal().replacen('\n', "\n{not json}\n", 1);
        std::fs::write(sessions.join("garbage.jsonl"), garbage).unwrap();
        let hash = sound_journal().replace(&sha("ab"), &sha("abc"));
        std::fs::write(sessions.join("hash.jsonl"), hash).unwrap();

        let (code, out, _) = run_verify(&dir);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("gap.jsonl:3: seq jumps from 1 to 7"), "{out}");
        assert!(out.contains("garbage.jsonl:2: not a journal record"), "{out}");
        assert!(out.contains("hash.jsonl:4: `save` of a.py (seq 3)"), "{out}");
        assert!(out.contains("ok.jsonl: ok"), "{out}");
        assert!(out.contains("1 sound, 3 with problems (3 errors, 0 warnings)"), "{out}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_folder_without_journals_is_reported() {
        let dir = tempdir("verify");
        let (code, _, err) = run_verify(&dir);
        assert_eq!(code, 1);
        assert!(err.contains("no session was recorded"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
