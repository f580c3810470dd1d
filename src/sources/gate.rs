//! Sessions of gated JSON APIs (gov.kz answers anonymous clients `400
//! {"message":"notAllowed"}`). A session is opened before a run's first API call: the
//! `[source.json.session]` request, if configured, whose cookies go into a cookie jar of this
//! session only, and fresh generated header values (`{uuid}`, `{bcrypt:NAME}`). When the API
//! refuses a call (400/401/403), a new session is opened once per run and the call tried
//! again; a second refusal is an error that names the status, the server's message and what
//! to configure.
//!
//! One [`ApiSession`] serves one run of one source, so cookies never travel between sources
//! (or between runs: every run starts a new session anyway).

use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use reqwest::cookie::{CookieStore, Jar};
use serde_json::Value;
use url::Url;

use super::JSON_ACCEPT;
use crate::config::{HeaderTemplates, JsonRules, SessionRules, Source};
use crate::core::text::html_fragment_text;
use crate::http::{Answer, ApiRequest, FetchError, Fetcher, RequestPolicy};

/// The longest server message quoted in an error.
const MAX_MESSAGE_CHARS: usize = 200;

/// Why a gated API could not be read.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The API refused the call (400/401/403) and a new session did not help.
    // URLs as text keep the error within clippy's size budget (it is returned everywhere).
    #[error("{url}: HTTP {status} {message}: {hint}")]
    Refused {
        url: String,
        status: u16,
        /// What the server said, quoted.
        message: String,
        hint: &'static str,
    },
    /// The `[source.json.session]` request failed.
    #[error(
        "session request {method} {url}: {detail}: check [source.json.session] (url, method, body, headers)"
    )]
    Session {
        method: &'static str,
        url: String,
        detail: String,
    },
    /// Generating header values failed (the blocking task died).
    #[error("generating [source.json] header values failed: {0}")]
    Headers(String),
}

impl GateError {
    /// A short label for counting errors by kind.
    pub fn kind(&self) -> &'static str {
        match self {
            GateError::Fetch(e) => e.kind(),
            GateError::Refused { .. } => "refused",
            GateError::Session { .. } => "session",
            GateError::Headers(_) => "session",
        }
    }
}

/// The session state of one run of one JSON source.
#[derive(Debug)]
pub struct ApiSession<'a> {
    fetcher: &'a Fetcher,
    source: &'a Source,
    rules: &'a JsonRules,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// The API headers of the open session; `None` before the first call.
    headers: Option<Vec<(String, String)>>,
    jar: Arc<Jar>,
    /// A refusal has already been answered with a new session in this run.
    renewed: bool,
    /// Session requests sent.
    session_requests: usize,
}

impl<'a> ApiSession<'a> {
    /// A session for one run of `source`; nothing is sent before the first [`get`].
    ///
    /// [`get`]: ApiSession::get
    pub fn new(fetcher: &'a Fetcher, source: &'a Source, rules: &'a JsonRules) -> ApiSession<'a> {
        ApiSession {
            fetcher,
            source,
            rules,
            state: Mutex::new(State::default()),
        }
    }

    pub fn source(&self) -> &'a Source {
        self.source
    }

    pub fn rules(&self) -> &'a JsonRules {
        self.rules
    }

    /// Session requests sent so far (for the run's request count).
    pub fn session_requests(&self) -> usize {
        self.state().session_requests
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Every critical section is a few field updates; a poisoned state is still whole.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether a refusal can be worth a new session: something in it changes.
    fn is_gated(&self) -> bool {
        self.rules.session.is_some() || self.rules.headers.is_generated()
    }

    /// GETs an API URL within the session: opens it first if needed, and once per run
    /// opens a new one when the API refuses, then asks again.
    pub async fn get(&self, url: &Url) -> Result<Bytes, GateError> {
        if self.state().headers.is_none() {
            self.open().await?;
        }
        let answer = self.call(url).await?;
        if answer.is_success() {
            return Ok(answer.body);
        }
        if !is_refusal(answer.status) {
            return Err(FetchError::Status {
                url: url.clone(),
                status: answer.status,
            }
            .into());
        }
        let retry = self.is_gated() && !std::mem::replace(&mut self.state().renewed, true);
        if !retry {
            return Err(self.refused(url, &answer));
        }
        tracing::info!(
            source = %self.source.id,
            status = answer.status,
            message = %server_message(&answer.body),
            "API refused the session; opening a new one"
        );
        self.open().await?;
        let answer = self.call(url).await?;
        if answer.is_success() {
            Ok(answer.body)
        } else if is_refusal(answer.status) {
            Err(self.refused(url, &answer))
        } else {
            Err(FetchError::Status {
                url: url.clone(),
                status: answer.status,
            }
            .into())
        }
    }

    /// One API request with the session's headers and cookies.
    async fn call(&self, url: &Url) -> Result<Answer, GateError> {
        let (mut headers, jar) = {
            let s = self.state();
            (s.headers.clone().unwrap_or_default(), s.jar.clone())
        };
        if let Some(cookie) = jar
            .cookies(url)
            .and_then(|v| v.to_str().ok().map(str::to_string))
        {
            headers.push(("Cookie".into(), cookie));
        }
        let req = ApiRequest {
            url,
            accept: JSON_ACCEPT,
            headers: &headers,
            post_body: None,
        };
        let answer = self
            .fetcher
            .send(req, RequestPolicy::for_source(self.source))
            .await?;
        // Servers may renew a ticket in any answer.
        jar.set_cookies(&mut answer.set_cookies(), &answer.final_url);
        Ok(answer)
    }

    /// Opens a new session: new generated values, a new cookie jar, the session request.
    async fn open(&self) -> Result<(), GateError> {
        let uuid = uuid::Uuid::new_v4().to_string();
        let cost = self.rules.bcrypt_cost;
        let api = expand(&self.rules.headers, &uuid, cost).await?;
        let jar = Arc::new(Jar::default());
        if let Some(session) = &self.rules.session {
            self.state().session_requests += 1;
            self.request_session(session, &uuid, &jar).await?;
        }
        let mut s = self.state();
        s.headers = Some(api);
        s.jar = jar;
        Ok(())
    }

    async fn request_session(
        &self,
        session: &SessionRules,
        uuid: &str,
        jar: &Jar,
    ) -> Result<(), GateError> {
        let mut headers = expand(&session.headers, uuid, self.rules.bcrypt_cost).await?;
        if let Some(body) = &session.body
            && !headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            headers.push(("Content-Type".into(), body_type(body).into()));
        }
        let req = ApiRequest {
            url: &session.url,
            accept: JSON_ACCEPT,
            headers: &headers,
            post_body: match session.method {
                crate::config::SessionMethod::Post => Some(session.body.as_deref().unwrap_or("")),
                crate::config::SessionMethod::Get => None,
            },
        };
        let failed = |detail: String| GateError::Session {
            method: session.method.as_str(),
            url: session.url.to_string(),
            detail,
        };
        let answer = self
            .fetcher
            .send(req, RequestPolicy::for_source(self.source))
            .await
            .map_err(|e| failed(e.to_string()))?;
        if !answer.is_success() {
            return Err(failed(format!(
                "HTTP {} {}",
                answer.status,
                server_message(&answer.body)
            )));
        }
        jar.set_cookies(&mut answer.set_cookies(), &answer.final_url);
        tracing::debug!(source = %self.source.id, url = %session.url, "API session opened");
        Ok(())
    }

    /// The error for a refusal that a new session did not (or could not) cure.
    fn refused(&self, url: &Url, answer: &Answer) -> GateError {
        let hint = match (&self.rules.session, self.rules.headers.is_generated()) {
            (Some(_), _) => {
                "the API still refuses after a new session: check [source.json.session] \
                 (url, method, body, headers) and the headers in [source.json] headers"
            }
            (None, true) => {
                "the API still refuses after new generated headers: check [source.json] \
                 headers (e.g. token = \"{uuid}\", hash = \"{bcrypt:token}\") or add a \
                 [source.json.session] request"
            }
            (None, false) => {
                "the API refuses anonymous clients: configure a [source.json.session] request \
                 (e.g. a POST that sets a cookie ticket) or gate headers in [source.json] \
                 headers ({uuid}, {bcrypt:NAME}); see README \"Gated JSON APIs\""
            }
        };
        GateError::Refused {
            url: url.to_string(),
            status: answer.status,
            message: server_message(&answer.body),
            hint,
        }
    }
}

/// 400, 401 and 403: what gated APIs answer a client without a valid session.
fn is_refusal(status: u16) -> bool {
    matches!(status, 400 | 401 | 403)
}

/// The Content-Type of a session body when the config names none.
fn body_type(body: &str) -> &'static str {
    match body.trim_start().chars().next() {
        Some('{' | '[') => "application/json",
        _ => "application/x-www-form-urlencoded",
    }
}

/// Expands header templates off the async threads: bcrypt is slow on purpose.
async fn expand(
    templates: &HeaderTemplates,
    uuid: &str,
    cost: u32,
) -> Result<Vec<(String, String)>, GateError> {
    if !templates.is_generated() {
        return Ok(templates.expand(uuid, &mut |_| String::new()));
    }
    let (templates, uuid) = (templates.clone(), uuid.to_string());
    tokio::task::spawn_blocking(move || {
        templates.expand(&uuid, &mut |value| {
            bcrypt::hash(value, cost).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "bcrypt failed; sending an empty hash");
                String::new()
            })
        })
    })
    .await
    .map_err(|e| GateError::Headers(e.to_string()))
}

/// What the server said: `message` / `error` (or `error.message`, `detail`) of a JSON body,
/// else the start of its text, quoted; `(empty body)` when there is none.
pub fn server_message(body: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        let field = ["message", "error", "detail", "error_description", "title"]
            .iter()
            .find_map(|k| match v.get(*k) {
                Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
                Some(Value::Object(o)) => o
                    .get("message")
                    .and_then(Value::as_str)
                    .map(|s| s.trim().to_string()),
                _ => None,
            });
        if let Some(m) = field {
            return format!("{:?}", truncate(&m));
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = if text.contains('<') {
        html_fragment_text(&text)
    } else {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    if text.is_empty() {
        "(empty body)".into()
    } else {
        format!("{:?}", truncate(&text))
    }
}

fn truncate(s: &str) -> String {
    if s.chars().count() <= MAX_MESSAGE_CHARS {
        return s.to_string();
    }
    let mut t: String = s.chars().take(MAX_MESSAGE_CHARS).collect();
    t.push('…');
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_message_is_read_from_json_or_text() {
        assert_eq!(
            server_message(br#"{"message":"notAllowed"}"#),
            "\"notAllowed\""
        );
        assert_eq!(
            server_message(br#"{"error":{"code":7,"message":"ticket expired"}}"#),
            "\"ticket expired\""
        );
        assert_eq!(server_message(br#"{"error":"forbidden"}"#), "\"forbidden\"");
        assert_eq!(
            server_message(b"<html><body><h1>403 Forbidden</h1> nginx</body></html>"),
            "\"403 Forbidden nginx\""
        );
        assert_eq!(server_message(b"  "), "(empty body)");
        let long = "x".repeat(500);
        assert_eq!(
            server_message(long.as_bytes()).chars().count(),
            MAX_MESSAGE_CHARS + 3
        );
    }

    #[test]
    fn a_session_body_gets_a_plausible_content_type() {
        assert_eq!(body_type(" {\"a\":1}"), "application/json");
        assert_eq!(body_type("a=1&b=2"), "application/x-www-form-urlencoded");
    }
}
