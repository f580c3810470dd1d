//! Structured data in an article page: JSON-LD (the first Article-like object, `@graph`
//! flattened, Yoast image references followed) and `<meta>` tags read in one pass.

use std::sync::LazyLock;

use scraper::{Html, Selector};
use serde_json::Value;

use super::html::sel;
use crate::core::text::collapse_whitespace;

pub(super) static META: LazyLock<Selector> = LazyLock::new(|| sel("meta[content]"));
pub(super) static JSON_LD: LazyLock<Selector> =
    LazyLock::new(|| sel(r#"script[type="application/ld+json"]"#));

/// Metadata from JSON-LD: the first Article-like object, `@graph` and arrays flattened.
#[derive(Debug, Default)]
pub(super) struct JsonLd {
    pub(super) headline: Option<String>,
    pub(super) date_published: Option<String>,
    pub(super) date_modified: Option<String>,
    pub(super) author: Option<String>,
    pub(super) image: Option<String>,
    pub(super) sections: Vec<String>,
    pub(super) url: Option<String>,
}

pub(super) const ARTICLE_TYPES: &[&str] = &[
    "Article",
    "NewsArticle",
    "BlogPosting",
    "ReportageNews",
    "AnalysisNewsArticle",
    "OpinionNewsArticle",
    "BackgroundNewsArticle",
    "Report",
    "TechArticle",
    "SocialMediaPosting",
    "LiveBlogPosting",
];

pub(super) fn json_objects<'a>(
    v: &'a Value,
    out: &mut Vec<&'a serde_json::Map<String, Value>>,
    depth: u8,
) {
    if depth > 8 {
        return;
    }
    match v {
        Value::Array(a) => a.iter().for_each(|x| json_objects(x, out, depth + 1)),
        Value::Object(o) => {
            out.push(o);
            if let Some(g) = o.get("@graph") {
                json_objects(g, out, depth + 1);
            }
        }
        _ => {}
    }
}

pub(super) fn is_article_type(o: &serde_json::Map<String, Value>) -> bool {
    match o.get("@type") {
        Some(Value::String(t)) => ARTICLE_TYPES.contains(&t.as_str()),
        Some(Value::Array(ts)) => ts
            .iter()
            .any(|t| t.as_str().is_some_and(|t| ARTICLE_TYPES.contains(&t))),
        _ => false,
    }
}

/// A string, or the `name`/`url`/`@id` of an object, or the first of an array.
pub(super) fn json_text(v: &Value, keys: &[&str]) -> Option<String> {
    let s = match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(a) => a.iter().find_map(|x| json_text(x, keys)),
        Value::Object(o) => keys
            .iter()
            .find_map(|k| o.get(*k).and_then(|x| json_text(x, keys))),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }?;
    let s = collapse_whitespace(&html_escape::decode_html_entities(&s));
    (!s.is_empty()).then_some(s)
}

pub(super) fn json_list(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => s
            .split(',')
            .map(|x| collapse_whitespace(&html_escape::decode_html_entities(x)))
            .filter(|x| !x.is_empty())
            .collect(),
        Value::Array(a) => a.iter().flat_map(json_list).collect(),
        _ => Vec::new(),
    }
}

pub(super) fn json_ld(doc: &Html) -> JsonLd {
    let mut found = JsonLd::default();
    let values: Vec<Value> = doc
        .select(&JSON_LD)
        .filter_map(|s| serde_json::from_str(s.text().collect::<String>().trim()).ok())
        .collect();
    let mut objects = Vec::new();
    for v in &values {
        json_objects(v, &mut objects, 0);
    }
    let Some(a) = objects.iter().find(|o| is_article_type(o)) else {
        return found;
    };
    let get = |k: &str| a.get(k);
    found.headline = get("headline")
        .or(get("name"))
        .and_then(|v| json_text(v, &[]));
    found.date_published = get("datePublished").and_then(|v| json_text(v, &[]));
    found.date_modified = get("dateModified").and_then(|v| json_text(v, &[]));
    found.author = get("author").and_then(|v| json_text(v, &["name"]));
    // Yoast puts the image as a reference to an ImageObject elsewhere in the graph.
    found.image = get("image").and_then(|v| {
        let id_ref = v.get("@id").and_then(Value::as_str);
        let target = id_ref.and_then(|id| {
            objects
                .iter()
                .find(|o| o.get("@id").and_then(Value::as_str) == Some(id) && o.len() > 1)
        });
        match target {
            Some(o) => o
                .get("url")
                .or(o.get("contentUrl"))
                .and_then(|u| json_text(u, &[])),
            None => json_text(v, &["url", "contentUrl"]),
        }
    });
    let mut sections = get("articleSection").map(json_list).unwrap_or_default();
    sections.extend(get("keywords").map(json_list).unwrap_or_default());
    found.sections = sections;
    found.url = get("mainEntityOfPage")
        .and_then(|v| json_text(v, &["@id", "url"]))
        .or_else(|| get("url").and_then(|v| json_text(v, &[])));
    found
}

/// The page's `<meta … content>` tags, read in one pass: an article looks up a dozen keys,
/// and a tree walk per key was a tenth of the cost of extracting it.
pub(super) struct Metas(Vec<MetaTag>);

pub(super) struct MetaTag {
    /// `property` or `name`, as opposed to `itemprop`.
    named: bool,
    key: String,
    content: String,
}

impl Metas {
    pub(super) fn read(doc: &Html) -> Metas {
        let mut tags = Vec::new();
        for m in doc.select(&META) {
            let v = m.value();
            let content = v.attr("content").unwrap_or("");
            for (attr, named) in [("property", true), ("name", true), ("itemprop", false)] {
                if let Some(key) = v.attr(attr) {
                    tags.push(MetaTag {
                        named,
                        key: key.to_string(),
                        content: content.to_string(),
                    });
                }
            }
        }
        Metas(tags)
    }

    fn matching<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a MetaTag> + 'a {
        self.0
            .iter()
            .filter(move |t| t.key.eq_ignore_ascii_case(key))
    }

    /// `<meta property|name|itemprop=key content=…>`, first non-empty.
    pub(super) fn get(&self, key: &str) -> Option<String> {
        self.matching(key)
            .map(|t| collapse_whitespace(&t.content))
            .find(|c| !c.is_empty())
    }

    /// Every non-empty `<meta property|name=key content=…>`.
    pub(super) fn all(&self, key: &str) -> Vec<String> {
        self.matching(key)
            .filter(|t| t.named)
            .map(|t| collapse_whitespace(&t.content))
            .filter(|c| !c.is_empty())
            .collect()
    }
}
