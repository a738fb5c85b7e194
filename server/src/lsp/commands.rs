//! The commands of `workspace/executeCommand` that the core answers: recording a rationale and
//! skipping a change. The explain command, for clients without a Rationale plugin, inserts a
//! why-comment (see `why`).

use serde::Deserialize;
use serde_json::{json, Value};
use tower_lsp_server::jsonrpc::Result;

use super::errors::{invalid_params, refused};
use super::names::{RECORD, SKIP};
use super::shared::Shared;
use super::to_proto;
use crate::session::{Refusal, Session, Via};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RecordArgs {
    change_id: Option<String>,
    change_ids: Option<Vec<String>>,
    text: String,
    /// How long the rationale took to write, measured by the editor.
    compose_ms: Option<u64>,
    /// Answer what would be recorded, and record nothing.
    #[serde(default)]
    dry_run: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SkipArgs {
    change_id: String,
    reason: Option<String>,
}

/// The single object argument every Rationale command takes.
pub fn argument<T: serde::de::DeserializeOwned>(
    command: &str,
    arguments: Vec<Value>,
    shape: &str,
) -> Result<T> {
    let first = arguments
        .into_iter()
        .next()
        .ok_or_else(|| invalid_params(format!("{command} takes one argument, {shape}")))?;
    serde_json::from_value(first).map_err(|err| invalid_params(format!("{command} takes {shape}: {err}")))
}

/// `rationale.record {"changeId" or "changeIds", "text", "composeMs"?, "dryRun"?}`: answers
/// `{"pairId", "pairIds", "quality", "qualities", "hint"}` (a dry run without the pairs).
pub fn record(session: &Session, arguments: Vec<Value>) -> Result<Option<Value>> {
    let args: RecordArgs =
        argument(RECORD, arguments, r#"{"changeId" or "changeIds", "text", "composeMs"?, "dryRun"?}"#)?;
    let ids = match (args.change_id, args.change_ids) {
        (Some(id), None) => vec![id],
        (None, Some(ids)) => ids,
        (Some(_), Some(_)) => return Err(invalid_params("give either `changeId` or `changeIds`, not both")),
        (None, None) => return Err(refused(Refusal::NoChanges)),
    };
    let explained = if args.dry_run {
        session.assess(&ids, &args.text, args.compose_ms)
    } else {
        session.record(&ids, &args.text, Via::Command, args.compose_ms)
    };
    Ok(Some(to_proto::explained(&explained.map_err(refused)?)))
}

/// `rationale.skip {"changeId", "reason"?}`.
pub fn skip(session: &Session, arguments: Vec<Value>) -> Result<Option<Value>> {
    let args: SkipArgs = argument(SKIP, arguments, r#"{"changeId", "reason"?}"#)?;
    session.skip(&args.change_id, args.reason.as_deref()).map_err(refused)?;
    Ok(Some(json!({})))
}

/// After a command that explained or skipped something: the change's diagnostic goes at once,
/// and hover shows its rationale.
pub async fn done(shared: &Shared, session: &Session) {
    shared.refresh_index(session);
    shared.publish_all(session).await;
}
