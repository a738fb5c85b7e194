//! How pending changes are shown: diagnostics on ready changes, code actions to explain or skip
//! any pending change, and code lenses. Turns the session's views into protocol types; decides
//! nothing.

use serde::Deserialize;
use serde_json::{json, Value};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

use super::backend::Backend;
use super::errors;
use super::routes::{EXPLAIN, SKIP};
use crate::session::PendingView;
use crate::text::Position as TextPosition;

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
        .flat_map(|doc| doc.changes.iter().map(|view| pending_json(&doc.key, view)))
        .collect();
    // The document's folder's minimum; for all documents, the strictest of the folders whose
    // changes are listed, since one rationale may be sent for several of them at once.
    let min_rationale_chars = documents
        .iter()
        .filter(|doc| params.uri.is_some() || !doc.changes.is_empty())
        .map(|doc| doc.min_rationale_chars)
        .max()
        .unwrap_or_else(|| session.min_rationale_chars());
    Ok(json!({ "changes": changes, "minRationaleChars": min_rationale_chars }))
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

const DIAGNOSTIC_CODE: &str = "unexplained-change";

fn position(p: TextPosition) -> Position {
    Position::new(p.line, p.column)
}

pub fn range((start, end): (TextPosition, TextPosition)) -> Range {
    Range::new(position(start), position(end))
}

/// "method `Session.request`"
fn described(view: &PendingView) -> String {
    format!("{} `{}`", view.change.kind.as_str(), view.change.name)
}

/// The prompt's words, "Explain the change to method `Session.request`": the diagnostic's
/// message, and sent as `prompt` with every pending change and in the arguments of
/// `rationale.explain`, so that an editor asks in the same words without composing them.
fn prompt(view: &PendingView) -> String {
    let verb = match view.change.change {
        crate::units::pending::ChangeKind::Modified => "the change to",
        crate::units::pending::ChangeKind::Added => "the new",
        crate::units::pending::ChangeKind::Removed => "the removal of",
    };
    format!("Explain {verb} {}", described(view))
}

pub fn diagnostic(view: &PendingView) -> Diagnostic {
    Diagnostic {
        range: range(view.name_range),
        severity: Some(DiagnosticSeverity::INFORMATION),
        code: Some(NumberOrString::String(DIAGNOSTIC_CODE.into())),
        source: Some("rationale".into()),
        message: prompt(view),
        data: Some(json!({"changeId": view.id})),
        ..Default::default()
    }
}

fn explain_arguments(view: &PendingView, uri: &Uri) -> Vec<Value> {
    vec![json!({
        "changeId": view.id,
        "uri": uri.as_str(),
        "unit": view.change.name,
        "kind": view.change.kind.as_str(),
        "change": view.change.change.as_str(),
        "prompt": prompt(view),
    })]
}

/// The lines a range covers; a range that ends at the start of a line (whole lines selected)
/// does not cover that line.
fn lines_of(range: Range) -> (u32, u32) {
    let last = match range.end {
        end if end.character == 0 && end.line > range.start.line => end.line - 1,
        end => end.line,
    };
    (range.start.line, last.max(range.start.line))
}

/// The two actions for each pending change whose unit is on the lines of `range`, innermost unit
/// first.
///
/// By lines, not by columns: editors ask with the cursor or the selection, and a person asks with
/// the cursor anywhere on the unit's lines (on `export` before a function, in a method's
/// indentation, or with its whole lines selected), where the prompt's diagnostic is shown too.
pub fn code_actions(views: &[PendingView], uri: &Uri, requested: Range) -> Vec<CodeActionOrCommand> {
    let (first, last) = lines_of(requested);
    let inside = |view: &&PendingView| {
        let unit = range(view.range);
        if view.change.change == crate::units::pending::ChangeKind::Removed {
            // A removed unit is only a point where it was; its line stands for it.
            return first <= unit.start.line && unit.start.line <= last;
        }
        let (start, end) = lines_of(unit);
        first <= end && start <= last
    };
    let mut matching: Vec<&PendingView> = views.iter().filter(inside).collect();
    matching.sort_by_key(|view| std::cmp::Reverse(view.range.0));
    matching
        .into_iter()
        .flat_map(|view| {
            let explain_title = format!("Explain the change to `{}`…", view.change.name);
            let explain = CodeAction {
                title: explain_title.clone(),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: view.change.ready.then(|| vec![diagnostic(view)]),
                command: Some(Command::new(
                    explain_title,
                    EXPLAIN.into(),
                    Some(explain_arguments(view, uri)),
                )),
                is_preferred: Some(true),
                ..Default::default()
            };
            let skip_title = format!("Skip `{}`: no explanation needed", view.change.name);
            let skip = CodeAction {
                title: skip_title.clone(),
                kind: Some(CodeActionKind::QUICKFIX),
                command: Some(Command::new(
                    skip_title,
                    SKIP.into(),
                    Some(vec![json!({"changeId": view.id})]),
                )),
                ..Default::default()
            };
            [CodeActionOrCommand::CodeAction(explain), CodeActionOrCommand::CodeAction(skip)]
        })
        .collect()
}

/// A lens above each unit with a ready change.
pub fn code_lenses(views: &[PendingView], uri: &Uri) -> Vec<CodeLens> {
    views
        .iter()
        .filter(|view| view.change.ready)
        .map(|view| {
            let start = position(view.range.0);
            CodeLens {
                range: Range::new(start, start),
                command: Some(Command::new(
                    format!("Explain the change to `{}`", view.change.name),
                    EXPLAIN.into(),
                    Some(explain_arguments(view, uri)),
                )),
                data: None,
            }
        })
        .collect()
}

/// The largest unit text `rationale/pendingChanges` carries, in bytes: a larger one is `null`,
/// asked for with `rationale/changeTexts` when an editor needs it, so that listing the changes of
/// a generated file does not send its every unit twice.
pub const INLINE_TEXT_LIMIT: usize = 16 * 1024;

/// `rationale/pendingChanges`: the spec's shape, one object per change.
pub fn pending_json(uri: &str, view: &PendingView) -> Value {
    let change = &view.change;
    let inline = |text: &crate::units::UnitText| (text.len() <= INLINE_TEXT_LIMIT).then(|| text.to_string());
    let (before, after) = (inline(&change.before), inline(&change.after));
    let omitted = before.is_none() || after.is_none();
    let mut value = json!({
        "id": view.id,
        "uri": uri,
        "unit": {"name": change.name, "kind": change.kind.as_str(), "range": range(view.range)},
        "change": change.change.as_str(),
        "prompt": prompt(view),
        "ready": change.ready,
        "edits": change.edits,
        "before": before,
        "after": after,
    });
    if omitted {
        value["textsOmitted"] = json!(true);
    }
    if let Some(previous) = &change.previous_name {
        value["previousName"] = json!(previous);
    }
    value
}
