//! `rationale export` and `rationale stats` on sessions recorded by the real server: every format
//! and flag, several workspaces at once, and secrets planted (typed a character at a time and
//! pasted, in code and in rationales) that no format may let through.
//!
//! The secrets are built at run time from seeded random characters: nothing in this file looks
//! like a real key.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rationale_tests::journal::run_cli;
use rationale_tests::model::{Change, Pos};
use rationale_tests::{Rng, Server, ServerOptions};
use serde_json::{json, Value};

const APP: &str = "\
import os


def helper():
    return 1


def load_key():
    return None


def third():
    return 3


def fourth():
    return 4
";

const UI: &str = "\
function render(items) {
  return items.length;
}

function connect(url) {
  return null;
}
";

/// One secret of each family, made fresh from a seed.
struct Secrets {
    github: String,
    aws: String,
    slack: String,
    stripe: String,
    generic: String,
    url_password: String,
    pem_lines: Vec<String>,
    /// A second key, typed rather than pasted.
    typed_pem_lines: Vec<String>,
}

fn chars(rng: &mut Rng, alphabet: &str, n: usize) -> String {
    let alphabet: Vec<char> = alphabet.chars().collect();
    (0..n).map(|_| alphabet[rng.below(alphabet.len())]).collect()
}

const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const DIGITS: &str = "0123456789";

impl Secrets {
    fn new(seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let base64 = format!("{ALNUM}+/");
        Self {
            github: ["gh", "p_"].concat() + &chars(&mut rng, ALNUM, 36),
            aws: ["AK", "IA"].concat() + &chars(&mut rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
            slack: format!(
                "{}-{}-{}-{}",
                ["xo", "xb"].concat(),
                chars(&mut rng, DIGITS, 11),
                chars(&mut rng, DIGITS, 12),
                chars(&mut rng, ALNUM, 24)
            ),
            stripe: ["sk", "_live_"].concat() + &chars(&mut rng, ALNUM, 24),
            generic: chars(&mut rng, ALNUM, 20) + &chars(&mut rng, DIGITS, 4),
            url_password: chars(&mut rng, ALNUM, 16),
            pem_lines: (0..5).map(|_| chars(&mut rng, &base64, 64)).collect(),
            typed_pem_lines: (0..2).map(|_| chars(&mut rng, &base64, 64)).collect(),
        }
    }

    fn pem(&self) -> String {
        let kind = ["RSA PRIV", "ATE KEY"].concat();
        format!("-----BEGIN {kind}-----\n{}\n-----END {kind}-----", self.pem_lines.join("\n"))
    }

    fn typed_pem(&self) -> String {
        let kind = ["EC PRIV", "ATE KEY"].concat();
        format!("-----BEGIN {kind}-----\n{}\n-----END {kind}-----", self.typed_pem_lines.join("\n"))
    }

    /// Every secret, and the pieces of them long enough to matter.
    fn needles(&self) -> Vec<(String, &'static str)> {
        let mut needles = vec![
            (self.github.clone(), "github token"),
            (self.github[..14].to_owned(), "github token prefix"),
            (self.aws.clone(), "aws key"),
            (self.slack.clone(), "slack token"),
            (self.stripe.clone(), "stripe key"),
            (self.generic.clone(), "generic api key"),
            (self.generic[..12].to_owned(), "generic api key prefix"),
            (self.url_password.clone(), "url password"),
        ];
        for line in &self.pem_lines {
            needles.push((line[..24].to_owned(), "pem body"));
        }
        for line in &self.typed_pem_lines {
            needles.push((line[..12].to_owned(), "typed pem body"));
        }
        needles
    }

    fn assert_absent(&self, output: &str, what: &str) {
        for (needle, name) in self.needles() {
            assert!(!output.contains(&needle), "{what}: the {name} `{needle}` is in the export");
        }
    }
}

const WAIT: Duration = Duration::from_secs(10);

struct Team {
    dir: tempfile::TempDir,
    secrets: Secrets,
    /// Pair ids in export order: alice's session, then bob's.
    pairs: Vec<String>,
}

impl Team {
    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn folder(&self, name: &str) -> PathBuf {
        self.root().join(name)
    }

    fn export(&self, args: &[&str]) -> rationale_tests::RunOutput {
        let mut all: Vec<String> = vec!["export".into()];
        all.extend(args.iter().map(|a| a.to_string()));
        run_cli(&all)
    }

    fn export_ok(&self, args: &[&str]) -> (Vec<Value>, String, String) {
        let out = self.export(args);
        assert!(out.success(), "{}", out.describe());
        let text = if args.contains(&"-") {
            out.stdout.clone()
        } else {
            let at = args.iter().position(|a| *a == "--out").expect("--out given") + 1;
            std::fs::read_to_string(args[at]).unwrap()
        };
        let rows = text.lines().map(|l| serde_json::from_str(l).expect("a JSON row")).collect();
        (rows, text, out.stderr)
    }

    fn out(&self, name: &str) -> String {
        self.root().join(name).display().to_string()
    }
}

fn start(folder: &Path, author: &str) -> Server {
    Server::start_on(
        vec![folder.to_path_buf()],
        ServerOptions {
            initialization_options: Some(json!({"settleMs": 50})),
            env: vec![("RATIONALE_AUTHOR".into(), author.into())],
            ..ServerOptions::default()
        },
    )
}

fn uri_of(folder: &Path, rel: &str) -> String {
    rationale_tests::server::file_uri(&folder.join(rel))
}

/// Types `text` at `at` one character a notification, pausing now and then so that the journal
/// holds several records; returns the next version.
fn type_text(server: &Server, uri: &str, mut version: i64, at: Pos, text: &str) -> i64 {
    let (mut line, mut col) = (at.line, at.col);
    for (i, c) in text.chars().enumerate() {
        server.did_change(uri, version, &[Change::insert(Pos::new(line, col), c.to_string())]);
        version += 1;
        if c == '\n' {
            line += 1;
            col = 0;
        } else {
            col += 1;
        }
        // The writer joins keystrokes that come within 200 ms into one record.
        if i % 16 == 15 {
            std::thread::sleep(Duration::from_millis(250));
        }
    }
    version
}

/// The id of the pending change to `unit` of `uri`.
fn change_of(server: &mut Server, uri: &str, unit: &str) -> String {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let answer = server.request_ok("rationale/pendingChanges", json!({"uri": uri}));
        let found = answer["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["unit"]["name"] == unit)
            .map(|c| c["id"].as_str().unwrap().to_owned());
        if let Some(id) = found {
            return id;
        }
        assert!(std::time::Instant::now() < deadline, "no pending change to {unit}: {answer}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn record(server: &mut Server, id: &str, why: &str) -> String {
    // Past the settle time (50 ms): the change is ready, so it was prompted and the pair says when.
    std::thread::sleep(Duration::from_millis(400));
    let answer = server.request_ok(
        "workspace/executeCommand",
        json!({"command": "rationale.record", "arguments": [{"changeId": id, "text": why}]}),
    );
    answer["pairId"].as_str().unwrap().to_owned()
}

fn skip(server: &mut Server, id: &str) {
    server.request_ok(
        "workspace/executeCommand",
        json!({"command": "rationale.skip", "arguments": [{"changeId": id}]}),
    );
}

fn replace_on_line(server: &Server, uri: &str, version: i64, text: &str, line: usize, from: &str, to: &str) {
    let column = text.lines().nth(line).unwrap().find(from).expect("text on the line");
    let change = Change::replace(Pos::new(line, column), Pos::new(line, column + from.len()), to);
    server.did_change(uri, version, &[change]);
}

/// Two workspaces (alice's Python, bob's JavaScript) in one team folder, with secrets in code and
/// in rationales, a skip, a change left pending, and review verdicts.
fn team() -> Team {
    let dir = tempfile::Builder::new().prefix("rationale-export-").tempdir().unwrap();
    let secrets = Secrets::new(0x5eed_0008);
    let mut pairs = Vec::new();

    let alice = dir.path().join("alice");
    std::fs::create_dir_all(&alice).unwrap();
    let mut server = start(&alice, "alice@example.com");
    let uri = uri_of(&alice, "app.py");
    server.did_open(&uri, "python", 1, APP);
    // Typed, one character at a time, inside `helper`.
    let typed = format!("token = \"{}\"\n    ", secrets.github);
    let mut version = type_text(&server, &uri, 2, Pos::new(4, 4), &typed);
    let id = change_of(&mut server, &uri, "helper");
    let why = format!(
        "The service now authenticates; the staging database moved to postgres://svc:{}@db.internal/app as well.",
        secrets.url_password
    );
    pairs.push(record(&mut server, &id, &why));
    // Pasted: a PEM block in `load_key` (now line 9).
    let now = APP.replacen("    return 1", &format!("    {typed}return 1"), 1);
    replace_on_line(&server, &uri, version, &now, 9, "None", &format!("\"\"\"{}\"\"\"", secrets.pem()));
    version += 1;
    let id = change_of(&mut server, &uri, "load_key");
    let why =
        format!("Embed the signing key until the vault is ready; the old key {} was rotated.", secrets.aws);
    pairs.push(record(&mut server, &id, &why));
    // A skip, and a change left unexplained.
    let now = now.replacen("None", &format!("\"\"\"{}\"\"\"", secrets.pem()), 1);
    let third_line = now.lines().position(|l| l == "    return 3").unwrap();
    replace_on_line(&server, &uri, version, &now, third_line, "3", "33");
    version += 1;
    let id = change_of(&mut server, &uri, "third");
    skip(&mut server, &id);
    replace_on_line(&server, &uri, version, &now, third_line + 4, "4", "44");
    change_of(&mut server, &uri, "fourth");
    server.shutdown_and_exit();

    // Session ids start with the second the session started: a second later, bob's sorts after
    // alice's, and so do his rows.
    std::thread::sleep(Duration::from_millis(1100));
    let bob = dir.path().join("nested").join("bob");
    std::fs::create_dir_all(&bob).unwrap();
    let mut server = start(&bob, "bob@example.com");
    let uri = uri_of(&bob, "ui.js");
    server.did_open(&uri, "javascript", 1, UI);
    // Pasted into `render`.
    let pasted = format!("const slack = \"{}\";\n  return items.length;", secrets.slack);
    replace_on_line(&server, &uri, 2, UI, 1, "return items.length;", &pasted);
    let id = change_of(&mut server, &uri, "render");
    let why = format!("Post the count to the channel; billing uses {} for the same report.", secrets.stripe);
    pairs.push(record(&mut server, &id, &why));
    // Typed into `connect` (line 6 now): an API key and a URL with a password.
    let typed = format!(
        "const apiKey = \"{}\";\n  const db = \"mysql://app:{}@db.internal/app\";\n  const key = `{}`;\n  ",
        secrets.generic,
        secrets.url_password,
        secrets.typed_pem()
    );
    type_text(&server, &uri, 3, Pos::new(6, 2), &typed);
    let id = change_of(&mut server, &uri, "connect");
    pairs.push(record(&mut server, &id, "Connect with the service key so the dashboard loads real data."));
    server.shutdown_and_exit();

    // Verdicts, as the rationale/review request writes them: carol reviews alice's pairs, dave
    // bob's first (and changes his mind).
    let verdicts = |folder: &Path, reviewer: &str, lines: &[(&str, &str, &str)]| {
        let dir = folder.join(".rationale/reviews");
        std::fs::create_dir_all(&dir).unwrap();
        let text: String = lines
            .iter()
            .map(|(ts, pair, verdict)| {
                json!({"ts": ts, "reviewer": reviewer, "pair": pair, "verdict": verdict}).to_string() + "\n"
            })
            .collect();
        std::fs::write(dir.join(format!("{reviewer}.jsonl")), text).unwrap();
    };
    verdicts(
        &alice,
        "carol",
        &[
            ("2026-01-01T00:00:00.000Z", &pairs[0], "accept"),
            ("2026-01-01T00:00:01.000Z", &pairs[1], "reject"),
        ],
    );
    verdicts(
        &bob,
        "dave",
        &[("2026-01-01T00:00:00.000Z", &pairs[2], "reject"), ("2026-01-01T00:00:05.000Z", &pairs[2], "flag")],
    );
    Team { dir, secrets, pairs }
}

#[test]
fn jsonl_rows_are_complete_stable_deduplicated_and_redacted() {
    let team = team();
    let root = team.root().display().to_string();
    let out = team.out("all.jsonl");
    let (rows, text, stderr) = team.export_ok(&[&root, "--out", &out]);

    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, team.pairs, "one row per pair, in session and record order");
    let first = &rows[0];
    for field in [
        "id",
        "session",
        "author",
        "workspace",
        "language",
        "path",
        "unit",
        "change",
        "kind",
        "before",
        "after",
        "diff",
        "rationale",
        "explained_at",
        "edits_from",
        "edits_to",
        "edits",
        "prompted_at",
        "via",
        "group",
        "editor",
        "review",
    ] {
        assert!(first.get(field).is_some(), "{field} missing: {first}");
    }
    assert!(first.get("file_before").is_none(), "files only with --with-files");
    assert_eq!(first["author"], "alice@example.com");
    assert_eq!(first["workspace"], "alice");
    assert_eq!(first["language"], "python");
    assert_eq!(first["path"], "app.py");
    assert_eq!(first["unit"], json!({"name": "helper", "kind": "function", "previous_name": null}));
    assert_eq!(first["kind"], "modified");
    assert_eq!(first["before"], "def helper():\n    return 1");
    assert_eq!(first["after"], "def helper():\n    token = \"<redacted:github-pat>\"\n    return 1");
    let diff = first["diff"].as_str().unwrap();
    assert!(diff.starts_with("--- a/app.py\n+++ b/app.py\n@@ -1,2 +1,3 @@\n def helper():\n"), "{diff}");
    assert!(diff.contains("\n+    token = \"<redacted:github-pat>\"\n"), "{diff}");
    assert!(first["rationale"]
        .as_str()
        .unwrap()
        .contains("postgres://svc:<redacted:url-password>@db.internal/app"));
    assert!(first["edits"].as_u64().unwrap() >= 10, "{first}");
    assert_eq!(first["review"], json!({"verdict": "accept", "reviewer": "carol", "note": null}));
    assert_eq!(first["editor"]["name"].as_str().map(|n| !n.is_empty()), Some(true), "{first}");
    assert!(rows[1]["after"].as_str().unwrap().contains("<redacted:"), "{}", rows[1]["after"]);
    assert!(rows[1]["rationale"].as_str().unwrap().contains("<redacted:aws-access-token>"));
    assert_eq!(rows[2]["review"]["verdict"], "flag", "the reviewer's latest verdict stands");
    assert_eq!(rows[2]["language"], "javascript");
    assert!(rows[3]["review"].is_null());
    team.secrets.assert_absent(&text, "jsonl");
    for rule in [
        "github-pat",
        "url-password",
        "aws-access-token",
        "slack-bot-token",
        "stripe-access-token",
        "generic-api-key",
    ] {
        assert!(text.contains(&format!("<redacted:{rule}>")), "{rule} not redacted:\n{text}");
        assert!(stderr.contains(&format!("  {rule}: ")), "no count for {rule}: {stderr}");
    }
    assert!(
        text.contains("<redacted:private-key") || text.contains("<redacted:private-key-block>"),
        "{text}"
    );
    assert!(stderr.contains("Exported 4 pairs from 2 journals in 2 workspaces"), "{stderr}");
    assert!(!stderr.contains("exporting"), "no progress bar when stderr is not a terminal: {stderr}");

    // The same input gives the same bytes: again, from the workspaces named one by one (and one
    // twice), and on standard output.
    let again = team.out("again.jsonl");
    let alice = team.folder("alice").display().to_string();
    let bob = team.folder("nested/bob").display().to_string();
    let (_, text2, _) = team.export_ok(&[&bob, &alice, &root, "--out", &again]);
    assert_eq!(text2, text);
    let (_, text3, _) = team.export_ok(&[&root, "--out", "-"]);
    assert_eq!(text3, text);
    let leftovers: Vec<_> = std::fs::read_dir(team.root())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");

    // The planted secrets are really there: --no-redact shows them.
    let (_, raw, stderr) =
        team.export_ok(&[&root, "--out", "-", "--no-redact", "--with-files", "--format", "edits"]);
    for (needle, name) in team.secrets.needles() {
        assert!(raw.contains(&needle), "the {name} was not planted");
    }
    assert!(stderr.contains("--no-redact"), "{stderr}");
}

#[test]
fn edits_commitpack_and_whole_files_are_redacted_too() {
    let team = team();
    let root = team.root().display().to_string();

    let (rows, text, _) = team.export_ok(&[&root, "--out", "-", "--format", "edits", "--with-files"]);
    team.secrets.assert_absent(&text, "edits");
    assert_eq!(rows.len(), 4);
    let typed = &rows[0];
    assert_eq!(typed["before"], "def helper():\n    return 1");
    let history = typed["edit_history"].as_array().unwrap();
    assert!(history.len() >= 2, "typing gives several steps: {history:?}");
    let mut last_ts = String::new();
    for step in history {
        let ts = step["ts"].as_str().unwrap().to_owned();
        assert!(ts >= last_ts, "steps in order: {history:?}");
        last_ts = ts;
        assert!(step["diff"].as_str().unwrap().starts_with("@@ "), "{step}");
    }
    let last = history.last().unwrap()["diff"].as_str().unwrap();
    assert!(last.contains("<redacted:github-pat>"), "{last}");
    assert!(typed["after"].as_str().unwrap().contains("<redacted:github-pat>"));
    assert_eq!(typed["file_before"], APP, "the document before the change's first edit");
    assert!(typed["file_after"]
        .as_str()
        .unwrap()
        .contains("    token = \"<redacted:github-pat>\"\n    return 1\n"));
    assert!(typed["rationale"].as_str().unwrap().contains("<redacted:url-password>"));
    let pasted = &rows[2];
    assert_eq!(pasted["edit_history"].as_array().unwrap().len(), 1, "{pasted}");
    assert!(rows[3]["edit_history"].as_array().unwrap().len() >= 2);

    let (rows, text, _) = team.export_ok(&[&root, "--out", "-", "--format", "commitpack"]);
    team.secrets.assert_absent(&text, "commitpack");
    let columns = [
        "commit",
        "old_file",
        "new_file",
        "old_contents",
        "new_contents",
        "subject",
        "message",
        "lang",
        "license",
        "repos",
        // Not CommitPackFT's: every format carries the pair's quality signals, last here.
        "quality",
    ];
    let mut keys: Vec<&str> = rows[0].as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut sorted = columns.to_vec();
    sorted.sort_unstable();
    assert_eq!(keys, sorted, "CommitPackFT's columns and `quality`, no others");
    let order: Vec<usize> = columns.iter().map(|c| text.find(&format!("\"{c}\":")).unwrap()).collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "in CommitPackFT's order: {}",
        text.lines().next().unwrap()
    );
    assert_eq!(rows[0]["commit"], team.pairs[0].as_str());
    assert_eq!(rows[0]["old_contents"], APP);
    assert_eq!(rows[0]["lang"], "Python");
    assert_eq!(rows[2]["lang"], "JavaScript");
    assert_eq!(rows[2]["repos"], "bob");
    assert!(rows[1]["new_contents"]
        .as_str()
        .unwrap()
        .contains("def load_key():\n    return \"\"\"<redacted:"));

    let (rows, text, _) = team.export_ok(&[&root, "--out", "-", "--with-files"]);
    team.secrets.assert_absent(&text, "jsonl --with-files");
    assert_eq!(rows[2]["file_before"], UI);
    assert!(rows[3]["file_after"].as_str().unwrap().contains("<redacted:generic-api-key>"));
}

#[test]
fn filters_select_pairs() {
    let team = team();
    let root = team.root().display().to_string();
    let ids = |args: &[&str]| -> Vec<String> {
        let mut all = vec![root.as_str(), "--out", "-"];
        all.extend_from_slice(args);
        let (rows, _, _) = team.export_ok(&all);
        rows.iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect()
    };
    let p = &team.pairs;
    let sel = |ix: &[usize]| -> Vec<String> { ix.iter().map(|&i| p[i].clone()).collect() };
    assert_eq!(ids(&["--reviewed-only"]), sel(&[0, 1, 2]));
    assert_eq!(ids(&["--verdict", "accept"]), sel(&[0]));
    assert_eq!(ids(&["--verdict", "reject"]), sel(&[1]));
    assert_eq!(ids(&["--verdict", "flag"]), sel(&[2]), "dave's earlier reject no longer stands");
    assert_eq!(ids(&["--author", "bob@example.com"]), sel(&[2, 3]));
    assert_eq!(ids(&["--language", "python"]), sel(&[0, 1]));
    assert_eq!(ids(&["--language", "python", "--language", "javascript"]).len(), 4);
    assert_eq!(ids(&["--min-rationale-chars", "70"]), sel(&[0, 1, 2]));
    assert!(ids(&["--since", "2999-01-01"]).is_empty());
    assert!(ids(&["--until", "2000-01-01"]).is_empty());
    assert_eq!(ids(&["--since", "2000-01-01", "--until", "2999-12-31T00:00:00Z"]).len(), 4);

    let bad = team.export(&[&root, "--out", "-", "--verdict", "maybe"]);
    assert_eq!(bad.status.code(), Some(2), "{}", bad.describe());
    assert!(bad.stderr.contains("accept, reject or flag"), "{}", bad.describe());
    let bad = team.export(&[&root, "--out", "-", "--since", "last week"]);
    assert!(!bad.success() && bad.stderr.contains("not a date"), "{}", bad.describe());
    let nothing = tempfile::tempdir().unwrap();
    let none = team.export(&[&nothing.path().display().to_string(), "--out", "-"]);
    assert!(!none.success() && none.stderr.contains("no journals under"), "{}", none.describe());
}

#[test]
fn a_damaged_journal_stops_the_export_unless_keep_going() {
    let team = team();
    let root = team.root().display().to_string();
    // A third workspace whose journal is damaged on line 3, and a torn last line in alice's.
    let alice = Server::journal_paths_of(&team.folder("alice")).remove(0);
    let text = std::fs::read_to_string(&alice).unwrap();
    let carol = team.folder("carol/.rationale/sessions");
    std::fs::create_dir_all(&carol).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[2] = "{this is not json";
    let damaged = carol.join("20260101T000000Z-aaaaaa.jsonl");
    std::fs::write(&damaged, lines.join("\n") + "\n").unwrap();
    std::fs::write(&alice, text.clone() + "{\"seq\":99999,\"ts\":").unwrap();

    let out = team.out("out.jsonl");
    std::fs::write(&out, "previous export\n").unwrap();
    let failed = team.export(&[&root, "--out", &out]);
    assert_eq!(failed.status.code(), Some(1), "{}", failed.describe());
    assert!(
        failed.stderr.contains(&format!("{}:3: not a journal record", damaged.display())),
        "{}",
        failed.describe()
    );
    assert!(failed.stderr.contains("torn final line"), "{}", failed.describe());
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous export\n", "the old file stands");

    let kept = team.export(&[&root, "--out", &out, "--keep-going"]);
    assert_eq!(kept.status.code(), Some(1), "{}", kept.describe());
    let rows = std::fs::read_to_string(&out).unwrap();
    assert_eq!(rows.lines().count(), 4, "{}", kept.describe());
    assert!(kept.stderr.contains("1 journal could not be read"), "{}", kept.describe());

    // Without the damaged journal, a torn line is only a warning.
    std::fs::remove_file(&damaged).unwrap();
    let fine = team.export(&[&root, "--out", &out]);
    assert!(fine.success(), "{}", fine.describe());
    assert!(
        fine.stderr.contains("warning:") && fine.stderr.contains("torn final line"),
        "{}",
        fine.describe()
    );
}

#[test]
fn stats_count_pairs_skips_unexplained_changes_and_reviews() {
    let team = team();
    // The server wrote the change it still held before its `end` record.
    let journal = rationale_tests::Journal::only_one_in(&team.folder("alice"));
    let kinds: Vec<&str> = journal.records.iter().map(|r| r["type"].as_str().unwrap()).collect();
    let end = kinds.iter().position(|k| *k == "end").unwrap();
    assert_eq!(kinds[end - 1], "unexplained", "{kinds:?}");
    let unexplained = journal.of_type("unexplained");
    assert_eq!(unexplained.len(), 1);
    assert_eq!(unexplained[0]["unit"]["name"], "fourth");
    assert_eq!(unexplained[0]["path"], "app.py");
    assert_eq!(unexplained[0]["language"], "python");
    assert_eq!(unexplained[0]["kind"], "modified");
    assert!(unexplained[0]["change"].as_str().is_some());
    rationale_tests::journal::assert_verify_ok(&team.folder("alice"));

    let root = team.root().display().to_string();
    let out = run_cli(&["stats", &root, "--json"]);
    assert!(out.success(), "{}", out.describe());
    let stats: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(stats["workspaces"], 2);
    assert_eq!(stats["sessions"], 2);
    assert_eq!(stats["pairs"], 4);
    assert_eq!(stats["skips"], 1);
    assert_eq!(stats["unexplained"], 1);
    assert_eq!(stats["coverage"], json!(4.0 / 6.0));
    assert_eq!(stats["reviews"], json!({"accepted": 1, "rejected": 1, "flagged": 1, "unreviewed": 1}));
    assert!(stats["rationale_chars_median"].as_f64().unwrap() > 60.0, "{stats}");
    assert!(stats["rationale_chars_p10"].as_f64().unwrap() >= 60.0, "{stats}");
    assert!(stats["prompt_to_rationale_seconds_median"].as_f64().is_some(), "{stats}");
    let alice = &stats["by_author"]["alice@example.com"];
    assert_eq!(
        (alice["pairs"].as_u64(), alice["skips"].as_u64(), alice["unexplained"].as_u64()),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(alice["coverage"], json!(0.5));
    assert_eq!(stats["by_language"]["javascript"]["pairs"], 2);
    assert_eq!(stats["by_language"]["javascript"]["coverage"], json!(1.0));
    assert_eq!(stats["sessions_without_end"], 0);

    let table = run_cli(&["stats", &root]);
    assert!(table.success(), "{}", table.describe());
    assert!(table.stdout.contains("pairs 4, skips 1, unexplained 1, coverage 66.7%"), "{}", table.stdout);
    assert!(
        table.stdout.contains("reviews: 1 accepted, 1 rejected, 1 flagged, 1 unreviewed"),
        "{}",
        table.stdout
    );
    assert!(
        table.stdout.lines().any(|l| l.starts_with("alice@example.com") && l.contains("50.0%")),
        "{}",
        table.stdout
    );
    assert!(table.stdout.lines().any(|l| l.starts_with("javascript")), "{}", table.stdout);
}

/// The first 32 hex digits of the SHA-256 of `bytes`: a journal's chain.
fn chain_of(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Lines with their `seq` rewritten 0, 1, 2, ... (as someone covering their tracks would), joined.
fn renumbered(lines: &[String]) -> String {
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let rest = line.strip_prefix("{\"seq\":").unwrap();
            let comma = rest.find(',').unwrap();
            format!("{{\"seq\":{i}{}\n", &rest[comma..])
        })
        .collect()
}

fn is_chained_line(line: &str) -> bool {
    ["save", "rationale", "skip", "unexplained", "end"]
        .iter()
        .any(|kind| line.contains(&format!("\"type\":\"{kind}\"")))
}

#[test]
fn the_chain_finds_a_line_edited_removed_inserted_or_moved_and_export_refuses_the_journal() {
    let team = team();
    let alice = team.folder("alice");
    let path = Server::journal_paths_of(&alice).remove(0);
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();

    // As written: every record of the chained types carries the hash of every byte before it,
    // and no other record carries one.
    let mut offset = 0;
    for line in &lines {
        let record: Value = serde_json::from_str(line).unwrap();
        if is_chained_line(line) {
            assert_eq!(record["chain"], chain_of(&text.as_bytes()[..offset]), "{line}");
        } else {
            assert!(record.get("chain").is_none(), "{line}");
        }
        offset += line.len() + 1;
    }
    let verified = rationale_tests::journal::verify(&alice);
    assert!(verified.success(), "{}", verified.describe());
    assert!(verified.stdout.contains("records carry a chain, the last on line"), "{}", verified.describe());

    // The chain head per session, for the lab to keep: the hash of the whole journal.
    let stats = run_cli(&["stats", &alice.display().to_string(), "--json"]);
    let stats: Value = serde_json::from_str(&stats.stdout).unwrap();
    let chains = stats["chains"].as_array().unwrap();
    assert_eq!(chains.len(), 1, "{stats}");
    assert_eq!(chains[0]["head"], chain_of(text.as_bytes()));
    assert_eq!(
        chains[0]["session"],
        lines[0].split("\"session\":\"").nth(1).unwrap().split('"').next().unwrap()
    );
    assert_eq!(chains[0]["chained_records"], lines.iter().filter(|l| is_chained_line(l)).count());

    let rationales: Vec<usize> =
        (0..lines.len()).filter(|&i| lines[i].contains("\"type\":\"rationale\"")).collect();
    let (first, second) = (rationales[0], rationales[1]);
    let next_chained =
        |lines: &[String], from: usize| (from..lines.len()).find(|&i| is_chained_line(&lines[i])).unwrap();

    let mut edited = lines.clone();
    edited[first] =
        edited[first].replacen("The service now authenticates", "The service now authenticated", 1);
    assert_ne!(edited[first], lines[first]);
    let edited_at = next_chained(&edited, first + 1);

    let mut removed = lines.clone();
    removed.remove(second);
    let removed_at = next_chained(&removed, second);

    let mut inserted = lines.clone();
    inserted.insert(
        first + 1,
        lines[first].replacen("The service now authenticates", "Reviewed with the lead", 1),
    );
    let inserted_at = first + 1;

    let mut moved = lines.clone();
    assert!(!is_chained_line(&moved[first + 1]));
    moved.swap(first, first + 1);
    let moved_at = first + 1;

    for (name, tampered, at) in [
        ("edited", edited, edited_at),
        ("removed", removed, removed_at),
        ("inserted", inserted, inserted_at),
        ("moved", moved, moved_at),
    ] {
        std::fs::write(&path, renumbered(&tampered)).unwrap();
        let verified = rationale_tests::journal::verify(&alice);
        assert_eq!(verified.status.code(), Some(1), "{name}: {}", verified.describe());
        let expected = format!("{}:{}: the chain breaks at this", path.display(), at + 1);
        assert!(verified.stdout.contains(&expected), "{name}: expected {expected}\n{}", verified.describe());

        let export = team.export(&[&team.root().display().to_string(), "--out", "-"]);
        assert_eq!(export.status.code(), Some(1), "{name}: {}", export.describe());
        assert!(export.stderr.contains(&expected), "{name}: {}", export.describe());
        assert!(export.stdout.is_empty(), "{name}: nothing is written");
        let kept = team.export(&[&team.root().display().to_string(), "--out", "-", "--keep-going"]);
        assert_eq!(kept.status.code(), Some(1), "{name}: {}", kept.describe());
        assert_eq!(kept.stdout.lines().count(), 2, "{name}: bob's pairs only\n{}", kept.describe());
    }

    // A `chain` of the wrong type, or not a hash, is damage at its line.
    for bad in [r#""chain":42"#, r#""chain":"not a hash""#] {
        let mut damaged = lines.clone();
        let chain = damaged[first].rfind(",\"chain\":").unwrap();
        damaged[first] = format!("{},{bad}}}", &damaged[first][..chain]);
        std::fs::write(&path, renumbered(&damaged)).unwrap();
        let verified = rationale_tests::journal::verify(&alice);
        assert_eq!(verified.status.code(), Some(1), "{bad}: {}", verified.describe());
        let expected = format!("{}:{}: not a journal record", path.display(), first + 1);
        assert!(verified.stdout.contains(&expected), "{bad}: {}", verified.describe());
    }

    // A journal written before the chain (no record carries one) verifies and exports as before,
    // reported as unchained.
    let unchained: Vec<String> = lines
        .iter()
        .map(|line| match line.rfind(",\"chain\":\"") {
            Some(at) => format!("{}}}", &line[..at]),
            None => line.clone(),
        })
        .collect();
    std::fs::write(&path, renumbered(&unchained)).unwrap();
    let verified = rationale_tests::journal::verify(&alice);
    assert!(verified.success(), "{}", verified.describe());
    assert!(verified.stdout.contains("unchained: written before the chain"), "{}", verified.describe());
    let (rows, _, _) = team.export_ok(&[&team.root().display().to_string(), "--out", "-"]);
    assert_eq!(rows.len(), 4);
    let stats = run_cli(&["stats", &alice.display().to_string(), "--json"]);
    let stats: Value = serde_json::from_str(&stats.stdout).unwrap();
    assert_eq!(stats["chains"][0]["chained_records"], 0);
    assert_eq!(stats["chains"][0]["head"], chain_of(renumbered(&unchained).as_bytes()));
}

/// A journal as a newer server writes it, made by hand: a `session` record, one `rationale`
/// record per `(text, before, after, quality)`, and the `end` record, chained.
fn handmade_journal(session: &str, author: &str, pairs: &[(&str, &str, &str, Option<Value>)]) -> String {
    let mut text = String::new();
    let mut push = |record: Value, chained: bool| {
        let mut line = record.to_string();
        if chained {
            line.pop();
            line += &format!(",\"chain\":\"{}\"}}", chain_of(text.as_bytes()));
        }
        text += &line;
        text.push('\n');
    };
    push(
        json!({"seq": 0, "ts": "2026-01-01T00:00:00.000Z", "type": "session", "schema": 1, "session": session,
               "server": {"name": "rationale", "version": "0.1.0"}, "client": {"name": "test", "version": null},
               "author": author, "workspace": "lab", "positionEncoding": "utf-16"}),
        false,
    );
    for (i, (why, before, after, quality)) in pairs.iter().enumerate() {
        let seq = i + 1;
        let mut record = json!({"seq": seq, "ts": format!("2026-01-01T00:00:{seq:02}.000Z"), "type": "rationale",
            "pair": format!("{session}:{seq}"), "change": format!("c.{seq}"), "path": "app.py", "language": "python",
            "unit": {"name": format!("f{seq}"), "kind": "function"}, "kind": "modified", "before": before,
            "after": after, "text": why, "editsFrom": null, "editsTo": null, "edits": 1, "promptedAt": null,
            "version": seq, "via": "command", "group": null});
        if let Some(quality) = quality {
            record["quality"] = quality.clone();
        }
        push(record, true);
    }
    push(
        json!({"seq": pairs.len() + 1, "ts": "2026-01-01T00:01:00.000Z", "type": "end", "reason": "shutdown"}),
        true,
    );
    text
}

const CACHED: &str = "Return the cached value so repeated lookups stop hitting the database.";

/// Two authors' sessions in one workspace (ann's first), made by hand so that each flag is there:
/// ann's pairs have none (a quality recorded with the times), `generic` and `no_why` ("wip"), and
/// `restates_diff` and `no_why`; ben's repeat ann's first (recorded as a duplicate of something
/// else, with times) and have none. Three reviewers' verdicts.
fn lab() -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::Builder::new().prefix("rationale-quality-").tempdir().unwrap();
    let sessions = dir.path().join("lab/.rationale/sessions");
    std::fs::create_dir_all(&sessions).unwrap();
    let recorded = |typed: f64, compose: u64, edit: f64, flags: &[&str], duplicate: Option<&str>| {
        json!({"compose_ms": compose, "duplicate_of": duplicate, "edit_seconds": edit, "flags": flags,
               "generic": 0.1, "largest_insert": 12, "no_why": 0.4, "restates_diff": 0.0, "typed_share": typed})
    };
    let (a, b) = ("20260101T000000Z-aaaaaa", "20260102T000000Z-bbbbbb");
    let ann = handmade_journal(
        a,
        "ann@example.com",
        &[
            (
                CACHED,
                "def f1():\n    return db()\n",
                "def f1():\n    return cache()\n",
                Some(recorded(0.9, 12_000, 30.0, &[], None)),
            ),
            ("wip", "def f2():\n    pass\n", "def f2():\n    return 2\n", None),
            (
                "total now returns count plus 1",
                "def total(count):\n    return count\n",
                "def total(count):\n    return count + 1\n",
                None,
            ),
        ],
    );
    let ben = handmade_journal(
        b,
        "ben@example.com",
        &[
            (
                "return the cached value, so repeated lookups stop hitting the database",
                "def g():\n    return db()\n",
                "def g():\n    return cache()\n",
                Some(recorded(0.3, 4_000, 10.0, &["duplicate"], Some("elsewhere:7"))),
            ),
            (
                "The cache kept stale entries after a reload, so readers saw old prices until the process restarted.",
                "def h():\n    pass\n",
                "def h():\n    reload()\n",
                None,
            ),
        ],
    );
    std::fs::write(sessions.join(format!("{a}.jsonl")), ann).unwrap();
    std::fs::write(sessions.join(format!("{b}.jsonl")), ben).unwrap();
    let ids: Vec<String> =
        [format!("{a}:1"), format!("{a}:2"), format!("{a}:3"), format!("{b}:1"), format!("{b}:2")].into();
    let reviews = dir.path().join("lab/.rationale/reviews");
    std::fs::create_dir_all(&reviews).unwrap();
    for (reviewer, verdicts) in [
        ("r1", vec![(0, "accept"), (1, "reject"), (2, "accept"), (3, "flag")]),
        ("r2", vec![(0, "accept"), (1, "reject"), (2, "reject"), (4, "accept")]),
        ("r3", vec![(0, "accept"), (4, "accept")]),
    ] {
        let text: String = verdicts
            .iter()
            .map(|(i, verdict)| {
                json!({"ts": "2026-01-02T00:00:00.000Z", "reviewer": reviewer, "pair": ids[*i], "verdict": verdict})
                    .to_string()
                    + "\n"
            })
            .collect();
        std::fs::write(reviews.join(format!("{reviewer}.jsonl")), text).unwrap();
    }
    (dir, ids)
}

fn export_rows(root: &Path, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["export".to_owned(), root.display().to_string(), "--out".into(), "-".into()];
    all.extend(args.iter().map(|a| a.to_string()));
    let out = run_cli(&all);
    assert!(out.success(), "{}", out.describe());
    out.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn every_export_format_carries_quality_and_the_quality_filters_select_pairs() {
    let (dir, ids) = lab();
    let root = dir.path();
    rationale_tests::journal::assert_verify_ok(&root.join("lab"));
    let flags = |row: &Value| -> Vec<String> {
        row["quality"]["flags"].as_array().unwrap().iter().map(|f| f.as_str().unwrap().to_owned()).collect()
    };
    for format in ["jsonl", "commitpack", "edits"] {
        let rows = export_rows(root, &["--format", format]);
        assert_eq!(rows.len(), 5, "{format}");
        let quality = &rows[0]["quality"];
        let keys: Vec<&str> = quality.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "compose_ms",
                "duplicate_of",
                "edit_seconds",
                "flags",
                "generic",
                "largest_insert",
                "no_why",
                "restates_diff",
                "typed_share"
            ],
            "{format}"
        );
        // Recorded with the pair: kept as the record says.
        assert_eq!(
            (quality["typed_share"].as_f64(), quality["compose_ms"].as_u64()),
            (Some(0.9), Some(12_000))
        );
        let all: Vec<Vec<String>> = rows.iter().map(flags).collect();
        assert_eq!(
            all,
            [vec![], vec!["generic", "no_why"], vec!["restates_diff", "no_why"], vec!["duplicate"], vec![]],
            "{format}"
        );
        // Computed for a record without quality: the text signals, times unknown.
        assert_eq!(rows[1]["quality"]["typed_share"], Value::Null);
        assert_eq!(rows[1]["quality"]["generic"], json!(1.0));
        assert!(rows[2]["quality"]["restates_diff"].as_f64().unwrap() >= 0.6);
        // Duplicates are found among the pairs exported, replacing what the record said.
        assert_eq!(rows[3]["quality"]["duplicate_of"], json!(ids[0]), "{format}");
        assert_eq!(rows[0]["quality"]["duplicate_of"], Value::Null);
    }

    let ids_of = |args: &[&str]| -> Vec<String> {
        export_rows(root, args).iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect()
    };
    let sel = |ix: &[usize]| -> Vec<String> { ix.iter().map(|&i| ids[i].clone()).collect() };
    assert_eq!(ids_of(&["--exclude-flag", "generic"]), sel(&[0, 2, 3, 4]));
    assert_eq!(ids_of(&["--exclude-flag", "no_why"]), sel(&[0, 3, 4]));
    assert_eq!(ids_of(&["--exclude-flag", "restates_diff"]), sel(&[0, 1, 3, 4]));
    assert_eq!(ids_of(&["--exclude-flag", "duplicate"]), sel(&[0, 1, 2, 4]));
    assert_eq!(ids_of(&["--exclude-flag", "generic", "--exclude-flag", "duplicate"]), sel(&[0, 2, 4]));
    assert_eq!(ids_of(&["--min-typed-share", "0.5"]), sel(&[0]), "unknown typing is left out");
    assert_eq!(ids_of(&["--min-typed-share", "0.3"]), sel(&[0, 3]));
    // Only a pair that every one of its reviewers (two or more) judged alike.
    assert_eq!(ids_of(&["--agreed-only"]), sel(&[0, 1, 4]));
    // Without ann's first pair, ben's repeats nothing that is exported.
    let rows = export_rows(root, &["--author", "ben@example.com"]);
    assert_eq!(rows[0]["quality"]["duplicate_of"], Value::Null);
    assert_eq!(flags(&rows[0]), Vec::<String>::new());

    for bad in [["--min-typed-share", "2"], ["--exclude-flag", "vague"]] {
        let out = run_cli(&["export", &root.display().to_string(), "--out", "-", bad[0], bad[1]]);
        assert_eq!(out.status.code(), Some(2), "{}", out.describe());
        assert!(out.stderr.contains(bad[1]), "{}", out.describe());
    }
}

#[test]
fn stats_give_the_flags_medians_authors_most_flagged_first_and_reviewer_agreement() {
    let (dir, _) = lab();
    let root = dir.path().display().to_string();
    let out = run_cli(&["stats", &root, "--json"]);
    assert!(out.success(), "{}", out.describe());
    let stats: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(stats["pairs"], 5);
    assert_eq!(stats["flagged"], json!(0.6));
    assert_eq!(
        stats["flags"],
        json!({"generic": 0.2, "restates_diff": 0.2, "no_why": 0.4, "duplicate": 0.2})
    );
    assert_eq!(stats["duplicates"], 1);
    assert_eq!(stats["typed_share_median"], json!(0.6));
    assert_eq!(stats["compose_ms_median"], json!(8000.0));
    assert_eq!(stats["edit_seconds_median"], json!(20.0));
    let ann = &stats["by_author"]["ann@example.com"];
    assert_eq!((ann["pairs"].as_u64(), ann["flagged"].as_f64()), (Some(3), Some(2.0 / 3.0)));
    assert_eq!(ann["typed_share_median"], json!(0.9));
    let ben = &stats["by_author"]["ben@example.com"];
    assert_eq!((ben["flagged"].as_f64(), ben["duplicates"].as_u64()), (Some(0.5), Some(1)));

    // Pairs judged by two or more reviewers: the first (all accept), the second (both reject),
    // the third (accept, reject) and the fifth (both accept). Alpha worked by hand: coincidences
    // accept-accept 5, reject-reject 2, accept-reject 1 each way; n = 9, n(accept) = 6,
    // n(reject) = 3; alpha = 1 - 8 * 2 / (81 - 36 - 9) = 0.556.
    let agreement = &stats["agreement"];
    assert_eq!((agreement["pairs"].as_u64(), agreement["percent"].as_f64()), (Some(4), Some(75.0)));
    assert!((agreement["alpha"].as_f64().unwrap() - (1.0 - 16.0 / 36.0)).abs() < 1e-9, "{agreement}");
    let between = agreement["between"].as_array().unwrap();
    let r1_r2 = between.iter().find(|b| b["reviewers"] == json!(["r1", "r2"])).unwrap();
    assert_eq!(r1_r2["pairs"], 3);
    assert!((r1_r2["percent"].as_f64().unwrap() - 200.0 / 3.0).abs() < 1e-9);
    assert!((r1_r2["alpha"].as_f64().unwrap() - (1.0 - 10.0 / 18.0)).abs() < 1e-9, "{r1_r2}");
    let r2_r3 = between.iter().find(|b| b["reviewers"] == json!(["r2", "r3"])).unwrap();
    assert_eq!((r2_r3["pairs"].as_u64(), r2_r3["percent"].as_f64()), (Some(2), Some(100.0)));
    assert_eq!(r2_r3["alpha"], Value::Null, "always the same verdict: alpha is undefined");
    assert_eq!(stats["chains"].as_array().unwrap().len(), 2);

    let table = run_cli(&["stats", &root]);
    assert!(table.success(), "{}", table.describe());
    assert!(
        table.stdout.contains("quality: 60.0% flagged (generic 20.0%, restates_diff 20.0%, no_why 40.0%, duplicate 20.0%: 1 duplicate)"),
        "{}",
        table.stdout
    );
    assert!(
        table.stdout.contains("agreement: 4 pairs judged by two or more reviewers, 75.0% agree, alpha 0.556"),
        "{}",
        table.stdout
    );
    assert!(table.stdout.contains("  r1 and r2: 3 pairs, 66.7% agree, alpha 0.444"), "{}", table.stdout);

    let by_author = run_cli(&["stats", &root, "--by-author"]);
    assert!(by_author.success(), "{}", by_author.describe());
    let lines: Vec<&str> = by_author.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "a header and one line per author:\n{}", by_author.stdout);
    assert!(lines[0].starts_with("author") && lines[0].contains("flagged"), "{}", by_author.stdout);
    assert!(lines[1].starts_with("ann@example.com") && lines[1].contains("66.7%"), "{}", by_author.stdout);
    assert!(lines[2].starts_with("ben@example.com") && lines[2].contains("50.0%"), "{}", by_author.stdout);
    let json_authors = run_cli(&["stats", &root, "--by-author", "--json"]);
    let authors: Value = serde_json::from_str(&json_authors.stdout).unwrap();
    assert_eq!(authors[0]["author"], "ann@example.com");
    assert_eq!(authors[1]["author"], "ben@example.com");
}
