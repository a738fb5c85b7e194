//! Replay's behaviour, on journals the server could have written and on damaged ones.

use super::*;
use crate::journal::record::{Body, Edit};
use crate::journal::samples::{change, journal_of, journal_text, open, sha};
use crate::text::{from_char, to_char, Position, TextChange};

fn save(path: &str, text: &str) -> Body {
    Body::Save { path: path.into(), sha256: sha(text) }
}

fn text_of(replayed: &Replayed, path: &str) -> String {
    replayed.files[path].document.text()
}

#[test]
fn opens_changes_and_saves_rebuild_the_text() {
    let journal = journal_of(
        Encoding::Utf16,
        vec![
            open("src/app.py", "def f():\n    pass\n"),
            change("src/app.py", 2, &[((0, 4, 0, 5), "g")]),
            change("src/app.py", 3, &[((1, 4, 1, 8), "return 1")]),
            save("src/app.py", "def g():\n    return 1\n"),
        ],
    );
    let replayed = replay(&journal, None).unwrap();
    assert_eq!(text_of(&replayed, "src/app.py"), "def g():\n    return 1\n");
    assert_eq!(replayed.files["src/app.py"].document.version(), 3);
    assert!(replayed.mismatches.is_empty());
    assert_eq!(replayed.session, "20261126T083000Z-7f3a9c");
    assert_eq!(replayed.last_seq, 4);
    assert_eq!(replayed.edits, 2);
    assert_eq!(replayed.saves, 1);
}

#[test]
fn the_edits_of_one_change_apply_in_order() {
    // The second edit's position is only right once the first is applied.
    let journal = journal_of(
        Encoding::Utf8,
        vec![
            open("a.py", "x = 1\n"),
            change("a.py", 2, &[((0, 0, 0, 0), "y = 2\n"), ((1, 4, 1, 5), "3"), ((2, 0, 2, 0), "z")]),
        ],
    );
    assert_eq!(text_of(&replay(&journal, None).unwrap(), "a.py"), "y = 2\nx = 3\nz");
}

#[test]
fn replay_stops_at_the_requested_record() {
    let journal = journal_of(
        Encoding::Utf16,
        vec![
            open("a.py", "a"),
            change("a.py", 2, &[((0, 1, 0, 1), "b")]),
            change("a.py", 3, &[((0, 2, 0, 2), "c")]),
        ],
    );
    assert_eq!(text_of(&replay(&journal, Some(2)).unwrap(), "a.py"), "ab");
    assert!(replay(&journal, Some(0)).unwrap().files.is_empty());
    let err = replay(&journal, Some(4)).unwrap_err();
    assert!(err.to_string().contains("the journal ends with record 3"), "{err}");
}

#[test]
fn a_save_whose_hash_disagrees_is_reported_with_its_line() {
    let journal = journal_of(
        Encoding::Utf16,
        vec![
            open("a.py", "a"),
            change("a.py", 2, &[((0, 1, 0, 1), "b")]),
            save("a.py", "something else"),
            save("a.py", "ab"),
        ],
    );
    let replayed = replay(&journal, None).unwrap();
    assert_eq!(replayed.mismatches.len(), 1);
    let mismatch = &replayed.mismatches[0];
    assert_eq!((mismatch.line, mismatch.seq, mismatch.path.as_str()), (4, 3, "a.py"));
    assert_eq!(mismatch.rebuilt, sha("ab"));
    assert!(mismatch.to_string().starts_with("s.jsonl:4: `save` of a.py (seq 3)"), "{mismatch}");
}

#[test]
fn an_open_whose_hash_does_not_match_its_text_is_reported() {
    let mut body = open("a.py", "text");
    if let Body::Open { sha256, .. } = &mut body {
        *sha256 = sha("other");
    }
    let replayed = replay(&journal_of(Encoding::Utf16, vec![body]), None).unwrap();
    assert_eq!(replayed.mismatches[0].record, "open");
}

#[test]
fn a_change_that_cannot_be_applied_is_an_error_naming_the_line() {
    let journal = journal_of(
        Encoding::Utf16,
        vec![open("a.py", "one line"), change("a.py", 2, &[((5, 0, 5, 0), "x")])],
    );
    let err = replay(&journal, None).unwrap_err();
    assert_eq!(err.line, Some(3));
    assert!(err.to_string().contains("line 5 is past the end"), "{err}");
}

#[test]
fn a_change_to_a_document_never_opened_or_closed_is_an_error() {
    let never = journal_of(Encoding::Utf16, vec![change("a.py", 2, &[((0, 0, 0, 0), "x")])]);
    let err = replay(&never, None).unwrap_err();
    assert!(err.to_string().contains("never opened"), "{err}");

    let closed = journal_of(
        Encoding::Utf16,
        vec![
            open("a.py", ""),
            Body::Close { path: "a.py".into() },
            change("a.py", 2, &[((0, 0, 0, 0), "x")]),
        ],
    );
    let err = replay(&closed, None).unwrap_err();
    assert_eq!(err.line, Some(4));
    assert!(err.to_string().contains("closed"), "{err}");
}

/// `a😀b\r\nc`: the emoji is 4 bytes in UTF-8 and 2 units in UTF-16, and `\r\n` is one line
/// break, so the same edit has different columns in the two encodings.
#[test]
fn columns_count_in_the_sessions_encoding_across_emoji_and_crlf() {
    let text = "a😀b\r\nc\r\n";
    for (encoding, column) in [(Encoding::Utf8, 5), (Encoding::Utf16, 3)] {
        let journal = journal_of(
            encoding,
            vec![
                open("a.py", text),
                // Replace `b` and the line break, then type at the start of the next line.
                change("a.py", 2, &[((0, column, 1, 0), "B "), ((0, column + 2, 0, column + 2), "!")]),
                save("a.py", "a😀B !c\r\n"),
            ],
        );
        let replayed = replay(&journal, None).unwrap();
        assert_eq!(text_of(&replayed, "a.py"), "a😀B !c\r\n", "{encoding:?}");
        assert!(replayed.mismatches.is_empty(), "{encoding:?}");
    }
}

#[test]
fn a_column_inside_an_emoji_differs_between_encodings() {
    // Column 3 is inside the emoji in UTF-8 (its bytes are columns 1 to 4), which means its
    // start, and just past it in UTF-16 (its units are columns 1 and 2).
    let mut texts = Vec::new();
    for encoding in [Encoding::Utf8, Encoding::Utf16] {
        let journal =
            journal_of(encoding, vec![open("a.py", "a😀b"), change("a.py", 2, &[((0, 3, 0, 3), "|")])]);
        texts.push(text_of(&replay(&journal, None).unwrap(), "a.py"));
    }
    assert_eq!(texts, ["a|😀b", "a😀|b"]);
}

#[test]
fn resync_replaces_the_text() {
    let journal = journal_of(
        Encoding::Utf16,
        vec![
            open("a.py", "old"),
            Body::Resync {
                path: "a.py".into(),
                version: 9,
                text: "new\n".into(),
                sha256: sha("new\n"),
                reason: "save hash differs".into(),
            },
            change("a.py", 10, &[((1, 0, 1, 0), "more")]),
            save("a.py", "new\nmore"),
        ],
    );
    let replayed = replay(&journal, None).unwrap();
    assert_eq!(text_of(&replayed, "a.py"), "new\nmore");
    assert_eq!(replayed.files["a.py"].document.version(), 10);
    assert!(replayed.mismatches.is_empty());
}

#[test]
fn a_closed_file_keeps_its_text_and_a_reopen_replaces_it() {
    let journal = journal_of(
        Encoding::Utf16,
        vec![
            open("a.py", "first"),
            change("a.py", 2, &[((0, 5, 0, 5), "!")]),
            Body::Close { path: "a.py".into() },
            open("b.py", "b"),
            open("a.py", "reopened from disk"),
        ],
    );
    let closed = replay(&journal, Some(3)).unwrap();
    assert_eq!(text_of(&closed, "a.py"), "first!");
    assert!(!closed.files["a.py"].open);

    let reopened = replay(&journal, None).unwrap();
    assert_eq!(text_of(&reopened, "a.py"), "reopened from disk");
    assert!(reopened.files["a.py"].open);
    assert_eq!(reopened.files["a.py"].opened_at, 2);
    assert_eq!(reopened.files.keys().collect::<Vec<_>>(), ["a.py", "b.py"]);
}

#[test]
fn a_whole_document_replacement_has_no_range() {
    let journal = journal_of(
        Encoding::Utf16,
        vec![
            open("a.py", "old"),
            Body::Change {
                path: "a.py".into(),
                version: 2,
                edits: vec![Edit { range: None, text: "whole".into() }],
            },
        ],
    );
    assert_eq!(text_of(&replay(&journal, None).unwrap(), "a.py"), "whole");
}

#[test]
fn unknown_record_types_are_passed_over() {
    let mut text = journal_text(Encoding::Utf16, vec![open("a.py", "a")]);
    text.push_str(
        r#"{"seq":2,"ts":"t","type":"rationale","pair":"s:2","path":"a.py","edits":3,"text":"because","before":"","after":"a"}
{"seq":3,"ts":"t","type":"skip","path":"a.py","edits":1,"reason":null}
{"seq":4,"ts":"t","type":"something-new","path":"a.py","text":42}
"#,
    );
    let journal = Journal::from_bytes("s.jsonl", text.into_bytes());
    let replayed = replay(&journal, None).unwrap();
    assert_eq!(text_of(&replayed, "a.py"), "a");
    assert_eq!(replayed.last_seq, 4);
}

#[test]
fn paths_that_leave_the_workspace_are_refused() {
    for path in ["../x.py", "a/../../x.py", "/etc/passwd", ""] {
        let journal = journal_of(Encoding::Utf16, vec![open(path, "x")]);
        let err = replay(&journal, None).unwrap_err();
        assert_eq!(err.line, Some(2), "{path}");
        assert!(err.to_string().contains("not a workspace-relative path"), "{path}: {err}");
    }
    assert!(is_workspace_relative("src/a..b/c.py"));
}

#[test]
fn a_session_of_an_unknown_schema_is_refused() {
    let line = r#"{"seq":0,"ts":"t","type":"session","schema":2,"session":"s","positionEncoding":"utf-8"}"#;
    let journal = Journal::from_bytes("s.jsonl", format!("{line}\n").into_bytes());
    let err = replay(&journal, None).unwrap_err();
    assert!(err.to_string().contains("schema 2"), "{err}");
}

#[test]
fn one_document_after_a_given_record() {
    let journal = journal_of(
        Encoding::Utf16,
        vec![
            open("a.py", "a"),
            open("b.py", "b"),
            change("b.py", 2, &[((9, 9, 9, 9), "this edit is broken but b.py is not asked for")]),
            change("a.py", 5, &[((0, 1, 0, 1), "1")]),
        ],
    );
    assert_eq!(
        document_at(&journal, "a.py", 4).unwrap(),
        Some(DocumentState { text: "a1".into(), version: 5 })
    );
    assert_eq!(document_at(&journal, "a.py", 1).unwrap().unwrap().text, "a");
    assert_eq!(document_at(&journal, "b.py", 0).unwrap(), None);
    assert!(document_at(&journal, "b.py", 4).is_err());
    assert!(document_at(&journal, "a.py", 5).is_err(), "past the end");
}

/// Replay takes typing runs as one insertion each; whatever the edits, the text must be what
/// applying every record's edits one by one gives. Random sessions of typing, backspaces,
/// jumps, pastes, selections replaced, emoji, CRLF and columns past the end of a line, in
/// both encodings.
#[test]
fn replay_equals_applying_every_edit_one_by_one() {
    use rand::{rngs::StdRng, Rng, SeedableRng};

    const PIECES: [&str; 10] = ["a", "b", " ", "😀", "é", "\n", "\r\n", "\r", "xy", "日本"];
    for seed in 0..24u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let encoding = if seed % 2 == 0 { Encoding::Utf8 } else { Encoding::Utf16 };
        let start = "def f():\r\n    return 1😀\n\nclass C:\n    pass\n";
        let mut reference = Document::new(start, 1, None);
        let mut bodies = vec![open("a.py", start)];
        let mut cursor = reference.rope().len_chars() / 2;
        for version in 2..300 {
            let mut edits = Vec::new();
            for _ in 0..rng.gen_range(1..=3) {
                let rope = reference.rope();
                let len = rope.len_chars();
                cursor = cursor.min(len);
                let at = from_char(rope, cursor, encoding);
                let (range, text) = match rng.gen_range(0..10) {
                    // Typing at the cursor, most of the time.
                    0..=4 => ((at, at), PIECES[rng.gen_range(0..PIECES.len())].to_owned()),
                    // Backspace over one or two units (which may split a character).
                    5 | 6 => {
                        let from = Position::new(at.line, at.column.saturating_sub(rng.gen_range(1..=2)));
                        ((from, at), String::new())
                    }
                    // A jump elsewhere, sometimes past the end of a line.
                    7 => {
                        let mut to = from_char(rope, rng.gen_range(0..=len), encoding);
                        to.column += rng.gen_range(0..3) * 7;
                        ((to, to), "z".to_owned())
                    }
                    // A selection replaced, across lines.
                    8 => {
                        let a = from_char(rope, rng.gen_range(0..=len), encoding);
                        let b = from_char(rope, rng.gen_range(0..=len), encoding);
                        ((a.min(b), a.max(b)), ["", "q", "p\nq"][rng.gen_range(0..3)].to_owned())
                    }
                    _ => ((at, at), "pasted 😀 text".to_owned()),
                };
                let change = TextChange { range: Some(range), text };
                let edit = Edit::from_change(&change);
                // The edits of one record apply in order, each to the text the one before left.
                reference.apply(std::slice::from_ref(&change), encoding).unwrap();
                // The cursor follows as in an editor: after the inserted text.
                cursor = to_char(reference.rope(), range.0, encoding).unwrap() + change.text.chars().count();
                edits.push(edit);
            }
            bodies.push(Body::Change { path: "a.py".into(), version, edits });
            if rng.gen_range(0..50) == 0 {
                bodies.push(Body::Save { path: "a.py".into(), sha256: reference.sha256() });
            }
        }
        let replayed = replay(&journal_of(encoding, bodies), None).unwrap();
        assert_eq!(text_of(&replayed, "a.py"), reference.text(), "seed {seed}");
        assert!(replayed.mismatches.is_empty(), "seed {seed}: {}", replayed.mismatches[0]);
        assert_eq!(replayed.files["a.py"].document.version(), 299);
    }
}
