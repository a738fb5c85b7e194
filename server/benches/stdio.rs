//! The server end to end over stdio, on real code, side by side with the floor the spec names:
//! bare tree-sitter incremental reparsing of the same edits in the same run.
//!
//! Run with `cargo bench -p rationale --bench stdio`. It prints, per file:
//! - the floor: one bare incremental reparse after every keystroke (µs per keystroke);
//! - a burst of keystrokes absorbed by the real server (µs per keystroke, edits per second), and its
//!   ratio to the floor (the spec asks for at most 0.1);
//! - journal bytes per single-character edit: in a burst, typed at 8 and at 3 keys a second;
//! - a fresh answer (`rationale/pendingChanges` right after 200 more keystrokes) beside its floor:
//!   one bare incremental reparse of the same 200 keystrokes into the same text, plus the round
//!   trip of the same answer with nothing new, since the editor waits for the wire too (the target
//!   is at most 1.2×; the core issue decided that the target counts the wire); the same reparse by
//!   a bare tree-sitter that kept its tree from round to round, as an editor parsing for itself
//!   would (the floor's reparse starts from a tree just parsed whole, which on Python costs up to
//!   twice as much), and by one more kept tree reparsed right after each of a few more server
//!   rounds, its caches emptied by the server's work; and, to tell the wire from the work, the
//!   round trip of a request the server only refuses and of the same answer with nothing new;
//! - the time from starting the process to the answer to `initialize`.
//!
//! The benchmark and the servers it starts run on one CPU (see [`pin_to_this_cpu`]).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

#[path = "common/floor.rs"]
mod floor;
#[path = "common/server.rs"]
mod server;
use floor::{floor_once, insertion, typed_into, Kept};
use server::{pin_to_this_cpu, Server};

const BURST: usize = 2_000;
const SLOW: usize = 12;
/// Rounds of a short burst and a request, for the fresh answer.
const ROUNDS: usize = 7;

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Typing a comment at the end of the middle line of the file, one character at a time.
fn keystrokes(text: &str, count: usize, comment: &str) -> (u32, u32, Vec<String>) {
    let lines: Vec<&str> = text.lines().collect();
    let line = lines.len() / 2;
    let column = lines[line].encode_utf16().count();
    let typed = format!(" {comment} ").repeat(count / comment.len() + 2);
    let chars = typed.chars().take(count).map(String::from).collect();
    (line as u32, column as u32, chars)
}

fn change(uri: &str, version: i32, line: u32, column: u32, text: &str) -> Vec<u8> {
    let position = json!({"line": line, "character": column});
    Server::frame(&json!({
        "jsonrpc": "2.0",
        "method": "textDocument/didChange",
        "params": {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"range": {"start": position, "end": position}, "text": text}],
        },
    }))
}

/// µs per keystroke of a bare incremental reparse after every keystroke.
fn floor(text: &str, language: tree_sitter::Language, line: u32, column: u32, typed: &[String]) -> f64 {
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&language).unwrap();
    let mut source = text.to_owned();
    let mut tree = parser.parse(&source, None).unwrap();
    let line_start: usize = source.split_inclusive('\n').take(line as usize).map(str::len).sum();
    let mut byte = line_start + column as usize; // ASCII line: columns are bytes
    let started = Instant::now();
    for ch in typed {
        source.insert_str(byte, ch);
        tree.edit(&insertion(byte, line, (byte - line_start) as u32, ch.len()));
        tree = parser.parse(&source, Some(&tree)).unwrap();
        byte += ch.len();
    }
    started.elapsed().as_secs_f64() * 1e6 / typed.len() as f64
}

fn journal_bytes(workspace: &Path) -> u64 {
    let sessions = workspace.join(".rationale/sessions");
    std::fs::read_dir(sessions)
        .map(|entries| entries.flatten().map(|e| e.metadata().map(|m| m.len()).unwrap_or(0)).sum())
        .unwrap_or(0)
}

fn workspace(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rationale-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn bench_file(file: &str, language: tree_sitter::Language, comment: &str) {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/code").join(file);
    let text = std::fs::read_to_string(&fixture).expect("the fixture");
    let (line, column, typed) = keystrokes(&text, BURST, comment);
    let floor_us = floor(&text, language.clone(), line, column, &typed);

    let dir = workspace(file);
    let path = dir.join(file);
    std::fs::write(&path, &text).unwrap();
    let uri = format!("file://{}", path.display());
    let (mut server, _) = Server::start(&dir);
    let language_id = if file.ends_with(".py") {
        "python"
    } else if file.ends_with(".ts") {
        "typescript"
    } else {
        "javascript"
    };
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": language_id, "version": 1, "text": text}}),
    );
    // Everything up to the open is on disk before the burst starts.
    server.request("shutdown_probe", Value::Null);
    std::thread::sleep(Duration::from_millis(400));
    let before = journal_bytes(&dir);

    let frames: Vec<u8> = typed
        .iter()
        .enumerate()
        .flat_map(|(i, ch)| change(&uri, 2 + i as i32, line, column + i as u32, ch))
        .collect();
    let started = Instant::now();
    server.stdin.write_all(&frames).unwrap();
    server.stdin.flush().unwrap();
    // Text notifications are applied before the next message is read, so this answer comes after
    // the last keystroke was absorbed.
    server.request("shutdown_probe", Value::Null);
    let burst_us = started.elapsed().as_secs_f64() * 1e6 / typed.len() as f64;

    // The first burst is taken stock of, as the settler or the editor's first request would.
    server.request("rationale/pendingChanges", json!({"uri": uri}));
    // What answering costs without anything to bring up to date: a request the server only
    // refuses, and the same answer again.
    let mut round_trips: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let asked = Instant::now();
            server.request("shutdown_probe", Value::Null);
            asked.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    let mut unchanged: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let asked = Instant::now();
            server.request("rationale/pendingChanges", json!({"uri": uri}));
            asked.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    // A request after a short burst must see every keystroke: one reparse of the 200 keystrokes
    // since, then the answer. The floor is one bare reparse of the same 200 keystrokes into the
    // same text, and so is the reparse of the kept tree; the medians of seven rounds are
    // compared, so one stall does not decide.
    let mut fresh = Vec::new();
    let mut floors = Vec::new();
    let mut held = typed_into(&text, line, column, &typed.concat());
    let mut kept = Kept::new(&held, language.clone());
    let mut kepts = Vec::new();
    let mut at = column + typed.len() as u32;
    let round: String = typed.iter().take(200).map(String::as_str).collect();
    for r in 0..ROUNDS {
        let again: Vec<u8> = typed
            .iter()
            .take(200)
            .enumerate()
            .flat_map(|(i, ch)| change(&uri, 5_000 + (r * 200 + i) as i32, line, at + i as u32, ch))
            .collect();
        server.stdin.write_all(&again).unwrap();
        server.stdin.flush().unwrap();
        server.request("shutdown_probe", Value::Null);
        let asked = Instant::now();
        let answer = server.request("rationale/pendingChanges", json!({"uri": uri}));
        fresh.push(asked.elapsed().as_secs_f64() * 1e6);
        let answer: Value = serde_json::from_slice(&answer).unwrap();
        assert!(answer["result"]["changes"].as_array().is_some_and(|c| !c.is_empty()), "{answer}");
        at += 200;
    }
    // The floors are timed after the server's rounds, not between them: between them, the
    // floor's full parse of the file evicted the server's tree and text from the caches the two
    // processes share on a small machine, and the next answer paid for it (on jquery, in eight
    // runs taking turns, a median answer of 1.4 to 2.0 ms between against 1.0 to 1.8 ms after).
    at -= 200 * ROUNDS as u32;
    for _ in 0..ROUNDS {
        kepts.push(kept.reparse(line, at, &round));
        floors.push(floor_once(&held, language.clone(), line, at, &round));
        held = typed_into(&held, line, at, &round);
        at += 200;
    }
    // The cold floor, in rounds of its own so that it does not sit between the timed ones: the
    // server takes 200 keystrokes and answers, then a kept tree reparses the same keystrokes, its
    // caches emptied by the server's work as the server's are by the burst.
    let mut cold = Kept::new(&held, language.clone());
    let mut colds = Vec::new();
    for r in 0..ROUNDS {
        let version = |i: usize| 5_000 + ((ROUNDS + r) * 200 + i) as i32;
        let again: Vec<u8> = typed
            .iter()
            .take(200)
            .enumerate()
            .flat_map(|(i, ch)| change(&uri, version(i), line, at + i as u32, ch))
            .collect();
        server.stdin.write_all(&again).unwrap();
        server.stdin.flush().unwrap();
        server.request("shutdown_probe", Value::Null);
        server.request("rationale/pendingChanges", json!({"uri": uri}));
        colds.push(cold.reparse(line, at, &round));
        at += 200;
    }
    let (fresh_us, reparse_us) = (median(&mut fresh), median(&mut floors));
    let kept_us = median(&mut kepts);
    let cold_us = median(&mut colds);
    let (round_trip_us, unchanged_us) = (median(&mut round_trips), median(&mut unchanged));
    std::thread::sleep(Duration::from_millis(400));
    let burst_bytes = (journal_bytes(&dir) - before) as f64 / (typed.len() + 2 * 200 * ROUNDS) as f64;

    let mut column = at;
    let mut version = 10_000;
    let mut typed_at = |server: &mut Server, interval: Duration| {
        let before = journal_bytes(&dir);
        for _ in 0..SLOW {
            let frame = change(&uri, version, line, column, "x");
            server.stdin.write_all(&frame).unwrap();
            server.stdin.flush().unwrap();
            column += 1;
            version += 1;
            std::thread::sleep(interval);
        }
        std::thread::sleep(Duration::from_millis(400));
        (journal_bytes(&dir) - before) as f64 / SLOW as f64
    };
    let fast_typist = typed_at(&mut server, Duration::from_millis(125));
    let slow_typist = typed_at(&mut server, Duration::from_millis(300));
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);

    println!(
        "{file:<22} {:>6} lines | floor {floor_us:>7.1} µs/key | server burst {burst_us:>6.1} µs/key \
         ({:>6.0} edits/s), ratio {:.3} (spec <= 0.1, aim <= 0.05) | journal B/edit (target <= 120): burst \
         {burst_bytes:.0}, 8 keys/s {fast_typist:.0}, 3 keys/s {slow_typist:.0} | fresh answer \
         {fresh_us:.0} µs vs one bare reparse {reparse_us:.0} µs + the answer with nothing new \
         {unchanged_us:.0} µs (medians of {ROUNDS}): ratio {:.2} (target <= 1.2); against the reparse alone {:.2}, \
         the same reparse of a kept tree {kept_us:.0} µs, ratio {:.2}, and of a kept tree \
         right after a server round {cold_us:.0} µs | a refused request {round_trip_us:.0} µs",
        text.lines().count(),
        1e6 / burst_us,
        burst_us / floor_us,
        fresh_us / (reparse_us + unchanged_us),
        fresh_us / reparse_us,
        fresh_us / kept_us,
    );
}

fn main() {
    rationale::syntax::free_small_blocks_at_once();
    // `cargo bench` passes `--bench`; any other argument filters by file name.
    let filter: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let files: [(&str, tree_sitter::Language, &str); 5] = [
        ("pandas_frame.py", tree_sitter_python::LANGUAGE.into(), "# keep the index aligned"),
        ("jquery.js", tree_sitter_javascript::LANGUAGE.into(), "// keep the handlers bound"),
        ("typescript.d.ts", tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(), "// keep the handlers bound"),
        ("ftplib.py", tree_sitter_python::LANGUAGE.into(), "# keep the index aligned"),
        ("express_response.js", tree_sitter_javascript::LANGUAGE.into(), "// keep the handlers bound"),
    ];
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pinned =
        if std::env::var_os("RATIONALE_BENCH_UNPINNED").is_none() { pin_to_this_cpu() } else { None };
    match pinned {
        Some(cpu) => println!(
            "machine: {cores} cores, the benchmark and the server pinned to CPU {cpu}; {BURST} keystrokes per burst"
        ),
        None => println!("machine: {cores} cores; {BURST} keystrokes per burst"),
    }
    for (file, language, comment) in files {
        if filter.is_empty() || filter.iter().any(|f| file.contains(f.as_str())) {
            bench_file(file, language, comment);
        }
    }

    let dir = workspace("initialize");
    let mut times: Vec<Duration> = (0..15)
        .map(|_| {
            let (server, elapsed) = Server::start(&dir);
            server.stop();
            elapsed
        })
        .collect();
    times.sort();
    println!(
        "initialize answered {:.1} ms after the process started (median of {}; target <= 50 ms)",
        times[times.len() / 2].as_secs_f64() * 1e3,
        times.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
