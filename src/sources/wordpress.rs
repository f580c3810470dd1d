//! The WordPress ladder: when a listing page comes from WordPress, read the site through its
//! REST API (`/wp-json/wp/v2/posts?_embed`) instead of scraping. One request then yields up to
//! 100 complete posts with exact UTC dates, so no article page is fetched at all, and theme
//! quirks (wrong `time@datetime`, lazy images, share buttons) do not matter.
//!
//! Many press sites switch the API off or put it behind a security plugin; every answer that
//! says so (401/403/404, HTML instead of JSON, an unknown category) is a [`WpError`] the
//! pipeline takes as "scrape HTML instead".

use crate::core::text::html_fragment_text;
use scraper::{Html, Selector};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;
use url::Url;

use super::{ApiItem, ApiPage, JSON_ACCEPT};
use crate::config::Source;
use crate::core::model::{DateCandidate, RawArticle};
use crate::http::{FetchError, Fetcher, RequestPolicy};

/// The link relation WordPress uses to announce its REST API root.
const API_REL: &str = "https://api.w.org/";

/// WordPress caps `per_page` at 100.
const MAX_PER_PAGE: usize = 100;

static API_LINK: LazyLock<Selector> = LazyLock::new(|| {
    Selector::parse(r#"link[rel="https://api.w.org/"][href]"#).expect("static selector")
});
static GENERATOR: LazyLock<Selector> = LazyLock::new(|| {
    Selector::parse(r#"meta[name="generator"][content]"#).expect("static selector")
});

/// Why the REST API could not be used.
#[derive(Debug, thiserror::Error)]
pub enum WpError {
    #[error("{url}: the REST API is off or blocked (HTTP {status})")]
    Off { url: Url, status: u16 },
    #[error("{url}: the REST API answered something that is not JSON ({message})")]
    NotJson { url: Url, message: String },
    #[error("{url}: no {taxonomy} with slug {slug:?}")]
    UnknownTerm {
        url: Url,
        taxonomy: &'static str,
        slug: String,
    },
    #[error("{url}: this listing URL has no REST API equivalent")]
    Unmapped { url: Url },
    #[error(transparent)]
    Fetch(FetchError),
}

impl WpError {
    pub fn kind(&self) -> &'static str {
        match self {
            WpError::Fetch(e) => e.kind(),
            _ => "wp_api",
        }
    }
}

impl From<FetchError> for WpError {
    fn from(e: FetchError) -> WpError {
        match e {
            FetchError::Status { url, status } if matches!(status, 401 | 403 | 404 | 410) => {
                WpError::Off { url, status }
            }
            other => WpError::Fetch(other),
        }
    }
}

/// The REST API root when `page` is a WordPress page: announced by a `Link` header or a
/// `<link rel="https://api.w.org/">`, else guessed at `/wp-json/` when the generator meta or
/// `/wp-content/` paths give WordPress away. `None`: not WordPress.
pub fn detect(html: &str, page_url: &Url, link_headers: &[String]) -> Option<Url> {
    for value in link_headers {
        for part in value.split(',') {
            let mut pieces = part.split(';');
            let target = pieces.next().unwrap_or_default().trim();
            let is_api = pieces.any(|p| {
                let p = p.trim();
                p.strip_prefix("rel=")
                    .is_some_and(|r| r.trim_matches('"') == API_REL)
            });
            if is_api
                && let Some(u) = target
                    .strip_prefix('<')
                    .and_then(|t| t.strip_suffix('>'))
                    .and_then(|t| page_url.join(t).ok())
            {
                return Some(u);
            }
        }
    }
    let doc = Html::parse_document(html);
    if let Some(u) = doc
        .select(&API_LINK)
        .filter_map(|l| l.value().attr("href"))
        .find_map(|h| page_url.join(h.trim()).ok())
    {
        return Some(u);
    }
    let generator = doc
        .select(&GENERATOR)
        .filter_map(|m| m.value().attr("content"))
        .any(|c| c.trim_start().starts_with("WordPress"));
    if generator || html.contains("/wp-content/") || html.contains("/wp-includes/") {
        return page_url.join("/wp-json/").ok();
    }
    None
}

/// What a listing URL shows, in REST terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    All,
    Category(String),
    Tag(String),
    Search(String),
}

/// Maps a listing URL to a query: `/category/<slug>/` (nested: the last slug), `/tag/<slug>/`,
/// `?s=q`, the home page; `/page/N/` suffixes are ignored. Other paths have no reliable
/// equivalent (a page template may show anything), so they stay HTML.
pub fn listing_query(u: &Url) -> Option<Query> {
    if let Some((_, q)) = u.query_pairs().find(|(k, _)| k == "s") {
        return Some(Query::Search(q.into_owned()));
    }
    let mut segs: Vec<String> = u
        .path_segments()
        .map(|s| s.filter(|p| !p.is_empty()).map(decode).collect())
        .unwrap_or_default();
    if segs.len() >= 2
        && segs[segs.len() - 2] == "page"
        && segs[segs.len() - 1].parse::<u32>().is_ok()
    {
        segs.truncate(segs.len() - 2);
    }
    match segs.first().map(String::as_str) {
        None => Some(Query::All),
        Some("category") if segs.len() >= 2 => segs.last().cloned().map(Query::Category),
        Some("tag") if segs.len() == 2 => Some(Query::Tag(segs[1].clone())),
        _ => None,
    }
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// What to ask the posts endpoint for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    All,
    Categories(u64),
    Tags(u64),
    Search(String),
}

/// A route under the API root, for both `/wp-json/` and plain-permalink `?rest_route=/` roots.
pub fn endpoint(api_root: &Url, route: &str, params: &[(&str, String)]) -> Url {
    let mut u = if api_root.query_pairs().any(|(k, _)| k == "rest_route") {
        let mut u = api_root.clone();
        u.query_pairs_mut()
            .clear()
            .append_pair("rest_route", &format!("/{route}"));
        u
    } else {
        let mut u = api_root.clone();
        if !u.path().ends_with('/') {
            let p = format!("{}/", u.path());
            u.set_path(&p);
        }
        u.join(route).unwrap_or(u)
    };
    {
        let mut q = u.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
    }
    u
}

async fn get_json(
    fetcher: &Fetcher,
    source: &Source,
    url: &Url,
) -> Result<(Value, Option<u32>), WpError> {
    let r = fetcher
        .get_resource(url, JSON_ACCEPT, &[], RequestPolicy::for_source(source))
        .await?;
    let not_json = |message: String| WpError::NotJson {
        url: url.clone(),
        message,
    };
    if let Some(ct) = &r.content_type
        && !ct.to_ascii_lowercase().contains("json")
    {
        return Err(not_json(format!("Content-Type {ct}")));
    }
    let v: Value = serde_json::from_slice(&r.body).map_err(|e| not_json(e.to_string()))?;
    let total = r
        .header("x-wp-totalpages")
        .and_then(|t| t.parse::<u32>().ok());
    Ok((v, total))
}

/// Turns a listing URL into a posts filter; category and tag slugs cost one lookup each.
pub async fn filter_for(
    fetcher: &Fetcher,
    source: &Source,
    api_root: &Url,
    listing: &Url,
) -> Result<Filter, WpError> {
    let (taxonomy, route, slug) = match listing_query(listing) {
        None => {
            return Err(WpError::Unmapped {
                url: listing.clone(),
            });
        }
        Some(Query::All) => return Ok(Filter::All),
        Some(Query::Search(q)) => return Ok(Filter::Search(q)),
        Some(Query::Category(s)) => ("category", "wp/v2/categories", s),
        Some(Query::Tag(s)) => ("tag", "wp/v2/tags", s),
    };
    let url = endpoint(api_root, route, &[("slug", slug.clone())]);
    let (v, _) = get_json(fetcher, source, &url).await?;
    let id = v
        .as_array()
        .and_then(|a| a.first())
        .and_then(|t| t.get("id"))
        .and_then(Value::as_u64)
        .ok_or(WpError::UnknownTerm {
            url,
            taxonomy,
            slug,
        })?;
    Ok(if taxonomy == "category" {
        Filter::Categories(id)
    } else {
        Filter::Tags(id)
    })
}

/// The posts request for page `page` (from 1).
pub fn posts_url(api_root: &Url, filter: &Filter, per_page: usize, page: u32) -> Url {
    let mut params = vec![
        ("_embed", "1".to_string()),
        ("per_page", per_page.clamp(1, MAX_PER_PAGE).to_string()),
        ("page", page.to_string()),
    ];
    match filter {
        Filter::All => {}
        Filter::Categories(id) => params.push(("categories", id.to_string())),
        Filter::Tags(id) => params.push(("tags", id.to_string())),
        Filter::Search(q) => params.push(("search", q.clone())),
    }
    endpoint(api_root, "wp/v2/posts", &params)
}

/// Fetches one page of posts.
pub async fn fetch_posts(
    fetcher: &Fetcher,
    source: &Source,
    api_root: &Url,
    filter: &Filter,
    page: u32,
) -> Result<ApiPage, WpError> {
    let url = posts_url(api_root, filter, source.items, page);
    let (v, total_pages) = match get_json(fetcher, source, &url).await {
        // WordPress answers 400 `rest_post_invalid_page_number` past the last page.
        Err(WpError::Fetch(FetchError::Status { status: 400, .. })) if page > 1 => {
            return Ok(ApiPage::default());
        }
        other => other?,
    };
    let Some(posts) = v.as_array() else {
        return Err(WpError::NotJson {
            url,
            message: "expected an array of posts".into(),
        });
    };
    let mut out = ApiPage {
        total_pages,
        ..ApiPage::default()
    };
    for (n, p) in posts.iter().enumerate() {
        match map_post(p, source) {
            Some(item) => out.items.push(item),
            None => out
                .skipped
                .push((format!("{url} post {n}"), "no usable link".into())),
        }
    }
    Ok(out)
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = match cur {
            Value::Array(a) => a.get(p.parse::<usize>().ok()?)?,
            other => other.get(*p)?,
        };
    }
    cur.as_str().map(str::trim).filter(|s| !s.is_empty())
}

/// `date_gmt` has no offset in the string; it is UTC.
fn gmt(v: &Value, field: &str, local: &str) -> Option<DateCandidate> {
    match str_at(v, &[field]) {
        Some(t) => Some(DateCandidate {
            text: format!("{t}Z"),
            origin: "wp-json",
        }),
        // Unpublished or odd setups: the site-local time, read in the source's zone.
        None => str_at(v, &[local]).map(|t| DateCandidate {
            text: t.to_string(),
            origin: "wp-json",
        }),
    }
}

/// One post as a [`RawArticle`]; `None` when it has no usable link.
pub fn map_post(p: &Value, source: &Source) -> Option<ApiItem> {
    let link = Url::parse(str_at(p, &["link"])?).ok()?;
    let mut categories = Vec::new();
    // `wp:term` is one array per taxonomy (categories, then tags).
    if let Some(groups) = p.pointer("/_embedded/wp:term").and_then(Value::as_array) {
        for term in groups.iter().filter_map(Value::as_array).flatten() {
            let taxonomy = str_at(term, &["taxonomy"]).unwrap_or_default();
            if matches!(taxonomy, "category" | "post_tag")
                && let Some(name) = str_at(term, &["name"])
            {
                categories.push(html_fragment_text(name));
            }
        }
    }
    let raw = RawArticle {
        url: Some(link.clone()),
        canonical: Some(link.to_string()),
        title: str_at(p, &["title", "rendered"]).map(html_fragment_text),
        content_html: str_at(p, &["content", "rendered"]).map(str::to_string),
        published: gmt(p, "date_gmt", "date").into_iter().collect(),
        modified: gmt(p, "modified_gmt", "modified").into_iter().collect(),
        author: str_at(p, &["_embedded", "author", "0", "name"]).map(html_fragment_text),
        categories,
        image: str_at(p, &["_embedded", "wp:featuredmedia", "0", "source_url"]).map(str::to_string),
        language: Some(source.language.clone()),
        provenance: vec![("article", "wordpress rest api".into())],
        selector_misses: Vec::new(),
    };
    let fingerprint = hex::encode(&Sha256::digest(p.to_string().as_bytes())[..12]);
    Some(ApiItem {
        link,
        fingerprint,
        raw,
        detail: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).expect("url")
    }

    #[test]
    fn detects_by_link_header_link_element_generator_and_paths() {
        let page = u("https://x.kz/category/news/");
        let h = vec![r#"<https://x.kz/wp-json/>; rel="https://api.w.org/""#.to_string()];
        assert_eq!(detect("", &page, &h), Some(u("https://x.kz/wp-json/")));
        let html = r#"<link rel="https://api.w.org/" href="https://x.kz/?rest_route=/">"#;
        assert_eq!(
            detect(html, &page, &[]),
            Some(u("https://x.kz/?rest_route=/"))
        );
        let html = r#"<meta name="generator" content="WordPress 6.8">"#;
        assert_eq!(detect(html, &page, &[]), Some(u("https://x.kz/wp-json/")));
        assert_eq!(
            detect(r#"<img src="/wp-content/a.jpg">"#, &page, &[]),
            Some(u("https://x.kz/wp-json/"))
        );
        assert_eq!(detect("<p>plain</p>", &page, &[]), None);
    }

    #[test]
    fn listing_urls_map_to_queries() {
        let q = |s: &str| listing_query(&u(s));
        assert_eq!(q("https://x.kz/"), Some(Query::All));
        assert_eq!(q("https://x.kz/page/3/"), Some(Query::All));
        assert_eq!(
            q("https://x.kz/category/news/region/page/2/"),
            Some(Query::Category("region".into()))
        );
        assert_eq!(
            q("https://x.kz/category/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8/"),
            Some(Query::Category("новости".into()))
        );
        assert_eq!(
            q("https://x.kz/tag/prokuror/"),
            Some(Query::Tag("prokuror".into()))
        );
        assert_eq!(q("https://x.kz/?s=суд"), Some(Query::Search("суд".into())));
        assert_eq!(q("https://x.kz/press-releases/"), None);
    }

    #[test]
    fn endpoints_for_both_root_styles() {
        let f = Filter::Categories(5);
        assert_eq!(
            posts_url(&u("https://x.kz/wp-json/"), &f, 500, 2).as_str(),
            "https://x.kz/wp-json/wp/v2/posts?_embed=1&per_page=100&page=2&categories=5"
        );
        assert_eq!(
            posts_url(&u("https://x.kz/?rest_route=/"), &Filter::All, 20, 1).as_str(),
            "https://x.kz/?rest_route=%2Fwp%2Fv2%2Fposts&_embed=1&per_page=20&page=1"
        );
    }

    #[test]
    fn post_mapping() {
        let src = crate::config::Config::parse(
            "[[source]]\nid = \"a\"\ntitle = \"A\"\nlisting_urls = [\"https://x.kz/\"]\n",
            std::path::Path::new("c.toml"),
        )
        .expect("config");
        let p = serde_json::json!({
            "link": "https://x.kz/2025/09/24/a/",
            "date": "2025-09-24T10:12:00", "date_gmt": "2025-09-24T05:12:00",
            "modified_gmt": "2025-09-25T01:00:00",
            "title": {"rendered": "&#171;Закон&#187; &amp; порядок"},
            "content": {"rendered": "<p>Текст</p>"},
            "_embedded": {
                "author": [{"name": "Алия"}],
                "wp:term": [[{"taxonomy": "category", "name": "Главное"}], [{"taxonomy": "post_tag", "name": "суд"}]],
                "wp:featuredmedia": [{"source_url": "https://x.kz/wp-content/uploads/a.jpg"}]
            }
        });
        let item = map_post(&p, &src.sources[0]).expect("mapped");
        let r = &item.raw;
        assert_eq!(r.published[0].text, "2025-09-24T05:12:00Z");
        assert_eq!(r.modified[0].text, "2025-09-25T01:00:00Z");
        assert_eq!(r.author.as_deref(), Some("Алия"));
        assert_eq!(r.categories, ["Главное", "суд"]);
        assert_eq!(
            r.image.as_deref(),
            Some("https://x.kz/wp-content/uploads/a.jpg")
        );
        assert!(map_post(&serde_json::json!({"title": "x"}), &src.sources[0]).is_none());
    }
}
