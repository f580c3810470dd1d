//! The program around the pipeline: the command line and what each command does, the
//! daemon (catch-up at start, schedules, signals, reload, systemd notify), the HTTP server,
//! `preview`, the per-source run locks shared between processes, source health (`status`,
//! `STATUS=`), logging (journal priorities), the root-on-foreign-state guard, metrics and
//! exit codes.
//!
//! Layer: the top; it may import every other layer and nothing imports it.

pub mod alerts;
mod catch_up;
pub mod cli;
mod commands;
pub mod daemon;
pub mod exit;
pub mod health;
pub mod lock;
pub mod logging;
mod merged;
pub mod metrics;
mod ops;
mod ownership;
pub mod preview;
mod preview_api;
mod preview_telegram;
pub mod serve;
