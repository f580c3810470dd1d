//! Merged feeds (`[[feed]]`): the feed items of several sources — each member's newest
//! `items` that its filter keeps, exactly what its own feed shows — in one feed, newest
//! first, each item keeping its own link and guid. Callers render a merged feed whenever one
//! of its members may have changed; unchanged bytes are not rewritten, so that is cheap.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use url::Url;

use super::feeds::{RenderSourceError, source_items, write_model};
use super::{SharedStore, lock};
use crate::config::{Config, MergedFeed, Settings, Source};
use crate::core::model::StoredArticle;
use crate::render::{FeedMeta, FeedModel};
use crate::store::{Store, StoreError};

/// The channel metadata of a merged feed. Its language is `mul` when the members' differ:
/// the feeds then state each item's language as well.
pub fn merged_meta(feed: &MergedFeed, settings: &Settings) -> FeedMeta {
    let (rss_url, atom_url, json_url) = feed.feed_urls(settings);
    FeedMeta {
        id: feed.id.clone(),
        title: feed.title.clone(),
        description: feed.description.clone(),
        language: feed.language.clone(),
        site_url: feed.site_url.clone(),
        rss_url,
        atom_url,
        json_url,
        timezone: feed.timezone,
        hubs: settings.hubs.clone(),
    }
}

/// The items of a merged feed: every member's feed items, newest first, ties broken by id
/// and then by the member's place in `sources`; an article two members share (same id)
/// appears once, as the newest copy. An item without an author names its source, as the
/// source's own Atom feed does.
pub(crate) fn merged_items(
    store: &Store,
    feed: &MergedFeed,
    sources: &[Source],
) -> Result<Vec<StoredArticle>, StoreError> {
    let mut all = Vec::new();
    for id in &feed.sources {
        // validated at load: every member id names a source
        let Some(source) = sources.iter().find(|s| &s.id == id) else {
            continue;
        };
        for mut item in source_items(store, source)? {
            if item
                .article
                .author
                .as_deref()
                .is_none_or(|a| a.trim().is_empty())
            {
                item.article.author = Some(source.title.clone());
            }
            all.push(item);
        }
    }
    // stable: equal (published, id) keep member order
    all.sort_by(|a, b| {
        b.published
            .cmp(&a.published)
            .then_with(|| a.article.id.cmp(&b.article.id))
    });
    let mut seen = HashSet::new();
    all.retain(|item| seen.insert(item.article.id.clone()));
    all.truncate(feed.items);
    Ok(all)
}

/// Renders a merged feed from the store. Returns the public URLs of the files that were
/// rewritten (their bytes changed). The caller holds the lock named by the feed's id.
pub fn render_merged(
    feed: &MergedFeed,
    config: &Config,
    store: &SharedStore,
    now: DateTime<Utc>,
) -> Result<Vec<Url>, RenderSourceError> {
    let (items, created) = {
        let s = lock(store);
        // An empty merged feed is dated by its own first render, so its bytes stay put.
        (
            merged_items(&s, feed, &config.sources)?,
            s.source_created(&feed.id, now)?,
        )
    };
    let model = FeedModel::new(merged_meta(feed, &config.settings), items);
    write_model(&config.settings, &model, created)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use chrono::TimeZone;

    use super::*;
    use crate::core::model::Article;

    fn article(source: &str, id: &str, author: Option<&str>, title: &str) -> Article {
        Article {
            source: source.into(),
            id: id.into(),
            url: Url::parse(id).unwrap(),
            title: title.into(),
            summary: String::new(),
            content_html: "<p>x</p>".into(),
            published: None,
            modified: None,
            author: author.map(str::to_string),
            categories: Vec::new(),
            image: None,
            language: "ru".into(),
            content_hash: title.into(),
        }
    }

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 9, 24, h, 0, 0).unwrap()
    }

    #[test]
    fn newest_first_ties_by_id_then_member_order_shared_ids_once_filters_and_limits() {
        let config = Config::parse(
            r#"
[[source]]
id = "a"
title = "Site A"
items = 2
listing_urls = ["https://a.example/"]
[source.filter]
exclude = { title = "drop" }
[[source]]
id = "b"
title = "Site B"
listing_urls = ["https://b.example/"]
[[feed]]
id = "ab"
title = "A + B"
sources = ["b", "a"]
items = 4
"#,
            Path::new("config.toml"),
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("p.db")).unwrap();
        let mut put = |a: Article, h: u32| {
            let a = Article {
                published: Some(at(h)),
                ..a
            };
            store.upsert(&a, at(12)).unwrap();
        };
        put(
            article("a", "https://x.kz/shared", Some("Автор"), "A's copy"),
            10,
        );
        put(article("a", "https://a.example/drop", None, "drop me"), 11);
        put(article("a", "https://a.example/3", None, "a3"), 9);
        put(
            article("a", "https://a.example/old", None, "beyond a's items"),
            1,
        );
        put(article("b", "https://x.kz/shared", None, "B's copy"), 10);
        put(article("b", "https://b.example/2", None, "b2"), 9);
        put(article("b", "https://b.example/1", None, "b1"), 8);
        let got = merged_items(&store, &config.feeds[0], &config.sources).unwrap();
        let seen: Vec<(&str, &str, Option<&str>)> = got
            .iter()
            .map(|i| {
                (
                    i.article.source.as_str(),
                    i.article.title.as_str(),
                    i.article.author.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                // same instant and id in both: b is listed first in `sources`
                ("b", "B's copy", Some("Site B")),
                // then same instant, ids in order
                ("a", "a3", Some("Site A")),
                ("b", "b2", Some("Site B")),
                ("b", "b1", Some("Site B")),
            ]
        );
    }
}
