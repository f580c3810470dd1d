//! The store's guarantees: upserts, ordering, round trips, transactions, migrations.

use super::migrations::MIGRATIONS;
use super::*;
use crate::core::model::{Article, Validators};
use crate::core::retention::Retention;
use chrono::TimeZone;
use rusqlite::Connection;
use url::Url;

pub(super) fn article(id: &str, hash: &str, published: Option<DateTime<Utc>>) -> Article {
    Article {
        source: "s".into(),
        id: id.into(),
        url: Url::parse(id).unwrap(),
        title: "Заголовок".into(),
        summary: "Кратко".into(),
        content_html: "<p>Текст</p>".into(),
        published,
        modified: None,
        author: Some("Пресс-служба".into()),
        categories: vec!["Новости".into()],
        image: None,
        language: "ru".into(),
        content_hash: hash.into(),
    }
}

fn t(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 9, 24, h, 0, 0).unwrap()
}

#[test]
fn upsert_is_new_then_unchanged_then_updated_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("db/p.db")).unwrap();
    let a = article("https://x.kz/1", "h1", Some(t(5)));
    assert_eq!(s.upsert(&a, t(6)).unwrap(), Upsert::New);
    assert_eq!(s.upsert(&a, t(7)).unwrap(), Upsert::Unchanged);
    let mut b = a.clone();
    b.content_hash = "h2".into();
    b.content_html = "<p>Новый текст</p>".into();
    assert_eq!(s.upsert(&b, t(8)).unwrap(), Upsert::Updated);
    let got = s.recent("s", 10).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].published, t(5));
    assert_eq!(got[0].updated, t(8));
    assert_eq!(got[0].first_seen, t(6));
    assert_eq!(got[0].article.content_html, "<p>Новый текст</p>");
    assert_eq!(got[0].article.categories, vec!["Новости".to_string()]);
}

#[test]
fn undated_article_keeps_its_first_seen_time_forever() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("p.db")).unwrap();
    let a = article("https://x.kz/nodate", "h1", None);
    s.upsert(&a, t(6)).unwrap();
    let mut b = a.clone();
    b.content_hash = "h2".into();
    s.upsert(&b, t(9)).unwrap();
    let got = s.recent("s", 10).unwrap();
    assert_eq!(got[0].published, t(6));
    assert_eq!(got[0].updated, t(9));
}

#[test]
fn recent_orders_newest_first_with_id_tie_break_and_limits() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("p.db")).unwrap();
    for id in ["https://x.kz/b", "https://x.kz/a", "https://x.kz/c"] {
        s.upsert(&article(id, "h", Some(t(5))), t(6)).unwrap();
    }
    s.upsert(&article("https://x.kz/new", "h", Some(t(7))), t(8))
        .unwrap();
    let ids: Vec<_> = s
        .recent("s", 3)
        .unwrap()
        .into_iter()
        .map(|a| a.article.id)
        .collect();
    assert_eq!(
        ids,
        ["https://x.kz/new", "https://x.kz/a", "https://x.kz/b"]
    );
    assert_eq!(s.count("s").unwrap(), 4);
}

#[test]
fn recent_where_fills_the_limit_from_older_rows_when_the_newest_are_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("p.db")).unwrap();
    for h in 1..=6 {
        let id = format!("https://x.kz/{h}");
        s.upsert(&article(&id, "h", Some(t(h))), t(12)).unwrap();
    }
    // drops the three newest (hours 6, 5, 4); the limit of 2 is still filled
    let mut seen = 0;
    let kept: Vec<_> = s
        .recent_where("s", 2, |a| {
            seen += 1;
            a.published < t(4)
        })
        .unwrap()
        .into_iter()
        .map(|a| a.article.id)
        .collect();
    assert_eq!(kept, ["https://x.kz/3", "https://x.kz/2"]);
    assert_eq!(seen, 5, "reading stops once the limit is filled");
    assert!(s.recent_where("s", 0, |_| true).unwrap().is_empty());
    assert_eq!(s.recent_where("s", 10, |_| false).unwrap().len(), 0);
}

#[test]
fn links_validators_and_state_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("p.db")).unwrap();
    s.upsert(&article("https://x.kz/1", "h", Some(t(5))), t(6))
        .unwrap();
    s.remember_link("s", "https://x.kz/1?amp=1", "https://x.kz/1", "fp")
        .unwrap();
    let k = s.known_link("s", "https://x.kz/1?amp=1").unwrap().unwrap();
    assert_eq!(k.article_id, "https://x.kz/1");
    assert_eq!(k.first_seen, t(6));
    assert!(s.known_link("s", "https://x.kz/2").unwrap().is_none());

    let v = Validators {
        etag: Some("\"abc\"".into()),
        last_modified: None,
    };
    s.set_validators("s", "https://x.kz/", &v).unwrap();
    assert_eq!(s.validators("s", "https://x.kz/").unwrap(), Some(v));
    assert_eq!(
        s.validators("other", "https://x.kz/").unwrap(),
        None,
        "validators are per source"
    );

    s.record_run("s", t(6), Some("GET https://x.kz/: HTTP 503"), 0)
        .unwrap();
    s.record_run("s", t(7), Some("again"), 0).unwrap();
    let st = s.source_state("s").unwrap();
    assert_eq!(st.consecutive_failures, 2);
    assert_eq!(st.last_success, None);
    s.record_run("s", t(8), None, 7).unwrap();
    let st = s.source_state("s").unwrap();
    assert_eq!(st.consecutive_failures, 0);
    assert_eq!(st.last_success, Some(t(8)));
    assert_eq!(st.items_found, 7);
    let matched: BTreeSet<String> = ["listing.item".to_string()].into();
    s.record_selectors("s", &matched, &["article.date".to_string()])
        .unwrap();
    let st = s.source_state("s").unwrap();
    assert_eq!(st.matched_selectors, matched);
    assert_eq!(st.drift, ["article.date"]);
    assert_eq!(s.source_created("s", t(9)).unwrap(), t(6));
    assert_eq!(s.source_created("new", t(9)).unwrap(), t(9));
    assert!(s.healthy());
}

#[test]
fn reading_groups_lookups_and_leaves_an_open_write_batch_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("p.db")).unwrap();
    s.begin_batch().unwrap();
    s.upsert(&article("https://x.kz/1", "h1", Some(t(5))), t(6))
        .unwrap();
    s.remember_link("s", "https://x.kz/1", "https://x.kz/1", "fp")
        .unwrap();
    // Inside the write batch: no transaction of its own, the batch stays open.
    let known = s.reading(|s| s.known_link("s", "https://x.kz/1").unwrap());
    assert_eq!(known.map(|k| k.listing_fingerprint).as_deref(), Some("fp"));
    s.commit_batch().unwrap();
    // On its own: one read transaction, closed afterwards.
    let found = s.reading(|s| {
        assert!(!s.conn.is_autocommit());
        ["https://x.kz/1", "https://x.kz/2"].map(|u| s.known_link("s", u).unwrap().is_some())
    });
    assert_eq!(found, [true, false]);
    assert!(s.conn.is_autocommit());
}

#[test]
fn migration_2_makes_articles_a_rowid_table_and_keeps_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    {
        // A store as version 1 wrote it.
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO articles (source, id, url, title, summary, content_html, author,
                categories, image, language, page_published, page_modified, published,
                updated, first_seen, content_hash)
             VALUES ('s', 'https://x.kz/1', 'https://x.kz/1', 'Заголовок', 'Кратко',
                ?1, 'Пресс-служба', '[\"Новости\"]', 'https://x.kz/1.jpg', 'ru',
                '2025-09-24T05:00:00Z', NULL, '2025-09-24T05:00:00Z',
                '2025-09-24T06:00:00Z', '2025-09-24T07:00:00Z', 'h1')",
            [format!("<p>{}</p>", "Текст ".repeat(3000))],
        )
        .unwrap();
    }
    let s = Store::open(&path).unwrap();
    let version: i64 = s
        .conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, MIGRATIONS.len() as i64);
    let columns: Vec<String> = s
        .conn
        .prepare("SELECT name FROM pragma_table_info('articles')")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(columns.last().map(String::as_str), Some("content_html"));
    assert_eq!(columns.len(), 16);
    let sql: String = s
        .conn
        .query_row(
            "SELECT sql FROM sqlite_master WHERE name = 'articles'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!sql.contains("WITHOUT ROWID"), "{sql}");
    let rows = s.recent("s", 10).unwrap();
    assert_eq!(rows.len(), 1);
    let a = &rows[0].article;
    assert_eq!(
        (a.title.as_str(), a.summary.as_str(), a.author.as_deref()),
        ("Заголовок", "Кратко", Some("Пресс-служба"))
    );
    assert_eq!(
        a.content_html.len(),
        "<p></p>".len() + "Текст ".len() * 3000
    );
    assert_eq!(
        (a.categories.clone(), a.content_hash.as_str()),
        (vec!["Новости".to_string()], "h1")
    );
    assert_eq!(
        a.image.as_ref().map(Url::as_str),
        Some("https://x.kz/1.jpg")
    );
    assert_eq!(rows[0].published, t(5));
    let index: i64 = s
        .conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'articles_recent'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(index, 1);
}

#[test]
fn reopening_does_not_rerun_migrations_and_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    drop(Store::open(&path).unwrap());
    drop(Store::open(&path).unwrap());
    let conn = Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = Store::open(&path).err().unwrap();
    assert!(err.to_string().contains("newer"), "{err}");
}

/// The per-source count the index page shows is kept by triggers; it must always equal
/// COUNT(*), through inserts, in-place updates, pruning, and the migration of a store that
/// already held articles.
#[test]
fn article_counts_follow_inserts_updates_prunes_and_the_migration() {
    let real = |s: &Store, source: &str| -> usize {
        s.conn
            .query_row(
                "SELECT COUNT(*) FROM articles WHERE source = ?1",
                [source],
                |r| r.get::<_, i64>(0),
            )
            .unwrap() as usize
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v3.db");
    {
        // A store as version 3 wrote it, with two articles.
        let conn = Connection::open(&path).unwrap();
        for m in &MIGRATIONS[..3] {
            conn.execute_batch(m).unwrap();
        }
        conn.pragma_update(None, "user_version", 3).unwrap();
        for id in ["https://x.kz/1", "https://x.kz/2"] {
            conn.execute(
                "INSERT INTO articles (source, id, url, title, summary, content_html,
                    categories, language, published, updated, first_seen, content_hash)
                 VALUES ('s', ?1, ?1, 'Т', 'К', '<p>Т</p>', '[]', 'ru',
                    '2025-09-24T05:00:00Z', '2025-09-24T05:00:00Z', '2025-09-24T05:00:00Z', 'h')",
                [id],
            )
            .unwrap();
        }
    }
    let mut s = Store::open(&path).unwrap();
    assert_eq!((s.count("s").unwrap(), real(&s, "s")), (2, 2));
    assert_eq!(s.count("nobody").unwrap(), 0);

    for h in 0..5 {
        let id = format!("https://x.kz/new{h}");
        s.upsert(&article(&id, "h", Some(t(h + 1))), t(10)).unwrap();
    }
    // An edit updates in place: no new row, the count stays.
    s.upsert(&article("https://x.kz/new0", "changed", Some(t(1))), t(11))
        .unwrap();
    assert_eq!((s.count("s").unwrap(), real(&s, "s")), (7, 7));

    let keep = Retention {
        keep_days: None,
        keep_items: Some(3),
    };
    let report = s.prune("s", keep, 3, t(12)).unwrap();
    assert_eq!(report.pruned, 4);
    assert_eq!((s.count("s").unwrap(), real(&s, "s")), (3, 3));
}
