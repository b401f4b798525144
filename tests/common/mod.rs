//! What the tests that run the built binary share: starting server and worker
//! processes on one site (database, image store, logs), registering users, uploading
//! photos, waiting for their jobs, and counting from the processes' JSON logs how many
//! times each job was done.
//!
//! Each test binary that declares `mod common;` uses a part of it, so the rest would be
//! reported as dead code there.
#![allow(dead_code)]

use std::{
    collections::BTreeMap,
    io::Cursor,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{Value, json};

pub const JWT_SECRET: &str = "image-process-tests-secret-at-least-32-bytes";
pub const PASSWORD: &str = "correct-horse-7";
/// How long one process test may run before it counts as hung. It catches a hang, not
/// a slow machine: on a 2-core machine busy with other builds the crash test took over
/// three minutes, so the bound sits far above any honest run.
pub const BUDGET: Duration = Duration::from_secs(900);
/// How long a job or a process start may take before the test counts as hung.
pub const WAIT: Duration = Duration::from_secs(180);

/// `TEST_REDIS_URL`, checked: unset, `None` with a note; set, an unreachable Redis panics.
pub fn redis_url(test: &str) -> Option<String> {
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

pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener.local_addr().expect("local addr").port()
}

/// Data shared by the processes of one test: the database, the image store, logs.
pub struct Site {
    pub dir: tempfile::TempDir,
    pub env: Vec<(String, String)>,
}

impl Site {
    /// One machine's site: a SQLite file and an image directory in a temp dir, the
    /// queue in the database, or in Redis when `redis` is given.
    pub fn new(redis: Option<&str>) -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        let mut env = vec![
            (
                "DATABASE_URL".to_string(),
                format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("apiary.db").display()
                ),
            ),
            (
                "STORAGE_DIR".to_string(),
                dir.path().join("images").display().to_string(),
            ),
        ];
        if let Some(url) = redis {
            env.push(("REDIS_URL".to_string(), url.to_string()));
            env.push(("IMAGE_QUEUE_NAME".to_string(), unique("apiary-test")));
        }
        Self::with(dir, env)
    }

    /// A site on `dir` whose backends are named by `backends` (`DATABASE_URL`, the image
    /// store, `REDIS_URL`...), with the settings every process test shares.
    pub fn with(dir: tempfile::TempDir, backends: Vec<(String, String)>) -> Self {
        let mut env: Vec<(String, String)> = [
            ("APP_ENV", "test"),
            ("BCRYPT_COST", "4"),
            ("JWT_SECRET", JWT_SECRET),
            ("LOG_FORMAT", "json"),
            ("RUST_LOG", "apiary=info,warn"),
            ("RATE_LIMIT_SCALE", "1000"),
            ("IMAGE_JOB_VISIBILITY_SECS", "2"),
            ("IMAGE_JOB_BACKOFF_MS", "100"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        env.extend(backends);
        Self { dir, env }
    }

    pub fn log(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("{name}.log"))
    }

    /// Starts the binary (`args`: none for the server, `worker`) with extra variables.
    pub fn start(&self, name: &str, args: &[&str], extra: &[(&str, String)]) -> Child {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log(name))
            .expect("a log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_apiary"));
        command
            .args(args)
            // Relative paths (a default STORAGE_DIR) land in the site, not the repository.
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .envs(extra.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::from(log.try_clone().expect("a log handle")))
            .stderr(Stdio::from(log));
        command.spawn().expect("the binary starts")
    }

    pub fn images_dir(&self) -> PathBuf {
        self.dir.path().join("images")
    }
}

/// A server process, killed (SIGKILL) when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Server {
    pub async fn start(site: &Site, name: &str, workers: usize) -> Self {
        Self::start_with(site, name, &[("IMAGE_WORKERS", workers.to_string())]).await
    }

    /// Starts a server on a free loopback port with `extra` variables and waits until
    /// `/readyz` answers 200 (every backend it uses answers).
    pub async fn start_with(site: &Site, name: &str, extra: &[(&str, String)]) -> Self {
        let port = free_port();
        let mut env = vec![("BIND_ADDR", format!("127.0.0.1:{port}"))];
        env.extend(extra.iter().cloned());
        let child = site.start(name, &[], &env);
        let mut server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let http = reqwest::Client::new();
        let started = Instant::now();
        loop {
            let ready = http.get(format!("{}/readyz", server.base)).send().await;
            if matches!(&ready, Ok(r) if r.status() == 200) {
                break;
            }
            let log = || std::fs::read_to_string(site.log(name)).unwrap_or_default();
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("the server {name} exited ({status}): {}", log());
            }
            assert!(
                started.elapsed() < WAIT,
                "the server {name} did not become ready: {}",
                log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server
    }

    pub fn kill(mut self) {
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

/// A worker process, killed (SIGKILL) when dropped.
pub struct Worker(pub Child);

impl Worker {
    pub fn kill(mut self) {
        self.0.kill().expect("the worker is killed");
        self.0.wait().expect("the worker is reaped");
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Registers a new user on `base` and returns its email.
pub async fn register(base: &str, http: &reqwest::Client) -> String {
    let email = format!("{}@example.com", unique("images"));
    let created = http
        .post(format!("{base}/v1/users"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201, "registration on {base}");
    email
}

/// A token for `email` from `base` (password grant).
pub async fn login(base: &str, http: &reqwest::Client, email: &str) -> String {
    let answer = http
        .post(format!("{base}/v1/auth/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", email),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "login on {base}");
    let token: Value = answer.json().await.unwrap();
    token["access_token"].as_str().expect("a token").to_string()
}

/// Registers a new user on `base` and returns a token of it from the same server.
pub async fn token(base: &str, http: &reqwest::Client) -> String {
    let email = register(base, http).await;
    login(base, http, &email).await
}

/// A JPEG big enough that resizing it takes a noticeable moment.
pub fn photo(seed: u32) -> Vec<u8> {
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

/// Uploads `bytes`; the status and, on a 202, the image's id.
pub async fn try_upload(
    base: &str,
    http: &reqwest::Client,
    token: &str,
    bytes: Vec<u8>,
) -> reqwest::Result<(u16, Option<String>)> {
    let reply = http
        .post(format!("{base}/v1/images"))
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .send()
        .await?;
    let status = reply.status().as_u16();
    let job: Value = reply.json().await?;
    Ok((status, job["id"].as_str().map(str::to_string)))
}

/// Uploads `bytes`, which must be accepted, and returns the image's id.
pub async fn upload(base: &str, http: &reqwest::Client, token: &str, bytes: Vec<u8>) -> String {
    let (status, id) = try_upload(base, http, token, bytes).await.unwrap();
    assert_eq!(status, 202);
    id.expect("an id")
}

pub async fn statuses(
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

pub async fn wait_all_done(base: &str, http: &reqwest::Client, token: &str, ids: &[String]) {
    let started = Instant::now();
    loop {
        let now = statuses(base, http, token, ids).await;
        if now.values().all(|s| s == "done") {
            return;
        }
        assert!(now.values().all(|s| s != "failed"), "a job failed: {now:?}");
        assert!(
            started.elapsed() < WAIT,
            "not all done after {WAIT:?}: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until at least one of `ids` is done and returns how many are.
pub async fn wait_some_done(
    base: &str,
    http: &reqwest::Client,
    token: &str,
    ids: &[String],
) -> usize {
    let started = Instant::now();
    loop {
        let now = statuses(base, http, token, ids).await;
        let done = now.values().filter(|s| *s == "done").count();
        if done >= 1 {
            return done;
        }
        assert!(started.elapsed() < WAIT, "no job finished in {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// How many times each image's job logged "done", over every log of the site.
pub fn done_counts(site: &Site, logs: &[&str]) -> BTreeMap<String, usize> {
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
pub fn variant_files(images: &Path, id: &str) -> Vec<String> {
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
