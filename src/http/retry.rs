//! Retries: transient failures (connect errors, timeouts, 429 and 502/503/504, a body cut
//! short) are tried again with exponential backoff, honouring Retry-After up to a cap;
//! everything else fails at once, because retrying a 404 or a PDF only adds load.

use std::time::{Duration, SystemTime};

use backon::{BackoffBuilder, ExponentialBuilder};
use reqwest::StatusCode;
use reqwest::header;
use url::Url;

use super::{Ask, FetchError, Fetcher, Started};

/// A failed attempt and the server's Retry-After, if it sent one we are willing to honour.
pub(super) struct Failure {
    pub(super) error: FetchError,
    pub(super) retry_after: Option<Duration>,
}

impl From<FetchError> for Failure {
    fn from(error: FetchError) -> Failure {
        Failure {
            error,
            retry_after: None,
        }
    }
}

impl Fetcher {
    /// Runs `attempt` until it succeeds, fails for good, or the retries are used up. A
    /// Retry-After from the server replaces the backoff delay for that round. `robots` is
    /// the request's own robots.txt choice (`None`: `[settings]`).
    pub(super) async fn with_retries<T, F, Fut>(
        &self,
        url: &Url,
        robots: Option<bool>,
        mut attempt: F,
    ) -> Result<T, FetchError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::Other {
                url: url.clone(),
                message: format!("unsupported URL scheme {:?}", url.scheme()),
            });
        }
        self.check_robots(url, robots).await?;
        let mut backoff = self.backoff();
        let mut number = 1;
        loop {
            let failure = match attempt().await {
                Ok(value) => return Ok(value),
                Err(failure) => failure,
            };
            if !failure.error.is_transient() {
                return Err(failure.error);
            }
            let Some(delay) = backoff.next() else {
                return Err(failure.error);
            };
            let delay = failure.retry_after.unwrap_or(delay);
            tracing::debug!(
                url = %url,
                attempt = number,
                kind = failure.error.kind(),
                error = %failure.error,
                retry_in_ms = delay.as_millis() as u64,
                "attempt failed; retrying"
            );
            tokio::time::sleep(delay).await;
            number += 1;
        }
    }

    /// The delays between attempts: exponential from `retry_min` to `retry_max`, jittered,
    /// `retries` of them.
    pub(super) fn backoff(&self) -> impl Iterator<Item = Duration> + use<> {
        ExponentialBuilder::default()
            .with_min_delay(self.inner.retry_min)
            .with_max_delay(self.inner.retry_max)
            .with_max_times(self.inner.retries)
            .with_jitter()
            .build()
    }

    /// Takes the host permit and politeness turn and sends the request; fails on statuses
    /// other than 2xx and 304.
    pub(super) async fn start(&self, url: &Url, ask: Ask<'_>) -> Result<Started, Failure> {
        let started = self.start_any_status(url, ask).await?;
        let status = started.response.status();
        if status.is_success() || status == StatusCode::NOT_MODIFIED {
            return Ok(started);
        }
        Err(self.status_failure(url, &started.response))
    }

    /// A non-2xx answer as a failed attempt, with the Retry-After we are willing to wait.
    pub(super) fn status_failure(&self, url: &Url, response: &reqwest::Response) -> Failure {
        let status = response.status();
        let mut retry_after = None;
        if matches!(
            status,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
        ) && let Some(wait) = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| parse_retry_after(v.as_bytes(), SystemTime::now()))
        {
            if wait > self.inner.max_retry_after {
                return FetchError::RetryAfterTooLong {
                    url: url.clone(),
                    status: status.as_u16(),
                    wait_secs: wait.as_secs(),
                    cap_secs: self.inner.max_retry_after.as_secs(),
                }
                .into();
            }
            retry_after = Some(wait);
        }
        Failure {
            error: FetchError::Status {
                url: url.clone(),
                status: status.as_u16(),
            },
            retry_after,
        }
    }
}

/// Parses Retry-After: delta-seconds or an HTTP date (a past date means "now").
pub(super) fn parse_retry_after(value: &[u8], now: SystemTime) -> Option<Duration> {
    let text = std::str::from_utf8(value).ok()?.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let date = httpdate::parse_http_date(text).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after(b" 7 ", now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(
            parse_retry_after(later.as_bytes(), now),
            Some(Duration::from_secs(90))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(90));
        assert_eq!(
            parse_retry_after(past.as_bytes(), now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after(b"soon", now), None);
    }
}
