//! `pressfeed preview` of a Telegram source: the channel page read as the pipeline reads it
//! (one entry per message that makes an item, newest first, and the page of older messages
//! as `next`), then the newest message shown field by field. Same JSON shape as every
//! other preview (see `preview`, which fetches the page and sorts the keys).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use url::Url;

use crate::config::Source;
use crate::core::dates::parse_date;
use crate::core::model::RawArticle;
use crate::normalize::{normalize, plain_text, sanitize_html};
use crate::sources::telegram::parse_page;

/// The preview report of one fetched channel page.
pub(super) fn report(html: &str, url: &Url, source: &Source, now: DateTime<Utc>) -> Value {
    let page = match parse_page(html, url, source) {
        Ok(p) => p,
        Err(e) => {
            return json!({
                "url": url.as_str(),
                "kind": "listing",
                "listing": { "url": url.as_str(), "items": [], "next": null },
                "article": { "url": url.as_str(), "error": e.to_string() },
            });
        }
    };
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|i| {
            let date = i.raw.published.first().map(|d| d.text.clone());
            json!({ "url": i.link.as_str(), "title": i.raw.title, "date_text": date })
        })
        .collect();
    let article = page
        .items
        .first()
        .map(|i| message_report(&i.raw, source, now))
        .unwrap_or(Value::Null);
    json!({
        "url": url.as_str(),
        "kind": "listing",
        "listing": {
            "url": url.as_str(),
            "items": items,
            "next": page.before.as_ref().map(Url::as_str),
        },
        "article": article,
    })
}

fn field(value: Value, step: Option<String>) -> Value {
    let step = if value.is_null() { None } else { step };
    json!({ "value": value, "step": step })
}

fn step(raw: &RawArticle, name: &str) -> Option<String> {
    raw.provenance
        .iter()
        .find(|(f, _)| *f == name)
        .map(|(_, s)| s.clone())
}

/// Every field of one message, as the feed item would carry it.
fn message_report(raw: &RawArticle, source: &Source, now: DateTime<Utc>) -> Value {
    let Some(page_url) = raw.url.clone() else {
        return Value::Null;
    };
    let date = raw.published.first();
    let published = date.and_then(|d| parse_date(&d.text, source.timezone, now));
    let edit = raw.modified.first();
    let modified = edit.and_then(|d| parse_date(&d.text, source.timezone, now));
    let body = raw
        .content_html
        .as_deref()
        .map(|h| plain_text(&sanitize_html(h, &page_url)))
        .unwrap_or_default();
    let (error, n) = match normalize(raw.clone(), source, now) {
        Ok(n) => (None, Some(n.article)),
        Err(e) => (Some(e.to_string()), None),
    };
    let fields = json!({
        "title": field(json!(n.as_ref().map(|a| a.title.clone())), step(raw, "title")),
        "canonical_url": field(json!(n.as_ref().map(|a| a.url.to_string())), step(raw, "canonical")),
        "published": field(
            json!(published.map(|p| p.with_timezone(&source.timezone).to_rfc3339())),
            date.map(|d| d.origin.to_string()),
        ),
        "modified": field(
            json!(modified.map(|p| p.with_timezone(&source.timezone).to_rfc3339())),
            edit.map(|d| d.origin.to_string()),
        ),
        "author": field(json!(raw.author), step(raw, "author")),
        "categories": field(Value::Null, None),
        "image": field(
            json!(n.as_ref().and_then(|a| a.image.as_ref().map(Url::to_string))),
            step(raw, "image"),
        ),
        "language": field(json!(n.as_ref().map(|a| a.language.clone())), Some("source language".into())),
        "summary": field(json!(n.as_ref().map(|a| a.summary.clone())), Some("body text".into())),
        "content": field(
            if body.is_empty() { Value::Null } else { json!(format!("{} characters", body.chars().count())) },
            step(raw, "content"),
        ),
    });
    let failures: Vec<Value> = [
        ("published", date.filter(|_| published.is_none())),
        ("modified", edit.filter(|_| modified.is_none())),
    ]
    .into_iter()
    .filter_map(|(name, c)| c.map(|c| json!({ "field": name, "text": c.text, "origin": c.origin })))
    .collect();
    json!({
        "url": page_url.as_str(),
        "error": error,
        "fields": fields,
        "date_failures": failures,
        "body_chars": body.chars().count(),
        "body_start": body.chars().take(300).collect::<String>(),
        "selector_misses": Vec::<String>::new(),
    })
}
