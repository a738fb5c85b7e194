//! The rows of each export format, one JSON object a line (schemas in `docs/export.md`).
//!
//! Every text of a row passes through redaction first, and the unit's diff is made from the
//! redacted texts, so a secret split across its lines is still caught whole. The edit history's
//! small diffs are made first and redacted as texts: a unit typed one key at a time has hundreds
//! of steps, and redacting a few lines of diff costs a fraction of redacting the whole unit each
//! time; a PEM block split across their `+` lines is still caught from its BEGIN line on.
//!
//! Where a row's texts hold a secret, every text of the row is redacted again knowing it, so that
//! the prefixes a secret passes through while it is typed (in the edit history, in the document
//! before) go too, and so do the lines of a multi-line secret seen apart from its first line.
//! A row is made in two steps ([`RowTexts::of`], then [`write_row`]) so that an export can redact
//! the secrets found anywhere in a session in every row of that session ([`RowTexts::redact_also`])
//! before it writes them: a key a rule finds in the code (`token = "..."`) is no longer left in a
//! rationale that names it with nothing a rule recognises around it.

use serde::Serialize;

use super::history::PairHistory;
use super::{diff, Pair};
use crate::journal::record::NameVersion;
use crate::quality::Quality;
use crate::redact::{Redactor, Secret};
use crate::reviews::{Comment, CommentBeside, Review};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One object per pair with the spec's fields (the default).
    Jsonl,
    /// CommitPackFT's columns: whole files before and after, the rationale as the message.
    Commitpack,
    /// For next-edit models: the unit at its baseline, the edits that led to the pair, the
    /// final unit and the rationale.
    Edits,
}

/// One pair and what the export knows about it.
pub struct RowInput<'a> {
    pub pair: &'a Pair,
    pub history: Option<&'a PairHistory>,
    pub review: Option<&'a Review>,
    /// Every line comment on the pair.
    pub comments: &'a [Comment],
    /// Its quality signals, `None` where they were left out.
    pub quality: Option<&'a Quality>,
    pub with_files: bool,
}

#[derive(Serialize)]
struct UnitOut<'a> {
    name: &'a str,
    kind: &'a str,
    previous_name: Option<&'a str>,
}

/// The standing verdict (all three fields null when the pair has line comments and no verdict),
/// and the line comments when there are any.
#[derive(Serialize)]
struct ReviewOut<'a> {
    verdict: Option<&'a str>,
    reviewer: Option<&'a str>,
    note: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    comments: Vec<CommentBeside<'a>>,
}

#[derive(Serialize)]
struct JsonlRow<'a> {
    id: &'a str,
    session: &'a str,
    author: &'a str,
    workspace: &'a str,
    language: &'a str,
    path: &'a str,
    unit: UnitOut<'a>,
    change: &'a str,
    kind: &'a str,
    before: &'a str,
    after: &'a str,
    diff: &'a str,
    rationale: &'a str,
    explained_at: &'a str,
    edits_from: Option<&'a str>,
    edits_to: Option<&'a str>,
    edits: u64,
    prompted_at: Option<&'a str>,
    via: Option<&'a str>,
    group: Option<&'a str>,
    editor: &'a NameVersion,
    review: Option<ReviewOut<'a>>,
    quality: Option<&'a Quality>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_before: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_after: Option<&'a str>,
}

#[derive(Serialize)]
struct CommitpackRow<'a> {
    commit: &'a str,
    old_file: &'a str,
    new_file: &'a str,
    old_contents: &'a str,
    new_contents: &'a str,
    subject: &'a str,
    message: &'a str,
    lang: &'a str,
    license: Option<&'a str>,
    repos: &'a str,
    quality: Option<&'a Quality>,
}

#[derive(Serialize)]
struct EditOut<'a> {
    ts: &'a str,
    version: Option<i64>,
    diff: String,
    /// Only on the step that re-bases the document after a gap whose edits of it were lost.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    gap: bool,
}

#[derive(Serialize)]
struct EditsRow<'a> {
    id: &'a str,
    session: &'a str,
    author: &'a str,
    language: &'a str,
    path: &'a str,
    unit: UnitOut<'a>,
    kind: &'a str,
    before: &'a str,
    edit_history: Vec<EditOut<'a>>,
    after: &'a str,
    rationale: &'a str,
    explained_at: &'a str,
    edits_from: Option<&'a str>,
    edits_to: Option<&'a str>,
    review: Option<ReviewOut<'a>>,
    quality: Option<&'a Quality>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_before: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_after: Option<&'a str>,
}

/// The texts of a row, redacted (see [`RowTexts::of`]).
pub struct RowTexts(Texts);

impl RowTexts {
    /// The texts of `input`, redacted when there is a redactor, and the secrets found in them.
    pub fn of(input: &RowInput<'_>, redactor: Option<&mut Redactor>) -> (RowTexts, Vec<Secret>) {
        let mut texts = Texts::of(input);
        let found = redactor.map(|redactor| texts.redact(redactor)).unwrap_or_default();
        (RowTexts(texts), found)
    }

    /// Redacts `known` (secrets found elsewhere, with their prefixes) in texts already redacted.
    pub fn redact_also(&mut self, known: &[Secret], redactor: &mut Redactor) {
        self.0.each(|text| *text = redactor.redact_known(text, known, &mut Vec::new()));
    }
}

struct Texts {
    before: String,
    after: String,
    rationale: String,
    file_before: Option<String>,
    file_after: Option<String>,
    /// The edit history's diffs, one per step (empty where a step changed nothing).
    steps: Vec<String>,
}

impl Texts {
    fn of(input: &RowInput<'_>) -> Self {
        let record = &input.pair.record;
        let history = input.history;
        Self {
            before: record.before.clone(),
            after: record.after.clone(),
            rationale: input.pair.rationale().to_owned(),
            file_before: history.and_then(|h| h.file_before.clone()),
            file_after: history.and_then(|h| h.file_after.clone()),
            steps: history.map(steps_of).unwrap_or_default(),
        }
    }

    fn each(&mut self, mut f: impl FnMut(&mut String)) {
        f(&mut self.before);
        f(&mut self.after);
        f(&mut self.rationale);
        self.file_before.iter_mut().for_each(&mut f);
        self.file_after.iter_mut().for_each(&mut f);
        self.steps.iter_mut().for_each(f);
    }

    /// Redacts every text; the secrets found.
    fn redact(&mut self, redactor: &mut Redactor) -> Vec<Secret> {
        let original = self.clone_texts();
        let counts = redactor.checkpoint();
        let mut found: Vec<Secret> = Vec::new();
        self.each(|text| *text = redactor.redact(text, &mut found));
        if found.is_empty() {
            return found;
        }
        // Again, knowing the row's secrets, from the original texts (and counting once).
        redactor.rollback(counts);
        *self = original;
        let mut again = Vec::new();
        self.each(|text| *text = redactor.redact_known(text, &found, &mut again));
        found
    }

    fn clone_texts(&self) -> Texts {
        Texts {
            before: self.before.clone(),
            after: self.after.clone(),
            rationale: self.rationale.clone(),
            file_before: self.file_before.clone(),
            file_after: self.file_after.clone(),
            steps: self.steps.clone(),
        }
    }
}

/// The small diffs of an edit history, from the unit where it starts through each step.
fn steps_of(history: &PairHistory) -> Vec<String> {
    let mut previous = history.start.as_str();
    history
        .steps
        .iter()
        .map(|step| {
            let diff = diff::hunks(previous, &step.text);
            previous = &step.text;
            diff
        })
        .collect()
}

/// Appends the row of `input` in `format` to `out`, with a newline, with its `texts`.
pub fn write_row(out: &mut Vec<u8>, format: Format, input: &RowInput<'_>, texts: &RowTexts) {
    let texts = &texts.0;
    let pair = input.pair;
    let record = &pair.record;
    let session = &*pair.session;
    let unit = UnitOut {
        name: &record.unit.name,
        kind: &record.unit.kind,
        previous_name: record.unit.previous_name.as_deref(),
    };
    let comments = || input.comments.iter().map(Comment::beside).collect::<Vec<_>>();
    let review = match input.review {
        Some(r) => Some(ReviewOut {
            verdict: Some(r.verdict.as_str()),
            reviewer: Some(&r.reviewer),
            note: r.note.as_deref(),
            comments: comments(),
        }),
        None if !input.comments.is_empty() => {
            Some(ReviewOut { verdict: None, reviewer: None, note: None, comments: comments() })
        }
        None => None,
    };
    fn files(with: bool, text: &Option<String>) -> Option<&str> {
        with.then(|| text.as_deref().unwrap_or_default())
    }
    let with = input.with_files;
    let written = match format {
        Format::Jsonl => serde_json::to_writer(
            &mut *out,
            &JsonlRow {
                id: &pair.id,
                session: &session.id,
                author: &session.author,
                workspace: &session.workspace,
                language: &record.language,
                path: &record.path,
                unit,
                change: &record.change,
                kind: &record.kind,
                before: &texts.before,
                after: &texts.after,
                diff: &diff::unified(&record.path, &texts.before, &texts.after),
                rationale: &texts.rationale,
                explained_at: &pair.explained_at,
                edits_from: record.edits_from.as_deref(),
                edits_to: record.edits_to.as_deref(),
                edits: u64::from(record.edits),
                prompted_at: record.prompted_at.as_deref(),
                via: Some(record.via.as_str()).filter(|via| !via.is_empty()),
                group: record.group.as_deref(),
                editor: &session.editor,
                review,
                quality: input.quality,
                file_before: files(with, &texts.file_before),
                file_after: files(with, &texts.file_after),
            },
        ),
        Format::Commitpack => serde_json::to_writer(
            &mut *out,
            &CommitpackRow {
                commit: &pair.id,
                old_file: &record.path,
                new_file: &record.path,
                old_contents: texts.file_before.as_deref().unwrap_or(&texts.before),
                new_contents: texts.file_after.as_deref().unwrap_or(&texts.after),
                subject: texts.rationale.lines().next().unwrap_or_default(),
                message: &texts.rationale,
                lang: crate::syntax::language_named(&record.language)
                    .map_or(record.language.as_str(), |language| language.linguist),
                license: None,
                repos: &session.workspace,
                quality: input.quality,
            },
        ),
        Format::Edits => {
            let mut history = Vec::new();
            if let Some(h) = input.history {
                for (step, diff) in h.steps.iter().zip(&texts.steps) {
                    if !diff.is_empty() {
                        history.push(EditOut {
                            ts: &step.ts,
                            version: step.version,
                            diff: diff.clone(),
                            gap: step.gap,
                        });
                    }
                }
            }
            serde_json::to_writer(
                &mut *out,
                &EditsRow {
                    id: &pair.id,
                    session: &session.id,
                    author: &session.author,
                    language: &record.language,
                    path: &record.path,
                    unit,
                    kind: &record.kind,
                    before: &texts.before,
                    edit_history: history,
                    after: &texts.after,
                    rationale: &texts.rationale,
                    explained_at: &pair.explained_at,
                    edits_from: record.edits_from.as_deref(),
                    edits_to: record.edits_to.as_deref(),
                    review,
                    quality: input.quality,
                    file_before: files(with, &texts.file_before),
                    file_after: files(with, &texts.file_after),
                },
            )
        }
    };
    written.expect("writing JSON to memory cannot fail");
    out.push(b'\n');
}
