//! Dispatch in arrival order: each body read off the wire becomes a request, a response to one of
//! ours, or an error to send back, and goes where `routes` says.
//!
//! Rationale reads the stream itself rather than through `tower_lsp_server::Server`, for two
//! reasons the spec cares about:
//! - order: the ordered notifications are applied here, synchronously, before the next message is
//!   read; request handlers then run concurrently on the runtime (interleaved at their awaits);
//! - bad input: that server stops reading after the first malformed message. Here a malformed
//!   message gets its error and the next one is read; a handler that panics gets an error answer.

use futures::{FutureExt, SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncBufRead, AsyncWrite};
use tokio::sync::{mpsc, oneshot};
use tower::Service;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Id, Request, Response};
use tower_lsp_server::{ClientSocket, LspService};

use super::backend::Backend;
use super::errors::error;
use super::shared::Shared;
use super::transport::{read_frame, write_frames, Ending, Frame, Outgoing};
use super::{routes, text_sync};

/// Serves the language server on `input` and `output` until `exit`, the end of the input, or a
/// fatal framing error.
pub async fn serve<I, O>(input: I, output: O, service: LspService<Backend>, socket: ClientSocket) -> Ending
where
    I: AsyncBufRead + Unpin,
    O: AsyncWrite + Unpin + Send + 'static,
{
    let (out, outgoing) = mpsc::unbounded_channel();
    let writer = tokio::spawn(write_frames(output, outgoing));
    let (mut to_client, mut client_responses) = socket.split();
    let forward = out.clone();
    tokio::spawn(async move {
        while let Some(request) = to_client.next().await {
            if forward.send(Outgoing::Message(to_body(&request))).is_err() {
                break;
            }
        }
    });

    let shared = service.inner().shared().clone();
    let ending = read_messages(input, service, &shared, &out, &mut client_responses).await;

    let (flushed, wait) = oneshot::channel();
    if out.send(Outgoing::Flush(flushed)).is_ok() {
        let _ = wait.await;
    }
    drop(writer);
    ending
}

async fn read_messages<I: AsyncBufRead + Unpin>(
    mut input: I,
    mut service: LspService<Backend>,
    shared: &std::sync::Arc<Shared>,
    out: &mpsc::UnboundedSender<Outgoing>,
    client_responses: &mut (impl futures::Sink<Response> + Unpin),
) -> Ending {
    loop {
        let body = match read_frame(&mut input).await {
            Ok(Frame::Body(body)) => body,
            Ok(Frame::Bad(message)) => {
                tracing::warn!("{message}");
                reply(out, Id::Null, error(ErrorCode::ParseError, message));
                continue;
            }
            Ok(Frame::End(ending)) => return ending,
            Err(err) => return Ending::Fatal(format!("cannot read the input: {err}")),
        };
        if let (Some(session), Some(keystroke)) = (in_order(shared), text_sync::keystroke(&body)) {
            apply_in_order(shared, "textDocument/didChange", || {
                text_sync::apply_keystroke(session, keystroke)
            });
            continue;
        }
        let request = match classify(&body) {
            Incoming::Request(request) => request,
            Incoming::Response(response) => {
                let _ = client_responses.send(response).await;
                continue;
            }
            Incoming::Invalid(id, err) => {
                tracing::warn!("{}", err.message);
                reply(out, id, err);
                continue;
            }
        };

        if let (None, Some(apply), Some(session)) =
            (request.id(), routes::ordered(request.method()), in_order(shared))
        {
            let (method, _, params) = request.into_parts();
            apply_in_order(shared, &method, || {
                if let Err(problem) = apply(shared, session, params.unwrap_or(Value::Null)) {
                    tracing::warn!("{method}: {problem}");
                }
            });
            continue;
        }

        let exit = request.method() == "exit";
        // `shutdown` takes effect when it is read, not when its handler gets to run: nothing read
        // after it is applied, and an `exit` right behind it (sent without waiting for the
        // answer, as the fuzzer found) still exits with 0.
        if request.method() == "shutdown" && shared.session().is_some() {
            shared.shut_down();
        }
        if futures::future::poll_fn(|cx| service.poll_ready(cx)).await.is_err() {
            return Ending::Exit;
        }
        let id = request.id().cloned();
        let method = request.method().to_owned();
        let handled = std::panic::AssertUnwindSafe(service.call(request)).catch_unwind();
        let out = out.clone();
        tokio::spawn(async move {
            let response = match handled.await {
                Ok(Ok(response)) => response,
                Ok(Err(_exited)) => None,
                Err(_panic) => {
                    tracing::error!("the handler of {method} panicked");
                    id.map(|id| {
                        Response::from_error(
                            id,
                            error(
                                ErrorCode::InternalError,
                                format!("{method} failed inside the server; see its log"),
                            ),
                        )
                    })
                }
            };
            if let Some(response) = response {
                let _ = out.send(Outgoing::Message(to_body(&response)));
            }
        });
        if exit {
            return Ending::Exit;
        }
    }
}

/// The session, when text notifications are to be applied in order (not after `shutdown`).
fn in_order(shared: &std::sync::Arc<Shared>) -> Option<&std::sync::Arc<crate::session::Session>> {
    shared.session().filter(|_| !shared.is_shut_down())
}

/// Applies a text notification before the next message is read.
fn apply_in_order(shared: &Shared, method: &str, apply: impl FnOnce()) {
    // A bug must not take the editor's session down with it: log it and read on.
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(apply)).is_err() {
        tracing::error!("{method} panicked; the next save resyncs the document");
    }
    shared.edited();
}

enum Incoming {
    Request(Request),
    Response(Response),
    Invalid(Id, Error),
}

/// Sorts a body into a request (or notification), a response to one of ours, or an error to send.
fn classify(body: &[u8]) -> Incoming {
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(err) => {
            return Incoming::Invalid(
                Id::Null,
                error(ErrorCode::ParseError, format!("malformed JSON: {err}")),
            )
        }
    };
    let id = value.get("id").and_then(|id| serde_json::from_value::<Id>(id.clone()).ok()).unwrap_or(Id::Null);
    let invalid = |why: String| Incoming::Invalid(id.clone(), error(ErrorCode::InvalidRequest, why));
    let Some(object) = value.as_object() else {
        return invalid("a message must be a JSON object".into());
    };
    if object.contains_key("method") {
        return match serde_json::from_value(value) {
            Ok(request) => Incoming::Request(request),
            Err(err) => invalid(format!("not a valid JSON-RPC request: {err}")),
        };
    }
    if object.contains_key("result") || object.contains_key("error") {
        return match serde_json::from_value(value) {
            Ok(response) => Incoming::Response(response),
            Err(err) => invalid(format!("not a valid JSON-RPC response: {err}")),
        };
    }
    invalid("a message needs a method, a result or an error".into())
}

fn reply(out: &mpsc::UnboundedSender<Outgoing>, id: Id, err: Error) {
    let _ = out.send(Outgoing::Message(to_body(&Response::from_error(id, err))));
}

fn to_body(message: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(message).expect("protocol messages always serialise")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_sorted_into_requests_responses_and_errors() {
        assert!(matches!(classify(br#"{"jsonrpc":"2.0","id":1,"method":"x"}"#), Incoming::Request(_)));
        assert!(matches!(classify(br#"{"jsonrpc":"2.0","id":1,"result":null}"#), Incoming::Response(_)));
        let code = |body: &[u8]| match classify(body) {
            Incoming::Invalid(id, err) => (id, err.code),
            _ => panic!("expected an error for {}", String::from_utf8_lossy(body)),
        };
        assert_eq!(code(b"{not json"), (Id::Null, ErrorCode::ParseError));
        assert_eq!(
            code(br#"{"jsonrpc":"2.0","id":1,"method":"x","params":"\ud800"}"#),
            (Id::Null, ErrorCode::ParseError)
        );
        assert_eq!(code(br#"[1,2]"#), (Id::Null, ErrorCode::InvalidRequest));
        assert_eq!(code(br#"{"jsonrpc":"2.0","id":7}"#), (Id::Number(7), ErrorCode::InvalidRequest));
        assert_eq!(
            code(br#"{"jsonrpc":"1.0","id":7,"method":"x"}"#),
            (Id::Number(7), ErrorCode::InvalidRequest)
        );
    }
}
