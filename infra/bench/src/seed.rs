//! A small social graph written through the API, for the benchmarks that run on DynamoDB
//! (moto), where loading the whole sample data set would take too long: one celebrity
//! followed by everyone but the reader, a reader who follows 20 accounts, two tweets by each
//! followee and by the celebrity, and a like.

use http::Method;
use serde_json::json;

use crate::graph::PASSWORD;
use crate::round_trips::{Cast, Rig, login, send};

/// Accounts in the graph: `user0` (the celebrity), `user1` (the reader), then followees.
pub const ACCOUNTS: usize = 40;

/// Followees of the reader: `user2` to `user21`.
const READER_FOLLOWS: usize = 20;

const TWEETS_EACH: usize = 2;

/// Accounts and ids of the seeded graph, for requests that need real ones.
pub struct Seeded {
    pub cast: Cast,
    /// A tweet by the celebrity, liked by the reader.
    pub tweet_id: String,
}

/// Writes the graph through `rig`'s app and runs its fan-out. The app should have rate limits
/// off: one client registers every account.
pub async fn seed(rig: &dyn Rig) -> Result<Seeded, String> {
    let name = |index: usize| format!("user{index}");
    for index in 0..ACCOUNTS {
        let body = json!({"username": name(index), "email": format!("{}@example.com", name(index)), "password": PASSWORD});
        let (value, _) = send(rig, Method::POST, "/api/accounts/register/", None, Some(body)).await;
        if value.get("username").is_none() && value.get("id").is_none() {
            return Err(format!("registering {} failed: {value}", name(index)));
        }
    }

    let mut tokens = Vec::with_capacity(ACCOUNTS);
    for index in 0..ACCOUNTS {
        tokens.push(login(rig, &name(index)).await?);
    }
    let follow = |follower: usize, followee: usize| {
        let token = tokens[follower].clone();
        let path = format!("/api/accounts/{}/follow/", name(followee));
        async move { send(rig, Method::POST, &path, Some(&token), None).await }
    };
    for followee in 2..2 + READER_FOLLOWS {
        follow(1, followee).await;
    }
    for follower in 2..ACCOUNTS {
        follow(follower, 0).await;
    }

    let mut tweet_id = None;
    for author in std::iter::once(0).chain(2..2 + READER_FOLLOWS) {
        for number in 0..TWEETS_EACH {
            let body = json!({"content": format!("tweet {number} by {}", name(author))});
            let (tweet, _) = send(rig, Method::POST, "/api/tweets/", Some(&tokens[author]), Some(body)).await;
            let id = tweet["id"].as_str().ok_or_else(|| format!("posting failed: {tweet}"))?;
            if author == 0 {
                tweet_id = Some(id.to_owned());
            }
        }
    }
    let tweet_id = tweet_id.expect("the celebrity posts first");
    send(rig, Method::POST, &format!("/api/tweets/{tweet_id}/like/"), Some(&tokens[1]), None).await;
    rig.drain().await?;

    let cast = Cast { reader: name(1), celebrity: name(0), celebrity_followers: ACCOUNTS - 2 };
    Ok(Seeded { cast, tweet_id })
}
