//! Shared helpers for integration tests: a local fixture HTTP server standing in for a press
//! site, config and expected-record loaders, and the `pressfeed` command.
//!
//! Fixture files use the placeholder origin `http://press.fixture`; the server rewrites it
//! to its real `http://127.0.0.1:PORT` in every text response, so fixtures stay portable and
//! absolute links in them point back at the server.

use std::collections::HashMap;
use std::fs;
use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The origin written in fixture files.
pub const PLACEHOLDER: &str = "http://press.fixture";

/// `tests/fixtures/<name>` in the source tree.
pub fn fixture_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join(name)
}

/// One request as the fixture server saw it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// Arrival number (from 0, never reused, not reset by `clear_requests`).
    pub seq: u64,
    pub path_and_query: String,
    /// Header names are lower case.
    pub headers: Vec<(String, String)>,
    /// Request body (only kept for POSTs to the WebSub hub stub at `/hub`).
    pub body: String,
}

/// One response as the fixture server finished it: the handler returned it (after any
/// delay), so its headers and body are on their way. A handler dropped before that (the
/// client hung up, the server shut down) leaves no record.
#[derive(Debug, Clone)]
pub struct RecordedResponse {
    /// The [`RecordedRequest::seq`] of the request this answers.
    pub request_seq: u64,
    pub path_and_query: String,
}

/// What the fixture server has seen so far, in order: requests as they arrived, responses as
/// they were completed.
#[derive(Debug, Default)]
pub struct ServerLog {
    pub requests: Vec<RecordedRequest>,
    pub responses: Vec<RecordedResponse>,
}

impl ServerLog {
    /// Requests whose path (query included) satisfies `f`.
    pub fn requests_to(&self, mut f: impl FnMut(&str) -> bool) -> usize {
        self.requests
            .iter()
            .filter(|r| f(&r.path_and_query))
            .count()
    }
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

struct Shared {
    root: PathBuf,
    base: String,
    /// Legacy sites declare their charset only in `<meta>`: HTML goes out without one.
    html_without_charset: bool,
    log: Mutex<ServerLog>,
    /// The next request's `seq`.
    next_seq: std::sync::atomic::AtomicU64,
    /// Notified whenever `log` grows.
    changed: Condvar,
    /// Responses to paths starting with this prefix are held back this long.
    delay: Mutex<Option<(String, Duration)>>,
    /// Faults injected per exact path.
    faults: Mutex<HashMap<String, Fault>>,
}

/// A misbehaviour of the fixture site, injected per path with [`FixtureServer::set_fault`].
#[derive(Debug, Clone)]
pub enum Fault {
    /// This status with these headers and an empty body.
    Status(u16, Vec<(&'static str, String)>),
    /// 200 with this body and content type.
    Body(Vec<u8>, &'static str),
    /// A body of this many bytes of HTML-ish filler, streamed.
    Huge(usize),
    /// Headers promise more bytes than are sent, then the connection ends.
    Truncated,
    /// 302 to this location.
    Redirect(String),
}

/// A fixture site served from a temp copy on 127.0.0.1 by axum on a background thread.
pub struct FixtureServer {
    /// `http://127.0.0.1:PORT` (no trailing slash), what replaces the placeholder.
    pub base: String,
    /// The temp copy being served; edit it (or use [`FixtureServer::set_file`]) between runs.
    pub root: PathBuf,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _copy: tempfile::TempDir,
}

impl FixtureServer {
    /// Copies `fixture_dir` to a temp dir and serves it. A fixture dir named `legacy` serves
    /// HTML as bare `text/html`; any file may carry extra headers in a sibling
    /// `<name>.headers` file (`Name: value` lines, replacing defaults).
    pub fn start(fixture_dir: impl AsRef<Path>) -> FixtureServer {
        let src = fixture_dir.as_ref();
        let copy = tempfile::tempdir().expect("create temp dir for fixture copy");
        copy_tree(src, copy.path());
        let root = copy.path().to_path_buf();
        let html_without_charset = src.file_name().is_some_and(|n| n == "legacy");

        let (addr_tx, addr_rx) = std::sync::mpsc::channel::<SocketAddr>();
        let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let (shared_tx, shared_rx) = std::sync::mpsc::channel::<Arc<Shared>>();
        let root_for_thread = root.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("build tokio runtime for fixture server");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind fixture server");
                let addr = listener.local_addr().expect("fixture server address");
                let shared = Arc::new(Shared {
                    root: root_for_thread,
                    base: format!("http://{addr}"),
                    html_without_charset,
                    log: Mutex::new(ServerLog::default()),
                    next_seq: std::sync::atomic::AtomicU64::new(0),
                    changed: Condvar::new(),
                    delay: Mutex::new(None),
                    faults: Mutex::new(HashMap::new()),
                });
                shared_tx.send(shared.clone()).expect("send shared state");
                addr_tx.send(addr).expect("send fixture server address");
                let app = axum::Router::new().fallback(serve).with_state(shared);
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = shutdown_rx.await;
                    })
                    .await
                    .expect("fixture server");
            });
        });
        let addr = addr_rx.recv().expect("fixture server start");
        let shared = shared_rx.recv().expect("fixture server state");
        FixtureServer {
            base: format!("http://{addr}"),
            root,
            shared,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
            _copy: copy,
        }
    }

    /// Absolute URL on this server for a path starting with `/`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Every request seen so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.log().requests.clone()
    }

    /// Every response completed so far, in order.
    pub fn responses(&self) -> Vec<RecordedResponse> {
        self.shared.log().responses.clone()
    }

    /// Blocks until `done` holds for the server's log (checked now and after every request
    /// and response), or `limit` has passed; returns whether `done` held. Event-driven: it
    /// wakes on the server's own records, not on a polling interval.
    pub fn wait_until(&self, limit: Duration, mut done: impl FnMut(&ServerLog) -> bool) -> bool {
        let deadline = std::time::Instant::now() + limit;
        let mut log = self.shared.log();
        loop {
            if done(&log) {
                return true;
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return false;
            }
            log = self
                .shared
                .changed
                .wait_timeout(log, left)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }

    /// [`FixtureServer::wait_until`] that fails the test, naming `what`, when `limit` (a
    /// guard against hanging forever, not a timing check) passes first.
    pub fn wait_for(&self, what: &str, limit: Duration, done: impl FnMut(&ServerLog) -> bool) {
        if !self.wait_until(limit, done) {
            let log = self.shared.log();
            panic!(
                "fixture server: still waiting for {what} after {limit:?}; requests {:?}, responses {:?}",
                log.requests
                    .iter()
                    .map(|r| &r.path_and_query)
                    .collect::<Vec<_>>(),
                log.responses
                    .iter()
                    .map(|r| &r.path_and_query)
                    .collect::<Vec<_>>()
            );
        }
    }

    /// Holds back every response to a path starting with `prefix` by `delay` (a slow site).
    pub fn set_delay(&self, prefix: &str, delay: Duration) {
        if let Ok(mut d) = self.shared.delay.lock() {
            *d = Some((prefix.to_string(), delay));
        }
    }

    /// Makes `path` (exact, without query) misbehave; `None` heals it.
    pub fn set_fault(&self, path: &str, fault: Option<Fault>) {
        if let Ok(mut f) = self.shared.faults.lock() {
            match fault {
                Some(fault) => f.insert(path.to_string(), fault),
                None => f.remove(path),
            };
        }
    }

    /// Forgets the requests (and completed responses) seen so far.
    pub fn clear_requests(&self) {
        let mut log = self.shared.log();
        log.requests.clear();
        log.responses.clear();
    }

    /// Replaces (or creates) a file of the served copy; `rel_path` is relative to the root.
    pub fn set_file(&self, rel_path: &str, contents: impl AsRef<[u8]>) {
        let p = self.root.join(rel_path);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).expect("create fixture dir");
        }
        fs::write(&p, contents).expect("write fixture file");
    }

    /// Current contents of a served file (with the placeholder, as stored).
    pub fn file(&self, rel_path: &str) -> String {
        fs::read_to_string(self.root.join(rel_path)).expect("read fixture file")
    }

    /// Copies `tests/fixtures/<fixture>/config.toml` into `dir` pointing at this server.
    pub fn copy_config(&self, dir: &Path, fixture: &str) -> PathBuf {
        copy_config(dir, fixture, &self.base)
    }
}

impl Shared {
    fn log(&self) -> MutexGuard<'_, ServerLog> {
        // A test that panicked while holding the lock leaves a usable log.
        self.log.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn record_request(&self, r: RecordedRequest) {
        self.log().requests.push(r);
        self.changed.notify_all();
    }

    fn record_response(&self, r: RecordedResponse) {
        self.log().responses.push(r);
        self.changed.notify_all();
    }
}

impl Drop for FixtureServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn copy_tree(src: &Path, dst: &Path) {
    fs::create_dir_all(dst).expect("create fixture copy dir");
    for entry in fs::read_dir(src).expect("read fixture dir") {
        let entry = entry.expect("fixture dir entry");
        let to = dst.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &to);
        } else {
            fs::copy(entry.path(), &to).expect("copy fixture file");
        }
    }
}

fn content_type(path: &Path, html_without_charset: bool) -> (&'static str, bool) {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match ext {
        "html" | "htm" if html_without_charset => ("text/html", true),
        "html" | "htm" => ("text/html; charset=utf-8", true),
        "xml" => ("application/xml", true),
        "json" => ("application/json", true),
        "txt" | "toml" => ("text/plain; charset=utf-8", true),
        "css" => ("text/css", true),
        "js" => ("application/javascript", true),
        "jpg" | "jpeg" => ("image/jpeg", false),
        "png" => ("image/png", false),
        "gif" => ("image/gif", false),
        _ => ("application/octet-stream", false),
    }
}

fn replace_bytes(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

fn status(code: StatusCode, body: &'static str) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = code;
    r
}

/// Maps `/a/b/` to `a/b/index.html` (or `a/b/amp.html` for `?amp=1`), `/a/x.html` to itself,
/// `/a/b?k=v&j=w` to `a/b/j=w&k=v.json` (or `.html`) and `/a/b` to `a/b.html` when that file
/// exists; refuses `..`.
fn resolve(root: &Path, path: &str, query: Option<&str>) -> Result<PathBuf, Box<Response>> {
    let mut rel = PathBuf::new();
    for part in path.trim_start_matches('/').split('/') {
        if part.is_empty() {
            continue;
        }
        let part = Path::new(part);
        if part
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
        {
            return Err(Box::new(status(StatusCode::BAD_REQUEST, "bad path")));
        }
        rel.push(part);
    }
    let full = root.join(&rel);
    // API answers: `/wp-json/wp/v2/posts?page=2&per_page=3` is served from
    // `wp-json/wp/v2/posts/page=2&per_page=3.json` (pairs sorted, as sent), when that exists.
    // HTML pages by query the same way: Telegram's `/s/chan?before=9` from
    // `s/chan/before=9.html`, Drupal's `?page=1` and Bitrix's `?PAGEN_1=2` from `page=1.html`.
    if let Some(q) = query {
        let mut pairs: Vec<&str> = q.split('&').filter(|p| !p.is_empty()).collect();
        pairs.sort_unstable();
        for ext in ["json", "html"] {
            let name = format!("{}.{ext}", pairs.join("&"));
            if !name.contains(['/', '\\']) && full.join(&name).is_file() {
                return Ok(full.join(name));
            }
        }
    }
    // Slash-less pages that are not folders (`/s/chan`) from `s/chan.html`.
    if !path.ends_with('/') && !rel.as_os_str().is_empty() {
        let page = full.with_extension("html");
        if full.extension().is_none() && page.is_file() {
            return Ok(page);
        }
    }
    let amp = query.is_some_and(|q| q.split('&').any(|kv| kv == "amp=1" || kv == "amp"));
    if path.ends_with('/') {
        let file = full.join(if amp { "amp.html" } else { "index.html" });
        return if file.is_file() {
            Ok(file)
        } else {
            Err(Box::new(status(StatusCode::NOT_FOUND, "not found")))
        };
    }
    if full.is_dir() {
        // WordPress answers a slash-less permalink with a redirect to the canonical form.
        let mut r = status(StatusCode::MOVED_PERMANENTLY, "");
        let loc = match query {
            Some(q) => format!("{path}/?{q}"),
            None => format!("{path}/"),
        };
        if let Ok(v) = HeaderValue::from_str(&loc) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        return Err(Box::new(r));
    }
    if full.is_file() && full.extension().is_none_or(|e| e != "headers") {
        Ok(full)
    } else {
        Err(Box::new(status(StatusCode::NOT_FOUND, "not found")))
    }
}

fn extra_headers(file: &Path) -> Vec<(String, String)> {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".headers");
    let Ok(text) = fs::read_to_string(file.with_file_name(name)) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

/// Serves one request and records its response once the handler has produced it.
async fn serve(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let path_and_query = req
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_else(|| req.uri().path().to_string());
    let seq = shared
        .next_seq
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let resp = respond(&shared, seq, req).await;
    shared.record_response(RecordedResponse {
        request_seq: seq,
        path_and_query,
    });
    resp
}

async fn respond(shared: &Shared, seq: u64, req: Request) -> Response {
    let uri = req.uri().clone();
    // The WebSub hub stub: record the ping (with its form body) and accept it.
    if req.method() == http::Method::POST && uri.path() == "/hub" {
        let headers = req
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = axum::body::to_bytes(req.into_body(), 64 * 1024)
            .await
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        shared.record_request(RecordedRequest {
            seq,
            path_and_query: "/hub".into(),
            headers,
            body,
        });
        return Response::builder()
            .status(StatusCode::ACCEPTED)
            .body(Body::empty())
            .expect("static response");
    }
    let delay = shared
        .delay
        .lock()
        .ok()
        .and_then(|d| d.clone())
        .filter(|(prefix, _)| uri.path().starts_with(prefix.as_str()))
        .map(|(_, d)| d);
    let headers: &HeaderMap = req.headers();
    let recorded = RecordedRequest {
        seq,
        body: String::new(),
        path_and_query: uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_else(|| uri.path().to_string()),
        headers: headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
    };
    shared.record_request(recorded);
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    let fault = shared
        .faults
        .lock()
        .ok()
        .and_then(|f| f.get(uri.path()).cloned());
    if let Some(fault) = fault {
        return fault_response(fault);
    }

    let file = match resolve(&shared.root, uri.path(), uri.query()) {
        Ok(f) => f,
        Err(resp) => return *resp,
    };
    let Ok(raw) = fs::read(&file) else {
        return status(StatusCode::NOT_FOUND, "not found");
    };
    let (ctype, is_text) = content_type(&file, shared.html_without_charset);
    let body = if is_text {
        // JSON-LD printed by wp_json_encode escapes slashes: `http:\/\/press.fixture`.
        let once = replace_bytes(&raw, PLACEHOLDER.as_bytes(), shared.base.as_bytes());
        replace_bytes(
            &once,
            PLACEHOLDER.replace('/', "\\/").as_bytes(),
            shared.base.replace('/', "\\/").as_bytes(),
        )
    } else {
        raw
    };
    let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&body))[..16]);

    let if_none_match = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let not_modified = if_none_match
        .split(',')
        .map(str::trim)
        .any(|t| t == "*" || t == etag || t.strip_prefix("W/") == Some(etag.as_str()));

    let mut resp = if not_modified {
        status(StatusCode::NOT_MODIFIED, "")
    } else {
        Response::new(Body::from(body))
    };
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if !not_modified {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    }
    for (k, v) in extra_headers(&file) {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::from_str(&v)) {
            h.insert(k, v);
        }
    }
    resp
}

fn fault_response(fault: Fault) -> Response {
    let b = Response::builder();
    match fault {
        Fault::Status(status, headers) => {
            let mut b = b.status(status);
            for (k, v) in headers {
                b = b.header(k, v);
            }
            b.body(Body::empty())
        }
        Fault::Body(bytes, ctype) => b
            .header(header::CONTENT_TYPE, ctype)
            .body(Body::from(bytes)),
        Fault::Huge(n) => {
            let chunk = bytes::Bytes::from(vec![b'x'; 64 * 1024]);
            let count = n.div_ceil(chunk.len());
            let stream = futures_util::stream::iter(
                (0..count).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
            );
            b.header(header::CONTENT_TYPE, "text/html; charset=utf-8")
                .body(Body::from_stream(stream))
        }
        Fault::Truncated => {
            let stream = futures_util::stream::iter(vec![
                Ok::<_, std::io::Error>(bytes::Bytes::from_static(
                    b"<html><body><article class=\"post\">",
                )),
                Err(std::io::Error::other("connection dropped")),
            ]);
            b.header(header::CONTENT_TYPE, "text/html; charset=utf-8")
                .header(header::CONTENT_LENGTH, "100000")
                .body(Body::from_stream(stream))
        }
        Fault::Redirect(to) => b
            .status(302)
            .header(header::LOCATION, to)
            .body(Body::empty()),
    }
    .expect("fault response")
}

/// Copies `tests/fixtures/<fixture>/config.toml` to `dir/config.toml` with the placeholder
/// origin replaced by `base`; returns the new path.
pub fn copy_config(dir: &Path, fixture: &str, base: &str) -> PathBuf {
    let text =
        fs::read_to_string(fixture_dir(fixture).join("config.toml")).expect("read fixture config");
    let out = dir.join("config.toml");
    fs::write(&out, text.replace(PLACEHOLDER, base)).expect("write config copy");
    out
}

/// The expected records of one fixture (`tests/fixtures/<fixture>/expected.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    #[serde(default)]
    pub body_excludes_all: Vec<String>,
    #[serde(rename = "article")]
    pub articles: Vec<ExpectedArticle>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedArticle {
    pub id: String,
    pub title: String,
    /// RFC 3339 with the source's offset, or `"first-seen"`.
    pub published: String,
    pub author: Option<String>,
    pub categories: Option<Vec<String>>,
    /// `Some("")`: no image allowed; `None`: not checked.
    pub image: Option<String>,
    pub language: Option<String>,
    #[serde(default)]
    pub body_contains: Vec<String>,
    #[serde(default)]
    pub body_excludes: Vec<String>,
}

impl Expected {
    pub fn by_id(&self) -> HashMap<&str, &ExpectedArticle> {
        self.articles.iter().map(|a| (a.id.as_str(), a)).collect()
    }
}

/// Loads `tests/fixtures/<fixture>/expected.toml` with the placeholder replaced by `base`.
pub fn load_expected(fixture: &str, base: &str) -> Expected {
    let text =
        fs::read_to_string(fixture_dir(fixture).join("expected.toml")).expect("read expected.toml");
    toml::from_str(&text.replace(PLACEHOLDER, base)).expect("parse expected.toml")
}

/// The `pressfeed` binary built by cargo for this test run.
pub fn pressfeed() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(assert_cmd::cargo::cargo_bin("pressfeed"));
    // Keep runs hermetic: no inherited log filters or proxies.
    cmd.env_remove("RUST_LOG")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .env("NO_PROXY", "127.0.0.1");
    cmd
}

/// Body-text similarity as difflib's ratio over tokens: 2·LCS / (|a| + |b|), 1.0 for two
/// equal (or two empty) token lists. Each test chooses its own tokenization.
pub fn lcs_ratio<T: PartialEq>(a: &[T], b: &[T]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let mut prev = vec![0usize; b.len() + 1];
    for x in a {
        let mut cur = vec![0usize; b.len() + 1];
        for (j, y) in b.iter().enumerate() {
            cur[j + 1] = if x == y {
                prev[j] + 1
            } else {
                cur[j].max(prev[j + 1])
            };
        }
        prev = cur;
    }
    2.0 * prev[b.len()] as f64 / (a.len() + b.len()) as f64
}
