//! Conversion between editor positions (line and column in a negotiated encoding) and offsets in a
//! rope, and the width of a text in columns ([`Encoding::width`]). Every such conversion and every
//! column count in Rationale goes through this module, so the server and `replay` agree on every
//! edit byte for byte.
//!
//! Lines end at `\n`, `\r\n` or a lone `\r`, as the LSP specification says (ropey is built with
//! `cr_lines` and without `unicode_lines` for exactly this reason).

use ropey::Rope;

/// How the editor counts columns. The LSP specification calls these position encodings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Encoding {
    /// Columns count bytes of UTF-8.
    #[serde(rename = "utf-8")]
    Utf8,
    /// Columns count UTF-16 code units (the LSP default).
    #[serde(rename = "utf-16")]
    Utf16,
}

impl Encoding {
    /// The name the LSP specification and the journal use.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf16 => "utf-16",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "utf-8" => Some(Encoding::Utf8),
            "utf-16" => Some(Encoding::Utf16),
            _ => None,
        }
    }

    /// How many columns `text` takes in this encoding: where a cursor stands after it, counted
    /// from where it starts (for a text without a line break).
    pub fn width(self, text: &str) -> u32 {
        let units = match self {
            Encoding::Utf8 => text.len(),
            Encoding::Utf16 => text.chars().map(char::len_utf16).sum(),
        };
        units as u32
    }

    /// How many columns the character `c` takes in this encoding.
    pub fn char_width(self, c: char) -> u32 {
        let units = match self {
            Encoding::Utf8 => c.len_utf8(),
            Encoding::Utf16 => c.len_utf16(),
        };
        units as u32
    }
}

/// A zero-based line and a column counted in some [`Encoding`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

impl Position {
    pub const fn new(line: u32, column: u32) -> Self {
        Self { line, column }
    }
}

/// Why a position could not be turned into an offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PositionError {
    /// The line does not exist: the document has `lines` lines.
    LineOutOfRange { line: u32, lines: usize },
}

impl std::fmt::Display for PositionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PositionError::LineOutOfRange { line, lines } => {
                write!(f, "line {line} is past the end of the document ({lines} lines)")
            }
        }
    }
}

impl std::error::Error for PositionError {}

/// The char index where line `line` (which exists) ends, before its line break (`\n`, `\r\n` or
/// `\r`). Looks at the two chars before the next line's start rather than slicing the line: this
/// is on the keystroke path.
fn content_end(rope: &Rope, line: usize) -> usize {
    let mut end = if line + 1 < rope.len_lines() { rope.line_to_char(line + 1) } else { rope.len_chars() };
    let start = rope.line_to_char(line);
    if end > start && rope.char(end - 1) == '\n' {
        end -= 1;
    }
    if end > start && rope.char(end - 1) == '\r' {
        end -= 1;
    }
    end
}

/// The char index of `pos` in `rope`.
///
/// The LSP specification: "If the character value is greater than the line length it defaults
/// back to the line length." So a column past the end of a line is clamped to the end of that
/// line's content (before its line break). A column inside a multi-unit character (the middle of a
/// surrogate pair, or of a UTF-8 sequence) means that character's start. A line past the end of
/// the document has no sensible meaning and is an error.
pub fn to_char(rope: &Rope, pos: Position, encoding: Encoding) -> Result<usize, PositionError> {
    let line = pos.line as usize;
    if line >= rope.len_lines() {
        return Err(PositionError::LineOutOfRange { line: pos.line, lines: rope.len_lines() });
    }
    let start = rope.line_to_char(line);
    let end = content_end(rope, line);
    let column = pos.column as usize;
    Ok(match encoding {
        Encoding::Utf8 => {
            let base = rope.char_to_byte(start);
            let limit = rope.char_to_byte(end);
            rope.byte_to_char((base + column).min(limit))
        }
        Encoding::Utf16 => {
            let base = rope.char_to_utf16_cu(start);
            let limit = rope.char_to_utf16_cu(end);
            rope.utf16_cu_to_char((base + column).min(limit))
        }
    })
}

/// The position of the char index `char_idx` (at most `rope.len_chars()`).
pub fn from_char(rope: &Rope, char_idx: usize, encoding: Encoding) -> Position {
    let char_idx = char_idx.min(rope.len_chars());
    let line = rope.char_to_line(char_idx);
    let start = rope.line_to_char(line);
    let column = match encoding {
        Encoding::Utf8 => rope.char_to_byte(char_idx) - rope.char_to_byte(start),
        Encoding::Utf16 => rope.char_to_utf16_cu(char_idx) - rope.char_to_utf16_cu(start),
    };
    Position::new(line as u32, column as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, line: u32, column: u32, encoding: Encoding) -> Result<usize, PositionError> {
        to_char(&Rope::from_str(text), Position::new(line, column), encoding)
    }

    #[test]
    fn widths_count_the_columns_from_char_to_position() {
        let text = "a😀日\u{301}b";
        let rope = Rope::from_str(text);
        for encoding in [Encoding::Utf8, Encoding::Utf16] {
            assert_eq!(encoding.width(text), from_char(&rope, rope.len_chars(), encoding).column);
            let summed: u32 = text.chars().map(|c| encoding.char_width(c)).sum();
            assert_eq!(summed, encoding.width(text));
        }
        assert_eq!((Encoding::Utf8.width(text), Encoding::Utf16.width(text)), (11, 6));
    }

    #[test]
    fn ascii_is_the_same_in_both_encodings() {
        for encoding in [Encoding::Utf8, Encoding::Utf16] {
            assert_eq!(at("ab\ncd", 1, 1, encoding), Ok(4));
        }
    }

    #[test]
    fn emoji_is_two_utf16_units_and_four_utf8_bytes() {
        // "a😀b": the emoji lies outside the BMP.
        assert_eq!(at("a😀b", 0, 3, Encoding::Utf16), Ok(2));
        assert_eq!(at("a😀b", 0, 5, Encoding::Utf8), Ok(2));
        // Inside the surrogate pair or the UTF-8 sequence means the emoji itself.
        assert_eq!(at("a😀b", 0, 2, Encoding::Utf16), Ok(1));
        assert_eq!(at("a😀b", 0, 3, Encoding::Utf8), Ok(1));
    }

    #[test]
    fn cjk_is_one_utf16_unit_and_three_utf8_bytes() {
        assert_eq!(at("日本語x", 0, 2, Encoding::Utf16), Ok(2));
        assert_eq!(at("日本語x", 0, 6, Encoding::Utf8), Ok(2));
    }

    #[test]
    fn column_past_the_end_of_a_line_clamps_before_its_break() {
        for text in ["ab\ncd", "ab\r\ncd", "ab\rcd"] {
            for encoding in [Encoding::Utf8, Encoding::Utf16] {
                assert_eq!(at(text, 0, 99, encoding), Ok(2), "{text:?}");
            }
        }
        assert_eq!(at("ab\ncd", 1, 99, Encoding::Utf16), Ok(5));
    }

    #[test]
    fn crlf_and_lone_cr_both_end_lines() {
        assert_eq!(at("ab\r\ncd", 1, 0, Encoding::Utf16), Ok(4));
        assert_eq!(at("ab\rcd", 1, 1, Encoding::Utf16), Ok(4));
        assert_eq!(at("a\r\rb", 2, 0, Encoding::Utf8), Ok(3));
    }

    #[test]
    fn unicode_line_separators_do_not_end_lines() {
        // The LSP knows only \n, \r\n and \r; U+2028 is an ordinary character to it.
        assert_eq!(at("a\u{2028}b\nc", 1, 0, Encoding::Utf16), Ok(4));
    }

    #[test]
    fn the_empty_line_after_a_final_break_exists() {
        assert_eq!(at("ab\n", 1, 0, Encoding::Utf16), Ok(3));
        assert_eq!(at("", 0, 5, Encoding::Utf16), Ok(0));
    }

    #[test]
    fn a_line_past_the_end_is_an_error() {
        assert_eq!(at("ab", 1, 0, Encoding::Utf16), Err(PositionError::LineOutOfRange { line: 1, lines: 1 }));
    }

    #[test]
    fn from_char_inverts_to_char() {
        let text = "x😀\r\n日本\rz\n";
        let rope = Rope::from_str(text);
        for encoding in [Encoding::Utf8, Encoding::Utf16] {
            for idx in 0..=rope.len_chars() {
                // Between the \r and \n of a CRLF is no position an editor can name.
                if idx > 0 && rope.char(idx - 1) == '\r' && rope.get_char(idx) == Some('\n') {
                    continue;
                }
                let pos = from_char(&rope, idx, encoding);
                assert_eq!(to_char(&rope, pos, encoding), Ok(idx), "{idx} {pos:?}");
            }
        }
    }
}
