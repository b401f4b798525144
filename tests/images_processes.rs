//! The image pipeline across real processes of the built binary: a server and a
//! separate `apiary worker` sharing one Redis queue, and the crash test (SIGKILL while
//! jobs run, restart on the same data: every job ends `done` exactly once, none lost)
//! on both queue backends, plus the Redis queue's own lifecycle.
//!
//! Redis tests read `TEST_REDIS_URL`: unset, they are skipped with a note; set, an
//! unreachable Redis fails them. Each test is bounded in time.

use std::{
    collections::BTreeMap,
    io::Cursor,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use apiary::jobs::{JobQueue, redis::RedisQueue};
use serde_json::{Value, json};

const JWT_SECRET: &str = "image-process-tests-secret-at-least-32-bytes";
const PASSWORD: &str = "correct-horse-7";
/// How long one process test may run before it counts as hung. It catches a hang, not
/// a slow machine: on a 2-core machine busy with other builds the crash test took over
/// three minutes, so the bound sits far above any honest run.
const BUDGET: Duration = Duration::from_secs(900);

fn redis_url(test: &str) -> Option<String> {
    match std::env::var("TEST_REDIS_URL") {
        Ok(url) if !url.trim().is_empty() => {
            let client = redis::Client::open(url.as_str())
                .unwrap_or_else(|e| panic!("TEST_REDIS_URL is not a Redis URL: {e}"));
            let mut conn = client
                .get_connection_with_timeout(Duration::from_secs(5))
                .unwrap_or_else(|e| panic!("TEST_REDIS_URL is set but Redis is unreachable: {e}"));
            let pong: String = redis::cmd("PING")
                .query(&mut conn)
                .unwrap_or_else(|e| panic!("TEST_REDIS_URL is set but PING failed: {e}"));
            assert_eq!(pong, "PONG");
            Some(url)
        }
        _ => {
            eprintln!("note: {test}: TEST_REDIS_URL is unset, Redis test not run");
            None
        }
    }
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener.local_addr().expect("local addr").port()
}

/// Data shared by the processes of one test: the database, the image store, logs.
struct Site {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Site {
    fn new(redis: Option<&str>) -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        let mut env = vec![
            ("APP_ENV", "test".to_string()),
            ("BCRYPT_COST", "4".to_string()),
            ("JWT_SECRET", JWT_SECRET.to_string()),
            ("LOG_FORMAT", "json".to_string()),
            ("RUST_LOG", "apiary=info,warn".to_string()),
            ("RATE_LIMIT_SCALE", "1000".to_string()),
            (
                "DATABASE_URL",
                format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("apiary.db").display()
                ),
            ),
            (
                "STORAGE_DIR",
                dir.path().join("images").display().to_string(),
            ),
            ("IMAGE_JOB_VISIBILITY_SECS", "2".to_string()),
            ("IMAGE_JOB_BACKOFF_MS", "100".to_string()),
        ];
        if let Some(url) = redis {
            env.push(("REDIS_URL", url.to_string()));
            env.push(("IMAGE_QUEUE_NAME", unique("apiary-test")));
        }
        Self {
            env: env.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            dir,
        }
    }

    fn log(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("{name}.log"))
    }

    /// Starts the binary (`args`: none for the server, `worker`) with extra variables.
    fn start(&self, name: &str, args: &[&str], extra: &[(&str, String)]) -> Child {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log(name))
            .expect("a log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_apiary"));
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .envs(extra.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::from(log.try_clone().expect("a log handle")))
            .stderr(Stdio::from(log));
        command.spawn().expect("the binary starts")
    }

    fn images_dir(&self) -> PathBuf {
        self.dir.path().join("images")
    }
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(site: &Site, name: &str, workers: usize) -> Self {
        let port = free_port();
        let child = site.start(
            name,
            &[],
            &[
                ("BIND_ADDR", format!("127.0.0.1:{port}")),
                ("IMAGE_WORKERS", workers.to_string()),
            ],
        );
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let http = reqwest::Client::new();
        let started = Instant::now();
        while http
            .get(format!("{}/healthz", server.base))
            .send()
            .await
            .is_err()
        {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the server did not come up: {}",
                std::fs::read_to_string(site.log(name)).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server
    }

    fn kill(mut self) {
        // SIGKILL: no shutdown hook runs.
        self.child.kill().expect("the server is killed");
        self.child.wait().expect("the server is reaped");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn token(base: &str, http: &reqwest::Client) -> String {
    let email = format!("{}@example.com", unique("images"));
    let created = http
        .post(format!("{base}/v1/users"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let token: Value = http
        .post(format!("{base}/v1/auth/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", email.as_str()),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    token["access_token"].as_str().expect("a token").to_string()
}

/// A JPEG big enough that resizing it takes a noticeable moment.
fn photo(seed: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(1600, 1200, |x, y| {
        image::Rgb([
            ((x + seed) % 256) as u8,
            ((y * 3) % 256) as u8,
            (seed * 40 % 256) as u8,
        ])
    });
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

async fn upload(base: &str, http: &reqwest::Client, token: &str, bytes: Vec<u8>) -> String {
    let reply = http
        .post(format!("{base}/v1/images"))
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 202);
    let job: Value = reply.json().await.unwrap();
    job["id"].as_str().expect("an id").to_string()
}

async fn statuses(
    base: &str,
    http: &reqwest::Client,
    token: &str,
    ids: &[String],
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for id in ids {
        let image: Value = http
            .get(format!("{base}/v1/images/{id}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        out.insert(
            id.clone(),
            image["status"].as_str().unwrap_or("?").to_string(),
        );
    }
    out
}

async fn wait_all_done(base: &str, http: &reqwest::Client, token: &str, ids: &[String]) {
    let started = Instant::now();
    loop {
        let now = statuses(base, http, token, ids).await;
        if now.values().all(|s| s == "done") {
            return;
        }
        assert!(now.values().all(|s| s != "failed"), "a job failed: {now:?}");
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "not all done after 120 s: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// How many times each image's job logged "done", over every log of the site.
fn done_counts(site: &Site, logs: &[&str]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for name in logs {
        let text = std::fs::read_to_string(site.log(name)).unwrap_or_default();
        for line in text.lines() {
            let Ok(event) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            if event["message"] == "image job done"
                && let Some(id) = event["image_id"].as_str()
            {
                *counts.entry(id.to_string()).or_default() += 1;
            }
        }
    }
    counts
}

/// The variant files of an image, temporary files left by a killed writer excluded.
fn variant_files(images: &Path, id: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(images.join("variants").join(id))
        .map(|dir| {
            dir.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| !name.starts_with(".tmp-"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

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
    let started = Instant::now();
    loop {
        let now = statuses(&server.base, &http, &token, &ids).await;
        let done = now.values().filter(|s| *s == "done").count();
        if done >= 1 {
            assert!(
                done < ids.len(),
                "every job finished before the kill; use bigger images"
            );
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no job finished in 60 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
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
        let mut worker = site.start("worker", &["worker"], &[("IMAGE_WORKERS", "2".into())]);
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
        let _ = worker.kill();
        let _ = worker.wait();
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
