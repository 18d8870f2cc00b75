//! Store calls per request: round trips, and on DynamoDB the capacity units they consume,
//! measured by wrapping the store of an in-process app and sending each request straight to
//! the handlers the local runtime mounts. The same scenarios run on the SQLite data directory
//! of the load benchmark (round trips only) and on DynamoDB (see `capacity`).

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use chirp_local::data_dir::DataDir;
use chirp_local::pump::{Consumer, Pump};
use chirp_shared::app::App;
use chirp_shared::config::Config;
use chirp_shared::store::Store;
use chirp_shared::store::dynamodb::consumed::Consumed;
use chirp_shared::store::metered::{Counts, MeteredStore};
use http::Method;
use lambda_http::Body;
use serde_json::{Value, json};

use crate::capacity::store::Units;
use crate::graph::{Graph, PASSWORD};

/// Meter values at one moment; capacity only where the rig measures it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Reading {
    pub counts: Counts,
    /// Units computed from item sizes.
    pub computed: Option<Units>,
    /// Units DynamoDB reported (`ReturnConsumedCapacity`).
    pub reported: Option<Consumed>,
}

impl Reading {
    pub fn since(&self, earlier: &Reading) -> Reading {
        Reading {
            counts: self.counts.since(&earlier.counts),
            computed: self.computed.zip(earlier.computed).map(|(now, then)| now.since(&then)),
            reported: self.reported.zip(earlier.reported).map(|(now, then)| now.since(&then)),
        }
    }
}

pub struct Cost {
    pub request: String,
    pub reading: Reading,
}

/// An app on a metered store, with a way to run the fan-out of everything written so far.
#[async_trait]
pub trait Rig: Send + Sync {
    fn app(&self) -> &App;
    fn reading(&self) -> Reading;
    /// Runs the fan-out consumer on the metered store until it has seen every change.
    async fn drain(&self) -> Result<(), String>;
}

/// Sends one request and returns its JSON body and what it cost.
pub async fn send(rig: &dyn Rig, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> (Value, Reading) {
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
    let before = rig.reading();
    let response = chirp_local::server::dispatch(rig.app(), request).await;
    let reading = rig.reading().since(&before);
    let value = match response.body() {
        Body::Text(text) => serde_json::from_str(text).unwrap_or(Value::Null),
        _ => Value::Null,
    };
    (value, reading)
}

/// Logs `username` in and returns the access token.
pub async fn login(rig: &dyn Rig, username: &str) -> Result<String, String> {
    let body = json!({"username": username, "password": PASSWORD});
    let (login, _) = send(rig, Method::POST, "/api/accounts/login/", None, Some(body)).await;
    login["token"].as_str().map(str::to_owned).ok_or_else(|| format!("login of {username} failed: {login}"))
}

/// Accounts the scenarios act as and on.
pub struct Cast {
    /// Logs in and reads its feed; should follow about 100 accounts on real data.
    pub reader: String,
    /// The account with the most followers; the reader does not follow it yet.
    pub celebrity: String,
    pub celebrity_followers: usize,
}

/// Measures each endpoint once, then the fan-out of one tweet by the celebrity.
pub async fn scenarios(rig: &dyn Rig, cast: &Cast) -> Result<Vec<Cost>, String> {
    let Cast { reader, celebrity, celebrity_followers } = cast;
    let mut costs = Vec::new();
    let mut record = |request: &str, reading: Reading| costs.push(Cost { request: request.to_owned(), reading });

    let register = json!({"username": "benchuser", "email": "bench@example.com", "password": PASSWORD});
    let (_, reading) = send(rig, Method::POST, "/api/accounts/register/", None, Some(register)).await;
    record("register", reading);
    let before = rig.reading();
    let token = login(rig, reader).await?;
    record("login", rig.reading().since(&before));
    let token = Some(token.as_str());

    let (_, reading) = send(rig, Method::GET, "/api/tweets/feed/", token, None).await;
    record("feed page (20)", reading);
    let (_, reading) = send(rig, Method::GET, &format!("/api/accounts/{celebrity}/tweets/"), token, None).await;
    record("profile timeline", reading);
    let (_, reading) = send(rig, Method::GET, &format!("/api/accounts/{celebrity}/"), token, None).await;
    record("public profile", reading);
    let (_, reading) = send(rig, Method::GET, "/api/tweets/", token, None).await;
    record("global list", reading);
    let (_, reading) = send(rig, Method::GET, "/api/tweets/?ordering=-likes_count", token, None).await;
    record("list by likes", reading);
    let (tweet, reading) = send(rig, Method::POST, "/api/tweets/", token, Some(json!({"content": "counting round trips"}))).await;
    record("post tweet", reading);
    let tweet_id = tweet["id"].as_str().ok_or_else(|| format!("posting failed: {tweet}"))?.to_owned();
    let (_, reading) = send(rig, Method::GET, &format!("/api/tweets/{tweet_id}/"), token, None).await;
    record("get tweet", reading);
    let (_, reading) = send(rig, Method::POST, &format!("/api/tweets/{tweet_id}/like/"), token, None).await;
    record("like", reading);
    let (_, reading) = send(rig, Method::GET, &format!("/api/tweets/{tweet_id}/likes/"), token, None).await;
    record("likers", reading);
    let (_, reading) = send(rig, Method::POST, &format!("/api/accounts/{celebrity}/follow/"), token, None).await;
    record("follow", reading);
    let (_, reading) = send(rig, Method::GET, &format!("/api/accounts/{celebrity}/followers/"), token, None).await;
    record("followers", reading);
    let (_, reading) = send(rig, Method::DELETE, &format!("/api/tweets/{tweet_id}/"), token, None).await;
    record("delete tweet", reading);

    // Fan-out of everything above, then of one tweet by the account with the most followers.
    rig.drain().await?;
    let celebrity_token = login(rig, celebrity).await?;
    send(rig, Method::POST, "/api/tweets/", Some(&celebrity_token), Some(json!({"content": "fan me out"}))).await;
    let before = rig.reading();
    rig.drain().await?;
    record(&format!("fan-out of one tweet ({celebrity_followers} followers)"), rig.reading().since(&before));
    Ok(costs)
}

/// The SQLite data directory of the load benchmark, with its change stream.
struct SqliteRig {
    app: App,
    sqlite: Arc<chirp_shared::store::sqlite::SqliteStore>,
    store: Arc<MeteredStore>,
}

#[async_trait]
impl Rig for SqliteRig {
    fn app(&self) -> &App {
        &self.app
    }

    fn reading(&self) -> Reading {
        Reading { counts: self.store.round_trips.snapshot(), ..Reading::default() }
    }

    async fn drain(&self) -> Result<(), String> {
        let metered: Arc<dyn Store> = self.store.clone();
        let consumer = Consumer {
            name: "fanout",
            entities: chirp_local::pump::fanout().entities,
            handler: Arc::new(move |_store, event| {
                let metered = metered.clone();
                Box::pin(async move { chirp_fanout::handle(&metered, event).await })
            }),
        };
        Pump::new(self.sqlite.clone(), consumer).drain().await
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
    let rig = SqliteRig { app, sqlite, store };

    let ((_, _), (celebrity, _)) = graph.follower_extremes().ok_or("the graph is empty")?;
    let (reader, _) = graph.following_about(100).ok_or("the graph is empty")?;
    let celebrity_followers = graph.followers.get(&celebrity).map_or(0, |set| set.len());
    scenarios(&rig, &Cast { reader, celebrity, celebrity_followers }).await
}

pub fn markdown(costs: &[Cost]) -> String {
    let mut out = String::from(
        "## Round trips per request\n\nCounted at the store interface; batch operations count one per DynamoDB call they need.\n\n\
         | request | total | GetItem | Query | BatchGetItem | TransactWriteItems | PutItem | UpdateItem | DeleteItem | BatchWriteItem |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    for cost in costs {
        let c = &cost.reading.counts;
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
