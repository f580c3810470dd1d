//! Render tests: real parsers read back what the serializers wrote, plus golden files.
//! `UPDATE_GOLDEN=1 cargo test --lib render` rewrites `tests/golden/`.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, TimeZone, Utc};
use url::Url;

use super::*;
use crate::core::model::{Article, StoredArticle};

fn url(s: &str) -> Url {
    Url::parse(s).expect("test URL")
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("test date")
}

struct Spec {
    path: &'static str,
    title: &'static str,
    summary: &'static str,
    content: &'static str,
    published: DateTime<Utc>,
    updated: DateTime<Utc>,
    author: Option<&'static str>,
    categories: &'static [&'static str],
    image: Option<&'static str>,
    language: &'static str,
}

fn stored(s: Spec) -> StoredArticle {
    let u = url(&format!("https://prokuror.gov.kz/rus/press/{}", s.path));
    StoredArticle {
        article: Article {
            source: "press".into(),
            id: u.to_string(),
            url: u,
            title: s.title.into(),
            summary: s.summary.into(),
            content_html: s.content.into(),
            published: Some(s.published),
            modified: None,
            author: s.author.map(str::to_string),
            categories: s.categories.iter().map(|c| c.to_string()).collect(),
            image: s.image.map(url),
            language: s.language.into(),
            content_hash: "00".into(),
        },
        first_seen: s.published,
        published: s.published,
        updated: s.updated,
    }
}

fn model() -> FeedModel {
    let meta = FeedMeta {
        id: "press".into(),
        title: "Генпрокуратура РК — пресс-релизы".into(),
        description: "Пресс-релизы Генеральной прокуратуры «РК» & новости".into(),
        language: "ru".into(),
        site_url: url("https://prokuror.gov.kz/rus/press"),
        rss_url: url("https://feeds.example.kz/press.rss"),
        atom_url: url("https://feeds.example.kz/press.atom"),
        json_url: url("https://feeds.example.kz/press.json"),
        timezone: chrono_tz::Asia::Almaty,
        hubs: vec![url("https://pubsubhubbub.appspot.com/")],
    };
    // Given out of order on purpose: FeedModel::new sorts.
    let items = vec![
        stored(Spec {
            path: "2",
            title: "Заголовок\u{1} с управляющим символом",
            summary: "Краткое описание без автора.",
            content: "<p>Второй материал.</p>",
            published: utc(2024, 2, 15, 4, 30),
            updated: utc(2024, 2, 16, 8, 0),
            author: None,
            categories: &[],
            image: None,
            language: "ru",
        }),
        stored(Spec {
            path: "1",
            title: "Прокурор и «ёлочки»:\u{a0}итоги года",
            summary: "Текст <script>alert(1)</script> и ]]> конец",
            content: "<p title=\"a]]>b\">Текст &lt;script&gt;alert(1)&lt;/script&gt; ]]&gt; \
                      конец</p><p><img src=\"https://prokuror.gov.kz/img/photo.png\" alt=\"\"></p>",
            published: utc(2025, 9, 24, 9, 5),
            updated: utc(2025, 9, 24, 9, 5),
            author: Some("Пресс-служба"),
            categories: &["Новости", "Прокуратура"],
            image: Some("https://prokuror.gov.kz/img/photo.png"),
            language: "ru",
        }),
        stored(Spec {
            path: "3",
            title: "Бас прокуратура хабарлайды",
            summary: "Қазақ тіліндегі хабарлама.",
            content: "<p>Қазақша мәтін.</p>",
            published: utc(2024, 3, 5, 6, 0),
            updated: utc(2024, 3, 5, 6, 0),
            author: Some("Баспасөз қызметі"),
            categories: &["Жаңалықтар"],
            image: None,
            language: "kk",
        }),
    ];
    FeedModel::new(meta, items)
}

fn fallback() -> DateTime<Utc> {
    utc(2025, 1, 1, 0, 0)
}

fn rendered() -> (String, String, String) {
    let m = model();
    let updated = m.updated(fallback());
    let s = |b: Vec<u8>| String::from_utf8(b).expect("utf-8 output");
    (
        s(rss::render(&m, updated).expect("rss")),
        s(atom::render(&m, updated).expect("atom")),
        s(json::render(&m, updated).expect("json")),
    )
}

#[test]
fn xml_formats_are_well_formed() {
    let (rss, atom, _) = rendered();
    let doc = roxmltree::Document::parse(&rss).expect("rss parses");
    // `]]>` inside HTML must survive the CDATA wrapping unchanged.
    let content = doc
        .descendants()
        .find(|n| n.tag_name().name() == "encoded")
        .and_then(|n| n.text())
        .expect("content:encoded");
    assert!(content.contains("title=\"a]]>b\""), "{content}");
    let description = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "description")
        .nth(1)
        .and_then(|n| n.text())
        .expect("item description");
    assert!(description.contains("&lt;script&gt;"), "{description}");
    roxmltree::Document::parse(&atom).expect("atom parses");
}

#[test]
fn feed_rs_reads_back_titles_links_dates() {
    let m = model();
    let (rss, atom, json) = rendered();
    for (name, text) in [("rss", rss), ("atom", atom), ("json", json)] {
        let feed = feed_rs::parser::parse(text.as_bytes())
            .unwrap_or_else(|e| panic!("{name}: feed-rs: {e}"));
        assert_eq!(feed.entries.len(), m.items.len(), "{name}");
        for (entry, item) in feed.entries.iter().zip(&m.items) {
            let a = &item.article;
            let title = entry.title.as_ref().map(|t| t.content.as_str());
            assert_eq!(title, Some(clean(&a.title).as_str()), "{name}");
            assert!(!title.unwrap_or_default().contains('\u{1}'));
            let link = entry.links.first().map(|l| l.href.as_str());
            assert_eq!(link, Some(a.url.as_str()), "{name}");
            assert_eq!(entry.published, Some(item.published), "{name}");
        }
    }
}

#[test]
fn rss_dates_use_almaty_offset_of_the_day() {
    let (rss, _, _) = rendered();
    let doc = roxmltree::Document::parse(&rss).expect("rss parses");
    let dates: Vec<&str> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "pubDate")
        .filter_map(|n| n.text())
        .collect();
    assert_eq!(
        dates,
        [
            "Wed, 24 Sep 2025 14:05:00 +0500",
            "Tue, 05 Mar 2024 11:00:00 +0500",
            "Thu, 15 Feb 2024 10:30:00 +0600",
        ]
    );
    assert!(rss.contains("<lastBuildDate>Wed, 24 Sep 2025 14:05:00 +0500</lastBuildDate>"));
}

#[test]
fn atom_and_json_dates_are_rfc3339_with_offset() {
    let (_, atom, json) = rendered();
    assert!(!atom.contains("1970"), "{atom}");
    assert!(atom.contains("<published>2024-02-15T10:30:00+06:00</published>"));
    assert!(atom.contains("<updated>2024-02-16T14:00:00+06:00</updated>"));
    assert!(json.contains("\"date_published\": \"2025-09-24T14:05:00+05:00\""));
    // Empty feed: the fallback, never the epoch.
    let mut empty = model();
    empty.items.clear();
    let updated = empty.updated(fallback());
    let bytes = atom::render(&empty, updated).expect("atom");
    let text = String::from_utf8(bytes).expect("utf-8");
    assert!(!text.contains("1970") && text.contains("2025-01-01T05:00:00+05:00"));
}

#[test]
fn output_is_deterministic() {
    assert_eq!(rendered(), rendered());
}

#[test]
fn write_if_changed_keeps_mtime_on_identical_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sub/dir/feed.xml");
    assert!(write_if_changed(&path, b"one").expect("first write"));
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    fs::File::options()
        .write(true)
        .open(&path)
        .and_then(|f| f.set_modified(old))
        .expect("set mtime");
    assert!(!write_if_changed(&path, b"one").expect("same bytes"));
    let mtime = fs::metadata(&path)
        .and_then(|m| m.modified())
        .expect("mtime");
    assert_eq!(mtime, old);
    assert!(write_if_changed(&path, b"two").expect("changed"));
    assert_eq!(fs::read(&path).expect("read"), b"two");
    // No temp files left behind.
    let names: Vec<_> = fs::read_dir(path.parent().expect("parent"))
        .expect("read_dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names, ["feed.xml"]);
}

#[test]
fn write_feeds_reports_written_then_unchanged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let m = model();
    let first = write_feeds(dir.path(), &m, fallback()).expect("first");
    assert_eq!(first.written.len(), 3);
    assert!(first.unchanged.is_empty());
    assert!(dir.path().join("press.atom").exists());
    let second = write_feeds(dir.path(), &m, fallback()).expect("second");
    assert!(second.written.is_empty());
    assert_eq!(second.unchanged.len(), 3);
}

fn golden(name: &str, actual: &str) {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "golden", name]
        .iter()
        .collect();
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        write_if_changed(&path, actual.as_bytes()).expect("write golden");
        return;
    }
    let expected = fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1)", path.display()));
    assert!(
        expected == actual,
        "{} differs (UPDATE_GOLDEN=1 rewrites it)\n--- actual:\n{actual}",
        path.display()
    );
}

#[test]
fn golden_files() {
    let (rss, atom, json) = rendered();
    golden("press.rss", &rss);
    golden("press.atom", &atom);
    golden("press.json", &json);
}
