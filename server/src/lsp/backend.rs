//! The `LanguageServer` implementation: lifecycle, capabilities and workspace events. Text
//! notifications never reach it (see `text_sync`); requests do, concurrently.

use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use super::history::{ReplayParams, ReviewParams, SessionsParams, TimelineParams};
use super::shared::Shared;
use super::why_client::WhyClient;
use super::{commands, convert, history, prompts, why};
use crate::journal::record::NameVersion;
use crate::journal::EndReason;
use crate::session::{Identity, Level, Notice, Notices, Session, Settled};

/// Brings documents up to date once they go quiet and publishes diagnostics as changes become
/// ready; withdraws the diagnostics of documents that were closed. What was published, and when
/// to look again, the session keeps (see [`Session::settle`]).
async fn settle(shared: Arc<Shared>, session: Arc<Session>) {
    while !shared.is_shut_down() {
        let Settled { publish, withdraw, next } = session.settle(Instant::now());
        for changes in &publish {
            shared.publish(changes).await;
        }
        if !publish.is_empty() {
            shared.refresh_lenses();
        }
        for changes in &withdraw {
            shared.publish(changes).await;
        }
        let wait = async {
            match next {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = shared.next_edit() => {}
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
        Self { shared: Arc::new(Shared::new(client)), runtime: tokio::runtime::Handle::current() }
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

/// The `rationale/*` requests; the reviewer's are answered in `history`.
impl Backend {
    fn session(&self) -> Result<&Arc<Session>> {
        self.shared.request_session()
    }

    pub async fn sessions(&self, params: SessionsParams) -> Result<Value> {
        history::sessions(&self.shared, params).await
    }

    pub async fn timeline(&self, params: TimelineParams) -> Result<Value> {
        history::timeline(&self.shared, params).await
    }

    pub async fn replay(&self, params: ReplayParams) -> Result<Value> {
        history::replay(&self.shared, params).await
    }

    pub async fn review(&self, params: ReviewParams) -> Result<Value> {
        history::review(&self.shared, params).await
    }

    /// `rationale/pendingChanges {"uri"?}`: every pending change of one document or of all.
    pub async fn pending_changes(&self, params: PendingChangesParams) -> Result<Value> {
        let session = self.session()?;
        let documents = session.pending_changes(params.uri.as_ref().map(|u| u.as_str()));
        if let (Some(uri), true) = (&params.uri, documents.is_empty()) {
            return Err(tower_lsp_server::jsonrpc::Error::invalid_params(format!(
                "{} is not a document Rationale follows (it is not open, or not in a workspace \
                 folder, or not in a language Rationale reads, or excluded)",
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

    /// `rationale/changeTexts {"changeId"}`: both texts of a pending change, whatever their size.
    pub async fn change_texts(&self, params: ChangeTextsParams) -> Result<Value> {
        let session = self.session()?;
        let (before, after) = session
            .change_texts(&params.change_id)
            .map_err(|refusal| tower_lsp_server::jsonrpc::Error::invalid_params(refusal.to_string()))?;
        Ok(serde_json::json!({ "before": before.to_string(), "after": after.to_string() }))
    }
}

#[derive(serde::Deserialize)]
pub struct PendingChangesParams {
    uri: Option<Uri>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeTextsParams {
    change_id: String,
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
        let why_client = WhyClient::of(&params.capabilities);
        let folders = convert::workspace_folders(&params);
        tracing::info!("session {} with {} folder(s), {}", identity.id, folders.len(), encoding.as_str());
        let session = Session::new(identity, folders, settings, self.notices());
        self.shared.initialized(session, why_client, lens_refresh);

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
            self.shared.refresh_index(session);
        }
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        history::hover(&self.shared, params).await
    }

    async fn shutdown(&self) -> Result<()> {
        self.shared.shut_down();
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
            self.shared.refresh_index(session);
            self.shared.publish_all(session).await;
        }
        result
    }
}
