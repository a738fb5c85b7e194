//! Typing runs: consecutive keystrokes that replay gathers and applies as one edit.

use crate::journal::RawEdit;
use crate::text::{Encoding, Position};

/// A run of typing that replay has read but not yet applied: insertions each where the one before
/// ended, and deletions (backspaces) of what the run typed. Applied as one insertion it gives the
/// same text as its edits applied one by one, at the cost of one rope edit instead of one (and
/// two position conversions) per keystroke; this is what lets replay keep up with a million edits
/// a second.
///
/// A run never holds a `\r`, and never begins with a `\n` right after a `\r` of the document:
/// either would join with its neighbour into one `\r\n` line break, and the positions the run
/// computes for its own text would no longer be the document's.
pub(super) struct Typing {
    pub(super) path: String,
    /// The journal line of the run's first edit, for messages.
    pub(super) first_line: usize,
    /// Where the run's text goes: a position the document has.
    pub(super) start: Position,
    /// Whether the document has a `\r` just before `start`.
    pub(super) after_cr: bool,
    /// The position just after the run's text.
    pub(super) end: Position,
    pub(super) text: String,
    /// The version of the last record whose edits joined the run.
    pub(super) version: i32,
}

impl Typing {
    /// Takes `edit` into the run if it continues it: an insertion right where the run ends, or
    /// the deletion of whole characters from the end of the run's text.
    pub(super) fn absorb(&mut self, edit: &RawEdit<'_>, encoding: Encoding) -> bool {
        let Some([[l1, c1], [l2, c2]]) = edit.range else { return false };
        let (from, to) = (Position::new(l1, c1), Position::new(l2, c2));
        if to != self.end {
            return false;
        }
        if from == to {
            if !self.may_type(&edit.text) {
                return false;
            }
            self.end = after(self.end, &edit.text, encoding);
            self.text.push_str(&edit.text);
            return true;
        }
        if !edit.text.is_empty() || from > to || from < self.start {
            return false;
        }
        match self.offset_back_to(from, encoding) {
            Some(cut) => {
                self.text.truncate(cut);
                self.end = from;
                true
            }
            None => false,
        }
    }

    pub(super) fn may_type(&self, text: &str) -> bool {
        let joins_a_cr = self.after_cr && self.text.is_empty() && text.starts_with('\n');
        !text.contains('\r') && !joins_a_cr
    }

    /// The offset in the run's text whose position is `at`, found walking back from its end:
    /// `None` if `at` falls inside a character or before the run.
    fn offset_back_to(&self, at: Position, encoding: Encoding) -> Option<usize> {
        let mut position = self.end;
        let mut offset = self.text.len();
        while position > at {
            let c = self.text[..offset].chars().next_back()?;
            offset -= c.len_utf8();
            if c == '\n' {
                // Back to the end of the line before: its width is that of the run's text on it,
                // plus the start column if it is the run's first line.
                let (line_start, base) = match self.text[..offset].rfind('\n') {
                    Some(i) => (i + 1, 0),
                    None => (0, self.start.column),
                };
                let column = base + encoding.width(&self.text[line_start..offset]);
                position = Position::new(position.line - 1, column);
            } else {
                position.column -= encoding.char_width(c);
            }
        }
        (position == at).then_some(offset)
    }
}

/// The position just after `text` inserted at `at`, for a text without `\r`.
pub(super) fn after(at: Position, text: &str, encoding: Encoding) -> Position {
    match text.rfind('\n') {
        None => Position::new(at.line, at.column + encoding.width(text)),
        Some(i) => {
            let breaks = text.bytes().filter(|&b| b == b'\n').count() as u32;
            Position::new(at.line + breaks, encoding.width(&text[i + 1..]))
        }
    }
}
