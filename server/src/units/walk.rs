//! The walk: one preorder pass over a syntax tree that finds the units the query captures, nests
//! them, and writes each one's signature as it goes (what a signature counts is told at
//! [`extract`](fn@super::extract)). It does not enter the intact units it is told of.

use std::ops::Range;
use std::sync::Arc;

use tree_sitter::{Node, Tree};

use super::matcher::{Captured, Matcher, Matching, Plan};
use super::reuse::{Reuse, Walked, Written};
use super::source::Source;
use super::unit::UnitKind;
use super::why::Blocks;
use crate::syntax::Language;

/// A nested unit that the caller knows has not changed: [`extract_below`](super::extract_below) does not
/// enter its node.
#[derive(Clone, Debug)]
pub struct Intact {
    /// Bytes of its node in the current text.
    pub range: Range<usize>,
    pub kind: UnitKind,
    /// See [`Unit::node_kind`](super::Unit::node_kind).
    pub node_kind: u16,
}

/// A unit the walk kept: what the query captured (`None` for the module), its parent and its
/// signature.
pub(super) struct Found<'tree> {
    pub(super) captured: Option<(Node<'tree>, Captured<'tree>)>,
    pub(super) parent: Option<usize>,
    pub(super) signature: u64,
    /// A stand-in for this intact unit (see [`extract_below`](super::extract_below)).
    pub(super) intact: Option<usize>,
}

/// A unit whose node the walk is inside.
struct Frame {
    /// Its index in the walk's list of found units.
    found: usize,
    /// The depth of its node in the tree; `usize::MAX` for the module, which has no node.
    depth: usize,
}

/// Tags of the signature's stream: every item starts with one, so that no two different
/// sequences of items write the same bytes.
mod tag {
    pub const OPEN: u8 = 1;
    pub const CLOSE: u8 = 2;
    pub const TOKEN: u8 = 3;
    pub const COMMENT: u8 = 4;
    pub const MISSING: u8 = 5;
    pub const HIDDEN: u8 = 6;
}

/// The preorder walk over the tree that finds, nests and signs the units.
pub(super) struct Walk<'a, 'tree> {
    source: Source<'a>,
    matcher: Option<Matcher<'a, 'tree>>,
    /// What the language's units query says (and which node kinds are strings).
    plan: Arc<Plan>,
    found: Vec<Found<'tree>>,
    frames: Vec<Frame>,
    /// One signature stream per open frame, kept across frames to reuse their allocations.
    streams: Vec<Vec<u8>>,
    /// For each open node: where it ends, whether it is of a string kind, and where the record
    /// holds it (when it is recorded).
    open: Vec<(usize, bool, Option<usize>)>,
    /// Whether the node before the one being visited, in the same parent, is of a string kind.
    after_string: bool,
    /// Bytes of the source before this offset have been written to some signature.
    pub(super) pos: usize,
    /// The why-comments met so far; `None` when none are looked for.
    why: Option<Blocks<'a>>,
    /// Units not to enter, in source order, and how many of them were passed.
    pub(super) intact: &'a [Intact],
    passed: usize,
    /// What the last walk of the top unit wrote, for nodes to copy rather than walk.
    pub(super) reuse: Option<&'a Reuse<'a>>,
    /// What this walk writes for the top unit (the first below the module), when it is kept.
    pub(super) record: Option<Walked>,
    /// What the top unit's stream ends with after what this walk writes (see
    /// [`Walk::run_within`]).
    after: &'a [u8],
}

/// What a walk found: the units, the bytes of the why-comments met, and the record of the top
/// unit if one was asked for.
pub(super) type Walked3<'tree> = (Vec<Found<'tree>>, Vec<Range<usize>>, Option<Walked>);

/// The frame of the top unit: the module is frame 0.
const TOP: usize = 1;

impl<'a, 'tree> Walk<'a, 'tree> {
    pub(super) fn new(
        language: &Language,
        tree: &'tree Tree,
        source: Source<'a>,
        matching: Matching,
        marker: &'a str,
    ) -> Self {
        let plan = Plan::of(language);
        let matcher =
            language.units_query().map(|query| Matcher::new(plan.clone(), query, tree, source, matching));
        Walk {
            source,
            matcher,
            plan,
            found: Vec::new(),
            frames: Vec::new(),
            streams: Vec::new(),
            open: Vec::new(),
            after_string: false,
            pos: 0,
            why: (!marker.is_empty()).then(|| Blocks::new(source, marker)),
            intact: &[],
            passed: 0,
            reuse: None,
            record: None,
            after: &[],
        }
    }

    /// The units found, the bytes of the why-comments met (see [`Blocks`]) and the record of the
    /// top unit, if one was asked for.
    pub(super) fn run(mut self, root: Node<'tree>) -> Walked3<'tree> {
        self.push_frame(None, usize::MAX);
        self.preorder(root, 0);
        self.finish(root)
    }

    /// Walks `node` alone, as part of the own text of the top unit, whose node is `top`, `below`
    /// levels above `node`: what the walk of the top unit would write for `node` is written
    /// between `before` and `after`, what that walk wrote before and after it, and the top unit's
    /// signature is that of the whole. `in_string`: the parent of `node` is of a string kind.
    /// The walk's source need hold only the lines of `node`.
    ///
    /// Patterns that start at `top` are run again (no pattern may start between `top` and
    /// `node`, and the trees before and after agree on the path between: the caller sees to
    /// both), so that a unit they capture inside `node` is found, unless they look no deeper
    /// than `node`'s parent; `None` when they no longer capture `top` itself, or capture
    /// anything outside `node`.
    pub(super) fn run_within(
        mut self,
        top: Node<'tree>,
        node: Node<'tree>,
        below: usize,
        in_string: bool,
        before: &[u8],
        after: &'a [u8],
    ) -> Option<Walked3<'tree>> {
        let matcher = self.matcher.as_mut()?;
        // When those patterns look no deeper than the levels above `node`, where the trees agree
        // (the caller saw to it), they capture at `top` what they did: `top` alone, as the unit
        // it was. Running them again would cost more than walking a small node.
        if !self.plan.sees_above(top.kind_id(), below) {
            matcher.visit(top, top.kind_id(), top.start_byte())?;
            if matcher.captures_outside(node.byte_range()) {
                return None;
            }
        }
        self.push_frame(None, usize::MAX);
        // The top unit's frame, at a depth that puts `node` `below` levels under it.
        self.push_frame(None, 0);
        self.streams[TOP].extend_from_slice(before);
        self.after = after;
        self.open.push((self.clamp(node.end_byte()), in_string, None));
        self.pos = node.start_byte();
        self.preorder(node, below);
        Some(self.finish(node))
    }

    /// The walk proper, from `root`, whose depth is `depth`.
    fn preorder(&mut self, root: Node<'tree>, mut depth: usize) {
        let base = depth;
        let mut cursor = root.walk();
        'walk: loop {
            let node = cursor.node();
            let kind = node.kind_id();
            let start = self.clamp(node.start_byte());
            let string = self.plan.string_kinds.get(usize::from(kind)).copied().unwrap_or(false);
            self.gap(start, string);
            let mut skip = false;
            // A unit whose node is a direct child of another unit's node is that unit seen twice
            // (a function inside its decorated definition, a class expression that is a
            // variable's value): keep the outer one. A query cannot say "not inside".
            let top = self.frames.last().map_or(usize::MAX, |frame| frame.depth);
            let own = top.checked_add(1) != Some(depth);
            if own && self.is_intact(node) {
                // Not even matched: nothing of it enters the signature of the unit around it.
                self.pos = self.pos.max(self.clamp(node.end_byte()));
                let parent = self.frames.last().map(|frame| frame.found);
                let intact = Some(self.passed - 1);
                self.found.push(Found { captured: None, parent, signature: 0, intact });
                skip = true;
            } else if self.copy(node, kind) {
                skip = true;
            } else if let Some(captured) =
                self.matcher.as_mut().and_then(|matcher| matcher.visit(node, kind, start))
            {
                if own {
                    // Nothing of a nested unit enters its parent's signature: a unit appearing,
                    // disappearing or changing is that unit's change, not its parent's too.
                    self.push_frame(Some((node, captured)), depth);
                }
            }
            if !skip && cursor.goto_first_child() {
                let recorded = self.begin_record(node, kind);
                let stream = self.stream();
                stream.push(tag::OPEN);
                stream.extend_from_slice(&kind.to_le_bytes());
                let end = self.clamp(node.end_byte());
                self.open.push((end, string, recorded));
                self.after_string = false;
                depth += 1;
                continue;
            }
            if !skip {
                let recorded = self.begin_record(node, kind);
                self.leaf(node, kind, start, string);
                self.end_record(recorded);
            }
            self.after_string = string;
            self.leave(depth);
            loop {
                if cursor.goto_next_sibling() {
                    break;
                }
                if depth == base || !cursor.goto_parent() {
                    break 'walk;
                }
                depth -= 1;
                let (end, string, recorded) = self.open.last().copied().unwrap_or((self.pos, false, None));
                self.gap(end, false);
                self.open.pop();
                self.after_string = string;
                self.stream().push(tag::CLOSE);
                self.end_record(recorded);
                self.leave(depth);
            }
        }
    }

    /// Closes what is open once the walk has left `root`.
    fn finish(mut self, root: Node<'tree>) -> Walked3<'tree> {
        let end = self.clamp(root.end_byte());
        self.gap(end, false);
        while !self.frames.is_empty() {
            self.pop_frame();
        }
        let hidden = self.why.map(|why| why.finish().into_iter().map(|w| w.cut).collect());
        (self.found, hidden.unwrap_or_default(), self.record)
    }

    fn clamp(&self, byte: usize) -> usize {
        byte.min(self.source.end())
    }

    fn push_frame(&mut self, captured: Option<(Node<'tree>, Captured<'tree>)>, depth: usize) {
        let parent = self.frames.last().map(|frame| frame.found);
        self.found.push(Found { captured, parent, signature: 0, intact: None });
        self.frames.push(Frame { found: self.found.len() - 1, depth });
        if self.streams.len() < self.frames.len() {
            self.streams.push(Vec::new());
        }
    }

    fn pop_frame(&mut self) {
        let Some(frame) = self.frames.pop() else { return };
        let stream = &mut self.streams[self.frames.len()];
        let top = self.frames.len() == TOP;
        if top {
            stream.extend_from_slice(self.after);
        }
        self.found[frame.found].signature = xxhash_rust::xxh3::xxh3_64(stream);
        match &mut self.record {
            // The record takes the stream: the top unit's frame is the last but the module's.
            Some(record) if top => std::mem::swap(&mut record.stream, stream),
            _ => {}
        }
        stream.clear();
    }

    /// Closes the unit whose node was at `depth`, if the walk is leaving it.
    fn leave(&mut self, depth: usize) {
        if self.frames.last().is_some_and(|frame| frame.depth == depth) {
            self.pop_frame();
        }
    }

    /// The signature stream of the innermost open unit.
    fn stream(&mut self) -> &mut Vec<u8> {
        let top = self.frames.len().saturating_sub(1);
        &mut self.streams[top]
    }

    /// Writes the text between the last written byte and `to`: text inside the innermost open
    /// node that none of its children covers. Inside a string it is part of the string (Python
    /// hides the pieces of a string between its escapes), except whitespace between two strings
    /// (implicit concatenation, `"a" "b"`); elsewhere it is whitespace between tokens, or a
    /// token the grammar hides. `before_string`: the node after the gap is a string.
    fn gap(&mut self, to: usize, before_string: bool) {
        if to <= self.pos {
            return;
        }
        let text = self.source.bytes(self.pos..to);
        self.pos = to;
        let in_string = self.open.last().is_some_and(|&(_, string, _)| string);
        let between_strings = self.after_string && before_string;
        if in_string && !(between_strings && is_blank(text)) {
            let stream = self.stream();
            stream.push(tag::HIDDEN);
            push_text(stream, text);
        } else if !is_blank(text) {
            let text = String::from_utf8_lossy(text);
            let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
            let stream = self.stream();
            stream.push(tag::HIDDEN);
            push_text(stream, collapsed.as_bytes());
        }
    }

    /// Writes a leaf: a token, a comment or a missing node. `string`: the leaf is of a string
    /// kind.
    fn leaf(&mut self, node: Node<'tree>, kind: u16, start: usize, string: bool) {
        let in_string = string || self.open.last().is_some_and(|&(_, string, _)| string);
        let end = self.clamp(node.end_byte()).max(start);
        let source = self.source;
        let text = source.bytes(start..end);
        self.pos = self.pos.max(end);
        let kind = kind.to_le_bytes();
        let comment = node.is_extra() && !node.is_error() && !node.is_missing();
        if comment && self.is_why_comment(node, start..end) {
            // A why-comment is a message to Rationale, no part of the unit.
            return;
        }
        let stream = self.stream();
        if node.is_missing() {
            stream.push(tag::MISSING);
            stream.extend_from_slice(&kind);
        } else if comment {
            // Comments: each line trimmed, so that re-indenting a block comment along with its
            // code, or trailing whitespace, counts as whitespace.
            stream.push(tag::COMMENT);
            stream.extend_from_slice(&kind);
            for line in lines(&source.text(start..end)) {
                push_text(stream, line.trim().as_bytes());
            }
        } else if is_layout(text) && !in_string {
            // Whitespace across a line break that the grammar made a token of: layout, as it is
            // where the grammar makes none. JSX text is one: tree-sitter's scanner knows `\n` as
            // a line break but not `\r`, so with CRLF line endings the indentation between two
            // tags is a token that with LF it is not; so are spaces before a line break there.
        } else {
            stream.push(tag::TOKEN);
            stream.extend_from_slice(&kind);
            push_text(stream, text);
        }
    }
}

impl Walk<'_, '_> {
    /// Whether the top unit's own text is being walked, and recorded or copied.
    fn in_top(&self) -> bool {
        self.frames.len() == TOP + 1
    }

    /// Copies what `node` wrote in the last walk of the top unit, if it may (see [`Reuse`]).
    fn copy(&mut self, node: Node<'_>, kind: u16) -> bool {
        let Some(reuse) = self.reuse.filter(|_| self.in_top()) else { return false };
        let range = node.byte_range();
        let Some(stretch) = reuse.stretch(&range, kind, node.child_count()) else { return false };
        let recorded = self.begin_record(node, kind);
        self.streams[TOP].extend_from_slice(stretch);
        self.end_record(recorded);
        self.pos = self.pos.max(self.clamp(range.end));
        true
    }

    /// Starts the record of `node`, when the top unit's own text is recorded.
    fn begin_record(&mut self, node: Node<'_>, kind: u16) -> Option<usize> {
        if !self.in_top() {
            return None;
        }
        let at = self.streams[TOP].len();
        let record = self.record.as_mut()?;
        let children = node.child_count();
        let written = Written { range: node.byte_range(), kind, children, stretch: at..at, descendants: 0 };
        record.nodes.push(written);
        Some(record.nodes.len() - 1)
    }

    /// Ends the record of a node that [`Walk::begin_record`] started.
    fn end_record(&mut self, recorded: Option<usize>) {
        let (Some(index), Some(record)) = (recorded, &mut self.record) else { return };
        let descendants = record.nodes.len() - index - 1;
        let written = &mut record.nodes[index];
        written.stretch.end = self.streams[TOP].len();
        written.descendants = descendants;
    }

    /// Whether `node` is the next intact unit's (passing it if so).
    fn is_intact(&mut self, node: Node<'_>) -> bool {
        let start = node.start_byte();
        while self.intact.get(self.passed).is_some_and(|unit| unit.range.start < start) {
            self.passed += 1;
        }
        let next = self.intact.get(self.passed);
        if next.is_some_and(|unit| unit.range == node.byte_range() && unit.node_kind == node.kind_id()) {
            self.passed += 1;
            return true;
        }
        false
    }

    /// Whether this comment is (part of) a why-comment; told to the why-comments' reader in
    /// source order, as the walk meets them.
    fn is_why_comment(&mut self, node: Node<'_>, bytes: Range<usize>) -> bool {
        let rows = node.start_position().row..node.end_position().row;
        self.why.as_mut().is_some_and(|why| why.comment(bytes, rows))
    }
}

/// Writes `text` with its length in front, so that consecutive texts cannot run together, and
/// with every line break (`\r\n`, or a lone `\r`) written as `\n`: a file whose line endings
/// changed and nothing else has the same units. Every language reads a line break inside a string
/// as `\n` too (Python's universal newlines, JavaScript's template literals, Go's raw strings,
/// Rust's CRLF normalisation).
fn push_text(stream: &mut Vec<u8>, text: &[u8]) {
    if !text.contains(&b'\r') {
        stream.extend_from_slice(&(text.len() as u64).to_le_bytes());
        stream.extend_from_slice(text);
        return;
    }
    let at = stream.len();
    stream.extend_from_slice(&[0; 8]);
    let mut bytes = text.iter().copied().peekable();
    while let Some(byte) = bytes.next() {
        match byte {
            b'\r' if bytes.peek() == Some(&b'\n') => {}
            b'\r' => stream.push(b'\n'),
            byte => stream.push(byte),
        }
    }
    let len = (stream.len() - at - 8) as u64;
    stream[at..at + 8].copy_from_slice(&len.to_le_bytes());
}

/// The lines of `text`, each without its line break (`\n`, `\r\n` or a lone `\r`).
fn lines(text: &str) -> impl Iterator<Item = &str> {
    // As `str::lines`, a break at the very end ends the last line rather than starting another.
    let text = text.strip_suffix('\n').unwrap_or(text);
    let text = text.strip_suffix('\r').unwrap_or(text);
    text.split('\n').flat_map(|line| line.strip_suffix('\r').unwrap_or(line).split('\r'))
}

/// Whether `text` is whitespace that holds a line break.
fn is_layout(text: &[u8]) -> bool {
    text.iter().any(|byte| matches!(byte, b'\n' | b'\r')) && is_blank(text)
}

fn is_blank(text: &[u8]) -> bool {
    if text.is_ascii() {
        text.iter().all(|byte| byte.is_ascii_whitespace() || *byte == 0x0b)
    } else {
        String::from_utf8_lossy(text).chars().all(char::is_whitespace)
    }
}
