//! The source-kind parts of a `[[source]]`: `kind`, `wordpress` and the `[source.json]` table
//! of JSON API sources.

use toml::Spanned;
use url::Url;

use super::ConfigError;
use super::gate::{DEFAULT_BCRYPT_COST, HeaderTemplates, SessionRules};
use super::raw::RawJson;
use super::span::Ctx;
use super::telegram;
use super::values::http_url;
use crate::core::jsonpath::{JsonPath, Template};

/// How a source's articles are read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SourceKind {
    /// Listing and article pages (with the WordPress REST ladder when detected).
    #[default]
    Html,
    /// A JSON API (`[source.json]`).
    Json,
    /// A public Telegram channel's web preview (`https://t.me/s/<channel>`).
    Telegram,
    /// An RSS, Atom or JSON feed as the listing (`listing_urls` are feed URLs); every
    /// entry's full text from its article page.
    Feed,
}

/// Whether to prefer a detected WordPress REST API over scraping.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WordPressMode {
    #[default]
    Auto,
    Off,
}

/// `[source.json]`, validated. `{lang}` is already filled in; `{page}` is left for the pipeline
/// and item fields (`{id}`, ...) for each item.
#[derive(Debug, Clone)]
pub struct JsonRules {
    /// Page URL template with `{page}`.
    pub url: Template,
    pub first_page: u32,
    /// The item list; the root means "a plain array, or `{"content": [...]}`".
    pub items: JsonPath,
    pub id: JsonPath,
    pub title: JsonPath,
    pub date: Option<JsonPath>,
    pub modified: Option<JsonPath>,
    /// HTML (or plain text, turned into paragraphs).
    pub body: Option<JsonPath>,
    pub summary: Option<JsonPath>,
    pub author: Option<JsonPath>,
    pub image: Option<JsonPath>,
    /// Base for relative image paths.
    pub image_base: Option<Url>,
    pub categories: Option<JsonPath>,
    /// The public page of an item, e.g. `https://www.gov.kz/.../details/{id}?lang=ru`.
    pub link: Template,
    /// Per-item detail request when the list has no body.
    pub detail_url: Option<Template>,
    /// Extra request headers (`Accept-Language`, gate headers with generated values).
    pub headers: HeaderTemplates,
    /// `[source.json.session]`: requested before the first API call of a run.
    pub session: Option<SessionRules>,
    /// Cost of `{bcrypt:NAME}` hashes.
    pub bcrypt_cost: u32,
}

impl JsonRules {
    /// The URL of page `page` (counting from `first_page`).
    pub fn page_url(&self, page: u32) -> Result<Url, String> {
        let u = self
            .url
            .fill(|name| (name == "page").then(|| page.to_string()));
        Url::parse(&u).map_err(|e| format!("page URL {u:?}: {e}"))
    }
}

impl Ctx<'_> {
    /// The source's kind: as written, else Telegram when every listing URL is a channel's
    /// web preview on t.me or telegram.me, else HTML.
    pub(super) fn kind(
        &self,
        v: Option<Spanned<String>>,
        listing_urls: Option<&Spanned<Vec<Spanned<String>>>>,
        key: &str,
    ) -> Result<SourceKind, ConfigError> {
        match v {
            None if telegram::detected(listing_urls) => Ok(SourceKind::Telegram),
            None => Ok(SourceKind::Html),
            Some(v) => match v.get_ref().trim() {
                "html" => Ok(SourceKind::Html),
                "json" => Ok(SourceKind::Json),
                "telegram" => Ok(SourceKind::Telegram),
                "feed" => Ok(SourceKind::Feed),
                other => Err(self.err(
                    v.span(),
                    key,
                    format!(
                        "unknown kind {other:?}, expected \"html\", \"json\", \"telegram\" or \"feed\""
                    ),
                )),
            },
        }
    }

    pub(super) fn wordpress(
        &self,
        v: Option<Spanned<String>>,
        key: &str,
    ) -> Result<WordPressMode, ConfigError> {
        match v {
            None => Ok(WordPressMode::Auto),
            Some(v) => match v.get_ref().trim() {
                "auto" => Ok(WordPressMode::Auto),
                "off" => Ok(WordPressMode::Off),
                other => Err(self.err(
                    v.span(),
                    key,
                    format!("unknown value {other:?}, expected \"auto\" or \"off\""),
                )),
            },
        }
    }

    /// Validates `[source.json]` for one language. `fallback_url` is the first listing URL
    /// text (a template with `{page}`) when `json.url` is not set; `table` spans the source.
    pub(super) fn json_rules(
        &self,
        raw: Option<Spanned<RawJson>>,
        fallback_url: Option<Spanned<String>>,
        lang: &str,
        prefix: &str,
        table: std::ops::Range<usize>,
    ) -> Result<JsonRules, ConfigError> {
        let k = |key: &str| format!("{prefix}.json.{key}");
        let Some(raw) = raw else {
            return Err(self.err(
                table,
                format!("{prefix}.json"),
                "kind = \"json\" needs a [source.json] table (url, id, title, link, ...)",
            ));
        };
        let span = raw.span();
        let raw = raw.into_inner();
        let missing = |key: &str| self.err(span.clone(), k(key), "missing required key");
        let path =
            |v: Option<Spanned<String>>, key: &str| -> Result<Option<JsonPath>, ConfigError> {
                v.map(|v| JsonPath::parse(v.get_ref()).map_err(|m| self.err(v.span(), k(key), m)))
                    .transpose()
            };
        // A template checked by filling every placeholder with a sample value.
        let template = |v: Spanned<String>, key: &str| -> Result<Template, ConfigError> {
            let t = Template::parse(v.get_ref().trim())
                .map_err(|m| self.err(v.span(), key.to_string(), m))?
                .with("lang", lang);
            http_url(&t.fill(|_| Some("1".into())))
                .map_err(|m| self.err(v.span(), key.to_string(), m))?;
            Ok(t)
        };

        let (url_value, url_key) = match (raw.url, fallback_url) {
            (Some(u), _) => (u, k("url")),
            (None, Some(u)) => (u, format!("{prefix}.listing_urls[0]")),
            (None, None) => return Err(missing("url")),
        };
        let url = template(url_value, &url_key)?;
        let first_page = self.int_in(raw.first_page, &k("first_page"), 1, 0, 1_000_000)?;
        let id = path(raw.id, "id")?.ok_or_else(|| missing("id"))?;
        let title = path(raw.title, "title")?.ok_or_else(|| missing("title"))?;
        let link = template(raw.link.ok_or_else(|| missing("link"))?, &k("link"))?;
        let detail_url = raw
            .detail_url
            .map(|v| template(v, &k("detail_url")))
            .transpose()?;
        let image_base = raw
            .image_base
            .map(|v| http_url(v.get_ref()).map_err(|m| self.err(v.span(), k("image_base"), m)))
            .transpose()?;
        let headers = self.header_templates(raw.headers, lang, &k("headers"))?;
        let session = self.session_rules(raw.session, lang, &format!("{prefix}.json"))?;
        let bcrypt_cost = self.int_in(
            raw.bcrypt_cost,
            &k("bcrypt_cost"),
            i64::from(DEFAULT_BCRYPT_COST),
            4,
            31,
        )?;
        Ok(JsonRules {
            url,
            first_page: u32::try_from(first_page).unwrap_or(1),
            items: path(raw.items, "items")?.unwrap_or_else(JsonPath::root),
            id,
            title,
            date: path(raw.date, "date")?,
            modified: path(raw.modified, "modified")?,
            body: path(raw.body, "body")?,
            summary: path(raw.summary, "summary")?,
            author: path(raw.author, "author")?,
            image: path(raw.image, "image")?,
            image_base,
            categories: path(raw.categories, "categories")?,
            link,
            detail_url,
            headers,
            session,
            bcrypt_cost: u32::try_from(bcrypt_cost).unwrap_or(DEFAULT_BCRYPT_COST),
        })
    }
}
