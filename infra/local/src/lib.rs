//! The local runtime: the whole Chirp API in one process on the embedded SQLite store.
//!
//! It mounts every endpoint group's handler unchanged behind one HTTP server and runs a stream
//! pump that turns the embedded change stream into DynamoDB stream events for the same stream
//! handlers Lambda invokes.

pub mod data_dir;
pub mod load;
pub mod pump;
pub mod server;

pub use server::{Server, start};
