//! The errors Rationale answers with, each built here once: the core says what went wrong in its
//! own words ([`Refusal`], [`HistoryError`]) and this module picks the JSON-RPC code for it.

use tower_lsp_server::jsonrpc::{Error, ErrorCode};

use crate::history::HistoryError;
use crate::session::Refusal;

/// -32602: the request's parameters are at fault; `message` says how.
pub fn invalid_params(message: impl Into<String>) -> Error {
    error(ErrorCode::InvalidParams, message)
}

/// -32600: the request cannot be served as asked; `message` says what to do instead.
pub fn invalid_request(message: impl Into<String>) -> Error {
    error(ErrorCode::InvalidRequest, message)
}

/// RequestFailed (-32803): the request was fine, but a file it needed could not be read or
/// written; `message` names the file and line.
pub fn request_failed(message: impl Into<String>) -> Error {
    error(ErrorCode::ServerError(-32803), message)
}

/// A pending change that could not be explained or skipped: the request's fault (-32602), unless
/// the record could not be put on disk (RequestFailed, naming the journal and the error).
pub fn refused(refusal: Refusal) -> Error {
    match refusal {
        Refusal::NotRecorded(_) => request_failed(refusal.to_string()),
        _ => invalid_params(refusal.to_string()),
    }
}

/// A reviewer's request that could not be answered: a fault of the request is -32602; a journal
/// or store that cannot be read or written is RequestFailed, with the file and line.
pub fn history(err: HistoryError) -> Error {
    if err.is_bad_request() {
        invalid_params(err.to_string())
    } else {
        request_failed(err.to_string())
    }
}

/// Any other error the server answers with.
pub fn error(code: ErrorCode, message: impl Into<String>) -> Error {
    Error { code, message: message.into().into(), data: None }
}
