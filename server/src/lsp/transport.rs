//! The wire's framing: `Content-Length` headers and bodies over a byte stream, read one frame at
//! a time and written by one task. What a body means is `dispatch`'s.
//!
//! A malformed header is a bad frame, answered by `dispatch` with an error while the next frame
//! is read; a `Content-Length` over [`MAX_CONTENT_LENGTH`] ends the process (the stream cannot be
//! trusted after it) without allocating it.

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

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
pub enum Outgoing {
    /// A message's body, serialised where it was made.
    Message(Vec<u8>),
    /// Answered once everything sent before it is written and flushed.
    Flush(oneshot::Sender<()>),
}

/// Writes each message as a frame, flushing when none waits behind it.
pub async fn write_frames<O: AsyncWrite + Unpin>(
    mut output: O,
    mut outgoing: mpsc::UnboundedReceiver<Outgoing>,
) {
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
}
