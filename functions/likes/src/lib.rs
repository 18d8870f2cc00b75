//! The likes function: like, unlike and a tweet's likers.

mod http_handler;

pub use http_handler::{ROUTES, handle};
