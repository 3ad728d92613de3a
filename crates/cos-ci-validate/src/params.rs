//! Parameter values, their checks against an [`OpSpec`], and their two wire forms: the
//! download query (`ci-process=X&k=v`) and the Pic-Operations rule string (same shape).

use crate::PARAM_ERROR_CODE;
use crate::spec::{OpSpec, ParamSpec, RuleForm};
use crate::violation::{ValidationError, Violation};
pub use cos_ci_core::Value;

/// The name of the query parameter that selects the operation.
pub const CI_PROCESS: &str = "ci-process";

/// Parameter values of one operation call, in the spec's parameter order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParamValues(Vec<(&'static str, Value)>);

impl ParamValues {
    /// No values: every parameter at its default.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `name` (replacing an earlier value). A list without words unsets it: the wire
    /// cannot tell an empty list from an absent parameter, so neither is sent.
    pub fn set(&mut self, name: &'static str, value: Value) {
        if value.is_empty_list() {
            self.0.retain(|(n, _)| *n != name);
            return;
        }
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

    /// These values with `name` set to `value` (generated `to_values` chain these).
    #[must_use]
    pub fn with(mut self, name: &'static str, value: impl Into<Value>) -> Self {
        self.set(name, value.into());
        self
    }

    /// These values with `name` set to `value` when it is `Some`.
    #[must_use]
    pub fn with_opt(mut self, name: &'static str, value: Option<impl Into<Value>>) -> Self {
        self.set_opt(name, value.map(Into::into));
        self
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

    /// The words of list `name`, if set.
    pub fn list(&self, name: &str) -> Option<&[String]> {
        match self.get(name)? {
            Value::List(words) => Some(words),
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
        violations.extend(self.relation_violations(values));
        self.result(violations)
    }

    /// What the operation's relations say is missing from `values`: none of an
    /// `at_least_one` set, or a parameter another one's value requires.
    pub fn relation_violations(&self, values: &ParamValues) -> Vec<Violation> {
        let mut violations = Vec::new();
        for relation in self.relations {
            match *relation {
                crate::Relation::AtLeastOne { params, wins } => {
                    if params.iter().all(|p| values.get(p).is_none()) {
                        let mut allowed = format!("at least one of {}", params.join(", "));
                        if let Some(w) = wins {
                            allowed.push_str(&format!(" ({w} wins when several are given)"));
                        }
                        violations.push(Violation {
                            param: params.join("|"),
                            value: String::new(),
                            allowed,
                            code: PARAM_ERROR_CODE,
                        });
                    }
                }
                crate::Relation::RequiredWhen {
                    param,
                    other,
                    values: when,
                } => {
                    let Some(spec) = self.param(other) else {
                        continue;
                    };
                    let given = values.get(other).map(|v| v.to_wire(&spec.kind));
                    if given.is_some_and(|g| when.contains(&g.as_str()))
                        && values.get(param).is_none()
                    {
                        violations.push(Violation {
                            param: param.to_string(),
                            value: String::new(),
                            allowed: format!("a value when {other} is {}", when.join(" or ")),
                            code: PARAM_ERROR_CODE,
                        });
                    }
                }
                crate::Relation::KeyOrDetectUrl | crate::Relation::AppliesWhen { .. } => {}
            }
        }
        violations
    }

    /// Parses and checks one wire value of parameter `spec`.
    pub fn parse_value(spec: &ParamSpec, raw: &str) -> Result<Value, Violation> {
        // The violation carries the value as received (`+7`, ` 7`, `infinity`), not as re-encoded.
        spec.kind.parse(raw).map_err(|_| violation(spec, raw))
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
            // service.yaml `empty_values`: SDKs send unset options as `name=`.
            if raw.is_empty() && crate::EMPTY_VALUES == crate::EmptyValues::Absent {
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
        if violations.is_empty() {
            violations.extend(self.relation_violations(&values));
        }
        self.result(violations).map(|()| values)
    }

    /// Decodes a raw download query string (`ci-process=X&k=v…`, percent-encoded, form style).
    pub fn decode_query(&self, raw_query: &str) -> Result<ParamValues, ValidationError> {
        let pairs = cos_ci_sign::parse_query(raw_query);
        self.decode_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), false)
    }

    /// Decodes a Pic-Operations rule string (`ci-process=X&k=v…`, or `X/k/v…` for an
    /// operation whose rule form is a path); unknown names are errors.
    pub fn decode_rule(&self, rule: &str) -> Result<ParamValues, ValidationError> {
        // A path-form operation also reads the query form (a rule with `=` is one), as the
        // service reads `ci-process=` rules for every operation.
        let pairs = match self.rule_form {
            RuleForm::Path if !rule.contains('=') => self.parse_path_rule(rule)?,
            RuleForm::Path | RuleForm::Query => parse_rule(rule),
        };
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

    /// The Pic-Operations rule string of `values`, in the operation's rule form. A list's
    /// separator is written as it is (`scenes=web,camera`), as the documentation's rules
    /// write it.
    pub fn encode_rule(&self, values: &ParamValues) -> String {
        let value = |name: &str, wire: &str| match self.param(name).map(|p| p.kind) {
            Some(crate::ParamKind::List { separator, .. }) => wire
                .split(separator)
                .map(cos_ci_sign::encode)
                .collect::<Vec<_>>()
                .join(&separator.to_string()),
            _ => cos_ci_sign::encode(wire),
        };
        let pairs = self.encode_pairs(values);
        match self.rule_form {
            RuleForm::Query => {
                let parts: Vec<String> = pairs
                    .iter()
                    .map(|(name, wire)| {
                        format!("{}={}", cos_ci_sign::encode(name), value(name, wire))
                    })
                    .collect();
                parts.join("&")
            }
            RuleForm::Path => {
                let mut rule = self.name.to_string();
                for (name, wire) in pairs.iter().skip(1) {
                    rule.push('/');
                    rule.push_str(&cos_ci_sign::encode(name));
                    rule.push('/');
                    rule.push_str(&value(name, wire));
                }
                rule
            }
        }
    }

    /// The `(name, value)` pairs of a path rule `<name>/k/v/…`, `ci-process` first (so
    /// [`OpSpec::decode_pairs`] checks the name); a name without its value is a violation.
    fn parse_path_rule(&self, rule: &str) -> Result<Vec<(String, String)>, ValidationError> {
        let decode =
            |s: &str| cos_ci_sign::decode_path(s.trim()).unwrap_or_else(|_| s.trim().to_string());
        let mut parts = rule.trim().split('/');
        let mut pairs = vec![(CI_PROCESS.to_string(), decode(parts.next().unwrap_or("")))];
        while let Some(k) = parts.next() {
            let Some(v) = parts.next() else {
                return Err(ValidationError {
                    operation: self.name.to_string(),
                    violations: vec![Violation {
                        param: decode(k),
                        value: String::new(),
                        allowed: "a value after the name (`<name>/<value>`)".to_string(),
                        code: PARAM_ERROR_CODE,
                    }],
                });
            };
            pairs.push((decode(k), decode(v)));
        }
        Ok(pairs)
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
    spec.kind
        .check(value)
        .err()
        .map(|_| violation(spec, &value.to_wire(&spec.kind)))
}

/// An operation with a download mode (`GET /<key>?ci-process=…`): the client's generic
/// `process`, `process_stream` and `presign_process` take its parameters.
pub trait DownloadMode: Operation {}

/// An operation with an upload mode (a Pic-Operations rule on `PUT`): the client's generic
/// `upload_with` takes its parameters.
pub trait UploadMode: Operation {
    /// The answer: [`crate::UploadResult`], or the operation's own type with the nodes it
    /// adds (`output.upload_result`).
    type Answer: crate::XmlDocument;
}

/// An operation with a cloud mode (a Pic-Operations rule on `POST ?image_process`): the
/// client's generic `cloud_with` takes its parameters.
pub trait CloudMode: Operation {
    /// The answer, as in [`UploadMode::Answer`].
    type Answer: crate::XmlDocument;
}

impl<O: Operation> DownloadMode for O where O::Modes: modes::Download {}
impl<O: Operation> UploadMode for O
where
    O::Modes: modes::Upload,
{
    type Answer = <O::Modes as modes::Answers>::Answer;
}
impl<O: Operation> CloudMode for O
where
    O::Modes: modes::Cloud,
{
    type Answer = <O::Modes as modes::Answers>::Answer;
}

/// The sets of modes an operation can have, as types: an operation names its set with
/// [`Operation::Modes`], and [`DownloadMode`], [`UploadMode`] and [`CloudMode`] follow, so a
/// mode an operation lacks is a compile error in the client, not a request.
pub mod modes {
    use crate::XmlDocument;

    /// What a set's upload and cloud modes answer.
    pub trait Answers {
        /// [`crate::UploadResult`], or an operation's own type with the nodes it adds.
        type Answer: XmlDocument;
    }
    /// A set that has the download mode.
    pub trait Download {}
    /// A set that has the upload mode.
    pub trait Upload: Answers {}
    /// A set that has the cloud mode.
    pub trait Cloud: Answers {}

    macro_rules! sets {
        ($($(#[$doc:meta])* $set:ident: $($mode:ident),*;)*) => {$(
            $(#[$doc])*
            ///
            /// `A` is what its upload and cloud modes answer: an operation that adds nodes to
            /// `UploadResult` names its own type (`UploadCloud<ImageTargetRecUploadResult>`).
            #[derive(Clone, Copy, Debug)]
            pub struct $set<A = crate::UploadResult>(
                core::marker::PhantomData<A>,
                core::convert::Infallible,
            );
            impl<A: XmlDocument> Answers for $set<A> {
                type Answer = A;
            }
            $(impl<A: XmlDocument> $mode for $set<A> {})*
        )*};
    }

    sets! {
        /// Download only.
        DownloadOnly: Download;
        /// Upload only.
        UploadOnly: Upload;
        /// Cloud only.
        CloudOnly: Cloud;
        /// Download and upload.
        DownloadUpload: Download, Upload;
        /// Download and cloud.
        DownloadCloud: Download, Cloud;
        /// Upload and cloud.
        UploadCloud: Upload, Cloud;
        /// Every mode.
        AllModes: Download, Upload, Cloud;
    }
}

/// A typed parameter set of one operation; the generator implements it for every operation.
///
/// Everything but the conversion to and from [`ParamValues`] is shared here, so the generated
/// code stays thin and every operation checks and encodes the same way.
pub trait Operation: Sized {
    /// The operation's description.
    const SPEC: &'static OpSpec;

    /// Its modes, as one of the [`modes`] sets (the same as `SPEC.modes`).
    type Modes;

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
