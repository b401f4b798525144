//! The image store behind the `images` operations: the whole flow on S3-compatible
//! object storage (with `TEST_S3_URL`), and a store that does not answer: uploads and
//! variant reads are 503s with `Retry-After`, never 500s.

use std::time::Instant;

use apiary::storage::blobs::{
    BlobStore,
    s3::{Limits, S3Store},
};
use apiary_conformance::{Contract, TestServer};

use super::{
    V,
    images::{new_user_token, png, upload_raw, wait_until_finished},
};

/// The variables that point a server at `settings`' bucket and prefix.
fn s3_variables(settings: &apiary::config::S3Settings) -> Vec<(&'static str, String)> {
    let mut vars = vec![
        (
            "STORAGE_URL",
            apiary::storage::testing::storage_url(settings),
        ),
        ("AWS_REGION", settings.region.clone()),
    ];
    if let Some(endpoint) = &settings.endpoint {
        vars.push(("AWS_ENDPOINT_URL", endpoint.clone()));
    }
    if let (Some(id), Some(secret)) = (&settings.access_key_id, &settings.secret_access_key) {
        vars.push(("AWS_ACCESS_KEY_ID", id.clone()));
        let secret = String::from_utf8(secret.expose().to_vec()).expect("UTF-8");
        vars.push(("AWS_SECRET_ACCESS_KEY", secret));
    }
    vars
}

/// Upload -> variants done -> variant bytes with a strong ETag -> 304, on S3, and the
/// bytes are the bucket's objects under the configured prefix.
pub async fn exercise_on_s3(postgres: Option<&str>, contract: &Contract) {
    let Some(settings) =
        apiary::storage::testing::test_s3_settings("conformance: images on S3").await
    else {
        return;
    };
    let vars = s3_variables(&settings);
    let extra: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = TestServer::spawn_with(postgres, &extra).await;
    let bucket = S3Store::new(&settings, Limits::default()).expect("an S3 client");
    let ready = contract
        .send("getReadiness", server.http.get(server.url("/readyz")))
        .await;
    assert_eq!(ready.status, 200, "{}", ready.text());
    for v in [V("v1"), V("v2")] {
        let token = new_user_token(&server, contract, "images-s3").await;
        let original = png(640, 480);
        let accepted = upload_raw(&server, contract, v, &token, original.clone()).await;
        assert_eq!(accepted.status, 202, "{}", accepted.text());
        let id = accepted.json()["id"].as_str().unwrap().to_string();
        let stored = bucket.get(&format!("originals/{id}")).await.expect("read");
        assert!(stored == Some(original), "the original is in the bucket");

        let image = wait_until_finished(&server, contract, v, &token, &id).await;
        assert_eq!(image["status"], "done", "{image}");
        for size in ["thumb", "medium", "large"] {
            let url = v.url(&server, &format!("/images/{id}/variants/{size}"));
            let bytes = contract
                .send(
                    &v.op("getImageVariant"),
                    server.http.get(&url).bearer_auth(&token),
                )
                .await;
            assert_eq!(bytes.status, 200, "{}", bytes.text());
            assert_eq!(bytes.header("content-type"), Some("image/png"));
            let in_bucket = bucket
                .get(&format!("variants/{id}/{size}"))
                .await
                .expect("read");
            assert!(in_bucket.as_deref() == Some(&bytes.body[..]), "{size}");
            let etag = bytes.header("etag").expect("an ETag").to_string();
            assert!(etag.starts_with('"') && !etag.starts_with("W/"), "{etag}");
            let unchanged = contract
                .send(
                    &v.op("getImageVariant"),
                    server
                        .http
                        .get(&url)
                        .bearer_auth(&token)
                        .header("if-none-match", &etag),
                )
                .await;
            assert_eq!(unchanged.status, 304);
            assert_eq!(unchanged.header("etag"), Some(etag.as_str()));
        }
    }
}

/// Two servers on one database: one with a working store makes an image; the other,
/// whose S3 endpoint is a loopback port where nothing listens, must answer uploads and
/// variant reads with 503 + `Retry-After` (a 304 needs no store), and be unready.
pub async fn exercise_store_outage(postgres: Option<&str>, contract: &Contract) {
    let healthy = TestServer::spawn(postgres).await;
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        listener.local_addr().expect("its address").port()
    };
    let endpoint = format!("http://127.0.0.1:{port}");
    let down = TestServer::spawn_with(
        postgres,
        &[
            ("DATABASE_URL", healthy.database_url.as_str()),
            ("STORAGE_URL", "s3://apiary-down/images"),
            ("AWS_ENDPOINT_URL", endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", "apiary-down"),
            ("AWS_SECRET_ACCESS_KEY", "apiary-down-secret"),
            ("IMAGE_WORKERS", "0"),
        ],
    )
    .await;
    for v in [V("v1"), V("v2")] {
        let token = new_user_token(&healthy, contract, "images-store-down").await;
        let accepted = upload_raw(&healthy, contract, v, &token, png(120, 90)).await;
        assert_eq!(accepted.status, 202, "{}", accepted.text());
        let id = accepted.json()["id"].as_str().unwrap().to_string();
        assert_eq!(
            wait_until_finished(&healthy, contract, v, &token, &id).await["status"],
            "done"
        );
        let url = v.url(&down, &format!("/images/{id}/variants/thumb"));
        let etag = contract
            .send(
                &v.op("getImageVariant"),
                healthy
                    .http
                    .get(v.url(&healthy, &format!("/images/{id}/variants/thumb")))
                    .bearer_auth(&token),
            )
            .await
            .header("etag")
            .expect("an ETag")
            .to_string();

        let started = Instant::now();
        let upload = upload_raw(&down, contract, v, &token, png(120, 90)).await;
        let upload_wait = started.elapsed();
        assert_eq!(upload.status, 503, "{}", upload.text());
        assert!(upload.header("retry-after").is_some(), "Retry-After");
        assert!(upload.text().contains("image store"), "{}", upload.text());

        let started = Instant::now();
        let variant = contract
            .send(
                &v.op("getImageVariant"),
                down.http.get(&url).bearer_auth(&token),
            )
            .await;
        let variant_wait = started.elapsed();
        assert_eq!(variant.status, 503, "{}", variant.text());
        assert!(variant.header("retry-after").is_some(), "Retry-After");
        assert_eq!(
            variant.header("content-type"),
            Some("application/problem+json")
        );

        let current = contract
            .send(
                &v.op("getImageVariant"),
                down.http
                    .get(&url)
                    .bearer_auth(&token)
                    .header("if-none-match", &etag),
            )
            .await;
        assert_eq!(current.status, 304, "a current copy needs no store");
        eprintln!(
            "image store down ({}): upload {} after {upload_wait:?}, variant read {} after \
             {variant_wait:?} (Retry-After {:?}), current copy {}",
            v.0,
            upload.status,
            variant.status,
            variant.header("retry-after"),
            current.status,
        );
    }
    let ready = contract
        .send("getReadiness", down.http.get(down.url("/readyz")))
        .await;
    assert_eq!(ready.status, 503);
    let detail = ready.json()["detail"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(detail.contains("the image store"), "{detail}");
    assert!(!detail.contains("database"), "{detail}");
}
