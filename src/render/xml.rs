//! Escaping for the XML documents built from templates (OPML, the feed stylesheet).

use std::fmt;

/// The askama escaper of `.opml` and `.xsl` templates (see `askama.toml`): escapes markup,
/// drops characters XML 1.0 cannot carry, and keeps tabs and line breaks in attribute
/// values as character references (a parser would turn them into spaces).
#[derive(Debug, Clone, Copy)]
pub struct Xml;

impl askama::filters::Escaper for Xml {
    fn write_escaped_str<W: fmt::Write>(&self, mut dest: W, s: &str) -> fmt::Result {
        for c in s.chars() {
            match c {
                '&' => dest.write_str("&amp;")?,
                '<' => dest.write_str("&lt;")?,
                '>' => dest.write_str("&gt;")?,
                '"' => dest.write_str("&quot;")?,
                '\'' => dest.write_str("&apos;")?,
                '\t' => dest.write_str("&#9;")?,
                '\n' => dest.write_str("&#10;")?,
                '\r' => dest.write_str("&#13;")?,
                c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
                c => dest.write_char(c)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use askama::filters::Escaper as _;

    #[test]
    fn xml_escaping() {
        let mut out = String::new();
        super::Xml
            .write_escaped_str(&mut out, "a<b>&\"c\"'d'\te\u{1}\u{FFFF}ж")
            .expect("write");
        assert_eq!(out, "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;&#9;eж");
    }
}
