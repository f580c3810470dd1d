//! robots.txt: what an answer for `/robots.txt` means (RFC 9309), and a per-origin cache.
//!
//! The fetcher asks [`RobotsCache::entry`] before every request; the first caller for an
//! origin fetches robots.txt while later callers wait for it, so a site sees one robots.txt
//! request per origin and TTL however many tasks start at once. Parsing and matching are
//! `texting_robots`; this module only decides what each HTTP outcome means:
//! 2xx → the rules; 4xx → no rules (allow all); 5xx, 429 or a network error → the site is
//! treated as fully disallowed, but only for a short while, because the RFC calls that state
//! temporary and a scheduled daemon must not stay blocked for a day by one bad minute.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use texting_robots::Robot;
use url::Url;

use super::retry::Failure;
use super::{Ask, FetchError, Fetcher, lock};

/// How long parsed rules (or "no robots.txt") are trusted; RFC 9309 §2.4 asks for at most 24 h.
pub const RULES_TTL: Duration = Duration::from_secs(24 * 3600);

/// How long an unreachable robots.txt keeps the site disallowed before it is asked again:
/// long enough to cover one refresh run, short enough for the next scheduled one to retry.
pub const UNREACHABLE_TTL: Duration = Duration::from_secs(10 * 60);

/// RFC 9309 §2.5: crawlers must parse at least 500 KiB; we read no more than that.
pub const MAX_ROBOTS_BYTES: u64 = 500 * 1024;

/// The longest Crawl-delay we honour. A larger value (some sites write 86400 as "go away")
/// would stall a refresh for hours; the cap still spaces requests far apart.
pub const MAX_CRAWL_DELAY: Duration = Duration::from_secs(60);

/// The rules that apply to one origin.
#[derive(Debug)]
pub enum Rules {
    /// No usable robots.txt (4xx, or unparsable): everything is allowed.
    AllowAll,
    /// robots.txt could not be fetched (5xx, 429, network error): nothing is allowed.
    Unreachable { reason: String },
    /// Parsed rules for our product token (or `*`).
    Parsed(Box<Robot>),
}

impl Rules {
    /// The rules for a robots.txt answer with `status` and `body` (the body is ignored
    /// unless the status is 2xx).
    pub fn from_response(product_token: &str, status: u16, body: &[u8]) -> Rules {
        match status {
            200..=299 => match Robot::new(product_token, body) {
                Ok(robot) => Rules::Parsed(Box::new(robot)),
                // texting_robots is forgiving; when it still fails, the file is garbage, and
                // RFC 9309 treats an unparsable file like an absent one.
                Err(err) => {
                    tracing::debug!(error = %err, "robots.txt unparsable; allowing all");
                    Rules::AllowAll
                }
            },
            // Many servers answer 429 to a burst; that is "come back later", not "no rules".
            429 => Rules::Unreachable {
                reason: "robots.txt answered HTTP 429".to_string(),
            },
            400..=499 => Rules::AllowAll,
            _ => Rules::Unreachable {
                reason: format!("robots.txt answered HTTP {status}"),
            },
        }
    }

    /// Whether `url` may be fetched.
    pub fn allowed(&self, url: &Url) -> bool {
        match self {
            Rules::AllowAll => true,
            Rules::Unreachable { .. } => false,
            Rules::Parsed(robot) => robot.allowed(url.as_str()),
        }
    }

    /// The Crawl-delay for our agent, capped at [`MAX_CRAWL_DELAY`].
    pub fn crawl_delay(&self) -> Option<Duration> {
        match self {
            Rules::Parsed(robot) => robot
                .delay
                .filter(|d| d.is_finite() && *d > 0.0)
                .map(|d| Duration::from_secs_f32(d.min(MAX_CRAWL_DELAY.as_secs_f32()))),
            _ => None,
        }
    }

    /// Why `url` is refused, for the error message.
    pub fn refusal(&self) -> String {
        match self {
            Rules::Unreachable { reason } => {
                format!("{reason}; the site counts as disallowed until it can be read")
            }
            _ => "disallowed by robots.txt".to_string(),
        }
    }

    fn ttl(&self) -> Duration {
        match self {
            Rules::Unreachable { .. } => UNREACHABLE_TTL,
            _ => RULES_TTL,
        }
    }
}

/// The product token robots.txt groups are matched against: the User-Agent up to the first
/// `/`, space or `(` (`pressfeed/0.1 (+https://…)` → `pressfeed`).
pub fn product_token(user_agent: &str) -> String {
    let token: String = user_agent
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    if token.is_empty() {
        "*".to_string()
    } else {
        token
    }
}

/// `scheme://host:port`, the unit robots.txt applies to.
pub fn origin_key(url: &Url) -> String {
    format!(
        "{}://{}:{}",
        url.scheme(),
        url.host_str().unwrap_or_default(),
        url.port_or_known_default().unwrap_or_default()
    )
}

/// The robots.txt URL for `url`'s origin.
pub fn robots_url(url: &Url) -> Option<Url> {
    let mut robots = url.join("/robots.txt").ok()?;
    robots.set_query(None);
    robots.set_fragment(None);
    // Credentials in a listing URL must not leak to a different path's log lines.
    let _ = robots.set_username("");
    let _ = robots.set_password(None);
    Some(robots)
}

/// Rules for an origin and when they were read.
#[derive(Debug)]
pub struct Entry {
    pub rules: Arc<Rules>,
    fetched_at: Instant,
}

/// One slot per origin; the async mutex makes concurrent first callers wait for one fetch.
type Slot = Arc<tokio::sync::Mutex<Option<Entry>>>;

/// In-memory robots.txt cache, shared by all clones of a fetcher.
#[derive(Debug, Default)]
pub struct RobotsCache {
    slots: Mutex<HashMap<String, Slot>>,
}

impl RobotsCache {
    /// The fresh rules for `url`'s origin, calling `fetch` (once, while other callers for the
    /// origin wait) when there are none or they are stale.
    pub async fn entry<F, Fut>(&self, url: &Url, fetch: F) -> Arc<Rules>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Rules>,
    {
        let slot = {
            // A poisoned lock only means another task panicked while inserting.
            let mut slots = self
                .slots
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            slots.entry(origin_key(url)).or_default().clone()
        };
        let mut guard = slot.lock().await;
        if let Some(entry) = guard.as_ref()
            && entry.fetched_at.elapsed() < entry.rules.ttl()
        {
            return entry.rules.clone();
        }
        let rules = Arc::new(fetch().await);
        *guard = Some(Entry {
            rules: rules.clone(),
            fetched_at: Instant::now(),
        });
        rules
    }
}

impl Fetcher {
    /// Fails with `FetchError::Robots` when robots.txt forbids `url`; no request is made for
    /// `url` itself (robots.txt may be fetched first). `respect` is the source's own
    /// setting, `None` for `[settings] respect_robots`.
    pub(super) async fn check_robots(
        &self,
        url: &Url,
        respect: Option<bool>,
    ) -> Result<(), FetchError> {
        if !respect.unwrap_or(self.inner.respect_robots) {
            return Ok(());
        }
        let Some(robots_url) = robots_url(url) else {
            return Ok(());
        };
        let rules = self
            .inner
            .robots
            .entry(url, || self.fetch_robots(&robots_url))
            .await;
        if let Some(delay) = rules.crawl_delay() {
            *lock(&self.host(url).crawl_delay) = Some(delay);
        }
        if url.path() == "/robots.txt" || rules.allowed(url) {
            Ok(())
        } else {
            Err(FetchError::Robots {
                url: url.clone(),
                reason: rules.refusal(),
            })
        }
    }

    /// Fetches and interprets robots.txt, retrying transient failures like any request.
    async fn fetch_robots(&self, robots_url: &Url) -> Rules {
        let ask = Ask {
            accept: Some("text/plain,*/*;q=0.5"),
            extra: &[],
            validators: None,
            allowed_hosts: &[],
            post_body: None,
        };
        let mut backoff = self.backoff();
        loop {
            let result: Result<(u16, Bytes), Failure> = async {
                let started = self.start_any_status(robots_url, ask).await?;
                let status = started.response.status().as_u16();
                let body = if (200..300).contains(&status) {
                    self.read_body(robots_url, started, true).await?
                } else {
                    Bytes::new()
                };
                Ok((status, body))
            }
            .await;
            let retry = match &result {
                Ok((status, _)) => matches!(status, 429 | 502 | 503 | 504),
                Err(failure) => failure.error.is_transient(),
            };
            if retry && let Some(delay) = backoff.next() {
                tracing::debug!(url = %robots_url, "robots.txt: transient failure; retrying");
                tokio::time::sleep(delay).await;
                continue;
            }
            let rules = match result {
                Ok((status, body)) => {
                    Rules::from_response(&self.inner.product_token, status, &body)
                }
                // A redirect we refuse to follow is the site's own doing, not an outage;
                // like a 4xx it means "no usable rules".
                Err(failure) if matches!(failure.error, FetchError::Redirect { .. }) => {
                    tracing::info!(error = %failure.error, "robots.txt redirect refused; allowing all");
                    Rules::AllowAll
                }
                Err(failure) => Rules::Unreachable {
                    reason: format!("robots.txt unreachable: {}", failure.error),
                },
            };
            tracing::debug!(url = %robots_url, rules = ?rules, "robots.txt read");
            return rules;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("test URL")
    }

    #[test]
    fn product_token_is_the_first_word() {
        assert_eq!(
            product_token("pressfeed/0.1 (+https://example.org/bot)"),
            "pressfeed"
        );
        assert_eq!(product_token("My-Bot_2"), "My-Bot_2");
        assert_eq!(product_token("  "), "*");
    }

    #[test]
    fn statuses_map_to_rfc_9309_meanings() {
        let page = url("https://example.kz/news/");
        let body = b"User-agent: *\nDisallow: /news/\n";
        assert!(!Rules::from_response("pressfeed", 200, body).allowed(&page));
        assert!(Rules::from_response("pressfeed", 404, body).allowed(&page));
        assert!(Rules::from_response("pressfeed", 403, body).allowed(&page));
        assert!(!Rules::from_response("pressfeed", 503, body).allowed(&page));
        assert!(!Rules::from_response("pressfeed", 429, body).allowed(&page));
        assert!(
            Rules::from_response("pressfeed", 500, b"")
                .refusal()
                .contains("HTTP 500")
        );
    }

    #[test]
    fn our_group_beats_the_star_group() {
        let body =
            b"User-agent: *\nDisallow: /\n\nUser-agent: pressfeed\nAllow: /\nCrawl-delay: 2.5\n";
        let rules = Rules::from_response("pressfeed", 200, body);
        assert!(rules.allowed(&url("https://example.kz/a")));
        assert_eq!(rules.crawl_delay(), Some(Duration::from_millis(2500)));
        let other = Rules::from_response("otherbot", 200, body);
        assert!(!other.allowed(&url("https://example.kz/a")));
        assert_eq!(other.crawl_delay(), None);
    }

    #[test]
    fn huge_crawl_delay_is_capped() {
        let rules = Rules::from_response("pressfeed", 200, b"User-agent: *\nCrawl-delay: 86400\n");
        assert_eq!(rules.crawl_delay(), Some(MAX_CRAWL_DELAY));
    }

    #[test]
    fn robots_url_drops_path_query_and_credentials() {
        assert_eq!(
            robots_url(&url("https://u:p@example.kz:8443/news/?page=2#x"))
                .expect("robots URL")
                .as_str(),
            "https://example.kz:8443/robots.txt"
        );
    }

    #[tokio::test]
    async fn cache_fetches_once_per_origin() {
        let cache = RobotsCache::default();
        let calls = std::sync::atomic::AtomicUsize::new(0);
        for path in ["/a", "/b"] {
            let rules = cache
                .entry(&url(&format!("https://example.kz{path}")), || async {
                    calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    Rules::AllowAll
                })
                .await;
            assert!(rules.allowed(&url("https://example.kz/")));
        }
        // another origin (scheme differs) gets its own fetch
        cache
            .entry(&url("http://example.kz/a"), || async {
                calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                Rules::AllowAll
            })
            .await;
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 2);
    }
}
