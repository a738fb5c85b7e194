//! The server as tower-lsp-server holds it, and its lifecycle: `initialize` (the session and the
//! capabilities), `initialized` (the settler, which publishes prompts as changes become ready)
//! and `shutdown`. Which method reaches which handler is `routes`'.

use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::Client;

use super::names::COMMANDS;
use super::shared::Shared;
use super::why_client::WhyClient;
use super::{from_proto, to_proto};
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

/// The server: what its handlers share.
pub struct Backend {
    pub(super) shared: Arc<Shared>,
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
                Level::Info => MessageType::INFO,
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

/// `initialize`: makes the session and says what the server can do.
pub async fn initialize(server: &Backend, params: InitializeParams) -> Result<InitializeResult> {
    let encoding = from_proto::negotiate_encoding(&params.capabilities);
    let client = params
        .client_info
        .as_ref()
        .map(|info| NameVersion { name: info.name.clone(), version: info.version.clone() })
        .unwrap_or_else(|| NameVersion { name: "unknown".into(), version: None });
    let identity = Identity { id: crate::journal::new_session_id(), encoding, client };
    let settings = settings_of(params.initialization_options.as_ref());
    let client_commands: Vec<String> = params
        .initialization_options
        .as_ref()
        .and_then(|options| options.get("clientCommands"))
        .and_then(|commands| serde_json::from_value(commands.clone()).ok())
        .unwrap_or_default();
    // The plugin's own commands are left out, so that its client does not register them twice.
    let commands = COMMANDS
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
    let folders = from_proto::workspace_folders(&params);
    tracing::info!("session {} with {} folder(s), {}", identity.id, folders.len(), encoding.as_str());
    let history = server.shared.history.clone();
    let session = Session::new(identity, folders, settings, server.notices()).finding_duplicates_with(
        Arc::new(move |folder, author, text| history.index.duplicate_of(folder, author, text)),
    );
    server.shared.initialized(session, why_client, lens_refresh);

    Ok(InitializeResult {
        capabilities: ServerCapabilities {
            position_encoding: Some(to_proto::encoding(encoding)),
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

/// `initialized`: the settler starts, and so does indexing the rationales for hover.
pub async fn initialized(server: &Backend, _: InitializedParams) {
    if let Some(session) = server.shared.session() {
        tokio::spawn(settle(server.shared.clone(), session.clone()));
        server.shared.refresh_index(session);
    }
}

/// `shutdown`: nothing more is applied, and the journals end.
pub async fn shutdown(server: &Backend) -> Result<()> {
    server.shared.shut_down();
    // Nothing reaches the journals after `shutdown`, and some clients (eglot) kill the server
    // as soon as they have sent `exit`: the journals end now, before the answer.
    if let Some(session) = server.shared.session() {
        let session = session.clone();
        let _ = tokio::task::spawn_blocking(move || session.end(EndReason::Shutdown)).await;
    }
    Ok(())
}
