//! Round trips to the store per request, counted by wrapping the store of an in-process app
//! and sending each request straight to the handlers the local runtime mounts.

use std::path::Path;
use std::sync::Arc;

use chirp_local::data_dir::DataDir;
use chirp_local::pump::{Consumer, Pump};
use chirp_shared::app::App;
use chirp_shared::config::Config;
use chirp_shared::store::Store;
use chirp_shared::store::metered::{Counts, MeteredStore};
use http::Method;
use lambda_http::Body;
use serde_json::{Value, json};

use crate::graph::{Graph, PASSWORD};

pub struct Cost {
    pub request: String,
    pub counts: Counts,
}

struct Client {
    app: App,
    store: Arc<MeteredStore>,
}

impl Client {
    /// Sends one request and returns its JSON body and the round trips it made.
    async fn send(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> (Value, Counts) {
        let mut builder = http::Request::builder()
            .method(method)
            .uri(format!("http://localhost{path}"))
            .header("host", "localhost");
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        let body = match body {
            Some(value) => {
                builder = builder.header("content-type", "application/json");
                Body::Text(value.to_string())
            }
            None => Body::Empty,
        };
        let request = builder.body(body).expect("a valid request");
        let before = self.store.round_trips.snapshot();
        let response = chirp_local::server::dispatch(&self.app, request).await;
        let counts = self.store.round_trips.snapshot().since(&before);
        let value = match response.body() {
            Body::Text(text) => serde_json::from_str(text).unwrap_or(Value::Null),
            _ => Value::Null,
        };
        (value, counts)
    }
}

/// Measures each endpoint once on the loaded data directory (the server must be stopped).
pub async fn measure(data_dir: &Path, graph: &Graph) -> Result<Vec<Cost>, String> {
    let dir = DataDir::open(data_dir)?;
    let sqlite = Arc::new(dir.open_store()?);
    let inner: Arc<dyn Store> = sqlite.clone();
    let store = Arc::new(MeteredStore::new(inner));
    let config = Config { secret: dir.secret()?, token_ttl_seconds: 3600 };
    let app = App::new(store.clone(), &config)?;
    let client = Client { app, store: store.clone() };

    let ((_, _), (celebrity, _)) = graph.follower_extremes().ok_or("the graph is empty")?;
    let (reader, _) = graph.following_about(100).ok_or("the graph is empty")?;
    let mut costs = Vec::new();
    let mut record = |request: &str, counts: Counts| costs.push(Cost { request: request.to_owned(), counts });

    let (_, counts) = client
        .send(Method::POST, "/api/accounts/register/", None, Some(json!({"username": "benchuser", "email": "bench@example.com", "password": PASSWORD})))
        .await;
    record("register", counts);
    let (login, counts) =
        client.send(Method::POST, "/api/accounts/login/", None, Some(json!({"username": reader, "password": PASSWORD}))).await;
    record("login", counts);
    let token = login["token"].as_str().ok_or("login failed")?.to_owned();
    let token = Some(token.as_str());

    let (_, counts) = client.send(Method::GET, "/api/tweets/feed/", token, None).await;
    record("feed page (20)", counts);
    let (_, counts) = client.send(Method::GET, &format!("/api/accounts/{celebrity}/tweets/"), token, None).await;
    record("profile timeline", counts);
    let (_, counts) = client.send(Method::GET, &format!("/api/accounts/{celebrity}/"), token, None).await;
    record("public profile", counts);
    let (_, counts) = client.send(Method::GET, "/api/tweets/", token, None).await;
    record("global list", counts);
    let (_, counts) = client.send(Method::GET, "/api/tweets/?ordering=-likes_count", token, None).await;
    record("list by likes", counts);
    let (tweet, counts) = client.send(Method::POST, "/api/tweets/", token, Some(json!({"content": "counting round trips"}))).await;
    record("post tweet", counts);
    let tweet_id = tweet["id"].as_str().ok_or("posting failed")?.to_owned();
    let (_, counts) = client.send(Method::GET, &format!("/api/tweets/{tweet_id}/"), token, None).await;
    record("get tweet", counts);
    let (_, counts) = client.send(Method::POST, &format!("/api/tweets/{tweet_id}/like/"), token, None).await;
    record("like", counts);
    let (_, counts) = client.send(Method::GET, &format!("/api/tweets/{tweet_id}/likes/"), token, None).await;
    record("likers", counts);
    let (_, counts) = client.send(Method::POST, &format!("/api/accounts/{celebrity}/follow/"), token, None).await;
    record("follow", counts);
    let (_, counts) = client.send(Method::GET, &format!("/api/accounts/{celebrity}/followers/"), token, None).await;
    record("followers", counts);
    let (_, counts) = client.send(Method::DELETE, &format!("/api/tweets/{tweet_id}/"), token, None).await;
    record("delete tweet", counts);

    // Fan-out of everything above, then of one tweet by the account with the most followers.
    drain(&sqlite, &store).await?;
    let (login, _) =
        client.send(Method::POST, "/api/accounts/login/", None, Some(json!({"username": celebrity, "password": PASSWORD}))).await;
    let celebrity_token = login["token"].as_str().ok_or("login failed")?.to_owned();
    client.send(Method::POST, "/api/tweets/", Some(&celebrity_token), Some(json!({"content": "fan me out"}))).await;
    let before = store.round_trips.snapshot();
    drain(&sqlite, &store).await?;
    let followers = graph.followers.get(&celebrity).map_or(0, |set| set.len());
    record(&format!("fan-out of one tweet ({followers} followers)"), store.round_trips.snapshot().since(&before));
    Ok(costs)
}

/// Runs the fan-out consumer on the metered store until it has seen every change.
async fn drain(sqlite: &Arc<chirp_shared::store::sqlite::SqliteStore>, store: &Arc<MeteredStore>) -> Result<(), String> {
    let metered: Arc<dyn Store> = store.clone();
    let consumer = Consumer {
        name: "fanout",
        entities: chirp_local::pump::fanout().entities,
        handler: Arc::new(move |_store, event| {
            let metered = metered.clone();
            Box::pin(async move { chirp_fanout::handle(&metered, event).await })
        }),
    };
    Pump::new(sqlite.clone(), consumer).drain().await
}

pub fn markdown(costs: &[Cost]) -> String {
    let mut out = String::from(
        "## Round trips per request\n\nCounted at the store interface; batch operations count one per DynamoDB call they need.\n\n\
         | request | total | GetItem | Query | BatchGetItem | TransactWriteItems | PutItem | UpdateItem | DeleteItem | BatchWriteItem |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    for cost in costs {
        let c = &cost.counts;
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            cost.request,
            c.total(),
            c.get_item,
            c.query,
            c.batch_get_item,
            c.transact_write_items,
            c.put_item,
            c.update_item,
            c.delete_item,
            c.batch_write_item
        ));
    }
    out
}
