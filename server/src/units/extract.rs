//! Finding a document's units in its syntax tree: names, nesting, text, own text and signature.
//!
//! [`extract`] walks the tree once, in preorder: it runs the language's `units.scm` at the nodes
//! where its patterns start, nests the units the query captures, and writes each unit's
//! signature as it goes. It runs on every reparse, so it is linear in the size of the document:
//! the rope is copied into one string once, and every unit's text and own text are slices of it.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::hash::Hasher;
use std::ops::Range;
use std::sync::Arc;

use ropey::Rope;
use streaming_iterator::StreamingIterator;
use tree_sitter::{Node, Query, QueryCursor, Tree};

use super::why::{push_without, Blocks};
use crate::syntax::Language;

/// The name of the pseudo-unit that is the whole file.
pub const MODULE_NAME: &str = "<module>";

/// What kind of unit a unit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnitKind {
    /// The whole file.
    Module,
    Function,
    /// A function defined directly in a class body (a Go function with a receiver, a Rust
    /// function in an impl or a trait).
    Method,
    Class,
    /// A TypeScript or Go interface.
    Interface,
    /// A type alias (TypeScript `type`), or a Go type declaration that is neither a struct nor an
    /// interface.
    Type,
    Enum,
    /// A Go or Rust struct.
    Struct,
    Trait,
    /// A Rust `impl` block.
    Impl,
    /// A Rust `mod` with a body. Not `module`: that kind is the whole file's.
    Mod,
    /// A Rust `macro_rules!` definition.
    Macro,
    /// A TypeScript namespace or ambient module.
    Namespace,
}

/// Every kind a `units.scm` can capture, as `@unit.<kind>`.
pub const CAPTURED_KINDS: [UnitKind; 12] = [
    UnitKind::Function,
    UnitKind::Method,
    UnitKind::Class,
    UnitKind::Interface,
    UnitKind::Type,
    UnitKind::Enum,
    UnitKind::Struct,
    UnitKind::Trait,
    UnitKind::Impl,
    UnitKind::Mod,
    UnitKind::Macro,
    UnitKind::Namespace,
];

impl UnitKind {
    /// The kind as the journal and the protocol spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Module => "module",
            UnitKind::Function => "function",
            UnitKind::Method => "method",
            UnitKind::Class => "class",
            UnitKind::Interface => "interface",
            UnitKind::Type => "type",
            UnitKind::Enum => "enum",
            UnitKind::Struct => "struct",
            UnitKind::Trait => "trait",
            UnitKind::Impl => "impl",
            UnitKind::Mod => "mod",
            UnitKind::Macro => "macro",
            UnitKind::Namespace => "namespace",
        }
    }

    /// The kind a `@unit.<kind>` capture names; the module is never captured.
    pub fn from_capture(capture: &str) -> Option<Self> {
        let kind = capture.strip_prefix("unit.")?;
        CAPTURED_KINDS.into_iter().find(|captured| captured.as_str() == kind)
    }

    /// What stands for a nested unit of this kind in its parent's own text.
    ///
    /// It names the kind and nothing else, so editing a nested unit, renaming it included,
    /// leaves its parent's own text alone; only turning it into another kind of unit (a function
    /// into a class) or adding and removing units changes it. The mathematical angle brackets
    /// (U+27E8, U+27E9) do not occur in code by accident, and read well in a journal:
    /// `class Session:\n    ⟨method⟩\n`.
    pub fn placeholder(self) -> &'static str {
        match self {
            UnitKind::Module => "⟨module⟩",
            UnitKind::Function => "⟨function⟩",
            UnitKind::Method => "⟨method⟩",
            UnitKind::Class => "⟨class⟩",
            UnitKind::Interface => "⟨interface⟩",
            UnitKind::Type => "⟨type⟩",
            UnitKind::Enum => "⟨enum⟩",
            UnitKind::Struct => "⟨struct⟩",
            UnitKind::Trait => "⟨trait⟩",
            UnitKind::Impl => "⟨impl⟩",
            UnitKind::Mod => "⟨mod⟩",
            UnitKind::Macro => "⟨macro⟩",
            UnitKind::Namespace => "⟨namespace⟩",
        }
    }
}

impl std::fmt::Display for UnitKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A unit of a document, as it stands in one syntax tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// The name as written (a string key without its quotes, a computed key without its
    /// brackets, an assignment's left side); [`MODULE_NAME`] for the file. It can be empty, where
    /// the parser supplied a missing name.
    pub name: String,
    /// The names of the enclosing units and this one, outermost first, joined with `.`; the
    /// module is not included (`Session.request`). The module's is [`MODULE_NAME`].
    pub qualified: String,
    pub kind: UnitKind,
    /// Bytes of the unit's node: decorators included; for a variable or an assignment, the
    /// declarator or the assignment expression, not the statement. The whole file for the
    /// module.
    pub range: Range<usize>,
    /// Bytes of the name (where a diagnostic goes); `0..0` for the module.
    pub name_range: Range<usize>,
    /// Index of the enclosing unit in the same list; `None` for the module (index 0).
    pub parent: Option<usize>,
    /// The unit's text.
    /// Shared, so that keeping a unit as it stood (a baseline, the last extraction) costs no copy.
    pub text: Arc<str>,
    /// The text with each directly nested unit's text replaced by its kind's
    /// [placeholder](UnitKind::placeholder).
    pub own_text: Arc<str>,
    /// A hash of the own text's tokens and syntactic structure: two own texts that differ only
    /// in whitespace between tokens have the same signature. See [`extract`] for what counts.
    /// It is stable within one build of the server, not across builds: keep it in memory only.
    pub signature: u64,
    /// The grammar's id of the kind of the unit's node (0 for the module), so that a later walk
    /// knows the node again among others of the same bytes.
    pub node_kind: u16,
}

impl Unit {
    pub fn is_module(&self) -> bool {
        self.kind == UnitKind::Module
    }
}

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
///   parent's own text shows a placeholder where it stands, but its signature ignores it).
pub fn extract(language: &Language, tree: &Tree, rope: &Rope) -> Vec<Unit> {
    extract_hiding(language, tree, rope, "").0
}

/// [`extract`], with every why-comment marked by `marker` left out of the units (of their
/// signatures, texts and own texts: see [`super::why`]); an empty marker hides nothing. Also
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
    let (found, hidden) = Walk::new(language, tree, &source, Matching::AtRoots, marker).run(tree.root_node());
    (assemble(found, source, &hidden, language.separator, None), hidden)
}

/// A nested unit that the caller knows has not changed: [`extract_below`] does not enter its node.
#[derive(Clone, Debug)]
pub struct Intact {
    /// Bytes of its node in the current text.
    pub range: Range<usize>,
    pub kind: UnitKind,
    /// See [`Unit::node_kind`].
    pub node_kind: u16,
}

/// What [`extract_below`] found.
pub struct Below {
    pub units: Vec<Unit>,
    /// Bytes of the why-comments left out, in order.
    pub hidden: Vec<Range<usize>>,
    /// For each intact unit met, in order: its index in `units` (where a stand-in with its range
    /// and kind holds its place, and nothing nested in it follows) and its index in `intact`.
    pub stand_ins: Vec<(usize, usize)>,
}

/// The units at and below `node` alone, as [`extract`] would find them if `node`'s unit stood at
/// the top of the file: the first is a module stand-in, then the unit of `node` (if `node` is
/// one) and its nested units, with qualified names relative to it. `source` is the whole text.
/// A pattern that needs the context above `node` (a method is a function in a class body) does
/// not see it, so the caller keeps the kind it already knew for `node`'s own unit.
/// Why-comments are hidden as with [`extract_hiding`], and the hidden bytes returned.
///
/// The `intact` units (in source order) are not walked: what they hold adds nothing to the units
/// around them but a placeholder in their own text, so only a stand-in is returned for each. This
/// keeps the cost of an edit to a large unit's own text (a comment between the declarations of
/// a namespace) proportional to that own text, not to everything nested in it.
pub fn extract_below(
    language: &Language,
    tree: &Tree,
    node: Node<'_>,
    source: String,
    marker: &str,
    intact: &[Intact],
) -> Below {
    let mut walk = Walk::new(language, tree, &source, Matching::AtRoots, marker);
    walk.pos = node.start_byte();
    walk.intact = intact;
    let (found, hidden) = walk.run(node);
    let stand_ins =
        found.iter().enumerate().filter_map(|(index, found)| found.intact.map(|i| (index, i))).collect();
    Below { units: assemble(found, source, &hidden, language.separator, Some(intact)), hidden, stand_ins }
}

/// A node some pattern captured as a unit.
#[derive(Clone)]
struct Captured<'tree> {
    kind: UnitKind,
    name: Node<'tree>,
    /// The name its pattern composes (`(#set! name "...")`); `None`: the text of `name`.
    composed: Option<String>,
    /// The pattern that captured it: when several capture the same node, the first wins.
    pattern: usize,
}

/// What a capture of the units query stands for.
#[derive(Clone, Copy)]
enum Role {
    Unit(UnitKind),
    Name,
    Other,
}

/// A piece of a pattern's name template.
#[derive(Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    /// The text of a capture, by index, its whitespace runs collapsed to one space.
    Capture(u32),
}

/// The name template a pattern sets with `(#set! name "...")`, where `{capture}` stands for the
/// text of `@capture` (`"<{name} as {trait}>"`, `"{receiver}.{name}"`): a name that is no one
/// stretch of the source, composed by the query rather than by code for each language. `None`
/// when the pattern sets none, or names a capture it does not have (the tests catch that).
fn name_template(query: &Query, pattern: usize) -> Option<Vec<Piece>> {
    let setting = query.property_settings(pattern).iter().find(|p| &*p.key == "name")?;
    let mut pieces = Vec::new();
    let mut rest: &str = setting.value.as_deref()?;
    while let Some(open) = rest.find('{') {
        let close = open + rest[open..].find('}')?;
        if open > 0 {
            pieces.push(Piece::Text(rest[..open].to_owned()));
        }
        pieces.push(Piece::Capture(query.capture_index_for_name(&rest[open + 1..close])?));
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest.to_owned()));
    }
    Some(pieces)
}

/// How [`Matcher`] runs the query.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Matching {
    /// At each node a pattern can start at, if every pattern's start can be read.
    AtRoots,
    /// Over the whole tree, up front (the tests compare the two ways).
    #[cfg_attr(not(test), allow(dead_code))]
    WholeTree,
}

/// Finds the nodes the units query captures, as the walk reaches them.
///
/// Running a query over a whole tree costs about twice a walk over it, however simple the
/// query, so the query runs instead at each node a pattern can start at (read from the
/// pattern's text: `(kind ...)` or `[(kind ...) ...]`), and descends no further than its
/// patterns need. A pattern captures only nodes at or below its root, so every node the query
/// captures has been found by the time the walk, in preorder, reaches it. Should a pattern
/// start some other way, the query runs over the whole tree up front instead.
struct Matcher<'a, 'tree> {
    query: &'a Query,
    roles: Vec<Role>,
    /// By pattern: its name template, if it sets one.
    templates: Vec<Option<Vec<Piece>>>,
    /// By node kind id: whether some pattern starts at nodes of that kind. `None` when the
    /// whole tree was matched up front.
    roots: Option<Vec<bool>>,
    cursor: QueryCursor,
    source: &'a [u8],
    /// Captured units the walk has not reached yet, by start byte and node id.
    pending: BTreeMap<(usize, usize), Captured<'tree>>,
    /// The smallest start byte in `pending`; `usize::MAX` when it is empty.
    next_start: usize,
}

impl<'a, 'tree> Matcher<'a, 'tree> {
    fn new(
        language: &Language,
        query: &'a Query,
        tree: &'tree Tree,
        source: &'a [u8],
        matching: Matching,
    ) -> Self {
        let roles = query
            .capture_names()
            .iter()
            .map(|name| match (*name, UnitKind::from_capture(name)) {
                (_, Some(kind)) => Role::Unit(kind),
                ("name", None) => Role::Name,
                _ => Role::Other,
            })
            .collect();
        let templates = (0..query.pattern_count()).map(|p| name_template(query, p)).collect();
        let mut matcher = Matcher {
            query,
            roles,
            templates,
            roots: match matching {
                Matching::AtRoots => root_kinds(query, language.units, &language.grammar()),
                Matching::WholeTree => None,
            },
            cursor: QueryCursor::new(),
            source,
            pending: BTreeMap::new(),
            next_start: usize::MAX,
        };
        if matcher.roots.is_some() {
            matcher.cursor.set_max_start_depth(Some(0));
        } else {
            matcher.run(tree.root_node());
        }
        matcher
    }

    /// Runs the query at `node`, keeping what it captures for when the walk gets there.
    fn run(&mut self, node: Node<'tree>) {
        let mut matches = self.cursor.matches(self.query, node, self.source);
        while let Some(found) = matches.next() {
            let mut unit = None;
            let mut name = None;
            for capture in found.captures {
                match self.roles.get(capture.index as usize).copied().unwrap_or(Role::Other) {
                    Role::Unit(kind) => unit = unit.or(Some((capture.node, kind))),
                    Role::Name => name = name.or(Some(capture.node)),
                    Role::Other => {}
                }
            }
            let (Some((node, kind)), Some(name)) = (unit, name) else { continue };
            let composed = self.templates.get(found.pattern_index).and_then(Option::as_ref).map(|pieces| {
                let mut composed = String::new();
                for piece in pieces {
                    match piece {
                        Piece::Text(text) => composed.push_str(text),
                        Piece::Capture(index) => {
                            if let Some(capture) = found.captures.iter().find(|c| c.index == *index) {
                                let text = self.source.get(capture.node.byte_range()).unwrap_or_default();
                                let text = String::from_utf8_lossy(text);
                                composed.push_str(&text.split_whitespace().collect::<Vec<_>>().join(" "));
                            }
                        }
                    }
                }
                composed
            });
            let captured = Captured { kind, name, composed, pattern: found.pattern_index };
            let start = node.start_byte();
            let pattern = captured.pattern;
            let slot = self.pending.entry((start, node.id())).or_insert_with(|| captured.clone());
            if pattern < slot.pattern {
                *slot = captured;
            }
            self.next_start = self.next_start.min(start);
        }
    }

    /// What the query captured at `node`, of kind `kind`, which starts at `start`; the walk
    /// calls it for every node, in preorder.
    fn visit(&mut self, node: Node<'tree>, kind: u16, start: usize) -> Option<Captured<'tree>> {
        let kind = usize::from(kind);
        if self.roots.as_ref().is_some_and(|roots| roots.get(kind).copied().unwrap_or(false)) {
            self.run(node);
        }
        if start < self.next_start {
            return None;
        }
        // Whatever starts before this node was passed by (only a tree that does not match its
        // text could do that).
        while self.pending.first_key_value().is_some_and(|(&(first, _), _)| first < start) {
            self.pending.pop_first();
        }
        let captured = self.pending.remove(&(start, node.id()));
        self.next_start = self.pending.first_key_value().map_or(usize::MAX, |(&(first, _), _)| first);
        captured
    }
}

/// By node kind id, whether some pattern of `query` (compiled from `text`) starts at nodes of
/// that kind; `None` when a pattern starts in a way this does not read (a wildcard, a
/// supertype, a sequence).
fn root_kinds(query: &Query, text: &str, grammar: &tree_sitter::Language) -> Option<Vec<bool>> {
    let mut names = Vec::new();
    for pattern in 0..query.pattern_count() {
        names.extend(pattern_roots(text.get(query.start_byte_for_pattern(pattern)..)?)?);
    }
    for name in &names {
        let id = grammar.id_for_node_kind(name, true);
        if id == 0 || grammar.node_kind_is_supertype(id) {
            return None;
        }
    }
    let roots = (0..grammar.node_kind_count())
        .map(|id| {
            let id = u16::try_from(id).unwrap_or(0);
            grammar.node_kind_is_named(id)
                && grammar.node_kind_for_id(id).is_some_and(|kind| names.contains(&kind))
        })
        .collect();
    Some(roots)
}

/// The node kinds a pattern (the query text from its start on) starts at.
fn pattern_roots(text: &str) -> Option<Vec<&str>> {
    let text = text.trim_start();
    if let Some(rest) = text.strip_prefix('(') {
        let rest = rest.trim_start();
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.' || c == '-'))
            .unwrap_or(rest.len());
        let name = &rest[..end];
        return (!name.is_empty() && name != "_").then(|| vec![name]);
    }
    let mut rest = text.strip_prefix('[')?;
    let mut names = Vec::new();
    loop {
        rest = rest.trim_start();
        if rest.starts_with(']') {
            return Some(names);
        }
        names.extend(pattern_roots(rest)?);
        rest = skip_expression(rest)?;
    }
}

/// The query text after the parenthesised expression `text` starts with, and after the
/// captures and quantifier that follow it.
fn skip_expression(text: &str) -> Option<&str> {
    let mut depth = 0usize;
    let mut chars = text.char_indices();
    let mut end = None;
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => {
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            ';' => {
                for (_, c) in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '(' | '[' => depth += 1,
            ')' | ']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    end = Some(at + 1);
                    break;
                }
            }
            _ => {}
        }
    }
    let mut rest = &text[end?..];
    loop {
        rest = rest.trim_start();
        if let Some(capture) = rest.strip_prefix('@') {
            let end = capture
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.' || c == '-'))
                .unwrap_or(capture.len());
            rest = &capture[end..];
        } else if let Some(after) = rest.strip_prefix(['*', '+', '?']) {
            rest = after;
        } else {
            return Some(rest);
        }
    }
}

/// A unit the walk kept: what the query captured (`None` for the module), its parent and its
/// signature.
struct Found<'tree> {
    captured: Option<(Node<'tree>, Captured<'tree>)>,
    parent: Option<usize>,
    signature: u64,
    /// A stand-in for this intact unit (see [`extract_below`]).
    intact: Option<usize>,
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
struct Walk<'a, 'tree> {
    source: &'a [u8],
    matcher: Option<Matcher<'a, 'tree>>,
    /// By node kind id: whether the kind names a string.
    string_kinds: Vec<bool>,
    found: Vec<Found<'tree>>,
    frames: Vec<Frame>,
    /// One signature stream per open frame, kept across frames to reuse their allocations.
    streams: Vec<Vec<u8>>,
    /// For each open node: where it ends, and whether it is of a string kind.
    open: Vec<(usize, bool)>,
    /// Whether the node before the one being visited, in the same parent, is of a string kind.
    after_string: bool,
    /// Bytes of the source before this offset have been written to some signature.
    pos: usize,
    /// The why-comments met so far; `None` when none are looked for.
    why: Option<Blocks<'a>>,
    /// Units not to enter, in source order, and how many of them were passed.
    intact: &'a [Intact],
    passed: usize,
}

impl<'a, 'tree> Walk<'a, 'tree> {
    fn new(
        language: &Language,
        tree: &'tree Tree,
        source: &'a str,
        matching: Matching,
        marker: &'a str,
    ) -> Self {
        let grammar = language.grammar();
        let string_kinds = (0..grammar.node_kind_count())
            .map(|id| {
                let kind = u16::try_from(id).ok().and_then(|id| grammar.node_kind_for_id(id));
                kind.is_some_and(|kind| kind.contains("string"))
            })
            .collect();
        let matcher = language
            .units_query()
            .map(|query| Matcher::new(language, query, tree, source.as_bytes(), matching));
        Walk {
            source: source.as_bytes(),
            matcher,
            string_kinds,
            found: Vec::new(),
            frames: Vec::new(),
            streams: Vec::new(),
            open: Vec::new(),
            after_string: false,
            pos: 0,
            why: (!marker.is_empty()).then(|| Blocks::new(source.as_bytes(), marker)),
            intact: &[],
            passed: 0,
        }
    }

    /// The units found, and the bytes of the why-comments met (see [`Blocks`]).
    fn run(mut self, root: Node<'tree>) -> (Vec<Found<'tree>>, Vec<Range<usize>>) {
        self.push_frame(None, usize::MAX);
        let end = self.clamp(root.end_byte());
        let mut cursor = root.walk();
        let mut depth = 0;
        'walk: loop {
            let node = cursor.node();
            let kind = node.kind_id();
            let start = self.clamp(node.start_byte());
            let string = self.string_kinds.get(usize::from(kind)).copied().unwrap_or(false);
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
                let stream = self.stream();
                stream.push(tag::OPEN);
                stream.extend_from_slice(&kind.to_le_bytes());
                let end = self.clamp(node.end_byte());
                self.open.push((end, string));
                self.after_string = false;
                depth += 1;
                continue;
            }
            if !skip {
                self.leaf(node, kind, start);
            }
            self.after_string = string;
            self.leave(depth);
            loop {
                if cursor.goto_next_sibling() {
                    break;
                }
                if !cursor.goto_parent() {
                    break 'walk;
                }
                depth -= 1;
                let (end, string) = self.open.last().copied().unwrap_or((self.pos, false));
                self.gap(end, false);
                self.open.pop();
                self.after_string = string;
                self.stream().push(tag::CLOSE);
                self.leave(depth);
            }
        }
        self.gap(end, false);
        while !self.frames.is_empty() {
            self.pop_frame();
        }
        let hidden = self.why.map(|why| why.finish().into_iter().map(|w| w.cut).collect());
        (self.found, hidden.unwrap_or_default())
    }

    fn clamp(&self, byte: usize) -> usize {
        byte.min(self.source.len())
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
        let mut hasher = std::hash::DefaultHasher::new();
        hasher.write(stream);
        stream.clear();
        self.found[frame.found].signature = hasher.finish();
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
        let source = self.source;
        let text = &source[self.pos..to];
        self.pos = to;
        let in_string = self.open.last().is_some_and(|&(_, string)| string);
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

    fn leaf(&mut self, node: Node<'tree>, kind: u16, start: usize) {
        let end = self.clamp(node.end_byte()).max(start);
        let source = self.source;
        let text = &source[start..end];
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
            for line in String::from_utf8_lossy(text).lines() {
                push_text(stream, line.trim().as_bytes());
            }
        } else {
            stream.push(tag::TOKEN);
            stream.extend_from_slice(&kind);
            push_text(stream, text);
        }
    }
}

impl Walk<'_, '_> {
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

/// Writes `text` with its length in front, so that consecutive texts cannot run together.
fn push_text(stream: &mut Vec<u8>, text: &[u8]) {
    stream.extend_from_slice(&(text.len() as u64).to_le_bytes());
    stream.extend_from_slice(text);
}

fn is_blank(text: &[u8]) -> bool {
    if text.is_ascii() {
        text.iter().all(|byte| byte.is_ascii_whitespace() || *byte == 0x0b)
    } else {
        String::from_utf8_lossy(text).chars().all(char::is_whitespace)
    }
}

/// Turns the walk's findings into units: names, ranges, text and own text.
/// `hidden`: bytes left out of every text (why-comments), in order; `separator`: what joins the
/// names of nested units (the language table's). `below`: the walk was [`extract_below`]'s, with
/// its `intact` units: the first unit is a stand-in for the module, whose own text no one reads,
/// and an intact unit's stand-in gets its range and kind alone.
fn assemble(
    found: Vec<Found<'_>>,
    source: String,
    hidden: &[Range<usize>],
    separator: &str,
    below: Option<&[Intact]>,
) -> Vec<Unit> {
    let len = source.len();
    let clamp = |range: Range<usize>| range.start.min(len)..range.end.min(len).max(range.start.min(len));
    let mut units: Vec<Unit> = Vec::with_capacity(found.len());
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); found.len()];
    for (index, found) in found.iter().enumerate() {
        if let Some(parent) = found.parent {
            children[parent].push(index);
        }
        let (name, kind, range, name_range, node_kind) = match (found.captured.as_ref(), found.intact) {
            (_, Some(i)) => {
                let intact = &below.unwrap_or_default()[i];
                (String::new(), intact.kind, intact.range.clone(), 0..0, intact.node_kind)
            }
            (Some((node, captured)), None) => {
                let name_range = clamp(name_range(captured.name, &source));
                let name = match &captured.composed {
                    Some(composed) => composed.clone(),
                    None => slice(&source, name_range.clone()).into_owned(),
                };
                (name, captured.kind, clamp(node.byte_range()), name_range, node.kind_id())
            }
            (None, None) => (MODULE_NAME.to_owned(), UnitKind::Module, 0..len, 0..0, 0),
        };
        let qualified = match found.parent.map(|parent| &units[parent]) {
            Some(parent) if !parent.is_module() => format!("{}{separator}{}", parent.qualified, name),
            _ => name.clone(),
        };
        units.push(Unit {
            name,
            qualified,
            kind,
            range,
            name_range,
            parent: found.parent,
            text: Arc::from(""),
            own_text: Arc::from(""),
            signature: found.signature,
            node_kind,
        });
    }
    let stand_in = |index: usize| found[index].intact.is_some() || (index == 0 && below.is_some());
    for index in 0..units.len() {
        if stand_in(index) {
            continue;
        }
        let range = units[index].range.clone();
        let mut own = String::with_capacity(range.len());
        let mut at = range.start;
        let push = |own: &mut String, range: Range<usize>| {
            if hidden.is_empty() {
                own.push_str(&slice(&source, range));
            } else {
                push_without(own, &source, range, hidden);
            }
        };
        for &child in &children[index] {
            let child = &units[child];
            let start = child.range.start.max(at);
            push(&mut own, at..start);
            own.push_str(child.kind.placeholder());
            at = child.range.end.max(start);
        }
        push(&mut own, at..range.end.max(at));
        units[index].own_text = own.into();
        if index > 0 && hidden.is_empty() {
            units[index].text = slice(&source, range).into();
        } else if index > 0 {
            let mut text = String::with_capacity(range.len());
            push(&mut text, range);
            units[index].text = text.into();
        }
    }
    if let Some(module) = units.first_mut() {
        module.text = if hidden.is_empty() {
            source.into()
        } else {
            let mut text = String::with_capacity(source.len());
            push_without(&mut text, &source, 0..source.len(), hidden);
            text.into()
        };
    }
    units
}

/// The bytes of a name: a string key without its quotes.
fn name_range(name: Node<'_>, source: &str) -> Range<usize> {
    let range = name.byte_range();
    if name.kind() == "string" && range.len() >= 2 {
        let bytes = source.as_bytes();
        let (first, last) = (bytes.get(range.start), bytes.get(range.end - 1));
        if first == last && matches!(first, Some(b'"' | b'\'' | b'`')) {
            return range.start + 1..range.end - 1;
        }
    }
    range
}

/// The text of `range`, which a tree that does not match its text could put off a character
/// boundary.
fn slice(source: &str, range: Range<usize>) -> Cow<'_, str> {
    match source.get(range.clone()) {
        Some(text) => Cow::Borrowed(text),
        None => {
            let bytes = source.as_bytes();
            let range = range.start.min(bytes.len())..range.end.min(bytes.len());
            String::from_utf8_lossy(bytes.get(range).unwrap_or_default())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{language_named, parse_rope, LANGUAGES};

    fn parse(language: &Language, rope: &Rope) -> Tree {
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&language.grammar()).unwrap();
        parse_rope(&mut parser, rope, None).unwrap()
    }

    fn units(language: &str, source: &str) -> Vec<Unit> {
        let language = language_named(language).unwrap();
        let rope = Rope::from_str(source);
        extract(language, &parse(language, &rope), &rope)
    }

    fn python(source: &str) -> Vec<Unit> {
        units("python", source)
    }

    fn javascript(source: &str) -> Vec<Unit> {
        units("javascript", source)
    }

    /// `kind qualified` of every unit but the module, in order.
    fn outline(units: &[Unit]) -> Vec<String> {
        units[1..].iter().map(|unit| format!("{} {}", unit.kind, unit.qualified)).collect()
    }

    fn named<'a>(units: &'a [Unit], qualified: &str) -> &'a Unit {
        units
            .iter()
            .find(|unit| unit.qualified == qualified)
            .unwrap_or_else(|| panic!("no unit {qualified} in {:?}", outline(units)))
    }

    /// The signature of the single unit `qualified` in `source`.
    fn signature(language: &str, source: &str, qualified: &str) -> u64 {
        named(&units(language, source), qualified).signature
    }

    #[test]
    fn why_comments_are_no_part_of_any_unit() {
        let language = language_named("python").unwrap();
        let hiding = |source: &str, marker: &str| {
            let rope = Rope::from_str(source);
            extract_hiding(language, &parse(language, &rope), &rope, marker)
        };
        let plain = "class A:\n    def f(self):\n        return 1\n";
        let with = "# why: a reason above the class\nclass A:\n    # why: a reason\n    #   continued\n    def f(self):\n        return 1  # why: trailing\n";
        let (units, hidden) = hiding(with, "why:");
        assert_eq!(hidden.len(), 3, "{hidden:?}");
        let (expected, none) = hiding(plain, "why:");
        assert!(none.is_empty());
        let seen = |units: &[Unit]| {
            units
                .iter()
                .map(|u| (u.qualified.clone(), u.signature, u.text.to_string(), u.own_text.to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(seen(&units), seen(&expected));
        // Without a marker they are comments like any other, and part of their units.
        let (units, hidden) = hiding(with, "");
        assert!(hidden.is_empty());
        assert_ne!(named(&units, "A.f").signature, named(&expected, "A.f").signature);
        assert!(named(&units, "A.f").text.contains("# why: trailing"));
    }

    #[test]
    fn every_query_file_compiles_and_every_language_has_one() {
        let grammars = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../grammars");
        let mut folders = Vec::new();
        for entry in std::fs::read_dir(&grammars).unwrap() {
            let path = entry.unwrap().path();
            assert!(path.is_dir(), "{} is not a language folder", path.display());
            let folder = path.file_name().unwrap().to_str().unwrap().to_owned();
            let language = language_named(&folder)
                .unwrap_or_else(|| panic!("grammars/{folder} has no entry in the language table"));
            for file in std::fs::read_dir(&path).unwrap() {
                let file = file.unwrap().path();
                if file.extension().is_some_and(|extension| extension == "scm") {
                    let text = std::fs::read_to_string(&file).unwrap();
                    if let Err(err) = tree_sitter::Query::new(&language.grammar(), &text) {
                        panic!("{}: {err}", file.display());
                    }
                }
            }
            let units_scm = std::fs::read_to_string(path.join("units.scm"))
                .unwrap_or_else(|_| panic!("grammars/{folder}/units.scm is missing"));
            assert_eq!(language.units, units_scm, "the table embeds another file for {folder}");
            folders.push(folder);
        }
        for language in LANGUAGES {
            assert!(folders.iter().any(|f| f == language.name), "no grammars/{} folder", language.name);
            let query = language.units_query().expect("the units query compiles");
            for pattern in 0..query.pattern_count() {
                let template = name_template(query, pattern);
                let sets_name = query.property_settings(pattern).iter().any(|p| &*p.key == "name");
                assert_eq!(
                    sets_name,
                    template.is_some(),
                    "{}: pattern {pattern} sets a name template naming a capture it lacks",
                    language.name
                );
                for (index, capture) in query.capture_names().iter().enumerate() {
                    let used =
                        query.capture_quantifiers(pattern)[index] != tree_sitter::CaptureQuantifier::Zero;
                    let in_template = template
                        .as_ref()
                        .is_some_and(|pieces| pieces.contains(&Piece::Capture(index as u32)));
                    assert!(
                        !used
                            || *capture == "name"
                            || UnitKind::from_capture(capture).is_some()
                            || in_template,
                        "{}: pattern {pattern} has a capture @{capture} that is no kind of unit, \
                         not @name, and in no name template",
                        language.name
                    );
                }
            }
            for pattern in 0..query.pattern_count() {
                let captures: Vec<&str> = query
                    .capture_names()
                    .iter()
                    .copied()
                    .filter(|name| {
                        query.capture_quantifiers(pattern)
                            [query.capture_index_for_name(name).unwrap() as usize]
                            != tree_sitter::CaptureQuantifier::Zero
                    })
                    .collect();
                assert!(captures.contains(&"name"), "{}: pattern {pattern} names nothing", language.name);
                assert_eq!(
                    captures.iter().filter(|name| name.starts_with("unit.")).count(),
                    1,
                    "{}: pattern {pattern} must capture one unit",
                    language.name
                );
            }
        }
    }

    const PYTHON: &str = r#"import os

@decorator
def top(a):
    def inner():
        class Local:
            def m(self): pass
        return Local
    return inner

class Session(Base):
    """Doc."""
    x = 1

    def __init__(self):
        pass

    @property
    def value(self):
        return self._v

    @value.setter
    def value(self, v):
        self._v = v

    class Nested:
        async def run(self): ...

    if DEBUG:
        def debug(self): pass

@dataclass(frozen=True)
class Point:
    x: int

    def norm(self):
        return abs(self.x)
"#;

    #[test]
    fn python_units_nest_with_their_kinds() {
        let units = python(PYTHON);
        assert_eq!(
            outline(&units),
            [
                "function top",
                "function top.inner",
                "class top.inner.Local",
                "method top.inner.Local.m",
                "class Session",
                "method Session.__init__",
                "method Session.value",
                "method Session.value",
                "class Session.Nested",
                "method Session.Nested.run",
                // In a block inside the class body, not directly in it.
                "function Session.debug",
                "class Point",
                "method Point.norm",
            ]
        );
        let module = &units[0];
        assert_eq!((module.name.as_str(), module.kind, module.parent), (MODULE_NAME, UnitKind::Module, None));
        assert_eq!((module.range.clone(), module.name_range.clone()), (0..PYTHON.len(), 0..0));
        assert_eq!(&*module.text, PYTHON);
        for (index, unit) in units.iter().enumerate().skip(1) {
            let parent = unit.parent.unwrap();
            assert!(parent < index, "parents come first");
            assert!(
                units[parent].range.start <= unit.range.start && unit.range.end <= units[parent].range.end
            );
            assert_eq!(&*unit.text, &PYTHON[unit.range.clone()]);
            assert_eq!(&PYTHON[unit.name_range.clone()], unit.name);
        }
        assert_eq!(named(&units, "top.inner.Local.m").parent, Some(3));
    }

    #[test]
    fn python_decorators_belong_to_their_unit() {
        let units = python(PYTHON);
        let top = named(&units, "top");
        assert!(top.text.starts_with("@decorator\ndef top(a):"), "{:?}", top.text);
        assert_eq!(&PYTHON[top.name_range.clone()], "top");
        let point = named(&units, "Point");
        assert!(point.text.starts_with("@dataclass(frozen=True)\nclass Point:"));
        let setters: Vec<&Unit> = units.iter().filter(|unit| unit.qualified == "Session.value").collect();
        assert!(setters[0].text.starts_with("@property\n"));
        assert!(setters[1].text.starts_with("@value.setter\n"));
        // The decorated function is one unit, not the definition and its decoration both.
        assert_eq!(units.iter().filter(|unit| unit.name == "top").count(), 1);
    }

    #[test]
    fn own_text_replaces_nested_units_with_a_placeholder() {
        let units = python(PYTHON);
        let session = named(&units, "Session");
        assert_eq!(
            &*session.own_text,
            "class Session(Base):\n    \"\"\"Doc.\"\"\"\n    x = 1\n\n    ⟨method⟩\n\n    ⟨method⟩\n\n    \
             ⟨method⟩\n\n    ⟨class⟩\n\n    if DEBUG:\n        ⟨function⟩"
        );
        assert_eq!(
            &*named(&units, "top").own_text,
            "@decorator\ndef top(a):\n    ⟨function⟩\n    return inner"
        );
        let module = &units[0];
        assert_eq!(&*module.own_text, "import os\n\n⟨function⟩\n\n⟨class⟩\n\n⟨class⟩\n");
        let m = named(&units, "top.inner.Local.m");
        assert_eq!(m.own_text, m.text);
    }

    #[test]
    fn editing_or_renaming_a_nested_unit_leaves_the_parent_alone() {
        let before = python(PYTHON);
        let edited = python(
            &PYTHON.replace("        pass\n\n    @property", "        self.ready = True\n\n    @property"),
        );
        let renamed = python(&PYTHON.replace("def __init__(self)", "def __new__(cls)"));
        for after in [&edited, &renamed] {
            assert_eq!(named(after, "Session").own_text, named(&before, "Session").own_text);
            assert_eq!(named(after, "Session").signature, named(&before, "Session").signature);
            assert_eq!(after[0].own_text, before[0].own_text);
        }
        assert_ne!(named(&edited, "Session.__init__").own_text, named(&before, "Session.__init__").own_text);
    }

    const JAVASCRIPT: &str = r#"function plain(a) { return a; }
function* gen() { yield 1; }
class Widget extends Base {
  constructor() { super(); }
  get x() { return this._x; }
  set x(v) { this._x = v; }
  static create() { return new Widget(); }
  #secret() {}
  [Symbol.iterator]() {}
  'quoted name'() {}
  onClick = () => {};
  count = 0;
}
const arrow = (a) => a * 2;
let fn = function () {}, notAFunction = 1;
var named = function inner() {};
const Model = class ModelImpl {};
Router.prototype.handle = function handle(req) {
  const helper = () => req;
  return helper();
};
module.exports.parse = (s) => s;
exports.x = function* () {};
exports.Store = class {};
const api = {
  get(url) {},
  "post-json": function () {},
  [computed.key]: () => 1,
  value: 42,
  nested: { deep() {} },
};
app.get('/', function (req, res) { res.send('hi'); });
[1, 2].map(x => x * 2);
register(class Plugin {});
export function exported() {}
"#;

    #[test]
    fn javascript_units_nest_with_their_kinds() {
        let units = javascript(JAVASCRIPT);
        assert_eq!(
            outline(&units),
            [
                "function plain",
                "function gen",
                "class Widget",
                "method Widget.constructor",
                "method Widget.x",
                "method Widget.x",
                "method Widget.create",
                "method Widget.#secret",
                "method Widget.Symbol.iterator",
                "method Widget.quoted name",
                "method Widget.onClick",
                "function arrow",
                "function fn",
                "function named",
                "class Model",
                "function Router.prototype.handle",
                "function Router.prototype.handle.helper",
                "function module.exports.parse",
                "function exports.x",
                "class exports.Store",
                "function get",
                "function post-json",
                "function computed.key",
                "function deep",
                "class Plugin",
                "function exported",
            ]
        );
        for unit in &units[1..] {
            assert_eq!(&*unit.text, &JAVASCRIPT[unit.range.clone()]);
            assert_eq!(&JAVASCRIPT[unit.name_range.clone()], unit.name);
        }
    }

    #[test]
    fn typescript_units_add_types_namespaces_and_overloads() {
        let source = r#"@Component({ selector: "app" })
export class Widget<T> extends Base {
  private onClick = () => 1;
  constructor(private a: number) { super(); }
  m(a: string): void;
  m(a: any) {}
}
export abstract class Shape { abstract area(): number; }
interface Point { x: number; f(): void; }
export type Id = string | number;
export const enum Color { Red, Green }
namespace NS.Inner { export function helper() {} }
declare module "fs-extra" { function copy(): void; }
export function parse(s: string): number;
export function parse(s: any) { return 1; }
const twice = <T,>(a: T): T => a;
"#;
        let units = self::units("typescript", source);
        assert_eq!(
            outline(&units),
            [
                "class Widget",
                "method Widget.onClick",
                "method Widget.constructor",
                "method Widget.m",
                "method Widget.m",
                "class Shape",
                "method Shape.area",
                "interface Point",
                "type Id",
                "enum Color",
                "namespace NS.Inner",
                "function NS.Inner.helper",
                "namespace fs-extra",
                "function fs-extra.copy",
                "function parse",
                "function parse",
                "function twice",
            ]
        );
        // Decorators written before `export` are the class's.
        assert!(named(&units, "Widget").text.starts_with("@Component("));
        assert_eq!(&*named(&units, "Point").own_text, "interface Point { x: number; f(): void; }");
        assert_eq!(&*named(&units, "NS.Inner").own_text, "namespace NS.Inner { export ⟨function⟩ }");
        let tsx = self::units("tsx", "export const App = () => <div onClick={() => go()}>hi</div>;\n");
        assert_eq!(outline(&tsx), ["function App"]);
    }

    #[test]
    fn go_methods_are_named_by_their_receiver_type() {
        let source = "\
package shop

type Cart struct {
\titems []Item
}

type (
\tID    int
\tStore interface{ Get(id ID) Cart }
)

type Alias = string

func (c *Cart) Total() int {
\tadd := func(a, b int) int { return a + b }
\treturn add(1, 2)
}

func (s *Stack[T]) Push(v T) {}

func (Cart) Empty() bool { return true }

func New[T any]() *Stack[T] { return nil }
";
        let units = self::units("go", source);
        assert_eq!(
            outline(&units),
            [
                "struct Cart",
                "type ID",
                "interface Store",
                "type Alias",
                "method Cart.Total",
                "method Stack.Push",
                "method Cart.Empty",
                "function New",
            ]
        );
        assert!(named(&units, "Cart").text.starts_with("type Cart struct"));
        assert_eq!(&*named(&units, "ID").text, "ID    int");
        let total = named(&units, "Cart.Total");
        assert_eq!(&source[total.name_range.clone()], "Total");
        assert!(total.own_text.contains("add := func(a, b int)"));
    }

    #[test]
    fn rust_methods_are_named_by_their_impl() {
        let source = "\
#[derive(Debug)]
pub struct Cart { items: Vec<u32> }

impl Cart {
    pub fn total(&self) -> u32 { self.items.iter().sum() }
}

impl fmt::Display for Cart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { write!(f, \"cart\") }
}

impl<T: Clone> From<Vec<T>> for Stack<T> {
    fn from(items: Vec<T>) -> Self { Stack { items } }
}

pub enum Event { Added, Removed }

trait Priced {
    fn price(&self) -> u32;
    fn doubled(&self) -> u32 { self.price() * 2 }
}

mod tests {
    fn helper() {
        fn inner() {}
    }
}

mod elsewhere;

macro_rules! cart {
    () => { Cart { items: vec![] } };
}
";
        let units = self::units("rust", source);
        assert_eq!(
            outline(&units),
            [
                "struct Cart",
                "impl Cart",
                "method Cart::total",
                "impl <Cart as fmt::Display>",
                "method <Cart as fmt::Display>::fmt",
                "impl <Stack as From<Vec<T>>>",
                "method <Stack as From<Vec<T>>>::from",
                "enum Event",
                "trait Priced",
                "method Priced::price",
                "method Priced::doubled",
                "mod tests",
                "function tests::helper",
                "function tests::helper::inner",
                "macro cart",
            ]
        );
        // Attributes are the item's siblings in the tree: they stay in the module's own text.
        assert_eq!(&*named(&units, "Cart").text, "pub struct Cart { items: Vec<u32> }");
        assert!(units[0].own_text.starts_with("#[derive(Debug)]\n⟨struct⟩"));
        let display = named(&units, "<Cart as fmt::Display>");
        assert_eq!(&source[display.name_range.clone()], "Cart");
        assert_eq!(&*display.own_text, "impl fmt::Display for Cart {\n    ⟨method⟩\n}");
    }

    #[test]
    fn javascript_units_span_the_declarator_or_assignment() {
        let units = javascript(JAVASCRIPT);
        assert_eq!(&*named(&units, "arrow").text, "arrow = (a) => a * 2");
        assert_eq!(&*named(&units, "fn").text, "fn = function () {}");
        assert_eq!(&*named(&units, "module.exports.parse").text, "module.exports.parse = (s) => s");
        assert_eq!(&*named(&units, "Model").text, "Model = class ModelImpl {}");
        assert_eq!(&*named(&units, "Widget.onClick").text, "onClick = () => {}");
        assert_eq!(&*named(&units, "post-json").text, "\"post-json\": function () {}");
        assert_eq!(&*named(&units, "computed.key").text, "[computed.key]: () => 1");
        assert_eq!(&*named(&units, "get").text, "get(url) {}");
        let getter = units.iter().find(|unit| unit.qualified == "Widget.x").unwrap();
        assert_eq!(&*getter.text, "get x() { return this._x; }");
    }

    #[test]
    fn anonymous_callbacks_belong_to_the_enclosing_unit() {
        let source = "\
app.get('/', function (req, res) {
  res.send('hi');
});
function handler(items) {
  return items.map(x => x * 2).filter(function (x) { return x; });
}
";
        let units = javascript(source);
        assert_eq!(outline(&units), ["function handler"]);
        assert!(units[0].own_text.starts_with("app.get('/', function (req, res) {"));
        assert!(named(&units, "handler").own_text.contains("map(x => x * 2)"));
    }

    #[test]
    fn javascript_own_text_and_nesting() {
        let source = "\
function outer() {
  function inner() { return 1; }
  class Local { m() {} }
  return inner;
}
";
        let units = javascript(source);
        assert_eq!(
            outline(&units),
            ["function outer", "function outer.inner", "class outer.Local", "method outer.Local.m"]
        );
        assert_eq!(
            &*named(&units, "outer").own_text,
            "function outer() {\n  ⟨function⟩\n  ⟨class⟩\n  return inner;\n}"
        );
        assert_eq!(&*named(&units, "outer.Local").own_text, "class Local { ⟨method⟩ }");
    }

    #[test]
    fn javascript_signature_ignores_whitespace_between_tokens() {
        let base = "\
function f(a, b) {
  // add them
  const s = a + b;
  /* a block
     comment */
  return s;
}
";
        let reindented = "\
function f(a, b) {
    // add them
    const s = a + b;
    /* a block
       comment */
    return s;
}
";
        let spaced = "\
function f( a,b ){
  // add them   
  const   s=a+b;
  /* a block
     comment */


  return s;}
";
        let sig = |source: &str| signature("javascript", source, "f");
        assert_eq!(sig(base), sig(reindented));
        assert_eq!(sig(base), sig(spaced));
        let changed = [
            base.replace("add them", "sum them"),
            base.replace("a + b", "a - b"),
            base.replace("return s;", "return s"),
            base.replace("// add them\n", ""),
        ];
        for other in changed {
            assert_ne!(sig(base), sig(&other), "{other}");
        }
        let string = "function g() { return 'a b' + `x ${ y }`; }";
        let sig = |source: &str| signature("javascript", source, "g");
        assert_ne!(sig(string), sig(&string.replace("'a b'", "'a  b'")));
        assert_ne!(sig(string), sig(&string.replace("`x ", "`x  ")));
        assert_eq!(sig(string), sig(&string.replace("${ y }", "${y}")));
    }

    #[test]
    fn python_signature_sees_blocks_strings_and_comments() {
        let base = r#"def f(x):
    if x:
        a(1, 2)
    b()  # then b
    return "a b\n c"
"#;
        let sig = |source: &str| signature("python", source, "f");
        let same = [
            base.replace("f(x)", "f( x )").replace("a(1, 2)", "a(1,\n          2)"),
            base.replace("# then b", "# then b   "),
            base.replace("\n    ", "\n  "),
        ];
        for other in same {
            assert_eq!(sig(base), sig(&other), "{other}");
        }
        let different = [
            // b() moves into the if block: the same tokens, another structure.
            base.replace("\n    b()", "\n        b()"),
            base.replace("then b", "then c"),
            base.replace("  # then b", ""),
            base.replace("a b", "a  b"),
            // The text between escapes is hidden from the tree, and still counts.
            base.replace(r"\n c", r"\n  c"),
        ];
        for other in different {
            assert_ne!(sig(base), sig(&other), "{other}");
        }
        let joined = "def g():\n    return (\"one\"\n            \"two\")\n";
        let sig = |source: &str| signature("python", source, "g");
        assert_eq!(sig(joined), sig("def g():\n    return (\"one\" \"two\")\n"));
        assert_ne!(sig(joined), sig("def g():\n    return (\"one \"\n            \"two\")\n"));
    }

    #[test]
    fn a_nested_unit_is_not_part_of_its_parents_signature() {
        let base = "class A:\n    def m(self):\n        return 1\n";
        let sig = |source: &str| signature("python", source, "A");
        assert_eq!(sig(base), sig(&base.replace("return 1", "return 2")));
        assert_eq!(sig(base), sig(&format!("{base}    def n(self):\n        return 1\n")));
        assert_ne!(sig(base), sig(&format!("{base}    n = 1\n")));
    }

    #[test]
    fn broken_code_keeps_the_units_the_parser_can_see() {
        // An unclosed parenthesis in one function, as while typing a call.
        let python_source = "\
def good_one():
    return 1

def broken(a):
    x = foo(1, 2
    return x

def good_two():
    return 2
";
        assert_eq!(
            outline(&python(python_source)),
            ["function good_one", "function broken", "function good_two"]
        );
        let js_source = "\
function goodOne() { return 1; }
function broken(a) {
  const x = foo(1, 2;
  return x;
}
class Good {
  m() { return 2; }
}
function alsoBroken(a { return 3; }
function goodTwo() {}
";
        assert_eq!(
            outline(&javascript(js_source)),
            [
                "function goodOne",
                "function broken",
                "class Good",
                "method Good.m",
                "function alsoBroken",
                "function goodTwo"
            ]
        );
        // Where the parser gives up on a whole stretch, what it still recognises is kept, and the
        // text it could not read stays in the enclosing unit's own text.
        let swallowed = python_source.replace("broken(a)", "broken(a");
        let units = python(&swallowed);
        assert_eq!(outline(&units), ["function good_one"]);
        assert!(units[0].own_text.contains("def good_two():"));
        // Half-typed definitions: a missing name, body or colon.
        for source in [
            "def (x):\n    pass\n",
            "def f(\n",
            "class :\n",
            "class A:\n    def\n",
            "@decorator\n",
            "async def f(",
        ] {
            python(source);
        }
        for source in [
            "function (a) {}",
            "class { m() {} }",
            "const f = ",
            "x.y = function",
            "({ a() {",
            "class A { #x",
        ] {
            javascript(source);
        }
    }

    #[test]
    fn any_prefix_of_real_code_extracts_without_panicking() {
        for (language, file) in [("python", "ftplib.py"), ("javascript", "express_response.js")] {
            let text = fixture(file);
            let language = language_named(language).unwrap();
            let mut end = 0;
            while end < text.len() {
                let rope = Rope::from_str(&text[..end]);
                let units = extract(language, &parse(language, &rope), &rope);
                assert_eq!(units[0].text.len(), end);
                end = (end + 997..text.len()).find(|&at| text.is_char_boundary(at)).unwrap_or(text.len());
            }
        }
    }

    #[test]
    fn a_tree_of_other_text_does_not_panic() {
        let language = language_named("python").unwrap();
        let long = Rope::from_str(PYTHON);
        let tree = parse(language, &long);
        for short in ["", "x", "déf é():\n  pass\n", &PYTHON[..PYTHON.len() / 2]] {
            let rope = Rope::from_str(short);
            let units = extract(language, &tree, &rope);
            assert_eq!(&*units[0].text, short);
        }
    }

    #[test]
    fn pattern_starts_are_read_from_the_query_text() {
        assert_eq!(
            pattern_roots("(function_definition name: (identifier) @name) @unit.function"),
            Some(vec!["function_definition"])
        );
        assert_eq!(pattern_roots("  (\n  pair key: (_))"), Some(vec!["pair"]));
        assert_eq!(
            pattern_roots("[(a \")\" ; a comment (\n (b)) @x (c)* @y.z\n  (d)?] @unit.class"),
            Some(vec!["a", "c", "d"])
        );
        assert_eq!(pattern_roots("(_ (identifier) @name) @unit.function"), None);
        assert_eq!(pattern_roots("((comment) . (function_declaration) @unit.function)"), None);
        assert_eq!(pattern_roots("\"def\" @unit.function"), None);
        assert_eq!(pattern_roots("[(a) (b"), None);
        for language in LANGUAGES {
            let query = language.units_query().unwrap();
            assert!(
                root_kinds(query, language.units, &language.grammar()).is_some(),
                "{}: a pattern starts in a way the extractor cannot read (it would match the \
                 whole tree)",
                language.name
            );
        }
    }

    #[test]
    fn matching_at_pattern_roots_finds_what_the_whole_tree_query_finds() {
        for (language, file) in [
            ("python", "pandas_frame.py"),
            ("javascript", "jquery.js"),
            ("javascript", "express_response.js"),
        ] {
            let language = language_named(language).unwrap();
            let text = fixture(file);
            let tree = parse(language, &Rope::from_str(&text));
            let outline = |matching| {
                let found = Walk::new(language, &tree, &text, matching, "").run(tree.root_node()).0;
                found
                    .iter()
                    .map(|found| {
                        (
                            found.captured.as_ref().map(|(node, captured)| (node.id(), captured.kind)),
                            found.parent,
                            found.signature,
                        )
                    })
                    .collect::<Vec<_>>()
            };
            assert_eq!(outline(Matching::AtRoots), outline(Matching::WholeTree), "{file}");
        }
    }

    fn fixture(name: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/code").join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
    }

    fn fixture_units(language: &str, name: &str) -> Vec<Unit> {
        units(language, &fixture(name))
    }

    fn has(units: &[Unit], kind: UnitKind, qualified: &str) -> bool {
        units.iter().any(|unit| unit.kind == kind && unit.qualified == qualified)
    }

    #[test]
    fn real_python_files() {
        let units = fixture_units("python", "pandas_frame.py");
        for (kind, qualified) in [
            (UnitKind::Class, "DataFrame"),
            (UnitKind::Method, "DataFrame.__init__"),
            (UnitKind::Method, "DataFrame.to_dict"),
            (UnitKind::Method, "DataFrame.style"),
            (UnitKind::Function, "DataFrame.from_dict.create_index"),
            (UnitKind::Function, "_from_nested_dict"),
        ] {
            assert!(has(&units, kind, qualified), "{kind} {qualified}");
        }
        // The overloads of to_dict are units of the same name.
        assert!(units.iter().filter(|unit| unit.qualified == "DataFrame.to_dict").count() >= 2);
        let units = fixture_units("python", "ftplib.py");
        for (kind, qualified) in [
            (UnitKind::Class, "FTP"),
            (UnitKind::Method, "FTP.__init__"),
            (UnitKind::Method, "FTP.retrlines"),
            (UnitKind::Class, "FTP_TLS"),
            (UnitKind::Function, "test"),
        ] {
            assert!(has(&units, kind, qualified), "{kind} {qualified}");
        }
    }

    #[test]
    fn real_javascript_files() {
        let units = fixture_units("javascript", "jquery.js");
        for (kind, qualified) in [
            (UnitKind::Function, "jQuery"),
            (UnitKind::Function, "jQuery.fn.extend"),
            (UnitKind::Function, "jQuery.fn.init"),
            (UnitKind::Function, "jQuery.Callbacks"),
            (UnitKind::Function, "jQuery.Callbacks.fire"),
            (UnitKind::Function, "isArrayLike"),
        ] {
            assert!(has(&units, kind, qualified), "{kind} {qualified}");
        }
        let units = fixture_units("javascript", "express_response.js");
        for (kind, qualified) in [
            (UnitKind::Function, "res.send"),
            (UnitKind::Function, "res.redirect"),
            (UnitKind::Function, "res.redirect.html"),
            (UnitKind::Function, "sendfile.onfinish"),
            (UnitKind::Function, "stringify"),
        ] {
            assert!(has(&units, kind, qualified), "{kind} {qualified}");
        }
    }
}
