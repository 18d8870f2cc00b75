//! The tweets function: create, read, edit, delete and the global list with its filters.

mod http_handler;

pub use http_handler::{ROUTES, handle};
