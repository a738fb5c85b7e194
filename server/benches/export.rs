//! What `rationale export` costs on a corpus of at least 100 MB of journals: with redaction
//! against `--no-redact` (target: at most 1.5x), against `rationale verify` of the same
//! journals (target: at most 2x), and with the quality signals and duplicate detection against
//! without them (the hidden `--without-quality`; target: at most 1.2x).
//!
//! The corpus is made here, the way people make journals: code typed one character a `change`
//! record into a real-looking Python file (functions that read configuration, keys, tokens and
//! passwords, so that redaction's keyword prefilter wakes its rules as it would on real code),
//! and a `rationale` record every few hundred keystrokes for the function just written, with its
//! text before and after. One pair in twenty holds a planted secret (built here from random
//! characters). The `rationale` records carry their `chain`, as the server writes them, so export
//! and verify check it. Forty sessions in one workspace, so that `verify DIR` and `export DIR` read the
//! same journals. The real binary runs each command; best of three.
//!
//! Run: `cargo bench -p rationale --bench export` (`RATIONALE_BENCH_KEEP=1` keeps the corpus,
//! `RATIONALE_BENCH_MB=10` makes a smaller one for a quick look).

use std::process::Command;
use std::time::{Duration, Instant};

use rationale::journal::chain::Chain;
use rationale::journal::record::{Explanation, NameVersion, SessionInfo, UnitRef, SCHEMA};
use rationale::journal::{Body, Edit, Record};
use rationale::text::{sha256_hex, Encoding};

/// 100 MB; `RATIONALE_BENCH_MB` sets another size for a quick look.
fn target_bytes() -> usize {
    std::env::var("RATIONALE_BENCH_MB").ok().and_then(|mb| mb.parse().ok()).unwrap_or(100) * 1024 * 1024
}
const SESSIONS: usize = 40;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn word(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n).map(|_| alphabet[self.below(alphabet.len())] as char).collect()
    }
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A function body of the kind that wakes redaction's keyword rules without holding a secret.
fn function(rng: &mut Rng, n: usize, secret: Option<&str>) -> String {
    let names =
        ["api_key", "token", "password", "secret", "auth_header", "access", "credentials", "key_name"];
    let name = names[rng.below(names.len())];
    let mut body = format!("def load_{name}_{n}(config, env):\n");
    body +=
        &format!("    \"\"\"Reads the {name} from the settings, falling back on the environment.\"\"\"\n");
    body += &format!("    value = config.get(\"{name}\") or env.get(\"APP_{}\")\n", name.to_uppercase());
    body += "    if not value:\n";
    body += &format!("        raise KeyError(\"no {name} configured for \" + str(config.get('service')))\n");
    if let Some(secret) = secret {
        body += &format!("    fallback = \"{secret}\"\n");
    }
    body += &format!(
        "    return value.strip() if isinstance(value, str) else value  # {}\n",
        rng.word(b"abcdefgh ", 24)
    );
    body
}

/// One session's journal: about `bytes` long.
fn journal(rng: &mut Rng, index: usize, bytes: usize) -> String {
    let session = format!("20261126T{:06}Z-{:06x}", index, rng.next() & 0xff_ffff);
    let mut seq = 0u64;
    let mut out = String::with_capacity(bytes + 4096);
    let mut second = 0u64;
    let mut chain = Chain::default();
    // Milliseconds since midnight: one record a millisecond.
    let mut push = |out: &mut String, seq: &mut u64, body: Body| -> String {
        second += 1;
        let ts = format!(
            "2026-11-26T{:02}:{:02}:{:02}.{:03}Z",
            (second / 3_600_000) % 24,
            (second / 60_000) % 60,
            (second / 1000) % 60,
            second % 1000
        );
        let chained = matches!(body, Body::Rationale(_));
        let mut line = serde_json::to_string(&Record { seq: *seq, ts: ts.clone(), body }).unwrap();
        if chained {
            line.pop();
            line += &format!(",\"chain\":\"{}\"}}", chain.head());
        }
        line.push('\n');
        chain.update(line.as_bytes());
        out.push_str(&line);
        *seq += 1;
        ts
    };
    let _ = push(
        &mut out,
        &mut seq,
        Body::Session(SessionInfo {
            schema: SCHEMA,
            session: session.clone(),
            server: NameVersion { name: "rationale".into(), version: Some("0.1.0".into()) },
            client: NameVersion { name: "bench".into(), version: None },
            author: format!("dev{}@example.com", index % 7),
            workspace: "corpus".into(),
            position_encoding: Encoding::Utf8,
            git: None,
        }),
    );
    let header = "import os\n\n\n";
    let _ = push(
        &mut out,
        &mut seq,
        Body::Open {
            path: "settings.py".into(),
            language: "python".into(),
            version: 1,
            text: header.into(),
            sha256: sha256_hex([header]),
        },
    );
    let (mut line, mut version, mut n) = (3u32, 1i32, 0usize);
    while out.len() < bytes {
        n += 1;
        let planted = (n % 20 == 0).then(|| format!("{}{}", "ghp_", rng.word(ALNUM, 36)));
        let text = function(rng, n, planted.as_deref()) + "\n\n";
        let mut col = 0u32;
        let (mut first, mut last) = (None, String::new());
        for c in text.chars() {
            version += 1;
            let edit = Edit { range: Some([[line, col], [line, col]]), text: c.to_string() };
            last = push(
                &mut out,
                &mut seq,
                Body::Change { path: "settings.py".into(), version, edits: vec![edit] },
            );
            first.get_or_insert_with(|| last.clone());
            if c == '\n' {
                line += 1;
                col = 0;
            } else {
                col += c.len_utf8() as u32;
            }
        }
        let after = text.trim_end().to_owned();
        let rationale = format!(
            "Settings come from the config first so that deployments can override the {} without code; \
             the environment stays as the fallback the old scripts rely on.",
            ["key", "token", "password", "endpoint"][n % 4]
        );
        let pair_seq = seq;
        let _ = push(
            &mut out,
            &mut seq,
            Body::Rationale(Explanation {
                pair: format!("{session}:{pair_seq}"),
                change: format!("x.{n}"),
                path: "settings.py".into(),
                language: "python".into(),
                unit: UnitRef { name: format!("load_{n}"), kind: "function".into(), previous_name: None },
                kind: "added".into(),
                before: String::new(),
                after,
                text: Some(rationale),
                reason: None,
                edits_from: first,
                edits_to: Some(last),
                edits: text.chars().count() as u32,
                prompted_at: None,
                version,
                via: "command".into(),
                group: None,
                quality: None,
            }),
        );
    }
    out
}

fn run(args: &[&str]) -> Duration {
    let started = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_rationale"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("running rationale");
    let took = started.elapsed();
    assert!(status.success(), "rationale {args:?} failed");
    took
}

fn best_of(n: usize, args: &[&str]) -> Duration {
    (0..n).map(|_| run(args)).min().unwrap()
}

fn main() {
    let dir = std::env::temp_dir().join(format!("rationale-bench-export-{}", std::process::id()));
    let sessions = dir.join("corpus/.rationale/sessions");
    std::fs::create_dir_all(&sessions).unwrap();
    let started = Instant::now();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut total = 0;
    for index in 0..SESSIONS {
        let text = journal(&mut rng, index, target_bytes() / SESSIONS + 1);
        total += text.len();
        std::fs::write(sessions.join(format!("{index:03}.jsonl")), text).unwrap();
    }
    let workspace = dir.join("corpus");
    let workspace = workspace.to_str().unwrap();
    let out = dir.join("out.jsonl");
    let out = out.to_str().unwrap();
    println!("corpus: {SESSIONS} journals, {:.1} MB (made in {:.1?})", total as f64 / 1e6, started.elapsed());

    let verify = best_of(3, &["verify", workspace]);
    let plain = best_of(3, &["export", workspace, "--out", out, "--no-redact"]);
    let rows = std::fs::read_to_string(out).unwrap().lines().count();
    let without_quality =
        best_of(3, &["export", workspace, "--out", out, "--no-redact", "--without-quality"]);
    let redacted = best_of(3, &["export", workspace, "--out", out]);
    let text = std::fs::read_to_string(out).unwrap();
    let secrets = text.lines().filter(|row| row.contains("<redacted:github-pat>")).count();
    assert!(!text.contains("\"ghp_"), "a planted token got through");
    let edits = best_of(1, &["export", workspace, "--out", out, "--format", "edits", "--with-files"]);
    if std::env::var_os("RATIONALE_BENCH_KEEP").is_some() {
        println!("corpus kept at {}", dir.display());
    } else {
        std::fs::remove_dir_all(&dir).ok();
    }

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("verify:                 {:>7.0} ms", ms(verify));
    println!(
        "export --no-redact:     {:>7.0} ms ({rows} pairs, with quality signals and duplicates)",
        ms(plain)
    );
    println!("export --no-redact --without-quality: {:>7.0} ms", ms(without_quality));
    println!(
        "export (redacted):      {:>7.0} ms ({secrets} pairs with a planted token, redacted)",
        ms(redacted)
    );
    println!("export --format edits --with-files (redacted, replays every journal): {:>7.0} ms", ms(edits));
    let redaction = redacted.as_secs_f64() / plain.as_secs_f64();
    let against_verify = redacted.as_secs_f64() / verify.as_secs_f64();
    println!(
        "redaction ratio (export / export --no-redact): {redaction:.2}x (target <= 1.5x){}",
        if redaction <= 1.5 { "" } else { " ABOVE TARGET" }
    );
    println!(
        "export / verify: {against_verify:.2}x (target <= 2x){}",
        if against_verify <= 2.0 { "" } else { " ABOVE TARGET" }
    );
    let quality = plain.as_secs_f64() / without_quality.as_secs_f64();
    println!(
        "quality ratio (export / export --without-quality, both --no-redact): {quality:.2}x (target <= 1.2x){}",
        if quality <= 1.2 { "" } else { " ABOVE TARGET" }
    );
    println!(
        "load average {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
}
