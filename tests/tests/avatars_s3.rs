//! Avatars on S3, against moto's S3 server: the presigned upload URL, the processor reading and
//! writing the bucket, and removal. Runs when `CHIRP_TEST_DYNAMODB_ENDPOINT` names a moto
//! server on this machine (moto serves S3 on the same port); start one with
//! `infra/moto/install.sh` and `eval "$(infra/moto/start.sh)"`.
//!
//! moto 5.2.5 accepts presigned requests without checking signatures, expiry or signed
//! headers, and sends bucket notifications to SQS rather than Lambda. So these tests upload
//! through the presigned URL, invoke the processor themselves, and assert what the URL signs
//! instead of S3 enforcing it. Profiles live in an embedded SQLite store.

mod avatar_images;

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;
use chirp_avatars::{Outcome, Processor, Rejection, process_upload};
use chirp_shared::app::App;
use chirp_shared::avatars::keys::avatars_prefix;
use chirp_shared::avatars::profile;
use chirp_shared::avatars::s3::S3Storage;
use chirp_shared::avatars::{Avatars, Fetched, UploadKey};
use chirp_shared::config::Config;
use chirp_shared::domain::accounts::{self, Registration, Viewer};
use chirp_shared::store::Store;
use chirp_shared::store::sqlite::SqliteStore;

const ENDPOINT_VARIABLE: &str = "CHIRP_TEST_DYNAMODB_ENDPOINT";
const PUBLIC_BASE_URL: &str = "https://avatars.example.test";

/// A fresh bucket and store with one registered user.
struct Setup {
    client: aws_sdk_s3::Client,
    bucket: String,
    app: App,
    processor: Processor,
    viewer: Viewer,
    _directory: tempfile::TempDir,
}

impl Setup {
    /// Returns `None` when no moto server is configured.
    async fn create() -> Option<Self> {
        let Ok(endpoint) = std::env::var(ENDPOINT_VARIABLE) else {
            eprintln!("skipped: {ENDPOINT_VARIABLE} is not set");
            return None;
        };
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(endpoint)
            .credentials_provider(Credentials::new("test", "test", None, None, "chirp-tests"))
            // Loopback has no per-bucket host names.
            .force_path_style(true)
            .build();
        let client = aws_sdk_s3::Client::from_conf(config);
        let bucket = format!("chirp-avatars-{:016x}", rand::random::<u64>());
        client.create_bucket().bucket(&bucket).send().await.expect("the test bucket is created");

        let directory = tempfile::tempdir().expect("a temporary directory");
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&directory.path().join("chirp.db")).expect("a store"));
        let avatars = Avatars::new(Arc::new(S3Storage::new(client.clone(), &bucket)), PUBLIC_BASE_URL);
        let config = Config { secret: b"a test secret of at least thirty-two bytes".to_vec(), token_ttl_seconds: 3600 };
        let app = App::new(store.clone(), &config).expect("an app").with_avatars(avatars.clone());
        let registration = Registration {
            username: "pictured".into(),
            email: "pictured@example.com".into(),
            password: "correct horse battery".into(),
            display_name: None,
        };
        accounts::register(&app, registration).await.expect("registered");
        let login = accounts::login(&app, "pictured", "correct horse battery").await.expect("logged in");
        let viewer = accounts::authenticate(&app, &login.token).await.expect("a viewer");
        Some(Self { client, bucket, app, processor: Processor { store, avatars }, viewer, _directory: directory })
    }

    /// Asks for an upload URL, uploads through it with the signed headers, and returns the key.
    async fn upload(&self, content_type: &str, bytes: Vec<u8>) -> String {
        let upload = profile::request_upload(&self.app, &self.viewer, content_type, bytes.len() as i64)
            .await
            .expect("an upload URL");
        let mut request = reqwest::Client::new().put(&upload.url).body(bytes);
        for (name, value) in &upload.headers {
            request = request.header(name, value);
        }
        let response = request.send().await.expect("the upload is sent");
        assert!(response.status().is_success(), "{content_type}: {}", response.status());
        upload_key(&upload.url)
    }

    /// Puts an object under a new upload key directly, as a client ignoring the signed
    /// headers could, since moto does not enforce them.
    async fn put_raw(&self, content_type: &str, bytes: Vec<u8>) -> String {
        let key = UploadKey::new(&self.viewer.user_id).key();
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .content_type(content_type)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .expect("the object is stored");
        key
    }

    async fn avatar_url(&self) -> Option<String> {
        accounts::find_user(&self.app, &self.viewer.user_id).await.expect("a read").expect("the user").avatar_url
    }

    async fn keys(&self, prefix: &str) -> Vec<String> {
        self.processor.avatars.storage.list(prefix).await.expect("a listing")
    }

    async fn image_size(&self, key: &str) -> (u32, u32) {
        match self.processor.avatars.storage.fetch(key, 1 << 20).await.expect("a read") {
            Fetched::Found(bytes) => avatar_images::dimensions(&bytes),
            other => panic!("{key}: {other:?}"),
        }
    }

    async fn delete(self) {
        for key in self.keys("").await {
            self.processor.avatars.storage.delete(&key).await.expect("a delete");
        }
        self.client.delete_bucket().bucket(&self.bucket).send().await.expect("the test bucket is deleted");
    }
}

/// The object key in a path-style presigned URL: `{endpoint}/{bucket}/{key}?{query}`.
fn upload_key(url: &str) -> String {
    let path = url.split('?').next().unwrap();
    let start = path.find("/uploads/").expect("the key is under uploads/");
    path[start + 1..].to_owned()
}

fn query_params(url: &str) -> HashMap<String, String> {
    let query = url.split_once('?').expect("a query").1;
    serde_urlencoded::from_str(query).expect("a valid query")
}

#[tokio::test]
async fn upload_url_signs_terms() {
    let Some(setup) = Setup::create().await else { return };
    let upload = profile::request_upload(&setup.app, &setup.viewer, "image/webp", 4321).await.expect("an upload URL");
    assert_eq!(upload.method, "PUT");
    assert_eq!(upload.expires_in.as_secs(), 300);
    assert_eq!(upload.headers.get("content-type").map(String::as_str), Some("image/webp"));
    assert_eq!(upload.headers.get("content-length").map(String::as_str), Some("4321"));

    let key = upload_key(&upload.url);
    assert!(key.starts_with("uploads/pictured/"), "{key}");
    assert!(UploadKey::parse(&key).is_some(), "{key}");
    let params = query_params(&upload.url);
    assert_eq!(params.get("X-Amz-Expires").map(String::as_str), Some("300"));
    assert_eq!(params.get("X-Amz-Algorithm").map(String::as_str), Some("AWS4-HMAC-SHA256"));
    let signed: Vec<&str> = params["X-Amz-SignedHeaders"].split(';').collect();
    for header in ["content-length", "content-type", "host"] {
        assert!(signed.contains(&header), "{header} is not signed: {signed:?}");
    }
    setup.delete().await;
}

#[tokio::test]
async fn every_format_becomes_avatar() {
    let Some(setup) = Setup::create().await else { return };
    let mut previous: Option<String> = None;
    for (content_type, bytes) in avatar_images::allowed_uploads() {
        let key = setup.upload(content_type, bytes).await;
        let outcome = process_upload(&setup.processor, &key).await.expect("processed");
        assert_eq!(outcome, Outcome::Applied, "{content_type}");

        let url = setup.avatar_url().await.unwrap_or_else(|| panic!("{content_type}: no avatar_url"));
        let large = url.strip_prefix(&format!("{PUBLIC_BASE_URL}/")).expect("the public base URL").to_owned();
        assert_eq!(setup.image_size(&large).await, (400, 400), "{content_type}");
        assert_eq!(setup.image_size(&large.replace("/400.png", "/96.png")).await, (96, 96), "{content_type}");
        assert_ne!(previous.as_ref(), Some(&url), "{content_type}");
        assert_eq!(setup.keys("uploads/").await, Vec::<String>::new(), "{content_type}: the upload is deleted");
        assert_eq!(setup.keys(&avatars_prefix("pictured")).await.len(), 2, "{content_type}: older renditions are deleted");

        // A repeated event finds no upload and changes nothing.
        let repeat = process_upload(&setup.processor, &key).await.expect("processed");
        assert_eq!(repeat, Outcome::AlreadyProcessed, "{content_type}");
        assert_eq!(setup.avatar_url().await.as_ref(), Some(&url));
        previous = Some(url);
    }
    setup.delete().await;
}

#[tokio::test]
async fn bad_uploads_keep_old_avatar() {
    let Some(setup) = Setup::create().await else { return };
    let (content_type, bytes) = avatar_images::allowed_uploads().remove(0);
    let key = setup.upload(content_type, bytes).await;
    assert_eq!(process_upload(&setup.processor, &key).await.expect("processed"), Outcome::Applied);
    let old = setup.avatar_url().await.expect("an avatar_url");
    let renditions = setup.keys(&avatars_prefix("pictured")).await;

    let cases = [
        ("HTML sent as a PNG", "image/png", avatar_images::html()),
        ("SVG sent as a GIF", "image/gif", avatar_images::svg()),
        ("PNG claiming 100000x100000 pixels", "image/png", avatar_images::png_bomb()),
        ("file over 2 MiB", "image/png", avatar_images::over_two_mib()),
    ];
    for (case, content_type, bytes) in cases {
        let key = setup.put_raw(content_type, bytes).await;
        let outcome = process_upload(&setup.processor, &key).await.expect("processed");
        let expected = match case {
            "file over 2 MiB" => matches!(outcome, Outcome::Rejected(Rejection::TooLarge(_))),
            "PNG claiming 100000x100000 pixels" => {
                outcome == Outcome::Rejected(Rejection::BadDimensions { width: 100_000, height: 100_000 })
            }
            _ => outcome == Outcome::Rejected(Rejection::NotAnImage),
        };
        assert!(expected, "{case}: {outcome:?}");
        assert_eq!(setup.avatar_url().await.as_ref(), Some(&old), "{case}");
        assert_eq!(setup.keys(&avatars_prefix("pictured")).await, renditions, "{case}");
        assert_eq!(setup.keys("uploads/").await, Vec::<String>::new(), "{case}: the upload is deleted");
    }
    setup.delete().await;
}

#[tokio::test]
async fn older_upload_does_not_replace_newer() {
    let Some(setup) = Setup::create().await else { return };
    let uploads = avatar_images::allowed_uploads();
    let older = setup.upload(uploads[0].0, uploads[0].1.clone()).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let newer = setup.upload(uploads[1].0, uploads[1].1.clone()).await;

    assert_eq!(process_upload(&setup.processor, &newer).await.expect("processed"), Outcome::Applied);
    let url = setup.avatar_url().await.expect("an avatar_url");
    assert_eq!(process_upload(&setup.processor, &older).await.expect("processed"), Outcome::Discarded);
    assert_eq!(setup.avatar_url().await, Some(url));
    assert_eq!(setup.keys(&avatars_prefix("pictured")).await.len(), 2);
    setup.delete().await;
}

#[tokio::test]
async fn delete_removes_files() {
    let Some(setup) = Setup::create().await else { return };
    let (content_type, bytes) = avatar_images::allowed_uploads().remove(2);
    let key = setup.upload(content_type, bytes).await;
    assert_eq!(process_upload(&setup.processor, &key).await.expect("processed"), Outcome::Applied);
    let pending = setup.upload(content_type, avatar_images::allowed_uploads().remove(2).1).await;

    profile::delete_avatar(&setup.app, &setup.viewer).await.expect("removed");
    assert_eq!(setup.avatar_url().await, None);
    assert_eq!(setup.keys(&avatars_prefix("pictured")).await, Vec::<String>::new());
    assert_eq!(setup.keys("uploads/").await, Vec::<String>::new(), "pending uploads are deleted too");
    assert_eq!(process_upload(&setup.processor, &pending).await.expect("processed"), Outcome::AlreadyProcessed);
    setup.delete().await;
}
