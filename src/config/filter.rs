//! `[source.filter]`: which stored articles the source's feeds show, as regexes by field
//! (`include` tables must all match, `exclude` tables must not), compiled at load. The
//! matching itself is `core::filter`, applied at render time.
//!
//! ```toml
//! [source.filter]
//! include = { body = "Пресс-служба Генеральной прокуратуры" }
//! exclude = { title = "(?i)погода", categories = "^Реклама$" }
//! ```

use serde::Deserialize;
use toml::Spanned;

use super::ConfigError;
use super::span::Table;
use crate::core::filter::{FieldPatterns, ItemFilter};

/// `[source.filter]` as deserialized.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFilter {
    pub(super) include: Option<RawFilterFields>,
    pub(super) exclude: Option<RawFilterFields>,
}

/// `include` / `exclude`: one regex per field.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFilterFields {
    pub(super) title: Option<Spanned<String>>,
    pub(super) body: Option<Spanned<String>>,
    pub(super) author: Option<Spanned<String>>,
    pub(super) categories: Option<Spanned<String>>,
}

impl Table<'_, '_> {
    /// The source's filter; the default (no table) keeps everything.
    pub(super) fn filter(&self, raw: Option<RawFilter>) -> Result<ItemFilter, ConfigError> {
        let raw = raw.unwrap_or_default();
        Ok(ItemFilter {
            include: self.filter_fields(raw.include, "filter.include")?,
            exclude: self.filter_fields(raw.exclude, "filter.exclude")?,
        })
    }

    fn filter_fields(
        &self,
        raw: Option<RawFilterFields>,
        key: &str,
    ) -> Result<FieldPatterns, ConfigError> {
        let Some(raw) = raw else {
            return Ok(FieldPatterns::default());
        };
        let regex = |v: Option<Spanned<String>>, field: &str| {
            v.map(|v| {
                regex::Regex::new(v.get_ref()).map_err(|e| {
                    self.err(
                        v.span(),
                        &format!("{key}.{field}"),
                        format!("invalid regex: {}", regex_message(&e)),
                    )
                })
            })
            .transpose()
        };
        Ok(FieldPatterns {
            title: regex(raw.title, "title")?,
            body: regex(raw.body, "body")?,
            author: regex(raw.author, "author")?,
            categories: regex(raw.categories, "categories")?,
        })
    }
}

/// The regex crate's message without its multi-line drawing of the pattern (the error
/// position already points at the value): `unclosed group`.
fn regex_message(e: &regex::Error) -> String {
    let text = e.to_string();
    let last = text.lines().last().unwrap_or_default().trim();
    last.strip_prefix("error: ").unwrap_or(last).to_string()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::Config;

    const SOURCE: &str =
        "[[source]]\nid = \"a\"\ntitle = \"A\"\nlisting_urls = [\"https://example.kz/news/\"]\n";

    fn parse(filter: &str) -> Result<Config, String> {
        Config::parse(&format!("{SOURCE}{filter}"), Path::new("config.toml"))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn include_and_exclude_tables_compile_per_field() {
        let c = parse(
            "[source.filter]\ninclude = { body = \"Пресс-служба Генеральной прокуратуры\", categories = \"^Новости$\" }\n\
             exclude = { title = \"(?i)погода\", author = \"Бот\" }\n",
        )
        .unwrap();
        let f = &c.sources[0].filter;
        assert_eq!(
            f.include.body.as_ref().map(|r| r.as_str()),
            Some("Пресс-служба Генеральной прокуратуры")
        );
        assert!(f.include.categories.is_some() && f.include.title.is_none());
        assert!(f.exclude.title.is_some() && f.exclude.author.is_some());
        assert!(parse("").unwrap().sources[0].filter.is_empty());
    }

    #[test]
    fn a_bad_regex_names_file_line_and_key() {
        let e = parse("[source.filter]\nexclude = { title = \"ok\", body = \"(unclosed\" }\n")
            .unwrap_err();
        assert_eq!(
            e,
            "config.toml:6:34: source[0].filter.exclude.body: invalid regex: unclosed group"
        );
    }

    #[test]
    fn unknown_fields_and_wrong_shapes_are_refused() {
        let e = parse("[source.filter]\ninclude = { summary = \"x\" }\n").unwrap_err();
        assert!(
            e.starts_with(
                "config.toml:6:13: source[0].filter.include.summary: unknown key \"summary\""
            ),
            "{e}"
        );
        let e = parse("[source.filter]\nonly = { title = \"x\" }\n").unwrap_err();
        assert!(
            e.starts_with("config.toml:6:1: source[0].filter.only: unknown key \"only\""),
            "{e}"
        );
        let e = parse("filter = \"x\"\n").unwrap_err();
        assert_eq!(
            e,
            "config.toml:5:10: source[0].filter: invalid type: string, expected a table"
        );
    }

    #[test]
    fn language_twins_share_their_sources_filter() {
        let c = parse(
            "[source.filter]\ninclude = { title = \"x\" }\n[source.languages]\nkk = { listing_urls = [\"https://example.kz/kk/\"] }\n",
        )
        .unwrap();
        assert_eq!(c.sources[1].id, "a-kk");
        assert!(c.sources[1].filter.include.title.is_some());
    }
}
