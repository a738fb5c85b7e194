//! The reference model: what the editor believes a document holds.
//!
//! It is written to be obviously right rather than fast, and shares no code with the server. It
//! follows the LSP 3.17 specification:
//! - lines end with `\n`, `\r\n` or `\r` ("To ensure that both client and server split the string
//!   into the same line representation the protocol specifies the following end-of-line
//!   sequences: '\n', '\r\n' and '\r'");
//! - a column counts code units of the negotiated encoding (UTF-8 bytes or UTF-16 code units);
//! - "If the character value is greater than the line length it defaults back to the line
//!   length";
//! - the content changes of one notification apply one after the other, each to the text the
//!   previous one left.

use serde_json::{json, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

impl Encoding {
    /// As LSP spells it (`capabilities.positionEncoding`, the journal's `positionEncoding`).
    pub fn lsp_name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf16 => "utf-16",
        }
    }

    fn units(self, c: char) -> usize {
        match self {
            Encoding::Utf8 => c.len_utf8(),
            Encoding::Utf16 => c.len_utf16(),
        }
    }
}

/// A position as LSP sends it: line and column in code units of the encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

impl Pos {
    pub fn new(line: usize, col: usize) -> Self {
        Self { line, col }
    }

    pub fn to_json(self) -> Value {
        json!({"line": self.line, "character": self.col})
    }
}

/// One content change of a `didChange`: a range and its new text, or the whole document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub range: Option<(Pos, Pos)>,
    pub text: String,
}

impl Change {
    pub fn replace(start: Pos, end: Pos, text: impl Into<String>) -> Self {
        Self { range: Some((start, end)), text: text.into() }
    }

    pub fn insert(at: Pos, text: impl Into<String>) -> Self {
        Self::replace(at, at, text)
    }

    pub fn whole(text: impl Into<String>) -> Self {
        Self { range: None, text: text.into() }
    }

    /// As `TextDocumentContentChangeEvent`.
    pub fn to_json(&self) -> Value {
        match self.range {
            Some((start, end)) => json!({
                "range": {"start": start.to_json(), "end": end.to_json()},
                "text": self.text,
            }),
            None => json!({"text": self.text}),
        }
    }

    /// As the journal writes an edit: `{"range": [[l, c], [l, c]], "text"}` or `{"text"}`.
    pub fn to_journal(&self) -> Value {
        match self.range {
            Some((s, e)) => json!({"range": [[s.line, s.col], [e.line, e.col]], "text": self.text}),
            None => json!({"text": self.text}),
        }
    }
}

/// A document's text, edited through LSP positions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextModel {
    pub text: String,
}

/// A line of the text: where its content starts and ends (byte offsets, terminator excluded).
#[derive(Clone, Copy, Debug)]
struct Line {
    start: usize,
    end: usize,
}

impl TextModel {
    pub fn new(text: impl Into<String>) -> Self {
        Self { text: text.into() }
    }

    fn lines(&self) -> Vec<Line> {
        let bytes = self.text.as_bytes();
        let mut lines = Vec::new();
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    lines.push(Line { start, end: i });
                    i += 2;
                    start = i;
                }
                b'\r' | b'\n' => {
                    lines.push(Line { start, end: i });
                    i += 1;
                    start = i;
                }
                _ => i += 1,
            }
        }
        lines.push(Line { start, end: bytes.len() });
        lines
    }

    /// How many lines LSP sees (a text ending with a line break has an empty last line).
    pub fn line_count(&self) -> usize {
        self.lines().len()
    }

    /// The length of a line in code units of `encoding`, terminator excluded.
    pub fn line_len(&self, line: usize, encoding: Encoding) -> usize {
        let l = self.lines()[line];
        self.text[l.start..l.end].chars().map(|c| encoding.units(c)).sum()
    }

    /// The byte offset of a position, with the column clamped to the line's end; `None` when the
    /// line is past the end of the document, or the column falls inside a character.
    pub fn offset(&self, pos: Pos, encoding: Encoding) -> Option<usize> {
        let lines = self.lines();
        let line = lines.get(pos.line)?;
        let mut units = 0;
        for (i, c) in self.text[line.start..line.end].char_indices() {
            if units == pos.col {
                return Some(line.start + i);
            }
            if units > pos.col {
                return None;
            }
            units += encoding.units(c);
        }
        if units <= pos.col {
            // At or past the end of the line: clamped to the line's end.
            return Some(line.end);
        }
        None
    }

    /// The position of a byte offset (which must be on a character boundary).
    pub fn position(&self, offset: usize, encoding: Encoding) -> Pos {
        assert!(self.text.is_char_boundary(offset), "offset {offset} is inside a character");
        let lines = self.lines();
        let index = match lines.iter().position(|l| offset <= l.end) {
            Some(i) => i,
            None => lines.len() - 1,
        };
        let line = lines[index];
        // An offset inside a terminator (between \r and \n) has no position of its own.
        let end = offset.min(line.end).max(line.start);
        let col = self.text[line.start..end].chars().map(|c| encoding.units(c)).sum();
        Pos::new(index, col)
    }

    /// True when an LSP position can name this offset: not between the `\r` and `\n` of a CRLF.
    pub fn is_position_boundary(&self, offset: usize) -> bool {
        let b = self.text.as_bytes();
        self.text.is_char_boundary(offset)
            && !(offset > 0 && offset < b.len() && b[offset - 1] == b'\r' && b[offset] == b'\n')
    }

    /// Applies one content change as LSP defines it.
    pub fn apply(&mut self, change: &Change, encoding: Encoding) -> Result<(), String> {
        match change.range {
            None => {
                self.text = change.text.clone();
                Ok(())
            }
            Some((start, end)) => {
                let s = self
                    .offset(start, encoding)
                    .ok_or_else(|| format!("start {start:?} is not in the document"))?;
                let e = self
                    .offset(end, encoding)
                    .ok_or_else(|| format!("end {end:?} is not in the document"))?;
                if s > e {
                    return Err(format!("range {start:?}..{end:?} is backwards"));
                }
                self.text.replace_range(s..e, &change.text);
                Ok(())
            }
        }
    }

    pub fn apply_all(&mut self, changes: &[Change], encoding: Encoding) -> Result<(), String> {
        for change in changes {
            self.apply(change, encoding)?;
        }
        Ok(())
    }

    /// The position just past the last character.
    pub fn end(&self, encoding: Encoding) -> Pos {
        self.position(self.text.len(), encoding)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_on_lf_crlf_and_cr() {
        let m = TextModel::new("a\nb\r\nc\rd");
        assert_eq!(m.line_count(), 4);
        assert_eq!(m.offset(Pos::new(2, 0), Encoding::Utf8), Some(5));
        assert_eq!(m.offset(Pos::new(3, 1), Encoding::Utf8), Some(8));
        assert_eq!(m.offset(Pos::new(4, 0), Encoding::Utf8), None);
    }

    #[test]
    fn columns_count_code_units_and_clamp_past_the_end() {
        let m = TextModel::new("a😀b\n");
        assert_eq!(m.line_len(0, Encoding::Utf16), 4);
        assert_eq!(m.line_len(0, Encoding::Utf8), 6);
        assert_eq!(m.offset(Pos::new(0, 3), Encoding::Utf16), Some(5));
        assert_eq!(m.offset(Pos::new(0, 2), Encoding::Utf16), None, "inside the surrogate pair");
        assert_eq!(m.offset(Pos::new(0, 99), Encoding::Utf16), Some(6));
        assert_eq!(m.offset(Pos::new(1, 5), Encoding::Utf8), Some(7));
    }

    #[test]
    fn changes_apply_in_sequence() {
        let mut m = TextModel::new("hello\nworld\n");
        m.apply_all(
            &[
                Change::insert(Pos::new(0, 5), ","),
                Change::replace(Pos::new(1, 0), Pos::new(1, 5), "漢字"),
                Change::insert(Pos::new(1, 2), "!"),
            ],
            Encoding::Utf16,
        )
        .unwrap();
        assert_eq!(m.text, "hello,\n漢字!\n");
        assert_eq!(m.position(m.text.len(), Encoding::Utf8), Pos::new(2, 0));
        assert_eq!(m.position(10, Encoding::Utf8), Pos::new(1, 3));
    }
}
