//! A document the session follows, and the one owner of everything about it: its text and tree,
//! its units as last extracted, its pending changes, and the edits that arrived since. Two verbs
//! change it: [`Followed::edit`], the keystroke path (the text edited, the edit queued, nothing
//! parsed), and [`Followed::refresh`] (one incremental reparse, the units extracted again where
//! the queued edits fell, the pending changes brought up to date).

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use super::{why, Folder};
use crate::syntax::Language;
use crate::text::{Document, EditError, EditQueue, Encoding, TextChange};
use crate::units::extraction::Extraction;
use crate::units::pending::PendingChanges;

pub struct Followed {
    pub folder: Arc<Folder>,
    /// Workspace-relative, `/`-separated.
    pub path: String,
    pub language: &'static Language,
    pub document: Document,
    /// Why the server's copy may differ from the editor's, until the next save settles it.
    pub(super) diverged: Option<String>,
    /// The units as last extracted and their pending changes; `None` for a document without a
    /// tree (a binary file kept as text alone).
    pub(super) units: Option<(Extraction, PendingChanges)>,
    /// The edits since the last refresh.
    edits: EditQueue,
    /// When the document was last edited.
    pub(super) last_edit: Option<Instant>,
    /// Its why-comments: those already dealt with, and the notes on them.
    pub(super) why: why::WhyState,
    /// A request brought the document's prompts up to date (its edits, or a change becoming
    /// ready) before the settler did: the settler still publishes them.
    pub(super) unpublished: bool,
}

impl Followed {
    /// A document just opened: every unit at its baseline. Why-comments marked by `marker` are no
    /// part of any unit.
    pub(super) fn open(
        folder: Arc<Folder>,
        path: String,
        language: &'static Language,
        mut document: Document,
        marker: &str,
    ) -> Self {
        let units = document.tree_and_rope().map(|(tree, rope)| {
            let extraction = Extraction::new(language, tree, rope, marker);
            let pending = PendingChanges::new(extraction.units());
            (extraction, pending)
        });
        let mut followed = Followed {
            folder,
            path,
            language,
            document,
            diverged: None,
            units,
            edits: EditQueue::default(),
            last_edit: None,
            why: why::WhyState::default(),
            unpublished: false,
        };
        followed.why = why::WhyState::at_open(&mut followed, marker);
        followed
    }

    /// Applies the editor's changes, all or none, and queues them for the next refresh.
    pub(super) fn edit(
        &mut self,
        version: i32,
        changes: &[TextChange],
        encoding: Encoding,
    ) -> Result<(), EditError> {
        if version <= self.document.version() {
            // The editor's idea of the text may now differ from ours; the next save settles it.
            self.diverged =
                Some(format!("the version went back from {} to {version}", self.document.version()));
        }
        let spans = self.document.apply(changes, encoding).inspect_err(|error| {
            self.diverged = Some(format!("a change could not be applied: {error}"));
        })?;
        self.document.set_version(version);
        let (at, wall) = (Instant::now(), SystemTime::now());
        self.last_edit = Some(at);
        for span in spans {
            self.why.edited(span);
            self.edits.push(span, at, wall);
        }
        Ok(())
    }

    /// Replaces the whole text with the editor's (a resync).
    pub(super) fn replace(&mut self, text: &str) {
        let version = self.document.version();
        self.document.replace(text, version);
        self.why.edited(None);
        self.edits.push(None, Instant::now(), SystemTime::now());
    }

    /// Whether edits arrived since the last refresh.
    pub(super) fn is_stale(&self) -> bool {
        !self.edits.is_empty()
    }

    /// Brings the units and their pending changes up to date with the text; new changes are
    /// numbered from `ids`.
    pub(super) fn refresh(&mut self, ids: &AtomicU64) {
        if self.edits.is_empty() {
            return;
        }
        let Some((extraction, pending)) = &mut self.units else {
            self.edits.take();
            return;
        };
        let Some((tree, previous, rope)) = self.document.parsed() else { return };
        let errors = crate::syntax::error_ranges(tree);
        let marker = self.folder.why_marker();
        let edits = self.edits.take();
        extraction.update(self.language, tree, previous, rope, &edits, &marker);
        pending.refresh(&edits, extraction.units(), &errors, ids);
        self.unpublished = true;
    }

    pub(super) fn pending(&self) -> Option<&PendingChanges> {
        self.units.as_ref().map(|(_, pending)| pending)
    }

    pub(super) fn pending_mut(&mut self) -> Option<&mut PendingChanges> {
        self.units.as_mut().map(|(_, pending)| pending)
    }

    pub(super) fn extraction(&self) -> Option<&Extraction> {
        self.units.as_ref().map(|(extraction, _)| extraction)
    }
}
