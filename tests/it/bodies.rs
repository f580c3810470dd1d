//! Bodies without captions and buttons (issue 13): on the `wp-captions` fixture pages,
//! with the fixture's selectors and with none, figure captions, photo credits and download
//! buttons are gone, every inline image stays with an absolute `src`, and no real
//! paragraph is lost (a sentence that mentions "фото" stays).

use std::fs;

use pressfeed::config::{ArticleRules, Config};
use pressfeed::extract::extract_article;
use pressfeed::normalize::normalize;
use serde::Deserialize;
use url::Url;

use crate::common::{fixture_dir, lcs_ratio};

/// Every page of the fixture is written to come out exactly as expected.
const MIN_SIMILARITY: f64 = 0.99;

#[derive(Deserialize)]
struct Expected {
    article: Vec<Page>,
}

#[derive(Deserialize)]
struct Page {
    id: String,
    text: String,
    images: Vec<String>,
    excludes: Vec<String>,
}

fn words(html: &str) -> Vec<String> {
    let frag = scraper::Html::parse_fragment(html);
    frag.root_element()
        .text()
        .collect::<String>()
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

fn check_bodies(with_selectors: bool) {
    let dir = fixture_dir("wp-captions");
    let config = Config::load(&dir.join("config.toml")).expect("fixture config");
    let source = &config.sources[0];
    let zero = ArticleRules::default();
    let rules = if with_selectors {
        &source.article
    } else {
        &zero
    };
    let expected: Expected =
        toml::from_str(&fs::read_to_string(dir.join("expected_text.toml")).expect("read"))
            .expect("expected_text.toml");
    assert_eq!(expected.article.len(), 4);
    for page in &expected.article {
        let url = Url::parse(&page.id).expect("id");
        let file = dir
            .join(url.path().trim_start_matches('/'))
            .join("index.html");
        let html = fs::read_to_string(&file).expect("fixture page");
        let raw = extract_article(&html, &url, rules);
        let article = normalize(raw, source, chrono::Utc::now())
            .expect("normalizes")
            .article;
        let body = &article.content_html;
        let sim = lcs_ratio(&words(body), &words(&page.text));
        assert!(
            sim >= MIN_SIMILARITY,
            "{} (selectors: {with_selectors}): similarity {sim:.3}\n{body}",
            page.id
        );
        for junk in &page.excludes {
            assert!(
                !body.contains(junk.as_str()),
                "{}: {junk:?} in\n{body}",
                page.id
            );
        }
        for img in &page.images {
            assert!(
                body.contains(&format!("src=\"{img}\"")),
                "{}: image {img} lost\n{body}",
                page.id
            );
        }
    }
}

#[test]
fn captions_credits_and_download_buttons_leave_selector_bodies() {
    check_bodies(true);
}

#[test]
fn captions_credits_and_download_buttons_leave_zero_config_bodies() {
    check_bodies(false);
}
