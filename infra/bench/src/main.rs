//! `chirp-bench`: loads a follow graph and tweets into a fresh local runtime, drives it over
//! HTTP on 127.0.0.1 with concurrent clients, and prints latency, throughput, fan-out lag and
//! round trips per request as Markdown, with SVG plots.

mod graph;
mod plots;
mod round_trips;
mod scenarios;
mod stats;

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;

#[derive(Parser, Debug)]
#[command(name = "chirp-bench", about = "Benchmark Chirp's local runtime on real data")]
pub struct Args {
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

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if let Err(error) = run(args).await {
        eprintln!("chirp-bench: {error}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<(), String> {
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
