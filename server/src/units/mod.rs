//! Units: the functions, methods and classes a rationale can be about.
//!
//! A unit is found by its language's `grammars/<language>/units.scm`; [`extract`](fn@extract) lists
//! the units of a syntax tree with their qualified names, text and signature (a hash of the own
//! text, the text without the units nested in it, that ignores whitespace between tokens).
//!
//! Extraction, from the entry points down: `extract.rs` (the entry points, and what a signature
//! counts), `assemble.rs` (units put together from what the walk found), `walk.rs` (the preorder
//! walk that finds, nests and signs the units), `matcher.rs` (where the units query runs, and what
//! its captures stand for) and `unit.rs` (what a unit is, and its kinds).

mod assemble;
mod extract;
mod matcher;
mod reuse;
mod source;
#[cfg(test)]
mod tests;
mod unit;
mod walk;

pub use extract::{extract, extract_below, extract_hiding, extract_within, Below, Part, Unchanged};
pub use reuse::{Reuse, Walked};
pub use source::Source;
pub use unit::{Unit, UnitKind, UnitText, MODULE_NAME};
pub use walk::Intact;
pub mod extraction;
pub mod pending;
pub mod why;
