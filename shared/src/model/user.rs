//! Accounts: the stored user, its validation rules and its public forms.

use serde::{Deserialize, Serialize};
use time::{Date, Month};
use utoipa::ToSchema;

use crate::keys;
use crate::permissions::Role;
use crate::store::{Item, StoreError, string};

/// Usernames that equal a fixed path segment under `/api/accounts/`, in any case.
pub const RESERVED_USERNAMES: [&str; 5] = ["register", "login", "logout", "profile", "search"];

pub const MAX_USERNAME_CHARS: usize = 15;
pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 128;
pub const MAX_EMAIL_CHARS: usize = 254;
pub const MAX_DISPLAY_NAME_CHARS: usize = 50;
pub const MAX_BIO_CHARS: usize = 160;
pub const MAX_LOCATION_CHARS: usize = 100;

/// A user as stored in the profile item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// The lower-cased username; never changes.
    pub user_id: String,
    /// The username as chosen at registration, for display.
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub display_name: String,
    #[serde(default)]
    pub bio: String,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub birth_date: Option<String>,
    #[serde(default)]
    pub avatar_url: Option<String>,
    #[serde(default)]
    pub followers_count: i64,
    #[serde(default)]
    pub following_count: i64,
    #[serde(default)]
    pub tweets_count: i64,
    pub created_at: String,
    /// Absent on items written before roles existed, which read as `user`.
    #[serde(default)]
    pub role: Role,
    /// A suspended account cannot log in and its tweets are left out of every list.
    #[serde(default)]
    pub suspended: bool,
}

impl User {
    pub const ENTITY: &'static str = "user";

    pub fn to_item(&self) -> Item {
        let mut item: Item = serde_dynamo::to_item(self).expect("users always serialise");
        item.extend(keys::user(&self.user_id).to_item().into_inner());
        item.insert("entity".into(), string(Self::ENTITY));
        // Lists the user in GSI2, which operator commands walk instead of a table scan.
        let shard = keys::shard_of(&self.user_id, keys::USER_LIST_SHARDS);
        keys::set_index(&mut item, keys::GSI2PK, keys::GSI2SK, keys::user_list_partition(shard), self.user_id.clone());
        item
    }

    pub fn from_item(item: Item) -> Result<Self, StoreError> {
        serde_dynamo::from_item(item)
            .map_err(|error| StoreError::Unavailable(format!("a user item is corrupt: {error}")))
    }
}

/// The user id of a username: lookups ignore case.
pub fn user_id_of(username: &str) -> String {
    username.to_ascii_lowercase()
}

/// Checks a username: 1 to 15 of `A-Z a-z 0-9 _`, and not a reserved path segment.
pub fn validate_username(username: &str) -> Result<(), String> {
    if username.is_empty() || username.chars().count() > MAX_USERNAME_CHARS {
        return Err(format!("Must be 1 to {MAX_USERNAME_CHARS} characters."));
    }
    if !username.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err("May contain only letters A-Z, digits and underscores.".into());
    }
    if RESERVED_USERNAMES.contains(&user_id_of(username).as_str()) {
        return Err("This username is reserved.".into());
    }
    Ok(())
}

/// Checks an email address loosely (one `@`, a dotted domain, no spaces) and returns the form
/// used for the uniqueness claim: trimmed and lower-cased.
pub fn normalize_email(email: &str) -> Result<String, String> {
    let email = email.trim();
    let invalid = || "Enter a valid email address.".to_owned();
    if email.is_empty() || email.chars().count() > MAX_EMAIL_CHARS {
        return Err(invalid());
    }
    let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
    let well_formed = !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if !well_formed {
        return Err(invalid());
    }
    Ok(email.to_lowercase())
}

pub fn validate_password(password: &str) -> Result<(), String> {
    let length = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&length) {
        return Err(format!(
            "Must be {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters."
        ));
    }
    Ok(())
}

/// Checks a free-text profile field against its maximum length in characters and returns it
/// trimmed.
pub fn validate_text(value: &str, max_chars: usize) -> Result<String, String> {
    let value = value.trim();
    if value.chars().count() > max_chars {
        return Err(format!("Ensure this field has no more than {max_chars} characters."));
    }
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return Err("Control characters are not allowed.".into());
    }
    Ok(value.to_owned())
}

/// Checks a birth date: `YYYY-MM-DD`, in the past, not before 1900.
pub fn validate_birth_date(value: &str, today: Date) -> Result<String, String> {
    let date = crate::clock::parse_date(value)
        .ok_or_else(|| "Date has wrong format. Use YYYY-MM-DD.".to_owned())?;
    let earliest = Date::from_calendar_date(1900, Month::January, 1).expect("valid date");
    if date < earliest {
        return Err("Birth date cannot be before 1900-01-01.".into());
    }
    if date >= today {
        return Err("Birth date must be in the past.".into());
    }
    Ok(value.to_owned())
}

/// The user summary embedded in tweets and notifications.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AuthorView {
    pub username: String,
    pub display_name: String,
    #[schema(required = true)]
    pub avatar_url: Option<String>,
}

impl From<&User> for AuthorView {
    fn from(user: &User) -> Self {
        Self {
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            avatar_url: user.avatar_url.clone(),
        }
    }
}

/// The public form of a user; `is_following` only for an authenticated viewer.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UserView {
    pub username: String,
    pub display_name: String,
    pub bio: String,
    pub location: String,
    #[schema(required = true)]
    pub avatar_url: Option<String>,
    pub followers_count: i64,
    pub following_count: i64,
    pub tweets_count: i64,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_following: Option<bool>,
}

impl UserView {
    pub fn new(user: &User, is_following: Option<bool>) -> Self {
        Self {
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            bio: user.bio.clone(),
            location: user.location.clone(),
            avatar_url: user.avatar_url.clone(),
            followers_count: user.followers_count,
            following_count: user.following_count,
            tweets_count: user.tweets_count,
            created_at: user.created_at.clone(),
            is_following,
        }
    }
}

/// The owner's own form of a user: the public form plus `email` and `birth_date`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OwnUserView {
    #[serde(flatten)]
    pub public: UserView,
    pub email: String,
    #[schema(required = true)]
    pub birth_date: Option<String>,
}

impl From<&User> for OwnUserView {
    fn from(user: &User) -> Self {
        Self {
            public: UserView::new(user, None),
            email: user.email.clone(),
            birth_date: user.birth_date.clone(),
        }
    }
}
