//! The steps of a session, as a reviewer walks through them: every pair, or every record that
//! changed a document, with the pairs' rationales and verdicts.

use crate::journal::record::{Explanation, UnitRef};
use crate::journal::Journal;
use crate::journal::JournalError;
use crate::reviews::{Review, Reviews};

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
    /// What a `rationale` or `skip` record says of its change.
    pub change: Option<ChangeStep>,
}

/// The change a `rationale` or `skip` step is about.
#[derive(Clone, Debug)]
pub struct ChangeStep {
    pub unit: UnitRef,
    /// `modified`, `added` or `removed`.
    pub kind: String,
    pub before: String,
    pub after: String,
    /// Why a skipped change needed no explanation.
    pub reason: Option<String>,
    /// For a `rationale` record: the pair.
    pub pair: Option<PairStep>,
}

/// What a `rationale` step adds: the pair's id, its rationale and its verdicts.
#[derive(Clone, Debug)]
pub struct PairStep {
    /// `<session>:<seq>`.
    pub id: String,
    pub rationale: Option<String>,
    /// Every reviewer's standing verdict, latest first.
    pub reviews: Vec<Review>,
}

/// The steps of `journal` (the journal of session `session`), up to its last complete line.
pub fn steps(
    journal: &Journal,
    session: &str,
    granularity: Granularity,
    reviews: &Reviews,
) -> Result<Vec<Step>, JournalError> {
    let mut steps = Vec::new();
    for line in journal.records() {
        let line = line?;
        let record = &line.record;
        let wanted = match granularity {
            Granularity::Pairs => record.kind == "rationale",
            Granularity::Edits => record.kind != "session",
        };
        if !wanted {
            continue;
        }
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
        if matches!(&*record.kind, "rationale" | "skip") {
            let explanation: Explanation = line.fields(journal.path())?;
            // The pair id is the session and the seq, whatever the record says of itself.
            let pair = (record.kind == "rationale").then(|| {
                let id = format!("{session}:{}", record.seq);
                let reviews = reviews.of(&id).to_vec();
                PairStep { id, rationale: explanation.text, reviews }
            });
            step.change = Some(ChangeStep {
                unit: explanation.unit,
                kind: explanation.kind,
                before: explanation.before,
                after: explanation.after,
                reason: explanation.reason,
                pair,
            });
        }
        steps.push(step);
    }
    Ok(steps)
}
