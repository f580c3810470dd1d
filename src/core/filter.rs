//! Which stored articles a feed shows: `[source.filter]` regexes by field, applied when a
//! feed is rendered (never when articles are stored), so a changed filter takes effect on
//! the next `pressfeed render` without fetching anything.
//!
//! An article is kept when every `include` field matches and no `exclude` field does. A
//! field the article lacks (no author) matches nothing: an `include` on it drops the
//! article, an `exclude` on it keeps it.

use regex::Regex;

use super::model::Article;
use super::text::html_fragment_text;

/// One regex per field; `None` fields take no part.
#[derive(Debug, Clone, Default)]
pub struct FieldPatterns {
    pub title: Option<Regex>,
    /// Matched against the body's text: tags dropped, entities decoded, whitespace collapsed.
    pub body: Option<Regex>,
    pub author: Option<Regex>,
    /// Matches when any one category matches.
    pub categories: Option<Regex>,
}

impl FieldPatterns {
    fn is_empty(&self) -> bool {
        self.title.is_none()
            && self.body.is_none()
            && self.author.is_none()
            && self.categories.is_none()
    }

    /// Each set field's verdict on `article`, in field order.
    fn verdicts<'a>(
        &'a self,
        article: &'a Article,
        body: &'a BodyText<'a>,
    ) -> impl Iterator<Item = bool> + 'a {
        let title = self.title.as_ref().map(|r| r.is_match(&article.title));
        let body_match = self.body.as_ref().map(|r| r.is_match(body.get()));
        let author = self.author.as_ref().map(|r| {
            article
                .author
                .as_deref()
                .is_some_and(|a| !a.trim().is_empty() && r.is_match(a))
        });
        let categories = self
            .categories
            .as_ref()
            .map(|r| article.categories.iter().any(|c| r.is_match(c)));
        [title, body_match, author, categories]
            .into_iter()
            .flatten()
    }
}

/// The body's text, computed at most once per article and only when a body regex asks.
struct BodyText<'a> {
    html: &'a str,
    text: std::cell::OnceCell<String>,
}

impl BodyText<'_> {
    fn get(&self) -> &str {
        self.text.get_or_init(|| html_fragment_text(self.html))
    }
}

/// A source's `[source.filter]`; the default keeps everything.
#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    pub include: FieldPatterns,
    pub exclude: FieldPatterns,
}

impl ItemFilter {
    /// True when the filter keeps every article (no regex set).
    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }

    /// Whether the feed shows `article`.
    pub fn keeps(&self, article: &Article) -> bool {
        if self.is_empty() {
            return true;
        }
        let body = BodyText {
            html: &article.content_html,
            text: std::cell::OnceCell::new(),
        };
        self.include.verdicts(article, &body).all(|m| m)
            && !self.exclude.verdicts(article, &body).any(|m| m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(title: &str, body: &str, author: Option<&str>, categories: &[&str]) -> Article {
        Article {
            source: "s".into(),
            id: "https://example.kz/1".into(),
            url: url::Url::parse("https://example.kz/1").unwrap(),
            title: title.into(),
            summary: String::new(),
            content_html: body.into(),
            published: None,
            modified: None,
            author: author.map(str::to_string),
            categories: categories.iter().map(|c| c.to_string()).collect(),
            image: None,
            language: "ru".into(),
            content_hash: String::new(),
        }
    }

    fn re(s: &str) -> Option<Regex> {
        Some(Regex::new(s).unwrap())
    }

    #[test]
    fn an_empty_filter_keeps_everything() {
        assert!(ItemFilter::default().keeps(&article("", "", None, &[])));
    }

    #[test]
    fn include_and_exclude_by_field() {
        let press = article(
            "Итоги",
            "<p>Текст.</p><p><strong>Пресс-служба</strong>&nbsp;Генеральной прокуратуры</p>",
            Some("Алия"),
            &["Новости", "Генпрокуратура"],
        );
        let other = article("Погода", "<p>Солнечно</p>", None, &["Новости"]);
        let signed = ItemFilter {
            include: FieldPatterns {
                // tags between the words and an entity for the space do not stop a match
                body: re("Пресс-служба Генеральной прокуратуры"),
                ..FieldPatterns::default()
            },
            ..ItemFilter::default()
        };
        assert!(signed.keeps(&press));
        assert!(!signed.keeps(&other));

        // every include field must match
        let both = ItemFilter {
            include: FieldPatterns {
                title: re("^Итоги$"),
                categories: re("^Генпрокуратура$"),
                ..FieldPatterns::default()
            },
            ..ItemFilter::default()
        };
        assert!(both.keeps(&press));
        assert!(!both.keeps(&article("Итоги", "", None, &["Новости"])));

        // any exclude field that matches drops the article
        let no_weather = ItemFilter {
            exclude: FieldPatterns {
                title: re("(?i)погода"),
                author: re("Бот"),
                ..FieldPatterns::default()
            },
            ..ItemFilter::default()
        };
        assert!(no_weather.keeps(&press));
        assert!(!no_weather.keeps(&other));
        assert!(!no_weather.keeps(&article("Итоги", "", Some("Бот"), &[])));
    }

    #[test]
    fn a_missing_author_matches_nothing() {
        let anonymous = article("t", "", None, &[]);
        let include = ItemFilter {
            include: FieldPatterns {
                author: re(".*"),
                ..FieldPatterns::default()
            },
            ..ItemFilter::default()
        };
        assert!(
            !include.keeps(&anonymous),
            "include on a missing field drops"
        );
        let exclude = ItemFilter {
            exclude: FieldPatterns {
                author: re(".*"),
                ..FieldPatterns::default()
            },
            ..ItemFilter::default()
        };
        assert!(
            exclude.keeps(&anonymous),
            "exclude on a missing field keeps"
        );
    }

    #[test]
    fn the_body_is_matched_as_text_not_markup() {
        let a = article("t", "<p class=\"lead\">Суд</p>", None, &[]);
        let on_markup = ItemFilter {
            include: FieldPatterns {
                body: re("lead"),
                ..FieldPatterns::default()
            },
            ..ItemFilter::default()
        };
        assert!(!on_markup.keeps(&a));
    }
}
