//! The search function: tweets by words, hashtags, mentions and author, and users by a prefix
//! of their names. The indexer stream consumer writes the index both read.
//!
//! Its paths sit under `/api/tweets/` and `/api/accounts/`, so a router must try it before the
//! tweets and accounts functions, whose `{id}` and `{username}` routes would also match.

mod http_handler;

pub use http_handler::{ROUTES, handle};
