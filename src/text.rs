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
