//! [`Base64Data`]: binary data an answer carries as base64 text (`type: base64` nodes).

/// Binary data written as base64 text in an answer (an image inside an XML document).
///
/// It is kept as the text the service sent, since documentation examples and some answers hold
/// placeholders that are no base64 at all; [`Base64Data::decode`] reads the bytes on request,
/// in the standard or the URL-safe alphabet, padded or not.
///
/// ```
/// use cos_ci_validate::Base64Data;
///
/// let data = Base64Data::from_bytes(b"\x89PNG");
/// assert_eq!(data.as_str(), "iVBORw==");
/// assert_eq!(data.decode().unwrap(), b"\x89PNG");
/// assert!(Base64Data::new("<base64 image>").decode().is_err());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Base64Data(String);

/// Why [`Base64Data::decode`] failed: the text is no base64 in either alphabet.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the text is not base64 ({len} characters)")]
pub struct Base64Error {
    /// The text's length in characters.
    pub len: usize,
}

impl Base64Data {
    /// The data as the text `text`, unchecked (it is checked by [`Base64Data::decode`]).
    pub fn new(text: impl Into<String>) -> Self {
        Base64Data(text.into())
    }

    /// `bytes` in standard base64, as the service writes them.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        Base64Data(cos_ci_core::base64url::encode_bytes(bytes))
    }

    /// The text as received.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether no text was received.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The bytes the text encodes.
    pub fn decode(&self) -> Result<Vec<u8>, Base64Error> {
        cos_ci_core::base64url::decode_bytes(&self.0).ok_or(Base64Error {
            len: self.0.chars().count(),
        })
    }
}

impl From<String> for Base64Data {
    fn from(text: String) -> Self {
        Base64Data(text)
    }
}

impl std::fmt::Display for Base64Data {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl crate::xml::XmlScalar for Base64Data {
    const EMPTY_IS_VALUE: bool = true;
    fn from_text(_: &str, text: &str) -> Result<Self, crate::xml::XmlError> {
        Ok(Base64Data(text.to_string()))
    }
    fn to_text(&self) -> String {
        self.0.clone()
    }
}

impl serde::Serialize for Base64Data {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Base64Data {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Base64Data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::XmlScalar;

    #[test]
    fn text_is_kept_and_decoded_on_request() {
        let bytes: Vec<u8> = (0u8..=255).rev().collect();
        let data = Base64Data::from_bytes(&bytes);
        let read = Base64Data::from_text("Image", data.as_str()).expect("any text is read");
        assert_eq!(read.decode().expect("base64"), bytes);
        assert_eq!(read.to_text(), data.as_str());
        let placeholder = Base64Data::from_text("Image", "<image>").expect("kept as text");
        assert_eq!(placeholder.as_str(), "<image>");
        assert_eq!(placeholder.decode(), Err(Base64Error { len: 7 }));
    }
}
