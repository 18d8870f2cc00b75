//! Errors of the store layer, named after the DynamoDB errors they mirror.

/// Why one write of a cancelled transaction failed, in the order of the writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CancelReason {
    /// This write was fine; another one cancelled the transaction.
    None,
    /// This write's condition was false.
    ConditionFailed,
    /// Another request was changing the same item.
    Conflict,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The condition of a single-item write was false (`ConditionalCheckFailedException`).
    #[error("the condition of the write failed")]
    ConditionFailed,

    /// A transaction was cancelled and nothing was written (`TransactionCanceledException`).
    #[error("the transaction was cancelled: {reasons:?}")]
    TransactionCanceled { reasons: Vec<CancelReason> },

    /// Too many requests for the table's capacity, still failing after retries.
    #[error("the store throttled the request")]
    Throttled,

    #[error("the item is {size} bytes, over the 400 KB limit")]
    ItemTooLarge { size: usize },

    /// A request the store rejects as malformed, such as a transaction of 101 writes; a bug in
    /// the caller, never the client's fault.
    #[error("invalid store request: {0}")]
    Validation(String),

    /// The store could not be reached or failed internally.
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
}

impl StoreError {
    /// Returns the reason of write `index` if this is a cancelled transaction.
    pub fn cancel_reason(&self, index: usize) -> Option<CancelReason> {
        match self {
            StoreError::TransactionCanceled { reasons } => reasons.get(index).copied(),
            _ => None,
        }
    }

    /// Tells whether write `index` of a cancelled transaction failed its condition.
    pub fn condition_failed_at(&self, index: usize) -> bool {
        self.cancel_reason(index) == Some(CancelReason::ConditionFailed)
    }
}
