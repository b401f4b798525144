//! The image pipeline across real processes of the built binary: a server and a
//! separate `apiary worker` sharing one Redis queue, and the crash test (SIGKILL while
//! jobs run, restart on the same data: every job ends `done` exactly once, none lost)
//! on both queue backends, plus the Redis queue's own lifecycle.
//!
//! Redis tests read `TEST_REDIS_URL`: unset, they are skipped with a note; set, an
//! unreachable Redis fails them. Each test is bounded in time.

mod common;

use std::time::Duration;

use apiary::jobs::{JobQueue, redis::RedisQueue};
use common::{
    BUDGET, Server, Site, Worker, done_counts, photo, redis_url, token, unique, upload,
    variant_files, wait_all_done, wait_some_done,
};

async fn crash_test(redis: Option<&str>) {
    let site = Site::new(redis);
    let http = reqwest::Client::new();
    let server = Server::start(&site, "first", 2).await;
    let token = token(&server.base, &http).await;
    let mut ids = Vec::new();
    for seed in 0..20 {
        ids.push(upload(&server.base, &http, &token, photo(seed)).await);
    }
    // Kill it while jobs run: some done, some not.
    let done = wait_some_done(&server.base, &http, &token, &ids).await;
    assert!(
        done < ids.len(),
        "every job finished before the kill; use bigger images"
    );
    server.kill();

    let server = Server::start(&site, "second", 2).await;
    wait_all_done(&server.base, &http, &token, &ids).await;
    // Redeliveries of finished jobs have had time to arrive and be skipped.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let counts = done_counts(&site, &["first", "second"]);
    for id in &ids {
        assert_eq!(
            counts.get(id),
            Some(&1),
            "image {id} done exactly once: {counts:?}"
        );
        assert_eq!(
            variant_files(&site.images_dir(), id),
            ["large", "medium", "thumb"],
            "image {id}: one file per variant"
        );
    }
    assert_eq!(counts.len(), ids.len(), "no job done that was not accepted");
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_finishes_every_job_exactly_once_on_the_database_queue() {
    tokio::time::timeout(BUDGET, crash_test(None))
        .await
        .expect("the crash test stays within its budget");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_finishes_every_job_exactly_once_on_the_redis_queue() {
    let Some(url) = redis_url("crash test on Redis") else {
        return;
    };
    tokio::time::timeout(BUDGET, crash_test(Some(&url)))
        .await
        .expect("the crash test stays within its budget");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_accepted_by_a_server_are_finished_by_a_separate_worker() {
    let Some(url) = redis_url("server plus worker") else {
        return;
    };
    tokio::time::timeout(BUDGET, async {
        let site = Site::new(Some(&url));
        let http = reqwest::Client::new();
        // The server runs no worker: only the other process can finish the jobs.
        let server = Server::start(&site, "server", 0).await;
        // Killed when dropped, also when an assertion fails first.
        let _worker = Worker(site.start("worker", &["worker"], &[("IMAGE_WORKERS", "2".into())]));
        let token = token(&server.base, &http).await;
        let mut ids = Vec::new();
        for seed in 0..4 {
            ids.push(upload(&server.base, &http, &token, photo(seed)).await);
        }
        wait_all_done(&server.base, &http, &token, &ids).await;
        let by_worker = done_counts(&site, &["worker"]);
        let by_server = done_counts(&site, &["server"]);
        for id in &ids {
            assert_eq!(
                by_worker.get(id),
                Some(&1),
                "the worker process finished {id}"
            );
        }
        assert!(by_server.is_empty(), "the server ran no job: {by_server:?}");
    })
    .await
    .expect("within the budget");
}

#[tokio::test]
async fn the_redis_queue_hands_out_reclaims_delays_and_forgets() {
    let Some(url) = redis_url("Redis queue lifecycle") else {
        return;
    };
    let name = unique("apiary-test");
    let queue = RedisQueue::connect(&url, &name, Duration::from_millis(500))
        .await
        .expect("connects");
    let other = RedisQueue::connect(&url, &name, Duration::from_millis(500))
        .await
        .expect("a second consumer");
    let id = uuid::Uuid::new_v4();
    queue.push(id).await.unwrap();
    assert_eq!(queue.depth().await.unwrap(), 1);
    let lease = queue.claim().await.unwrap().expect("the job");
    assert_eq!(lease.image_id, id);
    assert_eq!(other.claim().await.unwrap(), None, "held by a live claim");
    // Renewed, the claim outlasts the visibility timeout.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(queue.extend(&lease).await.unwrap(), "still held");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(other.claim().await.unwrap(), None, "renewed 300 ms ago");
    // The first consumer dies; after the visibility timeout the other takes it over.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let reclaimed = other.claim().await.unwrap().expect("reclaimed");
    assert_eq!(reclaimed.image_id, id);
    assert!(!queue.extend(&lease).await.unwrap(), "taken over");
    // A retry is not handed out before its time, then is.
    other
        .retry(&reclaimed, Duration::from_millis(300))
        .await
        .unwrap();
    assert_eq!(queue.claim().await.unwrap(), None, "not due yet");
    assert_eq!(queue.depth().await.unwrap(), 1, "delayed, not lost");
    tokio::time::sleep(Duration::from_millis(350)).await;
    let again = queue.claim().await.unwrap().expect("due again");
    assert_eq!(again.image_id, id);
    queue.ack(&again).await.unwrap();
    assert_eq!(queue.depth().await.unwrap(), 0);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        other.claim().await.unwrap(),
        None,
        "an acked job never comes back"
    );
}
