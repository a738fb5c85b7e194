//! A document: its text as a rope, the editor's version, (for a parsed language) its syntax tree,
//! which is brought up to date lazily, and the queue of its edits (see [`super::edits`]).

use std::time::{Instant, SystemTime};

use ropey::Rope;
use tree_sitter::Point;

use super::edits::{EditQueue, EditRun, Span, TextChange};
use super::position::{to_char, Encoding, Position, PositionError};
use crate::quality::typing::Typing;
use crate::syntax::{Language, Syntax};

/// Why a change could not be applied. The document is then left exactly as it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EditError {
    Position(PositionError),
    /// The range ends before it starts.
    Backwards {
        start: Position,
        end: Position,
    },
}

impl std::fmt::Display for EditError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EditError::Position(err) => err.fmt(f),
            EditError::Backwards { start, end } => write!(
                f,
                "the range ends ({}:{}) before it starts ({}:{})",
                end.line, end.column, start.line, start.column
            ),
        }
    }
}

impl std::error::Error for EditError {}

impl From<PositionError> for EditError {
    fn from(err: PositionError) -> Self {
        EditError::Position(err)
    }
}

/// A document's tree brought up to date, and the edits the units are to take in: see
/// [`Document::parsed_with_edits`].
pub struct ParsedEdits<'a> {
    pub edits: Vec<EditRun>,
    pub tree: &'a tree_sitter::Tree,
    /// The tree the last reparse started from, edited to the text it parsed.
    pub previous: Option<&'a tree_sitter::Tree>,
    pub rope: &'a Rope,
}

pub struct Document {
    rope: Rope,
    version: i32,
    syntax: Option<Syntax>,
    /// The edits since the units were last brought up to date; kept only for a parsed document
    /// (nothing else reads them).
    edits: EditQueue,
}

impl Document {
    /// A document of a language that is parsed (`Some`) or kept as text alone (`None`). A text
    /// with a NUL byte near its start is binary, whatever its name says (git's own test), and
    /// is kept as text alone: parsing megabytes of noise would stall the server for nothing.
    pub fn new(text: &str, version: i32, language: Option<&'static Language>) -> Self {
        let rope = Rope::from_str(text);
        let head = &text.as_bytes()[..text.len().min(8000)];
        let binary = head.contains(&0);
        let syntax = language.filter(|_| !binary).and_then(Syntax::new);
        Self { rope, version, syntax, edits: EditQueue::default() }
    }

    /// A document kept as text alone, from a rope (cloning a rope shares its nodes).
    pub fn from_rope(rope: Rope, version: i32) -> Self {
        Self { rope, version, syntax: None, edits: EditQueue::default() }
    }

    pub fn rope(&self) -> &Rope {
        &self.rope
    }

    pub fn text(&self) -> String {
        self.rope.to_string()
    }

    pub fn version(&self) -> i32 {
        self.version
    }

    pub fn set_version(&mut self, version: i32) {
        self.version = version;
    }

    /// The hex SHA-256 of the whole text.
    pub fn sha256(&self) -> String {
        super::sha256_hex(self.rope.chunks().map(str::as_bytes))
    }

    /// Applies the changes in order, all or none: if one cannot be applied the document is left
    /// untouched. Nothing is parsed here: a parsed document queues where each change fell, and
    /// its tree catches up when [`Document::tree_and_rope`] is next asked for, so a burst of
    /// keystrokes costs rope edits only.
    pub fn apply(&mut self, changes: &[TextChange], encoding: Encoding) -> Result<(), EditError> {
        self.apply_observed(changes, encoding, |_| {})
    }

    /// [`Document::apply`], telling `applied` where each change fell once all are applied (`None`
    /// for a whole-document replacement).
    pub fn apply_observed(
        &mut self,
        changes: &[TextChange],
        encoding: Encoding,
        mut applied: impl FnMut(Option<&Span>),
    ) -> Result<(), EditError> {
        if let [change] = changes {
            // One change fails, if at all, before it touches the rope: no copy needed. This is
            // the keystroke path.
            let span = apply_one(&mut self.rope, change, encoding)?;
            applied(span.as_ref());
            self.queue(span, Instant::now(), &change.text);
            return Ok(());
        }
        // A later change may fail after earlier ones were applied, so they are applied to a copy
        // (sharing the rope's nodes, it costs O(log n), not the text).
        let mut rope = self.rope.clone();
        let mut spans = Vec::with_capacity(changes.len());
        for change in changes {
            spans.push(apply_one(&mut rope, change, encoding)?);
        }
        self.rope = rope;
        let at = Instant::now();
        for (span, change) in spans.into_iter().zip(changes) {
            applied(span.as_ref());
            self.queue(span, at, &change.text);
        }
        Ok(())
    }

    /// Queues where an edit fell and what it inserted, for the parser and the units (`None`: the
    /// whole text replaced).
    fn queue(&mut self, span: Option<Span>, at: Instant, inserted: &str) {
        let Some(syntax) = &mut self.syntax else { return };
        match span {
            // A whole-document replacement: parse afresh.
            None => syntax.reset(),
            Some(_) => syntax.edited(),
        }
        self.edits.push(span, at, SystemTime::now(), Typing::edit(inserted, at));
    }

    /// The syntax tree of the current text (reparsed first if edits arrived since the last
    /// parse) with the rope it was parsed from; `None` for a document kept as text alone.
    pub fn tree_and_rope(&mut self) -> Option<(&tree_sitter::Tree, &Rope)> {
        self.parsed().map(|(tree, _, rope)| (tree, rope))
    }

    /// Replaces the whole text (a resync): the editor's copy is the truth.
    pub fn replace(&mut self, text: &str, version: i32) {
        self.rope = Rope::from_str(text);
        self.version = version;
        // Not the person's edit: the editor's copy replaces ours, and nothing counts as inserted.
        self.queue(None, Instant::now(), "");
    }

    /// [`Document::tree_and_rope`], with the tree the last reparse started from, edited to the
    /// text it parsed (see [`Syntax::trees`]); `None` after a parse from scratch.
    pub fn parsed(&mut self) -> Option<(&tree_sitter::Tree, Option<&tree_sitter::Tree>, &Rope)> {
        let rope = &self.rope;
        let syntax = self.syntax.as_mut()?;
        let edits = self.edits.unparsed().iter().filter_map(|run| run.span.as_ref().map(Span::input_edit));
        let trees = syntax.trees(rope, edits);
        self.edits.mark_parsed();
        trees.map(|(tree, previous)| (tree, previous, rope))
    }

    /// [`Document::parsed`], with the edits since the units last took them in (oldest first),
    /// which they now do; `None`, the edits kept, when there is no tree.
    pub fn parsed_with_edits(&mut self) -> Option<ParsedEdits<'_>> {
        let rope = &self.rope;
        let syntax = self.syntax.as_mut()?;
        let edits = self.edits.unparsed().iter().filter_map(|run| run.span.as_ref().map(Span::input_edit));
        let trees = syntax.trees(rope, edits);
        self.edits.mark_parsed();
        let (tree, previous) = trees?;
        Some(ParsedEdits { edits: self.edits.take(), tree, previous, rope })
    }

    /// Whether the tree lags behind the text (edits are waiting to be parsed): the tests' view of
    /// the parse's laziness.
    #[cfg(test)]
    pub fn needs_reparse(&self) -> bool {
        self.syntax.as_ref().is_some_and(|syntax| syntax.is_fresh() || !self.edits.unparsed().is_empty())
    }

    /// Whether edits arrived since the units last took them in ([`Document::take_edits`]).
    pub fn has_edits(&self) -> bool {
        !self.edits.is_empty()
    }

    /// When the last edit the units have not taken in was made.
    pub fn last_edit(&self) -> Option<Instant> {
        self.edits.last_at()
    }

    /// The edits since the units last took them in, oldest first, which they now do.
    pub fn take_edits(&mut self) -> Vec<EditRun> {
        self.edits.take()
    }
}

/// Applies one change to `rope`, returning where it fell (`None` for a whole replacement),
/// computed from the rope as it stood before the change.
fn apply_one(rope: &mut Rope, change: &TextChange, encoding: Encoding) -> Result<Option<Span>, EditError> {
    let Some((start, end)) = change.range else {
        *rope = Rope::from_str(&change.text);
        return Ok(None);
    };
    if end < start {
        return Err(EditError::Backwards { start, end });
    }
    // A keystroke inserts at one position: it is converted once, and its end is worked out
    // from the text when that holds no line break (position lookups scan the rope's chunks).
    let start_char = to_char(rope, start, encoding)?;
    let end_char = if end == start { start_char } else { to_char(rope, end, encoding)? };
    // Two positions on one line can still clamp to the same char in either order.
    let end_char = end_char.max(start_char);

    let start_byte = rope.char_to_byte(start_char);
    let start_point = point(rope, start_byte);
    let (old_end, old_end_point) = match end_char == start_char {
        true => (start_byte, start_point),
        false => {
            let byte = rope.char_to_byte(end_char);
            (byte, point(rope, byte))
        }
    };

    rope.remove(start_char..end_char);
    rope.insert(start_char, &change.text);

    let new_end = start_byte + change.text.len();
    let new_end_point = match has_line_break(&change.text) {
        false => Point::new(start_point.row, start_point.column + change.text.len()),
        true => point(rope, new_end),
    };
    Ok(Some(Span { start: start_byte, old_end, new_end, start_point, old_end_point, new_end_point }))
}

/// Whether `text` holds a line break as the rope counts them (`cr_lines`: LF, CR and CRLF),
/// which is how [`point`] counts rows.
fn has_line_break(text: &str) -> bool {
    text.contains(['\n', '\r'])
}

/// The tree-sitter point of a byte offset: the row and the byte column within it.
fn point(rope: &Rope, byte: usize) -> Point {
    let row = rope.byte_to_line(byte);
    Point::new(row, byte - rope.line_to_byte(row))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tree_sitter::InputEdit;

    fn change(l1: u32, c1: u32, l2: u32, c2: u32, text: &str) -> TextChange {
        TextChange { range: Some((Position::new(l1, c1), Position::new(l2, c2))), text: text.to_owned() }
    }

    #[test]
    fn an_edit_carries_the_rows_and_byte_columns_of_its_bytes() {
        let mut rope = Rope::from_str("def f():\n    return 1\n");
        let edits = [
            ((1, 12), (1, 12), "0"),
            ((1, 4), (1, 10), "yield"),
            ((0, 8), (0, 8), "\r\n    x = 1"),
            ((1, 0), (1, 0), "é"),
            ((0, 3), (2, 2), "g():\r"),
            ((0, 0), (0, 0), "# a\n"),
        ];
        for (start, end, text) in edits {
            let before = rope.clone();
            let range = (Position::new(start.0, start.1), Position::new(end.0, end.1));
            let change = TextChange { range: Some(range), text: text.into() };
            let edit = apply_one(&mut rope, &change, Encoding::Utf16).unwrap().unwrap().input_edit();
            assert_eq!(edit.start_position, point(&before, edit.start_byte), "{text:?}");
            assert_eq!(edit.old_end_position, point(&before, edit.old_end_byte), "{text:?}");
            assert_eq!(edit.new_end_position, point(&rope, edit.new_end_byte), "{text:?}");
        }
    }

    #[test]
    fn several_changes_apply_in_order() {
        let mut doc = Document::new("def f():\n    pass\n", 1, None);
        doc.apply(&[change(0, 4, 0, 5, "g"), change(1, 4, 1, 8, "return 1")], Encoding::Utf16).unwrap();
        assert_eq!(doc.text(), "def g():\n    return 1\n");
    }

    #[test]
    fn a_change_that_fails_leaves_the_document_untouched() {
        let mut doc = Document::new("abc\n", 1, None);
        let err = doc.apply(&[change(0, 0, 0, 0, "x"), change(7, 0, 7, 0, "y")], Encoding::Utf8).unwrap_err();
        assert!(matches!(err, EditError::Position(_)));
        assert_eq!(doc.text(), "abc\n");
    }

    #[test]
    fn a_backwards_range_is_refused() {
        let mut doc = Document::new("abc\ndef", 1, None);
        let err = doc.apply(&[change(1, 0, 0, 1, "")], Encoding::Utf8).unwrap_err();
        assert!(matches!(err, EditError::Backwards { .. }));
    }

    #[test]
    fn a_whole_replacement_has_no_range() {
        let mut doc = Document::new("old", 1, None);
        let whole = TextChange { range: None, text: "new".into() };
        doc.apply(&[whole], Encoding::Utf16).unwrap();
        assert_eq!(doc.text(), "new");
    }

    /// Tree-sitter's documented example (the README of its Rust binding): turning `fn test() {}`
    /// into `fn test(a: u32) {}` is an insertion at byte 8 of 6 bytes on row 0.
    #[test]
    fn input_edit_matches_tree_sitters_own_example() {
        let mut rope = Rope::from_str("fn test() {}");
        let edit = apply_one(&mut rope, &change(0, 8, 0, 8, "a: u32"), Encoding::Utf8)
            .unwrap()
            .unwrap()
            .input_edit();
        assert_eq!(
            edit,
            InputEdit {
                start_byte: 8,
                old_end_byte: 8,
                new_end_byte: 14,
                start_position: Point::new(0, 8),
                old_end_position: Point::new(0, 8),
                new_end_position: Point::new(0, 14),
            }
        );
    }

    #[test]
    fn input_edit_has_real_rows_and_byte_columns() {
        let mut rope = Rope::from_str("a = 1\nb = '日本'\nc = 3\n");
        // Replace "日本'\nc" (UTF-16 columns 5..) across a line break with "x\ny\nz".
        let edit = apply_one(&mut rope, &change(1, 5, 2, 1, "x\ny\nz"), Encoding::Utf16)
            .unwrap()
            .unwrap()
            .input_edit();
        assert_eq!(rope.to_string(), "a = 1\nb = 'x\ny\nz = 3\n");
        assert_eq!(edit.start_byte, 6 + 5);
        assert_eq!(edit.start_position, Point::new(1, 5));
        assert_eq!(edit.old_end_position, Point::new(2, 1));
        assert_eq!(edit.old_end_byte, 6 + 5 + 6 + 2 + 1);
        assert_eq!(edit.new_end_byte, 6 + 5 + 5);
        assert_eq!(edit.new_end_position, Point::new(3, 1));
    }

    #[test]
    fn a_binary_document_is_text_alone() {
        let language = crate::syntax::language_named("python").unwrap();
        let mut binary = Document::new("\u{0}\u{1}PK\u{3}def f(): pass\n", 1, Some(language));
        assert!(binary.tree_and_rope().is_none());
        assert!(Document::new("def f(): pass\n", 1, Some(language)).tree_and_rope().is_some());
    }

    /// Every node of a tree, with its kind and both its byte and row/column positions.
    fn nodes(tree: &tree_sitter::Tree) -> Vec<String> {
        let mut out = Vec::new();
        let mut cursor = tree.walk();
        'walk: loop {
            let n = cursor.node();
            out.push(format!(
                "{} {:?} {} {}",
                n.kind(),
                n.byte_range(),
                n.start_position(),
                n.end_position()
            ));
            if cursor.goto_first_child() {
                continue;
            }
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() {
                    break 'walk;
                }
            }
        }
        out
    }

    /// A run of typing, deleting and retyping across lines reaches the parser as one merged edit:
    /// the tree it gives must be the fresh parse's. (Tree-sitter recomputes most positions as it
    /// reparses, so the rows and columns of the merged edit are checked on their own, in
    /// `edits`' tests.)
    #[test]
    fn merged_edits_reparse_like_a_fresh_parse() {
        let language = crate::syntax::language_named("python").unwrap();
        // Enough after the edits that the parser reuses nodes there, moved by the merged edit.
        let text = format!(
            "def f(a):\n    return a\n\ndef g():\n    pass\n{}",
            "def h(b):\n    return [b,\n  b]\n".repeat(40)
        );
        let runs: &[&[TextChange]] = &[
            &[change(1, 12, 1, 12, " +"), change(1, 14, 1, 14, " 1"), change(1, 16, 1, 16, "\n    x = 2")],
            &[change(1, 4, 2, 3, ""), change(1, 4, 1, 4, "y = (\n  3)\n    z")],
            &[change(0, 4, 0, 5, "h"), change(0, 5, 0, 5, "ello"), change(0, 2, 0, 5, "F")],
            &[change(4, 8, 4, 8, "\n"), change(5, 0, 5, 0, "def k(): return 0\n")],
            // The second edit reaches past the first's end, onto later lines.
            &[change(1, 4, 1, 4, "q\nr"), change(2, 1, 4, 0, "")],
            // The second edit falls inside the first's text, and adds lines to it.
            &[change(3, 0, 3, 0, "a = 1\nb = 2\nc"), change(3, 0, 3, 1, "x\ny")],
        ];
        for run in runs {
            let mut doc = Document::new(&text, 1, Some(language));
            assert!(doc.tree_and_rope().is_some());
            for change in *run {
                doc.apply(std::slice::from_ref(change), Encoding::Utf8).unwrap();
            }
            let incremental = nodes(doc.tree_and_rope().unwrap().0);
            let fresh = nodes(Document::new(&doc.text(), 1, Some(language)).tree_and_rope().unwrap().0);
            assert_eq!(incremental, fresh, "{run:?} gave {:?}", doc.text());
        }
    }

    #[test]
    fn incremental_parse_equals_a_fresh_parse() {
        let language = crate::syntax::language_named("python").unwrap();
        let mut doc = Document::new("def f(a):\n    return a\n", 1, Some(language));
        assert!(doc.tree_and_rope().is_some());
        doc.apply(&[change(0, 6, 0, 6, "b, ")], Encoding::Utf16).unwrap();
        doc.apply(&[change(1, 12, 1, 12, " + b")], Encoding::Utf16).unwrap();
        assert!(doc.needs_reparse());
        let incremental = doc.tree_and_rope().unwrap().0.root_node().to_sexp();
        let fresh =
            Document::new(&doc.text(), 1, Some(language)).tree_and_rope().unwrap().0.root_node().to_sexp();
        assert_eq!(incremental, fresh);
        assert!(!doc.needs_reparse());
    }
}
