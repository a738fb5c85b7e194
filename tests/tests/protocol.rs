//! The foundation's contract, seen from an editor: what `initialize` negotiates and advertises,
//! what each journal record holds, where journals go (one per workspace folder, with the store's
//! permissions), which documents are tracked, and when records reach the disk.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use rationale_tests::journal::{run_cli, Journal};
use rationale_tests::model::{Change, Pos};
use rationale_tests::server::file_uri;
use rationale_tests::{sha256_hex, Encoding, Server, ServerOptions};
use serde_json::{json, Value};

fn is_timestamp(ts: &str) -> bool {
    // RFC 3339 UTC with milliseconds: 2026-11-26T08:30:00.123Z
    let b = ts.as_bytes();
    b.len() == 24
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            19 => c == b'.',
            23 => c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

fn is_sha256(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.len() == 64 && s.bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()))
}

#[test]
fn initialize_negotiates_the_position_encoding_and_the_journal_records_it() {
    let cases: &[(Option<&[&str]>, &str)] = &[
        (Some(&["utf-8", "utf-16"]), "utf-8"),
        (Some(&["utf-16", "utf-8"]), "utf-8"),
        (Some(&["utf-32", "utf-8"]), "utf-8"),
        (Some(&["utf-16"]), "utf-16"),
        (Some(&[]), "utf-16"),
        (None, "utf-16"),
    ];
    for (offered, expected) in cases {
        let options = ServerOptions {
            position_encodings: offered.map(|o| o.iter().map(|s| s.to_string()).collect()),
            ..ServerOptions::default()
        };
        let mut server = Server::start(options);
        let result = server.init_result.clone().unwrap();
        assert_eq!(
            result["capabilities"]["positionEncoding"], *expected,
            "offered {offered:?}: capabilities.positionEncoding must say which encoding the server uses"
        );
        server.open("a.py", "x = 1\n");
        server.shutdown_and_exit();
        let journal = server.journal();
        assert_eq!(
            journal.session()["positionEncoding"],
            *expected,
            "offered {offered:?}: the session record"
        );
    }
}

#[test]
fn initialize_advertises_incremental_sync_with_saved_text_and_workspace_folders() {
    let mut server = Server::start(ServerOptions::default());
    let caps = server.init_result.clone().unwrap()["capabilities"].clone();
    let sync = &caps["textDocumentSync"];
    assert!(
        sync.is_object(),
        "textDocumentSync must be the options object (to say save.includeText): {sync}"
    );
    assert_eq!(sync["openClose"], true, "{sync}");
    assert_eq!(sync["change"], 2, "TextDocumentSyncKind.Incremental is 2: {sync}");
    assert_eq!(sync["save"]["includeText"], true, "{sync}");
    assert_eq!(caps["workspace"]["workspaceFolders"]["supported"], true, "{caps}");
    server.shutdown_and_exit();
}

#[test]
fn lsp_accepts_the_stdio_flag_that_vscode_appends() {
    let mut server = Server::start(ServerOptions {
        args: vec!["lsp".into(), "--stdio".into()],
        ..ServerOptions::default()
    });
    server.open("a.py", "x = 1\n");
    server.shutdown_and_exit();
    server.journal().assert_well_formed();
}

#[test]
fn every_record_has_the_fields_the_spec_names() {
    let mut server = Server::start(ServerOptions::with_encoding(Encoding::Utf16));
    let text = "def f():\n    return 1\n";
    let uri = server.open("pkg/mod.py", text);
    server.did_change(&uri, 2, &[Change::replace(Pos::new(1, 11), Pos::new(1, 12), "2")]);
    server.did_change(&uri, 3, &[Change::whole("def g():\n    return 3\n")]);
    server.did_save(&uri, "def g():\n    return 3\n");
    server.did_close(&uri);
    server.shutdown_and_exit();

    let journal = server.journal();
    journal.assert_well_formed();
    assert!(journal.torn.is_none());
    for record in &journal.records {
        assert!(
            is_timestamp(record["ts"].as_str().unwrap()),
            "ts must be RFC 3339 UTC with milliseconds: {record}"
        );
    }
    let session = journal.session();
    assert_eq!(session["schema"], 1, "{session}");
    assert_eq!(session["server"]["name"], "rationale", "{session}");
    assert!(session["server"]["version"].is_string(), "{session}");
    assert_eq!(session["client"]["name"], "rationale-tests", "{session}");
    assert_eq!(session["client"]["version"], env!("CARGO_PKG_VERSION"), "{session}");
    assert_eq!(session["author"], "tests@rationale.invalid", "RATIONALE_AUTHOR names the author: {session}");
    assert_eq!(session["workspace"], "proj", "the folder's name, never its path: {session}");
    assert_eq!(session["positionEncoding"], "utf-16");
    assert!(session.get("git").is_none_or(Value::is_null), "not a git work tree: {session}");
    let id = session["session"].as_str().expect("the session id");
    assert_eq!(
        journal.path.file_name().unwrap().to_str().unwrap(),
        format!("{id}.jsonl"),
        "the journal is sessions/<session>.jsonl"
    );
    // A sortable UTC time plus a random suffix, e.g. 20261126T083000Z-7f3a9c.
    let (time, suffix) = id.split_once('-').unwrap_or((id, ""));
    assert!(
        time.len() == 16 && time.as_bytes()[8] == b'T' && time.ends_with('Z') && !suffix.is_empty(),
        "the session id must be a sortable UTC time plus a random suffix (like 20261126T083000Z-7f3a9c), got {id:?}"
    );

    let types: Vec<&str> = journal.records.iter().map(|r| r["type"].as_str().unwrap()).collect();
    // The document is closed with its changes still pending: they are journaled as `unexplained`
    // just before the `close`.
    let expected_order = ["session", "open", "change", "save", "unexplained", "close", "end"];
    let mut deduped = types.clone();
    deduped.dedup();
    assert_eq!(deduped, expected_order, "the records in the order things happened: {types:?}");

    let open = journal.of_type("open")[0];
    assert_eq!(open["path"], "pkg/mod.py", "workspace-relative, /-separated");
    assert_eq!(open["language"], "python");
    assert_eq!(open["version"], 1);
    assert_eq!(open["text"], text);
    assert_eq!(open["sha256"], sha256_hex(text.as_bytes()));
    assert!(is_sha256(&open["sha256"]));

    let edits = journal.edits_for("pkg/mod.py");
    assert_eq!(
        edits,
        vec![json!({"range": [[1, 11], [1, 12]], "text": "2"}), json!({"text": "def g():\n    return 3\n"})],
        "edits as received: {{range: [[l, c], [l, c]], text}} or {{text}} for a whole document"
    );
    let last_change = journal.of_type("change").last().copied().unwrap();
    assert_eq!(last_change["version"], 3, "a change record carries the document's version: {last_change}");

    let save = journal.of_type("save")[0];
    assert_eq!(save["path"], "pkg/mod.py");
    assert_eq!(save["sha256"], sha256_hex(b"def g():\n    return 3\n"));
    assert_eq!(journal.of_type("close")[0]["path"], "pkg/mod.py");
    assert_eq!(journal.last().unwrap()["reason"], "shutdown");
}

#[test]
fn each_workspace_folder_gets_its_own_journal_with_paths_relative_to_it() {
    let mut server = Server::start(ServerOptions {
        folders: vec!["alpha".into(), "beta".into()],
        ..ServerOptions::default()
    });
    let alpha = server.folders[0].clone();
    let beta = server.folders[1].clone();
    server.did_open(&file_uri(&alpha.join("src/a.py")), "python", 1, "a = 1\n");
    server.did_open(&file_uri(&beta.join("lib/b.js")), "javascript", 1, "const b = 2;\n");
    server.shutdown_and_exit();
    for (folder, name, path, language) in
        [(&alpha, "alpha", "src/a.py", "python"), (&beta, "beta", "lib/b.js", "javascript")]
    {
        let journal = Journal::only_one_in(folder);
        journal.assert_well_formed();
        assert_eq!(journal.session()["workspace"], name);
        let opens = journal.of_type("open");
        assert_eq!(opens.len(), 1, "{name} holds only its own document:\n{}", journal.summary());
        assert_eq!(opens[0]["path"], path);
        assert_eq!(opens[0]["language"], language);
        assert_eq!(journal.last().unwrap()["type"], "end", "every folder's journal is ended");
    }
    assert_eq!(
        Server::journal_paths_of(&alpha)[0].file_name(),
        Server::journal_paths_of(&beta)[0].file_name(),
        "one session per server process: the same session id in every folder"
    );
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

#[test]
fn the_store_is_private_and_ignored_by_git() {
    let mut server = Server::start(ServerOptions::default());
    server.open("a.py", "x = 1\n");
    server.shutdown_and_exit();
    let store = server.root().join(".rationale");
    assert_eq!(mode(&store), 0o700, ".rationale is created 0700");
    let ignore = std::fs::read_to_string(store.join(".gitignore")).expect(".rationale/.gitignore");
    assert_eq!(ignore.trim(), "*", ".rationale/.gitignore holds `*`");
    assert_eq!(mode(&store.join(".gitignore")), 0o600, "files in the store are 0600");
    let journal = &Server::journal_paths_of(server.root())[0];
    assert_eq!(mode(journal), 0o600, "the journal is 0600");
    assert_eq!(mode(journal.parent().unwrap()), 0o700, "sessions/ is 0700");
}

#[test]
fn only_tracked_documents_reach_the_journal() {
    let mut server = Server::start(ServerOptions::default());
    let root = server.root().to_path_buf();
    let write = |rel: &str, text: &str| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(".gitignore", "build/\n*.gen.py\n!keep.gen.py\n");
    write("sub/.gitignore", "local.py\n");

    let tracked = [
        ("src/a.py", "python"),
        ("src/stubs.pyi", "python"),
        ("web/c.js", "javascript"),
        ("web/d.mjs", "javascript"),
        ("web/e.cjs", "javascript"),
        ("web/f.jsx", "javascript"),
        ("sub/kept.py", "python"),
        ("keep.gen.py", "python"),
        ("main.rs", "rust"),
        ("web/types.ts", "typescript"),
        ("web/app.tsx", "tsx"),
        ("cmd/main.go", "go"),
    ];
    let untracked = [
        "notes.txt",
        "main.c",
        "README.md",
        "web/style.css",
        ".env.py",
        "config/.env.local.js",
        "config/secrets.py",
        "secrets_store.js",
        "node_modules/pkg/index.js",
        "web/node_modules/dep/lib.js",
        "build/out.py",
        "models.gen.py",
        "sub/local.py",
        ".rationale/inside.py",
    ];
    for (rel, _) in &tracked {
        write(rel, "tracked = True\n");
    }
    for (i, rel) in untracked.iter().enumerate() {
        write(rel, &format!("UNTRACKED-MARKER-{i}.\n"));
    }
    // Also a document outside every workspace folder.
    let outside = server.dir.path().join("elsewhere/out.py");
    std::fs::create_dir_all(outside.parent().unwrap()).unwrap();

    for (rel, _) in &tracked {
        let uri = server.open(rel, "tracked = True\n");
        server.did_change(&uri, 2, &[Change::insert(Pos::new(0, 0), "# edited\n")]);
        server.did_save(&uri, "# edited\ntracked = True\n");
    }
    let mut untracked_uris: Vec<String> = untracked.iter().map(|rel| server.uri(rel)).collect();
    untracked_uris.push(file_uri(&outside));
    for (i, uri) in untracked_uris.iter().enumerate() {
        let marker = format!("UNTRACKED-MARKER-{i}.\n");
        server.did_open(uri, rationale_tests::server::language_of(uri), 1, &marker);
        server.did_change(uri, 2, &[Change::insert(Pos::new(0, 0), format!("SECRET-EDIT-{i}."))]);
        server.did_save(uri, &format!("SECRET-EDIT-{i}.{marker}"));
        server.did_close(uri);
    }
    server.shutdown_and_exit();

    let journal = server.journal();
    journal.assert_well_formed();
    let raw = std::fs::read_to_string(&journal.path).unwrap();
    for (i, rel) in untracked.iter().chain(["../elsewhere/out.py"].iter()).enumerate() {
        assert!(
            !raw.contains(&format!("UNTRACKED-MARKER-{i}.")) && !raw.contains(&format!("SECRET-EDIT-{i}.")),
            "{rel} must not be tracked, but its text reached the journal:\n{}",
            journal.summary()
        );
    }
    let opened: Vec<(&str, &str)> = journal
        .of_type("open")
        .iter()
        .map(|r| (r["path"].as_str().unwrap(), r["language"].as_str().unwrap()))
        .collect();
    assert_eq!(opened, tracked.to_vec(), "every tracked document, with its language");
    assert_eq!(journal.of_type("save").len(), tracked.len());
}

#[test]
fn records_reach_the_disk_within_250_ms_and_saves_before_the_next_message() {
    let mut server = Server::start(ServerOptions::default());
    let uri = server.open("a.py", "x = 1\n");
    server.did_change(&uri, 2, &[Change::insert(Pos::new(1, 0), "y = 2\n")]);
    // No further message: the records must reach the disk by themselves.
    std::thread::sleep(Duration::from_millis(500));
    let journal = server.journal();
    assert_eq!(journal.of_type("open").len(), 1, "open not on disk 500 ms later:\n{}", journal.summary());
    assert_eq!(journal.edits_for("a.py").len(), 1, "change not on disk 500 ms later:\n{}", journal.summary());

    server.did_save(&uri, "x = 1\ny = 2\n");
    let id = server.send_request("rationale/pendingChanges", json!({"uri": uri}));
    let _ = server.wait_response(id, Duration::from_secs(10)).expect("an answer");
    let journal = server.journal();
    assert_eq!(
        journal.saves_for("a.py").len(),
        1,
        "the save must be on disk before the server answers a later request:\n{}",
        journal.summary()
    );
    server.shutdown_and_exit();
}

#[test]
fn sessions_lists_the_recorded_sessions() {
    let mut server = Server::start(ServerOptions::default());
    server.open("a.py", "x = 1\n");
    server.shutdown_and_exit();
    let journal = server.journal();
    let id = journal.session()["session"].as_str().unwrap().to_string();
    let listed = run_cli(&[std::ffi::OsStr::new("sessions"), server.root().as_os_str()]);
    assert!(listed.success(), "{}", listed.describe());
    assert!(
        listed.stdout.contains(&id),
        "`rationale sessions` must list session {id}:\n{}",
        listed.describe()
    );
}

#[test]
fn a_git_work_tree_is_described_in_the_session_record() {
    let options = ServerOptions::default();
    let mut server = Server::spawn(options);
    let root = server.root().to_path_buf();
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git")
            .args(args)
            .current_dir(&root)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@t.invalid")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@t.invalid")
            .output()
            .expect("git runs");
        assert!(status.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&status.stderr));
        String::from_utf8(status.stdout).unwrap().trim().to_string()
    };
    git(&["init", "-q", "-b", "trunk"]);
    std::fs::write(root.join("a.py"), "x = 1\n").unwrap();
    git(&["add", "a.py"]);
    git(&["commit", "-q", "-m", "first"]);
    let head = git(&["rev-parse", "HEAD"]);
    std::fs::write(root.join("a.py"), "x = 2\n").unwrap();
    server.initialize();
    server.open("a.py", "x = 2\n");
    server.shutdown_and_exit();
    let journal = server.journal();
    let git_state = &journal.session()["git"];
    assert_eq!(git_state["head"], head.as_str(), "{git_state}");
    assert_eq!(git_state["branch"], "trunk", "{git_state}");
    assert_eq!(git_state["dirty"], true, "a.py has an uncommitted change: {git_state}");
}

#[test]
fn paths_with_spaces_and_non_ascii_letters_are_journaled_decoded() {
    let mut server = Server::start(ServerOptions::default());
    // The harness percent-encodes the URI, as editors do.
    let uri = server.open("src/my app/módulo_ñ.py", "x = 1\n");
    assert!(uri.contains("%20") && uri.contains("%C3%B3"), "{uri}");
    server.did_save(&uri, "x = 1\n");
    server.shutdown_and_exit();
    let journal = server.journal();
    let opens = journal.of_type("open");
    assert_eq!(opens.len(), 1, "{}", journal.summary());
    assert_eq!(opens[0]["path"], "src/my app/módulo_ñ.py", "the path is decoded, workspace-relative");
    let replayed = rationale_tests::journal::replayed_file(&journal.path, None, "src/my app/módulo_ñ.py");
    assert_eq!(replayed, b"x = 1\n");
}

#[test]
fn a_client_that_sends_only_root_uri_gets_that_folder_tracked() {
    let mut server = Server::spawn(ServerOptions::default());
    let mut params = server.initialize_params();
    params.as_object_mut().unwrap().remove("workspaceFolders");
    server.request("initialize", params).expect("initialize");
    server.notify("initialized", json!({}));
    server.encoding = Some(Encoding::Utf8);
    server.open("a.py", "x = 1\n");
    server.shutdown_and_exit();
    let journal = server.journal();
    assert_eq!(journal.of_type("open").len(), 1, "rootUri alone names the workspace:\n{}", journal.summary());
}

#[test]
fn workspace_folders_added_and_removed_at_run_time_are_followed() {
    let mut server = Server::start(ServerOptions::default());
    let added = server.dir.path().join("added");
    std::fs::create_dir_all(&added).unwrap();
    let added_uri = file_uri(&added);
    server.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({"event": {"added": [{"uri": added_uri, "name": "added"}], "removed": []}}),
    );
    server.did_open(&file_uri(&added.join("new.py")), "python", 1, "added = True\n");
    server.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({"event": {"added": [], "removed": [{"uri": added_uri, "name": "added"}]}}),
    );
    server.did_open(&file_uri(&added.join("after_removal.py")), "python", 1, "REMOVED-MARKER\n");
    server.shutdown_and_exit();
    // Editors open a file in a folder right after adding it: the folder change must take effect
    // before the notifications that follow it, as text notifications do.
    assert_eq!(
        Server::journal_paths_of(&added).len(),
        1,
        "new.py, opened right after its folder was added, was not tracked (no journal in the added folder)"
    );
    let journal = Journal::only_one_in(&added);
    journal.assert_well_formed();
    let opens: Vec<&str> = journal.of_type("open").iter().map(|r| r["path"].as_str().unwrap()).collect();
    assert_eq!(opens, ["new.py"], "a document of an added folder is tracked, one of a removed folder is not");
    assert!(!std::fs::read_to_string(&journal.path).unwrap().contains("REMOVED-MARKER"));
}

#[test]
fn a_save_without_text_is_journaled_with_the_servers_text() {
    let mut server = Server::start(ServerOptions::default());
    let uri = server.open("a.py", "x = 1\n");
    server.did_change(&uri, 2, &[Change::insert(Pos::new(1, 0), "y = 2\n")]);
    server.notify("textDocument/didSave", json!({"textDocument": {"uri": uri}}));
    server.shutdown_and_exit();
    let journal = server.journal();
    let saves = journal.saves_for("a.py");
    assert_eq!(saves.len(), 1, "a save without text is still a save:\n{}", journal.summary());
    assert_eq!(saves[0]["sha256"], sha256_hex(b"x = 1\ny = 2\n"));
    assert!(journal.of_type("resync").is_empty());
}

#[test]
fn a_symlinked_store_is_refused_once_and_the_server_keeps_serving() {
    let mut server = Server::start(ServerOptions::default());
    let elsewhere = server.dir.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, server.root().join(".rationale")).unwrap();
    let uri = server.open("a.py", "x = 1\n");
    server.did_change(&uri, 2, &[Change::insert(Pos::new(0, 0), "#")]);
    server.open("b.py", "y = 1\n");
    let answer = server.request("rationale/pendingChanges", json!({}));
    assert!(answer.is_ok(), "the server keeps serving: {answer:?}");
    let message = server
        .wait_for_notification("window/showMessage", Duration::from_secs(5))
        .expect("a symlinked .rationale is reported with window/showMessage");
    assert_eq!(message["params"]["type"], 1, "an Error message: {message}");
    server.shutdown_and_exit();
    assert!(
        server.notifications().iter().all(|n| n["method"] != "window/showMessage"),
        "the problem is reported once: {:?}",
        server.notifications()
    );
    assert!(
        rationale_tests::journal::list_files(&elsewhere).is_empty(),
        "nothing is written through the symlink: {:?}",
        rationale_tests::journal::list_files(&elsewhere)
    );
}

#[test]
fn two_servers_on_one_folder_keep_separate_journals() {
    // Two editor windows on the same folder, editing the same file at the same time.
    let mut first = Server::start(ServerOptions::default());
    let mut second = Server::start_on(first.folders.clone(), ServerOptions::default());
    let uri = first.open("shared.py", "x = 1\n");
    second.open("shared.py", "x = 1\n");
    for i in 0..50 {
        let change = [Change::insert(Pos::new(1, 0), format!("a{i} = {i}\n"))];
        first.did_change(&uri, 2 + i, &change);
        second.did_change(&uri, 2 + i, &change);
    }
    first.shutdown_and_exit();
    second.shutdown_and_exit();
    let journals = Server::journal_paths_of(first.root());
    assert_eq!(journals.len(), 2, "one journal per server process: {journals:?}");
    for path in &journals {
        let journal = Journal::read(path).unwrap();
        journal.assert_well_formed();
        assert_eq!(journal.of_type("session").len(), 1, "a journal is never appended to by a second process");
        assert_eq!(journal.edits_for("shared.py").len(), 50, "{}", journal.summary());
    }
    rationale_tests::journal::assert_verify_ok(first.root());
}

#[test]
fn during_a_burst_of_typing_the_journal_lags_at_most_250_ms() {
    let mut server = Server::start(ServerOptions::default());
    let uri = server.open("burst.py", "");
    let start = std::time::Instant::now();
    let mut sent_at = Vec::new();
    // One keystroke every 5 ms for 1.5 s, with no pause for the writer to catch up.
    for i in 0..300 {
        server.did_change(&uri, 2 + i, &[Change::insert(Pos::new(0, i as usize), "x")]);
        sent_at.push(start.elapsed());
        std::thread::sleep(Duration::from_millis(5));
    }
    let now = start.elapsed();
    let journal = server.journal();
    let on_disk = journal.edits_for("burst.py").len();
    // Everything sent more than 250 ms ago (plus slack for a loaded machine) must be there.
    let due = sent_at.iter().filter(|&&t| now.saturating_sub(t) > Duration::from_millis(400)).count();
    assert!(on_disk >= due, "{due} keystrokes were sent more than 400 ms ago but only {on_disk} are on disk");
    server.shutdown_and_exit();
}
