//! The reviewer's requests (`rationale/sessions`, `rationale/timeline`, `rationale/replay`,
//! `rationale/review`, `rationale/reviewQueue`) and hover. They read files and replay journals, so they run on the
//! blocking pool: a long replay never holds up the text notifications.

use std::path::PathBuf;

use serde::Deserialize;
use serde_json::{json, Value};
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::{Hover, HoverParams};

use super::backend::Backend;
use super::errors::{self, invalid_params as invalid};
use super::from_proto;
use super::shared::Shared;
use super::to_proto;
use crate::history::queue::{Filter, FLAGS};
use crate::history::timeline::{self, Granularity};
use crate::history::{History, Judgement, Side};
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
    /// Signed, so that a negative one is refused with a sentence rather than serde's words.
    from: Option<i64>,
    limit: Option<i64>,
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
    /// The id of a pair, a skip or an unexplained change.
    pair_id: String,
    verdict: Option<String>,
    note: Option<String>,
    /// Signed, so that a negative line is refused in a sentence rather than by the decoder.
    line: Option<i64>,
    folder: Option<PathBuf>,
}

#[derive(Deserialize)]
pub struct ReviewQueueParams {
    filter: Option<FilterParams>,
    from: Option<i64>,
    limit: Option<i64>,
}

#[derive(Deserialize)]
pub struct FilterParams {
    author: Option<String>,
    flag: Option<String>,
    unreviewed: Option<bool>,
}

/// A page's size when the request names none, and the largest it may name.
const DEFAULT_LIMIT: i64 = 500;
const MAX_LIMIT: i64 = 5_000;

pub async fn sessions(server: &Backend, _: SessionsParams) -> Result<Value> {
    blocking(&server.shared, |session, _| {
        let (sessions, errors) = crate::history::catalog::list(&session.folder_roots());
        Ok(to_proto::sessions(&sessions, &errors))
    })
    .await
}

pub async fn timeline(server: &Backend, params: TimelineParams) -> Result<Value> {
    let granularity = Granularity::parse(&params.granularity).ok_or_else(|| {
        invalid(format!("granularity is \"pairs\" or \"edits\", not {:?}", params.granularity))
    })?;
    let limit = match params.limit {
        None => timeline::DEFAULT_LIMIT,
        Some(limit) if (1..=timeline::MAX_LIMIT as i64).contains(&limit) => limit as usize,
        Some(limit) => {
            return Err(invalid(format!(
                "limit is how many steps a page holds, 1 to {}, not {limit}",
                timeline::MAX_LIMIT
            )))
        }
    };
    let from = match params.from {
        Some(from) if from < 0 => {
            return Err(invalid(format!("from is the seq of a record, 0 or more, not {from}")))
        }
        from => from.map(|from| from as u64),
    };
    blocking(&server.shared, move |session, history| {
        let folders = session.folder_roots();
        let page = history
            .timeline(&folders, &params.session, params.folder.as_deref(), granularity, from, limit)
            .map_err(errors::history)?;
        Ok(to_proto::timeline(&page))
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
        Ok(to_proto::document(&state))
    })
    .await
}

pub async fn review(server: &Backend, params: ReviewParams) -> Result<Value> {
    let verdict = match params.verdict.as_deref() {
        None => None,
        Some(word) => Some(Verdict::parse(word).ok_or_else(|| {
            invalid(format!("a verdict is \"accept\", \"reject\" or \"flag\", not {word:?}"))
        })?),
    };
    let note = params.note.filter(|note| !note.trim().is_empty());
    let comment = match params.line {
        None => None,
        Some(line) if line < 0 => {
            return Err(invalid(format!(
                "line counts the lines of the `after` text from 0, so it cannot be {line}"
            )))
        }
        Some(line) => {
            let Some(note) = note.clone() else {
                return Err(invalid("a comment on a line needs its `note`"));
            };
            Some((u32::try_from(line).unwrap_or(u32::MAX), note))
        }
    };
    if verdict.is_none() && comment.is_none() {
        return Err(invalid("a review gives a `verdict`, or a `line` with its `note`, or both"));
    }
    // With a line, the note is the comment's; a verdict sent along stands without one.
    let note = if comment.is_some() { None } else { note };
    let judgement = Judgement { verdict, note, comment };
    blocking(&server.shared, move |session, history| {
        let folders = session.folder_roots();
        history
            .review(&folders, &params.pair_id, params.folder.as_deref(), judgement, |root| {
                session.reviewer(root)
            })
            .map_err(errors::history)?;
        Ok(json!({}))
    })
    .await
}

pub async fn review_queue(server: &Backend, params: ReviewQueueParams) -> Result<Value> {
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(invalid(format!("limit is a page's size, 1 to {MAX_LIMIT}, not {limit}")));
    }
    let from = params.from.unwrap_or(0);
    if from < 0 {
        return Err(invalid(format!("from is a place in the queue, counted from 0, not {from}")));
    }
    let filter = params.filter.map_or_else(Filter::default, |f| Filter {
        author: f.author,
        flag: f.flag,
        unreviewed: f.unreviewed,
    });
    if let Some(flag) = filter.flag.as_deref().filter(|flag| !FLAGS.contains(flag)) {
        return Err(invalid(format!(
            "there is no quality flag {flag:?}: a flag is one of {}",
            FLAGS.join(", ")
        )));
    }
    blocking(&server.shared, move |session, history| {
        let from = usize::try_from(from).unwrap_or(usize::MAX);
        let page = history.queue.page(&session.folder_roots(), &filter, from, limit as usize);
        if from > 0 && from >= page.total {
            return Err(invalid(format!(
                "from {from} is past the end of the queue, which holds {} entries",
                page.total
            )));
        }
        Ok(to_proto::queue(&page))
    })
    .await
}

pub async fn hover(server: &Backend, params: HoverParams) -> Result<Option<Hover>> {
    let shared = &server.shared;
    let session = shared.request_session()?;
    let at = params.text_document_position_params;
    let Some(unit) = session.unit_at(at.text_document.uri.as_str(), from_proto::position(at.position)) else {
        return Ok(None);
    };
    let shown = shared.history.index.rationales(&unit.folder, &unit.path, &unit.name);
    if shown.is_empty() {
        return Ok(None);
    }
    Ok(Some(to_proto::hover(&unit.name, &shown)))
}
