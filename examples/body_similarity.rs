//! Body similarity of a fixture family: every page listed in its `expected_text.toml` is
//! extracted and normalized twice, with the family's `config.toml` selectors and with
//! none (zero-config), and its body text compared with the expected text.
//!
//! Similarity is difflib's ratio over whitespace-separated words: 2·LCS / (|a| + |b|),
//! 1.0 for equal texts (the measure `tests/it/zeroconf.rs` uses). A lost paragraph and a
//! kept caption both lower it.
//!
//! `SHOW_BODIES=1` prints the zero-config body next to the expected one.
//!
//! ```text
//! cargo run --example body_similarity -- tests/fixtures/wp tests/fixtures/wp-captions
//! ```

use std::path::{Path, PathBuf};

use pressfeed::config::{ArticleRules, Config};
use pressfeed::core::decode::decode_html;
use pressfeed::extract::extract_article;
use pressfeed::normalize::normalize;
use serde::Deserialize;
use url::Url;

#[derive(Deserialize)]
struct Texts {
    article: Vec<Text>,
}

#[derive(Deserialize)]
struct Text {
    id: String,
    text: String,
}

/// 2·LCS / (|a| + |b|) over words.
fn similarity(a: &str, b: &str) -> f64 {
    let a: Vec<&str> = a.split_whitespace().collect();
    let b: Vec<&str> = b.split_whitespace().collect();
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let mut prev = vec![0usize; b.len() + 1];
    for x in &a {
        let mut cur = vec![0usize; b.len() + 1];
        for (j, y) in b.iter().enumerate() {
            cur[j + 1] = if x == y {
                prev[j] + 1
            } else {
                cur[j].max(prev[j + 1])
            };
        }
        prev = cur;
    }
    2.0 * prev[b.len()] as f64 / (a.len() + b.len()) as f64
}

/// The fixture file a `http://press.fixture/...` id is served from.
fn page_file(dir: &Path, id: &Url) -> PathBuf {
    let rel = id.path().trim_start_matches('/');
    if rel.is_empty() || rel.ends_with('/') {
        dir.join(rel).join("index.html")
    } else {
        dir.join(rel)
    }
}

/// Visible text of an HTML fragment, text nodes joined as a reader sees them (like
/// `tests/it/zeroconf.rs`), so "text <a>link</a>." stays one word "link.".
fn visible_text(html: &str) -> String {
    let frag = scraper::Html::parse_fragment(html);
    let text: String = frag.root_element().text().collect();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn body_text(html: &str, url: &Url, rules: &ArticleRules, config: &Config) -> String {
    let raw = extract_article(html, url, rules);
    let now = chrono::Utc::now();
    match normalize(raw, &config.sources[0], now) {
        Ok(n) => visible_text(&n.article.content_html),
        Err(_) => String::new(),
    }
}

fn family(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::load(&dir.join("config.toml"))?;
    let texts: Texts = toml::from_str(&std::fs::read_to_string(dir.join("expected_text.toml"))?)?;
    let zero = ArticleRules::default();
    let (mut sum_sel, mut sum_zero) = (0.0, 0.0);
    println!("{}", dir.display());
    println!("  selectors  zero-config  page");
    for t in &texts.article {
        let url = Url::parse(&t.id)?;
        let bytes = std::fs::read(page_file(dir, &url))?;
        let html = decode_html(&bytes, None).text;
        let want = visible_text(&t.text);
        let s = similarity(
            &body_text(&html, &url, &config.sources[0].article, &config),
            &want,
        );
        let z = similarity(&body_text(&html, &url, &zero, &config), &want);
        sum_sel += s;
        sum_zero += z;
        println!("  {s:9.3}  {z:11.3}  {}", url.path());
        if std::env::var_os("SHOW_BODIES").is_some() {
            println!(
                "    got: {}\n   want: {want}",
                body_text(&html, &url, &zero, &config)
            );
        }
    }
    let n = texts.article.len().max(1) as f64;
    println!(
        "  {:9.3}  {:11.3}  mean of {}",
        sum_sel / n,
        sum_zero / n,
        texts.article.len()
    );
    Ok(())
}

fn main() -> std::process::ExitCode {
    let mut failed = false;
    for dir in std::env::args().skip(1) {
        if let Err(e) = family(Path::new(&dir)) {
            eprintln!("{dir}: {e}");
            failed = true;
        }
    }
    if failed {
        std::process::ExitCode::FAILURE
    } else {
        std::process::ExitCode::SUCCESS
    }
}
