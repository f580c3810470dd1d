//! `kind = "telegram"`: public Telegram channels read through their web preview,
//! `https://t.me/s/<channel>`. A listing URL of that shape on t.me or telegram.me makes a
//! source a Telegram source without `kind`; any other host (a mirror, a test server) needs
//! `kind = "telegram"` and the same `/s/<channel>` path.

use toml::Spanned;
use url::Url;

use super::span::Ctx;
use super::values::http_url;
use super::{ConfigError, SourceKind};

/// Hosts whose `/s/<channel>` pages are Telegram's channel previews.
const PREVIEW_HOSTS: [&str; 4] = ["t.me", "telegram.me", "www.t.me", "www.telegram.me"];

/// The channel name of a preview URL's path, `/s/<channel>` (a trailing slash allowed), on
/// any host; `None` for any other path. The name is not checked here: see [`check_channel`].
pub fn telegram_channel(url: &Url) -> Option<&str> {
    let rest = url.path().strip_prefix("/s/")?;
    let name = rest.strip_suffix('/').unwrap_or(rest);
    (!name.is_empty() && !name.contains('/')).then_some(name)
}

/// Whether `url` is a channel preview on Telegram's own hosts.
fn is_preview_url(url: &Url) -> bool {
    url.host_str()
        .is_some_and(|h| PREVIEW_HOSTS.contains(&h.to_ascii_lowercase().as_str()))
        && telegram_channel(url).is_some()
}

/// Telegram's rule for public usernames: 5 to 32 letters, digits and underscores, starting
/// with a letter, not ending with an underscore. Four-letter names exist (sold as
/// collectibles), so four is accepted too.
fn check_channel(name: &str) -> Result<(), String> {
    let ok_chars = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let starts = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    if ok_chars && starts && !name.ends_with('_') && (4..=32).contains(&name.len()) {
        Ok(())
    } else {
        Err(format!(
            "invalid Telegram channel name {name:?}: expected 4 to 32 letters, digits or \"_\", \
             starting with a letter and not ending with \"_\""
        ))
    }
}

/// Whether a source without `kind` is a Telegram source: every listing URL is a channel
/// preview on t.me or telegram.me. Unparsable URLs decide nothing (their own check reports
/// them).
pub(super) fn detected(listing_urls: Option<&Spanned<Vec<Spanned<String>>>>) -> bool {
    let Some(urls) = listing_urls else {
        return false;
    };
    !urls.get_ref().is_empty()
        && urls
            .get_ref()
            .iter()
            .all(|u| Url::parse(u.get_ref().trim()).is_ok_and(|u| is_preview_url(&u)))
}

impl Ctx<'_> {
    /// The listing URLs of an HTML or a Telegram source.
    pub(super) fn page_urls(
        &self,
        kind: SourceKind,
        urls: Spanned<Vec<Spanned<String>>>,
        key: &str,
    ) -> Result<Vec<Url>, ConfigError> {
        match kind {
            SourceKind::Telegram => self.telegram_urls(urls, key),
            _ => self.url_list(urls, key),
        }
    }

    /// The listing URLs of a Telegram source: each one a channel preview with a valid
    /// channel name and nothing after it.
    fn telegram_urls(
        &self,
        urls: Spanned<Vec<Spanned<String>>>,
        key: &str,
    ) -> Result<Vec<Url>, ConfigError> {
        if urls.get_ref().is_empty() {
            return Err(self.err(
                urls.span(),
                key,
                "at least one channel URL is required, e.g. \"https://t.me/s/<channel>\"",
            ));
        }
        let mut out = Vec::new();
        for (j, u) in urls.into_inner().into_iter().enumerate() {
            let fail = |m: String| self.err(u.span(), format!("{key}[{j}]"), m);
            let url = http_url(u.get_ref()).map_err(fail)?;
            out.push(preview_url(url).map_err(fail)?);
        }
        Ok(out)
    }
}

/// Checks one Telegram listing URL; explains the expected shape when it is not one.
fn preview_url(url: Url) -> Result<Url, String> {
    let Some(name) = telegram_channel(&url) else {
        let hint = url
            .path_segments()
            .and_then(|mut s| s.next().filter(|n| !n.is_empty()))
            .map(|n| format!(" (for channel {n:?}: {}s/{n})", origin(&url)))
            .unwrap_or_default();
        return Err(format!(
            "{url} is not a channel's web preview: expected <origin>/s/<channel>{hint}"
        ));
    };
    check_channel(name)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "{url}: a channel URL takes no query or fragment (older posts are followed by \
             their \"before\" links)"
        ));
    }
    Ok(url)
}

fn origin(url: &Url) -> String {
    format!("{}/", url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, SourceKind};

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn channel_names_follow_telegrams_username_rule() {
        for good in [
            "GenPr",
            "abcd",
            "press_service_kz",
            "a1234",
            &"a".repeat(32),
        ] {
            assert!(check_channel(good).is_ok(), "{good}");
        }
        for bad in [
            "abc",
            "1abcd",
            "_abcd",
            "abcd_",
            "ab-cd",
            "абвгд",
            &"a".repeat(33),
        ] {
            assert!(check_channel(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn preview_urls_are_recognized_on_telegram_hosts_only() {
        assert!(is_preview_url(&u("https://t.me/s/GenPr")));
        assert!(is_preview_url(&u("https://telegram.me/s/GenPr/")));
        assert!(!is_preview_url(&u("https://t.me/GenPr")));
        assert!(!is_preview_url(&u("https://t.me/s/GenPr/12")));
        assert!(!is_preview_url(&u("https://example.kz/s/GenPr")));
        assert_eq!(
            telegram_channel(&u("http://127.0.0.1:8080/s/fixture_chan")),
            Some("fixture_chan")
        );
    }

    #[test]
    fn a_channel_url_without_s_gets_a_hint() {
        let e = preview_url(u("https://t.me/GenPr")).unwrap_err();
        assert!(e.contains("https://t.me/s/GenPr"), "{e}");
        assert!(preview_url(u("https://t.me/s/GenPr?before=5")).is_err());
    }

    fn load(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, std::path::Path::new("config.toml"))
    }

    fn load_err(text: &str) -> String {
        load(text).map(|_| ()).unwrap_err().to_string()
    }

    const CHANNEL: &str = "[[source]]\nid = \"genpr\"\ntitle = \"ГП\"\n\
                           listing_urls = [\"https://t.me/s/GenPr\"]\n";

    #[test]
    fn a_t_me_preview_url_makes_a_telegram_source_without_kind() {
        let c = load(CHANNEL).unwrap();
        let s = &c.sources[0];
        assert_eq!(s.kind, SourceKind::Telegram);
        assert_eq!(s.site_url.as_str(), "https://t.me/s/GenPr");
        assert_eq!(s.listing_urls[0].as_str(), "https://t.me/s/GenPr");

        let other = CHANNEL.replace("https://t.me/s/GenPr", "https://example.kz/s/GenPr");
        assert_eq!(load(&other).unwrap().sources[0].kind, SourceKind::Html);
        let mixed = CHANNEL.replace("GenPr\"]", "GenPr\", \"https://example.kz/news/\"]");
        assert_eq!(load(&mixed).unwrap().sources[0].kind, SourceKind::Html);
    }

    #[test]
    fn kind_telegram_takes_any_host_with_the_preview_path() {
        let text = CHANNEL.replace(
            "listing_urls = [\"https://t.me/s/GenPr\"]",
            "kind = \"telegram\"\nlisting_urls = [\"http://127.0.0.1:8080/s/pressfix\"]\n\
             [source.languages]\nkk = { listing_urls = [\"http://127.0.0.1:8080/s/pressfix_kz\"] }",
        );
        let c = load(&text).unwrap();
        assert_eq!(c.sources.len(), 2);
        assert!(c.sources.iter().all(|s| s.kind == SourceKind::Telegram));
        assert_eq!(
            c.sources[1].site_url.as_str(),
            "http://127.0.0.1:8080/s/pressfix_kz"
        );
    }

    #[test]
    fn bad_channel_urls_fail_at_load_with_their_place() {
        let text = CHANNEL.replace("s/GenPr", "s/Gen-Pr");
        let e = load_err(&text);
        assert!(
            e.starts_with("config.toml:4:17: source[0].listing_urls[0]: invalid Telegram channel name \"Gen-Pr\""),
            "{e}"
        );
        let text = CHANNEL.replace(
            "listing_urls = [\"https://t.me/s/GenPr\"]",
            "kind = \"telegram\"\nlisting_urls = [\"https://t.me/GenPr\"]",
        );
        let e = load_err(&text);
        assert!(
            e.starts_with("config.toml:5:17: source[0].listing_urls[0]: https://t.me/GenPr is not a channel's web preview")
                && e.contains("https://t.me/s/GenPr"),
            "{e}"
        );
        let text = format!("{CHANNEL}kind = \"telegram\"\n[source.json]\nurl = \"x\"\n");
        let e = load_err(&text);
        assert!(
            e.contains("[source.json] is only used with kind = \"json\""),
            "{e}"
        );
    }
}
