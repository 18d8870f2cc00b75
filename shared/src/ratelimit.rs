//! Rate limits counted in the store with fixed windows, so every Lambda instance (and the local
//! runtime) shares one count per client.
//!
//! Each request falls into exactly one bucket: login attempts and registrations per client IP,
//! otherwise requests per authenticated user, otherwise requests per client IP. The count of a
//! bucket and window is one item that an atomic `ADD` increments. Its `expires_at_epoch` lets
//! DynamoDB's time to live delete it after the window.

use std::collections::HashMap;
use std::env;
use std::sync::Mutex;

use http::Method;

use crate::app::App;
use crate::keys;
use crate::store::{ItemExt, Update, number, string};

/// Environment variable that turns every limit off when set to `off`.
pub const SWITCH_VARIABLE: &str = "CHIRP_RATE_LIMITS";

/// Seconds a counter item outlives its window before time to live may delete it, so a clock
/// skew between Lambda instances never resets a window that is still running.
const EXPIRY_MARGIN_SECONDS: i64 = 60;

/// A number of requests allowed per fixed window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub requests: u32,
    pub window_seconds: u32,
}

impl Limit {
    pub const fn per_minute(requests: u32) -> Self {
        Self { requests, window_seconds: 60 }
    }

    pub const fn per_hour(requests: u32) -> Self {
        Self { requests, window_seconds: 3600 }
    }
}

/// The limits of every bucket; `enabled: false` skips counting altogether.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimits {
    pub enabled: bool,
    /// Requests per authenticated user.
    pub user: Limit,
    /// Requests per client IP without a valid token.
    pub anonymous: Limit,
    /// Login attempts per client IP.
    pub login: Limit,
    /// Registrations per client IP.
    pub register: Limit,
}

impl Default for RateLimits {
    /// Returns the contract's defaults.
    fn default() -> Self {
        Self {
            enabled: true,
            user: Limit::per_minute(300),
            anonymous: Limit::per_minute(60),
            login: Limit::per_minute(10),
            register: Limit::per_hour(5),
        }
    }
}

impl RateLimits {
    /// No limits: for the data loader, benchmarks and suites that are not about limits.
    pub fn off() -> Self {
        Self { enabled: false, ..Self::default() }
    }

    /// Reads `CHIRP_RATE_LIMITS` (`off` disables every limit) and the per-bucket counts
    /// `CHIRP_RATE_LIMIT_USER_PER_MINUTE`, `CHIRP_RATE_LIMIT_IP_PER_MINUTE`,
    /// `CHIRP_RATE_LIMIT_LOGIN_PER_MINUTE` and `CHIRP_RATE_LIMIT_REGISTER_PER_HOUR`; unset
    /// ones keep the defaults.
    pub fn from_env() -> Result<Self, String> {
        let defaults = Self::default();
        let enabled = match env::var(SWITCH_VARIABLE) {
            Err(_) => true,
            Ok(value) if value.eq_ignore_ascii_case("off") => false,
            Ok(value) if value.eq_ignore_ascii_case("on") => true,
            Ok(value) => return Err(format!("{SWITCH_VARIABLE} is {value:?}; expected \"on\" or \"off\"")),
        };
        Ok(Self {
            enabled,
            user: Limit::per_minute(count_from_env("CHIRP_RATE_LIMIT_USER_PER_MINUTE", defaults.user.requests)?),
            anonymous: Limit::per_minute(count_from_env("CHIRP_RATE_LIMIT_IP_PER_MINUTE", defaults.anonymous.requests)?),
            login: Limit::per_minute(count_from_env("CHIRP_RATE_LIMIT_LOGIN_PER_MINUTE", defaults.login.requests)?),
            register: Limit::per_hour(count_from_env("CHIRP_RATE_LIMIT_REGISTER_PER_HOUR", defaults.register.requests)?),
        })
    }

    /// Picks the bucket a request counts against. `user_id` is the subject of a token whose
    /// signature checked out, or `None`.
    pub fn bucket(&self, method: &Method, path: &str, user_id: Option<&str>, client_ip: &str) -> Bucket {
        let path = crate::http::normalize_path(path);
        if method == Method::POST && path == "/api/accounts/login" {
            return Bucket { name: "login", subject: client_ip.to_owned(), limit: self.login };
        }
        if method == Method::POST && path == "/api/accounts/register" {
            return Bucket { name: "register", subject: client_ip.to_owned(), limit: self.register };
        }
        match user_id {
            Some(user_id) => Bucket { name: "user", subject: user_id.to_owned(), limit: self.user },
            None => Bucket { name: "ip", subject: client_ip.to_owned(), limit: self.anonymous },
        }
    }
}

fn count_from_env(name: &str, default: u32) -> Result<u32, String> {
    match env::var(name) {
        Err(_) => Ok(default),
        Ok(text) => text
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|count| *count > 0)
            .ok_or_else(|| format!("{name} is {text:?}; expected a positive whole number of requests")),
    }
}

/// One counter: what it limits (`login`, `register`, `user` or `ip`), whose requests, and how many.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bucket {
    pub name: &'static str,
    pub subject: String,
    pub limit: Limit,
}

/// The state of a bucket after counting one request, for the `X-RateLimit-*` headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Usage {
    pub limit: u32,
    /// Requests left in this window, 0 once over the limit.
    pub remaining: u32,
    /// Seconds until the window resets, at least 1.
    pub reset_seconds: i64,
    pub exceeded: bool,
}

/// Counts one request against `bucket` in the window that contains `now` (seconds since the Unix
/// epoch) and returns the usage after it.
///
/// NOTE: the embedded SQLite store has no time to live, so under `chirp-local` the counter
/// items of past windows stay in the table (one small item per bucket and window).
pub async fn count(app: &App, bucket: &Bucket, now: i64) -> Result<Usage, crate::store::StoreError> {
    let window = i64::from(bucket.limit.window_seconds);
    let window_start = now - now.rem_euclid(window);
    let window_end = window_start + window;

    let key = keys::rate_limit(bucket.name, &bucket.subject, window_start);
    let update = Update::new()
        .add("count", 1)
        .set("entity", string("rate_limit"))
        .set(keys::TTL, number(window_end + EXPIRY_MARGIN_SECONDS));
    let item = app.store.update(&key, update, None).await?;

    let used = item.number("count").unwrap_or(1).max(0);
    let limit = bucket.limit.requests;
    Ok(Usage {
        limit,
        remaining: u32::try_from((i64::from(limit) - used).max(0)).unwrap_or(0),
        reset_seconds: (window_end - now).max(1),
        exceeded: used > i64::from(limit),
    })
}

/// Buckets this process saw over their limit, with the end of each one's window. A request in
/// such a bucket is rejected without being counted, so a client that keeps calling past its
/// limit costs no store write per call. The memory is per process (one Lambda instance); other
/// instances still learn of the limit through the counter.
#[derive(Debug, Default)]
pub struct ThrottledBuckets {
    until: Mutex<HashMap<(&'static str, String), i64>>,
}

/// Buckets remembered at most. Past it, ended windows are dropped. If none has ended, the
/// memory starts again empty, because it only saves round trips and the store's counter decides.
const MAX_REMEMBERED_BUCKETS: usize = 10_000;

impl ThrottledBuckets {
    /// Returns the usage to report when `bucket` is known to be over its limit at `now`
    /// (seconds since the Unix epoch).
    pub fn check(&self, bucket: &Bucket, now: i64) -> Option<Usage> {
        let until = self.until.lock().expect("not poisoned");
        let end = *until.get(&(bucket.name, bucket.subject.clone()))?;
        (now < end).then(|| Usage {
            limit: bucket.limit.requests,
            remaining: 0,
            reset_seconds: end - now,
            exceeded: true,
        })
    }

    /// Remembers that `bucket` went over its limit at `now`, until its window resets.
    pub fn remember(&self, bucket: &Bucket, usage: &Usage, now: i64) {
        let mut until = self.until.lock().expect("not poisoned");
        if until.len() >= MAX_REMEMBERED_BUCKETS {
            until.retain(|_, end| *end > now);
            if until.len() >= MAX_REMEMBERED_BUCKETS {
                until.clear();
            }
        }
        until.insert((bucket.name, bucket.subject.clone()), now + usage.reset_seconds);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttled_bucket_remembered_until_reset() {
        let limits = RateLimits::default();
        let bucket = limits.bucket(&Method::GET, "/api/tweets/", Some("alice"), "10.0.0.1");
        let other = limits.bucket(&Method::GET, "/api/tweets/", Some("bob"), "10.0.0.1");
        let buckets = ThrottledBuckets::default();
        let usage = Usage { limit: 3, remaining: 0, reset_seconds: 30, exceeded: true };
        buckets.remember(&bucket, &usage, 1_000);

        let known = buckets.check(&bucket, 1_010).expect("still throttled");
        assert_eq!((known.remaining, known.reset_seconds, known.exceeded), (0, 20, true));
        assert!(buckets.check(&other, 1_010).is_none());
        assert!(buckets.check(&bucket, 1_030).is_none(), "the window has reset");
    }

    #[test]
    fn login_and_register_counted_per_ip() {
        let limits = RateLimits::default();
        let login = limits.bucket(&Method::POST, "/api/accounts/login/", Some("alice"), "10.0.0.1");
        assert_eq!((login.name, login.subject.as_str()), ("login", "10.0.0.1"));
        let register = limits.bucket(&Method::POST, "/api/accounts/register", None, "10.0.0.1");
        assert_eq!(register.limit, Limit::per_hour(5));
    }

    #[test]
    fn token_selects_user_bucket() {
        let limits = RateLimits::default();
        let user = limits.bucket(&Method::GET, "/api/tweets/", Some("alice"), "10.0.0.1");
        assert_eq!((user.name, user.subject.as_str()), ("user", "alice"));
        let anonymous = limits.bucket(&Method::GET, "/api/accounts/login/", None, "10.0.0.1");
        assert_eq!(anonymous.name, "ip");
    }
}
