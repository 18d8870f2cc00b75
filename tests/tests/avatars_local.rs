//! Avatars on the local runtime, over HTTP as a client uploads them: the upload URL, the
//! runtime's checks of it, the processor's checks of the image, serving and removal.

mod avatar_images;

use std::time::Duration;

use chirp_shared::avatars::local::LocalStorage;
use chirp_shared::avatars::{AvatarStorage, ImageType, UploadKey};
use chirp_tests::TestApi;
use reqwest::StatusCode;
use serde_json::{Value, json};

const AVATAR_PATH: &str = "/api/accounts/profile/avatar/";

/// Asks for an upload URL and returns the reply body.
async fn upload_url(api: &TestApi, token: &str, content_type: &str, length: usize) -> Value {
    let reply = api.post(AVATAR_PATH, Some(token), json!({"content_type": content_type, "content_length": length})).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body
}

/// Sends `bytes` to an upload URL with the given headers and returns the status.
async fn put(api: &TestApi, url: &str, headers: &[(&str, &str)], bytes: Vec<u8>) -> StatusCode {
    let mut request = api.client.put(url).body(bytes);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("the upload request is sent").status()
}

/// Uploads `bytes` with the signed headers, as a browser would.
async fn upload(api: &TestApi, token: &str, content_type: &str, bytes: Vec<u8>) -> StatusCode {
    let reply = upload_url(api, token, content_type, bytes.len()).await;
    let url = reply["upload_url"].as_str().expect("an upload URL").to_owned();
    put(api, &url, &[("content-type", content_type)], bytes).await
}

async fn avatar_url(api: &TestApi, token: &str) -> Value {
    let reply = api.get("/api/accounts/profile/", Some(token)).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["avatar_url"].clone()
}

/// Fetches an image URL; returns the status and body.
async fn fetch(api: &TestApi, url: &str) -> (StatusCode, Vec<u8>) {
    let response = api.client.get(url).send().await.expect("the image request is sent");
    let status = response.status();
    (status, response.bytes().await.expect("a body").to_vec())
}

/// Builds a storage on the runtime's data directory with its signing key, to sign URLs the API
/// never issues (expired, or over the size limit).
fn runtime_signer(api: &TestApi) -> LocalStorage {
    LocalStorage::new(api.data_dir.path().join("media"), &format!("{}/media", api.base), &api.secret())
}

fn media_files(api: &TestApi, prefix: &str) -> Vec<String> {
    let mut files = Vec::new();
    let mut pending = vec![api.data_dir.path().join("media").join(prefix)];
    while let Some(directory) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&directory) else { continue };
        for entry in entries.flatten() {
            if entry.path().is_dir() {
                pending.push(entry.path());
            } else {
                files.push(entry.path().display().to_string());
            }
        }
    }
    files
}

#[tokio::test]
async fn upload_url_shape() {
    let api = TestApi::start().await;
    let token = api.user("shape").await;
    let body = upload_url(&api, &token, "image/png", 1234).await;
    assert_eq!(body["method"], "PUT");
    assert_eq!(body["expires_in"], 300);
    assert_eq!(body["headers"]["content-type"], "image/png");
    assert_eq!(body["headers"]["content-length"], "1234");
    let url = body["upload_url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{}/media/uploads/shape/", api.base)), "{url}");
}

#[tokio::test]
async fn upload_url_bad_requests() {
    let api = TestApi::start().await;
    let token = api.user("declares").await;
    for (body, field) in [
        (json!({"content_type": "image/svg+xml", "content_length": 100}), "content_type"),
        (json!({"content_type": "text/html", "content_length": 100}), "content_type"),
        (json!({"content_length": 100}), "content_type"),
        (json!({"content_type": "image/png", "content_length": 2 * 1024 * 1024 + 1}), "content_length"),
        (json!({"content_type": "image/png", "content_length": 0}), "content_length"),
        (json!({"content_type": "image/png", "content_length": "12"}), "content_length"),
        (json!({"content_type": "image/png"}), "content_length"),
    ] {
        let reply = api.post(AVATAR_PATH, Some(&token), body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}: {:?}", reply.body);
        assert_eq!(reply.body["code"], "validation_error", "{body}");
        assert!(reply.body["errors"][field].is_array(), "{body}: {:?}", reply.body);
    }
    let anonymous = api.post(AVATAR_PATH, None, json!({"content_type": "image/png", "content_length": 1})).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(api.delete(AVATAR_PATH, None).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn every_format_becomes_avatar() {
    let api = TestApi::start().await;
    let token = api.user("formats").await;
    let mut previous: Option<String> = None;
    for (content_type, bytes) in avatar_images::allowed_uploads() {
        assert_eq!(upload(&api, &token, content_type, bytes).await, StatusCode::OK, "{content_type}");

        let url = avatar_url(&api, &token).await;
        let url = url.as_str().unwrap_or_else(|| panic!("{content_type}: no avatar_url")).to_owned();
        assert!(url.ends_with("/400.png"), "{content_type}: {url}");
        assert_ne!(previous.as_deref(), Some(url.as_str()), "{content_type}: a new avatar gets a new URL");
        let (status, large) = fetch(&api, &url).await;
        assert_eq!(status, StatusCode::OK, "{content_type}");
        assert_eq!(avatar_images::dimensions(&large), (400, 400), "{content_type}");
        let (status, small) = fetch(&api, &url.replace("/400.png", "/96.png")).await;
        assert_eq!(status, StatusCode::OK, "{content_type}");
        assert_eq!(avatar_images::dimensions(&small), (96, 96), "{content_type}");

        // The replaced avatar's files and the upload are gone.
        if let Some(previous) = &previous {
            assert_eq!(fetch(&api, previous).await.0, StatusCode::NOT_FOUND, "{content_type}");
        }
        assert_eq!(media_files(&api, "uploads"), Vec::<String>::new(), "{content_type}");
        previous = Some(url);
    }
    assert_eq!(media_files(&api, "avatars/formats").len(), 2);

    // The public profile and the author of a tweet show the avatar too.
    let public = api.get("/api/accounts/formats/", None).await;
    assert_eq!(public.body["avatar_url"].as_str(), previous.as_deref());
    let tweet_id = api.tweet(&token, "with an avatar").await;
    let tweet = api.get(&format!("/api/tweets/{tweet_id}/"), None).await;
    assert_eq!(tweet.body["author"]["avatar_url"].as_str(), previous.as_deref());
}

#[tokio::test]
async fn bad_uploads_keep_old_avatar() {
    let api = TestApi::start().await;
    let token = api.user("keeper").await;
    let (content_type, bytes) = avatar_images::allowed_uploads().remove(0);
    assert_eq!(upload(&api, &token, content_type, bytes).await, StatusCode::OK);
    let old = avatar_url(&api, &token).await;
    let old_url = old.as_str().expect("an avatar_url").to_owned();

    let signer = runtime_signer(&api);
    let cases = [
        ("HTML sent as a PNG", "image/png", avatar_images::html()),
        ("SVG sent as a GIF", "image/gif", avatar_images::svg()),
        ("PNG claiming 100000x100000 pixels", "image/png", avatar_images::png_bomb()),
        ("file over 2 MiB", "image/png", avatar_images::over_two_mib()),
    ];
    for (case, content_type, bytes) in cases {
        // The API never signs more than 2 MiB, so this test signs with the runtime's key to
        // show that the processor checks the size itself.
        let key = UploadKey::new("keeper").key();
        let image_type = ImageType::from_content_type(content_type).unwrap();
        let presigned = signer.presign_upload(&key, image_type, bytes.len() as u64, Duration::from_secs(60)).await.unwrap();
        let status = put(&api, &presigned.url, &[("content-type", content_type)], bytes).await;
        assert_eq!(status, StatusCode::OK, "{case}: the upload itself succeeds");

        assert_eq!(avatar_url(&api, &token).await, old, "{case}");
        assert_eq!(fetch(&api, &old_url).await.0, StatusCode::OK, "{case}");
        assert_eq!(media_files(&api, "uploads"), Vec::<String>::new(), "{case}: the rejected upload is deleted");
        assert_eq!(media_files(&api, "avatars/keeper").len(), 2, "{case}");
    }
}

#[tokio::test]
async fn upload_url_rejections() {
    let api = TestApi::start().await;
    let token = api.user("refused").await;
    api.user("other").await;
    let (_, png) = avatar_images::allowed_uploads().remove(0);
    let body = upload_url(&api, &token, "image/png", png.len()).await;
    let url = body["upload_url"].as_str().unwrap().to_owned();

    let mut longer = png.clone();
    longer.push(0);
    let other_user = url.replace("/uploads/refused/", "/uploads/other/");
    let altered_length = url.replace(&format!("content_length={}", png.len()), &format!("content_length={}", png.len() + 1));
    let cases = [
        ("another content type", url.clone(), "image/jpeg", png.clone()),
        ("a longer body", url.clone(), "image/png", longer.clone()),
        ("a shorter body", url.clone(), "image/png", png[..png.len() - 1].to_vec()),
        ("another user's key", other_user, "image/png", png.clone()),
        ("an altered length", altered_length, "image/png", longer),
    ];
    for (case, url, content_type, bytes) in cases {
        let status = put(&api, &url, &[("content-type", content_type)], bytes).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{case}");
    }
    let status = put(&api, &url, &[], png.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no content type");
    assert_eq!(avatar_url(&api, &token).await, Value::Null, "no refused upload reached the profile");

    // An expired URL, genuinely signed by the runtime's key.
    let signer = runtime_signer(&api);
    let key = UploadKey::new("refused").key();
    let expired = signer.presign_upload(&key, ImageType::Png, png.len() as u64, Duration::ZERO).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(put(&api, &expired.url, &[("content-type", "image/png")], png.clone()).await, StatusCode::FORBIDDEN, "expired");

    // The real URL works once.
    assert_eq!(put(&api, &url, &[("content-type", "image/png")], png.clone()).await, StatusCode::OK);
    assert!(avatar_url(&api, &token).await.is_string());
    assert_eq!(put(&api, &url, &[("content-type", "image/png")], png).await, StatusCode::FORBIDDEN, "a second use");
}

#[tokio::test]
async fn delete_removes_files() {
    let api = TestApi::start().await;
    let token = api.user("deleter").await;
    let (content_type, bytes) = avatar_images::allowed_uploads().remove(1);
    assert_eq!(upload(&api, &token, content_type, bytes).await, StatusCode::OK);
    let url = avatar_url(&api, &token).await.as_str().expect("an avatar_url").to_owned();
    assert_eq!(fetch(&api, &url).await.0, StatusCode::OK);

    let reply = api.delete(AVATAR_PATH, Some(&token)).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{:?}", reply.body);
    assert_eq!(avatar_url(&api, &token).await, Value::Null);
    assert_eq!(fetch(&api, &url).await.0, StatusCode::NOT_FOUND);
    assert_eq!(media_files(&api, "avatars/deleter"), Vec::<String>::new());

    // Removing again is fine, and a later upload works.
    assert_eq!(api.delete(AVATAR_PATH, Some(&token)).await.status, StatusCode::NO_CONTENT);
    let (content_type, bytes) = avatar_images::allowed_uploads().remove(0);
    assert_eq!(upload(&api, &token, content_type, bytes).await, StatusCode::OK);
    assert!(avatar_url(&api, &token).await.is_string());
}

#[tokio::test]
async fn rendition_paths_are_checked() {
    let api = TestApi::start().await;
    for path in ["/media/avatars/../secret", "/media/secret", "/media/avatars/x/y/400.png", "/media/chirp.db"] {
        let (status, _) = fetch(&api, &format!("{}{path}", api.base)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
}
