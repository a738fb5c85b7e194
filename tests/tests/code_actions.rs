//! Code actions asked the way an editor asks them: right after edits, right after the cursor
//! moved (an automatic request the editor cancels when it asks again), on the unit's name, on a
//! selection of the whole unit, and on its lines. A pending change must be offered every time.

use std::time::Duration;

use rationale_tests::model::{Change, Pos};
use rationale_tests::{Server, ServerOptions};
use serde_json::{json, Value};

const UI: &str = "\
export function render(items) {
  return items.length;
}

class View {
  draw(items) {
    return items;
  }
}
";

fn server() -> Server {
    Server::start(ServerOptions {
        initialization_options: Some(json!({"settleMs": 3000})),
        ..ServerOptions::default()
    })
}

fn range(start: (u32, u32), end: (u32, u32)) -> Value {
    json!({"start": {"line": start.0, "character": start.1}, "end": {"line": end.0, "character": end.1}})
}

fn ask(server: &mut Server, uri: &str, range: Value, automatic: bool) -> i64 {
    let trigger = if automatic { 2 } else { 1 };
    server.send_request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": range,
               "context": {"diagnostics": [], "triggerKind": trigger}}),
    )
}

fn titles(server: &Server, id: i64) -> Vec<String> {
    let answer = server
        .wait_response(id, Duration::from_secs(10))
        .unwrap_or_else(|| panic!("no answer to code action {id}{}", server.stderr_note()))
        .unwrap_or_else(|e| panic!("code action {id} refused: {e}"));
    answer
        .as_array()
        .map(|actions| actions.iter().map(|a| a["title"].as_str().unwrap_or("").to_owned()).collect())
        .unwrap_or_default()
}

#[test]
fn a_changed_function_is_offered_on_its_name_its_whole_range_and_its_lines_right_after_edits() {
    let mut server = server();
    let uri = server.open("ui.js", UI);
    // Typed a character at a time, as a person does; each request comes right after an edit.
    let mut version = 1;
    for (i, c) in " + 1".chars().enumerate() {
        version += 1;
        server.did_change(&uri, version, &[Change::insert(Pos::new(1, 21 + i), c.to_string())]);
        version += 1;
        server.did_change(&uri, version, &[Change::insert(Pos::new(6, 16 + i), c.to_string())]);
    }
    let render = "Explain the change to `render`…";
    let draw = "Explain the change to `View.draw`…";
    let cases: Vec<(&str, Value, &str)> = vec![
        ("cursor on the name", range((0, 18), (0, 18)), render),
        ("the name selected", range((0, 16), (0, 22)), render),
        ("cursor on `export`", range((0, 2), (0, 2)), render),
        ("the whole unit selected", range((0, 0), (2, 1)), render),
        ("its lines selected", range((0, 0), (3, 0)), render),
        ("cursor at the start of an indented method's line", range((5, 0), (5, 0)), draw),
        ("cursor on the method's name", range((5, 3), (5, 3)), draw),
        ("the method's lines selected", range((5, 0), (8, 0)), draw),
    ];
    let mut missed = Vec::new();
    for (what, requested, wanted) in cases {
        // The editor asks on its own when the cursor moves, then cancels that when the person
        // presses Ctrl+. and asks again.
        let automatic = ask(&mut server, &uri, requested.clone(), true);
        server.notify("$/cancelRequest", json!({"id": automatic}));
        let invoked = ask(&mut server, &uri, requested, false);
        let offered = titles(&server, invoked);
        if !offered.iter().any(|t| t == wanted) {
            missed.push(format!("{what}: offered {offered:?}, wanted {wanted:?}"));
        }
        let _ = server.wait_response(automatic, Duration::from_secs(10));
    }
    assert!(missed.is_empty(), "{missed:#?}");
    server.shutdown_and_exit();
}

/// An editor asks for code actions on its own whenever the cursor moves (VS Code 250 ms after),
/// lenses and pending changes too. Asking must never take the moment a change becomes ready away
/// from the prompt: the diagnostic is published all the same.
#[test]
fn requests_at_the_moment_a_change_becomes_ready_do_not_hold_back_its_prompt() {
    let mut server = Server::start(ServerOptions {
        initialization_options: Some(json!({"settleMs": 300})),
        ..ServerOptions::default()
    });
    let uri = server.open("ui.js", UI);
    server.did_change(&uri, 2, &[Change::insert(Pos::new(1, 21), " + 1")]);
    let start = std::time::Instant::now();
    let mut offered = false;
    // Requests back to back across the ready moment, a few in flight at once.
    while start.elapsed() < Duration::from_millis(800) {
        let ids: Vec<i64> = (0..4).map(|_| ask(&mut server, &uri, range((0, 18), (0, 18)), true)).collect();
        for id in ids {
            offered |= titles(&server, id).iter().any(|t| t == "Explain the change to `render`…");
        }
    }
    assert!(offered);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let mut published = false;
    while !published && std::time::Instant::now() < deadline {
        let Some(note) =
            server.wait_for_notification("textDocument/publishDiagnostics", Duration::from_millis(200))
        else {
            continue;
        };
        published = note["params"]["uri"] == uri.as_str()
            && note["params"]["diagnostics"].as_array().is_some_and(|d| !d.is_empty());
    }
    assert!(published, "the ready change was never prompted{}", server.stderr_note());
    server.shutdown_and_exit();
}
