//! A document's units as last extracted, kept up to date after each reparse without walking the
//! whole tree. When every edit since the last extraction, and every place where the reparse
//! changed the tree's structure, lies inside one unit, only that unit is extracted again, and of
//! it only what changed: the units nested in it that no edit touched are carried over, not
//! walked (their own text and signature cannot have changed, and a nested unit is no part of its
//! parent's signature), and so are the units around it, their ranges shifted. Anything else is
//! extracted afresh.

use std::ops::Range;

use ropey::Rope;
use tree_sitter::{Node, Tree};

use super::pending::shift;
use super::{extract_below, extract_hiding, Intact, Unit};
use crate::syntax::Language;
use crate::text::EditRun;

/// The units of a document as last extracted.
pub struct Extraction {
    units: Vec<Unit>,
    /// The bytes of the why-comments left out of them (see [`super::why`]).
    hidden: Vec<Range<usize>>,
}

impl Extraction {
    /// Units extracted with why-comments marked by `marker` left out.
    pub fn new(language: &Language, tree: &Tree, rope: &Rope, marker: &str) -> Self {
        let (units, hidden) = extract_hiding(language, tree, rope, marker);
        Self { units, hidden }
    }

    pub fn units(&self) -> &[Unit] {
        &self.units
    }

    /// Brings the units up to date with `tree`, the reparse of the text after `edits` (oldest
    /// first); `changed`: where that reparse changed the tree (`None` after a parse from scratch).
    /// Why-comments marked by `marker` are left out.
    pub fn update(
        &mut self,
        language: &Language,
        tree: &Tree,
        rope: &Rope,
        edits: &[EditRun],
        changed: Option<&[Range<usize>]>,
        marker: &str,
    ) {
        // Text left out of units makes their texts no longer slices of the source, which the
        // shortcut relies on: while a why-comment stands, extraction starts afresh.
        let edits: Option<Vec<(usize, usize, usize)>> = edits.iter().map(|run| run.bytes).collect();
        let updated = match (changed, edits) {
            (Some(changed), Some(edits)) if self.hidden.is_empty() => {
                self.within_one_unit(language, tree, rope, &edits, changed, marker)
            }
            _ => false,
        };
        if !updated {
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
        rope: &Rope,
        edits: &[(usize, usize, usize)],
        changed: &[Range<usize>],
        marker: &str,
    ) -> bool {
        // What changed, in bytes of the new text.
        let mut region: Option<Range<usize>> = None;
        for &(start, old_end, new_end) in edits {
            region = Some(match region.map(|r| shift(&r, start, old_end, new_end)) {
                Some(r) => r.start.min(start)..r.end.max(new_end),
                None => start..new_end,
            });
        }
        for range in changed {
            region = Some(match region {
                Some(r) => r.start.min(range.start)..r.end.max(range.end),
                None => range.clone(),
            });
        }
        let Some(region) = region else { return true };
        let moved =
            |range: &Range<usize>| edits.iter().fold(range.clone(), |r, &(s, o, n)| shift(&r, s, o, n));
        // Where a unit is now, if every edit fell inside it when it was made (its start untouched)
        // and the reparse changed nothing outside it.
        let holding = |unit: &Unit| {
            let mut range = unit.range.clone();
            for &(start, old_end, new_end) in edits {
                if start <= range.start || range.end < old_end {
                    return None;
                }
                range = shift(&range, start, old_end, new_end);
            }
            changed.iter().all(|c| range.start < c.start && c.end <= range.end).then_some(range)
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
        let Some(node) = node_spanning(tree, &range) else { return false };
        let end = (index + 1..self.units.len())
            .find(|&j| !is_within(&self.units, &self.units[j], index))
            .unwrap_or(self.units.len());
        // The units nested in it that nothing touched, outermost only: they are not walked again.
        // Each with the end of its own nested units, `from..to`.
        let mut intact: Vec<(Range<usize>, Intact)> = Vec::new();
        let mut j = index + 1;
        while j < end {
            let unit = &self.units[j];
            let to = (j + 1..end).find(|&k| !is_within(&self.units, &self.units[k], j)).unwrap_or(end);
            let now = moved(&unit.range);
            let untouched = now.end < region.start || region.end < now.start;
            if untouched && now.len() == unit.range.len() {
                intact.push((j..to, Intact { range: now, kind: unit.kind, node_kind: unit.node_kind }));
                j = to;
            } else {
                j += 1;
            }
        }
        let wanted: Vec<Intact> = intact.iter().map(|(_, unit)| unit.clone()).collect();
        let mut source = String::with_capacity(rope.len_bytes());
        rope.chunks().for_each(|chunk| source.push_str(chunk));
        let below = extract_below(language, tree, node, source, marker, &wanted);
        let old = &self.units[index];
        match below.units.get(1) {
            Some(top) if below.hidden.is_empty() && top.range == range && top.name == old.name => {}
            _ => return false,
        }
        // An intact unit not met where it stood: the tree around it changed after all.
        if below.stand_ins.len() != intact.len() {
            return false;
        }
        self.splice(index..end, range, below, &intact, &moved);
        true
    }

    /// Replaces units `redone` (a unit and everything nested in it) with `below`, the units of its
    /// new node (whose bytes are now `range`), putting the intact units back in place of their
    /// stand-ins; moves the units after it, and the ends of those around it.
    fn splice(
        &mut self,
        redone: Range<usize>,
        range: Range<usize>,
        below: super::Below,
        intact: &[(Range<usize>, Intact)],
        moved: &dyn Fn(&Range<usize>) -> Range<usize>,
    ) {
        let (index, end) = (redone.start, redone.end);
        let old = &self.units[index];
        let grown = range.len() as isize - old.range.len() as isize;
        let delta = |at: usize| (at as isize + grown) as usize;
        let (qualified, name_len, kind, parent) =
            (old.qualified.clone(), old.name.len(), old.kind, old.parent);
        let ancestors: Vec<usize> = std::iter::successors(parent, |&p| self.units[p].parent).collect();
        let mut old: Vec<Option<Unit>> = std::mem::take(&mut self.units).into_iter().map(Some).collect();
        let count = old.len();
        let mut take = |i: usize| old[i].take().expect("each unit is moved once");
        let mut units: Vec<Unit> = Vec::with_capacity(end + below.units.len());
        let module_text = below.units[0].text.clone();
        for i in 0..index {
            let mut unit = take(i);
            if i == 0 {
                unit.range.end = module_text.len();
                unit.text = module_text.clone();
            } else if ancestors.contains(&i) {
                unit.range.end = delta(unit.range.end);
                let bytes = module_text.as_bytes().get(unit.range.clone()).unwrap_or_default();
                unit.text = String::from_utf8_lossy(bytes).into();
            }
            units.push(unit);
        }
        // Where each unit of `below` went, to nest the ones after it.
        let mut placed: Vec<Option<usize>> = vec![parent];
        let mut stand_ins = below.stand_ins.iter().peekable();
        for (k, mut unit) in below.units.into_iter().enumerate().skip(1) {
            let nest = unit.parent.and_then(|p| placed[p]);
            placed.push(Some(units.len()));
            if let Some(&(_, i)) = stand_ins.next_if(|&&(at, _)| at == k) {
                // The intact unit and everything nested in it, moved, nested where it now is.
                let from = intact[i].0.clone();
                let offset = units.len() as isize - from.start as isize;
                for j in from.clone() {
                    let mut unit = take(j);
                    unit.range = moved(&unit.range);
                    unit.name_range = moved(&unit.name_range);
                    unit.parent = match j == from.start {
                        true => nest,
                        false => unit.parent.map(|p| (p as isize + offset) as usize),
                    };
                    units.push(unit);
                }
                continue;
            }
            // Named as if the redone unit stood at the top: put the names around it back.
            unit.qualified = format!("{qualified}{}", &unit.qualified[name_len.min(unit.qualified.len())..]);
            unit.parent = nest;
            units.push(unit);
        }
        units[index].kind = kind;
        let shifted = units.len() as isize - end as isize;
        for i in end..count {
            let mut unit = take(i);
            unit.range = delta(unit.range.start)..delta(unit.range.end);
            unit.name_range = delta(unit.name_range.start)..delta(unit.name_range.end);
            unit.parent = unit.parent.map(|p| if p >= end { (p as isize + shifted) as usize } else { p });
            units.push(unit);
        }
        self.units = units;
    }
}

/// Whether `unit` is `ancestor` or nested in it.
fn is_within(units: &[Unit], unit: &Unit, ancestor: usize) -> bool {
    std::iter::successors(unit.parent, |&p| units[p].parent).any(|p| p == ancestor)
}

/// The smallest node of `tree` whose bytes are exactly `range`.
fn node_spanning<'t>(tree: &'t Tree, range: &Range<usize>) -> Option<Node<'t>> {
    let mut node = tree.root_node().descendant_for_byte_range(range.start, range.end)?;
    while node.byte_range() != *range {
        node = node.parent()?;
        if node.start_byte() < range.start {
            return None;
        }
    }
    Some(node)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::language_named;
    use crate::text::{from_char, Document, Encoding, TextChange};
    use crate::units::extract;

    /// Edits real files the way people do (typing in a body, deleting a line, pasting a new
    /// function, renaming) and checks after each that the update equals a fresh extraction.
    fn follow(file: &str, language: &str, edits: &[(&str, &str)]) {
        let path = format!("{}/../tests/fixtures/code/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(path).unwrap();
        let language = language_named(language).unwrap();
        let mut document = Document::new(&text, 1, Some(language));
        let (tree, rope) = document.tree_and_rope().unwrap();
        let mut units = Extraction::new(language, tree, rope, "why:");
        for (from, to) in edits {
            let current = document.text();
            let at = current.find(from).unwrap_or_else(|| panic!("{from:?} not in {file}"));
            let rope = document.rope();
            let pos = |byte: usize| from_char(rope, rope.byte_to_char(byte), Encoding::Utf8);
            let change = TextChange { range: Some((pos(at), pos(at + from.len()))), text: (*to).into() };
            let spans = document.apply(&[change], Encoding::Utf8).unwrap();
            let mut queue = crate::text::EditQueue::default();
            for span in spans {
                queue.push(span, std::time::Instant::now(), std::time::SystemTime::now());
            }
            document.tree_and_rope().unwrap();
            let changed = document.changed_ranges().map(<[_]>::to_vec);
            let (tree, rope) = document.tree_and_rope().unwrap();
            units.update(language, tree, rope, queue.runs(), changed.as_deref(), "why:");
            assert!(units.units() == extract(language, tree, rope).as_slice(), "after {from:?} -> {to:?}");
        }
    }

    #[test]
    fn python_units_follow_edits_like_a_fresh_extraction() {
        follow(
            "ftplib.py",
            "python",
            &[
                ("parse227(self.sendcmd('PASV'))", "parse227(self.sendcmd('PASV'))  # passive"),
                (
                    "def ntransfercmd(self, cmd, rest=None):",
                    "def ntransfercmd(self, cmd, rest=None, tries=1):",
                ),
                (
                    "    def abort(self):",
                    "    def noop(self):\n        return self.voidcmd('NOOP')\n\n    def abort(self):",
                ),
                ("class FTP:", "class Client:"),
                ("untrusted_host, port = ", "untrusted_host,  port = "),
            ],
        );
    }

    #[test]
    fn typescript_go_and_rust_units_follow_edits_like_a_fresh_extraction() {
        follow(
            "typescript.d.ts",
            "typescript",
            &[
                ("readonly postfix: boolean;", "readonly postfix: boolean; // kept"),
                (
                    "interface JSDocOptionalType extends JSDocType {",
                    "interface JSDocOptional extends JSDocType {",
                ),
                ("declare namespace ts {", "declare namespace ts {\n    function added(): void;"),
            ],
        );
        follow(
            "../../judge/fixtures/github.com+spf13+pflag-v1.0.6/ip.go",
            "go",
            &[
                ("func (i *ipValue) Set(s string) error {", "func (i *ipValue) Assign(s string) error {"),
                ("func (i *ipValue) Type() string {", "func (i *ipAddr) Type() string {"),
                ("func newIPValue(", "func (f *FlagSet) Extra() {}\n\nfunc newIPValue("),
            ],
        );
        follow(
            "../../judge/fixtures/anyhow-1.0.89/src/chain.rs",
            "rust",
            &[
                (
                    "fn next(&mut self) -> Option<Self::Item> {",
                    "fn next(&mut self) -> Option<Self::Item> { // step",
                ),
                ("impl<'a> Iterator for Chain<'a> {", "impl<'a> Iterator for Links<'a> {"),
                ("fn len(&self) -> usize {", "fn size(&self) -> usize {"),
            ],
        );
    }

    #[test]
    fn javascript_units_follow_edits_like_a_fresh_extraction() {
        follow(
            "express_response.js",
            "javascript",
            &[
                ("res.status = function status(code) {", "res.status = function status(code, reason) {"),
                ("this.statusCode = code;", "this.statusCode = Number(code);"),
                ("res.links = function(links){", "res.links = function links(links){"),
                ("module.exports = res", "module.exports = res;\nres.extra = () => 1"),
            ],
        );
    }
}
