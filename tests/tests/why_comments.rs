//! Why-comments through the real binary: a comment starting with `why:` in or right above a
//! changed unit becomes its rationale on save (`via: "why-comment"`), and the server asks the
//! editor to remove it with a versioned `workspace/applyEdit`. The harness holds those requests
//! and answers them the way an editor does: it applies the edit, sends the `didChange`, then
//! answers `{"applied": true}`; or it refuses.

use std::time::Duration;

use rationale_tests::doc::{edits_of, Doc};
use rationale_tests::journal::Journal;
use rationale_tests::{Server, ServerOptions};
use serde_json::{json, Value};

use rationale_tests::samples::{APP, UI};

const WAIT: Duration = Duration::from_secs(10);

/// A server whose `workspace/applyEdit` and `window/showDocument` requests the test answers.
fn server() -> Server {
    Server::start(ServerOptions {
        initialization_options: Some(json!({"settleMs": 0})),
        held_requests: vec!["workspace/applyEdit".into(), "window/showDocument".into()],
        ..ServerOptions::default()
    })
}

fn apply_edit(server: &Server) -> Value {
    server
        .wait_server_request("workspace/applyEdit", WAIT)
        .unwrap_or_else(|| panic!("no workspace/applyEdit within {WAIT:?}{}", server.stderr_note()))
}

fn rationales(journal: &Journal) -> Vec<Value> {
    journal.of_type("rationale").into_iter().cloned().collect()
}

fn pending(server: &mut Server, uri: &str) -> Vec<Value> {
    server.request_ok("rationale/pendingChanges", json!({"uri": uri}))["changes"].as_array().unwrap().clone()
}

/// The last diagnostics published for `uri` once the server has had time to publish them all.
fn last_diagnostics(server: &mut Server, uri: &str) -> Vec<Value> {
    // A request round trip, then a pause for the tasks that publish after a save.
    server.request_ok("rationale/pendingChanges", json!({"uri": uri}));
    std::thread::sleep(Duration::from_millis(500));
    let mut last = None;
    while let Some(note) =
        server.wait_for_notification("textDocument/publishDiagnostics", Duration::from_millis(50))
    {
        if note["params"]["uri"] == uri {
            last = Some(note["params"]["diagnostics"].as_array().unwrap().clone());
        }
    }
    last.unwrap_or_else(|| panic!("no diagnostics for {uri}"))
}

fn with_code<'a>(diagnostics: &'a [Value], code: &str) -> Vec<&'a Value> {
    diagnostics.iter().filter(|d| d["code"] == code).collect()
}

#[test]
fn a_why_comment_above_a_changed_function_is_its_rationale_and_the_editor_removes_it() {
    let mut server = server();
    let mut doc = Doc::open(&server, "app.py", APP);
    doc.replace(&server, "return 1", "return 42");
    doc.insert_before(&server, "def helper", "# why: callers need the real answer now\n");
    let saved_version = doc.version;
    doc.save(&server);

    let request = apply_edit(&server);
    // The rationale is on disk before the editor is asked to remove the comment.
    let journal = server.journal();
    let recorded = rationales(&journal);
    assert_eq!(recorded.len(), 1, "{}", journal.summary());
    let record = &recorded[0];
    assert_eq!(record["via"], "why-comment");
    assert_eq!(record["text"], "callers need the real answer now");
    assert_eq!(record["unit"], json!({"name": "helper", "kind": "function"}));
    assert_eq!(record["before"], "def helper():\n    return 1");
    assert_eq!(record["after"], "def helper():\n    return 42");
    assert!(record["group"].is_null());
    let saves = journal.saves_for("app.py");
    assert!(saves.last().unwrap()["seq"].as_u64() < record["seq"].as_u64(), "the save comes first");

    // Only the comment's line goes, in the version that was saved.
    let change = &request["params"]["edit"]["documentChanges"][0];
    assert_eq!(change["textDocument"]["version"], saved_version);
    let edits = edits_of(&request, &doc.uri);
    assert_eq!(
        edits,
        vec![
            json!({"range": {"start": {"line": 8, "character": 0}, "end": {"line": 9, "character": 0}}, "newText": ""})
        ]
    );
    doc.apply(&server, &request);
    assert_eq!(doc.text, APP.replace("return 1", "return 42"));

    // Writing and removing the comment is no change of its own: nothing is pending, not even
    // the file's top-level code, and saving again records nothing more.
    assert_eq!(pending(&mut server, &doc.uri), Vec::<Value>::new());
    doc.save(&server);
    server.wait_diagnostics(&doc.uri, WAIT, |d| d.is_empty());
    assert_eq!(rationales(&server.journal()).len(), 1);

    // Hover over the function shows the rationale (the index catches up in the background).
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let hover = server.request_ok(
            "textDocument/hover",
            json!({"textDocument": {"uri": doc.uri}, "position": {"line": 8, "character": 6}}),
        );
        if hover["contents"]["value"].as_str().is_some_and(|t| t.contains("callers need the real answer now"))
        {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "hover never showed the rationale: {hover}");
        std::thread::sleep(Duration::from_millis(50));
    }
    server.shutdown_and_exit();
}

#[test]
fn a_why_comment_over_several_lines_inside_a_method_is_one_rationale() {
    let mut server = server();
    let mut doc = Doc::open(&server, "app.py", APP);
    doc.replace(&server, "return self.send(url)", "return self.send(url.strip())");
    doc.insert_before(
        &server,
        "return self.send(url.strip())",
        "# why: pasted URLs carry trailing\n        # newlines that the server rejects\n        ",
    );
    doc.save(&server);

    let request = apply_edit(&server);
    let recorded = rationales(&server.journal());
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0]["unit"]["name"], "Session.request");
    assert_eq!(recorded[0]["unit"]["kind"], "method");
    assert_eq!(recorded[0]["text"], "pasted URLs carry trailing newlines that the server rejects");
    assert_eq!(recorded[0]["after"], "def request(self, url):\n        return self.send(url.strip())");
    // Both lines, whole.
    assert_eq!(
        edits_of(&request, &doc.uri)[0]["range"],
        json!({"start": {"line": 2, "character": 0}, "end": {"line": 4, "character": 0}})
    );
    doc.apply(&server, &request);
    assert!(!doc.text.contains("why:"), "{}", doc.text);
    assert_eq!(pending(&mut server, &doc.uri), Vec::<Value>::new());
    server.shutdown_and_exit();
}

#[test]
fn a_refused_removal_keeps_the_comment_recorded_once_and_out_of_every_later_pair() {
    let mut server = server();
    let mut doc = Doc::open(&server, "app.py", APP);
    doc.replace(&server, "return 1", "return 42");
    doc.insert_before(&server, "def helper", "# why: callers need the real answer now\n");
    doc.save(&server);
    let request = apply_edit(&server);
    server.respond(&request, json!({"applied": false, "failureReason": "the user said no"}));

    // The comment stays, and is no change: nothing is pending.
    assert_eq!(pending(&mut server, &doc.uri), Vec::<Value>::new());

    // A later change and save: the kept comment is not recorded again, and is in neither
    // `before` nor `after` of the new change; a hint says it can go.
    doc.replace(&server, "return 42", "return 43");
    doc.save(&server);
    let shown = server.wait_diagnostics(&doc.uri, WAIT, |d| !with_code(d, "why-comment-recorded").is_empty());
    let hint = with_code(&shown, "why-comment-recorded")[0];
    assert_eq!(hint["severity"], 4, "Hint: {hint}");
    assert_eq!(hint["range"]["start"]["line"], 8);
    assert!(hint["message"].as_str().unwrap().contains("function `helper`"), "{hint}");
    assert_eq!(rationales(&server.journal()).len(), 1);
    assert!(server.server_requests().iter().filter(|r| r["method"] == "workspace/applyEdit").count() == 1);

    let changes = pending(&mut server, &doc.uri);
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0]["before"], "def helper():\n    return 42");
    assert_eq!(changes[0]["after"], "def helper():\n    return 43");
    let id = changes[0]["id"].as_str().unwrap().to_owned();
    server.request_ok(
        "workspace/executeCommand",
        json!({"command": "rationale.record", "arguments": [{"changeId": id, "text": "forty-three is the new answer"}]}),
    );
    let recorded = rationales(&server.journal());
    assert_eq!(recorded.len(), 2);
    assert_eq!(recorded[1]["via"], "command");
    assert_eq!(recorded[1]["after"], "def helper():\n    return 43");
    server.shutdown_and_exit();
}

#[test]
fn the_removal_names_the_saved_version_so_an_editor_that_moved_on_refuses_it() {
    let mut server = server();
    let mut doc = Doc::open(&server, "app.py", APP);
    doc.replace(&server, "return 1", "return 42");
    doc.insert_before(&server, "def helper", "# why: callers need the real answer now\n");
    let saved_version = doc.version;
    doc.save(&server);
    let request = apply_edit(&server);
    // The person typed on before the editor got to the edit: the document is at a later
    // version, and an editor that checks versions refuses the edit.
    doc.replace(&server, "return url", "return url or None");
    assert_eq!(request["params"]["edit"]["documentChanges"][0]["textDocument"]["version"], saved_version);
    assert_ne!(doc.version, saved_version);
    server.respond(&request, json!({"applied": false, "failureReason": "the document changed"}));

    doc.save(&server);
    let changes = pending(&mut server, &doc.uri);
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0]["unit"]["name"], "Session.send");
    let recorded = rationales(&server.journal());
    assert_eq!(recorded.len(), 1, "recorded once, never twice");
    assert!(server.wait_server_request("workspace/applyEdit", Duration::from_millis(500)).is_none());
    server.shutdown_and_exit();
}

#[test]
fn javascript_line_and_block_why_comments() {
    let mut server = server();
    let mut doc = Doc::open(&server, "ui.js", UI);
    doc.replace(&server, "return items.length;", "return items.filter(Boolean).length;");
    doc.insert_before(&server, "function render", "/* why: empty slots are not\n * items to count\n */\n");
    doc.replace(&server, "fetch('/a')", "fetch('/api/a')");
    doc.insert_before(&server, "load()", "// why: the API moved under /api\n  ");
    doc.save(&server);

    // One edit removes both, each range against the saved text.
    let request = apply_edit(&server);
    assert_eq!(edits_of(&request, &doc.uri).len(), 2, "{request}");
    let recorded = rationales(&server.journal());
    assert_eq!(recorded.len(), 2, "{recorded:?}");
    let by_unit = |name: &str| {
        recorded.iter().find(|r| r["unit"]["name"] == name).unwrap_or_else(|| panic!("{name}: {recorded:?}"))
    };
    let render = by_unit("render");
    assert_eq!(render["text"], "empty slots are not items to count");
    assert_eq!(render["after"], "function render(items) {\n  return items.filter(Boolean).length;\n}");
    let load = by_unit("load");
    assert_eq!(load["text"], "the API moved under /api");
    assert_eq!(load["after"], "load() { return fetch('/api/a'); }");
    for record in [render, load] {
        assert_eq!(record["via"], "why-comment");
        assert!(!record["after"].as_str().unwrap().contains("why"), "{record}");
    }
    doc.apply(&server, &request);
    assert_eq!(
        doc.text,
        UI.replace("return items.length;", "return items.filter(Boolean).length;")
            .replace("fetch('/a')", "fetch('/api/a')")
    );
    assert_eq!(pending(&mut server, &doc.uri), Vec::<Value>::new());
    server.shutdown_and_exit();
}

#[test]
fn one_why_comment_above_a_class_explains_each_changed_method_as_a_group() {
    let mut server = server();
    let mut doc = Doc::open(&server, "app.py", APP);
    doc.replace(&server, "return self.send(url)", "return self.send(url, timeout=5)");
    doc.replace(&server, "def send(self, url):", "def send(self, url, timeout=None):");
    doc.insert_before(&server, "class Session", "# why: requests hung forever on a dead host\n");
    doc.save(&server);

    let request = apply_edit(&server);
    let recorded = rationales(&server.journal());
    assert_eq!(recorded.len(), 2, "{recorded:?}");
    let names: Vec<&str> = recorded.iter().map(|r| r["unit"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Session.request", "Session.send"]);
    let group = recorded[0]["group"].as_str().expect("a group");
    assert_eq!(recorded[1]["group"], group);
    for record in &recorded {
        assert_eq!(record["text"], "requests hung forever on a dead host");
        assert_eq!(record["via"], "why-comment");
    }
    doc.apply(&server, &request);
    assert_eq!(pending(&mut server, &doc.uri), Vec::<Value>::new());
    server.shutdown_and_exit();
}

#[test]
fn a_short_why_comment_or_one_by_an_unchanged_unit_is_not_recorded_and_says_why() {
    let mut server = server();
    let mut doc = Doc::open(&server, "app.py", APP);
    doc.replace(&server, "return 1", "return 42");
    doc.insert_before(&server, "def helper", "# why: typo\n");
    doc.insert_before(&server, "    def send", "    # why: this method is unchanged though\n");
    doc.save(&server);

    let shown = server.wait_diagnostics(&doc.uri, WAIT, |d| with_code(d, "why-comment-refused").len() == 2);
    let refused = with_code(&shown, "why-comment-refused");
    let short = refused.iter().find(|d| d["range"]["start"]["line"] == 9).expect("on the short comment");
    assert_eq!(short["severity"], 2, "Warning");
    assert_eq!(short["source"], "rationale");
    assert!(short["message"].as_str().unwrap().contains("at least 15 characters"), "{short}");
    let unchanged = refused.iter().find(|d| d["range"]["start"]["line"] == 4).expect("on the other comment");
    assert!(
        unchanged["message"].as_str().unwrap().contains("method `Session.send` has no change"),
        "{unchanged}"
    );
    // The change is still waiting to be explained, nothing was recorded or removed.
    assert_eq!(with_code(&shown, "unexplained-change").len(), 1);
    assert_eq!(pending(&mut server, &doc.uri).len(), 1);
    assert!(rationales(&server.journal()).is_empty());
    assert!(server.wait_server_request("workspace/applyEdit", Duration::from_millis(300)).is_none());

    // Editing the short comment withdraws its note; a longer one is recorded.
    doc.replace(&server, "# why: typo", "# why: the old value was a typo");
    doc.save(&server);
    let request = apply_edit(&server);
    assert_eq!(rationales(&server.journal())[0]["text"], "the old value was a typo");
    doc.apply(&server, &request);
    server.shutdown_and_exit();
}

#[test]
fn why_comments_already_in_a_file_when_it_is_opened_are_not_recorded() {
    let mut server = server();
    let text = APP.replace("def helper", "# why: kept from an earlier review\ndef helper");
    let mut doc = Doc::open(&server, "app.py", &text);
    doc.replace(&server, "return 1", "return 42");
    doc.save(&server);
    let shown = last_diagnostics(&mut server, &doc.uri);
    assert_eq!(shown.len(), 1, "only the prompt: {shown:?}");
    assert_eq!(shown[0]["code"], "unexplained-change");
    assert!(rationales(&server.journal()).is_empty());
    server.shutdown_and_exit();
}

#[test]
fn explain_without_a_plugin_inserts_a_why_comment_and_puts_the_cursor_after_the_marker() {
    let mut server = server();
    let mut doc = Doc::open(&server, "app.py", APP);
    doc.replace(&server, "return url", "return url.lower()");
    let changes = pending(&mut server, &doc.uri);
    let id = changes[0]["id"].as_str().unwrap().to_owned();

    let listed = &server.init_result.as_ref().unwrap()["capabilities"]["executeCommandProvider"]["commands"];
    assert!(listed.as_array().unwrap().contains(&json!("rationale.explain")), "{listed}");
    let call = server.send_request(
        "workspace/executeCommand",
        json!({"command": "rationale.explain", "arguments": [{"changeId": id, "uri": doc.uri, "unit": "Session.send", "kind": "method"}]}),
    );
    let request = apply_edit(&server);
    assert_eq!(request["params"]["edit"]["documentChanges"][0]["textDocument"]["version"], doc.version);
    assert_eq!(
        edits_of(&request, &doc.uri),
        vec![
            json!({"range": {"start": {"line": 4, "character": 0}, "end": {"line": 4, "character": 0}}, "newText": "    # why: \n"})
        ]
    );
    doc.apply(&server, &request);
    let show = server.wait_server_request("window/showDocument", WAIT).expect("window/showDocument");
    assert_eq!(show["params"]["uri"], doc.uri.as_str());
    assert_eq!(show["params"]["takeFocus"], true);
    let cursor = json!({"line": 4, "character": 11});
    assert_eq!(show["params"]["selection"], json!({"start": cursor, "end": cursor}));
    server.respond(&show, json!({"success": true}));
    assert_eq!(server.wait_response(call, WAIT).unwrap().unwrap(), json!({"applied": true}));

    // The skeleton alone is not a change, and the person types the rationale after the marker.
    assert_eq!(pending(&mut server, &doc.uri).len(), 1);
    doc.replace(&server, "# why: \n", "# why: hosts are case-insensitive\n");
    doc.save(&server);
    let removal = apply_edit(&server);
    let recorded = rationales(&server.journal());
    assert_eq!(recorded.len(), 1);
    assert_eq!(
        (recorded[0]["unit"]["name"].as_str(), recorded[0]["text"].as_str()),
        (Some("Session.send"), Some("hosts are case-insensitive"))
    );
    doc.apply(&server, &removal);
    assert_eq!(doc.text, APP.replace("return url", "return url.lower()"));
    server.shutdown_and_exit();
}

#[test]
fn explain_in_an_editor_that_cannot_apply_edits_says_how_to_write_a_why_comment() {
    let mut server = Server::start(ServerOptions {
        capabilities: Some(json!({"workspace": {"applyEdit": null, "workspaceEdit": null}})),
        ..ServerOptions::default()
    });
    let error = server
        .request(
            "workspace/executeCommand",
            json!({"command": "rationale.explain", "arguments": [{"changeId": "x.1"}]}),
        )
        .unwrap_err();
    assert!(error.message.contains("why:"), "{}", error.message);
    server.shutdown_and_exit();
}

#[test]
fn an_editor_without_versioned_edits_gets_plain_changes() {
    let mut server = Server::start(ServerOptions {
        initialization_options: Some(json!({"settleMs": 0})),
        held_requests: vec!["workspace/applyEdit".into()],
        capabilities: Some(json!({"workspace": {"workspaceEdit": null}})),
        ..ServerOptions::default()
    });
    let mut doc = Doc::open(&server, "app.py", APP);
    doc.replace(&server, "return 1", "return 42");
    doc.insert_before(&server, "def helper", "# why: callers need the real answer now\n");
    doc.save(&server);
    let request = apply_edit(&server);
    let edit = &request["params"]["edit"];
    assert!(edit.get("documentChanges").is_none(), "{request}");
    assert_eq!(
        edit["changes"][doc.uri.as_str()],
        json!([{"range": {"start": {"line": 8, "character": 0}, "end": {"line": 9, "character": 0}}, "newText": ""}])
    );
    server.respond(&request, json!({"applied": false}));
    assert_eq!(rationales(&server.journal()).len(), 1);
    server.shutdown_and_exit();
}
