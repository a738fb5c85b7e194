//! Every method Rationale answers and the handler that answers it, in one place: the
//! notifications applied in order, the protocol's requests, the `rationale/*` requests and the
//! commands of `workspace/executeCommand`. A handler takes the server and the method's
//! parameters, and lives beside what it touches; to add a method, add its line here.
//!
//! tower-lsp-server routes the protocol's own methods through its `LanguageServer` trait, so
//! their lines are that trait's methods, each one call. The ordered notifications never reach it:
//! `dispatch` applies them itself, before it reads the next message.

use std::sync::Arc;

use serde_json::Value;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{ClientSocket, LanguageServer, LspService};

use super::backend::{self, Backend};
use super::names::*;
use super::shared::Shared;
use super::{commands, errors, prompts, reviewer, text_sync, why};
use crate::session::Session;

/// The server with its requests routed: the protocol's through [`LanguageServer`] below, and the
/// `rationale/*` requests.
pub fn service() -> (LspService<Backend>, ClientSocket) {
    LspService::build(Backend::new)
        .custom_method(PENDING_CHANGES, prompts::pending_changes)
        .custom_method(CHANGE_TEXTS, prompts::change_texts)
        .custom_method(SESSIONS, reviewer::sessions)
        .custom_method(TIMELINE, reviewer::timeline)
        .custom_method(REPLAY, reviewer::replay)
        .custom_method(REVIEW, reviewer::review)
        .custom_method(REVIEW_QUEUE, reviewer::review_queue)
        .finish()
}

/// A notification applied in order; what it returns as an error is logged (a notification has no
/// answer, and the next save resyncs whatever was lost).
pub type Ordered = fn(&Arc<Shared>, &Session, Value) -> std::result::Result<(), String>;

/// The notifications that must be applied in the order they arrive: the four text notifications,
/// and the workspace changes that decide which documents are tracked (an editor opens a file
/// right after adding its folder).
pub fn ordered(method: &str) -> Option<Ordered> {
    Some(match method {
        "textDocument/didOpen" => text_sync::did_open,
        "textDocument/didChange" => text_sync::did_change,
        "textDocument/didSave" => text_sync::did_save,
        "textDocument/didClose" => text_sync::did_close,
        "workspace/didChangeWorkspaceFolders" => text_sync::did_change_workspace_folders,
        "workspace/didChangeConfiguration" => text_sync::did_change_configuration,
        _ => return None,
    })
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        backend::initialize(self, params).await
    }

    async fn initialized(&self, params: InitializedParams) {
        backend::initialized(self, params).await
    }

    async fn shutdown(&self) -> Result<()> {
        backend::shutdown(self).await
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        reviewer::hover(self, params).await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        prompts::code_action(self, params).await
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        prompts::code_lens(self, params).await
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<Value>> {
        let session = self.shared.request_session()?;
        let arguments = params.arguments;
        let answer = match params.command.as_str() {
            RECORD => commands::record(session, arguments),
            SKIP => commands::skip(session, arguments),
            EXPLAIN => why::explain(&self.shared, session, arguments).await,
            other => Err(errors::invalid_params(format!("Rationale has no command `{other}`"))),
        };
        if answer.is_ok() {
            commands::done(&self.shared, session).await;
        }
        answer
    }
}
