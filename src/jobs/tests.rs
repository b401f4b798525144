//! The job lifecycle on the database queue: retries bounded, reruns harmless, abandoned
//! claims handed out again.

use std::{io::Cursor, sync::Arc, time::Duration};

use super::{JobQueue, db::DbQueue, worker::run_once};
use crate::config::DatabaseSettings;
use crate::domain::images::{ImageService, ImageStatus, Outcome, RetryPolicy};
use crate::storage::blobs::{BlobStore, LocalDir};

struct Fixture {
    db: sea_orm::DatabaseConnection,
    images: ImageService,
    blobs: Arc<LocalDir>,
    queue: Arc<DbQueue>,
    _dir: tempfile::TempDir,
}

async fn fixture(visibility: Duration) -> Fixture {
    let db = crate::storage::connect(&DatabaseSettings::with_url("sqlite::memory:"))
        .await
        .unwrap();
    fixture_on(db, visibility)
}

fn fixture_on(db: sea_orm::DatabaseConnection, visibility: Duration) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let blobs = Arc::new(LocalDir::open(dir.path()).unwrap());
    let queue = Arc::new(DbQueue::new(db.clone(), visibility));
    let images = ImageService::new(
        db.clone(),
        Arc::clone(&blobs) as Arc<dyn BlobStore>,
        Arc::clone(&queue) as Arc<dyn JobQueue>,
        RetryPolicy {
            max_attempts: 3,
            backoff: Duration::from_millis(1),
        },
    );
    Fixture {
        db,
        images,
        blobs,
        queue,
        _dir: dir,
    }
}

/// Waits until a worker holds the image's job (or has already finished it).
async fn claimed(f: &Fixture, id: uuid::Uuid) {
    use sea_orm::EntityTrait;
    for _ in 0..500 {
        let row = crate::storage::entities::images::Entity::find_by_id(id.to_string())
            .one(&f.db)
            .await
            .unwrap()
            .unwrap();
        if row.lease_token.is_some() || row.status != "processing" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no worker claimed the job in 5 s");
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_pixel(width, height, image::Rgb([9, 9, 9]));
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn a_job_that_keeps_failing_ends_failed_after_bounded_retries() {
    let f = fixture(Duration::from_secs(60)).await;
    let id = f.images.accept(7, png(300, 200)).await.unwrap();
    // The stored original goes bad: every attempt fails to decode it.
    f.blobs
        .put(
            &format!("originals/{id}"),
            b"\x89PNG\r\n\x1a\nbroken".to_vec(),
        )
        .await
        .unwrap();
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(run_once(&f.images).await.unwrap(), "the job is due again");
    }
    let image = f.images.get(7, id).await.unwrap();
    assert_eq!(image.status, ImageStatus::Failed);
    assert!(
        image
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("resizing failed")
    );
    assert!(image.completed_at.is_some());
    assert!(image.variants.is_none());
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(
        !run_once(&f.images).await.unwrap(),
        "a failed job is not handed out"
    );
    assert_eq!(f.queue.depth().await.unwrap(), 0);
}

#[tokio::test]
async fn rerunning_a_done_job_changes_nothing() {
    let f = fixture(Duration::from_secs(60)).await;
    let id = f.images.accept(7, png(900, 300)).await.unwrap();
    assert_eq!(f.images.run_job(id).await.unwrap(), Outcome::Done);
    let first = f.images.get(7, id).await.unwrap();
    assert_eq!(f.images.run_job(id).await.unwrap(), Outcome::Skipped);
    let second = f.images.get(7, id).await.unwrap();
    assert_eq!(first, second);
    assert_eq!(first.status, ImageStatus::Done);
    let variants = first.variants.unwrap();
    assert_eq!(variants.len(), 3);
    assert_eq!((variants[0].width, variants[0].height), (900, 300));
    assert_eq!((variants[2].width, variants[2].height), (150, 50));
}

#[tokio::test]
async fn an_abandoned_claim_is_handed_out_again_after_the_visibility_timeout() {
    // Long enough that the claim below is live whatever else the machine runs.
    const VISIBILITY: Duration = Duration::from_secs(5);
    let f = fixture(VISIBILITY).await;
    let id = f.images.accept(7, png(20, 20)).await.unwrap();
    let lease = f.queue.claim().await.unwrap().expect("a job");
    assert_eq!(lease.image_id, id);
    assert_eq!(f.queue.claim().await.unwrap(), None, "held by a live claim");
    // The worker holding it dies: nothing settles the lease.
    tokio::time::sleep(VISIBILITY + Duration::from_millis(200)).await;
    let again = f.queue.claim().await.unwrap().expect("handed out again");
    assert_eq!(again.image_id, id);
    assert_ne!(again.token, lease.token);
    // The first worker waking up late cannot settle the new claim.
    f.queue.release(&lease).await.unwrap();
    assert_eq!(f.queue.claim().await.unwrap(), None);
}

/// A worker renews its claim while the job runs, so a job that outlasts the visibility
/// timeout is not handed to a second worker; a claim another worker took over can no
/// longer be renewed. On every backend: the renewal is an update of its own.
#[tokio::test]
async fn a_running_job_keeps_its_claim_past_the_visibility_timeout() {
    for (backend, db) in crate::storage::testing::databases().await {
        // Renewed every 500 ms: a renewal would have to be late by a whole second for
        // the claim to lapse, which a busy machine does not make it.
        const LEASE: Duration = Duration::from_millis(1500);
        let f = fixture_on(db, LEASE);
        let id = f.images.accept(7, png(20, 20)).await.unwrap();
        let lease = f.queue.claim().await.unwrap().expect("a job");
        let queue = f.queue.as_ref();
        let claimed_meanwhile = super::worker::holding_lease(queue, &lease, async {
            tokio::time::sleep(LEASE * 2).await;
            queue.claim().await.unwrap()
        })
        .await;
        assert_eq!(
            claimed_meanwhile, None,
            "{backend}: held two lease times into its lease"
        );
        // No longer renewed, the claim runs out and another takes the job.
        tokio::time::sleep(LEASE + Duration::from_millis(300)).await;
        let other = f.queue.claim().await.unwrap().expect("handed out again");
        assert_eq!(other.image_id, id, "{backend}");
        assert!(
            !f.queue.extend(&lease).await.unwrap(),
            "{backend}: taken over"
        );
        assert!(f.queue.extend(&other).await.unwrap(), "{backend}");
    }
}

#[tokio::test]
async fn someone_elses_image_is_not_found() {
    let f = fixture(Duration::from_secs(60)).await;
    let id = f.images.accept(7, png(20, 20)).await.unwrap();
    assert!(matches!(
        f.images.get(8, id).await,
        Err(crate::domain::DomainError::NotFound { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_returns_a_job_still_running_after_the_grace_to_the_queue() {
    use crate::jobs::worker::WorkerPool;
    let f = fixture(Duration::from_secs(60)).await;
    // Big enough that resizing it outlasts the grace below.
    let id = f.images.accept(7, png(4000, 3000)).await.unwrap();
    let pool = WorkerPool::start(f.images.clone(), 1, Duration::from_secs(60));
    claimed(&f, id).await;
    pool.shutdown(Duration::from_millis(1)).await;
    assert_eq!(
        f.images.get(7, id).await.unwrap().status,
        ImageStatus::Processing,
        "the job did not finish within the grace"
    );
    let lease = f
        .queue
        .claim()
        .await
        .unwrap()
        .expect("returned to the queue at once");
    assert_eq!(lease.image_id, id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_a_running_job_finish_within_the_grace() {
    use crate::jobs::worker::WorkerPool;
    let f = fixture(Duration::from_secs(60)).await;
    let id = f.images.accept(7, png(300, 200)).await.unwrap();
    let pool = WorkerPool::start(f.images.clone(), 1, Duration::from_secs(60));
    claimed(&f, id).await;
    pool.shutdown(Duration::from_secs(30)).await;
    assert_eq!(f.images.get(7, id).await.unwrap().status, ImageStatus::Done);
}
