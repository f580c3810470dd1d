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

/// Whether `s` holds a character [`is_xml_illegal`] matches, decided on the UTF-8 bytes
/// (every feed field passes here, bodies three times per render): a C0 control other than
/// tab/LF/CR, or U+FFFE/U+FFFF (EF BF BE/BF). A `str` cannot hold a surrogate.
pub fn holds_xml_illegal(s: &str) -> bool {
    let b = s.as_bytes();
    c0_controls(b) > 0
        || memchr::memchr_iter(0xEF, b)
            .any(|i| matches!(b.get(i + 1..i + 3), Some([0xBF, 0xBE..=0xBF])))
}

/// How many C0 controls other than tab, LF and CR `b` holds. Non-short-circuit operators and
/// byte-wide sums per 255-byte chunk keep it a loop the compiler vectorizes.
pub fn c0_controls(b: &[u8]) -> usize {
    b.chunks(255)
        .map(|chunk| {
            chunk.iter().fold(0u8, |n, &c| {
                n + u8::from((c < 0x20) & (c != b'\t') & (c != b'\n') & (c != b'\r'))
            })
        })
        .map(usize::from)
        .sum()
}

/// Removes XML-illegal characters (the `rss` crate passes them through).
pub fn strip_xml_illegal(s: &str) -> String {
    if holds_xml_illegal(s) {
        s.chars().filter(|c| !is_xml_illegal(*c)).collect()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The byte-level test is exact: same answer as asking every character.
        #[test]
        fn holds_xml_illegal_agrees_with_is_xml_illegal(
            s in "[\\x00-\\x21\\x7F-\\x{AF}\\x{D7F0}-\\x{D7FF}\\x{E000}-\\x{E010}\\x{FEFE}-\\x{FF00}\\x{FFF0}-\\x{FFFF}\\x{10000}-\\x{10010}а-я]{0,40}"
        ) {
            proptest::prop_assert_eq!(holds_xml_illegal(&s), s.chars().any(is_xml_illegal));
        }
    }
}
