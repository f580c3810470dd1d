//! `pressfeed preview` for sources a run reads through an API: a WordPress listing through
//! the REST step of the ladder, a `kind = "json"` portal through its API, and a gated API
//! through its session. The report has the listing/article shape of an HTML preview.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::common::{FixtureServer, fixture_dir, pressfeed};
use crate::gated_api::{Gate, GateServer};

/// Runs `pressfeed preview URL --source ID --json` in `dir` (which holds config.toml);
/// returns exit code, stdout and stderr.
fn preview(dir: &Path, url: &str, source: &str) -> (Option<i32>, String, String) {
    let out = pressfeed()
        .current_dir(dir)
        .args(["preview", url, "--source", source, "--json"])
        .timeout(Duration::from_secs(60))
        .output()
        .expect("run pressfeed preview");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn preview_json(dir: &Path, url: &str, source: &str) -> Value {
    let (code, stdout, stderr) = preview(dir, url, source);
    assert_eq!(code, Some(0), "preview failed: {stderr}");
    serde_json::from_str(&stdout).expect("preview --json prints JSON")
}

fn field<'a>(v: &'a Value, name: &str) -> (&'a Value, &'a Value) {
    let x = &v["article"]["fields"][name];
    (&x["value"], &x["step"])
}

fn titles(v: &Value) -> Vec<&str> {
    v["listing"]["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["title"].as_str())
        .collect()
}

/// Only config.toml in the directory: preview writes nothing.
fn nothing_written(dir: &Path) {
    let names: Vec<_> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, ["config.toml"]);
}

#[test]
fn a_wordpress_listing_is_previewed_through_the_rest_api_like_a_run_reads_it() {
    let server = FixtureServer::start(fixture_dir("wp-rest"));
    let dir = tempfile::tempdir().expect("temp dir");
    server.copy_config(dir.path(), "wp-rest");
    let v = preview_json(
        dir.path(),
        &server.url("/category/genprokuratura/"),
        "wprest",
    );
    assert_eq!(v["via"], "wordpress-rest", "{v:#}");
    assert_eq!(v["kind"], "listing");
    assert_eq!(v["api_error"], Value::Null);
    assert_eq!(
        v["listing"]["url"],
        server.url("/wp-json/wp/v2/posts?_embed=1&per_page=3&page=1&categories=5")
    );
    assert_eq!(titles(&v).len(), 3, "{v:#}");
    assert_eq!(
        v["listing"]["next"],
        server.url("/wp-json/wp/v2/posts?_embed=1&per_page=3&page=2&categories=5")
    );
    let (title, step) = field(&v, "title");
    assert_eq!(title.as_str(), titles(&v).first().copied());
    assert_eq!(step, "wordpress rest api");
    assert_eq!(v["article"]["error"], Value::Null, "{v:#}");
    // No article page: the REST record is the article.
    let pages: Vec<String> = server
        .requests()
        .into_iter()
        .map(|r| r.path_and_query)
        .filter(|p| p != "/robots.txt")
        .collect();
    assert_eq!(
        pages,
        [
            "/category/genprokuratura/",
            "/wp-json/wp/v2/categories?slug=genprokuratura",
            "/wp-json/wp/v2/posts?_embed=1&per_page=3&page=1&categories=5",
        ]
    );
    nothing_written(dir.path());
}

#[test]
fn a_wordpress_site_with_the_api_off_is_previewed_from_html_and_says_why() {
    let server = FixtureServer::start(fixture_dir("wp-rest"));
    server.set_fault(
        "/wp-json/wp/v2/categories",
        Some(crate::common::Fault::Status(403, vec![])),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    server.copy_config(dir.path(), "wp-rest");
    let v = preview_json(
        dir.path(),
        &server.url("/category/genprokuratura/"),
        "wprest",
    );
    assert_eq!(v["via"], "html");
    assert_eq!(v["kind"], "listing");
    let why = v["api_error"].as_str().expect("api_error");
    assert!(why.contains("HTTP 403"), "{why}");
    assert_eq!(v["listing"]["url"], server.url("/category/genprokuratura/"));
}

#[test]
fn a_json_portal_is_previewed_through_its_api_with_field_paths() {
    let server = FixtureServer::start(fixture_dir("govkz"));
    let dir = tempfile::tempdir().expect("temp dir");
    server.copy_config(dir.path(), "govkz");
    // The human page of the portal: the preview reads the API page a run reads first.
    let page = server.url("/memleket/entities/prokuror/press/news");
    let v = preview_json(dir.path(), &page, "gp-kk");
    assert_eq!(v["via"], "json-api", "{v:#}");
    assert_eq!(v["url"], page);
    let api = v["listing"]["url"].as_str().expect("API URL");
    assert!(api.contains("/api/v1/public/content-manager/news?") && api.contains("lang=kk"));
    assert_eq!(
        titles(&v),
        [
            "Бас прокуратура: сыбайлас жемқорлыққа \"нөлдік төзімділік\"",
            "Түркістан облысындағы «прокурорлық қадағалау»"
        ]
    );
    assert!(
        v["listing"]["next"]
            .as_str()
            .expect("next")
            .contains("page=2")
    );
    assert_eq!(field(&v, "title").1, "json title");
    assert_eq!(field(&v, "content").1, "json body");
    assert_eq!(field(&v, "language").0, "kk");
    assert!(
        field(&v, "published")
            .0
            .as_str()
            .is_some_and(|d| d.ends_with("+05:00")),
        "{v:#}"
    );
    let reqs = server.requests();
    let api_calls: Vec<_> = reqs
        .iter()
        .filter(|r| r.path_and_query.starts_with("/api/"))
        .collect();
    assert_eq!(
        api_calls.len(),
        1,
        "one API page, no detail: the list has a body"
    );
    assert_eq!(api_calls[0].header("accept-language"), Some("kk"));
    nothing_written(dir.path());
}

#[test]
fn a_gated_api_is_previewed_through_its_session_and_a_refusal_explains_itself() {
    let server = GateServer::start(Gate::Ticket, 3, None);
    let dir = tempfile::tempdir().expect("temp dir");
    let config = format!(
        "[settings]\nmin_delay_ms = 0\nretries = 0\n\n[[source]]\nid = \"gk\"\ntitle = \"G\"\n\
         kind = \"json\"\nrespect_robots = false\n\n[source.json]\n\
         url = \"{b}/api/v1/public/content-manager/news?src=gk&page={{page}}\"\n\
         id = \"id\"\ntitle = \"title\"\ndate = \"created_date\"\nbody = \"body\"\n\
         link = \"{b}/news/details/{{id}}\"\n\n[source.json.session]\n\
         url = \"{b}/api/v1/public/_/c/k6?src=gk\"\nbody = \"{{}}\"\n",
        b = server.base
    );
    std::fs::write(dir.path().join("config.toml"), config).expect("config");
    let site = format!("{}/memleket/entities/prokuror/press/news", server.base);
    let v = preview_json(dir.path(), &site, "gk");
    assert_eq!(titles(&v), ["Новость 3 (gk)", "Новость 2 (gk)"]);
    assert_eq!(
        v["article"]["url"],
        format!("{}/news/details/3", server.base)
    );
    let methods: Vec<String> = server
        .hits()
        .iter()
        .map(|h| format!("{} {}", h.method, h.path_and_query))
        .collect();
    assert_eq!(
        methods,
        [
            "POST /api/v1/public/_/c/k6?src=gk",
            "GET /api/v1/public/content-manager/news?src=gk&page=1"
        ]
    );

    server.reject_api(true);
    let (code, _, stderr) = preview(dir.path(), &site, "gk");
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("HTTP 400 \"notAllowed\"") && stderr.contains("[source.json.session]"),
        "{stderr}"
    );
    nothing_written(dir.path());
}
