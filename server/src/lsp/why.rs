//! Why-comments over the protocol: the `workspace/applyEdit` that removes a recorded why-comment,
//! the one that inserts a skeleton for `rationale.explain` (for editors without a Rationale
//! plugin), and the diagnostics on why-comments that were not recorded.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{json, Value};
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::{self as lsp, *};

use super::backend::Shared;
use super::prompts::range;
use crate::session::{Removal, Session, WhyNote, WHY_RECORDED};

/// What the client can do with the edits why-comments need.
#[derive(Clone, Copy, Debug, Default)]
pub struct WhyClient {
    /// `workspace/applyEdit`.
    apply_edit: bool,
    /// Versioned edits (`documentChanges`), which a client refuses when its document has moved on.
    document_changes: bool,
    /// `window/showDocument`, to put the cursor in an inserted skeleton.
    show_document: bool,
}

impl WhyClient {
    pub fn of(capabilities: &ClientCapabilities) -> Self {
        let workspace = capabilities.workspace.as_ref();
        Self {
            apply_edit: workspace.and_then(|w| w.apply_edit).unwrap_or(false),
            document_changes: workspace
                .and_then(|w| w.workspace_edit.as_ref())
                .and_then(|edit| edit.document_changes)
                .unwrap_or(false),
            show_document: capabilities
                .window
                .as_ref()
                .and_then(|window| window.show_document.as_ref())
                .is_some_and(|show| show.support),
        }
    }

    /// Edits of one document (each against the document as it is, not overlapping), checked
    /// against the document's version where the client can.
    fn edit(self, uri: Uri, version: i32, edits: Vec<TextEdit>) -> WorkspaceEdit {
        if self.document_changes {
            WorkspaceEdit {
                document_changes: Some(lsp::DocumentChanges::Edits(vec![TextDocumentEdit {
                    text_document: OptionalVersionedTextDocumentIdentifier { uri, version: Some(version) },
                    edits: edits.into_iter().map(OneOf::Left).collect(),
                }])),
                ..Default::default()
            }
        } else {
            WorkspaceEdit { changes: Some(HashMap::from([(uri, edits)])), ..Default::default() }
        }
    }
}

/// A why-comment that was not recorded (a warning: the person meant it to be), or one that was
/// recorded and is still there (a hint: it can go).
pub fn diagnostic(note: &WhyNote) -> Diagnostic {
    let severity =
        if note.code == WHY_RECORDED { DiagnosticSeverity::HINT } else { DiagnosticSeverity::WARNING };
    Diagnostic {
        range: range(note.range),
        severity: Some(severity),
        code: Some(NumberOrString::String(note.code.into())),
        source: Some("rationale".into()),
        message: note.message.clone(),
        ..Default::default()
    }
}

/// After a save: shows the document's notes on why-comments, and asks the editor to remove the
/// recorded ones, in one edit (each removal is computed against the saved version, so a second
/// edit after the first would be stale). Runs as a task: the editor answers `workspace/applyEdit`
/// through the very stream the transport is reading, so it must not be awaited there.
pub fn after_save(shared: &Arc<Shared>, key: &str, removals: Vec<Removal>) {
    let shared = shared.clone();
    let key = key.to_owned();
    tokio::spawn(async move {
        let Some(session) = shared.session() else { return };
        if let Some(changes) = session.ready_changes(&key) {
            shared.publish(&changes).await;
        }
        if removals.is_empty() {
            return;
        }
        // Something was recorded: the prompts changed, and hover shows the new rationale.
        shared.refresh_lenses();
        super::history::refresh_index(session, &shared.history);
        let client = shared.why_client();
        if !client.apply_edit {
            tracing::info!("the editor cannot apply edits: recorded why-comments stay in {key}");
            return;
        }
        let Ok(uri) = key.parse::<Uri>() else { return };
        let version = removals[0].version;
        let edits = removals
            .iter()
            .map(|removal| TextEdit { range: range(removal.range), new_text: String::new() })
            .collect();
        match shared.client.apply_edit(client.edit(uri, version, edits)).await {
            Ok(answer) if answer.applied => {}
            Ok(answer) => tracing::info!(
                "the editor kept the recorded why-comments of {key}: {}",
                answer.failure_reason.as_deref().unwrap_or("no reason given")
            ),
            Err(err) => tracing::warn!("removing the recorded why-comments of {key} failed: {err}"),
        }
    });
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExplainArgs {
    change_id: String,
}

/// `rationale.explain` from an editor without a Rationale plugin: inserts a why-comment
/// skeleton above the unit and, where the editor can show a document, puts the cursor after its
/// marker. Answers `{"applied"}`.
pub async fn explain(shared: &Shared, session: &Session, arguments: Vec<Value>) -> Result<Option<Value>> {
    let client = shared.why_client();
    let invalid =
        |message: String| Error { code: ErrorCode::InvalidParams, message: message.into(), data: None };
    if !client.apply_edit {
        return Err(Error {
            code: ErrorCode::InvalidRequest,
            message: "this editor can neither ask for the explanation (it has no Rationale plugin) \
                      nor apply edits: write a comment starting with the why marker (`why:` by \
                      default) above the unit and save, or skip the change with the other code action"
                .into(),
            data: None,
        });
    }
    let shape = r#"{"changeId", "uri"?, "unit"?, "kind"?}"#;
    let first =
        arguments.into_iter().next().ok_or_else(|| invalid(format!("rationale.explain takes {shape}")))?;
    let args: ExplainArgs = serde_json::from_value(first)
        .map_err(|err| invalid(format!("rationale.explain takes {shape}: {err}")))?;
    let skeleton = session.why_skeleton(&args.change_id).map_err(|refusal| invalid(refusal.to_string()))?;
    let uri: Uri = skeleton.key.parse().map_err(|_| invalid(format!("{} is not a URI", skeleton.key)))?;
    let at = range((skeleton.at, skeleton.at));
    let edit =
        client.edit(uri.clone(), skeleton.version, vec![TextEdit { range: at, new_text: skeleton.text }]);
    let applied = match shared.client.apply_edit(edit).await {
        Ok(answer) => answer.applied,
        Err(err) => {
            tracing::warn!("inserting a why-comment failed: {err}");
            false
        }
    };
    if applied && client.show_document {
        let cursor = range((skeleton.cursor, skeleton.cursor));
        let show =
            ShowDocumentParams { uri, external: None, take_focus: Some(true), selection: Some(cursor) };
        if let Err(err) = shared.client.show_document(show).await {
            tracing::info!("the editor could not show the why-comment: {err}");
        }
    }
    Ok(Some(json!({ "applied": applied })))
}
