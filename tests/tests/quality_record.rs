//! Quality at record time through the real binary: `rationale.record` answers the pair's quality
//! (and with `dryRun`, what it would record, writing nothing), the `rationale` record carries it,
//! typed and pasted code are told apart, a rationale that repeats an earlier one of the same
//! author is a duplicate across sessions, and a why-comment that says little about why is recorded,
//! then hinted at with an Information diagnostic.

use std::time::{Duration, Instant};

use rationale_tests::doc::Doc;
use rationale_tests::{RpcError, Server, ServerOptions};
use serde_json::{json, Value};

use rationale_tests::samples::APP;

const WAIT: Duration = Duration::from_secs(10);
const HINT: &str = "Say why: what was wrong, or who needs this?";

fn options(settings: Value) -> ServerOptions {
    let mut init = json!({"settleMs": 0, "minRationaleChars": 1});
    for (key, value) in settings.as_object().unwrap() {
        init[key] = value.clone();
    }
    ServerOptions { initialization_options: Some(init), ..ServerOptions::default() }
}

fn pending(server: &mut Server, uri: &str) -> Vec<Value> {
    server.request_ok("rationale/pendingChanges", json!({"uri": uri}))["changes"].as_array().unwrap().clone()
}

fn change_id(server: &mut Server, uri: &str, unit: &str) -> String {
    let changes = pending(server, uri);
    let change = changes.iter().find(|c| c["unit"]["name"] == unit);
    change.unwrap_or_else(|| panic!("no pending change of {unit}: {changes:?}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn record(server: &mut Server, args: Value) -> Result<Value, RpcError> {
    server.request("workspace/executeCommand", json!({"command": "rationale.record", "arguments": [args]}))
}

/// The quality a dry run gives `text` for the change of `unit`.
fn assess(server: &mut Server, uri: &str, unit: &str, text: &str) -> Value {
    let id = change_id(server, uri, unit);
    record(server, json!({"changeId": id, "text": text, "dryRun": true})).unwrap()
}

fn flags(quality: &Value) -> Vec<String> {
    quality["flags"].as_array().unwrap().iter().map(|f| f.as_str().unwrap().to_owned()).collect()
}

fn rationales(server: &Server) -> Vec<Value> {
    server.journal().of_type("rationale").into_iter().cloned().collect()
}

#[test]
fn typed_code_and_pasted_code_are_told_apart_and_the_record_carries_the_answer() {
    let mut server = Server::start(options(json!({})));
    let mut doc = Doc::open(&server, "app.py", APP);
    // `helper` typed a key at a time, each key at the end of its unit (a key typed after a
    // space past the unit's end counts for the file's top-level code), `Session.send` pasted whole.
    doc.type_after(&mut server, "return 1", "2345", Duration::from_millis(20));
    let pasted_text = "return url.strip().lower() if url else DEFAULT_URL";
    doc.replace(&server, "return url", pasted_text);

    let helper = change_id(&mut server, &doc.uri, "helper");
    let why = "Callers count from one, so the total must include the header row";
    let answer = record(&mut server, json!({"changeId": helper, "text": why, "composeMs": 5400})).unwrap();
    let quality = &answer["quality"];
    assert_eq!(quality["typed_share"], 1.0, "{answer}");
    assert_eq!(quality["largest_insert"], 1);
    assert_eq!(quality["compose_ms"], 5400);
    let edit_seconds = quality["edit_seconds"].as_f64().unwrap();
    assert!((0.06..10.0).contains(&edit_seconds), "three gaps of at least 20 ms: {edit_seconds}");
    assert_eq!(flags(quality), Vec::<String>::new(), "{answer}");
    assert!(answer["hint"].is_null());
    assert_eq!(answer["qualities"], json!([quality]));
    assert!(answer["pairId"].is_string());

    let send = change_id(&mut server, &doc.uri, "Session.send");
    let answer = record(
        &mut server,
        json!({"changeId": send, "text": "Normalise the URL so that the cache key is stable"}),
    )
    .unwrap();
    let pasted = &answer["quality"];
    assert_eq!(pasted["typed_share"], 0.0, "{answer}");
    assert_eq!(pasted["largest_insert"], pasted_text.chars().count(), "the pasted text's characters");
    assert_eq!(pasted["edit_seconds"], 0.0, "one edit: no gap");
    assert!(pasted["compose_ms"].is_null(), "the editor did not say");

    // The journal's records carry exactly what was answered.
    let recorded = rationales(&server);
    assert_eq!(recorded.len(), 2);
    assert_eq!(&recorded[0]["quality"], quality);
    assert_eq!(&recorded[1]["quality"], pasted);
    assert_eq!(recorded[1]["pair"], answer["pairId"]);
    server.shutdown_and_exit();
}

#[test]
fn each_flag_is_set_or_not_at_record_time_and_a_dry_run_writes_nothing() {
    let mut server = Server::start(options(json!({})));
    let mut doc = Doc::open(&server, "app.py", APP);
    doc.replace(&server, "return 1", "return 42");
    let uri = doc.uri.clone();
    let cases: [(&str, &[&str]); 6] = [
        ("minor changes", &["generic", "no_why"]),
        ("Fix crash", &["generic"]),
        ("Handle the header row", &["no_why"]),
        ("changed return 1 to return 42", &["restates_diff", "no_why"]),
        ("The caller counts from one, so the total must include the header row", &[]),
        ("Return 42 because the test harness expects the real answer", &[]),
    ];
    for (text, expected) in cases {
        let answer = assess(&mut server, &uri, "helper", text);
        assert_eq!(flags(&answer["quality"]), *expected, "{text:?}: {answer}");
        let hint = if expected.is_empty() { Value::Null } else { json!(HINT) };
        assert_eq!(answer["hint"], hint, "{text:?}");
        assert!(answer.get("pairId").is_none(), "a dry run records nothing: {answer}");
        // A dry run knows the change's edits and the text's signals, not when it is recorded.
        assert_eq!(answer["quality"]["typed_share"], 0.0);
    }
    assert!(rationales(&server).is_empty(), "a dry run wrote a record");
    // The change is still pending, and a dry run refuses as recording does.
    let id = change_id(&mut server, &uri, "helper");
    let refused = record(&mut server, json!({"changeId": id, "text": "   ", "dryRun": true})).unwrap_err();
    assert_eq!(refused.code, -32602);
    let refused =
        record(&mut server, json!({"changeId": "nope.1", "text": "a reason", "dryRun": true})).unwrap_err();
    assert_eq!(refused.code, -32602);

    // Recorded as it is, flags and all.
    let answer =
        record(&mut server, json!({"changeId": id, "text": "changed return 1 to return 42"})).unwrap();
    assert_eq!(flags(&answer["quality"]), ["restates_diff", "no_why"]);
    assert_eq!(answer["hint"], HINT);
    assert_eq!(rationales(&server)[0]["quality"]["restates_diff"], 1.0);
    server.shutdown_and_exit();
}

#[test]
fn with_nudge_off_nothing_is_hinted_though_the_flags_stay() {
    let mut server = Server::start(options(json!({"nudge": false})));
    let mut doc = Doc::open(&server, "app.py", APP);
    doc.replace(&server, "return 1", "return 42");
    let answer = assess(&mut server, &doc.uri, "helper", "minor changes");
    assert_eq!(flags(&answer["quality"]), ["generic", "no_why"]);
    assert!(answer["hint"].is_null(), "{answer}");
    server.shutdown_and_exit();
}

const STALE: &str = "The cache kept stale entries after a reload, so readers saw old prices until restart";

#[test]
fn a_rationale_that_repeats_an_earlier_one_of_its_author_is_a_duplicate_across_sessions() {
    let mut first = Server::start(options(json!({})));
    let mut doc = Doc::open(&first, "app.py", APP);
    doc.replace(&first, "return 1", "return 42");
    doc.replace(&first, "return url", "return url.strip()");
    let helper = change_id(&mut first, &doc.uri, "helper");
    let earlier = record(&mut first, json!({"changeId": helper, "text": STALE})).unwrap();
    assert!(earlier["quality"]["duplicate_of"].is_null());
    // In the same session, for another change, read back at once from the journal.
    let send = change_id(&mut first, &doc.uri, "Session.send");
    let copy = record(&mut first, json!({"changeId": send, "text": format!("{STALE}.")})).unwrap();
    assert_eq!(copy["quality"]["duplicate_of"], earlier["pairId"], "{copy}");
    assert!(flags(&copy["quality"]).contains(&"duplicate".to_owned()));
    first.shutdown_and_exit();

    // Another session on the same folder, same author: a reworded copy is a duplicate, another
    // reason is not.
    let folders = first.folders.clone();
    let mut second = Server::start_on(folders.clone(), options(json!({})));
    let mut doc = Doc::open(&second, "app.py", &doc.text);
    doc.replace(&second, "return 42", "return 43");
    doc.replace(&second, "return self.send(url)", "return self.send(url.strip())");
    let answer = assess(&mut second, &doc.uri, "helper", &STALE.replace("restart", "restarted"));
    assert_eq!(answer["quality"]["duplicate_of"], earlier["pairId"], "{answer}");
    let answer = assess(&mut second, &doc.uri, "helper", "Off by one: the header row was not counted");
    assert!(answer["quality"]["duplicate_of"].is_null(), "{answer}");
    // One rationale for two changes: the records of one group do not repeat each other.
    let ids =
        [change_id(&mut second, &doc.uri, "helper"), change_id(&mut second, &doc.uri, "Session.request")];
    let text = "Both paths now strip the URL before it reaches the proxy, which rejects spaces";
    let group = record(&mut second, json!({"changeIds": ids, "text": text})).unwrap();
    assert_eq!(group["qualities"].as_array().unwrap().len(), 2);
    for quality in group["qualities"].as_array().unwrap() {
        assert!(quality["duplicate_of"].is_null(), "{group}");
    }
    second.shutdown_and_exit();

    // Another author's identical rationale repeats nothing of theirs.
    let mut other = options(json!({}));
    other.env.push(("RATIONALE_AUTHOR".into(), "someone-else@rationale.invalid".into()));
    let mut third = Server::start_on(folders, other);
    let mut doc = Doc::open(&third, "app.py", &doc.text);
    doc.replace(&third, "return 43", "return 44");
    let answer = assess(&mut third, &doc.uri, "helper", STALE);
    assert!(answer["quality"]["duplicate_of"].is_null(), "{answer}");
    third.shutdown_and_exit();
}

#[test]
fn a_why_comment_is_timed_and_one_that_says_little_is_recorded_then_hinted_at() {
    let mut server = Server::start(options(json!({})));
    let mut doc = Doc::open(&server, "app.py", APP);
    doc.replace(&server, "return 1", "return 42");
    doc.replace(&server, "def helper", "\ndef helper");
    doc.type_after(&mut server, "\n\n\n", "# why: tweak", Duration::from_millis(30));
    doc.save(&server);
    let found =
        server.wait_diagnostics(&doc.uri, WAIT, |d| d.iter().any(|d| d["code"] == "why-comment-nudge"));
    let hint = found.iter().find(|d| d["code"] == "why-comment-nudge").unwrap();
    assert_eq!(hint["severity"], 3, "Information: {hint}");
    assert!(hint["message"].as_str().unwrap().ends_with(HINT), "{hint}");
    assert_eq!(hint["range"]["start"]["line"], 9, "on the unit's name: {hint}");
    let recorded = rationales(&server);
    assert_eq!(recorded.len(), 1);
    let quality = &recorded[0]["quality"];
    assert_eq!(flags(quality), ["generic", "no_why"]);
    // Twelve keys 30 ms apart: at least 330 ms from the first to the last.
    let compose = quality["compose_ms"].as_u64().unwrap();
    assert!((330..5000).contains(&compose), "{compose}");

    // A why-comment that says why gets no hint; pasted whole, it took no time to write.
    doc.replace(&server, "return url\n", "return url or ''\n");
    doc.replace(
        &server,
        "    def send",
        "    # why: an empty URL crashed the proxy, which expects a string\n    def send",
    );
    doc.save(&server);
    let deadline = Instant::now() + WAIT;
    while rationales(&server).len() < 2 {
        assert!(Instant::now() < deadline, "the second why-comment was not recorded");
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = &rationales(&server)[1];
    assert_eq!(flags(&second["quality"]), Vec::<String>::new(), "{second}");
    assert_eq!(second["quality"]["compose_ms"], 0);
    // The first comment is still there (this harness does not apply the removal), so the
    // second save's notes say so, and no longer hint.
    let found =
        server.wait_diagnostics(&doc.uri, WAIT, |d| d.iter().any(|d| d["code"] == "why-comment-recorded"));
    assert!(found.iter().all(|d| d["code"] != "why-comment-nudge"), "{found:?}");
    server.shutdown_and_exit();
}

#[test]
fn bad_input_gets_signals_without_a_panic_and_blank_text_is_still_refused() {
    let mut server = Server::start(options(json!({})));
    let mut doc = Doc::open(&server, "app.py", APP);
    doc.replace(&server, "return 1", "return 42");
    let big = "The header row was not counted. ".repeat(3200); // about 100 KB
    let started = Instant::now();
    for text in [
        big.as_str(),
        "修复了表头行没有被计算的问题",
        "תיקון: שורת הכותרת לא נספרה",
        "🎉🚀 fixed 🐛",
        "\u{202e}evil",
    ] {
        let answer = assess(&mut server, &doc.uri, "helper", text);
        for key in ["generic", "no_why"] {
            let score = answer["quality"][key].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&score), "{text:?}: {answer}");
        }
    }
    assert!(started.elapsed() < WAIT, "bounded time");
    assert_eq!(
        assess(&mut server, &doc.uri, "helper", "修复了表头行没有被计算的问题")["quality"]["flags"],
        json!([])
    );
    for blank in ["", "  \n\t "] {
        let id = change_id(&mut server, &doc.uri, "helper");
        let refused = record(&mut server, json!({"changeId": id, "text": blank})).unwrap_err();
        assert_eq!(refused.code, -32602, "{blank:?}");
    }
    let id = change_id(&mut server, &doc.uri, "helper");
    let answer = record(&mut server, json!({"changeId": id, "text": big})).unwrap();
    assert!(answer["pairId"].is_string());
    server.shutdown_and_exit();
}
