//! What the request handlers, the text notifications and the transport share: the client, the
//! session once `initialize` has made it, the history reviewers read, and the few facts about the
//! client learnt at `initialize`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use tokio::sync::Notify;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::Uri;
use tower_lsp_server::Client;

use super::to_proto;
use super::why_client::WhyClient;
use crate::history::History;
use crate::session::{DocumentChanges, Session};

/// State shared by the request handlers and the transport.
pub struct Shared {
    pub client: Client,
    session: OnceLock<Arc<Session>>,
    shutdown: AtomicBool,
    /// The client asks for code lenses again when told to (`workspace/codeLens/refresh`).
    lens_refresh: AtomicBool,
    /// Wakes the settler: a document was edited or saved.
    edited: Notify,
    /// What the client can do with the edits why-comments need; set by `initialize`.
    why_client: OnceLock<WhyClient>,
    /// What was recorded, for reviewers and hover.
    pub history: Arc<History>,
}

impl Shared {
    pub fn new(client: Client) -> Self {
        Shared {
            client,
            session: OnceLock::new(),
            shutdown: AtomicBool::new(false),
            edited: Notify::new(),
            lens_refresh: AtomicBool::new(false),
            why_client: OnceLock::new(),
            history: Arc::default(),
        }
    }

    /// Keeps what `initialize` set up: the session and what the client can do.
    pub(super) fn initialized(&self, session: Session, why_client: WhyClient, lens_refresh: bool) {
        self.lens_refresh.store(lens_refresh, Ordering::Relaxed);
        let _ = self.why_client.set(why_client);
        // tower-lsp-server refuses a second `initialize` before it reaches us, so this is the first.
        let _ = self.session.set(Arc::new(session));
    }

    /// The session, once `initialize` has succeeded.
    pub fn session(&self) -> Option<&Arc<Session>> {
        self.session.get()
    }

    /// The session for a request: tower-lsp-server answers every request before `initialize`
    /// itself, so its absence here is the server's fault.
    pub(super) fn request_session(&self) -> Result<&Arc<Session>> {
        self.session().ok_or_else(Error::internal_error)
    }

    /// From `shutdown` on, nothing more is applied; wakes the settler so that it stops.
    pub(super) fn shut_down(&self) {
        self.shutdown.store(true, Ordering::SeqCst);
        self.edited.notify_one();
    }

    pub fn is_shut_down(&self) -> bool {
        self.shutdown.load(Ordering::SeqCst)
    }

    /// Called after every text notification. The settler must look at the document within
    /// [`crate::session::REFRESH_AFTER`]; it is woken only when it would look later than that
    /// (the session knows when it looks next), so a burst of keystrokes wakes it once, not once a
    /// keystroke (a wake is a system call, more than the rest of a keystroke costs).
    pub fn edited(&self) {
        if self.session().is_some_and(|session| session.settler_must_wake(Instant::now())) {
            self.edited.notify_one();
        }
    }

    /// Returns once a document was edited or saved (at once if it was since the last call).
    pub(super) async fn next_edit(&self) {
        self.edited.notified().await;
    }

    pub fn why_client(&self) -> WhyClient {
        self.why_client.get().copied().unwrap_or_default()
    }

    /// Publishes the diagnostics of one document: one per ready change, and the notes on its
    /// why-comments.
    pub(super) async fn publish(&self, changes: &DocumentChanges) {
        let Ok(uri) = changes.key.parse::<Uri>() else { return };
        self.client.publish_diagnostics(uri, to_proto::diagnostics(changes), None).await;
    }

    pub(super) async fn publish_all(&self, session: &Session) {
        for key in session.tracked_keys() {
            if let Some(changes) = session.ready_changes(&key) {
                self.publish(&changes).await;
            }
        }
        self.refresh_lenses();
    }

    /// Lenses follow the ready changes, but clients ask for them only after edits: tell them to
    /// ask again when the prompts changed.
    pub(super) fn refresh_lenses(&self) {
        if self.lens_refresh.load(Ordering::Relaxed) {
            // Not awaited: a client slow to answer must not hold up the prompts.
            let client = self.client.clone();
            tokio::spawn(async move { client.code_lens_refresh().await });
        }
    }

    /// Starts indexing the rationales of every workspace folder in the background, for hover.
    pub(super) fn refresh_index(&self, session: &Session) {
        let folders = session.folder_roots();
        let history = self.history.clone();
        tokio::task::spawn_blocking(move || history.index.refresh(&folders));
    }
}
