//! JSON answers (`output.download: json`): the generated answer types derive serde with the
//! spec's member names, and this module holds what they share: the document trait and the
//! readers of numbers the service sometimes writes as strings.

use std::str::FromStr;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

/// A JSON answer document: read from and written to its wire text.
pub trait JsonDocument: DeserializeOwned + serde::Serialize {
    /// Reads the document from the answer's text.
    fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The document as compact JSON, members in the spec's order.
    fn to_json(&self) -> String {
        // Serializing plain structs of strings, numbers and booleans cannot fail; a number
        // that is not finite is written as `null` by serde_json.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A number that may arrive as a JSON number or as a numeric string (`"1097476"`): the
/// documentation types some members as String while its example and the Go SDK send numbers
/// (`number_or_string: true` in the spec).
#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrString<T> {
    Number(T),
    Text(String),
}

fn parse<T: FromStr, E: serde::de::Error>(text: &str) -> Result<T, E> {
    text.trim()
        .parse()
        .map_err(|_| E::custom(format!("`{text}` is not a number")))
}

/// Reads a number written as a JSON number or a numeric string.
pub fn number_or_string<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr + Deserialize<'de>,
{
    match NumberOrString::<T>::deserialize(d)? {
        NumberOrString::Number(n) => Ok(n),
        NumberOrString::Text(t) => parse(&t),
    }
}

/// [`number_or_string`] for a member that may be absent or `null`.
pub fn opt_number_or_string<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr + Deserialize<'de>,
{
    match Option::<NumberOrString<T>>::deserialize(d)? {
        None => Ok(None),
        Some(NumberOrString::Number(n)) => Ok(Some(n)),
        Some(NumberOrString::Text(t)) if t.trim().is_empty() => Ok(None),
        Some(NumberOrString::Text(t)) => parse(&t).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Doc {
        #[serde(deserialize_with = "number_or_string")]
        size: i64,
        #[serde(default, deserialize_with = "opt_number_or_string")]
        end: Option<i64>,
    }

    #[test]
    fn numbers_are_read_from_numbers_and_numeric_strings() {
        let a: Doc = serde_json::from_str(r#"{"size":12,"end":"34"}"#).expect("mixed");
        assert_eq!(
            a,
            Doc {
                size: 12,
                end: Some(34)
            }
        );
        let b: Doc = serde_json::from_str(r#"{"size":" 56 "}"#).expect("absent end");
        assert_eq!(
            b,
            Doc {
                size: 56,
                end: None
            }
        );
        let c: Doc = serde_json::from_str(r#"{"size":"7","end":null}"#).expect("null end");
        assert_eq!(c.end, None);
        let bad = serde_json::from_str::<Doc>(r#"{"size":"seven"}"#).unwrap_err();
        assert!(bad.to_string().contains("seven"), "{bad}");
    }
}
