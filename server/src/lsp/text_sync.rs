//! The notifications that must be applied in the order they arrive: the four text notifications,
//! and the workspace changes that decide which documents are tracked (an editor opens a file right
//! after adding its folder). The transport calls [`handle`] synchronously, before it reads the next
//! message: this is what keeps every document (and its journal) in the editor's order, whatever
//! the concurrency of the request handlers.

use std::borrow::Cow;
use std::sync::Arc;

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use tower_lsp_server::ls_types::{
    DidChangeConfigurationParams, DidChangeTextDocumentParams, DidChangeWorkspaceFoldersParams,
    DidCloseTextDocumentParams, DidOpenTextDocumentParams, DidSaveTextDocumentParams,
    TextDocumentContentChangeEvent,
};

use super::shared::Shared;
use super::{convert, why};
use crate::session::Session;

pub const METHODS: [&str; 6] = [
    "textDocument/didOpen",
    "textDocument/didChange",
    "textDocument/didSave",
    "textDocument/didClose",
    "workspace/didChangeWorkspaceFolders",
    "workspace/didChangeConfiguration",
];

/// Applies one text notification. Bad parameters or an impossible change are logged and ignored:
/// a notification has no answer, and the next save resyncs whatever was lost.
pub fn handle(shared: &Arc<Shared>, session: &Session, method: &str, params: Option<Value>) {
    let params = params.unwrap_or(Value::Null);
    let result = match method {
        "textDocument/didOpen" => parse(method, params).map(|p: DidOpenTextDocumentParams| {
            let doc = p.text_document;
            let file = convert::file_path(&doc.uri);
            session.open(doc.uri.as_str(), file.as_deref(), doc.version, &doc.text);
            Ok(())
        }),
        "textDocument/didChange" => parse(method, params).map(|p: DidChangeTextDocumentParams| {
            let changes: Vec<_> = p.content_changes.into_iter().map(convert::text_change).collect();
            session.change(p.text_document.uri.as_str(), p.text_document.version, &changes)
        }),
        "textDocument/didSave" => parse(method, params).map(|p: DidSaveTextDocumentParams| {
            let key = p.text_document.uri.as_str();
            let removals = session.save(key, p.text.as_deref())?;
            why::after_save(shared, key, removals);
            Ok(())
        }),
        "textDocument/didClose" => parse(method, params)
            .map(|p: DidCloseTextDocumentParams| session.close(p.text_document.uri.as_str())),
        "workspace/didChangeWorkspaceFolders" => {
            parse(method, params).map(|p: DidChangeWorkspaceFoldersParams| {
                for folder in p.event.removed.iter().filter_map(|f| convert::file_path(&f.uri)) {
                    session.remove_folder(&folder);
                }
                for folder in p.event.added.iter().filter_map(|f| convert::file_path(&f.uri)) {
                    session.add_folder(folder);
                }
                Ok(())
            })
        }
        "workspace/didChangeConfiguration" => {
            parse(method, params).map(|p: DidChangeConfigurationParams| {
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
            })
        }
        _ => unreachable!("{method} is not an ordered notification"),
    };
    if let Some(Err(problem)) = result {
        tracing::warn!("{method}: {problem}");
    }
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
    #[serde(rename = "contentChanges")]
    changes: Vec<TextDocumentContentChangeEvent>,
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
/// parsed at all unless it names the method), or parameters that do not fit: [`handle`] then
/// takes it, and reports them.
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
    let changes: Vec<_> = keystroke.changes.into_iter().map(convert::text_change).collect();
    if let Err(problem) = session.change(&keystroke.document.uri, keystroke.document.version, &changes) {
        tracing::warn!("textDocument/didChange: {problem}");
    }
}

fn parse<T: serde::de::DeserializeOwned>(method: &str, params: Value) -> Option<T> {
    serde_json::from_value(params)
        .map_err(|err| tracing::warn!("{method}: ignoring parameters that do not fit: {err}"))
        .ok()
}
