//! Everything a request handler needs, built once per cold start and shared by reference.

use std::sync::Arc;

use crate::auth::Tokens;
use crate::avatars::Avatars;
use crate::config::Config;
use crate::pagination::CursorSigner;
use crate::ratelimit::{RateLimits, ThrottledBuckets};
use crate::store::Store;

#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub tokens: Arc<Tokens>,
    pub cursors: Arc<CursorSigner>,
    pub rate_limits: Arc<RateLimits>,
    /// Buckets this process saw over their limit; see [`ThrottledBuckets`].
    pub throttled: Arc<ThrottledBuckets>,
    /// Avatar storage; `None` where avatars are not configured, and their endpoints return 500.
    pub avatars: Option<Avatars>,
}

impl App {
    /// Builds the app with the contract's default rate limits.
    pub fn new(store: Arc<dyn Store>, config: &Config) -> Result<Self, String> {
        Ok(Self {
            store,
            tokens: Arc::new(Tokens::new(&config.secret, config.token_ttl_seconds)?),
            cursors: Arc::new(CursorSigner::new(&config.secret)),
            rate_limits: Arc::new(RateLimits::default()),
            throttled: Arc::new(ThrottledBuckets::default()),
            avatars: None,
        })
    }

    pub fn with_rate_limits(mut self, rate_limits: RateLimits) -> Self {
        self.rate_limits = Arc::new(rate_limits);
        self
    }

    pub fn with_avatars(mut self, avatars: Avatars) -> Self {
        self.avatars = Some(avatars);
        self
    }
}
