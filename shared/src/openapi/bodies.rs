//! Schemas of request and response bodies that have no Rust type of their own in the handlers.
//! Handlers read request bodies field by field with `JsonBody` and a `Validator`, so these
//! types only describe the bodies. The schemathesis run (`infra/schemathesis/run.sh`) checks
//! that responses match them.

#![allow(dead_code)]

use utoipa::ToSchema;

use crate::model::{OwnUserView, TweetView, UserView};
use crate::model::notification::NotificationView;

/// Body of `POST /api/accounts/register/`.
#[derive(ToSchema)]
pub struct RegisterRequest {
    /// 1 to 15 characters of `A-Z a-z 0-9 _`, unique without regard to case.
    #[schema(pattern = "^[A-Za-z0-9_]{1,15}$")]
    username: String,
    #[schema(format = Email)]
    email: String,
    #[schema(min_length = 8, max_length = 128)]
    password: String,
    #[schema(max_length = 50)]
    display_name: Option<String>,
}

/// Body of `POST /api/accounts/login/`.
#[derive(ToSchema)]
pub struct LoginRequest {
    /// The username in any case.
    username: String,
    password: String,
}

/// Response of `POST /api/accounts/login/`.
#[derive(ToSchema)]
pub struct LoginResponse {
    token: String,
    #[schema(pattern = "^Bearer$")]
    token_type: String,
    /// Seconds until the token expires.
    expires_in: i64,
    user: OwnUserView,
}

/// Body of the profile update; every field is optional and read-only fields are ignored.
#[derive(ToSchema)]
pub struct ProfileUpdateRequest {
    #[schema(max_length = 50)]
    display_name: Option<String>,
    #[schema(max_length = 160)]
    bio: Option<String>,
    #[schema(max_length = 100)]
    location: Option<String>,
    /// A past date, not before 1900; `null` clears it.
    #[schema(format = Date)]
    birth_date: Option<String>,
}

/// Body of `POST /api/accounts/profile/avatar/`.
#[derive(ToSchema)]
pub struct AvatarUploadRequest {
    /// The image's type; the processor checks the bytes, not this value.
    #[schema(pattern = "^image/(png|jpeg|webp|gif)$")]
    content_type: String,
    /// The image's size in bytes, at most 2 MiB; the upload must be exactly this long.
    #[schema(minimum = 1, maximum = 2097152)]
    content_length: i64,
}

/// Response of `POST /api/accounts/profile/avatar/`: a one-time upload URL.
#[derive(ToSchema)]
pub struct AvatarUploadResponse {
    upload_url: String,
    #[schema(pattern = "^PUT$")]
    method: String,
    /// Headers the upload must send exactly as given, because the signature covers them.
    headers: std::collections::BTreeMap<String, String>,
    /// Seconds until the URL stops working.
    expires_in: i64,
}

/// Body of creating or editing a tweet.
#[derive(ToSchema)]
pub struct TweetContentRequest {
    /// 1 to 280 code points after trimming white space and NFC normalisation; no control
    /// characters but newline and tab.
    #[schema(min_length = 1, max_length = 280)]
    content: String,
}

/// Body of `POST /api/notifications/read/`; without `ids` every notification is marked read.
#[derive(ToSchema)]
pub struct MarkReadRequest {
    ids: Option<Vec<String>>,
}

/// Response of `GET /api/notifications/unread_count/`.
#[derive(ToSchema)]
pub struct UnreadCount {
    count: i64,
}

/// Response of `GET /api/health/`.
#[derive(ToSchema)]
pub struct Health {
    #[schema(pattern = "^ok$")]
    status: String,
}

/// A page of users; `next` and `previous` are absolute URLs or `null`.
#[derive(ToSchema)]
pub struct UserPage {
    results: Vec<UserView>,
    #[schema(required = true)]
    next: Option<String>,
    #[schema(required = true)]
    previous: Option<String>,
}

/// A page of tweets; `next` and `previous` are absolute URLs or `null`.
#[derive(ToSchema)]
pub struct TweetPage {
    results: Vec<TweetView>,
    #[schema(required = true)]
    next: Option<String>,
    #[schema(required = true)]
    previous: Option<String>,
}

/// A page of notifications, newest first; `next` and `previous` are absolute URLs or `null`.
#[derive(ToSchema)]
pub struct NotificationPage {
    results: Vec<NotificationView>,
    #[schema(required = true)]
    next: Option<String>,
    #[schema(required = true)]
    previous: Option<String>,
}

/// Body of suspending or reinstating an account; suspending needs a `reason`.
#[derive(ToSchema)]
pub struct ReasonRequest {
    #[schema(max_length = 500)]
    reason: Option<String>,
}

/// Body of `PUT /api/moderation/users/{username}/role/`.
#[derive(ToSchema)]
pub struct RoleRequest {
    #[schema(pattern = "^(user|moderator|admin)$")]
    role: String,
    #[schema(max_length = 500)]
    reason: Option<String>,
}

/// An account's moderation state, as the moderation endpoints return it.
#[derive(ToSchema)]
pub struct AccountState {
    username: String,
    #[schema(pattern = "^(user|moderator|admin)$")]
    role: String,
    suspended: bool,
}

/// One audit entry: who did what to which target, when and why.
#[derive(ToSchema)]
pub struct AuditEntry {
    id: String,
    /// User id of the moderator or admin, or `operator` for `chirp-admin`.
    actor: String,
    /// `delete_tweet`, `suspend`, `reinstate` or `set_role`.
    action: String,
    /// Tweet id for `delete_tweet`, user id otherwise.
    target: String,
    reason: String,
    /// The new role of a `set_role` action; absent otherwise.
    role: Option<String>,
    created_at: String,
}

/// A page of audit entries, newest first; `next` and `previous` are absolute URLs or `null`.
#[derive(ToSchema)]
pub struct AuditPage {
    results: Vec<AuditEntry>,
    #[schema(required = true)]
    next: Option<String>,
    #[schema(required = true)]
    previous: Option<String>,
}
