//! Logging set-up: JSON lines inside Lambda, readable text elsewhere. The level comes from
//! `RUST_LOG` (default `info`).

use tracing_subscriber::EnvFilter;

/// Installs the global `tracing` subscriber once; later calls do nothing.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let in_lambda = std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some();
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    let result = if in_lambda {
        // CloudWatch adds its own timestamps.
        builder.json().without_time().with_current_span(false).try_init()
    } else {
        builder.try_init()
    };
    // An error means a subscriber is already installed, as in tests that start several apps.
    let _ = result;
}
