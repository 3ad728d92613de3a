//! URL-safe base64 of text parameters (`MaskPic`, `MaskPoly`).

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
    fn what_is_not_base64_is_refused() {
        assert_eq!(decode("[[[1,2]]]"), None);
        assert_eq!(decode("Y"), None);
        // Valid base64 of bytes that are not UTF-8.
        assert_eq!(decode("_w"), None);
    }
}
