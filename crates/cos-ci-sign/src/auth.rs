//! The seven-field authorization value: building, printing and parsing it.

use std::fmt;

use crate::{KeyTime, SignError, form_encode};

/// The only supported `q-sign-algorithm`.
pub const ALGORITHM: &str = "sha1";

/// Names of the seven authorization fields, in their fixed wire order.
pub const AUTH_FIELDS: [&str; 7] = [
    "q-sign-algorithm",
    "q-ak",
    "q-sign-time",
    "q-key-time",
    "q-header-list",
    "q-url-param-list",
    "q-signature",
];

/// A parsed or freshly computed COS authorization (`q-sign-algorithm=sha1&q-ak=…&q-signature=…`).
///
/// `header_list` and `url_param_list` hold the encoded, lower-cased names exactly as they appear in
/// `q-header-list` / `q-url-param-list` (never empty strings); `signature` is 40 lower-case hex
/// digits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization {
    /// `q-ak`: the SecretId.
    pub secret_id: String,
    /// `q-sign-time`: the window that goes into the StringToSign.
    pub sign_time: KeyTime,
    /// `q-key-time`: the window the SignKey is derived from.
    pub key_time: KeyTime,
    /// `q-header-list`, split on `;`.
    pub header_list: Vec<String>,
    /// `q-url-param-list`, split on `;`.
    pub url_param_list: Vec<String>,
    /// `q-signature`: lower-case hex HMAC-SHA1.
    pub signature: String,
}

impl Authorization {
    fn fields(&self) -> [String; 7] {
        [
            ALGORITHM.to_string(),
            self.secret_id.clone(),
            self.sign_time.to_string(),
            self.key_time.to_string(),
            self.header_list.join(";"),
            self.url_param_list.join(";"),
            self.signature.clone(),
        ]
    }

    /// The exact `Authorization` header value: the seven fields in their fixed order, joined by
    /// `&`, values unencoded (`q-sign-time=1699999940;1700003600`, an empty list stays as
    /// `q-url-param-list=`).
    pub fn to_header_value(&self) -> String {
        join_fields(&self.fields(), |v| v.to_string())
    }

    /// The seven fields as the query of a pre-signed URL, form-url-encoded exactly as the Python
    /// SDK's `get_presigned_url` builds them (`;` → `%3B`). No leading `?`.
    pub fn to_query(&self) -> String {
        join_fields(&self.fields(), form_encode)
    }

    /// [`to_query`](Self::to_query) followed by `&` and the `params` form-url-encoded (Python
    /// `urlencode(Params)`), i.e. the whole query of a Python-style pre-signed URL.
    pub fn to_presigned_query(&self, params: &[(String, String)]) -> String {
        let mut out = self.to_query();
        for (k, v) in params {
            out.push('&');
            out.push_str(&form_encode(k));
            out.push('=');
            out.push_str(&form_encode(v));
        }
        out
    }

    /// Parse an `Authorization` header value.
    ///
    /// Fields are split on `&` and the first `=`; values are taken literally (not decoded). The
    /// seven `q-*` fields must each appear once (in any order); unknown fields are ignored.
    /// `q-sign-algorithm` must be `sha1`, the times `start;end`, the signature 40 hex digits.
    /// An empty value (what an anonymous Python client sends) is an error: treat it as anonymous
    /// before calling this.
    pub fn parse(value: &str) -> Result<Self, SignError> {
        let pairs = value
            .split('&')
            .filter(|piece| !piece.is_empty())
            .map(|piece| {
                piece.split_once('=').ok_or_else(|| {
                    SignError::MalformedAuthorization(format!("field {piece:?} has no '='"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::from_fields(pairs)
    }

    /// Take the authorization from (decoded) query parameters, as for a pre-signed URL.
    ///
    /// Returns `None` when there is no `q-sign-algorithm` parameter, otherwise the result of
    /// parsing the seven `q-*` parameters (other parameters are ignored).
    pub fn from_query(pairs: &[(String, String)]) -> Option<Result<Self, SignError>> {
        if !pairs.iter().any(|(k, _)| k == "q-sign-algorithm") {
            return None;
        }
        Some(Self::from_fields(
            pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        ))
    }

    fn from_fields<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, SignError> {
        let mut slots: [Option<&str>; 7] = [None; 7];
        for (name, value) in pairs {
            let Some(idx) = AUTH_FIELDS.iter().position(|f| *f == name) else {
                continue;
            };
            match slots.get_mut(idx) {
                Some(slot @ None) => *slot = Some(value),
                Some(Some(_)) => {
                    return Err(SignError::MalformedAuthorization(format!(
                        "field {name} appears more than once"
                    )));
                }
                None => {}
            }
        }
        let get = |idx: usize| -> Result<&str, SignError> {
            slots.get(idx).copied().flatten().ok_or_else(|| {
                let name = AUTH_FIELDS.get(idx).copied().unwrap_or("q-*");
                SignError::MalformedAuthorization(format!("missing field {name}"))
            })
        };
        let algorithm = get(0)?;
        if algorithm != ALGORITHM {
            return Err(SignError::UnsupportedAlgorithm(algorithm.to_string()));
        }
        let secret_id = get(1)?;
        if secret_id.is_empty() {
            return Err(SignError::MalformedAuthorization("empty q-ak".to_string()));
        }
        let sign_time: KeyTime = get(2)?.parse()?;
        let key_time: KeyTime = get(3)?.parse()?;
        let header_list = parse_list("q-header-list", get(4)?)?;
        let url_param_list = parse_list("q-url-param-list", get(5)?)?;
        let signature = get(6)?;
        if signature.len() != 40 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(SignError::MalformedAuthorization(
                "q-signature is not 40 hex digits".to_string(),
            ));
        }
        Ok(Self {
            secret_id: secret_id.to_string(),
            sign_time,
            key_time,
            header_list,
            url_param_list,
            signature: signature.to_ascii_lowercase(),
        })
    }
}

impl fmt::Display for Authorization {
    /// Same as [`Authorization::to_header_value`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_header_value())
    }
}

fn join_fields(values: &[String; 7], enc: impl Fn(&str) -> String) -> String {
    let mut out = String::new();
    for (i, (name, value)) in AUTH_FIELDS.iter().zip(values.iter()).enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(&enc(value));
    }
    out
}

fn parse_list(field: &str, value: &str) -> Result<Vec<String>, SignError> {
    if value.is_empty() {
        return Ok(Vec::new());
    }
    value
        .split(';')
        .map(|name| {
            if name.is_empty() {
                Err(SignError::MalformedAuthorization(format!(
                    "{field} has an empty name"
                )))
            } else {
                Ok(name.to_string())
            }
        })
        .collect()
}
