//! The load scenarios: concurrent clients sending one kind of request each.

use std::time::{Duration, Instant};

use futures::StreamExt;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use reqwest::{Client, RequestBuilder};
use serde_json::{Value, json};

use crate::graph::{Graph, PASSWORD};
use crate::stats::{Summary, ms};

/// Accounts that log in and send requests.
const CLIENT_ACCOUNTS: usize = 64;

/// Feed requests per account in the feed-against-followees scenario.
const FEED_SAMPLES: usize = 300;

/// Tweets posted per account when measuring fan-out lag; the median is reported.
const LAG_SAMPLES: usize = 5;

pub struct Results {
    pub endpoints: Vec<Summary>,
    /// Followee count, account and its feed latencies.
    pub feed_by_followees: Vec<(usize, String, Summary)>,
    /// Follower count, account and the median time from POST until the tweet is in a
    /// follower's feed.
    pub fanout_lag: Vec<(usize, String, Duration)>,
}

pub async fn run_all(base: &str, graph: &Graph, concurrency: usize, requests: usize) -> Result<Results, String> {
    let client = Client::new();
    let mut random = StdRng::seed_from_u64(11);
    let accounts = graph.accounts();
    let mut sessions = Vec::new();
    for user in accounts.choose_multiple(&mut random, CLIENT_ACCOUNTS) {
        sessions.push((user.clone(), login(&client, base, user).await?));
    }
    let targets: Vec<String> = accounts.choose_multiple(&mut random, 512).cloned().collect();
    let tweet_ids = recent_tweet_ids(&client, base).await?;

    let token = |i: usize| sessions[i % sessions.len()].1.clone();
    let target = |i: usize| targets[(i * 7919) % targets.len()].clone();
    let mut endpoints = Vec::new();
    endpoints.push(drive("feed page", requests, concurrency, |i| client.get(format!("{base}/api/tweets/feed/")).bearer_auth(token(i))).await);
    endpoints.push(drive("profile timeline", requests, concurrency, |i| client.get(format!("{base}/api/accounts/{}/tweets/", target(i)))).await);
    endpoints.push(drive("public profile", requests, concurrency, |i| client.get(format!("{base}/api/accounts/{}/", target(i)))).await);
    endpoints.push(drive("global list", requests, concurrency, |_| client.get(format!("{base}/api/tweets/"))).await);
    endpoints.push(
        drive("post tweet", requests, concurrency, |i| {
            client.post(format!("{base}/api/tweets/")).bearer_auth(token(i)).json(&json!({"content": format!("benchmark tweet {i} #bench")}))
        })
        .await,
    );
    endpoints.push(
        drive("like", requests, concurrency, |i| {
            let tweet = &tweet_ids[(i * 31) % tweet_ids.len()];
            client.post(format!("{base}/api/tweets/{tweet}/like/")).bearer_auth(token(i))
        })
        .await,
    );
    endpoints.push(
        drive("follow", requests, concurrency, |i| {
            client.post(format!("{base}/api/accounts/{}/follow/", target(i))).bearer_auth(token(i))
        })
        .await,
    );
    let probe = client.get(format!("{base}/api/tweets/search/?q=love")).send().await;
    if probe.is_ok_and(|response| response.status().is_success()) {
        endpoints.push(drive("search", requests, concurrency, |_| client.get(format!("{base}/api/tweets/search/?q=love"))).await);
    }

    let mut feed_by_followees = Vec::new();
    for wanted in [10, 100, 1000] {
        let Some((user, followees)) = graph.following_about(wanted) else { continue };
        let token = login(&client, base, &user).await?;
        let summary = drive(&format!("feed, {followees} followees"), FEED_SAMPLES, concurrency, |_| {
            client.get(format!("{base}/api/tweets/feed/")).bearer_auth(token.clone())
        })
        .await;
        feed_by_followees.push((followees, user, summary));
    }

    let mut fanout_lag = Vec::new();
    if let Some((few, most)) = graph.follower_extremes() {
        for (author, followers) in [few, most] {
            let lag = fan_out_lag(&client, base, graph, &author).await?;
            fanout_lag.push((followers, author, lag));
        }
    }
    Ok(Results { endpoints, feed_by_followees, fanout_lag })
}

async fn login(client: &Client, base: &str, user: &str) -> Result<String, String> {
    let reply: Value = client
        .post(format!("{base}/api/accounts/login/"))
        .json(&json!({"username": user, "password": PASSWORD}))
        .send()
        .await
        .map_err(|error| error.to_string())?
        .json()
        .await
        .map_err(|error| error.to_string())?;
    reply["token"].as_str().map(str::to_owned).ok_or_else(|| format!("login of {user} failed: {reply}"))
}

async fn recent_tweet_ids(client: &Client, base: &str) -> Result<Vec<String>, String> {
    let reply: Value = client
        .get(format!("{base}/api/tweets/?page_size=100"))
        .send()
        .await
        .map_err(|error| error.to_string())?
        .json()
        .await
        .map_err(|error| error.to_string())?;
    let ids: Vec<String> =
        reply["results"].as_array().into_iter().flatten().filter_map(|t| t["id"].as_str().map(str::to_owned)).collect();
    if ids.is_empty() { Err("the loaded data has no tweets".into()) } else { Ok(ids) }
}

/// Sends `requests` requests, `concurrency` at a time, and summarises their latencies.
async fn drive(name: &str, requests: usize, concurrency: usize, build: impl Fn(usize) -> RequestBuilder) -> Summary {
    let started = Instant::now();
    let outcomes: Vec<(Duration, bool)> = futures::stream::iter((0..requests).map(build))
        .map(|request| async move {
            let sent = Instant::now();
            let ok = match request.send().await {
                Ok(response) => {
                    let ok = response.status().is_success();
                    let _ = response.bytes().await;
                    ok
                }
                Err(_) => false,
            };
            (sent.elapsed(), ok)
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let wall = started.elapsed();
    let errors = outcomes.iter().filter(|(_, ok)| !ok).count();
    let summary = Summary::new(name, outcomes.into_iter().map(|(latency, _)| latency).collect(), errors, wall);
    eprintln!("{name}: p50 {:.1} ms, p99 {:.1} ms, {errors} errors", ms(summary.p50), ms(summary.p99));
    summary
}

/// Median time from a tweet's POST until it heads one follower's feed.
async fn fan_out_lag(client: &Client, base: &str, graph: &Graph, author: &str) -> Result<Duration, String> {
    let follower = graph.followers[author].iter().next().ok_or("the author has no follower")?.clone();
    let author_token = login(client, base, author).await?;
    let follower_token = login(client, base, &follower).await?;
    let mut lags = Vec::new();
    for n in 0..LAG_SAMPLES {
        let posted = Instant::now();
        let reply: Value = client
            .post(format!("{base}/api/tweets/"))
            .bearer_auth(&author_token)
            .json(&json!({"content": format!("fan-out lag probe {n}")}))
            .send()
            .await
            .map_err(|error| error.to_string())?
            .json()
            .await
            .map_err(|error| error.to_string())?;
        let id = reply["id"].as_str().ok_or("posting failed")?.to_owned();
        loop {
            let feed: Value = client
                .get(format!("{base}/api/tweets/feed/?page_size=1"))
                .bearer_auth(&follower_token)
                .send()
                .await
                .map_err(|error| error.to_string())?
                .json()
                .await
                .map_err(|error| error.to_string())?;
            if feed["results"][0]["id"].as_str() == Some(id.as_str()) {
                break;
            }
            if posted.elapsed() > Duration::from_secs(30) {
                return Err(format!("tweet {id} did not reach {follower} within 30 s"));
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        lags.push(posted.elapsed());
    }
    lags.sort_unstable();
    Ok(lags[lags.len() / 2])
}

impl Results {
    pub fn markdown(&self, concurrency: usize, requests: usize) -> String {
        let mut out = format!("## Latency per endpoint\n\n{requests} requests per endpoint, {concurrency} concurrent clients.\n\n");
        out.push_str("| endpoint | requests/s | p50 ms | p95 ms | p99 ms | errors |\n|---|---|---|---|---|---|\n");
        for s in &self.endpoints {
            out.push_str(&format!(
                "| {} | {:.0} | {:.1} | {:.1} | {:.1} | {} |\n",
                s.name,
                s.throughput(),
                ms(s.p50),
                ms(s.p95),
                ms(s.p99),
                s.errors
            ));
        }
        out.push_str("\n## Feed latency against followees\n\n| followees | account | p50 ms | p99 ms |\n|---|---|---|---|\n");
        for (followees, user, s) in &self.feed_by_followees {
            out.push_str(&format!("| {followees} | {user} | {:.1} | {:.1} |\n", ms(s.p50), ms(s.p99)));
        }
        out.push_str("\n## Fan-out lag\n\nMedian of 5 tweets, from the POST until the tweet heads a follower's feed.\n\n| followers | author | lag ms |\n|---|---|---|\n");
        for (followers, user, lag) in &self.fanout_lag {
            out.push_str(&format!("| {followers} | {user} | {:.1} |\n", ms(*lag)));
        }
        out
    }
}
