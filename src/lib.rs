//! pressfeed turns press-service websites that publish no feed into RSS 2.0, Atom 1.0 and
//! JSON Feed.
//!
//! # Layers
//!
//! Each folder of `src/` is one layer, drawn here from the top. A layer imports only what
//! the table allows, always layers drawn lower, so every layer can be read, built and
//! tested without the ones above it. `tests/it/layers.rs` reads `src/` and fails on an
//! import that breaks the rule, and on an import cycle between the modules of one folder.
//!
//! ```text
//!  app                         cli, commands, daemon, serve, preview, lock, metrics, exits
//!  pipeline                    one run of one source: listing walk, articles, API walks;
//!                              the pages beside the feeds, WebSub pings
//!  sources                     JSON APIs, WordPress REST, sitemaps, Telegram channels
//!  http · extract · normalize  fetching · HTML → raw article · raw → clean article
//!  config                      TOML → validated Config
//!  store · render              SQLite · RSS, Atom, JSON Feed, OPML, index page, feed
//!                              stylesheet (askama templates in templates/)
//!  core                        model values, text, dates, decode, selectors, JSON paths,
//!                              URL canonicalization, cron schedules
//! ```
//!
//! | layer | may import |
//! |---|---|
//! | [`app`] | everything; nothing imports it |
//! | [`pipeline`] | every layer but app |
//! | [`sources`] | http, extract, normalize, config, core |
//! | [`http`], [`extract`], [`normalize`] | config, core (not each other) |
//! | [`store`], [`render`] | core |
//! | [`config`] | core |
//! | [`core`] | nothing of ours |
//!
//! # Data flow
//!
//! Every arrow is a plain owned value, so no parsed HTML document ever lives across an
//! `.await`:
//!
//! ```text
//! config ─► pipeline ─► http ─► core::decode ─► extract ─► normalize ─► store ─► render
//!  (TOML)    (one run    (GET,    (bytes →       (HTML →     (RawArticle   (SQLite) (feed
//!            per source)  robots)  text)          RawArticle) → Article)            files)
//! ```
//!
//! API sources (`sources`) replace the listing walk and the extraction step: they map API
//! records to the same `RawArticle`s. `app` wires it together: `pressfeed refresh` runs the
//! pipeline once per source, `pressfeed run` on each source's schedule while serving the
//! rendered files over HTTP.

// The library has no unwrap: a bad page or a bad answer is an error value, never a panic.
// (Here rather than in Cargo.toml's [lints], which would also hold the test and bench
// crates to it; unit tests may unwrap, see clippy.toml.)
#![warn(clippy::unwrap_used)]

pub mod app;
pub mod config;
pub mod core;
pub mod extract;
pub mod http;
pub mod normalize;
pub mod pipeline;
pub mod render;
pub mod sources;
pub mod store;
