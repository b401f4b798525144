//! The image service's bounds: decoding memory shared by uploads and jobs, and the
//! images one user may keep.

use std::{io::Cursor, sync::Arc, time::Duration};

use sea_orm::{EntityTrait, PaginatorTrait};

use super::budget::DecodeBudget;
use super::process::{read_header, tests::png_bomb_of_depth};
use super::{ImageService, ImageStatus, Outcome, RetryPolicy};
use crate::config::DatabaseSettings;
use crate::domain::DomainError;
use crate::jobs::{JobQueue, db::DbQueue};
use crate::storage::blobs::{BlobStore, LocalDir};
use crate::storage::entities::images;

const MIB: u64 = 1024 * 1024;

struct Fixture {
    db: sea_orm::DatabaseConnection,
    images: ImageService,
    dir: tempfile::TempDir,
}

async fn fixture(budget: u64, max_per_owner: u64) -> Fixture {
    let db = crate::storage::connect(&DatabaseSettings::with_url("sqlite::memory:"))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let blobs: Arc<dyn BlobStore> = Arc::new(LocalDir::open(dir.path()).unwrap());
    let queue: Arc<dyn JobQueue> = Arc::new(DbQueue::new(db.clone(), Duration::from_secs(60)));
    let images = ImageService::new(
        db.clone(),
        blobs,
        queue,
        RetryPolicy {
            max_attempts: 3,
            backoff: Duration::from_millis(1),
        },
    )
    .with_decode_budget(DecodeBudget::new(budget))
    .with_max_per_owner(max_per_owner);
    Fixture { db, images, dir }
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbaImage::from_pixel(width, height, image::Rgba([9, 90, 9, 255]));
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn rows(f: &Fixture) -> u64 {
    images::Entity::find().count(&f.db).await.unwrap()
}

fn originals(f: &Fixture) -> usize {
    std::fs::read_dir(f.dir.path().join("originals")).map_or(0, |dir| dir.count())
}

#[tokio::test]
async fn an_upload_finding_the_budget_spent_is_refused_with_a_wait_and_stores_nothing() {
    let f = fixture(64 * MIB, 100).await;
    let budget = f.images.decode_budget().clone();
    let held = budget.try_reserve(budget.total()).unwrap();
    match f.images.accept(1, png(64, 64)).await {
        Err(DomainError::Busy {
            retry_after_secs, ..
        }) => assert_eq!(retry_after_secs, 1),
        other => panic!("expected a refusal to retry, got {other:?}"),
    }
    assert_eq!((rows(&f).await, originals(&f)), (0, 0), "nothing stored");
    drop(held);
    f.images.accept(1, png(64, 64)).await.unwrap();
    assert_eq!(budget.available(), budget.total(), "the check gave it back");
}

#[tokio::test]
async fn an_image_whose_job_would_need_more_than_the_whole_budget_is_refused_for_good() {
    let f = fixture(64 * MIB, 100).await;
    // 4000x4000 RGBA at 16 bits: 128 MB decoded.
    match f.images.accept(1, png_bomb_of_depth(4000, 4000, 16)).await {
        Err(DomainError::InvalidInput { field, message }) => {
            assert_eq!(field, "file");
            assert!(message.starts_with("Decoding the image needs"), "{message}");
        }
        other => panic!("expected a 422 on `file`, got {other:?}"),
    }
    assert_eq!(rows(&f).await, 0);
}

#[tokio::test]
async fn uploads_at_once_are_checked_within_the_budget_or_refused_whole() {
    let image = png(1000, 1000);
    let probe = read_header(&image).unwrap();
    // Room for one job, or for a few checks at once, far fewer than 16.
    let f = fixture(probe.process_cost(), 100).await;
    assert!(probe.process_cost() < 8 * probe.decode_cost());
    let uploads = (0..16).map(|_| {
        let images = f.images.clone();
        let image = image.clone();
        tokio::spawn(async move { images.accept(1, image).await })
    });
    let mut accepted = 0;
    for upload in uploads.collect::<Vec<_>>() {
        match upload.await.unwrap() {
            Ok(_) => accepted += 1,
            Err(DomainError::Busy { .. }) => {}
            Err(other) => panic!("an upload failed otherwise: {other:?}"),
        }
    }
    assert!(accepted >= 1);
    assert_eq!(
        rows(&f).await,
        accepted,
        "every refused upload left nothing"
    );
    assert_eq!(originals(&f) as u64, accepted);
    let budget = f.images.decode_budget();
    assert_eq!(
        budget.available(),
        budget.total(),
        "every check gave it back"
    );
}

#[tokio::test]
async fn a_job_waits_for_its_share_of_the_budget() {
    let f = fixture(64 * MIB, 100).await;
    let id = f.images.accept(1, png(300, 200)).await.unwrap();
    let budget = f.images.decode_budget().clone();
    let held = budget.try_reserve(budget.total()).unwrap();
    let job = tokio::spawn({
        let images = f.images.clone();
        async move { images.run_job(id).await.unwrap() }
    });
    // The job has started (it counts its attempt first) and cannot decode yet. The
    // poll waits for that event; its bound (a minute) only turns a hang into a failure.
    let mut attempts = 0;
    for _ in 0..6000 {
        attempts = images::Entity::find_by_id(id.to_string())
            .one(&f.db)
            .await
            .unwrap()
            .unwrap()
            .attempts;
        if attempts == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(attempts, 1, "the job started and counted its attempt");
    assert!(!job.is_finished());
    assert_eq!(
        f.images.get(1, id).await.unwrap().status,
        ImageStatus::Processing
    );
    drop(held);
    assert_eq!(job.await.unwrap(), Outcome::Done);
    assert_eq!(budget.available(), budget.total());
}

#[tokio::test]
async fn a_user_keeps_at_most_the_images_allowed() {
    let f = fixture(64 * MIB, 2).await;
    f.images.accept(1, png(8, 8)).await.unwrap();
    f.images.accept(1, png(8, 8)).await.unwrap();
    match f.images.accept(1, png(8, 8)).await {
        Err(DomainError::LimitReached(detail)) => {
            assert!(detail.contains("(2)"), "{detail}");
        }
        other => panic!("expected the cap, got {other:?}"),
    }
    assert_eq!(rows(&f).await, 2);
    f.images.accept(2, png(8, 8)).await.unwrap();
}

/// The same database and queue as `f`, over an S3 store at a loopback port where
/// nothing listens.
fn with_store_down(f: &Fixture) -> ImageService {
    use crate::storage::blobs::s3::{Limits, S3Store};
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let settings = crate::config::S3Settings {
        bucket: "apiary-down".to_string(),
        prefix: String::new(),
        endpoint: Some(format!("http://127.0.0.1:{port}")),
        region: "us-east-1".to_string(),
        access_key_id: Some("key".to_string()),
        secret_access_key: Some(crate::config::Secret::new("secret")),
        session_token: None,
        allow_http: true,
    };
    let blobs: Arc<dyn BlobStore> = Arc::new(S3Store::new(&settings, Limits::default()).unwrap());
    ImageService::new(
        f.db.clone(),
        blobs,
        Arc::clone(f.images.queue()),
        RetryPolicy {
            max_attempts: 3,
            backoff: Duration::from_millis(250),
        },
    )
}

#[tokio::test]
async fn a_store_that_is_down_is_an_outage_to_retry_not_a_failure() {
    let f = fixture(64 * MIB, 100).await;
    let down = with_store_down(&f);
    // The upload: refused as unavailable, nothing recorded.
    match tokio::time::timeout(Duration::from_secs(120), down.accept(1, png(40, 30)))
        .await
        .expect("bounded")
    {
        Err(DomainError::Unavailable(detail)) => {
            assert!(detail.contains("image store"), "{detail}");
        }
        other => panic!("expected unavailable, got {other:?}"),
    }
    assert_eq!(rows(&f).await, 0);

    // A job: the attempt fails and is retried after the backoff, the image stays
    // processing.
    let id = f.images.accept(1, png(40, 30)).await.unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(120), down.run_job(id))
        .await
        .expect("bounded")
        .unwrap();
    match outcome {
        Outcome::Retry { after, error } => {
            assert_eq!(after, Duration::from_millis(250));
            assert!(error.contains("image store does not answer"), "{error}");
        }
        other => panic!("expected a retry, got {other:?}"),
    }
    assert_eq!(
        f.images.get(1, id).await.unwrap().status,
        ImageStatus::Processing
    );

    // A variant of a done image: unavailable too, not an internal error.
    assert_eq!(f.images.run_job(id).await.unwrap(), Outcome::Done);
    let read = tokio::time::timeout(
        Duration::from_secs(120),
        down.variant(1, id, super::process::Size::Thumb),
    )
    .await
    .expect("bounded");
    assert!(matches!(read, Err(DomainError::Unavailable(_))), "{read:?}");
}
