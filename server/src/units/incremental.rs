//! Keeping a document's units up to date after a reparse without walking the whole tree. When
//! every edit since the last extraction, and every place where the reparse changed the tree's
//! structure, lies inside one unit, only that unit is extracted again; the units around it are
//! carried over with their ranges shifted (their own text and signature cannot have changed:
//! a nested unit is no part of its parent's signature). Anything else is extracted afresh.

use std::ops::Range;

use ropey::Rope;
use tree_sitter::{Node, Tree};

use super::tracker::shift;
use super::{extract_below, extract_hiding, Unit};
use crate::syntax::Language;
use crate::text::ByteSpan;

/// The units of a document as last extracted.
pub struct Units {
    units: Vec<Unit>,
    /// The bytes of the why-comments left out of them (see [`super::why`]).
    hidden: Vec<Range<usize>>,
}

impl Units {
    pub fn new(units: Vec<Unit>) -> Self {
        Self { units, hidden: Vec::new() }
    }

    /// Units extracted with why-comments marked by `marker` left out.
    pub fn extract(language: &Language, tree: &Tree, rope: &Rope, marker: &str) -> Self {
        let (units, hidden) = extract_hiding(language, tree, rope, marker);
        Self { units, hidden }
    }

    pub fn all(&self) -> &[Unit] {
        &self.units
    }

    /// Brings the units up to date with `tree`, the reparse of the text after `edits` (oldest
    /// first; `None` for a whole replacement); `changed`: where that reparse changed the tree
    /// (`None` after a parse from scratch). Why-comments marked by `marker` are left out.
    pub fn update(
        &mut self,
        language: &Language,
        tree: &Tree,
        rope: &Rope,
        edits: &[Option<ByteSpan>],
        changed: Option<&[Range<usize>]>,
        marker: &str,
    ) {
        // Text left out of units makes their texts no longer slices of the source, which the
        // shortcut relies on: while a why-comment stands, extraction starts afresh.
        let updated = changed.filter(|_| self.hidden.is_empty()).and_then(|changed| {
            let edits: Option<Vec<ByteSpan>> = edits.iter().copied().collect();
            self.within_one_unit(language, tree, rope, &edits?, changed, marker)
        });
        match updated {
            Some(units) => self.units = units,
            None => (self.units, self.hidden) = extract_hiding(language, tree, rope, marker),
        }
        // A check for tests and debugging: every update must equal a fresh extraction.
        static CHECK: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        if *CHECK.get_or_init(|| std::env::var_os("RATIONALE_CHECK_UNITS").is_some()) {
            let fresh = extract_hiding(language, tree, rope, marker).0;
            if let Some(i) =
                (0..fresh.len().max(self.units.len())).find(|&i| fresh.get(i) != self.units.get(i))
            {
                panic!(
                    "incremental units differ from a fresh extraction at {i}:\n{:?}\nvs fresh\n{:?}",
                    self.units.get(i).map(|u| (
                        &u.qualified,
                        u.kind,
                        &u.range,
                        &u.name_range,
                        u.parent,
                        u.signature,
                        &u.own_text
                    )),
                    fresh.get(i).map(|u| (
                        &u.qualified,
                        u.kind,
                        &u.range,
                        &u.name_range,
                        u.parent,
                        u.signature,
                        &u.own_text
                    )),
                );
            }
        }
    }

    /// The units when everything that changed lies inside one unit; `None` otherwise.
    fn within_one_unit(
        &self,
        language: &Language,
        tree: &Tree,
        rope: &Rope,
        edits: &[ByteSpan],
        changed: &[Range<usize>],
        marker: &str,
    ) -> Option<Vec<Unit>> {
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
        let Some(region) = region else { return Some(self.units.clone()) };
        let moved =
            |range: &Range<usize>| edits.iter().fold(range.clone(), |r, &(s, o, n)| shift(&r, s, o, n));
        // The innermost unit (not the module) around it, its start untouched.
        let (index, range) = self
            .units
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, unit)| (i, moved(&unit.range)))
            .filter(|(_, r)| r.start < region.start && region.end <= r.end)
            .min_by_key(|(_, r)| r.len())?;
        let node = node_spanning(tree, &range)?;
        let old = &self.units[index];
        let mut source = String::with_capacity(rope.len_bytes());
        rope.chunks().for_each(|chunk| source.push_str(chunk));
        let (below, hidden) = extract_below(language, tree, node, source, marker);
        if !hidden.is_empty() {
            return None;
        }
        let top = below.get(1)?;
        if top.range != range || top.name != old.name || top.parent != Some(0) {
            return None;
        }
        let delta = |at: usize| (at as isize + range.len() as isize - old.range.len() as isize) as usize;
        let end = (index + 1..self.units.len())
            .find(|&j| !is_within(&self.units, &self.units[j], index))
            .unwrap_or(self.units.len());
        let ancestors: Vec<usize> = std::iter::successors(old.parent, |&p| self.units[p].parent).collect();
        let added = below.len() - 1;

        let mut units = Vec::with_capacity(index + added + self.units.len() - end);
        for (i, unit) in self.units[..index].iter().enumerate() {
            let mut unit = unit.clone();
            if ancestors.contains(&i) {
                unit.range.end = delta(unit.range.end);
                unit.text = below[0].text.get(unit.range.clone())?.into();
            }
            units.push(unit);
        }
        if let Some(module) = units.first_mut() {
            module.text.clone_from(&below[0].text);
        }
        for unit in &below[1..] {
            let mut unit = unit.clone();
            let relative = unit.qualified.strip_prefix(old.name.as_str())?;
            unit.qualified = format!("{}{relative}", old.qualified);
            unit.parent = match unit.parent? {
                0 => old.parent,
                k => Some(index + k - 1),
            };
            units.push(unit);
        }
        units[index].kind = old.kind;
        for unit in &self.units[end..] {
            let mut unit = unit.clone();
            unit.range = delta(unit.range.start)..delta(unit.range.end);
            unit.name_range = delta(unit.name_range.start)..delta(unit.name_range.end);
            unit.parent = unit.parent.map(|p| if p >= end { p + index + added - end } else { p });
            units.push(unit);
        }
        Some(units)
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
        let mut units = Units::new(extract(language, tree, rope));
        for (from, to) in edits {
            let current = document.text();
            let at = current.find(from).unwrap_or_else(|| panic!("{from:?} not in {file}"));
            let rope = document.rope();
            let pos = |byte: usize| from_char(rope, rope.byte_to_char(byte), Encoding::Utf8);
            let change = TextChange { range: Some((pos(at), pos(at + from.len()))), text: (*to).into() };
            let spans = document.apply(&[change], Encoding::Utf8).unwrap();
            document.tree_and_rope().unwrap();
            let changed = document.changed_ranges().map(<[_]>::to_vec);
            let (tree, rope) = document.tree_and_rope().unwrap();
            units.update(language, tree, rope, &spans, changed.as_deref(), "why:");
            assert!(units.all() == extract(language, tree, rope).as_slice(), "after {from:?} -> {to:?}");
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
