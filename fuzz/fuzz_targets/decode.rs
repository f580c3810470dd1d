//! `decode_html` on arbitrary bytes, with and without an HTTP charset.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    for ct in [
        None,
        Some("text/html; charset=windows-1251"),
        Some("text/html; charset=utf-8"),
    ] {
        let decoded = pressfeed::core::decode::decode_html(bytes, ct);
        if !bytes.contains(&0) {
            assert!(!decoded.text.contains('\0'));
        }
    }
});
