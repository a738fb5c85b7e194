//! Ordering on the multi-threaded runtime: thousands of single-character changes to two
//! documents, interleaved with requests, all written without waiting for any answer, then saves.
//!
//! If the server applied or journaled any two text notifications out of order, its copy would
//! drift from the editor's: the journaled edits would not be the edits sent (in order), a save
//! would resync, or the replay at a save would differ from the model. Every request must also be
//! answered exactly once.

use std::time::Duration;

use rationale_tests::journal::{assert_same_text, assert_verify_ok, replay_ok};
use rationale_tests::model::Change;
use rationale_tests::rng::base_seed;
use rationale_tests::{sha256_hex, with_context, Encoding, Rng, Server, TextModel};
use serde_json::json;

const CHANGES: usize = 10_000;
const REQUEST_EVERY: usize = 5;

const TYPED: &[&str] = &["a", "b", "z", " ", "_", "(", ")", "é", "漢", "😀", "\n"];

struct Doc {
    rel: &'static str,
    uri: String,
    newline: &'static str,
    model: TextModel,
    /// The cursor, a byte offset into the model's text.
    cursor: usize,
    version: i64,
    sent: Vec<Change>,
}

impl Doc {
    /// One keystroke at the cursor: a character typed, Enter, or Backspace; sometimes the cursor
    /// first jumps elsewhere (a click).
    fn keystroke(&mut self, rng: &mut Rng, encoding: Encoding) -> Change {
        if rng.chance(0.05) {
            self.cursor = rationale_tests::gen::random_offset(rng, &self.model);
        }
        let at = self.model.position(self.cursor, encoding);
        let change = if rng.chance(0.25) && self.cursor > 0 {
            // Backspace removes the character before the cursor (a CRLF as one line break).
            let mut start = self.cursor - 1;
            while !self.model.is_position_boundary(start) {
                start -= 1;
            }
            Change::replace(self.model.position(start, encoding), at, "")
        } else {
            let typed = match *rng.pick(TYPED) {
                "\n" => self.newline,
                other => other,
            };
            Change::insert(at, typed)
        };
        let before = self.model.text.len();
        let start = self.model.offset(change.range.unwrap().0, encoding).unwrap();
        self.model.apply(&change, encoding).unwrap();
        self.cursor = if change.text.is_empty() {
            start
        } else {
            debug_assert_eq!(self.model.text.len(), before + change.text.len());
            start + change.text.len()
        };
        self.version += 1;
        self.sent.push(change.clone());
        change
    }
}

fn run(encoding: Encoding, seed: u64) {
    let mut rng = Rng::new(seed);
    let mut server = Server::with_encoding(encoding);
    let mut docs = Vec::new();
    for (rel, newline, text) in [
        ("src/order.py", "\n", "def f():\n    pass\n"),
        ("src/order.js", "\r\n", "function f() {\r\n  return 1;\r\n}\r\n"),
    ] {
        let uri = server.open(rel, text);
        docs.push(Doc {
            rel,
            uri,
            newline,
            model: TextModel::new(text),
            cursor: text.len() / 2,
            version: 1,
            sent: Vec::new(),
        });
    }

    let mut requests = Vec::new();
    // (document, its text) at each didSave, in order.
    let mut saves: Vec<(usize, Vec<String>)> = Vec::new();
    for i in 0..CHANGES {
        let d = if rng.chance(0.7) { 0 } else { 1 };
        let doc = &mut docs[d];
        let change = doc.keystroke(&mut rng, encoding);
        server.did_change(&doc.uri, doc.version, &[change]);
        if i % REQUEST_EVERY == REQUEST_EVERY - 1 {
            let uri = docs[rng.below(2)].uri.clone();
            let id = if rng.chance(0.5) {
                server.send_request("rationale/pendingChanges", json!({"uri": uri}))
            } else {
                server.send_request(
                    "textDocument/codeAction",
                    json!({
                        "textDocument": {"uri": uri},
                        "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}},
                        "context": {"diagnostics": []},
                    }),
                )
            };
            requests.push(id);
        }
        if i == CHANGES / 3 || i == 2 * CHANGES / 3 || i == CHANGES - 1 {
            for d in 0..docs.len() {
                server.did_save(&docs[d].uri, &docs[d].model.text);
                saves.push((d, docs.iter().map(|doc| doc.model.text.clone()).collect()));
            }
        }
    }
    requests.push(server.send_request("rationale/pendingChanges", json!({})));

    for &id in &requests {
        assert!(
            server.wait_response(id, Duration::from_secs(60)).is_some(),
            "request {id} of {} was never answered{}",
            requests.len(),
            server.stderr_note()
        );
    }
    std::thread::sleep(Duration::from_millis(50));
    for &id in &requests {
        assert_eq!(server.response_count(id), 0, "request {id} was answered more than once");
    }
    server.shutdown_and_exit();

    let journal = server.journal();
    journal.assert_well_formed();
    assert!(
        journal.of_type("resync").is_empty(),
        "the server's copy drifted from the editor's (resync journaled): changes were applied out of order\n{}",
        journal.summary()
    );
    for doc in &docs {
        let edits = journal.edits_for(doc.rel);
        let sent: Vec<_> = doc.sent.iter().map(Change::to_journal).collect();
        assert_eq!(
            edits.len(),
            sent.len(),
            "{}: {} keystrokes sent, {} journaled",
            doc.rel,
            sent.len(),
            edits.len()
        );
        if let Some(i) = (0..sent.len()).find(|&i| edits[i] != sent[i]) {
            panic!(
                "{}: keystroke {i} was journaled as {} but the editor sent {} (neighbours sent: {:?})",
                doc.rel,
                edits[i],
                sent[i],
                &sent[i.saturating_sub(2)..(i + 3).min(sent.len())]
            );
        }
    }
    // "A single-character edit costs at most 120 bytes of journal." (spec, Performance)
    let raw = std::fs::read_to_string(&journal.path).unwrap();
    let change_bytes: usize =
        raw.lines().filter(|l| l.contains(r#""type":"change""#)).map(|l| l.len() + 1).sum();
    let keystrokes: usize = docs.iter().map(|d| d.sent.len()).sum();
    let per_keystroke = change_bytes as f64 / keystrokes as f64;
    eprintln!(
        "{keystrokes} keystrokes cost {change_bytes} bytes of change records ({per_keystroke:.1} bytes each)"
    );
    assert!(
        per_keystroke <= 120.0,
        "a single-character edit must cost at most 120 bytes of journal; here {per_keystroke:.1}"
    );
    let records = journal.of_type("save");
    assert_eq!(records.len(), saves.len(), "one save record per didSave:\n{}", journal.summary());
    for (record, (d, texts)) in records.iter().zip(&saves) {
        assert_eq!(record["path"], docs[*d].rel, "saves are journaled in the order they were sent");
        assert_eq!(record["sha256"], sha256_hex(texts[*d].as_bytes()), "the save hash is the editor's text");
    }
    // Replay at the first save of each round (both documents' texts are known there).
    for (record, (_, texts)) in records.iter().zip(&saves).step_by(docs.len()) {
        let seq = record["seq"].as_u64().unwrap();
        let out = replay_ok(&journal.path, Some(seq));
        for (doc, text) in docs.iter().zip(texts) {
            let replayed = std::fs::read(out.path().join(doc.rel)).expect("replay wrote the document");
            assert_same_text(&replayed, text, &format!("{} replayed --at {seq}", doc.rel));
        }
    }
    assert_verify_ok(server.root());
}

#[test]
fn thousands_of_keystrokes_and_requests_stay_in_order_utf16() {
    let seed = base_seed(31);
    with_context(&format!("order test, UTF-16, seed {seed} (RATIONALE_TEST_SEED={seed})"), || {
        run(Encoding::Utf16, seed)
    });
}

#[test]
fn thousands_of_keystrokes_and_requests_stay_in_order_utf8() {
    let seed = base_seed(32);
    with_context(&format!("order test, UTF-8, seed {seed} (RATIONALE_TEST_SEED={seed})"), || {
        run(Encoding::Utf8, seed)
    });
}
