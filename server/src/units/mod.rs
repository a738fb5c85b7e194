//! Units: the functions, methods and classes a rationale can be about.
//!
//! A unit is found by its language's `grammars/<language>/units.scm`; [`extract`] lists the units
//! of a syntax tree with their qualified names, text, own text (nested units replaced by a
//! placeholder) and signature (what is left of the own text when whitespace between tokens is
//! ignored).

mod extract;

pub use extract::{extract, extract_below, extract_hiding, Below, Intact, Unit, UnitKind, MODULE_NAME};
pub mod extraction;
pub mod pending;
pub mod why;
