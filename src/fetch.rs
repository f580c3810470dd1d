//! One shared HTTP client for all sources: timeouts, a body-size cap enforced while streaming,
//! conditional GET with stored validators, a per-host concurrency limit, decoding to text.

use url::Url;

use crate::config::Settings;

/// HTTP cache validators of a fetched URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A fetched and decoded HTML page.
#[derive(Debug, Clone)]
pub struct Page {
    /// The URL asked for.
    pub url: Url,
    /// The URL after redirects.
    pub final_url: Url,
    pub status: u16,
    pub content_type: Option<String>,
    pub text: String,
    pub validators: Validators,
}

/// The result of a GET.
#[derive(Debug, Clone)]
pub enum Outcome {
    Fetched(Page),
    /// 304: the validators still hold.
    NotModified,
}

/// Why a fetch failed. Every variant carries the URL so messages stand on their own.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("GET {url}: timed out")]
    Timeout { url: Url },
    #[error("GET {url}: cannot connect: {message}")]
    Connect { url: Url, message: String },
    #[error("GET {url}: HTTP {status}")]
    Status { url: Url, status: u16 },
    #[error("GET {url}: body larger than {limit} bytes")]
    TooLarge { url: Url, limit: u64 },
    #[error("GET {url}: not HTML (Content-Type: {content_type})")]
    NotHtml { url: Url, content_type: String },
    #[error("GET {url}: {message}")]
    Other { url: Url, message: String },
}

impl FetchError {
    /// A short, stable label for counting errors by kind.
    pub fn kind(&self) -> &'static str {
        match self {
            FetchError::Timeout { .. } => "timeout",
            FetchError::Connect { .. } => "connect",
            FetchError::Status { .. } => "http_status",
            FetchError::TooLarge { .. } => "too_large",
            FetchError::NotHtml { .. } => "not_html",
            FetchError::Other { .. } => "other",
        }
    }
}

/// The shared client. Cheap to clone.
#[derive(Clone)]
pub struct Fetcher {
    _private: (),
}

impl Fetcher {
    pub fn new(settings: &Settings) -> Result<Fetcher, FetchError> {
        let _ = settings;
        todo!()
    }

    /// GETs an HTML page. With `validators`, sends If-None-Match / If-Modified-Since.
    /// Waits for a per-host permit first.
    pub async fn get_html(
        &self,
        url: &Url,
        validators: Option<&Validators>,
    ) -> Result<Outcome, FetchError> {
        let _ = (url, validators);
        todo!()
    }
}
