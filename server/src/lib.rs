//! Rationale: a language server that records how code changes and why.
#![deny(clippy::print_stdout)]

pub mod cli;
pub mod config;
pub mod journal;
pub mod store;
pub mod syntax;
pub mod text;
pub mod tracking;
