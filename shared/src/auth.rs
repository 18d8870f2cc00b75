//! Passwords (argon2id) and access tokens (HS256 JWTs bound to a server-side session).

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

use crate::error::DomainError;

/// Hashes a password with argon2id and a random salt, as a PHC string.
pub fn hash_password(password: &str) -> String {
    let salt_bytes: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt_bytes).expect("16 bytes is a valid salt length");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes any password with default parameters")
        .to_string()
}

/// Checks a password against a stored hash. With no hash (unknown user) it checks against a
/// dummy hash, so an unknown user and a wrong password take the same time.
pub fn verify_password(password: &str, stored_hash: Option<&str>) -> bool {
    let hash = stored_hash.unwrap_or_else(|| dummy_hash());
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let matches = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
    matches && stored_hash.is_some()
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not a password of any account"))
}

/// Claims of a Chirp access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// User id.
    pub sub: String,
    /// Session id; the token is valid only while this session exists.
    pub sid: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
}

/// Issues and verifies access tokens with one HMAC secret.
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Lifetime of a token and its session, in seconds.
    pub ttl_seconds: i64,
}

impl Tokens {
    /// Fails when the secret is shorter than 32 bytes, too weak for HS256.
    pub fn new(secret: &[u8], ttl_seconds: i64) -> Result<Self, String> {
        if secret.len() < 32 {
            return Err(format!("the token secret has {} bytes; it needs at least 32", secret.len()));
        }
        let invalid = |error: jsonwebtoken::errors::Error| format!("invalid token secret: {error}");
        // Only HS256 is accepted: a token whose header names `none`, an RS or ES algorithm, or
        // another HMAC size fails before its signature is looked at.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "nbf", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 5;
        Ok(Self {
            encoding: EncodingKey::from_secret(secret).map_err(invalid)?,
            decoding: DecodingKey::from_secret(secret).map_err(invalid)?,
            validation,
            ttl_seconds,
        })
    }

    /// Issues a token for `user_id` bound to `session_id`, valid from `now` (seconds since the
    /// Unix epoch) for the configured lifetime.
    pub fn issue(&self, user_id: &str, session_id: &str, now: i64) -> String {
        let claims = Claims {
            sub: user_id.to_owned(),
            sid: session_id.to_owned(),
            iat: now,
            nbf: now,
            exp: now + self.ttl_seconds,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing cannot fail")
    }

    /// Verifies a token's signature, algorithm and time claims.
    pub fn verify(&self, token: &str) -> Result<Claims, DomainError> {
        decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|error| {
                use jsonwebtoken::errors::ErrorKind;
                let detail = match error.kind() {
                    ErrorKind::ExpiredSignature => "Token has expired.",
                    ErrorKind::ImmatureSignature => "Token is not valid yet.",
                    _ => "Invalid token.",
                };
                DomainError::AuthenticationFailed(detail.into())
            })
    }
}
