//! Smoke test of the function binaries under `cargo lambda watch` (infra/lambda/watch.sh). It
//! sends one request per HTTP function through its function URL, which passes the raw path and
//! no path parameters. It also invokes the search indexer with one DynamoDB stream event and
//! searches for the tweet before and after.
//!
//! Runs when CHIRP_WATCH_URL (watch's base URL, such as http://127.0.0.1:9000) and
//! CHIRP_TEST_DYNAMODB_ENDPOINT (the moto server the functions use) are set, and CHIRP_TABLE
//! names the table; `tests/run` sets them. Otherwise it prints why it skipped.

use std::time::Duration;

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

/// Watch compiles each function in debug on its first request, which takes minutes when the
/// target directory is cold.
const FIRST_REQUEST_TIMEOUT: Duration = Duration::from_secs(900);

struct Watch {
    client: Client,
    base: String,
}

struct Reply {
    status: StatusCode,
    body: Value,
}

impl Watch {
    /// Sends a request to `binary`'s function URL; `path` starts with `/api/`.
    async fn call(&self, binary: &str, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let url = format!("{}/lambda-url/{binary}{path}", self.base);
        let mut request = self.client.request(method.clone(), &url).timeout(FIRST_REQUEST_TIMEOUT);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap_or_else(|error| panic!("{method} {url} failed: {error}"));
        let status = response.status();
        let text = response.text().await.expect("a readable body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply { status, body }
    }

    /// Invokes `binary` with `event` through watch's Lambda invoke API and returns its output.
    async fn invoke(&self, binary: &str, event: &Value) -> Value {
        let url = format!("{}/2015-03-31/functions/{binary}/invocations", self.base);
        let response = self
            .client
            .post(&url)
            .timeout(FIRST_REQUEST_TIMEOUT)
            .json(event)
            .send()
            .await
            .unwrap_or_else(|error| panic!("invoking {binary} failed: {error}"));
        assert_eq!(response.status(), StatusCode::OK, "invoking {binary}");
        response.json().await.expect("the invocation returns JSON")
    }
}

/// Reads an item in DynamoDB JSON (the form stream records carry) straight from moto.
async fn raw_item(client: &Client, endpoint: &str, table: &str, pk: &str, sk: &str) -> Value {
    let response = client
        .post(endpoint)
        .header("x-amz-target", "DynamoDB_20120810.GetItem")
        .header("content-type", "application/x-amz-json-1.0")
        // moto checks no signature, so a dummy authorization header names the region.
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
        )
        .body(json!({"TableName": table, "Key": {"PK": {"S": pk}, "SK": {"S": sk}}, "ConsistentRead": true}).to_string())
        .send()
        .await
        .expect("GetItem reaches moto");
    let body: Value = serde_json::from_str(&response.text().await.expect("a body")).expect("GetItem returns JSON");
    body["Item"].clone()
}

/// Builds a one-record DynamoDB stream event that inserts `item`, as Lambda delivers it.
fn insert_event(table: &str, item: &Value) -> Value {
    json!({"Records": [{
        "eventID": "1",
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "eventSourceARN": format!("arn:aws:dynamodb:us-east-1:123456789012:table/{table}/stream/2026-01-01T00:00:00.000"),
        "dynamodb": {
            "ApproximateCreationDateTime": 1767225600.0,
            "Keys": {"PK": item["PK"], "SK": item["SK"]},
            "NewImage": item,
            "SequenceNumber": "100000000000000000001",
            "SizeBytes": 256,
            "StreamViewType": "NEW_AND_OLD_IMAGES"
        }
    }]})
}

#[tokio::test]
async fn functions_respond_under_watch() {
    let (Ok(base), Ok(dynamodb), Ok(table)) = (
        std::env::var("CHIRP_WATCH_URL"),
        std::env::var("CHIRP_TEST_DYNAMODB_ENDPOINT"),
        std::env::var("CHIRP_TABLE"),
    ) else {
        eprintln!(
            "skipped: set CHIRP_WATCH_URL, CHIRP_TEST_DYNAMODB_ENDPOINT and CHIRP_TABLE (infra/lambda/watch.sh) to run it"
        );
        return;
    };
    let watch = Watch { client: Client::builder().no_proxy().build().unwrap(), base };

    let health = watch.call("chirp-service", Method::GET, "/api/health/", None, None).await;
    assert_eq!(health.status, StatusCode::OK, "{:?}", health.body);
    assert_eq!(health.body, json!({"status": "ok"}));

    let password = "correct horse battery staple";
    let registration = json!({"username": "watcher", "email": "watcher@example.com", "password": password});
    let registered = watch.call("chirp-accounts", Method::POST, "/api/accounts/register/", None, Some(registration)).await;
    assert_eq!(registered.status, StatusCode::CREATED, "{:?}", registered.body);
    let login = json!({"username": "watcher", "password": password});
    let logged_in = watch.call("chirp-accounts", Method::POST, "/api/accounts/login/", None, Some(login)).await;
    assert_eq!(logged_in.status, StatusCode::OK, "{:?}", logged_in.body);
    let token = logged_in.body["token"].as_str().expect("a token").to_owned();
    let token = Some(token.as_str());

    // A path parameter reaches the function only inside the raw path.
    let profile = watch.call("chirp-accounts", Method::GET, "/api/accounts/WATCHER/", None, None).await;
    assert_eq!(profile.status, StatusCode::OK, "{:?}", profile.body);
    assert_eq!(profile.body["username"], "watcher");

    let posted = watch
        .call("chirp-tweets", Method::POST, "/api/tweets/", token, Some(json!({"content": "zebracorn under watch"})))
        .await;
    assert_eq!(posted.status, StatusCode::CREATED, "{:?}", posted.body);
    let tweet_id = posted.body["id"].as_str().expect("a tweet id").to_owned();

    let fetched = watch.call("chirp-tweets", Method::GET, &format!("/api/tweets/{tweet_id}/"), None, None).await;
    assert_eq!(fetched.status, StatusCode::OK, "{:?}", fetched.body);
    assert_eq!(fetched.body["id"], tweet_id.as_str());

    let liked = watch.call("chirp-likes", Method::POST, &format!("/api/tweets/{tweet_id}/like/"), token, None).await;
    assert!(liked.status.is_success(), "like: {} {:?}", liked.status, liked.body);

    let followers = watch.call("chirp-social", Method::GET, "/api/accounts/watcher/followers/", None, None).await;
    assert_eq!(followers.status, StatusCode::OK, "{:?}", followers.body);
    assert_eq!(followers.body["results"], json!([]));

    let timeline = watch.call("chirp-timelines", Method::GET, "/api/accounts/watcher/tweets/", None, None).await;
    assert_eq!(timeline.status, StatusCode::OK, "{:?}", timeline.body);
    assert_eq!(timeline.body["results"][0]["id"], tweet_id.as_str());

    let unread = watch.call("chirp-notifications", Method::GET, "/api/notifications/unread_count/", token, None).await;
    assert_eq!(unread.status, StatusCode::OK, "{:?}", unread.body);

    // A plain user reaches the moderation function, which rejects the caller's role with 403.
    let audit = watch.call("chirp-moderation", Method::GET, "/api/moderation/audit/", token, None).await;
    assert_eq!(audit.status, StatusCode::FORBIDDEN, "{:?}", audit.body);

    let unknown = watch.call("chirp-tweets", Method::GET, "/api/tweets/x/y/z/", None, None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{:?}", unknown.body);

    // Watch runs no stream, so the tweet is not in the search index until the indexer gets
    // the record that inserted it.
    let search_path = "/api/tweets/search/?q=zebracorn";
    let before = watch.call("chirp-search", Method::GET, search_path, None, None).await;
    assert_eq!(before.status, StatusCode::OK, "{:?}", before.body);
    assert_eq!(before.body["results"], json!([]), "indexed before the stream event");

    let key = chirp_shared::keys::tweet(&tweet_id);
    let item = raw_item(&watch.client, &dynamodb, &table, &key.pk, &key.sk).await;
    assert!(item.is_object(), "the tweet item is in the table: {item:?}");
    let output = watch.invoke("chirp-indexer", &insert_event(&table, &item)).await;
    assert_eq!(output, json!({"batchItemFailures": []}));

    let after = watch.call("chirp-search", Method::GET, search_path, None, None).await;
    assert_eq!(after.status, StatusCode::OK, "{:?}", after.body);
    assert_eq!(after.body["results"][0]["id"], tweet_id.as_str(), "{:?}", after.body);
}
