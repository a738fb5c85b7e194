//! Generated documents: larger than `maxFileBytes` when opened, or with lines that average more
//! than 1,000 characters. Their edits are journaled and replay exactly, but no units are found
//! and nothing is prompted; the person is told once per file, and `rationale/pendingChanges` says
//! why.

use std::time::Duration;

use rationale_tests::journal::{assert_verify_ok, replayed_file};
use rationale_tests::model::{Change, Pos};
use rationale_tests::{Server, ServerOptions};
use serde_json::{json, Value};

fn show_messages(server: &Server) -> Vec<String> {
    server
        .notifications()
        .iter()
        .filter(|n| n["method"] == "window/showMessage")
        .map(|n| n["params"]["message"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// A minified bundle: 2,000 functions on one line.
fn bundle() -> String {
    (0..2_000).map(|i| format!("function f{i}(a){{return a+{i}}};")).collect()
}

#[test]
fn a_minified_bundle_is_journaled_but_never_prompted_and_the_person_is_told_once() {
    let mut server = Server::start(ServerOptions {
        initialization_options: Some(json!({"settleMs": 0})),
        ..ServerOptions::default()
    });
    let text = bundle();
    let uri = server.open("dist/app.min.js", &text);
    let told = server
        .wait_for_notification("window/showMessage", Duration::from_secs(5))
        .expect("opening a generated document is told with window/showMessage");
    let message = told["params"]["message"].as_str().unwrap();
    assert!(message.contains("dist/app.min.js") && message.contains("generated"), "{message}");
    assert!(message.contains("maxFileBytes"), "says what to change: {message}");
    assert_eq!(told["params"]["type"], 3, "an information message, not a warning");

    // Editing a function inside it changes no unit.
    let at = text.find("return a+7}").unwrap() + "return a+".len();
    server.did_change(&uri, 2, &[Change::insert(Pos::new(0, at), "2*")]);
    let answer = server.request_ok("rationale/pendingChanges", json!({"uri": uri}));
    assert_eq!(answer["changes"], json!([]), "no pending change in a generated document");
    let generated = answer["generated"].as_array().unwrap();
    assert_eq!(generated.len(), 1, "{answer}");
    assert_eq!(generated[0]["uri"], uri.as_str());
    assert!(generated[0]["reason"].as_str().unwrap().contains("average"), "{answer}");

    // Closed and opened again: not told twice.
    server.did_close(&uri);
    server.did_open(&uri, "javascript", 3, &text);
    server.request_ok("rationale/pendingChanges", json!({}));
    // (The first message was taken above.)
    assert_eq!(show_messages(&server), Vec::<String>::new(), "told once per file");

    // The edits are journaled as always: replay gives the text the editor had.
    server.did_change(&uri, 4, &[Change::insert(Pos::new(0, 0), "/* v2 */")]);
    server.did_save(&uri, &format!("/* v2 */{text}"));
    server.shutdown_and_exit();
    let journal = server.journal();
    let replayed = replayed_file(&journal.path, None, "dist/app.min.js");
    assert_eq!(String::from_utf8(replayed).unwrap(), format!("/* v2 */{text}"));
    assert_verify_ok(server.root());
}

#[test]
fn max_file_bytes_decides_which_documents_are_generated() {
    let mut server = Server::spawn(ServerOptions {
        initialization_options: Some(json!({"settleMs": 0})),
        ..ServerOptions::default()
    });
    std::fs::write(server.root().join("rationale.toml"), "max_file_bytes = 10000\n").unwrap();
    server.initialize();
    // About 14 KB of ordinary Python: over this folder's limit, far under the default.
    let code: String = (0..500).map(|i| format!("def f{i}(x):\n    return x + {i}\n\n")).collect();
    assert!(code.len() > 10_000);
    let big = server.open("big.py", &code);
    let small = server.open("small.py", "def g(x):\n    return x\n");
    for (uri, version) in [(&big, 2), (&small, 2)] {
        server.did_change(uri, version, &[Change::insert(Pos::new(1, 11), "1 + ")]);
    }
    let pending =
        |server: &mut Server, uri: &str| server.request_ok("rationale/pendingChanges", json!({"uri": uri}));
    let big_answer = pending(&mut server, &big);
    assert_eq!(big_answer["changes"], json!([]));
    let reason = big_answer["generated"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("over maxFileBytes (9.8 KiB)"), "{reason}");
    let small_answer = pending(&mut server, &small);
    assert_eq!(small_answer["generated"], json!([]));
    assert_eq!(small_answer["changes"].as_array().map(Vec::len), Some(1), "{small_answer}");

    // With the editor's setting raised, a document opened afterwards is followed whole.
    server.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"rationale": {"maxFileBytes": 1_000_000}}}),
    );
    let again = server.uri("big_too.py");
    server.did_open(&again, "python", 1, &code);
    server.did_change(&again, 2, &[Change::insert(Pos::new(1, 11), "1 + ")]);
    let answer = pending(&mut server, &again);
    assert_eq!(answer["generated"], json!([]));
    let changes: &Vec<Value> = answer["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{answer}");
    assert_eq!(changes[0]["unit"]["name"], "f0", "{answer}");
}
