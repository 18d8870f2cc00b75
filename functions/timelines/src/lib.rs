//! The timelines function: the home feed and profile timelines.

mod http_handler;

pub use http_handler::{ROUTES, handle};
