//! The editor's copy of one document, for tests that edit it by hand: its text and version,
//! edited the way an editor sends it (one `didChange` per edit, positions in UTF-8 columns as the
//! harness negotiates), and the `workspace/applyEdit` requests the server makes applied as an
//! editor applies them.

use std::time::Duration;

use serde_json::{json, Value};

use crate::model::{Change, Pos};
use crate::Server;

pub struct Doc {
    pub uri: String,
    pub version: i64,
    pub text: String,
}

/// The LSP position (UTF-8 columns, as negotiated) of a byte offset.
pub fn pos(text: &str, byte: usize) -> Pos {
    let before = &text[..byte];
    let line = before.matches('\n').count();
    let column = byte - before.rfind('\n').map_or(0, |i| i + 1);
    Pos::new(line, column)
}

/// The byte offset of an LSP position (`{"line", "character"}`, UTF-8 columns).
pub fn offset(text: &str, at: &Value) -> usize {
    let (line, column) = (at["line"].as_u64().unwrap() as usize, at["character"].as_u64().unwrap() as usize);
    let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    start + column
}

impl Doc {
    pub fn open(server: &Server, rel: &str, text: &str) -> Self {
        Doc { uri: server.open(rel, text), version: 1, text: text.to_owned() }
    }

    /// Replaces the first `from` with `to` in one edit (as a paste or a completion arrives).
    pub fn replace(&mut self, server: &Server, from: &str, to: &str) {
        let at = self.text.find(from).unwrap_or_else(|| panic!("{from:?} not in {:?}", self.text));
        let change = Change::replace(pos(&self.text, at), pos(&self.text, at + from.len()), to);
        self.text.replace_range(at..at + from.len(), to);
        self.version += 1;
        server.did_change(&self.uri, self.version, &[change]);
    }

    /// Inserts `text` before the first `before`, in one edit.
    pub fn insert_before(&mut self, server: &Server, before: &str, text: &str) {
        let keep = before.to_owned();
        self.replace(server, &keep, &format!("{text}{keep}"));
    }

    /// Types `text` a character at a time right after the first `after`, `pause` between keys.
    /// Each key is applied before the pause starts (a request's answer says so), so that the
    /// server, which times edits as they arrive, sees the pauses whatever the machine's load.
    pub fn type_after(&mut self, server: &mut Server, after: &str, text: &str, pause: Duration) {
        let mut at =
            self.text.find(after).unwrap_or_else(|| panic!("{after:?} not in {:?}", self.text)) + after.len();
        for c in text.chars() {
            let change = Change::insert(pos(&self.text, at), c.to_string());
            self.text.insert(at, c);
            at += c.len_utf8();
            self.version += 1;
            server.did_change(&self.uri, self.version, &[change]);
            server.request_ok("rationale/pendingChanges", json!({"uri": self.uri}));
            std::thread::sleep(pause);
        }
    }

    pub fn save(&self, server: &Server) {
        server.did_save(&self.uri, &self.text);
    }

    /// Applies a `workspace/applyEdit` request's edit to this document as an editor does,
    /// sending the `didChange`, then answers `{"applied": true}`.
    pub fn apply(&mut self, server: &Server, request: &Value) {
        let edits = edits_of(request, &self.uri);
        // Applied from the end, so earlier offsets hold.
        let mut sorted: Vec<(usize, usize, String)> = edits
            .iter()
            .map(|e| {
                (
                    offset(&self.text, &e["range"]["start"]),
                    offset(&self.text, &e["range"]["end"]),
                    e["newText"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        sorted.sort_by_key(|e| std::cmp::Reverse(e.0));
        let mut changes = Vec::new();
        for (start, end, new) in sorted {
            changes.push(Change::replace(pos(&self.text, start), pos(&self.text, end), new.clone()));
            self.text.replace_range(start..end, &new);
        }
        self.version += 1;
        server.did_change(&self.uri, self.version, &changes);
        server.respond(request, json!({"applied": true}));
    }
}

/// The text edits a `workspace/applyEdit` request makes to `uri`, which must name the version
/// they were computed for (`documentChanges`, since the harness announces it).
pub fn edits_of(request: &Value, uri: &str) -> Vec<Value> {
    let changes = request["params"]["edit"]["documentChanges"].as_array().expect("documentChanges");
    assert_eq!(changes.len(), 1, "{request}");
    assert_eq!(changes[0]["textDocument"]["uri"], uri);
    changes[0]["edits"].as_array().unwrap().clone()
}
