//! The HTTP side of `pressfeed run`: serves the rendered feed files, an HTML index, OPML,
//! a health check and Prometheus metrics. Nothing here ever scrapes; it only serves what the
//! pipeline rendered.
//!
//! Feed files are served from an in-memory cache checked with one `stat` per request and
//! re-read only when the file's identity (inode, mtime, length) changes — render replaces
//! files atomically by rename, so a new inode always means new bytes. Each cached file keeps
//! its strong ETag, `Last-Modified` and lazily built gzip and brotli bodies, so a request
//! for an unchanged feed costs a `stat`, a hash-map lookup and a few header copies.
//!
//! The index page and the feed stylesheet speak the reader's language (`Accept-Language`),
//! and the server's limits (`conn`) keep a public `listen` safe from slow or greedy clients.

use std::collections::HashMap;
use std::path::{Path as FsPath, PathBuf};
use std::sync::{Arc, MutexGuard, RwLock};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::header::{
    ACCEPT_LANGUAGE, CACHE_CONTROL, CONNECTION, CONTENT_ENCODING, CONTENT_LANGUAGE, CONTENT_TYPE,
    ETAG, IF_NONE_MATCH, LAST_MODIFIED, VARY,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use files::{BROWSER_XML, CachedFile, Encoding, FileKey, content_type, negotiate, wants_page};

use crate::app::metrics::Metrics;
use crate::config::{Config, Source};
use crate::core::lang::PageLang;
use crate::pipeline::SharedStore;
use crate::pipeline::merged_health::MergedStatus;
use crate::pipeline::site;
use crate::pipeline::status::{Status, statuses};
use crate::render::{self, index_page};
use crate::store::Store;

mod conn;
mod files;
mod idle;

/// What the server needs; cloned into the router.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The current configuration; a new value (SIGHUP reload) is picked up on the next
    /// request, no restart needed.
    pub config: watch::Receiver<Arc<Config>>,
    pub store: SharedStore,
    pub metrics: Arc<Metrics>,
}

/// The router with all routes, request metrics and debug-level tracing.
pub fn router(state: AppState) -> Router {
    let shared = Arc::new(Shared {
        config: state.config,
        store: state.store,
        metrics: state.metrics,
        files: RwLock::new(HashMap::new()),
        next_runs: RwLock::new(HashMap::new()),
    });
    Router::new()
        .route("/", get(index))
        .route("/opml", get(opml))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/feeds/feed.xsl", get(feed_stylesheet))
        .route("/feeds/{file}", get(feed))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            Arc::clone(&shared),
            count_requests,
        ))
        .with_state(shared)
}

/// Serves until `shutdown` is cancelled, then stops accepting and lets open requests finish.
/// The limits are those of the configuration at start (`[settings] http_*`).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let limits = state.config.borrow().settings.server;
    let app = router(state).layer(middleware::from_fn_with_state(
        limits.max_body_bytes,
        limit_body,
    ));
    conn::serve(listener, app, limits, shutdown).await
}

/// The server only answers GET and HEAD: a request that carries (or may carry) a body
/// over the limit is refused before a byte of it is read, and its connection closed.
async fn limit_body(State(max): State<u64>, req: Request, next: Next) -> Response {
    use axum::body::HttpBody as _;
    let fits = req
        .body()
        .size_hint()
        .upper()
        .is_some_and(|upper| upper <= max);
    if !fits {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            [
                (CONTENT_TYPE, "text/plain; charset=utf-8"),
                (CONNECTION, "close"),
            ],
            "request body too large\n",
        )
            .into_response();
    }
    next.run(req).await
}

// ---- shared state ---------------------------------------------------------------------------

struct Shared {
    config: watch::Receiver<Arc<Config>>,
    store: SharedStore,
    metrics: Arc<Metrics>,
    /// Feed files by full path (the feeds folder may change on reload).
    files: RwLock<HashMap<PathBuf, Arc<CachedFile>>>,
    /// Next scheduled run per source id, for `Cache-Control`; computing a cron occurrence on
    /// every request would cost more than serving the bytes.
    next_runs: RwLock<HashMap<String, NextRun>>,
}

struct NextRun {
    /// The config this was computed from; a reload may change the schedule. Holding the
    /// `Arc` (rather than comparing addresses) rules out a new config at a reused address.
    config: Arc<Config>,
    at: DateTime<Utc>,
}

type St = Arc<Shared>;

impl Shared {
    fn config(&self) -> Arc<Config> {
        Arc::clone(&self.config.borrow())
    }

    /// The cached file at `path`, re-read if it changed; `None` when it does not exist.
    async fn file(&self, path: &FsPath) -> std::io::Result<Option<Arc<CachedFile>>> {
        // A `stat` of a cached path takes microseconds, far less than a hop to the blocking
        // pool would; only the (rare) read goes there.
        let key = match std::fs::metadata(path) {
            Ok(meta) => FileKey::of(&meta),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                write_lock(&self.files).remove(path);
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        if let Some(cached) = read_lock(&self.files).get(path).filter(|c| c.key == key) {
            return Ok(Some(Arc::clone(cached)));
        }
        let owned = path.to_path_buf();
        let loaded = tokio::task::spawn_blocking(move || CachedFile::load(&owned))
            .await
            .map_err(std::io::Error::other)?;
        match loaded {
            Ok(file) => {
                let file = Arc::new(file);
                write_lock(&self.files).insert(path.to_path_buf(), Arc::clone(&file));
                Ok(Some(file))
            }
            // removed between the stat and the open
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The configured id of the source or merged feed named `id`, and the seconds a client
    /// may cache its feeds: a merged feed's until the soonest next run of its members.
    fn feed_max_age<'c>(
        &self,
        config: &'c Arc<Config>,
        id: &str,
        now: DateTime<Utc>,
    ) -> Option<(&'c str, i64)> {
        if let Some(source) = config.sources.iter().find(|s| s.id == id) {
            return Some((&source.id, self.max_age(config, source, now)));
        }
        let feed = config.feeds.iter().find(|f| f.id == id)?;
        let max_age = config
            .sources
            .iter()
            .filter(|s| feed.sources.contains(&s.id))
            .map(|s| self.max_age(config, s, now))
            .min()
            .unwrap_or(3600);
        Some((&feed.id, max_age))
    }

    /// Seconds a client may cache a feed of `source`: until its next scheduled run,
    /// within [60, 3600].
    fn max_age(&self, config: &Arc<Config>, source: &Source, now: DateTime<Utc>) -> i64 {
        let clamp = |at: DateTime<Utc>| (at - now).num_seconds().clamp(60, 3600);
        if let Some(next) = read_lock(&self.next_runs).get(&source.id)
            && Arc::ptr_eq(&next.config, config)
            && next.at > now
        {
            return clamp(next.at);
        }
        match source.schedule.next_after(now, source.timezone) {
            Some(at) => {
                write_lock(&self.next_runs).insert(
                    source.id.clone(),
                    NextRun {
                        config: Arc::clone(config),
                        at,
                    },
                );
                clamp(at)
            }
            // a schedule with no future occurrence: the feed will not change on its own
            None => 3600,
        }
    }
}

// A panic while holding one of these locks cannot leave a half-updated cache entry (inserts
// and removes are single operations), so a poisoned lock is still usable.
fn read_lock<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|p| p.into_inner())
}

fn write_lock<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|p| p.into_inner())
}

fn lock_store(store: &SharedStore) -> MutexGuard<'_, Store> {
    // SQLite transactions are atomic, so a poisoned lock still guards a sound connection
    store.lock().unwrap_or_else(|p| p.into_inner())
}

async fn feed(
    State(st): State<St>,
    file: Result<Path<String>, axum::extract::rejection::PathRejection>,
    headers: HeaderMap,
) -> Response {
    let Ok(Path(file)) = file else {
        return not_found().await;
    };
    let Some((id, ext)) = file.rsplit_once('.') else {
        return not_found().await;
    };
    let Some(mut ctype) = content_type(ext) else {
        return not_found().await;
    };
    // the same bytes, under a type that lets the browser apply the feed's stylesheet
    if ext != "json" && wants_page(&headers) {
        ctype = BROWSER_XML;
    }
    let config = st.config();
    // the path is built from the configured id only, never from request text
    let Some((id, max_age)) = st.feed_max_age(&config, id, Utc::now()) else {
        return not_found().await;
    };
    let path = config.settings.feeds_dir.join(format!("{id}.{ext}"));
    let cached = match st.file(&path).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            return (
                StatusCode::NOT_FOUND,
                [(CONTENT_TYPE, "text/plain; charset=utf-8")],
                "feed not rendered yet\n",
            )
                .into_response();
        }
        Err(e) => {
            tracing::error!(path = %path.display(), error = %e, "cannot read feed file");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(CONTENT_TYPE, "text/plain; charset=utf-8")],
                "cannot read feed file\n",
            )
                .into_response();
        }
    };
    let cache_control = HeaderValue::try_from(format!("public, max-age={max_age}"))
        .unwrap_or(HeaderValue::from_static("public, max-age=60"));

    let mut enc = negotiate(&headers);
    let not_modified = if headers.contains_key(IF_NONE_MATCH) {
        cached.none_match(&headers)
    } else {
        cached.not_modified_since(&headers)
    };
    let mut res = if not_modified {
        let mut res = Response::new(Body::empty());
        *res.status_mut() = StatusCode::NOT_MODIFIED;
        res
    } else {
        let body = match cached.body(enc).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "compression failed; sending identity");
                enc = Encoding::Identity;
                cached.bytes.clone()
            }
        };
        let mut res = Response::new(Body::from(body));
        res.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(ctype));
        match enc {
            Encoding::Identity => {}
            Encoding::Gzip => {
                res.headers_mut()
                    .insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
            Encoding::Brotli => {
                res.headers_mut()
                    .insert(CONTENT_ENCODING, HeaderValue::from_static("br"));
            }
        }
        res
    };
    let h = res.headers_mut();
    h.insert(ETAG, cached.etag(enc).clone());
    h.insert(LAST_MODIFIED, cached.last_modified.clone());
    h.insert(CACHE_CONTROL, cache_control);
    h.insert(VARY, HeaderValue::from_static("Accept-Encoding, Accept"));
    res
}

// ---- index, OPML, health, metrics -----------------------------------------------------------

/// Whether the store answers (`Store::healthy`, one cheap query) and each source's status,
/// read off the async threads.
async fn snapshot(st: &St, config: &Arc<Config>) -> (bool, Vec<Status>) {
    let (store, config) = (Arc::clone(&st.store), Arc::clone(config));
    let n = config.sources.len();
    tokio::task::spawn_blocking(move || {
        let store = lock_store(&store);
        (store.healthy(), statuses(&config, &store))
    })
    .await
    .unwrap_or_else(|e| {
        tracing::error!(error = %e, "store status task failed");
        (false, vec![Status::default(); n])
    })
}

async fn index(State(st): State<St>, headers: HeaderMap) -> Response {
    let config = st.config();
    let lang = page_lang(&headers, &config);
    let store = Arc::clone(&st.store);
    let entries = {
        let config = Arc::clone(&config);
        tokio::task::spawn_blocking(move || site::index_entries(&config, &lock_store(&store))).await
    };
    let opml_url = config
        .settings
        .base_url
        .join("opml")
        .map(|u| u.to_string())
        .unwrap_or_else(|_| "opml".into());
    let page = entries
        .map_err(|e| e.to_string())
        .and_then(|entries| index_page(&entries, &opml_url, lang).map_err(|e| e.to_string()));
    match page {
        Ok(page) => (
            [
                (
                    CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                ),
                (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
                (VARY, HeaderValue::from_static("Accept-Language")),
                (CONTENT_LANGUAGE, HeaderValue::from_static(lang.tag())),
            ],
            page,
        )
            .into_response(),
        Err(e) => internal_error("index page", &e),
    }
}

/// The page language for this request: the reader's `Accept-Language`, else the
/// configured one.
fn page_lang(headers: &HeaderMap, config: &Config) -> PageLang {
    let header = headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    PageLang::negotiate(header, config.settings.language)
}

/// The feed stylesheet (`feeds/feed.xsl`, named by every RSS and Atom file), in the
/// reader's language.
async fn feed_stylesheet(State(st): State<St>, headers: HeaderMap) -> Response {
    let lang = page_lang(&headers, &st.config());
    match render::stylesheet(lang) {
        Ok(xsl) => (
            [
                (
                    CONTENT_TYPE,
                    HeaderValue::from_static(render::stylesheet::CONTENT_TYPE),
                ),
                (
                    CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=3600"),
                ),
                (VARY, HeaderValue::from_static("Accept-Language")),
                (CONTENT_LANGUAGE, HeaderValue::from_static(lang.tag())),
            ],
            xsl,
        )
            .into_response(),
        Err(e) => internal_error("feed stylesheet", &e.to_string()),
    }
}

async fn opml(State(st): State<St>) -> Response {
    let config = st.config();
    match render::opml::opml(&site::opml_outlines(&config)) {
        Ok(text) => (
            [
                (CONTENT_TYPE, "text/x-opml; charset=utf-8"),
                (CACHE_CONTROL, "no-cache"),
            ],
            text,
        )
            .into_response(),
        Err(e) => internal_error("OPML", &e.to_string()),
    }
}

fn internal_error(what: &str, error: &str) -> Response {
    tracing::error!(error, "cannot build the {what}");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("cannot build the {what}\n"),
    )
        .into_response()
}

async fn healthz(State(st): State<St>) -> Response {
    let config = st.config();
    let (healthy, statuses) = snapshot(&st, &config).await;
    let mut sources = serde_json::Map::new();
    for (source, status) in config.sources.iter().zip(&statuses) {
        let state = status.state.as_ref();
        sources.insert(
            source.id.clone(),
            serde_json::json!({
                "last_success": state.and_then(|s| s.last_success).map(|t| t.to_rfc3339()),
                "last_error": state.and_then(|s| s.last_error.clone()),
                "consecutive_failures": state.map(|s| s.consecutive_failures),
                "items": status.items,
            }),
        );
    }
    let feeds: serde_json::Map<String, serde_json::Value> = config
        .feeds
        .iter()
        .map(|feed| {
            let status = MergedStatus::of(feed, &config, &statuses);
            (feed.id.clone(), status.json(feed))
        })
        .collect();
    let body = serde_json::json!({
        "status": if healthy { "ok" } else { "unhealthy" },
        "sources": sources,
        "feeds": feeds,
    });
    let code = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        code,
        [
            (CONTENT_TYPE, "application/json"),
            (CACHE_CONTROL, "no-store"),
        ],
        body.to_string(),
    )
        .into_response()
}

async fn metrics(State(st): State<St>) -> Response {
    (
        [
            (CONTENT_TYPE, crate::app::metrics::CONTENT_TYPE),
            (CACHE_CONTROL, "no-store"),
        ],
        st.metrics.encode(),
    )
        .into_response()
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(CONTENT_TYPE, "text/plain; charset=utf-8")],
        "not found\n",
    )
        .into_response()
}

/// Counts answers by a fixed route name (never the raw path, which is unbounded).
async fn count_requests(State(st): State<St>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let route = match path {
        "/" => "index",
        "/opml" => "opml",
        "/healthz" => "healthz",
        "/metrics" => "metrics",
        "/feeds/feed.xsl" => "stylesheet",
        p if p.starts_with("/feeds/") => "feed",
        _ => "other",
    };
    let method = req.method().clone();
    let uri = req.uri().clone();
    let res = next.run(req).await;
    st.metrics.observe_http(route, res.status().as_u16());
    tracing::debug!(%method, %uri, status = res.status().as_u16(), "http request");
    res
}
