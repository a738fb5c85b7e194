//! The edits a document received since its units were last brought up to date: one queue per
//! followed document, in which a run of typing is one entry, not one per keystroke.
//!
//! Everything that follows positions through the edits (the extraction's shortcut, the pending
//! changes' ranges) does so once per entry, so its cost grows with the places that were edited,
//! not with the keystrokes.

use std::time::{Instant, SystemTime};

use super::ByteSpan;
use crate::syntax::merge_spans;

/// One edit, or several consecutive edits that touch one another, merged: the bytes they replaced
/// in the text before the first (`start..old_end`) and where their replacement ends in the text
/// after the last (`new_end`); `None` when the whole text was replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EditRun {
    pub bytes: Option<ByteSpan>,
    /// How many edits were merged into it.
    pub count: u32,
    pub first_wall: SystemTime,
    pub last_at: Instant,
    pub last_wall: SystemTime,
}

/// The edits since the last refresh, oldest first.
#[derive(Debug, Default)]
pub struct EditQueue {
    runs: Vec<EditRun>,
}

impl EditQueue {
    /// Adds an edit made at `at` (`None`: the whole text was replaced). It joins the last run
    /// when the bytes it replaced touch that run's replacement; the keystroke path, O(1).
    pub fn push(&mut self, bytes: Option<ByteSpan>, at: Instant, wall: SystemTime) {
        if let (Some(last), Some(next)) = (self.runs.last_mut(), bytes) {
            if let Some(merged) = last.bytes.and_then(|bytes| merge_spans(bytes, next)) {
                last.bytes = Some(merged);
                last.count += 1;
                (last.last_at, last.last_wall) = (at, wall);
                return;
            }
        }
        self.runs.push(EditRun { bytes, count: 1, first_wall: wall, last_at: at, last_wall: wall });
    }

    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    pub fn runs(&self) -> &[EditRun] {
        &self.runs
    }

    /// Empties the queue, returning what it held.
    pub fn take(&mut self) -> Vec<EditRun> {
        std::mem::take(&mut self.runs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies byte edits to a string: `(start, old_end, replacement)`.
    fn apply(text: &str, start: usize, old_end: usize, with: &str) -> String {
        format!("{}{with}{}", &text[..start], &text[old_end..])
    }

    /// Every merged run, applied to the original text as one edit, must give the same text as the
    /// edits one by one.
    #[test]
    fn a_merged_run_is_the_edits_it_holds() {
        let original = "def f(a):\n    return a\n";
        // (start, old_end, replacement), each in the text the previous one left.
        let cases: &[&[(usize, usize, &str)]] = &[
            &[(22, 22, " "), (23, 23, "+"), (24, 24, " "), (25, 25, "1")],
            &[(6, 7, ""), (6, 6, "b"), (7, 7, "c")],
            &[(22, 22, "xyz"), (24, 25, ""), (21, 23, "Q")],
            &[(10, 22, "pass"), (10, 14, "return 0")],
        ];
        for edits in cases {
            let mut text = original.to_owned();
            let mut queue = EditQueue::default();
            let now = (Instant::now(), SystemTime::now());
            for &(start, old_end, with) in *edits {
                text = apply(&text, start, old_end, with);
                queue.push(Some((start, old_end, start + with.len())), now.0, now.1);
            }
            assert_eq!(queue.runs().len(), 1, "{edits:?} is one run");
            let run = queue.runs()[0];
            let (start, old_end, new_end) = run.bytes.unwrap();
            let merged = apply(original, start, old_end, &text[start..new_end]);
            assert_eq!(merged, text, "{edits:?}");
            assert_eq!(run.count as usize, edits.len());
        }
    }

    #[test]
    fn edits_apart_and_whole_replacements_are_runs_of_their_own() {
        let mut queue = EditQueue::default();
        let now = (Instant::now(), SystemTime::now());
        queue.push(Some((5, 5, 6)), now.0, now.1);
        queue.push(Some((40, 41, 40)), now.0, now.1);
        queue.push(None, now.0, now.1);
        queue.push(Some((0, 0, 1)), now.0, now.1);
        let bytes: Vec<_> = queue.runs().iter().map(|run| run.bytes).collect();
        assert_eq!(bytes, [Some((5, 5, 6)), Some((40, 41, 40)), None, Some((0, 0, 1))]);
        assert_eq!(queue.take().len(), 4);
        assert!(queue.is_empty());
    }
}
