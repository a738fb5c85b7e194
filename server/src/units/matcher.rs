//! Where the units query runs, and what its captures stand for: the matcher runs the query at
//! the nodes its patterns start at, as the walk reaches them, and hands over each node captured
//! as a unit with its kind and its name (as written, or composed by the pattern's name template).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use streaming_iterator::StreamingIterator;
use tree_sitter::{Node, Query, QueryCursor, Tree};

use super::source::Source;
use super::unit::UnitKind;
use crate::syntax::Language;

/// A node some pattern captured as a unit.
#[derive(Clone)]
pub(super) struct Captured<'tree> {
    pub(super) kind: UnitKind,
    pub(super) name: Node<'tree>,
    /// The name its pattern composes (`(#set! name "...")`); `None`: the text of `name`.
    pub(super) composed: Option<String>,
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
pub(super) enum Matching {
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
pub(super) struct Matcher<'a, 'tree> {
    query: &'a Query,
    plan: Arc<Plan>,
    /// Whether the query runs at the nodes its patterns start at (else it ran over the whole
    /// tree up front).
    at_roots: bool,
    cursor: QueryCursor,
    source: Source<'a>,
    /// Captured units the walk has not reached yet, by start byte and node id.
    pending: BTreeMap<(usize, usize), Captured<'tree>>,
    /// The smallest start byte in `pending`; `usize::MAX` when it is empty.
    next_start: usize,
}

/// What a language's units query says, read once per language (every walk would otherwise read
/// it again, a tenth of the cost of redoing one small unit).
pub(super) struct Plan {
    roles: Vec<Role>,
    /// By pattern: its name template, if it sets one.
    templates: Vec<Option<Vec<Piece>>>,
    /// By node kind id: whether some pattern starts at nodes of that kind; `None` when a
    /// pattern starts in a way this cannot read.
    roots: Option<Vec<bool>>,
    /// By node kind id: how many levels below a node of that kind the patterns that start there
    /// look; `usize::MAX` when one of them captures a unit below its root or tests text (see
    /// [`pattern_reach`]).
    reach: Vec<usize>,
    /// By node kind id: whether the kind names a string.
    pub(super) string_kinds: Vec<bool>,
}

impl Plan {
    /// The plan of `language`.
    pub(super) fn of(language: &Language) -> Arc<Plan> {
        static PLANS: OnceLock<Mutex<HashMap<&'static str, Arc<Plan>>>> = OnceLock::new();
        let mut plans = PLANS.get_or_init(Mutex::default).lock().unwrap_or_else(|e| e.into_inner());
        plans.entry(language.name).or_insert_with(|| Arc::new(Plan::read(language))).clone()
    }

    /// Whether some pattern may start at nodes of kind `kind`: `None` when the patterns' starts
    /// could not be read (the query then runs over the whole tree).
    pub(super) fn may_start_at(&self, kind: u16) -> Option<bool> {
        let roots = self.roots.as_ref()?;
        Some(roots.get(usize::from(kind)).copied().unwrap_or(false))
    }

    /// Whether what the patterns that start at a node of kind `kind` capture there depends on
    /// nothing `below` levels under it or deeper: their matches there then stand as long as the
    /// node's kind and the nodes above that depth do.
    pub(super) fn sees_above(&self, kind: u16, below: usize) -> bool {
        self.may_start_at(kind) == Some(true) && self.reach.get(usize::from(kind)).is_some_and(|&r| r < below)
    }

    fn read(language: &Language) -> Plan {
        let query = language.units_query();
        let roles = query
            .map(|query| query.capture_names())
            .unwrap_or_default()
            .iter()
            .map(|name| match (*name, UnitKind::from_capture(name)) {
                (_, Some(kind)) => Role::Unit(kind),
                ("name", None) => Role::Name,
                _ => Role::Other,
            })
            .collect();
        let patterns = query.map_or(0, Query::pattern_count);
        let templates = (0..patterns).map(|p| query.and_then(|query| name_template(query, p))).collect();
        let grammar = language.grammar();
        let string_kinds = (0..grammar.node_kind_count())
            .map(|id| {
                let kind = u16::try_from(id).ok().and_then(|id| grammar.node_kind_for_id(id));
                kind.is_some_and(|kind| kind.contains("string"))
            })
            .collect();
        let roots = query.and_then(|query| root_kinds(query, language.units_source(), &grammar));
        let reach =
            query.map(|query| reach_by_kind(query, language.units_source(), &grammar)).unwrap_or_default();
        Plan { roles, templates, roots, reach, string_kinds }
    }
}

impl<'a, 'tree> Matcher<'a, 'tree> {
    pub(super) fn new(
        plan: Arc<Plan>,
        query: &'a Query,
        tree: &'tree Tree,
        source: Source<'a>,
        matching: Matching,
    ) -> Self {
        let at_roots = matching == Matching::AtRoots && plan.roots.is_some();
        let mut matcher = Matcher {
            query,
            plan,
            at_roots,
            cursor: QueryCursor::new(),
            source,
            pending: BTreeMap::new(),
            next_start: usize::MAX,
        };
        if at_roots {
            matcher.cursor.set_max_start_depth(Some(0));
        } else {
            matcher.run(tree.root_node());
        }
        matcher
    }

    /// Runs the query at `node`, keeping what it captures for when the walk gets there.
    fn run(&mut self, node: Node<'tree>) {
        let source = self.source;
        let text = move |node: Node<'_>| std::iter::once(source.bytes(node.byte_range()));
        let mut matches = self.cursor.matches(self.query, node, text);
        while let Some(found) = matches.next() {
            let mut unit = None;
            let mut name = None;
            for capture in found.captures {
                match self.plan.roles.get(capture.index as usize).copied().unwrap_or(Role::Other) {
                    Role::Unit(kind) => unit = unit.or(Some((capture.node, kind))),
                    Role::Name => name = name.or(Some(capture.node)),
                    Role::Other => {}
                }
            }
            let (Some((node, kind)), Some(name)) = (unit, name) else { continue };
            let composed =
                self.plan.templates.get(found.pattern_index).and_then(Option::as_ref).map(|pieces| {
                    let mut composed = String::new();
                    for piece in pieces {
                        match piece {
                            Piece::Text(text) => composed.push_str(text),
                            Piece::Capture(index) => {
                                if let Some(capture) = found.captures.iter().find(|c| c.index == *index) {
                                    let text = self.source.bytes(capture.node.byte_range());
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
    pub(super) fn visit(&mut self, node: Node<'tree>, kind: u16, start: usize) -> Option<Captured<'tree>> {
        let kind = usize::from(kind);
        let roots = self.plan.roots.as_ref().filter(|_| self.at_roots);
        if roots.is_some_and(|roots| roots.get(kind).copied().unwrap_or(false)) {
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

impl Matcher<'_, '_> {
    /// Whether the query captured a node, not reached yet, that may not lie inside `range`: one
    /// that starts outside it, or at its first byte (where its ancestors start too).
    pub(super) fn captures_outside(&self, range: std::ops::Range<usize>) -> bool {
        self.pending.keys().any(|&(start, _)| start <= range.start || start >= range.end)
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

/// By node kind id: the deepest level below a node of that kind that the patterns starting
/// there look at (0: none starts there).
fn reach_by_kind(query: &Query, text: &str, grammar: &tree_sitter::Language) -> Vec<usize> {
    let mut reach = vec![0; grammar.node_kind_count()];
    for pattern in 0..query.pattern_count() {
        let pattern_text =
            text.get(query.start_byte_for_pattern(pattern)..query.end_byte_for_pattern(pattern));
        let Some(roots) = pattern_text.and_then(pattern_roots) else { continue };
        let depth = pattern_text.and_then(pattern_reach).unwrap_or(usize::MAX);
        for (id, slot) in reach.iter_mut().enumerate() {
            let kind = u16::try_from(id).ok().and_then(|id| grammar.node_kind_for_id(id));
            if kind.is_some_and(|kind| roots.contains(&kind)) {
                *slot = (*slot).max(depth);
            }
        }
    }
    reach
}

/// How many levels below its root the pattern `text` looks (its deepest node, named or not);
/// `None` when it captures a unit anywhere but at its root, or tests a capture's text (a
/// predicate other than `#set!`): what it captures then depends on more than the kinds of the
/// nodes it names.
fn pattern_reach(text: &str) -> Option<usize> {
    // By open parenthesis: whether it opens a node (else a group).
    let mut open: Vec<bool> = Vec::new();
    let mut nesting = 0usize;
    let mut deepest = 0;
    let depth = |open: &[bool]| open.iter().filter(|&&node| node).count();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        match c {
            ';' => rest = rest.find('\n').map_or("", |end| &rest[end..]),
            '"' => {
                // An anonymous node (predicates, whose strings are none, are skipped whole).
                deepest = deepest.max(depth(&open));
                let mut chars = rest.char_indices();
                let mut end = rest.len();
                while let Some((at, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => {
                            end = at + 1;
                            break;
                        }
                        _ => {}
                    }
                }
                rest = &rest[end..];
            }
            '(' => {
                let next = rest.trim_start();
                if next.starts_with('#') {
                    if !next.starts_with("#set!") {
                        return None;
                    }
                    rest = skip_expression(&text[text.len() - rest.len() - 1..])?;
                    continue;
                }
                let node = !next.starts_with(['(', '[', '"']);
                open.push(node);
                nesting += 1;
                if node {
                    deepest = deepest.max(depth(&open) - 1);
                    // Its kind, read whole: `(_)` is this node, no wildcard below it.
                    let end = next
                        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.' || c == '-'))
                        .unwrap_or(next.len());
                    rest = &next[end..];
                }
            }
            '[' => nesting += 1,
            ')' => {
                open.pop()?;
                nesting -= 1;
            }
            ']' => nesting = nesting.checked_sub(1)?,
            '@' => {
                let end = rest
                    .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.' || c == '-'))
                    .unwrap_or(rest.len());
                if rest[..end].starts_with("unit.") && nesting > 0 {
                    return None;
                }
                rest = &rest[end..];
            }
            '_' if rest.starts_with(|c: char| !(c.is_alphanumeric() || c == '_')) || rest.is_empty() => {
                deepest = deepest.max(depth(&open));
            }
            c if c.is_alphanumeric() || c == '_' => {
                // A node's kind or a field's name: read whole, so that a `_` inside is no wildcard.
                let end = rest
                    .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.' || c == '-'))
                    .unwrap_or(rest.len());
                rest = &rest[end..];
            }
            _ => {}
        }
    }
    Some(deepest)
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

#[cfg(test)]
mod tests {
    use ropey::Rope;

    use super::*;
    use crate::syntax::{language_named, LANGUAGES};
    use crate::units::tests::{fixture, parse};
    use crate::units::walk::Walk;

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
                    // Each file as the folder holds it, with what it inherits read from the
                    // folder too, so that a file no language embeds yet is checked all the same.
                    let name = file.file_name().unwrap().to_owned();
                    let read = |language: &str| {
                        let text = std::fs::read_to_string(grammars.join(language).join(&name)).ok()?;
                        Some(&*Box::leak(text.into_boxed_str()))
                    };
                    let text = crate::syntax::queries::resolve(&folder, &read)
                        .unwrap_or_else(|err| panic!("{}: {err}", file.display()));
                    if let Err(err) = tree_sitter::Query::new(&language.grammar(), &text) {
                        panic!("{}: {err}", file.display());
                    }
                }
            }
            let units_scm = std::fs::read_to_string(path.join("units.scm"))
                .unwrap_or_else(|_| panic!("grammars/{folder}/units.scm is missing"));
            assert_eq!(language.units, units_scm, "the table embeds another file for {folder}");
            let comments_scm = std::fs::read_to_string(path.join("comments.scm"))
                .unwrap_or_else(|_| panic!("grammars/{folder}/comments.scm is missing"));
            assert_eq!(language.comments, comments_scm, "the table embeds another file for {folder}");
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
                root_kinds(query, language.units_source(), &language.grammar()).is_some(),
                "{}: a pattern starts in a way the extractor cannot read (it would match the \
                 whole tree)",
                language.name
            );
        }
    }

    #[test]
    fn how_deep_a_pattern_looks_is_read_from_the_query_text() {
        let assignment = "(assignment_expression\n  left: [(identifier) (member_expression)] @name\n  \
                          right: [(function_expression) (arrow_function)]) @unit.function";
        assert_eq!(pattern_reach(assignment), Some(1));
        assert_eq!(pattern_reach("(a (b (c \"=\")) @name) @unit.function"), Some(3));
        assert_eq!(pattern_reach("(a b: (_ (c)) @name) @unit.function"), Some(2));
        assert_eq!(pattern_reach("(a b: (c (_) @name)) @unit.function"), Some(2));
        assert_eq!(pattern_reach("(a (b _ @name)) @unit.function"), Some(2));
        // Groups, comments, strings and `#set!` add no level; names holding `_` are no wildcards.
        assert_eq!(
            pattern_reach(
                "((a name: (type_identifier) @name) ; (b (c (d)))\n (#set! name \"(((\")) @unit.class"
            ),
            Some(1)
        );
        assert_eq!(pattern_reach("(impl_item (declaration_list \")\")) @unit.class"), Some(2));
        // What a text test or a unit captured below the root stands on is not the kinds alone.
        assert_eq!(pattern_reach("((a (b) @name) (#eq? @name \"x\")) @unit.function"), None);
        assert_eq!(pattern_reach("(object (method_definition name: (_) @name) @unit.function)"), None);
        for language in LANGUAGES {
            let query = language.units_query().unwrap();
            let text = language.units_source();
            for pattern in 0..query.pattern_count() {
                let pattern_text =
                    &text[query.start_byte_for_pattern(pattern)..query.end_byte_for_pattern(pattern)];
                assert!(
                    pattern_text.contains("@unit."),
                    "{}: pattern {pattern} is read whole",
                    language.name
                );
            }
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
                let found = Walk::new(language, &tree, super::Source::whole(&text), matching, "")
                    .run(tree.root_node())
                    .0;
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
}
