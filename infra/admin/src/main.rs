//! `chirp-admin`: operator commands against a chirp-local data directory or a DynamoDB table.

use std::cell::Cell;
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use chirp_admin::{accounts, checkpoint, counters, search_index, timelines};
use chirp_local::data_dir::DataDir;
use chirp_shared::domain::moderation;
use chirp_shared::error::DomainError;
use chirp_shared::permissions::{Actor, Role};
use chirp_shared::store::Store;
use chirp_shared::store::dynamodb::{DynamoStore, create_table};
use clap::{ArgGroup, Parser, Subcommand};

#[derive(Parser)]
#[command(name = "chirp-admin", about = "Operator commands for Chirp: accounts, roles, suspensions and repairs.")]
#[command(group(ArgGroup::new("target").required(true).args(["data_dir", "table"])))]
struct Cli {
    /// chirp-local data directory; taken with the same lock as chirp-local, so stop the server
    /// first.
    #[arg(long, value_name = "PATH")]
    data_dir: Option<PathBuf>,
    /// DynamoDB table name; credentials and region come from the standard AWS configuration
    /// (environment, profile, instance role).
    #[arg(long, value_name = "NAME")]
    table: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the DynamoDB table given by --table, with the layout template.yaml deploys (keys,
    /// GSI1 to GSI3, stream, TTL), and wait until it is active. For local emulators such as moto.
    CreateTable,
    /// Create an account with the admin role. Reads the password from the first line of stdin
    /// unless --password is given.
    CreateAdmin {
        username: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: Option<String>,
    },
    /// Print an account's role, suspension and counters as JSON.
    Show { username: String },
    /// Suspend an account: it cannot log in, its tokens stop working and its tweets are hidden.
    Suspend {
        username: String,
        #[arg(long)]
        reason: String,
    },
    /// Reinstate a suspended account.
    Reinstate {
        username: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Set an account's role: user, moderator or admin.
    SetRole { username: String, role: String },
    /// Rebuild one user's home timeline, or every user's (resumable), from follows and tweets.
    RebuildTimelines { username: Option<String> },
    /// Rewrite the search index items (tweet terms and name prefixes) of every user from the
    /// users and tweets (resumable).
    RebuildSearchIndex,
    /// Compare followers, following, tweets and likes counts with the rows they count
    /// (resumable); with --fix, set wrong counters to the counted value.
    VerifyCounters {
        #[arg(long)]
        fix: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt().with_writer(std::io::stderr).with_env_filter(
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
    ).init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("chirp-admin: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    if let Command::CreateTable = cli.command {
        let Some(table) = cli.table else {
            return Err("create-table needs --table NAME; a data directory needs no table".into());
        };
        let store = dynamodb_store(&table).await;
        create_table(store.client(), &table).await.map_err(|error| error.to_string())?;
        println!("created table {table}");
        return Ok(());
    }

    // The directory lock lives as long as `_data_dir`, so until the command ends.
    let (store, _data_dir): (Arc<dyn Store>, Option<DataDir>) = match (&cli.data_dir, &cli.table) {
        (Some(path), _) => {
            let data_dir = DataDir::open(path)?;
            (Arc::new(data_dir.open_store()?), Some(data_dir))
        }
        (None, Some(table)) => (Arc::new(dynamodb_store(table).await), None),
        (None, None) => unreachable!("clap requires --data-dir or --table"),
    };
    execute(&store, cli.command).await.map_err(|error| describe(&error))
}

/// Opens the table with the operator's AWS configuration (environment, profile files, STS),
/// unlike the functions, which read only Lambda's environment variables.
async fn dynamodb_store(table: &str) -> DynamoStore {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest()).load().await;
    DynamoStore::new(aws_sdk_dynamodb::Client::new(&config), table)
}

async fn execute(store: &Arc<dyn Store>, command: Command) -> Result<(), DomainError> {
    match command {
        Command::CreateTable => unreachable!("run creates the table before it opens a store"),
        Command::CreateAdmin { username, email, password } => {
            let password = match password {
                Some(password) => password,
                None => read_password()?,
            };
            accounts::create_admin(store, &username, &email, &password).await?;
            println!("created admin {username}");
        }
        Command::Show { username } => {
            println!("{:#}", accounts::show(store, &username).await?);
        }
        Command::Suspend { username, reason } => {
            let reason = moderation::validate_reason(&reason, true)?;
            let state = moderation::set_suspended(store, &Actor::Operator, &username, true, &reason).await?;
            println!("{}", serde_json::json!(state));
        }
        Command::Reinstate { username, reason } => {
            let reason = moderation::validate_reason(&reason, false)?;
            let state = moderation::set_suspended(store, &Actor::Operator, &username, false, &reason).await?;
            println!("{}", serde_json::json!(state));
        }
        Command::SetRole { username, role } => {
            let role = Role::parse(&role).map_err(DomainError::BadRequest)?;
            let state = moderation::set_role(store, &Actor::Operator, &username, role, "").await?;
            println!("{}", serde_json::json!(state));
        }
        Command::RebuildTimelines { username: Some(username) } => {
            let user = moderation::load_user(store, &username).await?;
            let rebuilt = timelines::rebuild_timeline(store, &user.user_id).await?;
            println!("{username}: {} entries added, {} removed", rebuilt.added, rebuilt.removed);
        }
        Command::RebuildTimelines { username: None } => {
            // Totals of this run only: users finished before a resume are not counted again.
            let (added, removed) = (Cell::new(0usize), Cell::new(0usize));
            checkpoint::for_each_user(store, "rebuild-timelines", |user_id| {
                let (store, added, removed) = (store.clone(), &added, &removed);
                async move {
                    let rebuilt = timelines::rebuild_timeline(&store, &user_id).await?;
                    added.set(added.get() + rebuilt.added);
                    removed.set(removed.get() + rebuilt.removed);
                    Ok(())
                }
            })
            .await?;
            println!("{} entries added, {} removed", added.get(), removed.get());
        }
        Command::RebuildSearchIndex => {
            let written = Cell::new(0usize);
            checkpoint::for_each_user(store, "rebuild-search-index", |user_id| {
                let (store, written) = (store.clone(), &written);
                async move {
                    written.set(written.get() + search_index::rebuild_user_index(&store, &user_id).await?);
                    Ok(())
                }
            })
            .await?;
            println!("{} index items written", written.get());
        }
        Command::VerifyCounters { fix } => {
            let wrong = Cell::new(0usize);
            checkpoint::for_each_user(store, if fix { "fix-counters" } else { "verify-counters" }, |user_id| {
                let (store, wrong) = (store.clone(), &wrong);
                async move {
                    for mismatch in counters::verify_user(&store, &user_id, fix).await? {
                        println!("{mismatch}{}", if fix { " (fixed)" } else { "" });
                        wrong.set(wrong.get() + 1);
                    }
                    Ok(())
                }
            })
            .await?;
            println!("{} wrong counters{}", wrong.get(), if fix { " fixed" } else { "" });
        }
    }
    Ok(())
}

fn read_password() -> Result<String, DomainError> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|error| DomainError::BadRequest(format!("cannot read the password from stdin: {error}")))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Formats a domain error for the terminal, with field messages spelled out.
fn describe(error: &DomainError) -> String {
    match error {
        DomainError::Validation(fields) => fields
            .iter()
            .map(|(field, messages)| format!("{field}: {}", messages.join(" ")))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}
