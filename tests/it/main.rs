//! Every integration test, in one binary: the modules below are the scenarios (one file
//! each, as they were when each was its own binary), `common` their fixture server and
//! helpers. One binary links the library once instead of once per file.

mod common;

mod alerts;
mod attack_corpus;
mod bodies;
mod crash_safety;
mod daemon;
mod faults;
mod feed_source;
mod fixture_server;
mod gated_api;
mod incremental;
mod layers;
mod merged;
mod network;
mod preview;
mod preview_api;
mod properties;
mod refresh;
mod resource_bounds;
mod retention;
mod serve;
mod serve_limits;
mod service;
mod sources;
mod telegram;
mod timer_mode;
mod zeroconf;
mod zeroconf_families;
