//! Every integration test, in one binary: the modules below are the scenarios (one file
//! each, as they were when each was its own binary), `common` their fixture server and
//! helpers. One binary links the library once instead of once per file.

mod common;

mod attack_corpus;
mod crash_safety;
mod daemon;
mod faults;
mod fixture_server;
mod incremental;
mod layers;
mod preview;
mod properties;
mod refresh;
mod resource_bounds;
mod serve;
mod serve_limits;
mod sources;
mod timer_mode;
mod zeroconf;
