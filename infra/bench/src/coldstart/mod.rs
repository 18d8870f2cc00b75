//! Cold start of each function binary: the process is started against a local Runtime API
//! stub with a realistic first event, and timed until it has answered. Reports init time
//! (start until the first `next` request), time to first response, binary size and peak
//! resident memory (`VmHWM` just before the process is killed).
//!
//! The HTTP functions talk to a table on a local DynamoDB-compatible server (moto on
//! 127.0.0.1), seeded through the API, so their first request reads real items. The avatar
//! processor reads a real upload from a bucket on the same server.

pub mod avatars;
pub mod events;
pub mod stub;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use chirp_shared::model::user::user_id_of;
use chirp_shared::store::ItemExt;
use chirp_shared::store::sqlite::{ChangeRecord, EventName};
use tokio::io::AsyncReadExt;
use tokio::process::Command;

use self::avatars::BenchBucket;
use self::stub::{Outcome, RuntimeStub};
use crate::capacity::{DynamoRig, SECRET};
use crate::dynamo::{ACCESS_KEY_ID, BenchTable, REGION, SECRET_ACCESS_KEY};
use crate::round_trips::login;

/// Maximum wait for one cold start to respond.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(20);

/// Memory Lambda would give the function, passed in `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` (MB).
/// Nothing here enforces it.
const MEMORY_SIZE_MB: &str = "128";

/// One function binary and the first event it gets.
pub struct Target {
    /// Binary name, such as `chirp-accounts`; also the Lambda function name.
    pub name: &'static str,
    /// What the event asks, for the report.
    pub request: String,
    pub event: String,
}

/// Timings of one cold start.
#[derive(Clone, Debug)]
pub struct Run {
    pub init: Duration,
    pub first_response: Duration,
    pub peak_rss_kib: u64,
    /// HTTP status of the answer, or `ok` / `N failed` for a stream batch.
    pub answer: String,
}

/// Every run of one binary.
pub struct Measured {
    pub name: &'static str,
    pub request: String,
    pub binary_bytes: u64,
    pub runs: Vec<Run>,
}

/// Seeds a table at `endpoint`, then starts each binary found in `lambda_dir`
/// (`<name>/bootstrap`, as `cargo lambda build` lays them out) `runs` times.
pub async fn measure(lambda_dir: &Path, endpoint: &str, runs: usize) -> Result<Vec<Measured>, String> {
    let table = BenchTable::create(endpoint).await?;
    let bucket = match BenchBucket::create(endpoint).await {
        Ok(bucket) => bucket,
        Err(error) => {
            table.delete().await;
            return Err(error);
        }
    };
    let result = measure_on(&table, &bucket, lambda_dir, runs).await;
    bucket.delete().await;
    table.delete().await;
    result
}

async fn measure_on(table: &BenchTable, bucket: &BenchBucket, lambda_dir: &Path, runs: usize) -> Result<Vec<Measured>, String> {
    let rig = DynamoRig::new(table)?;
    let seeded = crate::seed::seed(&rig).await?;
    let token = login(&rig, &seeded.cast.reader).await?;
    let targets = targets(&seeded, &token, &rig.seen_changes(), &bucket.name)?;
    let env = environment(table, &bucket.name);
    let uploader = user_id_of(&seeded.cast.reader);

    let mut measured = Vec::new();
    for target in targets {
        let binary = lambda_dir.join(target.name).join("bootstrap");
        let Ok(metadata) = std::fs::metadata(&binary) else {
            eprintln!("chirp-bench: skipping {}: no {}", target.name, binary.display());
            continue;
        };
        let mut all = Vec::with_capacity(runs);
        for run in 0..runs {
            // Documentation addresses (TEST-NET-2): only labels in the event, never contacted.
            let mut event = events::with_client(&target.event, &format!("198.51.100.{}", run % 250 + 1));
            let upload =
                if event.contains(avatars::KEY_PLACEHOLDER) { Some(bucket.upload(&uploader).await?) } else { None };
            if let Some(key) = &upload {
                event = avatars::with_upload(&event, key);
            }
            let mut measured_run = run_once(&binary, target.name, &env, &event).await?;
            // The processor deletes an upload once its renditions are written.
            if let Some(key) = &upload
                && bucket.exists(key).await
            {
                measured_run.answer = "upload left".into();
            }
            all.push(measured_run);
        }
        measured.push(Measured { name: target.name, request: target.request, binary_bytes: metadata.len(), runs: all });
    }
    Ok(measured)
}

/// The first event of each function: a public read for most HTTP functions, an authenticated
/// one where every route needs a login, and a record of the seeded data for stream handlers.
fn targets(seeded: &crate::seed::Seeded, token: &str, changes: &[ChangeRecord], bucket: &str) -> Result<Vec<Target>, String> {
    let celebrity = &seeded.cast.celebrity;
    let tweet = &seeded.tweet_id;
    let http = |name, route: &str, path: String, query: &str, token: Option<&str>| Target {
        name,
        request: format!("GET {path}{}{query}", if query.is_empty() { "" } else { "?" }),
        event: events::http_get(route, &path, query, token),
    };
    let insert_of = |entity: &str| -> Result<&ChangeRecord, String> {
        changes
            .iter()
            .rev()
            .find(|change| {
                change.event_name == EventName::Insert
                    && change.new_image.as_ref().and_then(|item| item.string("entity")) == Some(entity)
            })
            .ok_or_else(|| format!("the seeded data wrote no {entity} item"))
    };
    let stream = |name, entity: &str| -> Result<Target, String> {
        Ok(Target { name, request: format!("stream: INSERT of a {entity}"), event: events::stream(insert_of(entity)?) })
    };
    Ok(vec![
        http("chirp-service", "/api/health/", "/api/health/".into(), "", None),
        http("chirp-accounts", "/api/accounts/{username}/", format!("/api/accounts/{celebrity}/"), "", None),
        http("chirp-social", "/api/accounts/{username}/followers/", format!("/api/accounts/{celebrity}/followers/"), "", None),
        http("chirp-tweets", "/api/tweets/{id}/", format!("/api/tweets/{tweet}/"), "", None),
        http("chirp-likes", "/api/tweets/{id}/likes/", format!("/api/tweets/{tweet}/likes/"), "", None),
        http("chirp-timelines", "/api/accounts/{username}/tweets/", format!("/api/accounts/{celebrity}/tweets/"), "", None),
        http("chirp-search", "/api/tweets/search/", "/api/tweets/search/".into(), "q=tweet", None),
        http("chirp-notifications", "/api/notifications/", "/api/notifications/".into(), "", Some(token)),
        http("chirp-moderation", "/api/moderation/audit/", "/api/moderation/audit/".into(), "", Some(token)),
        stream("chirp-fanout", "tweet")?,
        stream("chirp-notifier", "like")?,
        stream("chirp-indexer", "tweet")?,
        Target {
            name: "chirp-avatars",
            request: "S3: ObjectCreated of a 512 px PNG".into(),
            event: avatars::object_created(bucket),
        },
    ])
}

/// Builds the environment Lambda and the template give every function, pointed at the local table. The child's
/// environment is cleared first, so nothing of the caller's (proxies, profiles) leaks in, and
/// the SDK never looks for instance metadata.
fn environment(table: &BenchTable, bucket: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", MEMORY_SIZE_MB.into()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/chirp-bench".into()),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "2026/12/05/[$LATEST]chirpbench".into()),
        ("_HANDLER", "bootstrap".into()),
        ("LAMBDA_TASK_ROOT", "/var/task".into()),
        ("AWS_REGION", REGION.into()),
        ("AWS_DEFAULT_REGION", REGION.into()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID.into()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY.into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("AWS_ENDPOINT_URL", table.endpoint.clone()),
        ("CHIRP_TABLE", table.name.clone()),
        ("CHIRP_SECRET", SECRET.into()),
        ("CHIRP_AVATAR_BUCKET", bucket.into()),
        // Only written into profiles. Nothing is fetched from it.
        ("CHIRP_AVATAR_BASE_URL", "http://127.0.0.1/media".into()),
    ]
}

/// Starts the binary once, serves it its event, and kills it after its answer.
async fn run_once(binary: &Path, name: &str, env: &[(&'static str, String)], event: &str) -> Result<Run, String> {
    let stub = RuntimeStub::start(event.to_owned()).await?;
    let mut command = Command::new(binary);
    command
        .env_clear()
        .envs(env.iter().map(|(key, value)| (*key, value.as_str())))
        .env("AWS_LAMBDA_FUNCTION_NAME", name)
        .env("AWS_LAMBDA_RUNTIME_API", stub.addr.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);

    let started = Instant::now();
    let mut child = command.spawn().map_err(|error| format!("cannot start {}: {error}", binary.display()))?;
    let seen = stub.wait(ANSWER_TIMEOUT).await;
    let peak_rss_kib = child.id().and_then(peak_rss_kib).unwrap_or(0);
    let _ = child.start_kill();
    let _ = child.wait().await;
    let mut log = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        let _ = stderr.read_to_string(&mut log).await;
    }

    let failure = |what: &str| format!("{name} {what}; its log:\n{}", tail(&log, 20));
    let (answered_at, outcome) = seen.outcome.ok_or_else(|| failure("did not answer"))?;
    let answer = match outcome {
        Outcome::Response(body) => describe_answer(&body),
        Outcome::Error(body) => return Err(failure(&format!("reported an invocation error: {body}"))),
        Outcome::InitError(body) => return Err(failure(&format!("reported an init error: {body}"))),
    };
    let first_next = seen.first_next.ok_or_else(|| failure("answered without asking for an event"))?;
    Ok(Run { init: first_next - started, first_response: answered_at - started, peak_rss_kib, answer })
}

/// Describes a response: the HTTP status of an HTTP API response, or the outcome of a stream batch.
fn describe_answer(body: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    // A handler without a response body, such as the avatar processor, returns `null`.
    if value.is_null() {
        return "ok".into();
    }
    if let Some(status) = value.get("statusCode").and_then(|status| status.as_u64()) {
        return status.to_string();
    }
    match value.get("batchItemFailures").and_then(|failures| failures.as_array()) {
        Some(failures) if failures.is_empty() => "no failures".into(),
        Some(failures) => format!("{} failed", failures.len()),
        None => "unknown answer".into(),
    }
}

/// Counts each distinct answer, as in `200 ×9, 429 ×1`.
fn answers(runs: &[Run]) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for run in runs {
        match counts.iter_mut().find(|(answer, _)| *answer == run.answer) {
            Some((_, count)) => *count += 1,
            None => counts.push((&run.answer, 1)),
        }
    }
    counts.iter().map(|(answer, count)| format!("{answer} ×{count}")).collect::<Vec<_>>().join(", ")
}

/// `VmHWM` of a running process, in KiB: its peak resident set so far.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vm_hwm(&status)
}

fn parse_vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The median of `values`, which must not be empty.
fn median(values: &mut [Duration]) -> Duration {
    values.sort_unstable();
    values[values.len() / 2]
}

fn millis(duration: Duration) -> String {
    format!("{:.1}", duration.as_secs_f64() * 1000.0)
}

pub fn markdown(measured: &[Measured], runs: usize) -> String {
    let mut out = format!(
        "## Cold start per function\n\n{runs} cold starts each against a local Runtime API stub; \
         times from process start, medians with the slowest run in brackets.\n\n\
         | function | first event | answer | binary MB | init ms | first response ms | peak RSS MB |\n\
         |---|---|---|---|---|---|---|\n"
    );
    for function in measured {
        let mut init: Vec<Duration> = function.runs.iter().map(|run| run.init).collect();
        let mut first: Vec<Duration> = function.runs.iter().map(|run| run.first_response).collect();
        let slowest_init = init.iter().max().copied().unwrap_or_default();
        let slowest_first = first.iter().max().copied().unwrap_or_default();
        let rss = function.runs.iter().map(|run| run.peak_rss_kib).max().unwrap_or(0);
        let answer = answers(&function.runs);
        out.push_str(&format!(
            "| {} | {} | {} | {:.2} | {} ({}) | {} ({}) | {:.1} |\n",
            function.name,
            function.request,
            answer,
            function.binary_bytes as f64 / 1e6,
            millis(median(&mut init)),
            millis(slowest_init),
            millis(median(&mut first)),
            millis(slowest_first),
            rss as f64 / 1024.0,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_peak_resident_set() {
        let status = "Name:\tbootstrap\nVmPeak:\t  123456 kB\nVmHWM:\t    9876 kB\nVmRSS:\t    9000 kB\n";
        assert_eq!(parse_vm_hwm(status), Some(9876));
        assert_eq!(parse_vm_hwm("Name:\tx\n"), None);
        // This process has a peak resident set of at least a few pages.
        assert!(peak_rss_kib(std::process::id()).is_some_and(|kib| kib > 0));
    }

    #[test]
    fn describes_answers() {
        assert_eq!(describe_answer(r#"{"statusCode":200,"body":"{}"}"#), "200");
        assert_eq!(describe_answer(r#"{"batchItemFailures":[]}"#), "no failures");
        assert_eq!(describe_answer(r#"{"batchItemFailures":[{"itemIdentifier":"1"}]}"#), "1 failed");
        assert_eq!(describe_answer("null"), "ok");
    }
}
