//! Pending changes: which units of a document differ from their baseline, since when, and whether
//! they are ready to explain. Pure bookkeeping: it is told of edits and given freshly extracted
//! units, and never parses anything itself.
//!
//! Each tracked unit is an *entry* that keeps its identity while the unit is edited in place:
//! after every refresh, the new units are matched to the entries first by qualified name and kind
//! (the name at the baseline first, then the current one; among several units of one name, a
//! getter and its setter say, by carried range, then by own text unchanged, then in order), then,
//! for the rest, by where they are: each entry's byte range is carried through the edits since the
//! last refresh, and an unmatched unit that overlaps an unmatched entry of its kind is that entry,
//! renamed. What is left is added (a unit without an entry) or removed (an entry without a unit).

use std::collections::HashMap;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use super::{Unit, UnitKind, UnitText};
use crate::quality::typing::Typing;
use crate::text::EditRun;

/// See [`Unit::signature`].
type Signature = u64;

/// Which name of an entry to match by: its baseline's or its current one's.
type NameOf = fn(&Entry) -> Option<(&str, UnitKind)>;

/// Entries and units of one name and kind: `(entries, units)`, by index.
type Groups<'a> = HashMap<(&'a str, UnitKind), (Vec<usize>, Vec<usize>)>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    Modified,
    Added,
    Removed,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Modified => "modified",
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
        }
    }
}

/// A unit as it stood at one moment.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// The qualified name.
    pub name: String,
    pub kind: UnitKind,
    pub text: super::UnitText,
    pub signature: Signature,
}

impl Snapshot {
    fn of(unit: &Unit) -> Self {
        Self {
            name: unit.qualified.clone(),
            kind: unit.kind,
            text: unit.text.clone(),
            signature: unit.signature,
        }
    }
}

#[derive(Debug)]
struct Entry {
    /// `None`: the unit did not exist at its baseline (it was added).
    baseline: Option<Snapshot>,
    /// `None`: the unit no longer exists (it was removed).
    current: Option<Snapshot>,
    /// Bytes of the unit (or, once removed, where it was) in the current text.
    range: Range<usize>,
    name_range: Range<usize>,
    /// Edits attributed to the unit since its baseline.
    edits: u32,
    first_edit: Option<SystemTime>,
    last_edit: Option<Instant>,
    last_edit_wall: Option<SystemTime>,
    /// What the edits attributed to the unit since its baseline inserted, and when.
    typing: Typing,
    /// The document was saved after the unit's last edit.
    saved: bool,
    /// The unit overlaps a syntax error: it is being typed, so its change is not ready yet.
    broken: bool,
    /// An edit since the last refresh replaced the whole unit: whatever stands there now is
    /// another unit, not this one edited in place.
    wiped: bool,
    change: Option<Change>,
}

#[derive(Debug)]
struct Change {
    id: u64,
    detected: Instant,
    /// When the change last became ready (the prompt that is answered), if it has.
    prompted_at: Option<SystemTime>,
    ready: bool,
}

/// One pending change, as the server reports and records it.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingChange {
    pub id: u64,
    pub name: String,
    pub kind: UnitKind,
    pub change: ChangeKind,
    /// The name at the baseline, when it differs (a rename).
    pub previous_name: Option<String>,
    pub ready: bool,
    pub edits: u32,
    pub edits_from: Option<SystemTime>,
    pub edits_to: Option<SystemTime>,
    pub prompted_at: Option<SystemTime>,
    /// What its edits inserted, typed or not, and when.
    pub typing: Typing,
    /// The unit's text at its baseline and now (empty for an added unit's `before` and a removed
    /// unit's `after`): shared with the snapshots, so listing changes copies no unit's text.
    pub before: UnitText,
    pub after: UnitText,
    /// Bytes of the unit in the current text (where it was, for a removed unit).
    pub range: Range<usize>,
    pub name_range: Range<usize>,
}

/// The pending changes of one document: an entry per unit, at its baseline or changed.
#[derive(Debug, Default)]
pub struct PendingChanges {
    entries: Vec<Entry>,
}

impl PendingChanges {
    /// Every unit at its baseline.
    pub fn new(units: &[Unit]) -> Self {
        let entries = units.iter().map(|unit| Entry::new(unit, Some(Snapshot::of(unit)))).collect();
        Self { entries }
    }

    /// Takes in the edits since the last refresh (oldest first), the units of the text they left
    /// and the byte ranges of its syntax errors.
    ///
    /// Half-typed code is the normal state of a file being edited, and a parser that meets an
    /// unclosed bracket may not see the units after it for a while. So a unit that cannot be found
    /// but lies where the tree has an error is kept as it last stood, not removed; and a change to
    /// a unit that overlaps an error is not ready (its prompt waits for code that parses, or for a
    /// save).
    ///
    /// Returns how many units were known by their very text, carried over by an incremental
    /// extraction, and so were not matched anew.
    pub fn refresh(
        &mut self,
        edits: &[EditRun],
        units: &[Unit],
        errors: &[Range<usize>],
        ids: &AtomicU64,
    ) -> usize {
        // A whole-text replacement carries no range through: where entries stood says little.
        let adrift = edits.iter().any(|edit| edit.span.is_none());
        for edit in edits {
            self.absorb(edit);
        }
        let carried = self.match_units(units, errors, adrift);
        self.entries.retain(|e| e.baseline.is_some() || e.current.is_some());
        // One pass over the entries (a file can hold thousands): each pass is a trip through
        // memory that costs more than what it does to an entry.
        for entry in &mut self.entries {
            entry.broken = entry.current.is_some()
                && errors
                    .iter()
                    .any(|error| overlap(&entry.range, error) > 0 || error.start == entry.range.start);
            let differs = match (&entry.baseline, &entry.current) {
                (Some(b), Some(c)) => b.signature != c.signature || b.kind != c.kind,
                _ => true,
            };
            match (&entry.change, differs) {
                (None, true) => {
                    entry.change = Some(Change {
                        id: ids.fetch_add(1, Ordering::Relaxed) + 1,
                        detected: entry.last_edit.unwrap_or_else(Instant::now),
                        prompted_at: None,
                        ready: false,
                    })
                }
                (Some(_), false) => entry.reset(),
                _ => {}
            }
        }
        carried
    }

    /// Attributes a run of edits to the innermost unit around it, and carries every range
    /// through it.
    fn absorb(&mut self, edit: &EditRun) {
        let Some((start, old_end, new_end)) = edit.bytes() else {
            // A whole replacement: no range survives; count it against the module.
            if let Some(module) = self.entries.iter_mut().find(|e| e.is_module()) {
                module.touch(edit);
            }
            return;
        };
        // In the same pass: the innermost entry around the edit as it stood (the first of the
        // shortest), and every range carried through it.
        let mut innermost: Option<(usize, usize)> = None;
        for (e, entry) in self.entries.iter_mut().enumerate() {
            let around = entry.current.is_some() && entry.range.start <= start && start <= entry.range.end;
            if around && innermost.is_none_or(|(_, len)| entry.range.len() < len) {
                innermost = Some((e, entry.range.len()));
            }
            entry.wiped |= start <= entry.range.start && entry.range.end <= old_end && start < old_end;
            // Most entries lie wholly before the edit (nothing moves) or after it (all moves by
            // as much): only those it touches need `shift`'s cases.
            let (range, name) = (&entry.range, &entry.name_range);
            if range.end < start && name.end < start {
                continue;
            }
            if range.start >= old_end && name.start >= old_end {
                let moved = |at: usize| at + new_end - old_end;
                entry.range = moved(range.start)..moved(range.end);
                entry.name_range = moved(name.start)..moved(name.end);
                continue;
            }
            entry.range = shift(&entry.range, start, old_end, new_end);
            entry.name_range = shift(&entry.name_range, start, old_end, new_end);
        }
        if let Some((e, _)) = innermost {
            self.entries[e].touch(edit);
        }
    }

    /// Matches `units` to the entries; returns how many were carried (see [`PendingChanges::refresh`]).
    fn match_units(&mut self, units: &[Unit], errors: &[Range<usize>], adrift: bool) -> usize {
        let mut taken = vec![false; self.entries.len()];
        let mut owner: Vec<Option<usize>> = vec![None; units.len()];

        // 0. A unit the extraction carried over untouched is its entry's still: its text is the
        // very one the entry holds. Only what was extracted again is matched below, so a refresh
        // costs what changed, not the file. Units come in source order, and so do entries (their
        // ranges carried through the edits keep their order), so one pass over both finds each
        // carried unit's entry among those that stand where it stands. Should an entry be out of
        // order, its unit is merely matched below, by name and place.
        let order = |range: &Range<usize>| (range.start, std::cmp::Reverse(range.end));
        let mut carried = vec![false; units.len()];
        let mut first = 0;
        for (u, unit) in units.iter().enumerate() {
            let at = order(&unit.range);
            while first < self.entries.len() && order(&self.entries[first].range) < at {
                first += 1;
            }
            let same_place = self.entries[first..].iter().take_while(|e| order(&e.range) == at);
            // The very text: the unit was carried with its name (a unit redone under another name
            // is extracted again, its nested units with it).
            let found = same_place.enumerate().map(|(i, entry)| (first + i, entry)).find(|(e, entry)| {
                !taken[*e]
                    && entry.current.as_ref().is_some_and(|current| {
                        current.kind == unit.kind && current.text.identity() == unit.text.identity()
                    })
            });
            if let Some((e, _)) = found {
                (taken[e], owner[u], carried[u]) = (true, Some(e), true);
            }
        }

        // 1. By qualified name and kind: first by the name each entry had at its baseline (a
        // unit that gets its old name back is that unit again, whatever the half-edited text
        // called it meanwhile), then by the name it has now. Names are not identities: real code
        // has several units of one name (`@overload` stubs, a method defined in both branches of
        // an `if`, anonymous callbacks). Among those, a unit is the entry whose range, carried
        // through every edit, overlaps it most, else one whose own text it has as the entry last
        // stood (a unit moved away); only what neither tells apart is paired in order of
        // appearance. After a whole-text replacement no range was carried, and ranges from
        // before it would pair a getter with its setter: there, own text comes first.
        fn baseline_name(e: &Entry) -> Option<(&str, UnitKind)> {
            e.baseline.as_ref().map(|s| (s.name.as_str(), s.kind))
        }
        fn current_name(e: &Entry) -> Option<(&str, UnitKind)> {
            e.current.as_ref().map(|s| (s.name.as_str(), s.kind))
        }
        for name_of in [baseline_name as NameOf, current_name] {
            let mut groups: Groups = HashMap::new();
            // Most entries were taken in step 0: their names are not looked at.
            for (e, entry) in self.entries.iter().enumerate().filter(|&(e, _)| !taken[e]) {
                if let Some(key) = name_of(entry) {
                    groups.entry(key).or_default().0.push(e);
                }
            }
            for (u, unit) in units.iter().enumerate() {
                if owner[u].is_none() {
                    if let Some(group) = groups.get_mut(&(unit.qualified.as_str(), unit.kind)) {
                        group.1.push(u);
                    }
                }
            }
            for (entries, named) in groups.into_values() {
                if let ([e], [u]) = (entries.as_slice(), named.as_slice()) {
                    (taken[*e], owner[*u]) = (true, Some(*e));
                    continue;
                }
                let mut pairs: Vec<(bool, usize, usize, usize)> = entries
                    .iter()
                    .flat_map(|&e| named.iter().map(move |&u| (e, u)))
                    .map(|(e, u)| {
                        let entry = &self.entries[e];
                        let last = entry.current.as_ref().or(entry.baseline.as_ref());
                        let alike = last.is_some_and(|s| s.signature == units[u].signature);
                        let o = if entry.wiped { 0 } else { overlap(&entry.range, &units[u].range) };
                        (alike, o, e, u)
                    })
                    .filter(|&(alike, o, _, _)| alike || o > 0)
                    .collect();
                // Not own text first otherwise: an edit can make one unit read as its twin did
                // (`sleep(150)` to `sleep(50)` above a `sleep(50)` that becomes `sleep(10)`).
                let rank = |&(alike, o, _, _): &(bool, usize, usize, usize)| {
                    if adrift {
                        (usize::from(alike), o)
                    } else {
                        (o, usize::from(alike))
                    }
                };
                pairs.sort_by(|a, b| rank(b).cmp(&rank(a)).then(a.2.cmp(&b.2)).then(a.3.cmp(&b.3)));
                for (_, _, e, u) in pairs {
                    if !taken[e] && owner[u].is_none() {
                        (taken[e], owner[u]) = (true, Some(e));
                    }
                }
                let left: Vec<usize> = entries.into_iter().filter(|&e| !taken[e]).collect();
                let unowned: Vec<usize> = named.into_iter().filter(|&u| owner[u].is_none()).collect();
                for (e, u) in left.into_iter().zip(unowned) {
                    (taken[e], owner[u]) = (true, Some(e));
                }
            }
        }
        // 2. By position, for units whose name changed: the entry of the same kind whose range
        // (carried through the edits) overlaps the unit's most.
        for (u, unit) in units.iter().enumerate() {
            if owner[u].is_some() {
                continue;
            }
            let found = (0..self.entries.len())
                .filter(|&e| !taken[e] && self.entries[e].current.is_some() && !self.entries[e].wiped)
                .filter(|&e| self.entries[e].current.as_ref().is_some_and(|c| c.kind == unit.kind))
                .map(|e| (e, overlap(&self.entries[e].range, &unit.range)))
                .filter(|&(_, o)| o > 0)
                .max_by_key(|&(_, o)| o);
            if let Some((e, _)) = found {
                taken[e] = true;
                owner[u] = Some(e);
            }
        }
        // 3. Entries without a unit were removed (unless a syntax error hides them); units without
        // an entry were added.
        for (e, entry) in self.entries.iter_mut().enumerate() {
            let hidden =
                || entry.current.is_some() && errors.iter().any(|error| overlap(&entry.range, error) > 0);
            if !taken[e] && !hidden() {
                entry.current = None;
                entry.name_range = entry.range.start..entry.range.start;
                entry.range = entry.name_range.clone();
            }
            entry.wiped = false;
        }
        for (u, unit) in units.iter().enumerate() {
            match owner[u] {
                Some(e) => {
                    let entry = &mut self.entries[e];
                    if !carried[u] {
                        entry.current = Some(Snapshot::of(unit));
                    }
                    entry.range = unit.range.clone();
                    entry.name_range = unit.name_range.clone();
                }
                None => self.entries.push(Entry::new(unit, None)),
            }
        }
        // Keep entries in source order, so listings read top to bottom (and step 0 above can walk
        // them beside the units).
        self.entries.sort_by_key(|e| (e.range.start, std::cmp::Reverse(e.range.end)));
        carried.iter().filter(|&&c| c).count()
    }

    /// Brings readiness up to `now`: a change is ready once its unit has gone `settle` without an
    /// edit, or the document was saved after its last edit. Returns whether any change became
    /// ready or stopped being ready.
    pub fn update_readiness(&mut self, now: Instant, settle: Duration) -> bool {
        let mut moved = false;
        for entry in &mut self.entries {
            let quiet_since = entry.last_edit;
            let saved = entry.saved;
            let broken = entry.broken;
            let Some(change) = &mut entry.change else { continue };
            let since = quiet_since.unwrap_or(change.detected);
            let ready = saved || (!broken && now.saturating_duration_since(since) >= settle);
            if ready != change.ready {
                moved = true;
                change.ready = ready;
                if ready {
                    change.prompted_at = Some(SystemTime::now());
                }
            }
        }
        moved
    }

    /// When the next change not yet ready will be, if nothing else is edited.
    pub fn next_ready_at(&self, settle: Duration) -> Option<Instant> {
        self.entries
            .iter()
            .filter(|e| !e.broken)
            .filter_map(|e| {
                let change = e.change.as_ref().filter(|c| !c.ready)?;
                Some(e.last_edit.unwrap_or(change.detected) + settle)
            })
            .min()
    }

    /// The document was saved: every pending change is ready.
    pub fn saved(&mut self) {
        for entry in &mut self.entries {
            if entry.change.is_some() {
                entry.saved = true;
            }
        }
    }

    /// Every pending change, in source order.
    pub fn pending(&self) -> impl Iterator<Item = PendingChange> + '_ {
        self.entries.iter().filter_map(Entry::pending)
    }

    pub fn find(&self, id: u64) -> Option<PendingChange> {
        self.entries.iter().find(|e| e.change.as_ref().is_some_and(|c| c.id == id))?.pending()
    }

    /// The change was explained or skipped: the unit's baseline becomes its current text.
    pub fn resolve(&mut self, id: u64) -> Option<PendingChange> {
        let index = self.entries.iter().position(|e| e.change.as_ref().is_some_and(|c| c.id == id))?;
        let resolved = self.entries[index].pending();
        let entry = &mut self.entries[index];
        entry.baseline = entry.current.clone();
        entry.reset();
        if entry.current.is_none() {
            self.entries.remove(index);
        }
        resolved
    }
}

impl Entry {
    /// An entry for a unit as it stands now, with the given baseline (`None`: it was added).
    fn new(unit: &Unit, baseline: Option<Snapshot>) -> Self {
        Self {
            baseline,
            current: Some(Snapshot::of(unit)),
            range: unit.range.clone(),
            name_range: unit.name_range.clone(),
            edits: 0,
            first_edit: None,
            last_edit: None,
            last_edit_wall: None,
            typing: Typing::default(),
            saved: false,
            broken: false,
            wiped: false,
            change: None,
        }
    }

    fn is_module(&self) -> bool {
        self.current.as_ref().or(self.baseline.as_ref()).is_some_and(|s| s.kind == UnitKind::Module)
    }

    fn touch(&mut self, edit: &EditRun) {
        self.edits += edit.count;
        self.first_edit.get_or_insert(edit.first_wall);
        self.last_edit = Some(edit.last_at);
        self.last_edit_wall = Some(edit.last_wall);
        self.typing = self.typing.then(edit.typing);
        self.saved = false;
        if let Some(change) = &mut self.change {
            change.ready = false;
        }
    }

    /// Forgets the change and its edits: the unit is at its baseline.
    fn reset(&mut self) {
        self.change = None;
        self.edits = 0;
        self.first_edit = None;
        self.last_edit = None;
        self.last_edit_wall = None;
        self.typing = Typing::default();
        self.saved = false;
    }

    fn pending(&self) -> Option<PendingChange> {
        let change = self.change.as_ref()?;
        let named = self.current.as_ref().or(self.baseline.as_ref())?;
        let kind = match (&self.baseline, &self.current) {
            (None, _) => ChangeKind::Added,
            (_, None) => ChangeKind::Removed,
            _ => ChangeKind::Modified,
        };
        let previous_name = match (&self.baseline, &self.current) {
            (Some(b), Some(c)) if b.name != c.name => Some(b.name.clone()),
            _ => None,
        };
        let text = |s: &Option<Snapshot>| s.as_ref().map_or_else(|| UnitText::owned(""), |s| s.text.clone());
        Some(PendingChange {
            id: change.id,
            name: named.name.clone(),
            kind: named.kind,
            change: kind,
            previous_name,
            ready: change.ready,
            edits: self.edits,
            edits_from: self.first_edit,
            edits_to: self.last_edit_wall,
            prompted_at: change.prompted_at,
            typing: self.typing,
            before: text(&self.baseline),
            after: text(&self.current),
            range: self.range.clone(),
            name_range: self.name_range.clone(),
        })
    }
}

/// Carries a byte range through an edit that replaced `start..old_end` with `start..new_end`.
/// Text inserted at the range's start goes before it; at its end, into it (typing at the end of a
/// function extends the function). A range end inside the replaced text moves to the end of the
/// replacement, a range start inside it to its beginning.
pub(crate) fn shift(range: &Range<usize>, start: usize, old_end: usize, new_end: usize) -> Range<usize> {
    let after = |at: usize| at + new_end - old_end;
    let s = match range.start {
        s if s >= old_end => after(s),
        s if s > start => start,
        s => s,
    };
    let e = match range.end {
        e if e >= old_end => after(e),
        e if e > start => new_end,
        e => e,
    };
    s..e.max(s)
}

fn overlap(a: &Range<usize>, b: &Range<usize>) -> usize {
    a.end.min(b.end).saturating_sub(a.start.max(b.start))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::language_named;
    use crate::text::{Document, Encoding, ParsedEdits, TextChange};

    /// A document with its pending changes, edited the way the session does it.
    struct Fixture {
        document: Document,
        pending: PendingChanges,
        ids: AtomicU64,
        language: &'static crate::syntax::Language,
    }

    impl Fixture {
        fn new(language: &str, text: &str) -> Self {
            let language = language_named(language).unwrap();
            let mut document = Document::new(text, 1, Some(language));
            let (tree, rope) = document.tree_and_rope().unwrap();
            let pending = PendingChanges::new(&crate::units::extract(language, tree, rope));
            Self { document, pending, ids: AtomicU64::new(0), language }
        }

        fn python(text: &str) -> Self {
            Self::new("python", text)
        }

        /// Replaces the first occurrence of `from` (after `nth` earlier ones) with `to`.
        fn replace(&mut self, from: &str, to: &str) {
            let text = self.document.text();
            let at = text.find(from).unwrap_or_else(|| panic!("{from:?} not in {text:?}"));
            self.edit(at, at + from.len(), to);
        }

        fn edit(&mut self, start: usize, end: usize, to: &str) {
            let rope = self.document.rope();
            let pos = |byte: usize| crate::text::from_char(rope, rope.byte_to_char(byte), Encoding::Utf8);
            let change = TextChange { range: Some((pos(start), pos(end))), text: to.into() };
            self.document.apply(&[change], Encoding::Utf8).unwrap();
        }

        /// Replaces the whole text in one change, as a resync or a client without incremental sync
        /// does: no range to carry through.
        fn replace_all(&mut self, to: &str) {
            let change = TextChange { range: None, text: to.into() };
            self.document.apply(&[change], Encoding::Utf8).unwrap();
        }

        /// Types `text` at `at`, one character at a time, refreshing after each as a request would.
        fn type_at(&mut self, mut at: usize, text: &str) {
            for ch in text.chars() {
                self.edit(at, at, &ch.to_string());
                at += ch.len_utf8();
                self.refresh();
            }
        }

        fn refresh(&mut self) {
            let ParsedEdits { edits, tree, rope, .. } = self.document.parsed_with_edits().unwrap();
            let units = crate::units::extract(self.language, tree, rope);
            let errors = crate::syntax::error_ranges(tree);
            self.pending.refresh(&edits, &units, &errors, &self.ids);
        }

        fn pending(&mut self) -> Vec<(String, ChangeKind)> {
            self.refresh();
            self.pending.pending().map(|c| (c.name, c.change)).collect()
        }
    }

    fn modified(name: &str) -> (String, ChangeKind) {
        (name.to_owned(), ChangeKind::Modified)
    }

    const SESSION: &str = "class Session:\n    def request(self, url):\n        return self.send(url)\n\n    def send(self, url):\n        pass\n\n\ndef helper():\n    return 1\n";

    #[test]
    fn a_fresh_document_has_no_pending_change() {
        assert_eq!(Fixture::python(SESSION).pending(), []);
    }

    #[test]
    fn an_edit_inside_a_method_is_a_change_to_that_method_only() {
        let mut f = Fixture::python(SESSION);
        f.replace("self.send(url)", "self.send(url, timeout=5)");
        assert_eq!(f.pending(), [modified("Session.request")]);
        let change = f.pending.pending().next().unwrap();
        assert_eq!(change.before, "def request(self, url):\n        return self.send(url)");
        assert_eq!(change.after, "def request(self, url):\n        return self.send(url, timeout=5)");
        assert_eq!(change.edits, 1);
    }

    #[test]
    fn whitespace_between_tokens_is_not_a_change() {
        let mut f = Fixture::python(SESSION);
        f.replace("return 1", "return   1");
        f.replace("(self, url):\n        return", "( self,url ):\n        return");
        assert_eq!(f.pending(), []);
    }

    #[test]
    fn a_comment_is_a_change() {
        let mut f = Fixture::python(SESSION);
        f.replace("return 1", "return 1  # the answer");
        assert_eq!(f.pending(), [modified("helper")]);
    }

    #[test]
    fn editing_back_to_the_baseline_withdraws_the_change() {
        let mut f = Fixture::python(SESSION);
        f.replace("return 1", "return 2");
        assert_eq!(f.pending(), [modified("helper")]);
        f.replace("return 2", "return 1");
        assert_eq!(f.pending(), []);
    }

    #[test]
    fn a_rename_keeps_the_identity_and_names_the_previous_name() {
        let mut f = Fixture::python(SESSION);
        // Typed one key at a time: every intermediate name is the same unit.
        let at = f.document.text().find("helper").unwrap() + "helper".len();
        f.type_at(at, "_v2");
        let changes: Vec<PendingChange> = {
            f.refresh();
            f.pending.pending().collect()
        };
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].name, "helper_v2");
        assert_eq!(changes[0].change, ChangeKind::Modified);
        assert_eq!(changes[0].previous_name.as_deref(), Some("helper"));
        assert_eq!(changes[0].edits, 3);
    }

    /// Seen replaying a real release diff: a hunk briefly renamed a class, and its own name came
    /// back with a later hunk, next to the new unit that had borrowed its place.
    #[test]
    fn a_unit_that_gets_its_old_name_back_is_itself_again() {
        let mut f = Fixture::python(SESSION);
        f.replace("def helper():", "def fallback():");
        assert_eq!(f.pending(), [modified("fallback")]);
        let end = f.document.text().len();
        f.edit(end, end, "\n\ndef helper():\n    return 1\n");
        assert_eq!(f.pending(), [("fallback".to_owned(), ChangeKind::Added)]);
    }

    #[test]
    fn renaming_a_class_changes_the_class_not_its_methods() {
        let mut f = Fixture::python(SESSION);
        f.replace("class Session", "class Client");
        let changes: Vec<PendingChange> = {
            f.refresh();
            f.pending.pending().collect()
        };
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(
            (changes[0].name.as_str(), changes[0].previous_name.as_deref()),
            ("Client", Some("Session"))
        );
    }

    #[test]
    fn a_new_function_is_added_and_a_deleted_one_removed() {
        let mut f = Fixture::python(SESSION);
        f.replace("def helper():\n    return 1\n", "");
        assert_eq!(f.pending(), [("helper".to_owned(), ChangeKind::Removed)]);
        let removed = f.pending.pending().next().unwrap();
        assert_eq!((removed.after.is_empty(), removed.before.is_empty()), (true, false));

        let mut f = Fixture::python(SESSION);
        let end = f.document.text().len();
        f.edit(end, end, "\ndef added():\n    return 2\n");
        let pending = f.pending();
        assert!(pending.contains(&("added".to_owned(), ChangeKind::Added)), "{pending:?}");
    }

    #[test]
    fn added_then_deleted_leaves_nothing() {
        let mut f = Fixture::python(SESSION);
        let end = f.document.text().len();
        f.edit(end, end, "\ndef added():\n    return 2\n");
        f.refresh();
        f.replace("\ndef added():\n    return 2\n", "");
        let pending = f.pending();
        assert!(!pending.iter().any(|(n, _)| n == "added"), "{pending:?}");
    }

    #[test]
    fn half_typed_code_does_not_lose_the_other_units() {
        let mut f = Fixture::python(SESSION);
        // An unclosed call in one method, as while typing.
        f.replace("self.send(url)", "self.send(url, ");
        let pending = f.pending();
        assert!(!pending.iter().any(|(n, c)| n == "helper" || *c == ChangeKind::Removed), "{pending:?}");
        // Nothing broken is ready to explain, however long the person pauses.
        f.pending.update_readiness(Instant::now() + Duration::from_secs(60), Duration::from_secs(3));
        assert!(f.pending.pending().all(|c| !c.ready));
        f.replace("self.send(url, ", "self.send(url, 5)");
        assert_eq!(f.pending(), [modified("Session.request")]);
    }

    #[test]
    fn getter_and_setter_of_one_name_are_two_units() {
        let mut f = Fixture::new(
            "javascript",
            "class A {\n  get x() { return this._x; }\n  set x(v) { this._x = v; }\n}\n",
        );
        f.replace("this._x = v", "this._x = Number(v)");
        let changes: Vec<PendingChange> = {
            f.refresh();
            f.pending.pending().collect()
        };
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].name, "A.x");
        assert!(changes[0].after.to_string().starts_with("set x"), "{:?}", changes[0].after);
    }

    /// From CPython's `typing` documentation and real stubs: overloads share one name.
    const OVERLOADS: &str = "\
from typing import overload


@overload
def read(path: str) -> str: ...
@overload
def read(path: bytes) -> bytes: ...
def read(path):
    return open(path).read()
";

    #[test]
    fn an_edit_to_one_of_several_same_named_units_is_a_change_to_that_one() {
        let mut f = Fixture::python(OVERLOADS);
        f.replace("return open(path).read()", "return open(path, encoding='utf-8').read()");
        let changes: Vec<PendingChange> = {
            f.refresh();
            f.pending.pending().collect()
        };
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].change, ChangeKind::Modified);
        assert!(
            changes[0].before.to_string().contains("return open(path).read()"),
            "{:?}",
            changes[0].before
        );
        assert!(changes[0].after.to_string().contains("encoding='utf-8'"), "{:?}", changes[0].after);
    }

    #[test]
    fn a_new_same_named_unit_before_the_others_is_added_and_they_are_untouched() {
        let mut f = Fixture::python(OVERLOADS);
        let at = OVERLOADS.find("@overload").unwrap();
        f.edit(at, at, "@overload\ndef read(path: int) -> str: ...\n");
        let changes: Vec<PendingChange> = {
            f.refresh();
            f.pending.pending().collect()
        };
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].change, ChangeKind::Added);
        assert!(changes[0].after.to_string().contains("path: int"), "{:?}", changes[0].after);
    }

    #[test]
    fn removing_the_first_of_a_method_defined_in_both_branches_removes_that_one() {
        let text = "class Loader:\n    if FAST:\n        def load(self):\n            return fast()\n    else:\n        def load(self):\n            return slow()\n";
        let mut f = Fixture::python(text);
        f.replace("        def load(self):\n            return fast()\n", "        pass\n");
        let changes: Vec<PendingChange> = {
            f.refresh();
            f.pending.pending().collect()
        };
        // The class's own text changed too (a method gave way to `pass`); of the two `load`s,
        // the one that went is the first.
        let loads: Vec<&PendingChange> = changes.iter().filter(|c| c.name == "Loader.load").collect();
        assert_eq!(loads.len(), 1, "{changes:?}");
        assert_eq!(loads[0].change, ChangeKind::Removed);
        assert!(loads[0].before.to_string().contains("fast()"), "{:?}", loads[0].before);
    }

    /// Seen replaying @tanstack/react-query 5.59.0 -> 5.59.16 (`useMutationState.test.tsx`) in one
    /// change of several edits: the first callback took the second's old text, the second a new
    /// one. Both were edited in place.
    #[test]
    fn a_unit_edited_to_read_as_its_twin_did_is_still_itself() {
        let text = "function Mutations() {\n  useMutation({\n    mutationFn: async () => {\n      await sleep(150)\n    },\n  })\n  useMutation({\n    mutationFn: async () => {\n      await sleep(50)\n    },\n  })\n}\n";
        let mut f = Fixture::new("javascript", text);
        f.replace("sleep(50)", "sleep(10)");
        f.replace("sleep(150)", "sleep(50)");
        let changes: Vec<PendingChange> = {
            f.refresh();
            f.pending.pending().collect()
        };
        let seen: Vec<(String, String)> =
            changes.iter().map(|c| (c.before.to_string(), c.after.to_string())).collect();
        assert_eq!(changes.len(), 2, "{seen:?}");
        assert!(seen[0].0.contains("150") && seen[0].1.contains("(50)"), "{seen:?}");
        assert!(seen[1].0.contains("(50)") && seen[1].1.contains("(10)"), "{seen:?}");
    }

    /// Seen replaying koa 3.2.0 -> 3.3.0 (`lib/response.js`) as one whole-text replacement: with
    /// no edit to carry the ranges through, the getter of `status` was paired with its setter
    /// by where they had stood before the lines added above them.
    #[test]
    fn after_a_whole_replacement_an_unchanged_getter_and_setter_are_themselves() {
        let before = "module.exports = {\n  get status() {\n    return this.res.statusCode\n  },\n\n  set status(code) {\n    this.res.statusCode = code\n  },\n\n  set body(val) {\n    this.type = 'bin'\n  }\n}\n";
        let mut f = Fixture::new("javascript", before);
        let after = format!(
            "function isSingleValueHeader(field) {{\n  return field === 'content-type'\n}}\n\n{}",
            before.replace("this.type = 'bin'", "this.type = val.type || 'bin'")
        );
        f.replace_all(&after);
        let changes: Vec<PendingChange> = {
            f.refresh();
            f.pending.pending().collect()
        };
        let names: Vec<(&str, ChangeKind)> = changes.iter().map(|c| (c.name.as_str(), c.change)).collect();
        assert_eq!(names, [("isSingleValueHeader", ChangeKind::Added), ("body", ChangeKind::Modified)]);
    }

    #[test]
    fn a_change_is_ready_after_settling_or_on_save() {
        let mut f = Fixture::python(SESSION);
        f.replace("return 1", "return 2");
        f.refresh();
        let settle = Duration::from_secs(3);
        let now = Instant::now();
        f.pending.update_readiness(now, settle);
        assert!(!f.pending.pending().next().unwrap().ready);
        assert!(f.pending.next_ready_at(settle).unwrap() <= now + settle);
        assert!(f.pending.update_readiness(now + settle, settle));
        let ready = f.pending.pending().next().unwrap();
        assert!(ready.ready && ready.prompted_at.is_some());

        // A new edit makes it wait again; a save makes it ready at once.
        f.replace("return 2", "return 3");
        f.refresh();
        f.pending.update_readiness(Instant::now(), settle);
        assert!(!f.pending.pending().next().unwrap().ready);
        f.pending.saved();
        f.pending.update_readiness(Instant::now(), settle);
        assert!(f.pending.pending().next().unwrap().ready);
    }

    #[test]
    fn resolving_moves_the_baseline() {
        let mut f = Fixture::python(SESSION);
        f.replace("return 1", "return 2");
        f.refresh();
        let id = f.pending.pending().next().unwrap().id;
        let resolved = f.pending.resolve(id).unwrap();
        assert_eq!(resolved.after, "def helper():\n    return 2");
        assert_eq!(f.pending(), []);
        assert!(f.pending.find(id).is_none());
        // Editing it again is a new change, from the new baseline, with a new id.
        f.replace("return 2", "return 3");
        f.refresh();
        let again = f.pending.pending().next().unwrap();
        assert_ne!(again.id, id);
        assert_eq!(again.before, "def helper():\n    return 2");
        assert_eq!(again.edits, 1);
    }

    #[test]
    fn units_an_incremental_extraction_carried_are_known_by_their_text_alone() {
        let text: String = (0..40).map(|i| format!("def f{i}(x):\n    return x + {i}\n\n\n")).collect();
        let language = language_named("python").unwrap();
        let mut document = Document::new(&text, 1, Some(language));
        let (tree, rope) = document.tree_and_rope().unwrap();
        let mut extraction = crate::units::extraction::Extraction::new(language, tree, rope, "");
        let mut pending = PendingChanges::new(extraction.units());
        let ids = AtomicU64::new(0);
        let mut at = text.find("x + 20\n").unwrap() + "x + 20".len();
        let mut body = "x + 20".to_owned();
        // Two rounds of typing in `f20`: the second starts from entries the first one matched.
        for typed in [" * 2", " - 1"] {
            for ch in typed.chars() {
                let rope = document.rope();
                let here = crate::text::from_char(rope, rope.byte_to_char(at), Encoding::Utf8);
                let change = TextChange { range: Some((here, here)), text: ch.to_string() };
                document.apply(&[change], Encoding::Utf8).unwrap();
                at += 1;
            }
            let ParsedEdits { edits: runs, tree, previous, rope } = document.parsed_with_edits().unwrap();
            extraction.update(language, tree, previous, rope, &runs, "");
            assert!(extraction.redid_one_unit());
            let carried = pending.refresh(&runs, extraction.units(), &[], &ids);
            // All but `f20` and the module around it, whose texts are new.
            assert_eq!(carried, 39);
            let changes: Vec<_> = pending.pending().map(|c| (c.name, c.change, c.after)).collect();
            assert_eq!(changes.len(), 1, "{changes:?}");
            assert_eq!(changes[0].0, "f20");
            body.push_str(typed);
            assert!(changes[0].2.to_string().ends_with(&body), "{changes:?}");
        }
    }

    #[test]
    fn ranges_follow_edits_before_them() {
        assert_eq!(shift(&(10..20), 0, 0, 5), 15..25);
        assert_eq!(shift(&(10..20), 12, 14, 20), 10..26);
        assert_eq!(shift(&(10..20), 25, 26, 30), 10..20);
        // Typing at the end extends the unit; typing at its start goes before it.
        assert_eq!(shift(&(10..20), 20, 20, 21), 10..21);
        assert_eq!(shift(&(10..20), 10, 10, 11), 11..21);
        // Deleting the whole unit leaves a point where it was.
        assert_eq!(shift(&(10..20), 5, 25, 5), 5..5);
    }
}
