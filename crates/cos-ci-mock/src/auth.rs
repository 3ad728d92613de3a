//! Who is asking, and may they: signature verification (official-sdks.md §1.9), temporary
//! credentials (security tokens), the optional strict signing rules, and the CAM-style policy
//! check of each action on its resource.

use std::time::{SystemTime, UNIX_EPOCH};

use cos_ci_sign::{Authorization, TimeError, VerifyError};
use cos_ci_validate::{ErrorCode, PIC_OPERATIONS_HEADER};
use subtle::ConstantTimeEq;

use crate::config::{Account, bucket_appid};
use crate::error::ApiError;
use crate::policy::{Decision, ci_resource, cos_resource};
use crate::state::MockState;

/// The parts of a request the signature covers.
pub struct Signed<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// The raw (percent-encoded) path.
    pub raw_path: &'a str,
    /// The form-decoded query pairs.
    pub query: &'a [(String, String)],
    /// Headers, names lower-case.
    pub headers: &'a [(String, String)],
}

/// The header (and, for pre-signed URLs, query parameter) of temporary credentials.
const SECURITY_TOKEN: &str = "x-cos-security-token";

/// Finds and verifies the request's signature; returns the signing account.
///
/// Order: the authorization must parse, its SecretId exist, its time window hold (the end
/// strictly), the strict signing rules hold (when configured), the signature match (with
/// at most `max_signed_names` names per list), and last the security token be valid for the
/// account (only when it declares `session_tokens`), so tokens cannot be probed without the
/// secret.
pub fn authenticate<'s>(state: &'s MockState, req: &Signed<'_>) -> Result<&'s Account, ApiError> {
    let header = req
        .headers
        .iter()
        .find(|(k, _)| k == "authorization")
        .map(|(_, v)| v.as_str());
    let auth = match header {
        Some(value) if !value.trim().is_empty() => Some(Authorization::parse(value)),
        // An empty Authorization header is how the Python SDK sends anonymous requests.
        Some(_) => None,
        None => Authorization::from_query(req.query),
    };
    let auth = match auth {
        None if !state.config.verify_signatures => return owner(state),
        None => {
            return Err(ApiError::new(
                ErrorCode::AccessDenied,
                "anonymous access is not allowed: the request carries no signature",
            ));
        }
        Some(Err(e)) => {
            return Err(ApiError::new(ErrorCode::AccessDenied, e.to_string()));
        }
        Some(Ok(auth)) => auth,
    };
    let Some(account) = state.config.account(&auth.secret_id) else {
        return Err(ApiError::new(
            ErrorCode::InvalidAccessKeyId,
            format!("the SecretId {:?} does not exist", auth.secret_id),
        ));
    };
    if !state.config.verify_signatures {
        return Ok(account);
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    match cos_ci_sign::check_time(&auth, now, state.config.max_clock_skew_secs) {
        Ok(()) => {}
        Err(e @ TimeError::Expired { .. }) => {
            return Err(ApiError::new(
                ErrorCode::AccessDenied,
                format!("Request has expired: {e}"),
            ));
        }
        Err(e) => {
            return Err(ApiError::new(
                ErrorCode::RequestTimeTooSkewed,
                e.to_string(),
            ));
        }
    }
    if state.config.strict_signing {
        strict_rules(&auth, req)?;
    }
    match cos_ci_sign::verify_limited(
        &auth,
        &account.secret_key,
        req.method,
        req.raw_path,
        req.query,
        req.headers,
        state.config.max_signed_names,
    ) {
        Ok(()) => {}
        Err(VerifyError::SignatureDoesNotMatch { string_to_sign }) => {
            return Err(ApiError::new(
                ErrorCode::SignatureDoesNotMatch,
                format!(
                    "The calculated signature does not match the one provided. StringToSign: {string_to_sign:?}"
                ),
            ));
        }
        Err(
            e @ (VerifyError::TooManySignedNames { .. } | VerifyError::TooManySignedValues { .. }),
        ) => return Err(ApiError::new(ErrorCode::AccessDenied, e.to_string())),
        Err(e) => {
            return Err(ApiError::new(
                ErrorCode::SignatureDoesNotMatch,
                e.to_string(),
            ));
        }
    }
    check_session_token(account, req, now)?;
    Ok(account)
}

/// `strict_signing`: the signature must cover `host`, and `pic-operations` when it is sent.
fn strict_rules(auth: &Authorization, req: &Signed<'_>) -> Result<(), ApiError> {
    let signed = |name: &str| {
        auth.header_list
            .iter()
            .any(|n| n.eq_ignore_ascii_case(name))
    };
    if !signed("host") {
        return Err(ApiError::new(
            ErrorCode::AccessDenied,
            "strict_signing: the signature must cover the Host header (q-header-list has no host)",
        ));
    }
    let pic = PIC_OPERATIONS_HEADER;
    if req.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(pic)) && !signed(pic) {
        return Err(ApiError::new(
            ErrorCode::AccessDenied,
            "strict_signing: the request carries a Pic-Operations header its signature does not \
             cover (q-header-list has no pic-operations)",
        ));
    }
    Ok(())
}

/// Temporary credentials: when `account` declares `session_tokens`, the request must carry one
/// of them (header `x-cos-security-token`, or the query parameter of a pre-signed URL), not
/// expired. An account without declared tokens accepts any token or none, as before tokens
/// could be declared.
fn check_session_token(account: &Account, req: &Signed<'_>, now: u64) -> Result<(), ApiError> {
    if account.session_tokens.is_empty() {
        return Ok(());
    }
    let sent = req
        .headers
        .iter()
        .chain(req.query.iter())
        .find(|(k, _)| k == SECURITY_TOKEN)
        .map(|(_, v)| v.as_str());
    let who = &account.secret_id;
    let Some(sent) = sent else {
        return Err(ApiError::new(
            ErrorCode::InvalidAccessKeyId,
            format!("the SecretId {who:?} is temporary: the request needs its {SECURITY_TOKEN}"),
        ));
    };
    let Some(token) = account
        .session_tokens
        .iter()
        .find(|t| bool::from(t.token.as_bytes().ct_eq(sent.as_bytes())))
    else {
        return Err(ApiError::new(
            ErrorCode::InvalidAccessKeyId,
            format!("the {SECURITY_TOKEN} is not valid for the SecretId {who:?}"),
        ));
    };
    if now > token.expires_at {
        return Err(ApiError::new(
            ErrorCode::ExpiredToken,
            format!(
                "The security token has expired: it was valid until {}, now is {now}",
                token.expires_at
            ),
        ));
    }
    Ok(())
}

fn owner(state: &MockState) -> Result<&Account, ApiError> {
    state
        .config
        .accounts
        .iter()
        .find(|a| a.policy.is_none())
        .or_else(|| state.config.accounts.first())
        .ok_or_else(|| ApiError::new(ErrorCode::AccessDenied, "no account is configured"))
}

/// What an action is checked on.
pub enum On<'a> {
    /// An object: `qcs::cos:<region>:uid/<appid>:<bucket>/<key>`.
    Object {
        /// Its bucket.
        bucket: &'a str,
        /// Its key.
        key: &'a str,
    },
    /// The bucket's CI resource: `qcs::ci:<region>:uid/<appid>:bucket/<bucket>/*`.
    Ci {
        /// The bucket.
        bucket: &'a str,
    },
}

/// Requires that `account` may do an action that goes by `names` (its name and aliases) on
/// `on`: an explicit deny of any of the names refuses, else an allow of one of them is needed.
pub fn authorize(
    state: &MockState,
    account: &Account,
    names: &[&str],
    on: On<'_>,
) -> Result<(), ApiError> {
    let region = &state.config.region;
    let resource = match on {
        On::Object { bucket, key } => {
            cos_resource(region, bucket_appid(bucket).unwrap_or(""), bucket, key)
        }
        On::Ci { bucket } => ci_resource(region, bucket_appid(bucket).unwrap_or(""), bucket),
    };
    let decision = match &account.policy {
        None => Decision::Allowed,
        Some(policy) => policy.decide(names, &resource),
    };
    let who = account.name.as_deref().unwrap_or(&account.secret_id);
    let action = names.first().copied().unwrap_or("this action");
    match decision {
        Decision::Allowed => Ok(()),
        Decision::Denied(name) => Err(ApiError::new(
            ErrorCode::AccessDenied,
            format!("{who} is not allowed {action} on {resource}: an explicit deny of {name}"),
        )),
        Decision::NotAllowed => Err(ApiError::new(
            ErrorCode::AccessDenied,
            format!("{who} is not allowed {action} on {resource}"),
        )),
    }
}

/// Checks every action in `actions` (with aliases from `names_of`) for an operation mode.
pub fn authorize_actions(
    state: &MockState,
    account: &Account,
    actions: &[&'static str],
    names_of: impl Fn(&'static str) -> Vec<&'static str>,
    object: impl Fn(&'static str) -> Vec<(String, String)>,
    bucket: &str,
) -> Result<(), ApiError> {
    for &action in actions {
        let names = names_of(action);
        if action.starts_with("ci:") {
            authorize(state, account, &names, On::Ci { bucket })?;
        } else {
            for (b, k) in object(action) {
                authorize(
                    state,
                    account,
                    &names,
                    On::Object {
                        bucket: &b,
                        key: &k,
                    },
                )?;
            }
        }
    }
    Ok(())
}
