//! Key times (`<start>;<end>`) and the validity-window check.

use std::fmt;
use std::str::FromStr;

use crate::{Authorization, SignError};

/// A validity window in whole Unix seconds, written `start;end` (`q-sign-time`, `q-key-time`).
///
/// ```
/// use cos_ci_sign::KeyTime;
/// let kt: KeyTime = "1699999940;1700003600".parse().unwrap();
/// assert_eq!(kt, KeyTime { start: 1699999940, end: 1700003600 });
/// assert_eq!(kt.to_string(), "1699999940;1700003600");
/// assert!("1700003600;1699999940".parse::<KeyTime>().is_err()); // end before start
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeyTime {
    /// First second of validity (inclusive).
    pub start: u64,
    /// Last second of validity (inclusive).
    pub end: u64,
}

impl KeyTime {
    /// A window from `start` to `end`.
    pub fn new(start: u64, end: u64) -> Self {
        Self { start, end }
    }

    /// Whether `other` lies entirely inside this window.
    pub fn contains(&self, other: &KeyTime) -> bool {
        self.start <= other.start && other.end <= self.end
    }
}

impl fmt::Display for KeyTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{};{}", self.start, self.end)
    }
}

fn parse_secs(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl FromStr for KeyTime {
    type Err = SignError;

    /// Parses `start;end`: two unsigned decimal numbers (digits only) with `start <= end`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || SignError::InvalidKeyTime(s.to_string());
        let (a, b) = s.split_once(';').ok_or_else(bad)?;
        let start = parse_secs(a).ok_or_else(bad)?;
        let end = parse_secs(b).ok_or_else(bad)?;
        if start > end {
            return Err(bad());
        }
        Ok(Self { start, end })
    }
}

/// Why [`check_time`] refused an authorization.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// `now` is before the start of `q-sign-time` (minus the allowed skew). A server answers
    /// `403 RequestTimeTooSkewed`.
    #[error("request is not yet valid: q-sign-time starts at {start}, now is {now}")]
    NotYetValid {
        /// Start of `q-sign-time`.
        start: u64,
        /// The server's clock.
        now: u64,
    },
    /// `now` is after the end of `q-sign-time` (no skew: the end is strict). A server answers
    /// `403 AccessDenied` "Request has expired".
    #[error("request has expired: q-sign-time ended at {end}, now is {now}")]
    Expired {
        /// End of `q-sign-time`.
        end: u64,
        /// The server's clock.
        now: u64,
    },
    /// `q-key-time` neither equals nor contains `q-sign-time`.
    #[error("q-key-time {key_time} does not contain q-sign-time {sign_time}")]
    KeyTimeMismatch {
        /// The `q-sign-time` window.
        sign_time: KeyTime,
        /// The `q-key-time` window.
        key_time: KeyTime,
    },
}

/// Check the validity window of an authorization against the server clock `now`:
/// `sign_time.start - skew <= now <= sign_time.end`, and `key_time` must equal or contain
/// `sign_time`.
///
/// The skew only tolerates a start in the future (a client clock ahead of the server's). The end
/// is strict, as COS has it: a URL pre-signed for one second stops working after that second,
/// not `skew` seconds later.
///
/// ```
/// use cos_ci_sign::{check_time, Authorization, TimeError};
/// let auth = Authorization::parse("q-sign-algorithm=sha1&q-ak=AKID&q-sign-time=100;200&\
///     q-key-time=100;200&q-header-list=host&q-url-param-list=&\
///     q-signature=0000000000000000000000000000000000000000").unwrap();
/// assert!(check_time(&auth, 150, 0).is_ok());
/// assert!(check_time(&auth, 95, 10).is_ok());
/// assert!(matches!(check_time(&auth, 89, 10), Err(TimeError::NotYetValid { .. })));
/// assert!(check_time(&auth, 200, 10).is_ok());
/// assert!(matches!(check_time(&auth, 201, 10), Err(TimeError::Expired { .. })));
/// ```
pub fn check_time(auth: &Authorization, now: u64, skew: u64) -> Result<(), TimeError> {
    if !auth.key_time.contains(&auth.sign_time) {
        return Err(TimeError::KeyTimeMismatch {
            sign_time: auth.sign_time,
            key_time: auth.key_time,
        });
    }
    if now.saturating_add(skew) < auth.sign_time.start {
        return Err(TimeError::NotYetValid {
            start: auth.sign_time.start,
            now,
        });
    }
    if now > auth.sign_time.end {
        return Err(TimeError::Expired {
            end: auth.sign_time.end,
            now,
        });
    }
    Ok(())
}
