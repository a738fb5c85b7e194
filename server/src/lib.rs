//! Rationale: a language server that records how code changes and why.
#![deny(clippy::print_stdout)]

pub mod cli;
pub mod config;
pub mod dataset;
pub mod exclusions;
pub mod generated;
mod git;
pub mod history;
pub mod journal;
pub mod lsp;
pub mod quality;
pub mod redact;
pub mod replay;
pub mod reviews;
pub mod session;
pub mod store;
pub mod syntax;
pub mod text;
pub mod units;
