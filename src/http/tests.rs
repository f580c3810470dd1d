//! The fetcher against small axum servers on 127.0.0.1: decoding, conditional GET, size caps,
//! timeouts (on the paused clock), content types, redirects, per-host limits.

use crate::config::ServerLimits;
use crate::core::lang::PageLang;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use futures_util::StreamExt;

use super::*;

const RUSSIAN: &str = "Генеральная прокуратура Республики Казахстан сообщает";

fn settings(request_timeout: Duration, max_body_bytes: u64) -> Settings {
    Settings {
        database: PathBuf::from("unused.sqlite"),
        feeds_dir: PathBuf::from("feeds"),
        base_url: Url::parse("http://127.0.0.1/feeds/").expect("static URL"),
        user_agent: "pressfeed-test/1".to_string(),
        connect_timeout: Duration::from_secs(1),
        request_timeout,
        max_body_bytes,
        per_host_concurrency: 2,
        listen: "127.0.0.1:0".parse().expect("static address"),
        shutdown_grace: Duration::from_secs(1),
        schedule_jitter: Duration::ZERO,
        hubs: Vec::new(),
        respect_robots: false,
        min_delay: Duration::ZERO,
        max_retry_after: Duration::from_secs(5),
        retries: 0,
        proxy: None,
        ca_file: None,
        alerts: None,
        language: PageLang::En,
        server: ServerLimits::default(),
    }
}

fn fetcher() -> Fetcher {
    Fetcher::new(&settings(Duration::from_secs(2), 100 * 1024)).expect("client builds")
}

/// With delays off, waiting for one's turn must not sleep at all: tokio rounds a passed
/// deadline up to its next millisecond tick, which capped a backfill at ~1 000 requests
/// a second. The paused clock only moves when something sleeps.
#[tokio::test(start_paused = true)]
async fn regression_zero_delay_waits_no_timer_tick_per_request() {
    let f = fetcher();
    let url = Url::parse("http://127.0.0.1:9/").expect("static URL");
    let start = tokio::time::Instant::now();
    for _ in 0..20 {
        f.wait_turn(&url).await;
    }
    assert_eq!(tokio::time::Instant::now(), start);
}

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

fn url(addr: SocketAddr, path: &str) -> Url {
    Url::parse(&format!("http://{addr}{path}")).expect("test URL")
}

fn fetched(outcome: Outcome) -> Page {
    match outcome {
        Outcome::Fetched(page) => page,
        Outcome::NotModified => panic!("expected a page, got 304"),
    }
}

fn assert_names_url(err: &FetchError, url: &Url) {
    assert!(err.to_string().contains(url.as_str()), "{err}");
    assert_eq!(err.url(), Some(url));
}

#[tokio::test]
async fn html_utf8_with_user_agent_and_accept() {
    let app = Router::new().route(
        "/news",
        get(|headers: HeaderMap| async move {
            let ua = headers
                .get("user-agent")
                .map(|v| v.to_str().unwrap_or(""))
                .unwrap_or("");
            let accept = headers
                .get("accept")
                .map(|v| v.to_str().unwrap_or(""))
                .unwrap_or("");
            Html(format!("<p>{RUSSIAN}</p><i>{ua}</i><b>{accept}</b>"))
        }),
    );
    let addr = serve(app).await;
    let page = fetched(
        fetcher()
            .get_html(&url(addr, "/news"), None)
            .await
            .expect("fetch"),
    );
    assert_eq!(page.status, 200);
    assert_eq!(page.final_url, url(addr, "/news"));
    assert_eq!(
        page.content_type.as_deref(),
        Some("text/html; charset=utf-8")
    );
    assert!(page.text.contains(RUSSIAN));
    assert!(
        page.text.contains("<i>pressfeed-test/1</i>"),
        "{}",
        page.text
    );
    assert!(
        page.text.contains(&format!("<b>{HTML_ACCEPT}</b>")),
        "{}",
        page.text
    );
}

#[tokio::test]
async fn windows_1251_meta_only_decodes() {
    let html = format!(
        r#"<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251"></head><body>{RUSSIAN}</body></html>"#
    );
    let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(&html);
    let bytes = bytes.into_owned();
    let app = Router::new().route(
        "/old",
        get(move || async move { ([("content-type", "text/html")], bytes) }),
    );
    let addr = serve(app).await;
    let page = fetched(
        fetcher()
            .get_html(&url(addr, "/old"), None)
            .await
            .expect("fetch"),
    );
    assert_eq!(page.text, html);
}

#[tokio::test]
async fn conditional_get_gives_not_modified() {
    const ETAG: &str = "\"v1\"";
    const DATE: &str = "Tue, 24 Nov 2026 10:00:00 GMT";
    let app = Router::new().route(
        "/page",
        get(|headers: HeaderMap| async move {
            let inm = headers.get("if-none-match").and_then(|v| v.to_str().ok());
            let ims = headers
                .get("if-modified-since")
                .and_then(|v| v.to_str().ok());
            if inm == Some(ETAG) && ims == Some(DATE) {
                return StatusCode::NOT_MODIFIED.into_response();
            }
            ([("etag", ETAG), ("last-modified", DATE)], Html("<p>hi</p>")).into_response()
        }),
    );
    let addr = serve(app).await;
    let fetcher = fetcher();
    let u = url(addr, "/page");
    let page = fetched(fetcher.get_html(&u, None).await.expect("first fetch"));
    assert_eq!(
        page.validators,
        Validators {
            etag: Some(ETAG.to_string()),
            last_modified: Some(DATE.to_string()),
        }
    );
    let again = fetcher
        .get_html(&u, Some(&page.validators))
        .await
        .expect("second fetch");
    assert!(matches!(again, Outcome::NotModified), "{again:?}");
    // A stale ETag gets the page again.
    let stale = Validators {
        etag: Some("\"v0\"".to_string()),
        ..page.validators.clone()
    };
    let third = fetcher
        .get_html(&u, Some(&stale))
        .await
        .expect("third fetch");
    assert!(matches!(third, Outcome::Fetched(_)));
}

#[tokio::test]
async fn server_error_is_status() {
    let app = Router::new().route(
        "/boom",
        get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "oops") }),
    );
    let addr = serve(app).await;
    let u = url(addr, "/boom");
    let err = fetcher().get_html(&u, None).await.expect_err("500");
    assert!(
        matches!(err, FetchError::Status { status: 500, .. }),
        "{err}"
    );
    assert_eq!(err.kind(), "http_status");
    assert_names_url(&err, &u);
}

/// 128 KiB, past the 100 KiB cap, and then a body that never ends: only a fetcher that
/// checks the cap while streaming can fail with `TooLarge`; one that waited for the end
/// would time out instead.
fn over_cap_then_endless() -> Body {
    let chunks = futures_util::stream::iter(0..8)
        .map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b'a'; 16 * 1024])))
        .chain(futures_util::stream::pending());
    Body::from_stream(chunks)
}

#[tokio::test(start_paused = true)]
async fn streamed_body_over_cap_is_too_large_before_it_ends() {
    let app = Router::new().route(
        "/big",
        get(|| async { ([("content-type", "text/html")], over_cap_then_endless()) }),
    );
    let addr = serve(app).await;
    let u = url(addr, "/big");
    let err = fetcher().get_html(&u, None).await.expect_err("too large");
    assert!(
        matches!(err, FetchError::TooLarge { limit: 102400, .. }),
        "{err}"
    );
    assert_names_url(&err, &u);
}

#[tokio::test]
async fn content_length_over_cap_is_too_large() {
    let app = Router::new().route("/big", get(|| async { Html(vec![b'a'; 2 * 1024 * 1024]) }));
    let addr = serve(app).await;
    let err = fetcher()
        .get_resource(&url(addr, "/big"), "*/*", &[], RequestPolicy::default())
        .await
        .expect_err("too large");
    assert!(matches!(err, FetchError::TooLarge { .. }), "{err}");
}

// The paused clock makes the timeouts exact: it only moves when every task waits on a
// timer, so the elapsed time below is the fetcher's own deadline, whatever the machine load.
#[tokio::test(start_paused = true)]
async fn slow_response_times_out() {
    let app = Router::new().route(
        "/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(3)).await;
            Html("late")
        }),
    );
    let addr = serve(app).await;
    let fetcher = Fetcher::new(&settings(Duration::from_secs(1), 1024)).expect("client");
    let u = url(addr, "/slow");
    let started = tokio::time::Instant::now();
    let err = fetcher.get_html(&u, None).await.expect_err("timeout");
    assert!(matches!(err, FetchError::Timeout { .. }), "{err}");
    // Given up at the 1 s request timeout, not when the server answered at 3 s.
    assert_eq!(started.elapsed(), Duration::from_secs(1));
    assert_names_url(&err, &u);
}

#[tokio::test(start_paused = true)]
async fn stalled_body_times_out() {
    // Headers arrive at once, the body stalls: the total timeout must still apply.
    let app = Router::new().route(
        "/stall",
        get(|| async {
            let first = futures_util::stream::once(async {
                Ok::<_, std::io::Error>(Bytes::from_static(b"<p>start"))
            });
            let late = futures_util::stream::once(async {
                tokio::time::sleep(Duration::from_secs(3)).await;
                Ok::<_, std::io::Error>(Bytes::from_static(b"end</p>"))
            });
            (
                [("content-type", "text/html")],
                Body::from_stream(first.chain(late)),
            )
        }),
    );
    let addr = serve(app).await;
    let fetcher = Fetcher::new(&settings(Duration::from_secs(1), 1024)).expect("client");
    let started = tokio::time::Instant::now();
    let err = fetcher
        .get_html(&url(addr, "/stall"), None)
        .await
        .expect_err("timeout");
    assert!(matches!(err, FetchError::Timeout { .. }), "{err}");
    assert_eq!(started.elapsed(), Duration::from_secs(1));
}

#[tokio::test]
async fn refused_connection_is_connect_error() {
    let addr = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr")
    };
    let u = url(addr, "/gone");
    let err = fetcher().get_html(&u, None).await.expect_err("refused");
    assert!(matches!(err, FetchError::Connect { .. }), "{err}");
    assert!(err.to_string().to_lowercase().contains("refused"), "{err}");
    assert_names_url(&err, &u);
}

#[tokio::test]
async fn pdf_is_not_html() {
    let app = Router::new().route(
        "/doc.pdf",
        get(|| async { ([("content-type", "application/pdf")], "%PDF-1.4") }),
    );
    let addr = serve(app).await;
    let u = url(addr, "/doc.pdf");
    let err = fetcher().get_html(&u, None).await.expect_err("pdf");
    assert!(
        matches!(&err, FetchError::NotHtml { content_type, .. } if content_type == "application/pdf"),
        "{err}"
    );
    assert_names_url(&err, &u);
    // get_resource does not care about the type.
    let r = fetcher()
        .get_resource(&u, "application/pdf", &[], RequestPolicy::default())
        .await
        .expect("bytes");
    assert_eq!(r.final_url, u);
    assert_eq!(r.content_type.as_deref(), Some("application/pdf"));
    assert_eq!(&r.body[..], b"%PDF-1.4");
}

#[tokio::test]
async fn missing_content_type_is_accepted() {
    let app = Router::new().route(
        "/bare",
        get(|| async {
            let mut response = Response::new(Body::from("<p>bare</p>"));
            response.headers_mut().remove("content-type");
            response
        }),
    );
    let addr = serve(app).await;
    let page = fetched(
        fetcher()
            .get_html(&url(addr, "/bare"), None)
            .await
            .expect("fetch"),
    );
    assert_eq!(page.content_type, None);
    assert_eq!(page.text, "<p>bare</p>");
}

#[tokio::test]
async fn gzip_body_is_decoded() {
    let compressed = Arc::new(AtomicBool::new(false));
    let seen = compressed.clone();
    let body = format!("<p>{}</p>", RUSSIAN.repeat(50));
    let expected = body.clone();
    let app = Router::new()
        .route("/gz", get(move || async move { Html(body) }))
        .layer(
            // Only the gzip feature is built: this layer can answer nothing else.
            tower_http::compression::CompressionLayer::new(),
        )
        .layer(axum::middleware::from_fn(
            move |req: Request, next: Next| {
                let seen = seen.clone();
                async move {
                    let response = next.run(req).await;
                    if response
                        .headers()
                        .get("content-encoding")
                        .is_some_and(|v| v == "gzip")
                    {
                        seen.store(true, Ordering::SeqCst);
                    }
                    response
                }
            },
        ));
    let addr = serve(app).await;
    let page = fetched(
        fetcher()
            .get_html(&url(addr, "/gz"), None)
            .await
            .expect("fetch"),
    );
    assert!(compressed.load(Ordering::SeqCst), "server did not gzip");
    assert_eq!(page.text, expected);
}

fn redirect_app() -> Router {
    Router::new().route(
        "/r/{n}",
        get(|Path(n): Path<u32>| async move {
            if n == 0 {
                Html("<p>end</p>").into_response()
            } else {
                Redirect::temporary(&format!("/r/{}", n - 1)).into_response()
            }
        }),
    )
}

#[tokio::test]
async fn five_redirects_are_followed() {
    let addr = serve(redirect_app()).await;
    let page = fetched(
        fetcher()
            .get_html(&url(addr, "/r/5"), None)
            .await
            .expect("fetch"),
    );
    assert_eq!(page.url, url(addr, "/r/5"));
    assert_eq!(page.final_url, url(addr, "/r/0"));
    assert_eq!(page.text, "<p>end</p>");
}

#[tokio::test]
async fn six_redirects_fail() {
    let addr = serve(redirect_app()).await;
    let u = url(addr, "/r/6");
    let err = fetcher()
        .get_html(&u, None)
        .await
        .expect_err("too many redirects");
    assert_eq!(err.kind(), "redirect", "{err}");
    assert!(err.to_string().contains("too many redirects"), "{err}");
    assert_names_url(&err, &u);
}

// On the paused clock the server's 100 ms hold ends only once every ready request has
// been taken in, so the peak is what the limit allows, not what the machine's speed does.
#[tokio::test(start_paused = true)]
async fn per_host_limit_is_respected() {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (now, max) = (in_flight.clone(), peak.clone());
    let app = Router::new().route(
        "/slowish",
        get(move || {
            let (now, max) = (now.clone(), max.clone());
            async move {
                let current = now.fetch_add(1, Ordering::SeqCst) + 1;
                max.fetch_max(current, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(100)).await;
                now.fetch_sub(1, Ordering::SeqCst);
                Html("ok")
            }
        }),
    );
    let addr = serve(app).await;
    let fetcher = fetcher(); // two permits per host
    let u = url(addr, "/slowish");
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let (fetcher, u) = (fetcher.clone(), u.clone());
            tokio::spawn(async move { fetcher.get_html(&u, None).await.map(|_| ()) })
        })
        .collect();
    for task in tasks {
        task.await.expect("task").expect("fetch");
    }
    assert_eq!(peak.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn non_http_scheme_is_rejected() {
    let u = Url::parse("file:///etc/passwd").expect("URL");
    let err = fetcher().get_html(&u, None).await.expect_err("scheme");
    assert!(err.to_string().contains("scheme"), "{err}");
}
