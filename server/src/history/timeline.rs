//! The steps of a session, as a reviewer walks through them: every pair, or every record that
//! changed a document, with the pairs' rationales, and the verdicts and line comments on pairs,
//! skips and unexplained changes, a page at a time (the journal's index,
//! [`super::journal_index`], finds where a page starts).

use std::path::Path;

use crate::journal::record::{Explanation, UnitRef};
use crate::journal::{JournalError, Line};
use crate::reviews::{Comment, Review, Reviews};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Granularity {
    /// The `rationale` records alone.
    Pairs,
    /// Every record but the `session` record.
    Edits,
}

impl Granularity {
    pub fn parse(word: &str) -> Option<Granularity> {
        match word {
            "pairs" => Some(Granularity::Pairs),
            "edits" => Some(Granularity::Edits),
            _ => None,
        }
    }
}

/// One step: a journal record, with what a reviewer needs of it.
#[derive(Clone, Debug)]
pub struct Step {
    pub seq: u64,
    pub ts: String,
    /// The record's type.
    pub kind: String,
    pub path: Option<String>,
    /// How many edits a `change` record holds.
    pub edits: Option<usize>,
    /// What a `rationale`, `skip` or `unexplained` record says of its change.
    pub change: Option<ChangeStep>,
}

/// The change a `rationale`, `skip` or `unexplained` step is about (an `unexplained` one has no
/// `before` or `after`).
#[derive(Clone, Debug)]
pub struct ChangeStep {
    pub unit: UnitRef,
    /// `modified`, `added` or `removed`.
    pub kind: String,
    pub before: String,
    pub after: String,
    /// Why a skipped change needed no explanation.
    pub reason: Option<String>,
    /// Its id and how it was judged (a `skip` or `unexplained` record has no rationale).
    pub pair: Option<PairStep>,
}

/// What a `rationale`, `skip` or `unexplained` step adds: its id, the rationale, its verdicts and
/// comments.
#[derive(Clone, Debug)]
pub struct PairStep {
    /// `<session>:<seq>`.
    pub id: String,
    pub rationale: Option<String>,
    /// Every reviewer's standing verdict, latest first.
    pub reviews: Vec<Review>,
    /// Every line comment, by line and then oldest first.
    pub comments: Vec<Comment>,
    /// Its quality flags ([`Explanation::flags`]).
    pub flags: Vec<&'static str>,
}

/// The longest page a client may ask for, and the page it gets when it names none.
pub const MAX_LIMIT: usize = 5000;
pub const DEFAULT_LIMIT: usize = 500;

/// One page of a timeline: its steps, the `seq` the next page starts at (`None` after the last),
/// and how many steps the whole timeline has.
#[derive(Clone, Debug)]
pub struct Page {
    pub steps: Vec<Step>,
    pub next: Option<u64>,
    pub total: u64,
}

impl Granularity {
    /// Whether a record of type `kind` is a step at this granularity.
    pub fn wants(self, kind: &str) -> bool {
        match self {
            Granularity::Pairs => kind == "rationale",
            Granularity::Edits => kind != "session",
        }
    }
}

/// The step that `line` of the journal at `journal` (of session `session`) is.
pub fn step(line: &Line<'_>, journal: &Path, session: &str, reviews: &Reviews) -> Result<Step, JournalError> {
    let record = &line.record;
    let mut step = Step {
        seq: record.seq,
        ts: record.ts.to_string(),
        kind: record.kind.to_string(),
        path: record.path.as_deref().map(str::to_owned),
        edits: match &record.edits {
            crate::journal::Edits::List(edits) if record.kind == "change" => Some(edits.len()),
            _ => None,
        },
        change: None,
    };
    if matches!(&*record.kind, "rationale" | "skip" | "unexplained") {
        let explanation: Explanation = line.fields(journal)?;
        // The pair id is the session and the seq, whatever the record says of itself.
        let pair = {
            let id = format!("{session}:{}", record.seq);
            let (comments, reviews) = (reviews.comments(&id).to_vec(), reviews.of(&id).to_vec());
            Some(PairStep { id, flags: explanation.flags(), rationale: explanation.text, reviews, comments })
        };
        step.change = Some(ChangeStep {
            unit: explanation.unit,
            kind: explanation.kind,
            before: explanation.before,
            after: explanation.after,
            reason: explanation.reason,
            pair,
        });
    }
    Ok(step)
}
