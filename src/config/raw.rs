//! The configuration as deserialized, before validation. Every validated value is `Spanned`
//! so its error can point at it; numbers are read as `i64` (TOML's integer type) so that
//! negative or huge values get our range message rather than a serde type error. Required
//! keys are optional here so that "missing" is reported by us, at the table.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub(super) settings: Option<RawSettings>,
    pub(super) source: Option<Spanned<Vec<Spanned<RawSource>>>>,
    pub(super) feed: Option<super::merged::RawFeeds>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSettings {
    pub(super) database: Option<Spanned<String>>,
    pub(super) feeds_dir: Option<Spanned<String>>,
    pub(super) base_url: Option<Spanned<String>>,
    pub(super) user_agent: Option<Spanned<String>>,
    pub(super) connect_timeout_secs: Option<Spanned<i64>>,
    pub(super) request_timeout_secs: Option<Spanned<i64>>,
    pub(super) max_body_bytes: Option<Spanned<i64>>,
    pub(super) per_host_concurrency: Option<Spanned<i64>>,
    pub(super) listen: Option<Spanned<String>>,
    pub(super) shutdown_grace_secs: Option<Spanned<i64>>,
    pub(super) schedule_jitter_secs: Option<Spanned<i64>>,
    pub(super) hubs: Option<Vec<Spanned<String>>>,
    pub(super) respect_robots: Option<Spanned<bool>>,
    pub(super) min_delay_ms: Option<Spanned<i64>>,
    pub(super) max_retry_after_secs: Option<Spanned<i64>>,
    pub(super) retries: Option<Spanned<i64>>,
    pub(super) proxy: Option<Spanned<String>>,
    pub(super) ca_file: Option<Spanned<String>>,
    pub(super) alerts: Option<Spanned<RawAlerts>>,
    pub(super) language: Option<Spanned<String>>,
    pub(super) http_header_timeout_secs: Option<Spanned<i64>>,
    pub(super) http_idle_timeout_secs: Option<Spanned<i64>>,
    pub(super) http_max_connections: Option<Spanned<i64>>,
    pub(super) http_max_header_bytes: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
    // required keys are optional here so that "missing" is reported by us, at the table
    pub(super) id: Option<Spanned<String>>,
    pub(super) title: Option<Spanned<String>>,
    pub(super) description: Option<Spanned<String>>,
    pub(super) language: Option<Spanned<String>>,
    pub(super) timezone: Option<Spanned<String>>,
    pub(super) site_url: Option<Spanned<String>>,
    pub(super) listing_urls: Option<Spanned<Vec<Spanned<String>>>>,
    pub(super) schedule: Option<Spanned<String>>,
    pub(super) items: Option<Spanned<i64>>,
    pub(super) max_pages: Option<Spanned<i64>>,
    pub(super) recheck_hours: Option<Spanned<i64>>,
    pub(super) page_url_template: Option<Spanned<String>>,
    pub(super) hubs: Option<Vec<Spanned<String>>>,
    pub(super) allowed_hosts: Option<Vec<Spanned<String>>>,
    pub(super) listing: Option<RawListing>,
    pub(super) article: Option<RawArticle>,
    pub(super) kind: Option<Spanned<String>>,
    pub(super) wordpress: Option<Spanned<String>>,
    pub(super) json: Option<Spanned<RawJson>>,
    pub(super) languages: Option<RawLanguages>,
    pub(super) keep_days: Option<Spanned<i64>>,
    pub(super) keep_items: Option<Spanned<i64>>,
    pub(super) filter: Option<super::filter::RawFilter>,
    pub(super) respect_robots: Option<Spanned<bool>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawListing {
    pub(super) item: Option<Spanned<String>>,
    pub(super) link: Option<Spanned<String>>,
    pub(super) title: Option<Spanned<String>>,
    pub(super) date: Option<Spanned<String>>,
    pub(super) summary: Option<Spanned<String>>,
    pub(super) image: Option<Spanned<String>>,
    pub(super) next: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawArticle {
    pub(super) title: Option<Spanned<String>>,
    pub(super) content: Option<Spanned<String>>,
    pub(super) date: Option<Spanned<String>>,
    pub(super) modified: Option<Spanned<String>>,
    pub(super) author: Option<Spanned<String>>,
    pub(super) categories: Option<Spanned<String>>,
    pub(super) image: Option<Spanned<String>>,
    pub(super) remove: Option<Vec<Spanned<String>>>,
    pub(super) signature_pattern: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawJson {
    pub(super) url: Option<Spanned<String>>,
    pub(super) first_page: Option<Spanned<i64>>,
    pub(super) items: Option<Spanned<String>>,
    pub(super) id: Option<Spanned<String>>,
    pub(super) title: Option<Spanned<String>>,
    pub(super) date: Option<Spanned<String>>,
    pub(super) modified: Option<Spanned<String>>,
    pub(super) body: Option<Spanned<String>>,
    pub(super) summary: Option<Spanned<String>>,
    pub(super) author: Option<Spanned<String>>,
    pub(super) image: Option<Spanned<String>>,
    pub(super) image_base: Option<Spanned<String>>,
    pub(super) categories: Option<Spanned<String>>,
    pub(super) link: Option<Spanned<String>>,
    pub(super) detail_url: Option<Spanned<String>>,
    pub(super) headers: Option<BTreeMap<String, Spanned<String>>>,
    pub(super) session: Option<Spanned<RawSession>>,
    pub(super) bcrypt_cost: Option<Spanned<i64>>,
}

/// `[source.json.session]`: the request that opens an API session.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSession {
    pub(super) method: Option<Spanned<String>>,
    pub(super) url: Option<Spanned<String>>,
    pub(super) body: Option<Spanned<String>>,
    pub(super) headers: Option<BTreeMap<String, Spanned<String>>>,
}

impl RawJson {
    pub(super) fn set_url(&mut self, url: Spanned<String>) {
        self.url = Some(url);
    }
}

/// One `[source.languages]` entry: `kk = { listing_urls = [...], title = "..." }`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTwin {
    pub(super) listing_urls: Option<Spanned<Vec<Spanned<String>>>>,
    pub(super) title: Option<Spanned<String>>,
    pub(super) description: Option<Spanned<String>>,
}

pub(super) type RawLanguages = Spanned<BTreeMap<String, Spanned<RawTwin>>>;

/// `[settings.alerts]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAlerts {
    pub(super) webhook: Option<Spanned<String>>,
    pub(super) after_failures: Option<Spanned<i64>>,
}
