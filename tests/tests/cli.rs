//! The journal commands on journals a real session wrote, and on damaged copies of them:
//! `rationale verify` fails on a gap, on garbage in the middle and on a save hash that disagrees,
//! naming the file and line, and only warns about a torn final line; `rationale replay` rebuilds
//! files by workspace-relative path, `--at` any record, and exits 1 on a bad save hash.

use std::path::{Path, PathBuf};

use rationale_tests::journal::{list_files, replay, replayed_file, verify, Journal};
use rationale_tests::model::{Change, Pos};
use rationale_tests::{Encoding, Server, ServerOptions, TextModel};

/// A finished session on two documents: returns the server (which owns the workspace), the
/// journal, and the texts of `src/app.py` after each of its records.
fn recorded_session() -> (Server, Journal, Vec<String>) {
    let mut server = Server::start(ServerOptions::with_encoding(Encoding::Utf8));
    let mut model = TextModel::new("def f():\n    return 1\n");
    let uri = server.open("src/app.py", &model.text);
    server.open("lib/deep/util.js", "export const x = 1;\n");
    let mut texts = vec![model.text.clone()];
    for (version, change) in [
        Change::replace(Pos::new(1, 11), Pos::new(1, 12), "2"),
        Change::insert(Pos::new(2, 0), "\ndef g():\n    pass\n"),
        Change::replace(Pos::new(0, 4), Pos::new(0, 5), "main"),
    ]
    .into_iter()
    .enumerate()
    {
        model.apply(&change, Encoding::Utf8).unwrap();
        server.did_change(&uri, version as i64 + 2, &[change]);
        server.did_save(&uri, &model.text);
        texts.push(model.text.clone());
    }
    server.shutdown_and_exit();
    let journal = server.journal();
    journal.assert_well_formed();
    (server, journal, texts)
}

/// A copy of the workspace's store in a new folder, with the journal's lines passed through
/// `damage`. Returns the folder and the damaged journal's path.
fn damaged_copy(journal: &Journal, damage: impl FnOnce(&mut Vec<String>)) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::Builder::new().prefix("rationale-damaged-").tempdir().unwrap();
    let sessions = dir.path().join(".rationale/sessions");
    std::fs::create_dir_all(&sessions).unwrap();
    let text = std::fs::read_to_string(&journal.path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    damage(&mut lines);
    let path = sessions.join(journal.path.file_name().unwrap());
    let mut out = lines.join("\n");
    out.push('\n');
    std::fs::write(&path, out).unwrap();
    (dir, path)
}

fn line_of(journal: &Journal, kind: &str, nth: usize) -> usize {
    journal.records.iter().enumerate().filter(|(_, r)| r["type"] == kind).nth(nth).expect("such a record").0
}

fn assert_names_file_and_line(output: &str, file: &Path, line: usize, what: &str) {
    let name = file.file_name().unwrap().to_str().unwrap();
    assert!(output.contains(name), "{what}: the message must name the journal {name}:\n{output}");
    assert!(output.contains(&line.to_string()), "{what}: the message must name line {line}:\n{output}");
}

#[test]
fn verify_passes_on_a_clean_session_and_says_so() {
    let (server, _journal, _) = recorded_session();
    let result = verify(server.root());
    assert!(result.success(), "{}", result.describe());
    assert!(!result.stdout.trim().is_empty(), "verify prints a summary:\n{}", result.describe());
}

#[test]
fn verify_fails_on_a_gap_in_seq() {
    let (_server, journal, _) = recorded_session();
    let line = line_of(&journal, "change", 1);
    let (dir, path) = damaged_copy(&journal, |lines| {
        lines.remove(line);
    });
    let result = verify(dir.path());
    assert!(!result.success(), "a missing record (seq gap) must fail verify:\n{}", result.describe());
    let output = format!("{}{}", result.stdout, result.stderr);
    assert!(output.contains(path.file_name().unwrap().to_str().unwrap()), "names the journal:\n{output}");
}

#[test]
fn verify_fails_on_garbage_in_the_middle_naming_the_file_and_line() {
    let (_server, journal, _) = recorded_session();
    let line = line_of(&journal, "save", 0);
    let (dir, path) = damaged_copy(&journal, |lines| {
        lines[line] = r#"{"seq": 5, "ts": "2026-11-26T0"#.to_string();
    });
    let result = verify(dir.path());
    assert!(!result.success(), "garbage in the middle must fail verify:\n{}", result.describe());
    assert_names_file_and_line(&format!("{}{}", result.stdout, result.stderr), &path, line + 1, "garbage");
}

#[test]
fn verify_and_replay_fail_on_a_save_hash_that_disagrees() {
    let (_server, journal, _) = recorded_session();
    let line = line_of(&journal, "save", 1);
    let (dir, path) = damaged_copy(&journal, |lines| {
        let mut record: serde_json::Value = serde_json::from_str(&lines[line]).unwrap();
        record["sha256"] = "0".repeat(64).into();
        lines[line] = record.to_string();
    });
    let result = verify(dir.path());
    assert!(!result.success(), "a save hash that disagrees must fail verify:\n{}", result.describe());
    let out = tempfile::tempdir().unwrap();
    let replayed = replay(&path, out.path(), None);
    assert_eq!(
        replayed.status.code(),
        Some(1),
        "replay exits 1 when a save's hash disagrees with the rebuilt text:\n{}",
        replayed.describe()
    );
}

#[test]
fn verify_only_warns_about_a_torn_final_line() {
    let (_server, journal, _) = recorded_session();
    let (dir, path) = damaged_copy(&journal, |_| {});
    // A record cut short by a crash: no line break, not whole JSON.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(br#"{"seq":99,"ts":"2026-11-26T08:30:00.123Z","type":"chan"#);
    std::fs::write(&path, bytes).unwrap();
    let result = verify(dir.path());
    assert!(result.success(), "a torn final line is a warning, not an error:\n{}", result.describe());
    let output = format!("{}{}", result.stdout, result.stderr).to_lowercase();
    assert!(
        output.contains("torn") || output.contains("warning") || output.contains("incomplete"),
        "verify must warn about the torn final line:\n{}",
        result.describe()
    );
    // Replay ignores it too.
    let replayed = replayed_file(&path, None, "src/app.py");
    assert!(!replayed.is_empty());
}

#[test]
fn replay_rebuilds_every_file_by_relative_path_at_any_record() {
    let (_server, journal, texts) = recorded_session();
    let out = tempfile::tempdir().unwrap();
    let result = replay(&journal.path, out.path(), None);
    assert!(result.success(), "{}", result.describe());
    assert_eq!(list_files(out.path()), vec!["lib/deep/util.js".to_string(), "src/app.py".to_string()]);
    // --at each save gives the text saved; --at the open gives the opened text.
    let open = journal.of_type("open")[0]["seq"].as_u64().unwrap();
    assert_eq!(replayed_file(&journal.path, Some(open), "src/app.py"), texts[0].as_bytes());
    for (n, save) in journal.saves_for("src/app.py").iter().enumerate() {
        let seq = save["seq"].as_u64().unwrap();
        let text = replayed_file(&journal.path, Some(seq), "src/app.py");
        assert_eq!(String::from_utf8_lossy(&text), texts[n + 1], "replay --at {seq} (save {n})");
    }
}

#[test]
fn sessions_lists_every_session_of_a_workspace() {
    let (server, journal, _) = recorded_session();
    // A second session on the same workspace.
    let root = server.root().to_path_buf();
    let first = journal.session()["session"].as_str().unwrap().to_string();
    let mut second_server = Server::start(ServerOptions::default());
    second_server.open("a.py", "x = 1\n");
    second_server.shutdown_and_exit();
    let second_journal = second_server.journal();
    let target = root.join(".rationale/sessions").join(second_journal.path.file_name().unwrap());
    std::fs::copy(&second_journal.path, target).unwrap();
    let second = second_journal.session()["session"].as_str().unwrap().to_string();
    let listed = rationale_tests::journal::run_cli(&[std::ffi::OsStr::new("sessions"), root.as_os_str()]);
    assert!(listed.success(), "{}", listed.describe());
    for id in [&first, &second] {
        assert!(listed.stdout.contains(id.as_str()), "sessions must list {id}:\n{}", listed.describe());
    }
}
