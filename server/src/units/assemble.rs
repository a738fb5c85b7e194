//! Units from what the walk found: their names and qualified names, ranges and text.
//! Every text is a stretch of the document's one rope, unless why-comments are left out of it.

use std::ops::Range;
use std::sync::Arc;

use ropey::Rope;
use tree_sitter::Node;

use super::source::Source;
use super::unit::{Unit, UnitKind, UnitText, MODULE_NAME};
use super::walk::{Found, Intact};
use super::why::push_without;

/// Turns the walk's findings into units: names, ranges and text. `source` is the text
/// of `rope`, which the units' texts share. `hidden`: bytes left out of every text
/// (why-comments), in order; `separator`: what joins the names of nested units (the language
/// table's). `below`: the walk was [`extract_below`](super::extract_below)'s or
/// [`extract_within`](super::extract_within)'s, with its `intact` units: the first unit is a
/// stand-in for the module, whose text no one reads, and an intact unit's stand-in gets its
/// range and kind alone. `part`: the walk was [`extract_within`](super::extract_within)'s, of the
/// node with these bytes: the second unit stands for the unit the node is in, with its signature
/// (its nested units are named as if it were the module).
pub(super) fn assemble(
    found: Vec<Found<'_>>,
    source: Source<'_>,
    rope: &Arc<Rope>,
    hidden: &[Range<usize>],
    separator: &str,
    below: Option<&[Intact]>,
    part: Option<Range<usize>>,
) -> Vec<Unit> {
    let len = source.end();
    let clamp = |range: Range<usize>| range.start.min(len)..range.end.min(len).max(range.start.min(len));
    let mut units: Vec<Unit> = Vec::with_capacity(found.len());
    // What a stand-in (for an intact unit, or for the module above a redone one) holds: no text.
    let no_text = UnitText::new(rope.clone(), 0..0);
    for (index, found) in found.iter().enumerate() {
        let (name, kind, range, name_range, node_kind) = match (found.captured.as_ref(), found.intact) {
            (_, Some(i)) => {
                let intact = &below.unwrap_or_default()[i];
                (String::new(), intact.kind, intact.range.clone(), 0..0, intact.node_kind)
            }
            (Some((node, captured)), None) => {
                let name_range = clamp(name_range(captured.name, source));
                let name = match &captured.composed {
                    Some(composed) => composed.clone(),
                    // A name is written on one line but for rare ones (an assignment's left
                    // side across lines); its line breaks read as `\n`, as in the signature, so
                    // that a change of line endings alone renames nothing.
                    None => {
                        let name = source.text(name_range.clone());
                        if name.contains('\r') {
                            name.replace("\r\n", "\n").replace('\r', "\n")
                        } else {
                            name.into_owned()
                        }
                    }
                };
                (name, captured.kind, clamp(node.byte_range()), name_range, node.kind_id())
            }
            (None, None) => match (index, &part) {
                (1, Some(part)) => (String::new(), UnitKind::Module, part.clone(), 0..0, 0),
                _ => (MODULE_NAME.to_owned(), UnitKind::Module, 0..len, 0..0, 0),
            },
        };
        let qualified = match found.parent.map(|parent| &units[parent]) {
            Some(parent) if !parent.is_module() => format!("{}{separator}{}", parent.qualified, name),
            _ => name.clone(),
        };
        let stand_in = found.intact.is_some() || (index == 0 && below.is_some());
        let text = if stand_in {
            no_text.clone()
        } else if hidden.is_empty() {
            UnitText::new(rope.clone(), range.clone())
        } else {
            let mut text = String::with_capacity(range.len());
            push_without(&mut text, source, range.clone(), hidden);
            UnitText::owned(&text)
        };
        units.push(Unit {
            name,
            qualified,
            kind,
            range,
            name_range,
            parent: found.parent,
            text,
            signature: found.signature,
            node_kind,
        });
    }
    units
}

/// The bytes of a name: a string key without its quotes.
fn name_range(name: Node<'_>, source: Source<'_>) -> Range<usize> {
    let range = name.byte_range();
    if name.kind() == "string" && range.len() >= 2 {
        let (first, last) = (source.byte(range.start), source.byte(range.end - 1));
        if first == last && matches!(first, Some(b'"' | b'\'' | b'`')) {
            return range.start + 1..range.end - 1;
        }
    }
    range
}
