//! The languages pressfeed's own pages (index, feed stylesheet) are written in, and the
//! choice among them from an HTTP `Accept-Language` header (RFC 9110 §12.5.4).

use std::fmt;

/// A language of the pages for people. Feeds keep each source's own language; this is only
/// the language of the words pressfeed adds around them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PageLang {
    Ru,
    Kk,
    En,
}

impl PageLang {
    /// Every language, in the order the index offers them.
    pub const ALL: [PageLang; 3] = [PageLang::Ru, PageLang::Kk, PageLang::En];

    /// The BCP 47 primary subtag (`ru`, `kk`, `en`).
    pub fn tag(self) -> &'static str {
        match self {
            PageLang::Ru => "ru",
            PageLang::Kk => "kk",
            PageLang::En => "en",
        }
    }

    /// The language of a tag such as `ru`, `kk-KZ` or `EN-us`: its primary subtag decides.
    pub fn from_tag(tag: &str) -> Option<PageLang> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or("");
        PageLang::ALL
            .into_iter()
            .find(|l| l.tag().eq_ignore_ascii_case(primary))
    }

    /// The language a reader asked for in `Accept-Language`: the supported range with the
    /// highest q-value (the first listed among equals), `*` standing for `default`; `default`
    /// when the header names none of ours or is absent. A range with `q=0` is refused.
    pub fn negotiate(accept_language: Option<&str>, default: PageLang) -> PageLang {
        let Some(header) = accept_language else {
            return default;
        };
        let mut best: Option<(u16, PageLang)> = None;
        for range in header.split(',') {
            let mut parts = range.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
                .next()
                .map_or(Some(1000), qvalue);
            let (Some(q), false) = (q, tag.is_empty()) else {
                continue;
            };
            let lang = if tag == "*" {
                Some(default)
            } else {
                PageLang::from_tag(tag)
            };
            if let Some(lang) = lang
                && q > 0
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, lang));
            }
        }
        best.map_or(default, |(_, l)| l)
    }
}

impl fmt::Display for PageLang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

/// A q-value in thousandths (`0.8` → 800); `None` when malformed, which drops its range.
fn qvalue(s: &str) -> Option<u16> {
    let s = s.trim();
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u16 = match int {
        "0" => 0,
        "1" => 1000,
        _ => return None,
    };
    let mut thousandths = 0u16;
    for (i, b) in frac
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .enumerate()
    {
        thousandths += u16::from(b - b'0') * [100, 10, 1][i];
    }
    if whole == 1000 && thousandths > 0 {
        return None;
    }
    Some(whole + thousandths)
}

#[cfg(test)]
mod tests {
    use super::PageLang::{self, En, Kk, Ru};

    #[test]
    fn negotiation_table() {
        let cases: &[(Option<&str>, PageLang, PageLang)] = &[
            (None, Ru, Ru),
            (Some(""), Kk, Kk),
            (Some("kk"), Ru, Kk),
            (Some("kk-KZ,kk;q=0.9"), En, Kk),
            (Some("en-US,en;q=0.9,ru;q=0.8"), Kk, En),
            // q-values decide, not the order
            (Some("ru;q=0.5, kk;q=0.7, en;q=0.6"), En, Kk),
            (Some("de, fr;q=0.9"), Ru, Ru),
            (Some("de, en;q=0.1"), Ru, En),
            // q=0 means "not this one"
            (Some("kk;q=0, ru;q=0.2"), En, Ru),
            (Some("kk;q=0"), En, En),
            (Some("*"), Kk, Kk),
            (Some("ru;q=0.3, *;q=0.5"), Kk, Kk),
            // malformed q drops that range only
            (Some("kk;q=2, ru;q=0.5"), En, Ru),
            (Some("kk;q=abc, en;q=0.500"), Ru, En),
            (Some("KK-kz"), En, Kk),
            (Some("en;q=1.000"), Ru, En),
            (Some("en;q=0.0001"), Ru, Ru),
            // equal q: the first listed wins
            (Some("kk;q=0.8, ru;q=0.8"), En, Kk),
        ];
        for (header, default, want) in cases {
            assert_eq!(
                PageLang::negotiate(*header, *default),
                *want,
                "{header:?} default {default}"
            );
        }
    }

    #[test]
    fn tags() {
        assert_eq!(PageLang::from_tag("ru-RU"), Some(Ru));
        assert_eq!(PageLang::from_tag("kk_KZ"), Some(Kk));
        assert_eq!(PageLang::from_tag("en"), Some(En));
        assert_eq!(PageLang::from_tag("uk"), None);
        assert_eq!(PageLang::from_tag(""), None);
    }
}
