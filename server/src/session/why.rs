//! Why-comments on save: each why-comment in or right above a unit with a pending change becomes
//! that change's rationale (`via: "why-comment"`), and the editor is asked to remove it; one that
//! cannot be recorded gets a note that says why. Also the skeleton `rationale.explain` inserts for
//! an editor without a Rationale plugin.
//!
//! A why-comment is recorded once: its text is remembered for as long as it stands in the
//! document, so an editor that keeps it (it refused the removal, or the person undid it) never has
//! it recorded a second time. Why-comments already in a document when it is opened are remembered
//! the same way: they explained something before this session, not a change of it. And since
//! extraction leaves why-comments out of every unit (see [`crate::units::why`]), a kept comment is
//! never part of a later `before` or `after`.

use std::collections::HashMap;
use std::ops::Range;

use ropey::Rope;

use super::{Followed, Refusal, Session, Via};
use crate::text::{from_char, Encoding, Position, Span};
use crate::units::pending::PendingChange;
use crate::units::why::{find, WhyComment};
use crate::units::{Unit, UnitKind};

/// The diagnostic code of a why-comment that was not recorded.
pub const REFUSED: &str = "why-comment-refused";
/// The diagnostic code of a why-comment that was recorded and is still in the document.
pub const RECORDED: &str = "why-comment-recorded";

/// What a document remembers of its why-comments.
#[derive(Debug, Default)]
pub(super) struct WhyState {
    /// The text of every why-comment already dealt with, while it stands in the document.
    seen: HashMap<String, Seen>,
    /// What the person was told at the last save, by the bytes of the comment.
    notes: Vec<(Range<usize>, &'static str, String)>,
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
    pub(super) fn at_open(followed: &mut Followed, marker: &str) -> Self {
        let language = followed.language;
        let Some((tree, rope)) = followed.document.tree_and_rope() else { return Self::default() };
        let seen = find(language, tree, rope, marker).into_iter().map(|w| (w.text, Seen::AtOpen)).collect();
        Self { seen, notes: Vec::new() }
    }

    /// Carries the notes through an edit (`None`: a whole replacement); a note on text the edit
    /// touches goes, since the person is at it.
    pub(super) fn edited(&mut self, span: Option<&Span>) {
        let Some((start, old_end, new_end)) = span.map(Span::bytes) else {
            self.notes.clear();
            return;
        };
        self.notes.retain_mut(|(range, _, _)| {
            if start <= range.end && range.start <= old_end {
                return false;
            }
            *range = crate::units::pending::shift(range, start, old_end, new_end);
            true
        });
    }
}

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
struct Found {
    comment: WhyComment,
    /// The unit it explains, as the person reads it (`Session.request`, or the file).
    unit: String,
    outcome: Outcome,
}

enum Outcome {
    Record(Vec<String>),
    Tell(&'static str, String),
    Nothing,
}

impl Session {
    /// Records the why-comments of a document just saved; returns the removals to ask of the
    /// editor. The notes (diagnostics) are kept with the document.
    pub(super) fn why_comments(&self, key: &str) -> Vec<Removal> {
        let Some(found) = self.with_document(key, |followed| self.scan(followed)) else {
            return Vec::new();
        };
        let mut removals = Vec::new();
        let mut notes = Vec::new();
        let mut recorded = Vec::new();
        for found in found {
            match found.outcome {
                Outcome::Record(ids) => match self.record(&ids, &found.comment.text, Via::WhyComment) {
                    Ok(_) => {
                        recorded.push((found.comment.text.clone(), found.unit));
                        removals.push(found.comment.cut);
                    }
                    Err(refusal) => notes.push((found.comment.comments, REFUSED, why_not(&refusal))),
                },
                Outcome::Tell(code, message) => notes.push((found.comment.comments, code, message)),
                Outcome::Nothing => {}
            }
        }
        let encoding = self.identity.encoding;
        self.with_document(key, |followed| {
            for (text, unit) in recorded {
                followed.why.seen.insert(text, Seen::Recorded(unit));
            }
            followed.why.notes = notes;
            let rope = followed.document.rope();
            let version = followed.document.version();
            removals
                .into_iter()
                .map(|cut| Removal { version, range: positions(rope, &cut, encoding) })
                .collect()
        })
        .unwrap_or_default()
    }

    /// Finds the why-comments of a saved document and decides what becomes of each.
    fn scan(&self, followed: &mut Followed) -> Vec<Found> {
        let config = followed.folder.config();
        let language = followed.language;
        let pending: Vec<PendingChange> =
            followed.pending().map(|pending| pending.pending().collect()).unwrap_or_default();
        let units: Vec<Unit> = followed.extraction().map(|e| e.units().to_vec()).unwrap_or_default();
        let Some((tree, rope)) = followed.document.tree_and_rope() else { return Vec::new() };
        let comments = find(language, tree, rope, &config.why_marker);
        let seen = &mut followed.why.seen;
        // A text is remembered while it stands in the document.
        seen.retain(|text, _| comments.iter().any(|c| &c.text == text));
        comments
            .into_iter()
            .map(|comment| {
                let unit = target(&units, &comment, rope);
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
                    None => decide(&comment, unit, &pending, config.min_rationale_chars, &name, self),
                };
                Found { comment, unit: name, outcome }
            })
            .collect()
    }

    /// The notes on a document's why-comments, as of its last save.
    pub(super) fn why_notes(&self, followed: &Followed) -> Vec<WhyNote> {
        let rope = followed.document.rope();
        followed
            .why
            .notes
            .iter()
            .map(|(range, code, message)| WhyNote {
                range: positions(rope, range, self.identity.encoding),
                code,
                message: message.clone(),
            })
            .collect()
    }

    /// The why-comment skeleton that explains change `id`: a line above its unit, indented like
    /// it, holding the comment syntax and the marker.
    pub fn why_skeleton(&self, id: &str) -> Result<Skeleton, Refusal> {
        let (key, number) = self.locate_all(&[id.to_owned()])?.remove(0);
        let encoding = self.identity.encoding;
        self.with_document(&key, |followed| {
            let change = followed.pending().and_then(|pending| pending.find(number))?;
            let marker = followed.folder.config().why_marker;
            let rope = followed.document.rope();
            let line = rope.byte_to_line(change.range.start.min(rope.len_bytes()));
            let text = rope.line(line);
            let indent: String = text.chars().take_while(|c| *c == ' ' || *c == '\t').collect();
            // The line break the file uses, so a CRLF file stays one.
            let crlf = text.len_chars() >= 2 && text.char(text.len_chars() - 2) == '\r';
            let head = format!("{indent}{} {marker} ", followed.language.line_comment);
            Some(Skeleton {
                key: key.clone(),
                version: followed.document.version(),
                at: Position::new(line as u32, 0),
                cursor: Position::new(line as u32, encoding.width(&head)),
                text: format!("{head}{}", if crlf { "\r\n" } else { "\n" }),
            })
        })
        .flatten()
        .ok_or_else(|| Refusal::UnknownChange(id.to_owned()))
    }
}

/// What becomes of a new why-comment explaining `unit` (`None`: the file's top-level code).
fn decide(
    comment: &WhyComment,
    unit: Option<&Unit>,
    pending: &[PendingChange],
    needed: usize,
    name: &str,
    session: &Session,
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
    let ids: Vec<String> = explained(unit, pending).map(|change| session.change_id(change.id)).collect();
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

fn why_not(refusal: &Refusal) -> String {
    format!("This why-comment was not recorded: {refusal}")
}

fn positions(rope: &Rope, range: &Range<usize>, encoding: Encoding) -> (Position, Position) {
    let at = |byte: usize| from_char(rope, rope.byte_to_char(byte.min(rope.len_bytes())), encoding);
    (at(range.start), at(range.end))
}
