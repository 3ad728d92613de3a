//! The `Pic-Operations` header of upload and cloud processing (seed 001): parse, build, check
//! the rule count and the `fileid` rules, and resolve a `fileid` against the source key.

use serde::{Deserialize, Serialize};

use crate::params::{CI_PROCESS, Operation};
use crate::violation::ValidationError;
use crate::{ErrorCode, MAX_RULES, OpSpec};

/// COS's longest object key in bytes.
pub const MAX_KEY_BYTES: usize = 850;

/// A parsed or built `Pic-Operations` header.
///
/// ```
/// use cos_ci_validate::{PicOperations, ai_super_resolution::{AiSuperResolution, Magnify}};
///
/// let ops = PicOperations::new()
///     .with_pic_info(true)
///     .with_rule("out/big.png", &AiSuperResolution::new().with_magnify(Magnify::X4))
///     .unwrap();
/// assert_eq!(
///     ops.to_json(),
///     r#"{"is_pic_info":1,"rules":[{"fileid":"out/big.png","rule":"ci-process=AISuperResolution&magnify=4"}]}"#
/// );
/// assert_eq!(PicOperations::parse(&ops.to_json()).unwrap(), ops);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PicOperations {
    /// `is_pic_info`: 1 asks for `OriginalInfo` with `ImageInfo` in the answer.
    #[serde(default, with = "int_bool")]
    pub is_pic_info: bool,
    /// The rules; each stores one result.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub rules: Vec<PicRule>,
}

/// One rule: where the result goes and how it is made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PicRule {
    /// The destination bucket (`BucketName-APPID`); the source bucket when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    /// The destination: absolute (`/dir/x.png`) or relative to the source key's folder.
    pub fileid: String,
    /// The processing, e.g. `ci-process=AIImageColoring`.
    pub rule: String,
}

/// Why a `Pic-Operations` header is not acceptable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PicOperationsError {
    /// Not the JSON shape seed 001 describes.
    #[error("Pic-Operations is not valid JSON of the documented shape: {0}")]
    Json(String),
    /// More rules than COS runs in one request.
    #[error("Pic-Operations has {count} rules; at most {max} are allowed")]
    TooManyRules {
        /// Rules given.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A `fileid` that cannot name an object.
    #[error("fileid {fileid:?} {reason}")]
    FileId {
        /// The fileid.
        fileid: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A rule whose `ci-process` names no known operation, or none.
    #[error("rule {rule:?} names no supported ci-process operation")]
    UnknownOperation {
        /// The rule string.
        rule: String,
    },
    /// The rule's parameters are not valid.
    #[error(transparent)]
    Params(#[from] ValidationError),
}

impl PicOperationsError {
    /// The COS error code a server answers with.
    pub fn code(&self) -> ErrorCode {
        match self {
            PicOperationsError::Params(e) => e.code(),
            _ => ErrorCode::InvalidPicOperations,
        }
    }
}

impl PicOperations {
    /// An empty header: no rules, no original info.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks for the original image's information in the answer.
    pub fn with_pic_info(mut self, on: bool) -> Self {
        self.is_pic_info = on;
        self
    }

    /// Adds a rule storing the result of `op` at `fileid` (checked, like every parameter).
    pub fn with_rule<O: Operation>(
        mut self,
        fileid: &str,
        op: &O,
    ) -> Result<Self, PicOperationsError> {
        check_fileid(fileid)?;
        self.rules.push(PicRule {
            bucket: None,
            fileid: fileid.to_string(),
            rule: op.to_rule()?,
        });
        self.check_count()?;
        // The operation's own `max_rules` may be lower than the service's.
        let spec = O::SPEC;
        let count = self
            .rules
            .iter()
            .filter(|r| rule_operation(&r.rule) == Some(spec.name))
            .count();
        if count > spec.max_rules {
            return Err(PicOperationsError::TooManyRules {
                count,
                max: spec.max_rules,
            });
        }
        Ok(self)
    }

    /// Adds a rule storing the result in another bucket.
    pub fn with_rule_in<O: Operation>(
        mut self,
        bucket: &str,
        fileid: &str,
        op: &O,
    ) -> Result<Self, PicOperationsError> {
        self = self.with_rule(fileid, op)?;
        if let Some(last) = self.rules.last_mut() {
            last.bucket = Some(bucket.to_string());
        }
        Ok(self)
    }

    /// The header value: compact JSON.
    pub fn to_json(&self) -> String {
        // Serializing these plain structs cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses a header value and checks its shape: the rule count and every fileid.
    /// Rule strings are checked against operations with [`PicOperations::resolve_rules`].
    pub fn parse(json: &str) -> Result<Self, PicOperationsError> {
        let json_err = |e: serde_json::Error| PicOperationsError::Json(e.to_string());
        let value: serde_json::Value = serde_json::from_str(json).map_err(json_err)?;
        // serde would also read a struct from an array (`[]`, `[["a.png", "rule"]]`).
        let objects = value.as_object().is_some_and(|o| match o.get("rules") {
            Some(serde_json::Value::Array(rules)) => rules.iter().all(serde_json::Value::is_object),
            _ => true,
        });
        if !objects {
            return Err(PicOperationsError::Json(
                "expected an object whose rules are objects".to_string(),
            ));
        }
        let ops: PicOperations = serde_json::from_value(value).map_err(json_err)?;
        ops.check_count()?;
        for rule in &ops.rules {
            check_fileid(&rule.fileid)?;
        }
        Ok(ops)
    }

    fn check_count(&self) -> Result<(), PicOperationsError> {
        if self.rules.len() > MAX_RULES {
            return Err(PicOperationsError::TooManyRules {
                count: self.rules.len(),
                max: MAX_RULES,
            });
        }
        Ok(())
    }

    /// Finds each rule's operation in `operations` and decodes its parameters. An operation
    /// may narrow the most rules one header carries (its `max_rules`).
    pub fn resolve_rules(
        &self,
        operations: &[&'static OpSpec],
    ) -> Result<Vec<(&'static OpSpec, crate::ParamValues)>, PicOperationsError> {
        let resolved: Vec<(&'static OpSpec, crate::ParamValues)> = self
            .rules
            .iter()
            .map(|rule| {
                let name = rule_operation(&rule.rule).ok_or_else(|| unknown(rule))?;
                let spec = operations
                    .iter()
                    .copied()
                    .find(|s| s.name == name)
                    .ok_or_else(|| unknown(rule))?;
                Ok((spec, spec.decode_rule(&rule.rule)?))
            })
            .collect::<Result<_, PicOperationsError>>()?;
        for (spec, _) in &resolved {
            let count = resolved.iter().filter(|(s, _)| s.name == spec.name).count();
            if count > spec.max_rules {
                return Err(PicOperationsError::TooManyRules {
                    count,
                    max: spec.max_rules,
                });
            }
        }
        Ok(resolved)
    }
}

fn unknown(rule: &PicRule) -> PicOperationsError {
    PicOperationsError::UnknownOperation {
        rule: rule.rule.clone(),
    }
}

/// The operation a rule string names: its `ci-process` value, or the first segment of a
/// path rule (`QRcode/cover/1` and `QRcode` name `QRcode`).
pub fn rule_operation(rule: &str) -> Option<&str> {
    let query = rule.split('&').find_map(|part| {
        let (k, v) = part.split_once('=')?;
        (k.trim() == CI_PROCESS).then_some(v.trim())
    });
    query.or_else(|| {
        let first = rule.trim().split('/').next()?;
        (!first.is_empty() && !first.contains(['=', '&'])).then_some(first)
    })
}

/// Checks the documented fileid rules: not empty, not ending in `/`, no `.`/`..` segment.
pub fn check_fileid(fileid: &str) -> Result<(), PicOperationsError> {
    let err = |reason| {
        Err(PicOperationsError::FileId {
            fileid: fileid.to_string(),
            reason,
        })
    };
    if fileid.trim_start_matches('/').is_empty() {
        return err("is empty");
    }
    if fileid.ends_with('/') {
        return err("ends with '/', which names no file");
    }
    if fileid.split('/').any(|s| s == ".." || s == ".") {
        return err("has a '.' or '..' segment");
    }
    if fileid.contains('\0') {
        return err("contains a NUL character");
    }
    Ok(())
}

/// The object key a fileid names: `/x` is absolute, anything else is relative to the
/// source key's folder (seed 001: source `p1/test1.jpg` and fileid `p2/t.jpg` give `p1/p2/t.jpg`).
///
/// ```
/// use cos_ci_validate::resolve_fileid;
/// assert_eq!(resolve_fileid("p1/test1.jpg", "/p2/test2.jpg").unwrap(), "p2/test2.jpg");
/// assert_eq!(resolve_fileid("p1/test1.jpg", "p2/test2.jpg").unwrap(), "p1/p2/test2.jpg");
/// assert_eq!(resolve_fileid("test1.jpg", "out.png").unwrap(), "out.png");
/// assert!(resolve_fileid("p1/a.jpg", "../b.jpg").is_err());
/// ```
pub fn resolve_fileid(source_key: &str, fileid: &str) -> Result<String, PicOperationsError> {
    check_fileid(fileid)?;
    let key = match fileid.strip_prefix('/') {
        Some(absolute) => absolute.trim_start_matches('/').to_string(),
        None => {
            let source = source_key.trim_start_matches('/');
            match source.rfind('/') {
                Some(i) => format!("{}/{}", &source[..i], fileid),
                None => fileid.to_string(),
            }
        }
    };
    if key.len() > MAX_KEY_BYTES {
        return Err(PicOperationsError::FileId {
            fileid: fileid.to_string(),
            reason: "makes a key longer than 850 bytes",
        });
    }
    Ok(key)
}

/// `"rules": null` is no rules: the Go SDK's misspelt `omitemtpy` tag writes a nil slice as `null`.
fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<PicRule>, D::Error> {
    Ok(Option::<Vec<PicRule>>::deserialize(d)?.unwrap_or_default())
}

/// `is_pic_info` is an integer 0/1 on the wire.
mod int_bool {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &bool, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(u8::from(*v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        match u8::deserialize(d)? {
            0 => Ok(false),
            1 => Ok(true),
            n => Err(serde::de::Error::custom(format!(
                "is_pic_info must be 0 or 1, not {n}"
            ))),
        }
    }
}
