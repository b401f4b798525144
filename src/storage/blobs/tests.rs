//! The store contract, run on every adapter: the local directory always, S3 when
//! `TEST_S3_URL` is set. Then what only one adapter does: the directory's sweep and
//! key checks, and an S3 store that does not answer.

use std::time::Duration;

use super::s3::{Limits, S3Store};
use super::*;
use crate::config::S3Settings;

/// A hang, not a slow machine: every store call here is bounded far below this.
const HANG: Duration = Duration::from_secs(120);

async fn bounded<T>(what: &str, future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(HANG, future)
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within {HANG:?}"))
}

/// What every adapter must do.
async fn contract(name: &str, store: &dyn BlobStore) {
    let id = uuid::Uuid::new_v4();
    let original = format!("originals/{id}");
    let thumb = format!("variants/{id}/thumb");
    let medium = format!("variants/{id}/medium");

    assert_eq!(store.get(&original).await.unwrap(), None, "{name}: missing");
    store
        .ping()
        .await
        .unwrap_or_else(|e| panic!("{name}: ping: {e:#}"));

    store.put(&original, b"one".to_vec()).await.unwrap();
    assert_eq!(
        store.get(&original).await.unwrap(),
        Some(b"one".to_vec()),
        "{name}"
    );
    // A rerun writes the same key again: the last write wins, nothing else changes.
    store.put(&original, b"two".to_vec()).await.unwrap();
    store.put(&original, b"two".to_vec()).await.unwrap();
    assert_eq!(
        store.get(&original).await.unwrap(),
        Some(b"two".to_vec()),
        "{name}"
    );

    // Keys under one image are distinct objects.
    store.put(&thumb, vec![1; 10]).await.unwrap();
    store.put(&medium, vec![2; 20]).await.unwrap();
    assert_eq!(
        store.get(&thumb).await.unwrap(),
        Some(vec![1; 10]),
        "{name}"
    );
    assert_eq!(
        store.get(&medium).await.unwrap(),
        Some(vec![2; 20]),
        "{name}"
    );

    // An original at the upload limit, every byte kept.
    let large: Vec<u8> = (0..10 * 1024 * 1024)
        .map(|i: u32| (i % 251) as u8)
        .collect();
    store.put(&original, large.clone()).await.unwrap();
    assert!(
        store.get(&original).await.unwrap() == Some(large),
        "{name}: 10 MiB"
    );

    // Keys that could leave the directory or the prefix are refused, not an outage.
    for key in ["../x", "a/../../x", "/etc/passwd", "", "a//b", "a/./b"] {
        let error = store.put(key, vec![1]).await.expect_err(key);
        assert!(!error.is_unavailable(), "{name}: {key}: {error}");
        let error = store.get(key).await.expect_err(key);
        assert!(!error.is_unavailable(), "{name}: {key}: {error}");
    }
}

#[tokio::test]
async fn a_local_directory_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalDir::open(dir.path().join("images")).unwrap();
    bounded("the contract", contract("local", &store)).await;
}

#[tokio::test]
async fn an_s3_bucket_keeps_the_contract() {
    let Some(settings) = crate::storage::testing::test_s3_settings("blobs::s3 contract").await
    else {
        return;
    };
    let store = S3Store::new(&settings, Limits::default()).unwrap();
    bounded("the contract", contract("s3", &store)).await;
    // Two stores on one bucket with different prefixes do not see each other's keys.
    let mut other = settings.clone();
    other.prefix = format!("{}-other", settings.prefix);
    let other = S3Store::new(&other, Limits::default()).unwrap();
    store
        .put("originals/shared", b"mine".to_vec())
        .await
        .unwrap();
    assert_eq!(other.get("originals/shared").await.unwrap(), None);
}

fn s3_at(endpoint: String) -> S3Settings {
    S3Settings {
        bucket: "apiary-nowhere".to_string(),
        prefix: "images".to_string(),
        endpoint: Some(endpoint),
        region: "us-east-1".to_string(),
        access_key_id: Some("test-key".to_string()),
        secret_access_key: Some(crate::config::Secret::new("test-secret")),
        session_token: None,
        allow_http: true,
    }
}

/// Every call of a store that cannot be had must be an outage (503 material), never
/// a not-found nor another failure.
async fn assert_unavailable(store: &S3Store) {
    let put = bounded("put", store.put("originals/x", vec![1, 2, 3])).await;
    assert!(matches!(&put, Err(e) if e.is_unavailable()), "put: {put:?}");
    let get = bounded("get", store.get("originals/x")).await;
    assert!(matches!(&get, Err(e) if e.is_unavailable()), "get: {get:?}");
    let ping = bounded("ping", store.ping()).await;
    assert!(
        matches!(&ping, Err(e) if e.is_unavailable()),
        "ping: {ping:?}"
    );
}

#[tokio::test]
async fn an_endpoint_where_nothing_listens_is_unavailable() {
    // A port that was free a moment ago: connections are refused.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let store = S3Store::new(
        &s3_at(format!("http://127.0.0.1:{port}")),
        Limits::default(),
    )
    .unwrap();
    assert_unavailable(&store).await;
}

#[tokio::test]
async fn an_endpoint_that_never_answers_times_out_as_unavailable() {
    // Accepts connections and reads nothing, answers nothing.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let limits = Limits {
        request_timeout: Duration::from_millis(300),
        max_retries: 1,
        retry_timeout: Duration::from_secs(5),
        ..Limits::default()
    };
    let store = S3Store::new(&s3_at(format!("http://{address}")), limits).unwrap();
    assert_unavailable(&store).await;
    held.abort();
}

#[tokio::test]
async fn blobs_round_trip_and_replace() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalDir::open(dir.path().join("images")).unwrap();
    assert_eq!(store.get("a/b").await.unwrap(), None);
    store.put("a/b", b"one".to_vec()).await.unwrap();
    store.put("a/b", b"two".to_vec()).await.unwrap();
    assert_eq!(store.get("a/b").await.unwrap(), Some(b"two".to_vec()));
}

#[tokio::test]
async fn a_local_directory_that_is_gone_is_not_ready() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalDir::open(dir.path().join("images")).unwrap();
    store.ping().await.unwrap();
    std::fs::remove_dir_all(dir.path().join("images")).unwrap();
    assert!(store.ping().await.is_err());
}

#[test]
fn the_sweep_removes_old_temporary_files_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalDir::open(dir.path()).unwrap();
    let two_hours_ago = std::time::SystemTime::now() - Duration::from_secs(7200);
    let file = |name: &str, old: bool| {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let file = std::fs::File::create(&path).unwrap();
        if old {
            file.set_modified(two_hours_ago).unwrap();
        }
        path
    };
    let abandoned = file("7/.tmp-abandoned", true);
    let in_progress = file("7/.tmp-in-progress", false);
    let blob = file("7/original", true);
    assert_eq!(store.sweep_abandoned_writes(Duration::from_secs(3600)), 1);
    assert!(!abandoned.exists());
    assert!(in_progress.exists() && blob.exists());
    assert_eq!(store.sweep_abandoned_writes(Duration::from_secs(3600)), 0);
}
