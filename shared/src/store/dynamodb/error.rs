//! Classification of SDK errors: which ones to retry, and which [`StoreError`] each becomes.

use aws_sdk_dynamodb::error::{BuildError, DisplayErrorContext, ProvideErrorMetadata, SdkError};

use super::retry::Retryable;
use crate::store::StoreError;

/// Error codes DynamoDB returns when a request exceeds the table's or the account's capacity.
const THROTTLING_CODES: [&str; 3] =
    ["ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"];

pub(super) fn is_throttling(code: &str) -> bool {
    THROTTLING_CODES.contains(&code)
}

/// Tells whether a failed request of any operation may be sent again.
pub(super) fn classify<E: ProvideErrorMetadata>(error: &SdkError<E>) -> Retryable {
    match error {
        SdkError::ServiceError(service) => match error.code() {
            Some(code) if is_throttling(code) => Retryable::Throttled,
            // A single-item write on an item that a transaction is changing.
            Some("TransactionConflictException") => Retryable::Conflict,
            // A retry that reached DynamoDB while the first attempt with the same client
            // request token was still running. The next retry gets that attempt's result.
            Some("TransactionInProgressException") => Retryable::Conflict,
            _ if service.raw().status().is_server_error() => Retryable::Transient,
            _ => Retryable::No,
        },
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            Retryable::Transient
        }
        _ => Retryable::No,
    }
}

/// Converts the final error of `operation` into a store error. `item_size` is the size of the
/// written item when known, for [`StoreError::ItemTooLarge`].
pub(super) fn store_error<E>(
    operation: &str,
    error: SdkError<E>,
    item_size: Option<usize>,
) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match error.code() {
        Some(code) if is_throttling(code) => StoreError::Throttled,
        Some("ConditionalCheckFailedException") => StoreError::ConditionFailed,
        Some("ValidationException") => {
            let message = error.message().unwrap_or("no message").to_owned();
            validation_error(operation, &message, item_size)
        }
        _ => StoreError::Unavailable(format!(
            "DynamoDB {operation} failed: {}",
            DisplayErrorContext(&error)
        )),
    }
}

/// Converts a DynamoDB validation message, telling an oversized item apart from other invalid
/// requests. DynamoDB words the former "Item size has exceeded the maximum allowed size" or
/// "Item size to update has exceeded ...", while an oversized key reads "Size of hashkey ...",
/// which stays a validation error.
pub(super) fn validation_error(
    operation: &str,
    message: &str,
    item_size: Option<usize>,
) -> StoreError {
    if message.to_ascii_lowercase().contains("item size") {
        // NOTE: when the size is unknown (an update whose result only DynamoDB computed), the
        // error reports the 400 KB limit itself.
        return StoreError::ItemTooLarge { size: item_size.unwrap_or(crate::store::MAX_ITEM_SIZE) };
    }
    StoreError::Validation(format!("DynamoDB rejected {operation}: {message}"))
}

/// Converts a request the SDK could not build, which means a bug in this module.
pub(super) fn build_error(error: BuildError) -> StoreError {
    StoreError::Validation(format!("invalid DynamoDB request: {error}"))
}
