//! Full-text search: turning tweet content and queries into index terms, and the index items
//! the indexer stream consumer writes for tweets and users.

pub mod index;
pub mod query;
pub mod terms;

pub use query::{SearchQuery, parse_query};
pub use terms::{fold, tweet_terms, word_terms};
