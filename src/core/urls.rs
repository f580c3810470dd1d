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

/// The id form of an article URL: every percent-escape in upper case (`%d0%bf` becomes
/// `%D0%BF`, RFC 3986 §2.1's canonical form, which feed validators expect in ids and
/// guids); nothing else changes. Links stay as the site writes them.
pub fn canonical_id(u: &Url) -> String {
    upper_escapes(u.as_str())
}

fn upper_escapes(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && b[i + 1].is_ascii_hexdigit()
            && b[i + 2].is_ascii_hexdigit()
        {
            out.extend([
                b'%',
                b[i + 1].to_ascii_uppercase(),
                b[i + 2].to_ascii_uppercase(),
            ]);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    // Only ASCII hex digits changed case, so the bytes are still the UTF-8 they were.
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

/// Whether two ids name the same URL up to the case of their percent-escapes (an id
/// stored before ids were canonical, and its canonical form).
pub fn same_id(a: &str, b: &str) -> bool {
    a.len() == b.len() && upper_escapes(a) == upper_escapes(b)
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

    #[test]
    fn canonical_id_upper_cases_percent_escapes_only() {
        let link = u(
            "https://x.kz/2025/10/01/%d0%bf%d1%80%d0%be%d0%ba%d1%83%d1%80%d0%be%d1%80/?q=a%2fb&x=%zz",
        );
        assert_eq!(
            canonical_id(&link),
            "https://x.kz/2025/10/01/%D0%BF%D1%80%D0%BE%D0%BA%D1%83%D1%80%D0%BE%D1%80/?q=a%2Fb&x=%zz"
        );
        // The link itself is untouched.
        assert!(link.as_str().contains("%d0%bf"));
        assert_eq!(canonical_id(&u("https://x.kz/a-b/")), "https://x.kz/a-b/");
        assert_eq!(canonical_id(&u("https://x.kz/%")), "https://x.kz/%");
        assert!(same_id("https://x.kz/%d0%bf/", "https://x.kz/%D0%BF/"));
        assert!(!same_id("https://x.kz/a/", "https://x.kz/A/"));
    }
}
