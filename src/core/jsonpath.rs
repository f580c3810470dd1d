//! Paths into JSON documents and URL templates with `{name}` placeholders: how a
//! `[source.json]` table names its fields and builds its page, item and detail URLs.
//! Parsed at config load, applied by the JSON source.

use serde_json::Value;

/// Where a value sits in a JSON document: dotted (`content`, `gosorgan.items.0.name`,
/// `activities.items.*.title`) or a JSON Pointer (`/content`). Empty means the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath {
    pub raw: String,
    segments: Vec<String>,
}

impl JsonPath {
    pub fn parse(raw: &str) -> Result<JsonPath, String> {
        let t = raw.trim();
        let segments: Vec<String> = if t.is_empty() {
            Vec::new()
        } else if let Some(p) = t.strip_prefix('/') {
            // RFC 6901 escapes: ~1 is "/", ~0 is "~" (in that order).
            p.split('/')
                .map(|s| s.replace("~1", "/").replace("~0", "~"))
                .collect()
        } else {
            t.split('.').map(str::to_string).collect()
        };
        if !t.starts_with('/') && segments.iter().any(String::is_empty) {
            return Err(format!(
                "invalid path {raw:?}: empty segment (use e.g. \"content\", \"a.b.0\" or a JSON Pointer \"/a/b\")"
            ));
        }
        Ok(JsonPath {
            raw: raw.to_string(),
            segments,
        })
    }

    /// The document itself.
    pub fn root() -> JsonPath {
        JsonPath {
            raw: String::new(),
            segments: Vec::new(),
        }
    }

    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }

    /// Every value at this path; `*` fans out over an array's elements or an object's values.
    pub fn all<'a>(&self, v: &'a Value) -> Vec<&'a Value> {
        let mut cur = vec![v];
        for seg in &self.segments {
            let mut next = Vec::new();
            for v in cur {
                match (seg.as_str(), v) {
                    ("*", Value::Array(a)) => next.extend(a.iter()),
                    ("*", Value::Object(o)) => next.extend(o.values()),
                    (s, Value::Array(a)) => {
                        if let Some(x) = s.parse::<usize>().ok().and_then(|i| a.get(i)) {
                            next.push(x);
                        }
                    }
                    (s, Value::Object(o)) => next.extend(o.get(s)),
                    _ => {}
                }
            }
            cur = next;
        }
        cur
    }

    pub fn get<'a>(&self, v: &'a Value) -> Option<&'a Value> {
        self.all(v).into_iter().next()
    }
}

/// A URL template with `{name}` placeholders (`{page}`, `{lang}`, `{id}`, any top-level
/// field of an item).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub raw: String,
}

impl Template {
    /// Checks braces; `{{`/`}}` are not supported because URLs never need them.
    pub fn parse(raw: &str) -> Result<Template, String> {
        let mut rest = raw;
        while let Some(open) = rest.find(['{', '}']) {
            if rest[open..].starts_with('}') {
                return Err(format!("unmatched \"}}\" in template {raw:?}"));
            }
            let after = &rest[open + 1..];
            let name = match after.find('}') {
                Some(close) if !after[..close].contains('{') => &after[..close],
                _ => return Err(format!("unclosed \"{{\" in template {raw:?}")),
            };
            let close = name.len();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_alphanumeric() || "_-.".contains(c))
            {
                return Err(format!(
                    "invalid placeholder {{{name}}} in template {raw:?} (expected e.g. {{id}} or {{page}})"
                ));
            }
            rest = &after[close + 1..];
        }
        Ok(Template {
            raw: raw.to_string(),
        })
    }

    /// Placeholder names in order.
    pub fn names(&self) -> Vec<&str> {
        let mut out = Vec::new();
        let mut rest = self.raw.as_str();
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else { break };
            out.push(&after[..close]);
            rest = &after[close + 1..];
        }
        out
    }

    /// Fills the placeholders; names `lookup` does not know are left as they are (callers
    /// fill in steps: `{lang}` at config load, `{page}` per request).
    pub fn fill(&self, lookup: impl Fn(&str) -> Option<String>) -> String {
        let mut out = String::with_capacity(self.raw.len());
        let mut rest = self.raw.as_str();
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else {
                out.push_str(&rest[open..]);
                return out;
            };
            let name = &after[..close];
            match lookup(name) {
                Some(v) => out.push_str(&v),
                None => out.push_str(&rest[open..open + close + 2]),
            }
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        out
    }

    /// A copy with one placeholder filled.
    pub fn with(&self, name: &str, value: &str) -> Template {
        Template {
            raw: self.fill(|n| (n == name).then(|| value.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[test]
    fn paths_dotted_pointer_and_wildcard() {
        let v = json!({"a": {"b": [10, {"c": "x"}]}, "k/l": 1, "acts": {"items": [{"title": "A"}, {"title": "B"}]}});
        assert_eq!(JsonPath::parse("a.b.0").unwrap().get(&v), Some(&json!(10)));
        assert_eq!(
            JsonPath::parse("/a/b/1/c").unwrap().get(&v),
            Some(&json!("x"))
        );
        assert_eq!(JsonPath::parse("/k~1l").unwrap().get(&v), Some(&json!(1)));
        let all = JsonPath::parse("acts.items.*.title").unwrap();
        assert_eq!(all.all(&v), [&json!("A"), &json!("B")]);
        assert!(JsonPath::parse("").unwrap().is_root());
        assert!(JsonPath::parse("a..b").is_err());
        assert_eq!(JsonPath::parse("a.zz").unwrap().get(&v), None);
    }

    #[test]
    fn templates_check_and_fill() {
        let t = Template::parse("https://x.kz/news/{id}?lang={lang}&p={page}").unwrap();
        assert_eq!(t.names(), ["id", "lang", "page"]);
        let t = t.with("lang", "kk");
        assert_eq!(t.raw, "https://x.kz/news/{id}?lang=kk&p={page}");
        assert_eq!(
            t.fill(|n| (n == "id").then(|| "7".into())),
            "https://x.kz/news/7?lang=kk&p={page}"
        );
        assert!(Template::parse("https://x/{id").is_err());
        assert!(Template::parse("https://x/id}").is_err());
        assert!(Template::parse("https://x/{}").is_err());
        assert!(Template::parse("https://x/{a b}").is_err());
    }
}
