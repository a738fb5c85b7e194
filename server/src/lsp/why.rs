//! Why-comments over the protocol: the `workspace/applyEdit` that removes a recorded why-comment,
//! and the one that inserts a skeleton for `rationale.explain` (for editors without a Rationale
//! plugin).

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{json, Value};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

use super::errors::{invalid_params as invalid, invalid_request};
use super::shared::Shared;
use super::to_proto::range;
use crate::session::{Removal, Session};

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
        shared.refresh_index(session);
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
    if !client.apply_edit {
        return Err(invalid_request(
            "this editor can neither ask for the explanation (it has no Rationale plugin) nor \
             apply edits: write a comment starting with the why marker (`why:` by default) above \
             the unit and save, or skip the change with the other code action",
        ));
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
