//! `rationale sessions [DIR]`: lists the sessions recorded for a workspace folder, oldest first,
//! so the newest is at the bottom, next to the prompt.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::journal::summary::{summarize_workspace, SessionSummary};
use crate::journal::{sessions_dir, JournalErrorKind};
use crate::lsp::SessionOut;

#[derive(clap::Args)]
#[command(after_help = "\
Each session is one run of the language server on the workspace; its journal is
DIR/.rationale/sessions/<SESSION>.jsonl (replay it with `rationale replay`). ENDED is empty for a
session whose server is still running or stopped without saying so. PAIRS counts the changes
explained, FLAGGED those of them with a quality flag (docs/quality.md), SKIPS the changes skipped.")]
pub struct Args {
    /// The workspace folder whose sessions are listed.
    #[arg(value_name = "DIR", default_value = ".")]
    dir: PathBuf,

    /// Print JSON instead of a table: `{"sessions": [...]}`, as the `rationale/sessions` request
    /// answers, with `files` the list of paths the session opened.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> ExitCode {
    ExitCode::from(execute(&args, &mut io::stdout().lock(), &mut io::stderr().lock()))
}

fn execute(args: &Args, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let (sessions, problems) = summarize_workspace(&args.dir);
    let mut failed = false;
    for problem in &problems {
        // A journal without a single complete line is a session that never started.
        if matches!(problem.kind, JournalErrorKind::NoSession { found: None }) {
            let _ = writeln!(err, "warning: {problem}");
        } else {
            failed = true;
            let _ = writeln!(err, "rationale sessions: {problem}");
        }
    }
    let written = if args.json {
        let sessions: Vec<_> = sessions.iter().map(SessionOut::of).collect();
        let json = serde_json::json!({ "sessions": sessions });
        writeln!(out, "{json:#}")
    } else if sessions.is_empty() {
        writeln!(out, "No sessions recorded in {}.", sessions_dir(&args.dir).display())
    } else {
        out.write_all(table(&sessions).as_bytes())
    };
    // A closed pipe (`rationale sessions | head`) is not a failure of the command.
    if let Err(error) = written {
        if error.kind() != io::ErrorKind::BrokenPipe {
            let _ = writeln!(err, "rationale sessions: {error}");
            failed = true;
        }
    }
    u8::from(failed)
}

/// The sessions as a table with a header, columns aligned, counts right-aligned.
fn table(sessions: &[SessionSummary]) -> String {
    let header = ["SESSION", "AUTHOR", "STARTED (UTC)", "ENDED (UTC)", "FILES", "PAIRS", "FLAGGED", "SKIPS"];
    let rows: Vec<[String; 8]> = sessions
        .iter()
        .map(|s| {
            [
                s.id.clone(),
                s.author.clone(),
                readable_time(&s.started),
                s.ended.as_deref().map(readable_time).unwrap_or_default(),
                s.files.len().to_string(),
                s.pairs.to_string(),
                s.flagged.to_string(),
                s.skips.to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    let header = header.map(str::to_owned);
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            let pad = widths[i] - cell.chars().count();
            if i > 0 {
                line.push_str("  ");
            }
            if i >= 4 {
                line.extend(std::iter::repeat_n(' ', pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

/// `2026-11-26T08:30:00.123Z` as `2026-11-26 08:30:00`; anything else as it is.
fn readable_time(ts: &str) -> String {
    match (ts.get(..10), ts.get(10..11), ts.get(11..19)) {
        (Some(date), Some("T"), Some(time)) if ts.ends_with('Z') => format!("{date} {time}"),
        _ => ts.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::samples::{journal_text, open};
    use crate::journal::summary::tests::tempdir;
    use crate::journal::{Body, EndReason};
    use crate::text::Encoding;

    fn run_sessions(dir: &std::path::Path, json: bool) -> (u8, String, String) {
        let args = Args { dir: dir.to_owned(), json };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = execute(&args, &mut out, &mut err);
        (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
    }

    #[test]
    fn sessions_are_listed_oldest_first_in_aligned_columns() {
        let dir = tempdir("sessions");
        let sessions = dir.join(".rationale/sessions");
        std::fs::create_dir_all(&sessions).unwrap();
        let ended = journal_text(
            Encoding::Utf16,
            vec![open("a.py", "a"), open("b.py", "b"), Body::End { reason: EndReason::Shutdown }],
        );
        let running = journal_text(Encoding::Utf16, vec![open("a.py", "a")])
            .replace("2026-11-26T08:30", "2026-11-27T09:00")
            .replace("20261126T083000Z-7f3a9c", "20261127T090000Z-0b0b0b")
            .replace("dev@example.com", "x@y.z");
        std::fs::write(sessions.join("20261127T090000Z-0b0b0b.jsonl"), running).unwrap();
        std::fs::write(sessions.join("20261126T083000Z-7f3a9c.jsonl"), ended).unwrap();

        let (code, out, err) = run_sessions(&dir, false);
        assert_eq!((code, err.as_str()), (0, ""));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines,
            [
                "SESSION                  AUTHOR           STARTED (UTC)        ENDED (UTC)          FILES  PAIRS  FLAGGED  SKIPS",
                "20261126T083000Z-7f3a9c  dev@example.com  2026-11-26 08:30:00  2026-11-26 08:30:03      2      0        0      0",
                "20261127T090000Z-0b0b0b  x@y.z            2026-11-27 09:00:00                           1      0        0      0",
            ]
        );

        let (code, json, _) = run_sessions(&dir, true);
        assert_eq!(code, 0);
        let json: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(json["sessions"][0]["files"], serde_json::json!(["a.py", "b.py"]));
        assert!(json["sessions"][1].get("ended").is_none());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_broken_journal_is_named_and_fails_the_command_but_the_rest_are_listed() {
        let dir = tempdir("sessions");
        let sessions = dir.join(".rationale/sessions");
        std::fs::create_dir_all(&sessions).unwrap();
        std::fs::write(sessions.join("good.jsonl"), journal_text(Encoding::Utf8, vec![])).unwrap();
        std::fs::write(sessions.join("bad.jsonl"), journal_text(Encoding::Utf8, vec![]) + "junk\n").unwrap();
        std::fs::write(sessions.join("empty.jsonl"), "").unwrap();
        let (code, out, err) = run_sessions(&dir, false);
        assert_eq!(code, 1);
        assert!(err.contains("bad.jsonl:2: not a journal record"), "{err}");
        assert!(err.contains("warning: ") && err.contains("empty.jsonl"), "{err}");
        assert_eq!(out.lines().count(), 2, "{out}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_workspace_without_sessions_says_so() {
        let dir = tempdir("sessions");
        let (code, out, _) = run_sessions(&dir, false);
        assert_eq!(code, 0);
        assert!(out.starts_with("No sessions recorded in"), "{out}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
