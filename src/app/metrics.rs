//! Prometheus metrics of the daemon: what each run fetched, failed and found, how long it
//! took, when a source last succeeded, and what the HTTP server answered.
//!
//! Encoded in the OpenMetrics text format (what `prometheus-client` writes, `# EOF`
//! included), which Prometheus scrapes natively; see [`CONTENT_TYPE`].

use chrono::{DateTime, Utc};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::pipeline::RunReport;

/// The content type matching [`Metrics::encode`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabels {
    source: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    source: String,
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ItemLabels {
    source: String,
    change: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunLabels {
    source: String,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    route: &'static str,
    status: u16,
}

type HistogramFamily = Family<SourceLabels, Histogram, fn() -> Histogram>;

fn run_duration_histogram() -> Histogram {
    // 0.25 s .. ~8.5 min: a run is a handful of page fetches up to a slow full re-scrape
    Histogram::new(exponential_buckets(0.25, 2.0, 12))
}

/// All metric families, registered once in one registry. Cheap to share behind an `Arc`;
/// every update is a few atomic operations.
pub struct Metrics {
    registry: Registry,
    fetches: Family<SourceLabels, Counter>,
    fetch_errors: Family<ErrorLabels, Counter>,
    items: Family<ItemLabels, Counter>,
    run_duration: HistogramFamily,
    last_success: Family<SourceLabels, Gauge>,
    runs: Family<RunLabels, Counter>,
    http_requests: Family<HttpLabels, Counter>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let fetches = Family::<SourceLabels, Counter>::default();
        // counters get their `_total` suffix from the encoder
        registry.register(
            "pressfeed_fetches",
            "Fetches runs started: listing and API pages, queued article pages, detail requests (retries, redirects and robots.txt not counted)",
            fetches.clone(),
        );
        let fetch_errors = Family::<ErrorLabels, Counter>::default();
        registry.register(
            "pressfeed_fetch_errors",
            "Failures during runs, by kind",
            fetch_errors.clone(),
        );
        let items = Family::<ItemLabels, Counter>::default();
        registry.register(
            "pressfeed_items",
            "Articles stored as new or updated",
            items.clone(),
        );
        let run_duration: HistogramFamily =
            Family::new_with_constructor(run_duration_histogram as fn() -> Histogram);
        registry.register(
            "pressfeed_run_duration_seconds",
            "Duration of one run of one source",
            run_duration.clone(),
        );
        let last_success = Family::<SourceLabels, Gauge>::default();
        registry.register(
            "pressfeed_last_success_timestamp_seconds",
            "Unix time of the end of the last successful run",
            last_success.clone(),
        );
        let runs = Family::<RunLabels, Counter>::default();
        registry.register("pressfeed_runs", "Runs of a source by result", runs.clone());
        let http_requests = Family::<HttpLabels, Counter>::default();
        registry.register(
            "pressfeed_http_requests",
            "HTTP requests answered by the daemon, by route and status",
            http_requests.clone(),
        );
        Metrics {
            registry,
            fetches,
            fetch_errors,
            items,
            run_duration,
            last_success,
            runs,
            http_requests,
        }
    }

    /// Records one finished run of one source.
    pub fn observe_run(&self, report: &RunReport, finished_at: DateTime<Utc>) {
        let source = SourceLabels {
            source: report.source.clone(),
        };
        self.fetches.get_or_create(&source).inc_by(report.requests);
        for (kind, n) in &report.errors_by_kind {
            self.fetch_errors
                .get_or_create(&ErrorLabels {
                    source: report.source.clone(),
                    kind: kind.clone(),
                })
                .inc_by(*n);
        }
        for (change, n) in [("new", report.new), ("updated", report.updated)] {
            self.items
                .get_or_create(&ItemLabels {
                    source: report.source.clone(),
                    change,
                })
                .inc_by(n as u64);
        }
        self.run_duration
            .get_or_create(&source)
            .observe(report.duration.as_secs_f64());
        let result = if report.failed_entirely() {
            "failed"
        } else {
            self.last_success
                .get_or_create(&source)
                .set(finished_at.timestamp());
            "ok"
        };
        self.runs
            .get_or_create(&RunLabels {
                source: report.source.clone(),
                result,
            })
            .inc();
    }

    /// Counts one HTTP answer; `route` is a fixed name so label cardinality stays bounded.
    pub fn observe_http(&self, route: &'static str, status: u16) {
        self.http_requests
            .get_or_create(&HttpLabels { route, status })
            .inc();
    }

    /// The OpenMetrics text exposition of every family.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // writing into a String cannot fail; an error here would be a bug in the encoder,
        // and an empty scrape is the least harmful answer
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use super::*;

    #[test]
    fn families_after_a_run() {
        let m = Metrics::new();
        let report = RunReport {
            source: "a".into(),
            new: 3,
            updated: 1,
            requests: 7,
            errors_by_kind: BTreeMap::from([("timeout".to_string(), 2)]),
            duration: Duration::from_millis(1500),
            ..RunReport::default()
        };
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        m.observe_run(&report, at);
        m.observe_run(
            &RunReport {
                source: "b".into(),
                fatal: Some("listing failed".into()),
                ..RunReport::default()
            },
            at,
        );
        m.observe_http("feed", 200);
        let text = m.encode();
        for line in [
            "pressfeed_fetches_total{source=\"a\"} 7",
            "pressfeed_fetch_errors_total{source=\"a\",kind=\"timeout\"} 2",
            "pressfeed_items_total{source=\"a\",change=\"new\"} 3",
            "pressfeed_items_total{source=\"a\",change=\"updated\"} 1",
            "pressfeed_run_duration_seconds_count{source=\"a\"} 1",
            "pressfeed_last_success_timestamp_seconds{source=\"a\"} 1700000000",
            "pressfeed_runs_total{source=\"a\",result=\"ok\"} 1",
            "pressfeed_runs_total{source=\"b\",result=\"failed\"} 1",
            "pressfeed_http_requests_total{route=\"feed\",status=\"200\"} 1",
            "# EOF",
        ] {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
        assert!(!text.contains("pressfeed_last_success_timestamp_seconds{source=\"b\"}"));
    }
}
