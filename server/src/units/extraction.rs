//! A document's units as last extracted, kept up to date after each reparse without walking the
//! whole tree. When every edit since the last extraction lies inside one unit, and the reparse
//! changed nothing outside that unit's node, only that unit is extracted again, and of it only
//! what changed: the units nested in it that no edit touched and that kept their shape are
//! carried over, not walked (their own text and signature cannot have changed, and a nested unit
//! is no part of its parent's signature), and so are the units around it, their ranges shifted.
//! Anything else is extracted afresh.
//!
//! Whether the reparse changed anything outside the unit is told by comparing the trees before
//! and after it along the path down to the unit's node, not whole: see [`rebuilt_within`].

use std::ops::Range;
use std::sync::Arc;

use ropey::Rope;
use tree_sitter::{Node, Tree};

use super::pending::shift;
use super::{extract_below, extract_hiding, Intact, Reuse, Source, Unchanged, Unit, UnitText, Walked};
use crate::syntax::Language;
use crate::text::EditRun;

/// The units of a document as last extracted.
pub struct Extraction {
    units: Vec<Unit>,
    /// The bytes of the why-comments left out of them (see [`super::why`]).
    hidden: Vec<Range<usize>>,
    /// The text the walk reads when it redoes one unit, kept to reuse its allocation.
    source: String,
    /// Whether the last update redid one unit alone (not the whole document).
    redid_one: bool,
    /// What the walk of the unit last redone wrote, for the next walk of it (see
    /// [`super::reuse`]).
    last_walk: Option<Walked>,
}

impl Extraction {
    /// Units extracted with why-comments marked by `marker` left out.
    pub fn new(language: &Language, tree: &Tree, rope: &Rope, marker: &str) -> Self {
        let (units, hidden) = extract_hiding(language, tree, rope, marker);
        Self { units, hidden, source: String::new(), redid_one: false, last_walk: None }
    }

    pub fn units(&self) -> &[Unit] {
        &self.units
    }

    /// Whether the last update redid one unit alone, the work an edit inside a unit should cost.
    pub fn redid_one_unit(&self) -> bool {
        self.redid_one
    }

    /// Brings the units up to date with `tree`, the reparse of `rope` after `edits` (oldest
    /// first); `previous`: the tree that reparse started from, edited (`None` after a parse from
    /// scratch). Why-comments marked by `marker` are left out.
    pub fn update(
        &mut self,
        language: &Language,
        tree: &Tree,
        previous: Option<&Tree>,
        rope: &Rope,
        edits: &[EditRun],
        marker: &str,
    ) {
        // Text left out of units makes their texts no longer slices of the source, which the
        // shortcut relies on: while a why-comment stands, extraction starts afresh.
        let edits: Option<Vec<(usize, usize, usize)>> = edits.iter().map(EditRun::bytes).collect();
        let updated = match (previous, edits) {
            (Some(previous), Some(edits)) if self.hidden.is_empty() => {
                self.within_one_unit(language, tree, previous, rope, &edits, marker)
            }
            _ => false,
        };
        self.redid_one = updated;
        if !updated {
            self.last_walk = None;
            (self.units, self.hidden) = extract_hiding(language, tree, rope, marker);
        }
        // A check for tests and debugging: every update must equal a fresh extraction.
        static CHECK: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        if *CHECK.get_or_init(|| std::env::var_os("RATIONALE_CHECK_UNITS").is_some()) {
            let fresh = extract_hiding(language, tree, rope, marker).0;
            if let Some(i) =
                (0..fresh.len().max(self.units.len())).find(|&i| fresh.get(i) != self.units.get(i))
            {
                let brief = |u: Option<&Unit>| {
                    u.map(|u| {
                        (
                            u.qualified.clone(),
                            u.kind,
                            u.range.clone(),
                            u.parent,
                            u.signature,
                            u.text.len(),
                            u.own_text.len(),
                        )
                    })
                };
                panic!(
                    "incremental units differ from a fresh extraction at {i}:\n{:?}\nvs fresh\n{:?}",
                    brief(self.units.get(i)),
                    brief(fresh.get(i)),
                );
            }
        }
    }

    /// Redoes the units when everything that changed lies inside one unit; false (the units left
    /// as they were) otherwise.
    fn within_one_unit(
        &mut self,
        language: &Language,
        tree: &Tree,
        previous: &Tree,
        rope: &Rope,
        edits: &[(usize, usize, usize)],
        marker: &str,
    ) -> bool {
        if edits.is_empty() {
            return true;
        }
        let moved =
            |range: &Range<usize>| edits.iter().fold(range.clone(), |r, &(s, o, n)| shift(&r, s, o, n));
        // Where a unit is now, if every edit fell inside it when it was made (its start untouched).
        let holding = |unit: &Unit| {
            let mut range = unit.range.clone();
            for &(start, old_end, new_end) in edits {
                if start <= range.start || range.end < old_end {
                    return None;
                }
                range = shift(&range, start, old_end, new_end);
            }
            Some(range)
        };
        // The innermost unit (not the module) that holds them all.
        let Some((index, range)) = self
            .units
            .iter()
            .enumerate()
            .skip(1)
            .filter_map(|(i, unit)| holding(unit).map(|range| (i, range)))
            .min_by_key(|(_, r)| r.len())
        else {
            return false;
        };
        let Some((was, node)) = rebuilt_within(previous, tree, &range, self.units[index].node_kind) else {
            return false;
        };
        let end = (index + 1..self.units.len())
            .find(|&j| !is_within(&self.units, &self.units[j], index))
            .unwrap_or(self.units.len());
        // What the edits touched, in bytes of the new text.
        let region = edits.iter().fold(None, |region: Option<Range<usize>>, &(start, old_end, new_end)| {
            Some(match region.map(|r| shift(&r, start, old_end, new_end)) {
                Some(r) => r.start.min(start)..r.end.max(new_end),
                None => start..new_end,
            })
        });
        let region = region.unwrap_or_default();
        // The units nested in it, outermost only.
        let mut nested: Vec<Range<usize>> = Vec::new();
        let mut j = index + 1;
        while j < end {
            nested.push(moved(&self.units[j].range));
            j = (j + 1..end).find(|&k| !is_within(&self.units, &self.units[k], j)).unwrap_or(end);
        }
        // The units nested in it that no edit touched, outermost only: candidates to carry over,
        // each with the end of its own nested units, `from..to`.
        let mut candidates: Vec<(Range<usize>, Intact)> = Vec::new();
        let mut j = index + 1;
        while j < end {
            let unit = &self.units[j];
            let to = (j + 1..end).find(|&k| !is_within(&self.units, &self.units[k], j)).unwrap_or(end);
            let now = moved(&unit.range);
            let untouched = now.end < region.start || region.end < now.start;
            if untouched && now.len() == unit.range.len() {
                let intact = Intact { range: now, kind: unit.kind, node_kind: unit.node_kind };
                candidates.push((j..to, intact));
                j = to;
            } else {
                j += 1;
            }
        }
        // Of those, the ones that stand as they stood are not walked again.
        let (before, after) = (nodes_of(was, &candidates), nodes_of(node, &candidates));
        let intact: Vec<(Range<usize>, Intact)> = (candidates.into_iter().zip(before.iter().zip(&after)))
            .filter(|(_, (was, now))| matches!((was, now), (Some(a), Some(b)) if same_shape(*a, *b)))
            .map(|(candidate, _)| candidate)
            .collect();
        let wanted: Vec<Intact> = intact.iter().map(|(_, unit)| unit.clone()).collect();
        // The walk reads the lines of the node alone: a copy of the file would cost more than the
        // rest of the update on a large one.
        let first = rope.line_to_byte(rope.byte_to_line(node.start_byte()));
        let last = rope.byte_to_line(node.end_byte()) + 1;
        let stop = if last < rope.len_lines() { rope.line_to_byte(last) } else { rope.len_bytes() };
        self.source.clear();
        rope.byte_slice(first..stop).chunks().for_each(|chunk| self.source.push_str(chunk));
        let source = Source::part(&self.source, first);
        let rope = Arc::new(rope.clone());
        let old = &self.units[index];
        let grown = range.len() as isize - old.range.len() as isize;
        let last =
            self.last_walk.as_ref().filter(|last| last.range == old.range && last.kind == old.node_kind);
        let reuse = last.map(|last| Reuse { last, region: region.clone(), grown, nested: &nested });
        let unchanged = Unchanged { intact: &wanted, reuse: reuse.as_ref() };
        let below = extract_below(language, tree, node, &rope, source, marker, unchanged);
        let old = &self.units[index];
        match below.units.get(1) {
            Some(top) if below.hidden.is_empty() && top.range == range && top.name == old.name => {}
            _ => return false,
        }
        // An intact unit not met where it stood.
        if below.stand_ins.len() != intact.len() {
            return false;
        }
        let walked = self.splice(index..end, range, below, &intact, &moved, &rope);
        self.last_walk = Some(walked);
        true
    }

    /// Replaces units `redone` (a unit and everything nested in it) with `below`, the units of its
    /// new node (whose bytes are now `range`), putting the intact units back in place of their
    /// stand-ins; moves the units after it, and the ends of those around it. Returns what the walk
    /// wrote for the unit.
    fn splice(
        &mut self,
        redone: Range<usize>,
        range: Range<usize>,
        below: super::Below,
        intact: &[(Range<usize>, Intact)],
        moved: &dyn Fn(&Range<usize>) -> Range<usize>,
        rope: &Arc<Rope>,
    ) -> Walked {
        let (index, end) = (redone.start, redone.end);
        let walked = below.walked;
        let old = &self.units[index];
        let grown = range.len() as isize - old.range.len() as isize;
        let delta = |at: usize| (at as isize + grown) as usize;
        let (qualified, name_len, kind, parent) =
            (old.qualified.clone(), old.name.len(), old.kind, old.parent);
        let around: Vec<usize> = std::iter::successors(parent, |&p| self.units[p].parent).collect();
        for i in around {
            let unit = &mut self.units[i];
            unit.range.end = if i == 0 { rope.len_bytes() } else { delta(unit.range.end) };
            unit.text = UnitText::new(rope.clone(), unit.range.clone());
        }
        // In place: the units after the redone ones are moved once, not every unit twice.
        let mut redone: Vec<Option<Unit>> = self.units.drain(index..end).map(Some).collect();
        let mut take = |i: usize| redone[i - index].take().expect("each unit is moved once");
        let mut middle: Vec<Unit> = Vec::with_capacity(below.units.len());
        // Where each unit of `below` went, to nest the ones after it.
        let mut placed: Vec<Option<usize>> = vec![parent];
        let mut stand_ins = below.stand_ins.iter().peekable();
        for (k, mut unit) in below.units.into_iter().enumerate().skip(1) {
            let nest = unit.parent.and_then(|p| placed[p]);
            placed.push(Some(index + middle.len()));
            if let Some(&(_, i)) = stand_ins.next_if(|&&(at, _)| at == k) {
                // The intact unit and everything nested in it, moved, nested where it now is.
                let from = intact[i].0.clone();
                let offset = (index + middle.len()) as isize - from.start as isize;
                for j in from.clone() {
                    let mut unit = take(j);
                    unit.range = moved(&unit.range);
                    unit.name_range = moved(&unit.name_range);
                    unit.parent = match j == from.start {
                        true => nest,
                        false => unit.parent.map(|p| (p as isize + offset) as usize),
                    };
                    middle.push(unit);
                }
                continue;
            }
            // Named as if the redone unit stood at the top: put the names around it back.
            unit.qualified = format!("{qualified}{}", &unit.qualified[name_len.min(unit.qualified.len())..]);
            unit.parent = nest;
            middle.push(unit);
        }
        middle[0].kind = kind;
        let shifted = middle.len() as isize - (end - index) as isize;
        for unit in &mut self.units[index..] {
            unit.range = delta(unit.range.start)..delta(unit.range.end);
            unit.name_range = delta(unit.name_range.start)..delta(unit.name_range.end);
            unit.parent = unit.parent.map(|p| if p >= end { (p as isize + shifted) as usize } else { p });
        }
        self.units.splice(index..index, middle);
        walked
    }
}

/// Whether `unit` is `ancestor` or nested in it.
fn is_within(units: &[Unit], unit: &Unit, ancestor: usize) -> bool {
    std::iter::successors(unit.parent, |&p| units[p].parent).any(|p| p == ancestor)
}

/// The node of kind `kind` whose bytes are `range` in `tree`, with the node it was in
/// `previous` (the tree `tree` was reparsed from, edited), if the reparse changed nothing outside
/// it: each node on the path down to it kept its kind, its bytes, its number of children and its
/// place among its siblings. Then the units around it are as they were, moved.
///
/// Why that is enough, and the nodes beside the path need not be compared (as
/// `Tree::changed_ranges` compares them, which costs as much as the reparse when all the file
/// sits in one function): the text outside the unit is unchanged, so the parser reads it from the
/// same state as before up to the unit, and after it too, since the unit's node is again of its
/// kind at its place. (Tree-sitter rebuilds many unchanged nodes as it reparses, so node
/// identities say nothing here.) The tests and the judge compare every such update with a fresh
/// extraction.
fn rebuilt_within<'t>(
    previous: &'t Tree,
    tree: &'t Tree,
    range: &Range<usize>,
    kind: u16,
) -> Option<(Node<'t>, Node<'t>)> {
    let (mut old, mut new) = (previous.walk(), tree.walk());
    loop {
        let (was, node) = (old.node(), new.node());
        if was.kind_id() != node.kind_id() || was.byte_range() != node.byte_range() {
            return None;
        }
        if node.byte_range() == *range && node.kind_id() == kind {
            return Some((was, node));
        }
        if was.child_count() != node.child_count() {
            return None;
        }
        let child = new.goto_first_child_for_byte(range.start);
        if child.is_none() || old.goto_first_child_for_byte(range.start) != child {
            return None;
        }
        if !(new.node().start_byte() <= range.start && range.end <= new.node().end_byte()) {
            return None;
        }
    }
}

/// Whether two nodes of unchanged text have the same kind, bytes and number of children, and
/// both or neither hold a syntax error.
fn same_shape(a: Node<'_>, b: Node<'_>) -> bool {
    a.kind_id() == b.kind_id()
        && a.byte_range() == b.byte_range()
        && a.child_count() == b.child_count()
        && a.has_error() == b.has_error()
}

/// The nodes of `units` (by bytes and kind, in source order, none inside another) below `node`,
/// walking only the nodes that hold one.
fn nodes_of<'t>(node: Node<'t>, units: &[(Range<usize>, Intact)]) -> Vec<Option<Node<'t>>> {
    let mut nodes = vec![None; units.len()];
    let mut next = 0;
    let mut cursor = node.walk();
    'walk: loop {
        let here = cursor.node();
        let bytes = here.byte_range();
        // Preorder meets nodes by where they start: a unit starting before this node is not
        // among the nodes left.
        while units.get(next).is_some_and(|(_, unit)| unit.range.start < bytes.start) {
            next += 1;
        }
        let mut enter = false;
        if let Some((_, unit)) = units.get(next) {
            if unit.range == bytes && unit.node_kind == here.kind_id() {
                nodes[next] = Some(here);
                next += 1;
            } else {
                enter = bytes.start <= unit.range.start && unit.range.end <= bytes.end;
            }
        }
        if enter && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                continue 'walk;
            }
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    nodes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::language_named;
    use crate::text::{from_char, Document, Encoding, ParsedEdits, TextChange};

    /// Edits real files the way people do (typing in a body, deleting a line, pasting a new
    /// function, renaming) and checks after each that the update equals a fresh extraction, and
    /// whether it redid one unit alone: an edit inside a unit that keeps its name must (the cost
    /// of an answer depends on it); an edit from a unit's first byte, a rename, or anything while
    /// a why-comment stands, extracts afresh.
    fn follow(file: &str, language: &str, edits: &[(&str, &str, bool)]) {
        let path = format!("{}/../tests/fixtures/code/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(path).unwrap();
        let language = language_named(language).unwrap();
        let mut document = Document::new(&text, 1, Some(language));
        let (tree, rope) = document.tree_and_rope().unwrap();
        let mut units = Extraction::new(language, tree, rope, "why:");
        for (from, to, one) in edits {
            let current = document.text();
            let at = current.find(from).unwrap_or_else(|| panic!("{from:?} not in {file}"));
            let rope = document.rope();
            let pos = |byte: usize| from_char(rope, rope.byte_to_char(byte), Encoding::Utf8);
            let change = TextChange { range: Some((pos(at), pos(at + from.len()))), text: (*to).into() };
            document.apply(&[change], Encoding::Utf8).unwrap();
            let ParsedEdits { edits, tree, previous, rope } = document.parsed_with_edits().unwrap();
            units.update(language, tree, previous, rope, &edits, "why:");
            let fresh = extract_hiding(language, tree, rope, "why:").0;
            assert!(units.units() == fresh.as_slice(), "after {from:?} -> {to:?}");
            assert_eq!(units.redid_one_unit(), *one, "after {from:?} -> {to:?}: one unit redone");
        }
    }

    #[test]
    fn python_units_follow_edits_like_a_fresh_extraction() {
        follow(
            "ftplib.py",
            "python",
            &[
                ("parse227(self.sendcmd('PASV'))", "parse227(self.sendcmd('PASV'))  # passive", true),
                (
                    "def ntransfercmd(self, cmd, rest=None):",
                    "def ntransfercmd(self, cmd, rest=None, tries=1):",
                    true,
                ),
                (
                    "    def abort(self):",
                    "    def noop(self):\n        return self.voidcmd('NOOP')\n\n    def abort(self):",
                    true,
                ),
                ("class FTP:", "class Client:", false),
                ("untrusted_host, port = ", "untrusted_host,  port = ", true),
            ],
        );
    }

    #[test]
    fn typescript_go_and_rust_units_follow_edits_like_a_fresh_extraction() {
        follow(
            "typescript.d.ts",
            "typescript",
            &[
                ("readonly postfix: boolean;", "readonly postfix: boolean; // kept", true),
                (
                    "interface JSDocOptionalType extends JSDocType {",
                    "interface JSDocOptional extends JSDocType {",
                    true,
                ),
                ("declare namespace ts {", "declare namespace ts {\n    function added(): void;", false),
            ],
        );
        follow(
            "../../judge/fixtures/github.com+spf13+pflag-v1.0.6/ip.go",
            "go",
            &[
                (
                    "func (i *ipValue) Set(s string) error {",
                    "func (i *ipValue) Assign(s string) error {",
                    false,
                ),
                ("func (i *ipValue) Type() string {", "func (i *ipAddr) Type() string {", false),
                ("func newIPValue(", "func (f *FlagSet) Extra() {}\n\nfunc newIPValue(", false),
            ],
        );
        follow(
            "../../judge/fixtures/anyhow-1.0.89/src/chain.rs",
            "rust",
            &[
                (
                    "fn next(&mut self) -> Option<Self::Item> {",
                    "fn next(&mut self) -> Option<Self::Item> { // step",
                    true,
                ),
                ("impl<'a> Iterator for Chain<'a> {", "impl<'a> Iterator for Links<'a> {", false),
                ("fn len(&self) -> usize {", "fn size(&self) -> usize {", true),
            ],
        );
    }

    #[test]
    fn javascript_units_follow_edits_like_a_fresh_extraction() {
        follow(
            "express_response.js",
            "javascript",
            &[
                (
                    "res.status = function status(code) {",
                    "res.status = function status(code, reason) {",
                    false,
                ),
                ("this.statusCode = code;", "this.statusCode = Number(code);", true),
                // Typing on in one unit: each walk copies what the last one wrote for the
                // statements the edit did not touch, before and after it.
                ("  var encoding;\n", "  var encoding; // the charset\n", true),
                ("  // settings\n", "  // settings, from the app\n", true),
                ("  var chunk = body;", "  var chunk = body || '';", true),
                ("res.send(body, status) backwards compat", "res.send(body, status): backwards compat", true),
                ("var app = this.app;", "var app = this.app;\n  if (!app) return this;", true),
                // The same length, twice: the statement keeps its bytes, yet must be walked
                // again (the second time, the last walk recorded its every node).
                ("typeof chunk === 'number'", "typeof chunk === 'string'", true),
                ("typeof chunk === 'string'", "typeof chunk === 'object'", true),
                ("res.links = function(links){", "res.links = function links(links){", false),
                ("module.exports = res", "module.exports = res;\nres.extra = () => 1", false),
                // A why-comment typed into a unit is left out of it, and then edited around.
                (
                    "this.statusCode = Number(code);",
                    "this.statusCode = Number(code); // why: codes come as strings",
                    false,
                ),
                ("as strings", "as strings from the router", false),
                (
                    "res.links = function links(links){",
                    "res.links = function links(links){ // the header",
                    false,
                ),
            ],
        );
    }
}
