//! `kind = "json"` sources: portals that are single-page apps over a JSON API (gov.kz press
//! pages). A page URL template is filled with the page number, the answer's item list is
//! found by a dotted path or JSON Pointer, and each item is mapped to a [`RawArticle`] by
//! configured field paths, so normalize, store and render treat it like a scraped page.
//!
//! Real APIs disagree on the envelope (a plain array or `{"content": [...]}`), so both are
//! accepted without configuration. When the list carries no body, a detail request per new
//! item fills the missing fields.

use crate::text::html_fragment_text;
use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;

use crate::config::{JsonRules, Source};
use crate::fetch::{FetchError, Fetcher, RequestPolicy};
use crate::model::{DateCandidate, RawArticle};

/// Sent with every API request.
pub const JSON_ACCEPT: &str = "application/json, text/plain;q=0.5, */*;q=0.1";

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
}

impl JsonError {
    /// A short label for counting errors by kind.
    pub fn kind(&self) -> &'static str {
        match self {
            JsonError::Fetch(e) => e.kind(),
            JsonError::NotJson { .. } | JsonError::NoItems { .. } => "json",
            JsonError::Template { .. } => "template",
        }
    }
}

/// One article as an API lists it, before normalization.
#[derive(Debug, Clone)]
pub struct ApiItem {
    /// The article's public page (the feed item link).
    pub link: Url,
    /// Changes whenever the API's record changes; decides whether to re-store.
    pub fingerprint: String,
    pub raw: RawArticle,
    /// Where to read the missing fields from (the list had no body).
    pub detail: Option<Url>,
}

/// One page of an API listing.
#[derive(Debug, Clone, Default)]
pub struct ApiPage {
    pub items: Vec<ApiItem>,
    /// Total pages, when the API says (WordPress `X-WP-TotalPages`).
    pub total_pages: Option<u32>,
    /// Items the page held but that could not be mapped: (what, why).
    pub skipped: Vec<(String, String)>,
}

// ---- paths and templates -------------------------------------------------------------------

/// Where a value sits in a JSON document: dotted (`content`, `gosorgan.items.0.name`,
/// `activities.items.*.title`) or a JSON Pointer (`/content`). Empty means the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath {
    pub raw: String,
    segments: Vec<String>,
}

impl JsonPath {
    pub fn parse(raw: &str) -> Result<JsonPath, String> {
        let t = raw.trim();
        let segments: Vec<String> = if t.is_empty() {
            Vec::new()
        } else if let Some(p) = t.strip_prefix('/') {
            // RFC 6901 escapes: ~1 is "/", ~0 is "~" (in that order).
            p.split('/')
                .map(|s| s.replace("~1", "/").replace("~0", "~"))
                .collect()
        } else {
            t.split('.').map(str::to_string).collect()
        };
        if !t.starts_with('/') && segments.iter().any(String::is_empty) {
            return Err(format!(
                "invalid path {raw:?}: empty segment (use e.g. \"content\", \"a.b.0\" or a JSON Pointer \"/a/b\")"
            ));
        }
        Ok(JsonPath {
            raw: raw.to_string(),
            segments,
        })
    }

    /// The document itself.
    pub fn root() -> JsonPath {
        JsonPath {
            raw: String::new(),
            segments: Vec::new(),
        }
    }

    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }

    /// Every value at this path; `*` fans out over an array's elements or an object's values.
    pub fn all<'a>(&self, v: &'a Value) -> Vec<&'a Value> {
        let mut cur = vec![v];
        for seg in &self.segments {
            let mut next = Vec::new();
            for v in cur {
                match (seg.as_str(), v) {
                    ("*", Value::Array(a)) => next.extend(a.iter()),
                    ("*", Value::Object(o)) => next.extend(o.values()),
                    (s, Value::Array(a)) => {
                        if let Some(x) = s.parse::<usize>().ok().and_then(|i| a.get(i)) {
                            next.push(x);
                        }
                    }
                    (s, Value::Object(o)) => next.extend(o.get(s)),
                    _ => {}
                }
            }
            cur = next;
        }
        cur
    }

    pub fn get<'a>(&self, v: &'a Value) -> Option<&'a Value> {
        self.all(v).into_iter().next()
    }
}

/// A URL template with `{name}` placeholders (`{page}`, `{lang}`, `{id}`, any top-level
/// field of an item).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub raw: String,
}

impl Template {
    /// Checks braces; `{{`/`}}` are not supported because URLs never need them.
    pub fn parse(raw: &str) -> Result<Template, String> {
        let mut rest = raw;
        while let Some(open) = rest.find(['{', '}']) {
            if rest[open..].starts_with('}') {
                return Err(format!("unmatched \"}}\" in template {raw:?}"));
            }
            let after = &rest[open + 1..];
            let name = match after.find('}') {
                Some(close) if !after[..close].contains('{') => &after[..close],
                _ => return Err(format!("unclosed \"{{\" in template {raw:?}")),
            };
            let close = name.len();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_alphanumeric() || "_-.".contains(c))
            {
                return Err(format!(
                    "invalid placeholder {{{name}}} in template {raw:?} (expected e.g. {{id}} or {{page}})"
                ));
            }
            rest = &after[close + 1..];
        }
        Ok(Template {
            raw: raw.to_string(),
        })
    }

    /// Placeholder names in order.
    pub fn names(&self) -> Vec<&str> {
        let mut out = Vec::new();
        let mut rest = self.raw.as_str();
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else { break };
            out.push(&after[..close]);
            rest = &after[close + 1..];
        }
        out
    }

    /// Fills the placeholders; names `lookup` does not know are left as they are (callers
    /// fill in steps: `{lang}` at config load, `{page}` per request).
    pub fn fill(&self, lookup: impl Fn(&str) -> Option<String>) -> String {
        let mut out = String::with_capacity(self.raw.len());
        let mut rest = self.raw.as_str();
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else {
                out.push_str(&rest[open..]);
                return out;
            };
            let name = &after[..close];
            match lookup(name) {
                Some(v) => out.push_str(&v),
                None => out.push_str(&rest[open..open + close + 2]),
            }
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        out
    }

    /// A copy with one placeholder filled.
    pub fn with(&self, name: &str, value: &str) -> Template {
        Template {
            raw: self.fill(|n| (n == name).then(|| value.to_string())),
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

/// Fills the fields of `raw` that are still empty from `item` by the source's paths.
fn fill_raw(raw: &mut RawArticle, item: &Value, rules: &JsonRules) {
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

/// The URL of page `n` (counting from `first_page`).
pub fn page_url(rules: &JsonRules, page: u32) -> Result<Url, String> {
    let u = rules
        .url
        .fill(|name| (name == "page").then(|| page.to_string()));
    Url::parse(&u).map_err(|e| format!("page URL {u:?}: {e}"))
}

fn policy(source: &Source) -> RequestPolicy<'_> {
    RequestPolicy {
        allowed_hosts: &source.allowed_hosts,
    }
}

/// Fetches and maps one page of a JSON source.
pub async fn fetch_page(
    fetcher: &Fetcher,
    source: &Source,
    rules: &JsonRules,
    page: u32,
) -> Result<ApiPage, JsonError> {
    let url = page_url(rules, page).map_err(|message| JsonError::Template {
        template: rules.url.raw.clone(),
        message,
    })?;
    let r = fetcher
        .get_resource(&url, JSON_ACCEPT, &rules.headers, policy(source))
        .await?;
    parse_page(&r.body, &url, source, rules)
}

/// Reads the fields the list lacked from the item's detail URL.
pub async fn complete(
    fetcher: &Fetcher,
    source: &Source,
    rules: &JsonRules,
    item: ApiItem,
) -> Result<RawArticle, JsonError> {
    let mut raw = item.raw;
    let Some(url) = item.detail else {
        return Ok(raw);
    };
    let r = fetcher
        .get_resource(&url, JSON_ACCEPT, &rules.headers, policy(source))
        .await?;
    let doc = parse_json(&url, &r.body)?;
    // Some portals wrap a single record like their lists.
    let record = match &doc {
        Value::Object(o) if o.len() == 1 && o.get("content").is_some_and(Value::is_object) => {
            o.get("content").unwrap_or(&doc)
        }
        _ => &doc,
    };
    fill_raw(&mut raw, record, rules);
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_dotted_pointer_and_wildcard() {
        let v = json!({"a": {"b": [10, {"c": "x"}]}, "k/l": 1, "acts": {"items": [{"title": "A"}, {"title": "B"}]}});
        assert_eq!(JsonPath::parse("a.b.0").unwrap().get(&v), Some(&json!(10)));
        assert_eq!(
            JsonPath::parse("/a/b/1/c").unwrap().get(&v),
            Some(&json!("x"))
        );
        assert_eq!(JsonPath::parse("/k~1l").unwrap().get(&v), Some(&json!(1)));
        let all = JsonPath::parse("acts.items.*.title").unwrap();
        assert_eq!(all.all(&v), [&json!("A"), &json!("B")]);
        assert!(JsonPath::parse("").unwrap().is_root());
        assert!(JsonPath::parse("a..b").is_err());
        assert_eq!(JsonPath::parse("a.zz").unwrap().get(&v), None);
    }

    #[test]
    fn templates_check_and_fill() {
        let t = Template::parse("https://x.kz/news/{id}?lang={lang}&p={page}").unwrap();
        assert_eq!(t.names(), ["id", "lang", "page"]);
        let t = t.with("lang", "kk");
        assert_eq!(t.raw, "https://x.kz/news/{id}?lang=kk&p={page}");
        assert_eq!(
            t.fill(|n| (n == "id").then(|| "7".into())),
            "https://x.kz/news/7?lang=kk&p={page}"
        );
        assert!(Template::parse("https://x/{id").is_err());
        assert!(Template::parse("https://x/id}").is_err());
        assert!(Template::parse("https://x/{}").is_err());
        assert!(Template::parse("https://x/{a b}").is_err());
    }

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
