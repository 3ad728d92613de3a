//! URL-safe base64 of text parameters (`MaskPic`, `MaskPoly`), and base64 of binary answers.

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// Writes without padding; reads with or without it.
const CONFIG: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_encode_padding(false)
    .with_decode_padding_mode(DecodePaddingMode::Indifferent);
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, CONFIG);
const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, CONFIG);

/// The URL-safe base64 of `text`.
pub fn encode(text: &str) -> String {
    URL_SAFE.encode(text.as_bytes())
}

/// The text of URL-safe or standard base64 `raw`; `None` when it is neither or not UTF-8.
///
/// Tencent's Python demo encodes with the standard alphabet, so `+` and `/` are accepted;
/// a `+` that reached a form-style query decoder unescaped arrives as a space and is read
/// back as `+` (base64 never holds a space).
pub fn decode(raw: &str) -> Option<String> {
    let raw = raw.trim_end_matches(['\r', '\n']).replace(' ', "+");
    let bytes = if raw.contains(['+', '/']) {
        STANDARD.decode(raw.as_bytes()).ok()?
    } else {
        URL_SAFE.decode(raw.as_bytes()).ok()?
    };
    String::from_utf8(bytes).ok()
}

/// The bytes of URL-safe or standard base64 `raw`, padded or not; `None` when it is neither.
///
/// Binary answers (`base64` nodes: images inside XML) are written in the standard alphabet by
/// the service, and in the URL-safe one by some of its clients, so both are read. Line breaks
/// (MIME-style wrapping) are skipped.
pub fn decode_bytes(raw: &str) -> Option<Vec<u8>> {
    let raw: String = raw.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if raw.contains(['+', '/']) {
        STANDARD.decode(raw.as_bytes()).ok()
    } else {
        URL_SAFE.decode(raw.as_bytes()).ok()
    }
}

/// The standard base64 of `bytes`, padded: how the service writes binary answers.
pub fn encode_bytes(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_alphabets_and_both_paddings_read_the_same_text() {
        // "??>" is 0x3f 0x3f 0x3e: standard base64 "Pz8+", URL-safe "Pz8-".
        for raw in ["Pz8-", "Pz8+", "Pz8 "] {
            assert_eq!(decode(raw).as_deref(), Some("??>"), "{raw}");
        }
        assert_eq!(encode("??>"), "Pz8-");
        // One byte: padded "YQ==" and unpadded "YQ" both read as "a".
        assert_eq!(decode("YQ==").as_deref(), Some("a"));
        assert_eq!(decode("YQ").as_deref(), Some("a"));
        assert_eq!(encode("a"), "YQ");
    }

    #[test]
    fn bytes_round_trip_through_either_alphabet() {
        let bytes: Vec<u8> = (0..=255).collect();
        let standard = encode_bytes(&bytes);
        assert!(
            standard.contains('+') && standard.ends_with('='),
            "{standard}"
        );
        assert_eq!(decode_bytes(&standard).as_deref(), Some(&bytes[..]));
        let url_safe = standard.replace('+', "-").replace('/', "_");
        assert_eq!(decode_bytes(&url_safe).as_deref(), Some(&bytes[..]));
        // Wrapped lines are read as one.
        let wrapped = format!("{}\n{}", &standard[..40], &standard[40..]);
        assert_eq!(decode_bytes(&wrapped).as_deref(), Some(&bytes[..]));
        assert_eq!(decode_bytes("not base64!"), None);
    }

    #[test]
    fn what_is_not_base64_is_refused() {
        assert_eq!(decode("[[[1,2]]]"), None);
        assert_eq!(decode("Y"), None);
        // Valid base64 of bytes that are not UTF-8.
        assert_eq!(decode("_w"), None);
    }
}
