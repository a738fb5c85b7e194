//! The text a walk reads, indexed by the document's byte offsets: the whole document, or, to redo
//! one unit, the whole lines that hold its node, so that redoing it costs what it holds and not
//! a copy of the file.

use std::borrow::Cow;
use std::ops::Range;

#[derive(Clone, Copy)]
pub struct Source<'a> {
    text: &'a str,
    /// Where `text` starts in the document.
    base: usize,
}

impl<'a> Source<'a> {
    pub fn whole(text: &'a str) -> Self {
        Self { text, base: 0 }
    }

    /// `text`, which the document holds from byte `base` on.
    pub fn part(text: &'a str, base: usize) -> Self {
        Self { text, base }
    }

    pub fn start(&self) -> usize {
        self.base
    }

    pub fn end(&self) -> usize {
        self.base + self.text.len()
    }

    /// The bytes of `range`, as far as this source holds them.
    pub fn bytes(&self, range: Range<usize>) -> &'a [u8] {
        let (start, end) = (self.local(range.start), self.local(range.end));
        &self.text.as_bytes()[start..end.max(start)]
    }

    pub fn byte(&self, at: usize) -> Option<u8> {
        at.checked_sub(self.base).and_then(|at| self.text.as_bytes().get(at).copied())
    }

    /// The text of `range`, which a tree that does not match its text could put off a character
    /// boundary (then made whole, lossily).
    pub fn text(&self, range: Range<usize>) -> Cow<'a, str> {
        let (start, end) = (self.local(range.start), self.local(range.end));
        match self.text.get(start..end.max(start)) {
            Some(text) => Cow::Borrowed(text),
            None => String::from_utf8_lossy(self.bytes(range)),
        }
    }

    fn local(&self, at: usize) -> usize {
        at.clamp(self.base, self.end()) - self.base
    }
}
