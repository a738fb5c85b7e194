//! The steps of a session, as a reviewer walks through them: every pair, or every record that
//! changed a document, with the pairs' rationales and verdicts.

use serde::Serialize;

use crate::journal::record::UnitRef;
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
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    pub seq: u64,
    pub ts: String,
    /// The record's type.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// How many edits a `change` record holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edits: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<UnitRef>,
    /// `modified`, `added` or `removed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pair_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
    /// Why a skipped change needed no explanation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// For a pair: the latest standing verdict, or `null`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review: Option<Option<Review>>,
    /// For a pair: every reviewer's standing verdict, latest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviews: Option<Vec<Review>>,
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
            unit: None,
            change: None,
            pair_id: None,
            rationale: None,
            reason: None,
            before: None,
            after: None,
            review: None,
            reviews: None,
        };
        if matches!(&*record.kind, "rationale" | "skip") {
            let Some(explanation) = super::explanation(line.raw) else {
                return Err(JournalError::invalid(
                    journal.path(),
                    line.number,
                    format!(
                        "the `{}` record lacks a field a pair has (pair, unit, before, after, ...)",
                        record.kind
                    ),
                ));
            };
            step.unit = Some(explanation.unit);
            step.change = Some(explanation.kind);
            step.before = Some(explanation.before);
            step.after = Some(explanation.after);
            step.reason = explanation.reason;
            if record.kind == "rationale" {
                // The pair id is the session and the seq, whatever the record says of itself.
                let pair = format!("{session}:{}", record.seq);
                let standing = reviews.of(&pair);
                step.review = Some(standing.first().cloned());
                step.reviews = Some(standing.to_vec());
                step.rationale = explanation.text;
                step.pair_id = Some(pair);
            }
        }
        steps.push(step);
    }
    Ok(steps)
}
