//! Gated JSON APIs: `[source.json.session]` (a request that opens a session, e.g. a cookie
//! ticket) and header value templates with generated values, `{uuid}` and `{bcrypt:NAME}`.
//!
//! Templates are compiled here, once, at load: unknown placeholders, a `{bcrypt:NAME}` whose
//! `NAME` is not a header of the same table, and `{bcrypt:…}` cycles are config errors.
//! Generating the values (random UUIDs, bcrypt hashes) is the `sources` layer's job; this
//! module only knows the order to expand them in.

use std::collections::BTreeMap;
use std::ops::Range;

use toml::Spanned;
use url::Url;

use super::ConfigError;
use super::raw::RawSession;
use super::span::Ctx;
use super::values::http_url;

/// One piece of a header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValuePart {
    Text(String),
    /// The session's random UUID v4 (one per session, the same in every header).
    Uuid,
    /// The bcrypt hash of the expanded value of this header (index into the same set).
    Bcrypt(usize),
}

/// A header whose value may hold generated parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderTemplate {
    pub name: String,
    pub parts: Vec<ValuePart>,
}

/// The headers of one table, in config order, with an order to expand them in (every
/// `{bcrypt:NAME}` after `NAME`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderTemplates {
    pub list: Vec<HeaderTemplate>,
    order: Vec<usize>,
}

impl HeaderTemplates {
    /// Whether any value is generated (then a refusal is worth a new session).
    pub fn is_generated(&self) -> bool {
        self.list
            .iter()
            .any(|h| h.parts.iter().any(|p| !matches!(p, ValuePart::Text(_))))
    }

    /// The headers with `uuid` for `{uuid}` and `hash(value)` for `{bcrypt:NAME}`, in
    /// config order.
    pub fn expand(
        &self,
        uuid: &str,
        hash: &mut dyn FnMut(&str) -> String,
    ) -> Vec<(String, String)> {
        let mut values: Vec<Option<String>> = vec![None; self.list.len()];
        for &i in &self.order {
            let mut v = String::new();
            for part in &self.list[i].parts {
                match part {
                    ValuePart::Text(t) => v.push_str(t),
                    ValuePart::Uuid => v.push_str(uuid),
                    ValuePart::Bcrypt(j) => {
                        v.push_str(&hash(values[*j].as_deref().unwrap_or_default()))
                    }
                }
            }
            values[i] = Some(v);
        }
        self.list
            .iter()
            .zip(values)
            .map(|(h, v)| (h.name.clone(), v.unwrap_or_default()))
            .collect()
    }
}

/// How the session request is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionMethod {
    Get,
    Post,
}

impl SessionMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionMethod::Get => "GET",
            SessionMethod::Post => "POST",
        }
    }
}

/// `[source.json.session]`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRules {
    pub method: SessionMethod,
    pub url: Url,
    pub body: Option<String>,
    pub headers: HeaderTemplates,
}

/// Default bcrypt cost of `{bcrypt:NAME}` (the cost of the common JavaScript bcrypt
/// libraries; a verifier accepts any cost, since the hash carries its own).
pub const DEFAULT_BCRYPT_COST: u32 = 10;

impl Ctx<'_> {
    /// Compiles a `headers` table: `{lang}` filled in, `{uuid}` and `{bcrypt:NAME}` kept as
    /// generated parts. `key` is the table's dotted key.
    pub(super) fn header_templates(
        &self,
        raw: Option<BTreeMap<String, Spanned<String>>>,
        lang: &str,
        key: &str,
    ) -> Result<HeaderTemplates, ConfigError> {
        let raw: Vec<(String, Spanned<String>)> = raw.unwrap_or_default().into_iter().collect();
        let names: Vec<String> = raw.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
        let mut list = Vec::with_capacity(raw.len());
        let mut spans = Vec::with_capacity(raw.len());
        for (name, value) in &raw {
            let k = format!("{key}.{name}");
            if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return Err(self.err(value.span(), k, format!("invalid header name {name:?}")));
            }
            let parts = parse_value(value.get_ref(), lang, &names)
                .map_err(|m| self.err(value.span(), k.clone(), m))?;
            list.push(HeaderTemplate {
                name: name.clone(),
                parts,
            });
            spans.push(value.span());
        }
        let order = expansion_order(&list)
            .map_err(|(i, m)| self.err(spans[i].clone(), format!("{key}.{}", list[i].name), m))?;
        Ok(HeaderTemplates { list, order })
    }

    /// Validates `[source.json.session]`; `prefix` is e.g. `source[0].json`.
    pub(super) fn session_rules(
        &self,
        raw: Option<Spanned<RawSession>>,
        lang: &str,
        prefix: &str,
    ) -> Result<Option<SessionRules>, ConfigError> {
        let Some(raw) = raw else { return Ok(None) };
        let k = |key: &str| format!("{prefix}.session.{key}");
        let span: Range<usize> = raw.span();
        let raw = raw.into_inner();
        let url = raw
            .url
            .ok_or_else(|| self.err(span.clone(), k("url"), "missing required key"))?;
        let url = http_url(&url.get_ref().replace("{lang}", lang))
            .map_err(|m| self.err(url.span(), k("url"), m))?;
        let method = match &raw.method {
            None if raw.body.is_some() => SessionMethod::Post,
            None => SessionMethod::Get,
            Some(m) => match m.get_ref().trim().to_ascii_uppercase().as_str() {
                "GET" => SessionMethod::Get,
                "POST" => SessionMethod::Post,
                other => {
                    return Err(self.err(
                        m.span(),
                        k("method"),
                        format!("unknown method {other:?}, expected \"GET\" or \"POST\""),
                    ));
                }
            },
        };
        if method == SessionMethod::Get
            && let Some(b) = &raw.body
        {
            return Err(self.err(
                b.span(),
                k("body"),
                "a GET request has no body: set method = \"POST\"",
            ));
        }
        Ok(Some(SessionRules {
            method,
            url,
            body: raw.body.map(|b| b.into_inner().replace("{lang}", lang)),
            headers: self.header_templates(raw.headers, lang, &k("headers"))?,
        }))
    }
}

/// Splits a header value into text and generated parts. `names` are the lowercase names
/// of the table's headers, which `{bcrypt:NAME}` may refer to.
fn parse_value(raw: &str, lang: &str, names: &[String]) -> Result<Vec<ValuePart>, String> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut rest = raw;
    while let Some(open) = rest.find('{') {
        text.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| format!("unclosed \"{{\" in {raw:?}"))?;
        let inner = &after[..close];
        match inner {
            "lang" => text.push_str(lang),
            "uuid" => {
                parts.push(ValuePart::Text(std::mem::take(&mut text)));
                parts.push(ValuePart::Uuid);
            }
            _ => {
                let Some(name) = inner.strip_prefix("bcrypt:") else {
                    return Err(format!(
                        "unknown placeholder {{{inner}}}: header values may use {{lang}}, {{uuid}} and {{bcrypt:NAME}}"
                    ));
                };
                let name = name.trim().to_ascii_lowercase();
                let j = names.iter().position(|n| *n == name).ok_or_else(|| {
                    format!(
                        "{{bcrypt:{name}}}: no header {name:?} in this table (it has: {})",
                        names.join(", ")
                    )
                })?;
                parts.push(ValuePart::Text(std::mem::take(&mut text)));
                parts.push(ValuePart::Bcrypt(j));
            }
        }
        rest = &after[close + 1..];
    }
    text.push_str(rest);
    parts.push(ValuePart::Text(text));
    parts.retain(|p| !matches!(p, ValuePart::Text(t) if t.is_empty()));
    for p in &parts {
        if let ValuePart::Text(t) = p
            && http::HeaderValue::from_str(t).is_err()
        {
            return Err("header value must be printable ASCII".into());
        }
    }
    Ok(parts)
}

/// An order in which every `{bcrypt:NAME}` comes after `NAME`, or the header (index) that
/// closes a cycle and the cycle.
fn expansion_order(list: &[HeaderTemplate]) -> Result<Vec<usize>, (usize, String)> {
    // 0 unvisited, 1 on the path, 2 done
    let mut mark = vec![0u8; list.len()];
    let mut order = Vec::with_capacity(list.len());
    fn visit(
        i: usize,
        list: &[HeaderTemplate],
        mark: &mut [u8],
        path: &mut Vec<usize>,
        order: &mut Vec<usize>,
    ) -> Result<(), (usize, String)> {
        match mark[i] {
            2 => return Ok(()),
            1 => {
                let start = path.iter().position(|&p| p == i).unwrap_or(0);
                let cycle: Vec<&str> = path[start..]
                    .iter()
                    .chain([&i])
                    .map(|&p| list[p].name.as_str())
                    .collect();
                return Err((
                    i,
                    format!(
                        "{{bcrypt:…}} references form a cycle: {}",
                        cycle.join(" → ")
                    ),
                ));
            }
            _ => {}
        }
        mark[i] = 1;
        path.push(i);
        for part in &list[i].parts {
            if let ValuePart::Bcrypt(j) = part {
                visit(*j, list, mark, path, order)?;
            }
        }
        path.pop();
        mark[i] = 2;
        order.push(i);
        Ok(())
    }
    for i in 0..list.len() {
        visit(i, list, &mut mark, &mut Vec::new(), &mut order)?;
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn templates(pairs: &[(&str, &str)]) -> Result<HeaderTemplates, String> {
        let names: Vec<String> = pairs.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
        let list = pairs
            .iter()
            .map(|(n, v)| {
                Ok(HeaderTemplate {
                    name: n.to_string(),
                    parts: parse_value(v, "kk", &names)?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let order = expansion_order(&list).map_err(|(_, m)| m)?;
        Ok(HeaderTemplates { list, order })
    }

    #[test]
    fn bcrypt_of_a_header_is_expanded_after_it() {
        let t = templates(&[("hash", "{bcrypt:Token}"), ("token", "t-{uuid}")]).unwrap();
        assert!(t.is_generated());
        let got = t.expand("U", &mut |v| format!("H({v})"));
        assert_eq!(
            got,
            [
                ("hash".to_string(), "H(t-U)".to_string()),
                ("token".to_string(), "t-U".to_string())
            ]
        );
    }

    #[test]
    fn lang_is_filled_and_plain_values_are_not_generated() {
        let t = templates(&[("Accept-Language", "{lang}")]).unwrap();
        assert!(!t.is_generated());
        assert_eq!(t.expand("U", &mut |_| unreachable!())[0].1, "kk");
    }

    #[test]
    fn bad_templates_say_why() {
        let e = templates(&[("a", "{date}")]).unwrap_err();
        assert!(e.contains("unknown placeholder {date}"), "{e}");
        let e = templates(&[("a", "{bcrypt:b}")]).unwrap_err();
        assert!(e.contains("no header \"b\""), "{e}");
        let e = templates(&[("a", "{bcrypt:b}"), ("b", "{bcrypt:a}")]).unwrap_err();
        assert!(e.contains("cycle: a → b → a"), "{e}");
        let e = templates(&[("a", "{bcrypt:a}")]).unwrap_err();
        assert!(e.contains("cycle: a → a"), "{e}");
        let e = templates(&[("a", "{uuid")]).unwrap_err();
        assert!(e.contains("unclosed"), "{e}");
    }

    // ---- at load: file, line and key -------------------------------------------------

    const GATED: &str = r#"[[source]]
id = "gp"
title = "Генпрокуратура"
kind = "json"
respect_robots = false

[source.json]
url = "https://www.gov.kz/api/v1/public/content-manager/news?page={page}&lang={lang}"
id = "id"
title = "title"
link = "https://www.gov.kz/news/details/{id}?lang={lang}"
headers = { Accept-Language = "{lang}", token = "{uuid}", hash = "{bcrypt:token}" }
bcrypt_cost = 4

[source.json.session]
method = "post"
url = "https://www.gov.kz/api/v1/public/_/c/k6?lang={lang}"
body = "{}"
headers = { X-Client = "pressfeed-{uuid}" }

[source.languages]
kk = { title = "Бас прокуратура" }
"#;

    fn parse(text: &str) -> Result<crate::config::Config, String> {
        crate::config::Config::parse(text, std::path::Path::new("config.toml"))
            .map_err(|e| e.to_string())
    }

    /// `config.toml:LINE:COL: KEY: ` of the first occurrence of `needle`.
    fn at(text: &str, needle: &str, key: &str) -> String {
        let offset = text.find(needle).unwrap_or_else(|| panic!("{needle:?}"));
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        format!("config.toml:{line}:{col}: {key}: ")
    }

    #[test]
    fn a_gated_source_and_its_twin_load() {
        let c = parse(GATED).unwrap();
        let (ru, kk) = (&c.sources[0], &c.sources[1]);
        assert_eq!(
            (ru.respect_robots, kk.respect_robots),
            (Some(false), Some(false))
        );
        let j = kk.json.as_ref().unwrap();
        assert_eq!(j.bcrypt_cost, 4);
        let s = j.session.as_ref().unwrap();
        assert_eq!(s.method, SessionMethod::Post);
        assert_eq!(
            s.url.as_str(),
            "https://www.gov.kz/api/v1/public/_/c/k6?lang=kk"
        );
        assert_eq!(s.body.as_deref(), Some("{}"));
        let h = j.headers.expand("U", &mut |v| format!("B({v})"));
        assert_eq!(
            h,
            [
                ("Accept-Language".to_string(), "kk".to_string()),
                ("hash".to_string(), "B(U)".to_string()),
                ("token".to_string(), "U".to_string())
            ]
        );
        let d = parse(&GATED.replace("bcrypt_cost = 4\n", "")).unwrap();
        assert_eq!(
            d.sources[0].json.as_ref().unwrap().bcrypt_cost,
            DEFAULT_BCRYPT_COST
        );
    }

    #[test]
    fn gate_mistakes_are_reported_at_their_key() {
        let cases = [
            (
                "method = \"post\"",
                "method = \"PUT\"",
                "\"PUT\"",
                "source[0].json.session.method",
                "unknown method \"PUT\"",
            ),
            (
                "url = \"https://www.gov.kz/api/v1/public/_/c/k6?lang={lang}\"",
                "url = \"ftp://x/k6\"",
                "\"ftp://x/k6\"",
                "source[0].json.session.url",
                "",
            ),
            (
                "X-Client = ",
                "\"X Client\" = ",
                "\"pressfeed-{uuid}\"",
                "source[0].json.session.headers.X Client",
                "invalid header name",
            ),
            (
                "hash = \"{bcrypt:token}\"",
                "hash = \"{bcrypt:tokn}\"",
                "\"{bcrypt:tokn}\"",
                "source[0].json.headers.hash",
                "no header \"tokn\"",
            ),
            (
                "token = \"{uuid}\"",
                "token = \"{bcrypt:hash}\"",
                "\"{bcrypt:token}\"",
                "source[0].json.headers.hash",
                "cycle: hash → token → hash",
            ),
            (
                "token = \"{uuid}\"",
                "token = \"{guid}\"",
                "\"{guid}\"",
                "source[0].json.headers.token",
                "unknown placeholder {guid}",
            ),
            (
                "bcrypt_cost = 4",
                "bcrypt_cost = 3",
                "3\n",
                "source[0].json.bcrypt_cost",
                "",
            ),
            (
                "respect_robots = false",
                "respect_robots = \"no\"",
                "\"no\"",
                "source[0].respect_robots",
                "",
            ),
        ];
        for (from, to, needle, key, message) in cases {
            let text = GATED.replacen(from, to, 1);
            let e = parse(&text).unwrap_err();
            assert!(e.starts_with(&at(&text, needle, key)), "{to}: {e}");
            assert!(e.contains(message), "{to}: {e}");
        }
        let text = GATED.replacen("method = \"post\"", "method = \"get\"", 1);
        let e = parse(&text).unwrap_err();
        assert!(
            e.starts_with(&at(&text, "\"{}\"", "source[0].json.session.body")),
            "{e}"
        );
        let text = GATED.replacen(
            "url = \"https://www.gov.kz/api/v1/public/_/c/k6?lang={lang}\"\n",
            "",
            1,
        );
        assert!(
            parse(&text)
                .unwrap_err()
                .contains("source[0].json.session.url: missing required key")
        );
    }
}
