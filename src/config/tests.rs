//! The config parser's cases: a full valid file, then every kind of mistake an admin makes,
//! each checked for its exact `file:line:column: key: message`.

use super::span::line_col;
use super::*;

const FULL: &str = r#"
[settings]
database = "data/pressfeed.db"
feeds_dir = "/srv/feeds"
base_url = "https://feeds.example.org/press"
user_agent = "pressfeed-test/1.0"
connect_timeout_secs = 5
request_timeout_secs = 20
max_body_bytes = 1048576
per_host_concurrency = 4
listen = "0.0.0.0:9090"

[[source]]
id = "prokuror-ru"
title = "Генпрокуратура РК"
description = "Пресс-релизы"
language = "ru"
timezone = "Asia/Almaty"
site_url = "https://prokuror.example.kz/"
listing_urls = ["https://prokuror.example.kz/category/news/", "http://prokuror.example.kz/page/2/"]
schedule = "*/30 * * * *"
items = 20
max_pages = 3
recheck_hours = 0

[source.listing]
item = "article.post"
link = "h2.entry-title a@href"
title = "h2.entry-title a"
date = "time@datetime"
summary = ".entry-summary"
image = "img@data-src"
next = "a.next.page-numbers@href"

[source.article]
title = "h1.entry-title"
content = "div.entry-content"
date = "time.entry-date.published@datetime"
modified = "time.updated@datetime"
author = ".byline .author"
categories = ".cat-links a"
image = ".post-thumbnail img@src"
remove = [".sharedaddy", ".jp-relatedposts", ".addtoany_share_save_container"]

[[source]]
id = "prokuror-kk"
title = "Бас прокуратура"
listing_urls = ["https://kk.example.kz:8443/kk/news/?page=1"]
"#;

const MINIMAL: &str = r#"[[source]]
id = "a"
title = "A"
listing_urls = ["https://example.kz/news/"]
"#;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("config.toml"))
}

fn err(text: &str) -> String {
    match parse(text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e.to_string(),
    }
}

/// 1-based line and column (in characters) of the `nth` (0-based) occurrence of `needle`.
fn at_nth(text: &str, needle: &str, nth: usize) -> (usize, usize) {
    let (offset, _) = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("{needle:?} not in test input"));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before[before.rfind('\n').map_or(0, |p| p + 1)..]
        .chars()
        .count()
        + 1;
    (line, col)
}

/// The full message expected for an error at the first `needle` in `text`.
fn expect(text: &str, needle: &str, key: &str, message: &str) -> String {
    expect_nth(text, needle, 0, key, message)
}

fn expect_nth(text: &str, needle: &str, nth: usize, key: &str, message: &str) -> String {
    let (l, c) = at_nth(text, needle, nth);
    if key.is_empty() {
        format!("config.toml:{l}:{c}: {message}")
    } else {
        format!("config.toml:{l}:{c}: {key}: {message}")
    }
}

/// MINIMAL with `from` replaced by `to` (which must occur).
fn minimal_with(from: &str, to: &str) -> String {
    assert!(MINIMAL.contains(from), "{from:?}");
    MINIMAL.replacen(from, to, 1)
}

#[test]
fn full_config_parses() {
    let c = Config::parse(FULL, Path::new("/etc/pressfeed/config.toml")).expect("valid");
    let s = &c.settings;
    assert_eq!(
        s.database,
        PathBuf::from("/etc/pressfeed/data/pressfeed.db")
    );
    assert_eq!(s.feeds_dir, PathBuf::from("/srv/feeds"));
    assert_eq!(s.base_url.as_str(), "https://feeds.example.org/press/");
    assert_eq!(s.user_agent, "pressfeed-test/1.0");
    assert_eq!(s.connect_timeout, Duration::from_secs(5));
    assert_eq!(s.request_timeout, Duration::from_secs(20));
    assert_eq!(s.max_body_bytes, 1_048_576);
    assert_eq!(s.per_host_concurrency, 4);
    assert_eq!(
        s.listen,
        "0.0.0.0:9090".parse::<SocketAddr>().expect("addr")
    );

    assert_eq!(c.sources.len(), 2);
    let a = &c.sources[0];
    assert_eq!(a.id, "prokuror-ru");
    assert_eq!(a.title, "Генпрокуратура РК");
    assert_eq!(a.description, "Пресс-релизы");
    assert_eq!(a.language, "ru");
    assert_eq!(a.timezone, chrono_tz::Asia::Almaty);
    assert_eq!(a.site_url.as_str(), "https://prokuror.example.kz/");
    assert_eq!(
        a.listing_urls.iter().map(Url::as_str).collect::<Vec<_>>(),
        [
            "https://prokuror.example.kz/category/news/",
            "http://prokuror.example.kz/page/2/"
        ]
    );
    assert_eq!(a.schedule.expr, "*/30 * * * *");
    assert_eq!(a.items, 20);
    assert_eq!(a.max_pages, 3);
    assert_eq!(a.recheck_age, Duration::ZERO);
    let raw = |p: &Option<Pick>| p.as_ref().map(|p| p.raw.clone());
    assert_eq!(raw(&a.listing.item).as_deref(), Some("article.post"));
    assert_eq!(
        raw(&a.listing.link).as_deref(),
        Some("h2.entry-title a@href")
    );
    assert_eq!(
        a.listing.link.as_ref().and_then(|p| p.attr.as_deref()),
        Some("href")
    );
    assert_eq!(raw(&a.listing.title).as_deref(), Some("h2.entry-title a"));
    assert_eq!(raw(&a.listing.date).as_deref(), Some("time@datetime"));
    assert_eq!(raw(&a.listing.summary).as_deref(), Some(".entry-summary"));
    assert_eq!(raw(&a.listing.image).as_deref(), Some("img@data-src"));
    assert_eq!(
        raw(&a.listing.next).as_deref(),
        Some("a.next.page-numbers@href")
    );
    assert_eq!(raw(&a.article.title).as_deref(), Some("h1.entry-title"));
    assert_eq!(
        raw(&a.article.content).as_deref(),
        Some("div.entry-content")
    );
    assert_eq!(
        raw(&a.article.date).as_deref(),
        Some("time.entry-date.published@datetime")
    );
    assert_eq!(
        raw(&a.article.modified).as_deref(),
        Some("time.updated@datetime")
    );
    assert_eq!(raw(&a.article.author).as_deref(), Some(".byline .author"));
    assert_eq!(raw(&a.article.categories).as_deref(), Some(".cat-links a"));
    assert_eq!(
        raw(&a.article.image).as_deref(),
        Some(".post-thumbnail img@src")
    );
    assert_eq!(
        a.article
            .remove
            .iter()
            .map(|p| p.raw.as_str())
            .collect::<Vec<_>>(),
        [
            ".sharedaddy",
            ".jp-relatedposts",
            ".addtoany_share_save_container"
        ]
    );

    let b = &c.sources[1];
    assert_eq!(b.site_url.as_str(), "https://kk.example.kz:8443/");
    assert_eq!(b.description, "Бас прокуратура");

    let (rss, atom, json) = a.feed_urls(s);
    assert_eq!(
        rss.as_str(),
        "https://feeds.example.org/press/feeds/prokuror-ru.rss"
    );
    assert_eq!(
        atom.as_str(),
        "https://feeds.example.org/press/feeds/prokuror-ru.atom"
    );
    assert_eq!(
        json.as_str(),
        "https://feeds.example.org/press/feeds/prokuror-ru.json"
    );

    let picked = c.select(&["prokuror-kk".into()]).expect("known id");
    assert_eq!(picked.len(), 1);
    assert!(c.select(&["nope".into()]).is_err());
}

#[test]
fn defaults_applied() {
    let c = Config::parse(MINIMAL, Path::new("/etc/pf/config.toml")).expect("valid");
    let s = &c.settings;
    assert_eq!(s.database, PathBuf::from("/etc/pf/pressfeed.db"));
    assert_eq!(s.feeds_dir, PathBuf::from("/etc/pf/feeds"));
    assert_eq!(
        s.listen,
        "127.0.0.1:8080".parse::<SocketAddr>().expect("addr")
    );
    assert_eq!(s.base_url.as_str(), "http://127.0.0.1:8080/");
    assert_eq!(
        s.user_agent,
        format!("pressfeed/{}", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(s.connect_timeout, Duration::from_secs(10));
    assert_eq!(s.request_timeout, Duration::from_secs(30));
    assert_eq!(s.max_body_bytes, 5 * 1024 * 1024);
    assert_eq!(s.per_host_concurrency, 2);
    assert!(s.respect_robots);
    assert_eq!(s.min_delay, Duration::from_millis(1000));
    assert_eq!(s.max_retry_after, Duration::from_secs(120));
    assert_eq!(s.retries, 2);

    let a = &c.sources[0];
    assert!(a.allowed_hosts.is_empty());
    assert_eq!(a.description, "A");
    assert_eq!(a.language, "ru");
    assert_eq!(a.timezone, Tz::UTC);
    assert_eq!(a.site_url.as_str(), "https://example.kz/");
    assert_eq!(a.schedule.expr, "@hourly");
    assert_eq!(a.items, 50);
    assert_eq!(a.max_pages, 1);
    assert_eq!(a.recheck_age, Duration::from_secs(48 * 3600));
    assert!(a.listing.item.is_none() && a.listing.link.is_none());
    assert!(a.article.content.is_none() && a.article.remove.is_empty());
    let (rss, _, json) = a.feed_urls(s);
    assert_eq!(rss.as_str(), "http://127.0.0.1:8080/feeds/a.rss");
    assert_eq!(json.as_str(), "http://127.0.0.1:8080/feeds/a.json");

    // a bare file name keeps relative paths relative to the working directory
    let c = parse(MINIMAL).expect("valid");
    assert_eq!(c.settings.database, PathBuf::from("pressfeed.db"));

    // base_url follows listen
    let t = format!("[settings]\nlisten = \"[::1]:9000\"\n{MINIMAL}");
    let c = parse(&t).expect("valid");
    assert_eq!(c.settings.base_url.as_str(), "http://[::1]:9000/");
}

#[test]
fn unknown_keys() {
    let t = format!("color = \"red\"\n{MINIMAL}");
    assert_eq!(
        err(&t),
        expect(
            &t,
            "color",
            "color",
            r#"unknown key "color", expected one of "settings", "source", "feed""#
        )
    );

    let t = format!("[settings]\ndatabse = \"x.db\"\n{MINIMAL}");
    assert_eq!(
        err(&t),
        expect(
            &t,
            "databse",
            "settings.databse",
            "unknown key \"databse\", expected one of \"database\", \"feeds_dir\", \
             \"base_url\", \"user_agent\", \"connect_timeout_secs\", \
             \"request_timeout_secs\", \"max_body_bytes\", \"per_host_concurrency\", \
             \"listen\", \"shutdown_grace_secs\", \"schedule_jitter_secs\", \"hubs\", \
             \"respect_robots\", \"min_delay_ms\", \"max_retry_after_secs\", \"retries\", \
             \"proxy\", \"ca_file\", \"alerts\", \"language\", \"http_header_timeout_secs\", \"http_idle_timeout_secs\", \
             \"http_max_connections\", \"http_max_header_bytes\""
        )
    );

    let t = format!("{MINIMAL}[[source]]\nid = \"b\"\ntitle = \"B\"\nlisting_url = []\n");
    assert_eq!(
        err(&t),
        expect(
            &t,
            "listing_url =",
            "source[1].listing_url",
            "unknown key \"listing_url\", expected one of \"id\", \"title\", \
             \"description\", \"language\", \"timezone\", \"site_url\", \"listing_urls\", \
             \"schedule\", \"items\", \"max_pages\", \"recheck_hours\", \"page_url_template\", \
             \"hubs\", \"allowed_hosts\", \"listing\", \"article\", \"kind\", \"wordpress\", \
             \"json\", \"languages\", \"keep_days\", \"keep_items\", \"filter\", \"respect_robots\""
        )
    );

    let t = format!("{MINIMAL}[source.listing]\nitem = \"li\"\nitems = \"li\"\n");
    assert_eq!(
        err(&t),
        expect(
            &t,
            "items =",
            "source[0].listing.items",
            "unknown key \"items\", expected one of \"item\", \"link\", \"title\", \
             \"date\", \"summary\", \"image\", \"next\""
        )
    );

    // inline tables too
    let t = format!("{MINIMAL}article = {{ content = \"main\", body = \"x\" }}\n");
    assert_eq!(
        err(&t),
        expect(
            &t,
            "body",
            "source[0].article.body",
            "unknown key \"body\", expected one of \"title\", \"content\", \"date\", \
             \"modified\", \"author\", \"categories\", \"image\", \"remove\", \
             \"signature_pattern\""
        )
    );
}

#[test]
fn bad_selectors() {
    let t = format!("{MINIMAL}[source.listing]\nitem = \"div[\"\n");
    let css_err = Pick::parse("div[").err().unwrap_or_default();
    assert_eq!(
        err(&t),
        expect(&t, "\"div[\"", "source[0].listing.item", &css_err)
    );

    let t = format!("{MINIMAL}[source.article]\nremove = [\".a\", \".b\", \"img@\"]\n");
    assert_eq!(
        err(&t),
        expect(
            &t,
            "\"img@\"",
            "source[0].article.remove[2]",
            "invalid attribute name \"\" after '@'"
        )
    );
}

#[test]
fn bad_schedule() {
    let t = minimal_with("title = \"A\"\n", "title = \"A\"\nschedule = \"0 9 * *\"\n");
    assert_eq!(
        err(&t),
        expect(
            &t,
            "\"0 9",
            "source[0].schedule",
            "expected 5 fields (crontab), 6 or 7 (with seconds) or a @shortcut, found 4"
        )
    );
    let t = minimal_with(
        "title = \"A\"\n",
        "title = \"A\"\nschedule = \"@sometimes\"\n",
    );
    assert_eq!(
        err(&t),
        expect(
            &t,
            "\"@sometimes",
            "source[0].schedule",
            "unknown shortcut \"@sometimes\", expected one of @yearly, @annually, \
             @monthly, @weekly, @daily, @midnight, @hourly"
        )
    );
}

#[test]
fn unknown_time_zone() {
    let t = minimal_with(
        "title = \"A\"\n",
        "title = \"A\"\ntimezone = \"Asia/Almatty\"\n",
    );
    assert_eq!(
        err(&t),
        expect(
            &t,
            "\"Asia/Almatty\"",
            "source[0].timezone",
            "unknown time zone \"Asia/Almatty\"; did you mean \"Asia/Almaty\"?"
        )
    );
    let t = minimal_with(
        "title = \"A\"\n",
        "title = \"A\"\ntimezone = \"Mars/Olympus\"\n",
    );
    assert_eq!(
        err(&t),
        expect(
            &t,
            "\"Mars",
            "source[0].timezone",
            "unknown time zone \"Mars/Olympus\""
        )
    );
}

#[test]
fn bad_urls() {
    let cases = [
        (
            "/news/",
            "\"/news/\" is not an absolute URL (expected http://... or https://...)",
        ),
        (
            "ftp://example.kz/",
            "URL \"ftp://example.kz/\" must use http or https, not ftp",
        ),
        (
            "not a url",
            "\"not a url\" is not an absolute URL (expected http://... or https://...)",
        ),
        (
            "http://exa mple.kz/",
            "invalid URL \"http://exa mple.kz/\": invalid international domain name",
        ),
        ("https://", "invalid URL \"https://\": empty host"),
    ];
    for (bad, message) in cases {
        let t = minimal_with(
            "[\"https://example.kz/news/\"]",
            &format!("[\"https://example.kz/news/\", \"{bad}\"]"),
        );
        assert_eq!(
            err(&t),
            expect(
                &t,
                &format!("\"{bad}\""),
                "source[0].listing_urls[1]",
                message
            ),
            "{bad}"
        );
    }
    let t = minimal_with(
        "title = \"A\"\n",
        "title = \"A\"\nsite_url = \"example.kz\"\n",
    );
    assert_eq!(
        err(&t),
        expect(
            &t,
            "\"example.kz\"",
            "source[0].site_url",
            "\"example.kz\" is not an absolute URL (expected http://... or https://...)"
        )
    );
    let t = format!("[settings]\nbase_url = \"file:///srv/feeds/\"\n{MINIMAL}");
    assert_eq!(
        err(&t),
        expect(
            &t,
            "\"file:",
            "settings.base_url",
            "URL \"file:///srv/feeds/\" must use http or https, not file"
        )
    );
    let t = minimal_with("[\"https://example.kz/news/\"]", "[]");
    assert_eq!(
        err(&t),
        expect(
            &t,
            "[]",
            "source[0].listing_urls",
            "at least one listing URL is required"
        )
    );
}

#[test]
fn bad_and_duplicate_ids() {
    for bad in ["Prokuror", "-x", "a b", "", &"x".repeat(65)] {
        let t = minimal_with("id = \"a\"", &format!("id = \"{bad}\""));
        assert_eq!(
            err(&t),
            expect(
                &t,
                &format!("\"{bad}\""),
                "source[0].id",
                &format!(
                    "invalid id \"{bad}\": use 1 to 64 lowercase letters, digits, \"-\" or \
                     \"_\", starting with a letter or digit"
                )
            ),
            "{bad}"
        );
    }
    assert!(
        parse(&minimal_with(
            "id = \"a\"",
            &format!("id = \"{}\"", "x".repeat(64))
        ))
        .is_ok()
    );

    let t = format!(
        "{MINIMAL}\n[[source]]\nid = \"a\"\ntitle = \"Again\"\nlisting_urls = [\"http://b.kz/\"]\n"
    );
    assert_eq!(
        err(&t),
        expect_nth(
            &t,
            "\"a\"",
            1,
            "source[1].id",
            "duplicate source id \"a\" (already used by source[0])"
        )
    );
}

#[test]
fn out_of_range_numbers() {
    let cases = [
        (
            "items = 0",
            "source[0].items",
            "must be between 1 and 1000, found 0",
        ),
        (
            "items = 1001",
            "source[0].items",
            "must be between 1 and 1000, found 1001",
        ),
        (
            "max_pages = -1",
            "source[0].max_pages",
            "must be between 1 and 1000, found -1",
        ),
        (
            "recheck_hours = 8761",
            "source[0].recheck_hours",
            "must be between 0 and 8760, found 8761",
        ),
    ];
    for (line, key, message) in cases {
        let t = minimal_with("title = \"A\"\n", &format!("title = \"A\"\n{line}\n"));
        // the error points at the value, just after "key = "
        let (l, c) = at_nth(&t, line, 0);
        let c = c + line.find(" = ").unwrap_or_default() + 3;
        assert_eq!(err(&t), format!("config.toml:{l}:{c}: {key}: {message}"));
    }
    let cases = [
        (
            "per_host_concurrency = 33",
            "settings.per_host_concurrency",
            "must be between 1 and 32, found 33",
        ),
        (
            "connect_timeout_secs = 0",
            "settings.connect_timeout_secs",
            "must be at least 1, found 0",
        ),
        (
            "request_timeout_secs = -5",
            "settings.request_timeout_secs",
            "must be at least 1, found -5",
        ),
        (
            "max_body_bytes = 0",
            "settings.max_body_bytes",
            "must be at least 1, found 0",
        ),
    ];
    for (line, key, message) in cases {
        let t = format!("[settings]\n{line}\n{MINIMAL}");
        let (l, c) = at_nth(&t, " = ", 0);
        assert_eq!(
            err(&t),
            format!("config.toml:{l}:{}: {key}: {message}", c + 3)
        );
    }
}

#[test]
fn politeness_settings_and_allowed_hosts() {
    let t = format!(
        "[settings]\nrespect_robots = false\nmin_delay_ms = 0\nmax_retry_after_secs = 30\n\
         retries = 0\n{MINIMAL}allowed_hosts = [\"CDN.Example.kz.\", \"*.gov.kz\", \"10.1.2.3\"]\n"
    );
    let c = parse(&t).expect("valid");
    assert!(!c.settings.respect_robots);
    assert_eq!(c.settings.min_delay, Duration::ZERO);
    assert_eq!(c.settings.max_retry_after, Duration::from_secs(30));
    assert_eq!(c.settings.retries, 0);
    assert_eq!(
        c.sources[0].allowed_hosts,
        ["cdn.example.kz", "*.gov.kz", "10.1.2.3"]
    );

    for (line, key, message) in [
        (
            "min_delay_ms = -1",
            "settings.min_delay_ms",
            "must be between 0 and 600000, found -1",
        ),
        (
            "retries = 11",
            "settings.retries",
            "must be between 0 and 10, found 11",
        ),
        (
            "max_retry_after_secs = 86401",
            "settings.max_retry_after_secs",
            "must be between 0 and 86400, found 86401",
        ),
    ] {
        let t = format!("[settings]\n{line}\n{MINIMAL}");
        let (l, c) = at_nth(&t, " = ", 0);
        assert_eq!(
            err(&t),
            format!("config.toml:{l}:{}: {key}: {message}", c + 3)
        );
    }

    let t = format!("[settings]\nrespect_robots = \"yes\"\n{MINIMAL}");
    assert!(err(&t).contains("settings.respect_robots"), "{}", err(&t));

    for bad in ["https://cdn.example.kz/", "cdn.example.kz:8080", ""] {
        let t = format!("{MINIMAL}allowed_hosts = [\"ok.kz\", \"{bad}\"]\n");
        let e = err(&t);
        assert!(
            e.contains("source[0].allowed_hosts[1]: invalid host"),
            "{bad}: {e}"
        );
    }
}

#[test]
fn other_settings_checks() {
    let t = format!("[settings]\nlisten = \"localhost\"\n{MINIMAL}");
    assert_eq!(
        err(&t),
        expect(
            &t,
            "\"localhost\"",
            "settings.listen",
            "invalid listen address \"localhost\": invalid socket address syntax \
             (expected e.g. \"127.0.0.1:8080\")"
        )
    );
    let t = format!("[settings]\nuser_agent = \"\"\n{MINIMAL}");
    assert_eq!(
        err(&t),
        expect(
            &t,
            "\"\"",
            "settings.user_agent",
            "must be non-empty printable ASCII (it is sent as an HTTP header)"
        )
    );
    let t = minimal_with("title = \"A\"\n", "title = \"A\"\nlanguage = \"russian\"\n");
    assert_eq!(
        err(&t),
        expect(
            &t,
            "\"russian\"",
            "source[0].language",
            "invalid language tag \"russian\": expected a BCP 47 tag such as \"ru\", \"kk\" \
             or \"kk-KZ\""
        )
    );
    assert!(
        parse(&minimal_with(
            "title = \"A\"\n",
            "title = \"A\"\nlanguage = \"kk-KZ\"\n"
        ))
        .is_ok()
    );
    let t = minimal_with("title = \"A\"", "title = \"  \"");
    assert_eq!(
        err(&t),
        expect(&t, "\"  \"", "source[0].title", "must not be empty")
    );
}

#[test]
fn missing_pieces() {
    let t = "[settings]\nlisten = \"127.0.0.1:1\"\n";
    assert_eq!(err(t), "config.toml:1:1: source: no [[source]] defined");
    let t = "source = []\n";
    assert_eq!(err(t), expect(t, "[]", "source", "no [[source]] defined"));

    let t = format!("{MINIMAL}\n[[source]]\nid = \"b\"\nlisting_urls = [\"http://b.kz/\"]\n");
    assert_eq!(
        err(&t),
        expect_nth(
            &t,
            "[[source]]",
            1,
            "source[1].title",
            "missing required key"
        )
    );
}

#[test]
fn toml_syntax_error() {
    let t = format!("{MINIMAL}[source.listing\nitem = \"li\"\n");
    let (l, c) = at_nth(&t, "[source.listing", 0);
    assert_eq!(
        err(&t),
        format!(
            "config.toml:{l}:{}: invalid TOML: unclosed table, expected `]`",
            c + "[source.listing".len()
        )
    );
    let t = minimal_with("title = \"A\"", "title = \"A");
    assert!(err(&t).starts_with("config.toml:3:"), "{}", err(&t));
}

#[test]
fn wrong_types() {
    let t = minimal_with("title = \"A\"\n", "title = \"A\"\nitems = \"50\"\n");
    assert_eq!(
        err(&t),
        expect(
            &t,
            "\"50\"",
            "source[0].items",
            "invalid type: string \"50\", expected an integer"
        )
    );
    let t = minimal_with(
        "[\"https://example.kz/news/\"]",
        "\"https://example.kz/news/\"",
    );
    assert_eq!(
        err(&t),
        expect(
            &t,
            "\"https://example.kz/news/\"",
            "source[0].listing_urls",
            "invalid type: string \"https://example.kz/news/\", expected an array"
        )
    );
    let t = format!("[[settings]]\n{MINIMAL}");
    assert_eq!(
        err(&t),
        expect(
            &t,
            "[[settings]]",
            "settings",
            "invalid type: array, expected a table"
        )
    );
    let t = "[source]\nid = \"a\"\n";
    assert_eq!(
        err(t),
        expect(
            t,
            "[source]",
            "source",
            "invalid type: table, expected an array"
        )
    );
    let t = format!("{MINIMAL}listing = [\"li\"]\n");
    assert_eq!(
        err(&t),
        expect(
            &t,
            "[\"li\"]",
            "source[0].listing",
            "invalid type: array, expected a table"
        )
    );
    let t = "source = [\"a\"]\n";
    assert_eq!(
        err(t),
        expect(
            t,
            "\"a\"",
            "source[0]",
            "invalid type: string, expected a table"
        )
    );
    let t = format!("settings = 5\n{MINIMAL}");
    assert_eq!(
        err(&t),
        expect(
            &t,
            "5",
            "settings",
            "invalid type: integer, expected a table"
        )
    );
}

const GOVKZ: &str = r#"[[source]]
id = "gp"
title = "Генпрокуратура"
kind = "json"
timezone = "Asia/Almaty"

[source.json]
url = "https://www.gov.kz/api/v1/public/content-manager/news?projects=eq:prokuror&page={page}&size=10&lang={lang}"
id = "id"
title = "/title"
date = "created_date"
body = "body"
image = "heropic"
image_base = "https://www.gov.kz"
link = "https://www.gov.kz/memleket/entities/prokuror/press/news/details/{id}?lang={lang}"
headers = { Accept-Language = "{lang}" }

[source.languages]
kk = { title = "Бас прокуратура" }
"#;

#[test]
fn json_source_with_language_twin() {
    let c = parse(GOVKZ).expect("valid");
    assert_eq!(c.sources.len(), 2);
    let (ru, kk) = (&c.sources[0], &c.sources[1]);
    assert_eq!((ru.id.as_str(), ru.language.as_str()), ("gp", "ru"));
    assert_eq!((kk.id.as_str(), kk.language.as_str()), ("gp-kk", "kk"));
    assert_eq!(kk.title, "Бас прокуратура");
    assert_eq!(ru.kind, SourceKind::Json);
    let (jr, jk) = (
        ru.json.as_ref().expect("json"),
        kk.json.as_ref().expect("json"),
    );
    assert!(jr.url.raw.ends_with("page={page}&size=10&lang=ru"));
    assert!(jk.link.raw.ends_with("details/{id}?lang=kk"));
    assert_eq!(
        jk.headers.expand("", &mut |_| String::new()),
        [("Accept-Language".to_string(), "kk".to_string())]
    );
    assert!(jr.items.is_root());
    assert_eq!(jr.first_page, 1);
    assert!(ru.listing_urls[0].as_str().contains("page=1&"));
    assert_eq!(ru.site_url.as_str(), "https://www.gov.kz/");
}

#[test]
fn bad_json_sources() {
    let t = GOVKZ.replace("id = \"id\"\n", "");
    assert_eq!(
        err(&t),
        expect(
            &t,
            "[source.json]",
            "source[0].json.id",
            "missing required key"
        )
    );
    let t = GOVKZ.replace("details/{id}", "details/{id");
    let e = err(&t);
    assert!(e.contains("source[0].json.link: unclosed \"{\""), "{e}");
    let t = GOVKZ.replace("title = \"/title\"", "title = \"a..b\"");
    assert!(
        err(&t).contains("source[0].json.title: invalid path"),
        "{}",
        err(&t)
    );
    let t = GOVKZ.replace("[source.json]", "[source.jsn]");
    assert!(
        err(&t).contains("source[0].jsn: unknown key"),
        "{}",
        err(&t)
    );
    let t = GOVKZ.replace("kind = \"json\"", "kind = \"xml\"");
    assert_eq!(
        err(&t),
        expect(
            &t,
            "\"xml\"",
            "source[0].kind",
            "unknown kind \"xml\", expected \"html\", \"json\", \"telegram\" or \"feed\""
        )
    );
    let t = GOVKZ.replace("kk = {", "kazakh = {");
    assert!(
        err(&t).contains("source[0].languages.kazakh: invalid language tag"),
        "{}",
        err(&t)
    );
    let t = format!("{MINIMAL}wordpress = \"maybe\"\n");
    assert!(
        err(&t).contains("source[0].wordpress: unknown value"),
        "{}",
        err(&t)
    );
}

#[test]
fn html_language_twins() {
    let t = format!(
        "{MINIMAL}wordpress = \"off\"\n[source.languages]\nkk = {{ listing_urls = [\"https://example.kz/kk/news/\"] }}\n"
    );
    let c = parse(&t).expect("valid");
    assert_eq!(c.sources[0].wordpress, WordPressMode::Off);
    let kk = &c.sources[1];
    assert_eq!(kk.id, "a-kk");
    assert_eq!(kk.title, "A (kk)");
    assert_eq!(kk.listing_urls[0].as_str(), "https://example.kz/kk/news/");
    let t = format!("{MINIMAL}[source.languages]\nkk = {{ title = \"K\" }}\n");
    assert!(
        err(&t).contains("source[0].languages.kk.listing_urls: missing required key"),
        "{}",
        err(&t)
    );
    let t = format!(
        "{MINIMAL}[source.languages]\nkk = {{ listing_urls = [\"https://example.kz/kk/\"] }}\n\
         [[source]]\nid = \"a-kk\"\ntitle = \"X\"\nlisting_urls = [\"https://b.kz/\"]\n"
    );
    assert!(
        err(&t).contains("duplicate source id \"a-kk\" (already used by source[0])"),
        "{}",
        err(&t)
    );
}

#[test]
fn columns_count_characters() {
    assert_eq!(line_col("ab\nжж x", 8), (2, 4));
    assert_eq!(line_col("", 10), (1, 1));
}
