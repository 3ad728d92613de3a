//! CAM-style access policies (policy syntax version `"2.0"`), as the mock evaluates them.
//!
//! A policy is a list of statements; each statement allows or denies a set of actions
//! (`"name/cos:GetObject"`, `"name/ci:Create*Job"`, `"*"`) on a set of resources
//! (`"qcs::cos:ap-guangzhou:uid/1250000000:examplebucket-1250000000/photos/*"`,
//! `"qcs::ci:ap-guangzhou:uid/1250000000:bucket/examplebucket-1250000000/*"`).
//!
//! Evaluation follows CAM: an explicit deny wins, then any allow, and everything else is
//! denied. The mock does not evaluate conditions, so [`Policy::parse`] rejects statements
//! that carry one rather than silently granting more (or less) than the real service would.
//!
//! Matching rules:
//! - Actions: the `name/` prefix is optional (in the pattern and in the action asked about);
//!   service and action name compare ASCII case-insensitively; `*` matches any run of characters.
//! - Resources: `*` alone matches everything; otherwise `*` matches any run of characters.
//!   When both pattern and resource have the six `qcs:<project>:<service>:<region>:<account>:<resource>`
//!   segments they are compared segment by segment: a `*` does not cross a `:` before the
//!   resource segment, and an empty project, region or account segment in the pattern
//!   (`qcs::cos::uid/1250000000:...`) matches any. Service, region and account compare
//!   case-insensitively; the resource segment (bucket and object key) is case-sensitive.
//!
//! Glob matching is iterative (one back-tracking point), so it takes at most
//! O(pattern length × text length) steps even on adversarial patterns such as `a*a*a*a*b`.

use std::fmt;

use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

/// The only policy syntax version the mock accepts.
pub const POLICY_VERSION: &str = "2.0";

/// A CAM policy: a version and a list of statements.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Policy syntax version; must be `"2.0"`.
    pub version: String,
    /// The statements, evaluated together (explicit deny wins, then any allow).
    pub statement: Vec<Statement>,
}

/// One statement of a [`Policy`]: an effect on every pair of its actions and resources.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    /// Whether matching requests are allowed or denied.
    pub effect: Effect,
    /// Action patterns, e.g. `"name/cos:GetObject"`; in JSON a string or a list of strings.
    #[serde(deserialize_with = "one_or_many")]
    pub action: Vec<String>,
    /// Resource patterns, e.g. `"qcs::cos:ap-guangzhou:uid/1250000000:examplebucket-1250000000/*"`;
    /// in JSON a string or a list of strings.
    #[serde(deserialize_with = "one_or_many")]
    pub resource: Vec<String>,
    /// A CAM condition block. The mock does not evaluate conditions: [`Policy::validate`]
    /// rejects a statement that has one (an empty object counts as none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<serde_json::Value>,
}

/// The effect of a [`Statement`].
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    /// Grant the matching requests (unless another statement denies them).
    #[serde(alias = "Allow")]
    Allow,
    /// Refuse the matching requests, whatever other statements say.
    #[serde(alias = "Deny")]
    Deny,
}

/// Why a policy was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The text is not JSON of the policy's shape (includes unknown fields).
    #[error("invalid policy JSON at line {line}, column {column}: {message}")]
    Json {
        /// 1-based line of the error (0 when unknown).
        line: usize,
        /// 1-based column of the error (0 when unknown).
        column: usize,
        /// serde_json's description, without its position suffix.
        message: String,
    },
    /// The `version` is not `"2.0"`.
    #[error("policy `version` is {found:?}; only \"2.0\" is supported")]
    Version {
        /// The version found.
        found: String,
    },
    /// A statement carries a condition, which the mock cannot evaluate.
    #[error(
        "statement[{statement}].condition: conditions are not supported by the mock; \
         remove the `condition` block"
    )]
    Condition {
        /// 0-based index of the statement.
        statement: usize,
    },
    /// A statement lists no actions.
    #[error("statement[{statement}].action: at least one action is required")]
    EmptyAction {
        /// 0-based index of the statement.
        statement: usize,
    },
    /// A statement lists no resources.
    #[error("statement[{statement}].resource: at least one resource is required")]
    EmptyResource {
        /// 0-based index of the statement.
        statement: usize,
    },
    /// A statement lists an empty string as an action or resource.
    #[error("statement[{statement}].{field}: an empty string is not a valid pattern")]
    EmptyPattern {
        /// 0-based index of the statement.
        statement: usize,
        /// `"action"` or `"resource"`.
        field: &'static str,
    },
}

impl Policy {
    /// Parses and validates a policy from JSON (see [`Policy::validate`]).
    pub fn parse(json: &str) -> Result<Self, PolicyError> {
        let policy: Policy = serde_json::from_str(json).map_err(|e| {
            let line = e.line();
            let column = e.column();
            PolicyError::Json {
                line,
                column,
                message: strip_position(&e.to_string(), line, column),
            }
        })?;
        policy.validate()?;
        Ok(policy)
    }

    /// Checks what deserialization alone does not: version `"2.0"`, no conditions, and
    /// non-empty action and resource lists without empty strings.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.version != POLICY_VERSION {
            return Err(PolicyError::Version {
                found: self.version.clone(),
            });
        }
        for (i, st) in self.statement.iter().enumerate() {
            if st.has_condition() {
                return Err(PolicyError::Condition { statement: i });
            }
            if st.action.is_empty() {
                return Err(PolicyError::EmptyAction { statement: i });
            }
            if st.resource.is_empty() {
                return Err(PolicyError::EmptyResource { statement: i });
            }
            if st.action.iter().any(String::is_empty) {
                return Err(PolicyError::EmptyPattern {
                    statement: i,
                    field: "action",
                });
            }
            if st.resource.iter().any(String::is_empty) {
                return Err(PolicyError::EmptyPattern {
                    statement: i,
                    field: "resource",
                });
            }
        }
        Ok(())
    }

    /// Whether `action` (e.g. `"cos:GetObject"`) on `resource` (see [`cos_resource`],
    /// [`ci_resource`]) is allowed: an explicit deny wins, then any allow; default deny.
    ///
    /// A statement with a condition (only possible if [`Policy::validate`] was skipped) is
    /// treated fail-closed: as an allow it grants nothing, as a deny it applies.
    pub fn is_allowed(&self, action: &str, resource: &str) -> bool {
        self.decide(&[action], resource) == Decision::Allowed
    }

    /// The decision on one action that goes by several `names` (its aliases, or HEAD's
    /// `cos:HeadObject` and `cos:GetObject`) on `resource`.
    ///
    /// An explicit deny of **any** of the names wins, so that denying one name cannot be
    /// bypassed through another; otherwise an allow of one of them allows. Default deny.
    pub fn decide<'n>(&self, names: &[&'n str], resource: &str) -> Decision<'n> {
        let mut allowed = false;
        for st in &self.statement {
            if !st.resource.iter().any(|p| resource_matches(p, resource)) {
                continue;
            }
            let Some(&name) = names
                .iter()
                .find(|n| st.action.iter().any(|p| action_matches(p, n)))
            else {
                continue;
            };
            match st.effect {
                Effect::Deny => return Decision::Denied(name),
                Effect::Allow if !st.has_condition() => allowed = true,
                Effect::Allow => {}
            }
        }
        if allowed {
            Decision::Allowed
        } else {
            Decision::NotAllowed
        }
    }
}

/// What a [`Policy`] says about an action on a resource ([`Policy::decide`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision<'n> {
    /// An allow statement covers it and no deny statement does.
    Allowed,
    /// A deny statement covers it under this name.
    Denied(&'n str),
    /// No statement allows it (default deny).
    NotAllowed,
}

impl Statement {
    /// Whether this statement names `action` and `resource` (regardless of its effect).
    pub fn matches(&self, action: &str, resource: &str) -> bool {
        self.action.iter().any(|p| action_matches(p, action))
            && self.resource.iter().any(|p| resource_matches(p, resource))
    }

    fn has_condition(&self) -> bool {
        match &self.condition {
            None | Some(serde_json::Value::Null) => false,
            Some(serde_json::Value::Object(m)) => !m.is_empty(),
            Some(_) => true,
        }
    }
}

/// The CAM resource of an object: `qcs::cos:<region>:uid/<appid>:<bucket>/<key>`.
pub fn cos_resource(region: &str, appid: &str, bucket: &str, key: &str) -> String {
    format!("qcs::cos:{region}:uid/{appid}:{bucket}/{key}")
}

/// The CAM resource a `ci:*` action is checked on:
/// `qcs::ci:<region>:uid/<appid>:bucket/<bucket>/*`.
pub fn ci_resource(region: &str, appid: &str, bucket: &str) -> String {
    format!("qcs::ci:{region}:uid/{appid}:bucket/{bucket}/*")
}

/// Whether an action pattern (`"name/cos:Get*"`, `"*"`) matches an action (`"cos:GetObject"`).
fn action_matches(pattern: &str, action: &str) -> bool {
    glob_match(strip_name_prefix(pattern), strip_name_prefix(action), true)
}

fn strip_name_prefix(s: &str) -> &str {
    match s.get(..5) {
        Some(p) if p.eq_ignore_ascii_case("name/") => &s[5..],
        _ => s,
    }
}

/// Whether a resource pattern matches a resource (see the module docs).
fn resource_matches(pattern: &str, resource: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    match (split_qcs(pattern), split_qcs(resource)) {
        (Some(p), Some(r)) => {
            let any_if_empty = |p: &str, r: &str| p.is_empty() || glob_match(p, r, true);
            any_if_empty(p[1], r[1])
                && glob_match(p[2], r[2], true)
                && any_if_empty(p[3], r[3])
                && any_if_empty(p[4], r[4])
                && glob_match(p[5], r[5], false)
        }
        _ => glob_match(pattern, resource, false),
    }
}

/// Splits `qcs:<project>:<service>:<region>:<account>:<resource>` into its six segments.
fn split_qcs(s: &str) -> Option<[&str; 6]> {
    let mut it = s.splitn(6, ':');
    let seg = [
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
    ];
    seg[0].eq_ignore_ascii_case("qcs").then_some(seg)
}

/// Glob match where `*` matches any run of characters (no other metacharacters).
pub(crate) fn glob_match(pattern: &str, text: &str, fold_case: bool) -> bool {
    let mut steps = 0u64;
    glob_match_counting(pattern.as_bytes(), text.as_bytes(), fold_case, &mut steps)
}

/// The glob matcher, counting loop iterations in `steps` (for the complexity tests).
///
/// Works on bytes: `*` is ASCII and a UTF-8 literal can only match at character
/// boundaries, so the result is the same as matching characters.
/// Greedy with a single back-tracking point: when a later `*` is reached, earlier stars
/// never need to be revisited, so the loop runs at most O(|pattern| × |text|) times.
fn glob_match_counting(pattern: &[u8], text: &[u8], fold_case: bool, steps: &mut u64) -> bool {
    let eq = |a: u8, b: u8| {
        if fold_case {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    let (mut p, mut t) = (0usize, 0usize);
    // Position of the last `*` seen and the text position it is currently assumed to end at.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        *steps += 1;
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if eq(c, text[t]) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    // Let the last star swallow one more character and retry after it.
                    star = Some((sp, st + 1));
                    p = sp + 1;
                    t = st + 1;
                }
                None => return false,
            },
        }
    }
    while pattern.get(p) == Some(&b'*') {
        *steps += 1;
        p += 1;
    }
    p == pattern.len()
}

/// Removes serde_json's ` at line L column C` suffix from an error message.
fn strip_position(message: &str, line: usize, column: usize) -> String {
    let suffix = format!(" at line {line} column {column}");
    message.strip_suffix(&suffix).unwrap_or(message).to_owned()
}

/// Deserializes a string or a list of strings into a list.
fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string or a list of strings")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(vec![v.to_owned()])
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(vec![v])
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
            while let Some(s) = seq.next_element::<String>()? {
                out.push(s);
            }
            Ok(out)
        }
    }
    d.deserialize_any(V)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const COMPOSED: &str = r#"{"version":"2.0","statement":[{"effect":"allow","action":["name/cos:GetObject","name/ci:CreateAIImageColoringJob"],"resource":["qcs::cos:ap-guangzhou:uid/1250000000:examplebucket-1250000000/photos/*","qcs::ci:ap-guangzhou:uid/1250000000:bucket/examplebucket-1250000000/*"]}]}"#;
    const REGION: &str = "ap-guangzhou";
    const APPID: &str = "1250000000";
    const BUCKET: &str = "examplebucket-1250000000";

    fn obj(key: &str) -> String {
        cos_resource(REGION, APPID, BUCKET, key)
    }

    fn policy(statements: &str) -> Policy {
        Policy::parse(&format!(
            r#"{{"version":"2.0","statement":[{statements}]}}"#
        ))
        .unwrap()
    }

    #[test]
    fn resource_strings() {
        assert_eq!(
            cos_resource("ap-beijing", "1250000000", "b-1250000000", "a/b.png"),
            "qcs::cos:ap-beijing:uid/1250000000:b-1250000000/a/b.png"
        );
        assert_eq!(
            ci_resource("ap-beijing", "1250000000", "b-1250000000"),
            "qcs::ci:ap-beijing:uid/1250000000:bucket/b-1250000000/*"
        );
    }

    #[test]
    fn composed_example_allows_coloring_download_of_photos() {
        let p = Policy::parse(COMPOSED).unwrap();
        assert!(p.is_allowed("cos:GetObject", &obj("photos/a.png")));
        assert!(p.is_allowed(
            "ci:CreateAIImageColoringJob",
            &ci_resource(REGION, APPID, BUCKET)
        ));
        assert!(p.is_allowed("cos:GetObject", &obj("photos/2024/b.jpg")));
    }

    #[test]
    fn composed_example_denies_other_buckets_keys_and_actions() {
        let p = Policy::parse(COMPOSED).unwrap();
        let other = "otherbucket-1250000000";
        assert!(!p.is_allowed(
            "cos:GetObject",
            &cos_resource(REGION, APPID, other, "photos/a.png")
        ));
        assert!(!p.is_allowed(
            "ci:CreateAIImageColoringJob",
            &ci_resource(REGION, APPID, other)
        ));
        assert!(!p.is_allowed("cos:GetObject", &obj("docs/a.png")));
        assert!(!p.is_allowed("cos:GetObject", &obj("photos")));
        assert!(!p.is_allowed("cos:GetObject", &obj("photosx/a.png")));
        assert!(!p.is_allowed("cos:GetObject", &obj("a/photos/a.png")));
        assert!(!p.is_allowed("cos:PutObject", &obj("photos/a.png")));
        assert!(!p.is_allowed(
            "ci:CreateAIEnhanceImageJob",
            &ci_resource(REGION, APPID, BUCKET)
        ));
        // Another region or another account's APPID.
        assert!(!p.is_allowed(
            "cos:GetObject",
            &cos_resource("ap-beijing", APPID, BUCKET, "photos/a.png")
        ));
        assert!(!p.is_allowed(
            "cos:GetObject",
            &cos_resource(REGION, "1250000001", BUCKET, "photos/a.png")
        ));
    }

    #[test]
    fn explicit_deny_wins_in_any_order() {
        let allow = r#"{"effect":"allow","action":"name/cos:*","resource":"qcs::cos:ap-guangzhou:uid/1250000000:examplebucket-1250000000/*"}"#;
        let deny = r#"{"effect":"deny","action":"name/cos:GetObject","resource":"qcs::cos:ap-guangzhou:uid/1250000000:examplebucket-1250000000/secret/*"}"#;
        for p in [
            policy(&format!("{allow},{deny}")),
            policy(&format!("{deny},{allow}")),
        ] {
            assert!(p.is_allowed("cos:GetObject", &obj("public/a.png")));
            assert!(p.is_allowed("cos:PutObject", &obj("secret/a.png")));
            assert!(!p.is_allowed("cos:GetObject", &obj("secret/a.png")));
        }
    }

    #[test]
    fn default_deny() {
        let p = policy("");
        assert!(!p.is_allowed("cos:GetObject", &obj("a")));
        let deny_only = policy(r#"{"effect":"deny","action":"*","resource":"*"}"#);
        assert!(!deny_only.is_allowed("cos:GetObject", &obj("a")));
    }

    #[test]
    fn action_wildcards() {
        let p = policy(r#"{"effect":"allow","action":["name/ci:Create*Job"],"resource":"*"}"#);
        let r = ci_resource(REGION, APPID, BUCKET);
        assert!(p.is_allowed("ci:CreateAIImageColoringJob", &r));
        assert!(p.is_allowed("ci:CreateSuperResolutionJob", &r));
        assert!(p.is_allowed("ci:CreateJob", &r));
        assert!(!p.is_allowed("ci:DescribeJob", &r));
        assert!(!p.is_allowed("cos:CreateFooJob", &r));
        assert!(!p.is_allowed("ci:CreateAIImageColoringJobs", &r));

        let p = policy(r#"{"effect":"allow","action":"name/cos:*","resource":"*"}"#);
        assert!(p.is_allowed("cos:GetObject", &obj("a")));
        assert!(p.is_allowed("cos:PutObject", &obj("a")));
        assert!(!p.is_allowed("ci:CreateAIImageColoringJob", &obj("a")));

        let p = policy(r#"{"effect":"allow","action":"*","resource":"*"}"#);
        assert!(p.is_allowed("cos:GetObject", &obj("a")));
        assert!(p.is_allowed(
            "ci:CreateAIEnhanceImageJob",
            &ci_resource(REGION, APPID, BUCKET)
        ));
    }

    #[test]
    fn action_prefix_optional_and_case_insensitive() {
        let r = obj("a");
        for pattern in [
            "name/cos:GetObject",
            "cos:GetObject",
            "NAME/COS:GETOBJECT",
            "cos:getobject",
            "Cos:Get*",
        ] {
            let p = policy(&format!(
                r#"{{"effect":"allow","action":"{pattern}","resource":"*"}}"#
            ));
            assert!(p.is_allowed("cos:GetObject", &r), "{pattern}");
            assert!(p.is_allowed("name/cos:GetObject", &r), "{pattern}");
            assert!(p.is_allowed("COS:GETOBJECT", &r), "{pattern}");
            assert!(!p.is_allowed("cos:PutObject", &r), "{pattern}");
        }
    }

    #[test]
    fn resource_wildcards() {
        let any_region = policy(
            r#"{"effect":"allow","action":"*","resource":"qcs::cos:*:uid/1250000000:examplebucket-1250000000/*"}"#,
        );
        assert!(any_region.is_allowed("cos:GetObject", &obj("a/b")));
        assert!(any_region.is_allowed(
            "cos:GetObject",
            &cos_resource("ap-beijing", APPID, BUCKET, "x")
        ));
        assert!(!any_region.is_allowed(
            "cos:GetObject",
            &cos_resource("ap-beijing", APPID, "b-1250000000", "x")
        ));

        let mid = policy(
            r#"{"effect":"allow","action":"*","resource":"qcs::cos:ap-guangzhou:uid/1250000000:*-1250000000/*.png"}"#,
        );
        assert!(mid.is_allowed("cos:GetObject", &obj("a/b.png")));
        assert!(mid.is_allowed(
            "cos:GetObject",
            &cos_resource(REGION, APPID, "other-1250000000", "c.png")
        ));
        assert!(!mid.is_allowed("cos:GetObject", &obj("a/b.jpg")));

        // A `*` in the region segment does not swallow the account segment.
        let r = policy(
            r#"{"effect":"allow","action":"*","resource":"qcs::cos:*:examplebucket-1250000000/*"}"#,
        );
        assert!(
            r.is_allowed("cos:GetObject", &obj("a")),
            "fewer segments: plain glob"
        );
        let seg = policy(
            r#"{"effect":"allow","action":"*","resource":"qcs::cos:ap-*:uid/1250000001:examplebucket-1250000000/*"}"#,
        );
        assert!(!seg.is_allowed("cos:GetObject", &obj("a")));

        let all = policy(r#"{"effect":"allow","action":"*","resource":"*"}"#);
        assert!(all.is_allowed("cos:GetObject", &obj("anything")));
        assert!(all.is_allowed("cos:GetObject", "not even a qcs string"));

        let service = policy(r#"{"effect":"allow","action":"*","resource":"qcs::cos:*"}"#);
        assert!(service.is_allowed("cos:GetObject", &obj("a")));
        assert!(!service.is_allowed(
            "ci:CreateAIImageColoringJob",
            &ci_resource(REGION, APPID, BUCKET)
        ));
    }

    #[test]
    fn prefix_resources_are_case_sensitive_in_keys() {
        let p = policy(
            r#"{"effect":"allow","action":"cos:GetObject","resource":"qcs::cos:ap-guangzhou:uid/1250000000:examplebucket-1250000000/photos/*"}"#,
        );
        assert!(p.is_allowed("cos:GetObject", &obj("photos/")));
        assert!(p.is_allowed("cos:GetObject", &obj("photos/a/b/c.png")));
        assert!(p.is_allowed("cos:GetObject", &obj("photos/with:colon.png")));
        assert!(!p.is_allowed("cos:GetObject", &obj("Photos/a.png")));
        assert!(!p.is_allowed("cos:GetObject", &obj("photo/a.png")));
        let exact = policy(
            r#"{"effect":"allow","action":"cos:GetObject","resource":"qcs::cos:ap-guangzhou:uid/1250000000:examplebucket-1250000000/photos/a.png"}"#,
        );
        assert!(exact.is_allowed("cos:GetObject", &obj("photos/a.png")));
        assert!(!exact.is_allowed("cos:GetObject", &obj("photos/a.png.bak")));
        // Service and region compare case-insensitively.
        let upper = policy(
            r#"{"effect":"allow","action":"cos:GetObject","resource":"QCS::COS:AP-GUANGZHOU:uid/1250000000:examplebucket-1250000000/*"}"#,
        );
        assert!(upper.is_allowed("cos:GetObject", &obj("x")));
    }

    #[test]
    fn empty_region_and_uid_segments_match_any() {
        let p = policy(
            r#"{"effect":"allow","action":"cos:GetObject","resource":"qcs::cos::uid/1250000000:examplebucket-1250000000/*"}"#,
        );
        assert!(p.is_allowed("cos:GetObject", &obj("a")));
        assert!(p.is_allowed(
            "cos:GetObject",
            &cos_resource("ap-beijing", APPID, BUCKET, "a")
        ));
        assert!(!p.is_allowed(
            "cos:GetObject",
            &cos_resource("ap-beijing", "1", BUCKET, "a")
        ));
        let no_uid = policy(
            r#"{"effect":"allow","action":"cos:GetObject","resource":"qcs::cos:::examplebucket-1250000000/*"}"#,
        );
        assert!(no_uid.is_allowed(
            "cos:GetObject",
            &cos_resource("ap-shanghai", "99", BUCKET, "a")
        ));
        assert!(!no_uid.is_allowed(
            "cos:GetObject",
            &cos_resource("ap-shanghai", "99", "x-1", "a")
        ));
    }

    #[test]
    fn ci_resource_patterns() {
        let p = policy(
            r#"{"effect":"allow","action":"ci:*","resource":"qcs::ci:ap-guangzhou:uid/1250000000:bucket/examplebucket-1250000000/*"}"#,
        );
        assert!(p.is_allowed(
            "ci:CreateAIPicMattingJob",
            &ci_resource(REGION, APPID, BUCKET)
        ));
        assert!(!p.is_allowed(
            "ci:CreateAIPicMattingJob",
            &ci_resource(REGION, APPID, "other-1250000000")
        ));
        assert!(!p.is_allowed(
            "ci:CreateAIPicMattingJob",
            &ci_resource("ap-beijing", APPID, BUCKET)
        ));
        let any = policy(
            r#"{"effect":"allow","action":"ci:*","resource":"qcs::ci::uid/1250000000:bucket/*"}"#,
        );
        assert!(any.is_allowed(
            "ci:CreateAIPicMattingJob",
            &ci_resource("ap-beijing", APPID, "x-1250000000")
        ));
    }

    #[test]
    fn string_or_list_and_effect_spellings() {
        let p = Policy::parse(
            r#"{"version":"2.0","statement":[{"effect":"Allow","action":"cos:GetObject","resource":"*"}]}"#,
        )
        .unwrap();
        assert_eq!(p.statement[0].effect, Effect::Allow);
        assert_eq!(p.statement[0].action, vec!["cos:GetObject".to_owned()]);
        assert_eq!(p.statement[0].resource, vec!["*".to_owned()]);
        // Serializes as lists and round-trips.
        let json = serde_json::to_string(&p).unwrap();
        assert!(json.contains(r#""action":["cos:GetObject"]"#), "{json}");
        assert!(json.contains(r#""effect":"allow""#), "{json}");
        assert_eq!(Policy::parse(&json).unwrap(), p);
        assert_eq!(
            Policy::parse(COMPOSED)
                .map(|p| serde_json::to_string(&p).unwrap())
                .unwrap(),
            COMPOSED
        );
    }

    #[test]
    fn rejects_other_versions() {
        for v in ["1.0", "2", ""] {
            let err = Policy::parse(&format!(r#"{{"version":"{v}","statement":[]}}"#)).unwrap_err();
            assert_eq!(
                err,
                PolicyError::Version {
                    found: v.to_owned()
                }
            );
            let msg = err.to_string();
            assert!(
                msg.contains("version")
                    && msg.contains("\"2.0\"")
                    && msg.contains(&format!("{v:?}")),
                "{msg}"
            );
        }
        let err = Policy::parse(r#"{"statement":[]}"#).unwrap_err();
        assert!(err.to_string().contains("missing field `version`"), "{err}");
    }

    #[test]
    fn rejects_conditions() {
        let json = r#"{"version":"2.0","statement":[
            {"effect":"allow","action":"*","resource":"*"},
            {"effect":"allow","action":"*","resource":"*","condition":{"ip_equal":{"qcs:ip":"10.0.0.1"}}}]}"#;
        let err = Policy::parse(json).unwrap_err();
        assert_eq!(err, PolicyError::Condition { statement: 1 });
        let msg = err.to_string();
        assert!(
            msg.contains("statement[1].condition") && msg.contains("not supported"),
            "{msg}"
        );
        // An empty condition block (or null) says nothing and is accepted.
        policy(r#"{"effect":"allow","action":"*","resource":"*","condition":{}}"#);
        policy(r#"{"effect":"allow","action":"*","resource":"*","condition":null}"#);
    }

    #[test]
    fn unvalidated_conditions_fail_closed() {
        let mut p = policy(
            r#"{"effect":"allow","action":"*","resource":"*"},{"effect":"deny","action":"cos:PutObject","resource":"*"}"#,
        );
        let cond = Some(serde_json::json!({"ip_equal": {"qcs:ip": "10.0.0.1"}}));
        p.statement[1].condition = cond.clone();
        assert!(p.validate().is_err());
        assert!(
            !p.is_allowed("cos:PutObject", "*"),
            "conditional deny still applies"
        );
        p.statement[1].condition = None;
        p.statement[0].condition = cond;
        assert!(
            !p.is_allowed("cos:GetObject", "*"),
            "conditional allow grants nothing"
        );
    }

    #[test]
    fn rejects_unknown_fields_with_position() {
        let err = Policy::parse("{\"version\":\"2.0\",\n\"statement\":[{\"effect\":\"allow\",\"action\":\"*\",\"resource\":\"*\",\"principal\":{}}]}")
            .unwrap_err();
        let PolicyError::Json {
            line,
            column,
            message,
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!(*line, 2);
        assert!(*column > 1);
        assert!(
            message.starts_with("unknown field `principal`"),
            "{message}"
        );
        assert!(err.to_string().contains("line 2"), "{err}");

        let err = Policy::parse(r#"{"version":"2.0","Statement":[]}"#).unwrap_err();
        assert!(
            err.to_string().contains("unknown field `Statement`"),
            "{err}"
        );
        let err = Policy::parse(
            r#"{"version":"2.0","statement":[{"effect":"maybe","action":"*","resource":"*"}]}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown variant `maybe`"), "{err}");
        let err = Policy::parse(
            r#"{"version":"2.0","statement":[{"effect":"allow","action":1,"resource":"*"}]}"#,
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("a string or a list of strings"),
            "{err}"
        );
    }

    #[test]
    fn rejects_empty_lists_and_patterns() {
        let parse = |st: &str| {
            Policy::parse(&format!(r#"{{"version":"2.0","statement":[{st}]}}"#)).unwrap_err()
        };
        assert_eq!(
            parse(r#"{"effect":"allow","action":[],"resource":"*"}"#),
            PolicyError::EmptyAction { statement: 0 }
        );
        assert_eq!(
            parse(r#"{"effect":"allow","action":"*","resource":[]}"#),
            PolicyError::EmptyResource { statement: 0 }
        );
        let e = parse(r#"{"effect":"allow","action":"","resource":"*"}"#);
        assert_eq!(
            e,
            PolicyError::EmptyPattern {
                statement: 0,
                field: "action"
            }
        );
        assert!(e.to_string().contains("statement[0].action"), "{e}");
        let e = parse(r#"{"effect":"allow","action":"*","resource":["*",""]}"#);
        assert_eq!(
            e,
            PolicyError::EmptyPattern {
                statement: 0,
                field: "resource"
            }
        );
        assert!(
            parse(r#"{"effect":"allow","resource":"*"}"#)
                .to_string()
                .contains("missing field `action`")
        );
    }

    #[test]
    fn a_deny_of_any_name_wins_over_an_allow_of_another() {
        let ci = ci_resource(REGION, APPID, BUCKET);
        let sr = [
            "ci:CreateAISuperResolutionJob",
            "ci:CreateSuperResolutionJob",
        ];
        let p = policy(
            r#"{"effect":"allow","action":"ci:*","resource":"*"},{"effect":"deny","action":"name/ci:CreateSuperResolutionJob","resource":"*"}"#,
        );
        assert_eq!(p.decide(&sr, &ci), Decision::Denied(sr[1]));
        let reversed = [sr[1], sr[0]];
        assert_eq!(p.decide(&reversed, &ci), Decision::Denied(sr[1]));
        assert!(p.is_allowed("ci:CreateAIPicMattingJob", &ci));

        let head = ["cos:HeadObject", "cos:GetObject"];
        let no_head = policy(
            r#"{"effect":"allow","action":"cos:*","resource":"*"},{"effect":"deny","action":"cos:HeadObject","resource":"*"}"#,
        );
        assert_eq!(no_head.decide(&head, &obj("a")), Decision::Denied(head[0]));
        assert!(no_head.is_allowed("cos:GetObject", &obj("a")));
        // A deny scoped to another resource does not apply.
        let elsewhere = policy(
            r#"{"effect":"allow","action":"cos:*","resource":"*"},{"effect":"deny","action":"cos:HeadObject","resource":"qcs::cos:ap-guangzhou:uid/1250000000:examplebucket-1250000000/secret/*"}"#,
        );
        assert_eq!(elsewhere.decide(&head, &obj("a")), Decision::Allowed);
        assert_eq!(
            elsewhere.decide(&head, &obj("secret/a")),
            Decision::Denied(head[0])
        );
        // An allow of one name is enough; none is a default deny.
        let get_only = policy(r#"{"effect":"allow","action":"cos:GetObject","resource":"*"}"#);
        assert_eq!(get_only.decide(&head, &obj("a")), Decision::Allowed);
        assert_eq!(
            get_only.decide(&["cos:PutObject"], &obj("a")),
            Decision::NotAllowed
        );
        assert_eq!(get_only.decide(&[], &obj("a")), Decision::NotAllowed);
    }

    #[test]
    fn glob_basics() {
        assert!(glob_match("", "", false));
        assert!(!glob_match("", "a", false));
        assert!(glob_match("*", "", false));
        assert!(glob_match("a*b*c", "aXXbYYc", false));
        assert!(!glob_match("a*b*c", "aXXbYY", false));
        assert!(glob_match("照片/*", "照片/a.png", false));
        assert!(!glob_match("照片/*", "照/a.png", false));
        assert!(glob_match("AB*", "abc", true));
        assert!(!glob_match("AB*", "abc", false));
    }

    /// Plain recursive matcher, exponential in the worst case: the oracle for small inputs.
    fn reference(p: &[u8], t: &[u8]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some((b'*', rest)) => (0..=t.len()).any(|i| reference(rest, &t[i..])),
            Some((c, rest)) => t.first() == Some(c) && reference(rest, &t[1..]),
        }
    }

    fn steps(p: &str, t: &str) -> (bool, u64) {
        let mut n = 0;
        let m = glob_match_counting(p.as_bytes(), t.as_bytes(), false, &mut n);
        (m, n)
    }

    #[test]
    fn glob_is_polynomial_on_adversarial_patterns() {
        let text = "a".repeat(2000);
        for pattern in [
            "a*a*a*a*a*a*b",
            "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b",
            "*********b",
        ] {
            let (m, n) = steps(pattern, &text);
            assert!(!m);
            let bound = (pattern.len() as u64 + 1) * (text.len() as u64 + 1);
            assert!(n <= bound, "{pattern}: {n} steps > {bound}");
        }
        // A long resource pattern against a long key also stays bounded.
        let key = format!("qcs::cos:r:uid/1:b-1/{}", "a/".repeat(500));
        let pattern = format!("qcs::cos:r:uid/1:b-1/{}x", "a*/".repeat(50));
        let (m, n) = steps(&pattern, &key);
        assert!(!m);
        assert!(n <= (pattern.len() as u64 + 1) * (key.len() as u64 + 1));
    }

    proptest! {
        #[test]
        fn glob_agrees_with_reference(p in "[ab*]{0,8}", t in "[ab]{0,10}") {
            let (m, n) = steps(&p, &t);
            prop_assert_eq!(m, reference(p.as_bytes(), t.as_bytes()));
            prop_assert!(n <= (p.len() as u64 + 1) * (t.len() as u64 + 1));
        }

        #[test]
        fn glob_steps_bounded(p in "[ab*]{0,40}", t in "[ab]{0,200}") {
            let (_, n) = steps(&p, &t);
            prop_assert!(n <= (p.len() as u64 + 1) * (t.len() as u64 + 1));
        }

        #[test]
        fn parse_and_match_never_panic(json in "\\PC{0,200}", action in "\\PC{0,30}", resource in "\\PC{0,60}") {
            let _ = Policy::parse(&json);
            let p = policy(&format!(
                r#"{{"effect":"allow","action":{},"resource":{}}}"#,
                serde_json::to_string(&format!("{action}*")).unwrap(),
                serde_json::to_string(&format!("*{resource}")).unwrap(),
            ));
            // `<action>*` matches the action and `*<resource>` the resource, whatever they hold.
            prop_assert!(p.is_allowed(&action, &resource));
        }

        #[test]
        fn literal_patterns_match_themselves(key in "[a-zA-Z0-9/._:-]{0,40}") {
            let r = cos_resource(REGION, APPID, BUCKET, &key);
            let p = policy(&format!(
                r#"{{"effect":"allow","action":"cos:GetObject","resource":{}}}"#,
                serde_json::to_string(&r).unwrap()
            ));
            prop_assert!(p.is_allowed("cos:GetObject", &r));
            let other = cos_resource(REGION, APPID, BUCKET, &format!("{key}x"));
            prop_assert!(!p.is_allowed("cos:GetObject", &other));
        }
    }
}
