//! Which state changes of a source the alert webhook hears about: it starts failing
//! (`after_failures` failed runs in a row), it recovers, or selectors drift. Decided after
//! each run against what the webhook was last told (kept in the store), so each change is
//! reported once, across restarts and between `refresh` and the daemon. Delivery is the
//! caller's (see `app::alerts`); a run never waits for it.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{RunCtx, RunReport, lock};
use crate::store::{AlertMemory, SourceState};

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    Failing,
    Recovered,
    Drift,
}

/// One alert, posted as JSON: `{"source", "state", "message", "time"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    pub source: String,
    pub state: AlertState,
    pub message: String,
    pub time: DateTime<Utc>,
}

/// The alerts a source's new state calls for, given what was alerted before, and the
/// alerted state to remember. Pure, so the table of cases is tested without a store.
pub(super) fn decide(
    before: &AlertMemory,
    st: &SourceState,
    after_failures: u32,
) -> (AlertMemory, Vec<(AlertState, String)>) {
    let mut now = before.clone();
    let mut out = Vec::new();
    let n = st.consecutive_failures;
    if n >= after_failures && !before.failing {
        now.failing = true;
        let last = st.last_error.as_deref().unwrap_or("unknown error");
        let runs = if n == 1 { "run" } else { "runs in a row" };
        out.push((
            AlertState::Failing,
            format!("{n} failed {runs}; last error: {last}"),
        ));
    } else if n == 0 && before.failing {
        now.failing = false;
        out.push((
            AlertState::Recovered,
            "the source runs successfully again".into(),
        ));
    }
    let mut drift = st.drift.clone();
    drift.sort();
    drift.dedup();
    let fresh: Vec<&String> = drift.iter().filter(|d| !before.drift.contains(d)).collect();
    if !fresh.is_empty() {
        let list: Vec<&str> = drift.iter().map(String::as_str).collect();
        out.push((
            AlertState::Drift,
            format!(
                "selectors that used to match matched nothing on the last run (the site's markup may have changed): {}",
                list.join(", ")
            ),
        ));
    }
    now.drift = drift;
    (now, out)
}

/// After a run: compares the source's state with what was alerted, records the new
/// alerted state and puts the alerts to send in the report. A store error skips the
/// alerts of this run (logged); the next run decides again.
pub(super) fn after_run(ctx: &RunCtx<'_>, report: &mut RunReport) {
    let Some(cfg) = &ctx.settings.alerts else {
        return;
    };
    let id = &ctx.source.id;
    let s = lock(ctx.store);
    let decided = s.source_state(id).and_then(|st| {
        let before = s.alert_memory(id)?;
        let (now, alerts) = decide(&before, &st, cfg.after_failures);
        if now != before {
            s.set_alert_memory(id, &now)?;
        }
        Ok(alerts)
    });
    match decided {
        Ok(alerts) => {
            report.alerts = alerts
                .into_iter()
                .map(|(state, message)| Alert {
                    source: id.clone(),
                    state,
                    message,
                    time: Utc::now(),
                })
                .collect();
        }
        Err(e) => {
            tracing::warn!(source = %id, error = %e, "alerts: cannot read or record the alert state")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(failures: u32, drift: &[&str]) -> SourceState {
        SourceState {
            consecutive_failures: failures,
            last_error: (failures > 0).then(|| "GET http://x/: 503".to_string()),
            drift: drift.iter().map(|d| d.to_string()).collect(),
            ..SourceState::default()
        }
    }

    /// Walks a sequence of run states, as the runs would, and returns the alert kinds.
    fn walk(states: &[SourceState], after: u32) -> Vec<Vec<AlertState>> {
        let mut mem = AlertMemory::default();
        states
            .iter()
            .map(|s| {
                let (next, alerts) = decide(&mem, s, after);
                mem = next;
                alerts.into_iter().map(|(k, _)| k).collect()
            })
            .collect()
    }

    #[test]
    fn one_alert_per_change_of_state() {
        use AlertState::*;
        let none: Vec<AlertState> = Vec::new();
        for (name, states, after, expected) in [
            (
                "fails four times then recovers",
                vec![st(1, &[]), st(2, &[]), st(3, &[]), st(4, &[]), st(0, &[])],
                3,
                vec![
                    none.clone(),
                    none.clone(),
                    vec![Failing],
                    none.clone(),
                    vec![Recovered],
                ],
            ),
            (
                "a failure streak shorter than after_failures says nothing, nor its end",
                vec![st(1, &[]), st(2, &[]), st(0, &[])],
                3,
                vec![none.clone(), none.clone(), none.clone()],
            ),
            (
                "after_failures = 1 alerts on the first failure",
                vec![st(1, &[]), st(0, &[]), st(0, &[])],
                1,
                vec![vec![Failing], vec![Recovered], none.clone()],
            ),
            (
                "drift once while it lasts, again when another selector drifts, again after it cleared",
                vec![
                    st(0, &["article.date"]),
                    st(0, &["article.date"]),
                    st(0, &["article.date", "listing.title"]),
                    st(0, &["listing.title"]),
                    st(0, &[]),
                    st(0, &["article.date"]),
                ],
                3,
                vec![
                    vec![Drift],
                    none.clone(),
                    vec![Drift],
                    none.clone(),
                    none.clone(),
                    vec![Drift],
                ],
            ),
        ] {
            assert_eq!(walk(&states, after), expected, "{name}");
        }
    }

    #[test]
    fn the_failing_message_names_the_streak_and_the_last_error() {
        let (mem, alerts) = decide(&AlertMemory::default(), &st(3, &[]), 3);
        assert!(mem.failing);
        assert_eq!(alerts.len(), 1);
        assert_eq!(
            alerts[0].1,
            "3 failed runs in a row; last error: GET http://x/: 503"
        );
    }

    #[test]
    fn alert_json_has_the_documented_shape() {
        let a = Alert {
            source: "gov".into(),
            state: AlertState::Recovered,
            message: "ok".into(),
            time: DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
                .unwrap()
                .with_timezone(&Utc),
        };
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"{"source":"gov","state":"recovered","message":"ok","time":"2026-01-02T03:04:05Z"}"#
        );
    }
}
