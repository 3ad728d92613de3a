//! Who is asking, and may they: signature verification (official-sdks.md §1.9) and the
//! CAM-style policy check of each action on its resource.

use std::time::{SystemTime, UNIX_EPOCH};

use cos_ci_sign::{Authorization, TimeError, VerifyError};
use cos_ci_validate::ErrorCode;

use crate::config::{Account, bucket_appid};
use crate::error::ApiError;
use crate::policy::{ci_resource, cos_resource};
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

/// Finds and verifies the request's signature; returns the signing account.
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
    match cos_ci_sign::verify(
        &auth,
        &account.secret_key,
        req.method,
        req.raw_path,
        req.query,
        req.headers,
    ) {
        Ok(()) => Ok(account),
        Err(VerifyError::SignatureDoesNotMatch { string_to_sign }) => Err(ApiError::new(
            ErrorCode::SignatureDoesNotMatch,
            format!(
                "The calculated signature does not match the one provided. StringToSign: {string_to_sign:?}"
            ),
        )),
        Err(e) => Err(ApiError::new(
            ErrorCode::SignatureDoesNotMatch,
            e.to_string(),
        )),
    }
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

/// Requires that `account` may do `action` (under any of `names`) on `on`.
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
    if names
        .iter()
        .any(|action| account.is_allowed(action, &resource))
    {
        return Ok(());
    }
    let who = account.name.as_deref().unwrap_or(&account.secret_id);
    Err(ApiError::new(
        ErrorCode::AccessDenied,
        format!(
            "{who} is not allowed {} on {resource}",
            names.first().copied().unwrap_or("this action")
        ),
    ))
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
