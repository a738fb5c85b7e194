//! Differential property test: random edit sessions go through the real server, and the journal
//! must tell the same story as a plain reference model of each document.
//!
//! Each case opens one or two documents and sends a seeded random mix of typing, backspacing,
//! pasted multi-line blocks, selections replaced, several changes in one notification, CRLF line
//! endings, emoji, CJK and combining marks, ranges with columns past their line's end (clamped as
//! LSP says) and whole-document replacements, with saves in between, in UTF-8 or UTF-16 (and a
//! few cases whose documents end their lines with a lone `\r`). Then:
//! - the journal is well formed, names the negotiated encoding, and has no `resync` (a resync
//!   means the server's copy and the editor's disagreed);
//! - the edits journaled for each document are the edits sent, in order (coalescing may merge
//!   records, never change the edits);
//! - each `save` record's hash is the model's text at that save, and `rationale replay --at`
//!   that save's seq rebuilds every document exactly as the model had it;
//! - `rationale verify` passes.
//!
//! Reproduce a failure with the seed it prints: `RATIONALE_TEST_SEED=<base> cargo test --release
//! -p rationale-tests --test differential`.

use rationale_tests::gen::{clamped, initial_text, EditGen};
use rationale_tests::journal::{assert_same_text, assert_verify_ok, replay_ok};
use rationale_tests::model::Change;
use rationale_tests::rng::base_seed;
use rationale_tests::{sha256_hex, with_context, Encoding, Rng, Server, TextModel};
use serde_json::Value;

const CASES_PER_ENCODING: u64 = 40;

struct Doc {
    rel: &'static str,
    uri: String,
    model: TextModel,
    version: i64,
    gen: EditGen,
    /// The text of each didOpen: the first, then every reopening after a close.
    opened: Vec<String>,
    /// Every change sent, with the form it takes once clamped.
    sent: Vec<(Change, Change)>,
}

/// `newline` forces every document's line ending (else each path has its own, sometimes swapped).
fn run_case(seed: u64, encoding: Encoding, forced_newline: Option<&'static str>) {
    let mut rng = Rng::new(seed);
    let mut server = Server::with_encoding(encoding);
    let paths: &[(&str, &str)] = &[("src/model.py", "\n"), ("web/app.js", "\r\n")];
    let count = rng.between(1, 2);
    let mut docs: Vec<Doc> = Vec::new();
    for &(rel, newline) in &paths[..count] {
        // Mostly the path's own line ending; sometimes the other one.
        let newline = if let Some(forced) = forced_newline {
            forced
        } else if rng.chance(0.2) {
            if newline == "\n" {
                "\r\n"
            } else {
                "\n"
            }
        } else {
            newline
        };
        let text = initial_text(&mut rng, newline);
        let uri = server.open(rel, &text);
        docs.push(Doc {
            rel,
            uri,
            model: TextModel::new(text.clone()),
            version: 1,
            gen: EditGen::new(encoding, newline),
            opened: vec![text],
            sent: Vec::new(),
        });
    }

    // For each didSave, in order: which document, and every document's text at that moment.
    let mut saves: Vec<(usize, Vec<String>)> = Vec::new();
    let steps = rng.between(50, 160);
    for step in 0..=steps {
        let d = rng.below(docs.len());
        let save = step == steps || rng.chance(0.08);
        let doc = &mut docs[d];
        if save {
            server.did_save(&doc.uri, &doc.model.text);
            saves.push((d, docs.iter().map(|doc| doc.model.text.clone()).collect()));
        } else if rng.chance(0.02) {
            // Closed and opened again (the editor sends its text anew).
            server.did_close(&doc.uri);
            doc.version += 1;
            server.did_open(
                &doc.uri,
                rationale_tests::server::language_of(doc.rel),
                doc.version,
                &doc.model.text,
            );
            doc.opened.push(doc.model.text.clone());
        } else {
            let before = doc.model.clone();
            let changes = doc.gen.notification(&mut rng, &mut doc.model);
            // The clamped form of each change, against the text it applied to.
            let mut scratch = before;
            for change in &changes {
                doc.sent.push((change.clone(), clamped(&scratch, change, encoding)));
                scratch.apply(change, encoding).unwrap();
            }
            doc.version += 1;
            server.did_change(&doc.uri, doc.version, &changes);
        }
    }
    // Every document saved once more at the end.
    for d in 0..docs.len() {
        server.did_save(&docs[d].uri, &docs[d].model.text);
        saves.push((d, docs.iter().map(|doc| doc.model.text.clone()).collect()));
    }
    server.shutdown_and_exit();

    let journal = server.journal();
    journal.assert_well_formed();
    assert_eq!(journal.session()["positionEncoding"], encoding.lsp_name());
    assert!(
        journal.of_type("resync").is_empty(),
        "the server's copy disagreed with the editor's (a resync was journaled):\n{}",
        journal.summary()
    );

    for doc in &docs {
        let opens: Vec<&Value> =
            journal.of_type("open").into_iter().filter(|r| r["path"] == doc.rel).collect();
        assert_eq!(
            opens.len(),
            doc.opened.len(),
            "{}: one open record per didOpen:\n{}",
            doc.rel,
            journal.summary()
        );
        for (open, text) in opens.iter().zip(&doc.opened) {
            assert_eq!(open["text"], text.as_str(), "the open record holds the opened text");
            assert_eq!(open["sha256"], sha256_hex(text.as_bytes()));
        }
        let closes = journal.of_type("close").into_iter().filter(|r| r["path"] == doc.rel).count();
        assert_eq!(closes, doc.opened.len() - 1, "{}: one close record per didClose", doc.rel);

        let edits = journal.edits_for(doc.rel);
        assert_eq!(
            edits.len(),
            doc.sent.len(),
            "{}: {} edits sent, {} journaled",
            doc.rel,
            doc.sent.len(),
            edits.len()
        );
        for (i, (edit, (sent, clamped))) in edits.iter().zip(&doc.sent).enumerate() {
            assert!(
                *edit == sent.to_journal() || *edit == clamped.to_journal(),
                "{}: edit {i} journaled as {edit}, but the editor sent {}",
                doc.rel,
                sent.to_journal()
            );
        }
    }

    let save_records = journal.of_type("save");
    assert_eq!(save_records.len(), saves.len(), "one save record per didSave:\n{}", journal.summary());
    for (n, (record, (d, texts))) in save_records.iter().zip(&saves).enumerate() {
        let doc = &docs[*d];
        assert_eq!(record["path"], doc.rel, "save {n} is of the wrong document");
        assert_eq!(
            record["sha256"],
            sha256_hex(texts[*d].as_bytes()),
            "save {n} of {}: the hash is not the editor's text",
            doc.rel
        );
        let seq = record["seq"].as_u64().unwrap();
        let out = replay_ok(&journal.path, Some(seq));
        for (other, text) in docs.iter().zip(texts) {
            let replayed = std::fs::read(out.path().join(other.rel))
                .unwrap_or_else(|e| panic!("replay --at {seq} wrote no {} ({e})", other.rel));
            assert_same_text(&replayed, text, &format!("{} replayed --at {seq} (save {n})", other.rel));
        }
    }
    assert_verify_ok(server.root());
}

fn run_cases(encoding: Encoding, default_seed: u64, cases: u64, newline: Option<&'static str>) {
    let base = base_seed(default_seed);
    for case in 0..cases {
        let seed = base.wrapping_mul(1000).wrapping_add(case);
        with_context(
            &format!(
                "differential case {case} ({encoding:?}, seed {seed}); reproduce with \
                 RATIONALE_TEST_SEED={base} cargo test --release -p rationale-tests --test differential"
            ),
            || run_case(seed, encoding, newline),
        );
    }
}

#[test]
fn random_edit_sessions_replay_exactly_in_utf8() {
    run_cases(Encoding::Utf8, 8, CASES_PER_ENCODING, None);
}

#[test]
fn random_edit_sessions_replay_exactly_in_utf16() {
    run_cases(Encoding::Utf16, 16, CASES_PER_ENCODING, None);
}

/// Old Mac line endings: a lone `\r` ends a line too (LSP 3.17), and a `\n` typed right after
/// one joins it into a single CRLF line break.
#[test]
fn random_edit_sessions_with_lone_cr_line_endings_replay_exactly() {
    run_cases(Encoding::Utf16, 24, 8, Some("\r"));
    run_cases(Encoding::Utf8, 25, 8, Some("\r"));
}
