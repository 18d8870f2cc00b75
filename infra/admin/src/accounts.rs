//! Account commands: the first admin, and a readable summary of one account.

use std::sync::Arc;

use chirp_shared::app::App;
use chirp_shared::auth::hash_password;
use chirp_shared::config::Config;
use chirp_shared::domain::accounts::{Registration, create_account, validate_registration};
use chirp_shared::domain::moderation;
use chirp_shared::error::{DomainError, DomainResult};
use chirp_shared::permissions::{Actor, Role};
use chirp_shared::store::Store;
use serde_json::{Value, json};

/// Registers `username` with the admin role. The account and its role are two writes: if the
/// second fails, `set-role USER admin` finishes the job.
pub async fn create_admin(store: &Arc<dyn Store>, username: &str, email: &str, password: &str) -> DomainResult<()> {
    let registration = Registration {
        username: username.to_owned(),
        email: email.to_owned(),
        password: password.to_owned(),
        display_name: None,
    };
    let valid = validate_registration(&registration)?;
    // `create_account` takes an `App` but reads only its store, so a throwaway token secret
    // is enough; this process issues no tokens.
    let config = Config { secret: rand::random::<[u8; 32]>().to_vec(), token_ttl_seconds: 60 };
    let app = App::new(store.clone(), &config).map_err(DomainError::BadRequest)?;
    create_account(&app, valid, hash_password(password)).await?;
    moderation::set_role(store, &Actor::Operator, username, Role::Admin, "create-admin").await?;
    Ok(())
}

/// Summarises an account for the operator: role, suspension and counters, never the hash.
pub async fn show(store: &Arc<dyn Store>, username: &str) -> DomainResult<Value> {
    let user = moderation::load_user(store, username).await?;
    Ok(json!({
        "username": user.username,
        "email": user.email,
        "role": user.role,
        "suspended": user.suspended,
        "followers_count": user.followers_count,
        "following_count": user.following_count,
        "tweets_count": user.tweets_count,
        "created_at": user.created_at,
    }))
}
