//! Feed files as served: each version of a file read once, with its strong ETag,
//! `Last-Modified` and lazily built gzip and brotli bodies; content-coding negotiation and
//! conditional-request matching.

use std::io::{Read as _, Write as _};
use std::path::Path as FsPath;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::http::header::{ACCEPT, ACCEPT_ENCODING, IF_MODIFIED_SINCE, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue};
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

/// What identifies one version of a file without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FileKey {
    len: u64,
    mtime: Option<SystemTime>,
    #[cfg(unix)]
    dev: u64,
    #[cfg(unix)]
    ino: u64,
}

impl FileKey {
    pub(super) fn of(meta: &std::fs::Metadata) -> FileKey {
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt as _;
        FileKey {
            len: meta.len(),
            mtime: meta.modified().ok(),
            #[cfg(unix)]
            dev: meta.dev(),
            #[cfg(unix)]
            ino: meta.ino(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

/// One version of a feed file and everything derived from its bytes.
pub(super) struct CachedFile {
    pub(super) key: FileKey,
    pub(super) bytes: Bytes,
    /// Whole seconds, as `Last-Modified` carries them, for `If-Modified-Since`.
    mtime_secs: u64,
    /// Hex of the first 16 bytes of the SHA-256 of the bytes.
    hash: String,
    etag_identity: HeaderValue,
    etag_gzip: HeaderValue,
    etag_brotli: HeaderValue,
    pub(super) last_modified: HeaderValue,
    gzip: OnceCell<Bytes>,
    brotli: OnceCell<Bytes>,
}

impl CachedFile {
    /// Reads the file; the key comes from the open handle so it describes exactly the bytes
    /// read, even if the path is replaced meanwhile.
    pub(super) fn load(path: &FsPath) -> std::io::Result<CachedFile> {
        let mut file = std::fs::File::open(path)?;
        let meta = file.metadata()?;
        let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        file.read_to_end(&mut bytes)?;
        let mut key = FileKey::of(&meta);
        key.len = bytes.len() as u64;
        let hash = hex::encode(&Sha256::digest(&bytes)[..16]);
        let mtime = key.mtime.unwrap_or(UNIX_EPOCH);
        let mtime_secs = mtime
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let header = |s: String| HeaderValue::try_from(s).map_err(std::io::Error::other);
        Ok(CachedFile {
            key,
            etag_identity: header(format!("\"{hash}\""))?,
            etag_gzip: header(format!("\"{hash}-gz\""))?,
            etag_brotli: header(format!("\"{hash}-br\""))?,
            last_modified: header(httpdate::fmt_http_date(mtime))?,
            hash,
            bytes: Bytes::from(bytes),
            mtime_secs,
            gzip: OnceCell::new(),
            brotli: OnceCell::new(),
        })
    }

    pub(super) fn etag(&self, enc: Encoding) -> &HeaderValue {
        match enc {
            Encoding::Identity => &self.etag_identity,
            Encoding::Gzip => &self.etag_gzip,
            Encoding::Brotli => &self.etag_brotli,
        }
    }

    /// The body in `enc`, compressed once per file version off the async threads.
    pub(super) async fn body(&self, enc: Encoding) -> std::io::Result<Bytes> {
        let cell = match enc {
            Encoding::Identity => return Ok(self.bytes.clone()),
            Encoding::Gzip => &self.gzip,
            Encoding::Brotli => &self.brotli,
        };
        let bytes = self.bytes.clone();
        cell.get_or_try_init(|| async move {
            tokio::task::spawn_blocking(move || compress(enc, &bytes))
                .await
                .map_err(std::io::Error::other)?
        })
        .await
        .cloned()
    }

    /// RFC 9110 §13.1.2: weak comparison, `*` matches any current representation; a tag
    /// of any encoding of these bytes matches.
    pub(super) fn none_match(&self, headers: &HeaderMap) -> bool {
        headers
            .get_all(IF_NONE_MATCH)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|tag| {
                let tag = tag.trim();
                if tag == "*" {
                    return true;
                }
                let tag = tag.strip_prefix("W/").unwrap_or(tag);
                let Some(opaque) = tag.strip_prefix('"').and_then(|t| t.strip_suffix('"')) else {
                    return false;
                };
                let base = opaque
                    .strip_suffix("-gz")
                    .or_else(|| opaque.strip_suffix("-br"))
                    .unwrap_or(opaque);
                base == self.hash
            })
    }

    pub(super) fn not_modified_since(&self, headers: &HeaderMap) -> bool {
        headers
            .get(IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .is_some_and(|since| self.mtime_secs <= since.as_secs())
    }
}

pub(super) fn compress(enc: Encoding, bytes: &[u8]) -> std::io::Result<Bytes> {
    match enc {
        Encoding::Identity => Ok(Bytes::copy_from_slice(bytes)),
        Encoding::Gzip => {
            let mut w = flate2::write::GzEncoder::new(
                Vec::with_capacity(bytes.len() / 4),
                flate2::Compression::best(),
            );
            w.write_all(bytes)?;
            Ok(Bytes::from(w.finish()?))
        }
        Encoding::Brotli => {
            // quality 9 is within a few percent of 11 at a fraction of the time; the first
            // reader after a change waits for it
            let params = brotli::enc::BrotliEncoderParams {
                quality: 9,
                lgwin: 22,
                size_hint: bytes.len(),
                ..Default::default()
            };
            let mut out = Vec::with_capacity(bytes.len() / 4);
            brotli::enc::BrotliCompress(&mut &bytes[..], &mut out, &params)?;
            Ok(Bytes::from(out))
        }
    }
}

/// The preferred encoding the client accepts: highest q, ties going br, gzip, identity;
/// `q=0` refuses a coding, `*` stands for any coding not named.
pub(super) fn negotiate(headers: &HeaderMap) -> Encoding {
    let (mut br, mut gz, mut star) = (None, None, None);
    for value in headers.get_all(ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for part in value.split(',') {
            let mut params = part.split(';');
            let coding = params.next().unwrap_or("").trim();
            let q = params
                .filter_map(|p| {
                    let p = p.trim();
                    p.strip_prefix("q=").or_else(|| p.strip_prefix("Q="))
                })
                .next()
                .map_or(1.0, |q| q.trim().parse::<f32>().unwrap_or(0.0));
            if coding.eq_ignore_ascii_case("br") {
                br = Some(q);
            } else if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
                gz = Some(q);
            } else if coding == "*" {
                star = Some(q);
            }
        }
    }
    let br = br.or(star).unwrap_or(0.0);
    let gz = gz.or(star).unwrap_or(0.0);
    if br > 0.0 && br >= gz {
        Encoding::Brotli
    } else if gz > 0.0 {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

/// The three formats, by file extension.
pub(super) fn content_type(ext: &str) -> Option<&'static str> {
    match ext {
        "rss" => Some("application/rss+xml; charset=utf-8"),
        "atom" => Some("application/atom+xml; charset=utf-8"),
        "json" => Some("application/feed+json"),
        _ => None,
    }
}

/// What an RSS or Atom file is served as to a browser that navigates to it: browsers show
/// `application/rss+xml` and `application/atom+xml` as plain text (Chromium) or offer a
/// download, and apply the feed's stylesheet only to a generic XML type.
pub(super) const BROWSER_XML: &str = "application/xml; charset=utf-8";

/// Whether the request is a browser opening the feed as a page: its `Accept` names HTML
/// and neither feed type. Feed readers either name a feed type or send `*/*`.
pub(super) fn wants_page(headers: &HeaderMap) -> bool {
    let mut html = false;
    for value in headers.get_all(ACCEPT) {
        let Ok(value) = value.to_str() else { continue };
        for part in value.split(',') {
            let mut params = part.split(';');
            let range = params.next().unwrap_or("").trim().to_ascii_lowercase();
            let refused = params.any(|p| {
                let p = p.trim();
                p.strip_prefix("q=")
                    .or_else(|| p.strip_prefix("Q="))
                    .is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0))
            });
            match range.as_str() {
                "application/rss+xml" | "application/atom+xml" if !refused => return false,
                "text/html" if !refused => html = true,
                _ => {}
            }
        }
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_are_told_apart_from_feed_readers() {
        let cases: &[(&[&str], bool)] = &[
            // Chromium and Firefox navigations
            (
                &[
                    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
                ],
                true,
            ),
            (
                &["text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"],
                true,
            ),
            // readers
            (
                &[
                    "application/rss+xml, application/rdf+xml;q=0.8, application/atom+xml;q=0.6, application/xml;q=0.4, text/xml;q=0.4, text/html;q=0.2",
                ],
                false,
            ),
            (&["*/*"], false),
            (&[], false),
            (&["application/atom+xml", "text/html"], false),
            (&["text/html;q=0"], false),
            (&["TEXT/HTML"], true),
        ];
        for (values, want) in cases {
            let mut h = HeaderMap::new();
            for v in *values {
                h.append(ACCEPT, HeaderValue::from_str(v).expect("header"));
            }
            assert_eq!(wants_page(&h), *want, "{values:?}");
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    #[test]
    fn negotiation() {
        let cases = [
            ("", Encoding::Identity),
            ("gzip", Encoding::Gzip),
            ("br", Encoding::Brotli),
            ("gzip, br", Encoding::Brotli),
            ("br;q=0, gzip", Encoding::Gzip),
            ("br; q=0.2, gzip; q=0.8", Encoding::Gzip),
            ("br;q=0.8, gzip;q=0.8", Encoding::Brotli),
            ("x-gzip", Encoding::Gzip),
            ("*;q=0.1", Encoding::Brotli),
            ("br;q=0, *", Encoding::Gzip),
            ("*;q=0, identity", Encoding::Identity),
            ("gzip;q=bogus", Encoding::Identity),
            ("compress, deflate", Encoding::Identity),
        ];
        for (accept, expect) in cases {
            let h = headers(&[("accept-encoding", accept)]);
            assert_eq!(negotiate(&h), expect, "{accept}");
        }
        // several header lines add up
        let h = headers(&[("accept-encoding", "gzip"), ("accept-encoding", "br")]);
        assert_eq!(negotiate(&h), Encoding::Brotli);
    }

    #[test]
    fn etag_matching() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("a.rss");
        std::fs::write(&path, b"<rss/>")?;
        let f = CachedFile::load(&path)?;
        let tag = f.etag_identity.to_str().map_err(std::io::Error::other)?;
        let hash = &f.hash;
        assert_eq!(hash.len(), 32);
        for (inm, expect) in [
            (tag.to_string(), true),
            (format!("W/{tag}"), true),
            (format!("\"{hash}-br\""), true),
            (format!("\"{hash}-gz\""), true),
            (format!("\"{hash}-zz\""), false),
            (format!("\"x\",W/\"y\" , {tag}"), true),
            ("*".into(), true),
            (hash.clone(), false),
            ("\"\"".into(), false),
            ("\"".into(), false),
        ] {
            assert_eq!(
                f.none_match(&headers(&[("if-none-match", &inm)])),
                expect,
                "{inm}"
            );
        }
        Ok(())
    }
}
