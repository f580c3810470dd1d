//! The HTTP layer of `pressfeed run`, driven through the router (and once through a real
//! listener): feed bytes, validators, compression, index, OPML, health and metrics.

use std::io::Read as _;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode};
use pressfeed::app::metrics::Metrics;
use pressfeed::app::serve::{AppState, router, serve};
use pressfeed::config::Config;
use pressfeed::pipeline::{RunReport, SharedStore};
use pressfeed::render::write_if_changed;
use pressfeed::store::Store;
use tempfile::TempDir;
use tokio::sync::watch;
use tower::ServiceExt as _;

const SOURCE_A: &str = r#"
[[source]]
id = "a"
title = "Prokuror <A> & \"co\""
description = "Press releases"
listing_urls = ["https://a.example/news/"]
language = "ru"
timezone = "Asia/Almaty"
schedule = "*/30 * * * *"
"#;

const SOURCE_B: &str = r#"
[[source]]
id = "b"
title = "Source B"
listing_urls = ["https://b.example/"]
language = "kk"
"#;

fn config_text(sources: &[&str]) -> String {
    let mut t = String::from(
        "[settings]\ndatabase = \"db.sqlite\"\nfeeds_dir = \"feeds\"\n\
         base_url = \"http://feeds.example/\"\n",
    );
    for s in sources {
        t.push_str(s);
    }
    t
}

struct Fixture {
    dir: TempDir,
    app: Router,
    config_tx: watch::Sender<Arc<Config>>,
    store: SharedStore,
    metrics: Arc<Metrics>,
    state: AppState,
}

impl Fixture {
    fn new(sources: &[&str]) -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = parse(dir.path(), sources);
        let store = Store::open(&config.settings.database).expect("open store");
        let store: SharedStore = Arc::new(Mutex::new(store));
        let (config_tx, config_rx) = watch::channel(Arc::new(config));
        let metrics = Arc::new(Metrics::new());
        let state = AppState {
            config: config_rx,
            store: Arc::clone(&store),
            metrics: Arc::clone(&metrics),
        };
        Fixture {
            app: router(state.clone()),
            dir,
            config_tx,
            store,
            metrics,
            state,
        }
    }

    fn feed_path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join("feeds").join(name)
    }

    fn write(&self, name: &str, bytes: &[u8]) {
        write_if_changed(&self.feed_path(name), bytes).expect("write feed");
    }

    async fn req(&self, method: Method, uri: &str, headers: &[(&str, &str)]) -> Resp {
        let mut b = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let res = self
            .app
            .clone()
            .oneshot(b.body(Body::empty()).expect("request"))
            .await
            .expect("infallible");
        let status = res.status();
        let headers = res.headers().clone();
        let body = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .expect("body");
        Resp {
            status,
            headers,
            body,
        }
    }

    async fn get(&self, uri: &str, headers: &[(&str, &str)]) -> Resp {
        self.req(Method::GET, uri, headers).await
    }
}

fn parse(dir: &Path, sources: &[&str]) -> Config {
    Config::parse(&config_text(sources), &dir.join("config.toml")).expect("valid config")
}

struct Resp {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Resp {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.to_vec()).expect("utf-8 body")
    }
}

const RSS: &[u8] = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>\xd0\x9f\xd1\x80\xd0\xbe\xd0\xba\xd1\x83\xd1\x80\xd0\xbe\xd1\x80</title></channel></rss>\n";
const ATOM: &[u8] =
    b"<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>A</title></feed>";
const JSON: &[u8] =
    b"{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"A\",\"items\":[]}";

fn big_rss() -> Vec<u8> {
    let mut v = b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel>".to_vec();
    for i in 0..500 {
        v.extend_from_slice(
            format!("<item><title>Новость {i}</title><link>https://a.example/{i}</link></item>")
                .as_bytes(),
        );
    }
    v.extend_from_slice(b"</channel></rss>");
    v
}

#[tokio::test]
async fn serves_exact_bytes_with_content_types() {
    let f = Fixture::new(&[SOURCE_A]);
    f.write("a.rss", RSS);
    f.write("a.atom", ATOM);
    f.write("a.json", JSON);
    for (uri, bytes, ctype) in [
        ("/feeds/a.rss", RSS, "application/rss+xml; charset=utf-8"),
        ("/feeds/a.atom", ATOM, "application/atom+xml; charset=utf-8"),
        ("/feeds/a.json", JSON, "application/feed+json"),
    ] {
        let r = f.get(uri, &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        assert_eq!(&r.body[..], bytes, "{uri}");
        assert_eq!(r.header("content-type"), ctype);
        assert_eq!(r.header("content-encoding"), "");
        assert_eq!(r.header("vary"), "Accept-Encoding, Accept");
        let etag = r.header("etag").to_string();
        assert!(
            etag.len() == 34 && etag.starts_with('"') && etag.ends_with('"'),
            "{etag}"
        );
        assert!(httpdate::parse_http_date(r.header("last-modified")).is_ok());
        let max_age: i64 = r
            .header("cache-control")
            .strip_prefix("public, max-age=")
            .and_then(|n| n.parse().ok())
            .expect("cache-control");
        // schedule */30: the next run is at most 30 minutes away
        assert!((60..=1800).contains(&max_age), "{max_age}");
        // stable across requests
        let again = f.get(uri, &[]).await;
        assert_eq!(again.header("etag"), etag);
        assert_eq!(again.header("last-modified"), r.header("last-modified"));
    }
    // different bytes, different tags
    let a = f.get("/feeds/a.rss", &[]).await;
    let b = f.get("/feeds/a.atom", &[]).await;
    assert_ne!(a.header("etag"), b.header("etag"));
}

#[tokio::test]
async fn conditional_requests() {
    let f = Fixture::new(&[SOURCE_A]);
    f.write("a.rss", RSS);
    let first = f.get("/feeds/a.rss", &[]).await;
    let etag = first.header("etag").to_string();
    let hash = etag.trim_matches('"').to_string();
    let lm = first.header("last-modified").to_string();

    let matching = [
        etag.clone(),
        format!("W/{etag}"),
        format!("\"other\", {etag}"),
        "*".to_string(),
        // a compressed variant's tag names the same bytes
        format!("\"{hash}-br\""),
        format!("\"{hash}-gz\""),
    ];
    for inm in &matching {
        let r = f.get("/feeds/a.rss", &[("if-none-match", inm)]).await;
        assert_eq!(r.status, StatusCode::NOT_MODIFIED, "{inm}");
        assert!(r.body.is_empty());
        assert_eq!(r.header("etag"), etag);
        assert!(r.header("cache-control").starts_with("public, max-age="));
        assert_eq!(r.header("vary"), "Accept-Encoding, Accept");
    }
    for inm in ["\"nope\"", "W/\"nope\"", "garbage", &hash] {
        let r = f.get("/feeds/a.rss", &[("if-none-match", inm)]).await;
        assert_eq!(r.status, StatusCode::OK, "{inm}");
        assert_eq!(&r.body[..], RSS);
    }

    let r = f.get("/feeds/a.rss", &[("if-modified-since", &lm)]).await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    assert!(r.body.is_empty());
    let later = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(60));
    let r = f
        .get("/feeds/a.rss", &[("if-modified-since", &later)])
        .await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    let r = f
        .get(
            "/feeds/a.rss",
            &[("if-modified-since", "Thu, 01 Jan 2015 00:00:00 GMT")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = f
        .get("/feeds/a.rss", &[("if-modified-since", "not a date")])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // If-None-Match wins over If-Modified-Since
    let r = f
        .get(
            "/feeds/a.rss",
            &[("if-none-match", "\"nope\""), ("if-modified-since", &lm)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(&r.body[..], RSS);
}

#[tokio::test]
async fn rewritten_file_is_served_fresh() {
    let f = Fixture::new(&[SOURCE_A]);
    f.write("a.rss", b"<rss>version one</rss>");
    let one = f.get("/feeds/a.rss", &[("accept-encoding", "br")]).await;
    // same length, different bytes, within the same second
    f.write("a.rss", b"<rss>version two</rss>");
    let two = f.get("/feeds/a.rss", &[]).await;
    assert_eq!(&two.body[..], b"<rss>version two</rss>");
    assert_ne!(one.header("etag").trim_end_matches("-br\""), {
        two.header("etag").trim_end_matches('"')
    });
    // the old tag no longer matches
    let old = format!("{}\"", one.header("etag").trim_end_matches("-br\""));
    let r = f.get("/feeds/a.rss", &[("if-none-match", &old)]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(&r.body[..], b"<rss>version two</rss>");
    // and the compressed variant was rebuilt too
    let br = f.get("/feeds/a.rss", &[("accept-encoding", "br")]).await;
    assert_eq!(unbrotli(&br.body), b"<rss>version two</rss>");

    // removed → 404 again
    std::fs::remove_file(f.feed_path("a.rss")).expect("remove");
    assert_eq!(
        f.get("/feeds/a.rss", &[]).await.status,
        StatusCode::NOT_FOUND
    );
}

fn unbrotli(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(b, 4096)
        .read_to_end(&mut out)
        .expect("valid brotli");
    out
}

fn ungzip(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(b)
        .read_to_end(&mut out)
        .expect("valid gzip");
    out
}

#[tokio::test]
async fn compression() {
    let f = Fixture::new(&[SOURCE_A]);
    let bytes = big_rss();
    f.write("a.rss", &bytes);
    let plain = f.get("/feeds/a.rss", &[]).await;
    let br = f
        .get("/feeds/a.rss", &[("accept-encoding", "gzip, deflate, br")])
        .await;
    let gz = f.get("/feeds/a.rss", &[("accept-encoding", "gzip")]).await;
    assert_eq!(br.header("content-encoding"), "br");
    assert_eq!(gz.header("content-encoding"), "gzip");
    assert_eq!(unbrotli(&br.body), bytes);
    assert_eq!(ungzip(&gz.body), bytes);
    assert!(br.body.len() < bytes.len() / 3 && gz.body.len() < bytes.len() / 3);
    for r in [&plain, &br, &gz] {
        assert_eq!(r.header("vary"), "Accept-Encoding, Accept");
        assert_eq!(
            r.header("content-type"),
            "application/rss+xml; charset=utf-8"
        );
    }
    let tags = [plain.header("etag"), br.header("etag"), gz.header("etag")];
    assert_eq!(tags[1], format!("{}-br\"", tags[0].trim_end_matches('"')));
    assert_eq!(tags[2], format!("{}-gz\"", tags[0].trim_end_matches('"')));

    // negotiation: q=0 refuses, higher q wins, ties prefer br, * covers unnamed codings
    for (accept, expect) in [
        ("br;q=0, gzip", "gzip"),
        ("gzip;q=0.5, br;q=0.9", "br"),
        ("gzip;q=1.0, br;q=0.5", "gzip"),
        ("br, gzip", "br"),
        ("GZIP", "gzip"),
        ("identity", ""),
        ("gzip;q=0, br;q=0", ""),
        ("*", "br"),
        ("*;q=0", ""),
        ("gzip;q=0, *", "br"),
        ("deflate", ""),
    ] {
        let r = f.get("/feeds/a.rss", &[("accept-encoding", accept)]).await;
        assert_eq!(r.header("content-encoding"), expect, "{accept}");
    }

    // a 304 keeps the tag of the negotiated variant
    let r = f
        .get(
            "/feeds/a.rss",
            &[("accept-encoding", "br"), ("if-none-match", tags[1])],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    assert_eq!(r.header("etag"), tags[1]);
    assert!(r.body.is_empty());
}

#[tokio::test]
async fn head_has_headers_and_no_body() {
    let f = Fixture::new(&[SOURCE_A]);
    f.write("a.json", JSON);
    let get = f.get("/feeds/a.json", &[]).await;
    let head = f.req(Method::HEAD, "/feeds/a.json", &[]).await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());
    for h in [
        "etag",
        "last-modified",
        "content-type",
        "cache-control",
        "vary",
    ] {
        assert_eq!(head.header(h), get.header(h), "{h}");
    }
    assert_eq!(head.header("content-length"), JSON.len().to_string());
    let head = f
        .req(
            Method::HEAD,
            "/feeds/a.json",
            &[("accept-encoding", "gzip")],
        )
        .await;
    assert_eq!(head.header("content-encoding"), "gzip");
    assert!(head.body.is_empty());
    let head = f.req(Method::HEAD, "/", &[]).await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());
}

#[tokio::test]
async fn not_found_and_method_not_allowed() {
    let f = Fixture::new(&[SOURCE_A]);
    f.write("a.rss", RSS);
    std::fs::write(f.dir.path().join("config.rss"), b"secret").expect("write");
    std::fs::write(f.dir.path().join("config.toml"), b"secret").expect("write");
    for uri in [
        "/feeds/zzz.rss",
        "/feeds/../config.toml",
        "/feeds/%2e%2e%2fconfig.rss",
        "/feeds/..%2fconfig.rss",
        "/feeds/%2e%2e/config.rss",
        "/feeds/a.html",
        "/feeds/a",
        "/feeds/a.rss/",
        "/feeds/a.rss.rss",
        "/feeds/A.rss",
        "/feeds/",
        "/feeds/%ff.rss",
        "/nope",
        "/index.html",
    ] {
        let r = f.get(uri, &[]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(!r.text().contains("secret"));
    }
    // configured but never rendered
    let r = f.get("/feeds/a.atom", &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.text().contains("not rendered yet"));

    for (method, uri) in [
        (Method::POST, "/feeds/a.rss"),
        (Method::PUT, "/"),
        (Method::DELETE, "/opml"),
        (Method::POST, "/healthz"),
        (Method::PATCH, "/metrics"),
    ] {
        let r = f.req(method.clone(), uri, &[]).await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
        let allow = r.header("allow");
        assert!(allow.contains("GET") && allow.contains("HEAD"), "{allow}");
    }
}

#[tokio::test]
async fn index_page() {
    let f = Fixture::new(&[SOURCE_A, SOURCE_B]);
    {
        let store = f.store.lock().expect("lock");
        let at = chrono::DateTime::from_timestamp(1_700_000_000, 0).expect("time");
        store.record_run("a", at, None, 3).expect("record");
        store
            .record_run("b", at, Some("listing <failed> & \"gone\""), 0)
            .expect("record");
    }
    let r = f.get("/", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), "text/html; charset=utf-8");
    let html = r.text();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<meta charset=\"utf-8\">"));
    assert!(html.contains("<meta name=\"viewport\""));
    for (id, title) in [
        ("a", "Prokuror &#60;A&#62; &#38; &#34;co&#34;"),
        ("b", "Source B"),
    ] {
        for (mime, ext, label) in [
            ("application/rss+xml", "rss", "RSS"),
            ("application/atom+xml", "atom", "Atom"),
            ("application/feed+json", "json", "JSON Feed"),
        ] {
            let link = format!(
                "<link rel=\"alternate\" type=\"{mime}\" title=\"{title} ({label})\" \
                 href=\"http://feeds.example/feeds/{id}.{ext}\">"
            );
            assert!(html.contains(&link), "{link}\n{html}");
            assert!(html.contains(&format!(
                "<a href=\"http://feeds.example/feeds/{id}.{ext}\">"
            )));
        }
    }
    // text escaped, raw markup from config or errors never appears
    assert!(!html.contains("<A>"));
    assert!(!html.contains("<failed>"));
    assert!(html.contains("listing &#60;failed&#62; &#38; &#34;gone&#34;"));
    assert!(html.contains("<tr class=\"failing\">"));
    assert_eq!(html.matches("<tr class=\"failing\">").count(), 1);
    // Last success in the source's time zone: 1 700 000 000 is 2023-11-14 22:13:20 UTC, and
    // Asia/Almaty was UTC+6 until March 2024 (UTC+5 since), so the local day is the 15th.
    assert!(html.contains("<td>2023-11-15 04:13 +06</td>"), "{html}");
    assert!(!html.contains("2023-11-14"), "{html}");
    assert!(html.contains("1 failing"));
    // balanced tags where it matters
    for tag in ["html", "head", "body", "table", "tbody", "thead", "div"] {
        assert_eq!(
            html.matches(&format!("<{tag}")).count(),
            html.matches(&format!("</{tag}>")).count(),
            "{tag}"
        );
    }
    assert_eq!(html.matches("<tr").count(), html.matches("</tr>").count());
}

#[tokio::test]
async fn opml_lists_every_source() {
    let f = Fixture::new(&[SOURCE_A, SOURCE_B]);
    let r = f.get("/opml", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), "text/x-opml; charset=utf-8");
    let text = r.text();
    let doc = roxmltree::Document::parse(&text).expect("well-formed OPML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "opml");
    assert_eq!(root.attribute("version"), Some("2.0"));
    let outlines: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("outline"))
        .collect();
    assert_eq!(outlines.len(), 2);
    let a = outlines[0];
    assert_eq!(a.attribute("type"), Some("rss"));
    assert_eq!(a.attribute("text"), Some("Prokuror <A> & \"co\""));
    assert_eq!(a.attribute("title"), Some("Prokuror <A> & \"co\""));
    assert_eq!(
        a.attribute("xmlUrl"),
        Some("http://feeds.example/feeds/a.rss")
    );
    assert_eq!(a.attribute("htmlUrl"), Some("https://a.example/"));
    assert_eq!(a.attribute("language"), Some("ru"));
    assert_eq!(
        outlines[1].attribute("xmlUrl"),
        Some("http://feeds.example/feeds/b.rss")
    );
    assert_eq!(outlines[1].attribute("language"), Some("kk"));
}

#[tokio::test]
async fn healthz_reports_sources() {
    let f = Fixture::new(&[SOURCE_A, SOURCE_B]);
    {
        let store = f.store.lock().expect("lock");
        let at = chrono::DateTime::from_timestamp(1_700_000_000, 0).expect("time");
        store.record_run("a", at, None, 0).expect("record");
        store
            .record_run("b", at, Some("timeout"), 0)
            .expect("record");
        store
            .record_run("b", at, Some("timeout again"), 0)
            .expect("record");
    }
    let r = f.get("/healthz", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), "application/json");
    let v: serde_json::Value = serde_json::from_slice(&r.body).expect("json");
    assert_eq!(v["status"], "ok");
    let a = &v["sources"]["a"];
    assert_eq!(a["last_success"], "2023-11-14T22:13:20+00:00");
    assert!(a["last_error"].is_null());
    assert_eq!(a["consecutive_failures"], 0);
    assert_eq!(a["items"], 0);
    let b = &v["sources"]["b"];
    assert!(b["last_success"].is_null());
    assert_eq!(b["last_error"], "timeout again");
    assert_eq!(b["consecutive_failures"], 2);
}

#[tokio::test]
async fn metrics_endpoint() {
    let f = Fixture::new(&[SOURCE_A]);
    f.metrics.observe_run(
        &RunReport {
            source: "a".into(),
            new: 2,
            requests: 5,
            errors_by_kind: [("http_status".to_string(), 1)].into_iter().collect(),
            duration: Duration::from_secs(2),
            ..RunReport::default()
        },
        chrono::Utc::now(),
    );
    f.write("a.rss", RSS);
    f.get("/feeds/a.rss", &[]).await;
    let r = f.get("/metrics", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.header("content-type")
            .starts_with("application/openmetrics-text")
    );
    let text = r.text();
    for family in [
        "pressfeed_fetches_total{source=\"a\"} 5",
        "pressfeed_fetch_errors_total{source=\"a\",kind=\"http_status\"} 1",
        "pressfeed_items_total{source=\"a\",change=\"new\"} 2",
        "pressfeed_run_duration_seconds_bucket",
        "pressfeed_last_success_timestamp_seconds{source=\"a\"}",
        "pressfeed_runs_total{source=\"a\",result=\"ok\"} 1",
        "pressfeed_http_requests_total{route=\"feed\",status=\"200\"} 1",
    ] {
        assert!(text.contains(family), "{family}\n{text}");
    }
}

#[tokio::test]
async fn config_swap_without_restart() {
    let f = Fixture::new(&[SOURCE_A]);
    assert!(!f.get("/", &[]).await.text().contains("Source B"));
    assert_eq!(
        f.get("/feeds/b.rss", &[]).await.status,
        StatusCode::NOT_FOUND
    );
    f.write("b.rss", RSS);
    // on disk but not configured: still 404
    assert_eq!(
        f.get("/feeds/b.rss", &[]).await.status,
        StatusCode::NOT_FOUND
    );

    f.config_tx
        .send(Arc::new(parse(f.dir.path(), &[SOURCE_A, SOURCE_B])))
        .expect("receiver alive");
    assert!(f.get("/", &[]).await.text().contains("Source B"));
    let opml = f.get("/opml", &[]).await.text();
    assert!(opml.contains("http://feeds.example/feeds/b.rss"));
    let before = chrono::Utc::now();
    let r = f.get("/feeds/b.rss", &[]).await;
    let after = chrono::Utc::now();
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(&r.body[..], RSS);
    // b's default @hourly schedule (UTC): clients may cache until the next full hour, in
    // whole seconds, within [60, 3600], as seen at some moment between `before` and `after`.
    let max_age: i64 = r
        .header("cache-control")
        .strip_prefix("public, max-age=")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("cache-control: {:?}", r.header("cache-control")));
    type At = chrono::DateTime<chrono::Utc>;
    let next_hour = |at: At| {
        At::from_timestamp(at.timestamp().div_euclid(3600) * 3600 + 3600, 0).expect("time")
    };
    let max_age_at = |hour: At, now: At| (hour - now).num_seconds().clamp(60, 3600);
    // The next hour is before's or after's (they differ only when an hour began meanwhile).
    let allowed = [before, after].map(|at| {
        let hour = next_hour(at);
        max_age_at(hour, after)..=max_age_at(hour, before)
    });
    assert!(
        allowed.iter().any(|range| range.contains(&max_age)),
        "max-age={max_age}, allowed {allowed:?} (request between {before} and {after})"
    );

    // and back
    f.config_tx
        .send(Arc::new(parse(f.dir.path(), &[SOURCE_A])))
        .expect("receiver alive");
    assert_eq!(
        f.get("/feeds/b.rss", &[]).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn real_listener_and_graceful_shutdown() {
    let f = Fixture::new(&[SOURCE_A]);
    f.write("a.rss", RSS);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let shutdown = tokio_util::sync::CancellationToken::new();
    let server = tokio::spawn(serve(listener, f.state.clone(), shutdown.clone()));

    let client = reqwest::Client::builder()
        .no_gzip()
        .no_brotli()
        .build()
        .expect("client");
    let url = format!("http://{addr}/feeds/a.rss");
    let r = client.get(&url).send().await.expect("get");
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"].to_str().expect("etag").to_string();
    assert_eq!(&r.bytes().await.expect("body")[..], RSS);
    let r = client
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 304);
    assert!(r.headers().get("content-length").is_none_or(|v| v == "0"));
    assert!(r.bytes().await.expect("body").is_empty());
    let r = client
        .get(&url)
        .header("accept-encoding", "br")
        .send()
        .await
        .expect("get");
    assert_eq!(unbrotli(&r.bytes().await.expect("body")), RSS);
    let r = client.head(&url).send().await.expect("head");
    assert_eq!(
        r.headers()["content-length"],
        RSS.len().to_string().as_str()
    );

    shutdown.cancel();
    let result = tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("server stops promptly")
        .expect("task");
    assert!(result.is_ok());
}

#[tokio::test]
async fn index_speaks_the_readers_language() {
    let f = Fixture::new(&[SOURCE_A, SOURCE_B]);
    for (accept, lang, words) in [
        (
            "ru-RU,ru;q=0.9,en;q=0.8",
            "ru",
            ["Источник", "Последнее обновление", "2 источника"],
        ),
        ("kk", "kk", ["Дереккөз", "Соңғы жаңарту", "2 дереккөз"]),
        ("en-GB", "en", ["Source", "Last refresh", "2 sources"]),
        // q-values, not order, decide
        (
            "en;q=0.3, kk;q=0.9, ru;q=0.5",
            "kk",
            ["Дереккөз", "Соңғы жаңарту", "2 дереккөз"],
        ),
        // none of ours: the configured default (English unless `language` says otherwise)
        (
            "de, fr;q=0.5",
            "en",
            ["Source", "Last refresh", "2 sources"],
        ),
    ] {
        let r = f.get("/", &[("accept-language", accept)]).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.header("content-language"), lang, "{accept}");
        assert_eq!(r.header("vary"), "Accept-Language");
        let html = r.text();
        assert!(
            html.contains(&format!("<html lang=\"{lang}\">")),
            "{accept}"
        );
        for w in words {
            assert!(html.contains(w), "{accept}: {w}\n{html}");
        }
    }
}

#[tokio::test]
async fn configured_page_language_is_the_default() {
    let f = Fixture::new(&["language = \"ru\"\n", SOURCE_A]);
    let r = f.get("/", &[]).await;
    assert_eq!(r.header("content-language"), "ru");
    assert!(r.text().contains("1 источник"));
    let r = f.get("/", &[("accept-language", "kk")]).await;
    assert_eq!(r.header("content-language"), "kk");
}

#[tokio::test]
async fn feed_stylesheet_is_served_beside_the_feeds() {
    let f = Fixture::new(&[SOURCE_A]);
    let r = f.get("/feeds/feed.xsl", &[("accept-language", "kk")]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), "text/xsl; charset=utf-8");
    assert_eq!(r.header("content-language"), "kk");
    let xsl = r.text();
    roxmltree::Document::parse(&xsl).expect("well-formed XSLT");
    assert!(xsl.contains("Жазылу"), "{xsl}");
}

#[tokio::test]
async fn browsers_get_feeds_as_xml_so_the_stylesheet_applies() {
    let f = Fixture::new(&[SOURCE_A]);
    f.write("a.rss", RSS);
    f.write("a.atom", ATOM);
    f.write("a.json", JSON);
    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    for (file, reader_type) in [
        ("a.rss", "application/rss+xml; charset=utf-8"),
        ("a.atom", "application/atom+xml; charset=utf-8"),
    ] {
        let page = f
            .get(&format!("/feeds/{file}"), &[("accept", browser)])
            .await;
        assert_eq!(
            page.header("content-type"),
            "application/xml; charset=utf-8"
        );
        let reader = f.get(&format!("/feeds/{file}"), &[("accept", "*/*")]).await;
        assert_eq!(reader.header("content-type"), reader_type);
        assert_eq!(page.body, reader.body, "same bytes either way");
        assert_eq!(page.header("vary"), "Accept-Encoding, Accept");
    }
    let json = f.get("/feeds/a.json", &[("accept", browser)]).await;
    assert_eq!(json.header("content-type"), "application/feed+json");
}
