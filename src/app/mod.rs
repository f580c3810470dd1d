//! The program around the pipeline: the command line and what each command does, the
//! daemon (schedules, signals, reload, systemd notify), the HTTP server, `preview`, the
//! per-source run locks shared between processes, metrics and exit codes.
//!
//! Layer: the top; it may import every other layer and nothing imports it.

pub mod cli;
mod commands;
pub mod daemon;
pub mod exit;
pub mod lock;
pub mod metrics;
pub mod preview;
mod preview_api;
pub mod serve;
