//! The feed stylesheet: an XSLT that a browser applies to an RSS or Atom file so that a
//! person who clicks a feed link sees the feed's title, its items and how to subscribe
//! instead of raw XML. Feed readers ignore it. Every RSS and Atom file names it with an
//! `<?xml-stylesheet?>` processing instruction; it is written beside them (`feed.xsl`) and
//! served at the same path, so the browser finds it on the feed's own origin, which
//! browsers require before they apply an XSLT.

use askama::Template;

use super::RenderError;
use super::words::Words;
use crate::core::lang::PageLang;

/// File name of the stylesheet, beside the feed files; also the PI's relative `href`.
pub const FILE_NAME: &str = "feed.xsl";

/// Media type the stylesheet is served with: one browsers load an XSLT from.
pub const CONTENT_TYPE: &str = "text/xsl; charset=utf-8";

/// The processing instruction that follows the XML declaration of every RSS and Atom file.
const PI: &str = "<?xml-stylesheet type=\"text/xsl\" href=\"feed.xsl\"?>\n";

#[derive(Template)]
#[template(path = "feed.xsl")]
struct Stylesheet {
    lang: PageLang,
    w: &'static Words,
}

/// The stylesheet with its words in `lang`.
pub fn stylesheet(lang: PageLang) -> Result<String, RenderError> {
    Stylesheet {
        lang,
        w: Words::of(lang),
    }
    .render()
    .map_err(|e| RenderError::Template {
        what: FILE_NAME,
        message: e.to_string(),
    })
}

/// `xml` (a serialized feed) with the stylesheet PI after its XML declaration. The PI may
/// not come before the declaration, which must open the document.
pub(crate) fn with_stylesheet_pi(xml: Vec<u8>) -> Vec<u8> {
    let decl_end = xml
        .starts_with(b"<?xml ")
        .then(|| xml.windows(2).position(|w| w == b"?>"))
        .flatten()
        .map_or(0, |p| p + 2);
    let mut out = Vec::with_capacity(xml.len() + PI.len() + 1);
    out.extend_from_slice(&xml[..decl_end]);
    if decl_end > 0 {
        out.push(b'\n');
    }
    out.extend_from_slice(PI.as_bytes());
    // the serializers put the root element right after the declaration, with or without a
    // line break
    let rest = &xml[decl_end..];
    out.extend_from_slice(rest.strip_prefix(b"\n").unwrap_or(rest));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pi_follows_the_declaration() {
        assert_eq!(
            with_stylesheet_pi(b"<?xml version=\"1.0\"?>\n<feed/>\n".to_vec()),
            b"<?xml version=\"1.0\"?>\n<?xml-stylesheet type=\"text/xsl\" href=\"feed.xsl\"?>\n<feed/>\n"
        );
        assert_eq!(
            with_stylesheet_pi(b"<?xml version=\"1.0\"?><rss/>".to_vec()),
            b"<?xml version=\"1.0\"?>\n<?xml-stylesheet type=\"text/xsl\" href=\"feed.xsl\"?>\n<rss/>"
        );
        assert_eq!(
            with_stylesheet_pi(b"<rss/>".to_vec()),
            b"<?xml-stylesheet type=\"text/xsl\" href=\"feed.xsl\"?>\n<rss/>"
        );
    }

    #[test]
    fn stylesheet_is_well_formed_xslt_in_each_language() {
        for lang in PageLang::ALL {
            let xsl = stylesheet(lang).expect("render");
            let doc = roxmltree::Document::parse(&xsl).expect("well-formed");
            let root = doc.root_element();
            assert_eq!(root.tag_name().name(), "stylesheet");
            assert_eq!(
                root.tag_name().namespace(),
                Some("http://www.w3.org/1999/XSL/Transform")
            );
            assert!(xsl.contains(Words::of(lang).subscribe_how), "{lang}");
            assert!(xsl.contains(&format!("<html lang=\"{lang}\">")), "{lang}");
        }
    }
}
