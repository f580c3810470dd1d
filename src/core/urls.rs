//! URL canonicalization: one form per article, whatever tracking or AMP decoration the
//! link carried, so listing links, canonical links and stored ids agree.

use url::Url;

/// Query parameters that only track clicks; dropped from canonical URLs.
fn is_tracking_param(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.starts_with("utm_")
        || matches!(
            n.as_str(),
            "fbclid"
                | "gclid"
                | "yclid"
                | "dclid"
                | "msclkid"
                | "mc_cid"
                | "mc_eid"
                | "_ga"
                | "_gl"
                | "igshid"
                | "ref_src"
                | "amp"
                | "noamp"
                | "from"
                | "share"
        )
}

/// Canonical form of an article URL: no fragment, no tracking or AMP parameters, no `/amp/`
/// path suffix (AMP twins must map to the article itself, never a second item).
pub fn canonical_url(u: &Url) -> Url {
    let mut u = u.clone();
    u.set_fragment(None);
    let kept: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, _)| !is_tracking_param(k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        u.set_query(None);
    } else {
        u.query_pairs_mut().clear().extend_pairs(kept);
    }
    let path = u.path().to_string();
    if let Some(stripped) = path
        .strip_suffix("/amp/")
        .or_else(|| path.strip_suffix("/amp"))
    {
        u.set_path(&format!("{stripped}/"));
    }
    u
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn canonical_url_drops_tracking_amp_and_fragment() {
        assert_eq!(
            canonical_url(&u("https://x.kz/2025/09/24/a/?amp=1&utm_source=tg#c")).as_str(),
            "https://x.kz/2025/09/24/a/"
        );
        assert_eq!(
            canonical_url(&u("https://x.kz/2025/09/24/a/amp/")).as_str(),
            "https://x.kz/2025/09/24/a/"
        );
        assert_eq!(
            canonical_url(&u("https://x.kz/news?id=5&utm_medium=x")).as_str(),
            "https://x.kz/news?id=5"
        );
    }
}
