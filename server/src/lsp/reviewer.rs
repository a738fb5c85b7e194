//! The reviewer's requests (`rationale/sessions`, `rationale/timeline`, `rationale/replay`,
//! `rationale/review`) and hover. They read files and replay journals, so they run on the
//! blocking pool: a long replay never holds up the text notifications.

use std::path::PathBuf;

use serde::Deserialize;
use serde_json::{json, Value};
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::{Hover, HoverContents, HoverParams, MarkupContent, MarkupKind};

use super::backend::Backend;
use super::convert;
use super::errors::{self, invalid_params as invalid};
use super::shared::Shared;
use crate::history::index::Shown;
use crate::history::timeline::Granularity;
use crate::history::{History, Side};
use crate::reviews::Verdict;
use crate::session::Session;

/// Runs `f` on the blocking pool with the session and history.
async fn blocking<T: Send + 'static>(
    shared: &Shared,
    f: impl FnOnce(&Session, &History) -> Result<T> + Send + 'static,
) -> Result<T> {
    let session = shared.request_session()?.clone();
    let history = shared.history.clone();
    tokio::task::spawn_blocking(move || f(&session, &history))
        .await
        .unwrap_or_else(|_| Err(Error::internal_error()))
}

#[derive(Deserialize)]
pub struct SessionsParams {}

#[derive(Deserialize)]
pub struct TimelineParams {
    session: String,
    granularity: String,
    folder: Option<PathBuf>,
}

#[derive(Deserialize)]
pub struct ReplayParams {
    session: String,
    path: String,
    seq: u64,
    side: Option<String>,
    folder: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewParams {
    pair_id: String,
    verdict: String,
    note: Option<String>,
}

pub async fn sessions(server: &Backend, _: SessionsParams) -> Result<Value> {
    blocking(&server.shared, |session, _| {
        let (sessions, errors) = crate::history::catalog::list(&session.folder_roots());
        Ok(json!({ "sessions": sessions, "errors": errors }))
    })
    .await
}

pub async fn timeline(server: &Backend, params: TimelineParams) -> Result<Value> {
    let granularity = Granularity::parse(&params.granularity).ok_or_else(|| {
        invalid(format!("granularity is \"pairs\" or \"edits\", not {:?}", params.granularity))
    })?;
    blocking(&server.shared, move |session, history| {
        let folders = session.folder_roots();
        let steps = history
            .timeline(&folders, &params.session, params.folder.as_deref(), granularity)
            .map_err(errors::history)?;
        Ok(json!({ "steps": steps }))
    })
    .await
}

pub async fn replay(server: &Backend, params: ReplayParams) -> Result<Value> {
    let side = match params.side.as_deref() {
        None | Some("after") => Side::After,
        Some("before") => Side::Before,
        Some(other) => return Err(invalid(format!("side is \"before\" or \"after\", not {other:?}"))),
    };
    blocking(&server.shared, move |session, history| {
        let folders = session.folder_roots();
        let state = history
            .replay(&folders, &params.session, params.folder.as_deref(), &params.path, params.seq, side)
            .map_err(errors::history)?;
        Ok(json!(state))
    })
    .await
}

pub async fn review(server: &Backend, params: ReviewParams) -> Result<Value> {
    let verdict = Verdict::parse(&params.verdict).ok_or_else(|| {
        invalid(format!("a verdict is \"accept\", \"reject\" or \"flag\", not {:?}", params.verdict))
    })?;
    blocking(&server.shared, move |session, history| {
        let folders = session.folder_roots();
        history
            .review(&folders, &params.pair_id, verdict, params.note, |root| session.reviewer(root))
            .map_err(errors::history)?;
        Ok(json!({}))
    })
    .await
}

pub async fn hover(server: &Backend, params: HoverParams) -> Result<Option<Hover>> {
    let shared = &server.shared;
    let session = shared.request_session()?;
    let at = params.text_document_position_params;
    let Some(unit) = session.unit_at(at.text_document.uri.as_str(), convert::position(at.position)) else {
        return Ok(None);
    };
    let shown = shared.history.index.rationales(&unit.folder, &unit.path, &unit.name);
    if shown.is_empty() {
        return Ok(None);
    }
    Ok(Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: hover_text(&unit.name, &shown),
        }),
        range: None,
    }))
}

/// The hover's markdown: each rationale, latest first, with who, when and the verdict.
fn hover_text(unit: &str, shown: &[Shown]) -> String {
    let count = match shown.len() {
        1 => "1 rationale".to_owned(),
        n => format!("{n} rationales, latest first"),
    };
    let mut text = format!("**Why `{unit}` changed** ({count})\n");
    for entry in shown {
        let recorded = &entry.recorded;
        text.push_str("\n---\n\n");
        for line in recorded.text.lines() {
            text.push_str(&format!("> {line}\n"));
        }
        let when = recorded.ts.get(..16).unwrap_or(&recorded.ts).replace('T', " ");
        text.push_str(&format!("\n*{}, {when} UTC*", recorded.author));
        if let Some(review) = &entry.review {
            let verdict = match review.verdict {
                Verdict::Accept => "accepted",
                Verdict::Reject => "rejected",
                Verdict::Flag => "flagged",
            };
            text.push_str(&format!(" · {verdict} by {}", review.reviewer));
            if let Some(note) = &review.note {
                text.push_str(&format!(": {note}"));
            }
        }
        text.push('\n');
    }
    text
}
