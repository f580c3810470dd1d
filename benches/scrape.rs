//! In-process CPU cost of the scrape per article, without the network: parse + extract +
//! normalize + sanitize of one ~12 KB WordPress-style article page, the listing page that
//! links it (per 10 articles), and storing (per article, in batches of 32 as the pipeline
//! does). `bench/run.sh` measures the same work end to end, HTTP included.
//!
//! The pages are two pages of the site `bench/gen_site.py` generates, kept in
//! `benches/fixtures/`. `cargo bench --bench scrape`; under `cargo test` each part runs once.

use std::time::Duration;

use chrono::Utc;
use criterion::{Criterion, criterion_group, criterion_main};
use pressfeed::config::Config;
use pressfeed::extract::{extract_article, extract_listing};
use pressfeed::normalize::normalize;
use pressfeed::store::Store;
use url::Url;

const ARTICLE: &str = include_str!("fixtures/article.html");
const LISTING: &str = include_str!("fixtures/listing.html");

/// The source `bench/bench.py` configures for the generated site: same selectors.
const SOURCE: &str = r#"
[[source]]
id = "bench"
title = "Benchmark site"
timezone = "Asia/Almaty"
listing_urls = ["http://127.0.0.1:8080/"]

"#;
const SELECTORS: &str = include_str!("../bench/selectors.toml");

fn bench_scrape(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::parse(
        &format!("{SOURCE}{SELECTORS}"),
        &dir.path().join("config.toml"),
    )
    .unwrap();
    let source = &config.sources[0];
    let page_url =
        Url::parse("http://127.0.0.1:8080/2024/08/23/soobshchenie-press-sluzhby-666/").unwrap();
    let listing_url = Url::parse("http://127.0.0.1:8080/page/2/").unwrap();
    let now = Utc::now();

    let listing = extract_listing(LISTING, &listing_url, &source.listing);
    assert_eq!(
        listing.items.len(),
        10,
        "the fixture listing lists 10 articles"
    );
    c.bench_function("extract_listing (10 entries)", |b| {
        b.iter(|| extract_listing(LISTING, &listing_url, &source.listing))
    });

    let article = normalize(
        extract_article(ARTICLE, &page_url, &source.article),
        source,
        now,
    )
    .unwrap()
    .article;
    assert!(article.published.is_some() && article.author.is_some());
    c.bench_function("extract_article + normalize", |b| {
        b.iter(|| {
            let raw = extract_article(ARTICLE, &page_url, &source.article);
            normalize(raw, source, now).unwrap()
        })
    });

    let mut store = Store::open(&dir.path().join("bench.db")).unwrap();
    let mut n = 0u64;
    c.bench_function("store 32 articles in one transaction", |b| {
        b.iter(|| {
            store.begin_batch().unwrap();
            for _ in 0..32 {
                n += 1;
                let mut a = article.clone();
                a.id = format!("{}?n={n}", a.url);
                let link = a.id.clone();
                store.upsert(&a, now).unwrap();
                store.remember_link("bench", &link, &a.id, "fp").unwrap();
            }
            store.commit_batch().unwrap();
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(50)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    targets = bench_scrape
}
criterion_main!(benches);
