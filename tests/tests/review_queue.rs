//! The review queue and what a reviewer can say beyond a verdict on a pair, through the real
//! binary: `rationale/reviewQueue` over a server's folder and a team's collected folder of
//! workspaces (order, filters, paging, bad input, a thousand workspaces with damaged ones among
//! them), verdicts on skips and unexplained changes (and `stats` counting the rejected skips), and
//! comments on a line of a pair (in the timeline and the export).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rationale_tests::journal::run_cli;
use rationale_tests::model::{Change, Encoding, TextModel as Doc};
use rationale_tests::server::RpcError;
use rationale_tests::{Server, ServerOptions};
use serde_json::{json, Value};

const APP: &str = "\
def helper():
    return 1


def other(x):
    return x
";

fn server_on(folders: &[&str]) -> Server {
    Server::start(ServerOptions {
        initialization_options: Some(json!({"settleMs": 0})),
        folders: folders.iter().map(|f| f.to_string()).collect(),
        ..ServerOptions::default()
    })
}

/// Replaces `from` (once in `text`) with `to` through a didChange; returns the new text.
fn edit(server: &Server, uri: &str, version: i64, text: &str, from: &str, to: &str) -> String {
    let at = text.find(from).expect("text to replace");
    let doc = Doc::new(text);
    let (start, end) = (doc.position(at, Encoding::Utf8), doc.position(at + from.len(), Encoding::Utf8));
    server.did_change(uri, version, &[Change::replace(start, end, to)]);
    text.replacen(from, to, 1)
}

/// The id of the one pending change of `uri`, once there is one.
fn pending(server: &mut Server, uri: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let changes = server.request_ok("rationale/pendingChanges", json!({"uri": uri}))["changes"].clone();
        if let Some(change) = changes.as_array().and_then(|c| c.first()) {
            return change["id"].as_str().unwrap().to_owned();
        }
        assert!(Instant::now() < deadline, "no pending change for {uri}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn explain(server: &mut Server, uri: &str, why: &str) -> String {
    let id = pending(server, uri);
    let answer = server.request_ok(
        "workspace/executeCommand",
        json!({"command": "rationale.record", "arguments": [{"changeId": id, "text": why}]}),
    );
    answer["pairId"].as_str().unwrap().to_owned()
}

fn invalid(result: Result<Value, RpcError>, needle: &str) {
    let err = result.expect_err("an error answer");
    assert_eq!(err.code, -32602, "{err}");
    assert!(err.message.contains(needle), "`{needle}` not in: {}", err.message);
}

fn lines_of(file: &Path) -> Vec<Value> {
    std::fs::read_to_string(file)
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The seq of the first record of `kind` in the journal of `folder`, waiting for it.
fn seq_of_record(folder: &Path, kind: &str) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let journal = rationale_tests::Journal::only_one_in(folder);
        if let Some(record) = journal.records.iter().find(|r| r["type"] == kind) {
            return record["seq"].as_u64().unwrap();
        }
        assert!(Instant::now() < deadline, "no `{kind}` record in {}", folder.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn skips_and_unexplained_changes_take_verdicts_and_rejected_skips_are_counted() {
    let mut server = server_on(&["proj"]);
    let uri = server.open("app.py", APP);
    let first = edit(&server, &uri, 2, APP, "return 1", "return 42");
    let change = pending(&mut server, &uri);
    server.request_ok(
        "workspace/executeCommand",
        json!({"command": "rationale.skip", "arguments": [{"changeId": change, "reason": "only a constant"}]}),
    );
    edit(&server, &uri, 3, &first, "return x", "return x * 2");
    pending(&mut server, &uri);
    // Closed with its change still pending: the change is left unexplained.
    server.did_close(&uri);
    let root = server.root().to_owned();
    let skip = seq_of_record(&root, "skip");
    let unexplained = seq_of_record(&root, "unexplained");
    let session =
        rationale_tests::Journal::only_one_in(&root).records[0]["session"].as_str().unwrap().to_owned();
    let (skip_id, unexplained_id) = (format!("{session}:{skip}"), format!("{session}:{unexplained}"));

    server.request_ok(
        "rationale/review",
        json!({"pairId": skip_id, "verdict": "reject", "note": "this needed an explanation"}),
    );
    server.request_ok("rationale/review", json!({"pairId": unexplained_id, "verdict": "flag"}));
    let verdicts = lines_of(&root.join(".rationale/reviews/tests@rationale.invalid.jsonl"));
    assert_eq!(verdicts.len(), 2);
    assert_eq!(
        (verdicts[0]["pair"].as_str(), verdicts[0]["verdict"].as_str()),
        (Some(&*skip_id), Some("reject"))
    );
    assert_eq!(verdicts[1]["pair"], unexplained_id.as_str());
    // An unexplained change has no `after` to comment a line of.
    invalid(
        server.request("rationale/review", json!({"pairId": unexplained_id, "line": 0, "note": "here"})),
        "has no `after` text",
    );

    // The replay's steps carry them with their reason and verdict.
    let edits = server.request_ok("rationale/timeline", json!({"session": session, "granularity": "edits"}));
    let steps = edits["steps"].as_array().unwrap();
    let step = |seq: u64| steps.iter().find(|s| s["seq"] == seq).unwrap().clone();
    let skipped = step(skip);
    assert_eq!(skipped["type"], "skip");
    assert_eq!(skipped["pairId"], skip_id.as_str());
    assert_eq!(skipped["reason"], "only a constant");
    assert_eq!(skipped["review"]["verdict"], "reject");
    assert_eq!(skipped["review"]["note"], "this needed an explanation");
    let left = step(unexplained);
    assert_eq!(
        (left["type"].as_str(), left["pairId"].as_str()),
        (Some("unexplained"), Some(&*unexplained_id))
    );
    assert_eq!(left["unit"]["name"], "other");
    assert_eq!(left["review"]["verdict"], "flag");

    // And so does the queue, judged ones last.
    let queue = server.request_ok("rationale/reviewQueue", json!({}));
    let entries = queue["entries"].as_array().unwrap();
    let types: Vec<&str> = entries.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["skip", "unexplained"], "{queue:#}");
    assert_eq!(entries[0]["reason"], "only a constant");
    assert_eq!(entries[0]["review"]["verdict"], "reject");
    assert_eq!(entries[0]["folder"], root.display().to_string());
    let unreviewed = server.request_ok("rationale/reviewQueue", json!({"filter": {"unreviewed": true}}));
    assert_eq!(unreviewed["total"], 0, "{unreviewed:#}");

    // `stats` counts the rejected skip; `export` has no row for a skip or an unexplained change.
    let folder = root.display().to_string();
    let stats = run_cli(&["stats", &folder, "--json"]);
    assert!(stats.success(), "{}", stats.describe());
    let stats: Value = serde_json::from_str(&stats.stdout).unwrap();
    assert_eq!((stats["skips"].as_u64(), stats["skips_rejected"].as_u64()), (Some(1), Some(1)), "{stats}");
    assert_eq!(stats["reviews"]["rejected"], 0, "a skip is not a pair: {stats}");
    let table = run_cli(&["stats", &folder]);
    assert!(table.stdout.contains("0 unreviewed; 1 skip rejected"), "{}", table.stdout);
    let out = server.dir.path().join("out.jsonl");
    let exported = run_cli(&["export", &folder, "--out", &out.display().to_string()]);
    assert!(exported.success(), "{}", exported.describe());
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "", "no pairs, no rows");
}

#[test]
fn comments_on_lines_stand_beside_verdicts_and_reach_the_export() {
    let mut server = server_on(&["proj"]);
    let uri = server.open("app.py", APP);
    edit(&server, &uri, 2, APP, "return 1", "return 42");
    let pair = explain(&mut server, &uri, "Callers need the real answer, not a placeholder.");
    let session = pair.split(':').next().unwrap().to_owned();

    server.request_ok("rationale/review", json!({"pairId": pair, "line": 1, "note": "42 needs a name"}));
    server.request_ok("rationale/review", json!({"pairId": pair, "line": 0, "note": "keep the signature"}));
    server.request_ok("rationale/review", json!({"pairId": pair, "verdict": "accept", "note": "fine"}));
    server.request_ok("rationale/review", json!({"pairId": pair, "line": 1, "note": "or a comment"}));
    let file = server.root().join(".rationale/reviews/tests@rationale.invalid.jsonl");
    let written = lines_of(&file);
    assert_eq!(written.len(), 4);
    assert_eq!(written[0]["line"], 1);
    assert_eq!(written[0]["note"], "42 needs a name");
    assert!(written[0].get("verdict").is_none(), "a comment is no verdict: {}", written[0]);
    assert_eq!(written[2]["verdict"], "accept");

    // Bad lines and incomplete requests are refused and write nothing.
    // The pair's `after` is "def helper():\n    return 42": lines 0 and 1.
    invalid(
        server.request("rationale/review", json!({"pairId": pair, "line": 2, "note": "x"})),
        "past the `after`",
    );
    invalid(
        server.request("rationale/review", json!({"pairId": pair, "line": -1, "note": "x"})),
        "cannot be -1",
    );
    invalid(server.request("rationale/review", json!({"pairId": pair, "line": 0})), "needs its `note`");
    invalid(
        server.request("rationale/review", json!({"pairId": pair, "line": 0, "note": "  "})),
        "needs its `note`",
    );
    invalid(server.request("rationale/review", json!({"pairId": pair})), "a review gives a `verdict`");
    assert_eq!(lines_of(&file).len(), 4, "nothing written for a bad request");

    // The timeline has every comment, by line; the verdict stands beside them.
    let timeline =
        server.request_ok("rationale/timeline", json!({"session": session, "granularity": "pairs"}));
    let step = &timeline["steps"][0];
    assert_eq!(step["review"]["verdict"], "accept");
    let comments: Vec<(u64, &str)> = step["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["line"].as_u64().unwrap(), c["note"].as_str().unwrap()))
        .collect();
    assert_eq!(comments, [(0, "keep the signature"), (1, "42 needs a name"), (1, "or a comment")]);
    assert_eq!(step["comments"][0]["reviewer"], "tests@rationale.invalid");

    // The export carries them under review.comments.
    let out = server.dir.path().join("out.jsonl");
    let exported =
        run_cli(&["export", &server.root().display().to_string(), "--out", &out.display().to_string()]);
    assert!(exported.success(), "{}", exported.describe());
    let row: Value = serde_json::from_str(std::fs::read_to_string(&out).unwrap().trim()).unwrap();
    assert_eq!(row["review"]["verdict"], "accept");
    let exported: Vec<&Value> = row["review"]["comments"].as_array().unwrap().iter().collect();
    assert_eq!(exported.len(), 3, "{row}");
    let keys: Vec<&String> = exported[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["line", "note", "reviewer", "ts"]);
    assert_eq!(
        (exported[1]["line"].as_u64(), exported[1]["note"].as_str()),
        (Some(1), Some("42 needs a name"))
    );
}

fn session_line(id: &str, author: &str) -> String {
    format!(
        r#"{{"seq":0,"ts":"2026-11-26T08:00:00.000Z","type":"session","schema":1,"session":"{id}","author":"{author}","workspace":"w","positionEncoding":"utf-8"}}"#
    )
}

/// A `rationale` (with `said` as its text), `skip` (its reason) or `unexplained` record made at
/// 08:`minute`.
fn record_line(kind: &str, id: &str, seq: u64, minute: u32, said: &str) -> String {
    let said = match kind {
        "rationale" => format!(r#","text":"{said}""#),
        "skip" => format!(r#","reason":"{said}""#),
        _ => String::new(),
    };
    format!(
        r#"{{"seq":{seq},"ts":"2026-11-26T08:{minute:02}:00.000Z","type":"{kind}","pair":"{id}:{seq}","change":"c.{seq}","path":"a.py","language":"python","unit":{{"name":"f{seq}","kind":"function"}},"kind":"modified","before":"def f{seq}():\n    return 1\n","after":"def f{seq}():\n    return 2\n"{said}}}"#
    )
}

/// Writes a workspace under `team` whose one session `id` of `author` holds `records`.
fn workspace(team: &Path, name: &str, id: &str, author: &str, records: &[(&str, u32, &str)]) -> PathBuf {
    let folder = team.join(name);
    let sessions = folder.join(".rationale/sessions");
    std::fs::create_dir_all(&sessions).unwrap();
    let mut lines = vec![session_line(id, author)];
    for (i, (kind, minute, said)) in records.iter().enumerate() {
        lines.push(record_line(kind, id, i as u64 + 1, *minute, said));
    }
    std::fs::write(sessions.join(format!("{id}.jsonl")), lines.join("\n") + "\n").unwrap();
    folder
}

const GOOD: &str = "Return 2: the billing API now counts from two, see issue 12";

#[test]
fn the_queue_orders_filters_and_pages_every_workspace_under_the_folders() {
    let mut server = server_on(&["proj", "team"]);
    let team = server.folders[1].clone();
    let ana = workspace(
        &team,
        "ana",
        "20261126T080000Z-aaaaaa",
        "ana@example.com",
        &[("rationale", 31, GOOD), ("rationale", 32, "fix"), ("skip", 33, "formatting")],
    );
    let bo = workspace(
        &team,
        "nested/bo",
        "20261126T080000Z-bbbbbb",
        "bo@example.com",
        &[("rationale", 30, GOOD), ("rationale", 40, "wip")],
    );
    // One of bo's pairs already judged, in bo's own reviews file.
    std::fs::create_dir_all(bo.join(".rationale/reviews")).unwrap();
    std::fs::write(
        bo.join(".rationale/reviews/lead.jsonl"),
        r#"{"ts":"2026-11-27T09:00:00.000Z","reviewer":"lead","pair":"20261126T080000Z-bbbbbb:2","verdict":"reject"}"#
            .to_owned()
            + "\n",
    )
    .unwrap();
    // And a pair recorded now, in the server's own folder.
    let uri = server.open("app.py", APP);
    edit(&server, &uri, 2, APP, "return 1", "return 42");
    let mine = explain(&mut server, &uri, "Callers need the real answer, not a placeholder.");

    let (a, b) = ("20261126T080000Z-aaaaaa", "20261126T080000Z-bbbbbb");
    let expected = [
        format!("{a}:2"), // not judged, flagged (`fix`)
        format!("{b}:1"), // not judged, by age
        format!("{a}:1"),
        format!("{a}:3"),
        mine.clone(),
        format!("{b}:2"), // judged last, though flagged
    ];
    let ids = |answer: &Value| -> Vec<String> {
        answer["entries"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect()
    };
    let all = server.request_ok("rationale/reviewQueue", json!({}));
    assert_eq!(ids(&all), expected, "{all:#}");
    assert_eq!((all["total"].as_u64(), &all["next"], &all["errors"]), (Some(6), &Value::Null, &json!([])));
    let first = &all["entries"][0];
    assert_eq!(first["type"], "rationale");
    assert_eq!(first["author"], "ana@example.com");
    assert_eq!(first["workspace"], "ana");
    assert_eq!(first["folder"], ana.display().to_string());
    assert_eq!(first["session"], a);
    assert_eq!(first["seq"], 2);
    assert_eq!(first["path"], "a.py");
    assert_eq!(first["unit"], json!({"name": "f2", "kind": "function"}));
    assert_eq!(first["rationale"], "fix");
    assert_eq!(first["flags"], json!(["generic"]));
    assert_eq!(
        (&first["review"], &first["reviews"], &first["comments"]),
        (&Value::Null, &json!([]), &json!([]))
    );
    assert_eq!(all["entries"][3]["reason"], "formatting");
    assert_eq!(all["entries"][5]["review"]["verdict"], "reject");

    // Paged: `next` says where the next page starts.
    let mut paged = Vec::new();
    let mut from = Some(0);
    while let Some(at) = from {
        let page = server.request_ok("rationale/reviewQueue", json!({"from": at, "limit": 4}));
        assert_eq!(page["total"], 6);
        paged.extend(ids(&page));
        from = page["next"].as_u64();
    }
    assert_eq!(paged, expected);

    // Filters.
    let filtered = |server: &mut Server, filter: Value| {
        ids(&server.request_ok("rationale/reviewQueue", json!({ "filter": filter })))
    };
    assert_eq!(
        filtered(&mut server, json!({"author": "bo@example.com"})),
        [expected[1].clone(), expected[5].clone()]
    );
    assert_eq!(filtered(&mut server, json!({"flag": "generic"})), [expected[0].clone(), expected[5].clone()]);
    assert_eq!(filtered(&mut server, json!({"unreviewed": false})), [expected[5].clone()]);
    assert_eq!(filtered(&mut server, json!({"unreviewed": true})).len(), 5);
    assert_eq!(filtered(&mut server, json!({"author": "nobody", "unreviewed": true})), Vec::<String>::new());

    // Bad input: a sentence each, and the server answers on.
    invalid(
        server.request("rationale/reviewQueue", json!({"limit": 0})),
        "limit is a page's size, 1 to 5000, not 0",
    );
    invalid(server.request("rationale/reviewQueue", json!({"limit": -3})), "not -3");
    invalid(server.request("rationale/reviewQueue", json!({"limit": 5001})), "not 5001");
    invalid(server.request("rationale/reviewQueue", json!({"from": -1})), "counted from 0");
    invalid(
        server.request("rationale/reviewQueue", json!({"from": 6})),
        "past the end of the queue, which holds 6",
    );
    invalid(
        server.request("rationale/reviewQueue", json!({"filter": {"flag": "vague"}})),
        "no quality flag \"vague\"",
    );

    // A verdict on an entry of a collected workspace lands in that workspace, with or without
    // its folder named; the entry moves among the judged.
    server.request_ok("rationale/review", json!({"pairId": expected[0], "folder": ana, "verdict": "accept"}));
    server.request_ok("rationale/review", json!({"pairId": expected[3], "verdict": "reject"}));
    let written = lines_of(&ana.join(".rationale/reviews/tests@rationale.invalid.jsonl"));
    assert_eq!(written.len(), 2);
    let own = server.root().join(".rationale/reviews/tests@rationale.invalid.jsonl");
    assert!(!own.exists(), "nothing in the server's own folder");
    let after = ids(&server.request_ok("rationale/reviewQueue", json!({})));
    assert_eq!(after[..3], [expected[1].clone(), expected[2].clone(), mine.clone()]);
    // The timeline and replay of a collected workspace's session, by its folder.
    let steps =
        server.request_ok("rationale/timeline", json!({"session": a, "granularity": "edits", "folder": ana}));
    assert_eq!(steps["steps"][1]["review"]["verdict"], "accept");
    // A folder outside the workspace folders is not looked in.
    invalid(
        server.request(
            "rationale/review",
            json!({"pairId": expected[0], "folder": "/tmp", "verdict": "accept"}),
        ),
        "no pair",
    );
}

#[test]
fn a_queue_over_a_thousand_workspaces_answers_at_once_and_names_the_damaged_ones() {
    let mut server = server_on(&["team"]);
    let team = server.folders[0].clone();
    let mut damaged = Vec::new();
    for i in 0..1000u32 {
        let id = format!("20261126T080000Z-{i:06x}");
        let folder = workspace(
            &team,
            &format!("dev{i:04}"),
            &id,
            &format!("dev{}@example.com", i % 7),
            &[("rationale", i % 60, GOOD), ("skip", i % 60, "formatting"), ("rationale", i % 60, "wip")],
        );
        if i % 100 == 7 {
            // Damaged in the middle: not a record on line 3.
            let journal = folder.join(format!(".rationale/sessions/{id}.jsonl"));
            let text = std::fs::read_to_string(&journal).unwrap();
            let mut lines: Vec<&str> = text.lines().collect();
            lines[2] = "{not json";
            std::fs::write(&journal, lines.join("\n") + "\n").unwrap();
            damaged.push(journal);
        }
    }
    let started = Instant::now();
    let first = server.request_ok("rationale/reviewQueue", json!({"limit": 50}));
    let cold = started.elapsed();
    let started = Instant::now();
    let again = server.request_ok("rationale/reviewQueue", json!({"limit": 50}));
    let warm = started.elapsed();
    eprintln!("the queue's first page over 1,000 workspaces: {cold:?} the first time, {warm:?} the next");
    assert_eq!(first["total"], 990 * 3);
    assert_eq!(first["entries"].as_array().unwrap().len(), 50);
    assert_eq!(first["next"], 50);
    assert_eq!(ids_of(&first), ids_of(&again));
    let errors: Vec<&str> = first["errors"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
    assert_eq!(errors.len(), damaged.len(), "{errors:#?}");
    for journal in &damaged {
        let named = format!("{}:3:", journal.display());
        assert!(errors.iter().any(|e| e.contains(&named)), "{named} not in {errors:#?}");
    }
    // Flagged first: every `wip` pair comes before the first unflagged entry.
    assert!(first["entries"].as_array().unwrap().iter().all(|e| e["rationale"] == "wip"));
    // Room for a loaded machine; the figure above is what to read.
    assert!(cold < Duration::from_secs(10), "{cold:?}");
}

fn ids_of(answer: &Value) -> Vec<String> {
    answer["entries"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn in_two_workspace_folders_a_verdict_goes_to_the_folder_its_pair_came_from() {
    let mut server = server_on(&["front", "back"]);
    let (front, back) = (server.folders[0].clone(), server.folders[1].clone());
    // One pair in each folder: one session, one journal per folder, the same seqs in both.
    let mut pairs = Vec::new();
    for folder in [&front, &back] {
        let uri = rationale_tests::server::file_uri(&folder.join("app.py"));
        server.did_open(&uri, "python", 1, APP);
        edit(&server, &uri, 2, APP, "return 1", "return 42");
        pairs.push(explain(&mut server, &uri, "Callers need the real answer, not a placeholder."));
    }
    let listed = server.request_ok("rationale/sessions", json!({}));
    let folders: Vec<&str> =
        listed["sessions"].as_array().unwrap().iter().map(|s| s["folder"].as_str().unwrap()).collect();
    assert_eq!(folders.len(), 2, "{listed:#}");
    assert!(
        folders.contains(&&*front.display().to_string()) && folders.contains(&&*back.display().to_string())
    );

    server.request_ok("rationale/review", json!({"pairId": pairs[1], "folder": back, "verdict": "reject"}));
    let file = ".rationale/reviews/tests@rationale.invalid.jsonl";
    assert_eq!(lines_of(&back.join(file))[0]["pair"], pairs[1].as_str());
    assert!(!front.join(file).exists(), "the verdict went to the folder named, not the first");
    let queue = server.request_ok("rationale/reviewQueue", json!({"filter": {"unreviewed": false}}));
    assert_eq!(queue["entries"][0]["folder"], back.display().to_string(), "{queue:#}");
}
