//! What a pair's record does not hold and a replay of its journal gives: the whole document
//! before and after the change, and the unit's text after each edit that led to it.
//!
//! **The document before** a pair is the document as it stood before the change's first edit:
//! before the first `change` record of the pair's path whose `ts` is not earlier than the pair's
//! `editsFrom` (both have millisecond precision, and the server takes an edit's time before it
//! journals the edit). The writer joins keystrokes that come within 200 ms into one record, so a
//! change whose first edit joined the previous change's record starts one record later. Edits
//! before a record that set the unit's baseline again (a `rationale`, `skip` or `unexplained`
//! of the same unit, that left the pair's baseline text) are not the pair's, even within the millisecond of its first edit: the
//! document before is then taken at the first change after that record.
//! **The document after** is the document when the `rationale` record was written.
//!
//! **The history** follows the unit through the records of its path from that point to the pair:
//! the unit is found in the document before by its baseline text (`before`; where it appears
//! more than once, the appearance the first edit touches or is nearest to), and an edit that
//! touches it (overlaps it or meets its ends) grows it to cover what the edit wrote. After each
//! record with such an edit, the unit's text is one step. An added unit (no baseline text), or a
//! baseline not found, starts empty where the first edit lands. Edits to other parts of the
//! document only move the unit.

use std::collections::{HashMap, HashSet};

use ropey::Rope;

use super::Pair;
use crate::journal::record::{Gap, UnitRef};
use crate::journal::{Edits, Line};
use crate::journal::{Journal, JournalError};
use crate::replay::Replayer;
use crate::text::{to_char, Encoding, Position};

/// What to rebuild.
#[derive(Clone, Copy, Debug, Default)]
pub struct Needs {
    pub files: bool,
    pub steps: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PairHistory {
    pub file_before: Option<String>,
    pub file_after: Option<String>,
    /// The unit's text where the history starts (its baseline, as found in the document).
    pub start: String,
    pub steps: Vec<Step>,
}

/// The unit after one record's edits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// The `ts` of the `change` record.
    pub ts: String,
    pub version: Option<i64>,
    pub text: String,
    /// The step re-bases the document after a gap whose records of it were lost (`gap` in
    /// journal.md): it holds everything those lost edits did to the unit, at once.
    pub gap: bool,
}

/// Replays `journal` (whose pairs, in journal order, are `pairs`) and returns each pair's history.
pub fn replay_pairs(
    journal: &Journal,
    pairs: &[Pair],
    needs: Needs,
    mut progress: impl FnMut(usize),
) -> Result<Vec<PairHistory>, JournalError> {
    let mut histories = vec![PairHistory::default(); pairs.len()];
    if pairs.is_empty() || !(needs.files || needs.steps) {
        return Ok(histories);
    }
    let mut waiting: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, pair) in pairs.iter().enumerate() {
        waiting.entry(pair.record.path.as_str()).or_default().push(index);
    }
    let by_seq: HashMap<u64, usize> = pairs.iter().enumerate().map(|(i, p)| (p.seq, i)).collect();
    let last = pairs.iter().map(|p| p.seq).max().unwrap_or(0);
    let mut trails: Vec<Trail> = Vec::new();
    let mut replayer = Replayer::new(journal.path());
    let mut records = journal.records();
    // The documents the last gap re-based, until their re-basing `open` or `resync` is read.
    let mut rebasing: HashSet<String> = HashSet::new();
    while let Some(line) = records.next() {
        let line = line?;
        let record = &line.record;
        if record.kind == "gap" {
            let gap: Gap = line.fields(journal.path())?;
            rebasing.extend(gap.rebased);
        }
        let rebases = record.path.as_deref().is_some_and(|path| rebasing.remove(path))
            && matches!(&*record.kind, "open" | "resync");
        if let Some(path) = record.path.as_deref() {
            if let Some(list) = waiting.get_mut(path) {
                let mut i = 0;
                while i < list.len() {
                    let pair = &pairs[list[i]];
                    let opens = record.seq >= pair.seq
                        || (record.kind == "change"
                            && pair.record.edits_from.as_deref().is_none_or(|from| &*record.ts >= from));
                    if !opens {
                        i += 1;
                        continue;
                    }
                    let index = list.remove(i);
                    let text = replayer.text_of(path)?.unwrap_or_default();
                    if needs.steps {
                        let trail =
                            Trail::new(index, &text, replayer.encoding(), &pairs[index].record.before);
                        trails.push(trail);
                    }
                    if needs.files {
                        histories[index].file_before = Some(text);
                    }
                }
            }
        }
        replayer.apply(&line)?;
        if let Some(path) = record.path.as_deref() {
            for trail in trails.iter_mut() {
                if pairs[trail.pair].record.path == path && record.seq < pairs[trail.pair].seq {
                    trail.feed(&line, rebases);
                }
            }
        }
        if record.kind == "rationale" {
            if let Some(&index) = by_seq.get(&record.seq) {
                if needs.files {
                    histories[index].file_after = replayer.text_of(&pairs[index].record.path)?;
                }
                if let Some(at) = trails.iter().position(|t| t.pair == index) {
                    let trail = trails.swap_remove(at);
                    histories[index].start = trail.start;
                    histories[index].steps = trail.steps;
                }
            }
        }
        // A rationale, a skip or an `unexplained` record sets its unit's baseline again: a later
        // pair's trail opened before it, from that baseline, opened on the edits before it (in
        // the same millisecond as the pair's first edit) and waits for the next change.
        let resets = matches!(&*record.kind, "rationale" | "skip" | "unexplained");
        if let Some(path) = record.path.as_deref().filter(|_| resets) {
            let later =
                |trail: &Trail| pairs[trail.pair].record.path == path && record.seq < pairs[trail.pair].seq;
            if trails.iter().any(later) {
                // A record without its unit (written before records named it) resets nothing.
                let set = line.fields::<Baseline>(journal.path()).ok();
                let of_unit = |trail: &Trail| {
                    let pair = &pairs[trail.pair].record;
                    let Some(Baseline { unit, after }) = &set else { return false };
                    // Of the same unit (two of one name are told apart by the text one left).
                    let same = pair.unit.name == unit.name
                        || pair.unit.previous_name.as_deref() == Some(unit.name.as_str());
                    later(trail) && same && after.as_ref().is_none_or(|after| *after == pair.before)
                };
                for trail in trails.extract_if(.., |trail| of_unit(trail)) {
                    let list = waiting.entry(pairs[trail.pair].record.path.as_str()).or_default();
                    list.insert(list.partition_point(|&i| i < trail.pair), trail.pair);
                    histories[trail.pair].file_before = None;
                }
            }
        }
        if records.line_number().is_multiple_of(4096) {
            progress(journal.len() - records.remaining_bytes());
        }
        if record.seq >= last {
            break;
        }
    }
    Ok(histories)
}

/// The unit of a record that sets a unit's baseline, and the text it sets (an `unexplained`
/// record has none).
#[derive(serde::Deserialize)]
struct Baseline {
    unit: UnitRef,
    after: Option<String>,
}

/// One pair's unit followed through the records of its path.
struct Trail {
    pair: usize,
    rope: Rope,
    encoding: Encoding,
    baseline: String,
    /// The unit's characters in `rope`; `None` until the first edit places it.
    region: Option<(usize, usize)>,
    start: String,
    steps: Vec<Step>,
    /// An edit could not be placed: the history stops there.
    lost: bool,
}

impl Trail {
    fn new(pair: usize, text: &str, encoding: Encoding, baseline: &str) -> Self {
        Self {
            pair,
            rope: Rope::from_str(text),
            encoding,
            baseline: baseline.to_owned(),
            region: None,
            start: baseline.to_owned(),
            steps: Vec::new(),
            lost: false,
        }
    }

    fn feed(&mut self, line: &Line<'_>, rebases: bool) {
        if self.lost {
            return;
        }
        let record = &line.record;
        let mut touched = false;
        match &*record.kind {
            "change" => {
                let Edits::List(edits) = &record.edits else { return };
                for edit in edits {
                    match self.edit(edit.range, &edit.text) {
                        Some(hit) => touched |= hit,
                        None => {
                            self.lost = true;
                            return;
                        }
                    }
                }
            }
            "open" | "resync" => {
                if let Some(text) = record.text.as_deref() {
                    touched = self.edit(None, text).unwrap_or(false);
                }
            }
            _ => return,
        }
        if touched {
            let (start, end) = self.region.expect("an edit that touched the unit placed it");
            self.steps.push(Step {
                ts: record.ts.to_string(),
                version: record.version,
                text: self.rope.slice(start..end).to_string(),
                gap: rebases,
            });
        }
    }

    /// Applies one edit; whether it touched the unit, or `None` if it cannot be placed.
    fn edit(&mut self, range: Option<[[u32; 2]; 2]>, text: &str) -> Option<bool> {
        let (from, to, text) = match range {
            Some([[l1, c1], [l2, c2]]) => {
                let from = to_char(&self.rope, Position::new(l1, c1), self.encoding).ok()?;
                let to = to_char(&self.rope, Position::new(l2, c2), self.encoding).ok()?;
                (from.min(to), from.max(to), text.to_owned())
            }
            None => self.as_range(text),
        };
        if self.region.is_none() {
            self.region = Some(self.place(from, to));
        }
        let (start, end) = self.region.expect("placed above");
        let written = text.chars().count();
        let delta = written as isize - (to - from) as isize;
        let shift = |at: usize| (at as isize + delta) as usize;
        let touched = from <= end && to >= start;
        self.region = Some(if to < start {
            (shift(start), shift(end))
        } else if from > end {
            (start, end)
        } else {
            (start.min(from), shift(end.max(to)))
        });
        self.rope.remove(from..to);
        self.rope.insert(from, &text);
        Some(touched)
    }

    /// A whole-document replacement as the smallest range edit that has the same effect.
    fn as_range(&self, new: &str) -> (usize, usize, String) {
        let old = self.rope.to_string();
        let prefix = old.chars().zip(new.chars()).take_while(|(a, b)| a == b).count();
        let (old_len, new_len) = (old.chars().count(), new.chars().count());
        let most = old_len.min(new_len) - prefix;
        let suffix = old.chars().rev().zip(new.chars().rev()).take(most).take_while(|(a, b)| a == b).count();
        let written: String = new.chars().skip(prefix).take(new_len - prefix - suffix).collect();
        (prefix, old_len - suffix, written)
    }

    /// Where the unit is, for a first edit at `from..to`: its baseline text's appearance that the
    /// edit touches or is nearest to, else an empty unit where the edit lands.
    fn place(&mut self, from: usize, to: usize) -> (usize, usize) {
        let text = self.rope.to_string();
        let width = self.baseline.chars().count();
        let best = if self.baseline.is_empty() {
            None
        } else {
            text.match_indices(self.baseline.as_str())
                .map(|(at, _)| {
                    let start = self.rope.byte_to_char(at);
                    (start, start + width)
                })
                .min_by_key(|&(start, end)| if to < start { start - to } else { from.saturating_sub(end) })
        };
        match best {
            Some(region) => region,
            None => {
                self.start = String::new();
                (from, from)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::record::Record;
    use crate::journal::samples::{change, journal_text, open};
    use crate::journal::Body;
    use crate::text::Encoding;

    fn rationale_line(seq: usize, path: &str, before: &str, edits_from: &str) -> String {
        serde_json::json!({
            "seq": seq, "ts": "2026-11-26T08:31:00.000Z", "type": "rationale",
            "pair": format!("s:{seq}"), "path": path, "before": before, "after": "", "text": "why",
            "editsFrom": edits_from, "edits": 1,
        })
        .to_string()
            + "\n"
    }

    /// The histories of the pairs of the journal `text`.
    fn histories_of(text: String, needs: Needs) -> Vec<PairHistory> {
        let journal = Journal::from_bytes("s.jsonl", text.into_bytes());
        let content = super::super::read_journal(&journal, |_| {}).unwrap();
        replay_pairs(&journal, &content.pairs, needs, |_| {}).unwrap()
    }

    /// A `rationale` record of unit `unit` of `x.py` with its texts, whose first edit was at
    /// second `from` (`":02"`).
    fn explained(seq: u64, unit: &str, (before, after): (&str, &str), from: &str) -> String {
        serde_json::json!({
            "seq": seq, "ts": format!("2026-11-26T08:30:{seq:02}.000Z"), "type": "rationale",
            "pair": format!("s:{seq}"), "path": "x.py", "language": "python",
            "unit": {"name": unit, "kind": "function"}, "kind": "modified",
            "before": before, "after": after, "text": "why",
            "editsFrom": format!("2026-11-26T08:30{from}.000Z"), "edits": 1,
        })
        .to_string()
            + "\n"
    }

    #[test]
    fn the_unit_is_followed_through_the_edits_that_touch_it() {
        let doc = "def a():\n    return 1\n\n\ndef b():\n    return 2\n";
        let mut text = journal_text(
            Encoding::Utf8,
            vec![
                open("x.py", doc),
                // seq 2 (ts :02): touches b; seq 3 touches a (elsewhere); seq 4 touches b again.
                change("x.py", 2, &[((5, 11, 5, 12), "20")]),
                change("x.py", 3, &[((1, 11, 1, 12), "10")]),
                change("x.py", 4, &[((5, 13, 5, 13), "0")]),
            ],
        );
        text += &rationale_line(5, "x.py", "def b():\n    return 2", "2026-11-26T08:30:02.000Z");
        let histories = histories_of(text, Needs { files: true, steps: true });
        let history = &histories[0];
        assert_eq!(history.file_before.as_deref(), Some(doc));
        assert_eq!(
            history.file_after.as_deref(),
            Some("def a():\n    return 10\n\n\ndef b():\n    return 200\n")
        );
        assert_eq!(history.start, "def b():\n    return 2");
        let steps: Vec<&str> = history.steps.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(steps, ["def b():\n    return 20", "def b():\n    return 200"]);
        assert_eq!(history.steps[0].ts, "2026-11-26T08:30:02.000Z");
        assert_eq!(history.steps[1].version, Some(4));
    }

    #[test]
    fn a_pair_whose_first_edit_shares_a_millisecond_with_the_pair_before_starts_at_its_baseline() {
        // `b` is explained after one edit; the next edit to `b` comes within the same
        // millisecond, so the second pair's `editsFrom` is the first change's `ts` (here :02).
        let doc = "def a():\n    return 1\n\n\ndef b():\n    return 2\n";
        let mut text = journal_text(
            Encoding::Utf8,
            vec![open("x.py", doc), change("x.py", 2, &[((5, 11, 5, 12), "20")])],
        );
        text += &explained(3, "b", ("def b():\n    return 2", "def b():\n    return 20"), ":02");
        let again = Record {
            seq: 4,
            ts: "2026-11-26T08:30:04.000Z".into(),
            body: change("x.py", 3, &[((5, 13, 5, 13), "0")]),
        };
        text += &(serde_json::to_string(&again).unwrap() + "\n");
        text += &explained(5, "b", ("def b():\n    return 20", "def b():\n    return 200"), ":02");
        let histories = histories_of(text, Needs { files: true, steps: true });
        let steps = |h: &PairHistory| h.steps.iter().map(|s| s.text.clone()).collect::<Vec<_>>();
        assert_eq!(steps(&histories[0]), ["def b():\n    return 20"]);
        let second = &histories[1];
        assert_eq!(second.start, "def b():\n    return 20");
        assert_eq!(steps(second), ["def b():\n    return 200"]);
        assert_eq!(second.steps[0].version, Some(3));
        assert_eq!(
            second.file_before.as_deref(),
            Some("def a():\n    return 1\n\n\ndef b():\n    return 20\n")
        );
    }

    #[test]
    fn a_pair_explained_meanwhile_for_another_unit_of_the_same_name_does_not_cut_a_history() {
        // Two `b`s: the first is edited, the second edited and explained, then the first.
        let doc = "def b():\n    return 2\n\n\ndef b():\n    return 5\n";
        let mut text = journal_text(
            Encoding::Utf8,
            vec![
                open("x.py", doc),
                change("x.py", 2, &[((1, 11, 1, 12), "20")]),
                change("x.py", 3, &[((5, 11, 5, 12), "50")]),
            ],
        );
        text += &explained(4, "b", ("def b():\n    return 5", "def b():\n    return 50"), ":03");
        text += &explained(5, "b", ("def b():\n    return 2", "def b():\n    return 20"), ":02");
        let histories = histories_of(text, Needs { files: true, steps: true });
        let first = &histories[1];
        assert_eq!(first.start, "def b():\n    return 2");
        let steps: Vec<&str> = first.steps.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(steps, ["def b():\n    return 20"]);
        assert_eq!(first.file_before.as_deref(), Some(doc));
    }

    #[test]
    fn a_whole_document_replacement_is_narrowed_to_what_changed() {
        let mut text = journal_text(
            Encoding::Utf16,
            vec![
                open("x.py", "def f():\n    pass\n"),
                Body::Change {
                    path: "x.py".into(),
                    version: 2,
                    edits: vec![crate::journal::Edit {
                        range: None,
                        text: "def f():\n    return 1\n".into(),
                    }],
                },
            ],
        );
        text += &rationale_line(3, "x.py", "def f():\n    pass", "2026-11-26T08:30:02.000Z");
        let histories = histories_of(text, Needs { files: false, steps: true });
        let steps: Vec<&str> = histories[0].steps.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(steps, ["def f():\n    return 1"]);
        assert_eq!(histories[0].file_before, None);
    }
}
