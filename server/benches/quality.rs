//! What the quality signals cost for one rationale at record time, against the target of
//! at most 1 ms (the median).
//!
//! Each rationale is paired with a real diff: a function of CPython's `ftplib.py` (the tests'
//! fixture) before, and after with one line changed. The rationales are the commit messages of
//! Tian et al.'s benchmark when `RATIONALE_BENCH_TIAN` names their CSV (it has no licence, so it is
//! not in the repository: see docs/quality.md), else a few made here. Every rationale is paired
//! with every function, each pair timed alone; the median, the 99th percentile and the worst are
//! printed.
//!
//! A second measure adds what else record time works out, the whole `quality` of the record:
//! `duplicate_of` among every rationale of the set by the same author (a MinHash index holding
//! them all, as the server's holds the folder's), and the typing measures of the change's edits.
//! It leaves out reading what the journals gained since the last rationale, which depends on
//! how much was typed meanwhile, not on the rationale.
//!
//! Run: `cargo bench -p rationale --bench quality`.

use std::path::Path;
use std::time::Instant;

use rationale::quality::duplicates::Duplicates;
use rationale::quality::typing::Typing;
use rationale::quality::{signals, Change, Quality};

const TARGET_MS: f64 = 1.0;

fn main() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/code/ftplib.py");
    let source = std::fs::read_to_string(&fixture).expect("reading the ftplib fixture");
    let units = functions(&source);
    let rationales = rationales();
    println!("{} rationales x {} functions of ftplib.py", rationales.len(), units.len());

    let mut times = Vec::with_capacity(rationales.len() * units.len());
    let mut flagged = 0usize;
    for (before, after) in &units {
        for rationale in &rationales {
            let start = Instant::now();
            let result = signals(rationale, Some(Change { before, after }));
            times.push(start.elapsed().as_secs_f64() * 1e3);
            flagged += usize::from(!result.flags().is_empty());
        }
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    println!(
        "signals per rationale: median {:.4} ms, p99 {:.4} ms, worst {:.4} ms (target: median ≤ {TARGET_MS} ms); {flagged} of {} flagged",
        at(0.5),
        at(0.99),
        times[times.len() - 1],
        times.len()
    );

    let mut earlier = Duplicates::new();
    for (i, rationale) in rationales.iter().enumerate() {
        earlier.add(i, rationale);
    }
    let typing = (0..200).fold(Typing::default(), |typing, i| {
        typing.then(Typing::edit(if i % 50 == 0 { "value = compute(x)\n" } else { "x" }, start_of_bench()))
    });
    let mut times = Vec::with_capacity(rationales.len() * units.len());
    let mut duplicates = 0usize;
    for (before, after) in &units {
        for rationale in &rationales {
            let start = Instant::now();
            let found = earlier.find(&usize::MAX, rationale).map(|i| i.to_string());
            let quality =
                Quality::new(&signals(rationale, Some(Change { before, after })), found).with_typing(&typing);
            times.push(start.elapsed().as_secs_f64() * 1e3);
            duplicates += usize::from(quality.duplicate_of.is_some());
        }
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    println!(
        "whole quality at record time (signals, duplicate_of among {} earlier, typing): median {:.4} ms, p99 {:.4} ms, worst {:.4} ms (target: median ≤ {TARGET_MS} ms); {duplicates} of {} found one (each rationale is in the index itself, so every lookup compares a candidate: the costly case)",
        earlier.len(),
        at(0.5),
        at(0.99),
        times[times.len() - 1],
        times.len()
    );
}

/// One instant for every edit of the made-up change: the typing measures cost the same whatever
/// the times.
fn start_of_bench() -> Instant {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *START.get_or_init(Instant::now)
}

/// Every top-level `def` or method of `source`, before and after one of its lines is changed.
fn functions(source: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = source.lines().collect();
    let starts: Vec<usize> =
        (0..lines.len()).filter(|&i| lines[i].trim_start().starts_with("def ")).collect();
    starts
        .iter()
        .enumerate()
        .map(|(n, &start)| {
            let end = starts.get(n + 1).copied().unwrap_or(lines.len());
            let body = &lines[start..end];
            let before = body.join("\n");
            // The middle line gains a call, as a small fix would.
            let mut changed: Vec<String> = body.iter().map(|line| line.to_string()).collect();
            let middle = changed.len() / 2;
            changed[middle].push_str("  # checked(self.sock)");
            (before, changed.join("\n"))
        })
        .collect()
}

fn rationales() -> Vec<String> {
    if let Some(path) = std::env::var_os("RATIONALE_BENCH_TIAN") {
        let text = std::fs::read_to_string(&path).expect("reading RATIONALE_BENCH_TIAN");
        // The `message` column is the sixth.
        return csv_rows(&text)
            .into_iter()
            .skip(1)
            .filter_map(|row| row.into_iter().nth(5))
            .map(|message| message.replace("<enter>", "\n"))
            .collect();
    }
    [
        "fix",
        "Add a timeout to the data connection",
        "The server closes idle data connections after 30 s, so long transfers failed halfway",
        "changed sock to checked(self.sock)",
        "Retry once on 421: the mirror answers it while rotating, and a second try succeeds",
        "修复被动模式下的连接超时问题",
        "Rename voidcmd's argument for readability",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// The rows of a CSV text whose quoted fields double their quotes and may hold line breaks.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => row.push(std::mem::take(&mut field)),
            '\r' if !quoted => {}
            '\n' if !quoted => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            c => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}
