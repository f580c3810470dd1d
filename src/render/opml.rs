//! The OPML 2.0 subscription list: one outline per source's RSS feed, so a reader can
//! subscribe to all of them at once.

use std::fmt::Write as _;

use url::Url;

/// One source in the list.
#[derive(Debug, Clone)]
pub struct OpmlOutline {
    pub title: String,
    pub description: String,
    /// The feed a reader subscribes to.
    pub xml_url: Url,
    /// The site's home page.
    pub html_url: Url,
    pub language: String,
}

/// The whole document.
pub fn opml(outlines: &[OpmlOutline]) -> String {
    let mut out = String::with_capacity(1024);
    out.push_str(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n\
         <head>\n<title>pressfeed</title>\n</head>\n<body>\n",
    );
    for o in outlines {
        let _ = writeln!(
            out,
            "<outline type=\"rss\" text=\"{t}\" title=\"{t}\" description=\"{}\" \
             xmlUrl=\"{}\" htmlUrl=\"{}\" language=\"{}\"/>",
            xml(&o.description),
            xml(o.xml_url.as_str()),
            xml(o.html_url.as_str()),
            xml(&o.language),
            t = xml(&o.title),
        );
    }
    out.push_str("</body>\n</opml>\n");
    out
}

/// Escapes text for an XML attribute or element, dropping characters XML 1.0 cannot carry.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // attribute value normalization would turn these into spaces
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escaping() {
        assert_eq!(
            xml("a<b>&\"c\"'d'\te\u{1}\u{FFFF}ж"),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;&#9;eж"
        );
    }
}
