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
