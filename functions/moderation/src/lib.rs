//! The moderation function: deleting any tweet, suspending and reinstating accounts, changing
//! roles and reading the audit log. `docs/moderation.md` lists the rule of each endpoint.

mod http_handler;

pub use http_handler::{ROUTES, handle};
