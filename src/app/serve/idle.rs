//! An idle timeout for a whole connection: it fails only when *no* byte has moved in
//! either direction for the whole period. A per-direction timeout would not do: hyper
//! keeps a read pending while it writes a response (to notice a client that hangs up), so a
//! slow reader of a large feed would be cut off although bytes keep flowing.
//!
//! Each direction has its own timer (each is polled by whoever reads or writes, which may
//! be different tasks), and both look at one "last activity" instant. A timer that fires
//! while the connection was active meanwhile is re-armed for the rest of the period, so
//! ordinary reads and writes only read the clock.

use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep, sleep};

/// `inner` with the idle timeout.
#[derive(Debug)]
pub(super) struct IdleTimeout<T> {
    inner: T,
    idle: Duration,
    last_activity: Instant,
    read_timer: Pin<Box<Sleep>>,
    write_timer: Pin<Box<Sleep>>,
}

impl<T> IdleTimeout<T> {
    pub(super) fn new(inner: T, idle: Duration) -> IdleTimeout<T> {
        let now = Instant::now();
        IdleTimeout {
            inner,
            idle,
            last_activity: now,
            read_timer: Box::pin(sleep(idle)),
            write_timer: Box::pin(sleep(idle)),
        }
    }
}

/// `Pending` while the connection has been active within `idle` (re-arming `timer` for the
/// rest of the period), the timeout error once it has not.
fn expired(
    timer: &mut Pin<Box<Sleep>>,
    last_activity: Instant,
    idle: Duration,
    cx: &mut Context<'_>,
) -> Poll<io::Error> {
    loop {
        let deadline = last_activity + idle;
        if timer.deadline() != deadline {
            timer.as_mut().reset(deadline);
        }
        match timer.as_mut().poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(()) if Instant::now() >= deadline => {
                return Poll::Ready(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("no data either way for {idle:?}"),
                ));
            }
            // fired early (cannot with tokio's timer, but stay total): wait again
            Poll::Ready(()) => {}
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for IdleTimeout<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                if buf.filled().len() > before {
                    this.last_activity = Instant::now();
                }
                Poll::Ready(r)
            }
            Poll::Pending => {
                expired(&mut this.read_timer, this.last_activity, this.idle, cx).map(Err)
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> IdleTimeout<T> {
    /// The outcome of a write-side poll: activity on progress, the timeout check while
    /// blocked.
    fn written<R>(
        &mut self,
        poll: Poll<io::Result<R>>,
        progressed: impl Fn(&R) -> bool,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<R>> {
        match poll {
            Poll::Ready(Ok(r)) => {
                if progressed(&r) {
                    self.last_activity = Instant::now();
                }
                Poll::Ready(Ok(r))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                expired(&mut self.write_timer, self.last_activity, self.idle, cx).map(Err)
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for IdleTimeout<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.written(poll, |n| *n > 0, cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.written(poll, |n| *n > 0, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_flush(cx);
        this.written(poll, |()| false, cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.written(poll, |()| false, cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _, duplex};

    use super::*;

    const IDLE: Duration = Duration::from_secs(60);

    #[tokio::test(start_paused = true)]
    async fn silent_peer_times_out_after_the_idle_period() {
        let (a, _peer) = duplex(64);
        let mut conn = IdleTimeout::new(a, IDLE);
        let start = Instant::now();
        let err = conn.read(&mut [0u8; 8]).await.expect_err("times out");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(start.elapsed(), IDLE);
    }

    /// What hyper does while it sends a response: a read stays pending for as long as the
    /// write takes. Bytes moving out keep the connection alive.
    #[tokio::test(start_paused = true)]
    async fn slow_reader_of_a_long_response_is_not_cut_off() {
        let (a, mut peer) = duplex(64);
        let (mut r, mut w) = tokio::io::split(IdleTimeout::new(a, IDLE));
        let pending_read = tokio::spawn(async move { r.read(&mut [0u8; 8]).await });
        let body = vec![b'x'; 64 * 40];
        let writer = tokio::spawn(async move { w.write_all(&body).await });
        let start = Instant::now();
        // the client takes 64 bytes every 30 s: 20 minutes for the whole body
        let mut got = 0;
        while got < 64 * 40 {
            sleep(Duration::from_secs(30)).await;
            got += peer.read(&mut [0u8; 64]).await.expect("read");
        }
        writer.await.expect("task").expect("whole body written");
        assert!(start.elapsed() > 10 * IDLE);
        assert!(
            !pending_read.is_finished(),
            "cut off while bytes were moving"
        );
        // once nothing moves, the pending read times out one period after the last byte
        let last = Instant::now();
        let err = pending_read.await.expect("task").expect_err("idle");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(last.elapsed() <= IDLE);
    }

    #[tokio::test(start_paused = true)]
    async fn client_that_stops_reading_is_dropped() {
        let (a, _peer) = duplex(64);
        let mut conn = IdleTimeout::new(a, IDLE);
        let start = Instant::now();
        let err = conn.write_all(&[b'x'; 1024]).await.expect_err("times out");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(start.elapsed(), IDLE);
    }
}
