//! The four text notifications. The transport calls [`handle`] synchronously, in arrival order,
//! before it reads the next message: this is what keeps every document (and its journal) in the
//! editor's order, whatever the concurrency of the request handlers.

use serde_json::Value;
use tower_lsp_server::ls_types::{
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    DidSaveTextDocumentParams,
};

use super::convert;
use crate::session::Session;

pub const METHODS: [&str; 4] = [
    "textDocument/didOpen",
    "textDocument/didChange",
    "textDocument/didSave",
    "textDocument/didClose",
];

/// Applies one text notification. Bad parameters or an impossible change are logged and ignored:
/// a notification has no answer, and the next save resyncs whatever was lost.
pub fn handle(session: &Session, method: &str, params: Option<Value>) {
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
            session.save(p.text_document.uri.as_str(), p.text.as_deref())
        }),
        "textDocument/didClose" => parse(method, params)
            .map(|p: DidCloseTextDocumentParams| session.close(p.text_document.uri.as_str())),
        _ => unreachable!("{method} is not a text notification"),
    };
    match result {
        Some(Err(problem)) => tracing::warn!("{method}: {problem}"),
        Some(Ok(())) | None => {}
    }
}

fn parse<T: serde::de::DeserializeOwned>(method: &str, params: Value) -> Option<T> {
    serde_json::from_value(params)
        .map_err(|err| tracing::warn!("{method}: ignoring parameters that do not fit: {err}"))
        .ok()
}
