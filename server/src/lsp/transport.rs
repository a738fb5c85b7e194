//! The wire: `Content-Length` framing over a byte stream, and dispatch in arrival order.
//!
//! Rationale reads the stream itself rather than through `tower_lsp_server::Server`, for two
//! reasons the spec cares about:
//! - order: text notifications are applied here, synchronously, before the next message is read;
//!   request handlers then run concurrently on the runtime (interleaved at their awaits);
//! - bad input: that server stops reading after the first malformed message, and would allocate
//!   whatever `Content-Length` claims. Here a malformed message gets its error and the next one is
//!   read; a `Content-Length` over [`MAX_CONTENT_LENGTH`] ends the process (the stream cannot be
//!   trusted after it) without allocating it.

use futures::{FutureExt, SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};
use tower::Service;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Id, Request, Response};
use tower_lsp_server::{ClientSocket, LspService};

use super::backend::Backend;
use super::shared::Shared;
use super::text_sync;

pub const MAX_CONTENT_LENGTH: usize = 64 * 1024 * 1024;
/// Longer header lines are garbage, not headers; they are skipped without being kept.
const MAX_HEADER_LINE: usize = 8 * 1024;

/// How reading ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ending {
    /// `exit` arrived.
    Exit,
    /// The input closed.
    EndOfInput,
    /// The framing became untrustworthy; the message says why.
    Fatal(String),
}

/// One frame read off the stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    Body(Vec<u8>),
    /// A frame whose header could not be used; it is answered with a parse error.
    Bad(String),
    End(Ending),
}

enum Line {
    Text,
    TooLong,
    Eof,
}

/// Reads one line (without its `\n`) into `line`, keeping at most [`MAX_HEADER_LINE`] bytes.
async fn read_line<R: AsyncBufRead + Unpin>(input: &mut R, line: &mut Vec<u8>) -> std::io::Result<Line> {
    let mut too_long = false;
    loop {
        let available = input.fill_buf().await?;
        if available.is_empty() {
            return Ok(Line::Eof);
        }
        let (taken, done) = match memchr(available) {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        let room = MAX_HEADER_LINE.saturating_sub(line.len());
        let content = &available[..if done { taken - 1 } else { taken }];
        too_long |= content.len() > room;
        line.extend_from_slice(&content[..content.len().min(room)]);
        input.consume(taken);
        if done {
            return Ok(if too_long { Line::TooLong } else { Line::Text });
        }
    }
}

fn memchr(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

/// Reads the next frame: a header block (only `Content-Length` matters), a blank line, a body.
pub async fn read_frame<R: AsyncBufRead + Unpin>(input: &mut R) -> std::io::Result<Frame> {
    let mut length: Option<Result<usize, String>> = None;
    let mut in_header = false;
    let mut line = Vec::new();
    loop {
        line.clear();
        match read_line(input, &mut line).await? {
            Line::Eof => return Ok(Frame::End(Ending::EndOfInput)),
            Line::TooLong => {
                in_header = true;
                continue;
            }
            Line::Text => {}
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if line.is_empty() {
            if in_header {
                break;
            }
            continue;
        }
        in_header = true;
        // The header may follow the unread body of an earlier broken frame on the same line.
        let text = String::from_utf8_lossy(&line);
        let lower = text.to_ascii_lowercase();
        if let Some(at) = lower.find("content-length:") {
            let value = text[at + "content-length:".len()..].trim();
            length = Some(parse_length(value));
        }
    }
    match length {
        None => Ok(Frame::Bad("the message has no Content-Length header".into())),
        Some(Err(message)) => Ok(Frame::Bad(message)),
        Some(Ok(length)) if length > MAX_CONTENT_LENGTH => Ok(Frame::End(Ending::Fatal(format!(
            "a message claims a Content-Length of {length} bytes, over the limit of {MAX_CONTENT_LENGTH}; \
             the stream cannot be trusted after it"
        )))),
        Some(Ok(length)) => {
            let mut body = vec![0; length];
            match input.read_exact(&mut body).await {
                Ok(_) => Ok(Frame::Body(body)),
                Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => {
                    Ok(Frame::End(Ending::EndOfInput))
                }
                Err(err) => Err(err),
            }
        }
    }
}

/// A length is digits; more digits than fit are simply too many bytes.
fn parse_length(value: &str) -> Result<usize, String> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("the Content-Length {value:?} is not a number"));
    }
    Ok(value.parse().unwrap_or(usize::MAX))
}

/// What the writer task is sent.
enum Outgoing {
    /// A message's body, serialised where it was made.
    Message(Vec<u8>),
    /// Answered once everything sent before it is written and flushed.
    Flush(oneshot::Sender<()>),
}

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

        if request.id().is_none() && text_sync::METHODS.contains(&request.method()) {
            if let Some(session) = in_order(shared) {
                let (method, _, params) = request.into_parts();
                apply_in_order(shared, &method, || text_sync::handle(shared, session, &method, params));
                continue;
            }
        }

        let exit = request.method() == "exit";
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

fn error(code: ErrorCode, message: String) -> Error {
    Error { code, message: message.into(), data: None }
}

fn reply(out: &mpsc::UnboundedSender<Outgoing>, id: Id, err: Error) {
    let _ = out.send(Outgoing::Message(to_body(&Response::from_error(id, err))));
}

fn to_body(message: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(message).expect("protocol messages always serialise")
}

async fn write_frames<O: AsyncWrite + Unpin>(mut output: O, mut outgoing: mpsc::UnboundedReceiver<Outgoing>) {
    let mut frame = Vec::new();
    while let Some(message) = outgoing.recv().await {
        match message {
            Outgoing::Message(body) => {
                frame.clear();
                frame.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
                frame.extend_from_slice(&body);
                if output.write_all(&frame).await.is_err() {
                    return;
                }
                if outgoing.is_empty() && output.flush().await.is_err() {
                    return;
                }
            }
            Outgoing::Flush(done) => {
                let _ = output.flush().await;
                let _ = done.send(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn frames(input: &[u8]) -> Vec<Frame> {
        let mut reader = tokio::io::BufReader::new(input);
        let mut frames = Vec::new();
        loop {
            let frame = read_frame(&mut reader).await.unwrap();
            let end = matches!(frame, Frame::End(_));
            frames.push(frame);
            if end {
                return frames;
            }
        }
    }

    fn body(text: &str) -> Frame {
        Frame::Body(text.as_bytes().to_vec())
    }

    #[tokio::test]
    async fn frames_are_read_back_to_back() {
        let input = b"Content-Length: 2\r\n\r\n{}Content-Type: x\r\ncontent-length: 3\r\n\r\n[1]";
        assert_eq!(frames(input).await, [body("{}"), body("[1]"), Frame::End(Ending::EndOfInput)]);
    }

    #[tokio::test]
    async fn a_frame_without_length_is_bad_and_the_next_one_is_still_read() {
        let input = b"Content-Type: x\r\n\r\n{\"a\":1}Content-Length: 2\r\n\r\n{}";
        let read = frames(input).await;
        assert!(matches!(&read[0], Frame::Bad(m) if m.contains("no Content-Length")), "{read:?}");
        assert_eq!(read[1], body("{}"));
    }

    #[tokio::test]
    async fn an_absurd_length_is_fatal_without_allocating_it() {
        for length in ["67108865", "99999999999999999999999"] {
            let input = format!("Content-Length: {length}\r\n\r\n{{}}");
            let read = frames(input.as_bytes()).await;
            assert!(matches!(&read[0], Frame::End(Ending::Fatal(m)) if m.contains("over the limit")));
        }
    }

    #[tokio::test]
    async fn a_length_that_is_not_a_number_is_bad() {
        let read = frames(b"Content-Length: -5\r\n\r\nContent-Length: 2\r\n\r\n{}").await;
        assert!(matches!(&read[0], Frame::Bad(m) if m.contains("not a number")), "{read:?}");
        assert_eq!(read[1], body("{}"));
    }

    #[tokio::test]
    async fn a_truncated_body_is_the_end_of_input() {
        assert_eq!(frames(b"Content-Length: 10\r\n\r\n{}").await, [Frame::End(Ending::EndOfInput)]);
    }

    #[tokio::test]
    async fn an_endless_header_line_is_skipped() {
        let mut input = vec![b'x'; 100_000];
        input.extend_from_slice(b"\r\nContent-Length: 2\r\n\r\n{}");
        assert_eq!(frames(&input).await[0], body("{}"));
    }

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
