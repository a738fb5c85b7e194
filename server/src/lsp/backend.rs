//! The `LanguageServer` implementation: lifecycle, capabilities and workspace events. Text
//! notifications never reach it (see `text_sync`); requests do, concurrently.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use serde_json::Value;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use std::collections::HashSet;
use std::time::Instant;

use super::{commands, convert, history, prompts, why};
use crate::history::History;
use crate::journal::record::NameVersion;
use crate::journal::EndReason;
use crate::session::{DocumentChanges, Identity, Level, Notice, Notices, Session};

/// State shared by the request handlers and the transport.
pub struct Shared {
    pub client: Client,
    session: OnceLock<Arc<Session>>,
    shutdown: AtomicBool,
    /// The client asks for code lenses again when told to (`workspace/codeLens/refresh`).
    lens_refresh: AtomicBool,
    /// Wakes the settler: a document was edited or saved.
    edited: tokio::sync::Notify,
    /// What the client can do with the edits why-comments need; set by `initialize`.
    why_client: OnceLock<why::WhyClient>,
    /// What was recorded, for reviewers and hover.
    pub history: Arc<History>,
}

impl Shared {
    /// The session, once `initialize` has succeeded.
    pub fn session(&self) -> Option<&Arc<Session>> {
        self.session.get()
    }

    pub fn is_shut_down(&self) -> bool {
        self.shutdown.load(Ordering::SeqCst)
    }

    /// Called after every text notification; cheap, it only wakes the settler.
    pub fn edited(&self) {
        self.edited.notify_one();
    }

    pub fn why_client(&self) -> why::WhyClient {
        self.why_client.get().copied().unwrap_or_default()
    }

    /// Publishes the diagnostics of one document: one per ready change, and the notes on its
    /// why-comments.
    pub(super) async fn publish(&self, changes: &DocumentChanges) {
        let Ok(uri) = changes.key.parse::<Uri>() else { return };
        let prompts = changes.changes.iter().map(prompts::diagnostic);
        let diagnostics = prompts.chain(changes.notes.iter().map(why::diagnostic)).collect();
        self.client.publish_diagnostics(uri, diagnostics, None).await;
    }

    async fn publish_all(&self, session: &Session) {
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
}

/// Brings documents up to date once they go quiet and publishes diagnostics as changes become
/// ready; withdraws the diagnostics of documents that were closed.
async fn settle(shared: Arc<Shared>, session: Arc<Session>) {
    let mut shown: HashSet<String> = HashSet::new();
    while !shared.is_shut_down() {
        let (updates, next) = session.settle(Instant::now());
        for changes in &updates {
            shared.publish(changes).await;
            shown.insert(changes.key.clone());
        }
        if !updates.is_empty() {
            shared.refresh_lenses();
        }
        let closed: Vec<String> = shown.iter().filter(|k| !session.is_tracked(k)).cloned().collect();
        for key in closed {
            shown.remove(&key);
            shared.publish(&DocumentChanges::none(key)).await;
        }
        let wait = async {
            match next {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = shared.edited.notified() => {}
            () = wait => {}
        }
    }
}

pub struct Backend {
    shared: Arc<Shared>,
    runtime: tokio::runtime::Handle,
}

impl Backend {
    pub fn new(client: Client) -> Self {
        let shared = Shared {
            client,
            session: OnceLock::new(),
            shutdown: AtomicBool::new(false),
            edited: tokio::sync::Notify::new(),
            lens_refresh: AtomicBool::new(false),
            why_client: OnceLock::new(),
            history: Arc::default(),
        };
        Self { shared: Arc::new(shared), runtime: tokio::runtime::Handle::current() }
    }

    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Notices become `window/showMessage`. They may come from the journal's own thread, so they
    /// are sent from a task on the runtime rather than awaited where they arise.
    fn notices(&self) -> Notices {
        let client = self.shared.client.clone();
        let runtime = self.runtime.clone();
        Arc::new(move |notice: Notice| {
            let client = client.clone();
            let kind = match notice.level {
                Level::Error => MessageType::ERROR,
                Level::Warning => MessageType::WARNING,
            };
            tracing::warn!("{}", notice.message);
            runtime.spawn(async move { client.show_message(kind, notice.message).await });
        })
    }
}

/// The editor's settings in `initializationOptions`: everything but the plugin's own
/// `clientCommands`.
fn settings_of(options: Option<&Value>) -> Option<Value> {
    let mut settings = options?.as_object()?.clone();
    settings.remove("clientCommands");
    Some(Value::Object(settings))
}

impl Backend {
    pub(super) fn session(&self) -> Result<&Arc<Session>> {
        self.shared.session().ok_or_else(tower_lsp_server::jsonrpc::Error::internal_error)
    }

    /// `rationale/pendingChanges {"uri"?}`: every pending change of one document or of all.
    pub async fn pending_changes(&self, params: PendingChangesParams) -> Result<Value> {
        let session = self.session()?;
        let documents = session.pending_changes(params.uri.as_ref().map(|u| u.as_str()));
        if let (Some(uri), true) = (&params.uri, documents.is_empty()) {
            return Err(tower_lsp_server::jsonrpc::Error::invalid_params(format!(
                "{} is not a document Rationale tracks (it is not open, or not in a workspace \
                 folder, or not Python or JavaScript, or excluded)",
                uri.as_str()
            )));
        }
        let changes: Vec<Value> = documents
            .iter()
            .flat_map(|doc| doc.changes.iter().map(|view| prompts::pending_json(&doc.key, view)))
            .collect();
        // The document's folder's minimum; for all documents, the strictest of the folders whose
        // changes are listed, since one rationale may be sent for several of them at once.
        let min_rationale_chars = documents
            .iter()
            .filter(|doc| params.uri.is_some() || !doc.changes.is_empty())
            .map(|doc| doc.min_rationale_chars)
            .max()
            .unwrap_or_else(|| session.min_rationale_chars());
        Ok(serde_json::json!({ "changes": changes, "minRationaleChars": min_rationale_chars }))
    }
}

#[derive(serde::Deserialize)]
pub struct PendingChangesParams {
    uri: Option<Uri>,
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let encoding = convert::negotiate_encoding(&params.capabilities);
        let client = params
            .client_info
            .as_ref()
            .map(|info| NameVersion { name: info.name.clone(), version: info.version.clone() })
            .unwrap_or_else(|| NameVersion { name: "unknown".into(), version: None });
        let identity = Identity { id: crate::store::new_session_id(), encoding, client };
        let settings = settings_of(params.initialization_options.as_ref());
        let client_commands: Vec<String> = params
            .initialization_options
            .as_ref()
            .and_then(|options| options.get("clientCommands"))
            .and_then(|commands| serde_json::from_value(commands.clone()).ok())
            .unwrap_or_default();
        // The plugin's own commands are left out, so that its client does not register them twice.
        let commands = [prompts::RECORD, prompts::SKIP, prompts::EXPLAIN]
            .into_iter()
            .filter(|command| !client_commands.iter().any(|c| c == command))
            .map(String::from)
            .collect();
        let lens_refresh = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|workspace| workspace.code_lens.as_ref())
            .and_then(|lens| lens.refresh_support)
            .unwrap_or(false);
        self.shared.lens_refresh.store(lens_refresh, Ordering::Relaxed);
        let _ = self.shared.why_client.set(why::WhyClient::of(&params.capabilities));
        let folders = convert::workspace_folders(&params);
        tracing::info!("session {} with {} folder(s), {}", identity.id, folders.len(), encoding.as_str());
        let session = Session::new(identity, folders, settings, self.notices());
        // tower-lsp-server refuses a second `initialize` before it reaches us, so this is the first.
        let _ = self.shared.session.set(Arc::new(session));

        Ok(InitializeResult {
            capabilities: ServerCapabilities {
                position_encoding: Some(convert::encoding(encoding)),
                text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(TextDocumentSyncKind::INCREMENTAL),
                    save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                        include_text: Some(true),
                    })),
                    ..Default::default()
                })),
                code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
                    code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
                    ..Default::default()
                })),
                code_lens_provider: Some(CodeLensOptions { resolve_provider: Some(false) }),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                execute_command_provider: Some(ExecuteCommandOptions { commands, ..Default::default() }),
                workspace: Some(WorkspaceServerCapabilities {
                    workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                        supported: Some(true),
                        change_notifications: Some(OneOf::Left(true)),
                    }),
                    file_operations: None,
                }),
                ..Default::default()
            },
            server_info: Some(ServerInfo {
                name: "rationale".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        if let Some(session) = self.shared.session() {
            tokio::spawn(settle(self.shared.clone(), session.clone()));
            history::refresh_index(session, &self.shared.history);
        }
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        self.hover_rationales(params).await
    }

    async fn shutdown(&self) -> Result<()> {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        self.shared.edited();
        // Nothing reaches the journals after `shutdown`, and some clients (eglot) kill the server
        // as soon as they have sent `exit`: the journals end now, before the answer.
        if let Some(session) = self.shared.session() {
            let session = session.clone();
            let _ = tokio::task::spawn_blocking(move || session.end(EndReason::Shutdown)).await;
        }
        Ok(())
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let session = self.session()?;
        let uri = params.text_document.uri;
        let Some(changes) = session.pending_changes(Some(uri.as_str())).pop() else {
            return Ok(None);
        };
        Ok(Some(prompts::code_actions(&changes.changes, &uri, params.range)))
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        let session = self.session()?;
        let uri = params.text_document.uri;
        if !session.codelens(uri.as_str()) {
            return Ok(None);
        }
        let Some(changes) = session.ready_changes(uri.as_str()) else { return Ok(None) };
        Ok(Some(prompts::code_lenses(&changes.changes, &uri)))
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<Value>> {
        let session = self.session()?;
        let result = match params.command.as_str() {
            // Only reaches the server from an editor without a Rationale plugin.
            prompts::EXPLAIN => why::explain(&self.shared, session, params.arguments).await,
            _ => commands::execute(session, &params.command, params.arguments),
        };
        if result.is_ok() {
            // The explained change's diagnostic goes at once, and hover shows its rationale.
            history::refresh_index(session, &self.shared.history);
            self.shared.publish_all(session).await;
        }
        result
    }
}
