//! The indexer function: a DynamoDB stream consumer that keeps the search index in step with
//! tweets (one item per term and tweet) and users (one item per name prefix and user).
//!
//! It is a function of its own, apart from the notifier, so a failing record of one holds up
//! neither the other's notifications nor its index, and each retries on its own.

mod stream_handler;
mod tweets;
mod users;

pub use stream_handler::{ENTITIES, handle};
