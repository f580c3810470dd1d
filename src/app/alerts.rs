//! Delivering alerts to `[settings.alerts] webhook`: a bounded queue and one worker task,
//! so a run only ever hands its alerts over and never waits for the webhook. Each alert is
//! POSTed as JSON and retried with growing pauses while the webhook fails in a way that
//! may pass (a network error, 5xx, 429); at shutdown the queue is drained for a bounded
//! time, and what is still undelivered then is logged.
//!
//! Which alerts there are (once per change of state, remembered in the store) is decided
//! by the pipeline after each run; see `pipeline::alerts`.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use url::Url;

use crate::http::{FetchError, Fetcher};
use crate::pipeline::Alert;

/// Alerts waiting for delivery at most; more are dropped (and logged) rather than holding
/// up a run.
const QUEUE: usize = 64;

/// Pauses before the second, third and fourth attempt.
pub const RETRY_DELAYS: [Duration; 3] = [
    Duration::from_secs(2),
    Duration::from_secs(10),
    Duration::from_secs(60),
];

/// One alert and how to deliver it (a reload may change the webhook or the proxy).
struct Delivery {
    alert: Alert,
    webhook: Url,
    fetcher: Fetcher,
}

/// The delivery queue and its worker.
#[derive(Debug)]
pub struct Notifier {
    tx: mpsc::Sender<Delivery>,
    worker: JoinHandle<usize>,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("alert", &self.alert)
            .field("webhook", &self.webhook.as_str())
            .finish_non_exhaustive()
    }
}

impl Notifier {
    /// Starts the worker with the default retry pauses.
    pub fn start() -> Notifier {
        Notifier::with_retry_delays(RETRY_DELAYS.to_vec())
    }

    /// Starts the worker; one attempt plus one per pause (tests use zero pauses).
    pub fn with_retry_delays(delays: Vec<Duration>) -> Notifier {
        let (tx, rx) = mpsc::channel(QUEUE);
        let worker = tokio::spawn(deliver_all(rx, delays));
        Notifier { tx, worker }
    }

    /// Queues `alerts` for `webhook`; never waits. A full queue drops the alert with an
    /// error in the log.
    pub fn send(&self, webhook: &Url, fetcher: &Fetcher, alerts: Vec<Alert>) {
        for alert in alerts {
            tracing::info!(source = %alert.source, state = ?alert.state, "alert: {}", alert.message);
            let d = Delivery {
                alert,
                webhook: webhook.clone(),
                fetcher: fetcher.clone(),
            };
            if let Err(e) = self.tx.try_send(d) {
                let d = match e {
                    mpsc::error::TrySendError::Full(d) | mpsc::error::TrySendError::Closed(d) => d,
                };
                tracing::error!(source = %d.alert.source, "alert queue full; alert dropped");
            }
        }
    }

    /// Closes the queue and waits up to `bound` for what is queued to be delivered (or
    /// given up); returns how many alerts were delivered in all. Past the bound the rest is
    /// abandoned, with an error in the log.
    pub async fn drain(self, bound: Duration) -> usize {
        drop(self.tx);
        let mut worker = self.worker;
        match tokio::time::timeout(bound, &mut worker).await {
            Ok(delivered) => delivered.unwrap_or(0),
            Err(_) => {
                worker.abort();
                tracing::error!(
                    bound_secs = bound.as_secs(),
                    "alerts still undelivered at shutdown; abandoned"
                );
                0
            }
        }
    }
}

/// The worker: delivers queued alerts one after another until the queue closes.
async fn deliver_all(mut rx: mpsc::Receiver<Delivery>, delays: Vec<Duration>) -> usize {
    let mut delivered = 0;
    while let Some(d) = rx.recv().await {
        if deliver(&d, &delays).await {
            delivered += 1;
        }
    }
    delivered
}

/// Posts one alert, retrying after each pause while the failure may pass.
async fn deliver(d: &Delivery, delays: &[Duration]) -> bool {
    let body = match serde_json::to_string(&d.alert) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "alert: cannot encode");
            return false;
        }
    };
    let mut pauses = delays.iter();
    loop {
        let err = match d.fetcher.post_json(&d.webhook, body.clone()).await {
            Ok(()) => return true,
            Err(e) => e,
        };
        let pause = pauses.next().filter(|_| transient(&err));
        let Some(pause) = pause else {
            tracing::error!(source = %d.alert.source, webhook = %d.webhook, error = %err, "alert not delivered");
            return false;
        };
        tracing::warn!(source = %d.alert.source, webhook = %d.webhook, error = %err, retry_in_secs = pause.as_secs(), "alert delivery failed; retrying");
        tokio::time::sleep(*pause).await;
    }
}

/// Whether a failed POST is worth another try: not when the webhook refused the request
/// itself (4xx other than 408 and 429) or the client could not be built.
fn transient(e: &FetchError) -> bool {
    match e {
        FetchError::Status { status, .. } => *status >= 500 || *status == 408 || *status == 429,
        FetchError::Client { .. } | FetchError::Redirect { .. } => false,
        _ => true,
    }
}
