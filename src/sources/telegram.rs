//! `kind = "telegram"` sources: a public channel read through its web preview
//! (`https://t.me/s/<channel>`, server-rendered HTML, no API key). Each page is fetched with
//! the shared [`Fetcher`] (robots.txt, politeness, retries, time-outs, size caps), its
//! messages read by [`extract_telegram`] and mapped to [`ApiItem`]s, so the pipeline's API
//! walk stores them like any other API record.

use sha2::{Digest, Sha256};
use url::Url;

use super::ApiItem;
use crate::config::Source;
use crate::core::model::{DateCandidate, RawArticle};
use crate::extract::telegram::{TelegramMessage, extract_telegram};
use crate::http::{FetchError, Fetcher, Outcome, RequestPolicy};

/// Why a preview page could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TelegramError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("telegram: GET {url}: 304 Not Modified to an unconditional request")]
    NotModified { url: Url },
    #[error(
        "telegram: {url}: no channel messages on the page (a private or unknown channel, or \
         the preview's markup changed)"
    )]
    NoMessages { url: Url },
}

impl TelegramError {
    /// A short label for counting errors by kind.
    pub fn kind(&self) -> &'static str {
        match self {
            TelegramError::Fetch(e) => e.kind(),
            TelegramError::NotModified { .. } => "http",
            TelegramError::NoMessages { .. } => "telegram",
        }
    }
}

/// One preview page, mapped.
#[derive(Debug, Clone, Default)]
pub struct TelegramPage {
    /// Newest first.
    pub items: Vec<ApiItem>,
    /// The page of older messages.
    pub before: Option<Url>,
    /// Messages that are no items (service messages, media without text): (post, why).
    pub ignored: Vec<(String, &'static str)>,
    /// Messages that could not be read: (what, why).
    pub broken: Vec<(String, String)>,
}

/// Maps one message to the record the pipeline stores.
pub fn to_item(m: TelegramMessage, source: &Source) -> ApiItem {
    // What a reader sees, and the time of an edit when the preview states one; a bare
    // "edited" mark changes none of it.
    let mut h = Sha256::new();
    for part in [
        m.title.as_str(),
        m.body_html.as_str(),
        m.date.as_deref().unwrap_or(""),
        m.edited.as_deref().unwrap_or(""),
        m.author.as_deref().unwrap_or(""),
        m.image.as_deref().unwrap_or(""),
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    let mut provenance = vec![
        ("title", "first line of the message text".to_string()),
        ("canonical", "data-post permalink".to_string()),
        ("content", "message text".to_string()),
    ];
    if m.author.is_some() {
        provenance.push(("author", "post signature".into()));
    }
    if m.image.is_some() {
        provenance.push(("image", "message photo or video thumbnail".into()));
    }
    let raw = RawArticle {
        url: Some(m.link.clone()),
        canonical: Some(m.link.to_string()),
        title: Some(m.title),
        content_html: Some(m.body_html),
        published: m
            .date
            .into_iter()
            .map(|text| DateCandidate {
                text,
                origin: "time@datetime",
            })
            .collect(),
        modified: m
            .edited
            .into_iter()
            .map(|text| DateCandidate {
                text,
                origin: "edited time@datetime",
            })
            .collect(),
        author: m.author,
        image: m.image,
        language: Some(source.language.clone()),
        provenance,
        ..RawArticle::default()
    };
    ApiItem {
        link: m.link,
        fingerprint: hex::encode(&h.finalize()[..12]),
        raw,
        detail: None,
    }
}

/// Reads one preview page (the channel's newest messages, or those `before` an id).
pub fn parse_page(html: &str, url: &Url, source: &Source) -> Result<TelegramPage, TelegramError> {
    let page = extract_telegram(html, url);
    if page.messages.is_empty() && page.ignored.is_empty() && page.broken.is_empty() {
        return Err(TelegramError::NoMessages { url: url.clone() });
    }
    Ok(TelegramPage {
        items: page
            .messages
            .into_iter()
            .rev()
            .map(|m| to_item(m, source))
            .collect(),
        before: page.before,
        ignored: page.ignored,
        broken: page.broken,
    })
}

/// Fetches and reads one preview page. Always unconditional: the preview has no validators
/// worth keeping (view counters change on every request).
pub async fn fetch_page(
    fetcher: &Fetcher,
    source: &Source,
    url: &Url,
) -> Result<TelegramPage, TelegramError> {
    match fetcher
        .get_html_for(url, None, RequestPolicy::for_source(source))
        .await?
    {
        // Permalinks are made on the origin asked for, whatever redirects happened.
        Outcome::Fetched(page) => parse_page(&page.text, url, source),
        Outcome::NotModified => Err(TelegramError::NotModified { url: url.clone() }),
    }
}
