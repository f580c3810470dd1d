//! Small text helpers shared by extract, normalize and render.

/// Collapses runs of whitespace (including NBSP) to one space and trims.
pub fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split(|c: char| c.is_whitespace() || c == '\u{a0}') {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Text of a field that APIs deliver HTML-escaped (WordPress `title.rendered`, term and
/// author names, gov.kz titles): entities decoded, tags dropped. Text taken from parsed HTML
/// is already decoded and must not go through this again (`&amp;lt;` must stay `&lt;`).
pub fn html_fragment_text(s: &str) -> String {
    let frag = scraper::Html::parse_fragment(s);
    collapse_whitespace(&frag.root_element().text().collect::<String>())
}

/// True for characters XML 1.0 forbids (C0 controls but tab/LF/CR, surrogates, U+FFFE/FFFF).
pub fn is_xml_illegal(c: char) -> bool {
    !matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// Removes XML-illegal characters (the `rss` crate passes them through).
pub fn strip_xml_illegal(s: &str) -> String {
    if s.chars().any(is_xml_illegal) {
        s.chars().filter(|c| !is_xml_illegal(*c)).collect()
    } else {
        s.to_string()
    }
}
