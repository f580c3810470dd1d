//! Property tests (proptest) over the same functions the cargo-fuzz targets in `fuzz/` hit:
//! no panic on arbitrary input (dates, config, extractors, decoder), dates round-trip in the
//! formats sites use, and rendered feeds are always well-formed for arbitrary article text.
//! Case counts are kept small enough for the whole file to run in seconds in a debug build.

use std::path::Path;

use chrono::{DateTime, Duration, FixedOffset, LocalResult, TimeZone, Timelike, Utc};
use chrono_tz::Asia::Almaty;
use proptest::prelude::*;
use url::Url;

use pressfeed::config::{Config, Settings, Source};
use pressfeed::core::dates::parse_date;
use pressfeed::core::decode::decode_html;
use pressfeed::core::model::{Article, StoredArticle};
use pressfeed::extract::{extract_article, extract_listing};
use pressfeed::normalize::normalize;
use pressfeed::pipeline::feed_meta;
use pressfeed::render::{FeedModel, atom, json, rss};

const VALID_CONFIG: &str = include_str!("../fixtures/wp/config.toml");

const GENITIVE: [&str; 12] = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
];

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 10, 1, 12, 0, 0).unwrap()
}

fn config() -> (Settings, Source) {
    let c = Config::parse(VALID_CONFIG, Path::new("props.toml")).expect("fixture config");
    let s = c.sources.into_iter().next().expect("one source");
    (c.settings, s)
}

/// An instant between 2000 and 2100, whole seconds.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    let from = Utc
        .with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
        .unwrap()
        .timestamp();
    let to = Utc
        .with_ymd_and_hms(2100, 1, 1, 0, 0, 0)
        .unwrap()
        .timestamp();
    (from..to).prop_map(|s| DateTime::from_timestamp(s, 0).expect("in range"))
}

/// The instant in Almaty at minute precision, unless that wall-clock time is ambiguous
/// (DST ended there in 2004; clocks went back an hour on 2024-03-01), where a local-time
/// format cannot round-trip by nature.
fn almaty_minute(t: DateTime<Utc>) -> Option<(DateTime<chrono_tz::Tz>, DateTime<Utc>)> {
    let local = t.with_timezone(&Almaty).with_second(0)?;
    match Almaty.from_local_datetime(&local.naive_local()) {
        LocalResult::Single(_) => Some((local, local.with_timezone(&Utc))),
        _ => None,
    }
}

/// HTML-ish text: tags, attributes, entities and raw text mixed.
fn html_ish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("<div class=\"entry-content\">".to_string()),
        Just("</div>".to_string()),
        Just("<article class=\"post\">".to_string()),
        Just("<h1 class=\"entry-title\">".to_string()),
        Just("<h2 class=\"entry-title\"><a href=\"/2025/09/24/x/\">".to_string()),
        Just("<a href=\"".to_string()),
        Just("\">".to_string()),
        Just("</a>".to_string()),
        Just("<time datetime=\"2025-09-24T10:00:00+05:00\">".to_string()),
        Just(
            "<script type=\"application/ld+json\">{\"@type\":\"NewsArticle\",\"headline\":"
                .to_string()
        ),
        Just("</script>".to_string()),
        Just("<meta property=\"og:title\" content=\"".to_string()),
        Just("<link rel=\"canonical\" href=\"".to_string()),
        Just("<base href=\"".to_string()),
        Just("<img src=\"".to_string()),
        Just("<p>".to_string()),
        Just("<table><tr><td>".to_string()),
        Just("<svg><math><mglyph><style>".to_string()),
        Just("<!--".to_string()),
        Just("-->".to_string()),
        Just("<![CDATA[".to_string()),
        Just("]]>".to_string()),
        Just("&#x0;&#xD800;&amp;&nbsp;&".to_string()),
        Just("24 сентября 2025, 14:05".to_string()),
        Just("\u{202E}\u{200F}\u{FEFF}\u{0}\u{1}".to_string()),
        "\\PC{0,20}",
        "[<>&\"'=/a-z ]{0,20}",
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

/// Text with the characters that break XML and JSON writers.
fn nasty_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("]]>".to_string()),
        Just("<![CDATA[".to_string()),
        Just("\u{0}\u{1}\u{8}\u{B}\u{C}\u{1F}\u{7F}".to_string()),
        Just("\u{FFFE}\u{FFFF}\u{FFFD}".to_string()),
        Just("\u{200F}\u{202E}\u{2066}\u{2069}".to_string()),
        Just("&amp;&lt;&#0;&#xD800;".to_string()),
        Just("<script>alert(1)</script>".to_string()),
        Just("\r\n\t".to_string()),
        Just("\"'\\".to_string()),
        Just("\u{1F600}\u{10FFFF}".to_string()),
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

/// Renders one article in all three formats and checks each parses.
fn assert_feeds_well_formed(article: Article) -> Result<(), TestCaseError> {
    let (settings, source) = config();
    let t = now();
    let stored = StoredArticle {
        article,
        first_seen: t,
        published: t,
        updated: t,
    };
    let model = FeedModel::new(feed_meta(&source, &settings), vec![stored]);
    let r = rss::render(&model, t).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let a = atom::render(&model, t).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let j = json::render(&model, t).map_err(|e| TestCaseError::fail(e.to_string()))?;
    for (name, bytes) in [("rss", &r), ("atom", &a)] {
        let text = std::str::from_utf8(bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        if let Err(e) = roxmltree::Document::parse(text) {
            return Err(TestCaseError::fail(format!("{name}: {e}\n{text}")));
        }
    }
    if let Err(e) = serde_json::from_slice::<serde_json::Value>(&j) {
        return Err(TestCaseError::fail(format!("json: {e}")));
    }
    for (name, bytes) in [("rss", r), ("atom", a), ("json", j)] {
        if let Err(e) = feed_rs::parser::parse(&bytes[..]) {
            return Err(TestCaseError::fail(format!(
                "feed-rs {name}: {e}\n{}",
                String::from_utf8_lossy(&bytes)
            )));
        }
    }
    Ok(())
}

fn article_with(title: String, text: String, author: String, category: String) -> Article {
    let url = Url::parse("http://press.fixture/2025/09/24/a/").expect("url");
    Article {
        source: "wp".to_string(),
        id: url.to_string(),
        url,
        title,
        summary: text.clone(),
        content_html: text,
        published: None,
        modified: None,
        author: Some(author),
        categories: vec![category],
        image: None,
        language: "ru".to_string(),
        content_hash: String::new(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parse_date_never_panics(s in "\\PC{0,60}") {
        let _ = parse_date(&s, Almaty, now());
    }

    #[test]
    fn parse_date_never_panics_on_date_like_text(
        s in "[0-9 .,:/T+-]{0,30}(января|сентября|қыркүйек|вчера|назад|Sep|GMT|Z)?[0-9 .,:/T+-]{0,20}"
    ) {
        let _ = parse_date(&s, Almaty, now());
    }

    #[test]
    fn rfc3339_round_trips(t in instant(), offset_min in -14 * 60..=14 * 60i32) {
        let off = FixedOffset::east_opt(offset_min * 60).expect("offset in range");
        let text = t.with_timezone(&off).to_rfc3339();
        prop_assert_eq!(parse_date(&text, Almaty, now()), Some(t), "{}", text);
    }

    #[test]
    fn rfc2822_round_trips(t in instant(), offset_min in -12 * 60..=14 * 60i32) {
        let off = FixedOffset::east_opt(offset_min * 60).expect("offset in range");
        let text = t.with_timezone(&off).to_rfc2822();
        prop_assert_eq!(parse_date(&text, Almaty, now()), Some(t), "{}", text);
    }

    #[test]
    fn dotted_local_round_trips(t in instant()) {
        let Some((local, expected)) = almaty_minute(t) else { return Ok(()) };
        let text = local.format("%d.%m.%Y %H:%M").to_string();
        prop_assert_eq!(parse_date(&text, Almaty, now()), Some(expected), "{}", text);
    }

    #[test]
    fn russian_genitive_round_trips(t in instant()) {
        let Some((local, expected)) = almaty_minute(t) else { return Ok(()) };
        let month = GENITIVE[local.format("%m").to_string().parse::<usize>().unwrap_or(1) - 1];
        let text = format!(
            "{} {month} {}, {}",
            local.format("%-d"),
            local.format("%Y"),
            local.format("%H:%M")
        );
        prop_assert_eq!(parse_date(&text, Almaty, now()), Some(expected), "{}", text);
    }

    #[test]
    fn config_parse_never_panics(s in "\\PC{0,200}") {
        let _ = Config::parse(&s, Path::new("fuzz.toml"));
    }

    #[test]
    fn config_parse_never_panics_on_mutated_valid_config(
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0..4u8, "\\PC{0,6}"), 1..6)
    ) {
        let mut text = VALID_CONFIG.to_string();
        for (at, kind, insert) in edits {
            let mut i = at.index(text.len() + 1);
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            let mut end = (i + 8).min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            match kind {
                0 => text.insert_str(i, &insert),
                1 => text.replace_range(i..end, ""),
                2 => text.replace_range(i..end, &insert),
                _ => {
                    // Duplicate a slice: repeated keys and tables.
                    let slice = text[i..end].to_string();
                    text.insert_str(i, &slice);
                }
            }
        }
        let _ = Config::parse(&text, Path::new("fuzz.toml"));
    }

    #[test]
    fn extractors_never_panic(html in html_ish()) {
        let (_, source) = config();
        let url = Url::parse("http://press.fixture/category/genprokuratura/").expect("url");
        let listing = extract_listing(&html, &url, &source.listing);
        let _ = extract_listing(&html, &url, &Default::default());
        for item in &listing.items {
            prop_assert!(matches!(item.url.scheme(), "http" | "https"), "{}", item.url);
        }
        let raw = extract_article(&html, &url, &source.article);
        let _ = extract_article(&html, &url, &Default::default());
        if let Ok(n) = normalize(raw, &source, now()) {
            assert_feeds_well_formed(n.article)?;
        }
    }

    #[test]
    fn decode_never_panics(
        bytes in prop::collection::vec(any::<u8>(), 0..300),
        ct in prop_oneof![
            Just(None),
            Just(Some("text/html; charset=windows-1251")),
            Just(Some("text/html; charset=utf-8")),
            Just(Some("text/html; charset=\"x-garbage\"")),
            Just(Some("text/html; charset=")),
        ],
    ) {
        let d = decode_html(&bytes, ct);
        if !bytes.contains(&0) {
            prop_assert!(!d.text.contains('\0'), "NUL appeared from nowhere");
        }
    }

    #[test]
    fn surrogate_and_control_bytes_reach_well_formed_feeds(
        noise in prop::collection::vec(
            prop_oneof![
                Just(vec![0xED, 0xA0, 0x80]),       // CESU-8 / WTF-8 lone high surrogate
                Just(vec![0xED, 0xBF, 0xBF]),       // lone low surrogate
                Just(vec![0xC0, 0x80]),             // overlong NUL
                Just(vec![0x00, 0x01, 0x1B, 0x7F]),
                Just(vec![0xEF, 0xBF, 0xBE]),       // U+FFFE
                Just(b"]]>".to_vec()),
                Just("\u{200F}\u{202E}".as_bytes().to_vec()),
                Just("Прокуратура".as_bytes().to_vec()),
                prop::collection::vec(any::<u8>(), 0..8),
            ],
            0..16,
        ),
    ) {
        let noise: Vec<u8> = noise.concat();
        let mut page = b"<html><body><article><h1 class=\"entry-title\">".to_vec();
        page.extend_from_slice(&noise);
        page.extend_from_slice(b" T</h1><div class=\"entry-content\"><p>");
        page.extend_from_slice(&noise);
        page.extend_from_slice(b" body</p></div><span class=\"byline\"><span class=\"author\"><a>");
        page.extend_from_slice(&noise);
        page.extend_from_slice(b"</a></span></span></article></body></html>");
        let decoded = decode_html(&page, Some("text/html"));
        let (_, source) = config();
        let url = Url::parse("http://press.fixture/2025/09/24/a/").expect("url");
        let raw = extract_article(&decoded.text, &url, &source.article);
        let n = normalize(raw, &source, now()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        assert_feeds_well_formed(n.article)?;
    }

    #[test]
    fn rendered_feeds_are_well_formed_for_any_text(
        title in nasty_text(),
        text in nasty_text(),
        author in nasty_text(),
        category in nasty_text(),
    ) {
        assert_feeds_well_formed(article_with(title, text, author, category))?;
    }
}

#[test]
fn one_megabyte_title_renders_well_formed() {
    let title = "Заголовок ]]> <b>&amp; \u{200F}\u{1}".repeat(1 << 20 >> 5);
    assert!(title.len() >= 1 << 20);
    let r = assert_feeds_well_formed(article_with(
        title,
        "<p>текст</p>".to_string(),
        "Автор".to_string(),
        "К".to_string(),
    ));
    assert!(r.is_ok(), "{r:?}");
}

#[test]
fn one_megabyte_title_through_normalize() {
    let (_, source) = config();
    let title = "Очень длинный заголовок ".repeat((1 << 20) / 24 + 1);
    let html = format!(
        "<html><body><h1 class=\"entry-title\">{title}</h1>\
         <div class=\"entry-content\"><p>Текст.</p></div></body></html>"
    );
    let url = Url::parse("http://press.fixture/2025/09/24/a/").expect("url");
    let raw = extract_article(&html, &url, &source.article);
    let n = normalize(raw, &source, now()).expect("normalizes");
    assert!(n.article.title.len() > 1 << 19);
    let r = assert_feeds_well_formed(n.article);
    assert!(r.is_ok(), "{r:?}");
}

#[test]
fn timestamps_round_trip_sanity() {
    // The property strategies are only as good as their range.
    let t = Utc.with_ymd_and_hms(2099, 12, 31, 23, 59, 0).unwrap() + Duration::seconds(59);
    assert_eq!(parse_date(&t.to_rfc3339(), Almaty, now()), Some(t));
}
