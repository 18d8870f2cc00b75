//! The accounts function: registration, login, logout and profiles.

mod http_handler;

pub use http_handler::{ROUTES, handle};
