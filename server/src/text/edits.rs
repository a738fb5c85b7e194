//! An edit, in the two forms it takes: as the editor sent it ([`TextChange`], which the language
//! server reads straight off the wire and the journal records as it is), and, once applied to a
//! document, where it fell ([`Span`]: bytes, and rows and columns as the parser counts them).
//!
//! A document keeps one queue of the spans since its units were last brought up to date
//! ([`EditQueue`]), in which a run of typing is one entry, not one per keystroke: the parser
//! takes in the entries it has not parsed yet, and the units drain the queue when they are
//! brought up to date. Merging two spans lives here and only here ([`Span::merge`]).
//!
//! Everything that follows positions through the edits (the reparse, the extraction's shortcut,
//! the pending changes' ranges) does so once per entry, so its cost grows with the places that
//! were edited, not with the keystrokes.

use std::time::{Instant, SystemTime};

use tree_sitter::{InputEdit, Point};

use super::Position;
use crate::quality::typing::Typing;

/// One content change as the editor sent it: a range and its replacement, or (no range) the whole
/// new text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextChange {
    pub range: Option<(Position, Position)>,
    pub text: String,
}

/// Where an applied edit fell: it replaced the bytes `start..old_end` of the text before it, and
/// its replacement ends at `new_end` in the text after it; the points are the same places as rows
/// and byte columns, as the parser wants them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub old_end: usize,
    pub new_end: usize,
    pub start_point: Point,
    pub old_end_point: Point,
    pub new_end_point: Point,
}

impl Span {
    /// The bytes `(start, old_end, new_end)`.
    pub fn bytes(&self) -> (usize, usize, usize) {
        (self.start, self.old_end, self.new_end)
    }

    /// The same edit in tree-sitter's words.
    pub fn input_edit(&self) -> InputEdit {
        InputEdit {
            start_byte: self.start,
            old_end_byte: self.old_end,
            new_end_byte: self.new_end,
            start_position: self.start_point,
            old_end_position: self.old_end_point,
            new_end_position: self.new_end_point,
        }
    }

    /// `self`, then `next` (made in the text `self` left), as one edit of the text before `self`,
    /// when `next` replaces bytes that touch or overlap what `self` inserted; `None` otherwise.
    pub fn merge(&self, next: &Span) -> Option<Span> {
        let (s1, o1, n1) = self.bytes();
        let (s2, o2, n2) = next.bytes();
        if s2 > n1 || o2 < s1 {
            return None;
        }
        // The union of both, in the text between them; outside it, `self` shifted the text after
        // it by `n1 - o1` and `next` by `n2 - o2`.
        let start = s1.min(s2);
        let end = n1.max(o2);
        let start_point = if s2 < s1 { next.start_point } else { self.start_point };
        // The end of the union, seen in the text before `self`: where `self` ended, or, when
        // `next` reached past it, `next`'s old end carried back through `self`.
        let old_end_point = if o2 <= n1 {
            self.old_end_point
        } else {
            carry(next.old_end_point, self.new_end_point, self.old_end_point)
        };
        // And in the text after `next`: where `next` ended, or `self`'s end carried forward.
        let new_end_point = if n1 <= o2 {
            next.new_end_point
        } else {
            carry(self.new_end_point, next.old_end_point, next.new_end_point)
        };
        Some(Span {
            start,
            old_end: end + o1 - n1,
            new_end: end + n2 - o2,
            start_point,
            old_end_point,
            new_end_point,
        })
    }
}

/// Where `point`, at or after `from`, stands once the text up to `from` ends at `to` instead.
fn carry(point: Point, from: Point, to: Point) -> Point {
    if point.row == from.row {
        Point::new(to.row, to.column + point.column - from.column)
    } else {
        Point::new(point.row - from.row + to.row, point.column)
    }
}

/// One edit, or several consecutive edits that touch one another, merged; `span` is `None` when
/// the whole text was replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EditRun {
    pub span: Option<Span>,
    /// How many edits were merged into it.
    pub count: u32,
    pub first_wall: SystemTime,
    pub last_at: Instant,
    pub last_wall: SystemTime,
    /// What its edits inserted, typed or not, and when (for the change they make).
    pub typing: Typing,
}

impl EditRun {
    /// The bytes of its span (see [`Span::bytes`]).
    pub fn bytes(&self) -> Option<(usize, usize, usize)> {
        self.span.as_ref().map(Span::bytes)
    }
}

/// The edits of one document since its units were last brought up to date, oldest first; the
/// first `parsed` of them are in its syntax tree already.
#[derive(Debug, Default)]
pub struct EditQueue {
    runs: Vec<EditRun>,
    parsed: usize,
}

impl EditQueue {
    /// Adds an edit made at `at` (`None`: the whole text was replaced). It joins the last run when
    /// that run is not parsed yet and the bytes it replaced touch that run's replacement; the
    /// keystroke path, O(1).
    pub fn push(&mut self, span: Option<Span>, at: Instant, wall: SystemTime, typing: Typing) {
        if self.runs.len() > self.parsed {
            if let (Some(last), Some(next)) = (self.runs.last_mut(), span) {
                if let Some(merged) = last.span.and_then(|span| span.merge(&next)) {
                    last.span = Some(merged);
                    last.count += 1;
                    (last.last_at, last.last_wall) = (at, wall);
                    last.typing = last.typing.then(typing);
                    return;
                }
            }
        }
        self.runs.push(EditRun { span, count: 1, first_wall: wall, last_at: at, last_wall: wall, typing });
    }

    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    pub fn runs(&self) -> &[EditRun] {
        &self.runs
    }

    /// The runs the syntax tree has not taken in yet.
    pub fn unparsed(&self) -> &[EditRun] {
        &self.runs[self.parsed..]
    }

    /// The syntax tree has taken in every run.
    pub fn mark_parsed(&mut self) {
        self.parsed = self.runs.len();
    }

    /// When the last edit was made.
    pub fn last_at(&self) -> Option<Instant> {
        self.runs.last().map(|run| run.last_at)
    }

    /// Empties the queue, returning what it held.
    pub fn take(&mut self) -> Vec<EditRun> {
        self.parsed = 0;
        std::mem::take(&mut self.runs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The row and byte column of `byte` in `text`.
    fn point(text: &str, byte: usize) -> Point {
        let before = &text[..byte];
        let row = before.matches('\n').count();
        Point::new(row, byte - before.rfind('\n').map_or(0, |at| at + 1))
    }

    /// The span that turns `text` into the text it returns by replacing `start..old_end` with
    /// `with`.
    fn edit(text: &str, start: usize, old_end: usize, with: &str) -> (Span, String) {
        let after = format!("{}{with}{}", &text[..start], &text[old_end..]);
        let new_end = start + with.len();
        let span = Span {
            start,
            old_end,
            new_end,
            start_point: point(text, start),
            old_end_point: point(text, old_end),
            new_end_point: point(&after, new_end),
        };
        (span, after)
    }

    /// Two edits merged must be the edit from the text before the first to the text after the
    /// second, rows and columns included: each way the second can meet the first.
    #[test]
    fn merged_edits_have_the_rows_and_columns_of_one_edit() {
        let text = "def f(a):\n    return a\n\ndef g():\n    pass\n";
        // (start, old_end, replacement) of the first edit, then of the second in the text the
        // first left.
        type Replace = (usize, usize, &'static str);
        let cases: &[(Replace, Replace)] = &[
            // Typing on: the second starts where the first ended.
            ((22, 22, "x\ny"), (25, 25, "z\n")),
            // The second deletes past the first's end, onto later lines.
            ((14, 14, "q\nr"), (17, 31, "")),
            // The second falls inside the first's text and adds lines to it.
            ((24, 24, "a = 1\nb = 2\nc"), (24, 25, "x\ny")),
            // The second starts before the first and ends inside it.
            ((30, 34, "return 0"), (26, 33, "ZZ\n")),
        ];
        for &((s1, o1, w1), (s2, o2, w2)) in cases {
            let (first, middle) = edit(text, s1, o1, w1);
            let (second, after) = edit(&middle, s2, o2, w2);
            let merged = first.merge(&second).expect("the edits touch");
            let (whole, expected_after) =
                edit(text, merged.start, merged.old_end, &after[merged.start..merged.new_end]);
            assert_eq!(expected_after, after, "{:?}", (s1, o1, w1, s2, o2, w2));
            assert_eq!(merged, whole, "{:?}", (s1, o1, w1, s2, o2, w2));
        }
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
                let (span, after) = edit(&text, start, old_end, with);
                text = after;
                queue.push(Some(span), now.0, now.1, Typing::default());
            }
            assert_eq!(queue.runs().len(), 1, "{edits:?} is one run");
            let run = queue.runs()[0];
            let (start, old_end, new_end) = run.bytes().unwrap();
            let (whole, merged) = edit(original, start, old_end, &text[start..new_end]);
            assert_eq!(merged, text, "{edits:?}");
            assert_eq!(run.span, Some(whole), "{edits:?}");
            assert_eq!(run.count as usize, edits.len());
        }
    }

    #[test]
    fn edits_apart_and_whole_replacements_are_runs_of_their_own() {
        let text = "x".repeat(50);
        let mut queue = EditQueue::default();
        let now = (Instant::now(), SystemTime::now());
        queue.push(Some(edit(&text, 5, 5, "y").0), now.0, now.1, Typing::default());
        queue.push(Some(edit(&text, 40, 41, "").0), now.0, now.1, Typing::default());
        queue.push(None, now.0, now.1, Typing::default());
        queue.push(Some(edit(&text, 0, 0, "z").0), now.0, now.1, Typing::default());
        let bytes: Vec<_> = queue.runs().iter().map(EditRun::bytes).collect();
        assert_eq!(bytes, [Some((5, 5, 6)), Some((40, 41, 40)), None, Some((0, 0, 1))]);
        assert_eq!(queue.take().len(), 4);
        assert!(queue.is_empty());
    }

    /// A run the parser took in is not merged into: the tree holds it as it was.
    #[test]
    fn a_parsed_run_is_not_merged_into() {
        let text = "abc".to_owned();
        let mut queue = EditQueue::default();
        let now = (Instant::now(), SystemTime::now());
        let (first, after) = edit(&text, 3, 3, "d");
        queue.push(Some(first), now.0, now.1, Typing::default());
        queue.mark_parsed();
        assert!(queue.unparsed().is_empty());
        queue.push(Some(edit(&after, 4, 4, "e").0), now.0, now.1, Typing::default());
        assert_eq!(queue.runs().len(), 2);
        assert_eq!(queue.unparsed().len(), 1);
        queue.take();
        assert!(queue.unparsed().is_empty());
    }
}
