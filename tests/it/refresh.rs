//! End-to-end specs for `pressfeed refresh`, `check` and `--help`, run against the real
//! binary and local fixture sites (tests/fixtures/, served on 127.0.0.1 only).

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::common::{Expected, FixtureServer, fixture_dir, load_expected, pressfeed};
use chrono::{DateTime, FixedOffset, Utc};

/// Exit code for configuration errors (sysexits EX_CONFIG).
const EX_CONFIG: i32 = 78;

/// Path of the seed-site article whose body scenario 3 edits (it has no modification date,
/// so only a content change can move its `updated`).
const EDITED: &str = "2025/09/22/prokurory-almaty-proveli-priem-grazhdan/index.html";

/// One item as read from one feed format, normalized for comparison.
#[derive(Debug, Clone)]
struct Item {
    link: String,
    title: String,
    published: Option<String>,
    updated: Option<String>,
    author: Option<String>,
    categories: Vec<String>,
    image: Option<String>,
    language: Option<String>,
    body: String,
}

struct Feeds {
    rss_raw: Vec<u8>,
    atom_raw: Vec<u8>,
    json_raw: Vec<u8>,
    rss: Vec<Item>,
    atom: Vec<Item>,
    json: Vec<Item>,
}

fn child<'a>(
    n: roxmltree::Node<'a, 'a>,
    ns: Option<&str>,
    name: &str,
) -> Option<roxmltree::Node<'a, 'a>> {
    n.children().find(|c| {
        c.is_element()
            && c.tag_name().name() == name
            && (ns.is_none() || c.tag_name().namespace() == ns)
    })
}

fn text_of(n: Option<roxmltree::Node<'_, '_>>) -> Option<String> {
    n.map(|n| n.text().unwrap_or("").trim().to_string())
}

fn parse_rss(raw: &[u8]) -> Vec<Item> {
    let text = std::str::from_utf8(raw).expect("RSS is UTF-8");
    let doc = roxmltree::Document::parse(text).expect("RSS is well-formed XML");
    let rss = doc.root_element();
    assert_eq!(rss.tag_name().name(), "rss");
    assert_eq!(rss.attribute("version"), Some("2.0"));
    let channel = child(rss, None, "channel").expect("rss/channel");
    channel
        .children()
        .filter(|c| {
            c.is_element() && c.tag_name().name() == "item" && c.tag_name().namespace().is_none()
        })
        .map(|it| {
            let dc = Some("http://purl.org/dc/elements/1.1/");
            let content = Some("http://purl.org/rss/1.0/modules/content/");
            Item {
                link: text_of(child(it, None, "link")).expect("rss item link"),
                title: text_of(child(it, None, "title")).expect("rss item title"),
                published: text_of(child(it, None, "pubDate")),
                updated: None,
                author: text_of(child(it, dc, "creator"))
                    .or_else(|| text_of(child(it, None, "author"))),
                categories: it
                    .children()
                    .filter(|c| {
                        c.is_element()
                            && c.tag_name().name() == "category"
                            && c.tag_name().namespace().is_none()
                    })
                    .map(|c| c.text().unwrap_or("").trim().to_string())
                    .collect(),
                image: child(it, None, "enclosure")
                    .and_then(|e| e.attribute("url").map(str::to_string)),
                language: None,
                body: text_of(child(it, content, "encoded"))
                    .or_else(|| text_of(child(it, None, "description")))
                    .unwrap_or_default(),
            }
        })
        .collect()
}

fn parse_atom(raw: &[u8]) -> Vec<Item> {
    let atom_ns = Some("http://www.w3.org/2005/Atom");
    let text = std::str::from_utf8(raw).expect("Atom is UTF-8");
    let doc = roxmltree::Document::parse(text).expect("Atom is well-formed XML");
    let feed = doc.root_element();
    assert_eq!(feed.tag_name().name(), "feed");
    assert_eq!(feed.tag_name().namespace(), atom_ns);
    feed.children()
        .filter(|c| c.is_element() && c.tag_name().name() == "entry")
        .map(|e| {
            let link = e
                .children()
                .filter(|c| c.is_element() && c.tag_name().name() == "link")
                .find(|l| matches!(l.attribute("rel"), None | Some("alternate")))
                .and_then(|l| l.attribute("href"))
                .expect("atom entry alternate link")
                .to_string();
            Item {
                link,
                title: text_of(child(e, atom_ns, "title")).expect("atom entry title"),
                published: text_of(child(e, atom_ns, "published")),
                updated: text_of(child(e, atom_ns, "updated")),
                author: child(e, atom_ns, "author")
                    .and_then(|a| text_of(child(a, atom_ns, "name"))),
                categories: e
                    .children()
                    .filter(|c| c.is_element() && c.tag_name().name() == "category")
                    .filter_map(|c| c.attribute("term").map(str::to_string))
                    .collect(),
                image: e
                    .children()
                    .filter(|c| c.is_element() && c.tag_name().name() == "link")
                    .find(|l| l.attribute("rel") == Some("enclosure"))
                    .and_then(|l| l.attribute("href"))
                    .map(str::to_string),
                language: e
                    .attribute(("http://www.w3.org/XML/1998/namespace", "lang"))
                    .map(str::to_string),
                body: text_of(child(e, atom_ns, "content")).unwrap_or_default(),
            }
        })
        .collect()
}

fn parse_json(raw: &[u8]) -> (Vec<Item>, Option<String>) {
    let v: serde_json::Value = serde_json::from_slice(raw).expect("JSON Feed is JSON");
    assert_eq!(v["version"], "https://jsonfeed.org/version/1.1");
    let feed_lang = v["language"].as_str().map(str::to_string);
    let s = |x: &serde_json::Value| x.as_str().map(str::to_string);
    let items = v["items"]
        .as_array()
        .expect("JSON Feed items")
        .iter()
        .map(|it| Item {
            link: s(&it["url"]).expect("json item url"),
            title: s(&it["title"]).expect("json item title"),
            published: s(&it["date_published"]),
            updated: s(&it["date_modified"]),
            author: it["authors"]
                .as_array()
                .and_then(|a| a.first())
                .and_then(|a| s(&a["name"])),
            categories: it["tags"]
                .as_array()
                .map(|t| t.iter().filter_map(&s).collect())
                .unwrap_or_default(),
            image: s(&it["image"]),
            language: s(&it["language"]).or_else(|| feed_lang.clone()),
            body: s(&it["content_html"]).unwrap_or_default(),
        })
        .collect();
    (items, feed_lang)
}

fn read_feeds(dir: &Path, id: &str) -> Feeds {
    let feeds = dir.join("feeds");
    let read = |ext: &str| {
        let p = feeds.join(format!("{id}.{ext}"));
        fs::read(&p).unwrap_or_else(|e| panic!("{} must exist: {e}", p.display()))
    };
    let (rss_raw, atom_raw, json_raw) = (read("rss"), read("atom"), read("json"));
    for (name, raw) in [("rss", &rss_raw), ("atom", &atom_raw), ("json", &json_raw)] {
        feed_rs::parser::parse(&raw[..])
            .unwrap_or_else(|e| panic!("feed-rs rejects {id}.{name}: {e}"));
    }
    let (json, _) = parse_json(&json_raw);
    Feeds {
        rss: parse_rss(&rss_raw),
        atom: parse_atom(&atom_raw),
        json,
        rss_raw,
        atom_raw,
        json_raw,
    }
}

fn instant(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .or_else(|_| DateTime::parse_from_rfc2822(s))
        .unwrap_or_else(|e| panic!("unparsable feed date {s:?}: {e}"))
        .with_timezone(&Utc)
}

fn primary_subtag(tag: &str) -> String {
    tag.split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Checks every format against the expected records; `window` bounds first-seen dates.
fn check_feeds(feeds: &Feeds, expected: &Expected, window: (DateTime<Utc>, DateTime<Utc>)) {
    let want: BTreeSet<&str> = expected.articles.iter().map(|a| a.id.as_str()).collect();
    let by_id = expected.by_id();
    for (format, items) in [
        ("rss", &feeds.rss),
        ("atom", &feeds.atom),
        ("json", &feeds.json),
    ] {
        let links: Vec<&str> = items.iter().map(|i| i.link.as_str()).collect();
        let got: BTreeSet<&str> = links.iter().copied().collect();
        assert_eq!(
            links.len(),
            got.len(),
            "{format}: duplicate items: {links:#?}"
        );
        assert_eq!(got, want, "{format}: item set differs");
        for item in items {
            let exp = by_id[item.link.as_str()];
            let ctx = format!("{format} item {}", item.link);
            assert!(!item.link.contains("amp"), "{ctx}: AMP URL published");
            assert_eq!(item.title, exp.title, "{ctx}: title");
            let published = item
                .published
                .as_deref()
                .unwrap_or_else(|| panic!("{ctx}: no published date"));
            if exp.published == "first-seen" {
                let t = instant(published);
                assert!(
                    t >= window.0 - chrono::Duration::seconds(2)
                        && t <= window.1 + chrono::Duration::seconds(2),
                    "{ctx}: first-seen date {published} outside the run window {window:?}"
                );
            } else {
                let want_t: DateTime<FixedOffset> =
                    DateTime::parse_from_rfc3339(&exp.published).expect("expected date");
                assert_eq!(
                    instant(published),
                    want_t.with_timezone(&Utc),
                    "{ctx}: published instant ({published})"
                );
                if format == "atom" || format == "json" {
                    // RFC 3339 formats carry the source's offset at that instant.
                    assert_eq!(
                        DateTime::parse_from_rfc3339(published)
                            .map(|d| *d.offset())
                            .ok(),
                        Some(*want_t.offset()),
                        "{ctx}: published offset ({published})"
                    );
                }
            }
            if let Some(a) = &exp.author {
                let got = item.author.as_deref().unwrap_or("");
                // RSS <author> must be an e-mail address; accept "x@y (Name)" there.
                assert!(
                    got == a || (format == "rss" && got.contains(a.as_str())),
                    "{ctx}: author {got:?} != {a:?}"
                );
            }
            if let Some(c) = &exp.categories {
                let mut got = item.categories.clone();
                let mut want = c.clone();
                got.sort();
                want.sort();
                assert_eq!(got, want, "{ctx}: categories");
            }
            if let Some(img) = &exp.image {
                // The JSON Feed `image` field is the canonical place; XML formats are checked
                // only when they carry an enclosure.
                if img.is_empty() {
                    assert_eq!(item.image, None, "{ctx}: unexpected image");
                } else if format == "json" || item.image.is_some() {
                    assert_eq!(item.image.as_deref(), Some(img.as_str()), "{ctx}: image");
                }
            }
            if let (Some(l), Some(got)) = (&exp.language, &item.language) {
                assert_eq!(primary_subtag(got), primary_subtag(l), "{ctx}: language");
            } else if let (Some(l), "json") = (&exp.language, format) {
                panic!("{ctx}: no language (want {l})");
            }
            for s in &exp.body_contains {
                assert!(
                    item.body.contains(s.as_str()),
                    "{ctx}: body lacks {s:?}:\n{}",
                    item.body
                );
            }
            for s in exp.body_excludes.iter().chain(&expected.body_excludes_all) {
                assert!(
                    !item.body.contains(s.as_str()),
                    "{ctx}: body contains {s:?}:\n{}",
                    item.body
                );
            }
            assert!(
                !item.body.contains('\u{FFFD}'),
                "{ctx}: replacement character in body"
            );
        }
    }
}

/// Runs `pressfeed --config <cfg> refresh`; its exit code and combined output.
pub(crate) fn run_refresh(cfg: &Path) -> (Option<i32>, String) {
    let out = pressfeed()
        .arg("--config")
        .arg(cfg)
        .arg("refresh")
        .timeout(Duration::from_secs(120))
        .output()
        .expect("run pressfeed refresh");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

/// A refresh that must succeed; its combined output.
fn refresh(cfg: &Path) -> String {
    let (code, text) = run_refresh(cfg);
    assert_eq!(code, Some(0), "refresh failed:\n{text}");
    text
}

fn assert_summary(output: &str, source: &str) {
    let ok = output.lines().any(|l| {
        l.contains(source)
            && ["new", "updated", "unchanged", "failed"]
                .iter()
                .all(|w| l.contains(w))
    });
    assert!(
        ok,
        "no per-source summary line for {source:?} in:\n{output}"
    );
}

fn mtimes(dir: &Path, id: &str) -> Vec<(Vec<u8>, SystemTime)> {
    ["rss", "atom", "json"]
        .iter()
        .map(|ext| {
            let p = dir.join("feeds").join(format!("{id}.{ext}"));
            let bytes = fs::read(&p).expect("feed file");
            let mtime = fs::metadata(&p)
                .and_then(|m| m.modified())
                .expect("feed mtime");
            (bytes, mtime)
        })
        .collect()
}

/// Sets the feed files' mtimes an hour back, so a rewrite shows however coarse the file
/// system's clock is, without waiting for it.
fn age_feed_files(dir: &Path, id: &str) {
    let past = SystemTime::now() - Duration::from_secs(3600);
    for ext in ["rss", "atom", "json"] {
        let p = dir.join("feeds").join(format!("{id}.{ext}"));
        fs::File::options()
            .write(true)
            .open(&p)
            .and_then(|f| f.set_modified(past))
            .expect("age feed file");
    }
}

/// Stored dates have whole seconds: an edit must land in a later second than the first run
/// for its `updated` to move. This waits for the clock; nothing else waits on it.
fn tick() {
    std::thread::sleep(Duration::from_millis(1100));
}

struct Run {
    server: FixtureServer,
    dir: tempfile::TempDir,
    cfg: std::path::PathBuf,
}

fn setup(fixture: &str) -> Run {
    let server = FixtureServer::start(fixture_dir(fixture));
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = server.copy_config(dir.path(), fixture);
    Run { server, dir, cfg }
}

#[test]
fn refresh_wp_publishes_expected_items_in_all_formats() {
    let run = setup("wp");
    let start = Utc::now();
    let out = refresh(&run.cfg);
    let end = Utc::now();
    assert_summary(&out, "wp");
    let feeds = read_feeds(run.dir.path(), "wp");
    let expected = load_expected("wp", &run.server.base);
    assert_eq!(expected.articles.len(), 7);
    check_feeds(&feeds, &expected, (start, end));
    for raw in [&feeds.rss_raw, &feeds.atom_raw, &feeds.json_raw] {
        let text = String::from_utf8_lossy(raw);
        assert!(
            !text.contains("press.fixture"),
            "placeholder leaked into a feed"
        );
        assert!(
            !text.contains("data:image"),
            "lazy-load placeholder image in a feed"
        );
        assert!(
            !text.contains("?amp=1") && !text.contains("noamp"),
            "AMP URL in a feed"
        );
    }
    // The listing's next link was followed, and nothing outside 127.0.0.1 was needed.
    let reqs = run.server.requests();
    assert!(
        reqs.iter()
            .any(|r| r.path_and_query == "/category/genprokuratura/page/2/"),
        "page 2 not fetched"
    );
    assert!(
        reqs.iter().all(|r| r
            .header("user-agent")
            .is_some_and(|ua| ua.starts_with("pressfeed/"))),
        "requests without the pressfeed User-Agent"
    );
}

#[test]
fn second_refresh_leaves_feed_files_untouched() {
    let run = setup("wp");
    refresh(&run.cfg);
    age_feed_files(run.dir.path(), "wp");
    let before = mtimes(run.dir.path(), "wp");
    let out = refresh(&run.cfg);
    assert_summary(&out, "wp");
    let after = mtimes(run.dir.path(), "wp");
    for (ext, (b, a)) in ["rss", "atom", "json"]
        .iter()
        .zip(before.iter().zip(after.iter()))
    {
        assert!(b.0 == a.0, "wp.{ext} bytes changed on an idle refresh");
        assert_eq!(b.1, a.1, "wp.{ext} rewritten on an idle refresh");
    }
}

#[test]
fn edited_article_is_updated_in_place() {
    let run = setup("wp");
    refresh(&run.cfg);
    let url = run
        .server
        .url("/2025/09/22/prokurory-almaty-proveli-priem-grazhdan/");
    let before = read_feeds(run.dir.path(), "wp");
    let old = before
        .atom
        .iter()
        .find(|i| i.link == url)
        .expect("edited item present")
        .clone();

    let page = run.server.file(EDITED);
    let old_sentence =
        "Большая часть обращений касалась вопросов трудовых прав и исполнения судебных актов.";
    assert!(
        page.contains(old_sentence),
        "fixture changed: update this test"
    );
    run.server.set_file(
        EDITED,
        page.replace(
            old_sentence,
            "Большинство обращений касалось жилищных вопросов и работы коммунальных служб.",
        ),
    );
    tick();
    refresh(&run.cfg);

    let after = read_feeds(run.dir.path(), "wp");
    for (format, b, a) in [
        ("rss", &before.rss, &after.rss),
        ("atom", &before.atom, &after.atom),
        ("json", &before.json, &after.json),
    ] {
        assert_eq!(a.len(), b.len(), "{format}: item count changed");
        let links: BTreeSet<&str> = a.iter().map(|i| i.link.as_str()).collect();
        assert_eq!(links.len(), a.len(), "{format}: duplicate after edit");
        let item = a
            .iter()
            .find(|i| i.link == url)
            .expect("edited item still present");
        assert!(
            item.body.contains("жилищных вопросов"),
            "{format}: new text missing"
        );
        assert!(
            !item.body.contains("трудовых прав"),
            "{format}: old text still there"
        );
    }
    let new = after
        .atom
        .iter()
        .find(|i| i.link == url)
        .expect("edited item in atom");
    let (o, n) = (
        instant(old.updated.as_deref().expect("atom updated")),
        instant(new.updated.as_deref().expect("atom updated")),
    );
    assert!(n > o, "updated did not move forward: {o} -> {n}");
    assert_eq!(
        new.published, old.published,
        "published must not change on edit"
    );
    // Untouched items keep their dates.
    let olds: HashMap<&str, &Item> = before.atom.iter().map(|i| (i.link.as_str(), i)).collect();
    for i in after.atom.iter().filter(|i| i.link != url) {
        assert_eq!(
            i.updated,
            olds[i.link.as_str()].updated,
            "{}: updated moved without a change",
            i.link
        );
    }
}

#[test]
fn legacy_windows_1251_site_decodes_cleanly() {
    let run = setup("legacy");
    let start = Utc::now();
    let out = refresh(&run.cfg);
    let end = Utc::now();
    assert_summary(&out, "legacy");
    // The server really sends no charset, so only the <meta> can tell.
    let raw = fs::read(run.server.root.join("press/news_1.html")).expect("fixture");
    assert!(
        std::str::from_utf8(&raw).is_err(),
        "legacy fixture must be windows-1251 bytes"
    );

    let feeds = read_feeds(run.dir.path(), "legacy");
    let expected = load_expected("legacy", &run.server.base);
    check_feeds(&feeds, &expected, (start, end));
    for raw in [&feeds.rss_raw, &feeds.atom_raw, &feeds.json_raw] {
        let text = std::str::from_utf8(raw).expect("feeds are UTF-8");
        for bad in ["Р°", "Рѕ", "вЂ", "\u{FFFD}"] {
            assert!(!text.contains(bad), "mojibake {bad:?} in a legacy feed");
        }
        assert!(text.contains('Қ') && text.contains('–') && text.contains('—'));
    }
}

/// Writes the wp config with one line replaced; returns (dir, config path, 1-based line).
fn bad_config(find: &str, replace: &str) -> (tempfile::TempDir, std::path::PathBuf, usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    // Port 9 (discard) on loopback: if validation wrongly passes, nothing leaves the host.
    let cfg = crate::common::copy_config(dir.path(), "wp", "http://127.0.0.1:9");
    let text = fs::read_to_string(&cfg).expect("config");
    let line = text
        .lines()
        .position(|l| l.starts_with(find))
        .unwrap_or_else(|| panic!("no line starting with {find:?}"))
        + 1;
    let new: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i + 1 == line {
                replace.to_string()
            } else {
                l.to_string()
            }
        })
        .collect();
    fs::write(&cfg, new.join("\n") + "\n").expect("write bad config");
    (dir, cfg, line)
}

#[test]
fn bad_configs_are_rejected_with_location_and_key() {
    let cases = [
        (
            "unknown key",
            "description = ",
            "colour = \"red\"",
            "source[0].colour",
        ),
        (
            "bad selector",
            "item = ",
            "item = \"article[[\"",
            "source[0].listing.item",
        ),
        (
            "bad cron",
            "schedule = ",
            "schedule = \"every half hour\"",
            "source[0].schedule",
        ),
        (
            "unknown time zone",
            "timezone = ",
            "timezone = \"Asia/Almatty\"",
            "source[0].timezone",
        ),
        (
            "bad URL",
            "listing_urls = ",
            "listing_urls = [\"not a url\"]",
            "source[0].listing_urls",
        ),
    ];
    for (what, find, replace, key) in cases {
        let (dir, cfg, line) = bad_config(find, replace);
        for cmd in ["check", "refresh"] {
            let out = pressfeed()
                .arg("--config")
                .arg(&cfg)
                .arg(cmd)
                .timeout(Duration::from_secs(30))
                .output()
                .expect("run pressfeed");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(EX_CONFIG),
                "{what}: `{cmd}` exit code; stderr:\n{stderr}"
            );
            let loc = format!("config.toml:{line}:");
            assert!(
                stderr.contains(&loc),
                "{what}: `{cmd}` stderr lacks {loc:?}:\n{stderr}"
            );
            assert!(
                stderr.contains(key),
                "{what}: `{cmd}` stderr lacks key {key:?}:\n{stderr}"
            );
        }
        assert!(
            !dir.path().join("feeds").exists(),
            "{what}: feeds dir created"
        );
        assert!(
            !dir.path().join("pressfeed.db").exists(),
            "{what}: database created"
        );
    }
}

#[test]
fn shipped_config_is_valid() {
    let cfg = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml");
    assert!(cfg.is_file(), "the repository must ship config.toml");
    pressfeed()
        .arg("--config")
        .arg(&cfg)
        .arg("check")
        .assert()
        .success();
}

/// The subcommands `pressfeed --help` lists (its `Commands:` section), `help` left out.
fn listed_commands() -> Vec<String> {
    let out = pressfeed()
        .arg("--help")
        .output()
        .expect("run pressfeed --help");
    assert!(out.status.success(), "pressfeed --help failed");
    let text = String::from_utf8(out.stdout).expect("UTF-8 help");
    text.lines()
        .skip_while(|l| l.trim() != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        // A command line is indented once; continuation lines of a long description are
        // indented further.
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn help_works_for_every_command() {
    let listed = listed_commands();
    // The list is read from the help itself, so a new command is covered without editing
    // this test; the known ones must be among them (or the parsing above broke).
    for known in [
        "check", "refresh", "backfill", "status", "run", "preview", "render",
    ] {
        assert!(
            listed.iter().any(|c| c == known),
            "{known} missing from `pressfeed --help`: {listed:?}"
        );
    }
    for cmd in &listed {
        for args in [vec![cmd.as_str(), "--help"], vec!["help", cmd.as_str()]] {
            pressfeed()
                .args(&args)
                .assert()
                .success()
                .stdout(predicates::str::contains(format!("Usage: pressfeed {cmd}")));
        }
    }
}

/// Bytes, mtime and inode of each feed file: an atomic rewrite shows as a new inode even
/// when the bytes and the mtime happen to match.
fn feed_files(dir: &Path, id: &str) -> Vec<(Vec<u8>, SystemTime, u64)> {
    use std::os::unix::fs::MetadataExt as _;
    ["rss", "atom", "json"]
        .iter()
        .map(|ext| {
            let p = dir.join("feeds").join(format!("{id}.{ext}"));
            let meta = fs::metadata(&p).expect("feed file");
            let mtime = meta.modified().expect("feed mtime");
            (fs::read(&p).expect("feed file"), mtime, meta.ino())
        })
        .collect()
}

fn stored_count(db: &Path) -> i64 {
    rusqlite::Connection::open(db)
        .expect("open db")
        .query_row(
            "SELECT COUNT(*) FROM articles WHERE source = 'wp'",
            [],
            |r| r.get(0),
        )
        .expect("count articles")
}

const NO_ITEMS: &str = "the listing pages yielded no article links";

#[test]
fn a_listing_with_zero_links_fails_the_source_and_leaves_its_feeds_alone() {
    let run = setup("wp");
    refresh(&run.cfg);
    let before = feed_files(run.dir.path(), "wp");
    let db = run.dir.path().join("pressfeed.db");
    assert_eq!(stored_count(&db), 7);

    // The theme changed: the listing page still renders (menu, header, footer) but shows no
    // article entries and no pagination.
    let listing = run.server.file("category/genprokuratura/index.html");
    let cut = |text: &str, from: &str, to: &str| {
        let a = text.find(from).expect("start marker");
        let b = text.rfind(to).expect("end marker") + to.len();
        format!("{}{}", &text[..a], &text[b..])
    };
    let broken = cut(&listing, "<article", "</article>");
    let broken = cut(&broken, "<nav class=\"navigation pagination\"", "</nav>");
    let broken: String = broken
        .lines()
        .filter(|l| !l.contains("rel=\"next\""))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(!broken.contains("<article") && !broken.contains("page/2/"));
    run.server
        .set_file("category/genprokuratura/index.html", broken);

    let (code, text) = run_refresh(&run.cfg);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("(0 found on 1 listing page, 0 feed files rewritten"),
        "{text}"
    );
    assert!(text.contains(&format!("wp: FAILED: {NO_ITEMS}")), "{text}");
    assert!(
        before == feed_files(run.dir.path(), "wp"),
        "feed files touched by a failed run"
    );
    assert_eq!(stored_count(&db), 7, "stored articles kept");

    // The failure is recorded for `status` (and the daemon's index).
    let out = pressfeed()
        .arg("--config")
        .arg(&run.cfg)
        .arg("status")
        .output()
        .expect("run pressfeed status");
    let status = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{status}");
    let row: Vec<&str> = status
        .lines()
        .find(|l| l.starts_with("wp "))
        .unwrap_or_else(|| panic!("no wp row:\n{status}"))
        .split_whitespace()
        .collect();
    // SOURCE, LAST SUCCESS (3 words), LAST ATTEMPT (3 words), FAILURES, STORED, FOUND, ...
    assert_eq!(&row[7..10], ["1", "7", "0"], "{status}");
    assert!(status.contains(NO_ITEMS), "{status}");

    // In process, the report counts the failure by kind (what the daemon's metrics export).
    let config = pressfeed::config::Config::load(&run.cfg).expect("config");
    let fetcher = pressfeed::http::Fetcher::new(&config.settings).expect("fetcher");
    let store = std::sync::Arc::new(std::sync::Mutex::new(
        pressfeed::store::Store::open(&config.settings.database).expect("store"),
    ));
    let pipeline = pressfeed::pipeline::Pipeline::new(config.settings.clone(), fetcher, store);
    let report = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(pipeline.run(
            &config.sources[0],
            &pressfeed::pipeline::RunOptions::default(),
            None,
        ));
    assert!(report.failed_entirely(), "{report:?}");
    assert!(
        report
            .fatal
            .as_deref()
            .is_some_and(|f| f.starts_with(NO_ITEMS)),
        "{report:?}"
    );
    assert_eq!(
        report.errors_by_kind,
        [("no_items".to_string(), 1)].into_iter().collect(),
        "{report:?}"
    );
    assert_eq!((report.found, report.feeds_written), (0, 0), "{report:?}");
    assert!(
        before == feed_files(run.dir.path(), "wp"),
        "feed files touched by a failed run"
    );
}
