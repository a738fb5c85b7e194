//! Crash safety: the server is killed with SIGKILL at random moments of a scripted session
//! (keystrokes, pastes, saves, rationales, skips, why-comments, verdicts), 320 times (set
//! `RATIONALE_CRASH_RUNS` for more: the full run is 10,000), and each time what it left on disk
//! must be usable:
//! - the journal parses, up to at most one torn final line, with `seq` 0, 1, 2, ... and the
//!   session record first;
//! - every save the server acknowledged is in the journal (a save is acknowledged once the server
//!   answered a request sent after the didSave: the spec syncs a `save` record before the server
//!   handles any later message), and `rationale replay --at` each journaled save rebuilds every
//!   document exactly as the editor had it then, with the save's hash;
//! - every rationale and skip the server acknowledged (answered `rationale.record` or
//!   `rationale.skip` without an error) is in the journal, at the pair id it answered, with the
//!   text and change it was given; every verdict it acknowledged is in the reviews file;
//! - `rationale verify` passes (a torn final line is only a warning).
//!
//! Runs go three at a time. Reproduce a failure with the seed it prints:
//! `RATIONALE_TEST_SEED=<base> cargo test --release -p rationale-tests --test crash`. The full run:
//! `RATIONALE_CRASH_RUNS=10000 cargo test --release -p rationale-tests --test crash -- --nocapture`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rationale_tests::gen::{initial_text, EditGen};
use rationale_tests::journal::{replay_ok, verify};
use rationale_tests::model::Change;
use rationale_tests::rng::base_seed;
use rationale_tests::server::file_uri;
use rationale_tests::{sha256_hex, with_context, Encoding, Journal, Rng, Server, ServerOptions, TextModel};
use serde_json::{json, Value};

/// Kills a run makes unless `RATIONALE_CRASH_RUNS` says how many.
const RUNS: usize = 320;
const PARALLEL: usize = 3;
/// How long the script waits for an answer it needs to go on (the pending changes to explain, the
/// pair to judge); no answer means the server is gone.
const NEEDED: Duration = Duration::from_secs(10);

fn runs() -> usize {
    match std::env::var("RATIONALE_CRASH_RUNS") {
        Ok(value) => {
            value.parse().unwrap_or_else(|_| panic!("RATIONALE_CRASH_RUNS must be a number, got {value:?}"))
        }
        Err(_) => RUNS,
    }
}

enum Step {
    Change {
        doc: usize,
        version: i64,
        changes: Vec<Change>,
    },
    /// A didSave of `doc`, then a request whose answer acknowledges it.
    Save {
        doc: usize,
        texts: Vec<String>,
    },
    /// Ask for the pending changes, then explain the first one with `text`, or skip it.
    Explain {
        text: String,
        skip: bool,
    },
    /// A verdict on the last pair whose rationale was acknowledged.
    Review {
        verdict: &'static str,
    },
}

const RATIONALES: &[&str] = &[
    "Retry once: the proxy drops the first request after it has been idle.",
    "Split on commas because the header may carry several values — 値を分ける.",
    "Keep the emoji 👍🏽 list short; the renderer slows down past a hundred.",
];

struct Script {
    encoding: Encoding,
    docs: Vec<(&'static str, String)>,
    steps: Vec<Step>,
    /// When the server is killed: `kill_after` after the script wrote step `kill_at_step` (the
    /// number of steps: after the last one), or for some runs `kill_after` after the process
    /// started, while it starts up.
    kill_after: Duration,
    kill_at_step: usize,
    kill_during_startup: bool,
    /// Pause after some steps, so the kill lands anywhere: mid-burst, mid-sync, idle.
    pauses: Vec<Duration>,
}

fn script(seed: u64) -> Script {
    let mut rng = Rng::new(seed);
    let encoding = if rng.chance(0.5) { Encoding::Utf8 } else { Encoding::Utf16 };
    let names = [("src/crash.py", "\n"), ("lib/crash.js", "\r\n")];
    let count = rng.between(1, 2);
    let mut docs = Vec::new();
    let mut models = Vec::new();
    let mut gens = Vec::new();
    for &(rel, newline) in &names[..count] {
        let text = initial_text(&mut rng, newline);
        docs.push((rel, text.clone()));
        models.push(TextModel::new(text));
        gens.push(EditGen::new(encoding, newline));
    }
    let mut versions = vec![1i64; count];
    let mut steps = Vec::new();
    let mut pauses = Vec::new();
    for _ in 0..rng.between(30, 90) {
        let doc = rng.below(count);
        let roll = rng.below(100);
        if roll < 15 {
            steps.push(Step::Save { doc, texts: models.iter().map(|m| m.text.clone()).collect() });
        } else if roll < 21 {
            let text = rng.pick::<&str>(RATIONALES).to_string();
            steps.push(Step::Explain { text, skip: rng.chance(0.3) });
        } else if roll < 24 {
            steps.push(Step::Review { verdict: rng.pick::<&str>(&["accept", "reject", "flag"]) });
        } else if roll < 27 {
            // A why-comment on the first line, then the save that records it.
            let (rel, newline) = names[doc];
            let marker = if rel.ends_with(".py") { "#" } else { "//" };
            let comment = format!("{marker} why: {}{newline}", rng.pick::<&str>(RATIONALES));
            let change = Change::insert(rationale_tests::model::Pos::new(0, 0), comment);
            models[doc].apply(&change, encoding).unwrap();
            versions[doc] += 1;
            steps.push(Step::Change { doc, version: versions[doc], changes: vec![change] });
            steps.push(Step::Save { doc, texts: models.iter().map(|m| m.text.clone()).collect() });
            pauses.push(Duration::ZERO);
        } else {
            let changes = gens[doc].notification(&mut rng, &mut models[doc]);
            versions[doc] += 1;
            steps.push(Step::Change { doc, version: versions[doc], changes });
        }
        pauses.push(if rng.chance(0.3) {
            Duration::from_micros(rng.below(1500) as u64)
        } else {
            Duration::ZERO
        });
    }
    let kill_during_startup = rng.chance(0.08);
    let kill_at_step = rng.between(0, steps.len());
    let kill_after = if kill_during_startup {
        Duration::from_micros(rng.between(0, 20_000) as u64)
    } else if kill_at_step == steps.len() {
        // After the whole script: while the server catches up, syncs, or idles.
        Duration::from_micros(rng.between(0, 30_000) as u64)
    } else {
        Duration::from_micros(rng.between(0, 3_000) as u64)
    };
    Script { encoding, docs, steps, kill_after, kill_at_step, kill_during_startup, pauses }
}

/// What one run saw, for the summary.
#[derive(Default)]
struct Seen {
    journal: bool,
    torn: bool,
    acked: usize,
    journaled_saves: usize,
    /// Rationales, skips and verdicts acknowledged.
    acked_records: usize,
}

/// A rationale or skip sent: the request's id, the change, the text (none for a skip), and its
/// answer once the script has taken it to judge the pair.
struct Sent {
    id: i64,
    change: String,
    text: Option<String>,
    answer: Option<Value>,
}

impl Sent {
    /// Its answer's result, if the server answered without an error.
    fn acknowledged(&self, server: &Server) -> Option<Value> {
        let message =
            self.answer.clone().or_else(|| server.wait_response_message(&json!(self.id), Duration::ZERO))?;
        rationale_tests::server::response_result(&message).ok()
    }
}

fn run(seed: u64) -> Seen {
    let script = script(seed);
    let mut server = Server::spawn(ServerOptions::with_encoding(script.encoding));
    let pid = server.pid();
    let spawned = Instant::now();
    let kill_after = script.kill_after;
    let during_startup = script.kill_during_startup;
    // The moment the script reaches the kill step goes to the killer, which counts from there.
    let (reached, kill_clock) = std::sync::mpsc::channel::<Instant>();
    let killer = std::thread::spawn(move || {
        let from = if during_startup {
            spawned
        } else {
            // No signal means the session ended early (the server died): kill at once.
            kill_clock.recv().unwrap_or_else(|_| Instant::now())
        };
        std::thread::sleep(kill_after.saturating_sub(from.elapsed()));
        // The process is reaped only after this thread is joined, so the pid is still its own.
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
    });

    // The scripted session, written until the server is gone.
    let uris: Vec<String> = script.docs.iter().map(|(rel, _)| file_uri(&server.root().join(rel))).collect();
    // For each didSave in order: the id of the request that acknowledges it.
    let mut acks: Vec<(usize, i64)> = Vec::new();
    let mut explained: Vec<Sent> = Vec::new();
    // Verdicts sent: the request's id, the pair, the verdict.
    let mut judged: Vec<(i64, String, &'static str)> = Vec::new();
    let _ = (|| -> std::io::Result<()> {
        let params = server.initialize_params();
        let id = server.try_send_request("initialize", params)?;
        // LSP: nothing else may be sent until the server answered initialize. No answer means
        // the kill came first.
        if server.wait_response(id, Duration::from_secs(10)).is_none() {
            return Ok(());
        }
        server.try_send(&json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}))?;
        for ((rel, text), uri) in script.docs.iter().zip(&uris) {
            let language = rationale_tests::server::language_of(rel);
            server.try_send(&json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
                "textDocument": {"uri": uri, "languageId": language, "version": 1, "text": text}}}))?;
        }
        // Let the server open the session (its journal) before the edits begin, so that the
        // kills spread over the edits rather than bunch up in the journal's creation.
        let ready = server.try_send_request("rationale/pendingChanges", json!({}))?;
        if server.wait_response(ready, Duration::from_secs(10)).is_none() {
            return Ok(());
        }
        if script.kill_at_step == 0 {
            let _ = reached.send(Instant::now());
        }
        for (i, (step, pause)) in script.steps.iter().zip(&script.pauses).enumerate() {
            match step {
                Step::Change { doc, version, changes } => {
                    let changes: Vec<Value> = changes.iter().map(Change::to_json).collect();
                    server.try_send(
                        &json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                        "textDocument": {"uri": uris[*doc], "version": version}, "contentChanges": changes}}),
                    )?;
                }
                Step::Save { doc, texts } => {
                    server
                        .try_send(&json!({"jsonrpc": "2.0", "method": "textDocument/didSave", "params": {
                        "textDocument": {"uri": uris[*doc]}, "text": texts[*doc]}}))?;
                    let id =
                        server.try_send_request("rationale/pendingChanges", json!({"uri": uris[*doc]}))?;
                    acks.push((i, id));
                }
                Step::Explain { text, skip } => {
                    let asked = server.try_send_request("rationale/pendingChanges", json!({}))?;
                    let Some(Ok(answer)) = server.wait_response(asked, NEEDED) else { return Ok(()) };
                    if let Some(change) = answer["changes"][0]["id"].as_str() {
                        let (command, argument) = if *skip {
                            ("rationale.skip", json!({"changeId": change, "reason": "generated code"}))
                        } else {
                            ("rationale.record", json!({"changeId": change, "text": text}))
                        };
                        let id = server.try_send_request(
                            "workspace/executeCommand",
                            json!({"command": command, "arguments": [argument]}),
                        )?;
                        let text = (!skip).then(|| text.clone());
                        explained.push(Sent { id, change: change.to_owned(), text, answer: None });
                    }
                }
                Step::Review { verdict } => {
                    // The last rationale sent, once it is acknowledged.
                    let Some(sent) = explained.iter_mut().rev().find(|sent| sent.text.is_some()) else {
                        continue;
                    };
                    if sent.answer.is_none() {
                        let Some(message) = server.wait_response_message(&json!(sent.id), NEEDED) else {
                            return Ok(());
                        };
                        sent.answer = Some(message);
                    }
                    let pair =
                        sent.answer.as_ref().and_then(|m| m["result"]["pairId"].as_str()).map(str::to_owned);
                    if let Some(pair) = pair {
                        let id = server.try_send_request(
                            "rationale/review",
                            json!({"pairId": pair, "verdict": verdict, "note": "checked"}),
                        )?;
                        judged.push((id, pair, verdict));
                    }
                }
            }
            if i + 1 == script.kill_at_step {
                let _ = reached.send(Instant::now());
            }
            if !pause.is_zero() {
                std::thread::sleep(*pause);
            }
        }
        Ok(())
    })();
    let _ = reached.send(Instant::now());
    killer.join().unwrap();
    server.kill();

    let saves: Vec<(usize, &Vec<String>)> = script
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Save { doc, texts } => Some((*doc, texts)),
            _ => None,
        })
        .collect();
    // Acknowledged saves: their request was answered before the server died (all it wrote was
    // read after the kill).
    let acked = acks.iter().filter(|(_, id)| server.has_response(*id)).count();
    let journals = Server::journal_paths_of(server.root());
    assert!(journals.len() <= 1, "one journal per server process and folder, found {journals:?}");
    let Some(path) = journals.first() else {
        assert_eq!(acked, 0, "{acked} saves were acknowledged but there is no journal");
        assert!(
            explained.iter().all(|sent| sent.acknowledged(&server).is_none()),
            "a rationale or skip was acknowledged but there is no journal"
        );
        return Seen::default();
    };
    let journal = Journal::read(path).unwrap_or_else(|e| panic!("after SIGKILL the journal must parse: {e}"));
    journal.assert_well_formed();
    assert!(journal.of_type("resync").is_empty(), "no resync expected:\n{}", journal.summary());
    if let Some(first) = journal.records.first() {
        assert_eq!(first["positionEncoding"], script.encoding.lsp_name());
    }
    let records = journal.of_type("save");
    assert!(
        records.len() >= acked,
        "{acked} saves were acknowledged before the kill, but the journal holds {} save records:\n{}",
        records.len(),
        journal.summary()
    );
    assert!(records.len() <= saves.len(), "more save records than saves sent");
    for (n, (record, (doc, texts))) in records.iter().zip(&saves).enumerate() {
        let rel = script.docs[*doc].0;
        // A save record missing before a later one has been seen once in 10,000 runs and never
        // replayed: the journal and the server's log (a write error it reported) tell why.
        assert_eq!(
            record["path"],
            rel,
            "save record {n} names the wrong document:\n{}{}",
            journal.summary(),
            server.stderr_note()
        );
        assert_eq!(record["sha256"], sha256_hex(texts[*doc].as_bytes()), "save record {n}: hash");
        let seq = record["seq"].as_u64().unwrap();
        let out = replay_ok(&journal.path, Some(seq));
        for ((rel, _), text) in script.docs.iter().zip(texts.iter()) {
            let replayed = std::fs::read(out.path().join(rel))
                .unwrap_or_else(|e| panic!("replay --at {seq} (save {n}) wrote no {rel}: {e}"));
            rationale_tests::journal::assert_same_text(
                &replayed,
                text,
                &format!("{rel} replayed --at {seq} (save {n}, acknowledged: {})", n < acked),
            );
        }
    }
    let verified = verify(server.root());
    assert!(
        verified.success(),
        "verify must pass on a journal cut by SIGKILL (torn line: {:?}):\n{}",
        journal.torn.as_deref().map(|t| rationale_tests::journal::preview(t, 80)),
        verified.describe()
    );
    let acked_records = check_explained(&server, &journal, &explained) + check_judged(&server, &judged);
    Seen { journal: true, torn: journal.torn.is_some(), acked, journaled_saves: records.len(), acked_records }
}

#[test]
fn sigkill_at_random_moments_never_loses_an_acknowledged_save() {
    let base = base_seed(77);
    let runs = runs();
    // The run to start at, to replay one failure of a long run (`RATIONALE_CRASH_FROM=7994`).
    let first: usize = std::env::var("RATIONALE_CRASH_FROM").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let seen = Mutex::new(Vec::new());
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL {
            scope.spawn(|| loop {
                let run_index = next.fetch_add(1, Ordering::SeqCst);
                if run_index >= runs {
                    break;
                }
                let seed = base.wrapping_mul(100_000).wrapping_add((first + run_index) as u64);
                let context = format!(
                    "crash run {} (seed {seed}); reproduce with RATIONALE_TEST_SEED={base} \
                     RATIONALE_CRASH_FROM={} RATIONALE_CRASH_RUNS=1 cargo test --release -p rationale-tests --test crash",
                    first + run_index,
                    first + run_index
                );
                let outcome = std::panic::catch_unwind(|| with_context(&context, || run(seed)));
                if let Ok(one) = &outcome {
                    seen.lock().unwrap().push((
                        one.journal,
                        one.torn,
                        one.acked,
                        one.journaled_saves,
                        one.acked_records,
                    ));
                }
                if let Err(payload) = outcome {
                    let message = payload
                        .downcast_ref::<String>()
                        .cloned()
                        .unwrap_or_else(|| "(no message)".to_string());
                    failures.lock().unwrap().push(message);
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    let seen = seen.into_inner().unwrap();
    eprintln!(
        "{runs} kills in {:?}: {} left a journal, {} with a torn final line; {} saves acknowledged, {} journaled; \
         {} rationales, skips and verdicts acknowledged (all on disk)",
        started.elapsed(),
        seen.iter().filter(|s| s.0).count(),
        seen.iter().filter(|s| s.1).count(),
        seen.iter().map(|s| s.2).sum::<usize>(),
        seen.iter().map(|s| s.3).sum::<usize>(),
        seen.iter().map(|s| s.4).sum::<usize>(),
    );
    if !failures.is_empty() {
        panic!(
            "{} of {runs} killed sessions left a journal that breaks a promise; the first ones:\n\n{}",
            failures.len(),
            failures.iter().take(3).cloned().collect::<Vec<_>>().join("\n\n")
        );
    }
}

/// Every rationale and skip acknowledged is in the journal as it was sent; how many there were.
fn check_explained(server: &Server, journal: &Journal, explained: &[Sent]) -> usize {
    let mut acked = 0;
    for sent in explained {
        let Some(answer) = sent.acknowledged(server) else { continue };
        acked += 1;
        let kind = if sent.text.is_some() { "rationale" } else { "skip" };
        let found = match answer["pairId"].as_str() {
            Some(pair) => {
                let seq: u64 =
                    pair.rsplit(':').next().and_then(|s| s.parse().ok()).expect("a pair id ends in its seq");
                journal.records.iter().find(|r| r["seq"] == seq).cloned()
            }
            // A skip answers {}: its record is the one for its change.
            None => journal.of_type(kind).into_iter().find(|r| r["change"] == sent.change).cloned(),
        };
        let record = found.unwrap_or_else(|| {
            panic!(
                "the {kind} of change {} was acknowledged ({answer}) but is not in the journal:\n{}",
                sent.change,
                journal.summary()
            )
        });
        assert_eq!(record["type"], kind, "the acknowledged {kind} is another record: {record}");
        assert_eq!(record["change"], sent.change.as_str(), "the acknowledged {kind} names another change");
        if let Some(text) = &sent.text {
            assert_eq!(record["text"], text.trim(), "the acknowledged rationale's text");
        }
    }
    acked
}

/// Every verdict acknowledged is in a reviews file; how many there were.
fn check_judged(server: &Server, judged: &[(i64, String, &'static str)]) -> usize {
    let reviews = server.root().join(".rationale").join("reviews");
    let lines: Vec<Value> = std::fs::read_dir(&reviews)
        .into_iter()
        .flatten()
        .flatten()
        .flat_map(|entry| {
            std::fs::read_to_string(entry.path())
                .unwrap_or_default()
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter_map(|line| serde_json::from_str(&line).ok())
        .collect();
    let mut acked = 0;
    for (id, pair, verdict) in judged {
        if !matches!(server.wait_response(*id, Duration::ZERO), Some(Ok(_))) {
            continue;
        }
        acked += 1;
        assert!(
            lines.iter().any(|line| line["pair"] == pair.as_str() && line["verdict"] == *verdict),
            "the verdict {verdict} on {pair} was acknowledged but is not in {}",
            reviews.display()
        );
    }
    acked
}
