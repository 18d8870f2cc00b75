//! `chirp-admin`: operator commands over any [`Store`](chirp_shared::store::Store). The binary
//! parses arguments and opens the store; the commands live here so tests can run them on a
//! store they damaged.

pub mod accounts;
pub mod checkpoint;
pub mod counters;
pub mod search_index;
pub mod timelines;
pub mod users;
