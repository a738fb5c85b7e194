//! Stdin and stdout as the runtime's own non-blocking pipes.
//!
//! Tokio's `stdin()` and `stdout()` read and write on a blocking thread, so every message crossed
//! two more threads on its way in and out: on a two-core machine that was a third of the round
//! trip of a request. An editor talks to its server over pipes, and a pipe can be read and
//! written without blocking and waited on with the runtime's poller, on the thread that handles
//! the message. Anything else (a terminal, a file) keeps tokio's blocking stdio: a terminal
//! shares its flags with the shell, and a file cannot be polled.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};

/// One end of a pipe (or socket), switched to non-blocking and registered with the runtime. Its
/// flags are put back when it is dropped.
pub struct Pipe {
    file: AsyncFd<File>,
    flags: libc::c_int,
}

impl Pipe {
    /// Stdin, when it is a pipe or a socket.
    pub fn stdin() -> Option<Self> {
        Self::of(io::stdin().as_fd().try_clone_to_owned().ok()?, Interest::READABLE)
    }

    /// Stdout, when it is a pipe or a socket.
    pub fn stdout() -> Option<Self> {
        Self::of(io::stdout().as_fd().try_clone_to_owned().ok()?, Interest::WRITABLE)
    }

    fn of(fd: OwnedFd, interest: Interest) -> Option<Self> {
        let file = File::from(fd);
        let kind = file.metadata().ok()?.file_type();
        use std::os::unix::fs::FileTypeExt;
        if !(kind.is_fifo() || kind.is_socket()) {
            return None;
        }
        let raw = file.as_raw_fd();
        // SAFETY: fcntl on a descriptor this function owns (a duplicate of stdin or stdout; the
        // flags belong to the open pipe both share).
        let flags = unsafe { libc::fcntl(raw, libc::F_GETFL) };
        if flags < 0 || unsafe { libc::fcntl(raw, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
            return None;
        }
        // SAFETY: the `File` owns its descriptor, which stays open as long as it does.
        match unsafe { AsyncFd::register_with_interest(file, interest) } {
            Ok(file) => Some(Self { file, flags }),
            Err(err) => {
                tracing::debug!("stdio cannot be polled ({err}); reading it on a blocking thread");
                // SAFETY: as above.
                unsafe { libc::fcntl(raw, libc::F_SETFL, flags) };
                None
            }
        }
    }
}

impl Drop for Pipe {
    fn drop(&mut self) {
        // SAFETY: the descriptor is still open; it closes after this.
        unsafe { libc::fcntl(self.file.as_raw_fd(), libc::F_SETFL, self.flags) };
    }
}

impl AsyncRead for Pipe {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        loop {
            let mut ready = ready!(self.file.poll_read_ready(cx))?;
            let unfilled = buf.initialize_unfilled();
            match ready.try_io(|file| (&mut file.get_ref()).read(unfilled)) {
                Ok(Ok(read)) => {
                    buf.advance(read);
                    return Poll::Ready(Ok(()));
                }
                Ok(Err(err)) => return Poll::Ready(Err(err)),
                Err(_would_block) => continue,
            }
        }
    }
}

impl AsyncWrite for Pipe {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, bytes: &[u8]) -> Poll<io::Result<usize>> {
        loop {
            let mut ready = ready!(self.file.poll_write_ready(cx))?;
            match ready.try_io(|file| (&mut file.get_ref()).write(bytes)) {
                Ok(result) => return Poll::Ready(result),
                Err(_would_block) => continue,
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Nothing is buffered here: every write went to the pipe.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
