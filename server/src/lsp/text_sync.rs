//! The notifications that must be applied in the order they arrive (`routes::ordered` lists
//! them): the four text notifications, and the workspace changes that decide which documents are
//! tracked. `dispatch` calls them synchronously, before it reads the next message: this is what
//! keeps every document (and its journal) in the editor's order, whatever the concurrency of the
//! request handlers. Each returns what went wrong, and `dispatch` logs it: a notification has no
//! answer, and the next save resyncs whatever was lost.
//!
//! A `textDocument/didChange` is read straight from the message's bytes into the parameters of
//! [`Keystroke`], whose content changes are [`TextChange`]s already: the shape the document
//! applies and the journal records, with no protocol type between.

use std::borrow::Cow;
use std::sync::Arc;

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use tower_lsp_server::ls_types::{
    DidChangeConfigurationParams, DidChangeWorkspaceFoldersParams, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, DidSaveTextDocumentParams,
};

use super::shared::Shared;
use super::{from_proto, why};
use crate::session::Session;
use crate::text::{Position, TextChange};

/// `textDocument/didOpen`.
pub fn did_open(_: &Arc<Shared>, session: &Session, params: Value) -> Result<(), String> {
    let doc = parse::<DidOpenTextDocumentParams>(params)?.text_document;
    let file = from_proto::file_path(&doc.uri);
    session.open(doc.uri.as_str(), file.as_deref(), doc.version, &doc.text);
    Ok(())
}

/// `textDocument/didChange`, when [`keystroke`] did not take it (it never is, in practice): the
/// same parameters, read from the tree `dispatch` built instead.
pub fn did_change(_: &Arc<Shared>, session: &Session, params: Value) -> Result<(), String> {
    let keystroke = Keystroke::deserialize(params)
        .map_err(|err| format!("ignoring parameters that do not fit: {err}"))?;
    session
        .change(&keystroke.document.uri, keystroke.document.version, keystroke.changes)
        .map_err(|p| p.to_string())
}

/// `textDocument/didSave`: records the why-comments, then asks the editor to remove them.
pub fn did_save(shared: &Arc<Shared>, session: &Session, params: Value) -> Result<(), String> {
    let p: DidSaveTextDocumentParams = parse(params)?;
    let key = p.text_document.uri.as_str();
    let removals = session.save(key, p.text.as_deref()).map_err(|p| p.to_string())?;
    why::after_save(shared, key, removals);
    Ok(())
}

/// `textDocument/didClose`.
pub fn did_close(_: &Arc<Shared>, session: &Session, params: Value) -> Result<(), String> {
    let p: DidCloseTextDocumentParams = parse(params)?;
    session.close(p.text_document.uri.as_str()).map_err(|p| p.to_string())
}

/// `workspace/didChangeWorkspaceFolders`.
pub fn did_change_workspace_folders(_: &Arc<Shared>, session: &Session, params: Value) -> Result<(), String> {
    let p: DidChangeWorkspaceFoldersParams = parse(params)?;
    for folder in p.event.removed.iter().filter_map(|f| from_proto::file_path(&f.uri)) {
        session.remove_folder(&folder);
    }
    for folder in p.event.added.iter().filter_map(|f| from_proto::file_path(&f.uri)) {
        session.add_folder(folder);
    }
    Ok(())
}

/// `workspace/didChangeConfiguration`.
pub fn did_change_configuration(_: &Arc<Shared>, session: &Session, params: Value) -> Result<(), String> {
    let p: DidChangeConfigurationParams = parse(params)?;
    // VS Code sends `{"rationale": {...}}`; other clients send the settings themselves.
    let settings = match p.settings {
        Value::Object(mut map) if map.contains_key("rationale") => {
            map.remove("rationale").unwrap_or_default()
        }
        other => other,
    };
    if settings.is_object() {
        session.set_editor_settings(settings);
    }
    Ok(())
}

/// A message, read no further than its method.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    method: Option<Cow<'a, str>>,
    id: Option<IgnoredAny>,
    #[serde(borrow)]
    params: Option<&'a RawValue>,
}

/// The parameters of `textDocument/didChange`, with the document's URI as the editor wrote it.
#[derive(Deserialize)]
pub struct Keystroke<'a> {
    #[serde(rename = "textDocument", borrow)]
    document: Versioned<'a>,
    #[serde(rename = "contentChanges", deserialize_with = "content_changes")]
    changes: Vec<TextChange>,
}

/// `contentChanges`, each read into a [`TextChange`] as it is parsed.
fn content_changes<'de, D: serde::Deserializer<'de>>(input: D) -> Result<Vec<TextChange>, D::Error> {
    #[derive(Deserialize)]
    struct Wire(#[serde(with = "WireChange")] TextChange);
    let changes = Vec::<Wire>::deserialize(input)?;
    Ok(changes.into_iter().map(|Wire(change)| change).collect())
}

/// A `TextDocumentContentChangeEvent` as the protocol spells it (its deprecated `rangeLength` is
/// ignored, as the protocol allows), read into a [`TextChange`].
#[derive(Deserialize)]
#[serde(remote = "TextChange")]
struct WireChange {
    #[serde(default, deserialize_with = "range")]
    range: Option<(Position, Position)>,
    text: String,
}

fn range<'de, D: serde::Deserializer<'de>>(input: D) -> Result<Option<(Position, Position)>, D::Error> {
    #[derive(Deserialize)]
    struct Range {
        #[serde(with = "WirePosition")]
        start: Position,
        #[serde(with = "WirePosition")]
        end: Position,
    }
    Ok(Option::<Range>::deserialize(input)?.map(|range| (range.start, range.end)))
}

#[derive(Deserialize)]
#[serde(remote = "Position")]
struct WirePosition {
    line: u32,
    #[serde(rename = "character")]
    column: u32,
}

#[derive(Deserialize)]
struct Versioned<'a> {
    #[serde(borrow)]
    uri: Cow<'a, str>,
    version: i32,
}

/// `body` as a `textDocument/didChange` notification, read straight from its bytes: the path of
/// every keystroke, where building a JSON tree and then the protocol's types (a URI parsed and
/// checked) was the larger part of the server's work. `None` for any other message (which is not
/// parsed at all unless it names the method), or parameters that do not fit: [`did_change`]
/// then takes it, and reports them.
pub fn keystroke(body: &[u8]) -> Option<Keystroke<'_>> {
    memchr::memmem::find(body, b"\"textDocument/didChange\"")?;
    let envelope = serde_json::from_slice::<Envelope>(body).ok()?;
    let (Some("textDocument/didChange"), None, Some(params)) =
        (envelope.method.as_deref(), envelope.id, envelope.params)
    else {
        return None;
    };
    serde_json::from_str(params.get()).ok()
}

/// Applies a keystroke read by [`keystroke`].
pub fn apply_keystroke(session: &Session, keystroke: Keystroke<'_>) {
    if let Err(problem) =
        session.change(&keystroke.document.uri, keystroke.document.version, keystroke.changes)
    {
        tracing::warn!("textDocument/didChange: {problem}");
    }
}

fn parse<T: serde::de::DeserializeOwned>(params: Value) -> Result<T, String> {
    serde_json::from_value(params).map_err(|err| format!("ignoring parameters that do not fit: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changes(body: &str) -> Option<(String, i32, Vec<TextChange>)> {
        keystroke(body.as_bytes()).map(|k| (k.document.uri.into_owned(), k.document.version, k.changes))
    }

    /// A keystroke's content changes are read into the document's own shape, whatever the
    /// protocol adds around them.
    #[test]
    fn a_did_change_is_read_into_text_changes() {
        let body = r#"{"jsonrpc":"2.0","method":"textDocument/didChange","params":{
            "textDocument":{"uri":"file:///a%20b/x.py","version":7},
            "contentChanges":[
                {"range":{"start":{"line":1,"character":2},"end":{"line":3,"character":4}},"rangeLength":9,"text":"a\"\n\u00e9"},
                {"range":null,"text":"whole"},
                {"text":"again"}]}}"#;
        let (uri, version, changes) = changes(body).unwrap();
        assert_eq!((uri.as_str(), version), ("file:///a%20b/x.py", 7));
        let range = Some((Position::new(1, 2), Position::new(3, 4)));
        assert_eq!(
            changes,
            [
                TextChange { range, text: "a\"\né".into() },
                TextChange { range: None, text: "whole".into() },
                TextChange { range: None, text: "again".into() },
            ]
        );
    }

    #[test]
    fn other_messages_and_changes_that_do_not_fit_are_not_keystrokes() {
        let request = r#"{"jsonrpc":"2.0","id":1,"method":"textDocument/didChange","params":{}}"#;
        assert!(changes(request).is_none());
        let unfit = r#"{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"x","version":1},"contentChanges":[{"range":{"start":{"line":-1,"character":0},"end":{"line":0,"character":0}},"text":""}]}}"#;
        assert!(changes(unfit).is_none());
        let other =
            r#"{"jsonrpc":"2.0","method":"textDocument/didSave","params":{"textDocument":{"uri":"x"}}}"#;
        assert!(changes(other).is_none());
    }
}
