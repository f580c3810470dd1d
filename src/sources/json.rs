//! `kind = "json"` sources: portals that are single-page apps over a JSON API (gov.kz press
//! pages). A page URL template is filled with the page number, the answer's item list is
//! found by a dotted path or JSON Pointer, and each item is mapped to a [`RawArticle`] by
//! configured field paths, so normalize, store and render treat it like a scraped page.
//!
//! Real APIs disagree on the envelope (a plain array or `{"content": [...]}`), so both are
//! accepted without configuration. When the list carries no body, a detail request per new
//! item fills the missing fields.

use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;

use super::gate::{ApiSession, GateError};
use super::{ApiItem, ApiPage};
use crate::config::{JsonRules, Source};
use crate::core::jsonpath::JsonPath;
use crate::core::model::{DateCandidate, RawArticle};
use crate::core::text::html_fragment_text;
use crate::http::FetchError;

/// Why an API page or detail could not be used.
#[derive(Debug, thiserror::Error)]
pub enum JsonError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("{url}: not JSON: {message}")]
    NotJson { url: Url, message: String },
    #[error("{url}: no item list at {path:?} (expected an array)")]
    NoItems { url: Url, path: String },
    #[error("cannot build a URL from template {template:?}: {message}")]
    Template { template: String, message: String },
    /// The API session could not be opened, or the API refused it.
    #[error(transparent)]
    Gate(#[from] GateError),
}

impl JsonError {
    /// A short label for counting errors by kind.
    pub fn kind(&self) -> &'static str {
        match self {
            JsonError::Fetch(e) => e.kind(),
            JsonError::NotJson { .. } | JsonError::NoItems { .. } => "json",
            JsonError::Template { .. } => "template",
            JsonError::Gate(e) => e.kind(),
        }
    }
}

// ---- mapping --------------------------------------------------------------------------------

/// A scalar as text (ids are numbers in some APIs, strings in others).
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn text_at(v: &Value, path: Option<&JsonPath>) -> Option<String> {
    path.and_then(|p| p.get(v)).and_then(scalar)
}

/// Plain text bodies become paragraphs so they render as HTML like every other body.
fn body_html(s: &str) -> String {
    if s.contains('<') {
        return s.to_string();
    }
    s.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| format!("<p>{}</p>", html_escape::encode_text(l)))
        .collect()
}

/// Category names at a path: strings, or objects with a `title` / `name`.
fn names_at(v: &Value, path: Option<&JsonPath>) -> Vec<String> {
    let Some(p) = path else { return Vec::new() };
    let mut out = Vec::new();
    for x in p.all(v) {
        let items: Vec<&Value> = match x {
            Value::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        for i in items {
            let name = match i {
                Value::Object(o) => o.get("title").or_else(|| o.get("name")).and_then(scalar),
                other => scalar(other),
            };
            out.extend(name);
        }
    }
    out
}

/// The item list of a page: at the configured path, else the root array, else the first of
/// the usual envelope keys that holds an array.
fn item_list<'a>(doc: &'a Value, path: &JsonPath) -> Option<&'a Vec<Value>> {
    if !path.is_root() {
        return path.get(doc).and_then(Value::as_array);
    }
    match doc {
        Value::Array(a) => Some(a),
        Value::Object(o) => ["content", "items", "data", "results"]
            .iter()
            .find_map(|k| o.get(*k).and_then(Value::as_array)),
        _ => None,
    }
}

/// Fills the fields of `raw` that are still empty from `item` by the source's paths, and
/// notes the path each came from (what `preview` shows).
fn fill_raw(raw: &mut RawArticle, item: &Value, rules: &JsonRules) {
    let before = FilledFields::of(raw);
    fill_fields(raw, item, rules);
    before.note_new(raw, rules);
}

/// Which fields of a raw article are set.
struct FilledFields([bool; 7]);

impl FilledFields {
    fn of(raw: &RawArticle) -> FilledFields {
        FilledFields([
            raw.title.is_some(),
            raw.content_html.is_some(),
            !raw.published.is_empty(),
            !raw.modified.is_empty(),
            raw.author.is_some(),
            !raw.categories.is_empty(),
            raw.image.is_some(),
        ])
    }

    fn note_new(&self, raw: &mut RawArticle, rules: &JsonRules) {
        let now = FilledFields::of(raw).0;
        let body = rules.body.as_ref().or(rules.summary.as_ref());
        let paths = [
            ("title", Some(&rules.title)),
            ("content", body),
            ("published", rules.date.as_ref()),
            ("modified", rules.modified.as_ref()),
            ("author", rules.author.as_ref()),
            ("categories", rules.categories.as_ref()),
            ("image", rules.image.as_ref()),
        ];
        for (i, (field, path)) in paths.into_iter().enumerate() {
            if now[i] && !self.0[i] {
                let path = path.map(|p| p.raw.as_str()).unwrap_or_default();
                raw.provenance.push((field, format!("json {path}")));
            }
        }
    }
}

fn fill_fields(raw: &mut RawArticle, item: &Value, rules: &JsonRules) {
    if raw.title.is_none() {
        raw.title = text_at(item, Some(&rules.title)).map(|t| html_fragment_text(&t));
    }
    if raw.content_html.is_none() {
        raw.content_html = text_at(item, rules.body.as_ref())
            .or_else(|| text_at(item, rules.summary.as_ref()))
            .map(|b| body_html(&b));
    }
    if raw.published.is_empty() {
        raw.published.extend(
            text_at(item, rules.date.as_ref()).map(|text| DateCandidate {
                text,
                origin: "json",
            }),
        );
    }
    if raw.modified.is_empty() {
        raw.modified.extend(
            text_at(item, rules.modified.as_ref()).map(|text| DateCandidate {
                text,
                origin: "json",
            }),
        );
    }
    if raw.author.is_none() {
        raw.author = text_at(item, rules.author.as_ref()).map(|t| html_fragment_text(&t));
    }
    if raw.categories.is_empty() {
        raw.categories = names_at(item, rules.categories.as_ref());
    }
    if raw.image.is_none() {
        raw.image = text_at(item, rules.image.as_ref()).map(|i| match &rules.image_base {
            // gov.kz `heropic` is a site-relative path on another host than the API.
            Some(base) => base.join(&i).map(|u| u.to_string()).unwrap_or(i),
            None => i,
        });
    }
}

/// The value a template placeholder takes for one item: its id or a top-level scalar.
fn item_field(item: &Value, id: &str, name: &str) -> Option<String> {
    if name == "id" {
        return Some(id.to_string());
    }
    item.get(name).and_then(scalar)
}

fn parse_json(url: &Url, body: &[u8]) -> Result<Value, JsonError> {
    serde_json::from_slice(body).map_err(|e| JsonError::NotJson {
        url: url.clone(),
        message: e.to_string(),
    })
}

/// Maps one API answer to items. Items without an id, title or usable link are skipped and
/// reported, never fatal for the page.
pub fn parse_page(
    body: &[u8],
    url: &Url,
    source: &Source,
    rules: &JsonRules,
) -> Result<ApiPage, JsonError> {
    let doc = parse_json(url, body)?;
    let list = item_list(&doc, &rules.items).ok_or_else(|| JsonError::NoItems {
        url: url.clone(),
        path: rules.items.raw.clone(),
    })?;
    let mut page = ApiPage::default();
    for (n, item) in list.iter().enumerate() {
        match map_item(item, source, rules) {
            Ok(i) => page.items.push(i),
            Err(why) => page.skipped.push((format!("{url} item {n}"), why)),
        }
    }
    Ok(page)
}

fn map_item(item: &Value, source: &Source, rules: &JsonRules) -> Result<ApiItem, String> {
    let id =
        text_at(item, Some(&rules.id)).ok_or_else(|| format!("no id at {:?}", rules.id.raw))?;
    let link_text = rules.link.fill(|name| item_field(item, &id, name));
    let link = Url::parse(&link_text)
        .map_err(|e| format!("link {link_text:?} from template {:?}: {e}", rules.link.raw))?;
    let mut raw = RawArticle {
        url: Some(link.clone()),
        canonical: Some(link.to_string()),
        language: Some(source.language.clone()),
        provenance: vec![("canonical", format!("json link {}", rules.link.raw))],
        ..RawArticle::default()
    };
    fill_raw(&mut raw, item, rules);
    let detail = match (&raw.content_html, &rules.detail_url) {
        (None, Some(t)) => {
            let u = t.fill(|name| item_field(item, &id, name));
            Some(Url::parse(&u).map_err(|e| format!("detail URL {u:?}: {e}"))?)
        }
        _ => None,
    };
    if raw.title.is_none() && detail.is_none() {
        return Err(format!("no title at {:?}", rules.title.raw));
    }
    // serde_json prints object keys in a stable order, so equal records hash equal.
    let fingerprint = hex::encode(&Sha256::digest(item.to_string().as_bytes())[..12]);
    Ok(ApiItem {
        link,
        fingerprint,
        raw,
        detail,
    })
}

/// Fetches and maps one page of a JSON source within its session.
pub async fn fetch_page(session: &ApiSession<'_>, page: u32) -> Result<ApiPage, JsonError> {
    let rules = session.rules();
    let url = rules
        .page_url(page)
        .map_err(|message| JsonError::Template {
            template: rules.url.raw.clone(),
            message,
        })?;
    let body = session.get(&url).await?;
    parse_page(&body, &url, session.source(), rules)
}

/// Reads the fields the list lacked from the item's detail URL.
pub async fn complete(session: &ApiSession<'_>, item: ApiItem) -> Result<RawArticle, JsonError> {
    let mut raw = item.raw;
    let Some(url) = item.detail else {
        return Ok(raw);
    };
    let body = session.get(&url).await?;
    let doc = parse_json(&url, &body)?;
    // Some portals wrap a single record like their lists.
    let record = match &doc {
        Value::Object(o) if o.len() == 1 && o.get("content").is_some_and(Value::is_object) => {
            o.get("content").unwrap_or(&doc)
        }
        _ => &doc,
    };
    fill_raw(&mut raw, record, session.rules());
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn envelopes_are_found_without_configuration() {
        let root = JsonPath::parse("").unwrap();
        let plain = json!([{"id": 1}]);
        let wrapped = json!({"content": [{"id": 1}], "totalElements": 1});
        assert_eq!(item_list(&plain, &root).map(Vec::len), Some(1));
        assert_eq!(item_list(&wrapped, &root).map(Vec::len), Some(1));
        assert!(item_list(&json!({"x": 1}), &root).is_none());
    }

    #[test]
    fn text_bodies_become_paragraphs() {
        assert_eq!(body_html("a < b"), "a < b");
        assert_eq!(
            body_html("one\n\ntwo & three"),
            "<p>one</p><p>two &amp; three</p>"
        );
    }
}
