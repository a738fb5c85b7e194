//! The real server over stdio as the benchmarks drive it, and the pinning of a benchmark and the
//! servers it starts to one CPU; shared by the `stdio` and `memory` benchmarks.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub struct Server {
    pub child: Child,
    pub stdin: ChildStdin,
    /// Read in the thread that asks, as an editor's event loop does: a reader thread handing
    /// messages over would add its own wake-up to every round trip.
    stdout: BufReader<ChildStdout>,
    next_id: i64,
}

/// What tells an answer from the rest, read without building the whole message.
#[derive(serde::Deserialize)]
struct Envelope {
    id: Option<Value>,
    method: Option<serde::de::IgnoredAny>,
}

impl Server {
    pub fn start(workspace: &Path) -> (Self, Duration) {
        let started = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_rationale"))
            .args(["lsp", "--stdio"])
            .env("RUST_LOG", "error")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting the server");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::with_capacity(1 << 20, child.stdout.take().unwrap());
        let mut server = Self { child, stdin, stdout, next_id: 1 };
        let folder = format!("file://{}", workspace.display());
        server.request(
            "initialize",
            json!({"capabilities": {}, "workspaceFolders": [{"uri": folder, "name": "bench"}]}),
        );
        let elapsed = started.elapsed();
        server.notify("initialized", json!({}));
        (server, elapsed)
    }

    /// The body of the server's next message.
    pub fn next_message(&mut self) -> Vec<u8> {
        let mut length = 0;
        loop {
            let mut line = String::new();
            assert!(self.stdout.read_line(&mut line).unwrap() > 0, "the server closed its output");
            if line == "\r\n" {
                break;
            }
            if let Some(value) = line.strip_prefix("Content-Length: ") {
                length = value.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        self.stdout.read_exact(&mut body).unwrap();
        body
    }

    pub fn frame(message: &Value) -> Vec<u8> {
        let body = serde_json::to_vec(message).unwrap();
        let mut frame = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        frame.extend_from_slice(&body);
        frame
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        let frame = Self::frame(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
        self.stdin.write_all(&frame).unwrap();
        self.stdin.flush().unwrap();
    }

    /// The body of the answer to a request, to parse once the clock is stopped.
    pub fn request(&mut self, method: &str, params: Value) -> Vec<u8> {
        let id = self.next_id;
        self.next_id += 1;
        let frame = Self::frame(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.stdin.write_all(&frame).unwrap();
        self.stdin.flush().unwrap();
        loop {
            let body = self.next_message();
            let envelope: Envelope = serde_json::from_slice(&body).unwrap();
            if envelope.id == Some(json!(id)) && envelope.method.is_none() {
                return body;
            }
        }
    }

    pub fn stop(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let _ = self.child.wait();
    }
}

/// Pins this process, and so every server it starts, to the CPU it runs on. The floor and the
/// server then run on the same CPU: on a shared virtual machine two CPUs can differ by 2× in
/// speed from one second to the next, and the ratios moved with whichever each process landed on
/// (jquery's fresh answer: 0.7× to 2.05× in nine runs of the same hour unpinned, 1.05× to 1.12×
/// in four runs pinned). `RATIONALE_BENCH_UNPINNED=1` leaves the processes free. `None` when pinning
/// failed or is not supported here.
pub fn pin_to_this_cpu() -> Option<usize> {
    #[cfg(target_os = "linux")]
    // SAFETY: plain system calls on this process's own affinity, made before any other thread
    // or child exists.
    unsafe {
        let cpu = usize::try_from(libc::sched_getcpu()).ok()?;
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        (libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0).then_some(cpu)
    }
    #[cfg(not(target_os = "linux"))]
    None
}
