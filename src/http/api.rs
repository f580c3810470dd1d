//! API requests whose refusals matter: a GET or POST that returns the answer whatever its
//! final status, because gated APIs explain a refusal in the body (`400
//! {"message":"notAllowed"}`) and the caller decides what a refusal means (open a new
//! session, or tell the admin what to configure). Transient statuses are still retried like
//! every request, and robots.txt, politeness and the size cap apply as usual.

use std::time::Instant;

use bytes::Bytes;
use reqwest::header::{self, HeaderMap};
use url::Url;

use super::body::header_string;
use super::{Ask, FetchError, Fetcher, RequestPolicy, Started, elapsed_ms, log_failure};

/// One API request.
#[derive(Debug, Clone, Copy)]
pub struct ApiRequest<'a> {
    pub url: &'a Url,
    pub accept: &'a str,
    /// Extra request headers (Cookie included, when the caller keeps cookies).
    pub headers: &'a [(String, String)],
    /// `Some(body)`: POST this body; `None`: GET.
    pub post_body: Option<&'a str>,
}

/// An answer of any final status.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub final_url: Url,
    pub content_type: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// `Set-Cookie` values of the answer.
    pub fn set_cookies(&self) -> impl Iterator<Item = &header::HeaderValue> {
        self.headers.get_all(header::SET_COOKIE).iter()
    }
}

impl Fetcher {
    /// The status, headers and whole body (under the size cap) of a started response.
    pub(super) async fn read_answer(
        &self,
        url: &Url,
        started: Started,
    ) -> Result<Answer, FetchError> {
        let status = started.response.status().as_u16();
        let final_url = started.response.url().clone();
        let headers = started.response.headers().clone();
        let content_type = header_string(&headers, header::CONTENT_TYPE);
        let body = self.read_body(url, started, false).await?;
        Ok(Answer {
            status,
            final_url,
            content_type,
            headers,
            body,
        })
    }

    /// Sends `req`, retrying transient failures (429, 502-504, timeouts) and returning any
    /// other answer, refusals included, with its body.
    pub async fn send(
        &self,
        req: ApiRequest<'_>,
        policy: RequestPolicy<'_>,
    ) -> Result<Answer, FetchError> {
        let started_at = Instant::now();
        let url = req.url;
        let ask = Ask {
            accept: Some(req.accept),
            extra: req.headers,
            validators: None,
            allowed_hosts: policy.allowed_hosts,
            post_body: req.post_body,
        };
        let result = self
            .with_retries(url, policy.respect_robots, || async {
                let started = self.start_any_status(url, ask).await?;
                let status = started.response.status().as_u16();
                if matches!(status, 429 | 502 | 503 | 504) {
                    return Err(self.status_failure(url, &started.response));
                }
                Ok(self.read_answer(url, started).await?)
            })
            .await;
        let elapsed_ms = elapsed_ms(started_at);
        match &result {
            Ok(a) => tracing::debug!(
                url = %url,
                method = if req.post_body.is_some() { "POST" } else { "GET" },
                status = a.status,
                bytes = a.body.len(),
                elapsed_ms,
                "answered"
            ),
            Err(err) => log_failure(url, err, elapsed_ms),
        }
        result
    }
}
