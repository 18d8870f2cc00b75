//! Retries of throttled and conflicting requests: exponential backoff with full jitter.
//!
//! The store does its own retries (and turns the SDK's off) so that every retry is logged, the
//! bound is the same for single requests and for the unprocessed leftovers of batches, and a
//! failed condition is never retried.

use std::future::Future;
use std::time::Duration;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use rand::Rng;

/// Retry class of a failed request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Retryable {
    /// DynamoDB rejected the request for capacity; nothing was written.
    Throttled,
    /// A transaction touched the item at the same time; nothing was written.
    Conflict,
    /// A server error, timeout or dropped connection: the request may or may not have been
    /// applied, so only idempotent requests are sent again.
    Transient,
    /// A final error, such as a failed condition or an invalid request.
    No,
}

/// Bounds of the retries of one request.
#[derive(Clone, Debug)]
pub(super) struct RetryPolicy {
    /// Attempts in all, the first one included.
    pub max_attempts: u32,
    /// Ceiling of the first delay, doubled by each retry up to `max_delay`.
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 8 attempts, with delay ceilings of 25 ms doubling to 1.6 s: at most about 3.2 s of
    /// waiting per request, 1.6 s on average.
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base_delay: Duration::from_millis(25),
            max_delay: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// Returns the delay before retry number `retry` (0 for the first retry): a uniform draw
    /// between zero and the exponential ceiling ("full jitter"), so clients throttled together
    /// do not retry together.
    pub fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self.base_delay.saturating_mul(1 << retry.min(20)).min(self.max_delay);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::rng().random_range(0..=millis))
    }

    /// Sends a request until it succeeds, fails for good, or runs out of attempts, and returns
    /// the last result. Transient failures are retried only when `idempotent` is true.
    pub async fn run<T, E, Fut>(
        &self,
        operation: &'static str,
        idempotent: bool,
        classify: impl Fn(&E) -> Retryable,
        mut send: impl FnMut() -> Fut,
    ) -> Result<T, E>
    where
        Fut: Future<Output = Result<T, E>>,
        E: ProvideErrorMetadata + std::fmt::Display,
    {
        let mut attempt = 1;
        loop {
            let error = match send().await {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            let reason = classify(&error);
            let retry = match reason {
                Retryable::Throttled | Retryable::Conflict => true,
                Retryable::Transient => idempotent,
                Retryable::No => false,
            };
            if !retry || attempt >= self.max_attempts {
                return Err(error);
            }
            let delay = self.backoff(attempt - 1);
            tracing::warn!(
                operation,
                attempt,
                max_attempts = self.max_attempts,
                delay_ms = delay.as_millis() as u64,
                reason = ?reason,
                code = error.code().unwrap_or("none"),
                error_message = error.message().unwrap_or(""),
                error = %error,
                "DynamoDB request failed; retrying"
            );
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::error::ErrorMetadata;

    use super::*;

    /// Returns the default attempts with 1 ms delays, so a test runs in milliseconds on a
    /// real clock.
    fn quick_policy() -> RetryPolicy {
        RetryPolicy {
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(1),
            ..RetryPolicy::default()
        }
    }

    fn failure(code: &str) -> ErrorMetadata {
        ErrorMetadata::builder().code(code).message("scripted failure").build()
    }

    #[test]
    fn backoff_stays_under_ceiling() {
        let policy = RetryPolicy::default();
        for retry in 0..40 {
            let ceiling =
                policy.base_delay.saturating_mul(1 << retry.min(20)).min(policy.max_delay);
            assert!(policy.backoff(retry) <= ceiling, "retry {retry}");
        }
    }

    #[tokio::test]
    async fn run_stops_after_max_attempts() {
        let policy = quick_policy();
        let mut calls = 0;
        let result: Result<(), ErrorMetadata> = policy
            .run(
                "Test",
                true,
                |_| Retryable::Throttled,
                || {
                    calls += 1;
                    async { Err(failure("ThrottlingException")) }
                },
            )
            .await;
        assert_eq!(result.expect_err("throttled").code(), Some("ThrottlingException"));
        assert_eq!(calls, policy.max_attempts);
    }

    #[tokio::test]
    async fn run_never_retries_final_errors() {
        let mut calls = 0;
        let result: Result<(), ErrorMetadata> = quick_policy()
            .run(
                "Test",
                true,
                |_| Retryable::No,
                || {
                    calls += 1;
                    async { Err(failure("ConditionalCheckFailedException")) }
                },
            )
            .await;
        assert!(result.is_err());
        assert_eq!(calls, 1);
    }

    #[tokio::test]
    async fn run_transient_only_when_idempotent() {
        let mut calls = 0;
        let _: Result<(), ErrorMetadata> = quick_policy()
            .run(
                "Test",
                false,
                |_| Retryable::Transient,
                || {
                    calls += 1;
                    async { Err(failure("InternalServerError")) }
                },
            )
            .await;
        assert_eq!(calls, 1);
    }
}
