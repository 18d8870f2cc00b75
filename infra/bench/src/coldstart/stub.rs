//! A local stand-in for the Lambda Runtime API, enough for one cold start: it hands out one
//! event on the first `GET /2018-06-01/runtime/invocation/next`, records when the function
//! first asked and how it answered, and keeps every later `next` waiting, as Lambda does
//! between invocations. It listens on 127.0.0.1 only.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::Notify;

/// Prefix of every Runtime API path.
const API: &str = "/2018-06-01/runtime";

/// Deadline the stub gives the invocation, as Lambda's timeout would: 30 s.
const DEADLINE: Duration = Duration::from_secs(30);

/// How the function answered its one invocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// `POST /invocation/{id}/response`, with the body.
    Response(String),
    /// `POST /invocation/{id}/error`, with the body.
    Error(String),
    /// `POST /init/error`: the function failed before asking for an event.
    InitError(String),
}

/// What the stub saw, with the moments it saw it.
#[derive(Clone, Debug, Default)]
pub struct Observation {
    /// The first `next` request: the end of the function's init phase.
    pub first_next: Option<Instant>,
    /// The answer to the invocation, or an init error.
    pub outcome: Option<(Instant, Outcome)>,
}

struct Shared {
    request_id: String,
    event: Mutex<Option<String>>,
    seen: Mutex<Observation>,
    answered: Notify,
}

/// A running stub with one event to hand out. Dropping it stops the server.
pub struct RuntimeStub {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl RuntimeStub {
    /// Starts the stub on a free port of 127.0.0.1 with `event` (JSON text) to hand out.
    pub async fn start(event: String) -> Result<Self, String> {
        let shared = Arc::new(Shared {
            request_id: format!("{:032x}", rand::random::<u128>()),
            event: Mutex::new(Some(event)),
            seen: Mutex::new(Observation::default()),
            answered: Notify::new(),
        });
        let router = Router::new()
            .route(&format!("{API}/invocation/next"), get(next))
            .route(&format!("{API}/invocation/{{id}}/response"), post(response))
            .route(&format!("{API}/invocation/{{id}}/error"), post(invocation_error))
            .route(&format!("{API}/init/error"), post(init_error))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|error| format!("the Runtime API stub cannot listen on 127.0.0.1: {error}"))?;
        let addr = listener.local_addr().map_err(|error| error.to_string())?;
        // No graceful shutdown: a function parked on its second `next` would hold it open.
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(Self { addr, shared, server })
    }

    /// Waits until the function has answered (or reported an init error), at most `timeout`,
    /// and returns what the stub saw, answered or not.
    pub async fn wait(&self, timeout: Duration) -> Observation {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Registered before the check, so an answer between the two is not missed.
            let answered = self.shared.answered.notified();
            let seen = self.observation();
            if seen.outcome.is_some() || tokio::time::Instant::now() >= deadline {
                return seen;
            }
            let _ = tokio::time::timeout_at(deadline, answered).await;
        }
    }

    pub fn observation(&self) -> Observation {
        self.shared.seen.lock().expect("the stub's lock is not poisoned").clone()
    }
}

impl Drop for RuntimeStub {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn next(State(shared): State<Arc<Shared>>) -> Response {
    let now = Instant::now();
    shared.seen.lock().expect("not poisoned").first_next.get_or_insert(now);
    let event = shared.event.lock().expect("not poisoned").take();
    let Some(event) = event else {
        // One invocation per cold start: later polls wait until the process is killed.
        std::future::pending::<()>().await;
        unreachable!("a pending future never completes");
    };
    let deadline_ms = (SystemTime::now() + DEADLINE)
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis());
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    set("content-type", "application/json".into());
    set("lambda-runtime-aws-request-id", shared.request_id.clone());
    set("lambda-runtime-deadline-ms", deadline_ms.to_string());
    set(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:us-east-1:000000000000:function:chirp-bench".into(),
    );
    set("lambda-runtime-trace-id", "Root=1-00000000-000000000000000000000000;Sampled=0".into());
    (StatusCode::OK, headers, event).into_response()
}

async fn response(State(shared): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    answer(&shared, Some(&id), Outcome::Response(text(&body)))
}

async fn invocation_error(State(shared): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    answer(&shared, Some(&id), Outcome::Error(text(&body)))
}

async fn init_error(State(shared): State<Arc<Shared>>, body: Bytes) -> StatusCode {
    answer(&shared, None, Outcome::InitError(text(&body)))
}

/// Records the first answer. An answer for another request id is refused, as Lambda does.
fn answer(shared: &Shared, id: Option<&str>, outcome: Outcome) -> StatusCode {
    if id.is_some_and(|id| id != shared.request_id) {
        return StatusCode::BAD_REQUEST;
    }
    let now = Instant::now();
    shared.seen.lock().expect("not poisoned").outcome.get_or_insert((now, outcome));
    shared.answered.notify_waiters();
    StatusCode::ACCEPTED
}

fn text(body: &Bytes) -> String {
    String::from_utf8_lossy(body).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(stub: &RuntimeStub, path: &str) -> String {
        format!("http://{}{API}{path}", stub.addr)
    }

    #[tokio::test]
    async fn hands_out_the_event_once_and_records_the_response() {
        let stub = RuntimeStub::start(r#"{"hello":"world"}"#.into()).await.unwrap();
        assert!(stub.addr.ip().is_loopback());
        let client = reqwest::Client::new();

        let first = client.get(url(&stub, "/invocation/next")).send().await.unwrap();
        assert_eq!(first.status(), 200);
        let id = first.headers()["lambda-runtime-aws-request-id"].to_str().unwrap().to_owned();
        let deadline: u128 = first.headers()["lambda-runtime-deadline-ms"].to_str().unwrap().parse().unwrap();
        assert!(deadline > SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis());
        assert_eq!(first.text().await.unwrap(), r#"{"hello":"world"}"#);

        let wrong = client.post(url(&stub, "/invocation/other/response")).body("{}").send().await.unwrap();
        assert_eq!(wrong.status(), 400);
        let ok = client.post(url(&stub, &format!("/invocation/{id}/response"))).body("done").send().await.unwrap();
        assert_eq!(ok.status(), 202);

        let seen = stub.wait(Duration::from_secs(5)).await;
        let (answered_at, outcome) = seen.outcome.unwrap();
        assert_eq!(outcome, Outcome::Response("done".into()));
        assert!(seen.first_next.unwrap() <= answered_at);

        // A second poll waits: there is no second invocation in a cold start.
        let second = tokio::time::timeout(Duration::from_millis(200), client.get(url(&stub, "/invocation/next")).send()).await;
        assert!(second.is_err(), "the second poll must stay pending");
    }

    #[tokio::test]
    async fn records_invocation_and_init_errors() {
        let stub = RuntimeStub::start("{}".into()).await.unwrap();
        let client = reqwest::Client::new();
        client.post(url(&stub, "/init/error")).body("no table").send().await.unwrap();
        let seen = stub.wait(Duration::from_secs(5)).await;
        assert_eq!(seen.outcome.unwrap().1, Outcome::InitError("no table".into()));
        assert!(seen.first_next.is_none());

        let stub = RuntimeStub::start("{}".into()).await.unwrap();
        let next = client.get(url(&stub, "/invocation/next")).send().await.unwrap();
        let id = next.headers()["lambda-runtime-aws-request-id"].to_str().unwrap().to_owned();
        client.post(url(&stub, &format!("/invocation/{id}/error"))).body("boom").send().await.unwrap();
        let seen = stub.wait(Duration::from_secs(5)).await;
        assert_eq!(seen.outcome.unwrap().1, Outcome::Error("boom".into()));
    }

    #[tokio::test]
    async fn wait_gives_up_after_the_timeout() {
        let stub = RuntimeStub::start("{}".into()).await.unwrap();
        let started = Instant::now();
        let seen = stub.wait(Duration::from_millis(100)).await;
        assert!(seen.outcome.is_none());
        assert!(started.elapsed() >= Duration::from_millis(100));
    }
}
