//! Journals for tests: a session record and then the records a test names, as the server writes
//! them.

use super::record::{Body, Edit, NameVersion, Record, SessionInfo, SCHEMA};
use super::Journal;
use crate::text::Encoding;

/// A journal built from record bodies, numbered from seq 0 with a session record first.
pub(crate) fn journal_of(encoding: Encoding, bodies: Vec<Body>) -> Journal {
    Journal::from_bytes("s.jsonl", journal_text(encoding, bodies).into_bytes())
}

/// The lines of [`journal_of`].
pub(crate) fn journal_text(encoding: Encoding, bodies: Vec<Body>) -> String {
    let session = Body::Session(SessionInfo {
        schema: SCHEMA,
        session: "20261126T083000Z-7f3a9c".into(),
        server: NameVersion { name: "rationale".into(), version: Some("0.1.0".into()) },
        client: NameVersion { name: "test".into(), version: None },
        author: "dev@example.com".into(),
        workspace: "app".into(),
        position_encoding: encoding,
        git: None,
    });
    let mut text = String::new();
    for (seq, body) in std::iter::once(session).chain(bodies).enumerate() {
        let ts = format!("2026-11-26T08:30:{:02}.000Z", seq % 60);
        text += &serde_json::to_string(&Record { seq: seq as u64, ts, body }).unwrap();
        text.push('\n');
    }
    text
}

pub(crate) fn sha(text: &str) -> String {
    crate::text::sha256_hex([text])
}

pub(crate) fn open(path: &str, text: &str) -> Body {
    Body::Open {
        path: path.into(),
        language: "python".into(),
        version: 1,
        text: text.into(),
        sha256: sha(text),
    }
}

/// A range as `(line, column, line, column)`.
pub(crate) type Span = (u32, u32, u32, u32);

pub(crate) fn change(path: &str, version: i32, edits: &[(Span, &str)]) -> Body {
    Body::Change {
        path: path.into(),
        version,
        edits: edits
            .iter()
            .map(|&((l1, c1, l2, c2), text)| Edit { range: Some([[l1, c1], [l2, c2]]), text: text.into() })
            .collect(),
    }
}
