//! What the alert webhook was last told about each source, kept so that an alert goes out
//! once per change of state, across restarts too.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};

/// The alerted state of a source: failing or not, and which drifted selectors were
/// reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertMemory {
    pub failing: bool,
    pub drift: Vec<String>,
}

impl Store {
    /// The alerted state of `source`; the default (fine, no drift) when never alerted.
    pub fn alert_memory(&self, source: &str) -> Result<AlertMemory, StoreError> {
        let row: Option<(bool, String)> = self
            .conn
            .query_row(
                "SELECT failing, drift FROM alert_state WHERE source = ?1",
                [source],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(self.err("read alert state"))?;
        Ok(row
            .map(|(failing, drift)| AlertMemory {
                failing,
                drift: serde_json::from_str(&drift).unwrap_or_default(),
            })
            .unwrap_or_default())
    }

    /// Records what the webhook is being told about `source`.
    pub fn set_alert_memory(&self, source: &str, m: &AlertMemory) -> Result<(), StoreError> {
        let drift = serde_json::to_string(&m.drift).unwrap_or_else(|_| "[]".into());
        self.conn
            .execute(
                "INSERT INTO alert_state (source, failing, drift) VALUES (?1, ?2, ?3)
                 ON CONFLICT (source) DO UPDATE SET failing = ?2, drift = ?3",
                params![source, m.failing, drift],
            )
            .map_err(self.err("record alert state"))?;
        Ok(())
    }
}
