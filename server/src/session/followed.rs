//! A document the session follows, and the one owner of everything about it: its text and tree,
//! its units as last extracted, its pending changes, its why-comments, and the edits that arrived
//! since. Its fields are its own. Editing it ([`Followed::edit`], the keystroke path) applies the
//! text and queues the edit, nothing more; whatever reads its units or pending changes gets them
//! up to date, since every such read first takes in the queued edits (one incremental reparse,
//! the units extracted again where the edits fell, the pending changes brought up to date).

use std::ops::Range;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ropey::Rope;

use super::why::{self, Found, Note, Removal, WhyNote, WhyState};
use super::Folder;
use crate::syntax::Language;
use crate::text::{Document, EditError, Encoding, ParsedEdits, Position, TextChange};
use crate::units::extraction::Extraction;
use crate::units::pending::{PendingChange, PendingChanges};
use crate::units::Unit;

pub struct Followed {
    folder: Arc<Folder>,
    /// Workspace-relative, `/`-separated.
    path: String,
    language: &'static Language,
    document: Document,
    /// Why the server's copy may differ from the editor's, until the next save settles it.
    diverged: Option<String>,
    /// The units as last extracted and their pending changes; `None` for a document without a
    /// tree (a binary file kept as text alone).
    units: Option<(Extraction, PendingChanges)>,
    /// Its why-comments: those already dealt with, and the notes on them.
    why: WhyState,
    /// Why it is taken as generated (and has no units), if it is.
    generated: Option<String>,
    /// Numbers new pending changes, across the session's documents.
    ids: Arc<AtomicU64>,
    /// Moves on whenever its prompts may have changed (its units were brought up to date, or a
    /// change became ready or stopped being ready), so that the session can tell whether what
    /// it last showed of the document still stands.
    revision: u64,
}

impl Followed {
    /// A document just opened: every unit at its baseline. Why-comments marked by the folder's
    /// marker are no part of any unit.
    pub(super) fn open(
        folder: Arc<Folder>,
        path: String,
        language: &'static Language,
        mut document: Document,
        generated: Option<String>,
        ids: Arc<AtomicU64>,
    ) -> Self {
        let marker = folder.why_marker();
        let (units, why) = match document.tree_and_rope() {
            Some((tree, rope)) => {
                let extraction = Extraction::new(language, tree, rope, &marker);
                let pending = PendingChanges::new(extraction.units());
                (Some((extraction, pending)), WhyState::at_open(language, tree, rope, &marker))
            }
            None => (None, WhyState::default()),
        };
        Followed { folder, path, language, document, diverged: None, units, why, generated, ids, revision: 0 }
    }

    /// Why it is taken as generated, if it is (see [`super::generated`]).
    pub fn generated(&self) -> Option<&str> {
        self.generated.as_deref()
    }

    pub fn folder(&self) -> &Arc<Folder> {
        &self.folder
    }

    /// Workspace-relative, `/`-separated.
    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn language(&self) -> &'static Language {
        self.language
    }

    pub fn rope(&self) -> &Rope {
        self.document.rope()
    }

    pub fn version(&self) -> i32 {
        self.document.version()
    }

    /// The hex SHA-256 of the whole text.
    pub fn sha256(&self) -> String {
        self.document.sha256()
    }

    /// Applies the editor's changes, all or none, and queues them for whoever reads the units
    /// next.
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
        let at = Instant::now();
        self.document.apply_observed(changes, encoding, |span| why.edited(span, at)).inspect_err(
            |error| {
                self.diverged = Some(format!("a change could not be applied: {error}"));
            },
        )?;
        self.document.set_version(version);
        Ok(())
    }

    /// The editor saved the document; `text` is the saved text when the editor sent it. A saved
    /// text that differs from ours replaces it, and the reason the two came apart is returned.
    /// Then its pending changes are up to date and saved.
    pub(super) fn save(&mut self, text: Option<&str>) -> Option<String> {
        let mut resynced = None;
        if let Some(text) = text.filter(|text| self.document.rope() != *text) {
            let reason = self
                .diverged
                .take()
                .unwrap_or_else(|| "the saved text differs from the server's copy".into());
            let version = self.document.version();
            self.document.replace(text, version);
            self.why.edited(None, Instant::now());
            resynced = Some(reason);
        }
        if text.is_some() {
            self.diverged = None;
        }
        if let Some(pending) = self.pending_mut() {
            pending.saved();
        }
        resynced
    }

    /// Whether edits arrived that its units have not taken in yet.
    pub(super) fn is_stale(&self) -> bool {
        self.document.has_edits()
    }

    /// When the document was last edited, if its units have not taken that edit in yet.
    pub(super) fn last_edit(&self) -> Option<Instant> {
        self.document.last_edit()
    }

    /// Whether it has units at all (a binary file kept as text alone has none).
    pub(super) fn has_units(&self) -> bool {
        self.units.is_some()
    }

    /// See [`Followed::revision`].
    pub(super) fn revision(&self) -> u64 {
        self.revision
    }

    /// How long a change must go without an edit before it is ready, in its folder.
    pub(super) fn settle_duration(&self) -> Duration {
        Duration::from_millis(self.folder.config().settle_ms)
    }

    /// Brings the units and their pending changes up to date with the text, if edits arrived.
    fn refresh(&mut self) {
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
        pending.refresh(&edits, extraction.units(), &errors, &self.ids);
        self.revision += 1;
    }

    /// Its pending changes, up to date; `None` without units.
    pub(super) fn pending(&mut self) -> Option<&PendingChanges> {
        self.refresh();
        self.units.as_ref().map(|(_, pending)| pending)
    }

    fn pending_mut(&mut self) -> Option<&mut PendingChanges> {
        self.refresh();
        self.units.as_mut().map(|(_, pending)| pending)
    }

    /// Its units, up to date; empty without a tree.
    pub(super) fn units(&mut self) -> &[Unit] {
        self.refresh();
        self.units.as_ref().map_or(&[], |(extraction, _)| extraction.units())
    }

    /// Works out which changes are ready at `now`; true when that moved.
    pub(super) fn update_readiness(&mut self, now: Instant) -> bool {
        let settle = self.settle_duration();
        let moved = self.pending_mut().is_some_and(|pending| pending.update_readiness(now, settle));
        if moved {
            self.revision += 1;
        }
        moved
    }

    /// When the next change becomes ready, if one will.
    pub(super) fn next_ready_at(&mut self) -> Option<Instant> {
        let settle = self.settle_duration();
        self.pending()?.next_ready_at(settle)
    }

    /// The change numbered `number`, if it is pending here.
    pub(super) fn find(&mut self, number: u64) -> Option<PendingChange> {
        self.pending()?.find(number)
    }

    /// The change numbered `number` was explained or skipped: its unit's baseline moves.
    pub(super) fn resolve(&mut self, number: u64) {
        if let Some(pending) = self.pending_mut() {
            pending.resolve(number);
        }
    }

    /// The notes on its why-comments, as of its last save.
    pub(super) fn why_notes(&self, encoding: Encoding) -> Vec<WhyNote> {
        self.why.notes(self.document.rope(), encoding)
    }

    /// Its why-comments, found after a save, and what becomes of each; nothing is recorded here.
    pub(super) fn why_comments(&mut self) -> Vec<Found> {
        let config = self.folder.config();
        self.refresh();
        let Some((extraction, pending)) = &self.units else { return Vec::new() };
        let pending: Vec<PendingChange> = pending.pending().collect();
        let Some((tree, rope)) = self.document.tree_and_rope() else { return Vec::new() };
        why::scan(&mut self.why, self.language, tree, rope, extraction.units(), &pending, &config)
    }

    /// Keeps what became of its why-comments after a save: the texts recorded, with the unit
    /// each explained, and the notes to show. Returns where the recorded comments to remove
    /// (`cuts`) stand, in the text at its version.
    pub(super) fn why_dealt_with(
        &mut self,
        recorded: Vec<(String, String)>,
        notes: Vec<Note>,
        cuts: Vec<Range<usize>>,
        encoding: Encoding,
    ) -> Vec<Removal> {
        self.why.dealt_with(recorded, notes);
        let (rope, version) = (self.document.rope(), self.document.version());
        cuts.into_iter().map(|cut| Removal { version, range: why::positions(rope, &cut, encoding) }).collect()
    }

    /// The why-comment skeleton that explains change `number` (see [`why::skeleton`]), at the
    /// document's version: where to insert it, its text and the cursor after its marker.
    pub(super) fn why_skeleton(
        &mut self,
        number: u64,
        encoding: Encoding,
    ) -> Option<(i32, Position, String, Position)> {
        let change = self.find(number)?;
        let marker = self.folder.config().why_marker;
        let (at, text, cursor) = why::skeleton(
            self.document.rope(),
            change.range.start,
            self.language.line_comment,
            &marker,
            encoding,
        );
        Some((self.document.version(), at, text, cursor))
    }
}
