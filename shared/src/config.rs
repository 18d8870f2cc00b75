//! Configuration read from the environment once per cold start.

use std::env;

/// Default lifetime of an access token: 24 hours, in seconds.
pub const DEFAULT_TOKEN_TTL_SECONDS: i64 = 24 * 60 * 60;

#[derive(Clone, Debug)]
pub struct Config {
    /// Secret that signs access tokens and pagination cursors; at least 32 bytes.
    pub secret: Vec<u8>,
    /// Lifetime of an access token and its session, in seconds.
    pub token_ttl_seconds: i64,
}

impl Config {
    /// Reads `CHIRP_SECRET` (required) and `CHIRP_TOKEN_TTL_SECONDS` (optional).
    pub fn from_env() -> Result<Self, String> {
        let secret = env::var("CHIRP_SECRET")
            .map_err(|_| "CHIRP_SECRET is not set; set it to a random string of at least 32 bytes".to_owned())?;
        Ok(Self { secret: secret.into_bytes(), token_ttl_seconds: token_ttl_from_env()? })
    }
}

/// Reads `CHIRP_TOKEN_TTL_SECONDS`, or the default when unset.
pub fn token_ttl_from_env() -> Result<i64, String> {
    match env::var("CHIRP_TOKEN_TTL_SECONDS") {
        Err(_) => Ok(DEFAULT_TOKEN_TTL_SECONDS),
        Ok(text) => text
            .parse::<i64>()
            .ok()
            .filter(|seconds| *seconds > 0)
            .ok_or_else(|| format!("CHIRP_TOKEN_TTL_SECONDS is {text:?}; expected a positive number of seconds")),
    }
}
