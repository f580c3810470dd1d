//! `preview` for sources read through an API, the way a run reads them: a `kind = "json"`
//! source through its API (session included), a WordPress listing through the REST step of
//! the ladder. The report has the shape of an HTML listing preview (see `preview`): the API
//! page as the listing, its first item as the article, each field with the JSON path or API
//! it came from.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use url::Url;

use super::preview::{PreviewError, raw_report};
use crate::config::{JsonRules, Source};
use crate::http::Fetcher;
use crate::sources::gate::ApiSession;
use crate::sources::wordpress::{self, WpError};
use crate::sources::{ApiPage, json};

/// How a preview read its page.
#[derive(Debug, Clone, Copy)]
pub(super) enum Via {
    Html,
    WordPressRest,
    JsonApi,
}

impl Via {
    pub(super) fn label(self) -> &'static str {
        match self {
            Via::Html => "html",
            Via::WordPressRest => "wordpress-rest",
            Via::JsonApi => "json-api",
        }
    }
}

/// The API page a JSON source's preview reads: `url` itself when it is a page of the
/// source's API (same origin and path as its first page), else the first page.
fn json_page_url(url: &Url, source: &Source) -> Url {
    match source.listing_urls.first() {
        Some(first) if first.origin() == url.origin() && first.path() == url.path() => url.clone(),
        Some(first) => first.clone(),
        None => url.clone(),
    }
}

/// Previews a `kind = "json"` source: one API page through a session, then its first
/// item (completed by its detail request when the list has no body).
pub(super) async fn json_preview(
    fetcher: &Fetcher,
    url: &Url,
    source: &Source,
    rules: &JsonRules,
    now: DateTime<Utc>,
) -> Result<Value, PreviewError> {
    let session = ApiSession::new(fetcher, source, rules);
    let api_url = json_page_url(url, source);
    let api_error = |e: json::JsonError| PreviewError::Api(e.to_string());
    let body = session.get(&api_url).await.map_err(api_error)?;
    let page = json::parse_page(&body, &api_url, source, rules).map_err(api_error)?;
    let next = (source.listing_urls.first() == Some(&api_url) && !page.items.is_empty())
        .then(|| rules.page_url(rules.first_page + 1).ok())
        .flatten();
    let listing = listing_json(&api_url, &page, next.as_ref());
    let article = match page.items.into_iter().next() {
        None => Value::Null,
        Some(item) => {
            let link = item.link.clone();
            match json::complete(&session, item).await {
                Ok(raw) => raw_report(raw, &link, source, now),
                Err(e) => json!({ "url": link.as_str(), "error": e.to_string() }),
            }
        }
    };
    Ok(report(url, Via::JsonApi, listing, article, None))
}

/// Previews a WordPress listing through the REST API, as the ladder reads it. `Err` means
/// the run would scrape HTML instead (the API is off, or the URL has no REST equivalent).
pub(super) async fn wordpress_preview(
    fetcher: &Fetcher,
    url: &Url,
    source: &Source,
    root: &Url,
    now: DateTime<Utc>,
) -> Result<Value, WpError> {
    let filter = wordpress::filter_for(fetcher, source, root, url).await?;
    let page = wordpress::fetch_posts(fetcher, source, root, &filter, 1).await?;
    let next = (page.total_pages.is_some_and(|t| t > 1)
        || page.total_pages.is_none() && page.items.len() >= source.items)
        .then(|| wordpress::posts_url(root, &filter, source.items, 2));
    let api_url = wordpress::posts_url(root, &filter, source.items, 1);
    let listing = listing_json(&api_url, &page, next.as_ref());
    let article = page
        .items
        .into_iter()
        .next()
        .map(|item| raw_report(item.raw, &item.link, source, now))
        .unwrap_or(Value::Null);
    Ok(report(url, Via::WordPressRest, listing, article, None))
}

fn listing_json(api_url: &Url, page: &ApiPage, next: Option<&Url>) -> Value {
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|i| {
            json!({
                "url": i.link.as_str(),
                "title": i.raw.title,
                "date_text": i.raw.published.first().map(|d| d.text.clone()),
            })
        })
        .collect();
    let skipped: Vec<Value> = page
        .skipped
        .iter()
        .map(|(what, why)| json!({ "what": what, "why": why }))
        .collect();
    json!({
        "url": api_url.as_str(),
        "items": items,
        "skipped": skipped,
        "next": next.map(Url::as_str),
    })
}

/// The whole report; `api_error` says why a WordPress site was previewed from HTML.
pub(super) fn report(
    url: &Url,
    via: Via,
    listing: Value,
    article: Value,
    api_error: Option<String>,
) -> Value {
    let kind = if listing.is_null() {
        "article"
    } else {
        "listing"
    };
    json!({
        "url": url.as_str(),
        "kind": kind,
        "via": via.label(),
        "api_error": api_error,
        "listing": listing,
        "article": article,
    })
}
