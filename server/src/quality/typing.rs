//! Typed or pasted: of the characters a change inserted, how many arrived as typing, the largest
//! single insert, and how long the change was edited (`typed_share`, `largest_insert`,
//! `edit_seconds`).
//!
//! An edit is *a keystroke's size* ([`is_keystroke`]) when its inserted text holds at most
//! [`KEYSTROKE_CHARS`] characters that are not whitespace and at most [`KEYSTROKE_LINE_BREAKS`]
//! line breaks: a typed character, one with the partner an editor closes it with (`()`, `""`), a
//! line break with the indentation an editor adds (`"\n    "`, or `"\n\t\n"` between braces), a
//! tab's spaces. An input method commits a word of Chinese or Japanese at once, so up to
//! [`IME_CHARS`] characters all of those scripts count too. Anything larger arrived otherwise: a
//! paste, a completion, generated code. Deletions insert nothing and count for neither.
//!
//! [`Typing`] sums the edits of one change as they come, in O(1) an edit: the keystroke path
//! builds one per edit ([`Typing::edit`]) and whoever attributes edits to a change joins them in
//! order ([`Typing::then`]). Pure: the time of each edit is given, never read here.

use std::time::{Duration, Instant};

use super::words::is_unspaced;

/// At most this many characters other than whitespace make a keystroke.
pub const KEYSTROKE_CHARS: usize = 2;
/// At most this many line breaks (`\n`) make a keystroke.
pub const KEYSTROKE_LINE_BREAKS: usize = 2;
/// At most this many characters of Chinese or Japanese make a keystroke: what an input method
/// commits for one word.
pub const IME_CHARS: usize = 4;
/// A pause between two edits of a change counts at most this long towards `edit_seconds`: past
/// it the person was away or elsewhere, and how long does not measure the work.
pub const GAP_CAP: Duration = Duration::from_secs(60);

/// Whether an edit that inserted `inserted` is a keystroke's size (see the module's doc).
pub fn is_keystroke(inserted: &str) -> bool {
    let (mut visible, mut breaks, mut all_unspaced) = (0usize, 0usize, true);
    for c in inserted.chars() {
        if c == '\n' {
            breaks += 1;
            if breaks > KEYSTROKE_LINE_BREAKS {
                return false;
            }
        } else if !c.is_whitespace() {
            visible += 1;
            all_unspaced &= is_unspaced(c);
            if visible > IME_CHARS.max(KEYSTROKE_CHARS) {
                return false;
            }
        }
    }
    visible <= KEYSTROKE_CHARS || all_unspaced
}

/// The edits of one change, summed: characters inserted, those typed, the largest insert, and
/// the time spent between the edits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Typing {
    /// Characters (Unicode scalar values) inserted.
    pub inserted: u64,
    /// Of those, the characters inserted by edits of a keystroke's size.
    pub typed: u64,
    /// The most characters one edit inserted.
    pub largest: u64,
    /// The gaps between consecutive edits, each at most [`GAP_CAP`].
    pub editing: Duration,
    first: Option<Instant>,
    last: Option<Instant>,
}

impl Typing {
    /// One edit, made at `at`, that inserted `inserted` (empty for a deletion).
    pub fn edit(inserted: &str, at: Instant) -> Self {
        let chars = inserted.chars().count() as u64;
        Typing {
            inserted: chars,
            typed: if is_keystroke(inserted) { chars } else { 0 },
            largest: chars,
            editing: Duration::ZERO,
            first: Some(at),
            last: Some(at),
        }
    }

    /// `self`, then `later` (edits made after all of `self`'s): the pause between them counts,
    /// capped.
    pub fn then(self, later: Typing) -> Typing {
        let gap = match (self.last, later.first) {
            (Some(last), Some(first)) => first.saturating_duration_since(last).min(GAP_CAP),
            _ => Duration::ZERO,
        };
        Typing {
            inserted: self.inserted + later.inserted,
            typed: self.typed + later.typed,
            largest: self.largest.max(later.largest),
            editing: self.editing + later.editing + gap,
            first: self.first.or(later.first),
            last: later.last.or(self.last),
        }
    }

    /// Whether it holds any edit at all.
    pub fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    /// The share of the inserted characters that were typed; `None` when nothing was inserted.
    pub fn typed_share(&self) -> Option<f64> {
        (self.inserted > 0).then(|| self.typed as f64 / self.inserted as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keystrokes_are_characters_pairs_and_line_breaks_with_indentation() {
        for text in
            ["a", "é", "🎉", "()", "\"\"", "\n", "\r\n", "\n        ", "\n\t\n", "    ", "", "你好", "関数を"]
        {
            assert!(is_keystroke(text), "{text:?} is a keystroke");
        }
        for text in ["abc", "fetch_user", "\n\n\n", "x = 1\n", "return 0", "你好世界呀", "ab你"] {
            assert!(!is_keystroke(text), "{text:?} is not a keystroke");
        }
    }

    #[test]
    fn typed_share_largest_insert_and_capped_gaps() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let typing = Typing::edit("d", at(0))
            .then(Typing::edit("e", at(1)))
            .then(Typing::edit("f", at(2)).then(Typing::edit("", at(3))))
            .then(Typing::edit("return fetch(url)\n", at(600)));
        assert_eq!((typing.inserted, typing.typed, typing.largest), (21, 3, 18));
        assert_eq!(typing.typed_share(), Some(3.0 / 21.0));
        // 1 + 1 + 1 + 60 (the ten-minute pause, capped).
        assert_eq!(typing.editing, Duration::from_secs(63));
        assert_eq!(Typing::default().typed_share(), None);
        assert!(Typing::default().is_empty());
        assert_eq!(Typing::default().then(Typing::edit("x", at(5))).editing, Duration::ZERO);
    }

    #[test]
    fn a_large_paste_costs_one_pass() {
        let big = "x".repeat(1 << 20);
        let typing = Typing::edit(&big, Instant::now());
        assert_eq!((typing.inserted, typing.typed), (1 << 20, 0));
    }
}
