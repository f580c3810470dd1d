//! `[source.languages]`: language twins. A source published in several languages gets one
//! feed per language, `<id>-<lang>`, that copies the base source and overrides its title,
//! description and listing URLs; twins are never merged with the base.

use std::ops::Range;

use toml::Spanned;

use super::raw::{RawJson, RawLanguages, RawTwin};
use super::span::Table;
use super::values::{valid_id, valid_language};
use super::{ConfigError, Source, SourceKind};

impl Table<'_, '_> {
    /// The twins of `base`, in language-key order. `id_span` points at the base id, which
    /// a colliding twin id is reported at; `earlier` are the sources of earlier tables.
    pub(super) fn twins(
        &self,
        base: &Source,
        id_span: Range<usize>,
        languages: Option<RawLanguages>,
        raw_json: Option<Spanned<RawJson>>,
        earlier: &[Source],
    ) -> Result<Vec<Source>, ConfigError> {
        let mut out: Vec<Source> = Vec::new();
        for (lang, twin) in self.languages(languages)? {
            let taken = |id: &str| earlier.iter().chain([base]).chain(&out).any(|e| e.id == id);
            let s = self.twin(base, &lang, twin, raw_json.clone(), &taken, &id_span)?;
            out.push(s);
        }
        Ok(out)
    }

    /// One twin: a copy of `base` in language `lang`; `taken` says which ids are in use.
    fn twin(
        &self,
        base: &Source,
        lang: &str,
        twin: Spanned<RawTwin>,
        raw_json: Option<Spanned<RawJson>>,
        taken: &dyn Fn(&str) -> bool,
        id_span: &Range<usize>,
    ) -> Result<Source, ConfigError> {
        let prefix = self.prefix();
        let tk = |key: &str| format!("{prefix}.languages.{lang}.{key}");
        let twin_span = twin.span();
        let twin = twin.into_inner();
        let twin_id = format!("{}-{}", base.id, lang.to_ascii_lowercase());
        if !valid_id(&twin_id) || lang.eq_ignore_ascii_case(&base.language) {
            return Err(self.ctx.err(
                twin_span,
                format!("{prefix}.languages.{lang}"),
                format!(
                    "cannot make a feed id from {:?} and {lang:?} (or it is the source's own language)",
                    base.id
                ),
            ));
        }
        if taken(&twin_id) {
            return Err(self.err(
                id_span.clone(),
                "id",
                format!("duplicate source id {twin_id:?} (from the {lang:?} language twin)"),
            ));
        }
        let mut s = base.clone();
        s.id = twin_id;
        s.language = lang.to_string();
        s.title = match twin.title {
            Some(t) if !t.get_ref().trim().is_empty() => t.get_ref().trim().to_string(),
            Some(t) => return Err(self.ctx.err(t.span(), tk("title"), "must not be empty")),
            None => format!("{} ({lang})", base.title),
        };
        s.description = twin
            .description
            .map(|d| d.get_ref().trim().to_string())
            .unwrap_or_else(|| s.title.clone());
        // A page template without {lang} would page through the base language.
        s.page_url_template = base
            .page_url_template
            .as_ref()
            .filter(|t| t.contains("{lang}"))
            .map(|t| t.replace("{lang}", lang));
        match s.kind {
            // A feed twin lists its own language's feed URLs.
            SourceKind::Html | SourceKind::Telegram | SourceKind::Feed => {
                let urls = twin.listing_urls.ok_or_else(|| {
                    self.ctx.err(
                        twin_span.clone(),
                        tk("listing_urls"),
                        "missing required key",
                    )
                })?;
                s.listing_urls = self.ctx.page_urls(s.kind, urls, &tk("listing_urls"))?;
                if s.kind == SourceKind::Telegram {
                    // The twin channel's own page, as for the base source.
                    s.site_url = s.listing_urls[0].clone();
                }
            }
            SourceKind::Json => {
                let own = twin
                    .listing_urls
                    .as_ref()
                    .and_then(|u| u.get_ref().first().cloned());
                let mut raw_json = raw_json;
                if let (Some(u), Some(j)) = (&own, raw_json.as_mut()) {
                    // The twin's own URL wins over json.url.
                    let mut inner = j.get_ref().clone();
                    inner.set_url(u.clone());
                    *j = Spanned::new(j.span(), inner);
                }
                let rules = self
                    .ctx
                    .json_rules(raw_json, own, lang, &prefix, self.span.clone())?;
                let first = rules
                    .page_url(rules.first_page)
                    .map_err(|m| self.ctx.err(twin_span.clone(), tk("listing_urls"), m))?;
                s.listing_urls = vec![first];
                s.json = Some(rules);
            }
        }
        Ok(s)
    }

    /// Validates the language keys of `[source.languages]`; returns them in key order.
    fn languages(
        &self,
        raw: Option<RawLanguages>,
    ) -> Result<Vec<(String, Spanned<RawTwin>)>, ConfigError> {
        let prefix = self.prefix();
        let Some(raw) = raw else {
            return Ok(Vec::new());
        };
        let span = raw.span();
        let mut out = Vec::new();
        for (lang, twin) in raw.into_inner() {
            if !valid_language(&lang) {
                return Err(self.ctx.err(
                    twin.span(),
                    format!("{prefix}.languages.{lang}"),
                    format!(
                        "invalid language tag {lang:?}: expected a BCP 47 tag such as \"ru\", \"kk\" or \"kk-KZ\""
                    ),
                ));
            }
            out.push((lang, twin));
        }
        if out.is_empty() {
            return Err(self.ctx.err(
                span,
                format!("{prefix}.languages"),
                "empty table: list language twins like kk = { listing_urls = [...] }",
            ));
        }
        Ok(out)
    }
}
