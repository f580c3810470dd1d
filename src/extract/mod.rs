//! Extraction: HTML text in, owned values out. Synchronous and pure on purpose: a
//! `scraper::Html` is not `Send` and must never live across an `.await`.
//!
//! Files: `listing` (listing pages), `article` (article pages, field by field), `body`
//! (the article body and its cleaning), `structured` (JSON-LD and `<meta>`), `html`
//! (shared helpers), `nesting` (the depth cap applied before parsing), `discover`
//! (zero-config article links), `groups` (which repeated list is a listing's main list),
//! `pager` (a zero-config listing's next page), `readable` (zero-config main content,
//! boilerplate text, signature lines), `telegram` (Telegram channel previews: messages,
//! titles, paging), `visible` (zero-config title and date from what the page shows),
//! `captions` (figure captions, photo credits, download buttons), `feed` (feeds as
//! listings, and the feeds a page advertises).
//!
//! Layer: imports `config` and `core`.

mod article;
mod body;
mod captions;
pub mod discover;
pub mod feed;
mod groups;
mod html;
mod listing;
mod nesting;
mod pager;
pub mod readable;
mod structured;
pub mod telegram;
mod visible;

pub use article::{extract_article, extract_article_listed};
pub use body::readable_body;
pub use listing::extract_listing;
pub use visible::Listed;
