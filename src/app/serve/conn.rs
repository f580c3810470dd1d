//! Accepting and serving connections within limits, for a `listen` open to the internet.
//!
//! - **Request head timeout** (`http_header_timeout_secs`): hyper's HTTP/1 header read
//!   timeout. The clock starts when hyper waits for a request head, so it bounds both a
//!   client that trickles header lines and the wait for the next request on a kept-alive
//!   connection.
//! - **Idle timeout** (`http_idle_timeout_secs`): a connection on which no byte moves
//!   either way for this long fails (`idle`): a client that stops reading a response, or
//!   an HTTP/2 connection nobody uses. A slow reader whose bytes keep flowing is not cut.
//! - **Connection cap** (`http_max_connections`): a permit is taken *before* `accept`, so
//!   connections past the cap wait in the kernel's listen backlog (they are not refused)
//!   and are accepted, in order, as soon as a served one ends. Readers queue rather than
//!   see errors, and the process never holds more sockets than the cap.
//! - **Request size**: heads over `http_max_header_bytes` get 431; bodies are limited by
//!   the router (`limit_body`).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::idle::IdleTimeout;
use crate::config::ServerLimits;

/// HTTP/2 streams one client may have open at once; a feed reader needs a handful.
const MAX_H2_STREAMS: u32 = 32;

/// Pause after a failed `accept` (e.g. out of file descriptors), so the loop does not spin
/// while the condition lasts.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves `app` on `listener` until `shutdown`, then stops accepting and waits for the open
/// connections to finish their requests (idle ones close at once).
pub(super) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ServerLimits,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let builder = builder(&limits);
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    loop {
        let permit = tokio::select! {
            p = Arc::clone(&permits).acquire_owned() => p,
            () = shutdown.cancelled() => break,
        };
        // the semaphore is never closed
        let Ok(permit) = permit else { break };
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = shutdown.cancelled() => break,
        };
        let tcp = match accepted {
            Ok((tcp, _peer)) => tcp,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        let io = TokioIo::new(tune(tcp, limits.idle_timeout));
        // the router takes hyper's body as it is: no request is read into memory
        let service = TowerToHyperService::new(app.clone());
        let conn = builder.serve_connection(io, service).into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                // timeouts, resets and bad requests: the client's doing, not ours
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// The HTTP/1 and HTTP/2 settings of every connection.
fn builder(limits: &ServerLimits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(limits.max_header_bytes)
        .max_headers(100);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX))
        .max_concurrent_streams(MAX_H2_STREAMS);
    builder
}

/// Socket options of an accepted connection, and its idle timeout.
fn tune(tcp: TcpStream, idle: Duration) -> IdleTimeout<TcpStream> {
    // responses are written whole; waiting for more data would only add latency
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::debug!(error = %e, "cannot set TCP_NODELAY");
    }
    // A whole feed (hundreds of KB) fits the send buffer, so one write hands it all to the
    // kernel instead of waking up once per default-sized buffer.
    if let Err(e) = socket2::SockRef::from(&tcp).set_send_buffer_size(1 << 20) {
        tracing::debug!(error = %e, "cannot set SO_SNDBUF");
    }
    IdleTimeout::new(tcp, idle)
}
