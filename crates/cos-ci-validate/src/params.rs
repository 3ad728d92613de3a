//! Parameter values, their checks against an [`OpSpec`], and their two wire forms: the
//! download query (`ci-process=X&k=v`) and the Pic-Operations rule string (same shape).

use crate::PARAM_ERROR_CODE;
use crate::spec::{OpSpec, ParamKind, ParamSpec, TextEncoding};
use crate::violation::{ValidationError, Violation};

/// The name of the query parameter that selects the operation.
pub const CI_PROCESS: &str = "ci-process";

/// A typed parameter value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// An integer (also closed integer sets).
    Int(i64),
    /// A decimal number.
    Number(f64),
    /// A `0`/`1` flag.
    Flag(bool),
    /// Text.
    Text(String),
    /// A composite `<a><sep><b>` value.
    Pair(u32, u32),
}

impl Value {
    /// The wire form of the value for a parameter of `kind`.
    pub fn to_wire(&self, kind: &ParamKind) -> String {
        match (self, kind) {
            (Value::Int(v), _) => v.to_string(),
            (Value::Number(v), _) => v.to_string(),
            (Value::Flag(v), _) => if *v { "1" } else { "0" }.to_string(),
            (
                Value::Text(v),
                ParamKind::Text {
                    encoding: TextEncoding::Base64Url,
                    ..
                },
            ) => base64url::encode(v),
            (Value::Text(v), _) => v.clone(),
            (Value::Pair(a, b), ParamKind::Pair { separator, .. }) => format!("{a}{separator}{b}"),
            (Value::Pair(a, b), _) => format!("{a}x{b}"),
        }
    }
}

/// Parameter values of one operation call, in the spec's parameter order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParamValues(Vec<(&'static str, Value)>);

impl ParamValues {
    /// No values: every parameter at its default.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `name` (replacing an earlier value).
    pub fn set(&mut self, name: &'static str, value: Value) {
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name, value)),
        }
    }

    /// Sets `name` when `value` is `Some`.
    pub fn set_opt(&mut self, name: &'static str, value: Option<Value>) {
        if let Some(value) = value {
            self.set(name, value);
        }
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// The integer value of `name`, if set.
    pub fn int(&self, name: &str) -> Option<i64> {
        match self.get(name)? {
            Value::Int(v) => Some(*v),
            _ => None,
        }
    }

    /// The number value of `name`, if set (integers widen).
    pub fn number(&self, name: &str) -> Option<f64> {
        match self.get(name)? {
            Value::Number(v) => Some(*v),
            Value::Int(v) => Some(*v as f64),
            _ => None,
        }
    }

    /// The flag value of `name`, if set.
    pub fn flag(&self, name: &str) -> Option<bool> {
        match self.get(name)? {
            Value::Flag(v) => Some(*v),
            _ => None,
        }
    }

    /// The text value of `name`, if set.
    pub fn text(&self, name: &str) -> Option<&str> {
        match self.get(name)? {
            Value::Text(v) => Some(v),
            _ => None,
        }
    }

    /// The pair value of `name`, if set.
    pub fn pair(&self, name: &str) -> Option<(u32, u32)> {
        match self.get(name)? {
            Value::Pair(a, b) => Some((*a, *b)),
            _ => None,
        }
    }

    /// Iterates over `(name, value)` in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &Value)> {
        self.0.iter().map(|(n, v)| (*n, v))
    }

    /// Whether no value is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl OpSpec {
    /// Checks `values` against the spec: every value in range, every required parameter present,
    /// no unknown parameter. Returns every violation at once.
    pub fn check(&self, values: &ParamValues) -> Result<(), ValidationError> {
        let mut violations = Vec::new();
        for (name, value) in values.iter() {
            match self.param(name) {
                Some(spec) => {
                    if let Some(v) = check_value(spec, value) {
                        violations.push(v);
                    }
                }
                None => violations.push(unknown(name, &format!("{value:?}"))),
            }
        }
        for spec in self.params.iter().filter(|p| p.required) {
            if values.get(spec.name).is_none() {
                violations.push(violation(spec, ""));
            }
        }
        self.result(violations)
    }

    /// Parses and checks one wire value of parameter `spec`.
    pub fn parse_value(spec: &ParamSpec, raw: &str) -> Result<Value, Violation> {
        let bad = || violation(spec, raw);
        let value = match spec.kind {
            ParamKind::Integer { .. } | ParamKind::IntegerSet(_) => {
                Value::Int(raw.trim().parse().map_err(|_| bad())?)
            }
            ParamKind::Number { .. } => {
                let v: f64 = raw.trim().parse().map_err(|_| bad())?;
                Value::Number(v)
            }
            ParamKind::Flag => match raw.trim() {
                "1" => Value::Flag(true),
                "0" => Value::Flag(false),
                _ => return Err(bad()),
            },
            ParamKind::Text {
                encoding: TextEncoding::Plain,
                ..
            } => Value::Text(raw.to_string()),
            ParamKind::Text {
                encoding: TextEncoding::Base64Url,
                ..
            } => Value::Text(base64url::decode(raw).ok_or_else(bad)?),
            ParamKind::Pair { separator, .. } => {
                let (a, b) = raw.split_once(separator).ok_or_else(bad)?;
                let a = a.trim().parse().map_err(|_| bad())?;
                let b = b.trim().parse().map_err(|_| bad())?;
                Value::Pair(a, b)
            }
        };
        // The violation carries the value as received (`+7`, ` 7`, `infinity`), not as re-encoded.
        match check_value(spec, &value) {
            Some(_) => Err(bad()),
            None => Ok(value),
        }
    }

    /// Decodes `(name, value)` pairs (already percent-decoded) of a request.
    ///
    /// Accepts what real clients send: any order, defaults omitted, empty values as absent.
    /// `ci-process` must name this operation when present. With `strict`, names that are not
    /// parameters are violations (rule strings); otherwise they are left to the caller
    /// (download queries also carry `detect-url`, `q-*` signature fields, `response-*`…).
    pub fn decode_pairs<'a, I>(
        &self,
        pairs: I,
        strict: bool,
    ) -> Result<ParamValues, ValidationError>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut values = ParamValues::new();
        let mut violations = Vec::new();
        for (name, raw) in pairs {
            if name == CI_PROCESS {
                if raw != self.name {
                    violations.push(Violation {
                        param: CI_PROCESS.to_string(),
                        value: raw.to_string(),
                        allowed: self.name.to_string(),
                        code: PARAM_ERROR_CODE,
                    });
                }
                continue;
            }
            let Some(spec) = self.param(name) else {
                if strict {
                    violations.push(unknown(name, raw));
                }
                continue;
            };
            if raw.is_empty() {
                continue;
            }
            if values.get(spec.name).is_some() {
                violations.push(Violation {
                    param: spec.name.to_string(),
                    value: raw.to_string(),
                    allowed: "a single value".to_string(),
                    code: PARAM_ERROR_CODE,
                });
                continue;
            }
            match Self::parse_value(spec, raw) {
                Ok(value) => values.set(spec.name, value),
                Err(v) => violations.push(v),
            }
        }
        for spec in self.params.iter().filter(|p| p.required) {
            if values.get(spec.name).is_none() && !violations.iter().any(|v| v.param == spec.name) {
                violations.push(violation(spec, ""));
            }
        }
        self.result(violations).map(|()| values)
    }

    /// Decodes a raw download query string (`ci-process=X&k=v…`, percent-encoded, form style).
    pub fn decode_query(&self, raw_query: &str) -> Result<ParamValues, ValidationError> {
        let pairs = cos_ci_sign::parse_query(raw_query);
        self.decode_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), false)
    }

    /// Decodes a Pic-Operations rule string (`ci-process=X&k=v…`); unknown names are errors.
    pub fn decode_rule(&self, rule: &str) -> Result<ParamValues, ValidationError> {
        let pairs = parse_rule(rule);
        if !pairs.iter().any(|(k, _)| k == CI_PROCESS) {
            return Err(ValidationError {
                operation: self.name.to_string(),
                violations: vec![Violation {
                    param: CI_PROCESS.to_string(),
                    value: String::new(),
                    allowed: self.name.to_string(),
                    code: PARAM_ERROR_CODE,
                }],
            });
        }
        self.decode_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), true)
    }

    /// The wire pairs of `values`: `ci-process` first, then parameters in spec order.
    pub fn encode_pairs(&self, values: &ParamValues) -> Vec<(&'static str, String)> {
        let mut pairs = vec![(CI_PROCESS, self.name.to_string())];
        for spec in self.params {
            if let Some(value) = values.get(spec.name) {
                pairs.push((spec.name, value.to_wire(&spec.kind)));
            }
        }
        pairs
    }

    /// The download query string of `values`, COS percent-encoded.
    pub fn encode_query(&self, values: &ParamValues) -> String {
        join(self.encode_pairs(values))
    }

    /// The Pic-Operations rule string of `values`.
    pub fn encode_rule(&self, values: &ParamValues) -> String {
        join(self.encode_pairs(values))
    }

    fn result(&self, violations: Vec<Violation>) -> Result<(), ValidationError> {
        if violations.is_empty() {
            Ok(())
        } else {
            Err(ValidationError {
                operation: self.name.to_string(),
                violations,
            })
        }
    }
}

/// Splits a rule string on `&` and the first `=`, percent-decoding each piece (not `+`).
fn parse_rule(rule: &str) -> Vec<(String, String)> {
    rule.split('&')
        .filter(|part| !part.trim().is_empty())
        .map(|part| {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            let decode = |s: &str| {
                cos_ci_sign::decode_path(s.trim()).unwrap_or_else(|_| s.trim().to_string())
            };
            (decode(k), decode(v))
        })
        .collect()
}

fn join(pairs: Vec<(&'static str, String)>) -> String {
    let parts: Vec<String> = pairs
        .into_iter()
        .map(|(k, v)| format!("{}={}", cos_ci_sign::encode(k), cos_ci_sign::encode(&v)))
        .collect();
    parts.join("&")
}

fn violation(spec: &ParamSpec, raw: &str) -> Violation {
    Violation {
        param: spec.name.to_string(),
        value: raw.to_string(),
        allowed: spec.kind.allowed(),
        code: PARAM_ERROR_CODE,
    }
}

fn unknown(name: &str, raw: &str) -> Violation {
    Violation {
        param: name.to_string(),
        value: raw.to_string(),
        allowed: "no such parameter".to_string(),
        code: PARAM_ERROR_CODE,
    }
}

/// `None` when `value` fits `spec`, else the violation.
fn check_value(spec: &ParamSpec, value: &Value) -> Option<Violation> {
    let ok = match (&spec.kind, value) {
        (ParamKind::Integer { min, max }, Value::Int(v)) => (min..=max).contains(&v),
        (ParamKind::IntegerSet(set), Value::Int(v)) => set.contains(v),
        (ParamKind::Number { min, max }, Value::Number(v)) => {
            v.is_finite() && (*min..=*max).contains(v)
        }
        (ParamKind::Number { min, max }, Value::Int(v)) => (*min..=*max).contains(&(*v as f64)),
        (ParamKind::Flag, Value::Flag(_)) => true,
        (
            ParamKind::Text {
                values, max_len, ..
            },
            Value::Text(v),
        ) => v.len() <= *max_len && (values.is_empty() || values.contains(&v.as_str())),
        (ParamKind::Pair { min, max, .. }, Value::Pair(a, b)) => {
            (min..=max).contains(&a) && (min..=max).contains(&b)
        }
        _ => false,
    };
    if ok {
        None
    } else {
        Some(violation(spec, &value.to_wire(&spec.kind)))
    }
}

/// A typed parameter set of one operation; the generator implements it for every operation.
///
/// Everything but the conversion to and from [`ParamValues`] is shared here, so the generated
/// code stays thin and every operation checks and encodes the same way.
pub trait Operation: Sized {
    /// The operation's description.
    const SPEC: &'static OpSpec;

    /// The values that are set, as dynamic values.
    fn to_values(&self) -> ParamValues;

    /// Builds the typed set from values that passed [`OpSpec::check`].
    fn from_values(values: &ParamValues) -> Self;

    /// Checks every parameter; every violation is reported.
    fn validate(&self) -> Result<(), ValidationError> {
        Self::SPEC.check(&self.to_values())
    }

    /// The download query (`ci-process=…&…`), after validation.
    fn to_query(&self) -> Result<String, ValidationError> {
        let values = self.to_values();
        Self::SPEC.check(&values)?;
        Ok(Self::SPEC.encode_query(&values))
    }

    /// The Pic-Operations rule string, after validation.
    fn to_rule(&self) -> Result<String, ValidationError> {
        let values = self.to_values();
        Self::SPEC.check(&values)?;
        Ok(Self::SPEC.encode_rule(&values))
    }

    /// Decodes a raw download query.
    fn from_query(raw_query: &str) -> Result<Self, ValidationError> {
        Self::SPEC
            .decode_query(raw_query)
            .map(|v| Self::from_values(&v))
    }

    /// Decodes a Pic-Operations rule string.
    fn from_rule(rule: &str) -> Result<Self, ValidationError> {
        Self::SPEC.decode_rule(rule).map(|v| Self::from_values(&v))
    }
}

/// URL-safe base64 of text parameters (`MaskPic`, `MaskPoly`).
mod base64url {
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
}
