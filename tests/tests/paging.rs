//! Long sessions through the real binary: `rationale/timeline` a page at a time (`from`, `limit`,
//! `next`, `total`), `rationale/replay` at any record of a generated session checked against the
//! text the generator knows, and the journal's index under `.rationale/index/`: kept and used by
//! a later server, and rebuilt, never trusted, when it is cut short, of another journal, older
//! than its journal, or damaged.

use std::path::{Path, PathBuf};

use rationale_tests::long_session::{LongSession, FILES};
use rationale_tests::{Rng, Server, ServerOptions};
use serde_json::{json, Value};

const ID: &str = "20261204T080000Z-a1b2c3";
const OTHER: &str = "20261204T090000Z-d4e5f6";

fn server_on(folder: &Path) -> Server {
    Server::start_on(vec![folder.to_owned()], ServerOptions::default())
}

fn workspace() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("rationale-paging-").tempdir().unwrap()
}

fn index_of(folder: &Path, id: &str) -> PathBuf {
    folder.join(format!(".rationale/index/{id}.idx"))
}

fn timeline(server: &mut Server, params: Value) -> Value {
    server.request_ok("rationale/timeline", params)
}

fn seqs(page: &Value) -> Vec<u64> {
    page["steps"].as_array().unwrap().iter().map(|s| s["seq"].as_u64().unwrap()).collect()
}

/// Checks the replay of both documents at `count` random records, and at the first and last.
fn replays_agree(server: &mut Server, session: &LongSession, count: usize, seed: u64) {
    let mut rng = Rng::new(seed);
    let mut seqs: Vec<u64> = (0..count).map(|_| 3 + rng.below(session.last as usize - 2) as u64).collect();
    seqs.extend([2, session.last]);
    for seq in seqs {
        for path in FILES {
            let answer = server
                .request_ok("rationale/replay", json!({"session": session.id, "path": path, "seq": seq}));
            assert_eq!(answer["text"].as_str(), session.text_at(path, seq), "{path} after record {seq}");
        }
    }
}

#[test]
fn a_long_timeline_comes_a_page_at_a_time_and_every_record_replays() {
    let dir = workspace();
    let session = LongSession::new(ID, 20_000, 1);
    session.write_into(dir.path());
    let mut server = server_on(dir.path());

    // A client that names no page gets the first 500 steps and where the next starts.
    let first = timeline(&mut server, json!({"session": ID, "granularity": "edits"}));
    assert_eq!(seqs(&first), (1..=500).collect::<Vec<_>>());
    assert_eq!(first["next"], 501);
    assert_eq!(first["total"], session.last);
    assert_eq!(first["steps"][0]["type"], "open");

    // Following `next` with the largest pages walks every record once, in order.
    let (mut from, mut walked) = (Some(1), Vec::new());
    while let Some(at) = from {
        let page =
            timeline(&mut server, json!({"session": ID, "granularity": "edits", "from": at, "limit": 5000}));
        assert!(page["steps"].as_array().unwrap().len() <= 5000);
        walked.extend(seqs(&page));
        from = page["next"].as_u64();
    }
    assert_eq!(walked, (1..=session.last).collect::<Vec<_>>());

    // A page anywhere, and one that runs past the end.
    let middle =
        timeline(&mut server, json!({"session": ID, "granularity": "edits", "from": 7777, "limit": 3}));
    assert_eq!((seqs(&middle), middle["next"].as_u64()), (vec![7777, 7778, 7779], Some(7780)));
    let end = timeline(&mut server, json!({"session": ID, "granularity": "edits", "from": session.last - 1}));
    assert_eq!((seqs(&end), end["next"].clone()), (vec![session.last - 1, session.last], Value::Null));
    let zero = timeline(&mut server, json!({"session": ID, "granularity": "edits", "from": 0, "limit": 2}));
    assert_eq!(seqs(&zero), [1, 2], "record 0 is the session record, not a step");

    // Pairs page the same way.
    let pairs = timeline(&mut server, json!({"session": ID, "granularity": "pairs"}));
    assert_eq!(pairs["total"], session.pairs.len());
    assert!(session.pairs.len() > 10 && session.pairs.len() < 500, "{} pairs", session.pairs.len());
    assert_eq!(seqs(&pairs), session.pairs);
    assert_eq!(pairs["next"], Value::Null);
    let (mut from, mut walked) = (None::<u64>, Vec::new());
    loop {
        let mut params = json!({"session": ID, "granularity": "pairs", "limit": 4});
        if let Some(from) = from {
            params["from"] = json!(from);
        }
        let page = timeline(&mut server, params);
        for step in page["steps"].as_array().unwrap() {
            assert_eq!(step["pairId"], format!("{ID}:{}", step["seq"]));
            assert!(step["rationale"].as_str().unwrap().starts_with("Record "), "{step}");
        }
        walked.extend(seqs(&page));
        match page["next"].as_u64() {
            Some(next) => from = Some(next),
            None => break,
        }
    }
    assert_eq!(walked, session.pairs);
    let later = timeline(
        &mut server,
        json!({"session": ID, "granularity": "pairs", "from": session.pairs[3] + 1, "limit": 2}),
    );
    assert_eq!(seqs(&later), session.pairs[4..6]);
    assert_eq!(later["next"], session.pairs[6]);

    replays_agree(&mut server, &session, 60, 7);
}

#[test]
fn a_page_out_of_range_is_refused_with_a_sentence() {
    let dir = workspace();
    let session = LongSession::new(ID, 2_000, 2);
    session.write_into(dir.path());
    let mut server = server_on(dir.path());
    let refused = |server: &mut Server, extra: Value, words: &str| {
        let mut params = json!({"session": ID, "granularity": "edits"});
        params.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let err = server.request("rationale/timeline", params.clone()).expect_err("refused");
        assert_eq!(err.code, -32602, "{params}: {err}");
        assert!(err.message.contains(words), "{params}: {}", err.message);
    };
    refused(&mut server, json!({"limit": 0}), "limit is how many steps a page holds, 1 to 5000, not 0");
    refused(&mut server, json!({"limit": -3}), "not -3");
    refused(&mut server, json!({"limit": 5001}), "not 5001");
    refused(&mut server, json!({"from": -1}), "from is the seq of a record");
    refused(&mut server, json!({"from": session.last + 1}), &format!("ends with record {}", session.last));
    refused(&mut server, json!({"from": session.last + 1, "granularity": "pairs"}), "to start a page at");
    refused(&mut server, json!({"limit": "ten"}), "");
    // The edge itself is a page.
    let last = timeline(
        &mut server,
        json!({"session": ID, "granularity": "edits", "from": session.last, "limit": 5000}),
    );
    assert_eq!(seqs(&last), [session.last]);
}

/// The index a server makes for `session` in a folder of its own.
fn fresh_index(session: &LongSession) -> Vec<u8> {
    let dir = workspace();
    session.write_into(dir.path());
    let mut server = server_on(dir.path());
    timeline(&mut server, json!({"session": session.id, "granularity": "pairs", "limit": 1}));
    server.shutdown_and_exit();
    std::fs::read(index_of(dir.path(), &session.id)).expect("an index")
}

#[test]
fn the_index_is_kept_used_and_rebuilt_when_it_cannot_be_trusted() {
    let session = LongSession::new(ID, 30_000, 3);
    let other = LongSession::new(OTHER, 30_000, 4);
    let index = fresh_index(&session);
    assert!(index.starts_with(b"rationale-index 1\n"));
    assert_eq!(fresh_index(&session), index, "the same journal makes the same index");
    let other_index = fresh_index(&other);

    let dir = workspace();
    let journal = session.write_into(dir.path());
    let kept = index_of(dir.path(), ID);
    let check = |label: &str| {
        let mut server = server_on(dir.path());
        let page =
            timeline(&mut server, json!({"session": ID, "granularity": "edits", "from": 12_345, "limit": 2}));
        assert_eq!(seqs(&page), [12_345, 12_346], "{label}");
        assert_eq!(page["total"], session.last, "{label}");
        replays_agree(&mut server, &session, 25, label.len() as u64);
        server.shutdown_and_exit();
        assert!(std::fs::read(&kept).unwrap() == index, "{label}: the index is this journal's again");
    };

    // Kept: a later server uses it as it is (the file is not written again).
    check("first use");
    let written = std::fs::metadata(&kept).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    check("kept");
    assert_eq!(
        std::fs::metadata(&kept).unwrap().modified().unwrap(),
        written,
        "a sound index is not rewritten"
    );

    // Cut short.
    std::fs::write(&kept, &index[..index.len() / 2]).unwrap();
    check("truncated");
    std::fs::write(&kept, &index[..40]).unwrap();
    check("truncated in its directory");

    // Of another journal: the other session's index under this one's name.
    std::fs::write(&kept, &other_index).unwrap();
    check("of another journal");

    // Damaged: bytes of the texts changed (the directory and the sizes still agree).
    let mut damaged = index.clone();
    let texts = damaged.len() - 30_000;
    for byte in &mut damaged[texts..] {
        if byte.is_ascii_lowercase() {
            *byte = b'z' - (*byte - b'a');
        }
    }
    std::fs::write(&kept, &damaged).unwrap();
    check("damaged texts");

    // Older than its journal: the index of the first part of the same journal, the journal whole.
    let lines: Vec<&str> = session.journal.split_inclusive('\n').collect();
    let part = lines[..lines.len() * 2 / 3].concat();
    let shorter = workspace();
    std::fs::create_dir_all(shorter.path().join(".rationale/sessions")).unwrap();
    std::fs::write(shorter.path().join(format!(".rationale/sessions/{ID}.jsonl")), &part).unwrap();
    let mut server = server_on(shorter.path());
    let page = timeline(&mut server, json!({"session": ID, "granularity": "edits", "limit": 1}));
    assert_eq!(page["total"], lines.len() as u64 * 2 / 3 - 1);
    server.shutdown_and_exit();
    std::fs::copy(index_of(shorter.path(), ID), &kept).unwrap();
    check("older than the journal");

    // And a journal replaced by another of the same session, longer than the one indexed.
    std::fs::write(&kept, &index).unwrap();
    let replaced = LongSession::new(ID, 31_000, 5);
    std::fs::write(&journal, &replaced.journal).unwrap();
    let mut server = server_on(dir.path());
    let page = timeline(&mut server, json!({"session": ID, "granularity": "edits", "limit": 1}));
    assert_eq!(page["total"], replaced.last);
    replays_agree(&mut server, &replaced, 25, 11);
}
