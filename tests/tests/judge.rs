//! The server against real code and an independent judge.
//!
//! `tests/judge/judge.py` replays the diffs between two released versions of real files (the
//! committed subset in `tests/judge/fixtures`, from PyPI, npm, Go modules and crates.io) through
//! the release binary as typed, pasted and batched edits, asks `rationale/pendingChanges`, and
//! compares the answer with what an independent parser of each language finds changed between
//! the versions: Python's `ast` and `tokenize`, acorn (JavaScript), TypeScript's compiler API
//! (TypeScript and TSX), Go's `go/ast` and `go/scanner`, and `syn` (Rust). This test runs it and fails when precision or recall of a language falls
//! below what was measured when it was written (see `tests/judge/README.md`), or when the server's
//! journal does not rebuild the second version of every file.
//!
//! It needs `python3`, `node` (with `npm`: acorn and typescript are installed with `npm ci` on
//! first use), `go` (Debian's `golang-go` will do) and `cargo` (the Rust judge is built once into
//! its own target folder under the temporary directory), and the binary that
//! [`rationale_tests::binary::path`] finds.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Precision and recall measured on the fixtures, less a margin of about one change. Python
/// stands at 0.970 because the server mistakes a class typed in above another for a rename of
/// it (tomli `_parser.py`, see the README); raise these when that is fixed.
const THRESHOLDS: [(&str, f64, f64); 6] = [
    ("python", 0.96, 0.96),
    ("javascript", 0.99, 0.99),
    ("typescript", 0.99, 0.99),
    ("tsx", 0.99, 0.99),
    ("go", 0.99, 0.99),
    ("rust", 0.99, 0.99),
];

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

#[test]
fn pending_changes_agree_with_an_independent_judge_on_real_diffs() {
    let root = repository();
    let bin = rationale_tests::binary::path();
    let mut command = Command::new("python3");
    command.arg(root.join("tests").join("judge").join("judge.py")).arg("--fixtures").arg("--bin").arg(bin);
    for (language, precision, recall) in THRESHOLDS {
        command.arg("--threshold").arg(format!("{language}={precision},{recall}"));
    }
    let output = command.output().expect("python3 runs (the judge needs Python 3.11 and Node)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // The table and the mismatches are the point of this test: show them whether it passes or not.
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        output.status.success(),
        "the judge failed (exit {:?}); its report and reasons are above",
        output.status.code()
    );
}
