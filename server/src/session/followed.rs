//! A document the session follows, and the one owner of everything about it: its text and tree,
//! its units as last extracted, its pending changes, and the edits that arrived since. Two verbs
//! change it: [`Followed::edit`], the keystroke path (the text edited, the edit queued, nothing
//! parsed), and [`Followed::refresh`] (one incremental reparse, the units extracted again where
//! the queued edits fell, the pending changes brought up to date).

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Instant;

use super::{why, Folder};
use crate::syntax::Language;
use crate::text::{Document, EditError, Encoding, ParsedEdits, TextChange};
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
        let why = &mut self.why;
        self.document.apply_observed(changes, encoding, |span| why.edited(span)).inspect_err(|error| {
            self.diverged = Some(format!("a change could not be applied: {error}"));
        })?;
        self.document.set_version(version);
        Ok(())
    }

    /// Replaces the whole text with the editor's (a resync).
    pub(super) fn replace(&mut self, text: &str) {
        let version = self.document.version();
        self.document.replace(text, version);
        self.why.edited(None);
    }

    /// Whether edits arrived since the last refresh.
    pub(super) fn is_stale(&self) -> bool {
        self.document.has_edits()
    }

    /// When the document was last edited, if it has been since the last refresh.
    pub(super) fn last_edit(&self) -> Option<Instant> {
        self.document.last_edit()
    }

    /// Brings the units and their pending changes up to date with the text; new changes are
    /// numbered from `ids`.
    pub(super) fn refresh(&mut self, ids: &AtomicU64) {
        if !self.document.has_edits() {
            return;
        }
        let Some((extraction, pending)) = &mut self.units else {
            self.document.take_edits();
            return;
        };
        let Some(ParsedEdits { edits, tree, previous, rope }) = self.document.parsed_with_edits() else {
            return;
        };
        let errors = crate::syntax::error_ranges(tree);
        let marker = self.folder.why_marker();
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
