//! Rationale's values in the protocol's shapes: the one module that knows them. Positions and
//! ranges; the prompts (a diagnostic on each ready change, code actions, code lenses) and the
//! notes on why-comments; hover; and the answers of the `rationale/*` requests, whose field names
//! and order are fixed by `docs/protocol.md` (editors rely on them). The core hands over plain
//! values and decides everything; nothing here decides.

use std::path::Path;

use serde::Serialize;
use serde_json::{json, Value};
use tower_lsp_server::ls_types::*;

use super::names::{EXPLAIN, SKIP};
use crate::history::catalog::Listed;
use crate::history::index::Shown;
use crate::history::queue;
use crate::history::timeline::{Page, Step};
use crate::journal::summary::SessionSummary;
use crate::replay::DocumentState;
use crate::reviews::{Comment, CommentBeside, Review, Verdict};
use crate::session::{DocumentChanges, Explained, PendingView, WhyNote, WHY_NUDGED, WHY_RECORDED};
use crate::text::{Encoding, Position as TextPosition};
use crate::units::pending::ChangeKind;

const DIAGNOSTIC_CODE: &str = "unexplained-change";

pub fn encoding(encoding: Encoding) -> PositionEncodingKind {
    match encoding {
        Encoding::Utf8 => PositionEncodingKind::UTF8,
        Encoding::Utf16 => PositionEncodingKind::UTF16,
    }
}

pub fn position(p: TextPosition) -> Position {
    Position::new(p.line, p.column)
}

pub fn range((start, end): (TextPosition, TextPosition)) -> Range {
    Range::new(position(start), position(end))
}

/// The diagnostics of one document: a prompt on each ready change, and a note on each
/// why-comment that was not recorded or that was recorded and is still there.
pub fn diagnostics(changes: &DocumentChanges) -> Vec<Diagnostic> {
    let prompts = changes.changes.iter().map(diagnostic);
    prompts.chain(changes.notes.iter().map(why_note)).collect()
}

/// What a change is about, in the product's words: "the change to method `Session.request`",
/// "the new class `Cart`", "the removal of function `helper`". The prompt says it after
/// "Explain"; timeline steps and queue entries carry it as `subject`, so that no editor composes
/// it.
fn subject(change: &str, unit_kind: &str, name: &str) -> String {
    let verb = match change {
        "added" => "the new",
        "removed" => "the removal of",
        _ => "the change to",
    };
    format!("{verb} {unit_kind} `{name}`")
}

/// The prompt's words, "Explain the change to method `Session.request`": the diagnostic's
/// message, and sent as `prompt` with every pending change and in the arguments of
/// `rationale.explain`, so that an editor asks in the same words without composing them.
fn prompt(view: &PendingView) -> String {
    let change = &view.change;
    format!("Explain {}", subject(change.change.as_str(), change.kind.as_str(), &change.name))
}

fn diagnostic(view: &PendingView) -> Diagnostic {
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

/// A why-comment that was not recorded (a warning: the person meant it to be), or one that was
/// recorded and is still there (a hint: it can go).
fn why_note(note: &WhyNote) -> Diagnostic {
    let severity = match note.code {
        WHY_RECORDED => DiagnosticSeverity::HINT,
        WHY_NUDGED => DiagnosticSeverity::INFORMATION,
        _ => DiagnosticSeverity::WARNING,
    };
    Diagnostic {
        range: range(note.range),
        severity: Some(severity),
        code: Some(NumberOrString::String(note.code.into())),
        source: Some("rationale".into()),
        message: note.message.clone(),
        ..Default::default()
    }
}

/// The answer of `rationale.record`: the pairs written (none for a dry run), the quality of the
/// first and of each, and the hint to give when the rationale earns its nudge (`null` otherwise).
pub fn explained(explained: &Explained) -> Value {
    let hint = explained.nudge.then_some(crate::quality::HINT);
    let mut answer = json!({
        "quality": explained.qualities.first(),
        "qualities": explained.qualities,
        "hint": hint,
    });
    if let Some(first) = explained.pairs.first() {
        answer["pairId"] = json!(first);
        answer["pairIds"] = json!(explained.pairs);
    }
    answer
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
        if view.change.change == ChangeKind::Removed {
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

/// One element of `rationale/pendingChanges`' `changes`.
pub fn pending_change(uri: &str, view: &PendingView) -> Value {
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

/// Hover on a unit: each rationale, latest first, with who, when and the verdict.
pub fn hover(unit: &str, shown: &[Shown]) -> Hover {
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
    Hover {
        contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value: text }),
        range: None,
    }
}

/// A session as `rationale/sessions` lists it (and `rationale sessions --json` prints it).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionOut<'a> {
    id: &'a str,
    author: &'a str,
    started: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    ended: Option<&'a str>,
    files: &'a [String],
    pairs: u64,
    flagged: u64,
    skips: u64,
}

impl<'a> SessionOut<'a> {
    pub fn of(summary: &'a SessionSummary) -> Self {
        SessionOut {
            id: &summary.id,
            author: &summary.author,
            started: &summary.started,
            ended: summary.ended.as_deref(),
            files: &summary.files,
            pairs: summary.pairs,
            flagged: summary.flagged,
            skips: summary.skips,
        }
    }
}

#[derive(Serialize)]
struct ListedOut<'a> {
    #[serde(flatten)]
    session: SessionOut<'a>,
    reviewed: u64,
    workspace: &'a str,
    folder: &'a Path,
}

/// `rationale/sessions`: every session of the workspace folders, and the journals that could not
/// be read.
pub fn sessions(listed: &[Listed], errors: &[String]) -> Value {
    let sessions: Vec<ListedOut<'_>> = listed
        .iter()
        .map(|listed| ListedOut {
            session: SessionOut::of(&listed.summary),
            reviewed: listed.reviewed,
            workspace: &listed.workspace,
            folder: &listed.folder,
        })
        .collect();
    json!({ "sessions": sessions, "errors": errors })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UnitOut<'a> {
    name: &'a str,
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_name: Option<&'a str>,
}

#[derive(Serialize)]
struct ReviewOut<'a> {
    ts: &'a str,
    reviewer: &'a str,
    pair: &'a str,
    verdict: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
}

impl<'a> ReviewOut<'a> {
    fn of(review: &'a Review) -> Self {
        ReviewOut {
            ts: &review.ts,
            reviewer: &review.reviewer,
            pair: &review.pair,
            verdict: review.verdict.as_str(),
            note: review.note.as_deref(),
        }
    }
}

/// One step of `rationale/timeline`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StepOut<'a> {
    seq: u64,
    ts: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    edits: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit: Option<UnitOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    change: Option<&'a str>,
    /// What the change is about ([`subject`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pair_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rationale: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    before: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    after: Option<&'a str>,
    /// For a pair: the latest standing verdict, or `null`.
    #[serde(skip_serializing_if = "Option::is_none")]
    review: Option<Option<ReviewOut<'a>>>,
    /// For a pair: every reviewer's standing verdict, latest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    reviews: Option<Vec<ReviewOut<'a>>>,
    /// For a pair: every line comment, by line.
    #[serde(skip_serializing_if = "Option::is_none")]
    comments: Option<Vec<CommentBeside<'a>>>,
    /// For a pair: its quality flags.
    #[serde(skip_serializing_if = "Option::is_none")]
    flags: Option<&'a [&'static str]>,
}

impl<'a> StepOut<'a> {
    fn of(step: &'a Step) -> Self {
        let change = step.change.as_ref();
        let pair = change.and_then(|change| change.pair.as_ref());
        StepOut {
            seq: step.seq,
            ts: &step.ts,
            kind: &step.kind,
            path: step.path.as_deref(),
            edits: step.edits,
            unit: change.map(|change| UnitOut {
                name: &change.unit.name,
                kind: &change.unit.kind,
                previous_name: change.unit.previous_name.as_deref(),
            }),
            change: change.map(|change| change.kind.as_str()),
            subject: change.map(|change| subject(&change.kind, &change.unit.kind, &change.unit.name)),
            pair_id: pair.map(|pair| pair.id.as_str()),
            rationale: pair.and_then(|pair| pair.rationale.as_deref()),
            reason: change.and_then(|change| change.reason.as_deref()),
            before: change.map(|change| change.before.as_str()),
            after: change.map(|change| change.after.as_str()),
            review: pair.map(|pair| pair.reviews.first().map(ReviewOut::of)),
            reviews: pair.map(|pair| pair.reviews.iter().map(ReviewOut::of).collect()),
            comments: pair.map(|pair| pair.comments.iter().map(Comment::beside).collect()),
            flags: pair.map(|pair| pair.flags.as_slice()),
        }
    }
}

/// `rationale/timeline`: a page of steps.
pub fn timeline(page: &Page) -> Value {
    let steps: Vec<StepOut<'_>> = page.steps.iter().map(StepOut::of).collect();
    json!({ "steps": steps, "next": page.next, "total": page.total })
}

/// One entry of `rationale/reviewQueue`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct QueueEntryOut<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    session: &'a str,
    seq: u64,
    ts: &'a str,
    author: &'a str,
    workspace: &'a str,
    folder: &'a Path,
    path: &'a str,
    unit: UnitOut<'a>,
    change: &'a str,
    subject: String,
    before: &'a str,
    after: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rationale: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    flags: &'a [&'static str],
    review: Option<ReviewOut<'a>>,
    reviews: Vec<ReviewOut<'a>>,
    comments: Vec<CommentBeside<'a>>,
}

/// `rationale/reviewQueue`: one page of the queue, where the next starts, how many there are,
/// and the files that could not be read.
pub fn queue(page: &queue::Page) -> Value {
    let entries: Vec<QueueEntryOut<'_>> = page
        .entries
        .iter()
        .map(|entry| {
            let recorded = &*entry.recorded;
            QueueEntryOut {
                id: &entry.id,
                kind: recorded.kind.as_str(),
                session: &recorded.session,
                seq: recorded.seq,
                ts: &recorded.ts,
                author: &entry.author,
                workspace: &entry.workspace,
                folder: &entry.folder,
                path: &recorded.path,
                unit: UnitOut {
                    name: &recorded.unit.name,
                    kind: &recorded.unit.kind,
                    previous_name: recorded.unit.previous_name.as_deref(),
                },
                change: &recorded.change,
                subject: subject(&recorded.change, &recorded.unit.kind, &recorded.unit.name),
                before: &recorded.before,
                after: &recorded.after,
                rationale: recorded.rationale.as_deref(),
                reason: recorded.reason.as_deref(),
                flags: &recorded.flags,
                review: entry.reviews.first().map(ReviewOut::of),
                reviews: entry.reviews.iter().map(ReviewOut::of).collect(),
                comments: entry.comments.iter().map(Comment::beside).collect(),
            }
        })
        .collect();
    json!({ "entries": entries, "next": page.next, "total": page.total, "errors": page.errors })
}

/// `rationale/replay`: the document's text and version.
pub fn document(state: &DocumentState) -> Value {
    json!({ "text": state.text, "version": state.version })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(ended: Option<&str>) -> SessionSummary {
        SessionSummary {
            id: "20261126T083000Z-7f3a9c".into(),
            author: "dev@example.com".into(),
            started: "2026-11-26T08:30:00.000Z".into(),
            ended: ended.map(str::to_owned),
            files: vec!["a.py".into(), "b.py".into()],
            pairs: 2,
            flagged: 1,
            skips: 1,
            pair_seqs: vec![6, 8],
        }
    }

    #[test]
    fn a_session_has_the_protocol_shape_and_no_ended_field_while_it_runs() {
        let ended =
            serde_json::to_string(&SessionOut::of(&summary(Some("2026-11-26T08:31:03.000Z")))).unwrap();
        assert_eq!(
            ended,
            r#"{"id":"20261126T083000Z-7f3a9c","author":"dev@example.com","started":"2026-11-26T08:30:00.000Z","ended":"2026-11-26T08:31:03.000Z","files":["a.py","b.py"],"pairs":2,"flagged":1,"skips":1}"#
        );
        let running = serde_json::to_value(SessionOut::of(&summary(None))).unwrap();
        assert!(running.get("ended").is_none());
    }
}
