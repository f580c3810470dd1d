//! `pressfeed preview URL [--source ID] [--json]` against the fixture sites: listing
//! detection, every field with its ladder step, date failures, and no writes.

use std::path::Path;
use std::time::Duration;

use crate::common::{FixtureServer, fixture_dir, pressfeed};
use serde_json::Value;

const FORUM: &str =
    "/2025/09/24/v-turkestane-startoval-pervyj-mezhdunarodnyj-forum-gosudarstvennyh-obvinitelej/";

/// Runs preview in `dir` (so no stray config.toml is picked up) and parses its JSON.
fn preview_json(dir: &Path, args: &[&str]) -> Value {
    let out = pressfeed()
        .current_dir(dir)
        .arg("preview")
        .args(args)
        .arg("--json")
        .timeout(Duration::from_secs(60))
        .output()
        .expect("run pressfeed preview");
    assert!(
        out.status.success(),
        "preview failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("preview --json prints JSON")
}

fn f<'a>(v: &'a Value, name: &str) -> (&'a Value, &'a Value) {
    let x = &v["article"]["fields"][name];
    (&x["value"], &x["step"])
}

#[test]
fn wp_listing_shows_items_then_the_first_article() {
    let server = FixtureServer::start(fixture_dir("wp"));
    let dir = tempfile::tempdir().expect("temp dir");
    let v = preview_json(dir.path(), &[&server.url("/category/genprokuratura/")]);
    assert_eq!(v["kind"], "listing");
    let items = v["listing"]["items"].as_array().expect("items");
    let urls: Vec<&str> = items.iter().filter_map(|i| i["url"].as_str()).collect();
    assert_eq!(
        urls,
        vec![
            server.url("/2025/09/23/prokuratura-vyyavila-narusheniya-pri-zakupe-lekarstv/"),
            server.url("/2025/09/20/zashchita-prav-predprinimatelej/"),
            server.url(FORUM),
            server.url("/2025/09/23/bas-prokuratura-azamattardy-qabyldau-kestesin-zhariyalady/"),
            server.url("/2025/09/22/prokurory-almaty-proveli-priem-grazhdan/"),
        ]
    );
    assert_eq!(items[1]["date_text"], "2025-09-20T09:00:00+05:00");
    assert_eq!(
        v["listing"]["next"],
        server.url("/category/genprokuratura/page/2/")
    );
    assert_eq!(v["article"]["url"], urls[0]);
    assert_eq!(
        f(&v, "title").0,
        "Прокуратура выявила нарушения при закупе лекарств на 1,2 млрд тенге"
    );
    // Nothing written next to the run.
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
}

#[test]
fn wp_article_fields_and_steps() {
    let server = FixtureServer::start(fixture_dir("wp"));
    let dir = tempfile::tempdir().expect("temp dir");
    let v = preview_json(dir.path(), &[&server.url(FORUM)]);
    assert_eq!(v["kind"], "article");
    assert_eq!(v["listing"], Value::Null);
    let title = f(&v, "title");
    assert_eq!(
        title.0,
        "В Туркестане стартовал Первый Международный форум государственных обвинителей"
    );
    assert_eq!(title.1, "json-ld headline");
    // Without --source: UTC.
    assert_eq!(
        f(&v, "published"),
        (
            &Value::from("2025-09-24T05:12:00+00:00"),
            &Value::from("json-ld datePublished")
        )
    );
    assert_eq!(f(&v, "author").0, "Алия Нурланова");
    assert_eq!(f(&v, "content").1, "container .entry-content");
    assert_eq!(f(&v, "canonical_url").0, &Value::from(server.url(FORUM)));
    assert!(v["article"]["body_chars"].as_u64().unwrap_or(0) > 1000);
    assert!(
        v["article"]["body_start"]
            .as_str()
            .is_some_and(|s| s.starts_with("Сегодня в г.Туркестан"))
    );

    // With --source: its selectors win and dates are in its time zone.
    let cfg = server.copy_config(dir.path(), "wp");
    let cfg = cfg.to_str().expect("utf-8 path");
    let v = preview_json(
        dir.path(),
        &["--config", cfg, "--source", "wp", &server.url(FORUM)],
    );
    assert_eq!(f(&v, "title").1, "selector h1.entry-title");
    assert_eq!(f(&v, "content").1, "selector div.entry-content");
    assert_eq!(f(&v, "published").0, "2025-09-24T10:12:00+05:00");
}

#[test]
fn legacy_article_zero_config_and_with_source() {
    let server = FixtureServer::start(fixture_dir("legacy"));
    let dir = tempfile::tempdir().expect("temp dir");
    let v = preview_json(dir.path(), &[&server.url("/press/news_1.html")]);
    assert_eq!(v["kind"], "article");
    assert_eq!(
        f(&v, "title"),
        (
            &Value::from(
                "Генеральный прокурор провёл совещание с руководителями областных прокуратур"
            ),
            &Value::from("title")
        )
    );
    assert_eq!(
        f(&v, "published"),
        (
            &Value::from("2025-09-24T00:00:00+00:00"),
            &Value::from("visible date")
        )
    );
    assert_eq!(
        f(&v, "author"),
        (
            &Value::from("Пресс-служба Генеральной прокуратуры"),
            &Value::from("signature line")
        )
    );
    assert_eq!(f(&v, "content").1, "readability");
    assert_eq!(
        f(&v, "image"),
        (
            &Value::from(server.url("/images/x.jpg")),
            &Value::from("first body image")
        )
    );
    assert!(
        v["article"]["body_start"]
            .as_str()
            .is_some_and(|s| s.starts_with("24 сентября 2025 года"))
    );

    let listing = preview_json(dir.path(), &[&server.url("/press/news.html")]);
    assert_eq!(listing["kind"], "listing");
    assert_eq!(listing["listing"]["items"][0]["date_text"], "24.09.2025 г.");

    let cfg = server.copy_config(dir.path(), "legacy");
    let cfg = cfg.to_str().expect("utf-8 path");
    let v = preview_json(
        dir.path(),
        &[
            "--config",
            cfg,
            "--source",
            "legacy",
            &server.url("/press/news_1.html"),
        ],
    );
    assert_eq!(f(&v, "title").1, "selector td.zag");
    assert_eq!(
        f(&v, "published"),
        (
            &Value::from("2025-09-24T00:00:00+05:00"),
            &Value::from("selector td.date")
        )
    );
}

#[test]
fn unparsable_dates_are_listed_and_output_is_stable() {
    let server = FixtureServer::start(fixture_dir("wp"));
    server.set_file(
        "odd/index.html",
        r#"<html lang="ru"><head><meta charset="utf-8"><title>Странная дата</title>
<meta property="article:published_time" content="в прошлый четверг"></head>
<body><h1>Странная дата</h1><span class="posted-on">22 сентября 2025, 18:05</span>
<div class="entry-content"><p>Текст новости о приёме граждан в прокуратуре города.</p></div></body></html>"#,
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let run = || {
        pressfeed()
            .current_dir(dir.path())
            .args(["preview", &server.url("/odd/"), "--json"])
            .output()
            .expect("run preview")
            .stdout
    };
    let (a, b) = (run(), run());
    assert_eq!(a, b, "--json output must be byte-stable");
    let v: Value = serde_json::from_slice(&a).expect("json");
    assert_eq!(
        v["article"]["date_failures"],
        serde_json::json!([{
            "field": "published",
            "origin": "meta article:published_time",
            "text": "в прошлый четверг"
        }])
    );
    assert_eq!(f(&v, "published").1, "visible date");

    // The human table names the same steps.
    let out = pressfeed()
        .current_dir(dir.path())
        .args(["preview", &server.url("/odd/")])
        .output()
        .expect("run preview");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("visible date"), "{text}");
    assert!(text.contains("в прошлый четверг"), "{text}");
}
