//! The `css@attr` picker every configured selector compiles to. It lives in `core` because
//! the config parser builds it and the extractors run it: a value both layers share.

use scraper::{ElementRef, Selector};

use crate::core::text::collapse_whitespace;

/// A compiled `css@attr` picker: a CSS selector, optionally with the attribute to read
/// (`time@datetime`, `img@data-src`); without one the element's text is read.
#[derive(Debug, Clone)]
pub struct Pick {
    /// As written in the config.
    pub raw: String,
    pub selector: Selector,
    pub attr: Option<String>,
}

impl Pick {
    /// Parses `css` or `css@attr`. An `@` inside brackets or quotes belongs to the CSS.
    pub fn parse(raw: &str) -> Result<Pick, String> {
        let raw_trim = raw.trim();
        if raw_trim.is_empty() {
            return Err("empty selector".into());
        }
        let (css, attr) = split_attr(raw_trim);
        if let Some(a) = attr
            && (a.is_empty()
                || !a
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == ':'))
        {
            return Err(format!("invalid attribute name {a:?} after '@'"));
        }
        let selector =
            Selector::parse(css).map_err(|e| format!("invalid CSS selector {css:?}: {e}"))?;
        Ok(Pick {
            raw: raw_trim.to_string(),
            selector,
            attr: attr.map(str::to_ascii_lowercase),
        })
    }

    /// The value of one element: the attribute if one is named, else its text.
    pub fn value_of(&self, el: ElementRef<'_>) -> Option<String> {
        let v = match &self.attr {
            Some(a) => el.value().attr(a).map(str::to_string),
            None => Some(el.text().collect::<String>()),
        }?;
        let v = collapse_whitespace(&v);
        (!v.is_empty()).then_some(v)
    }

    /// The first non-empty value under `scope`.
    pub fn first(&self, scope: ElementRef<'_>) -> Option<String> {
        scope
            .select(&self.selector)
            .find_map(|el| self.value_of(el))
    }

    /// Every non-empty value under `scope`, in document order.
    pub fn all(&self, scope: ElementRef<'_>) -> Vec<String> {
        scope
            .select(&self.selector)
            .filter_map(|el| self.value_of(el))
            .collect()
    }
}

/// Splits `css@attr` at the last top-level `@` (outside brackets, parentheses and quotes).
fn split_attr(s: &str) -> (&str, Option<&str>) {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut at = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '(') => depth += 1,
            (None, ']' | ')') => depth -= 1,
            (None, '@') if depth == 0 => at = Some(i),
            _ => {}
        }
    }
    match at {
        Some(i) => (s[..i].trim(), Some(s[i + 1..].trim())),
        None => (s, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pick_splits_attribute_outside_brackets() {
        let p = Pick::parse("time.published@datetime").unwrap();
        assert_eq!(p.attr.as_deref(), Some("datetime"));
        let p = Pick::parse(r#"a[href*="@"]"#).unwrap();
        assert_eq!(p.attr, None);
        let p = Pick::parse(r#"a[href*="@"]@href"#).unwrap();
        assert_eq!(p.attr.as_deref(), Some("href"));
        assert!(Pick::parse("div[").is_err());
        assert!(Pick::parse("img@").is_err());
        assert!(Pick::parse("  ").is_err());
    }
}
