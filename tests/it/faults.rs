//! The fetcher against a fault server on 127.0.0.1: every misbehaviour a real press site can
//! show (errors, throttling, stalls, cut or endless bodies, hostile redirects, robots.txt,
//! garbage bytes). Each test checks the error kind, how long the fetcher waited, and how many
//! requests the server saw, which shows what was retried and what was not. Only loopback
//! addresses are ever contacted: off-site and private redirect targets must be refused before
//! any connection is made.
//!
//! Waits are measured on tokio's paused clock (`start_paused`): time moves only when every
//! task is waiting for a timer, and then jumps straight to the next one, so the elapsed time
//! is exactly the sum of the timeouts, Retry-After and backoff waits the fetcher (or the
//! server) slept, whatever the machine's load. That gives exact lower *and* upper bounds.
//! It needs the fault server on the test's own runtime (`tokio::spawn`, current-thread) and
//! IP-literal URLs: a DNS lookup on the blocking pool would be invisible to the clock.
//! Backoff waits are jittered (`[d, 2d)` for a delay `d`), so those bounds are ranges.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use bytes::Bytes;
use futures_util::StreamExt;
use pressfeed::config::ServerLimits;
use pressfeed::config::Settings;
use pressfeed::core::lang::PageLang;
use pressfeed::core::model::Validators;
use pressfeed::http::{FetchError, Fetcher, Outcome, Page, RequestPolicy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Notify;
use tokio::time::Instant;
use url::Url;

const RUSSIAN: &str =
    "Генеральная прокуратура Республики Казахстан сообщает о результатах проверки";

/// Request start times per path, as the server saw them (tokio's clock: virtual when the
/// test pauses it).
#[derive(Clone, Default)]
struct Log(Arc<Mutex<HashMap<String, Vec<Instant>>>>);

impl Log {
    fn count(&self, path: &str) -> usize {
        self.0
            .lock()
            .map(|m| m.get(path).map_or(0, Vec::len))
            .unwrap_or(0)
    }

    fn times(&self, path: &str) -> Vec<Instant> {
        self.0
            .lock()
            .map(|m| m.get(path).cloned().unwrap_or_default())
            .unwrap_or_default()
    }

    fn total(&self) -> usize {
        self.0
            .lock()
            .map(|m| m.values().map(Vec::len).sum())
            .unwrap_or(0)
    }
}

/// State the fault routes share: the log, bytes produced by the endless body and a signal
/// when that body is dropped.
#[derive(Clone, Default)]
struct Fault {
    log: Log,
    produced: Arc<AtomicU64>,
    body_dropped: Arc<Notify>,
    robots: Arc<Mutex<Option<(StatusCode, &'static str)>>>,
}

/// Notifies when dropped (a permit is stored if nobody waits yet, so the order of the drop
/// and the wait does not matter).
struct NotifyOnDrop(Arc<Notify>);

impl Drop for NotifyOnDrop {
    fn drop(&mut self) {
        self.0.notify_one();
    }
}

struct Server {
    addr: SocketAddr,
    fault: Fault,
}

impl Server {
    fn url(&self, path: &str) -> Url {
        Url::parse(&format!("http://{}{path}", self.addr)).expect("test URL")
    }

    fn count(&self, path: &str) -> usize {
        self.fault.log.count(path)
    }
}

fn windows_1251_page() -> Vec<u8> {
    let html =
        format!("<html><head><title>Новости</title></head><body><p>{RUSSIAN}</p></body></html>");
    encoding_rs::WINDOWS_1251.encode(&html).0.into_owned()
}

/// One byte every 200 ms, for much longer than any test timeout.
fn drip() -> Body {
    let stream = futures_util::stream::iter(0..100).then(|_| async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        Ok::<_, std::io::Error>(Bytes::from_static(b"x"))
    });
    Body::from_stream(stream)
}

/// 50 MB in 64 KiB chunks, produced lazily and counted; `dropped` is notified when the
/// server lets go of the stream (finished, or the connection is gone).
fn fifty_megabytes(produced: Arc<AtomicU64>, dropped: Arc<Notify>) -> Body {
    const CHUNK: usize = 64 * 1024;
    let chunks = 50 * 1024 * 1024 / CHUNK;
    let guard = NotifyOnDrop(dropped);
    let stream = futures_util::stream::iter(0..chunks).map(move |_| {
        let _owned_by_the_stream = &guard;
        produced.fetch_add(CHUNK as u64, Ordering::SeqCst);
        Ok::<_, std::io::Error>(Bytes::from(vec![b'a'; CHUNK]))
    });
    Body::from_stream(stream)
}

/// Pseudo-random bytes (xorshift), the same on every run.
fn random_bytes(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        })
        .collect()
}

async fn record(State(fault): State<Fault>, req: Request, next: Next) -> Response {
    if let Ok(mut log) = fault.log.0.lock() {
        log.entry(req.uri().path().to_string())
            .or_default()
            .push(Instant::now());
    }
    next.run(req).await
}

async fn serve_faults() -> Server {
    let fault = Fault::default();
    let nth = |path: &'static str, fault: &Fault| {
        let log = fault.log.clone();
        move || log.count(path)
    };
    let n429 = nth("/429-then-ok", &fault);
    let n502 = nth("/502-then-ok", &fault);
    let app = Router::new()
        .route(
            "/robots.txt",
            get(|State(fault): State<Fault>| async move {
                let robots = fault.robots.lock().ok().and_then(|r| *r);
                match robots {
                    Some((status, body)) => (status, body).into_response(),
                    None => StatusCode::NOT_FOUND.into_response(),
                }
            }),
        )
        .route("/ok", get(|| async { Html(format!("<p>{RUSSIAN}</p>")) }))
        .route("/private/page", get(|| async { Html("<p>secret</p>") }))
        .route(
            "/500",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "oops") }),
        )
        .route("/404", get(|| async { (StatusCode::NOT_FOUND, "gone") }))
        .route(
            "/503",
            get(|| async {
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [("retry-after", "1")],
                    "busy",
                )
            }),
        )
        .route(
            "/503-long",
            get(|| async {
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [("retry-after", "3600")],
                    "maintenance",
                )
            }),
        )
        .route(
            "/429-then-ok",
            get(move || async move {
                if n429() <= 1 {
                    (
                        StatusCode::TOO_MANY_REQUESTS,
                        [("retry-after", "1")],
                        "slow down",
                    )
                        .into_response()
                } else {
                    Html("<p>finally</p>").into_response()
                }
            }),
        )
        .route(
            "/502-then-ok",
            get(move || async move {
                if n502() <= 1 {
                    (StatusCode::BAD_GATEWAY, "bad gateway").into_response()
                } else {
                    Html("<p>back</p>").into_response()
                }
            }),
        )
        .route(
            "/slow-headers",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                Html("late")
            }),
        )
        .route(
            "/drip",
            get(|| async { ([("content-type", "text/html")], drip()) }),
        )
        .route(
            "/50mb",
            get(|State(fault): State<Fault>| async move {
                (
                    [("content-type", "text/html")],
                    fifty_megabytes(fault.produced.clone(), fault.body_dropped.clone()),
                )
            }),
        )
        .route("/loop/a", get(|| async { Redirect::temporary("/loop/b") }))
        .route("/loop/b", get(|| async { Redirect::temporary("/loop/a") }))
        .route(
            "/offsite",
            get(|| async { Redirect::temporary("http://example.invalid/") }),
        )
        .route(
            "/private-ip",
            get(|| async { Redirect::temporary("http://10.0.0.1/") }),
        )
        .route(
            "/to-localhost",
            get(|headers: HeaderMap| async move {
                // Same server under another loopback name; allowed only when listed.
                let port = headers
                    .get("host")
                    .and_then(|h| h.to_str().ok())
                    .and_then(|h| h.rsplit(':').next())
                    .unwrap_or("80")
                    .to_string();
                Redirect::temporary(&format!("http://localhost:{port}/ok"))
            }),
        )
        .route(
            "/etag",
            get(|headers: HeaderMap| async move {
                if headers.get("if-none-match").is_some_and(|v| v == "\"v1\"") {
                    StatusCode::NOT_MODIFIED.into_response()
                } else {
                    ([("etag", "\"v1\"")], Html("<p>v1</p>")).into_response()
                }
            }),
        )
        .route(
            "/random",
            get(|| async { ([("content-type", "text/html")], random_bytes(64 * 1024)) }),
        )
        .route(
            "/wrong-charset",
            get(|| async {
                (
                    [("content-type", "text/html; charset=utf-8")],
                    windows_1251_page(),
                )
            }),
        )
        .route(
            "/empty",
            get(|| async { ([("content-type", "text/html")], "") }),
        )
        .route(
            "/pdf",
            get(|| async { ([("content-type", "application/pdf")], "%PDF-1.4") }),
        )
        .layer(axum::middleware::from_fn_with_state(fault.clone(), record))
        .with_state(fault.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Server { addr, fault }
}

/// A raw server whose every answer promises 1000 bytes of HTML, sends a few and closes.
/// Returns its address and when each connection was accepted.
async fn serve_truncated() -> (SocketAddr, Arc<Mutex<Vec<Instant>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let connections = Arc::new(Mutex::new(Vec::new()));
    let seen = connections.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            seen.lock().expect("lock").push(Instant::now());
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let _ = stream
                    .write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n\r\n<html><body><p>cut",
                    )
                    .await;
                let _ = stream.shutdown().await;
            });
        }
    });
    (addr, connections)
}

fn settings() -> Settings {
    Settings {
        database: PathBuf::from("unused.sqlite"),
        feeds_dir: PathBuf::from("feeds"),
        base_url: Url::parse("http://127.0.0.1/feeds/").expect("static URL"),
        user_agent: "pressfeed-test/1 (+http://127.0.0.1/contact)".to_string(),
        connect_timeout: Duration::from_secs(1),
        request_timeout: Duration::from_secs(1),
        max_body_bytes: 1024 * 1024,
        per_host_concurrency: 2,
        listen: "127.0.0.1:0".parse().expect("static address"),
        shutdown_grace: Duration::from_secs(1),
        schedule_jitter: Duration::ZERO,
        hubs: Vec::new(),
        respect_robots: true,
        min_delay: Duration::ZERO,
        max_retry_after: Duration::from_secs(5),
        retries: 2,
        proxy: None,
        ca_file: None,
        alerts: None,
        language: PageLang::En,
        server: ServerLimits::default(),
    }
}

fn fetcher_with(settings: &Settings) -> Fetcher {
    Fetcher::with_retry_delays(
        settings,
        Duration::from_millis(50),
        Duration::from_millis(200),
    )
    .expect("client builds")
}

fn fetcher() -> Fetcher {
    fetcher_with(&settings())
}

/// Fetches `url` expecting an error of `kind`; checks the message names the URL first.
async fn expect_kind(fetcher: &Fetcher, url: &Url, kind: &str) -> FetchError {
    let err = match fetcher.get_html(url, None).await {
        Ok(outcome) => panic!("{url}: expected {kind}, got {outcome:?}"),
        Err(err) => err,
    };
    assert_eq!(err.kind(), kind, "{err}");
    assert!(
        err.to_string().starts_with(&format!("GET {url}: ")),
        "{err}"
    );
    assert_eq!(err.url(), Some(url));
    err
}

fn page(outcome: Outcome) -> Page {
    match outcome {
        Outcome::Fetched(page) => page,
        Outcome::NotModified => panic!("expected a page, got 304"),
    }
}

#[tokio::test]
async fn server_error_is_not_retried() {
    let s = serve_faults().await;
    expect_kind(&fetcher(), &s.url("/500"), "http_status").await;
    expect_kind(&fetcher(), &s.url("/404"), "http_status").await;
    assert_eq!(s.count("/500"), 1);
    assert_eq!(s.count("/404"), 1);
}

/// Slack for one timer on the paused clock: tokio rounds a deadline up to its next 1 ms tick.
const TICK: Duration = Duration::from_millis(1);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Asserts `lo <= d <= hi` (exact bounds: on the paused clock nothing but timers moves time).
#[track_caller]
fn assert_within(what: &str, d: Duration, lo: Duration, hi: Duration) {
    assert!(lo <= d && d <= hi, "{what}: {d:?} not in [{lo:?}, {hi:?}]");
}

/// Gaps between the server's successive requests to `path`.
fn gaps(s: &Server, path: &str) -> Vec<Duration> {
    s.fault
        .log
        .times(path)
        .windows(2)
        .map(|w| w[1] - w[0])
        .collect()
}

#[tokio::test(start_paused = true)]
async fn unavailable_with_retry_after_is_retried_then_fails() {
    let s = serve_faults().await;
    let started = Instant::now();
    let err = expect_kind(&fetcher(), &s.url("/503"), "http_status").await;
    let took = started.elapsed();
    assert!(
        matches!(err, FetchError::Status { status: 503, .. }),
        "{err}"
    );
    assert_eq!(s.count("/503"), 3, "one request and two retries");
    // Two waits of Retry-After: 1 s, not the 50–200 ms backoff, and nothing else.
    let gaps = gaps(&s, "/503");
    assert_eq!(gaps.len(), 2);
    for g in gaps {
        assert_within("Retry-After wait", g, ms(1000), ms(1000) + TICK);
    }
    assert_within("whole fetch", took, ms(2000), ms(2000) + 2 * TICK);
}

#[tokio::test(start_paused = true)]
async fn retry_after_beyond_the_cap_fails_at_once() {
    let s = serve_faults().await;
    let started = Instant::now();
    let err = expect_kind(&fetcher(), &s.url("/503-long"), "http_status").await;
    assert!(
        matches!(
            err,
            FetchError::RetryAfterTooLong {
                wait_secs: 3600,
                cap_secs: 5,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("Retry-After 3600 s"), "{err}");
    assert_eq!(s.count("/503-long"), 1);
    // Not even the cap (5 s) was waited: no timer at all ran out.
    assert_eq!(started.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn too_many_requests_then_ok() {
    let s = serve_faults().await;
    let started = Instant::now();
    let p = page(
        fetcher()
            .get_html(&s.url("/429-then-ok"), None)
            .await
            .expect("second attempt succeeds"),
    );
    let took = started.elapsed();
    assert_eq!(p.text, "<p>finally</p>");
    assert_eq!(s.count("/429-then-ok"), 2);
    // Retry-After: 1 honoured instead of the 50 ms backoff.
    assert_eq!(gaps(&s, "/429-then-ok").len(), 1);
    assert_within(
        "Retry-After wait",
        gaps(&s, "/429-then-ok")[0],
        ms(1000),
        ms(1000) + TICK,
    );
    assert_within("whole fetch", took, ms(1000), ms(1000) + TICK);
}

#[tokio::test(start_paused = true)]
async fn bad_gateway_is_retried_with_backoff() {
    let s = serve_faults().await;
    let p = page(
        fetcher()
            .get_html(&s.url("/502-then-ok"), None)
            .await
            .expect("retry succeeds"),
    );
    assert_eq!(p.text, "<p>back</p>");
    assert_eq!(s.count("/502-then-ok"), 2);
    // The first backoff step: 50 ms plus up to 100% jitter.
    assert_within(
        "backoff",
        gaps(&s, "/502-then-ok")[0],
        ms(50),
        ms(100) + TICK,
    );
}

#[tokio::test(start_paused = true)]
async fn slow_headers_time_out_and_are_retried() {
    let s = serve_faults().await;
    let started = Instant::now();
    expect_kind(&fetcher(), &s.url("/slow-headers"), "timeout").await;
    let took = started.elapsed();
    assert_eq!(s.count("/slow-headers"), 3);
    // Each attempt gives up at the 1 s request timeout (the server would answer after 5 s),
    // then backs off 50–100 ms, then 100–200 ms.
    let gaps = gaps(&s, "/slow-headers");
    assert_within(
        "attempt 1 + backoff",
        gaps[0],
        ms(1050),
        ms(1100) + 2 * TICK,
    );
    assert_within(
        "attempt 2 + backoff",
        gaps[1],
        ms(1100),
        ms(1200) + 2 * TICK,
    );
    assert_within("whole fetch", took, ms(3150), ms(3300) + 5 * TICK);
}

#[tokio::test(start_paused = true)]
async fn slow_drip_body_times_out() {
    let s = serve_faults().await;
    let settings = Settings {
        retries: 1,
        ..settings()
    };
    let started = Instant::now();
    expect_kind(&fetcher_with(&settings), &s.url("/drip"), "timeout").await;
    let took = started.elapsed();
    assert_eq!(s.count("/drip"), 2);
    // Headers come at once and a byte every 200 ms: the 1 s total timeout still cuts each
    // attempt, long before the 20 s the body would take.
    assert_within(
        "attempt 1 + backoff",
        gaps(&s, "/drip")[0],
        ms(1050),
        ms(1100) + 2 * TICK,
    );
    assert_within("whole fetch", took, ms(2050), ms(2100) + 3 * TICK);
}

#[tokio::test(start_paused = true)]
async fn connect_timeout_on_a_full_backlog() {
    // A listener that never accepts, its backlog filled: further SYNs go unanswered, like a
    // firewalled host, but on loopback.
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind("127.0.0.1:0".parse().expect("addr"))
        .expect("bind");
    let addr = socket.local_addr().expect("addr");
    let _listener = socket.listen(1).expect("listen");
    let mut fillers = Vec::new();
    for _ in 0..4 {
        if let Ok(Ok(stream)) = tokio::time::timeout(
            Duration::from_millis(200),
            tokio::net::TcpStream::connect(addr),
        )
        .await
        {
            fillers.push(stream);
        }
    }
    assert!(!fillers.is_empty(), "the backlog takes some connections");
    let settings = Settings {
        retries: 1,
        respect_robots: false,
        ..settings()
    };
    let url = Url::parse(&format!("http://{addr}/")).expect("URL");
    let started = Instant::now();
    // Whether the kernel drops the SYN (connect timeout) or completes the handshake into the
    // full queue (no answer), each attempt times out at the configured 1 s, then one retry
    // after a 50–100 ms backoff.
    expect_kind(&fetcher_with(&settings), &url, "timeout").await;
    assert_within(
        "whole fetch",
        started.elapsed(),
        ms(2050),
        ms(2100) + 3 * TICK,
    );
}

#[tokio::test(start_paused = true)]
async fn truncated_body_is_retried_then_fails() {
    let (addr, connections) = serve_truncated().await;
    let settings = Settings {
        respect_robots: false,
        ..settings()
    };
    let url = Url::parse(&format!("http://{addr}/cut")).expect("URL");
    let started = Instant::now();
    expect_kind(&fetcher_with(&settings), &url, "truncated").await;
    let took = started.elapsed();
    let times = connections.lock().expect("lock").clone();
    assert_eq!(times.len(), 3, "one request and two retries");
    // The cut is seen at once (no timeout waited); only the backoff passes between tries.
    assert_within("first backoff", times[1] - times[0], ms(50), ms(100) + TICK);
    assert_within(
        "second backoff",
        times[2] - times[1],
        ms(100),
        ms(200) + TICK,
    );
    assert_within("whole fetch", took, ms(150), ms(300) + 2 * TICK);
}

#[tokio::test(start_paused = true)]
async fn fifty_megabytes_are_cut_off_at_the_cap() {
    let s = serve_faults().await;
    let started = Instant::now();
    let err = expect_kind(&fetcher(), &s.url("/50mb"), "too_large").await;
    assert!(
        matches!(
            err,
            FetchError::TooLarge {
                limit: 1_048_576,
                ..
            }
        ),
        "{err}"
    );
    // Cut by the size cap, not by the 1 s timeout: no timer ran out.
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert_eq!(s.count("/50mb"), 1, "too large is not retried");
    // The server stops producing once we hang up: wait until it drops the body stream (the
    // limit only guards against hanging forever), then count what it made (socket buffers
    // hold a few MB).
    tokio::time::timeout(Duration::from_secs(60), s.fault.body_dropped.notified())
        .await
        .expect("the server never dropped the 50 MB body");
    let produced = s.fault.produced.load(Ordering::SeqCst);
    assert!(
        produced < 20 * 1024 * 1024,
        "server produced {produced} bytes"
    );
}

#[tokio::test]
async fn redirect_loop_is_refused() {
    let s = serve_faults().await;
    let err = expect_kind(&fetcher(), &s.url("/loop/a"), "redirect").await;
    assert!(err.to_string().contains("redirect loop"), "{err}");
    assert_eq!((s.count("/loop/a"), s.count("/loop/b")), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn offsite_redirect_is_refused_without_connecting() {
    let s = serve_faults().await;
    let started = Instant::now();
    let err = expect_kind(&fetcher(), &s.url("/offsite"), "redirect").await;
    assert!(
        matches!(&err, FetchError::Redirect { to, .. } if &**to == "http://example.invalid/"),
        "{err}"
    );
    assert!(err.to_string().contains("not 127.0.0.1"), "{err}");
    assert_eq!(s.count("/offsite"), 1);
    // No DNS lookup or connection attempt: either would have failed with a connect error,
    // not a redirect refusal, and nothing was waited for (not even the connect timeout).
    assert_eq!(started.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn private_address_redirect_is_refused_even_when_allowed() {
    let s = serve_faults().await;
    let allowed = ["10.0.0.1".to_string()];
    let url = s.url("/private-ip");
    let started = Instant::now();
    let err = fetcher()
        .get_html_for(
            &url,
            None,
            RequestPolicy {
                allowed_hosts: &allowed,
                ..RequestPolicy::default()
            },
        )
        .await
        .expect_err("private target");
    assert_eq!(err.kind(), "redirect", "{err}");
    assert!(
        err.to_string().contains("10.0.0.1 is a private address"),
        "{err}"
    );
    assert_eq!(s.count("/private-ip"), 1);
    // No connection to 10.0.0.1 was tried: it would have waited for the connect timeout.
    assert_eq!(started.elapsed(), Duration::ZERO);
    // Without the allowance it is refused as off-site before the address is even considered.
    let err = expect_kind(&fetcher(), &url, "redirect").await;
    assert!(err.to_string().contains("not 127.0.0.1"), "{err}");
}

#[tokio::test]
async fn redirect_to_an_allowed_host_is_followed() {
    let s = serve_faults().await;
    let url = s.url("/to-localhost");
    // Not allowed by default: localhost is another host name.
    expect_kind(&fetcher(), &url, "redirect").await;
    let allowed = ["localhost".to_string()];
    let p = page(
        fetcher()
            .get_html_for(
                &url,
                None,
                RequestPolicy {
                    allowed_hosts: &allowed,
                    ..RequestPolicy::default()
                },
            )
            .await
            .expect("allowed redirect"),
    );
    assert_eq!(p.final_url.host_str(), Some("localhost"));
    assert!(p.text.contains(RUSSIAN));
}

#[tokio::test]
async fn robots_disallow_means_no_request() {
    let s = serve_faults().await;
    *s.fault.robots.lock().expect("lock") =
        Some((StatusCode::OK, "User-agent: *\nDisallow: /private/\n"));
    let f = fetcher();
    let err = expect_kind(&f, &s.url("/private/page"), "robots").await;
    assert!(
        err.to_string().contains("disallowed by robots.txt"),
        "{err}"
    );
    assert_eq!(s.count("/private/page"), 0);
    // Allowed paths work, and robots.txt is read once per origin.
    page(f.get_html(&s.url("/ok"), None).await.expect("allowed"));
    expect_kind(&f, &s.url("/private/page"), "robots").await;
    assert_eq!(s.count("/robots.txt"), 1);
    assert_eq!(s.count("/private/page"), 0);
    // With robots.txt switched off, the page is fetched.
    let ignoring = fetcher_with(&Settings {
        respect_robots: false,
        ..settings()
    });
    page(
        ignoring
            .get_html(&s.url("/private/page"), None)
            .await
            .expect("robots off"),
    );
    assert_eq!(s.count("/private/page"), 1);
}

#[tokio::test]
async fn robots_server_error_disallows_everything() {
    let s = serve_faults().await;
    *s.fault.robots.lock().expect("lock") = Some((StatusCode::INTERNAL_SERVER_ERROR, "oops"));
    let err = expect_kind(&fetcher(), &s.url("/ok"), "robots").await;
    assert!(
        err.to_string().contains("robots.txt answered HTTP 500"),
        "{err}"
    );
    assert_eq!(s.count("/ok"), 0);
    assert_eq!(s.count("/robots.txt"), 1, "500 is not retried");
}

#[tokio::test]
async fn robots_not_found_allows_everything() {
    let s = serve_faults().await;
    page(
        fetcher()
            .get_html(&s.url("/ok"), None)
            .await
            .expect("allowed"),
    );
    assert_eq!(s.count("/robots.txt"), 1);
    assert_eq!(s.count("/ok"), 1);
}

/// The gaps are measured on the paused clock, so they are exactly what the fetcher waited:
/// the Crawl-delay (0.6 s) at least, jittered up by at most 25 %.
#[tokio::test(start_paused = true)]
async fn crawl_delay_spaces_requests() {
    let s = serve_faults().await;
    *s.fault.robots.lock().expect("lock") = Some((
        StatusCode::OK,
        "User-agent: pressfeed-test\nCrawl-delay: 0.6\n",
    ));
    let f = fetcher();
    for _ in 0..3 {
        page(f.get_html(&s.url("/ok"), None).await.expect("fetch"));
    }
    let times = s.fault.log.times("/ok");
    assert_eq!(times.len(), 3);
    for w in times.windows(2) {
        let gap = w[1] - w[0];
        assert!(
            (Duration::from_millis(600)..=Duration::from_millis(751)).contains(&gap),
            "{gap:?}"
        );
    }
}

/// Four requests started at once leave the fetcher 150–250 ms apart (200 ms ± 25 %),
/// robots.txt included; exact on the paused clock (1 ms of timer rounding allowed).
#[tokio::test(start_paused = true)]
async fn min_delay_spaces_concurrent_requests() {
    let s = serve_faults().await;
    let f = fetcher_with(&Settings {
        min_delay: Duration::from_millis(200),
        per_host_concurrency: 4,
        ..settings()
    });
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let (f, url) = (f.clone(), s.url("/ok"));
            tokio::spawn(async move { f.get_html(&url, None).await.map(|_| ()) })
        })
        .collect();
    for task in tasks {
        task.await.expect("task").expect("fetch");
    }
    // robots.txt counts as a request to the host too.
    let mut times = s.fault.log.times("/ok");
    times.extend(s.fault.log.times("/robots.txt"));
    times.sort();
    assert_eq!(times.len(), 5);
    for w in times.windows(2) {
        let gap = w[1] - w[0];
        assert!(
            (Duration::from_millis(150)..=Duration::from_millis(251)).contains(&gap),
            "{gap:?}"
        );
    }
}

#[tokio::test]
async fn not_modified_is_one_request() {
    let s = serve_faults().await;
    let validators = Validators {
        etag: Some("\"v1\"".to_string()),
        last_modified: None,
    };
    let outcome = fetcher()
        .get_html(&s.url("/etag"), Some(&validators))
        .await
        .expect("304");
    assert!(matches!(outcome, Outcome::NotModified), "{outcome:?}");
    assert_eq!(s.count("/etag"), 1);
}

#[tokio::test]
async fn random_bytes_are_a_decode_error() {
    let s = serve_faults().await;
    let err = expect_kind(&fetcher(), &s.url("/random"), "decode").await;
    assert!(err.to_string().contains("cannot decode"), "{err}");
    assert_eq!(s.count("/random"), 1);
}

#[tokio::test]
async fn wrong_declared_charset_still_decodes() {
    // cp1251 bytes declared UTF-8 in the header, no <meta>: the declaration is contradicted
    // by malformed sequences, so the decoder guesses windows-1251 and the text comes out
    // right rather than failing.
    let s = serve_faults().await;
    let p = page(
        fetcher()
            .get_html(&s.url("/wrong-charset"), None)
            .await
            .expect("decodes"),
    );
    assert!(p.text.contains(RUSSIAN), "{}", p.text);
    assert!(!p.text.contains('\u{fffd}'));
}

#[tokio::test]
async fn empty_ok_is_an_empty_page() {
    let s = serve_faults().await;
    let p = page(
        fetcher()
            .get_html(&s.url("/empty"), None)
            .await
            .expect("empty"),
    );
    assert_eq!(p.status, 200);
    assert_eq!(p.text, "");
    assert_eq!(s.count("/empty"), 1);
}

#[tokio::test]
async fn non_html_is_refused_once() {
    let s = serve_faults().await;
    expect_kind(&fetcher(), &s.url("/pdf"), "not_html").await;
    assert_eq!(s.count("/pdf"), 1);
}

#[tokio::test]
async fn tls_to_a_plain_http_port_is_a_tls_error() {
    let s = serve_faults().await;
    let url = Url::parse(&format!("https://{}/ok", s.addr)).expect("URL");
    let f = fetcher_with(&Settings {
        respect_robots: false,
        ..settings()
    });
    expect_kind(&f, &url, "tls").await;
    assert_eq!(s.fault.log.total(), 0, "no HTTP request got through");
}
