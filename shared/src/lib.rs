//! Chirp's shared crate: models and their validation, auth, the single-table data layer, the
//! domain logic written once against the store interface, and HTTP helpers for the Lambda
//! functions.

pub mod app;
pub mod auth;
pub mod avatars;
pub mod bootstrap;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod http;
pub mod keys;
#[cfg(any(feature = "dynamodb", feature = "s3"))]
pub mod lambda_env;
pub mod model;
pub mod openapi;
pub mod pagination;
pub mod permissions;
pub mod search;
pub mod ratelimit;
pub mod store;
pub mod stream;
pub mod telemetry;
