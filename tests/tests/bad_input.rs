//! Bad input never takes the server down. One test per kind of bad input: each sends it, checks
//! the exact answer the LSP and JSON-RPC specifications name, and then checks that the server
//! still serves (a later request is answered, the journal stays consistent).

use std::time::Duration;

use rationale_tests::journal::{assert_same_text, assert_verify_ok, replayed_file};
use rationale_tests::model::{Change, Pos};
use rationale_tests::server::DEFAULT_TIMEOUT;
use rationale_tests::{sha256_hex, Encoding, Server, ServerOptions, TextModel};
use serde_json::{json, Value};

const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const INVALID_PARAMS: i64 = -32602;
const SERVER_NOT_INITIALIZED: i64 = -32002;

/// A request every server answers once initialized: code actions for the start of a document.
fn code_action_params(uri: &str) -> Value {
    json!({
        "textDocument": {"uri": uri},
        "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
        "context": {"diagnostics": []},
    })
}

/// The server still answers: a code action request gets a result or an error, but an answer.
fn assert_still_serving(server: &mut Server, after: &str) {
    let uri = server.uri("still_here.py");
    let id = server.send_request("textDocument/codeAction", code_action_params(&uri));
    if server.wait_response(id, DEFAULT_TIMEOUT).is_none() {
        panic!("after {after}, the server no longer answers requests{}", server.stderr_note());
    }
}

/// Raw bytes framed with a correct Content-Length.
fn framed(body: &[u8]) -> Vec<u8> {
    let mut bytes = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

fn expect_parse_error_with_null_id(server: &Server, what: &str) -> Value {
    let message = server.wait_response_message(&Value::Null, Duration::from_secs(10)).unwrap_or_else(|| {
        panic!("{what}: no error response with id null came back{}", server.stderr_note())
    });
    assert_eq!(
        message["error"]["code"], PARSE_ERROR,
        "{what}: expected a parse error (-32700) with id null, got {message}"
    );
    message
}

#[test]
fn a_request_before_initialize_gets_server_not_initialized() {
    let mut server = Server::spawn(ServerOptions::default());
    let uri = server.uri("a.py");
    let answer = server.request("textDocument/codeAction", code_action_params(&uri));
    let error = answer.expect_err("a request before initialize must be refused");
    assert_eq!(error.code, SERVER_NOT_INITIALIZED, "sent codeAction before initialize, got {error}");
    // The server is still waiting for initialize, and takes it.
    server.initialize();
    assert_still_serving(&mut server, "a request before initialize");
    server.shutdown_and_exit();
}

#[test]
fn a_second_initialize_is_an_invalid_request() {
    let mut server = Server::start(ServerOptions::default());
    let params = server.initialize_params();
    let error = server.request("initialize", params).expect_err("a second initialize must be refused");
    assert_eq!(error.code, INVALID_REQUEST, "sent initialize twice, the second got {error}");
    assert_still_serving(&mut server, "a second initialize");
    server.shutdown_and_exit();
}

#[test]
fn requests_after_shutdown_are_invalid_requests() {
    let mut server = Server::start(ServerOptions::default());
    assert_eq!(server.request("shutdown", Value::Null), Ok(Value::Null));
    let uri = server.uri("a.py");
    let error = server
        .request("textDocument/codeAction", code_action_params(&uri))
        .expect_err("a request after shutdown must be refused");
    assert_eq!(error.code, INVALID_REQUEST, "sent codeAction after shutdown, got {error}");
    let error = server.request("shutdown", Value::Null).expect_err("a second shutdown must be refused");
    assert_eq!(error.code, INVALID_REQUEST, "sent shutdown twice, the second got {error}");
    server.notify("exit", Value::Null);
    let status = server.wait_exit(Duration::from_secs(10)).expect("the server must exit on `exit`");
    assert_eq!(status.code(), Some(0), "exit after shutdown must exit 0{}", server.stderr_note());
}

#[test]
fn exit_without_shutdown_exits_1_and_ends_the_journal_with_reason_exit() {
    let mut server = Server::start(ServerOptions::default());
    let uri = server.open("app.py", "x = 1\n");
    server.did_change(&uri, 2, &[Change::insert(Pos::new(1, 0), "y = 2\n")]);
    server.notify("exit", Value::Null);
    let status = server
        .wait_exit(Duration::from_secs(10))
        .unwrap_or_else(|| panic!("the server did not exit on `exit`{}", server.stderr_note()));
    assert_eq!(status.code(), Some(1), "exit without shutdown must exit with code 1{}", server.stderr_note());
    let journal = server.journal();
    journal.assert_well_formed();
    assert!(journal.torn.is_none(), "a clean exit must not leave a torn line");
    let last = journal.last().unwrap();
    assert_eq!(last["type"], "end", "the journal must end with an end record:\n{}", journal.summary());
    assert_eq!(last["reason"], "exit", "end reason after exit without shutdown");
    assert_eq!(
        journal.edits_for("app.py").len(),
        1,
        "the change before exit must be journaled:\n{}",
        journal.summary()
    );
}

#[test]
fn exit_after_shutdown_exits_0_and_ends_the_journal_with_reason_shutdown() {
    let mut server = Server::start(ServerOptions::default());
    let uri = server.open("app.py", "x = 1\n");
    server.did_change(&uri, 2, &[Change::insert(Pos::new(1, 0), "y = 2\n")]);
    server.shutdown_and_exit();
    let journal = server.journal();
    journal.assert_well_formed();
    let last = journal.last().unwrap();
    assert_eq!(last["type"], "end", "the journal must end with an end record:\n{}", journal.summary());
    assert_eq!(last["reason"], "shutdown");
    assert_eq!(journal.of_type("end").len(), 1, "exactly one end record:\n{}", journal.summary());
}

/// Found by the fuzzer: `shutdown` was only noted when its handler ran, so an `exit` sent right
/// behind it, without waiting for the answer, exited with 1 and ended the journal as an exit.
#[test]
fn exit_right_behind_shutdown_without_waiting_for_the_answer_exits_0() {
    for round in 0..20 {
        let mut server = Server::start(ServerOptions::default());
        let uri = server.open("app.py", "x = 1\n");
        server.did_change(&uri, 2, &[Change::insert(Pos::new(1, 0), "y = 2\n")]);
        server.send_request("shutdown", Value::Null);
        // Nothing but `exit` may follow `shutdown`; this change must not be applied.
        server.did_change(&uri, 3, &[Change::insert(Pos::new(0, 0), "z = 3\n")]);
        server.notify("exit", Value::Null);
        let status = server.wait_exit(DEFAULT_TIMEOUT).expect("the server exits");
        assert_eq!(status.code(), Some(0), "round {round}: exit after shutdown{}", server.stderr_note());
        let journal = server.journal();
        assert_eq!(journal.last().unwrap()["reason"], "shutdown", "round {round}:\n{}", journal.summary());
        assert_eq!(journal.of_type("end").len(), 1, "exactly one end record:\n{}", journal.summary());
        assert!(journal.edits_for("app.py").iter().all(|e| e.to_string().find("z = 3").is_none()));
    }
}

#[test]
fn end_of_input_flushes_the_journal_and_exits() {
    let mut server = Server::start(ServerOptions::with_encoding(Encoding::Utf16));
    let mut model = TextModel::new("def f():\n    pass\n");
    let uri = server.open("app.py", &model.text);
    let mut version = 1;
    for (i, c) in "return 42".chars().enumerate() {
        let change = Change::insert(Pos::new(1, 4 + i), c.to_string());
        model.apply(&change, Encoding::Utf16).unwrap();
        version += 1;
        server.did_change(&uri, version, &[change]);
    }
    server.close_stdin();
    let status = server.wait_exit(Duration::from_secs(10));
    assert!(status.is_some(), "the server must exit at end of input{}", server.stderr_note());
    let journal = server.journal();
    journal.assert_well_formed();
    assert!(journal.torn.is_none(), "end of input must not leave a torn line:\n{}", journal.summary());
    assert_eq!(
        journal.edits_for("app.py").len(),
        9,
        "every change before end of input must be on disk:\n{}",
        journal.summary()
    );
    if let Some(end) = journal.of_type("end").first() {
        assert_eq!(end["reason"], "exit", "end of input is not a shutdown");
    }
    let replayed = replayed_file(&journal.path, None, "app.py");
    assert_same_text(&replayed, &model.text, "replay after end of input");
}

#[test]
fn malformed_json_gets_a_parse_error_with_id_null() {
    let mut server = Server::start(ServerOptions::default());
    server
        .write_raw(&framed(br#"{"jsonrpc":"2.0","id":5,"method":"textDocument/codeAction","params":"#))
        .unwrap();
    let message = expect_parse_error_with_null_id(&server, "malformed JSON");
    assert_eq!(message["id"], Value::Null, "{message}");
    assert_eq!(server.response_count(5), 0, "the malformed request must not be answered as id 5");
    assert_still_serving(&mut server, "malformed JSON");
    server.shutdown_and_exit();
}

#[test]
fn a_lone_utf16_surrogate_escape_gets_a_parse_error_and_opens_nothing() {
    let mut server = Server::start(ServerOptions::default());
    let uri = server.uri("lone.py");
    let body = format!(
        r#"{{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{{"textDocument":{{"uri":"{uri}","languageId":"python","version":1,"text":"x = '\ud800'\n"}}}}}}"#
    );
    server.write_raw(&framed(body.as_bytes())).unwrap();
    expect_parse_error_with_null_id(&server, "a lone surrogate escape \\ud800 in a string");
    assert_still_serving(&mut server, "a lone surrogate escape");
    server.shutdown_and_exit();
    // A journal may not even exist: nothing was ever opened.
    for path in Server::journal_paths_of(server.root()) {
        let journal = rationale_tests::Journal::read(&path).unwrap();
        assert!(
            journal.for_path("lone.py").is_empty(),
            "a message that could not be parsed must not open a document:\n{}",
            journal.summary()
        );
    }
}

#[test]
fn a_missing_content_length_is_an_error_and_the_server_keeps_serving() {
    let mut server = Server::start(ServerOptions::default());
    let body = br#"{"jsonrpc":"2.0","id":41,"method":"textDocument/codeAction","params":{}}"#;
    let mut bytes = b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n".to_vec();
    bytes.extend_from_slice(body);
    server.write_raw(&bytes).unwrap();
    // The next well-framed messages are answered.
    assert_still_serving(&mut server, "a message without Content-Length");
    assert_still_serving(&mut server, "a message without Content-Length (second request)");
    // The client hears about it: an error with id null (no request id can be known).
    let errors = server.null_id_responses();
    assert!(
        !errors.is_empty(),
        "a message without Content-Length must be answered with an error (id null){}",
        server.stderr_note()
    );
    for response in errors {
        let code = response["error"]["code"].as_i64();
        assert!(
            code == Some(PARSE_ERROR) || code == Some(INVALID_REQUEST),
            "a framing error is a parse error (-32700) or an invalid request (-32600): {response}"
        );
    }
    assert_eq!(server.response_count(41), 0, "the unframed request must not be answered as id 41");
    server.shutdown_and_exit();
}

#[test]
fn an_absurd_content_length_is_never_allocated_and_exits_1_saying_why() {
    // Just over the limit (64 MiB + 1): a server that allocates and waits for the body hangs;
    // far over it: a server that allocates aborts. Both must exit 1 at once with a reason.
    for length in [64 * 1024 * 1024 + 1u64, 1u64 << 50] {
        let mut server = Server::start(ServerOptions::default());
        let uri = server.open("app.py", "x = 1\n");
        server.did_save(&uri, "x = 1\n");
        // The save is on disk before the next message is handled.
        assert_still_serving(&mut server, "a save");
        server.write_raw(format!("Content-Length: {length}\r\n\r\n{{").as_bytes()).unwrap();
        let status = server.wait_exit(Duration::from_secs(10)).unwrap_or_else(|| {
            panic!(
                "Content-Length {length}: the server must exit, it is still running{}",
                server.stderr_note()
            )
        });
        assert_eq!(
            status.code(),
            Some(1),
            "Content-Length {length}: the server must exit with code 1, got {status}{}",
            server.stderr_note()
        );
        let stderr = server.stderr().to_lowercase();
        assert!(
            stderr.contains("content-length")
                || stderr.contains("64 mib")
                || stderr.contains(&length.to_string()),
            "Content-Length {length}: stderr must say why the server exits; it says:\n{stderr}"
        );
        let journal = server.journal();
        journal.assert_well_formed();
        assert_eq!(journal.saves_for("app.py").len(), 1, "the save before must stay:\n{}", journal.summary());
    }
}

#[test]
fn wrong_parameter_types_in_a_request_get_invalid_params() {
    let mut server = Server::start(ServerOptions::default());
    let error = server
        .request("textDocument/codeAction", json!({"textDocument": 5, "range": "all of it", "context": []}))
        .expect_err("a request with parameters of the wrong type must be refused");
    assert_eq!(error.code, INVALID_PARAMS, "codeAction with textDocument: 5 got {error}");
    // The server's own requests too.
    let error = server
        .request("rationale/pendingChanges", json!({"uri": 42}))
        .expect_err("rationale/pendingChanges with uri: 42 must be refused");
    assert_eq!(error.code, INVALID_PARAMS, "rationale/pendingChanges with uri: 42 got {error}");
    assert_still_serving(&mut server, "a request with wrong parameter types");
    server.shutdown_and_exit();
}

#[test]
fn wrong_parameter_types_in_a_notification_are_ignored() {
    let mut server = Server::start(ServerOptions::default());
    let uri = server.uri("typed.py");
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": 7, "languageId": false, "version": "one", "text": 3}}),
    );
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "python", "version": "one", "text": "x = 1\n"}}),
    );
    server.notify("textDocument/didChange", json!({"textDocument": "typed.py", "contentChanges": 3}));
    server.notify("textDocument/didSave", json!({"textDocument": {"uri": uri}, "text": 12}));
    assert_still_serving(&mut server, "notifications with wrong parameter types");
    assert!(
        server.null_id_responses().is_empty(),
        "notifications are never answered, not even with an error: {:?}",
        server.null_id_responses()
    );
    // A well-formed document afterwards is tracked as usual.
    server.open("typed.py", "y = 2\n");
    server.shutdown_and_exit();
    let journal = server.journal();
    journal.assert_well_formed();
    let opens = journal.of_type("open");
    assert_eq!(opens.len(), 1, "only the well-formed didOpen opens a document:\n{}", journal.summary());
    assert_eq!(opens[0]["text"], "y = 2\n");
}

#[test]
fn a_change_to_a_document_never_opened_is_ignored() {
    let mut server = Server::start(ServerOptions::default());
    let ghost = server.uri("ghost.py");
    server.did_change(&ghost, 2, &[Change::insert(Pos::new(0, 0), "boo")]);
    server.did_save(&ghost, "boo");
    assert_still_serving(&mut server, "a change to a document never opened");
    let mut model = TextModel::new("x = 1\n");
    let uri = server.open("ghost.py", &model.text);
    let change = Change::insert(Pos::new(0, 0), "# real\n");
    model.apply(&change, Encoding::Utf8).unwrap();
    server.did_change(&uri, 2, &[change]);
    server.did_save(&uri, &model.text);
    server.shutdown_and_exit();
    let journal = server.journal();
    journal.assert_well_formed();
    let records: Vec<&str> =
        journal.for_path("ghost.py").iter().map(|r| r["type"].as_str().unwrap()).collect();
    assert_eq!(
        records.first(),
        Some(&"open"),
        "nothing of the never-opened document may be journaled:\n{}",
        journal.summary()
    );
    assert!(journal.of_type("resync").is_empty(), "no resync expected:\n{}", journal.summary());
    assert_eq!(journal.saves_for("ghost.py").len(), 1, "{}", journal.summary());
    let replayed = replayed_file(&journal.path, None, "ghost.py");
    assert_same_text(&replayed, &model.text, "replay");
}

#[test]
fn a_position_past_the_end_of_a_line_is_clamped_to_the_line_end() {
    for encoding in [Encoding::Utf8, Encoding::Utf16] {
        let mut server = Server::with_encoding(encoding);
        let mut model = TextModel::new("abc\ndéf😀\n");
        let uri = server.open("clamp.py", &model.text);
        let changes = [
            // "If the character value is greater than the line length it defaults back to the
            // line length." (LSP 3.17, Position)
            Change::insert(Pos::new(0, 10), "X"),
            Change::replace(Pos::new(1, 1), Pos::new(1, 99), "!"),
            Change::replace(Pos::new(0, 50), Pos::new(1, 0), ""),
        ];
        let mut version = 1;
        for change in &changes {
            model.apply(change, encoding).unwrap();
            version += 1;
            server.did_change(&uri, version, std::slice::from_ref(change));
        }
        assert_eq!(model.text, "abcXd!\n");
        server.did_save(&uri, &model.text);
        assert_still_serving(&mut server, "positions past the end of a line");
        server.shutdown_and_exit();
        let journal = server.journal();
        journal.assert_well_formed();
        assert!(
            journal.of_type("resync").is_empty(),
            "{encoding:?}: the server applied the clamped changes differently from the editor, and resynced:\n{}",
            journal.summary()
        );
        assert_eq!(journal.saves_for("clamp.py")[0]["sha256"], sha256_hex(model.text.as_bytes()));
        let replayed = replayed_file(&journal.path, None, "clamp.py");
        assert_same_text(&replayed, &model.text, "replay of clamped changes");
        assert_verify_ok(server.root());
    }
}

#[test]
fn a_change_past_the_end_of_the_document_is_not_applied_and_the_next_save_resyncs() {
    let mut server = Server::start(ServerOptions::default());
    let uri = server.open("past.py", "abc\n");
    // Line 5 of a two-line document: nothing can apply it.
    server.did_change(&uri, 2, &[Change::insert(Pos::new(5, 0), "lost")]);
    assert_still_serving(&mut server, "a change past the end of the document");
    assert!(
        server.wait_stderr("past.py", Duration::from_secs(3)),
        "a change that cannot be applied is logged, naming the document; stderr:\n{}",
        server.stderr()
    );
    // The editor's truth, which the server's copy cannot show.
    let editor_text = "abc\n\n\n\n\nlost\n";
    server.did_save(&uri, editor_text);
    server.shutdown_and_exit();
    let journal = server.journal();
    journal.assert_well_formed();
    assert!(
        !journal.edits_for("past.py").iter().any(|e| e["text"] == "lost"),
        "a change that could not be applied must not be journaled:\n{}",
        journal.summary()
    );
    let resyncs = journal.of_type("resync");
    assert_eq!(resyncs.len(), 1, "the save after an unapplied change must resync:\n{}", journal.summary());
    assert_eq!(resyncs[0]["path"], "past.py");
    assert_eq!(resyncs[0]["text"], editor_text);
    assert_eq!(resyncs[0]["sha256"], sha256_hex(editor_text.as_bytes()));
    assert!(resyncs[0]["reason"].is_string(), "a resync says why");
    assert_eq!(journal.saves_for("past.py")[0]["sha256"], sha256_hex(editor_text.as_bytes()));
    let replayed = replayed_file(&journal.path, None, "past.py");
    assert_same_text(&replayed, editor_text, "replay after the resync");
    assert_verify_ok(server.root());
}

#[test]
fn a_version_that_goes_backwards_keeps_the_journal_consistent_with_the_editor() {
    let mut server = Server::start(ServerOptions::default());
    let mut model = TextModel::new("one\n");
    let uri = server.uri("back.py");
    server.did_open(&uri, "python", 10, &model.text);
    let first = Change::insert(Pos::new(1, 0), "two\n");
    model.apply(&first, Encoding::Utf8).unwrap();
    server.did_change(&uri, 11, &[first]);
    let backwards = Change::insert(Pos::new(2, 0), "three\n");
    model.apply(&backwards, Encoding::Utf8).unwrap();
    server.did_change(&uri, 5, &[backwards]);
    assert_still_serving(&mut server, "a version that goes backwards");
    server.did_save(&uri, &model.text);
    server.shutdown_and_exit();
    let journal = server.journal();
    journal.assert_well_formed();
    let saves = journal.saves_for("back.py");
    assert_eq!(saves.len(), 1, "{}", journal.summary());
    assert_eq!(saves[0]["sha256"], sha256_hex(model.text.as_bytes()), "the save hash is the editor's text");
    let replayed = replayed_file(&journal.path, None, "back.py");
    assert_same_text(&replayed, &model.text, "replay after a version went backwards");
    assert_verify_ok(server.root());
}

#[test]
fn a_20_mb_document_is_tracked_and_replayed() {
    let mut server = Server::start(ServerOptions::with_encoding(Encoding::Utf16));
    let line = "def function_number_x(argument):  # ünïcödé 漢字 😀\n";
    let mut text = String::with_capacity(20_000_100);
    while text.len() < 20_000_000 {
        text.push_str(line);
    }
    let lines = text.matches('\n').count();
    let mut model = TextModel::new(text);
    let uri = server.open("big.py", &model.text);
    let changes = [
        Change::insert(Pos::new(lines, 0), "# the end\n"),
        Change::replace(Pos::new(lines / 2, 4), Pos::new(lines / 2, 12), "renamed"),
        Change::insert(Pos::new(0, 0), "# the start\n"),
    ];
    for (i, change) in changes.iter().enumerate() {
        model.apply(change, Encoding::Utf16).unwrap();
        server.did_change(&uri, 2 + i as i64, std::slice::from_ref(change));
    }
    server.did_save(&uri, &model.text);
    assert_still_serving(&mut server, "a 20 MB document");
    server.shutdown_and_exit();
    let journal = server.journal();
    journal.assert_well_formed();
    assert!(journal.of_type("resync").is_empty(), "no resync expected:\n{}", journal.summary());
    assert_eq!(journal.saves_for("big.py")[0]["sha256"], sha256_hex(model.text.as_bytes()));
    let replayed = replayed_file(&journal.path, None, "big.py");
    assert_same_text(&replayed, &model.text, "replay of a 20 MB document");
    assert_verify_ok(server.root());
}

#[test]
fn a_binary_document_is_tracked_as_text_byte_for_byte() {
    let mut server = Server::start(ServerOptions::with_encoding(Encoding::Utf8));
    // Every byte value as a character (NUL and control characters included), as an editor shows
    // a binary file opened by mistake, plus invalid-looking sequences and the replacement char.
    let mut text: String = (0u8..=255).map(char::from).collect();
    text.push_str("\u{FFFD}\u{FEFF}\u{1}\u{7f}\u{0}\u{0}\n\u{10FFFF}\u{E000}");
    text = text.repeat(40);
    let mut model = TextModel::new(text);
    let uri = server.open("blob.py", &model.text);
    let change = Change::replace(Pos::new(1, 3), Pos::new(3, 7), "\u{0}\u{1b}[0m");
    model.apply(&change, Encoding::Utf8).unwrap();
    server.did_change(&uri, 2, &[change]);
    server.did_save(&uri, &model.text);
    assert_still_serving(&mut server, "a binary document");
    server.shutdown_and_exit();
    let journal = server.journal();
    journal.assert_well_formed();
    assert!(journal.of_type("resync").is_empty(), "no resync expected:\n{}", journal.summary());
    let replayed = replayed_file(&journal.path, None, "blob.py");
    assert_same_text(&replayed, &model.text, "replay of a binary document");
    assert_verify_ok(server.root());
}

#[test]
fn requests_about_unknown_documents_and_positions_past_the_end_are_answered() {
    let mut server = Server::start(ServerOptions::default());
    let uri = server.open("known.py", "x = 1\n");
    let unknown = server.uri("unknown.py");
    for (what, params) in [
        ("an unknown document", code_action_params(&unknown)),
        (
            "a range past the end of the document",
            json!({
                "textDocument": {"uri": uri},
                "range": {"start": {"line": 90, "character": 0}, "end": {"line": 99, "character": 999}},
                "context": {"diagnostics": []},
            }),
        ),
    ] {
        let id = server.send_request("textDocument/codeAction", params);
        let answer = server.wait_response(id, DEFAULT_TIMEOUT).unwrap_or_else(|| {
            panic!("a code action request for {what} was never answered{}", server.stderr_note())
        });
        if let Err(error) = answer {
            assert_ne!(error.code, -32603, "{what}: an internal error means the server failed: {error}");
        }
    }
    assert_still_serving(&mut server, "requests about unknown documents");
    server.shutdown_and_exit();
}

/// Whatever the server makes of a bad change, the save that follows brings the journal back to
/// the editor's text: replay equals it and verify passes.
fn assert_journal_matches_saved_text(server: &mut Server, rel: &str, editor_text: &str) {
    server.shutdown_and_exit();
    let journal = server.journal();
    journal.assert_well_formed();
    let saves = journal.saves_for(rel);
    assert_eq!(saves.len(), 1, "{}", journal.summary());
    assert_eq!(saves[0]["sha256"], sha256_hex(editor_text.as_bytes()), "the save hash is the editor's text");
    let seq = saves[0]["seq"].as_u64().unwrap();
    let replayed = replayed_file(&journal.path, Some(seq), rel);
    assert_same_text(&replayed, editor_text, "replay at the save");
    assert_verify_ok(server.root());
}

#[test]
fn a_position_inside_a_character_does_not_corrupt_the_journal() {
    for encoding in [Encoding::Utf8, Encoding::Utf16] {
        let mut server = Server::with_encoding(encoding);
        let uri = server.open("split.py", "a😀b\né\n");
        // Column 2 is inside the emoji in both encodings; column 1 of line 1 is inside é in UTF-8.
        server.did_change(&uri, 2, &[Change::insert(Pos::new(0, 2), "X")]);
        server.did_change(&uri, 3, &[Change::replace(Pos::new(0, 2), Pos::new(1, 1), "")]);
        assert_still_serving(&mut server, "a position inside a character");
        // The editor's text, whatever the server made of those positions.
        server.did_save(&uri, "aXb\n");
        assert_journal_matches_saved_text(&mut server, "split.py", "aXb\n");
    }
}

#[test]
fn position_numbers_out_of_range_are_ignored() {
    let mut server = Server::start(ServerOptions::default());
    let uri = server.open("huge.py", "x = 1\n");
    for (line, character) in
        [(json!(-1), json!(0)), (json!(0), json!(-5)), (json!(1u64 << 40), json!(0)), (json!(0), json!(1.5))]
    {
        server.notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": uri, "version": 2},
                "contentChanges": [{
                    "range": {"start": {"line": line, "character": character}, "end": {"line": line, "character": character}},
                    "text": "bad",
                }],
            }),
        );
    }
    assert_still_serving(&mut server, "positions out of the protocol's range");
    server.did_save(&uri, "x = 1\n");
    assert_journal_matches_saved_text(&mut server, "huge.py", "x = 1\n");
}

#[test]
fn document_lifecycle_out_of_order_keeps_the_journal_consistent() {
    let mut server = Server::start(ServerOptions::default());
    let uri = server.uri("life.py");
    // Closed before it was ever opened, then opened twice with different texts.
    server.did_close(&uri);
    server.did_open(&uri, "python", 1, "first\n");
    server.did_open(&uri, "python", 1, "second\n");
    let mut model = TextModel::new("second\n");
    let change = Change::insert(Pos::new(1, 0), "more\n");
    model.apply(&change, Encoding::Utf8).unwrap();
    server.did_change(&uri, 2, &[change]);
    server.did_save(&uri, &model.text);
    // Closed twice; then a change and a save of the closed document.
    server.did_close(&uri);
    server.did_close(&uri);
    server.did_change(&uri, 3, &[Change::insert(Pos::new(0, 0), "ghost")]);
    server.did_save(&uri, "ghost");
    assert_still_serving(&mut server, "an out-of-order document lifecycle");
    server.shutdown_and_exit();
    let journal = server.journal();
    journal.assert_well_formed();
    let saves = journal.saves_for("life.py");
    assert_eq!(saves.len(), 1, "only the save of the open document counts:\n{}", journal.summary());
    assert_eq!(saves[0]["sha256"], sha256_hex(model.text.as_bytes()));
    assert!(
        !journal.edits_for("life.py").iter().any(|e| e["text"] == "ghost"),
        "a change to a closed document is not journaled:\n{}",
        journal.summary()
    );
    let seq = saves[0]["seq"].as_u64().unwrap();
    assert_same_text(&replayed_file(&journal.path, Some(seq), "life.py"), &model.text, "replay at the save");
    assert_verify_ok(server.root());
}

#[test]
fn end_of_input_in_the_middle_of_a_message_flushes_the_journal_and_exits() {
    let mut server = Server::start(ServerOptions::default());
    let uri = server.open("cut.py", "x = 1\n");
    server.did_change(&uri, 2, &[Change::insert(Pos::new(1, 0), "y = 2\n")]);
    // A frame that promises 200 bytes and delivers 20, then the editor goes away.
    server.write_raw(b"Content-Length: 200\r\n\r\n{\"jsonrpc\":\"2.0\",\"me").unwrap();
    server.close_stdin();
    let status = server.wait_exit(Duration::from_secs(10));
    assert!(status.is_some(), "the server must exit at end of input{}", server.stderr_note());
    let journal = server.journal();
    journal.assert_well_formed();
    assert!(journal.torn.is_none(), "{}", journal.summary());
    assert_eq!(
        journal.edits_for("cut.py").len(),
        1,
        "the change before must be on disk:\n{}",
        journal.summary()
    );
    assert_verify_ok(server.root());
}
