//! Rationale: a language server that records how code changes and why.
#![deny(clippy::print_stdout)]

pub mod journal;
pub mod syntax;
pub mod text;
