//! `workspace/executeCommand`: recording a rationale and skipping a change. The explain command,
//! for clients without a Rationale plugin, inserts a why-comment (see `why`).

use serde::Deserialize;
use serde_json::{json, Value};
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};

use super::prompts::{RECORD, SKIP};
use crate::session::{Refusal, Session, Via};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RecordArgs {
    change_id: Option<String>,
    change_ids: Option<Vec<String>>,
    text: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SkipArgs {
    change_id: String,
    reason: Option<String>,
}

fn invalid(message: impl Into<String>) -> Error {
    Error { code: ErrorCode::InvalidParams, message: message.into().into(), data: None }
}

fn refused(refusal: Refusal) -> Error {
    let code = match refusal {
        Refusal::NotRecorded(_) => ErrorCode::InternalError,
        _ => ErrorCode::InvalidParams,
    };
    Error { code, message: refusal.to_string().into(), data: None }
}

/// The single object argument every Rationale command takes.
fn argument<T: serde::de::DeserializeOwned>(command: &str, arguments: Vec<Value>, shape: &str) -> Result<T> {
    let first = arguments
        .into_iter()
        .next()
        .ok_or_else(|| invalid(format!("{command} takes one argument, {shape}")))?;
    serde_json::from_value(first).map_err(|err| invalid(format!("{command} takes {shape}: {err}")))
}

pub fn execute(session: &Session, command: &str, arguments: Vec<Value>) -> Result<Option<Value>> {
    match command {
        RECORD => {
            let args: RecordArgs = argument(command, arguments, r#"{"changeId" or "changeIds", "text"}"#)?;
            let ids = match (args.change_id, args.change_ids) {
                (Some(id), None) => vec![id],
                (None, Some(ids)) => ids,
                (Some(_), Some(_)) => return Err(invalid("give either `changeId` or `changeIds`, not both")),
                (None, None) => return Err(refused(Refusal::NoChanges)),
            };
            let pairs = session.record(&ids, &args.text, Via::Command).map_err(refused)?;
            Ok(Some(json!({"pairId": pairs[0], "pairIds": pairs})))
        }
        SKIP => {
            let args: SkipArgs = argument(command, arguments, r#"{"changeId", "reason"?}"#)?;
            session.skip(&args.change_id, args.reason.as_deref()).map_err(refused)?;
            Ok(Some(json!({})))
        }
        other => Err(invalid(format!("Rationale has no command `{other}`"))),
    }
}
