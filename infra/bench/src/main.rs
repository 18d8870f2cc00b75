//! `chirp-bench`: benchmarks of Chirp, each printing Markdown.
//!
//! - `load`: loads a follow graph and tweets into a fresh local runtime, drives it over HTTP
//!   on 127.0.0.1 with concurrent clients, and prints latency, throughput, fan-out lag and
//!   round trips per request, with SVG plots;
//! - `cold-start`: starts each Lambda function binary against a local Runtime API stub and
//!   prints init time, time to first response, binary size and peak memory;
//! - `capacity`: runs the round-trip scenarios on DynamoDB (a local server) and prints the
//!   capacity units each request consumes.

mod capacity;
mod coldstart;
mod dynamo;
mod graph;
mod plots;
mod round_trips;
mod scenarios;
mod seed;
mod stats;

use std::path::PathBuf;
use std::time::Instant;

use clap::{Parser, Subcommand};

/// Environment variable with the local DynamoDB endpoint, as `infra/moto/start.sh` exports it.
const ENDPOINT_VARIABLE: &str = "CHIRP_TEST_DYNAMODB_ENDPOINT";

#[derive(Parser, Debug)]
#[command(name = "chirp-bench", about = "Benchmarks of Chirp")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Load benchmark of the local runtime on real data.
    Load(LoadArgs),
    /// Cold start of each function binary against a local Runtime API stub.
    ColdStart(ColdStartArgs),
    /// Capacity units per request on DynamoDB.
    Capacity(DynamoArgs),
}

#[derive(clap::Args, Debug)]
pub struct LoadArgs {
    /// Follow graph: `a<TAB>b` per line, meaning a follows b.
    #[arg(long)]
    graph: PathBuf,

    /// Tweets: one tweet text per line.
    #[arg(long)]
    tweets: PathBuf,

    /// Concurrent clients per scenario.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,

    /// Requests per scenario.
    #[arg(long, default_value_t = 2000)]
    requests: usize,

    /// Directory for the SVG plots; none are written when unset.
    #[arg(long)]
    plots: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
struct DynamoArgs {
    /// Endpoint of a local DynamoDB-compatible server on a loopback address; default: the
    /// `CHIRP_TEST_DYNAMODB_ENDPOINT` environment variable.
    #[arg(long)]
    dynamodb_endpoint: Option<String>,
}

impl DynamoArgs {
    fn endpoint(&self) -> Result<String, String> {
        self.dynamodb_endpoint.clone().or_else(|| std::env::var(ENDPOINT_VARIABLE).ok()).ok_or_else(|| {
            format!("pass --dynamodb-endpoint or set {ENDPOINT_VARIABLE} (eval \"$(infra/moto/start.sh)\" does)")
        })
    }
}

#[derive(clap::Args, Debug)]
struct ColdStartArgs {
    /// Directory with one `<binary>/bootstrap` per function, as `cargo lambda build` writes
    /// them (`<target dir>/lambda`).
    #[arg(long)]
    lambda_dir: PathBuf,

    /// Cold starts per function.
    #[arg(long, default_value_t = 10)]
    runs: usize,

    #[command(flatten)]
    dynamo: DynamoArgs,
}

#[tokio::main]
async fn main() {
    let result = match Cli::parse().command {
        Command::Load(args) => load(args).await,
        Command::ColdStart(args) => cold_start(args).await,
        Command::Capacity(args) => capacity_units(args).await,
    };
    if let Err(error) = result {
        eprintln!("chirp-bench: {error}");
        std::process::exit(1);
    }
}

async fn cold_start(args: ColdStartArgs) -> Result<(), String> {
    if args.runs == 0 {
        return Err("--runs must be at least 1".into());
    }
    let measured = coldstart::measure(&args.lambda_dir, &args.dynamo.endpoint()?, args.runs).await?;
    if measured.is_empty() {
        return Err(format!("no function binary found under {}", args.lambda_dir.display()));
    }
    println!("{}", coldstart::markdown(&measured, args.runs));
    Ok(())
}

async fn capacity_units(args: DynamoArgs) -> Result<(), String> {
    let costs = capacity::measure(&args.endpoint()?).await?;
    println!("{}", capacity::markdown(&costs));
    Ok(())
}

async fn load(args: LoadArgs) -> Result<(), String> {
    let graph = graph::Graph::read(&args.graph)?;
    let data_dir = tempfile::tempdir().map_err(|error| error.to_string())?;

    let started = Instant::now();
    let load_args = chirp_local::load::LoadArgs {
        graph: args.graph.clone(),
        tweets: args.tweets.clone(),
        seed: 42,
        password: graph::PASSWORD.into(),
    };
    let report = chirp_local::load::load(data_dir.path(), &load_args).await?;
    println!("## Load\n");
    println!(
        "{} accounts, {} follows, {} tweets in {:.1} s\n",
        report.accounts,
        report.follows,
        report.tweets,
        started.elapsed().as_secs_f64()
    );

    let options = chirp_local::server::Options {
        listen: "127.0.0.1:0".parse().expect("a valid address"),
        data_dir: data_dir.path().to_owned(),
        // The benchmark measures the API, not its rate limits.
        rate_limits: chirp_shared::ratelimit::RateLimits::off(),
        celebrity_threshold: None,
    };
    let server = chirp_local::start(options).await?;
    let base = format!("http://{}", server.addr);
    let results = scenarios::run_all(&base, &graph, args.concurrency, args.requests).await?;
    server.stop().await;

    println!("{}", results.markdown(args.concurrency, args.requests));
    let costs = round_trips::measure(data_dir.path(), &graph).await?;
    println!("{}", round_trips::markdown(&costs));

    if let Some(dir) = &args.plots {
        std::fs::create_dir_all(dir).map_err(|error| error.to_string())?;
        plots::write_all(dir, &results)?;
        println!("plots written to {}", dir.display());
    }
    Ok(())
}
