//! The reviewer's side through the real binary: `rationale/sessions`, `rationale/timeline`,
//! `rationale/replay`, `rationale/review` and hover, on sessions recorded by real servers (this
//! one, one that ended, one copied in), with bad input, damaged journals and a session that is
//! being written while it is read.

use std::path::Path;
use std::time::Duration;

use rationale_tests::model::{Change, Encoding, Pos, TextModel as Doc};
use rationale_tests::server::RpcError;
use rationale_tests::{Server, ServerOptions};
use serde_json::{json, Value};

const APP: &str = "\
def helper():
    return 1


def other(x):
    return x
";

fn server_with(env: Vec<(String, String)>) -> Server {
    Server::start(ServerOptions {
        initialization_options: Some(json!({"settleMs": 0})),
        env,
        ..ServerOptions::default()
    })
}

fn server() -> Server {
    server_with(Vec::new())
}

/// Replaces `from` (which must occur once in `text`) with `to` through a didChange; returns the
/// new text.
fn edit(server: &Server, uri: &str, version: i64, text: &str, from: &str, to: &str) -> String {
    let at = text.find(from).expect("text to replace");
    let doc = Doc::new(text);
    let (start, end) = (doc.position(at, Encoding::Utf8), doc.position(at + from.len(), Encoding::Utf8));
    server.did_change(uri, version, &[Change::replace(start, end, to)]);
    text.replacen(from, to, 1)
}

/// Explains the one pending change of `uri` and returns the pair id.
fn explain(server: &mut Server, uri: &str, why: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let id = loop {
        let changes = server.request_ok("rationale/pendingChanges", json!({"uri": uri}))["changes"].clone();
        if let Some(change) = changes.as_array().and_then(|c| c.first()) {
            break change["id"].as_str().unwrap().to_owned();
        }
        assert!(std::time::Instant::now() < deadline, "no pending change for {uri}");
        std::thread::sleep(Duration::from_millis(20));
    };
    let answer = server.request_ok(
        "workspace/executeCommand",
        json!({"command": "rationale.record", "arguments": [{"changeId": id, "text": why}]}),
    );
    answer["pairId"].as_str().unwrap().to_owned()
}

/// Records two pairs in `app.py` (helper, then other) and returns (session id, pair ids, the
/// texts after each pair).
fn record_two(server: &mut Server) -> (String, [String; 2], [String; 2]) {
    let uri = server.open("app.py", APP);
    let first = edit(server, &uri, 2, APP, "return 1", "return 42");
    let pair1 = explain(server, &uri, "Callers need the real answer, not a placeholder.");
    let second = edit(server, &uri, 3, &first, "return x", "return x * 2");
    let pair2 = explain(server, &uri, "Doubling matches what the report expects.");
    let session = pair1.split(':').next().unwrap().to_owned();
    (session, [pair1, pair2], [first, second])
}

fn seq_of(pair: &str) -> u64 {
    pair.rsplit(':').next().unwrap().parse().unwrap()
}

fn error_of(result: Result<Value, RpcError>) -> RpcError {
    result.expect_err("an error answer")
}

#[test]
fn a_reviewer_lists_steps_replays_and_reviews_the_session_being_recorded() {
    let mut server = server();
    let (session, pairs, texts) = record_two(&mut server);

    let listed = server.request_ok("rationale/sessions", json!({}));
    let sessions = listed["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "{listed:#}");
    let entry = &sessions[0];
    assert_eq!(entry["id"], session.as_str());
    assert_eq!(entry["author"], "tests@rationale.invalid");
    assert_eq!((entry["pairs"].as_u64(), entry["reviewed"].as_u64()), (Some(2), Some(0)));
    assert_eq!(entry["files"], json!(["app.py"]));
    assert!(entry.get("ended").is_none(), "still being recorded: {entry}");
    assert_eq!(listed["errors"], json!([]));

    let timeline =
        server.request_ok("rationale/timeline", json!({"session": session, "granularity": "pairs"}));
    let steps = timeline["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2, "{timeline:#}");
    assert_eq!(steps[0]["pairId"], pairs[0].as_str());
    assert_eq!(steps[0]["type"], "rationale");
    assert_eq!(steps[0]["path"], "app.py");
    assert_eq!(steps[0]["unit"], json!({"name": "helper", "kind": "function"}));
    assert_eq!(steps[0]["change"], "modified");
    assert_eq!(steps[0]["subject"], "the change to function `helper`", "the prompt's words, after Explain");
    assert_eq!(steps[0]["rationale"], "Callers need the real answer, not a placeholder.");
    assert_eq!(steps[0]["before"], "def helper():\n    return 1");
    assert_eq!(steps[0]["after"], "def helper():\n    return 42");
    assert_eq!(steps[0]["review"], Value::Null);
    assert_eq!(steps[1]["unit"]["name"], "other");

    // Every edit is a step, and the pairs stand among them.
    let edits = server.request_ok("rationale/timeline", json!({"session": session, "granularity": "edits"}));
    let kinds: Vec<&str> =
        edits["steps"].as_array().unwrap().iter().map(|s| s["type"].as_str().unwrap()).collect();
    assert_eq!(kinds.first(), Some(&"open"), "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "rationale").count(), 2, "{kinds:?}");
    assert!(kinds.contains(&"change"), "{kinds:?}");
    let open_seq = edits["steps"][0]["seq"].as_u64().unwrap();

    // The document at each pair, and with the pair's unit at its baseline.
    for (pair, text) in pairs.iter().zip(&texts) {
        let after = server.request_ok(
            "rationale/replay",
            json!({"session": session, "path": "app.py", "seq": seq_of(pair)}),
        );
        assert_eq!(after["text"], text.as_str(), "after {pair}");
    }
    let opened =
        server.request_ok("rationale/replay", json!({"session": session, "path": "app.py", "seq": open_seq}));
    assert_eq!((opened["text"].as_str(), opened["version"].as_i64()), (Some(APP), Some(1)));
    let before = server.request_ok(
        "rationale/replay",
        json!({"session": session, "path": "app.py", "seq": seq_of(&pairs[1]), "side": "before"}),
    );
    assert_eq!(before["text"], texts[0].as_str(), "the second pair's unit at its baseline");

    // Verdicts: the latest of a reviewer stands, and the timeline shows it.
    server.request_ok("rationale/review", json!({"pairId": pairs[0], "verdict": "accept"}));
    server.request_ok(
        "rationale/review",
        json!({"pairId": pairs[1], "verdict": "flag", "note": "which report?"}),
    );
    server.request_ok(
        "rationale/review",
        json!({"pairId": pairs[0], "verdict": "reject", "note": "too vague"}),
    );
    let file = server.root().join(".rationale/reviews/tests@rationale.invalid.jsonl");
    let lines: Vec<Value> = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[1]["pair"], pairs[1].as_str());
    assert_eq!(
        (lines[1]["verdict"].as_str(), lines[1]["note"].as_str()),
        (Some("flag"), Some("which report?"))
    );
    assert_eq!(lines[0]["reviewer"], "tests@rationale.invalid");
    assert!(lines[0].get("note").is_none(), "no note, no field: {}", lines[0]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let timeline =
        server.request_ok("rationale/timeline", json!({"session": session, "granularity": "pairs"}));
    assert_eq!(timeline["steps"][0]["review"]["verdict"], "reject");
    assert_eq!(timeline["steps"][0]["review"]["note"], "too vague");
    assert_eq!(timeline["steps"][0]["reviews"].as_array().unwrap().len(), 1, "one reviewer, one verdict");
    assert_eq!(timeline["steps"][1]["review"]["verdict"], "flag");
    let listed = server.request_ok("rationale/sessions", json!({}));
    assert_eq!(listed["sessions"][0]["reviewed"], 2);
}

#[test]
fn a_reviewer_sees_which_pairs_are_flagged_and_how_many_in_each_session() {
    let mut server = server();
    let uri = server.open("app.py", APP);
    let first = edit(&server, &uri, 2, APP, "return 1", "return 42");
    let good = explain(&mut server, &uri, "Callers need the real answer, not a placeholder.");
    edit(&server, &uri, 3, &first, "return x", "return x * 2");
    let generic = explain(&mut server, &uri, "updated the code, misc changes");
    let session = good.split(':').next().unwrap().to_owned();

    let timeline =
        server.request_ok("rationale/timeline", json!({"session": session, "granularity": "pairs"}));
    let flags: Vec<(&str, &Value)> = timeline["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| (step["pairId"].as_str().unwrap(), &step["flags"]))
        .collect();
    assert_eq!(flags.len(), 2, "{timeline:#}");
    assert_eq!(flags[0], (good.as_str(), &json!([])));
    assert_eq!(flags[1].0, generic);
    assert!(flags[1].1.as_array().unwrap().contains(&json!("generic")), "{timeline:#}");

    // The queue and the timeline agree: both read the flags the record was given.
    let queue = server.request_ok("rationale/reviewQueue", json!({}));
    let queued = queue["entries"].as_array().unwrap().iter().find(|e| e["id"] == generic.as_str()).unwrap();
    assert_eq!(&queued["flags"], flags[1].1);
    assert_eq!(queued["subject"], "the change to function `other`");

    let listed = server.request_ok("rationale/sessions", json!({}));
    assert_eq!(
        (listed["sessions"][0]["pairs"].as_u64(), listed["sessions"][0]["flagged"].as_u64()),
        (Some(2), Some(1)),
        "{listed:#}"
    );
}

#[test]
fn hover_shows_the_rationales_of_the_unit_latest_first_with_the_verdict() {
    let mut server = server();
    let (_, pairs, texts) = record_two(&mut server);
    let uri = server.uri("app.py");
    // A second rationale for `helper`.
    let third = edit(&server, &uri, 4, &texts[1], "return 42", "return 43");
    explain(&mut server, &uri, "The answer moved on with the new schema.");
    server.request_ok("rationale/review", json!({"pairId": pairs[0], "verdict": "accept"}));

    let hover_at = |server: &mut Server, line: u32| {
        server.request_ok(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": 6}}),
        )
    };
    // The index is brought up to date in the background: wait for it.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let shown = loop {
        let hover = hover_at(&mut server, 1);
        let text = hover["contents"]["value"].as_str().unwrap_or_default().to_owned();
        if text.contains("new schema") && text.contains("accepted") {
            break text;
        }
        assert!(std::time::Instant::now() < deadline, "hover never showed both rationales: {hover}");
        std::thread::sleep(Duration::from_millis(50));
    };
    let newer = shown.find("new schema").unwrap();
    let older = shown.find("real answer").unwrap();
    assert!(newer < older, "latest first:\n{shown}");
    assert!(shown.contains("tests@rationale.invalid"), "{shown}");
    assert!(!shown.contains("Doubling"), "another unit's rationale: {shown}");
    assert!(third.contains("return 43"));
    // Blank lines between the functions belong to no unit: no hover there.
    assert_eq!(hover_at(&mut server, 2), Value::Null);
}

#[test]
fn bad_requests_get_invalid_params_with_a_sentence() {
    let mut server = server();
    let (session, pairs, _) = record_two(&mut server);
    let invalid = |result: Result<Value, RpcError>, needle: &str| {
        let err = error_of(result);
        assert_eq!(err.code, -32602, "{err}");
        assert!(err.message.contains(needle), "`{needle}` not in: {}", err.message);
    };
    let last = seq_of(&pairs[1]);
    invalid(
        server.request(
            "rationale/timeline",
            json!({"session": "20990101T000000Z-abcdef", "granularity": "pairs"}),
        ),
        "no session",
    );
    invalid(
        server.request("rationale/timeline", json!({"session": "../../etc/passwd", "granularity": "pairs"})),
        "no session",
    );
    invalid(
        server.request("rationale/timeline", json!({"session": session, "granularity": "words"})),
        "granularity",
    );
    invalid(server.request("rationale/timeline", json!({"session": 5})), "");
    invalid(
        server.request("rationale/replay", json!({"session": session, "path": "nope.py", "seq": last})),
        "had not opened",
    );
    invalid(
        server.request("rationale/replay", json!({"session": session, "path": "app.py", "seq": last + 1000})),
        "has no record",
    );
    invalid(server.request("rationale/replay", json!({"session": session, "path": "app.py", "seq": -1})), "");
    invalid(
        server.request(
            "rationale/replay",
            json!({"session": session, "path": "app.py", "seq": 1, "side": "before"}),
        ),
        "not a pair",
    );
    invalid(
        server.request(
            "rationale/replay",
            json!({"session": session, "path": "app.py", "seq": last, "side": "left"}),
        ),
        "side",
    );
    invalid(server.request("rationale/review", json!({"pairId": pairs[0], "verdict": "maybe"})), "verdict");
    invalid(
        server.request("rationale/review", json!({"pairId": "nonsense", "verdict": "accept"})),
        "no pair",
    );
    invalid(
        server.request("rationale/review", json!({"pairId": format!("{session}:1"), "verdict": "accept"})),
        "no pair",
    );
    invalid(
        server
            .request("rationale/review", json!({"pairId": format!("{session}:99999"), "verdict": "accept"})),
        "no pair",
    );
    // Nothing was written, and the server still answers.
    assert!(!server.root().join(".rationale/reviews").read_dir().unwrap().any(|_| true), "no review file");
    server.request_ok("rationale/sessions", json!({}));
}

#[test]
fn a_reviewer_name_never_writes_outside_the_reviews_folder() {
    for hostile in ["../../outside", "/", "a/../../b", &"x".repeat(600)] {
        let mut server = server_with(vec![("RATIONALE_AUTHOR".into(), hostile.into())]);
        let (_, pairs, _) = record_two(&mut server);
        server.request_ok("rationale/review", json!({"pairId": pairs[0], "verdict": "accept"}));
        let reviews = server.root().join(".rationale/reviews");
        let files: Vec<_> = reviews.read_dir().unwrap().map(|e| e.unwrap().path()).collect();
        assert_eq!(files.len(), 1, "{hostile:?}: {files:?}");
        let line: Value = serde_json::from_str(std::fs::read_to_string(&files[0]).unwrap().trim()).unwrap();
        assert_eq!(line["reviewer"], hostile, "the name is kept whole inside the record");
        // Nothing appeared next to the store or the workspace.
        let around: Vec<_> = server.dir.path().read_dir().unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(around, ["proj"], "{hostile:?}");
        let mut store: Vec<_> =
            server.root().join(".rationale").read_dir().unwrap().map(|e| e.unwrap().file_name()).collect();
        store.sort();
        // `index/` holds the journal's index, made by the review's look at the pair.
        assert_eq!(store, [".gitignore", "index", "reviews", "sessions"], "{hostile:?}");
    }
}

/// Copies the first journal of `from` into `to`'s sessions folder, possibly damaged.
fn copy_journal(from: &Path, to: &Path, name: &str, damage: impl Fn(String) -> String) {
    let source = Server::journal_paths_of(from).remove(0);
    let dir = to.join(".rationale/sessions");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), damage(std::fs::read_to_string(source).unwrap())).unwrap();
}

#[test]
fn sessions_copied_in_are_read_torn_ones_up_to_the_tear_and_corrupt_ones_named() {
    let mut recorder = server();
    let (session, pairs, texts) = record_two(&mut recorder);
    recorder.shutdown_and_exit();

    let mut reviewer = server();
    let root = reviewer.root().to_owned();
    copy_journal(recorder.root(), &root, &format!("{session}.jsonl"), |text| text);
    // The same session with its last line torn off halfway, under another id.
    let torn_id = "20261126T083000Z-aaaaaa";
    copy_journal(recorder.root(), &root, &format!("{torn_id}.jsonl"), |text| {
        let text = text.replace(&session, torn_id);
        let cut = text.trim_end().rfind('\n').unwrap() + 20;
        text[..cut].to_owned()
    });
    // And one with garbage on its third line.
    copy_journal(recorder.root(), &root, "20261126T083000Z-bbbbbb.jsonl", |text| {
        let mut lines: Vec<&str> = text.lines().collect();
        lines[2] = "{not json";
        lines.join("\n") + "\n"
    });

    let listed = reviewer.request_ok("rationale/sessions", json!({}));
    let ids: Vec<&str> =
        listed["sessions"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&session.as_str()) && ids.contains(&torn_id), "{listed:#}");
    assert!(!ids.contains(&"20261126T083000Z-bbbbbb"), "{ids:?}");
    let errors = listed["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].as_str().unwrap().contains("20261126T083000Z-bbbbbb.jsonl:3"), "{errors:?}");
    let copied = listed["sessions"].as_array().unwrap().iter().find(|s| s["id"] == session.as_str()).unwrap();
    assert!(copied["ended"].is_string(), "the copied session ended: {copied}");

    // The copied session replays; the torn one up to its tear (the `end` record is gone).
    let after = reviewer.request_ok(
        "rationale/replay",
        json!({"session": session, "path": "app.py", "seq": seq_of(&pairs[1])}),
    );
    assert_eq!(after["text"], texts[1].as_str());
    let torn = reviewer.request_ok("rationale/timeline", json!({"session": torn_id, "granularity": "edits"}));
    let last = torn["steps"].as_array().unwrap().last().unwrap().clone();
    assert_ne!(last["type"], "end", "{last}");
    // A verdict on a copied-in pair goes to this folder's reviews.
    reviewer.request_ok("rationale/review", json!({"pairId": pairs[0], "verdict": "accept"}));
    assert!(root.join(".rationale/reviews/tests@rationale.invalid.jsonl").is_file());
    // The damaged journal is named when asked for.
    let err = error_of(reviewer.request(
        "rationale/timeline",
        json!({"session": "20261126T083000Z-bbbbbb", "granularity": "pairs"}),
    ));
    assert!(err.message.contains(":3:"), "{err}");
}

#[test]
fn a_session_being_written_is_read_up_to_its_last_complete_line() {
    let mut server = server();
    let uri = server.open("app.py", APP);
    let mut text = APP.to_owned();
    let mut seen = vec![text.clone()];
    let session = loop {
        // The journal exists once the first record is written.
        if let Some(path) = Server::journal_paths_of(server.root()).first() {
            break path.file_stem().unwrap().to_string_lossy().into_owned();
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    // The journal exists once its session record is written; the test is about what follows, so
    // it starts once the `open` record is there too (a slow disk under load can hold the writer
    // back for longer than the typing below).
    let started = std::time::Instant::now();
    while server.request_ok("rationale/timeline", json!({"session": session, "granularity": "edits"}))
        ["total"]
        == 0
    {
        assert!(started.elapsed() < Duration::from_secs(10), "the open record never reached the journal");
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut checked = 0;
    for round in 0..30 {
        // Type a few characters at the end of `other`, without waiting.
        for i in 0..5 {
            let doc = Doc::new(&text);
            let end = doc.position(text.len() - 1, Encoding::Utf8);
            let c = char::from(b'a' + ((round * 5 + i) % 26) as u8);
            server.did_change(&uri, 2 + (round * 5 + i) as i64, &[Change::insert(end, c.to_string())]);
            text.insert(text.len() - 1, c);
            seen.push(text.clone());
        }
        let steps =
            server.request_ok("rationale/timeline", json!({"session": session, "granularity": "edits"}));
        let Some(last) = steps["steps"].as_array().unwrap().last().cloned() else { continue };
        let state = server.request_ok(
            "rationale/replay",
            json!({"session": session, "path": "app.py", "seq": last["seq"]}),
        );
        let replayed = state["text"].as_str().unwrap();
        assert!(
            seen.iter().any(|t| t == replayed),
            "round {round}: a text the document never had:\n{replayed}"
        );
        checked += 1;
    }
    assert!(checked > 20, "the timeline was empty too often ({checked} of 30)");
    // Once the journal caught up, the last step is the last edit.
    std::thread::sleep(Duration::from_millis(400));
    let steps = server.request_ok("rationale/timeline", json!({"session": session, "granularity": "edits"}));
    let last = steps["steps"].as_array().unwrap().last().unwrap().clone();
    let state = server
        .request_ok("rationale/replay", json!({"session": session, "path": "app.py", "seq": last["seq"]}));
    assert_eq!(state["text"], text.as_str());
    let _ = Pos::new(0, 0);
}
