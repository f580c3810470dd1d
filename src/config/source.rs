//! One `[[source]]` table → its [`Source`], followed by its language twins (`twins`).
//! Checks run in the order the keys are documented, so the first error reported is the
//! first one an admin reading the table from the top would meet.

use std::ops::Range;
use std::str::FromStr;
use std::time::Duration;

use chrono_tz::Tz;
use toml::Spanned;
use url::Url;

use super::raw::{RawArticle, RawJson, RawListing, RawSource};
use super::span::{Ctx, Table};
use super::values::{closest_tz, http_url, valid_id, valid_language};
use super::{ArticleRules, ConfigError, JsonRules, ListingRules, Source, SourceKind};
use crate::core::pick::Pick;
use crate::core::schedule::Schedule;

impl Ctx<'_> {
    /// Validates one `[[source]]`; returns it followed by its language twins. `earlier` are
    /// the sources of the tables before it, `origins` the table index of each.
    pub(super) fn source(
        &self,
        index: usize,
        raw: Spanned<RawSource>,
        earlier: &[Source],
        origins: &[usize],
    ) -> Result<Vec<Source>, ConfigError> {
        let table = Table {
            ctx: self,
            index,
            span: raw.span(),
        };
        let mut raw = raw.into_inner();
        let languages = raw.languages.take();
        // Twins validate `[source.json]` again, each in its own language.
        let raw_json = raw.json.clone();
        let (base, id_span) = table.base(raw, earlier, origins)?;
        let twins = table.twins(&base, id_span, languages, raw_json, earlier)?;
        let mut out = Vec::with_capacity(1 + twins.len());
        out.push(base);
        out.extend(twins);
        Ok(out)
    }
}

impl Table<'_, '_> {
    /// The source the table describes, and the span of its id.
    fn base(
        &self,
        raw: RawSource,
        earlier: &[Source],
        origins: &[usize],
    ) -> Result<(Source, Range<usize>), ConfigError> {
        if raw
            .kind
            .as_ref()
            .is_some_and(|k| k.get_ref().trim() == "feed")
        {
            self.feed_keys(&raw)?;
        }
        let (id, id_span) = self.id(raw.id, earlier, origins)?;
        let title = self.title(raw.title)?;
        let description = raw
            .description
            .map(|d| d.get_ref().trim().to_string())
            .unwrap_or_else(|| title.clone());
        let language = self.language(raw.language)?;
        let timezone = self.timezone(raw.timezone)?;
        let kind = self
            .ctx
            .kind(raw.kind, raw.listing_urls.as_ref(), &self.key("kind"))?;
        let wordpress = self.ctx.wordpress(raw.wordpress, &self.key("wordpress"))?;
        let (listing_urls, json) = self.urls(kind, raw.listing_urls, raw.json, &language)?;
        let site_url = match kind {
            // The channel's own page, not t.me's home page.
            SourceKind::Telegram if raw.site_url.is_none() => listing_urls[0].clone(),
            _ => self.site_url(raw.site_url, &listing_urls[0])?,
        };
        let schedule = self.schedule(raw.schedule)?;
        let items = self
            .ctx
            .int_in(raw.items, &self.key("items"), 50, 1, 1000)?;
        let max_pages = self
            .ctx
            .int_in(raw.max_pages, &self.key("max_pages"), 1, 1, 1000)?;
        let recheck_hours =
            self.ctx
                .int_in(raw.recheck_hours, &self.key("recheck_hours"), 48, 0, 8760)?;
        let listing = self.listing_rules(raw.listing.unwrap_or_default())?;
        let article = self.article_rules(raw.article.unwrap_or_default())?;
        let items = usize::try_from(items).unwrap_or(50);
        let retention = self.retention(raw.keep_days, raw.keep_items, items)?;
        let filter = self.filter(raw.filter)?;
        let source = Source {
            id,
            title,
            description,
            language,
            timezone,
            site_url,
            listing_urls,
            schedule,
            items,
            max_pages: usize::try_from(max_pages).unwrap_or(1),
            recheck_age: Duration::from_secs(recheck_hours.unsigned_abs() * 3600),
            hubs: self.ctx.hubs(raw.hubs, &self.key("hubs"))?,
            page_url_template: self.page_url_template(raw.page_url_template)?,
            allowed_hosts: self
                .ctx
                .allowed_hosts(raw.allowed_hosts, &self.key("allowed_hosts"))?,
            listing,
            article,
            kind,
            wordpress,
            json,
            retention,
            filter,
            respect_robots: raw.respect_robots.map(|v| *v.get_ref()),
        };
        Ok((source, id_span))
    }

    /// A valid id no earlier source uses, and its span.
    fn id(
        &self,
        id: Option<Spanned<String>>,
        earlier: &[Source],
        origins: &[usize],
    ) -> Result<(String, Range<usize>), ConfigError> {
        let id = id.ok_or_else(|| self.missing("id"))?;
        if !valid_id(id.get_ref()) {
            return Err(self.err(
                id.span(),
                "id",
                format!(
                    "invalid id {:?}: use 1 to 64 lowercase letters, digits, \"-\" or \"_\", starting with a letter or digit",
                    id.get_ref()
                ),
            ));
        }
        if let Some(j) = earlier.iter().position(|s| &s.id == id.get_ref()) {
            return Err(self.err(
                id.span(),
                "id",
                format!(
                    "duplicate source id {:?} (already used by source[{}])",
                    id.get_ref(),
                    origins.get(j).copied().unwrap_or(j)
                ),
            ));
        }
        let span = id.span();
        Ok((id.into_inner(), span))
    }

    fn title(&self, title: Option<Spanned<String>>) -> Result<String, ConfigError> {
        let title = title.ok_or_else(|| self.missing("title"))?;
        if title.get_ref().trim().is_empty() {
            return Err(self.err(title.span(), "title", "must not be empty"));
        }
        Ok(title.get_ref().trim().to_string())
    }

    fn language(&self, v: Option<Spanned<String>>) -> Result<String, ConfigError> {
        match v {
            None => Ok("ru".to_string()),
            Some(v) if valid_language(v.get_ref()) => Ok(v.into_inner()),
            Some(v) => Err(self.err(
                v.span(),
                "language",
                format!(
                    "invalid language tag {:?}: expected a BCP 47 tag such as \"ru\", \"kk\" or \"kk-KZ\"",
                    v.get_ref()
                ),
            )),
        }
    }

    fn timezone(&self, v: Option<Spanned<String>>) -> Result<Tz, ConfigError> {
        let Some(v) = v else { return Ok(Tz::UTC) };
        Tz::from_str(v.get_ref().trim()).map_err(|_| {
            let mut m = format!("unknown time zone {:?}", v.get_ref());
            if let Some(s) = closest_tz(v.get_ref().trim()) {
                m.push_str(&format!("; did you mean {s:?}?"));
            }
            self.err(v.span(), "timezone", m)
        })
    }

    /// The listing URLs, and the `[source.json]` rules of a JSON source. JSON sources page
    /// through an API URL template, so their listing URL (if any) is a template too, and
    /// the page-1 URL becomes the only listing URL.
    fn urls(
        &self,
        kind: SourceKind,
        listing_urls: Option<Spanned<Vec<Spanned<String>>>>,
        json: Option<Spanned<RawJson>>,
        language: &str,
    ) -> Result<(Vec<Url>, Option<JsonRules>), ConfigError> {
        match kind {
            // A feed source's listing URLs are its feed URLs (checked like page URLs).
            SourceKind::Html | SourceKind::Telegram | SourceKind::Feed => {
                if json.is_some() {
                    return Err(self.err(
                        self.span.clone(),
                        "json",
                        "[source.json] is only used with kind = \"json\"",
                    ));
                }
                let urls = listing_urls.ok_or_else(|| self.missing("listing_urls"))?;
                Ok((
                    self.ctx.page_urls(kind, urls, &self.key("listing_urls"))?,
                    None,
                ))
            }
            SourceKind::Json => {
                let fallback = listing_urls
                    .as_ref()
                    .and_then(|u| u.get_ref().first().cloned());
                let rules = self.ctx.json_rules(
                    json,
                    fallback,
                    language,
                    &self.prefix(),
                    self.span.clone(),
                )?;
                let first = rules
                    .page_url(rules.first_page)
                    .map_err(|m| self.err(self.span.clone(), "json.url", m))?;
                Ok((vec![first], Some(rules)))
            }
        }
    }

    /// `site_url`, by default the origin of the first listing URL.
    fn site_url(&self, v: Option<Spanned<String>>, first: &Url) -> Result<Url, ConfigError> {
        if let Some(v) = v {
            return http_url(v.get_ref()).map_err(|m| self.err(v.span(), "site_url", m));
        }
        let origin = format!("{}/", first.origin().ascii_serialization());
        Url::parse(&origin).map_err(|e| {
            self.err(
                self.span.clone(),
                "site_url",
                format!("cannot derive from {first}: {e}; set site_url"),
            )
        })
    }

    fn schedule(&self, v: Option<Spanned<String>>) -> Result<Schedule, ConfigError> {
        match v {
            None => {
                Schedule::parse("@hourly").map_err(|m| self.err(self.span.clone(), "schedule", m))
            }
            Some(v) => Schedule::parse(v.get_ref()).map_err(|m| self.err(v.span(), "schedule", m)),
        }
    }

    /// A configured `css@attr` selector, compiled.
    fn pick(&self, v: Option<Spanned<String>>, key: &str) -> Result<Option<Pick>, ConfigError> {
        v.map(|v| Pick::parse(v.get_ref()).map_err(|m| self.err(v.span(), key, m)))
            .transpose()
    }

    fn listing_rules(&self, l: RawListing) -> Result<ListingRules, ConfigError> {
        Ok(ListingRules {
            item: self.pick(l.item, "listing.item")?,
            link: self.pick(l.link, "listing.link")?,
            title: self.pick(l.title, "listing.title")?,
            date: self.pick(l.date, "listing.date")?,
            summary: self.pick(l.summary, "listing.summary")?,
            image: self.pick(l.image, "listing.image")?,
            next: self.pick(l.next, "listing.next")?,
        })
    }

    fn article_rules(&self, a: RawArticle) -> Result<ArticleRules, ConfigError> {
        let mut remove = Vec::new();
        for (j, r) in a.remove.unwrap_or_default().into_iter().enumerate() {
            if let Some(p) = self.pick(Some(r), &format!("article.remove[{j}]"))? {
                remove.push(p);
            }
        }
        Ok(ArticleRules {
            title: self.pick(a.title, "article.title")?,
            content: self.pick(a.content, "article.content")?,
            date: self.pick(a.date, "article.date")?,
            modified: self.pick(a.modified, "article.modified")?,
            author: self.pick(a.author, "article.author")?,
            categories: self.pick(a.categories, "article.categories")?,
            image: self.pick(a.image, "article.image")?,
            remove,
            signature: a
                .signature_pattern
                .map(|v| {
                    regex::Regex::new(v.get_ref())
                        .map_err(|e| self.err(v.span(), "article.signature_pattern", e.to_string()))
                })
                .transpose()?,
        })
    }

    /// `page_url_template`: must hold `{n}` and give a valid URL for page 2.
    fn page_url_template(&self, v: Option<Spanned<String>>) -> Result<Option<String>, ConfigError> {
        let Some(v) = v else { return Ok(None) };
        let t = v.get_ref().trim();
        if !t.contains("{n}") {
            return Err(self.err(
                v.span(),
                "page_url_template",
                "must contain {n} (the page number)",
            ));
        }
        http_url(&t.replace("{n}", "2")).map_err(|m| self.err(v.span(), "page_url_template", m))?;
        Ok(Some(t.to_string()))
    }
}
