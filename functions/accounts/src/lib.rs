//! The accounts function: registration, login, logout and profiles.

mod avatar;
mod http_handler;

pub use http_handler::{ROUTES, handle};
