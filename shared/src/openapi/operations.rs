//! The operation table: one row per method and path the API serves. The function crates'
//! `ROUTES` tables route requests. A test in `chirp-local`, which mounts every group, checks
//! that each of their routes and methods has a row here.

use http::Method;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required};

use super::BEARER;
use super::responses::{error_ref, with_rate_limit_headers};

/// Whether an operation needs a bearer token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Auth {
    /// No token is read.
    None,
    /// A token is read when sent; a bad one still gets 401.
    Optional,
    /// A token is needed.
    Required,
}

/// A query parameter, by kind.
#[derive(Clone, Copy, Debug)]
pub enum Query {
    /// `page_size` and `cursor`.
    Page,
    /// The tweet list filters `user`, `created_after`, `created_before`, `min_likes`, `ordering`.
    TweetFilters,
    /// The required search text `q`.
    Search,
    /// `unread` of the notification list.
    Unread,
}

/// A success response: status, description and the schema of its JSON body, if any.
pub type Success = (u16, &'static str, Option<&'static str>);

/// One row of the table.
#[derive(Clone, Debug)]
pub struct Operation {
    pub method: Method,
    /// The path as the contract lists it, with the trailing slash.
    pub path: &'static str,
    pub id: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    pub auth: Auth,
    pub query: &'static [Query],
    /// The schema of the JSON request body, if the operation reads one.
    pub body: Option<&'static str>,
    pub success: &'static [Success],
    /// Error statuses beyond those every operation of its kind can return (see `build`).
    pub extra_errors: &'static [u16],
}

const PAGE: &[Query] = &[Query::Page];
const USER: Option<&str> = Some("UserView");
const OWN_USER: Option<&str> = Some("OwnUserView");
const TWEET: Option<&str> = Some("TweetView");
const USERS: &[Success] = &[(200, "A page of users.", Some("UserPage"))];
const TWEETS: &[Success] = &[(200, "A page of tweets.", Some("TweetPage"))];
const NO_CONTENT: &[Success] = &[(204, "Done; no body.", None)];
const FORBIDDEN: &[u16] = &[403];
const ACCOUNT_STATE: &[Success] = &[(200, "The account's moderation state.", Some("AccountState"))];

const fn op(
    method: Method,
    path: &'static str,
    id: &'static str,
    tag: &'static str,
    summary: &'static str,
    auth: Auth,
) -> Operation {
    Operation { method, path, id, tag, summary, auth, query: &[], body: None, success: &[], extra_errors: &[] }
}

const fn with(mut operation: Operation, success: &'static [Success]) -> Operation {
    operation.success = success;
    operation
}

const fn query(mut operation: Operation, query: &'static [Query]) -> Operation {
    operation.query = query;
    operation
}

const fn body(mut operation: Operation, schema: &'static str) -> Operation {
    operation.body = Some(schema);
    operation
}

const fn errors(mut operation: Operation, statuses: &'static [u16]) -> Operation {
    operation.extra_errors = statuses;
    operation
}

use Auth::{None as Public, Optional, Required as Token};

/// Every operation the API serves.
pub const OPERATIONS: &[Operation] = &[
    // Accounts and profiles.
    body(with(op(Method::POST, "/api/accounts/register/", "register", "accounts", "Register an account", Public), &[(201, "The new account, in its owner's form.", OWN_USER)]), "RegisterRequest"),
    // A suspended account gets 403 once its password checked out.
    errors(body(with(op(Method::POST, "/api/accounts/login/", "login", "accounts", "Log in for a bearer token", Public), &[(200, "A token and the account.", Some("LoginResponse"))]), "LoginRequest"), FORBIDDEN),
    with(op(Method::POST, "/api/accounts/logout/", "logout", "accounts", "Log out: the token stops working at once", Token), NO_CONTENT),
    with(op(Method::GET, "/api/accounts/profile/", "own_profile", "accounts", "The caller's own profile", Token), &[(200, "The caller's account.", OWN_USER)]),
    body(with(op(Method::PUT, "/api/accounts/profile/", "profile_put", "accounts", "Update the caller's profile", Token), &[(200, "The updated account.", OWN_USER)]), "ProfileUpdateRequest"),
    body(with(op(Method::PATCH, "/api/accounts/profile/", "profile_patch", "accounts", "Update the caller's profile", Token), &[(200, "The updated account.", OWN_USER)]), "ProfileUpdateRequest"),
    body(with(op(Method::PUT, "/api/accounts/profile/update/", "profile_update_put", "accounts", "Update the caller's profile", Token), &[(200, "The updated account.", OWN_USER)]), "ProfileUpdateRequest"),
    body(with(op(Method::PATCH, "/api/accounts/profile/update/", "profile_update_patch", "accounts", "Update the caller's profile", Token), &[(200, "The updated account.", OWN_USER)]), "ProfileUpdateRequest"),
    body(with(op(Method::POST, "/api/accounts/profile/avatar/", "avatar_upload", "accounts", "A one-time upload URL for a new avatar; `avatar_url` is set once the image is checked and resized", Token), &[(200, "The upload URL and the headers to send with it.", Some("AvatarUploadResponse"))]), "AvatarUploadRequest"),
    with(op(Method::DELETE, "/api/accounts/profile/avatar/", "avatar_delete", "accounts", "Remove the caller's avatar and its files", Token), NO_CONTENT),
    query(with(op(Method::GET, "/api/accounts/search/", "search_users", "search", "Users whose username or display name starts with `q`", Optional), USERS), &[Query::Search, Query::Page]),
    with(op(Method::GET, "/api/accounts/{username}/", "user", "accounts", "A user's public profile", Optional), &[(200, "The user.", USER)]),
    // Social graph.
    with(op(Method::POST, "/api/accounts/{username}/follow/", "follow", "social", "Follow a user", Token), &[(201, "Now following; the followed user.", USER), (200, "Already following; the followed user.", USER)]),
    with(op(Method::DELETE, "/api/accounts/{username}/follow/", "unfollow_alias", "social", "Unfollow a user, also when not following", Token), NO_CONTENT),
    with(op(Method::DELETE, "/api/accounts/{username}/unfollow/", "unfollow", "social", "Unfollow a user, also when not following", Token), NO_CONTENT),
    query(with(op(Method::GET, "/api/accounts/{username}/followers/", "followers", "social", "A user's followers, most recent follow first", Optional), USERS), PAGE),
    query(with(op(Method::GET, "/api/accounts/{username}/following/", "following", "social", "Users a user follows, most recent follow first", Optional), USERS), PAGE),
    query(with(op(Method::GET, "/api/accounts/{username}/tweets/", "profile_timeline", "timelines", "A user's tweets, newest first", Optional), TWEETS), PAGE),
    // Tweets.
    query(with(op(Method::GET, "/api/tweets/", "list_tweets", "tweets", "Tweets, filtered and ordered", Optional), TWEETS), &[Query::TweetFilters, Query::Page]),
    body(with(op(Method::POST, "/api/tweets/", "create_tweet", "tweets", "Post a tweet; an `Idempotency-Key` repeat returns the first tweet", Token), &[(201, "The tweet.", TWEET)]), "TweetContentRequest"),
    with(op(Method::GET, "/api/tweets/{id}/", "tweet", "tweets", "A tweet", Optional), &[(200, "The tweet.", TWEET)]),
    errors(body(with(op(Method::PUT, "/api/tweets/{id}/", "tweet_put", "tweets", "Edit one's tweet", Token), &[(200, "The edited tweet.", TWEET)]), "TweetContentRequest"), FORBIDDEN),
    errors(body(with(op(Method::PATCH, "/api/tweets/{id}/", "tweet_patch", "tweets", "Edit one's tweet", Token), &[(200, "The edited tweet.", TWEET)]), "TweetContentRequest"), FORBIDDEN),
    errors(with(op(Method::DELETE, "/api/tweets/{id}/", "tweet_delete_alias", "tweets", "Delete one's tweet", Token), NO_CONTENT), FORBIDDEN),
    errors(body(with(op(Method::PUT, "/api/tweets/{id}/update/", "tweet_update_put", "tweets", "Edit one's tweet", Token), &[(200, "The edited tweet.", TWEET)]), "TweetContentRequest"), FORBIDDEN),
    errors(body(with(op(Method::PATCH, "/api/tweets/{id}/update/", "tweet_update_patch", "tweets", "Edit one's tweet", Token), &[(200, "The edited tweet.", TWEET)]), "TweetContentRequest"), FORBIDDEN),
    errors(with(op(Method::DELETE, "/api/tweets/{id}/delete/", "tweet_delete", "tweets", "Delete one's tweet", Token), NO_CONTENT), FORBIDDEN),
    // Likes.
    with(op(Method::POST, "/api/tweets/{id}/like/", "like", "likes", "Like a tweet", Token), &[(201, "Liked; the tweet.", TWEET), (200, "Already liked; the tweet.", TWEET)]),
    with(op(Method::DELETE, "/api/tweets/{id}/like/", "unlike", "likes", "Unlike a tweet, also when not liked", Token), NO_CONTENT),
    query(with(op(Method::GET, "/api/tweets/{id}/likes/", "likers", "likes", "Users who liked a tweet, most recent like first", Optional), USERS), PAGE),
    // Timelines and search.
    query(with(op(Method::GET, "/api/tweets/feed/", "feed", "timelines", "The caller's home timeline", Token), TWEETS), PAGE),
    query(with(op(Method::GET, "/api/tweets/search/", "search_tweets", "search", "Tweets matching every word of `q`", Optional), TWEETS), &[Query::Search, Query::TweetFilters, Query::Page]),
    // Notifications.
    query(with(op(Method::GET, "/api/notifications/", "notifications", "notifications", "The caller's notifications, newest first", Token), &[(200, "A page of notifications.", Some("NotificationPage"))]), &[Query::Unread, Query::Page]),
    with(op(Method::GET, "/api/notifications/unread_count/", "unread_count", "notifications", "The number of unread notifications", Token), &[(200, "The count.", Some("UnreadCount"))]),
    body(with(op(Method::POST, "/api/notifications/read/", "mark_read", "notifications", "Mark all notifications, or those in `ids`, read", Token), NO_CONTENT), "MarkReadRequest"),
    // Moderation: a caller without the role gets 403.
    errors(with(op(Method::DELETE, "/api/moderation/tweets/{id}/", "moderate_delete_tweet", "moderation", "Delete any tweet (moderator)", Token), NO_CONTENT), FORBIDDEN),
    errors(body(with(op(Method::POST, "/api/moderation/users/{username}/suspend/", "suspend", "moderation", "Suspend an account (moderator; a reason is required)", Token), ACCOUNT_STATE), "ReasonRequest"), FORBIDDEN),
    errors(body(with(op(Method::POST, "/api/moderation/users/{username}/reinstate/", "reinstate", "moderation", "Reinstate a suspended account (moderator)", Token), ACCOUNT_STATE), "ReasonRequest"), FORBIDDEN),
    errors(body(with(op(Method::PUT, "/api/moderation/users/{username}/role/", "set_role", "moderation", "Set an account's role (admin)", Token), ACCOUNT_STATE), "RoleRequest"), FORBIDDEN),
    errors(query(with(op(Method::GET, "/api/moderation/audit/", "audit", "moderation", "The audit log, newest first (admin)", Token), &[(200, "A page of audit entries.", Some("AuditPage"))]), PAGE), FORBIDDEN),
    // Service.
    with(op(Method::GET, "/api/health/", "health", "service", "Health check", Public), &[(200, "The service is up.", Some("Health"))]),
    with(op(Method::GET, "/api/schema/", "schema", "service", "This OpenAPI document", Public), &[(200, "The OpenAPI 3.1 document.", Some(OBJECT))]),
    with(op(Method::GET, "/api/docs/", "docs", "service", "An HTML page that renders this document", Public), &[(200, "The page.", Some(HTML))]),
];

/// Marks a success body that is any JSON object, not a named schema.
const OBJECT: &str = "object";
/// Marks a success body that is an HTML page.
const HTML: &str = "text/html";

impl Operation {
    pub fn http_method(&self) -> HttpMethod {
        match self.method {
            Method::POST => HttpMethod::Post,
            Method::PUT => HttpMethod::Put,
            Method::PATCH => HttpMethod::Patch,
            Method::DELETE => HttpMethod::Delete,
            _ => HttpMethod::Get,
        }
    }

    /// Returns whether the operation belongs to the service group. Those read no token and no
    /// store data, so only rate limiting and server errors can fail them.
    fn is_service(&self) -> bool {
        self.tag == "service"
    }

    /// The error statuses the operation can return.
    pub fn error_statuses(&self) -> Vec<u16> {
        let mut statuses = Vec::new();
        if !self.is_service() {
            statuses.push(400);
        }
        if self.auth != Auth::None || self.id == "login" {
            statuses.push(401);
        }
        statuses.extend_from_slice(self.extra_errors);
        if !self.is_service() {
            // Unknown path parameters, filter users and deleted accounts.
            statuses.push(404);
        }
        // Any other method on the same path.
        statuses.push(405);
        if self.body.is_some() {
            statuses.extend([413, 415]);
        }
        statuses.extend([429, 500, 503]);
        statuses
    }

    /// Builds the OpenAPI operation.
    pub fn build(&self) -> utoipa::openapi::path::Operation {
        let mut builder = OperationBuilder::new()
            .operation_id(Some(self.id))
            .tag(self.tag)
            .summary(Some(self.summary));
        for name in path_parameters(self.path) {
            builder = builder.parameter(path_parameter(name));
        }
        for query in self.query {
            for parameter in query_parameters(*query) {
                builder = builder.parameter(parameter);
            }
        }
        if self.id == "create_tweet" {
            builder = builder.parameter(
                ParameterBuilder::new()
                    .name("Idempotency-Key")
                    .parameter_in(ParameterIn::Header)
                    .required(Required::False)
                    .description(Some("A repeat of the same key by the same user within 1 hour creates nothing."))
                    .schema(Some(string())),
            );
        }
        if let Some(schema) = self.body {
            // An empty body counts as `{}`, so only the bodies with a required field require one.
            let required = if self.id == "mark_read" || schema == "ProfileUpdateRequest" { Required::False } else { Required::True };
            builder = builder.request_body(Some(
                RequestBodyBuilder::new()
                    .required(Some(required))
                    .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name(schema))).build())
                    .build(),
            ));
        }
        builder = match self.auth {
            Auth::None => builder.securities(Some(Vec::new())),
            Auth::Optional => builder.securities(Some([SecurityRequirement::new(BEARER, Vec::<String>::new()), SecurityRequirement::default()])),
            Auth::Required => builder.securities(Some([SecurityRequirement::new(BEARER, Vec::<String>::new())])),
        };
        for (status, description, schema) in self.success {
            let mut response = with_rate_limit_headers(description);
            match *schema {
                Some(HTML) => response = response.content("text/html", ContentBuilder::new().build()),
                Some(OBJECT) => {
                    let object = ObjectBuilder::new().schema_type(Type::Object).build();
                    response = response.content("application/json", ContentBuilder::new().schema(Some(object)).build());
                }
                Some(name) => {
                    response = response.content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name(name))).build());
                }
                None => {}
            }
            builder = builder.response(status.to_string(), response.build());
        }
        for status in self.error_statuses() {
            builder = builder.response(status.to_string(), error_ref(status));
        }
        builder.build()
    }
}

/// The `{name}` segments of a path.
pub fn path_parameters(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
}

fn string() -> Schema {
    ObjectBuilder::new().schema_type(Type::String).build().into()
}

fn path_parameter(name: &str) -> ParameterBuilder {
    // A pattern keeps generated values from landing on literal paths such as `/api/tweets/feed/`,
    // which another route serves.
    let (pattern, description) = match name {
        "username" => ("^[A-Za-z0-9_]{1,15}$", "A username, in any case."),
        _ => ("^[0-9A-HJKMNP-TV-Z]{26}$", "A tweet id (a ULID)."),
    };
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some(description))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String).pattern(Some(pattern))))
}

fn query_parameter(name: &str, description: &str, schema: impl Into<RefOr<Schema>>) -> ParameterBuilder {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(schema))
}

fn query_parameters(query: Query) -> Vec<ParameterBuilder> {
    let integer = |minimum: i64| ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(minimum)).build();
    match query {
        Query::Page => vec![
            query_parameter("page_size", "Items per page, default 20; values above 100 count as 100.", integer(1)),
            query_parameter("cursor", "An opaque cursor from `next` or `previous`.", string()),
        ],
        Query::TweetFilters => vec![
            query_parameter("user", "The author's username.", string()),
            query_parameter("created_after", "An RFC 3339 timestamp, or `YYYY-MM-DD` for the start of that day.", string()),
            query_parameter("created_before", "An RFC 3339 timestamp, or `YYYY-MM-DD` for the end of that day.", string()),
            query_parameter("min_likes", "Only tweets with at least this many likes.", integer(0)),
            query_parameter(
                "ordering",
                "The order, default `-created_at`.",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(["-created_at", "created_at", "-likes_count", "likes_count"]))
                    .build(),
            ),
        ],
        Query::Search => vec![
            query_parameter("q", "The search text; empty gets 400.", ObjectBuilder::new().schema_type(Type::String).min_length(Some(1)).build())
                .required(Required::True),
        ],
        Query::Unread => vec![query_parameter(
            "unread",
            "`true` lists unread notifications only.",
            ObjectBuilder::new().schema_type(Type::Boolean).build(),
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_ids_unique() {
        let mut ids: Vec<&str> = OPERATIONS.iter().map(|operation| operation.id).collect();
        ids.sort_unstable();
        let before = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), before, "operation ids repeat");
    }

    #[test]
    fn every_error_status_has_component() {
        // `error_ref` panics on a status without a component.
        for operation in OPERATIONS {
            operation.build();
        }
    }
}
