//! The protocol's values as Rationale's own: the one place where an LSP position becomes a
//! [`crate::text::Position`], a URI a path, and a client's capabilities the encoding it speaks.
//! The way back is `to_proto`'s.

use std::path::PathBuf;

use tower_lsp_server::ls_types::{self as lsp, Uri};

use crate::text::{Encoding, Position};

pub fn position(position: lsp::Position) -> Position {
    Position::new(position.line, position.character)
}

/// UTF-8 when the client offers it (it is what the journal and the rope count natively), else the
/// protocol's default, UTF-16.
pub fn negotiate_encoding(capabilities: &lsp::ClientCapabilities) -> Encoding {
    let offered = capabilities.general.as_ref().and_then(|general| general.position_encodings.as_ref());
    match offered {
        Some(kinds) if kinds.contains(&lsp::PositionEncodingKind::UTF8) => Encoding::Utf8,
        _ => Encoding::Utf16,
    }
}

/// The file a `file:` URI names; `None` for any other scheme (an unsaved buffer, a diff view).
pub fn file_path(uri: &Uri) -> Option<PathBuf> {
    uri.to_file_path().map(|path| path.into_owned())
}

/// The workspace folders of an `initialize` request: its folders, else its root URI, else its root
/// path (older clients).
#[allow(deprecated)] // root_uri and root_path are deprecated, yet older clients send only them.
pub fn workspace_folders(params: &lsp::InitializeParams) -> Vec<PathBuf> {
    if let Some(folders) = &params.workspace_folders {
        return folders.iter().filter_map(|folder| file_path(&folder.uri)).collect();
    }
    if let Some(root) = params.root_uri.as_ref().and_then(file_path) {
        return vec![root];
    }
    params.root_path.iter().map(PathBuf::from).collect()
}
