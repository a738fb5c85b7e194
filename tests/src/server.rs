//! One running `rationale lsp` and the temporary workspace it serves.
//!
//! A reader thread takes every message the server writes to stdout (Content-Length framing) and
//! files it: responses by id, notifications in arrival order. Requests the server sends to the
//! client (`workspace/configuration`, `client/registerCapability`,
//! `window/workDoneProgress/create`, `workspace/applyEdit`, ...) are answered at once with a
//! null result (an array of nulls for `workspace/configuration`, `{"applied": true}` for
//! `workspace/applyEdit`), so nothing waits on us; except the methods a test holds
//! ([`ServerOptions::held_requests`]), which it takes with [`Server::wait_server_request`] and
//! answers itself with [`Server::respond`], as a real editor would (applying an edit, say, and
//! sending the `didChange` before the answer).
//! A second thread keeps the server's stderr, which failure messages quote.
//!
//! Dropping a [`Server`] kills the process if it still runs and removes the workspace.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::journal::Journal;
use crate::model::{Change, Encoding};

/// How long a request may take before the test fails (generous: CI runs two test binaries'
/// threads on two cores).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// An error response: `code`, `message` (and `data`, if any).
#[derive(Clone, Debug, PartialEq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
}

impl std::fmt::Display for RpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "error {}: {}", self.code, self.message)
    }
}

/// How to start and initialize a server.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// Arguments after the binary; `["lsp"]` by default.
    pub args: Vec<String>,
    /// The names of the workspace folders to create and announce (the first is [`Server::root`]).
    pub folders: Vec<String>,
    /// `capabilities.general.positionEncodings` as offered; `None` leaves the field out.
    pub position_encodings: Option<Vec<String>>,
    pub initialization_options: Option<Value>,
    /// Extra environment for the server.
    pub env: Vec<(String, String)>,
    /// Requests from the server (by method) that the test answers itself.
    pub held_requests: Vec<String>,
    /// Merged over the client capabilities this harness announces (`null` removes a key).
    pub capabilities: Option<Value>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            args: vec!["lsp".into()],
            folders: vec!["proj".into()],
            position_encodings: Some(vec!["utf-8".into(), "utf-16".into()]),
            initialization_options: None,
            env: Vec::new(),
            held_requests: Vec::new(),
            capabilities: None,
        }
    }
}

impl ServerOptions {
    /// Options whose negotiation should end in `encoding`: UTF-8 is offered (first) only when
    /// wanted, UTF-16 is what a client that offers nothing gets.
    pub fn with_encoding(encoding: Encoding) -> Self {
        let offered = match encoding {
            Encoding::Utf8 => vec!["utf-8".to_string(), "utf-16".to_string()],
            Encoding::Utf16 => vec!["utf-16".to_string()],
        };
        Self { position_encodings: Some(offered), ..Self::default() }
    }
}

#[derive(Default)]
struct Inbox {
    /// Responses by the JSON text of their id (`1`, `"a"`, `null`).
    responses: HashMap<String, Vec<Value>>,
    /// Notifications from the server, in arrival order, not yet taken.
    notifications: Vec<Value>,
    /// Requests from the server, in arrival order (already answered, unless held).
    server_requests: Vec<Value>,
    /// Held requests from the server not yet taken by the test.
    held: Vec<Value>,
    /// Bytes on stdout that were not a well-framed JSON message.
    garbage: Vec<String>,
    /// The server closed its stdout.
    eof: bool,
    stderr: Vec<u8>,
    /// The server closed its stderr.
    stderr_eof: bool,
}

struct Shared {
    inbox: Mutex<Inbox>,
    changed: Condvar,
}

pub struct Server {
    child: Child,
    stdin: Arc<Mutex<Option<ChildStdin>>>,
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
    next_id: i64,
    /// The temporary directory that holds the workspace folders.
    pub dir: tempfile::TempDir,
    /// The workspace folders, in the order announced.
    pub folders: Vec<PathBuf>,
    /// The encoding the server chose in `initialize`, once initialized.
    pub encoding: Option<Encoding>,
    /// The `initialize` result, once initialized.
    pub init_result: Option<Value>,
    pub options: ServerOptions,
    /// The exit status, once the process was reaped.
    exit_status: Mutex<Option<ExitStatus>>,
}

/// A `file://` URI for an absolute path, percent-encoding what a URI path may not hold.
pub fn file_uri(path: &Path) -> String {
    let mut uri = String::from("file://");
    for &b in path.to_str().expect("test paths are UTF-8").as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => uri.push(b as char),
            _ => uri.push_str(&format!("%{b:02X}")),
        }
    }
    uri
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut bytes = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

impl Server {
    /// Starts the server on a new temporary workspace, without initializing it.
    pub fn spawn(options: ServerOptions) -> Self {
        let mut dir = tempfile::Builder::new()
            .prefix("rationale-test-")
            .tempdir()
            .expect("creating a temporary directory");
        if std::env::var_os("RATIONALE_TEST_KEEP").is_some() {
            // For looking at a failing case's journal afterwards.
            dir.disable_cleanup(true);
            eprintln!("keeping the workspace {}", dir.path().display());
        }
        let folders: Vec<PathBuf> = options.folders.iter().map(|f| dir.path().join(f)).collect();
        for folder in &folders {
            std::fs::create_dir_all(folder).expect("creating a workspace folder");
        }
        Self::spawn_in(options, dir, folders)
    }

    /// Starts and initializes a server on existing workspace folders (another server's, say:
    /// two editor windows on one folder). The folders are not removed when it is dropped.
    pub fn start_on(folders: Vec<PathBuf>, options: ServerOptions) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("rationale-test-")
            .tempdir()
            .expect("creating a temporary directory");
        let mut server = Self::spawn_in(options, dir, folders);
        server.initialize();
        server
    }

    fn spawn_in(options: ServerOptions, dir: tempfile::TempDir, folders: Vec<PathBuf>) -> Self {
        let bin = crate::binary::path();
        let mut command = Command::new(bin);
        command
            .args(&options.args)
            .current_dir(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("RATIONALE_AUTHOR", "tests@rationale.invalid")
            // Every incremental update of a document's units is checked against a fresh
            // extraction: the server panics (and the test fails) on the first that differs.
            .env("RATIONALE_CHECK_UNITS", "1")
            .env_remove("RUST_LOG");
        for (k, v) in &options.env {
            command.env(k, v);
        }
        let mut child = command.spawn().unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
        let stdin = Arc::new(Mutex::new(child.stdin.take()));
        let shared = Arc::new(Shared { inbox: Mutex::new(Inbox::default()), changed: Condvar::new() });

        // Replies to the server's requests go through their own thread, so that the reader never
        // waits on stdin while the test writes a large message (which could deadlock both pipes).
        let (replies, to_reply) = std::sync::mpsc::channel::<Vec<u8>>();
        let replier = {
            let stdin = stdin.clone();
            std::thread::spawn(move || {
                for bytes in to_reply {
                    if let Some(stdin) = stdin.lock().unwrap().as_mut() {
                        let _ = stdin.write_all(&bytes).and_then(|_| stdin.flush());
                    }
                }
            })
        };
        let stdout = child.stdout.take().expect("piped stdout");
        let reader = {
            let shared = shared.clone();
            let held = options.held_requests.clone();
            std::thread::spawn(move || read_messages(stdout, shared, replies, held))
        };
        let stderr = child.stderr.take().expect("piped stderr");
        let errors = {
            let shared = shared.clone();
            std::thread::spawn(move || {
                let mut stderr = stderr;
                let mut buf = [0u8; 8192];
                loop {
                    match stderr.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            shared.inbox.lock().unwrap().stderr.extend_from_slice(&buf[..n]);
                            shared.changed.notify_all();
                        }
                    }
                }
                shared.inbox.lock().unwrap().stderr_eof = true;
                shared.changed.notify_all();
            })
        };
        Server {
            child,
            stdin,
            shared,
            threads: vec![reader, errors, replier],
            next_id: 1,
            dir,
            folders,
            encoding: None,
            init_result: None,
            options,
            exit_status: Mutex::new(None),
        }
    }

    /// Starts and initializes a server (the `initialize` request, then `initialized`).
    pub fn start(options: ServerOptions) -> Self {
        let mut server = Self::spawn(options);
        server.initialize();
        server
    }

    /// Starts a server that negotiates `encoding`, on one workspace folder `proj`.
    pub fn with_encoding(encoding: Encoding) -> Self {
        let server = Self::start(ServerOptions::with_encoding(encoding));
        assert_eq!(
            server.encoding,
            Some(encoding),
            "the server did not choose the position encoding the client asked for"
        );
        server
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The first workspace folder.
    pub fn root(&self) -> &Path {
        &self.folders[0]
    }

    /// The `initialize` params this harness sends.
    pub fn initialize_params(&self) -> Value {
        let folders: Vec<Value> = self
            .folders
            .iter()
            .map(|f| json!({"uri": file_uri(f), "name": f.file_name().unwrap().to_str().unwrap()}))
            .collect();
        let mut general = json!({});
        if let Some(encodings) = &self.options.position_encodings {
            general["positionEncodings"] = json!(encodings);
        }
        let mut params = json!({
            "processId": std::process::id(),
            "clientInfo": {"name": "rationale-tests", "version": env!("CARGO_PKG_VERSION")},
            "rootUri": file_uri(self.root()),
            "workspaceFolders": folders,
            "capabilities": {
                "general": general,
                "workspace": {
                    "workspaceFolders": true,
                    "configuration": true,
                    "applyEdit": true,
                    "workspaceEdit": {"documentChanges": true},
                    "didChangeConfiguration": {"dynamicRegistration": true},
                },
                "textDocument": {
                    "synchronization": {"didSave": true, "dynamicRegistration": false},
                    "codeAction": {"codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["quickfix"]}}},
                    "publishDiagnostics": {"relatedInformation": true},
                },
                "window": {"workDoneProgress": true, "showMessage": {}, "showDocument": {"support": true}},
            },
        });
        if let Some(overrides) = &self.options.capabilities {
            merge(&mut params["capabilities"], overrides);
        }
        if let Some(init) = &self.options.initialization_options {
            params["initializationOptions"] = init.clone();
        }
        params
    }

    /// Sends `initialize` and `initialized`; records the result and the chosen encoding.
    pub fn initialize(&mut self) -> Value {
        let params = self.initialize_params();
        let result = self
            .request("initialize", params)
            .unwrap_or_else(|e| panic!("initialize failed: {e}{}", self.stderr_note()));
        let encoding = match result["capabilities"]["positionEncoding"].as_str() {
            Some("utf-8") => Encoding::Utf8,
            // LSP: "If omitted it defaults to 'utf-16'".
            Some("utf-16") | None => Encoding::Utf16,
            Some(other) => {
                panic!("the server chose position encoding {other:?}, which this client never offered")
            }
        };
        self.encoding = Some(encoding);
        self.init_result = Some(result.clone());
        self.notify("initialized", json!({}));
        result
    }

    pub fn encoding(&self) -> Encoding {
        self.encoding.expect("the server is not initialized")
    }

    // ----- writing -----

    /// Writes raw bytes to the server's stdin (for malformed input).
    pub fn write_raw(&self, bytes: &[u8]) -> io::Result<()> {
        let mut guard = self.stdin.lock().unwrap();
        let stdin =
            guard.as_mut().ok_or_else(|| io::Error::new(io::ErrorKind::BrokenPipe, "stdin was closed"))?;
        stdin.write_all(bytes)?;
        stdin.flush()
    }

    /// Frames and writes one message; an error if the server is gone.
    pub fn try_send(&self, message: &Value) -> io::Result<()> {
        let body = serde_json::to_vec(message).expect("serializing a message");
        self.write_raw(&frame(&body))
    }

    /// Frames and writes one message; fails the test if the server cannot take it.
    pub fn send(&self, message: &Value) {
        if let Err(e) = self.try_send(message) {
            panic!("writing to the server failed ({e}){}", self.stderr_note());
        }
    }

    pub fn notify(&self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns its id without waiting for the answer.
    pub fn send_request(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    /// Like [`Server::send_request`], but an error instead of a failed test when the server is
    /// gone (the crash test writes to a server it kills).
    pub fn try_send_request(&mut self, method: &str, params: Value) -> io::Result<i64> {
        let id = self.next_id;
        self.next_id += 1;
        self.try_send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))?;
        Ok(id)
    }

    /// Sends a request and waits for its answer.
    pub fn request(&mut self, method: &str, params: Value) -> Result<Value, RpcError> {
        let id = self.send_request(method, params);
        self.wait_response(id, DEFAULT_TIMEOUT).unwrap_or_else(|| {
            panic!("no answer to `{method}` (id {id}) within {DEFAULT_TIMEOUT:?}{}", self.stderr_note())
        })
    }

    /// Sends a request the server must answer with a result.
    pub fn request_ok(&mut self, method: &str, params: Value) -> Value {
        match self.request(method, params) {
            Ok(v) => v,
            Err(e) => panic!("`{method}` was refused: {e}{}", self.stderr_note()),
        }
    }

    // ----- reading -----

    fn wait_until<T>(&self, timeout: Duration, mut take: impl FnMut(&mut Inbox) -> Option<T>) -> Option<T> {
        let deadline = Instant::now() + timeout;
        let mut inbox = self.shared.inbox.lock().unwrap();
        loop {
            if let Some(value) = take(&mut inbox) {
                return Some(value);
            }
            let now = Instant::now();
            if now >= deadline || inbox.eof {
                // After end of output nothing more will come; one last look.
                return take(&mut inbox);
            }
            inbox = self.shared.changed.wait_timeout(inbox, deadline - now).unwrap().0;
        }
    }

    /// The whole response message with this id, when it comes.
    pub fn wait_response_message(&self, id: &Value, timeout: Duration) -> Option<Value> {
        let key = id.to_string();
        self.wait_until(timeout, |inbox| {
            let list = inbox.responses.get_mut(&key)?;
            if list.is_empty() {
                None
            } else {
                Some(list.remove(0))
            }
        })
    }

    /// The answer to request `id`: its result, or its error.
    pub fn wait_response(&self, id: i64, timeout: Duration) -> Option<Result<Value, RpcError>> {
        self.wait_response_message(&json!(id), timeout).map(|m| response_result(&m))
    }

    /// Whether the response to `id` has arrived (without taking it).
    pub fn has_response(&self, id: i64) -> bool {
        let inbox = self.shared.inbox.lock().unwrap();
        inbox.responses.get(&json!(id).to_string()).is_some_and(|l| !l.is_empty())
    }

    /// Every response with id `null` received so far (parse errors).
    pub fn null_id_responses(&self) -> Vec<Value> {
        let inbox = self.shared.inbox.lock().unwrap();
        inbox.responses.get("null").cloned().unwrap_or_default()
    }

    /// How many responses with this id arrived and were not taken yet (by `wait_response`).
    pub fn response_count(&self, id: i64) -> usize {
        let inbox = self.shared.inbox.lock().unwrap();
        inbox.responses.get(&json!(id).to_string()).map_or(0, |l| l.len())
    }

    /// The first notification `method` not yet taken, waiting up to `timeout`.
    pub fn wait_for_notification(&self, method: &str, timeout: Duration) -> Option<Value> {
        self.wait_until(timeout, |inbox| {
            let i = inbox.notifications.iter().position(|n| n["method"] == method)?;
            Some(inbox.notifications.remove(i))
        })
    }

    /// The diagnostics of the first `publishDiagnostics` for `uri` that satisfy `want`, waiting up
    /// to `timeout` (those for other documents, and those that do not satisfy it, are taken and
    /// passed over); panics, with the server's stderr, when none comes.
    pub fn wait_diagnostics(
        &self,
        uri: &str,
        timeout: Duration,
        want: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let deadline = std::time::Instant::now() + timeout;
        while std::time::Instant::now() < deadline {
            let Some(note) =
                self.wait_for_notification("textDocument/publishDiagnostics", Duration::from_millis(200))
            else {
                continue;
            };
            if note["params"]["uri"] == uri {
                let list = note["params"]["diagnostics"].as_array().cloned().unwrap_or_default();
                if want(&list) {
                    return list;
                }
            }
        }
        panic!("no diagnostics as wanted for {uri} within {timeout:?}{}", self.stderr_note());
    }

    /// Notifications received so far and not taken.
    pub fn notifications(&self) -> Vec<Value> {
        self.shared.inbox.lock().unwrap().notifications.clone()
    }

    /// The first held request `method` from the server not yet taken, waiting up to `timeout`.
    pub fn wait_server_request(&self, method: &str, timeout: Duration) -> Option<Value> {
        self.wait_until(timeout, |inbox| {
            let i = inbox.held.iter().position(|r| r["method"] == method)?;
            Some(inbox.held.remove(i))
        })
    }

    /// Answers a held request from the server.
    pub fn respond(&self, request: &Value, result: Value) {
        self.send(&json!({"jsonrpc": "2.0", "id": request["id"], "result": result}));
    }

    /// Requests the server sent to the client so far (each was answered, unless held).
    pub fn server_requests(&self) -> Vec<Value> {
        self.shared.inbox.lock().unwrap().server_requests.clone()
    }

    /// Output that was not a well-framed JSON-RPC message.
    pub fn garbage(&self) -> Vec<String> {
        self.shared.inbox.lock().unwrap().garbage.clone()
    }

    /// Waits until the server's stderr contains `needle` (stderr is read by its own thread, so
    /// a log line may arrive after the answer to a later request). True if it did.
    pub fn wait_stderr(&self, needle: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut inbox = self.shared.inbox.lock().unwrap();
        loop {
            if String::from_utf8_lossy(&inbox.stderr).contains(needle) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline || inbox.stderr_eof {
                return false;
            }
            inbox = self.shared.changed.wait_timeout(inbox, deadline - now).unwrap().0;
        }
    }

    /// Waits until both output streams are closed (after the process exited).
    fn wait_outputs_closed(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let mut inbox = self.shared.inbox.lock().unwrap();
        while !(inbox.eof && inbox.stderr_eof) {
            let now = Instant::now();
            if now >= deadline {
                return;
            }
            inbox = self.shared.changed.wait_timeout(inbox, deadline - now).unwrap().0;
        }
    }

    /// Everything the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.shared.inbox.lock().unwrap().stderr).into_owned()
    }

    /// The end of stderr, for failure messages.
    pub fn stderr_note(&self) -> String {
        let stderr = self.stderr();
        let tail: String = {
            let lines: Vec<&str> = stderr.lines().collect();
            lines[lines.len().saturating_sub(30)..].join("\n")
        };
        let status = match self.child_status() {
            Some(status) => format!("the server has exited ({status})"),
            None => "the server is still running".to_string(),
        };
        format!("\n  ({status}; last lines of its stderr:)\n{tail}")
    }

    fn child_status(&self) -> Option<ExitStatus> {
        if let Some(status) = *self.exit_status.lock().unwrap() {
            return Some(status);
        }
        // Not reaped yet: look with waitid(WNOWAIT), which leaves the child to `wait`.
        let pid = self.child.id() as libc::pid_t;
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let r = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            )
        };
        if r == 0 && unsafe { info.si_pid() } == pid {
            use std::os::unix::process::ExitStatusExt;
            let status = unsafe { info.si_status() };
            return Some(if info.si_code == libc::CLD_EXITED {
                ExitStatus::from_raw(status << 8)
            } else {
                ExitStatus::from_raw(status)
            });
        }
        None
    }

    // ----- the process -----

    /// Closes the server's stdin (end of input).
    pub fn close_stdin(&self) {
        self.stdin.lock().unwrap().take();
    }

    /// Waits for the process to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("waiting for the server") {
                *self.exit_status.lock().unwrap() = Some(status);
                // Let the reader threads see end of output.
                self.wait_outputs_closed(Duration::from_secs(5));
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Kills the server with SIGKILL and reaps it; then waits until all it wrote has been read.
    pub fn kill(&mut self) {
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGKILL);
        }
        if let Ok(status) = self.child.wait() {
            *self.exit_status.lock().unwrap() = Some(status);
        }
        self.wait_outputs_closed(Duration::from_secs(10));
    }

    /// `shutdown` (which must answer null), then `exit`; the process must exit with code 0.
    pub fn shutdown_and_exit(&mut self) {
        let result = self.request("shutdown", Value::Null);
        assert_eq!(result, Ok(Value::Null), "shutdown must answer null{}", self.stderr_note());
        self.notify("exit", Value::Null);
        let status = self
            .wait_exit(Duration::from_secs(10))
            .unwrap_or_else(|| panic!("the server did not exit within 10 s of `exit`{}", self.stderr_note()));
        assert_eq!(status.code(), Some(0), "exit after shutdown must exit with code 0{}", self.stderr_note());
    }

    // ----- documents -----

    /// The URI of a workspace-relative path in the first folder.
    pub fn uri(&self, rel: &str) -> String {
        file_uri(&self.root().join(rel))
    }

    pub fn did_open(&self, uri: &str, language: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": language, "version": version, "text": text}}),
        );
    }

    /// Opens a workspace-relative path of the first folder, version 1; returns its URI.
    pub fn open(&self, rel: &str, text: &str) -> String {
        let uri = self.uri(rel);
        let language = language_of(rel);
        self.did_open(&uri, language, 1, text);
        uri
    }

    pub fn did_change(&self, uri: &str, version: i64, changes: &[Change]) {
        let changes: Vec<Value> = changes.iter().map(Change::to_json).collect();
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": changes}),
        );
    }

    pub fn did_save(&self, uri: &str, text: &str) {
        self.notify("textDocument/didSave", json!({"textDocument": {"uri": uri}, "text": text}));
    }

    pub fn did_close(&self, uri: &str) {
        self.notify("textDocument/didClose", json!({"textDocument": {"uri": uri}}));
    }

    // ----- the journal -----

    /// The journals of a workspace folder (`.rationale/sessions/*.jsonl`), sorted.
    pub fn journal_paths_of(folder: &Path) -> Vec<PathBuf> {
        let dir = folder.join(".rationale").join("sessions");
        let mut paths: Vec<PathBuf> = match std::fs::read_dir(&dir) {
            Ok(entries) => entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
                .collect(),
            Err(_) => Vec::new(),
        };
        paths.sort();
        paths
    }

    /// The one journal of the first workspace folder, read now.
    pub fn journal(&self) -> Journal {
        Journal::only_one_in(self.root())
    }

    /// Waits until the first folder's journal satisfies `ready` (records reach the disk within
    /// 250 ms; this waits up to `timeout`) and returns it. Fails with the last journal seen.
    pub fn wait_journal(
        &self,
        timeout: Duration,
        what: &str,
        mut ready: impl FnMut(&Journal) -> bool,
    ) -> Journal {
        let deadline = Instant::now() + timeout;
        loop {
            let paths = Self::journal_paths_of(self.root());
            if paths.len() == 1 {
                if let Ok(journal) = Journal::read(&paths[0]) {
                    if ready(&journal) {
                        return journal;
                    }
                    if Instant::now() >= deadline {
                        panic!(
                            "the journal never showed {what} within {timeout:?}; it holds:\n{}",
                            journal.summary()
                        );
                    }
                }
            }
            if Instant::now() >= deadline {
                panic!("the journal never showed {what} within {timeout:?} (journals: {paths:?})");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The languageId an editor sends for a path.
pub fn language_of(path: &str) -> &'static str {
    let ext = path.rsplit('.').next().unwrap_or("");
    match ext {
        "py" | "pyi" => "python",
        "js" | "mjs" | "cjs" => "javascript",
        "jsx" => "javascriptreact",
        "ts" | "mts" | "cts" => "typescript",
        "tsx" => "typescriptreact",
        "go" => "go",
        "rs" => "rust",
        "md" => "markdown",
        _ => "plaintext",
    }
}

/// Merges `overrides` into `value`, key by key; a `null` removes the key.
fn merge(value: &mut Value, overrides: &Value) {
    let (Some(target), Some(overrides)) = (value.as_object_mut(), overrides.as_object()) else {
        *value = overrides.clone();
        return;
    };
    for (key, over) in overrides {
        match (target.get_mut(key), over) {
            (_, Value::Null) => {
                target.remove(key);
            }
            (Some(existing), Value::Object(_)) if existing.is_object() => merge(existing, over),
            _ => {
                target.insert(key.clone(), over.clone());
            }
        }
    }
}

/// A response message as `Ok(result)` or `Err(error)`.
pub fn response_result(message: &Value) -> Result<Value, RpcError> {
    if let Some(error) = message.get("error") {
        Err(RpcError {
            code: error["code"].as_i64().unwrap_or(i64::MIN),
            message: error["message"].as_str().unwrap_or("").to_string(),
            data: error.get("data").cloned(),
        })
    } else {
        Ok(message.get("result").cloned().unwrap_or(Value::Null))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.close_stdin();
        if let Ok(None) = self.child.try_wait() {
            unsafe {
                libc::kill(self.child.id() as libc::pid_t, libc::SIGKILL);
            }
        }
        let _ = self.child.wait();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// The reader thread: parses framed messages until end of output.
fn read_messages(
    stdout: impl Read,
    shared: Arc<Shared>,
    replies: std::sync::mpsc::Sender<Vec<u8>>,
    held: Vec<String>,
) {
    let mut reader = BufReader::with_capacity(1 << 16, stdout);
    loop {
        match read_one(&mut reader) {
            Ok(Some(body)) => file_message(&body, &shared, &replies, &held),
            Ok(None) => break,
            Err(problem) => {
                let mut inbox = shared.inbox.lock().unwrap();
                inbox.garbage.push(problem);
                shared.changed.notify_all();
            }
        }
    }
    let mut inbox = shared.inbox.lock().unwrap();
    inbox.eof = true;
    shared.changed.notify_all();
}

/// One message body; `Ok(None)` at end of output; `Err` for bad framing (the bytes are skipped).
fn read_one(reader: &mut impl BufRead) -> Result<Option<Vec<u8>>, String> {
    let mut length = None;
    let mut saw_any = false;
    loop {
        let mut line = Vec::new();
        let n = reader.read_until(b'\n', &mut line).map_err(|e| e.to_string())?;
        if n == 0 {
            return if saw_any { Err("end of output inside a header".into()) } else { Ok(None) };
        }
        saw_any = true;
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            break;
        }
        match text.split_once(':') {
            Some((name, value)) if name.eq_ignore_ascii_case("content-length") => {
                length =
                    Some(value.trim().parse::<usize>().map_err(|_| format!("bad header line {text:?}"))?);
            }
            Some(_) => {}
            None => return Err(format!("not a header line on stdout: {text:?}")),
        }
    }
    let length = length.ok_or("a message without Content-Length on stdout")?;
    let mut body = vec![0; length];
    reader.read_exact(&mut body).map_err(|e| format!("a truncated message: {e}"))?;
    Ok(Some(body))
}

fn file_message(body: &[u8], shared: &Shared, replies: &std::sync::mpsc::Sender<Vec<u8>>, held: &[String]) {
    let message: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            let mut inbox = shared.inbox.lock().unwrap();
            inbox.garbage.push(format!("a body that is not JSON ({e}): {}", String::from_utf8_lossy(body)));
            shared.changed.notify_all();
            return;
        }
    };
    let has_id = message.get("id").is_some();
    let method = message.get("method").and_then(Value::as_str).map(str::to_string);
    match (has_id, method) {
        (true, Some(method)) if held.contains(&method) => {
            let mut inbox = shared.inbox.lock().unwrap();
            inbox.server_requests.push(message.clone());
            inbox.held.push(message);
            shared.changed.notify_all();
        }
        (true, Some(method)) => {
            // A request to the client: answer it so the server never waits on us.
            let result = if method == "workspace/configuration" {
                let n = message["params"]["items"].as_array().map_or(0, |a| a.len());
                Value::Array(vec![Value::Null; n])
            } else if method == "workspace/applyEdit" {
                json!({"applied": true})
            } else {
                Value::Null
            };
            let reply = json!({"jsonrpc": "2.0", "id": message["id"], "result": result});
            let body = serde_json::to_vec(&reply).unwrap();
            let _ = replies.send(frame(&body));
            let mut inbox = shared.inbox.lock().unwrap();
            inbox.server_requests.push(message);
            shared.changed.notify_all();
        }
        (false, Some(_)) => {
            let mut inbox = shared.inbox.lock().unwrap();
            inbox.notifications.push(message);
            shared.changed.notify_all();
        }
        (true, None) => {
            let key = message["id"].to_string();
            let mut inbox = shared.inbox.lock().unwrap();
            inbox.responses.entry(key).or_default().push(message);
            shared.changed.notify_all();
        }
        (false, None) => {
            let mut inbox = shared.inbox.lock().unwrap();
            inbox.garbage.push(format!("a message with neither id nor method: {message}"));
            shared.changed.notify_all();
        }
    }
}
