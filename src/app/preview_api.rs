//! What `preview` reads for sources a run reads through an API: a `kind = "json"` source
//! through its API (session included), a WordPress listing through the REST step of the
//! ladder. It returns the API page as a listing and the first record as a raw article;
//! `preview` reports them like an HTML listing and article.

use serde_json::{Value, json};
use url::Url;

use crate::config::{JsonRules, Source};
use crate::core::model::RawArticle;
use crate::http::Fetcher;
use crate::sources::gate::ApiSession;
use crate::sources::json::JsonError;
use crate::sources::wordpress::{self, WpError};
use crate::sources::{ApiPage, json};

/// One API page as a preview shows it.
#[derive(Debug)]
pub(super) struct ApiRead {
    /// The report's `listing` value.
    pub(super) listing: Value,
    /// The first record, ready to report, or its link and why it could not be completed.
    pub(super) first: Option<Result<(RawArticle, Url), (Url, String)>>,
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

/// Reads a `kind = "json"` source's API page through a session, then its first item
/// (completed by its detail request when the list has no body).
pub(super) async fn json_read(
    fetcher: &Fetcher,
    url: &Url,
    source: &Source,
    rules: &JsonRules,
) -> Result<ApiRead, JsonError> {
    let session = ApiSession::new(fetcher, source, rules);
    let api_url = json_page_url(url, source);
    let body = session.get(&api_url).await?;
    let page = json::parse_page(&body, &api_url, source, rules)?;
    let next = (source.listing_urls.first() == Some(&api_url) && !page.items.is_empty())
        .then(|| rules.page_url(rules.first_page + 1).ok())
        .flatten();
    let listing = listing_json(&api_url, &page, next.as_ref());
    let first = match page.items.into_iter().next() {
        None => None,
        Some(item) => {
            let link = item.link.clone();
            Some(match json::complete(&session, item).await {
                Ok(raw) => Ok((raw, link)),
                Err(e) => Err((link, e.to_string())),
            })
        }
    };
    Ok(ApiRead { listing, first })
}

/// Reads a WordPress listing through the REST API, as the ladder reads it. `Err` means a
/// run would scrape HTML instead (the API is off, or the URL has no REST equivalent).
pub(super) async fn wordpress_read(
    fetcher: &Fetcher,
    url: &Url,
    source: &Source,
    root: &Url,
) -> Result<ApiRead, WpError> {
    let filter = wordpress::filter_for(fetcher, source, root, url).await?;
    let page = wordpress::fetch_posts(fetcher, source, root, &filter, 1).await?;
    let next = (page.total_pages.is_some_and(|t| t > 1)
        || page.total_pages.is_none() && page.items.len() >= source.items)
        .then(|| wordpress::posts_url(root, &filter, source.items, 2));
    let api_url = wordpress::posts_url(root, &filter, source.items, 1);
    let listing = listing_json(&api_url, &page, next.as_ref());
    let first = page
        .items
        .into_iter()
        .next()
        .map(|item| Ok((item.raw, item.link)));
    Ok(ApiRead { listing, first })
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
