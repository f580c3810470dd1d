//! Feeds out: the newest N articles of a source as RSS 2.0, Atom 1.0 and JSON Feed 1.1.
//!
//! Output is deterministic (stable order with a tie-break, dates always set, no wall clock
//! in the bytes) and written atomically, only when the bytes change, so HTTP ETags and file
//! mtimes move only on real change.

pub mod atom;
mod index;
pub mod json;
pub mod opml;
pub mod rss;
pub mod stylesheet;
mod words;
pub mod xml;

pub use index::{IndexEntry, index_page};
pub use opml::OpmlOutline;
pub use stylesheet::stylesheet;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, FixedOffset, Timelike, Utc};
use chrono_tz::Tz;
use url::Url;

use crate::core::lang::PageLang;
use crate::core::model::StoredArticle;

/// Channel-level data of one feed.
#[derive(Debug, Clone)]
pub struct FeedMeta {
    /// Source id; names the files.
    pub id: String,
    pub title: String,
    pub description: String,
    /// BCP 47 language tag; `mul` ([`crate::core::model::MULTIPLE_LANGUAGES`]) for a merged
    /// feed whose sources differ.
    pub language: String,
    /// The site's home page.
    pub site_url: Url,
    /// Public URLs of the three feed files (self links).
    pub rss_url: Url,
    pub atom_url: Url,
    pub json_url: Url,
    /// The source's time zone: dates are written with its offset at that instant.
    pub timezone: Tz,
    /// WebSub hubs announced in the feeds.
    pub hubs: Vec<Url>,
}

/// What one feed shows: the metadata and the items, newest first.
#[derive(Debug, Clone)]
pub struct FeedModel {
    pub meta: FeedMeta,
    pub items: Vec<StoredArticle>,
}

impl FeedModel {
    /// Sorts items newest first, ties broken by id, so the output never depends on the
    /// order the store returned them in.
    pub fn new(meta: FeedMeta, mut items: Vec<StoredArticle>) -> FeedModel {
        items.sort_by(|a, b| {
            b.published
                .cmp(&a.published)
                .then_with(|| a.article.id.cmp(&b.article.id))
        });
        FeedModel { meta, items }
    }

    /// The feed's last change: the newest `updated` among its items; the Unix epoch is never
    /// written (an empty feed uses `fallback`, e.g. the source's last successful run).
    pub fn updated(&self, fallback: DateTime<Utc>) -> DateTime<Utc> {
        self.items
            .iter()
            .map(|i| i.updated.max(i.published))
            .max()
            .unwrap_or(fallback)
    }
}

/// Why writing a feed failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("render: {format} for {id}: {message}")]
    Serialize {
        id: String,
        format: &'static str,
        message: String,
    },
    #[error("render: write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("render: template {what}: {message}")]
    Template { what: &'static str, message: String },
}

/// Which files of a feed were rewritten.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    pub written: Vec<PathBuf>,
    pub unchanged: Vec<PathBuf>,
}

/// Renders all three formats and writes `<dir>/<id>.rss|.atom|.json`, each only if its bytes
/// differ from what is on disk.
pub fn write_feeds(
    dir: &Path,
    model: &FeedModel,
    fallback_updated: DateTime<Utc>,
) -> Result<WriteReport, RenderError> {
    let updated = model.updated(fallback_updated);
    // Render everything before writing anything, so a serializer error never leaves the
    // three files out of step with each other.
    let outputs = [
        ("rss", rss::render(model, updated)?),
        ("atom", atom::render(model, updated)?),
        ("json", json::render(model, updated)?),
    ];
    remove_stale_temps(dir, &model.meta.id);
    let mut report = WriteReport::default();
    for (ext, bytes) in outputs {
        let path = dir.join(format!("{}.{ext}", model.meta.id));
        match write_if_changed(&path, &bytes) {
            Ok(true) => report.written.push(path),
            Ok(false) => report.unchanged.push(path),
            Err(source) => return Err(RenderError::Write { path, source }),
        }
    }
    Ok(report)
}

/// File names of the pages for people written beside the feeds.
pub const INDEX_FILE: &str = "index.html";
pub const OPML_FILE: &str = "feeds.opml";

/// Writes the pages for people into `dir` beside the feed files: `index.html` (in `lang`,
/// linking the OPML beside it), `feeds.opml` and the feed stylesheet, so a plain web server
/// pointed at `dir` shows what the daemon shows. Each file is rewritten only when its bytes
/// change; returns the files rewritten.
pub fn write_pages(
    dir: &Path,
    entries: &[IndexEntry],
    outlines: &[OpmlOutline],
    lang: PageLang,
) -> Result<Vec<PathBuf>, RenderError> {
    let pages = [
        (INDEX_FILE, index_page(entries, OPML_FILE, lang)?),
        (OPML_FILE, opml::opml(outlines)?),
        (stylesheet::FILE_NAME, stylesheet(lang)?),
    ];
    let mut written = Vec::new();
    for (name, text) in pages {
        let path = dir.join(name);
        match write_if_changed(&path, text.as_bytes()) {
            Ok(true) => written.push(path),
            Ok(false) => {}
            Err(source) => return Err(RenderError::Write { path, source }),
        }
    }
    Ok(written)
}

/// Removes temp files of this feed left by a writer that was killed between writing and
/// renaming. Callers hold the source's run lock (see `crate::app::lock`), so a temp file of this
/// feed from another process belongs to a dead one.
fn remove_stale_temps(dir: &Path, id: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let own = format!("-{}-", std::process::id());
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let ours = ["rss", "atom", "json"]
            .iter()
            .any(|ext| name.starts_with(&format!(".{id}.{ext}.tmp-")));
        if ours && !name.contains(&own) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Writes `bytes` to `path` through a temp file in the same folder + rename, unless the file
/// already holds exactly these bytes. Returns whether it wrote.
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    // Any read failure (missing file, unreadable) just means "different": the write below
    // reports the real problem if there is one.
    if fs::read(path).is_ok_and(|existing| existing == bytes) {
        return Ok(false);
    }
    let name = path.file_name().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{} has no file name", path.display()),
        )
    })?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir)?;

    // pid + process-wide counter keeps concurrent writers (threads or processes) from
    // sharing a temp file.
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(
        ".{}.tmp-{}-{n}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    // Makes the rename durable; some platforms and file systems refuse to open or sync a
    // directory, and the data itself is already safe, so failure here is not an error.
    if let Ok(d) = fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(true)
}

/// An instant in the source's time zone with the offset in force at that instant, whole
/// seconds only so every format shows the same value.
pub(crate) fn local_time(t: DateTime<Utc>, tz: Tz) -> DateTime<FixedOffset> {
    let t = t.with_nanosecond(0).unwrap_or(t);
    t.with_timezone(&tz).fixed_offset()
}

/// Text as it may appear in XML (and, for consistency, JSON).
pub(crate) fn clean(s: &str) -> String {
    crate::core::text::strip_xml_illegal(s)
}

/// Media type of an image from its URL's file extension; JPEG when unknown, the most
/// common type of news photos.
pub(crate) fn image_mime(url: &Url) -> &'static str {
    let ext = url
        .path()
        .rsplit('/')
        .next()
        .and_then(|last| last.rsplit_once('.'))
        .map(|(_, ext)| ext.to_ascii_lowercase());
    match ext.as_deref() {
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        Some("gif") => "image/gif",
        Some("avif") => "image/avif",
        Some("svg") => "image/svg+xml",
        _ => "image/jpeg",
    }
}

/// The author shown for an item: the article's own, else the source's title.
pub(crate) fn author_or_source<'a>(item: &'a StoredArticle, meta: &'a FeedMeta) -> &'a str {
    item.article
        .author
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .unwrap_or(meta.title.as_str())
}

/// An item's last change, never earlier than its publication.
pub(crate) fn item_updated(item: &StoredArticle) -> DateTime<Utc> {
    item.updated.max(item.published)
}

#[cfg(test)]
mod tests;
