//! What the editor has been shown of the prompts, in one place: the revision of each document
//! whose prompts the settler last published (see [`super::Followed::revision`]), and when the
//! settler looks at the documents again, which decides whether an edit must wake it.
//!
//! The settler publishes a document's prompts when its revision moved since it last published
//! them, whoever moved it (the settler bringing a quiet document up to date, or a request that got
//! there first), and withdraws those of a document no longer followed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub(super) struct Shown {
    /// The revision each document's prompts were last published at.
    published: Mutex<HashMap<String, u64>>,
    /// When the settler looks again on its own, in nanoseconds since `epoch` (`u64::MAX`: not
    /// until it is woken).
    due: AtomicU64,
    epoch: Instant,
}

impl Default for Shown {
    fn default() -> Self {
        Self { published: Mutex::default(), due: AtomicU64::new(u64::MAX), epoch: Instant::now() }
    }
}

impl Shown {
    /// The settler is about to look at the documents: every edit from now on wakes it again.
    pub(super) fn looking(&self) {
        self.due.store(u64::MAX, Ordering::SeqCst);
    }

    /// The settler looks again at `at` unless woken before (`None`: only when woken).
    pub(super) fn waits_until(&self, at: Option<Instant>) {
        self.due.store(at.map_or(u64::MAX, |at| self.nanos(at)), Ordering::SeqCst);
    }

    /// A document was edited at `now`, and the settler must look at it within `within`: whether
    /// it must be woken for that, which it is only when it would look later (a wake is a system
    /// call, more than the rest of a keystroke costs).
    pub(super) fn must_wake(&self, now: Instant, within: Duration) -> bool {
        self.due.load(Ordering::SeqCst) > self.nanos(now + within)
    }

    fn nanos(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX)
    }

    /// Whether the prompts of `key`, now at `revision`, differ from what was last published (a
    /// document never published stands at revision 0).
    pub(super) fn is_behind(&self, key: &str, revision: u64) -> bool {
        self.published.lock().unwrap().get(key).copied().unwrap_or(0) != revision
    }

    /// `key` was opened again: a document starts from revision 0, which is what the editor was
    /// last shown of it, if anything.
    pub(super) fn reopened(&self, key: &str) {
        if let Some(revision) = self.published.lock().unwrap().get_mut(key) {
            *revision = 0;
        }
    }

    /// The prompts of `key` were published at `revision`.
    pub(super) fn published(&self, key: &str, revision: u64) {
        self.published.lock().unwrap().insert(key.to_owned(), revision);
    }

    /// The documents whose prompts were published and which `followed` no longer holds: they are
    /// forgotten here, and their prompts are to be withdrawn.
    pub(super) fn withdrawn(&self, followed: impl Fn(&str) -> bool) -> Vec<String> {
        let mut published = self.published.lock().unwrap();
        let gone: Vec<String> = published.keys().filter(|key| !followed(key)).cloned().collect();
        for key in &gone {
            published.remove(key);
        }
        gone
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_published_once_a_revision_and_withdrawn_once_gone() {
        let shown = Shown::default();
        // Nothing moved in a document just opened: nothing to show.
        assert!(!shown.is_behind("a", 0));
        assert!(shown.is_behind("a", 1));
        shown.published("a", 1);
        assert!(!shown.is_behind("a", 1));
        assert!(shown.withdrawn(|key| key == "a").is_empty());
        assert_eq!(shown.withdrawn(|_| false), ["a"]);
        // Withdrawn once, and a document never published is never withdrawn.
        assert!(shown.withdrawn(|_| false).is_empty());
    }

    #[test]
    fn an_edit_wakes_the_settler_only_when_it_would_look_too_late() {
        let shown = Shown::default();
        let (now, within) = (Instant::now(), Duration::from_millis(100));
        assert!(shown.must_wake(now, within), "a settler waiting for an edit is woken");
        shown.waits_until(Some(now + Duration::from_millis(50)));
        assert!(!shown.must_wake(now, within));
        shown.waits_until(Some(now + Duration::from_secs(5)));
        assert!(shown.must_wake(now, within));
        shown.looking();
        assert!(shown.must_wake(now, within));
    }
}
