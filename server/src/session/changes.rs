//! The session's pending changes: listing them, settling them (bringing quiet documents up to
//! date, deciding when changes are ready, saying whose prompts to publish), and recording
//! rationales and skips in the journal.

use std::time::{Duration, Instant};

use super::{Followed, Session, Skeleton};
use crate::journal::record::{format_system_time, Body, Explanation, Unexplained, UnitRef};
use crate::quality::{self, Quality};
use crate::text::{from_char, Position};
use crate::units::pending::PendingChange;
use crate::units::UnitText;

/// How long a document must go without an edit before its units are brought up to date in the
/// background (requests bring them up to date at once).
pub const REFRESH_AFTER: Duration = Duration::from_millis(100);

/// A pending change with its id as the editor sees it and its place in the document.
#[derive(Clone, Debug)]
pub struct PendingView {
    pub id: String,
    pub change: PendingChange,
    pub range: (Position, Position),
    pub name_range: (Position, Position),
}

/// A unit of a followed document, named as the journal names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitAt {
    pub folder: std::path::PathBuf,
    pub path: String,
    pub name: String,
}

/// The pending changes of one document.
#[derive(Clone, Debug)]
pub struct DocumentChanges {
    pub key: String,
    pub changes: Vec<PendingView>,
    /// What the person is told about the document's why-comments, as of its last save.
    pub notes: Vec<super::WhyNote>,
    /// The shortest rationale the document's folder accepts, so editors check what they send.
    pub min_rationale_chars: usize,
    /// Why the document is taken as generated (no units, no prompts), if it is.
    pub generated: Option<String>,
}

impl DocumentChanges {
    /// Nothing to show for a document (one that was closed, say).
    pub fn none(key: String) -> Self {
        let min_rationale_chars = crate::config::Config::default().min_rationale_chars;
        Self { key, changes: Vec::new(), notes: Vec::new(), min_rationale_chars, generated: None }
    }
}

/// How a rationale reached the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Command,
    WhyComment,
}

impl Via {
    fn as_str(self) -> &'static str {
        match self {
            Via::Command => "command",
            Via::WhyComment => "why-comment",
        }
    }
}

/// Why a rationale or skip was refused; the message is for the person who sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    UnknownChange(String),
    TooShort { needed: usize, got: usize },
    NoChanges,
    NotRecorded(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::UnknownChange(id) => write!(
                f,
                "there is no pending change `{id}`: it was already explained or skipped, edited \
                 back to how it was, or belongs to another session; ask for the pending changes again"
            ),
            Refusal::TooShort { needed, got } => write!(
                f,
                "a rationale needs at least {needed} characters (this one has {got}): say why the \
                 change was made, not only what it does"
            ),
            Refusal::NoChanges => write!(f, "name the change to explain: `changeId` or `changeIds`"),
            Refusal::NotRecorded(why) => write!(f, "the rationale was not recorded: {why}"),
        }
    }
}

/// What recording a rationale came to (or, for a dry run, would come to): the pair of each
/// change explained (none for a dry run), the quality of each, in the same order, and whether
/// the rationale earns its nudge (the folder's `nudge` is on and a pair is flagged `generic`,
/// `restates_diff` or `no_why`).
#[derive(Clone, Debug, PartialEq)]
pub struct Explained {
    pub pairs: Vec<String>,
    pub qualities: Vec<Quality>,
    pub nudge: bool,
}

/// A rationale as given for one change, and what is known of it before its change is read.
struct Said {
    text: String,
    duplicate_of: Option<String>,
    compose_ms: Option<u64>,
}

impl Said {
    /// The quality of this rationale for `change`, whose unit's texts are `before` and `after`.
    fn quality(&self, before: &str, after: &str, change: &PendingChange) -> Quality {
        let signals = quality::signals(&self.text, Some(quality::Change { before, after }));
        let mut quality = Quality::new(&signals, self.duplicate_of.clone()).with_typing(&change.typing);
        quality.compose_ms = self.compose_ms;
        quality
    }
}

/// What the settler is to do after a look at the documents: see [`Session::settle`].
#[derive(Debug)]
pub struct Settled {
    /// The documents whose ready changes may have changed: their prompts to publish.
    pub publish: Vec<DocumentChanges>,
    /// Documents no longer followed whose prompts were published: to withdraw.
    pub withdraw: Vec<DocumentChanges>,
    /// When to look again (`None`: when an edit comes).
    pub next: Option<Instant>,
}

impl Session {
    /// The change id the editor sees: the session's random suffix and the change's number, so an
    /// id from another session is never mistaken for one of ours.
    pub(super) fn change_id(&self, number: u64) -> String {
        format!("{}.{number}", self.id_suffix())
    }

    fn id_suffix(&self) -> &str {
        self.identity.id.rsplit('-').next().unwrap_or(&self.identity.id)
    }

    fn parse_change_id(&self, id: &str) -> Option<u64> {
        let (suffix, number) = id.rsplit_once('.')?;
        (suffix == self.id_suffix()).then(|| number.parse().ok()).flatten()
    }

    fn view(&self, followed: &Followed, change: PendingChange) -> PendingView {
        let rope = followed.rope();
        let encoding = self.identity.encoding;
        let at = |byte: usize| from_char(rope, rope.byte_to_char(byte.min(rope.len_bytes())), encoding);
        PendingView {
            id: self.change_id(change.id),
            range: (at(change.range.start), at(change.range.end)),
            name_range: (at(change.name_range.start), at(change.name_range.end)),
            change,
        }
    }

    fn changes_of(&self, key: &str, followed: &mut Followed, ready_only: bool) -> DocumentChanges {
        let notes = followed.why_notes(self.identity.encoding);
        let min_rationale_chars = followed.folder().config().min_rationale_chars;
        let generated = followed.generated().map(str::to_owned);
        // Whoever asks first moves readiness; publishing it stays the settler's job.
        followed.update_readiness(Instant::now());
        let Some(units) = followed.pending() else {
            return DocumentChanges {
                key: key.to_owned(),
                changes: Vec::new(),
                notes,
                min_rationale_chars,
                generated,
            };
        };
        let pending: Vec<PendingChange> = units.pending().filter(|c| c.ready || !ready_only).collect();
        let changes = pending.into_iter().map(|c| self.view(followed, c)).collect();
        DocumentChanges { key: key.to_owned(), changes, notes, min_rationale_chars, generated }
    }

    /// Journals an `unexplained` record for each change of `followed` still pending: the session is
    /// about to stop tracking the document, and its changes go unexplained.
    pub(super) fn leave_unexplained(&self, followed: &mut Followed) {
        let Some(units) = followed.pending() else { return };
        let pending: Vec<PendingChange> = units.pending().collect();
        for change in pending {
            let body = Body::Unexplained(Unexplained {
                change: self.change_id(change.id),
                path: followed.path().to_owned(),
                language: followed.language().name.to_owned(),
                unit: UnitRef {
                    name: change.name,
                    kind: change.kind.as_str().to_owned(),
                    previous_name: change.previous_name,
                },
                kind: change.change.as_str().to_owned(),
                edits_from: change.edits_from.map(format_system_time),
                edits_to: change.edits_to.map(format_system_time),
                edits: change.edits,
            });
            followed.folder().append(&self.identity, &self.notices, body);
        }
    }

    /// Every pending change of one document (`Some(key)`) or of all followed documents.
    pub fn pending_changes(&self, key: Option<&str>) -> Vec<DocumentChanges> {
        match key {
            Some(key) => self
                .with_document(key, |followed| self.changes_of(key, followed, false))
                .into_iter()
                .collect(),
            None => self
                .documents
                .iter_mut()
                .map(|mut entry| {
                    let key = entry.key().clone();
                    self.changes_of(&key, entry.value_mut(), false)
                })
                .collect(),
        }
    }

    /// The shortest rationale the workspace accepts when no document is named: the strictest of
    /// its folders (the default without any).
    pub fn min_rationale_chars(&self) -> usize {
        let folders = self.folders.read().unwrap();
        let strictest = folders.iter().map(|folder| folder.config().min_rationale_chars).max();
        strictest.unwrap_or_else(|| crate::config::Config::default().min_rationale_chars)
    }

    /// The innermost unit (not the module) at `position` of a followed document, brought up to
    /// date first.
    pub fn unit_at(&self, key: &str, position: Position) -> Option<UnitAt> {
        self.with_document(key, |followed| {
            let encoding = self.identity.encoding;
            // Brought up to date before the position is read in its text.
            followed.units();
            let rope = followed.rope();
            let byte = rope.char_to_byte(crate::text::to_char(rope, position, encoding).ok()?);
            let name = followed
                .units()
                .iter()
                .filter(|unit| !unit.is_module() && unit.range.contains(&byte))
                .min_by_key(|unit| unit.range.len())?
                .qualified
                .clone();
            Some(UnitAt { folder: followed.folder().root.clone(), path: followed.path().to_owned(), name })
        })
        .flatten()
    }

    /// The ready changes of a document: what its diagnostics show.
    pub fn ready_changes(&self, key: &str) -> Option<DocumentChanges> {
        self.with_document(key, |followed| self.changes_of(key, followed, true))
    }

    /// Brings every document that has gone quiet up to date and works out readiness. Returns the
    /// documents whose prompts to publish (their ready changes may have changed since the editor
    /// was last shown them) or to withdraw (no longer followed), and when to look again; until
    /// then, an edit wakes the settler only if it must (see [`Session::settler_must_wake`]).
    pub fn settle(&self, now: Instant) -> Settled {
        self.shown.looking();
        let mut publish = Vec::new();
        let mut next: Option<Instant> = None;
        let mut sooner = |at: Instant| next = Some(next.map_or(at, |n| n.min(at)));
        for mut entry in self.documents.iter_mut() {
            let key = entry.key().clone();
            let followed = entry.value_mut();
            if !followed.has_units() {
                continue;
            }
            if followed.is_stale() {
                let due = followed.last_edit().map_or(now, |at| at + REFRESH_AFTER);
                if due > now {
                    sooner(due);
                    continue;
                }
            }
            // Reading it brings it up to date.
            followed.update_readiness(now);
            if let Some(at) = followed.next_ready_at() {
                sooner(at);
            }
            // A request (a code action asked as the cursor moved, say) may have brought it up to
            // date first: what counts is whether the editor was shown this revision.
            if self.shown.is_behind(&key, followed.revision()) {
                publish.push(self.changes_of(&key, followed, true));
                self.shown.published(&key, followed.revision());
            }
        }
        let withdraw = self
            .shown
            .withdrawn(|key| self.documents.contains_key(key))
            .into_iter()
            .map(DocumentChanges::none)
            .collect();
        self.shown.waits_until(next);
        Settled { publish, withdraw, next }
    }

    /// Records one rationale for one or several changes: a `rationale` record each, on disk
    /// before this returns, sharing a `group` when there are several, each with its quality.
    /// `compose_ms` is how long the rationale took to write, when the editor measured it.
    pub fn record(
        &self,
        ids: &[String],
        text: &str,
        via: Via,
        compose_ms: Option<u64>,
    ) -> Result<Explained, Refusal> {
        if ids.is_empty() {
            return Err(Refusal::NoChanges);
        }
        let located = self.locate_all(ids)?;
        self.record_located(located, text, via, compose_ms, false)
    }

    /// What [`Session::record`] would record, refused alike, without recording anything: the
    /// quality of each pair, and whether the rationale earns its nudge (a dry run, so that an
    /// editor can hint before it records).
    pub fn assess(&self, ids: &[String], text: &str, compose_ms: Option<u64>) -> Result<Explained, Refusal> {
        if ids.is_empty() {
            return Err(Refusal::NoChanges);
        }
        let located = self.locate_all(ids)?;
        self.record_located(located, text, Via::Command, compose_ms, true)
    }

    /// [`Session::record`] (or, `dry`, [`Session::assess`]) of changes already found:
    /// `(document, number)`.
    pub(super) fn record_located(
        &self,
        located: Vec<(String, u64)>,
        text: &str,
        via: Via,
        compose_ms: Option<u64>,
        dry: bool,
    ) -> Result<Explained, Refusal> {
        let text = text.trim();
        let mut folders = Vec::with_capacity(located.len());
        for (key, number) in &located {
            let folder = self
                .with_document(key, |t| t.folder().clone())
                .ok_or_else(|| Refusal::UnknownChange(self.change_id(*number)))?;
            let needed = folder.config().min_rationale_chars;
            let got = text.chars().count();
            if got < needed {
                return Err(Refusal::TooShort { needed, got });
            }
            folders.push(folder);
        }
        // Which earlier rationale of the same author this one repeats, asked once per folder
        // before anything is written: the records of one group do not repeat one another.
        let mut duplicates: Vec<(std::path::PathBuf, Option<String>)> = Vec::new();
        let mut said = Vec::with_capacity(located.len());
        for folder in &folders {
            let duplicate_of = match duplicates.iter().find(|(root, _)| *root == folder.root) {
                Some((_, found)) => found.clone(),
                None => {
                    let found = (self.earlier)(&folder.root, &folder.author(), text);
                    duplicates.push((folder.root.clone(), found.clone()));
                    found
                }
            };
            said.push(Said { text: text.to_owned(), duplicate_of, compose_ms });
        }
        let nudging = folders.first().is_some_and(|folder| folder.config().nudge);
        if dry {
            let qualities = located
                .iter()
                .zip(said)
                .map(|((key, number), said)| {
                    self.with_document(key, |followed| followed.find(*number))
                        .flatten()
                        .map(|change| {
                            said.quality(&change.before.to_string(), &change.after.to_string(), &change)
                        })
                        .ok_or_else(|| Refusal::UnknownChange(self.change_id(*number)))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let nudge = nudging && qualities.iter().any(Quality::earns_nudge);
            return Ok(Explained { pairs: Vec::new(), qualities, nudge });
        }
        let group = (located.len() > 1).then(|| {
            let n = self.group_ids.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            format!("{}:g{n}", self.identity.id)
        });
        let mut explained = Explained { pairs: Vec::new(), qualities: Vec::new(), nudge: false };
        for ((key, number), said) in located.into_iter().zip(said) {
            let (pair, quality) = self.resolve(&key, number, via, Some(said), None, group.clone())?;
            explained.pairs.push(pair);
            explained.qualities.extend(quality);
        }
        explained.nudge = nudging && explained.qualities.iter().any(Quality::earns_nudge);
        Ok(explained)
    }

    /// Records that a change needs no explanation.
    pub fn skip(&self, id: &str, reason: Option<&str>) -> Result<String, Refusal> {
        let (key, number) = self.locate_all(&[id.to_owned()])?.remove(0);
        let reason = reason.map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned);
        self.resolve(&key, number, Via::Command, None, reason, None).map(|(pair, _)| pair)
    }

    /// The unit's texts of a pending change, at its baseline and now, whatever their size (the
    /// list of changes leaves large ones out).
    pub fn change_texts(&self, id: &str) -> Result<(UnitText, UnitText), Refusal> {
        let (key, number) = self.locate_all(&[id.to_owned()])?.remove(0);
        self.with_document(&key, |followed| followed.find(number))
            .flatten()
            .map(|change| (change.before, change.after))
            .ok_or_else(|| Refusal::UnknownChange(id.to_owned()))
    }

    /// The document and number of every change id, refusing the first unknown one.
    pub(super) fn locate_all(&self, ids: &[String]) -> Result<Vec<(String, u64)>, Refusal> {
        ids.iter()
            .map(|id| {
                let unknown = || Refusal::UnknownChange(id.clone());
                let number = self.parse_change_id(id).ok_or_else(unknown)?;
                self.documents
                    .iter_mut()
                    .find_map(|mut entry| {
                        let key = entry.key().clone();
                        entry.value_mut().find(number).map(|_| key)
                    })
                    .map(|key| (key, number))
                    .ok_or_else(unknown)
            })
            .collect()
    }

    /// Writes the record for one change (a rationale when `said`, else a skip) and, once it is on
    /// disk, moves the unit's baseline. The document stays locked throughout, so no edit slips in
    /// between what is recorded and the new baseline. Returns the pair id and, for a rationale,
    /// its quality.
    fn resolve(
        &self,
        key: &str,
        number: u64,
        via: Via,
        said: Option<Said>,
        reason: Option<String>,
        group: Option<String>,
    ) -> Result<(String, Option<Quality>), Refusal> {
        let id = self.change_id(number);
        let mut entry = self.documents.get_mut(key).ok_or_else(|| Refusal::UnknownChange(id.clone()))?;
        let followed = entry.value_mut();
        let change = followed.find(number).ok_or_else(|| Refusal::UnknownChange(id.clone()))?;
        let skip = said.is_none();
        let (before, after) = (change.before.to_string(), change.after.to_string());
        let quality = said.as_ref().map(|said| said.quality(&before, &after, &change));
        let explanation = Explanation {
            pair: String::new(),
            change: id.clone(),
            path: followed.path().to_owned(),
            language: followed.language().name.to_owned(),
            unit: UnitRef {
                name: change.name.clone(),
                kind: change.kind.as_str().to_owned(),
                previous_name: change.previous_name.clone(),
            },
            kind: change.change.as_str().to_owned(),
            before,
            after,
            text: said.map(|said| said.text),
            reason,
            edits_from: change.edits_from.map(format_system_time),
            edits_to: change.edits_to.map(format_system_time),
            edits: change.edits,
            prompted_at: change.prompted_at.map(format_system_time),
            version: followed.version(),
            via: via.as_str().to_owned(),
            group,
            quality: quality.clone(),
        };
        let session = self.identity.id.clone();
        let pair_of = move |seq: u64| format!("{session}:{seq}");
        let pair_in_record = pair_of.clone();
        let seq = followed
            .folder()
            .append_durable_with(&self.identity, &self.notices, move |seq| {
                let mut explanation = explanation;
                explanation.pair = pair_in_record(seq);
                if skip {
                    Body::Skip(explanation)
                } else {
                    Body::Rationale(explanation)
                }
            })
            .map_err(Refusal::NotRecorded)?;
        followed.resolve(number);
        Ok((pair_of(seq), quality))
    }

    /// The why-comment skeleton that explains change `id` (for an editor without a Rationale
    /// plugin: see [`super::why::skeleton`]).
    pub fn why_skeleton(&self, id: &str) -> Result<Skeleton, Refusal> {
        let (key, number) = self.locate_all(&[id.to_owned()])?.remove(0);
        let encoding = self.identity.encoding;
        self.with_document(&key, |followed| followed.why_skeleton(number, encoding))
            .flatten()
            .map(|(version, at, text, cursor)| Skeleton { key: key.clone(), version, at, text, cursor })
            .ok_or_else(|| Refusal::UnknownChange(id.to_owned()))
    }
}
