//! Why-comments: comments that explain a change to Rationale rather than to the code's readers.
//!
//! A why-comment is a comment whose text (after `#`, `//` or `/*`) starts with the marker
//! (`why_marker`, `why:` by default); the comments on the lines right below it, each alone on its
//! line, continue it. It is a message to Rationale, not part of the code: extraction leaves it out
//! of every unit's signature and text (so writing one, keeping one, or removing one is
//! never a change), and on save the session records it as the rationale of the change it stands
//! in or above.
//!
//! [`Blocks`] groups comments into why-comments as a walk over the tree meets them, in source
//! order; extraction feeds it the comments it meets, and [`find`] the comments of the language's
//! `comments.scm`, so both see the same why-comments.

use std::ops::Range;

use ropey::Rope;
use streaming_iterator::StreamingIterator;
use tree_sitter::{QueryCursor, Tree};

use super::source::Source;
use crate::syntax::Language;

/// One why-comment: one or several comments, and the rationale they carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WhyComment {
    /// Bytes from the start of its first comment to the end of its last.
    pub comments: Range<usize>,
    /// What removing it removes: its whole lines when it stands alone on them, else the comment
    /// and the blanks before it (`x = 1  # why: ...` keeps `x = 1`).
    pub cut: Range<usize>,
    /// Rows (0-based) of its first and last line.
    pub rows: Range<usize>,
    /// The rationale: the comments' text without their syntax and the marker, lines joined by
    /// spaces (a wrapped sentence reads as one).
    pub text: String,
}

/// The text after `marker` when `comment` (a comment node's text, syntax included) starts with
/// it; `None` for any other comment.
pub fn marked<'c>(comment: &'c str, marker: &str) -> Option<&'c str> {
    let body = strip_opening(comment).trim_start();
    let rest = body.strip_prefix(marker)?;
    Some(rest.strip_suffix("*/").unwrap_or(rest))
}

/// A comment's text without its opening (`#`, `//`, `/*`, `/**`).
fn strip_opening(comment: &str) -> &str {
    let comment = comment.trim_start();
    if let Some(rest) = comment.strip_prefix("/*") {
        return rest.trim_start_matches('*');
    }
    if let Some(rest) = comment.strip_prefix("//") {
        return rest.trim_start_matches('/');
    }
    comment.trim_start_matches('#')
}

/// The words of a comment, without its syntax: each line trimmed, the leading `*` of a block
/// comment's lines and the closing `*/` dropped.
fn words(comment: &str) -> Vec<String> {
    let comment = comment.trim_end();
    let comment = comment.strip_suffix("*/").unwrap_or(comment);
    comment
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let line = if i == 0 { strip_opening(line) } else { line.trim_start() };
            let line = if i > 0 { line.strip_prefix('*').unwrap_or(line) } else { line };
            line.trim().to_owned()
        })
        .filter(|line| !line.is_empty())
        .collect()
}

/// Groups comments into why-comments, fed in source order.
pub struct Blocks<'s> {
    source: Source<'s>,
    marker: &'s str,
    /// The why-comment being read, which the next comment may continue.
    open: Option<WhyComment>,
    done: Vec<WhyComment>,
}

impl<'s> Blocks<'s> {
    pub fn new(source: Source<'s>, marker: &'s str) -> Self {
        Self { source, marker, open: None, done: Vec::new() }
    }

    /// Takes in the next comment (bytes and rows); returns whether it belongs to a why-comment.
    pub fn comment(&mut self, bytes: Range<usize>, rows: Range<usize>) -> bool {
        // Borrowed, not checked byte by byte: a comment being typed can run to thousands of bytes.
        let text = self.source.text(bytes.clone());
        if !self.marker.is_empty() && marked(&text, self.marker).is_some() {
            self.close();
            let mut words = words(&text);
            if let Some(first) = words.first_mut() {
                // The marker is the start of the first line's words; what follows is the text.
                *first = first[self.marker.len().min(first.len())..].trim().to_owned();
            }
            self.open = Some(WhyComment {
                comments: bytes.clone(),
                cut: bytes,
                rows,
                text: words.into_iter().filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" "),
            });
            return true;
        }
        let continues = self.open.as_ref().is_some_and(|open| {
            rows.start == open.rows.end + 1
                && self.alone_before(bytes.start)
                && self.alone_after(open.comments.end)
        });
        if !continues {
            self.close();
            return false;
        }
        let open = self.open.as_mut().expect("checked above");
        open.comments.end = bytes.end;
        open.rows.end = rows.end;
        for word in words(&text) {
            if !open.text.is_empty() {
                open.text.push(' ');
            }
            open.text.push_str(&word);
        }
        true
    }

    /// The why-comments, in source order.
    pub fn finish(mut self) -> Vec<WhyComment> {
        self.close();
        self.done
    }

    fn close(&mut self) {
        if let Some(mut block) = self.open.take() {
            block.cut = self.cut(&block.comments);
            self.done.push(block);
        }
    }

    /// Whether only blanks stand between the start of its line and `at`.
    fn alone_before(&self, at: usize) -> bool {
        self.line_start(at) == self.blanks_before(at)
    }

    /// Whether only blanks stand between `at` and the end of its line.
    fn alone_after(&self, at: usize) -> bool {
        let end = self.blanks_after(at);
        end == self.source.end() || matches!(self.source.byte(end), Some(b'\n' | b'\r'))
    }

    fn line_start(&self, at: usize) -> usize {
        let start = self.source.start();
        self.source.bytes(start..at).iter().rposition(|&b| b == b'\n').map_or(start, |i| start + i + 1)
    }

    /// Where the run of spaces and tabs that ends at `at` starts.
    fn blanks_before(&self, at: usize) -> usize {
        let mut start = at;
        while start > self.source.start() && matches!(self.source.byte(start - 1), Some(b' ' | b'\t')) {
            start -= 1;
        }
        start
    }

    fn blanks_after(&self, at: usize) -> usize {
        let mut end = at;
        while end < self.source.end() && matches!(self.source.byte(end), Some(b' ' | b'\t')) {
            end += 1;
        }
        end
    }

    fn cut(&self, comments: &Range<usize>) -> Range<usize> {
        let (before, after) = (self.alone_before(comments.start), self.alone_after(comments.end));
        if before && after {
            // Whole lines, their line break included.
            let mut end = self.blanks_after(comments.end);
            if self.source.byte(end) == Some(b'\r') {
                end += 1;
            }
            if self.source.byte(end) == Some(b'\n') {
                end += 1;
            }
            self.line_start(comments.start)..end
        } else if before {
            // `/* why: ... */ code()`: the comment and the blanks after it.
            self.line_start(comments.start)..self.blanks_after(comments.end)
        } else {
            self.blanks_before(comments.start)..comments.end
        }
    }
}

/// The why-comments of a document, found with its language's `comments.scm`.
pub fn find(language: &Language, tree: &Tree, rope: &Rope, marker: &str) -> Vec<WhyComment> {
    let Some(query) = language.comments_query() else { return Vec::new() };
    let mut source = String::with_capacity(rope.len_bytes());
    rope.chunks().for_each(|chunk| source.push_str(chunk));
    // A why-comment holds the marker as written: a text without it has none, and the query over
    // the whole tree is spared (on opening a 4.5 MB file it was a fifth of the server's work).
    if marker.is_empty() || !source.contains(marker) {
        return Vec::new();
    }
    let mut comments: Vec<(Range<usize>, Range<usize>)> = Vec::new();
    let mut cursor = QueryCursor::new();
    let mut captures = cursor.captures(query, tree.root_node(), source.as_bytes());
    while let Some((found, index)) = captures.next() {
        let node = found.captures[*index].node;
        comments.push((node.byte_range(), node.start_position().row..node.end_position().row));
    }
    comments.sort_by_key(|(bytes, _)| bytes.start);
    comments.dedup();
    let mut blocks = Blocks::new(Source::whole(&source), marker);
    for (bytes, rows) in comments {
        blocks.comment(bytes, rows);
    }
    blocks.finish()
}

/// Copies `source[range]` into `out`, leaving out the bytes of `cuts` (sorted, disjoint).
pub fn push_without(out: &mut String, source: Source<'_>, range: Range<usize>, cuts: &[Range<usize>]) {
    let mut at = range.start;
    let first = cuts.partition_point(|cut| cut.end <= range.start);
    for cut in &cuts[first..] {
        if cut.start >= range.end {
            break;
        }
        let stop = cut.start.max(at);
        out.push_str(&source.text(at..stop));
        at = cut.end.min(range.end).max(at);
    }
    out.push_str(&source.text(at..range.end.max(at)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{language_named, parse_rope};

    fn why(language: &str, source: &str) -> Vec<WhyComment> {
        let language = language_named(language).unwrap();
        let rope = Rope::from_str(source);
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&language.grammar()).unwrap();
        let tree = parse_rope(&mut parser, &rope, None).unwrap();
        find(language, &tree, &rope, "why:")
    }

    #[test]
    fn a_python_why_comment_and_its_continuation_are_one() {
        let source = "x = 1\n# why: the cache was stale\n#   after a rename\ndef f():\n    return 1\n";
        let found = why("python", source);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].text, "the cache was stale after a rename");
        assert_eq!(&source[found[0].cut.clone()], "# why: the cache was stale\n#   after a rename\n");
        assert_eq!(found[0].rows, 1..2);
    }

    #[test]
    fn other_comments_are_not_why_comments_and_a_blank_line_ends_one() {
        let source = "# a note\n# why: first reason here\n\n# not a continuation\n";
        let found = why("python", source);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].text, "first reason here");
    }

    #[test]
    fn a_trailing_why_comment_leaves_the_code_alone() {
        let source = "def f():\n    return 2  # why: two is the answer now\n";
        let found = why("python", source);
        assert_eq!(found[0].text, "two is the answer now");
        let mut kept = String::new();
        push_without(&mut kept, Source::whole(source), 0..source.len(), &[found[0].cut.clone()]);
        assert_eq!(kept, "def f():\n    return 2\n");
    }

    #[test]
    fn javascript_line_and_block_comments() {
        let source = "function f() {\n  // why: callers pass strings\n  // now, so parse them\n  return 1;\n}\n/* why: a block\n * comment, over lines\n */\nconst g = () => 2;\n";
        let found = why("javascript", source);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].text, "callers pass strings now, so parse them");
        assert_eq!(found[1].text, "a block comment, over lines");
        assert_eq!(&source[found[1].cut.clone()], "/* why: a block\n * comment, over lines\n */\n");
    }

    #[test]
    fn cuts_are_left_out_of_a_range() {
        let mut out = String::new();
        push_without(&mut out, Source::whole("abcdefghij"), 2..9, &[0..3, 4..5, 8..12]);
        assert_eq!(out, "dfgh");
    }
}
