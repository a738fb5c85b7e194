//! Documents as text: a rope, its version, positions in both encodings, the editor's changes and
//! the one queue of a document's edits. Nothing here knows the protocol; the language server and
//! `replay` share it.

mod document;
mod edits;
mod position;

pub use document::{Document, EditError, ParsedEdits};
pub use edits::{EditQueue, EditRun, Span, TextChange};
pub use position::{from_char, to_char, Encoding, Position, PositionError};

use sha2::{Digest, Sha256};

/// The hex SHA-256 of a text, as the journal's `sha256` fields hold it.
pub fn sha256_hex(chunks: impl IntoIterator<Item = impl AsRef<[u8]>>) -> String {
    let mut hasher = Sha256::new();
    for chunk in chunks {
        hasher.update(chunk.as_ref());
    }
    let digest = hasher.finalize();
    let mut out = String::with_capacity(64);
    for byte in digest {
        use std::fmt::Write;
        let _ = write!(out, "{byte:02x}");
    }
    out
}
