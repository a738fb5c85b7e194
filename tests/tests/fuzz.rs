//! Fuzzing on stable Rust: random sessions against the real server over stdio, and damaged
//! journals against the command line, for as long as `RATIONALE_FUZZ_SECONDS` says (60 by
//! default, what CI runs; the long run is `RATIONALE_FUZZ_SECONDS=3600`).
//!
//! - **The server**: each case starts a server and sends it a random session: documents in every
//!   language opened, edited and saved, mixed with edits whose positions are out of range, negative,
//!   fractional or inside a surrogate pair, texts with CRLF, NUL, lone surrogates and emoji, every
//!   request and command the server knows with parameters whose fields are removed or replaced by
//!   JSON of another shape, messages before `initialize` and after `shutdown`, and frames of
//!   garbage. After the case the server must still answer within ten seconds (no hang), must not
//!   have panicked, must exit with 0 after `shutdown` and `exit`, and `rationale verify` must pass
//!   on what it wrote.
//! - **The journal reader**: a real journal, cut at a random byte, with bits flipped, lines
//!   removed, repeated, moved or replaced by junk, goes through `verify`, `sessions`, `replay`,
//!   `stats` and `export`. Each must answer within ten seconds with exit code 0 or 1 and no panic.
//!
//! A case that breaks a promise fails the test with its seed; it is kept as a test of its own once
//! fixed (the server's in `sessions_that_once_left_units_unlike_a_fresh_extraction`). Reproduce one: `RATIONALE_TEST_SEED=<seed> RATIONALE_FUZZ_SECONDS=1 cargo test --release
//! -p rationale-tests --test fuzz`, which runs that seed first.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rationale_tests::gen::{initial_text, EditGen};
use rationale_tests::journal::verify;
use rationale_tests::model::Change;
use rationale_tests::rng::base_seed;
use rationale_tests::{Encoding, Rng, Server, ServerOptions, TextModel};
use serde_json::{json, Value};

const ANSWER: Duration = Duration::from_secs(10);

fn budget() -> Duration {
    let seconds = match std::env::var("RATIONALE_FUZZ_SECONDS") {
        Ok(value) => {
            value.parse().unwrap_or_else(|_| panic!("RATIONALE_FUZZ_SECONDS must be a number, got {value:?}"))
        }
        Err(_) => 60.0,
    };
    Duration::from_secs_f64(seconds)
}

const DOCS: &[&str] =
    &["src/app.py", "web/ui.js", "lib/types.ts", "view.tsx", "cmd/main.go", "src/lib.rs", "notes.txt"];

const STRANGE: &[&str] = &[
    "\u{0}",
    "\r\n",
    "\r",
    "\u{feff}",
    "👨‍👩‍👧",
    "😀",
    "é",
    "\u{202e}",
    "日本語",
    "\t",
    "\u{2028}",
    "def f():\n    return 1\n",
    "class A:\n  def m(self): pass\n",
    "function g() { return 2; }\n",
    "// why: the proxy drops the first request\n",
    "# why: retry because the cache goes stale\n",
    "func H() int { return 3 }\n",
    "fn k() -> u8 { 4 }\n",
];

/// A random text made of strange pieces.
fn strange_text(rng: &mut Rng, pieces: usize) -> String {
    (0..pieces).map(|_| *rng.pick(STRANGE)).collect()
}

/// Random JSON of any shape, at most `depth` deep.
fn wild(rng: &mut Rng, depth: usize) -> Value {
    match rng.below(if depth == 0 { 7 } else { 9 }) {
        0 => Value::Null,
        1 => json!(rng.chance(0.5)),
        2 => json!(rng.below(5) as i64 - 2),
        3 => rng
            .pick(&[
                json!(-1),
                json!(1e300),
                json!(u64::MAX),
                json!(i64::MIN),
                json!(0.5),
                json!(4294967296u64),
            ])
            .clone(),
        4 => json!(strange_text(rng, 3)),
        5 => json!(""),
        6 => json!("\\ud800"),
        7 => Value::Array((0..rng.below(4)).map(|_| wild(rng, depth - 1)).collect()),
        _ => {
            let keys = [
                "uri",
                "text",
                "changeId",
                "pairId",
                "range",
                "line",
                "character",
                "verdict",
                "from",
                "limit",
            ];
            Value::Object(
                (0..rng.below(4)).map(|_| (rng.pick(&keys).to_string(), wild(rng, depth - 1))).collect(),
            )
        }
    }
}

/// `value` with some of its fields removed or replaced by wild JSON.
fn mutate(rng: &mut Rng, value: &mut Value) {
    match value {
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                match rng.below(10) {
                    0 => {
                        map.remove(&key);
                    }
                    1 => {
                        map.insert(key, wild(rng, 2));
                    }
                    _ => mutate(rng, map.get_mut(&key).unwrap()),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| mutate(rng, item)),
        _ if rng.chance(0.1) => *value = wild(rng, 1),
        _ => {}
    }
}

/// A position anywhere: on the text, past it, negative, fractional or enormous.
fn wild_position(rng: &mut Rng, model: &TextModel) -> Value {
    let lines = model.line_count().max(1);
    match rng.below(6) {
        0 => json!({"line": -1, "character": 0}),
        1 => json!({"line": rng.below(lines), "character": 1.5}),
        2 => json!({"line": u32::MAX, "character": u32::MAX}),
        3 => json!({"line": rng.below(lines + 3), "character": rng.below(400)}),
        _ => json!({"line": rng.below(lines), "character": rng.below(3)}),
    }
}

struct Doc {
    uri: String,
    language: &'static str,
    model: TextModel,
    version: i64,
    open: bool,
}

/// One random session; what went wrong, if anything.
fn server_case(seed: u64) -> Result<(), String> {
    let mut rng = Rng::new(seed);
    let encoding = if rng.chance(0.5) { Encoding::Utf8 } else { Encoding::Utf16 };
    let mut server = Server::spawn(ServerOptions::with_encoding(encoding));
    let mut next_id = 1_000_000i64;
    let mut request = |server: &Server, method: &str, params: Value| {
        next_id += 1;
        let _ =
            server.try_send(&json!({"jsonrpc": "2.0", "id": next_id, "method": method, "params": params}));
        next_id
    };
    if rng.chance(0.1) {
        request(&server, "rationale/pendingChanges", json!({}));
    }
    let mut init = server.initialize_params();
    if rng.chance(0.3) {
        init["initializationOptions"] = json!({
            "author": wild(&mut rng, 1), "minRationaleChars": wild(&mut rng, 0),
            "settleMs": wild(&mut rng, 0), "exclude": wild(&mut rng, 1),
        });
    }
    let id = request(&server, "initialize", init);
    if server.wait_response(id, ANSWER).is_none() {
        return Err(format!("no answer to initialize{}", server.stderr_note()));
    }
    let _ = server.try_send(&json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));

    let newline = if rng.chance(0.5) { "\n" } else { "\r\n" };
    let gen = EditGen::new(encoding, if newline == "\n" { "\n" } else { "\r\n" });
    let mut docs: Vec<Doc> = DOCS
        .iter()
        .take(rng.between(1, DOCS.len()))
        .map(|rel| Doc {
            uri: server.uri(rel),
            language: rationale_tests::server::language_of(rel),
            model: TextModel::new(initial_text(&mut rng, newline)),
            version: 1,
            open: false,
        })
        .collect();
    let mut shut = false;
    for _ in 0..rng.between(20, 160) {
        let d = rng.below(docs.len());
        let doc = &mut docs[d];
        match rng.below(20) {
            0..=2 => {
                if rng.chance(0.3) {
                    doc.model = TextModel::new(strange_text(&mut rng, 8));
                }
                doc.open = true;
                let _ = server.try_send(&json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
                    "textDocument": {"uri": doc.uri, "languageId": doc.language, "version": doc.version, "text": doc.model.text}}}));
            }
            3..=8 => {
                doc.version += if rng.chance(0.05) { -3 } else { 1 };
                let changes: Vec<Value> = if rng.chance(0.7) {
                    gen.notification(&mut rng, &mut doc.model).iter().map(Change::to_json).collect()
                } else {
                    // A wild change: the server's copy may differ from ours from here on, which
                    // the server must survive (and resync at a save).
                    let start = wild_position(&mut rng, &doc.model);
                    let end = wild_position(&mut rng, &doc.model);
                    let pieces = rng.below(4);
                    let text = strange_text(&mut rng, pieces);
                    vec![json!({"range": {"start": start, "end": end}, "text": text})]
                };
                let _ = server
                    .try_send(&json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                    "textDocument": {"uri": doc.uri, "version": doc.version}, "contentChanges": changes}}));
            }
            9 | 10 => {
                let _ = server
                    .try_send(&json!({"jsonrpc": "2.0", "method": "textDocument/didSave", "params": {
                    "textDocument": {"uri": doc.uri}, "text": doc.model.text}}));
            }
            11 => {
                doc.open = false;
                let _ = server
                    .try_send(&json!({"jsonrpc": "2.0", "method": "textDocument/didClose", "params": {
                    "textDocument": {"uri": doc.uri}}}));
            }
            12..=16 => {
                let position = wild_position(&mut rng, &doc.model);
                let (method, mut params) = match rng.below(9) {
                    0 => (
                        "textDocument/codeAction",
                        json!({"textDocument": {"uri": doc.uri},
                        "range": {"start": position, "end": position}, "context": {"diagnostics": []}}),
                    ),
                    1 => (
                        "textDocument/hover",
                        json!({"textDocument": {"uri": doc.uri}, "position": position}),
                    ),
                    2 => ("textDocument/codeLens", json!({"textDocument": {"uri": doc.uri}})),
                    3 => ("rationale/pendingChanges", json!({"uri": doc.uri})),
                    4 => ("rationale/changeTexts", json!({"changeId": format!("{}.{}", "x", rng.below(5))})),
                    5 => ("rationale/sessions", json!({})),
                    6 => (
                        "rationale/timeline",
                        json!({"session": "x", "from": rng.below(9), "limit": rng.below(9)}),
                    ),
                    7 => ("rationale/review", json!({"pairId": "a:1", "verdict": "accept"})),
                    _ => {
                        let commands = ["rationale.record", "rationale.skip", "rationale.explain", "nope"];
                        (
                            "workspace/executeCommand",
                            json!({"command": rng.pick(&commands),
                            "arguments": [{"changeId": format!("c.{}", rng.below(3)), "text": strange_text(&mut rng, 4)}]}),
                        )
                    }
                };
                mutate(&mut rng, &mut params);
                request(&server, method, params);
            }
            17 => {
                // A frame of garbage, correctly framed: a parse error, and the server reads on.
                let body: Vec<u8> = if rng.chance(0.5) {
                    (0..rng.below(40)).map(|_| rng.below(256) as u8).collect()
                } else {
                    // JSON that names a lone surrogate, which no Rust string can hold.
                    format!(
                        r#"{{"jsonrpc":"2.0","method":"textDocument/didChange","params":{{"textDocument":{{"uri":"{}","version":{}}},"contentChanges":[{{"text":"a\ud800b"}}]}}}}"#,
                        doc.uri, doc.version + 1
                    )
                    .into_bytes()
                };
                let mut bytes = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
                bytes.extend(body);
                let _ = server.write_raw(&bytes);
            }
            18 => {
                let method = *rng.pick(&[
                    "textDocument/didChange",
                    "textDocument/didOpen",
                    "$/cancelRequest",
                    "$/setTrace",
                ]);
                let _ = server
                    .try_send(&json!({"jsonrpc": "2.0", "method": method, "params": wild(&mut rng, 3)}));
            }
            _ => {
                if rng.chance(0.05) && !shut {
                    shut = true;
                    request(&server, "shutdown", Value::Null);
                }
            }
        }
    }
    if !shut {
        let probe = request(&server, "rationale/pendingChanges", json!({}));
        if server.wait_response(probe, ANSWER).is_none() {
            return Err(format!("the server stopped answering (hang or death){}", server.stderr_note()));
        }
        let id = request(&server, "shutdown", Value::Null);
        match server.wait_response(id, ANSWER) {
            Some(Ok(Value::Null)) => {}
            other => return Err(format!("shutdown answered {other:?}{}", server.stderr_note())),
        }
    }
    let _ = server.try_send(&json!({"jsonrpc": "2.0", "method": "exit"}));
    let status = server.wait_exit(ANSWER);
    let stderr = server.stderr();
    if stderr.contains("panicked") {
        return Err(format!("the server panicked:\n{stderr}"));
    }
    match status {
        Some(status) if status.code() == Some(0) => {}
        other => {
            return Err(format!("exit after shutdown (sent mid-session: {shut}) gave {other:?}:\n{stderr}"))
        }
    }
    if Server::journal_paths_of(server.root()).is_empty() {
        // Nothing was opened before the end: no session to verify.
        return Ok(());
    }
    let verified = verify(server.root());
    if !verified.success() {
        return Err(format!("verify failed on the journal this session wrote:\n{}", verified.describe()));
    }
    Ok(())
}

#[test]
fn random_sessions_never_crash_hang_or_break_the_journal() {
    let base = base_seed(0x5eed_f022);
    let budget = budget();
    let started = Instant::now();
    let mut cases = 0u64;
    let mut failures = Vec::new();
    while started.elapsed() < budget || cases == 0 {
        let seed = base.wrapping_add(cases);
        cases += 1;
        if let Err(problem) = server_case(seed) {
            failures.push(format!("seed {seed}: {problem}"));
            if failures.len() >= 3 {
                break;
            }
        }
    }
    eprintln!("server fuzz: {cases} sessions in {:?}, {} failed", started.elapsed(), failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Sessions the fuzzer once failed, run every time: each left the server's units other than a
/// fresh extraction of the same text finds (the server checks after every update under the
/// harness, and panicked), in a small document broken enough that tree-sitter's error recovery,
/// swayed by an edit inside one function, parsed text outside it otherwise.
#[test]
fn sessions_that_once_left_units_unlike_a_fresh_extraction() {
    for seed in [1592655126, 1592657542, 1592663935] {
        if let Err(problem) = server_case(seed) {
            panic!("seed {seed}: {problem}");
        }
    }
}

/// A journal to damage: a real session of edits, saves and a rationale in each of two documents.
fn corpus() -> (tempfile::TempDir, Vec<u8>) {
    let mut server = Server::start(ServerOptions::default());
    let mut rng = Rng::new(7);
    for rel in ["src/app.py", "web/ui.js"] {
        let newline = if rel.ends_with(".js") { "\r\n" } else { "\n" };
        let gen = EditGen::new(Encoding::Utf16, newline);
        let mut model = TextModel::new(rationale_tests::samples::APP.replace('\n', newline));
        let uri = server.open(rel, &model.text);
        for version in 2..40 {
            let changes = gen.notification(&mut rng, &mut model);
            server.did_change(&uri, version, &changes);
            if version % 10 == 0 {
                server.did_save(&uri, &model.text);
            }
        }
        let pending = server.request_ok("rationale/pendingChanges", json!({"uri": uri}));
        if let Some(change) = pending["changes"][0]["id"].as_str() {
            server.request_ok(
                "workspace/executeCommand",
                json!({"command": "rationale.record", "arguments": [{"changeId": change,
                    "text": "Keep the retry: the proxy drops the first request after idle."}]}),
            );
        }
    }
    server.shutdown_and_exit();
    let journal = Server::journal_paths_of(server.root()).remove(0);
    let bytes = std::fs::read(&journal).unwrap();
    let dir = tempfile::tempdir().unwrap();
    (dir, bytes)
}

/// Lines a damaged journal may hold: empty objects, another JSON value, a `seq` of the wrong type,
/// bytes that are not UTF-8, a record without its fields.
const JUNK: &[&[u8]] =
    &[b"{}\n", b"null\n", b"{\"seq\":\"x\"}\n", b"\xff\xfe\n", b"{\"seq\":1,\"type\":\"change\"}\n"];

fn damage(rng: &mut Rng, journal: &[u8]) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = journal.split_inclusive(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    for _ in 0..rng.between(1, 4) {
        let n = lines.len().max(1);
        match rng.below(7) {
            0 => {
                lines.remove(rng.below(n).min(lines.len().saturating_sub(1)));
            }
            1 => {
                let line = lines[rng.below(n)].clone();
                lines.insert(rng.below(n), line);
            }
            2 => {
                let from = rng.below(n);
                let line = lines.remove(from);
                lines.insert(rng.below(lines.len() + 1), line);
            }
            3 => {
                let line = &mut lines[rng.below(n)];
                if !line.is_empty() {
                    let at = rng.below(line.len());
                    line[at] ^= 1 << rng.below(8);
                }
            }
            4 => {
                let junk = rng.pick::<&[u8]>(JUNK).to_vec();
                lines.insert(rng.below(n), junk);
            }
            5 => {
                let line = &mut lines[rng.below(n)];
                let keep = rng.below(line.len() + 1);
                line.truncate(keep);
            }
            _ => {
                // A number field of another type.
                let line = &mut lines[rng.below(n)];
                let text = String::from_utf8_lossy(line).replacen("\"seq\":", "\"seq\":\"", 1);
                *line = text.into_bytes();
            }
        }
        if lines.is_empty() {
            break;
        }
    }
    let mut bytes = lines.concat();
    if rng.chance(0.3) {
        let cut = rng.below(bytes.len() + 1);
        bytes.truncate(cut);
    }
    bytes
}

/// Runs the binary with `args`; what went wrong, if anything.
fn cli_case(args: &[&std::ffi::OsStr]) -> Result<(), String> {
    let mut child = Command::new(rationale_tests::binary::path())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                use std::io::Read;
                let _ = pipe.read_to_string(&mut stderr);
            }
            return match status.code() {
                Some(0 | 1) if !stderr.contains("panicked") => Ok(()),
                code => Err(format!("{args:?} exited with {code:?} (signal or panic):\n{stderr}")),
            };
        }
        if started.elapsed() > ANSWER {
            let _ = child.kill();
            return Err(format!("{args:?} did not finish within {ANSWER:?}"));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn damaged_journals_get_an_answer_never_a_panic_or_a_hang() {
    let (dir, journal) = corpus();
    let base = base_seed(0x5eed_f023);
    let budget = budget();
    let started = Instant::now();
    let folder = dir.path().join("ws");
    let sessions = folder.join(".rationale").join("sessions");
    std::fs::create_dir_all(&sessions).unwrap();
    let path = sessions.join("20261204T000000Z-fuzzed.jsonl");
    let out = dir.path().join("out");
    let mut cases = 0u64;
    let mut failures = Vec::new();
    while started.elapsed() < budget || cases == 0 {
        let seed = base.wrapping_add(cases);
        cases += 1;
        let mut rng = Rng::new(seed);
        std::fs::write(&path, damage(&mut rng, &journal)).unwrap();
        let _ = std::fs::remove_dir_all(&out);
        let at = rng.below(120).to_string();
        let exported = dir.path().join("export.jsonl");
        let runs: [Vec<&std::ffi::OsStr>; 5] = [
            vec!["verify".as_ref(), folder.as_os_str()],
            vec!["sessions".as_ref(), folder.as_os_str()],
            vec![
                "replay".as_ref(),
                path.as_os_str(),
                "--out".as_ref(),
                out.as_os_str(),
                "--at".as_ref(),
                at.as_ref(),
            ],
            vec!["stats".as_ref(), folder.as_os_str()],
            vec![
                "export".as_ref(),
                folder.as_os_str(),
                "--out".as_ref(),
                exported.as_os_str(),
                "--keep-going".as_ref(),
            ],
        ];
        for args in &runs {
            if let Err(problem) = cli_case(args) {
                failures.push(format!("seed {seed}: {problem}"));
            }
        }
        if failures.len() >= 3 {
            break;
        }
    }
    eprintln!("journal fuzz: {cases} damaged journals in {:?}, {} failed", started.elapsed(), failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
