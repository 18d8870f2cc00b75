//! Test harness: starts a real local runtime on a loopback port with a fresh data directory and
//! talks to it over HTTP, as a client would.
//!
//! `CHIRP_TEST_STORE` picks the runtime's store: `sqlite` (the default) or `dynamodb`, which
//! runs on a fresh table with a random name on the DynamoDB-compatible server at
//! `CHIRP_TEST_DYNAMODB_ENDPOINT` (moto from `infra/moto/start.sh`) and deletes the table when
//! the `TestApi` is dropped.

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::{Client, Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

pub use chirp_local::Server;
use chirp_local::{DynamoDbTable, StoreChoice};
use chirp_shared::ratelimit::{Limit, RateLimits};

pub mod dynamodb;

pub use dynamodb::{TestStore, skip_on_dynamodb};

/// Password every test account gets.
pub const PASSWORD: &str = "correct horse battery";

/// A local runtime started for one test.
pub struct TestApi {
    pub server: Option<Server>,
    pub base: String,
    pub client: Client,
    pub data_dir: tempfile::TempDir,
    /// Limits the runtime runs with, kept across restarts.
    pub rate_limits: RateLimits,
    /// The DynamoDB table of the DynamoDB pass, deleted on drop after the server.
    table: Option<dynamodb::TestTable>,
}

/// A response with its status, headers and JSON body read.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl TestApi {
    /// Starts a runtime on 127.0.0.1 with a new temporary data directory. Rate limits stay on,
    /// so every response carries its headers, but high enough for suites that register many
    /// users from one address.
    pub async fn start() -> Self {
        Self::start_with(suite_rate_limits()).await
    }

    /// Starts a runtime with the given rate limits.
    pub async fn start_with(rate_limits: RateLimits) -> Self {
        Self::start_configured(rate_limits, None).await
    }

    /// Starts a runtime whose fan-out merges authors with more than `threshold` followers into
    /// feeds at read time. Restarts go back to the default threshold.
    pub async fn start_with_celebrity_threshold(threshold: i64) -> Self {
        Self::start_configured(suite_rate_limits(), Some(threshold)).await
    }

    async fn start_configured(rate_limits: RateLimits, celebrity_threshold: Option<i64>) -> Self {
        let data_dir = tempfile::tempdir().expect("a temporary directory");
        let table = match TestStore::from_env() {
            TestStore::Sqlite => None,
            TestStore::DynamoDb => Some(dynamodb::TestTable::create().await),
        };
        let server = start_server(data_dir.path(), &rate_limits, table.as_ref(), celebrity_threshold).await;
        let base = format!("http://{}", server.addr);
        Self { server: Some(server), base, client: Client::new(), data_dir, rate_limits, table }
    }

    /// Returns the secret that signs the runtime's tokens and cursors.
    pub fn secret(&self) -> Vec<u8> {
        if let Some(table) = &self.table {
            return table.secret.clone();
        }
        std::env::var("CHIRP_SECRET")
            .map(String::into_bytes)
            .unwrap_or_else(|_| std::fs::read(self.data_dir.path().join("secret")).expect("the secret file"))
    }

    /// Stops the runtime and starts a new one on the same data directory or table.
    pub async fn restart(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
        let server = start_server(self.data_dir.path(), &self.rate_limits, self.table.as_ref(), None).await;
        self.base = format!("http://{}", server.addr);
        self.server = Some(server);
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.as_ref().expect("the server runs").addr
    }

    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let url = if path.starts_with("http") { path.to_owned() } else { format!("{}{path}", self.base) };
        let builder = self.client.request(method, url);
        match token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    /// Sends a request with an optional JSON body and reads the reply.
    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let mut builder = self.request(method, path, token);
        if let Some(body) = body {
            builder = builder.json(&body);
        }
        send(builder).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Reply {
        self.call(Method::DELETE, path, token, None).await
    }

    /// Registers `username` and logs in; returns the token.
    pub async fn user(&self, username: &str) -> String {
        let reply = self
            .post(
                "/api/accounts/register/",
                None,
                json!({"username": username, "email": format!("{username}@example.com"), "password": PASSWORD}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "registering {username}: {:?}", reply.body);
        self.login(username).await
    }

    pub async fn login(&self, username: &str) -> String {
        self.login_with(username, PASSWORD).await
    }

    pub async fn login_with(&self, username: &str, password: &str) -> String {
        let reply = self
            .post("/api/accounts/login/", None, json!({"username": username, "password": password}))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "logging in {username}: {:?}", reply.body);
        reply.body["token"].as_str().expect("a token").to_owned()
    }

    /// Posts a tweet and returns its id.
    pub async fn tweet(&self, token: &str, content: &str) -> String {
        let reply = self.post("/api/tweets/", Some(token), json!({"content": content})).await;
        assert_eq!(reply.status, StatusCode::CREATED, "posting {content:?}: {:?}", reply.body);
        reply.body["id"].as_str().expect("an id").to_owned()
    }

    pub async fn follow(&self, token: &str, username: &str) {
        let reply = self.post(&format!("/api/accounts/{username}/follow/"), Some(token), json!({})).await;
        assert!(reply.status.is_success(), "following {username}: {:?}", reply.body);
    }

    /// Walks a list through its `next` links and returns every item.
    pub async fn walk(&self, path: &str, token: Option<&str>) -> Vec<Value> {
        let mut items = Vec::new();
        let mut url = path.to_owned();
        for _ in 0..10_000 {
            let reply = self.get(&url, token).await;
            assert_eq!(reply.status, StatusCode::OK, "GET {url}: {:?}", reply.body);
            items.extend(reply.body["results"].as_array().expect("results").iter().cloned());
            match reply.body["next"].as_str() {
                Some(next) => url = next.to_owned(),
                None => return items,
            }
        }
        panic!("the walk of {path} did not end");
    }

    /// Waits until every stream consumer has processed every change committed so far,
    /// including the changes the consumers themselves wrote.
    pub async fn settle(&self) {
        // The DynamoDB pass polls moto's stream over HTTP, which takes longer than the pump.
        let timeout = match self.table {
            Some(_) => Duration::from_secs(30),
            None => Duration::from_secs(4),
        };
        let server = self.server.as_ref().expect("the server runs");
        if let Err(error) = server.settle(timeout).await {
            panic!("{error}");
        }
    }
}

/// Limits of the general suites: 100,000 requests per window in every bucket.
pub fn suite_rate_limits() -> RateLimits {
    let high = 100_000;
    RateLimits {
        enabled: true,
        user: Limit::per_minute(high),
        anonymous: Limit::per_minute(high),
        login: Limit::per_minute(high),
        register: Limit::per_hour(high),
    }
}

async fn start_server(
    data_dir: &std::path::Path,
    rate_limits: &RateLimits,
    table: Option<&dynamodb::TestTable>,
    celebrity_threshold: Option<i64>,
) -> Server {
    let options = chirp_local::server::Options {
        listen: "127.0.0.1:0".parse().expect("a valid address"),
        data_dir: data_dir.to_owned(),
        rate_limits: rate_limits.clone(),
        celebrity_threshold,
    };
    let choice = match table {
        Some(table) => StoreChoice::DynamoDb(DynamoDbTable {
            client: table.client.clone(),
            streams: table.streams.clone(),
            table: table.name.clone(),
            secret: Some(table.secret.clone()),
        }),
        None => StoreChoice::Sqlite,
    };
    chirp_local::start_on(options, choice).await.expect("the local runtime starts")
}

pub async fn send(builder: RequestBuilder) -> Reply {
    let response = builder.send().await.expect("the server answers");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("a readable body");
    let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
    Reply { status, headers, body }
}

/// Ids of tweets in a page or walk, in order.
pub fn ids(items: &[Value]) -> Vec<String> {
    items.iter().map(|item| item["id"].as_str().unwrap_or_default().to_owned()).collect()
}

/// Usernames of users in a page or walk, in order.
pub fn usernames(items: &[Value]) -> Vec<String> {
    items.iter().map(|item| item["username"].as_str().unwrap_or_default().to_owned()).collect()
}

impl TestApi {
    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(Method::PUT, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(Method::PATCH, path, token, Some(body)).await
    }

    /// Sends a registration request and returns the reply, whatever its status.
    pub async fn register(&self, username: &str, email: &str, password: &str) -> Reply {
        self.post(
            "/api/accounts/register/",
            None,
            json!({"username": username, "email": email, "password": password}),
        )
        .await
    }
}

/// Checks an error reply's status and `code`, showing the body on failure.
#[track_caller]
pub fn assert_error(reply: &Reply, status: StatusCode, code: &str) {
    assert_eq!(reply.status, status, "status of {:?}", reply.body);
    assert_eq!(reply.body["code"], code, "code of {:?}", reply.body);
}

/// Returns the `cursor` query parameter of a `next` or `previous` URL, decoded.
pub fn cursor_of(url: &str) -> String {
    let parsed = reqwest::Url::parse(url).unwrap_or_else(|error| panic!("{url} is not a URL: {error}"));
    parsed
        .query_pairs()
        .find(|(name, _)| name == "cursor")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_else(|| panic!("no cursor in {url}"))
}

/// Checks a 400 `validation_error` that names `field` in `errors`, showing the body on failure.
#[track_caller]
pub fn assert_field_error(reply: &Reply, field: &str) {
    assert_error(reply, StatusCode::BAD_REQUEST, "validation_error");
    let messages = reply.body["errors"][field].as_array();
    assert!(messages.is_some_and(|m| !m.is_empty()), "errors.{field} missing in {:?}", reply.body);
}
