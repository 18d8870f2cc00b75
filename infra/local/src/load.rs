//! The loader: turns a follow graph and a file of tweet texts into accounts, follows and
//! tweets through the same domain code the API runs, then runs fan-out to completion.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use chirp_shared::app::App;
use chirp_shared::auth::hash_password;
use chirp_shared::config::{Config, token_ttl_from_env};
use chirp_shared::domain::accounts::{Viewer, ValidRegistration, create_account};
use chirp_shared::domain::social::{self, FollowOutcome};
use chirp_shared::domain::tweets::create_tweet;
use chirp_shared::error::DomainError;
use chirp_shared::keys;
use chirp_shared::model::user::validate_username;
use chirp_shared::store::Store;
use chirp_shared::store::sqlite::{Durability, SqliteStore};
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::data_dir::DataDir;
use crate::pump::{self, Pump};

#[derive(clap::Args, Debug)]
pub struct LoadArgs {
    /// Follow graph: one edge per line, `a<TAB>b` meaning account a follows account b.
    #[arg(long)]
    pub graph: PathBuf,

    /// Tweets: one tweet text per line; blank lines are skipped.
    #[arg(long)]
    pub tweets: PathBuf,

    /// Seed that picks each tweet's author, so a load is reproducible.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,

    /// Password of every loaded account (each account is `user<id>`).
    #[arg(long, default_value = "chirp-password")]
    pub password: String,
}

/// Counts a load reports.
#[derive(Debug, Default, PartialEq)]
pub struct LoadReport {
    /// Seconds each phase took, in order.
    pub phase_seconds: Vec<(&'static str, f64)>,
    pub accounts: usize,
    pub follows: usize,
    pub tweets: usize,
    /// Edges from an account to itself, which the API refuses.
    pub skipped_self_follows: usize,
    /// Edges listed twice.
    pub duplicate_follows: usize,
    /// Lines that are not valid tweets once normalised.
    pub skipped_tweets: usize,
}

pub async fn run(data_dir: &Path, args: LoadArgs) -> Result<(), String> {
    let started = Instant::now();
    let report = load(data_dir, &args).await?;
    println!(
        "loaded {} accounts, {} follows and {} tweets in {:.1} s",
        report.accounts,
        report.follows,
        report.tweets,
        started.elapsed().as_secs_f64()
    );
    let phases: Vec<String> =
        report.phase_seconds.iter().map(|(name, seconds)| format!("{name} {seconds:.1} s")).collect();
    println!("phases: {}", phases.join(", "));
    if report.skipped_self_follows + report.duplicate_follows + report.skipped_tweets > 0 {
        println!(
            "skipped {} self-follows, {} duplicate follows and {} invalid tweets",
            report.skipped_self_follows, report.duplicate_follows, report.skipped_tweets
        );
    }
    Ok(())
}

/// Loads the files into the data directory, which must hold no tweets yet.
pub async fn load(data_dir: &Path, args: &LoadArgs) -> Result<LoadReport, String> {
    let edges = read_graph(&args.graph)?;
    let texts = read_tweets(&args.tweets)?;

    let dir = DataDir::open(data_dir)?;
    let sqlite = Arc::new(dir.open_store()?);
    let store: Arc<dyn Store> = sqlite.clone();
    if store.get(&keys::tweets_since()).await.map_err(|e| e.to_string())?.is_some() {
        return Err(format!(
            "{} already holds tweets, and loading again would post them twice; use a new --data-dir",
            data_dir.display()
        ));
    }
    let config = Config { secret: dir.secret()?, token_ttl_seconds: token_ttl_from_env()? };
    let app = App::new(store, &config)?;

    // The load is one unit: if the machine crashes, it is run again on a fresh directory, so
    // commits need not wait for the disk.
    sqlite.set_durability(Durability::Bulk).map_err(|e| e.to_string())?;
    let mut report = LoadReport::default();
    let phase = Instant::now();
    load_accounts(&app, &edges, &args.password, &mut report).await?;
    report.phase_seconds.push(("accounts", phase.elapsed().as_secs_f64()));
    let phase = Instant::now();
    load_follows(&app, &edges, &mut report).await?;
    report.phase_seconds.push(("follows", phase.elapsed().as_secs_f64()));
    // Fan the follows out before any tweet exists, so their backfills find nothing to copy.
    // Otherwise every follow would copy its followee's tweets a second time.
    let phase = Instant::now();
    run_fan_out(&sqlite).await?;
    report.phase_seconds.push(("fan-out of follows", phase.elapsed().as_secs_f64()));
    let phase = Instant::now();
    load_tweets(&app, &edges, &texts, args.seed, &mut report).await?;
    report.phase_seconds.push(("tweets", phase.elapsed().as_secs_f64()));
    let phase = Instant::now();
    run_fan_out(&sqlite).await?;
    report.phase_seconds.push(("fan-out of tweets", phase.elapsed().as_secs_f64()));
    sqlite.set_durability(Durability::Full).map_err(|e| e.to_string())?;
    Ok(report)
}

fn read_graph(path: &Path) -> Result<Vec<(String, String)>, String> {
    let text = std::fs::read_to_string(path).map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    let mut edges = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split_whitespace();
        let (Some(a), Some(b), None) = (fields.next(), fields.next(), fields.next()) else {
            return Err(format!("{}:{}: expected two account ids separated by a tab", path.display(), number + 1));
        };
        edges.push((username_of(a, path, number)?, username_of(b, path, number)?));
    }
    Ok(edges)
}

fn username_of(id: &str, path: &Path, line: usize) -> Result<String, String> {
    let username = format!("user{id}");
    validate_username(&username)
        .map_err(|error| format!("{}:{}: account id {id:?} makes an invalid username: {error}", path.display(), line + 1))?;
    Ok(username)
}

fn read_tweets(path: &Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    Ok(text.lines().filter(|line| !line.trim().is_empty()).map(str::to_owned).collect())
}

fn progress(length: usize, label: &'static str) -> ProgressBar {
    let bar = ProgressBar::new(length as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg:>9} [{bar:40}] {pos}/{len} ({per_sec}, {eta} left)")
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    bar.set_message(label);
    bar
}

/// Accounts in a stable order: sorted by username.
fn accounts_of(edges: &[(String, String)]) -> Vec<String> {
    let unique: BTreeSet<&String> = edges.iter().flat_map(|(a, b)| [a, b]).collect();
    unique.into_iter().cloned().collect()
}

async fn load_accounts(app: &App, edges: &[(String, String)], password: &str, report: &mut LoadReport) -> Result<(), String> {
    let accounts = accounts_of(edges);
    // One hash for every account: argon2 costs tens of milliseconds per hash by design, which
    // would dominate the load. Every loaded account shares the password anyway.
    let password = password.to_owned();
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|error| error.to_string())?;

    let bar = progress(accounts.len(), "accounts");
    for username in &accounts {
        let registration = ValidRegistration {
            username: username.clone(),
            email: format!("{username}@example.com"),
            email_claim: format!("{username}@example.com"),
            display_name: username.clone(),
        };
        match create_account(app, registration, password_hash.clone()).await {
            Ok(_) => {}
            // Already there from an earlier, interrupted load.
            Err(DomainError::Validation(_)) => {}
            Err(error) => return Err(format!("creating account {username} failed: {error}")),
        }
        report.accounts += 1;
        bar.inc(1);
    }
    bar.finish();
    Ok(())
}

async fn load_follows(app: &App, edges: &[(String, String)], report: &mut LoadReport) -> Result<(), String> {
    let bar = progress(edges.len(), "follows");
    for (follower, followee) in edges {
        bar.inc(1);
        if follower == followee {
            report.skipped_self_follows += 1;
            continue;
        }
        let viewer = Viewer { user_id: follower.to_ascii_lowercase(), session_id: String::new() };
        match social::follow(app, &viewer, followee).await {
            Ok((FollowOutcome::Created, _)) => report.follows += 1,
            Ok((FollowOutcome::AlreadyFollowing, _)) => report.duplicate_follows += 1,
            Err(error) => return Err(format!("{follower} following {followee} failed: {error}")),
        }
    }
    bar.finish();
    Ok(())
}

async fn load_tweets(
    app: &App,
    edges: &[(String, String)],
    texts: &[String],
    seed: u64,
    report: &mut LoadReport,
) -> Result<(), String> {
    let accounts = accounts_of(edges);
    if accounts.is_empty() {
        return Ok(());
    }
    let mut random = StdRng::seed_from_u64(seed);
    let bar = progress(texts.len(), "tweets");
    for text in texts {
        bar.inc(1);
        let author = &accounts[random.random_range(0..accounts.len())];
        let viewer = Viewer { user_id: author.to_ascii_lowercase(), session_id: String::new() };
        match create_tweet(app, &viewer, text, None).await {
            Ok(_) => report.tweets += 1,
            Err(DomainError::Validation(_)) => report.skipped_tweets += 1,
            Err(error) => return Err(format!("posting a tweet of {author} failed: {error}")),
        }
    }
    bar.finish();
    Ok(())
}

/// Runs every stream consumer (fan-out, notifications, search index) until each has seen
/// every change committed so far.
async fn run_fan_out(sqlite: &Arc<SqliteStore>) -> Result<(), String> {
    for consumer in pump::consumers() {
        let name = consumer.name;
        let start = sqlite.consumer_position(name).map_err(|e| e.to_string())?;
        let end = sqlite.latest_sequence().map_err(|e| e.to_string())?;
        let bar = progress((end - start).max(0) as usize, name);
        let mut pump = Pump::new(sqlite.clone(), consumer);
        loop {
            let step = pump.step().await?;
            let position = sqlite.consumer_position(name).map_err(|e| e.to_string())?;
            bar.set_position((position.min(end) - start).max(0) as u64);
            if step == pump::Step::Idle {
                break;
            }
        }
        bar.finish();
        let dead = sqlite.dead_letters(name).map_err(|e| e.to_string())?;
        if !dead.is_empty() {
            return Err(format!("the {name} consumer gave up on {} stream records; see the log", dead.len()));
        }
    }
    Ok(())
}
