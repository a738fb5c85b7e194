//! Finding a document's units in its syntax tree: names, nesting, text and signature.
//!
//! [`extract`] walks the tree once, in preorder: it runs the language's `units.scm` at the nodes
//! where its patterns start, nests the units the query captures, and writes each unit's
//! signature as it goes. It runs on every reparse, so it is linear in the size of the document:
//! the rope is copied into one string once, and every unit's text is a slice of the rope.
//!
//! This file holds the entry points; the work is done by the walk (`walk.rs`, with the query's
//! matcher in `matcher.rs`), and the units are put together from what it found in `assemble.rs`.

use std::ops::Range;
use std::sync::Arc;

use ropey::Rope;
use tree_sitter::{Node, Tree};

use super::assemble::assemble;
use super::matcher::Matching;
use super::reuse::{Reuse, Walked};
use super::source::Source;
use super::unit::Unit;
use super::walk::{Intact, Walk};
use crate::syntax::Language;

/// The units of a document, in preorder (every unit after its parent, siblings in source
/// order); the module is first. `tree` must be the tree of `rope`; half-typed code (ERROR and
/// MISSING nodes) gives the units the parser could still see.
///
/// The signature of a unit hashes, for its own subtree with nested units cut off:
/// - every leaf token's text, exactly (so string contents count, spaces included), except that
///   a comment's text counts line by line with each line's leading and trailing whitespace
///   trimmed (re-indenting a block comment with its code, or trailing spaces, is whitespace);
/// - the kind of every node, opened and closed, so that moving a Python statement into or out
///   of a block (the same tokens, another structure) is a change;
/// - text inside a node that no child covers (tree-sitter hides some tokens, such as the pieces
///   of a Python string between its escapes): inside a string, exactly (whitespace between two
///   implicitly concatenated strings excepted); elsewhere with whitespace runs collapsed, and
///   whitespace alone counting for nothing;
/// - nothing of a nested unit: adding, removing or changing one is that unit's own change (the
///   parent's signature ignores it);
/// - every line break, wherever text counts, as `\n` (`\r\n` and a lone `\r` alike), and nothing
///   of a token outside strings that is whitespace holding a line break (JSX text between tags,
///   which tree-sitter makes a token of when the line ends with `\r\n` but not with `\n`): line
///   endings are whitespace, in every language.
pub fn extract(language: &Language, tree: &Tree, rope: &Rope) -> Vec<Unit> {
    extract_hiding(language, tree, rope, "").0
}

/// [`extract`], with every why-comment marked by `marker` left out of the units (of their
/// signatures and texts: see [`super::why`]); an empty marker hides nothing. Also
/// returns the bytes it left out, in order.
pub fn extract_hiding(
    language: &Language,
    tree: &Tree,
    rope: &Rope,
    marker: &str,
) -> (Vec<Unit>, Vec<Range<usize>>) {
    let mut source = String::with_capacity(rope.len_bytes());
    for chunk in rope.chunks() {
        source.push_str(chunk);
    }
    let source = Source::whole(&source);
    let (found, hidden, _) =
        Walk::new(language, tree, source, Matching::AtRoots, marker).run(tree.root_node());
    let rope = Arc::new(rope.clone());
    (assemble(found, source, &rope, &hidden, language.separator, None, None), hidden)
}

/// What [`extract_below`] found.
pub struct Below {
    pub units: Vec<Unit>,
    /// Bytes of the why-comments left out, in order.
    pub hidden: Vec<Range<usize>>,
    /// For each intact unit met, in order: its index in `units` (where a stand-in with its range
    /// and kind holds its place, and nothing nested in it follows) and its index in `intact`.
    pub stand_ins: Vec<(usize, usize)>,
    /// What the walk wrote for `node`'s unit, for the next walk of it (see [`super::reuse`]).
    pub walked: Walked,
}

/// What the walk of a redone unit need not do again.
pub struct Unchanged<'a> {
    /// Nested units (in source order) not to walk: what they hold adds nothing to the units
    /// around them, so only a stand-in is returned for each.
    /// This keeps the cost of an edit to a large unit's own text (a comment between the
    /// declarations of a namespace) proportional to that own text, not to everything nested in it.
    pub intact: &'a [Intact],
    /// What the last walk of the unit wrote, for the nodes the edits left alone.
    pub reuse: Option<&'a Reuse<'a>>,
}

/// The units at and below `node` alone, as [`extract`] would find them if `node`'s unit stood at
/// the top of the file: the first is a module stand-in, then the unit of `node` (if `node` is
/// one) and its nested units, with qualified names relative to it. A pattern that needs the context above `node` (a method is a function in a class body) does
/// not see it, so the caller keeps the kind it already knew for `node`'s own unit. `source` holds
/// (at least) the lines of `node` in `rope`, whose stretches the units' texts are.
/// Why-comments are hidden as with [`extract_hiding`], and the hidden bytes returned.
///
/// What is `unchanged` is not walked again: see [`Unchanged`].
pub fn extract_below(
    language: &Language,
    tree: &Tree,
    node: Node<'_>,
    rope: &Arc<Rope>,
    source: Source<'_>,
    marker: &str,
    unchanged: Unchanged<'_>,
) -> Below {
    let Unchanged { intact, reuse } = unchanged;
    let mut walk = Walk::new(language, tree, source, Matching::AtRoots, marker);
    walk.pos = node.start_byte();
    walk.intact = intact;
    walk.reuse = reuse;
    let (range, kind) = (node.byte_range(), node.kind_id());
    walk.record = Some(Walked { range, kind, nodes: Vec::new(), stream: Vec::new() });
    let (found, hidden, walked) = walk.run(node);
    let stand_ins =
        found.iter().enumerate().filter_map(|(index, found)| found.intact.map(|i| (index, i))).collect();
    let units = assemble(found, source, rope, &hidden, language.separator, Some(intact), None);
    let walked = walked.expect("the walk keeps the record it was given");
    Below { units, hidden, stand_ins, walked }
}

/// Where a node stands in the own text of the unit it is in, for [`extract_within`].
pub struct Part<'a, 'tree> {
    /// The unit's node.
    pub top: Node<'tree>,
    /// How many levels the node is below it.
    pub below: usize,
    /// Whether the node's parent is of a string kind.
    pub in_string: bool,
    /// What the last walk of the unit wrote before the node, and after it.
    pub before: &'a [u8],
    pub after: &'a [u8],
}

/// The units inside `node` alone, and what changes of the unit it is in, when nothing of that
/// unit but `node` changed and no pattern starts between the unit's node and `node` (see
/// [`Part`]): the first unit is a module stand-in; the second stands for the unit `node` is in,
/// with its new signature and, for range, `node`'s bytes; then the units inside `node`, named as if that unit were the module. `None` when the
/// patterns that start at the unit's node no longer capture it, or capture anything but it and
/// units inside `node`. `source` holds (at least) the lines of `node`; what is `unchanged` is not
/// walked again, as with [`extract_below`], whose record the walk's record goes on (its nodes are
/// those of `node`, its stream the unit's).
#[allow(clippy::too_many_arguments)]
pub fn extract_within<'a>(
    language: &Language,
    tree: &Tree,
    node: Node<'_>,
    part: Part<'a, '_>,
    rope: &Arc<Rope>,
    source: Source<'a>,
    marker: &'a str,
    unchanged: Unchanged<'a>,
) -> Option<Below> {
    let Unchanged { intact, reuse } = unchanged;
    let mut walk = Walk::new(language, tree, source, Matching::AtRoots, marker);
    walk.intact = intact;
    walk.reuse = reuse;
    let (range, kind) = (part.top.byte_range(), part.top.kind_id());
    walk.record = Some(Walked { range, kind, nodes: Vec::new(), stream: Vec::new() });
    let (found, hidden, walked) =
        walk.run_within(part.top, node, part.below, part.in_string, part.before, part.after)?;
    let stand_ins =
        found.iter().enumerate().filter_map(|(index, found)| found.intact.map(|i| (index, i))).collect();
    let units =
        assemble(found, source, rope, &hidden, language.separator, Some(intact), Some(node.byte_range()));
    let walked = walked.expect("the walk keeps the record it was given");
    Some(Below { units, hidden, stand_ins, walked })
}
