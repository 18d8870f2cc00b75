//! The HTTP side of the local runtime: one server that routes each request to the endpoint
//! group that owns its path, exactly as API Gateway routes to the group's function.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Body as AxumBody;
use axum::extract::{ConnectInfo, State};
use chirp_shared::app::App;
use chirp_shared::config::{Config, token_ttl_from_env};
use chirp_shared::http::{self, ApiError, MAX_BODY_BYTES, Request, Response, match_route};
use chirp_shared::ratelimit::RateLimits;
use chirp_shared::store::Store;
use chirp_shared::store::sqlite::SqliteStore;
use lambda_http::Body;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::backend::{self, StoreChoice};
use crate::avatars::{LocalMedia, MEDIA_PATH};
use crate::data_dir::DataDir;
use crate::streams::Progress;

/// Where the local runtime listens and keeps its data.
#[derive(Clone, Debug)]
pub struct Options {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// Rate limits of every request; `RateLimits::from_env()` gives the deployed behaviour.
    pub rate_limits: RateLimits,
    /// Followers above which an author is merged into feeds at read time instead of fanned
    /// out; `None` reads `CHIRP_CELEBRITY_THRESHOLD` (default 10,000).
    pub celebrity_threshold: Option<i64>,
}

/// A running local runtime.
pub struct Server {
    /// The address the server listens on (useful when the port was 0).
    pub addr: SocketAddr,
    pub store: Arc<dyn Store>,
    /// The embedded store, when the runtime runs on SQLite rather than DynamoDB.
    pub sqlite: Option<Arc<SqliteStore>>,
    /// The DynamoDB Streams pollers' progress, when the runtime runs on DynamoDB.
    pub(crate) streams: Option<Arc<Progress>>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    _data_dir: Option<DataDir>,
}

struct Shared {
    app: App,
    media: LocalMedia,
    next_request_id: AtomicU64,
}

/// Opens the data directory, binds the listener and starts the server and one stream pump per
/// consumer.
pub async fn start(options: Options) -> Result<Server, String> {
    start_on(options, StoreChoice::Sqlite).await
}

/// Starts the server on the chosen store: SQLite in the data directory with one stream pump
/// per consumer, or a DynamoDB table with one DynamoDB Streams poller per consumer.
pub async fn start_on(options: Options, choice: StoreChoice) -> Result<Server, String> {
    let opened = backend::open(&choice, &options.data_dir).await?;
    let config = Config { secret: opened.secret.clone(), token_ttl_seconds: token_ttl_from_env()? };
    let app = App::new(opened.store.clone(), &config)?.with_rate_limits(options.rate_limits.clone());

    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|error| format!("cannot listen on {}: {error}", options.listen))?;
    let addr = listener.local_addr().map_err(|error| error.to_string())?;
    let (shutdown, receiver) = watch::channel(false);

    let media = LocalMedia::new(&options.data_dir, addr, &config.secret, app.store.clone());
    let app = app.with_avatars(media.avatars());
    let shared = Arc::new(Shared { app, media, next_request_id: AtomicU64::new(1) });
    let router = Router::new().fallback(serve).with_state(shared);
    let mut http_shutdown = receiver.clone();
    let server = tokio::spawn(async move {
        let stop = async move {
            let _ = http_shutdown.wait_for(|stop| *stop).await;
        };
        // Graceful: in-flight requests finish, so every acknowledged write is committed.
        // The peer address is the client IP that rate limits count by.
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        if let Err(error) = axum::serve(listener, service).with_graceful_shutdown(stop).await {
            tracing::error!(%error, "HTTP server failed");
        }
    });
    let mut tasks = vec![server];
    let (streams, consumer_tasks) = opened.spawn_consumers(&receiver, options.celebrity_threshold);
    tasks.extend(consumer_tasks);

    tracing::info!(%addr, data_dir = %options.data_dir.display(), "chirp-local listening");
    Ok(Server {
        addr,
        store: opened.store,
        sqlite: opened.sqlite,
        streams,
        shutdown,
        tasks,
        _data_dir: opened.data_dir,
    })
}

impl Server {
    /// Stops accepting requests, lets in-flight ones and the pump's current batch finish, and
    /// releases the data directory.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        tracing::info!("chirp-local stopped");
    }
}

async fn serve(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: axum::extract::Request,
) -> axum::response::Response {
    // Avatar uploads are up to 2 MiB, above the API's body limit, so they go before it.
    if request.uri().path().starts_with(MEDIA_PATH) {
        return shared.media.serve(request).await;
    }
    let request_id = shared.next_request_id.fetch_add(1, Ordering::Relaxed);
    let (mut parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => return into_axum(too_large()),
    };

    // Shape the request as lambda_http hands it over behind API Gateway: an absolute URI and
    // a text or binary body.
    let host = parts.headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("localhost").to_owned();
    let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    if let Ok(uri) = format!("http://{host}{path_and_query}").parse() {
        parts.uri = uri;
    }
    parts.headers.insert("x-forwarded-proto", "http".parse().expect("valid header"));
    parts.headers.insert("x-request-id", request_id.into());
    // Like a proxy in front of Lambda: the socket peer replaces any client-sent value, so a
    // client cannot pick the IP its rate limit is counted by.
    parts.headers.insert("x-forwarded-for", peer.ip().to_string().parse().expect("an IP address is a valid header"));
    let body = if bytes.is_empty() {
        Body::Empty
    } else {
        match String::from_utf8(bytes.to_vec()) {
            Ok(text) => Body::Text(text),
            Err(error) => Body::Binary(error.into_bytes()),
        }
    };
    let request = Request::from_parts(parts, body);

    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = std::time::Instant::now();
    let response = dispatch(&shared.app, request).await;
    tracing::debug!(request_id, %method, path, status = response.status().as_u16(), elapsed_ms = started.elapsed().as_millis() as u64, "request");
    into_axum(response)
}

/// Sends the request to the group that owns its path, in the order API Gateway would prefer
/// them: literal paths such as `/api/tweets/feed` before `/api/tweets/{id}`.
pub async fn dispatch(app: &App, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let owns = |routes: &[http::Route]| match_route(routes, &path).is_some();
    // Search first: its literal `search` paths would otherwise match `/api/tweets/{id}` and
    // `/api/accounts/{username}`.
    if owns(chirp_search::ROUTES) {
        chirp_search::handle(app, request).await
    } else if owns(chirp_moderation::ROUTES) {
        chirp_moderation::handle(app, request).await
    } else if owns(chirp_notifications::ROUTES) {
        chirp_notifications::handle(app, request).await
    } else if owns(chirp_timelines::ROUTES) {
        chirp_timelines::handle(app, request).await
    } else if owns(chirp_service::ROUTES) {
        chirp_service::handle(app, request).await
    } else if owns(chirp_accounts::ROUTES) {
        chirp_accounts::handle(app, request).await
    } else if owns(chirp_social::ROUTES) {
        chirp_social::handle(app, request).await
    } else if owns(chirp_likes::ROUTES) {
        chirp_likes::handle(app, request).await
    } else if owns(chirp_tweets::ROUTES) {
        chirp_tweets::handle(app, request).await
    } else {
        let not_found = async { Err(ApiError::not_found(format!("No endpoint at {path}."))) };
        http::serve(app, &request, not_found).await
    }
}

fn too_large() -> Response {
    let error = ApiError::new(
        ::http::StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("Request body is larger than {MAX_BODY_BYTES} bytes."),
    );
    let body = error.body();
    ::http::Response::builder()
        .status(error.status)
        .header("content-type", "application/json")
        .body(Body::Text(body))
        .expect("static headers are valid")
}

fn into_axum(response: Response) -> axum::response::Response {
    let (parts, body) = response.into_parts();
    let body = match body {
        Body::Empty => AxumBody::empty(),
        Body::Text(text) => AxumBody::from(text),
        Body::Binary(bytes) => AxumBody::from(bytes),
        _ => AxumBody::empty(),
    };
    axum::response::Response::from_parts(parts, body)
}
