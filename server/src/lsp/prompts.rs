//! The requests about pending changes: `rationale/pendingChanges`, `rationale/changeTexts`, and the code actions and code
//! lenses that offer to explain or skip them. The session decides; `to_proto` shapes. (The
//! diagnostics on ready changes are published, not asked for: see `shared`.)

use serde::Deserialize;
use serde_json::{json, Value};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

use super::backend::Backend;
use super::errors;
use super::to_proto::{code_actions, code_lenses, pending_change};

#[derive(Deserialize)]
pub struct PendingChangesParams {
    uri: Option<Uri>,
}

/// `rationale/pendingChanges {"uri"?}`: every pending change of one document or of all.
pub async fn pending_changes(server: &Backend, params: PendingChangesParams) -> Result<Value> {
    let session = server.shared.request_session()?;
    let documents = session.pending_changes(params.uri.as_ref().map(|u| u.as_str()));
    if let (Some(uri), true) = (&params.uri, documents.is_empty()) {
        return Err(errors::invalid_params(format!(
            "{} is not a document Rationale follows (it is not open, or not in a workspace \
             folder, or not in a language Rationale reads, or excluded)",
            uri.as_str()
        )));
    }
    let changes: Vec<Value> = documents
        .iter()
        .flat_map(|doc| doc.changes.iter().map(|view| pending_change(&doc.key, view)))
        .collect();
    // The document's folder's minimum; for all documents, the strictest of the folders whose
    // changes are listed, since one rationale may be sent for several of them at once.
    let min_rationale_chars = documents
        .iter()
        .filter(|doc| params.uri.is_some() || !doc.changes.is_empty())
        .map(|doc| doc.min_rationale_chars)
        .max()
        .unwrap_or_else(|| session.min_rationale_chars());
    let generated: Vec<Value> = documents
        .iter()
        .filter_map(|doc| doc.generated.as_ref().map(|reason| json!({"uri": doc.key, "reason": reason})))
        .collect();
    Ok(json!({ "changes": changes, "minRationaleChars": min_rationale_chars, "generated": generated }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeTextsParams {
    change_id: String,
}

/// `rationale/changeTexts {"changeId"}`: both texts of a pending change, whatever their size.
pub async fn change_texts(server: &Backend, params: ChangeTextsParams) -> Result<Value> {
    let session = server.shared.request_session()?;
    let (before, after) = session
        .change_texts(&params.change_id)
        .map_err(|refusal| errors::invalid_params(refusal.to_string()))?;
    Ok(json!({ "before": before.to_string(), "after": after.to_string() }))
}

/// `textDocument/codeAction`: explain or skip the pending changes on the lines asked about.
pub async fn code_action(server: &Backend, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
    let session = server.shared.request_session()?;
    let uri = params.text_document.uri;
    let Some(changes) = session.pending_changes(Some(uri.as_str())).pop() else {
        return Ok(None);
    };
    Ok(Some(code_actions(&changes.changes, &uri, params.range)))
}

/// `textDocument/codeLens`: a lens on each ready change, where the folder's settings want them.
pub async fn code_lens(server: &Backend, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
    let session = server.shared.request_session()?;
    let uri = params.text_document.uri;
    if !session.codelens(uri.as_str()) {
        return Ok(None);
    }
    let Some(changes) = session.ready_changes(uri.as_str()) else { return Ok(None) };
    Ok(Some(code_lenses(&changes.changes, &uri)))
}
