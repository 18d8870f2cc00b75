//! The notifications function: the viewer's notifications, their unread count and marking
//! them read. The notifier stream consumer writes them.

mod http_handler;

pub use http_handler::{ROUTES, handle};
