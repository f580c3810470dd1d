//! In-process cost of publishing one 50-item feed from a large store: the `recent` query
//! plus serializing RSS, Atom and JSON Feed (no file writes: their fsyncs are the disk's
//! cost, measured end to end by `bench/run.sh`).
//!
//! `cargo bench --bench render` fills a store with 100 000 articles first (set
//! `PRESSFEED_BENCH_ARTICLES` to change it); under `cargo test` it runs once on 1 000.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use pressfeed::config::Config;
use pressfeed::core::model::Article;
use pressfeed::pipeline::feed_meta;
use pressfeed::render::{FeedModel, atom, json, rss};
use pressfeed::store::Store;
use url::Url;

fn article(i: usize) -> Article {
    let url = Url::parse(&format!("https://press.example.kz/2025/09/24/statya-{i}/")).unwrap();
    Article {
        source: "bench".into(),
        id: url.to_string(),
        url,
        title: format!("Прокуратура сообщает о результатах проверки № {i}"),
        summary:
            "Генеральная прокуратура Республики Казахстан провела проверку соблюдения законности…"
                .into(),
        content_html:
            "<p>Генеральная прокуратура Республики Казахстан провела проверку соблюдения \
                       законности в сфере государственных закупок.</p>"
                .repeat(30),
        published: Some(
            Utc.timestamp_opt(1_700_000_000 + i as i64 * 600, 0)
                .unwrap(),
        ),
        modified: None,
        author: Some("Пресс-служба Генеральной прокуратуры".into()),
        categories: vec!["Генпрокуратура".into(), "Новости".into()],
        image: Some(Url::parse(&format!("https://press.example.kz/img/{i}.jpg")).unwrap()),
        language: "ru".into(),
        content_hash: format!("{i:064x}"),
    }
}

fn bench_render(c: &mut Criterion) {
    // `cargo test --all-targets` runs benches once in test mode: keep that quick.
    let testing = !std::env::args().any(|a| a == "--bench");
    let n: usize = std::env::var("PRESSFEED_BENCH_ARTICLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if testing { 1_000 } else { 100_000 });
    let dir = tempfile::tempdir().unwrap();
    let config = Config::parse(
        "[[source]]\nid = \"bench\"\ntitle = \"Bench\"\ntimezone = \"Asia/Almaty\"\n\
         listing_urls = [\"https://press.example.kz/\"]\n",
        &dir.path().join("config.toml"),
    )
    .unwrap();
    let source = &config.sources[0];
    let mut store = Store::open(&dir.path().join("bench.db")).unwrap();
    let now = Utc::now();
    for chunk in (0..n).collect::<Vec<_>>().chunks(5_000) {
        store.begin_batch().unwrap();
        for &i in chunk {
            store.upsert(&article(i), now).unwrap();
        }
        store.commit_batch().unwrap();
    }
    let meta = feed_meta(source, &config.settings);
    let mut group = c.benchmark_group("render");
    group.measurement_time(Duration::from_secs(if testing { 1 } else { 5 }));
    group.bench_function(
        format!("50 of {n} stored: query + rss + atom + json"),
        |b| {
            b.iter(|| {
                let items = store.recent("bench", 50).unwrap();
                let model = FeedModel::new(meta.clone(), items);
                let updated = model.updated(now);
                let bytes = rss::render(&model, updated).unwrap().len()
                    + atom::render(&model, updated).unwrap().len()
                    + json::render(&model, updated).unwrap().len();
                assert!(bytes > 0);
            })
        },
    );
    group.finish();
}

criterion_group!(benches, bench_render);
criterion_main!(benches);
