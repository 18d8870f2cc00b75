//! The social graph function: follow, unfollow, followers and following.

mod http_handler;

pub use http_handler::{ROUTES, handle};
