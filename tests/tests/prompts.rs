//! The heart of Rationale through the real binary: a change to a unit becomes a diagnostic and
//! code actions, and explaining or skipping it lands a pair in the journal and withdraws the
//! prompt.

use std::time::Duration;

use rationale_tests::model::{Change, Pos};
use rationale_tests::{Server, ServerOptions};
use serde_json::{json, Value};

use rationale_tests::samples::{APP, UI};

const WAIT: Duration = Duration::from_secs(10);

fn server(settle_ms: u64) -> Server {
    Server::start(ServerOptions {
        initialization_options: Some(json!({"settleMs": settle_ms})),
        ..ServerOptions::default()
    })
}

/// Replaces the first `from` on `line` with `to`.
fn replace(server: &Server, uri: &str, version: i64, text: &str, line: usize, from: &str, to: &str) {
    let column = text.lines().nth(line).unwrap().find(from).expect("text on the line");
    let change = Change::replace(Pos::new(line, column), Pos::new(line, column + from.len()), to);
    server.did_change(uri, version, &[change]);
}

fn pending(server: &mut Server, uri: &str) -> Vec<Value> {
    let answer = server.request_ok("rationale/pendingChanges", json!({"uri": uri}));
    answer["changes"].as_array().expect("a list of changes").clone()
}

fn code_actions(server: &mut Server, uri: &str, line: usize, column: usize) -> Vec<Value> {
    let at = json!({"line": line, "character": column});
    let answer = server.request_ok(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": {"start": at, "end": at}, "context": {"diagnostics": []}}),
    );
    answer.as_array().cloned().unwrap_or_default()
}

fn execute(
    server: &mut Server,
    command: &str,
    argument: Value,
) -> Result<Value, rationale_tests::server::RpcError> {
    server.request("workspace/executeCommand", json!({"command": command, "arguments": [argument]}))
}

fn records<'a>(journal: &'a rationale_tests::journal::Journal, kind: &str) -> Vec<&'a Value> {
    journal.of_type(kind)
}

#[test]
fn a_changed_function_is_prompted_and_its_rationale_lands_in_the_journal() {
    let mut server = server(200);
    let uri = server.open("app.py", APP);
    replace(&server, &uri, 2, APP, 9, "return 1", "return 42");

    let shown = server.wait_diagnostics(&uri, WAIT, |d| !d.is_empty());
    assert_eq!(shown.len(), 1, "{shown:?}");
    let diagnostic = &shown[0];
    assert_eq!(diagnostic["source"], "rationale");
    assert_eq!(diagnostic["code"], "unexplained-change");
    assert_eq!(diagnostic["severity"], 3, "Information");
    assert_eq!(diagnostic["message"], "Explain the change to function `helper`");
    // On the name: `helper` on line 8, columns 4..10.
    assert_eq!(
        diagnostic["range"],
        json!({"start": {"line": 8, "character": 4}, "end": {"line": 8, "character": 10}})
    );
    let change_id = diagnostic["data"]["changeId"].as_str().unwrap().to_owned();

    let actions = code_actions(&mut server, &uri, 9, 5);
    assert_eq!(actions.len(), 2, "{actions:#?}");
    assert_eq!(actions[0]["title"], "Explain the change to `helper`…");
    assert_eq!(actions[0]["kind"], "quickfix");
    assert_eq!(actions[0]["isPreferred"], true);
    assert_eq!(actions[0]["diagnostics"][0]["data"]["changeId"], change_id.as_str());
    assert_eq!(actions[0]["command"]["command"], "rationale.explain");
    let argument = &actions[0]["command"]["arguments"][0];
    assert_eq!(
        (argument["changeId"].as_str(), argument["uri"].as_str()),
        (Some(change_id.as_str()), Some(uri.as_str()))
    );
    assert_eq!((argument["unit"].as_str(), argument["kind"].as_str()), (Some("helper"), Some("function")));
    assert_eq!(actions[1]["title"], "Skip `helper`: no explanation needed");
    assert_eq!(actions[1]["command"]["command"], "rationale.skip");

    let why = "Callers need the real answer, not a placeholder.";
    let result =
        execute(&mut server, "rationale.record", json!({"changeId": change_id, "text": why})).unwrap();
    let pair = result["pairId"].as_str().unwrap().to_owned();

    // The record is on disk when the answer comes.
    let journal = server.journal();
    let recorded = records(&journal, "rationale");
    assert_eq!(recorded.len(), 1, "{}", journal.summary());
    let record = recorded[0];
    assert_eq!(record["pair"], pair.as_str());
    assert_eq!(pair, format!("{}:{}", journal.session()["session"].as_str().unwrap(), record["seq"]));
    assert_eq!(record["change"], change_id.as_str());
    assert_eq!(record["path"], "app.py");
    assert_eq!(record["language"], "python");
    assert_eq!(record["unit"], json!({"name": "helper", "kind": "function"}));
    assert_eq!(record["kind"], "modified");
    assert_eq!(record["before"], "def helper():\n    return 1");
    assert_eq!(record["after"], "def helper():\n    return 42");
    assert_eq!(record["text"], why);
    assert_eq!(record["via"], "command");
    assert_eq!(record["edits"], 1);
    assert_eq!(record["version"], 2);
    assert!(record["group"].is_null());
    for field in ["editsFrom", "editsTo", "promptedAt"] {
        assert!(record[field].as_str().is_some_and(|ts| ts.ends_with('Z')), "{field}: {record}");
    }

    // The prompt goes, and the change is no longer pending.
    server.wait_diagnostics(&uri, WAIT, |d| d.is_empty());
    assert_eq!(pending(&mut server, &uri), Vec::<Value>::new());
    assert!(code_actions(&mut server, &uri, 9, 5).is_empty());
    server.shutdown_and_exit();
}

#[test]
fn a_skipped_change_is_recorded_as_a_skip() {
    let mut server = server(100);
    let uri = server.open("app.py", APP);
    replace(&server, &uri, 2, APP, 5, "return url", "return url.strip()");
    let shown = server.wait_diagnostics(&uri, WAIT, |d| !d.is_empty());
    assert_eq!(shown[0]["message"], "Explain the change to method `Session.send`");
    let id = shown[0]["data"]["changeId"].clone();
    assert_eq!(
        execute(&mut server, "rationale.skip", json!({"changeId": id, "reason": "formatting"})).unwrap(),
        json!({})
    );
    let journal = server.journal();
    let skips = records(&journal, "skip");
    assert_eq!(skips.len(), 1, "{}", journal.summary());
    assert_eq!(skips[0]["reason"], "formatting");
    assert_eq!(skips[0]["unit"], json!({"name": "Session.send", "kind": "method"}));
    assert_eq!(skips[0]["after"], "def send(self, url):\n        return url.strip()");
    assert!(records(&journal, "rationale").is_empty());
    server.wait_diagnostics(&uri, WAIT, |d| d.is_empty());
    server.shutdown_and_exit();
}

#[test]
fn one_rationale_explains_changes_in_two_files_as_one_group() {
    let mut server = server(60_000);
    let py = server.open("app.py", APP);
    let js = server.open("ui.js", UI);
    replace(&server, &py, 2, APP, 2, "self.send(url)", "self.send(url.lower())");
    replace(&server, &js, 2, UI, 5, "'/a'", "'/api/a'");
    let ids: Vec<Value> = [&py, &js]
        .iter()
        .flat_map(|uri| pending(&mut server, uri))
        .map(|change| change["id"].clone())
        .collect();
    assert_eq!(ids.len(), 2);
    let why = "URLs are case-insensitive on this API, and it moved under /api.";
    let result = execute(&mut server, "rationale.record", json!({"changeIds": ids, "text": why})).unwrap();
    assert_eq!(result["pairIds"].as_array().unwrap().len(), 2);
    let journal = server.journal();
    let recorded = records(&journal, "rationale");
    assert_eq!(recorded.len(), 2, "{}", journal.summary());
    assert!(recorded[0]["group"].is_string());
    assert_eq!(recorded[0]["group"], recorded[1]["group"]);
    let units: Vec<&Value> = recorded.iter().map(|r| &r["unit"]["name"]).collect();
    assert_eq!(units, [&json!("Session.request"), &json!("load")]);
    assert_eq!(recorded[1]["language"], "javascript");
    assert!(pending(&mut server, &py).is_empty() && pending(&mut server, &js).is_empty());
    server.shutdown_and_exit();
}

#[test]
fn refusals_say_why_and_write_nothing() {
    let mut server = server(60_000);
    let uri = server.open("app.py", APP);
    replace(&server, &uri, 2, APP, 9, "return 1", "return 2");
    let id = pending(&mut server, &uri)[0]["id"].clone();

    let too_short =
        execute(&mut server, "rationale.record", json!({"changeId": id, "text": "  fix   "})).unwrap_err();
    assert_eq!(too_short.code, -32602);
    assert!(too_short.message.contains("at least 15 characters"), "{}", too_short.message);

    let unknown = execute(
        &mut server,
        "rationale.record",
        json!({"changeId": "000000.1", "text": "A perfectly long rationale."}),
    )
    .unwrap_err();
    assert_eq!(unknown.code, -32602);
    assert!(unknown.message.contains("no pending change `000000.1`"), "{}", unknown.message);

    let shapeless = execute(&mut server, "rationale.record", json!({"text": 5})).unwrap_err();
    assert_eq!(shapeless.code, -32602);
    let nothing = server
        .request("workspace/executeCommand", json!({"command": "rationale.skip", "arguments": []}))
        .unwrap_err();
    assert_eq!(nothing.code, -32602);

    // One good id and one unknown: nothing is recorded for either.
    let mixed = execute(
        &mut server,
        "rationale.record",
        json!({"changeIds": [id, "000000.9"], "text": "A perfectly long rationale."}),
    )
    .unwrap_err();
    assert_eq!(mixed.code, -32602);

    std::thread::sleep(Duration::from_millis(400));
    let journal = server.journal();
    assert!(
        records(&journal, "rationale").is_empty() && records(&journal, "skip").is_empty(),
        "{}",
        journal.summary()
    );
    assert_eq!(pending(&mut server, &uri).len(), 1, "the change is still pending");

    // Once explained, the id is stale.
    execute(
        &mut server,
        "rationale.record",
        json!({"changeId": id, "text": "Two is the documented default."}),
    )
    .unwrap();
    let stale = execute(
        &mut server,
        "rationale.record",
        json!({"changeId": id, "text": "Two is the documented default."}),
    )
    .unwrap_err();
    assert_eq!(stale.code, -32602);
    server.shutdown_and_exit();
}

#[test]
fn pending_changes_follow_renames_additions_removals_and_edits_back() {
    let mut server = server(60_000);
    let uri = server.open("app.py", APP);
    assert!(pending(&mut server, &uri).is_empty());

    // Rename `helper` by typing, one key at a time.
    let mut version = 2;
    for (i, ch) in "_v2".chars().enumerate() {
        server.did_change(&uri, version, &[Change::insert(Pos::new(8, 10 + i), ch.to_string())]);
        version += 1;
    }
    let changes = pending(&mut server, &uri);
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert_eq!(changes[0]["unit"]["name"], "helper_v2");
    assert_eq!(changes[0]["change"], "modified");
    assert_eq!(changes[0]["previousName"], "helper");
    assert_eq!(changes[0]["ready"], false);
    assert_eq!(changes[0]["edits"], 3);

    // Back to its baseline: nothing pending.
    server.did_change(&uri, version, &[Change::replace(Pos::new(8, 10), Pos::new(8, 13), "")]);
    version += 1;
    assert!(pending(&mut server, &uri).is_empty());

    // Remove `send`, add `close`.
    server.did_change(
        &uri,
        version,
        &[Change::replace(Pos::new(4, 0), Pos::new(6, 0), "    def close(self):\n        pass\n")],
    );
    let mut kinds: Vec<(String, String)> = pending(&mut server, &uri)
        .iter()
        .map(|c| (c["unit"]["name"].as_str().unwrap().to_owned(), c["change"].as_str().unwrap().to_owned()))
        .collect();
    kinds.sort();
    assert_eq!(kinds, [("Session.close".into(), "added".into()), ("Session.send".into(), "removed".into())]);
    let added = pending(&mut server, &uri).into_iter().find(|c| c["change"] == "added").unwrap();
    assert_eq!(
        (added["before"].as_str(), added["after"].as_str()),
        (Some(""), Some("def close(self):\n        pass"))
    );

    // A save makes every pending change ready at once.
    let saved =
        APP.replace("    def send(self, url):\n        return url\n", "    def close(self):\n        pass\n");
    server.did_save(&uri, &saved);
    assert!(pending(&mut server, &uri).iter().all(|c| c["ready"] == true));
    server.shutdown_and_exit();
}

#[test]
fn whitespace_only_edits_are_not_pending() {
    let mut server = server(0);
    let uri = server.open("ui.js", UI);
    // Re-indent the body and add spaces between tokens.
    server.did_change(&uri, 2, &[Change::replace(Pos::new(1, 0), Pos::new(1, 2), "      ")]);
    server.did_change(&uri, 3, &[Change::replace(Pos::new(0, 15), Pos::new(0, 22), "( items )")]);
    assert!(pending(&mut server, &uri).is_empty(), "{:#?}", pending(&mut server, &uri));
    // A comment is not whitespace.
    server.did_change(&uri, 4, &[Change::insert(Pos::new(1, 0), "  // count them\n")]);
    let changes = pending(&mut server, &uri);
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["unit"]["name"], "render");
    server.shutdown_and_exit();
}

#[test]
fn explain_is_left_to_a_plugin_that_says_so_and_answered_with_a_why_comment_otherwise() {
    // Without the plugin the server inserts a why-comment (tests/tests/why_comments.rs); it
    // needs to know which change.
    let mut plain = server(0);
    let without = plain
        .request("workspace/executeCommand", json!({"command": "rationale.explain", "arguments": [{}]}))
        .unwrap_err();
    assert_eq!(without.code, -32602);
    assert!(without.message.contains("changeId"), "{}", without.message);
    plain.shutdown_and_exit();

    let mut with_plugin = Server::spawn(ServerOptions {
        initialization_options: Some(json!({"clientCommands": ["rationale.explain"]})),
        ..ServerOptions::default()
    });
    let result = with_plugin.initialize();
    let listed = &result["capabilities"]["executeCommandProvider"]["commands"];
    assert_eq!(listed, &json!(["rationale.record", "rationale.skip"]));
    with_plugin.shutdown_and_exit();
}

#[test]
fn a_code_lens_stands_above_each_ready_change_unless_turned_off() {
    for (codelens, expected) in [(true, 1), (false, 0)] {
        let mut server = Server::start(ServerOptions {
            initialization_options: Some(json!({"settleMs": 0, "codelens": codelens})),
            ..ServerOptions::default()
        });
        let uri = server.open("app.py", APP);
        replace(&server, &uri, 2, APP, 9, "return 1", "return 3");
        server.wait_diagnostics(&uri, WAIT, |d| !d.is_empty());
        let lenses = server.request_ok("textDocument/codeLens", json!({"textDocument": {"uri": uri}}));
        let lenses = lenses.as_array().cloned().unwrap_or_default();
        assert_eq!(lenses.len(), expected, "codelens {codelens}: {lenses:#?}");
        if expected == 1 {
            assert_eq!(lenses[0]["command"]["command"], "rationale.explain");
            assert_eq!(lenses[0]["range"]["start"]["line"], 8);
        }
        server.shutdown_and_exit();
    }
}

#[test]
fn no_code_lens_unless_a_setting_asks_for_one() {
    let mut server = server(0);
    let uri = server.open("app.py", APP);
    replace(&server, &uri, 2, APP, 9, "return 1", "return 3");
    server.wait_diagnostics(&uri, WAIT, |d| !d.is_empty());
    let lenses = server.request_ok("textDocument/codeLens", json!({"textDocument": {"uri": uri}}));
    assert!(lenses.as_array().is_none_or(Vec::is_empty), "{lenses:#?}");
    // The editor's settings replace the earlier ones whole: `settleMs` stays 0.
    server.notify("workspace/didChangeConfiguration", json!({"settings": {"settleMs": 0, "codelens": true}}));
    let lenses = server.request_ok("textDocument/codeLens", json!({"textDocument": {"uri": uri}}));
    assert_eq!(lenses.as_array().map(Vec::len), Some(1), "{lenses:#?}");
    server.shutdown_and_exit();
}

/// The editors ask in the server's words: each pending change and each `rationale.explain`
/// argument carries the prompt the diagnostic shows.
#[test]
fn the_prompt_comes_in_the_servers_words() {
    let mut server = server(0);
    let uri = server.open("app.py", APP);
    replace(&server, &uri, 2, APP, 9, "return 1", "return 3");
    server.did_change(
        &uri,
        3,
        &[Change::replace(Pos::new(4, 0), Pos::new(6, 0), "    def close(self):\n        pass\n")],
    );
    let shown = server.wait_diagnostics(&uri, WAIT, |d| d.len() == 3);
    let mut messages: Vec<&str> = shown.iter().map(|d| d["message"].as_str().unwrap()).collect();
    messages.sort();
    assert_eq!(
        messages,
        [
            "Explain the change to function `helper`",
            "Explain the new method `Session.close`",
            "Explain the removal of method `Session.send`",
        ]
    );
    for change in pending(&mut server, &uri) {
        let diagnostic = shown.iter().find(|d| d["data"]["changeId"] == change["id"]).expect("a diagnostic");
        assert_eq!(change["prompt"], diagnostic["message"], "{change:#?}");
    }
    let actions = code_actions(&mut server, &uri, 9, 4);
    let argument = &actions[0]["command"]["arguments"][0];
    assert_eq!(argument["prompt"], "Explain the change to function `helper`", "{actions:#?}");
    server.shutdown_and_exit();
}

#[test]
fn clients_that_can_are_asked_to_refresh_code_lenses_when_prompts_change() {
    for refresh_support in [true, false] {
        let mut server = Server::spawn(ServerOptions {
            initialization_options: Some(json!({"settleMs": 0})),
            ..ServerOptions::default()
        });
        let mut params = server.initialize_params();
        params["capabilities"]["workspace"]["codeLens"] = json!({"refreshSupport": refresh_support});
        server.request("initialize", params).expect("initialize");
        server.notify("initialized", json!({}));
        let uri = server.open("app.py", APP);
        replace(&server, &uri, 2, APP, 9, "return 1", "return 3");
        server.wait_diagnostics(&uri, WAIT, |d| !d.is_empty());
        let asked = |server: &Server| {
            server.server_requests().iter().filter(|r| r["method"] == "workspace/codeLens/refresh").count()
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(3);
        while refresh_support && asked(&server) == 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        if refresh_support {
            assert!(asked(&server) >= 1, "no workspace/codeLens/refresh after a prompt appeared");
        } else {
            std::thread::sleep(Duration::from_millis(300));
            assert_eq!(asked(&server), 0, "refresh sent to a client that did not ask for it");
        }
        server.shutdown_and_exit();
    }
}

/// `rationale/pendingChanges` says the shortest rationale `rationale.record` takes, so that an
/// editor checks what the person typed against the server's rule rather than a number of its own.
#[test]
fn pending_changes_say_the_minimum_length_of_each_folder() {
    let mut server = Server::spawn(ServerOptions {
        folders: vec!["strict".into(), "plain".into()],
        ..ServerOptions::default()
    });
    let strict = server.root().to_path_buf();
    let plain = strict.parent().unwrap().join("plain");
    std::fs::write(strict.join("rationale.toml"), "min_rationale_chars = 30\n").unwrap();
    server.initialize();
    let strict_uri = server.open("app.py", APP);
    let plain_uri = rationale_tests::server::file_uri(&plain.join("ui.js"));
    server.did_open(&plain_uri, "javascript", 1, UI);

    let minimum = |server: &mut Server, params: Value| {
        let answer = server.request_ok("rationale/pendingChanges", params);
        answer["minRationaleChars"].clone()
    };
    assert_eq!(minimum(&mut server, json!({"uri": strict_uri})), json!(30), "rationale.toml's");
    assert_eq!(minimum(&mut server, json!({"uri": plain_uri})), json!(15), "the default");
    // Without a document: the strictest folder whose documents have changes, else of all.
    assert_eq!(minimum(&mut server, json!({})), json!(30));
    replace(&server, &plain_uri, 2, UI, 1, "items.length", "items.length + 1");
    assert_eq!(pending(&mut server, &plain_uri).len(), 1);
    assert_eq!(minimum(&mut server, json!({})), json!(15), "only ui.js has a change");

    // The editor's settings win over rationale.toml, and the answer follows them at once.
    server.notify("workspace/didChangeConfiguration", json!({"settings": {"minRationaleChars": 22}}));
    assert_eq!(minimum(&mut server, json!({"uri": strict_uri})), json!(22));
    assert_eq!(minimum(&mut server, json!({"uri": plain_uri})), json!(22));

    // It is the rule the server applies.
    let id = pending(&mut server, &plain_uri)[0]["id"].clone();
    let short = execute(&mut server, "rationale.record", json!({"changeId": id, "text": "x".repeat(21)}));
    assert!(short.unwrap_err().message.contains("at least 22 characters"));
    execute(&mut server, "rationale.record", json!({"changeId": id, "text": "y".repeat(22)})).unwrap();
    server.shutdown_and_exit();
}

/// The languages beyond Python and JavaScript: a change prompts on the unit's name, with the
/// unit named as a reader of the language names it, and the record says the language.
#[test]
fn typescript_go_and_rust_changes_are_prompted_with_their_own_names() {
    const CART_TS: &str = "\
export interface Item { price: number }

export class Cart {
  total(items: Item[]): number {
    return items.length;
  }
}
";
    const CART_GO: &str = "\
package shop

type Cart struct{ items []int }

func (c *Cart) Total() int {
\treturn len(c.items)
}
";
    const CART_RS: &str = "\
pub struct Cart { items: Vec<u32> }

impl std::fmt::Display for Cart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, \"cart\")
    }
}
";
    let mut server = server(100);
    let cases = [
        (
            "cart.ts",
            CART_TS,
            4,
            "items.length",
            "items.reduce((sum, item) => sum + item.price, 0)",
            "method",
            "Cart.total",
            (3, 2, 7),
            "typescript",
        ),
        (
            "cart.go",
            CART_GO,
            5,
            "len(c.items)",
            "len(c.items) * 2",
            "method",
            "Cart.Total",
            (4, 15, 20),
            "go",
        ),
        (
            "cart.rs",
            CART_RS,
            4,
            "\"cart\"",
            "\"a cart\"",
            "method",
            "<Cart as std::fmt::Display>::fmt",
            (3, 7, 10),
            "rust",
        ),
    ];
    for (file, text, line, from, to, kind, name, (name_line, start, end), language) in cases {
        let uri = server.open(file, text);
        replace(&server, &uri, 2, text, line, from, to);
        let shown = server.wait_diagnostics(&uri, WAIT, |d| !d.is_empty());
        assert_eq!(shown.len(), 1, "{file}: {shown:?}");
        assert_eq!(shown[0]["message"], format!("Explain the change to {kind} `{name}`"), "{file}");
        assert_eq!(
            shown[0]["range"],
            json!({"start": {"line": name_line, "character": start}, "end": {"line": name_line, "character": end}}),
            "{file}: the prompt is on the unit's own name"
        );
        let change_id = shown[0]["data"]["changeId"].as_str().unwrap().to_owned();
        let actions = code_actions(&mut server, &uri, line, 8);
        assert_eq!(actions[0]["title"], format!("Explain the change to `{name}`…"), "{file}");
        let why = format!("The {language} cart adds up what it holds, not how many.");
        execute(&mut server, "rationale.record", json!({"changeId": change_id, "text": why})).unwrap();
        let journal = server.journal();
        let record = *records(&journal, "rationale").last().unwrap();
        assert_eq!(record["language"], language);
        assert_eq!(record["unit"], json!({"name": name, "kind": kind}));
        assert_eq!(record["path"], file);
        assert!(pending(&mut server, &uri).is_empty(), "{file}");
    }
    server.shutdown_and_exit();
}

const TEXT_LIMIT: usize = 16 * 1024;

/// `big.py`: `big`, a unit of exactly 16 KiB, then `small`; both changed, `big` by one character
/// more. Returns the document's URI and `big`'s text before the change.
fn big_and_small(server: &Server) -> (String, String) {
    let head = "def big():\n    s = '";
    let big = format!("{head}{}'", "a".repeat(TEXT_LIMIT - head.len() - 1));
    assert_eq!(big.len(), TEXT_LIMIT);
    // Ordinary lines after, so that the file's lines do not average over 1,000 characters (it
    // would be taken as generated and have no units at all).
    let rest: String = (0..40).map(|i| format!("LIMIT_{i} = {i}\n")).collect();
    let text = format!("{big}\n\n\ndef small():\n    return 1\n{rest}");
    let uri = server.open("big.py", &text);
    server.did_change(&uri, 2, &[Change::insert(Pos::new(1, 9), "b")]);
    server.did_change(&uri, 3, &[Change::replace(Pos::new(5, 11), Pos::new(5, 12), "2")]);
    (uri, big)
}

fn change_named(changes: &[Value], name: &str) -> Value {
    changes
        .iter()
        .find(|c| c["unit"]["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no {name}: {changes:#?}"))
}

/// `rationale/pendingChanges` carries a unit's texts up to 16 KiB each; a larger one is `null`,
/// and the change says `textsOmitted`.
#[test]
fn texts_over_16_kib_are_left_out_of_pending_changes() {
    let mut server = server(60_000);
    let (uri, big) = big_and_small(&server);
    let changes = pending(&mut server, &uri);
    let (large, small) = (change_named(&changes, "big"), change_named(&changes, "small"));
    assert_eq!(large["before"], json!(big), "16 KiB is still sent whole");
    assert_eq!(large["after"], Value::Null, "16 KiB and a byte is not");
    assert_eq!(large["textsOmitted"], json!(true));
    assert_eq!(small["before"], json!("def small():\n    return 1"));
    assert_eq!(small["after"], json!("def small():\n    return 2"));
    assert!(small.get("textsOmitted").is_none(), "{small:#}");
    server.shutdown_and_exit();
}

/// `rationale/changeTexts` answers both texts of a pending change whatever their size, and
/// refuses an id that names no pending change.
#[test]
fn change_texts_answers_both_texts_of_a_pending_change() {
    let mut server = server(60_000);
    let (uri, big) = big_and_small(&server);
    let changes = pending(&mut server, &uri);
    let (large, small) = (change_named(&changes, "big"), change_named(&changes, "small"));

    let texts = server.request_ok("rationale/changeTexts", json!({"changeId": large["id"]}));
    assert_eq!(texts, json!({"before": big, "after": big.replacen("'a", "'ba", 1)}));
    let texts = server.request_ok("rationale/changeTexts", json!({"changeId": small["id"]}));
    assert_eq!(texts, json!({"before": small["before"], "after": small["after"]}));

    let unknown = server.request("rationale/changeTexts", json!({"changeId": "000000.9"})).unwrap_err();
    assert_eq!(unknown.code, -32602);
    assert!(unknown.message.contains("there is no pending change `000000.9`"), "{}", unknown.message);
    let missing = server.request("rationale/changeTexts", json!({})).unwrap_err();
    assert_eq!(missing.code, -32602);

    // Once explained, the change and its texts are gone.
    let id = small["id"].clone();
    execute(
        &mut server,
        "rationale.record",
        json!({"changeId": id, "text": "Two is the documented default."}),
    )
    .unwrap();
    let explained = server.request("rationale/changeTexts", json!({"changeId": id})).unwrap_err();
    assert_eq!(explained.code, -32602);
    server.shutdown_and_exit();
}
