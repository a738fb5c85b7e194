//! The diagnostics of one document: a prompt on each ready change, and a note on each why-comment
//! that was not recorded or that was recorded and is still there.

use tower_lsp_server::ls_types::*;

use super::prompts::{self, range};
use crate::session::{DocumentChanges, WhyNote, WHY_RECORDED};

pub fn of(changes: &DocumentChanges) -> Vec<Diagnostic> {
    let prompts = changes.changes.iter().map(prompts::diagnostic);
    prompts.chain(changes.notes.iter().map(why_note)).collect()
}

/// A why-comment that was not recorded (a warning: the person meant it to be), or one that was
/// recorded and is still there (a hint: it can go).
fn why_note(note: &WhyNote) -> Diagnostic {
    let severity =
        if note.code == WHY_RECORDED { DiagnosticSeverity::HINT } else { DiagnosticSeverity::WARNING };
    Diagnostic {
        range: range(note.range),
        severity: Some(severity),
        code: Some(NumberOrString::String(note.code.into())),
        source: Some("rationale".into()),
        message: note.message.clone(),
        ..Default::default()
    }
}
