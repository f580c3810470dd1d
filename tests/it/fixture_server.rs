//! Self-checks of the fixture server and fixture files, so a failing `refresh` test points at
//! pressfeed, not at the test harness.

use std::io::{Read, Write};
use std::net::TcpStream;

use crate::common::{FixtureServer, fixture_dir, load_expected};

/// Minimal HTTP/1.1 GET; returns (status, lower-cased headers, body bytes).
fn get(
    server: &FixtureServer,
    path: &str,
    extra: &[(&str, &str)],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let addr = server.base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).expect("connect fixture server");
    let mut req = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nUser-Agent: pressfeed/test\r\n"
    );
    for (k, v) in extra {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).expect("send request");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read response");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    (status, headers, body)
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = b.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&b[..eol])
            .ok()
            .and_then(|h| usize::from_str_radix(h.trim(), 16).ok())
            .unwrap_or(0);
        let Some(chunk) = b.get(eol + 2..eol + 2 + size) else {
            break;
        };
        if size == 0 {
            break;
        }
        out.extend_from_slice(chunk);
        b = b.get(eol + 2 + size + 2..).unwrap_or_default();
    }
    out
}

fn header<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

#[test]
fn wp_fixture_is_served_with_placeholder_replaced() {
    let server = FixtureServer::start(fixture_dir("wp"));
    let (st, h, body) = get(&server, "/category/genprokuratura/", &[]);
    assert_eq!(st, 200);
    assert_eq!(header(&h, "content-type"), Some("text/html; charset=utf-8"));
    let text = String::from_utf8(body).expect("utf-8");
    assert!(!text.contains("press.fixture"));
    assert!(text.contains(&format!("{}/category/genprokuratura/page/2/", server.base)));

    let seed = "/2025/09/24/v-turkestane-startoval-pervyj-mezhdunarodnyj-forum-gosudarstvennyh-obvinitelej/";
    let (_, _, normal) = get(&server, seed, &[]);
    let (_, _, amp) = get(&server, &format!("{seed}?amp=1"), &[]);
    assert!(String::from_utf8_lossy(&amp).contains("Exit mobile version"));
    assert!(!String::from_utf8_lossy(&normal).contains("Exit mobile version"));

    let (st, h, _) = get(&server, seed.trim_end_matches('/'), &[]);
    assert_eq!(st, 301);
    assert_eq!(header(&h, "location"), Some(seed));
    assert_eq!(get(&server, "/nope/", &[]).0, 404);
    assert_eq!(get(&server, "/../Cargo.toml", &[]).0 / 100, 4);

    let reqs = server.requests();
    assert_eq!(reqs.len(), 6);
    assert_eq!(reqs[0].path_and_query, "/category/genprokuratura/");
    assert_eq!(reqs[2].path_and_query, format!("{seed}?amp=1"));
    assert_eq!(reqs[0].header("user-agent"), Some("pressfeed/test"));
}

#[test]
fn etag_and_edits() {
    let server = FixtureServer::start(fixture_dir("wp"));
    let path = "/obyavlenie-o-lichnom-prieme-grazhdan/";
    let (_, h, _) = get(&server, path, &[]);
    let etag = header(&h, "etag").expect("etag").to_string();
    assert_eq!(get(&server, path, &[("If-None-Match", &etag)]).0, 304);

    let rel = "obyavlenie-o-lichnom-prieme-grazhdan/index.html";
    server.set_file(
        rel,
        server
            .file(rel)
            .replace("Заместитель", "Первый заместитель"),
    );
    let (st, h, body) = get(&server, path, &[("If-None-Match", &etag)]);
    assert_eq!(st, 200);
    assert_ne!(header(&h, "etag"), Some(etag.as_str()));
    assert!(String::from_utf8_lossy(&body).contains("Первый заместитель"));

    server.set_file("x.json", "{}");
    server.set_file("x.json.headers", "Cache-Control: no-store\n");
    let (_, h, _) = get(&server, "/x.json", &[]);
    assert_eq!(header(&h, "cache-control"), Some("no-store"));
    assert_eq!(get(&server, "/x.json.headers", &[]).0, 404);
}

#[test]
fn legacy_fixture_is_windows_1251_without_http_charset() {
    let server = FixtureServer::start(fixture_dir("legacy"));
    let (st, h, body) = get(&server, "/press/news_1.html", &[]);
    assert_eq!(st, 200);
    assert_eq!(header(&h, "content-type"), Some("text/html"));
    assert!(std::str::from_utf8(&body).is_err(), "must be cp1251 bytes");
    let (text, _, bad) = encoding_rs::WINDOWS_1251.decode(&body);
    assert!(!bad);
    assert!(text.contains("charset=windows-1251"));
    assert!(text.contains("24.09.2025 г.") && text.contains("&#150;") && text.contains("&#1178;"));
    assert!(text.contains("../images/x.jpg"));
}

#[test]
fn expected_files_parse_and_match_fixture_pages() {
    let wp = load_expected("wp", "http://h");
    assert_eq!(wp.articles.len(), 7);
    for a in &wp.articles {
        let rel = a.id.trim_start_matches("http://h/");
        let page = fixture_dir("wp").join(rel).join("index.html");
        assert!(page.is_file(), "{} has no page", a.id);
        assert!(
            a.published == "first-seen"
                || chrono::DateTime::parse_from_rfc3339(&a.published).is_ok()
        );
    }
    let legacy = load_expected("legacy", "http://h");
    assert_eq!(legacy.articles.len(), 3);
    for cfg in ["wp", "legacy"] {
        let text = std::fs::read_to_string(fixture_dir(cfg).join("config.toml")).expect("config");
        text.parse::<toml::Table>().expect("config is TOML");
    }
}
