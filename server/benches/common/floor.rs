//! The floor a fresh answer is compared with, shared by the stdio benchmark and the
//! `fresh_answer` example: one bare incremental reparse of the keystrokes typed since the last
//! answer, into the very text the server holds.

use std::time::Instant;

/// µs of one bare incremental reparse of `text` that takes in `typed` at once, inserted at
/// `line`, `column` (an ASCII line: columns are bytes).
pub fn floor_once(text: &str, language: tree_sitter::Language, line: u32, column: u32, typed: &str) -> f64 {
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&language).unwrap();
    let mut source = text.to_owned();
    let mut tree = parser.parse(&source, None).unwrap();
    let line_start: usize = source.split_inclusive('\n').take(line as usize).map(str::len).sum();
    let start = line_start + column as usize;
    source.insert_str(start, typed);
    let started = Instant::now();
    tree.edit(&insertion(start, line, column, typed.len()));
    let tree = parser.parse(&source, Some(&tree)).unwrap();
    let elapsed = started.elapsed().as_secs_f64() * 1e6;
    assert!(tree.root_node().end_byte() == source.len());
    elapsed
}

/// The edit that inserts `len` bytes at byte `start`, `line`, `column` (an ASCII line: columns
/// are bytes), without a line break.
pub fn insertion(start: usize, line: u32, column: u32, len: usize) -> tree_sitter::InputEdit {
    let (row, column) = (line as usize, column as usize);
    tree_sitter::InputEdit {
        start_byte: start,
        old_end_byte: start,
        new_end_byte: start + len,
        start_position: tree_sitter::Point::new(row, column),
        old_end_position: tree_sitter::Point::new(row, column),
        new_end_position: tree_sitter::Point::new(row, column + len),
    }
}

/// `text` with `typed` inserted at `line`, `column` (an ASCII line: columns are bytes).
pub fn typed_into(text: &str, line: u32, column: u32, typed: &str) -> String {
    let line_start: usize = text.split_inclusive('\n').take(line as usize).map(str::len).sum();
    let mut text = text.to_owned();
    text.insert_str(line_start + column as usize, typed);
    text
}

/// A bare tree-sitter holder of one text, as an editor that parses for itself keeps it: each
/// reparse starts from the tree the last one left, not from a tree just parsed whole.
pub struct Kept {
    parser: tree_sitter::Parser,
    tree: tree_sitter::Tree,
    source: String,
}

impl Kept {
    pub fn new(text: &str, language: tree_sitter::Language) -> Self {
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&language).unwrap();
        let tree = parser.parse(text, None).unwrap();
        Self { parser, tree, source: text.to_owned() }
    }

    /// µs of one incremental reparse that takes in `typed`, inserted at `line`, `column` (an
    /// ASCII line: columns are bytes).
    pub fn reparse(&mut self, line: u32, column: u32, typed: &str) -> f64 {
        let line_start: usize = self.source.split_inclusive('\n').take(line as usize).map(str::len).sum();
        let start = line_start + column as usize;
        self.source.insert_str(start, typed);
        let started = Instant::now();
        self.tree.edit(&insertion(start, line, column, typed.len()));
        self.tree = self.parser.parse(&self.source, Some(&self.tree)).unwrap();
        let elapsed = started.elapsed().as_secs_f64() * 1e6;
        assert!(self.tree.root_node().end_byte() == self.source.len());
        elapsed
    }
}
