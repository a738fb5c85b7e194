//! The unit model: what a unit is, and its kinds: the names the journal and the protocol spell
//! them with, and the `@unit.<kind>` captures a `units.scm` finds them by.

use std::ops::Range;
use std::sync::Arc;

use ropey::{Rope, RopeSlice};

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
    pub text: UnitText,
    /// A hash of the unit's own text (its text without the units nested in it: nothing of a
    /// nested unit counts), of its tokens and syntactic structure: the own text itself is never
    /// kept, only this. Two own texts that differ only
    /// in whitespace between tokens have the same signature. See [`extract`](fn@super::extract)
    /// for what counts. It is stable within one build of the server, not across builds: keep it
    /// in memory only.
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

/// A unit's text: a stretch of one version of the document, shared with every unit of that
/// version. Keeping a unit as it stood (a baseline, the last extraction) or carrying it through a
/// refresh copies nothing, and neither does giving the module (the whole file) and the units
/// around an edited one their new texts: only a text that is asked for is copied out.
#[derive(Clone)]
pub struct UnitText {
    source: Arc<Rope>,
    range: Range<usize>,
}

impl UnitText {
    /// The bytes `range` of `source`, clamped to its length and widened to whole characters (a
    /// tree that does not match its text could put them off a character boundary).
    pub fn new(source: Arc<Rope>, range: Range<usize>) -> Self {
        let len = source.len_bytes();
        let mut range = range.start.min(len)..range.end.min(len).max(range.start.min(len));
        // Checked at each end alone: making a slice to check them counts its lines and
        // characters, a good part of redoing a small piece of a unit.
        let on_boundary = |byte: usize| {
            let (chunk, start, _, _) = source.chunk_at_byte(byte);
            byte == len || chunk.is_char_boundary(byte - start)
        };
        if !(on_boundary(range.start) && on_boundary(range.end)) {
            let start = source.char_to_byte(source.byte_to_char(range.start));
            let end = source.char_to_byte(source.byte_to_char(range.end));
            range =
                start..if end < range.end { source.char_to_byte(source.byte_to_char(end) + 1) } else { end };
        }
        Self { source, range }
    }

    /// A text of its own (a unit with why-comments left out is no stretch of the document).
    pub fn owned(text: &str) -> Self {
        Self { source: Arc::new(Rope::from_str(text)), range: 0..text.len() }
    }

    pub fn len(&self) -> usize {
        self.range.len()
    }

    pub fn is_empty(&self) -> bool {
        self.range.is_empty()
    }

    pub fn slice(&self) -> RopeSlice<'_> {
        self.source.byte_slice(self.range.clone())
    }

    /// What tells this very text apart (not an equal one): the same version's same bytes.
    pub fn identity(&self) -> (*const Rope, usize, usize) {
        (Arc::as_ptr(&self.source), self.range.start, self.range.end)
    }
}

impl PartialEq for UnitText {
    fn eq(&self, other: &Self) -> bool {
        self.slice() == other.slice()
    }
}

impl Eq for UnitText {}

impl PartialEq<&str> for UnitText {
    fn eq(&self, other: &&str) -> bool {
        self.slice() == *other
    }
}

impl std::fmt::Display for UnitText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.slice().chunks().try_for_each(|chunk| f.write_str(chunk))
    }
}

impl std::fmt::Debug for UnitText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.to_string(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unit_text_is_clamped_and_widened_to_whole_characters() {
        let rope = Arc::new(Rope::from_str("aé b"));
        assert_eq!(UnitText::new(rope.clone(), 2..4).to_string(), "é ");
        assert_eq!(UnitText::new(rope.clone(), 1..2).to_string(), "é");
        assert_eq!(UnitText::new(rope.clone(), 3..100).to_string(), " b");
        assert_eq!(UnitText::new(rope.clone(), 9..12).to_string(), "");
        let text = UnitText::new(rope.clone(), 0..3);
        assert!(text == UnitText::owned("aé"), "equal by content");
        assert_ne!(text.identity(), UnitText::owned("aé").identity(), "but not the same text");
        assert_eq!(text.identity(), text.clone().identity());
    }
}
