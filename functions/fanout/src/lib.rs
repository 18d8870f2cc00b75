//! The fan-out function: a DynamoDB stream consumer that keeps home timelines and the
//! popularity index in step with tweets and follows.
//!
//! Everything it writes is derived data with deterministic keys, so a redelivered record
//! rewrites the same items and changes nothing.

mod celebrities;
mod popularity;
mod stream_handler;
mod timelines;

pub use stream_handler::{handle, handle_with_threshold};
