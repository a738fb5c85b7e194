//! What the walk of a redone unit leaves for the next walk of the same unit.
//!
//! Typing goes on in one unit, so the refresh after the next burst redoes the same unit again.
//! Its walk records, for each node of the unit's own text, the stretch of the signature stream
//! that node wrote. The next walk copies that stretch, instead of walking the node again, for a
//! node that lies clear of the edits, kept its kind, bytes and number of children, and holds no
//! nested unit. The text under such a node is unchanged, and so is what the walk would write for
//! it. The walk then costs what the edits touched, not the whole unit.

use std::ops::Range;

/// One walk of a unit, as the next walk of it may use.
pub struct Walked {
    /// The unit's node, in the text of that walk: its bytes and kind.
    pub range: Range<usize>,
    pub kind: u16,
    /// The nodes of the unit's own text the walk met, in preorder.
    pub nodes: Vec<Written>,
    /// The unit's signature stream.
    pub stream: Vec<u8>,
}

/// A node the walk met, and the stretch of the stream it wrote.
#[derive(Clone)]
pub struct Written {
    pub range: Range<usize>,
    pub kind: u16,
    pub children: usize,
    pub stretch: Range<usize>,
    /// How many of the nodes recorded after it are inside it (none for a node copied whole).
    pub descendants: usize,
}

/// What a walk may copy from the last walk of its unit.
pub struct Reuse<'a> {
    pub last: &'a Walked,
    /// The bytes whose nodes are walked again, in the current text: those the edits since
    /// touched, or, in a unit that holds a syntax error, all that the error's recovery may have
    /// swayed (see `extraction.rs`).
    pub region: Range<usize>,
    /// How much longer the unit is now than in the last walk's text.
    pub grown: isize,
    /// The bytes of the units nested in this one (outermost only, in order), in the current text.
    pub nested: &'a [Range<usize>],
}

impl Reuse<'_> {
    /// What the node with bytes `range`, of kind `kind` with `children` children, wrote last
    /// time, if it may be copied.
    pub fn stretch(&self, range: &Range<usize>, kind: u16, children: usize) -> Option<&[u8]> {
        let old = if range.end < self.region.start {
            range.clone()
        } else if range.start > self.region.end {
            let back = |at: usize| (at as isize - self.grown) as usize;
            back(range.start)..back(range.end)
        } else {
            return None;
        };
        let next = self.nested.partition_point(|unit| unit.end <= range.start);
        if self.nested.get(next).is_some_and(|unit| unit.start < range.end) {
            return None;
        }
        let first = self.last.nodes.partition_point(|node| node.range.start < old.start);
        let written = self.last.nodes[first..]
            .iter()
            .take_while(|node| node.range.start == old.start)
            .find(|node| node.range == old && node.kind == kind && node.children == children)?;
        self.last.stream.get(written.stretch.clone())
    }
}
