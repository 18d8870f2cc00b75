//! Crash safety of the embedded store: the real `chirp-local` binary takes concurrent writes,
//! dies by SIGKILL in the middle of them, and restarts on the same data directory. Every count
//! must then equal the rows it counts, every acknowledged tweet must exist, and the change
//! stream must resume and finish fan-out into the home feeds.

use std::collections::{HashMap, HashSet};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

const USERS: usize = 6;
const PASSWORD: &str = "correct horse battery";
/// How long the writers run before the kill.
const LOAD: Duration = Duration::from_millis(1500);

/// A running `chirp-local` process on a free loopback port.
struct Process {
    child: Child,
    base: String,
}

impl Process {
    async fn start(data_dir: &Path) -> Self {
        let addr = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_chirp-local"))
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--data-dir")
            .arg(data_dir)
            // The writers come from one address far faster than the default limits allow.
            .env("CHIRP_RATE_LIMITS", "off")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("chirp-local starts");
        let process = Self { child, base: format!("http://{addr}") };
        process.wait_healthy().await;
        process
    }

    async fn wait_healthy(&self) {
        let client = Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(response) = client.get(format!("{}/api/health/", self.base)).send().await
                && response.status() == StatusCode::OK
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("chirp-local at {} did not become healthy within 30 s", self.base);
    }

    /// Sends SIGKILL: no graceful shutdown, no flush, no pump stop.
    fn kill(mut self) {
        self.child.kill().expect("SIGKILL is delivered");
        self.child.wait().expect("the process is reaped");
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Finds a free loopback port by binding port 0 and releasing it.
fn free_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("the bound address")
}

/// A thin client of one process.
#[derive(Clone)]
struct Api {
    client: Client,
    base: String,
}

impl Api {
    /// Sends a request; `None` when the connection failed, as it does once the server is gone.
    async fn call(&self, method: reqwest::Method, path: &str, token: Option<&str>, body: Option<Value>) -> Option<(StatusCode, Value)> {
        let url = if path.starts_with("http") { path.to_owned() } else { format!("{}{path}", self.base) };
        let mut builder = self.client.request(method, url).timeout(Duration::from_secs(10));
        if let Some(token) = token {
            builder = builder.bearer_auth(token);
        }
        if let Some(body) = body {
            builder = builder.json(&body);
        }
        let response = builder.send().await.ok()?;
        let status = response.status();
        let text = response.text().await.ok()?;
        Some((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    async fn get(&self, path: &str, token: Option<&str>) -> Value {
        let (status, body) = self.call(reqwest::Method::GET, path, token, None).await.expect("the server answers");
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
    }

    async fn walk(&self, path: &str, token: Option<&str>) -> Vec<Value> {
        let mut items = Vec::new();
        let mut url = path.to_owned();
        loop {
            let page = self.get(&url, token).await;
            items.extend(page["results"].as_array().expect("results").iter().cloned());
            match page["next"].as_str() {
                Some(next) => url = next.to_owned(),
                None => return items,
            }
        }
    }
}

fn field(items: &[Value], name: &str) -> HashSet<String> {
    items.iter().filter_map(|item| item[name].as_str().map(str::to_owned)).collect()
}

/// Writes of one user until the server dies: tweets, follows, unfollows and likes. Returns the
/// ids of the tweets whose POST was acknowledged with 201.
async fn writer(api: Api, me: usize, token: String, known_tweets: Arc<Mutex<Vec<String>>>) -> Vec<(String, usize)> {
    let mut acknowledged = Vec::new();
    for step in 0usize.. {
        let other = format!("user{}", (me + 1 + step % (USERS - 1)) % USERS);
        let result = match step % 5 {
            0 | 3 => {
                let body = json!({"content": format!("tweet {step} of user{me}")});
                let reply = api.call(reqwest::Method::POST, "/api/tweets/", Some(&token), Some(body)).await;
                if let Some((StatusCode::CREATED, body)) = &reply {
                    let id = body["id"].as_str().expect("an id").to_owned();
                    known_tweets.lock().expect("the tweet list").push(id.clone());
                    acknowledged.push((id, me));
                }
                reply
            }
            1 => api.call(reqwest::Method::POST, &format!("/api/accounts/{other}/follow/"), Some(&token), None).await,
            2 => {
                let target = known_tweets.lock().expect("the tweet list").get(step % 7).cloned();
                match target {
                    Some(id) => api.call(reqwest::Method::POST, &format!("/api/tweets/{id}/like/"), Some(&token), None).await,
                    None => continue,
                }
            }
            _ if step % 15 == 4 => api.call(reqwest::Method::DELETE, &format!("/api/accounts/{other}/unfollow/"), Some(&token), None).await,
            _ => {
                let target = known_tweets.lock().expect("the tweet list").get(step % 11).cloned();
                match target {
                    Some(id) => api.call(reqwest::Method::DELETE, &format!("/api/tweets/{id}/like/"), Some(&token), None).await,
                    None => continue,
                }
            }
        };
        match result {
            None => break,
            Some((status, body)) => assert!(!status.is_server_error(), "step {step} of user{me}: {status} {body}"),
        }
    }
    acknowledged
}

#[tokio::test]
async fn sigkill_mid_load_keeps_counts_and_fanout() {
    let data_dir = tempfile::tempdir().expect("a temporary directory");
    let process = Process::start(data_dir.path()).await;
    let api = Api { client: Client::new(), base: process.base.clone() };

    let mut tokens = Vec::new();
    for n in 0..USERS {
        let username = format!("user{n}");
        let body = json!({"username": username, "email": format!("{username}@example.com"), "password": PASSWORD});
        let (status, reply) = api.call(reqwest::Method::POST, "/api/accounts/register/", None, Some(body)).await.expect("registration");
        assert_eq!(status, StatusCode::CREATED, "{reply}");
        let body = json!({"username": username, "password": PASSWORD});
        let (status, reply) = api.call(reqwest::Method::POST, "/api/accounts/login/", None, Some(body)).await.expect("login");
        assert_eq!(status, StatusCode::OK, "{reply}");
        tokens.push(reply["token"].as_str().expect("a token").to_owned());
    }

    let known_tweets = Arc::new(Mutex::new(Vec::new()));
    let writers: Vec<_> = tokens
        .iter()
        .enumerate()
        .map(|(me, token)| tokio::spawn(writer(api.clone(), me, token.clone(), known_tweets.clone())))
        .collect();
    tokio::time::sleep(LOAD).await;
    process.kill();
    let mut acknowledged = Vec::new();
    for task in writers {
        acknowledged.extend(task.await.expect("a writer finished"));
    }
    assert!(acknowledged.len() >= USERS, "too little load before the kill: {} tweets", acknowledged.len());

    // Tokens survive the restart: the secret and the sessions are in the data directory.
    let process = Process::start(data_dir.path()).await;
    let api = Api { client: Client::new(), base: process.base.clone() };

    let mut following_of = HashMap::new();
    let mut tweets_of: HashMap<usize, HashSet<String>> = HashMap::new();
    for n in 0..USERS {
        let username = format!("user{n}");
        let profile = api.get(&format!("/api/accounts/{username}/"), None).await;
        let followers = api.walk(&format!("/api/accounts/{username}/followers/"), None).await;
        let following = api.walk(&format!("/api/accounts/{username}/following/"), None).await;
        let tweets = api.walk(&format!("/api/accounts/{username}/tweets/"), None).await;
        assert_eq!(profile["followers_count"], followers.len(), "followers_count of {username}");
        assert_eq!(profile["following_count"], following.len(), "following_count of {username}");
        assert_eq!(profile["tweets_count"], tweets.len(), "tweets_count of {username}");
        following_of.insert(n, field(&following, "username"));
        tweets_of.insert(n, field(&tweets, "id"));
    }

    for (id, author) in &acknowledged {
        assert!(tweets_of[author].contains(id), "acknowledged tweet {id} of user{author} is lost");
    }
    for tweet in api.walk("/api/tweets/", None).await {
        let id = tweet["id"].as_str().expect("an id");
        let likers = api.walk(&format!("/api/tweets/{id}/likes/"), None).await;
        assert_eq!(tweet["likes_count"], likers.len(), "likes_count of tweet {id}");
    }

    // Fan-out resumes from its stored position: each feed ends up holding the user's own
    // tweets and those of everyone the user follows now.
    for (n, token) in tokens.iter().enumerate() {
        let mut expected = tweets_of[&n].clone();
        for followee in &following_of[&n] {
            let index: usize = followee.trim_start_matches("user").parse().expect("a test user");
            expected.extend(tweets_of[&index].iter().cloned());
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let feed = field(&api.walk("/api/tweets/feed/?page_size=100", Some(token)).await, "id");
            let missing: Vec<_> = expected.difference(&feed).collect();
            if missing.is_empty() {
                break;
            }
            assert!(Instant::now() < deadline, "feed of user{n} lacks {} tweets after 15 s: {missing:?}", missing.len());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    process.kill();
}
