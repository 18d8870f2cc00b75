//! The notifier function: a DynamoDB stream consumer that turns follows, likes and mentions
//! into notifications for the users they concern.
//!
//! A notification's key is deterministic in (recipient, type, actor, tweet) and is written
//! only if absent, together with the recipient's unread count, so a redelivered record, or a
//! like, unlike and like again, leaves one notification and an exact count.

mod stream_handler;

pub use stream_handler::{ENTITIES, handle};
