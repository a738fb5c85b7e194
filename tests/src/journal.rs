//! Reading journals as a tolerant reader must (a torn final line is not a record), and running the
//! journal commands of the binary: `rationale replay`, `verify` and `sessions`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A journal as read from disk.
#[derive(Clone, Debug)]
pub struct Journal {
    pub path: PathBuf,
    /// Every complete line, parsed.
    pub records: Vec<Value>,
    /// A final line without its line break (a write cut short), if any.
    pub torn: Option<String>,
}

impl Journal {
    /// Reads a journal. Every line that ends with `\n` must be a JSON object; a last line without
    /// `\n` is kept apart as torn. An error names the line at fault.
    pub fn read(path: &Path) -> Result<Journal, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        let mut records = Vec::new();
        let mut torn = None;
        let mut rest: &[u8] = &bytes;
        let mut number = 0;
        while !rest.is_empty() {
            number += 1;
            match rest.iter().position(|&b| b == b'\n') {
                Some(end) => {
                    let line = &rest[..end];
                    rest = &rest[end + 1..];
                    let value: Value = serde_json::from_slice(line).map_err(|e| {
                        format!(
                            "{} line {number} is not JSON ({e}): {}",
                            path.display(),
                            preview(&String::from_utf8_lossy(line), 200)
                        )
                    })?;
                    if !value.is_object() {
                        return Err(format!("{} line {number} is not an object", path.display()));
                    }
                    records.push(value);
                }
                None => {
                    torn = Some(String::from_utf8_lossy(rest).into_owned());
                    rest = &[];
                }
            }
        }
        Ok(Journal { path: path.to_path_buf(), records, torn })
    }

    /// The one journal of a workspace folder; fails the test unless there is exactly one.
    pub fn only_one_in(folder: &Path) -> Journal {
        let paths = crate::Server::journal_paths_of(folder);
        assert_eq!(
            paths.len(),
            1,
            "expected exactly one journal in {}/.rationale/sessions, found {paths:?}",
            folder.display()
        );
        Journal::read(&paths[0]).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Checks what every journal must be: `seq` 0, 1, 2, ... without gaps, a `ts` and a `type` on
    /// every record, and the `session` record first.
    pub fn assert_well_formed(&self) {
        for (i, record) in self.records.iter().enumerate() {
            assert_eq!(
                record["seq"].as_u64(),
                Some(i as u64),
                "record {i} of {} has seq {} (seq must run 0, 1, 2, ... without gaps)\n{}",
                self.path.display(),
                record["seq"],
                self.summary()
            );
            assert!(record["ts"].is_string(), "record {i} has no ts: {record}");
            assert!(record["type"].is_string(), "record {i} has no type: {record}");
        }
        if let Some(first) = self.records.first() {
            assert_eq!(first["type"], "session", "the first record must be the session record");
        }
    }

    pub fn session(&self) -> &Value {
        let first = self.records.first().expect("the journal is empty");
        assert_eq!(first["type"], "session", "the first record must be the session record");
        first
    }

    pub fn of_type(&self, kind: &str) -> Vec<&Value> {
        self.records.iter().filter(|r| r["type"] == kind).collect()
    }

    pub fn for_path(&self, path: &str) -> Vec<&Value> {
        self.records.iter().filter(|r| r["path"] == path).collect()
    }

    /// Every edit journaled for `path`, in order, across its `change` records (which may be
    /// coalesced: only the concatenation is fixed).
    pub fn edits_for(&self, path: &str) -> Vec<Value> {
        self.records
            .iter()
            .filter(|r| r["type"] == "change" && r["path"] == path)
            .flat_map(|r| r["edits"].as_array().cloned().unwrap_or_default())
            .collect()
    }

    /// The `save` records of `path`, in order.
    pub fn saves_for(&self, path: &str) -> Vec<&Value> {
        self.records.iter().filter(|r| r["type"] == "save" && r["path"] == path).collect()
    }

    pub fn last(&self) -> Option<&Value> {
        self.records.last()
    }

    /// A short listing for failure messages: one line a record, long texts cut.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        for r in self.records.iter().take(200) {
            let mut line = format!("  {} {}", r["seq"], r["type"].as_str().unwrap_or("?"));
            for key in ["path", "version", "reason", "sha256", "positionEncoding"] {
                if let Some(v) = r.get(key) {
                    line.push_str(&format!(" {key}={v}"));
                }
            }
            if let Some(edits) = r["edits"].as_array() {
                line.push_str(&format!(" edits={}", edits.len()));
            }
            if let Some(text) = r["text"].as_str() {
                line.push_str(&format!(" text={}", preview(text, 60)));
            }
            out.push_str(&line);
            out.push('\n');
        }
        if self.records.len() > 200 {
            out.push_str(&format!("  ... {} records in all\n", self.records.len()));
        }
        if let Some(torn) = &self.torn {
            out.push_str(&format!("  (torn final line: {})\n", preview(torn, 80)));
        }
        out
    }
}

/// At most `n` characters of `text`, escaped, for messages.
pub fn preview(text: &str, n: usize) -> String {
    let cut: String = text.chars().take(n).collect();
    if cut.len() < text.len() {
        format!("{cut:?}... ({} bytes)", text.len())
    } else {
        format!("{cut:?}")
    }
}

/// What a command printed, and how it ended.
#[derive(Debug)]
pub struct RunOutput {
    pub command: String,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl RunOutput {
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// For failure messages.
    pub fn describe(&self) -> String {
        format!(
            "`{}` exited with {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command,
            self.status,
            preview_block(&self.stdout),
            preview_block(&self.stderr)
        )
    }
}

fn preview_block(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() > 40 {
        format!("{}\n... ({} lines)", lines[..40].join("\n"), lines.len())
    } else {
        text.to_string()
    }
}

/// Runs the binary with `args` (not `lsp`), with no input, and waits up to two minutes.
pub fn run_cli<S: AsRef<OsStr>>(args: &[S]) -> RunOutput {
    let bin = crate::binary::path();
    let command = format!(
        "rationale {}",
        args.iter().map(|a| a.as_ref().to_string_lossy().into_owned()).collect::<Vec<_>>().join(" ")
    );
    let mut child = Command::new(bin)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
    // Drain both pipes while waiting, so a chatty command cannot block.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stdout, &mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stderr, &mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`{command}` did not finish within 2 minutes");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    RunOutput {
        command,
        status,
        stdout: String::from_utf8_lossy(&out.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&err.join().unwrap()).into_owned(),
    }
}

/// `rationale replay JOURNAL --out OUT [--at SEQ]`.
pub fn replay(journal: &Path, out: &Path, at: Option<u64>) -> RunOutput {
    let mut args: Vec<std::ffi::OsString> = vec!["replay".into(), journal.into(), "--out".into(), out.into()];
    if let Some(seq) = at {
        args.push("--at".into());
        args.push(seq.to_string().into());
    }
    run_cli(&args)
}

/// Replays `journal` up to record `at` into a fresh directory, which must succeed; returns the
/// directory (the files are under it by workspace-relative path).
pub fn replay_ok(journal: &Path, at: Option<u64>) -> tempfile::TempDir {
    let out = tempfile::Builder::new().prefix("rationale-replay-").tempdir().unwrap();
    let result = replay(journal, out.path(), at);
    assert!(result.success(), "replay failed:\n{}", result.describe());
    out
}

/// The bytes of `rel` as `rationale replay --at SEQ` rebuilds it.
pub fn replayed_file(journal: &Path, at: Option<u64>, rel: &str) -> Vec<u8> {
    let out = replay_ok(journal, at);
    let path = out.path().join(rel);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "replay --at {at:?} of {} did not write {rel} ({e}); it wrote: {:?}",
            journal.display(),
            list_files(out.path())
        )
    })
}

/// Fails with a readable message unless `actual` (replayed) equals `expected` (the model).
pub fn assert_same_text(actual: &[u8], expected: &str, what: &str) {
    if actual == expected.as_bytes() {
        return;
    }
    let actual = String::from_utf8_lossy(actual);
    let first = actual
        .char_indices()
        .zip(expected.chars())
        .find(|((_, a), e)| a != e)
        .map(|((i, _), _)| i)
        .unwrap_or_else(|| actual.len().min(expected.len()));
    let from = first.saturating_sub(40);
    let window = |s: &str| {
        let mut a = from.min(s.len());
        while !s.is_char_boundary(a) {
            a -= 1;
        }
        let mut b = (first + 60).min(s.len());
        while !s.is_char_boundary(b) {
            b += 1;
        }
        format!("{:?}", &s[a..b])
    };
    panic!(
        "{what}: the texts differ at byte {first} (replayed {} bytes, expected {} bytes)\n  replayed: ...{}...\n  expected: ...{}...",
        actual.len(),
        expected.len(),
        window(&actual),
        window(expected)
    );
}

/// `rationale verify DIR`.
pub fn verify(dir: &Path) -> RunOutput {
    run_cli(&[OsStr::new("verify"), dir.as_os_str()])
}

/// `rationale verify DIR` must pass.
pub fn assert_verify_ok(dir: &Path) {
    let result = verify(dir);
    assert!(result.success(), "verify must pass:\n{}", result.describe());
}

/// Every file under `dir`, relative.
pub fn list_files(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(base, &path, out);
                } else {
                    out.push(path.strip_prefix(base).unwrap().to_string_lossy().into_owned());
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}
