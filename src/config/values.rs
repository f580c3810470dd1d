//! Checks of single values shared by the settings and the sources: URLs, ids, language tags,
//! time zone names (with a suggestion for a misspelt one), hub lists and redirect hosts.

use toml::Spanned;
use url::Url;

use super::ConfigError;
use super::span::Ctx;

impl Ctx<'_> {
    /// Listing URLs of a twin or the base source.
    pub(super) fn url_list(
        &self,
        urls: Spanned<Vec<Spanned<String>>>,
        key: &str,
    ) -> Result<Vec<Url>, ConfigError> {
        if urls.get_ref().is_empty() {
            return Err(self.err(urls.span(), key, "at least one listing URL is required"));
        }
        urls.into_inner()
            .into_iter()
            .enumerate()
            .map(|(j, u)| {
                http_url(u.get_ref()).map_err(|m| self.err(u.span(), format!("{key}[{j}]"), m))
            })
            .collect()
    }

    /// A list of WebSub hub URLs.
    pub(super) fn hubs(
        &self,
        v: Option<Vec<Spanned<String>>>,
        key: &str,
    ) -> Result<Vec<Url>, ConfigError> {
        v.unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(j, h)| {
                http_url(h.get_ref()).map_err(|m| self.err(h.span(), format!("{key}[{j}]"), m))
            })
            .collect()
    }

    /// Host names redirects may lead to: `example.kz`, `*.example.kz` or an IP address.
    pub(super) fn allowed_hosts(
        &self,
        v: Option<Vec<Spanned<String>>>,
        key: &str,
    ) -> Result<Vec<String>, ConfigError> {
        v.unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(j, h)| {
                let raw = h.get_ref().trim().trim_end_matches('.').to_ascii_lowercase();
                let name = raw.strip_prefix("*.").unwrap_or(&raw);
                // url::Host::parse applies IDNA and rejects ports, paths and bad characters.
                match url::Host::parse(name) {
                    Ok(host) if !name.is_empty() => {
                        let host = host.to_string();
                        Ok(if raw.starts_with("*.") {
                            format!("*.{host}")
                        } else {
                            host
                        })
                    }
                    _ => Err(self.err(
                        h.span(),
                        format!("{key}[{j}]"),
                        format!(
                            "invalid host {:?} (expected e.g. \"example.kz\" or \"*.example.kz\", no scheme or port)",
                            h.get_ref()
                        ),
                    )),
                }
            })
            .collect()
    }
}

/// An absolute http(s) URL, or a message saying what is wrong with it.
pub(super) fn http_url(s: &str) -> Result<Url, String> {
    let s = s.trim();
    let url = match Url::parse(s) {
        Ok(u) => u,
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            return Err(format!(
                "{s:?} is not an absolute URL (expected http://... or https://...)"
            ));
        }
        Err(e) => return Err(format!("invalid URL {s:?}: {e}")),
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "URL {s:?} must use http or https, not {}",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("URL {s:?} has no host"));
    }
    Ok(url)
}

/// `^[a-z0-9][a-z0-9_-]{0,63}$`
pub(super) fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some('a'..='z' | '0'..='9'))
        && id.len() <= 64
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_' | '-'))
}

/// `^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$`
pub(super) fn valid_language(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or_default();
    (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// The known zone name nearest to a misspelt one, if reasonably near.
pub(super) fn closest_tz(name: &str) -> Option<&'static str> {
    let wanted = name.to_ascii_lowercase();
    chrono_tz::TZ_VARIANTS
        .iter()
        .map(|tz| {
            (
                edit_distance(&wanted, &tz.name().to_ascii_lowercase()),
                tz.name(),
            )
        })
        .filter(|(d, _)| *d <= 3)
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

/// Levenshtein distance in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
