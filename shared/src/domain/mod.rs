//! Chirp's business logic, written once against the store interface. Nothing here knows about
//! Lambda, HTTP or which store runs underneath.

pub mod accounts;
pub mod celebrities;
pub mod feed;
pub mod likes;
pub mod lists;
pub mod moderation;
pub mod notifications;
pub mod render;
pub mod search;
pub mod social;
pub mod tweet_list;
pub mod tweets;
