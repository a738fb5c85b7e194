//! Why-comments on save: each why-comment in or right above a unit with a pending change becomes
//! that change's rationale (`via: "why-comment"`), and the editor is asked to remove it; one that
//! cannot be recorded gets a note that says why. Also the skeleton `rationale.explain` inserts for
//! an editor without a Rationale plugin.
//!
//! Nothing here records anything: [`scan`] says what becomes of each why-comment of a saved
//! document, and the session, which saved it, records what is to be recorded and hands back what
//! came of it ([`WhyState::dealt_with`]).
//!
//! A why-comment is recorded once: its text is remembered for as long as it stands in the
//! document, so an editor that keeps it (it refused the removal, or the person undid it) never has
//! it recorded a second time. Why-comments already in a document when it is opened are remembered
//! the same way: they explained something before this session, not a change of it. And since
//! extraction leaves why-comments out of every unit (see [`crate::units::why`]), a kept comment is
//! never part of a later `before` or `after`.

use std::collections::{HashMap, VecDeque};
use std::ops::Range;
use std::time::Instant;

use ropey::Rope;

use tree_sitter::Tree;

use super::Refusal;
use crate::config::Config;
use crate::syntax::Language;
use crate::text::{from_char, Encoding, Position, Span};
use crate::units::pending::PendingChange;
use crate::units::why::{find, WhyComment};
use crate::units::{Unit, UnitKind};

/// The diagnostic code of a why-comment that was not recorded.
pub const REFUSED: &str = "why-comment-refused";
/// The diagnostic code of a why-comment that was recorded and is still in the document.
pub const RECORDED: &str = "why-comment-recorded";
/// The diagnostic code of the hint on a unit whose why-comment was recorded though it says little
/// about why (the nudge a plugin gives before recording; see `docs/quality.md`).
pub const NUDGED: &str = "why-comment-nudge";

/// How many of a document's latest edits are kept to time its why-comments: a comment typed
/// longer ago than that many edits before its save has no `compose_ms`.
pub const TIMED_EDITS: usize = 4096;

/// What a document remembers of its why-comments.
#[derive(Debug, Default)]
pub struct WhyState {
    /// The text of every why-comment already dealt with, while it stands in the document.
    seen: HashMap<String, Seen>,
    /// What the person was told at the last save, by the bytes of the comment.
    notes: Vec<(Range<usize>, &'static str, String)>,
    /// The latest edits, oldest first, at most [`TIMED_EDITS`]: when each was made and the bytes
    /// `(start, old_end, new_end)` it replaced, so that a why-comment's first and last keystroke
    /// can be found (see [`compose_ms`]).
    timed: VecDeque<TimedEdit>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Seen {
    /// In the document when it was opened.
    AtOpen,
    /// Recorded as the rationale of this unit.
    Recorded(String),
}

impl WhyState {
    /// Remembers the why-comments a document holds when it is opened.
    pub(super) fn at_open(language: &Language, tree: &Tree, rope: &Rope, marker: &str) -> Self {
        let seen = find(language, tree, rope, marker).into_iter().map(|w| (w.text, Seen::AtOpen)).collect();
        Self { seen, notes: Vec::new(), timed: VecDeque::new() }
    }

    /// Carries the notes through an edit made at `at` (`None`: a whole replacement); a note on
    /// text the edit touches goes, since the person is at it. The edit is kept to time comments.
    pub(super) fn edited(&mut self, span: Option<&Span>, at: Instant) {
        let Some((start, old_end, new_end)) = span.map(Span::bytes) else {
            self.notes.clear();
            // No range survives a whole replacement: what came before cannot be placed.
            self.timed.clear();
            return;
        };
        if self.timed.len() == TIMED_EDITS {
            self.timed.pop_front();
        }
        self.timed.push_back((at, start, old_end, new_end));
        self.notes.retain_mut(|(range, _, _)| {
            if start <= range.end && range.start <= old_end {
                return false;
            }
            *range = crate::units::pending::shift(range, start, old_end, new_end);
            true
        });
    }

    /// The notes on the why-comments, as of the last save, in the text `rope`.
    pub(super) fn notes(&self, rope: &Rope, encoding: Encoding) -> Vec<WhyNote> {
        self.notes
            .iter()
            .map(|(range, code, message)| WhyNote {
                range: positions(rope, range, encoding),
                code,
                message: message.clone(),
            })
            .collect()
    }

    /// Keeps what became of the why-comments found on a save: the texts recorded, with the unit
    /// each explained, and the notes to show until the text under them is edited.
    pub(super) fn dealt_with(&mut self, recorded: Vec<(String, String)>, notes: Vec<Note>) {
        for (text, unit) in recorded {
            self.seen.insert(text, Seen::Recorded(unit));
        }
        self.notes = notes;
    }
}

/// An edit as kept to time why-comments: when, and the bytes `(start, old_end, new_end)`.
type TimedEdit = (Instant, usize, usize, usize);

/// A note on a why-comment: its bytes, its code and what it says.
pub(super) type Note = (Range<usize>, &'static str, String);

/// Something to tell the person about one why-comment (a diagnostic on it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WhyNote {
    pub range: (Position, Position),
    /// [`REFUSED`] or [`RECORDED`].
    pub code: &'static str,
    pub message: String,
}

/// A recorded why-comment the editor is asked to remove: `range` of the document at `version`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Removal {
    pub version: i32,
    pub range: (Position, Position),
}

/// A why-comment skeleton to insert at `at` (the start of the unit's first line), with the cursor
/// to put after its marker, both in the document at `version`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skeleton {
    pub key: String,
    pub version: i32,
    pub at: Position,
    pub text: String,
    pub cursor: Position,
}

/// A why-comment found on save, and what to do with it.
pub(super) struct Found {
    pub comment: WhyComment,
    /// The unit it explains, as the person reads it (`Session.request`, or the file).
    pub unit: String,
    /// Bytes of that unit's name (the start of the file for its top-level code): where a note
    /// about the unit goes once the comment is removed.
    pub name_range: Range<usize>,
    /// How long the comment took to write (see [`compose_ms`]).
    pub compose_ms: Option<u64>,
    pub outcome: Outcome,
}

pub(super) enum Outcome {
    /// Record the comment as the rationale of these changes (by number).
    Record(Vec<u64>),
    Tell(&'static str, String),
    Nothing,
}

/// Finds the why-comments of a saved document (its tree and text, its units and pending changes
/// as they now are) and decides what becomes of each. Texts no longer in the document are
/// forgotten.
pub(super) fn scan(
    state: &mut WhyState,
    language: &Language,
    tree: &Tree,
    rope: &Rope,
    units: &[Unit],
    pending: &[PendingChange],
    config: &Config,
) -> Vec<Found> {
    let comments = find(language, tree, rope, &config.why_marker);
    let (timed, seen) = (&state.timed, &mut state.seen);
    // A text is remembered while it stands in the document.
    seen.retain(|text, _| comments.iter().any(|c| &c.text == text));
    comments
        .into_iter()
        .map(|comment| {
            let unit = target(units, &comment, rope);
            let name = unit.map_or_else(|| "this file".to_owned(), described);
            let outcome = match seen.get(&comment.text) {
                Some(Seen::AtOpen) => Outcome::Nothing,
                Some(Seen::Recorded(unit)) => Outcome::Tell(
                    RECORDED,
                    format!(
                        "Rationale recorded this why-comment as the rationale of {unit}; \
                         it can be deleted"
                    ),
                ),
                None => decide(&comment, unit, pending, config.min_rationale_chars, &name),
            };
            let name_range = unit.map_or(0..0, |unit| unit.name_range.clone());
            let compose_ms =
                matches!(outcome, Outcome::Record(_)).then(|| compose_ms(timed, &comment.comments)).flatten();
            Found { comment, unit: name, name_range, compose_ms, outcome }
        })
        .collect()
}

/// The why-comment skeleton that explains a change whose unit starts at byte `start` of `rope`:
/// a line above the unit, indented like it, holding the comment syntax and the marker. Returns
/// where to insert it, its text and where to put the cursor.
pub(super) fn skeleton(
    rope: &Rope,
    start: usize,
    line_comment: &str,
    marker: &str,
    encoding: Encoding,
) -> (Position, String, Position) {
    let line = rope.byte_to_line(start.min(rope.len_bytes()));
    let text = rope.line(line);
    let indent: String = text.chars().take_while(|c| *c == ' ' || *c == '\t').collect();
    // The line break the file uses, so a CRLF file stays one.
    let crlf = text.len_chars() >= 2 && text.char(text.len_chars() - 2) == '\r';
    let head = format!("{indent}{line_comment} {marker} ");
    let cursor = Position::new(line as u32, encoding.width(&head));
    let text = format!("{head}{}", if crlf { "\r\n" } else { "\n" });
    (Position::new(line as u32, 0), text, cursor)
}

/// What becomes of a new why-comment explaining `unit` (`None`: the file's top-level code).
fn decide(
    comment: &WhyComment,
    unit: Option<&Unit>,
    pending: &[PendingChange],
    needed: usize,
    name: &str,
) -> Outcome {
    let got = comment.text.chars().count();
    if got < needed {
        return Outcome::Tell(
            REFUSED,
            format!(
                "This why-comment was not recorded: a rationale needs at least {needed} \
                 characters (this one has {got}); say why the change was made, then save again"
            ),
        );
    }
    let ids: Vec<u64> = explained(unit, pending).map(|change| change.id).collect();
    if ids.is_empty() {
        return Outcome::Tell(
            REFUSED,
            format!(
                "This why-comment was not recorded: {name} has no change to explain (it is as it \
                 was when opened or last explained); put it in or right above the unit you changed"
            ),
        );
    }
    Outcome::Record(ids)
}

/// The pending changes a why-comment on `unit` explains: the unit's own and those of the units
/// nested in it (one rationale for several changes, a group); for the file's top-level code,
/// only its own.
fn explained<'p>(
    unit: Option<&'p Unit>,
    pending: &'p [PendingChange],
) -> impl Iterator<Item = &'p PendingChange> {
    pending.iter().filter(move |change| match unit {
        None => change.kind == UnitKind::Module,
        Some(unit) => {
            let (r, c) = (&unit.range, &change.range);
            change.kind != UnitKind::Module
                && if c.is_empty() {
                    r.start < c.start && c.end < r.end
                } else {
                    r.start <= c.start && c.end <= r.end
                }
        }
    })
}

/// The unit a why-comment explains: the unit that starts on the line right below it, when it
/// stands alone on its lines; else the innermost unit it is in. `None`: the file's top-level code.
fn target<'u>(units: &'u [Unit], comment: &WhyComment, rope: &Rope) -> Option<&'u Unit> {
    let line_of = |byte: usize| rope.byte_to_line(byte.min(rope.len_bytes()));
    let alone = rope.line_to_byte(line_of(comment.cut.start)) == comment.cut.start;
    let below = comment.rows.end + 1;
    let above = units.iter().skip(1).find(|unit| alone && line_of(unit.range.start) == below);
    above.or_else(|| {
        units.iter().skip(1).rfind(|unit| {
            unit.range.start <= comment.comments.start && comment.comments.end <= unit.range.end
        })
    })
}

/// "method `Session.request`"
fn described(unit: &Unit) -> String {
    format!("{} `{}`", unit.kind.as_str(), unit.qualified)
}

/// How long the comment at `range` (bytes of the current text) took to write: from the first
/// to the last edit that typed or deleted in it, in milliseconds. Going back through the kept
/// edits, the comment's range is carried back through each; the edit before which it was
/// empty is its first keystroke. `None` when the kept edits do not reach back that far (or
/// no edit made it: it was there when the document was opened).
fn compose_ms(timed: &VecDeque<TimedEdit>, range: &Range<usize>) -> Option<u64> {
    let (mut from, mut to) = (range.start, range.end);
    let mut last = None;
    for &(at, start, old_end, new_end) in timed.iter().rev() {
        let touches =
            if start == new_end { from <= start && start <= to } else { start < to && from < new_end };
        if touches {
            last.get_or_insert(at);
        }
        // Where a byte of the text after the edit stood before it.
        let back = |byte: usize| {
            if byte <= start {
                byte
            } else if byte >= new_end {
                byte - new_end + old_end
            } else {
                start
            }
        };
        (from, to) = (back(from), back(to));
        if from >= to {
            let last = last?;
            return Some(last.saturating_duration_since(at).as_millis() as u64);
        }
    }
    None
}

/// The hint on a unit whose why-comment was recorded though it says little about why.
pub(super) fn nudged(unit: &str) -> String {
    format!("Recorded as the rationale of {unit}. Next time: {}", crate::quality::HINT)
}

pub(super) fn why_not(refusal: &Refusal) -> String {
    format!("This why-comment was not recorded: {refusal}")
}

pub(super) fn positions(rope: &Rope, range: &Range<usize>, encoding: Encoding) -> (Position, Position) {
    let at = |byte: usize| from_char(rope, rope.byte_to_char(byte.min(rope.len_bytes())), encoding);
    (at(range.start), at(range.end))
}
