//! The `LanguageServer` implementation: lifecycle, capabilities and workspace events. Text
//! notifications never reach it (see `text_sync`); requests do, concurrently.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use serde_json::Value;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use super::convert;
use crate::journal::record::NameVersion;
use crate::session::{Identity, Level, Notice, Notices, Session};

/// State shared by the request handlers and the transport.
pub struct Shared {
    pub client: Client,
    session: OnceLock<Arc<Session>>,
    shutdown: AtomicBool,
}

impl Shared {
    /// The session, once `initialize` has succeeded.
    pub fn session(&self) -> Option<&Arc<Session>> {
        self.session.get()
    }

    pub fn is_shut_down(&self) -> bool {
        self.shutdown.load(Ordering::SeqCst)
    }
}

pub struct Backend {
    shared: Arc<Shared>,
    runtime: tokio::runtime::Handle,
}

impl Backend {
    pub fn new(client: Client) -> Self {
        let shared = Shared { client, session: OnceLock::new(), shutdown: AtomicBool::new(false) };
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
        let folders = convert::workspace_folders(&params);
        tracing::info!("session {} with {} folder(s), {}", identity.id, folders.len(), encoding.as_str());
        let session = Session::new(identity, folders, settings, self.notices());
        // tower-lsp-server refuses a second `initialize` before it reaches us, so this is the first.
        let _ = self.shared.session.set(Arc::new(session));

        Ok(InitializeResult {
            capabilities: ServerCapabilities {
                position_encoding: Some(convert::encoding(encoding)),
                text_document_sync: Some(TextDocumentSyncCapability::Options(
                    TextDocumentSyncOptions {
                        open_close: Some(true),
                        change: Some(TextDocumentSyncKind::INCREMENTAL),
                        save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                            include_text: Some(true),
                        })),
                        ..Default::default()
                    },
                )),
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

    async fn shutdown(&self) -> Result<()> {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        Ok(())
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        let Some(session) = self.shared.session() else { return };
        // VS Code sends `{"rationale": {...}}`; other clients send the settings themselves.
        let settings = match params.settings {
            Value::Object(mut map) if map.contains_key("rationale") => map.remove("rationale").unwrap(),
            other => other,
        };
        if settings.is_object() {
            session.set_editor_settings(settings);
        }
    }

    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        let Some(session) = self.shared.session() else { return };
        for folder in params.event.removed.iter().filter_map(|f| convert::file_path(&f.uri)) {
            session.remove_folder(&folder);
        }
        for folder in params.event.added.iter().filter_map(|f| convert::file_path(&f.uri)) {
            session.add_folder(folder);
        }
    }
}
