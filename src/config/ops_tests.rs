//! The service keys' cases: `proxy`, `ca_file`, `[settings.alerts]`, `keep_days` and
//! `keep_items`, each valid form and each mistake with its `file:line:column: key: message`.

use super::span::line_col;
use super::*;

const SOURCE: &str = r#"
[[source]]
id = "a"
title = "A"
listing_urls = ["https://example.kz/news/"]
"#;

fn parse_in(dir: &Path, text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, &dir.join("config.toml"))
}

fn with_settings(settings: &str) -> String {
    format!("[settings]\n{settings}\n{SOURCE}")
}

fn with_source_keys(keys: &str) -> String {
    format!("{SOURCE}{keys}\n")
}

/// The message for an error at the first `needle` of `text`.
fn at(dir: &Path, text: &str, needle: &str, key: &str, message: &str) -> String {
    let offset = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in input"));
    let (l, c) = line_col(text, offset);
    format!(
        "{}:{l}:{c}: {key}: {message}",
        dir.join("config.toml").display()
    )
}

fn err(dir: &Path, text: &str) -> String {
    match parse_in(dir, text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e.to_string(),
    }
}

/// A self-signed certificate as PEM (the bytes only need to be a well-formed block).
fn pem_cert(name: &str) -> String {
    let key = rcgen::generate_simple_self_signed(vec![name.to_string()]).unwrap();
    key.cert.pem()
}

#[test]
fn service_keys_default_to_off() {
    let dir = tempfile::tempdir().unwrap();
    let c = parse_in(dir.path(), SOURCE).unwrap();
    assert_eq!(c.settings.proxy, None);
    assert_eq!(c.settings.ca_file, None);
    assert_eq!(c.settings.alerts, None);
    assert!(c.sources[0].retention.keeps_everything());
}

#[test]
fn proxy_accepts_http_https_and_socks() {
    let dir = tempfile::tempdir().unwrap();
    for url in [
        "http://proxy.example:3128",
        "https://user:secret@proxy.example",
        "socks5://127.0.0.1:1080",
        "socks5h://127.0.0.1:1080",
    ] {
        let c = parse_in(dir.path(), &with_settings(&format!("proxy = \"{url}\""))).unwrap();
        assert_eq!(
            c.settings.proxy.unwrap().scheme(),
            url.split(':').next().unwrap(),
            "{url}"
        );
    }
}

#[test]
fn bad_proxies_are_rejected_at_the_key() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    for (value, message) in [
        (
            "ftp://proxy.example",
            "unsupported proxy scheme \"ftp\": use one of http, https, socks4, socks4a, socks5, socks5h",
        ),
        (
            "proxy.example:3128",
            "unsupported proxy scheme \"proxy.example\": use one of http, https, socks4, socks4a, socks5, socks5h",
        ),
        (
            "http//nope",
            "invalid proxy URL: relative URL without a base (expected e.g. \"http://proxy.example:3128\" or \"socks5://127.0.0.1:1080\")",
        ),
    ] {
        let text = with_settings(&format!("proxy = \"{value}\""));
        assert_eq!(
            err(dir, &text),
            at(
                dir,
                &text,
                &format!("\"{value}\""),
                "settings.proxy",
                message
            ),
            "{value}"
        );
    }
}

#[test]
fn ca_file_reads_every_certificate_relative_to_the_config() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let bundle = format!(
        "# corporate roots\n{}{}",
        pem_cert("one.test"),
        pem_cert("two.test")
    );
    std::fs::write(dir.join("roots.pem"), bundle).unwrap();
    let c = parse_in(dir, &with_settings("ca_file = \"roots.pem\"")).unwrap();
    let ca = c.settings.ca_file.unwrap();
    assert_eq!(ca.path, dir.join("roots.pem"));
    assert_eq!(ca.certs.len(), 2);
}

#[test]
fn bad_ca_files_name_the_key_and_the_file() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    std::fs::write(dir.join("empty.pem"), "nothing here\n").unwrap();
    std::fs::write(dir.join("cut.pem"), "-----BEGIN CERTIFICATE-----\nMIIB\n").unwrap();
    std::fs::write(
        dir.join("garbage.pem"),
        "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let file = |n: &str| dir.join(n).display().to_string();
    let cases = [
        (
            "missing.pem",
            format!(
                "{}: cannot read: No such file or directory (os error 2)",
                file("missing.pem")
            ),
        ),
        (
            "empty.pem",
            format!(
                "{}: no certificate in it (expected -----BEGIN CERTIFICATE----- blocks)",
                file("empty.pem")
            ),
        ),
        (
            "cut.pem",
            format!(
                "{}: not a valid PEM file: a block does not end (no \"-----END CERTIFICATE-----\" line)",
                file("cut.pem")
            ),
        ),
        (
            "garbage.pem",
            format!(
                "{}: not a valid PEM file: a block is not valid base64",
                file("garbage.pem")
            ),
        ),
    ];
    for (name, message) in cases {
        let text = with_settings(&format!("ca_file = \"{name}\""));
        let got = err(dir, &text);
        let want = at(
            dir,
            &text,
            &format!("\"{name}\""),
            "settings.ca_file",
            &message,
        );
        assert!(
            got.starts_with(&want),
            "{name}: {got}\nwanted it to start with {want}"
        );
    }
    let text = with_settings("ca_file = \" \"");
    assert_eq!(
        err(dir, &text),
        at(dir, &text, "\" \"", "settings.ca_file", "must not be empty")
    );
}

#[test]
fn alerts_table_with_defaults_and_limits() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let c = parse_in(
        dir,
        &with_settings("[settings.alerts]\nwebhook = \"https://hooks.example/pressfeed\""),
    )
    .unwrap();
    let a = c.settings.alerts.unwrap();
    assert_eq!(a.webhook.as_str(), "https://hooks.example/pressfeed");
    assert_eq!(a.after_failures, 3);
    let c = parse_in(
        dir,
        &with_settings("[settings.alerts]\nwebhook = \"http://127.0.0.1:9/x\"\nafter_failures = 1"),
    )
    .unwrap();
    assert_eq!(c.settings.alerts.unwrap().after_failures, 1);

    let text = with_settings("[settings.alerts]\nafter_failures = 2");
    assert_eq!(
        err(dir, &text),
        at(
            dir,
            &text,
            "[settings.alerts]",
            "settings.alerts.webhook",
            "missing required key"
        )
    );
    let text = with_settings("[settings.alerts]\nwebhook = \"mailto:ops@example.kz\"");
    assert_eq!(
        err(dir, &text),
        at(
            dir,
            &text,
            "\"mailto",
            "settings.alerts.webhook",
            "URL \"mailto:ops@example.kz\" must use http or https, not mailto"
        )
    );
    let text =
        with_settings("[settings.alerts]\nwebhook = \"https://h.example/\"\nafter_failures = 0");
    assert_eq!(
        err(dir, &text),
        at(
            dir,
            &text,
            "0",
            "settings.alerts.after_failures",
            "must be between 1 and 1000, found 0"
        )
    );
    let text = with_settings("[settings.alerts]\nwebhook = \"https://h.example/\"\nemail = \"x\"");
    assert!(
        err(dir, &text).contains("settings.alerts.email"),
        "{}",
        err(dir, &text)
    );
}

#[test]
fn retention_keys_and_their_limits() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let c = parse_in(dir, &with_source_keys("keep_days = 90\nkeep_items = 500")).unwrap();
    assert_eq!(c.sources[0].retention.keep_days, Some(90));
    assert_eq!(c.sources[0].retention.keep_items, Some(500));
    let c = parse_in(dir, &with_source_keys("keep_days = 30")).unwrap();
    assert_eq!(c.sources[0].retention.keep_items, None);

    for (keys, needle, key, message) in [
        (
            "keep_days = 0",
            "0",
            "source[0].keep_days",
            "must be between 1 and 36500, found 0",
        ),
        (
            "keep_items = -5",
            "-5",
            "source[0].keep_items",
            "must be between 1 and 10000000, found -5",
        ),
        (
            "items = 50\nkeep_items = 20",
            "20",
            "source[0].keep_items",
            "must be at least items (50): the items a feed shows are never pruned",
        ),
        (
            "keep_items = 49",
            "49",
            "source[0].keep_items",
            "must be at least items (50): the items a feed shows are never pruned",
        ),
    ] {
        let text = with_source_keys(keys);
        assert_eq!(
            err(dir, &text),
            at(dir, &text, needle, key, message),
            "{keys}"
        );
    }
    let text = with_source_keys("keep_days = \"30\"");
    assert!(
        err(dir, &text).contains("source[0].keep_days"),
        "{}",
        err(dir, &text)
    );
}

#[test]
fn language_twins_inherit_the_retention() {
    let d = tempfile::tempdir().unwrap();
    let text = with_source_keys(
        "keep_days = 7\n[source.languages]\nkk = { listing_urls = [\"https://example.kz/kk/news/\"] }",
    );
    let c = parse_in(d.path(), &text).unwrap();
    assert_eq!(c.sources.len(), 2);
    assert!(c.sources.iter().all(|s| s.retention.keep_days == Some(7)));
}

#[test]
fn the_shipped_configs_commented_service_keys_are_valid_when_uncommented() {
    let shipped =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml")).unwrap();
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("extra-ca.pem"), pem_cert("ca.test")).unwrap();
    let keys = [
        "proxy =",
        "ca_file =",
        "[settings.alerts]",
        "webhook =",
        "after_failures =",
        "keep_days =",
        "keep_items =",
    ];
    let mut found = 0;
    let text: String = shipped
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest) if keys.iter().any(|k| rest.starts_with(k)) => {
                found += 1;
                rest.replace("/etc/pressfeed/extra-ca.pem", "extra-ca.pem") + "\n"
            }
            _ => format!("{l}\n"),
        })
        .collect();
    assert_eq!(
        found,
        keys.len(),
        "every key is shown, commented, in config.toml"
    );
    let c = parse_in(d.path(), &text).unwrap_or_else(|e| panic!("{e}"));
    assert!(c.settings.proxy.is_some() && c.settings.ca_file.is_some());
    assert_eq!(c.settings.alerts.unwrap().after_failures, 3);
    let optimism = c.sources.iter().find(|s| s.id == "genprokuratura-optimism");
    assert_eq!(optimism.unwrap().retention.keep_days, Some(365));
}
