//! Stored entities, their validation rules and their public forms.

pub mod follow;
pub mod access;
pub mod like;
pub mod notification;
pub mod session;
pub mod timeline;
pub mod tweet;
pub mod user;

pub use tweet::{Tweet, TweetView};
pub use user::{AuthorView, OwnUserView, User, UserView};
