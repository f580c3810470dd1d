//! Article pages: each field from a ladder of steps, best first. Configured selectors win
//! field by field; structured data (JSON-LD, OpenGraph / `article:*`, `<time>`) and common
//! theme markup fill the rest. Every field remembers the step that produced it (for
//! `preview`), and every configured selector that matched nothing is reported (the
//! selector-drift signal).

use std::sync::LazyLock;

use ego_tree::NodeId;
use scraper::{ElementRef, Html, Selector};
use url::Url;

use super::body::{Body, clean_body, zero_config_body};
use super::html::{first_article_text, in_chrome, pick_image, sel};
use super::nesting::cap_nesting;
use super::readable;
use super::structured::{JsonLd, Metas, json_ld};
use super::visible::{self, Listed};
use crate::config::ArticleRules;
use crate::core::model::{DateCandidate, RawArticle};
use crate::core::pick::Pick;
use crate::core::text::collapse_whitespace;

static TIME: LazyLock<Selector> = LazyLock::new(|| sel("time"));
static RDFA_DATE: LazyLock<Selector> =
    LazyLock::new(|| sel("[property~=\"dc:date\"][content], [property~=\"dc:created\"][content]"));
static LINK_CANONICAL: LazyLock<Selector> = LazyLock::new(|| sel("link[rel~=canonical][href]"));
static H1: LazyLock<Selector> = LazyLock::new(|| sel("h1"));
static TITLE: LazyLock<Selector> = LazyLock::new(|| sel("title"));
static AUTHOR_FALLBACK: LazyLock<Selector> = LazyLock::new(|| {
    sel(
        "[rel~=author], .byline .author, .author .fn, .amp-wp-author, .td-post-author-name a, \
         [itemprop=author] [itemprop=name]",
    )
});
static CATEGORY_FALLBACK: LazyLock<Selector> =
    LazyLock::new(|| sel(".cat-links a, .amp-wp-tax-category a, .td-category a, [rel~=category]"));
static VISIBLE_DATE_FALLBACK: LazyLock<Selector> = LazyLock::new(|| {
    sel(
        ".posted-on, .entry-date, .post-date, .td-post-date, .amp-wp-posted-on, .news-date, \
         .article-date, .date",
    )
});

/// Extracts an article page. Configured selectors win field by field; structured data
/// (JSON-LD, OpenGraph / `article:*`, `<time>`) and common theme markup fill the rest.
pub fn extract_article(html: &str, page_url: &Url, rules: &ArticleRules) -> RawArticle {
    extract_article_listed(html, page_url, rules, Listed::default())
}

/// [`extract_article`] for a page reached from a listing: without a title selector, the
/// listing's link text tells the headline from a section name and is the title of last
/// resort; without a date selector, the listing's date is the last date candidate.
pub fn extract_article_listed(
    html: &str,
    page_url: &Url,
    rules: &ArticleRules,
    listed: Listed<'_>,
) -> RawArticle {
    // Every parse of the page (readability parses it again) gets the capped text.
    let html = &*cap_nesting(html);
    let mut doc = Html::parse_document(html);
    let mut trace = Trace::default();
    let (fields, image_steps) = {
        let page = Page::read(&doc, rules, listed);
        let fields = page.fields(&mut trace);
        // The image ladder ends with the body's first image, known only after the body is
        // cut out of the (mutable) document; its other steps are read now.
        (fields, page.image_steps(&mut trace))
    };
    let (content_html, first_body_image) = match body(&mut doc, html, page_url, rules) {
        Some(b) => {
            trace.provenance.push(("content", b.step));
            (Some(b.html), b.first_image)
        }
        None => (None, None),
    };
    let mut author = fields.author;
    // A closing "Пресс-служба …" line names the author when nothing else did; it stays in
    // the body.
    if author.is_none()
        && let Some(html) = &content_html
    {
        let pattern = rules
            .signature
            .as_ref()
            .unwrap_or(&readable::DEFAULT_SIGNATURE);
        author = readable::signature(html, pattern);
        if author.is_some() {
            trace.provenance.push(("author", "signature line".into()));
        }
    }
    let image = image(image_steps, first_body_image, &mut trace);
    let selector_misses = trace.misses(rules, content_html.is_some());
    RawArticle {
        selector_misses,
        url: Some(page_url.clone()),
        canonical: fields.canonical,
        title: fields.title,
        content_html,
        published: fields.published,
        modified: fields.modified,
        author,
        categories: fields.categories,
        image,
        language: fields.language,
        provenance: trace.provenance,
    }
}

/// The fields read before the body is cut out of the document.
struct Fields {
    canonical: Option<String>,
    title: Option<String>,
    published: Vec<DateCandidate>,
    modified: Vec<DateCandidate>,
    author: Option<String>,
    categories: Vec<String>,
    language: Option<String>,
}

/// Which configured article selectors produced a value.
#[derive(Default)]
struct Hits {
    title: bool,
    date: bool,
    modified: bool,
    author: bool,
    categories: bool,
    image: bool,
}

/// Where each field came from, and which configured selectors matched.
#[derive(Default)]
struct Trace {
    /// (field, step), e.g. `("title", "json-ld headline")`.
    provenance: Vec<(&'static str, String)>,
    hits: Hits,
}

impl Trace {
    fn note(&mut self, field: &'static str, step: Option<String>) {
        if let Some(step) = step {
            self.provenance.push((field, step));
        }
    }

    /// Configured selectors that matched nothing on this page.
    fn misses(&self, rules: &ArticleRules, has_content: bool) -> Vec<&'static str> {
        let h = &self.hits;
        [
            ("article.title", rules.title.is_some(), h.title),
            ("article.content", rules.content.is_some(), has_content),
            ("article.date", rules.date.is_some(), h.date),
            ("article.modified", rules.modified.is_some(), h.modified),
            ("article.author", rules.author.is_some(), h.author),
            (
                "article.categories",
                rules.categories.is_some(),
                h.categories,
            ),
            ("article.image", rules.image.is_some(), h.image),
        ]
        .into_iter()
        .filter(|(_, configured, hit)| *configured && !hit)
        .map(|(name, _, _)| name)
        .collect()
    }
}

/// One parsed article page and what every lookup on it shares.
struct Page<'d> {
    doc: &'d Html,
    root: ElementRef<'d>,
    ld: JsonLd,
    metas: Metas,
    site_name: Option<String>,
    rules: &'d ArticleRules,
    listed: Listed<'d>,
}

impl<'d> Page<'d> {
    fn read(doc: &'d Html, rules: &'d ArticleRules, listed: Listed<'d>) -> Page<'d> {
        let metas = Metas::read(doc);
        Page {
            doc,
            root: doc.root_element(),
            ld: json_ld(doc),
            site_name: metas.get("og:site_name"),
            metas,
            rules,
            listed,
        }
    }

    fn fields(&self, trace: &mut Trace) -> Fields {
        let canonical = self.canonical(trace);
        let (title, title_element) = self.title(trace);
        let published = self.published(trace, title_element);
        let modified = self.modified(trace);
        for (field, dates, pick) in [
            ("published", &published, &self.rules.date),
            ("modified", &modified, &self.rules.modified),
        ] {
            if let Some(first) = dates.first() {
                let step = match first.origin {
                    "selector" => selector_step(pick),
                    o => o.to_string(),
                };
                trace.provenance.push((field, step));
            }
        }
        let author = self.author(trace);
        let categories = self.categories(trace);
        Fields {
            canonical,
            title,
            published,
            modified,
            author,
            categories,
            language: self.language(trace),
        }
    }

    fn canonical(&self, trace: &mut Trace) -> Option<String> {
        let (canonical, step) = ladder(&[
            ("link rel=canonical".into(), &|| {
                self.doc
                    .select(&LINK_CANONICAL)
                    .find_map(|l| l.value().attr("href").map(str::to_string))
            }),
            ("og:url".into(), &|| self.metas.get("og:url")),
            ("json-ld mainEntityOfPage".into(), &|| self.ld.url.clone()),
        ]);
        trace.note("canonical", step);
        canonical
    }

    /// The title, and the element showing it when it was found in the page's text (where
    /// the zero-config date search starts).
    fn title(&self, trace: &mut Trace) -> (Option<String>, Option<NodeId>) {
        let selected = self.rules.title.as_ref().and_then(|p| p.first(self.root));
        trace.hits.title = selected.is_some();
        let site = self.site_name.as_deref();
        let structured = || {
            self.ld
                .headline
                .clone()
                .map(|t| (t, "json-ld headline".to_string()))
                .or_else(|| {
                    self.metas
                        .get("og:title")
                        .map(|t| (strip_site_suffix(&t, site), "og:title".to_string()))
                })
        };
        let (title, step, element) = if self.rules.title.is_some() {
            let (title, step) = ladder(&[
                (selector_step(&self.rules.title), &|| selected.clone()),
                ("json-ld headline".into(), &|| self.ld.headline.clone()),
                ("og:title".into(), &|| {
                    self.metas
                        .get("og:title")
                        .map(|t| strip_site_suffix(&t, site))
                }),
                ("h1".into(), &|| {
                    self.doc
                        .select(&H1)
                        .map(|h| collapse_whitespace(&h.text().collect::<String>()))
                        .find(|t| !t.is_empty())
                }),
                ("title".into(), &|| {
                    self.doc
                        .select(&TITLE)
                        .next()
                        .map(|t| collapse_whitespace(&t.text().collect::<String>()))
                        .map(|t| strip_site_suffix(&t, site))
                }),
            ]);
            (title, step, None)
        } else if let Some((t, step)) = structured() {
            // Structured data names the headline; the element is still wanted for the date.
            let shown = visible::title(self.doc, site, self.listed);
            (Some(t), Some(step), shown.and_then(|s| s.element))
        } else {
            match visible::title(self.doc, site, self.listed) {
                Some(v) => (Some(v.text), Some(v.step.to_string()), v.element),
                None => (None, None, None),
            }
        };
        trace.note("title", step);
        (title, element)
    }

    /// Publication date candidates, best first.
    fn published(&self, trace: &mut Trace, title_element: Option<NodeId>) -> Vec<DateCandidate> {
        let mut out = Vec::new();
        if let Some(p) = &self.rules.date {
            let v = p.first(self.root);
            trace.hits.date = v.is_some();
            push_date(&mut out, v, "selector");
        }
        let m = &self.metas;
        push_date(
            &mut out,
            self.ld.date_published.clone(),
            "json-ld datePublished",
        );
        push_date(
            &mut out,
            m.get("article:published_time"),
            "meta article:published_time",
        );
        push_date(
            &mut out,
            m.get("datePublished"),
            "meta itemprop=datePublished",
        );
        push_date(&mut out, m.get("pubdate"), "meta pubdate");
        // Drupal 7's RDFa: `<span property="dc:date dc:created" content="…">`.
        push_date(
            &mut out,
            self.doc
                .select(&RDFA_DATE)
                .find(|e| !in_chrome(*e))
                .and_then(|e| e.value().attr("content").map(str::to_string)),
            "rdfa dc:date",
        );
        let time_el = self.doc.select(&TIME).filter(|t| !in_chrome(*t)).find(|t| {
            !t.value().classes().any(|c| c == "updated")
                || t.value().classes().any(|c| c == "published")
        });
        push_date(
            &mut out,
            time_el.and_then(|t| t.value().attr("datetime").map(str::to_string)),
            "time@datetime",
        );
        push_date(
            &mut out,
            time_el.map(|t| collapse_whitespace(&t.text().collect::<String>())),
            "time text",
        );
        push_date(
            &mut out,
            first_article_text(self.doc, &VISIBLE_DATE_FALLBACK),
            "visible date",
        );
        push_date(
            &mut out,
            title_element.and_then(|id| visible::date_near(self.doc, id)),
            "visible date near title",
        );
        if self.rules.date.is_none() {
            push_date(
                &mut out,
                self.listed.date_text.map(str::to_string),
                "listing date",
            );
        }
        out
    }

    /// Modification date candidates, best first.
    fn modified(&self, trace: &mut Trace) -> Vec<DateCandidate> {
        let mut out = Vec::new();
        if let Some(p) = &self.rules.modified {
            let v = p.first(self.root);
            trace.hits.modified = v.is_some();
            push_date(&mut out, v, "selector");
        }
        let m = &self.metas;
        push_date(
            &mut out,
            self.ld.date_modified.clone(),
            "json-ld dateModified",
        );
        push_date(
            &mut out,
            m.get("article:modified_time"),
            "meta article:modified_time",
        );
        push_date(&mut out, m.get("og:updated_time"), "meta og:updated_time");
        out
    }

    fn author(&self, trace: &mut Trace) -> Option<String> {
        let selected = self.rules.author.as_ref().and_then(|p| p.first(self.root));
        trace.hits.author = selected.is_some();
        let (author, step) = ladder(&[
            (selector_step(&self.rules.author), &|| selected.clone()),
            ("json-ld author".into(), &|| self.ld.author.clone()),
            ("meta author".into(), &|| self.metas.get("author")),
            ("theme byline".into(), &|| {
                first_article_text(self.doc, &AUTHOR_FALLBACK)
            }),
        ]);
        trace.note("author", step);
        author
    }

    fn categories(&self, trace: &mut Trace) -> Vec<String> {
        let (categories, step) = match &self.rules.categories {
            Some(p) => (p.all(self.root), selector_step(&self.rules.categories)),
            None if !self.ld.sections.is_empty() => {
                (self.ld.sections.clone(), "json-ld articleSection".into())
            }
            None => {
                let mut c = self.metas.all("article:section");
                c.extend(self.metas.all("article:tag"));
                if c.is_empty() {
                    let c = self
                        .doc
                        .select(&CATEGORY_FALLBACK)
                        .filter(|e| !in_chrome(*e))
                        .map(|e| collapse_whitespace(&e.text().collect::<String>()))
                        .filter(|t| !t.is_empty())
                        .collect();
                    (c, "theme category links".into())
                } else {
                    (c, "meta article:section/tag".into())
                }
            }
        };
        let categories = dedup(categories);
        if !categories.is_empty() {
            trace.provenance.push(("categories", step));
        }
        trace.hits.categories = !categories.is_empty();
        categories
    }

    fn language(&self, trace: &mut Trace) -> Option<String> {
        let (language, step) = ladder(&[
            ("html@lang".into(), &|| {
                self.root.value().attr("lang").map(str::to_string)
            }),
            ("og:locale".into(), &|| {
                self.metas.get("og:locale").map(|l| l.replace('_', "-"))
            }),
        ]);
        trace.note("language", step);
        language
    }

    /// The image ladder's steps before the body's first image, each already looked up:
    /// the configured selector, `og:image`, JSON-LD, `twitter:image`.
    fn image_steps(&self, trace: &mut Trace) -> Vec<(String, Option<String>)> {
        let configured = self
            .rules
            .image
            .as_ref()
            .and_then(|p| pick_image(p, self.root));
        trace.hits.image = configured.is_some();
        vec![
            (selector_step(&self.rules.image), configured),
            ("og:image".into(), self.metas.get("og:image")),
            ("json-ld image".into(), self.ld.image.clone()),
            ("twitter:image".into(), self.metas.get("twitter:image")),
        ]
    }
}

/// The body: the configured container, else a known theme container, else (or when that
/// container holds much less text than the readability result) readability.
fn body(doc: &mut Html, html: &str, page_url: &Url, rules: &ArticleRules) -> Option<Body> {
    match &rules.content {
        Some(p) => doc.select(&p.selector).next().map(|e| e.id()).map(|id| {
            Body::new(
                clean_body(doc, id, &rules.remove),
                selector_step(&rules.content),
            )
        }),
        None => zero_config_body(doc, html, page_url, &rules.remove),
    }
}

/// The first image the ladder finds, never a `data:` placeholder.
fn image(
    steps: Vec<(String, Option<String>)>,
    first_body_image: Option<String>,
    trace: &mut Trace,
) -> Option<String> {
    let (image, step) = steps
        .into_iter()
        .chain([("first body image".to_string(), first_body_image)])
        .find_map(|(step, v)| v.map(|v| (v, step)))
        .map_or((None, None), |(v, s)| (Some(v), Some(s)));
    let image = image.filter(|i| !i.starts_with("data:"));
    if image.is_some() {
        trace.note("image", step);
    }
    image
}

/// Removes a trailing " - Site", " | Site" or " — Site" that SEO plugins add to titles.
fn strip_site_suffix(title: &str, site_name: Option<&str>) -> String {
    if let Some(site) = site_name.filter(|s| !s.is_empty()) {
        for sep in [" - ", " | ", " — ", " – ", " :: ", " « ", " » "] {
            if let Some(t) = title.strip_suffix(&format!("{sep}{site}")) {
                return t.trim().to_string();
            }
        }
    }
    title.to_string()
}

fn push_date(out: &mut Vec<DateCandidate>, text: Option<String>, origin: &'static str) {
    if let Some(text) = text.filter(|t| !t.trim().is_empty())
        && !out.iter().any(|c| c.text == text)
    {
        out.push(DateCandidate { text, origin });
    }
}

fn dedup(v: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for x in v {
        if !out.iter().any(|y| y.eq_ignore_ascii_case(&x)) {
            out.push(x);
        }
    }
    out
}

/// The provenance name of a configured selector step.
fn selector_step(p: &Option<Pick>) -> String {
    match p {
        Some(p) => format!("selector {}", p.raw),
        None => "selector".into(),
    }
}

/// One way to find a field: its provenance name and the lookup.
type Step<'a> = (String, &'a dyn Fn() -> Option<String>);

/// The first step that yields a value, with the step's name. Later steps are not run: the
/// fallbacks walk the whole tree.
fn ladder(steps: &[Step<'_>]) -> (Option<String>, Option<String>) {
    steps
        .iter()
        .find_map(|(step, find)| find().map(|v| (Some(v), Some(step.clone()))))
        .unwrap_or((None, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_body_image_survives_lazy_image_rewrite() {
        let html = r#"<html><body><table><tr><td class="content"><p>Текст.</p>
            <p><img src="../images/x.jpg" width="200" alt=""></p></td></tr></table></body></html>"#;
        let url = Url::parse("http://x.kz/press/news_1.html").unwrap();
        let rules = ArticleRules {
            content: Some(Pick::parse("td.content").unwrap()),
            ..Default::default()
        };
        let raw = extract_article(html, &url, &rules);
        assert_eq!(raw.image.as_deref(), Some("../images/x.jpg"));
    }
}
