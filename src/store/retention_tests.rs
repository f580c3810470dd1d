//! Retention at store level: which articles `keep_days` / `keep_items` let go, that a
//! feed's items never go, and that a pruned article stays gone.

use super::*;
use crate::core::model::{Article, Validators};
use crate::core::retention::Retention;
use chrono::TimeZone;

fn article(id: &str, published: DateTime<Utc>) -> Article {
    tests::article(id, "h", Some(published))
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

/// A store holding ten articles of source `s`, `https://x.kz/<i>` published `i` days
/// before [`now`] (0 is the newest).
fn ten_days() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("p.db")).unwrap();
    for i in 0..10 {
        let a = article(
            &format!("https://x.kz/{i}"),
            now() - chrono::Duration::days(i),
        );
        s.upsert(&a, now()).unwrap();
    }
    (dir, s)
}

fn left(s: &Store) -> Vec<i64> {
    s.recent("s", 100)
        .unwrap()
        .iter()
        .map(|a| {
            a.article
                .id
                .trim_start_matches("https://x.kz/")
                .parse()
                .unwrap()
        })
        .collect()
}

#[test]
fn keep_days_and_keep_items_semantics() {
    let keep = |keep_days, keep_items| Retention {
        keep_days,
        keep_items,
    };
    for (name, retention, feed_items, kept) in [
        (
            "no limits keep everything",
            keep(None, None),
            3,
            (0..10).collect::<Vec<i64>>(),
        ),
        // published exactly keep_days ago stays; older goes
        ("keep_days = 5", keep(Some(5), None), 3, (0..=5).collect()),
        ("keep_items = 5", keep(None, Some(5)), 3, (0..5).collect()),
        (
            "either limit prunes: 7 days or 5 items",
            keep(Some(7), Some(5)),
            3,
            (0..5).collect(),
        ),
        (
            "either limit prunes: 2 days or 8 items",
            keep(Some(2), Some(8)),
            1,
            (0..=2).collect(),
        ),
        (
            "the feed's items are never pruned",
            keep(Some(1), None),
            4,
            (0..4).collect(),
        ),
        (
            "keep_items equal to the feed size",
            keep(None, Some(3)),
            3,
            (0..3).collect(),
        ),
        (
            "nothing old enough",
            keep(Some(30), Some(10)),
            3,
            (0..10).collect(),
        ),
    ] {
        let (_dir, mut s) = ten_days();
        let r = s.prune("s", retention, feed_items, now()).unwrap();
        assert_eq!(left(&s), kept, "{name}");
        assert_eq!(r.kept, kept.len(), "{name}");
        assert_eq!(r.pruned, 10 - kept.len(), "{name}");
    }
}

#[test]
fn prune_follows_the_feed_order_on_equal_dates() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("p.db")).unwrap();
    for id in ["https://x.kz/b", "https://x.kz/a", "https://x.kz/c"] {
        s.upsert(&article(id, now()), now()).unwrap();
    }
    let feed: Vec<String> = s
        .recent("s", 2)
        .unwrap()
        .into_iter()
        .map(|a| a.article.id)
        .collect();
    s.prune(
        "s",
        Retention {
            keep_days: None,
            keep_items: Some(2),
        },
        2,
        now(),
    )
    .unwrap();
    let stored: Vec<String> = s
        .recent("s", 10)
        .unwrap()
        .into_iter()
        .map(|a| a.article.id)
        .collect();
    assert_eq!(stored, feed);
    assert_eq!(stored, ["https://x.kz/a", "https://x.kz/b"]);
}

#[test]
fn prune_touches_only_its_source() {
    let (_dir, mut s) = ten_days();
    let mut other = article("https://y.kz/old", now() - chrono::Duration::days(400));
    other.source = "t".into();
    s.upsert(&other, now()).unwrap();
    s.prune(
        "s",
        Retention {
            keep_days: Some(1),
            keep_items: None,
        },
        1,
        now(),
    )
    .unwrap();
    assert_eq!(s.count("t").unwrap(), 1);
}

#[test]
fn a_pruned_article_stays_known_and_is_not_stored_again() {
    let (_dir, mut s) = ten_days();
    let old = "https://x.kz/9";
    s.remember_link("s", "https://x.kz/9?from=list", old, "fp")
        .unwrap();
    let v = Validators {
        etag: Some("\"e\"".into()),
        last_modified: None,
    };
    s.set_validators("s", old, &v).unwrap();
    let before = s
        .known_link("s", "https://x.kz/9?from=list")
        .unwrap()
        .unwrap();
    assert!(!before.pruned);

    s.prune(
        "s",
        Retention {
            keep_days: None,
            keep_items: Some(5),
        },
        3,
        now(),
    )
    .unwrap();
    let after = s
        .known_link("s", "https://x.kz/9?from=list")
        .unwrap()
        .unwrap();
    assert!(after.pruned, "the link still leads somewhere known");
    assert_eq!(after.first_seen, before.first_seen);
    assert_eq!(after.listing_fingerprint, "fp");
    assert_eq!(
        s.validators("s", old).unwrap(),
        None,
        "its validators went too"
    );

    // The same page fetched again (a new link to it, or --refetch) is not stored again.
    let again = article(old, now() - chrono::Duration::days(9));
    assert_eq!(s.upsert(&again, now()).unwrap(), Upsert::Unchanged);
    assert_eq!(s.count("s").unwrap(), 5);
    // A second prune has nothing left to do.
    let r = s
        .prune(
            "s",
            Retention {
                keep_days: None,
                keep_items: Some(5),
            },
            3,
            now(),
        )
        .unwrap();
    assert_eq!((r.pruned, r.kept), (0, 5));
}

#[test]
fn alert_memory_round_trips() {
    let (_dir, s) = ten_days();
    assert_eq!(s.alert_memory("s").unwrap(), AlertMemory::default());
    let m = AlertMemory {
        failing: true,
        drift: vec!["article.date".into()],
    };
    s.set_alert_memory("s", &m).unwrap();
    assert_eq!(s.alert_memory("s").unwrap(), m);
    s.set_alert_memory("s", &AlertMemory::default()).unwrap();
    assert_eq!(s.alert_memory("s").unwrap(), AlertMemory::default());
}
