//! What the editor can do with the edits why-comments need, as its capabilities at `initialize`
//! say.

use std::collections::HashMap;

use tower_lsp_server::ls_types::{self as lsp, *};

/// What the client can do with the edits why-comments need.
#[derive(Clone, Copy, Debug, Default)]
pub struct WhyClient {
    /// `workspace/applyEdit`.
    pub(super) apply_edit: bool,
    /// Versioned edits (`documentChanges`), which a client refuses when its document has moved on.
    document_changes: bool,
    /// `window/showDocument`, to put the cursor in an inserted skeleton.
    pub(super) show_document: bool,
}

impl WhyClient {
    pub fn of(capabilities: &ClientCapabilities) -> Self {
        let workspace = capabilities.workspace.as_ref();
        Self {
            apply_edit: workspace.and_then(|w| w.apply_edit).unwrap_or(false),
            document_changes: workspace
                .and_then(|w| w.workspace_edit.as_ref())
                .and_then(|edit| edit.document_changes)
                .unwrap_or(false),
            show_document: capabilities
                .window
                .as_ref()
                .and_then(|window| window.show_document.as_ref())
                .is_some_and(|show| show.support),
        }
    }

    /// Edits of one document (each against the document as it is, not overlapping), checked
    /// against the document's version where the client can.
    pub(super) fn edit(self, uri: Uri, version: i32, edits: Vec<TextEdit>) -> WorkspaceEdit {
        if self.document_changes {
            WorkspaceEdit {
                document_changes: Some(lsp::DocumentChanges::Edits(vec![TextDocumentEdit {
                    text_document: OptionalVersionedTextDocumentIdentifier { uri, version: Some(version) },
                    edits: edits.into_iter().map(OneOf::Left).collect(),
                }])),
                ..Default::default()
            }
        } else {
            WorkspaceEdit { changes: Some(HashMap::from([(uri, edits)])), ..Default::default() }
        }
    }
}
