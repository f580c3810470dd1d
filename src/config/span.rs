//! Where a configuration error is: the validation context every check reports through, and
//! the TOML position helpers behind `file:line:column: key: message`.

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::ConfigError;

/// The text being validated and where it came from, for error positions.
pub(super) struct Ctx<'a> {
    pub(super) text: &'a str,
    pub(super) path: &'a Path,
    /// Where relative `database` / `feeds_dir` go under systemd.
    pub(super) dirs: &'a super::ServiceDirs,
}

/// One `[[source]]` table being validated: where it is, for its error messages.
pub(super) struct Table<'c, 'a> {
    pub(super) ctx: &'c Ctx<'a>,
    /// Index in the file's `[[source]]` array.
    pub(super) index: usize,
    /// The whole table, pointed at for missing keys.
    pub(super) span: Range<usize>,
}

impl Table<'_, '_> {
    /// `source[i]`, the prefix of every key of this table.
    pub(super) fn prefix(&self) -> String {
        format!("source[{}]", self.index)
    }

    /// `source[i].key`
    pub(super) fn key(&self, key: &str) -> String {
        format!("{}.{key}", self.prefix())
    }

    pub(super) fn err(
        &self,
        span: Range<usize>,
        key: &str,
        message: impl Into<String>,
    ) -> ConfigError {
        self.ctx.err(span, self.key(key), message)
    }

    pub(super) fn missing(&self, key: &str) -> ConfigError {
        self.err(self.span.clone(), key, "missing required key")
    }
}

impl Ctx<'_> {
    pub(super) fn err(
        &self,
        span: Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> ConfigError {
        let (line, column) = line_col(self.text, span.start);
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            line,
            column,
            key: key.into(),
            message: message.into(),
        }
    }

    /// A syntax or deserialization error from the `toml` crate, with the key found from its
    /// position (its message does not always name the path).
    pub(super) fn toml_error(&self, e: &toml::de::Error) -> ConfigError {
        let span = e.span().unwrap_or(0..0);
        match key_at(self.text, &span) {
            Some(key) => self.err(span, key, friendly_serde_message(e.message())),
            None => self.err(span, "", format!("invalid TOML: {}", e.message().trim())),
        }
    }

    /// serde reads a struct from an array too, element by element, so `[[settings]]` would
    /// be reported as a wrong type deep inside; this names the real problem instead.
    pub(super) fn shape_error(&self) -> Option<ConfigError> {
        use toml::de::DeValue;
        let doc = toml::de::DeTable::parse(self.text).ok()?;
        let doc = doc.get_ref();
        let not_table = |v: &Spanned<DeValue<'_>>, key: String| {
            (!v.get_ref().is_table()).then(|| {
                let found = v.get_ref().type_str();
                self.err(
                    v.span(),
                    key,
                    format!("invalid type: {found}, expected a table"),
                )
            })
        };
        if let Some(e) = doc
            .get("settings")
            .and_then(|v| not_table(v, "settings".into()))
        {
            return Some(e);
        }
        let sources = doc.get("source")?.get_ref().as_array()?;
        for (i, src) in sources.iter().enumerate() {
            if let Some(e) = not_table(src, format!("source[{i}]")) {
                return Some(e);
            }
            for sub in ["listing", "article", "json", "languages", "filter"] {
                if let Some(e) = src
                    .get_ref()
                    .get(sub)
                    .and_then(|v| not_table(v, format!("source[{i}].{sub}")))
                {
                    return Some(e);
                }
            }
        }
        None
    }

    /// Resolves a relative path against the config file's folder.
    pub(super) fn resolve(&self, p: &str) -> PathBuf {
        let p = Path::new(p);
        match self.path.parent() {
            Some(dir) if p.is_relative() => dir.join(p),
            _ => p.to_path_buf(),
        }
    }
    /// An optional integer with a default, checked against `min..=max`.
    pub(super) fn int_in(
        &self,
        v: Option<Spanned<i64>>,
        key: &str,
        default: i64,
        min: i64,
        max: i64,
    ) -> Result<i64, ConfigError> {
        let Some(v) = v else { return Ok(default) };
        let n = *v.get_ref();
        if (min..=max).contains(&n) {
            return Ok(n);
        }
        let message = if max == i64::MAX {
            format!("must be at least {min}, found {n}")
        } else {
            format!("must be between {min} and {max}, found {n}")
        };
        Err(self.err(v.span(), key, message))
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub(super) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// The dotted key (`source[1].listing.item`) of the innermost key or value whose span holds
/// the start of `span`; `None` when the document does not parse (syntax errors), empty when
/// no key holds it.
fn key_at(text: &str, span: &Range<usize>) -> Option<String> {
    let doc = toml::de::DeTable::parse(text).ok()?;
    let mut best: Option<Candidate> = None;
    walk_table(doc.get_ref(), "", span, &mut best);
    Some(best.map(|c| c.path).unwrap_or_default())
}

struct Candidate {
    path: String,
    exact: bool,
    len: usize,
}

fn consider(best: &mut Option<Candidate>, path: &str, s: Range<usize>, target: &Range<usize>) {
    // an empty error span sits at a position; treat the span end as inclusive for it
    let holds = s.start <= target.start
        && (target.start < s.end || (target.is_empty() && target.start == s.end));
    if !holds || path.is_empty() {
        return;
    }
    let c = Candidate {
        path: path.to_string(),
        exact: s == *target,
        len: s.len(),
    };
    let better = match best {
        None => true,
        Some(b) => (c.exact, std::cmp::Reverse(c.len)) > (b.exact, std::cmp::Reverse(b.len)),
    };
    if better {
        *best = Some(c);
    }
}

fn walk_table(
    t: &toml::de::DeTable<'_>,
    prefix: &str,
    target: &Range<usize>,
    best: &mut Option<Candidate>,
) {
    for (k, v) in t {
        let path = if prefix.is_empty() {
            k.get_ref().to_string()
        } else {
            format!("{prefix}.{}", k.get_ref())
        };
        consider(best, &path, k.span(), target);
        walk_value(v, &path, target, best);
    }
}

fn walk_value(
    v: &Spanned<toml::de::DeValue<'_>>,
    path: &str,
    target: &Range<usize>,
    best: &mut Option<Candidate>,
) {
    consider(best, path, v.span(), target);
    match v.get_ref() {
        toml::de::DeValue::Table(t) => walk_table(t, path, target, best),
        toml::de::DeValue::Array(a) => {
            for (i, e) in a.iter().enumerate() {
                walk_value(e, &format!("{path}[{i}]"), target, best);
            }
        }
        _ => {}
    }
}

/// serde's messages name Rust types and use backticks; say it in TOML terms.
fn friendly_serde_message(m: &str) -> String {
    let m = m.trim();
    let m = if let Some(rest) = m.strip_prefix("unknown field ") {
        format!("unknown key {}", rest.replace('`', "\""))
    } else if let Some(rest) = m.strip_prefix("missing field ") {
        format!("missing required key {}", rest.replace('`', "\""))
    } else {
        m.to_string()
    };
    m.replace("expected i64", "expected an integer")
        .replace("invalid type: map", "invalid type: table")
        .replace("invalid type: sequence", "invalid type: array")
        .replace("expected a sequence", "expected an array")
        .replace("expected a map", "expected a table")
        .replace("struct RawSettings", "a table")
        .replace("struct RawSource", "a table")
        .replace("struct RawListing", "a table")
        .replace("struct RawArticle", "a table")
        .replace("struct RawJson", "a table")
        .replace("struct RawTwin", "a table")
        .replace("struct RawConfig", "a table")
        .replace("struct RawFilterFields", "a table")
        .replace("struct RawFilter", "a table")
        .replace("struct RawFeed", "a table")
}
