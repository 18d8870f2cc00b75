//! `chirp-local`: runs the whole Chirp API on this machine with no AWS account, or loads a
//! follow graph and tweets into its data directory.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "chirp-local", version, about = "Run the Chirp API locally on the embedded SQLite store or a DynamoDB table")]
struct Cli {
    /// Address to listen on; keep it on loopback unless you mean to expose the API.
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: SocketAddr,

    /// Directory of the SQLite database, the change stream and the signing secret.
    #[arg(long, default_value = "./.chirp")]
    data_dir: PathBuf,

    /// Run on this existing DynamoDB table (with a NEW_AND_OLD_IMAGES stream) instead of the
    /// SQLite store, polling its stream for the stream handlers. Region, credentials and
    /// endpoint come from the standard AWS environment, such as AWS_REGION and
    /// AWS_ENDPOINT_URL_DYNAMODB. The signing secret is CHIRP_SECRET, else random for the run.
    #[arg(long, value_name = "NAME")]
    dynamodb_table: Option<String>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Load a follow graph and a tweets file as accounts, follows and tweets, then run fan-out
    /// to completion. Stop the server first: the data directory takes one process at a time.
    Load(chirp_local::load::LoadArgs),
}

#[tokio::main]
async fn main() {
    chirp_shared::telemetry::init();
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Load(args)) => chirp_local::load::run(&cli.data_dir, args).await,
        None => serve(cli.listen, cli.data_dir, cli.dynamodb_table).await,
    };
    if let Err(error) = result {
        eprintln!("chirp-local: {error}");
        std::process::exit(1);
    }
}

async fn serve(listen: SocketAddr, data_dir: PathBuf, dynamodb_table: Option<String>) -> Result<(), String> {
    let rate_limits = chirp_shared::ratelimit::RateLimits::from_env()?;
    let choice = match dynamodb_table {
        Some(table) => chirp_local::StoreChoice::DynamoDb(chirp_local::DynamoDbTable::from_env(table).await),
        None => chirp_local::StoreChoice::Sqlite,
    };
    let options = chirp_local::server::Options { listen, data_dir, rate_limits, celebrity_threshold: None };
    let server = chirp_local::start_on(options, choice).await?;
    println!("Chirp API on http://{}/api/ (Ctrl-C stops it)", server.addr);
    wait_for_signal().await;
    server.stop().await;
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate()).expect("SIGTERM handler installs");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
