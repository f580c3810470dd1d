//! The daemon's HTTP server under clients that hold connections without using them, on a
//! real listener (127.0.0.1, port 0) and tokio's paused clock: time only moves when every
//! task waits, so "after the header timeout" is exact and no test waits for real.
//!
//! Every route used here answers without the blocking pool (`/metrics`, HEAD of it, or a
//! refusal), so the clock cannot jump while a request is being answered.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::FutureExt as _;
use pressfeed::app::metrics::Metrics;
use pressfeed::app::serve::{AppState, serve};
use pressfeed::config::Config;
use pressfeed::store::Store;
use tempfile::TempDir;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// A running server; stops (and is awaited) on drop of the test's runtime.
struct Server {
    addr: SocketAddr,
    stop: CancellationToken,
    task: JoinHandle<std::io::Result<()>>,
    _dir: TempDir,
}

impl Server {
    async fn start(max_connections: usize) -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = format!(
            "[settings]\ndatabase = \"db.sqlite\"\nfeeds_dir = \"feeds\"\n\
             http_header_timeout_secs = {}\nhttp_idle_timeout_secs = {}\n\
             http_max_connections = {max_connections}\n\
             [[source]]\nid = \"a\"\ntitle = \"A\"\nlisting_urls = [\"https://a.example/\"]\n",
            HEADER_TIMEOUT.as_secs(),
            IDLE_TIMEOUT.as_secs(),
        );
        let config = Config::parse(&text, &dir.path().join("config.toml")).expect("config");
        let store = Store::open(&config.settings.database).expect("store");
        let (_tx, config) = tokio::sync::watch::channel(Arc::new(config));
        let state = AppState {
            config,
            store: Arc::new(Mutex::new(store)),
            metrics: Arc::new(Metrics::new()),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let stop = CancellationToken::new();
        let task = tokio::spawn(serve(listener, state, stop.clone()));
        Server {
            addr,
            stop,
            task,
            _dir: dir,
        }
    }

    /// A connection that sent a request line and then nothing: a slow client.
    async fn slow_client(&self) -> TcpStream {
        let mut c = TcpStream::connect(self.addr).await.expect("connect");
        c.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
            .await
            .expect("send request line");
        c
    }

    /// A whole request on a new connection; the whole answer, up to the server's close.
    async fn get(&self, path: &str) -> String {
        let mut c = TcpStream::connect(self.addr).await.expect("connect");
        answer(
            &mut c,
            &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        )
        .await
    }

    async fn stop(self) {
        self.stop.cancel();
        self.task
            .await
            .expect("server task")
            .expect("server result");
    }
}

async fn answer(c: &mut TcpStream, request: &str) -> String {
    c.write_all(request.as_bytes()).await.expect("send");
    let mut out = Vec::new();
    c.read_to_end(&mut out).await.expect("read answer");
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether the server still holds `c` open: nothing to read and no end of stream.
fn held_open(c: &mut TcpStream) -> bool {
    let mut buf = [0u8; 64];
    c.read(&mut buf).now_or_never().is_none()
}

#[tokio::test(start_paused = true)]
async fn client_trickling_header_lines_is_dropped_after_the_header_timeout() {
    let server = Server::start(16).await;
    let start = Instant::now();
    let mut c = server.slow_client().await;
    let mut lines = 0;
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        tokio::select! {
            r = c.read(&mut buf) => match r {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            },
            // one header line a second: each read makes progress, none completes the head
            () = tokio::time::sleep(Duration::from_secs(1)) => {
                if c.write_all(format!("X-Slow-{lines}: 1\r\n").as_bytes()).await.is_err() {
                    break;
                }
                lines += 1;
                assert!(lines < 60, "still connected after {lines} header lines");
            }
        }
    }
    let held = start.elapsed();
    assert!(
        held >= HEADER_TIMEOUT && held <= HEADER_TIMEOUT + Duration::from_secs(1),
        "dropped after {held:?}"
    );
    assert!(lines >= 4, "{lines} lines sent");
    // hyper may say 408 before closing; it never answers the trickled request
    let got = String::from_utf8_lossy(&got);
    assert!(got.is_empty() || got.starts_with("HTTP/1.1 408"), "{got}");
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn readers_are_served_while_slow_clients_are_held() {
    let server = Server::start(64).await;
    let start = Instant::now();
    let mut slow = Vec::new();
    for _ in 0..40 {
        slow.push(server.slow_client().await);
    }
    let page = server.get("/metrics").await;
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(
        start.elapsed() < HEADER_TIMEOUT,
        "answered only after the slow ones were dropped"
    );
    for c in &mut slow {
        assert!(held_open(c), "a slow client was dropped early");
    }
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn connections_past_the_cap_wait_in_the_backlog_until_one_ends() {
    let server = Server::start(3).await;
    let mut slow = vec![
        server.slow_client().await,
        server.slow_client().await,
        server.slow_client().await,
    ];
    // the fourth connects (the kernel queues it) but is not accepted, so not answered
    let mut fourth = TcpStream::connect(server.addr).await.expect("connect");
    fourth
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .expect("send");
    let mut buf = [0u8; 64];
    let early = tokio::time::timeout(Duration::from_secs(1), fourth.read(&mut buf)).await;
    assert!(early.is_err(), "answered past the cap: {early:?}");
    for c in &mut slow {
        assert!(held_open(c));
    }
    // one slow client leaves: its slot goes to the waiting connection
    let start = Instant::now();
    drop(slow.pop());
    let mut out = Vec::new();
    fourth.read_to_end(&mut out).await.expect("read");
    let out = String::from_utf8_lossy(&out);
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(
        start.elapsed() < HEADER_TIMEOUT,
        "served only when the others timed out"
    );
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn kept_alive_connection_is_closed_when_no_next_request_comes() {
    let server = Server::start(16).await;
    let mut c = TcpStream::connect(server.addr).await.expect("connect");
    c.write_all(b"HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("send");
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = c.read(&mut buf).await.expect("read");
        assert!(n > 0, "closed before answering");
        head.extend_from_slice(&buf[..n]);
    }
    assert!(head.starts_with(b"HTTP/1.1 200"));
    let answered = Instant::now();
    let n = c.read(&mut buf).await.unwrap_or(0);
    assert_eq!(n, 0, "unexpected bytes");
    let idle = answered.elapsed();
    // the wait for the next request head counts against the header timeout
    assert!(
        idle >= HEADER_TIMEOUT && idle < IDLE_TIMEOUT,
        "kept-alive connection closed after {idle:?}"
    );
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn oversized_requests_are_refused() {
    let server = Server::start(16).await;
    let mut c = TcpStream::connect(server.addr).await.expect("connect");
    let body = answer(
        &mut c,
        "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n",
    )
    .await;
    assert!(body.starts_with("HTTP/1.1 413"), "{body}");
    let mut c = TcpStream::connect(server.addr).await.expect("connect");
    let chunked = answer(
        &mut c,
        "GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
    )
    .await;
    assert!(chunked.starts_with("HTTP/1.1 413"), "{chunked}");
    let mut c = TcpStream::connect(server.addr).await.expect("connect");
    let big = format!(
        "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nConnection: close\r\n\r\n",
        "a".repeat(20_000)
    );
    let head = answer(&mut c, &big).await;
    assert!(head.starts_with("HTTP/1.1 431"), "{head}");
    // a small GET still works
    let ok = server.get("/metrics").await;
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    server.stop().await;
}
