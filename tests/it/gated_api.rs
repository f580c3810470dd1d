//! Gated JSON APIs (gov.kz answers anonymous clients `400 {"message":"notAllowed"}`): a
//! fixture API on 127.0.0.1 that implements both gates public scrapers describe, and
//! pressfeed getting through each, renewing an expired session once per run, failing with a
//! useful message when it cannot, keeping cookies per source, and per-source robots.txt.
//!
//! The two gates of [`GateServer`]:
//! - headers: `token: <UUID v4>` and `hash: <bcrypt(token)>`, the hash really verified;
//! - ticket: `POST /api/v1/public/_/c/k6` sets a `ticket` cookie the news API requires; a
//!   ticket may be limited to a number of API calls (then the API answers 403).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use pressfeed::config::Config;
use pressfeed::pipeline::RunReport;
use pressfeed::store::Store;

use crate::refresh::run_refresh;

/// Which gate the fixture API enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Headers,
    Ticket,
    /// Both: the headers and the ticket.
    Both,
    /// No gate (the robots tests).
    Open,
}

/// One request as the gate server saw it, with its answer's status.
#[derive(Debug, Clone)]
pub struct Hit {
    pub method: String,
    pub path_and_query: String,
    pub headers: Vec<(String, String)>,
    pub status: u16,
}

impl Hit {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `src=` of the query: which configured source sent it.
    pub fn src(&self) -> &str {
        query_value(&self.path_and_query, "src").unwrap_or("")
    }
}

struct GateState {
    gate: Gate,
    /// Items the news API lists, newest first, two per page.
    items: usize,
    /// API calls one ticket allows; `None`: unlimited.
    calls_per_ticket: Option<usize>,
    refuse_sessions: AtomicBool,
    reject_api: AtomicBool,
    next_ticket: AtomicUsize,
    /// ticket → (src of the session that got it, API calls left).
    tickets: Mutex<HashMap<String, (String, Option<usize>)>>,
    hits: Mutex<Vec<Hit>>,
}

/// The fixture API, served by axum on a background thread.
pub struct GateServer {
    pub base: String,
    state: Arc<GateState>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl GateServer {
    pub fn start(gate: Gate, items: usize, calls_per_ticket: Option<usize>) -> GateServer {
        let state = Arc::new(GateState {
            gate,
            items,
            calls_per_ticket,
            refuse_sessions: AtomicBool::new(false),
            reject_api: AtomicBool::new(false),
            next_ticket: AtomicUsize::new(1),
            tickets: Mutex::new(HashMap::new()),
            hits: Mutex::new(Vec::new()),
        });
        let (addr_tx, addr_rx) = std::sync::mpsc::channel::<SocketAddr>();
        let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let shared = state.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("gate server runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind gate server");
                addr_tx
                    .send(listener.local_addr().expect("address"))
                    .expect("send address");
                let app = axum::Router::new().fallback(answer).with_state(shared);
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = shutdown_rx.await;
                    })
                    .await
                    .expect("gate server");
            });
        });
        let addr = addr_rx.recv().expect("gate server start");
        GateServer {
            base: format!("http://{addr}"),
            state,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        }
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.state.hits.lock().expect("hits").clone()
    }

    pub fn clear(&self) {
        self.state.hits.lock().expect("hits").clear();
    }

    /// Session requests seen so far.
    pub fn sessions(&self) -> Vec<Hit> {
        self.hits()
            .into_iter()
            .filter(|h| h.path_and_query.starts_with(SESSION_PATH))
            .collect()
    }

    /// News API requests seen so far.
    pub fn api_calls(&self) -> Vec<Hit> {
        self.hits()
            .into_iter()
            .filter(|h| h.path_and_query.starts_with(NEWS_PATH))
            .collect()
    }

    pub fn refuse_sessions(&self, on: bool) {
        self.state.refuse_sessions.store(on, Ordering::SeqCst);
    }

    pub fn reject_api(&self, on: bool) {
        self.state.reject_api.store(on, Ordering::SeqCst);
    }

    /// The src of the session that was given `ticket`.
    pub fn ticket_owner(&self, ticket: &str) -> Option<String> {
        let t = self.state.tickets.lock().expect("tickets");
        t.get(ticket).map(|(src, _)| src.clone())
    }
}

impl Drop for GateServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

const SESSION_PATH: &str = "/api/v1/public/_/c/k6";
const NEWS_PATH: &str = "/api/v1/public/content-manager/news";

fn query_value<'a>(path_and_query: &'a str, key: &str) -> Option<&'a str> {
    let query = path_and_query.split_once('?')?.1;
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

fn json(status: u16, body: String, cookie: Option<String>) -> Response {
    let mut b = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(c) = cookie {
        b = b.header(header::SET_COOKIE, c);
    }
    b.body(Body::from(body)).expect("response")
}

async fn answer(State(state): State<Arc<GateState>>, req: Request) -> Response {
    let path_and_query = req
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(k, v)| {
            let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
            (k.as_str().to_string(), v)
        })
        .collect();
    let method = req.method().to_string();
    let mut hit = Hit {
        method,
        path_and_query: path_and_query.clone(),
        headers,
        status: 0,
    };
    let resp = respond(&state, &hit, req.uri().path());
    hit.status = resp.status().as_u16();
    state.hits.lock().expect("hits").push(hit);
    resp
}

fn respond(state: &GateState, hit: &Hit, path: &str) -> Response {
    match path {
        // The press service's own API directory is closed to robots.
        "/robots.txt" => Response::builder()
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from("User-agent: *\nDisallow: /api/\n"))
            .expect("robots"),
        SESSION_PATH if hit.method == "POST" => open_session(state, hit),
        NEWS_PATH => match admitted(state, hit) {
            Ok(()) => news_page(state, hit),
            Err((status, message)) => json(status, format!(r#"{{"message":"{message}"}}"#), None),
        },
        _ => {
            let mut r = Response::new(Body::from("not found"));
            *r.status_mut() = StatusCode::NOT_FOUND;
            r
        }
    }
}

fn open_session(state: &GateState, hit: &Hit) -> Response {
    if state.refuse_sessions.load(Ordering::SeqCst) {
        return json(403, r#"{"message":"sessionRefused"}"#.into(), None);
    }
    let n = state.next_ticket.fetch_add(1, Ordering::SeqCst);
    let ticket = format!("t{n}");
    state.tickets.lock().expect("tickets").insert(
        ticket.clone(),
        (hit.src().to_string(), state.calls_per_ticket),
    );
    json(
        200,
        "{}".into(),
        Some(format!("ticket={ticket}; Path=/; HttpOnly")),
    )
}

/// Whether the request passes the gate; else the status and message gov.kz would send.
fn admitted(state: &GateState, hit: &Hit) -> Result<(), (u16, &'static str)> {
    if state.reject_api.load(Ordering::SeqCst) {
        return Err((400, "notAllowed"));
    }
    match state.gate {
        Gate::Open => Ok(()),
        Gate::Headers => admitted_by_headers(hit),
        Gate::Ticket => admitted_by_ticket(state, hit),
        Gate::Both => admitted_by_headers(hit).and_then(|()| admitted_by_ticket(state, hit)),
    }
}

/// `token` must be a UUID v4 and `hash` a bcrypt hash of it (any cost).
fn admitted_by_headers(hit: &Hit) -> Result<(), (u16, &'static str)> {
    let token = hit.header("token").ok_or((400, "notAllowed"))?;
    let hash = hit.header("hash").ok_or((400, "notAllowed"))?;
    let is_v4 = uuid::Uuid::parse_str(token).is_ok_and(|u| u.get_version_num() == 4);
    if is_v4 && bcrypt::verify(token, hash).unwrap_or(false) {
        Ok(())
    } else {
        Err((400, "notAllowed"))
    }
}

/// The `ticket` cookie must be one the session endpoint gave out, with calls left.
fn admitted_by_ticket(state: &GateState, hit: &Hit) -> Result<(), (u16, &'static str)> {
    let ticket = hit
        .header("cookie")
        .into_iter()
        .flat_map(|c| c.split(';'))
        .find_map(|kv| kv.trim().strip_prefix("ticket="))
        .ok_or((400, "notAllowed"))?;
    let mut tickets = state.tickets.lock().expect("tickets");
    match tickets.get_mut(ticket) {
        None => Err((400, "notAllowed")),
        Some((_, Some(0))) => Err((403, "ticketExpired")),
        Some((_, Some(left))) => {
            *left -= 1;
            Ok(())
        }
        Some((_, None)) => Ok(()),
    }
}

/// Two items per page, newest (highest id) first.
fn news_page(state: &GateState, hit: &Hit) -> Response {
    let page: usize = query_value(&hit.path_and_query, "page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1);
    let ids: Vec<usize> = (1..=state.items)
        .rev()
        .skip((page.max(1) - 1) * 2)
        .take(2)
        .collect();
    let items: Vec<serde_json::Value> = ids
        .iter()
        .map(|id| {
            serde_json::json!({
                "id": id,
                "title": format!("Новость {id} ({})", hit.src()),
                "created_date": format!("2025-09-{:02}T10:00:00.000+05:00", id),
                "body": format!("<p>Пресс-служба сообщает: событие номер {id}.</p>"),
            })
        })
        .collect();
    json(200, serde_json::Value::Array(items).to_string(), None)
}

// ---- configs ------------------------------------------------------------------------------

const SETTINGS: &str = "[settings]\ndatabase = \"pressfeed.db\"\nfeeds_dir = \"feeds\"\n\
    base_url = \"http://127.0.0.1:8080/\"\nmin_delay_ms = 0\nretries = 0\n\n";

/// The header gate's recipe (a low bcrypt cost keeps debug test runs quick; the server
/// verifies any cost).
const HEADERS_RECIPE: &str =
    "headers = { token = \"{uuid}\", hash = \"{bcrypt:token}\" }\nbcrypt_cost = 4\n";

/// The cookie ticket recipe.
const TICKET_RECIPE: &str = "\n[source.json.session]\nmethod = \"POST\"\nurl = \"BASE/api/v1/public/_/c/k6?src=SRC\"\nbody = \"{}\"\n";

/// What the gov.kz sources set: the press service's own API, which robots.txt closes.
const OWN_API: &str = "respect_robots = false";

/// One JSON source `id` on the gate server; `top` goes into `[[source]]`, `recipe` after
/// the `[source.json]` keys.
fn source(base: &str, id: &str, top: &str, recipe: &str) -> String {
    let text = "[[source]]\nid = \"SRC\"\ntitle = \"Gate SRC\"\nkind = \"json\"\n\
        timezone = \"Asia/Almaty\"\nmax_pages = 5\nTOP\n\n[source.json]\n\
        url = \"BASE/api/v1/public/content-manager/news?src=SRC&page={page}\"\n\
        id = \"id\"\ntitle = \"title\"\ndate = \"created_date\"\nbody = \"body\"\n\
        link = \"BASE/news/details/{id}?src=SRC\"\nRECIPE\n";
    text.replace("TOP", top)
        .replace("RECIPE", recipe)
        .replace("BASE", base)
        .replace("SRC", id)
}

fn write_config(dir: &Path, sources: &[String]) -> PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(&path, format!("{SETTINGS}{}", sources.concat())).expect("write config");
    path
}

/// Runs every source once in process on a new pipeline (what `pressfeed refresh` does).
fn refresh(cfg: &Path) -> Vec<RunReport> {
    crate::sources::refresh(cfg).1
}

fn stored(cfg: &Path, id: &str) -> usize {
    let config = Config::load(cfg).expect("config");
    Store::open(&config.settings.database)
        .expect("store")
        .recent(id, 1000)
        .expect("recent")
        .len()
}

/// A gate server and a config of `sources` (id, `[[source]]` extras, recipe) pointing at it.
fn scene(
    gate: Gate,
    items: usize,
    calls_per_ticket: Option<usize>,
    sources: &[(&str, &str, &str)],
) -> (GateServer, tempfile::TempDir, PathBuf) {
    let server = GateServer::start(gate, items, calls_per_ticket);
    let dir = tempfile::tempdir().expect("temp dir");
    let texts: Vec<String> = sources
        .iter()
        .map(|(id, top, recipe)| source(&server.base, id, top, recipe))
        .collect();
    let cfg = write_config(dir.path(), &texts);
    (server, dir, cfg)
}

/// The server's requests as `METHOD path?query → status`, robots.txt left out.
fn requests(server: &GateServer) -> Vec<String> {
    server
        .hits()
        .iter()
        .filter(|h| h.path_and_query != "/robots.txt")
        .map(|h| format!("{} {} → {}", h.method, h.path_and_query, h.status))
        .collect()
}

/// `GET` of news page `page` of source `src` and its status, as [`requests`] writes it.
fn news(src: &str, page: u32, status: u16) -> String {
    format!("GET {NEWS_PATH}?src={src}&page={page} → {status}")
}

/// The session request of source `src` and its status, as [`requests`] writes it.
fn session(src: &str, status: u16) -> String {
    format!("POST {SESSION_PATH}?src={src} → {status}")
}

fn clean(r: &RunReport) {
    assert!(r.fatal.is_none() && r.failed.is_empty(), "{r:?}");
}

// ---- the gates --------------------------------------------------------------------------

#[test]
fn token_and_bcrypt_hash_headers_pass_the_header_gate() {
    let (server, _dir, cfg) = scene(Gate::Headers, 3, None, &[("hdr", OWN_API, HEADERS_RECIPE)]);
    let r = &refresh(&cfg)[0];
    clean(r);
    assert_eq!(r.new, 3, "{r:?}");
    assert_eq!(stored(&cfg, "hdr"), 3);
    let calls = server.api_calls();
    assert!(calls.iter().all(|h| h.status == 200), "{calls:?}");
    // One session per run: the same token on every call of the run, a new one next run.
    let token = |h: &Hit| h.header("token").map(str::to_string);
    let first = token(&calls[0]);
    assert!(calls.iter().all(|h| token(h) == first), "{calls:?}");
    server.clear();
    clean(&refresh(&cfg)[0]);
    let again = token(&server.api_calls()[0]);
    assert!(again.is_some() && again != first, "{again:?} vs {first:?}");
}

#[test]
fn a_session_post_sets_the_cookie_ticket_the_api_requires() {
    let (server, _dir, cfg) = scene(Gate::Ticket, 3, None, &[("tkt", OWN_API, TICKET_RECIPE)]);
    let r = &refresh(&cfg)[0];
    clean(r);
    assert_eq!(r.new, 3, "{r:?}");
    assert_eq!(
        requests(&server),
        [
            session("tkt", 200),
            news("tkt", 1, 200),
            news("tkt", 2, 200),
            news("tkt", 3, 200),
        ],
        "the session comes first, then the pages (page 3 is empty)"
    );
    let hits = server.hits();
    assert_eq!(hits[0].header("content-type"), Some("application/json"));
    // The session request is counted with the run's requests.
    assert_eq!(r.requests, 4, "{r:?}");
}

#[test]
fn an_api_without_a_configured_gate_fails_naming_the_server_message_and_what_to_try() {
    let (server, _dir, cfg) = scene(Gate::Headers, 3, None, &[("anon", OWN_API, "")]);
    let r = &refresh(&cfg)[0];
    let fatal = r.fatal.as_deref().expect("the run fails");
    assert!(fatal.contains("HTTP 400 \"notAllowed\""), "{fatal}");
    assert!(
        fatal.contains("configure a [source.json.session]"),
        "{fatal}"
    );
    // Nothing in the config can change between two tries, so there is no second one.
    assert_eq!(server.api_calls().len(), 1);
}

#[test]
fn a_refused_session_fails_the_run_and_keeps_the_last_good_feed() {
    let (server, dir, cfg) = scene(Gate::Ticket, 3, None, &[("tkt", OWN_API, TICKET_RECIPE)]);
    let (code, stderr) = run_refresh(&cfg);
    assert_eq!(code, Some(0), "{stderr}");
    let feed = dir.path().join("feeds").join("tkt.rss");
    let good = std::fs::read(&feed).expect("feed written");

    // The session endpoint now refuses: a clear error, exit code 1, feed and store kept.
    server.clear();
    server.refuse_sessions(true);
    let (code, stderr) = run_refresh(&cfg);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("session request POST")
            && stderr.contains("HTTP 403 \"sessionRefused\"")
            && stderr.contains("check [source.json.session]"),
        "{stderr}"
    );
    assert!(
        server.api_calls().is_empty(),
        "no API call without a session"
    );
    assert_eq!(std::fs::read(&feed).expect("feed kept"), good);
    assert_eq!(stored(&cfg, "tkt"), 3);

    // The session opens but the API still refuses after a second one.
    server.clear();
    server.refuse_sessions(false);
    server.reject_api(true);
    let (code, stderr) = run_refresh(&cfg);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("HTTP 400 \"notAllowed\"")
            && stderr.contains("still refuses after a new session"),
        "{stderr}"
    );
    assert_eq!(server.sessions().len(), 2, "{:?}", server.hits());
    assert_eq!(server.api_calls().len(), 2, "{:?}", server.hits());
    assert_eq!(std::fs::read(&feed).expect("feed kept"), good);
    assert_eq!(stored(&cfg, "tkt"), 3);
}

#[test]
fn a_ticket_expiring_mid_run_costs_exactly_one_new_session() {
    // 5 items: pages 1-3 hold items, page 4 is empty; a ticket allows 2 calls.
    let (server, _dir, cfg) = scene(Gate::Ticket, 5, Some(2), &[("tkt", OWN_API, TICKET_RECIPE)]);
    let r = &refresh(&cfg)[0];
    clean(r);
    assert_eq!(r.new, 5, "{r:?}");
    assert_eq!(
        requests(&server),
        [
            session("tkt", 200),
            news("tkt", 1, 200),
            news("tkt", 2, 200),
            news("tkt", 3, 403),
            session("tkt", 200),
            news("tkt", 3, 200),
            news("tkt", 4, 200),
        ]
    );
}

#[test]
fn a_second_refusal_in_one_run_fails_that_page_cleanly() {
    // A ticket allows one call: page 2 needs a new session, page 3 is refused for good.
    let (server, _dir, cfg) = scene(Gate::Ticket, 6, Some(1), &[("tkt", OWN_API, TICKET_RECIPE)]);
    let r = &refresh(&cfg)[0];
    assert!(r.fatal.is_none(), "pages 1 and 2 were read: {r:?}");
    assert_eq!(r.new, 4, "{r:?}");
    assert_eq!(server.sessions().len(), 2);
    let failed: String = r
        .failed
        .iter()
        .map(|(what, e)| format!("{what}: {e}\n"))
        .collect();
    assert!(
        failed.contains("HTTP 403 \"ticketExpired\"") && failed.contains("page=3"),
        "{failed}"
    );
    assert_eq!(stored(&cfg, "tkt"), 4);
}

#[test]
fn session_cookies_are_never_shared_between_sources() {
    let (server, _dir, cfg) = scene(
        Gate::Ticket,
        3,
        None,
        &[
            ("one", OWN_API, TICKET_RECIPE),
            ("two", OWN_API, TICKET_RECIPE),
        ],
    );
    for r in refresh(&cfg) {
        clean(&r);
    }
    // A shared jar would show in the second session request, which would carry the first
    // source's ticket.
    let sessions = server.sessions();
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    assert!(
        sessions.iter().all(|h| h.header("cookie").is_none()),
        "{sessions:?}"
    );
    let calls = server.api_calls();
    assert_eq!(calls.len(), 6, "{calls:?}");
    for h in &calls {
        let cookie = h.header("cookie").expect("a ticket cookie");
        let tickets: Vec<&str> = cookie
            .split(';')
            .filter_map(|kv| kv.trim().strip_prefix("ticket="))
            .collect();
        assert_eq!(tickets.len(), 1, "{cookie}");
        assert_eq!(
            server.ticket_owner(tickets[0]).as_deref(),
            Some(h.src()),
            "{} sent {cookie}",
            h.path_and_query
        );
    }
}

// ---- per-source robots.txt ---------------------------------------------------------------

#[test]
fn only_the_overriding_source_reads_a_robots_disallowed_api_and_it_is_warned_about() {
    let (server, _dir, cfg) = scene(
        Gate::Open,
        3,
        None,
        &[("polite", "", ""), ("own-api", OWN_API, "")],
    );
    let (code, stderr) = run_refresh(&cfg);
    // The polite source fails (robots.txt disallows /api/), so the refresh reports it.
    assert_eq!(code, Some(1), "{stderr}");
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("ignores robots.txt"))
        .collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(
        warnings[0].contains("own-api") && warnings[0].contains("WARN"),
        "{stderr}"
    );
    assert!(
        stderr.contains("disallowed by robots.txt"),
        "the polite source says why: {stderr}"
    );
    let calls = server.api_calls();
    assert!(calls.iter().all(|h| h.src() == "own-api"), "{calls:?}");
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert_eq!(stored(&cfg, "own-api"), 3);
    assert_eq!(stored(&cfg, "polite"), 0);
}

// ---- the shipped example ------------------------------------------------------------------

/// The gov.kz source of the shipped config.toml (both languages), with the portal's origin
/// replaced by `base`.
fn shipped_govkz_example(base: &str) -> String {
    let shipped =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml"))
            .expect("read config.toml");
    let id = shipped.find("\nid = \"govkz\"").expect("the gov.kz source");
    let start = shipped[..id]
        .rfind("[[source]]")
        .expect("its [[source]] line");
    let end = id + shipped[id..].find("\nkk = {").expect("the kk twin");
    let end = end + 1 + shipped[end + 1..].find('\n').unwrap_or(0);
    shipped[start..end].replace("https://www.gov.kz", base)
}

#[test]
fn the_shipped_govkz_example_gets_through_both_gates_in_both_languages() {
    let server = GateServer::start(Gate::Both, 3, None);
    let dir = tempfile::tempdir().expect("temp dir");
    let example = shipped_govkz_example(&server.base);
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, format!("{SETTINGS}{example}\n")).expect("write config");
    let reports = refresh(&cfg);
    let ids: Vec<&str> = reports.iter().map(|r| r.source.as_str()).collect();
    assert_eq!(ids, ["govkz", "govkz-kk"]);
    for r in &reports {
        clean(r);
        assert_eq!(r.new, 3, "{r:?}");
    }
    let calls = server.api_calls();
    let langs: Vec<Option<&str>> = calls.iter().map(|h| h.header("accept-language")).collect();
    assert!(
        langs.contains(&Some("ru")) && langs.contains(&Some("kk")),
        "{langs:?}"
    );
    // The press service's API is read although its robots.txt closes /api/.
    assert!(
        server
            .hits()
            .iter()
            .all(|h| h.path_and_query != "/robots.txt")
    );
}
