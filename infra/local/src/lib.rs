//! The local runtime: the whole Chirp API in one process, on the embedded SQLite store or on a
//! DynamoDB table.
//!
//! It mounts every endpoint group's handler unchanged behind one HTTP server and runs the
//! stream handlers Lambda invokes: on SQLite a stream pump turns the embedded change stream into
//! DynamoDB stream events, and on DynamoDB a poller per consumer reads the table's stream.

pub mod backend;
pub mod avatars;
pub mod data_dir;
pub mod load;
pub mod pump;
pub mod server;
pub mod streams;

pub use backend::{DynamoDbTable, StoreChoice};
pub use server::{Server, start, start_on};
