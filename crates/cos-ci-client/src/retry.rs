//! Retries with exponential backoff and full jitter, bounded in count and total time.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::error::Error;

/// When and how often a failed request is tried again.
///
/// Only retryable failures are retried ([`Error::is_retryable`](crate::Error::is_retryable)):
/// connection errors, timeouts, 5xx and SlowDown; never a 4xx, and never a request whose body
/// is a stream (it cannot be replayed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = no retries).
    pub max_attempts: u32,
    /// The first backoff; each retry doubles it.
    pub base_delay: Duration,
    /// The longest single backoff.
    pub max_delay: Duration,
    /// No retry starts after this much time since the first attempt.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
            max_elapsed: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// No retries.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The backoff before attempt `attempt + 1` (attempt counts from 1): a random duration
    /// up to `min(max_delay, base_delay * 2^(attempt-1))` ("full jitter").
    pub fn backoff(&self, attempt: u32) -> Duration {
        let cap = self
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
            .min(self.max_delay);
        let millis = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(if millis == 0 {
            0
        } else {
            // Jitter only spreads retries out; it needs no unpredictable source.
            fastrand::u64(..=millis)
        })
    }

    /// Runs `attempt` until it succeeds, fails with an error that is not retryable, or the
    /// policy's attempts or time run out, waiting [`backoff`](Self::backoff) in between. For
    /// work that retries more than one request can (a part body replayed, a range refetched).
    pub(crate) async fn run<T, F, Fut>(&self, mut attempt: F) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let started = Instant::now();
        let mut n = 1;
        loop {
            let error = match attempt().await {
                Ok(value) => return Ok(value),
                Err(e) => e,
            };
            if n >= self.max_attempts
                || started.elapsed() >= self.max_elapsed
                || !error.is_retryable()
            {
                return Err(error);
            }
            tokio::time::sleep(self.backoff(n)).await;
            n += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_capped_and_grows() {
        let p = RetryPolicy::default();
        for attempt in 1..40 {
            let cap = Duration::from_millis(100 * (1u64 << (attempt - 1).min(20))).min(p.max_delay);
            assert!(p.backoff(attempt) <= cap, "attempt {attempt}");
        }
    }
}
