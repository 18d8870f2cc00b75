//! Registration, login, sessions and profiles.

use rand::RngCore;

use crate::app::App;
use crate::auth::{Claims, hash_password, verify_password};
use crate::clock;
use crate::error::{DomainError, DomainResult, Validator};
use crate::keys;
use crate::model::access::Access;
use crate::model::session::{session_item, session_owner, session_role};
use crate::model::user::{self, User};
use crate::permissions::{Actor, Role};
use crate::store::{Condition, Item, StoreError, TransactWrite, Update, string};

/// The authenticated caller of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Viewer {
    pub user_id: String,
    pub session_id: String,
}

/// An authenticated caller with the role its session and access marker grant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub viewer: Viewer,
    pub role: Role,
}

impl Caller {
    pub fn actor(&self) -> Actor {
        Actor::Account { user_id: self.viewer.user_id.clone(), role: self.role }
    }
}

/// Fields of a registration request, as sent.
#[derive(Debug, Default)]
pub struct Registration {
    pub username: String,
    pub email: String,
    pub password: String,
    pub display_name: Option<String>,
}

/// A registration whose fields passed validation.
#[derive(Debug, Clone)]
pub struct ValidRegistration {
    pub username: String,
    /// The address as sent, trimmed, for display.
    pub email: String,
    /// The lower-cased address the uniqueness claim uses.
    pub email_claim: String,
    pub display_name: String,
}

/// Checks every registration field and reports all problems at once.
pub fn validate_registration(registration: &Registration) -> DomainResult<ValidRegistration> {
    let mut validator = Validator::new();
    validator.check("username", user::validate_username(&registration.username));
    let email = validator.check("email", user::normalize_email(&registration.email));
    validator.check("password", user::validate_password(&registration.password));
    let display_name = match &registration.display_name {
        Some(name) => validator.check(
            "display_name",
            user::validate_text(name, user::MAX_DISPLAY_NAME_CHARS),
        ),
        None => Some(registration.username.clone()),
    };
    validator.finish()?;
    let (Some(email_claim), Some(display_name)) = (email, display_name) else {
        unreachable!("the validator passed, so every checked value is present");
    };
    Ok(ValidRegistration {
        username: registration.username.clone(),
        email: registration.email.trim().to_owned(),
        email_claim,
        display_name,
    })
}

/// Creates an account: validates, hashes the password, then claims the username and email.
pub async fn register(app: &App, registration: Registration) -> DomainResult<User> {
    let valid = validate_registration(&registration)?;
    let password = registration.password;
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|error| StoreError::Unavailable(format!("password hashing failed: {error}")))?;
    create_account(app, valid, password_hash).await
}

/// Stores a new account. The username and the email address are claimed in one transaction,
/// so two concurrent registrations of either can never both succeed.
pub async fn create_account(app: &App, registration: ValidRegistration, password_hash: String) -> DomainResult<User> {
    let user = User {
        user_id: user::user_id_of(&registration.username),
        username: registration.username,
        email: registration.email,
        password_hash,
        display_name: registration.display_name,
        bio: String::new(),
        location: String::new(),
        birth_date: None,
        avatar_url: None,
        followers_count: 0,
        following_count: 0,
        tweets_count: 0,
        created_at: clock::now_timestamp(),
        role: Role::User,
        suspended: false,
    };
    let mut claim = keys::email_claim(&registration.email_claim).to_item();
    claim.insert("entity".into(), string("email_claim"));
    claim.insert("user_id".into(), string(&user.user_id));

    let writes = vec![
        TransactWrite::Put { item: user.to_item(), condition: Some(Condition::NotExists) },
        TransactWrite::Put { item: claim, condition: Some(Condition::NotExists) },
    ];
    match app.store.transact_write(writes).await {
        Ok(()) => Ok(user),
        Err(error @ StoreError::TransactionCanceled { .. }) => {
            let mut validator = Validator::new();
            if error.condition_failed_at(0) {
                validator.add("username", "A user with that username already exists.");
            }
            if error.condition_failed_at(1) {
                validator.add("email", "A user with that email already exists.");
            }
            validator.finish()?;
            Err(error.into())
        }
        Err(error) => Err(error.into()),
    }
}

/// A successful login: the access token and the user it belongs to.
pub struct Login {
    pub token: String,
    pub expires_in: i64,
    pub user: User,
}

/// Checks a username (any case) and password, then opens a session and issues its token. An
/// unknown user and a wrong password get the same error after the same work. A suspended
/// account gets 403 `permission_denied`, but only after its password checked out, so the
/// answer tells nothing to someone without the password.
pub async fn login(app: &App, username: &str, password: &str) -> DomainResult<Login> {
    let found = if user::validate_username(username).is_ok() {
        find_user(app, &user::user_id_of(username)).await?
    } else {
        None
    };
    let stored_hash = found.as_ref().map(|u| u.password_hash.clone());
    let password = password.to_owned();
    let verified =
        tokio::task::spawn_blocking(move || verify_password(&password, stored_hash.as_deref()))
            .await
            .map_err(|error| StoreError::Unavailable(format!("password check failed: {error}")))?;
    let user = match (verified, found) {
        (true, Some(user)) => user,
        _ => {
            return Err(DomainError::AuthenticationFailed(
                "Unable to log in with provided credentials.".into(),
            ));
        }
    };

    if user.suspended {
        return Err(DomainError::Forbidden("This account is suspended.".into()));
    }

    let session_id = new_session_id();
    let now = clock::now().unix_timestamp();
    let expires_at = now + app.tokens.ttl_seconds;
    let item = session_item(&session_id, &user.user_id, user.role, &clock::now_timestamp(), expires_at);
    app.store.put(item, Some(Condition::NotExists)).await?;
    let token = app.tokens.issue(&user.user_id, &session_id, now);
    Ok(Login { token, expires_in: app.tokens.ttl_seconds, user })
}

/// 128 random bits in hex: unguessable, so knowing one session id reveals no other.
fn new_session_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Resolves a bearer token to its viewer: the signature and times must check out and the
/// session must still exist, so a logged-out token fails at once.
pub async fn authenticate(app: &App, token: &str) -> DomainResult<Viewer> {
    Ok(authenticate_caller(app, token).await?.viewer)
}

/// Resolves a bearer token to its viewer and role: checks its signature and times, then its
/// session (see [`caller_of`]).
pub async fn authenticate_caller(app: &App, token: &str) -> DomainResult<Caller> {
    let claims = app.tokens.verify(token)?;
    caller_of(app, &claims).await
}

/// Resolves verified token claims to their caller. The session and the account's access marker
/// are read in one batch get (one round trip, two read units), so a suspension ends every
/// session at once and a role change applies without a new login.
pub async fn caller_of(app: &App, claims: &Claims) -> DomainResult<Caller> {
    let revoked = || DomainError::AuthenticationFailed("Token is no longer valid.".into());
    let session_key = keys::session(&claims.sid);
    let access_key = keys::access(&claims.sub);
    let items = app.store.batch_get(vec![session_key.clone(), access_key.clone()]).await?;
    let is = |item: &&Item, key: &crate::store::Key| crate::store::key_of(item).as_ref() == Some(key);
    let session = items.iter().find(|item| is(item, &session_key)).ok_or_else(revoked)?;
    let access = items.iter().find(|item| is(item, &access_key)).map(Access::from_item);

    let (user_id, expires_at) = session_owner(session).ok_or_else(revoked)?;
    // DynamoDB removes expired items only eventually, so the expiry is checked here too.
    if user_id != claims.sub || expires_at <= clock::now().unix_timestamp() {
        return Err(revoked());
    }
    if access.is_some_and(|access| access.suspended) {
        return Err(DomainError::AuthenticationFailed("This account is suspended.".into()));
    }
    // The marker, when present, holds the current role; the session's copy may predate it.
    let role = access.map_or_else(|| session_role(session), |access| access.role);
    Ok(Caller { viewer: Viewer { user_id, session_id: claims.sid.clone() }, role })
}

/// Ends the viewer's session; its token stops working at once.
pub async fn logout(app: &App, viewer: &Viewer) -> DomainResult<()> {
    app.store.delete(&keys::session(&viewer.session_id), None).await?;
    Ok(())
}

pub async fn find_user(app: &App, user_id: &str) -> DomainResult<Option<User>> {
    match app.store.get(&keys::user(user_id)).await? {
        Some(item) => Ok(Some(User::from_item(item)?)),
        None => Ok(None),
    }
}

/// Loads a user by username (any case), or fails with not found.
pub async fn user_by_username(app: &App, username: &str) -> DomainResult<User> {
    let not_found = || DomainError::NotFound(format!("No user named {username:?}."));
    if user::validate_username(username).is_err() {
        return Err(not_found());
    }
    find_user(app, &user::user_id_of(username)).await?.ok_or_else(not_found)
}

/// Profile fields a client may change; `None` leaves a field as it is. `birth_date` may be set
/// to `Some(None)` to clear it.
#[derive(Debug, Default)]
pub struct ProfileChanges {
    pub display_name: Option<String>,
    pub bio: Option<String>,
    pub location: Option<String>,
    pub birth_date: Option<Option<String>>,
}

pub async fn update_profile(app: &App, viewer: &Viewer, changes: ProfileChanges) -> DomainResult<User> {
    let mut validator = Validator::new();
    let mut update = Update::new();
    if let Some(name) = &changes.display_name
        && let Some(name) = validator.check("display_name", user::validate_text(name, user::MAX_DISPLAY_NAME_CHARS)) {
            update = update.set("display_name", string(name));
        }
    if let Some(bio) = &changes.bio
        && let Some(bio) = validator.check("bio", user::validate_text(bio, user::MAX_BIO_CHARS)) {
            update = update.set("bio", string(bio));
        }
    if let Some(location) = &changes.location
        && let Some(location) = validator.check("location", user::validate_text(location, user::MAX_LOCATION_CHARS)) {
            update = update.set("location", string(location));
        }
    match &changes.birth_date {
        Some(Some(date)) => {
            let today = clock::now().date();
            if let Some(date) = validator.check("birth_date", user::validate_birth_date(date, today)) {
                update = update.set("birth_date", string(date));
            }
        }
        Some(None) => update = update.remove("birth_date"),
        None => {}
    }
    validator.finish()?;

    let key = keys::user(&viewer.user_id);
    if update == Update::new() {
        return find_user(app, &viewer.user_id).await?.ok_or_else(account_gone);
    }
    match app.store.update(&key, update, Some(Condition::Exists)).await {
        Ok(item) => Ok(User::from_item(item)?),
        Err(StoreError::ConditionFailed) => Err(account_gone()),
        Err(error) => Err(error.into()),
    }
}

fn account_gone() -> DomainError {
    DomainError::NotFound("Your account no longer exists.".into())
}

/// Tells which of `user_ids` the viewer follows, with one batch get.
pub async fn followed_among(
    app: &App,
    viewer: &Viewer,
    user_ids: &[String],
) -> DomainResult<std::collections::HashSet<String>> {
    let keys = user_ids.iter().map(|id| keys::following(&viewer.user_id, id)).collect();
    let items = app.store.batch_get(keys).await?;
    Ok(items.iter().filter_map(followee_of).collect())
}

fn followee_of(item: &Item) -> Option<String> {
    use crate::store::ItemExt;
    item.string("followee_id").map(str::to_owned)
}
