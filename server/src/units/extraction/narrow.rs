//! Redoing only the part of a unit the edits fell in. Typing goes on in one place of a unit, and
//! when that unit is large (a namespace that spans the file, a function that holds a library)
//! walking all of its own text after each burst costs as much as the file. So, below the node of
//! the unit the edits are in, the update goes down the path to the deepest node that holds every
//! edit, as long as the trees before and after the reparse agree on that path, and walks that
//! node alone: the unit's signature stream is what its last walk wrote before the node, what the
//! node writes now, and what the last walk wrote after it (hashed whole, which is cheap beside
//! walking); its nested units outside the node are carried as they stood, moved. The work then
//! follows what the edits touched, not the size of the unit.
//!
//! Why the rest of the unit is unchanged is the same argument as for the units around a redone
//! one ([`super::rebuilt_within`]): the text outside the node is unchanged and the parser, which
//! meets the node again with its kind at its place, reads it from the same state. What a pattern
//! of the units query sees is kept whole: no pattern may start between the unit's node and the
//! node walked, and the patterns that start at the unit's node are run again, unless they look no
//! deeper than the levels above the node walked, where the trees agree.

use std::ops::Range;
use std::sync::Arc;

use ropey::Rope;
use tree_sitter::{Node, Tree};

use super::Extraction;
use crate::syntax::Language;
use crate::units::matcher::Plan;
use crate::units::pending::shift;
use crate::units::{extract_within, Below, Part, Reuse, Source, Unchanged, Unit, UnitKind, UnitText, Walked};

/// The unit an update redoes.
pub(super) struct Redone<'t> {
    /// Its index among the units, and the end of the indices of those nested in it.
    pub index: usize,
    pub end: usize,
    /// Its bytes in the new text.
    pub range: Range<usize>,
    /// Its node in the tree the reparse started from (edited), and in the new tree.
    pub was: Node<'t>,
    pub node: Node<'t>,
    /// The bytes the edits touched, in the new text.
    pub region: Range<usize>,
}

/// The node below the redone unit's that holds every edit, found by [`Extraction::narrowest`].
struct Narrowest<'t> {
    /// The node in the tree the reparse started from, and in the new tree.
    was: Node<'t>,
    node: Node<'t>,
    /// How many levels it is below the unit's node.
    below: usize,
    /// Whether its parent is of a string kind.
    in_string: bool,
}

impl Extraction {
    /// Redoes, of the unit `redone`, the deepest node that holds every edit alone (see the module
    /// doc); false, with nothing changed, when that cannot be done.
    pub(super) fn narrow(
        &mut self,
        language: &Language,
        tree: &Tree,
        rope: &Rope,
        edits: &[(usize, usize, usize)],
        marker: &str,
        redone: Redone<'_>,
    ) -> bool {
        let Some(mut last) = self.last_walk.take() else { return false };
        let redid = self.narrow_with(&mut last, language, tree, rope, edits, marker, redone).is_some();
        self.last_walk = Some(last);
        redid
    }

    /// Does [`Extraction::narrow`]'s work, bringing `last`, the last walk of the unit, up to
    /// date in place; `None`, with `last` as it was, when it cannot.
    #[allow(clippy::too_many_arguments)]
    fn narrow_with(
        &mut self,
        last: &mut Walked,
        language: &Language,
        tree: &Tree,
        rope: &Rope,
        edits: &[(usize, usize, usize)],
        marker: &str,
        redone: Redone<'_>,
    ) -> Option<()> {
        let Redone { index, end, range, was, node, region } = redone;
        let old = &self.units[index];
        if last.range != old.range || last.kind != old.node_kind {
            return None;
        }
        let moved =
            |range: &Range<usize>| edits.iter().fold(range.clone(), |r, &(s, o, n)| shift(&r, s, o, n));
        // The unit keeps its name.
        let name = moved(&old.name_range);
        if name.start <= region.end && region.start <= name.end {
            return None;
        }
        // A syntax error is recovered from by guesses that text far from the edits can sway, so
        // the trees need not agree off the path to the node: the whole unit is walked again.
        if was.has_error() || node.has_error() {
            return None;
        }
        let plan = Plan::of(language);
        let Narrowest { was: was_at, node: at, below, in_string } = narrowest(&plan, was, node, &region)?;
        // Where the node stood in the last walk's text, and what that walk wrote for it.
        let grown = range.len() as isize - old.range.len() as isize;
        let old_at = at.start_byte()..(at.end_byte() as isize - grown) as usize;
        let first = last.nodes.partition_point(|written| written.range.start < old_at.start);
        let mut same_start =
            last.nodes[first..].iter().take_while(|written| written.range.start == old_at.start);
        let i =
            first + same_start.position(|written| written.range == old_at && written.kind == at.kind_id())?;
        let written = &last.nodes[i];
        // Every edit fell inside the node, its first byte untouched, when it was made.
        let mut held = old_at.clone();
        for &(start, old_end, new_end) in edits {
            if start <= held.start || held.end < old_end {
                return None;
            }
            held = shift(&held, start, old_end, new_end);
        }
        if held != at.byte_range() {
            return None;
        }
        // The units inside the node (none holds it: it would hold the edits too).
        let units = &self.units[index + 1..end];
        let inside = index + 1 + units.partition_point(|unit| unit.range.start < old_at.start)
            ..index + 1 + units.partition_point(|unit| unit.range.start < old_at.end);
        if self.units[inside.clone()].iter().any(|unit| unit.range.end > old_at.end) {
            return None;
        }
        let intact = self.intact(inside.clone(), &region, &moved, was_at, at);
        let wanted: Vec<_> = intact.iter().map(|(_, unit)| unit.clone()).collect();
        let nested: Vec<Range<usize>> =
            self.outermost(inside.clone()).map(|unit| moved(&self.units[unit.start].range)).collect();
        self.copy_lines(rope, at);
        let source = Source::part(&self.source, self.source_start);
        let rope = Arc::new(rope.clone());
        let reuse = Reuse { last: &*last, region: region.clone(), grown, nested: &nested };
        let stream = &last.stream;
        let (before, after) = (&stream[..written.stretch.start], &stream[written.stretch.end..]);
        let part = Part { top: node, below, in_string, before, after };
        let unchanged = Unchanged { intact: &wanted, reuse: Some(&reuse) };
        let within = extract_within(language, tree, at, part, &rope, source, marker, unchanged)?;
        if !within.hidden.is_empty() || within.stand_ins.len() != intact.len() {
            return None;
        }
        let (qualified, separator) = (&self.units[index].qualified, language.separator);
        let top = &within.units[1];
        let named = |unit: &Unit| match std::ptr::eq(unit, top) {
            true => qualified.clone(),
            false => format!("{qualified}{separator}{}", unit.qualified),
        };
        if !self.keep_names(&within, &intact, named, separator) {
            return None;
        }
        let Below { units: found, stand_ins, walked: inner, .. } = within;
        record(last, i, inner, range.clone(), grown);
        let named = (found, &stand_ins[..], language.separator);
        self.put_back(index, &range, inside, named, &intact, &moved, &rope, grown);
        Some(())
    }

    /// Puts the units `found` inside the node (as [`extract_within`] returns them, with its stand-ins
    /// for intact units, and the separator of nested names) in place of `inside` (indices), the
    /// intact ones back in place of their stand-ins; gives unit `index` (now bytes `range`) its new
    /// signature; moves the units after the node, and the ends of those around.
    #[allow(clippy::too_many_arguments)]
    fn put_back(
        &mut self,
        index: usize,
        range: &Range<usize>,
        inside: Range<usize>,
        (found, stand_ins, separator): (Vec<Unit>, &[(usize, usize)], &str),
        intact: &[(Range<usize>, crate::units::Intact)],
        moved: &dyn Fn(&Range<usize>) -> Range<usize>,
        rope: &Arc<Rope>,
        grown: isize,
    ) {
        let delta = |at: usize| (at as isize + grown) as usize;
        let (qualified, parent) = (self.units[index].qualified.clone(), self.units[index].parent);
        let mut found = found.into_iter();
        found.next();
        let part = found.next().expect("the walk of a node inside a unit stands for that unit");
        let unit = &mut self.units[index];
        unit.range = range.clone();
        unit.name_range = moved(&unit.name_range);
        unit.text = UnitText::new(rope.clone(), range.clone());
        unit.signature = part.signature;
        let around: Vec<usize> = std::iter::successors(parent, |&p| self.units[p].parent).collect();
        for i in around {
            let unit = &mut self.units[i];
            unit.range.end = if i == 0 { rope.len_bytes() } else { delta(unit.range.end) };
            unit.text = UnitText::new(rope.clone(), unit.range.clone());
        }
        if inside.is_empty() && found.len() == 0 {
            for unit in &mut self.units[inside.end..] {
                unit.range = delta(unit.range.start)..delta(unit.range.end);
                unit.name_range = delta(unit.name_range.start)..delta(unit.name_range.end);
            }
            return;
        }
        let blank = Unit {
            name: String::new(),
            qualified: String::new(),
            kind: UnitKind::Module,
            range: 0..0,
            name_range: 0..0,
            parent: None,
            text: UnitText::new(rope.clone(), 0..0),
            signature: 0,
            node_kind: 0,
        };
        let mut middle: Vec<Unit> = Vec::with_capacity(found.len());
        // Where each unit `within` found went, to nest the ones after it: the first two stood for
        // the module and the redone unit.
        let mut placed: Vec<Option<usize>> = vec![None, Some(index)];
        let mut stand_ins = stand_ins.iter().peekable();
        for (k, mut unit) in found.enumerate().map(|(k, unit)| (k + 2, unit)) {
            let nest = unit.parent.and_then(|p| placed[p]);
            placed.push(Some(inside.start + middle.len()));
            if let Some(&(_, i)) = stand_ins.next_if(|&&(at, _)| at == k) {
                let from = intact[i].0.clone();
                let offset = (inside.start + middle.len()) as isize - from.start as isize;
                for j in from.clone() {
                    let mut unit = std::mem::replace(&mut self.units[j], blank.clone());
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
            // Named as if the redone unit were the module: put its name in front.
            unit.qualified = format!("{qualified}{separator}{}", unit.qualified);
            unit.parent = nest;
            middle.push(unit);
        }
        let shifted = middle.len() as isize - inside.len() as isize;
        let after = inside.start + middle.len();
        if middle.len() == inside.len() {
            for (k, unit) in middle.into_iter().enumerate() {
                self.units[inside.start + k] = unit;
            }
        } else {
            self.units.splice(inside.clone(), middle);
        }
        for unit in &mut self.units[after..] {
            unit.range = delta(unit.range.start)..delta(unit.range.end);
            unit.name_range = delta(unit.name_range.start)..delta(unit.name_range.end);
            unit.parent =
                unit.parent.map(|p| if p >= inside.end { (p as isize + shifted) as usize } else { p });
        }
    }
}

/// The deepest node below `node` (the redone unit's, `was` before the reparse) that holds
/// `region` and that the path down to it leaves the trees agreeing on: each node on the way kept
/// its kind, bytes, number of children and place among its siblings. No pattern of the units
/// query may start at a node between the unit's and it, so the walk stops going down at one
/// that may. `None` when that is the unit's node itself, or when the query's patterns cannot be
/// told apart by where they start.
fn narrowest<'t>(plan: &Plan, was: Node<'t>, node: Node<'t>, region: &Range<usize>) -> Option<Narrowest<'t>> {
    plan.may_start_at(node.kind_id())?;
    let (mut was_at, mut at, mut below, mut parent_kind) = (was, node, 0, node.kind_id());
    loop {
        if below > 0 && plan.may_start_at(at.kind_id()) != Some(false) {
            break;
        }
        if was_at.child_count() != at.child_count() {
            break;
        }
        let (mut cursor, mut was_cursor) = (at.walk(), was_at.walk());
        let Some(child) = cursor.goto_first_child_for_byte(region.start) else { break };
        if was_cursor.goto_first_child_for_byte(region.start) != Some(child) {
            break;
        }
        let (now, then) = (cursor.node(), was_cursor.node());
        let holds = now.start_byte() <= region.start && region.end <= now.end_byte();
        if !holds || now.kind_id() != then.kind_id() || now.byte_range() != then.byte_range() {
            break;
        }
        parent_kind = at.kind_id();
        (was_at, at, below) = (then, now, below + 1);
    }
    let in_string = plan.string_kinds.get(usize::from(parent_kind)).copied().unwrap_or(false);
    (below > 0).then_some(Narrowest { was: was_at, node: at, below, in_string })
}

/// Brings `last`, the record of the redone unit's walk, up to date after the node recorded at
/// `i` was walked again, as `inner` (whose nodes are the node's, and whose stream is the unit's):
/// the nodes before it and after it stay (after it moved by `grown` bytes), those around it
/// stretch. In place, and of the nodes before it only those around it are visited: the work
/// follows the node and its depth, and the nodes after it are moved, not copied.
fn record(last: &mut Walked, i: usize, inner: Walked, range: Range<usize>, grown: isize) {
    let j = i + 1 + last.nodes[i].descendants;
    let stretched = inner.stream.len() as isize - last.stream.len() as isize;
    let more = inner.nodes.len() as isize - (j - i) as isize;
    let by = |at: usize, by: isize| (at as isize + by) as usize;
    // Down the nodes around it (in preorder, a node is followed by its descendants): the next
    // node is the first child of one that holds node `i`, else the sibling after it.
    let mut x = 0;
    while x < i {
        let written = &mut last.nodes[x];
        if x + written.descendants < i {
            x += written.descendants + 1;
            continue;
        }
        written.range.end = by(written.range.end, grown);
        written.stretch.end = by(written.stretch.end, stretched);
        written.descendants = by(written.descendants, more);
        x += 1;
    }
    for written in &mut last.nodes[j..] {
        written.range = by(written.range.start, grown)..by(written.range.end, grown);
        written.stretch = by(written.stretch.start, stretched)..by(written.stretch.end, stretched);
    }
    last.nodes.splice(i..j, inner.nodes);
    last.range = range;
    last.stream = inner.stream;
}
