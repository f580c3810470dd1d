//! `[[feed]]`: merged feeds. One feed (`feeds/<id>.rss|.atom|.json`) showing the feed items
//! of several sources, newest first. Ids share one namespace with source ids, since both
//! name the files in `feeds_dir` and the URLs under `/feeds/`.
//!
//! ```toml
//! [[feed]]
//! id = "genprokuratura"
//! title = "Генеральная прокуратура РК — все каналы"
//! sources = ["govkz", "govkz-kk", "genpr-telegram"]
//! items = 50
//! ```

use std::ops::Range;

use chrono_tz::Tz;
use serde::Deserialize;
use toml::Spanned;
use url::Url;

use super::span::Ctx;
use super::values::{http_url, valid_id};
use super::{ConfigError, MergedFeed, Settings, Source};
use crate::core::model::MULTIPLE_LANGUAGES;

/// One `[[feed]]` as deserialized.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFeed {
    pub(super) id: Option<Spanned<String>>,
    pub(super) title: Option<Spanned<String>>,
    pub(super) description: Option<Spanned<String>>,
    pub(super) sources: Option<Spanned<Vec<Spanned<String>>>>,
    pub(super) items: Option<Spanned<i64>>,
    pub(super) site_url: Option<Spanned<String>>,
}

/// The `[[feed]]` array as deserialized.
pub(super) type RawFeeds = Spanned<Vec<Spanned<RawFeed>>>;

/// What a merged feed is checked against.
pub(super) struct Known<'a> {
    pub(super) settings: &'a Settings,
    pub(super) sources: &'a [Source],
    /// The `[[source]]` table each source came from (language twins share one).
    pub(super) origins: &'a [usize],
}

impl Ctx<'_> {
    /// Validates every `[[feed]]`.
    pub(super) fn merged_feeds(
        &self,
        raw: Option<RawFeeds>,
        known: &Known<'_>,
    ) -> Result<Vec<MergedFeed>, ConfigError> {
        let mut out: Vec<MergedFeed> = Vec::new();
        for (i, raw) in raw
            .map(Spanned::into_inner)
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            let feed = self.merged_feed(i, raw, known, &out)?;
            out.push(feed);
        }
        Ok(out)
    }

    fn merged_feed(
        &self,
        i: usize,
        raw: Spanned<RawFeed>,
        known: &Known<'_>,
        earlier: &[MergedFeed],
    ) -> Result<MergedFeed, ConfigError> {
        let span = raw.span();
        let raw = raw.into_inner();
        let key = |k: &str| format!("feed[{i}].{k}");
        let missing = |k: &str| self.err(span.clone(), key(k), "missing required key");
        let id = raw.id.ok_or_else(|| missing("id"))?;
        self.merged_id(&id, &key("id"), known, earlier)?;
        let title = raw.title.ok_or_else(|| missing("title"))?;
        if title.get_ref().trim().is_empty() {
            return Err(self.err(title.span(), key("title"), "must not be empty"));
        }
        let title = title.get_ref().trim().to_string();
        let members = self.members(raw.sources, &key("sources"), span.clone(), known)?;
        let items = self.int_in(raw.items, &key("items"), 50, 1, 1000)?;
        let site_url = match raw.site_url {
            Some(v) => http_url(v.get_ref()).map_err(|m| self.err(v.span(), key("site_url"), m))?,
            // One site when every member is on it, else the index page, which lists them all.
            None => agreed(&members, |s| s.site_url.clone())
                .unwrap_or_else(|| known.settings.base_url.clone()),
        };
        Ok(MergedFeed {
            id: id.into_inner(),
            description: raw
                .description
                .map(|d| d.get_ref().trim().to_string())
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| title.clone()),
            title,
            language: agreed(&members, |s| s.language.clone())
                .unwrap_or_else(|| MULTIPLE_LANGUAGES.to_string()),
            timezone: agreed(&members, |s| s.timezone).unwrap_or(Tz::UTC),
            sources: members.iter().map(|m| m.id.clone()).collect(),
            items: usize::try_from(items).unwrap_or(50),
            site_url,
        })
    }

    /// A valid id that no source and no earlier merged feed uses.
    fn merged_id(
        &self,
        id: &Spanned<String>,
        key: &str,
        known: &Known<'_>,
        earlier: &[MergedFeed],
    ) -> Result<(), ConfigError> {
        let v = id.get_ref();
        if !valid_id(v) {
            return Err(self.err(
                id.span(),
                key,
                format!(
                    "invalid id {v:?}: use 1 to 64 lowercase letters, digits, \"-\" or \"_\", starting with a letter or digit"
                ),
            ));
        }
        if let Some(j) = known.sources.iter().position(|s| &s.id == v) {
            let table = known.origins.get(j).copied().unwrap_or(j);
            let twin = if is_twin(known, j) {
                " (a language twin)"
            } else {
                ""
            };
            return Err(self.err(
                id.span(),
                key,
                format!(
                    "id {v:?} is already the id of source[{table}]{twin}: sources and merged \
                     feeds share one namespace, since the id names the feed files"
                ),
            ));
        }
        if let Some(j) = earlier.iter().position(|f| &f.id == v) {
            return Err(self.err(
                id.span(),
                key,
                format!("duplicate feed id {v:?} (already used by feed[{j}])"),
            ));
        }
        Ok(())
    }

    /// The member sources, in the order listed.
    fn members<'k>(
        &self,
        raw: Option<Spanned<Vec<Spanned<String>>>>,
        key: &str,
        table: Range<usize>,
        known: &Known<'k>,
    ) -> Result<Vec<&'k Source>, ConfigError> {
        let raw = raw.ok_or_else(|| self.err(table, key, "missing required key"))?;
        if raw.get_ref().is_empty() {
            return Err(self.err(raw.span(), key, "list at least one source id"));
        }
        let mut out: Vec<&Source> = Vec::new();
        for (j, id) in raw.into_inner().into_iter().enumerate() {
            let at = |m: String| self.err(id.span(), format!("{key}[{j}]"), m);
            let Some(source) = known.sources.iter().find(|s| &s.id == id.get_ref()) else {
                let ids: Vec<&str> = known.sources.iter().map(|s| s.id.as_str()).collect();
                return Err(at(format!(
                    "unknown source id {:?} (sources: {}; a language twin is listed by its own id, \
                     e.g. \"<id>-kk\")",
                    id.get_ref(),
                    ids.join(", ")
                )));
            };
            if out.iter().any(|m| m.id == source.id) {
                return Err(at(format!("source {:?} is listed twice", source.id)));
            }
            out.push(source);
        }
        Ok(out)
    }
}

/// Whether source `j` is a language twin (not the first source of its table).
fn is_twin(known: &Known<'_>, j: usize) -> bool {
    j > 0 && known.origins.get(j) == known.origins.get(j - 1)
}

/// The value every member has, if they all have the same.
fn agreed<T: PartialEq>(members: &[&Source], f: impl Fn(&Source) -> T) -> Option<T> {
    let first = f(members.first()?);
    members.iter().all(|m| f(m) == first).then_some(first)
}

impl MergedFeed {
    /// Public URLs of the merged feed's RSS, Atom and JSON files under `settings.base_url`.
    pub fn feed_urls(&self, settings: &Settings) -> (Url, Url, Url) {
        super::feed_urls(settings, &self.id)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::Config;

    const SOURCES: &str = r#"[settings]
base_url = "https://feeds.example.org/"

[[source]]
id = "govkz"
title = "gov.kz"
language = "ru"
timezone = "Asia/Almaty"
listing_urls = ["https://www.gov.kz/news"]
[source.languages]
kk = { listing_urls = ["https://www.gov.kz/kk/news"] }

[[source]]
id = "tg"
title = "Telegram"
timezone = "Asia/Almaty"
listing_urls = ["https://t.me/s/channel"]
"#;

    fn parse(feeds: &str) -> Result<Config, String> {
        Config::parse(&format!("{SOURCES}{feeds}"), Path::new("config.toml"))
            .map_err(|e| e.to_string())
    }

    /// `config.toml:<line>:<col>: <key>: <message>` for an error at the first `needle` of
    /// the feeds part.
    fn at(feeds: &str, needle: &str, key: &str, message: &str) -> String {
        let text = format!("{SOURCES}{feeds}");
        let offset = text.rfind(needle).expect("needle in the feeds part");
        let (line, col) = crate::config::span::line_col(&text, offset);
        format!("config.toml:{line}:{col}: {key}: {message}")
    }

    #[test]
    fn a_merged_feed_with_defaults() {
        let c = parse("[[feed]]\nid = \"all\"\ntitle = \" Всё \"\nsources = [\"govkz\", \"govkz-kk\", \"tg\"]\n")
            .unwrap();
        let f = &c.feeds[0];
        assert_eq!(f.id, "all");
        assert_eq!(f.title, "Всё");
        assert_eq!(f.description, "Всё");
        assert_eq!(f.sources, ["govkz", "govkz-kk", "tg"]);
        assert_eq!(f.items, 50);
        assert_eq!(f.language, "mul", "ru and kk members: multiple languages");
        assert_eq!(f.timezone, chrono_tz::Asia::Almaty);
        assert_eq!(
            f.site_url.as_str(),
            "https://feeds.example.org/",
            "members on two sites: the index"
        );
        assert_eq!(
            f.feed_urls(&c.settings).1.as_str(),
            "https://feeds.example.org/feeds/all.atom"
        );
    }

    #[test]
    fn members_that_agree_give_the_feed_their_language_and_site() {
        let c = parse(
            "[[feed]]\nid = \"ru\"\ntitle = \"RU\"\ndescription = \"d\"\nsources = [\"tg\", \"govkz\"]\nitems = 20\n",
        )
        .unwrap();
        let f = &c.feeds[0];
        assert_eq!((f.language.as_str(), f.items), ("ru", 20));
        assert_eq!(f.description, "d");
        assert_eq!(f.site_url.as_str(), "https://feeds.example.org/");
        let c = parse("[[feed]]\nid = \"one\"\ntitle = \"T\"\nsources = [\"tg\"]\nsite_url = \"https://t.me/channel\"\n")
            .unwrap();
        assert_eq!(c.feeds[0].site_url.as_str(), "https://t.me/channel");
        let c = parse("[[feed]]\nid = \"one\"\ntitle = \"T\"\nsources = [\"govkz\"]\n").unwrap();
        assert_eq!(c.feeds[0].site_url.as_str(), "https://www.gov.kz/");
    }

    #[test]
    fn an_id_shared_with_a_source_names_both() {
        let feeds = "[[feed]]\nid = \"tg\"\ntitle = \"T\"\nsources = [\"govkz\"]\n";
        assert_eq!(
            parse(feeds).unwrap_err(),
            at(
                feeds,
                "\"tg\"",
                "feed[0].id",
                "id \"tg\" is already the id of source[1]: sources and merged feeds share \
                 one namespace, since the id names the feed files"
            )
        );
        let feeds = "[[feed]]\nid = \"govkz-kk\"\ntitle = \"T\"\nsources = [\"govkz\"]\n";
        assert!(
            parse(feeds)
                .unwrap_err()
                .contains("already the id of source[0] (a language twin)"),
        );
        let feeds = "[[feed]]\nid = \"x\"\ntitle = \"T\"\nsources = [\"tg\"]\n\
                     [[feed]]\nid = \"x\"\ntitle = \"U\"\nsources = [\"tg\"]\n";
        assert_eq!(
            parse(feeds).unwrap_err(),
            at(
                feeds,
                "\"x\"",
                "feed[1].id",
                "duplicate feed id \"x\" (already used by feed[0])"
            )
        );
    }

    #[test]
    fn member_mistakes() {
        let feeds = "[[feed]]\nid = \"all\"\ntitle = \"T\"\nsources = [\"govkz\", \"govkz-ru\"]\n";
        assert_eq!(
            parse(feeds).unwrap_err(),
            at(
                feeds,
                "\"govkz-ru\"",
                "feed[0].sources[1]",
                "unknown source id \"govkz-ru\" (sources: govkz, govkz-kk, tg; a language \
                 twin is listed by its own id, e.g. \"<id>-kk\")"
            )
        );
        let feeds = "[[feed]]\nid = \"all\"\ntitle = \"T\"\nsources = [\"tg\", \"tg\"]\n";
        assert_eq!(
            parse(feeds).unwrap_err(),
            at(
                feeds,
                "\"tg\"",
                "feed[0].sources[1]",
                "source \"tg\" is listed twice"
            )
        );
        let feeds = "[[feed]]\nid = \"all\"\ntitle = \"T\"\nsources = []\n";
        assert_eq!(
            parse(feeds).unwrap_err(),
            at(
                feeds,
                "[]",
                "feed[0].sources",
                "list at least one source id"
            )
        );
        let feeds = "[[feed]]\nid = \"all\"\ntitle = \"T\"\n";
        assert_eq!(
            parse(feeds).unwrap_err(),
            at(feeds, "[[feed]]", "feed[0].sources", "missing required key")
        );
    }

    #[test]
    fn other_keys_are_checked_like_a_sources() {
        for (feeds, needle, key, message) in [
            (
                "[[feed]]\nid = \"All\"\ntitle = \"T\"\nsources = [\"tg\"]\n",
                "\"All\"",
                "feed[0].id",
                "invalid id \"All\": use 1 to 64 lowercase letters, digits, \"-\" or \"_\", \
                 starting with a letter or digit",
            ),
            (
                "[[feed]]\nid = \"a\"\ntitle = \" \"\nsources = [\"tg\"]\n",
                "\" \"",
                "feed[0].title",
                "must not be empty",
            ),
            (
                "[[feed]]\nid = \"a\"\ntitle = \"T\"\nsources = [\"tg\"]\nitems = 0\n",
                "0",
                "feed[0].items",
                "must be between 1 and 1000, found 0",
            ),
            (
                "[[feed]]\nid = \"a\"\ntitle = \"T\"\nsources = [\"tg\"]\nsite_url = \"t.me\"\n",
                "\"t.me\"",
                "feed[0].site_url",
                "\"t.me\" is not an absolute URL (expected http://... or https://...)",
            ),
            (
                "[[feed]]\nid = \"a\"\ntitle = \"T\"\nsources = [\"tg\"]\nlanguage = \"ru\"\n",
                "language",
                "feed[0].language",
                "unknown key \"language\", expected one of \"id\", \"title\", \"description\", \
                 \"sources\", \"items\", \"site_url\"",
            ),
        ] {
            assert_eq!(
                parse(feeds).unwrap_err(),
                at(feeds, needle, key, message),
                "{feeds}"
            );
        }
    }
}
