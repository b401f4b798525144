//! A cluster proven together: two server processes (A and B) and separate `apiary
//! worker` processes of the built binary on one PostgreSQL database, one Redis and one
//! image store, on loopback. Each scenario starts its own cluster on a fresh database
//! and queue:
//!
//! - a user registered through A gets a token from B, valid on both;
//! - an image uploaded to A (no workers in either server) is finished by the worker and
//!   its variants are served by B;
//! - the rate limit is one budget across A and B;
//! - a worker killed with SIGKILL mid-job is replaced by a second one, and every job is
//!   done exactly once (0 lost, 0 duplicated);
//! - a server killed mid-upload loses nothing it answered 202 for.
//!
//! Backends: `TEST_DATABASE_URL` (PostgreSQL) and `TEST_REDIS_URL`; either unset, the
//! scenarios are skipped with a note; set but unreachable, they fail. The image store:
//! with `TEST_S3_URL` every process gets `STORAGE_URL=<TEST_S3_URL>/<a prefix of its
//! own per run>` and the `AWS_*` variables; without it, one shared temporary
//! `STORAGE_DIR`, which is only a shared store because every process runs on this
//! machine. Each scenario is bounded in time and prints its figures.
//!
//! Rate-limit keys in Redis name the user by id (`apiary:rl:uploadImage:user:1`), and every
//! fresh database numbers its users from 1, as the other tests' databases do. So that a
//! cluster's budgets are its own, its users are numbered from a random id.

mod common;

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use common::{
    BUDGET, Server, Site, WAIT, Worker, done_counts, login, photo, redis_url, register, statuses,
    token, try_upload, unique, upload, wait_all_done, wait_some_done,
};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The object store's variables passed through to every process along `TEST_S3_URL`.
const AWS_VARIABLES: [&str; 4] = [
    "AWS_ENDPOINT_URL",
    "AWS_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
];

/// The backends of a cluster: PostgreSQL and Redis, `None` (with a note) when either
/// variable is unset.
fn backends(test: &str) -> Option<(String, String)> {
    let Some(postgres) = apiary::storage::testing::postgres_base_url() else {
        eprintln!("note: cluster {test}: TEST_DATABASE_URL is unset, cluster test not run");
        return None;
    };
    let redis = redis_url(&format!("cluster {test}"))?;
    Some((postgres, redis))
}

/// The image store every process of one cluster shares, chosen by the environment.
fn object_store(test: &str, dir: &std::path::Path) -> Vec<(String, String)> {
    match std::env::var("TEST_S3_URL") {
        Ok(url) if !url.trim().is_empty() => {
            let mut env = vec![(
                "STORAGE_URL".to_string(),
                format!("{}/{}", url.trim_end_matches('/'), unique("cluster")),
            )];
            for name in AWS_VARIABLES {
                if let Ok(value) = std::env::var(name) {
                    env.push((name.to_string(), value));
                }
            }
            env
        }
        _ => {
            eprintln!(
                "note: cluster {test}: TEST_S3_URL is unset, the processes share one local \
                 STORAGE_DIR (a shared store only because they run on one machine)"
            );
            vec![(
                "STORAGE_DIR".to_string(),
                dir.join("images").display().to_string(),
            )]
        }
    }
}

/// A site on a fresh PostgreSQL database, a Redis queue of its own and the shared
/// image store.
async fn cluster_site(test: &str, postgres: &str, redis: &str) -> Site {
    let dir = tempfile::tempdir().expect("a temp dir");
    let database = apiary::storage::testing::fresh_database_url(Some(postgres))
        .await
        .unwrap_or_else(|e| panic!("TEST_DATABASE_URL is set but no database: {e:#}"));
    let mut env = vec![
        ("DATABASE_URL".to_string(), database),
        // Several processes per scenario, scenarios in parallel: stay far below
        // PostgreSQL's connection limit.
        ("DATABASE_MAX_CONNECTIONS".to_string(), "4".to_string()),
        ("DATABASE_READ_CONNECTIONS".to_string(), "1".to_string()),
        ("SEED_DEMO_DATA".to_string(), "off".to_string()),
        ("REDIS_URL".to_string(), redis.to_string()),
        ("IMAGE_QUEUE_NAME".to_string(), unique("apiary-cluster")),
    ];
    env.extend(object_store(test, dir.path()));
    Site::with(dir, env)
}

/// Moves the (migrated) database's user ids to a random start, 10^12 to 2 x 10^12.
async fn number_users_from_random_id(site: &Site) {
    use sea_orm::ConnectionTrait;
    let url = site
        .env
        .iter()
        .find(|(k, _)| k == "DATABASE_URL")
        .map(|(_, v)| v.clone())
        .expect("a DATABASE_URL");
    let random = uuid::Uuid::new_v4().as_u64_pair().0 % 1_000_000_000_000;
    let db = sea_orm::Database::connect(url)
        .await
        .expect("the cluster's database");
    db.execute_unprepared(&format!(
        "select setval('users_id_seq', {})",
        1_000_000_000_000 + random
    ))
    .await
    .expect("the user ids move");
    db.close().await.expect("closed");
}

/// Two servers without workers on one site, with `extra` variables on both.
struct Cluster {
    site: Site,
    a: Server,
    b: Server,
    http: reqwest::Client,
}

impl Cluster {
    async fn start(test: &str, extra: &[(&str, String)]) -> Option<Self> {
        let (postgres, redis) = backends(test)?;
        let site = cluster_site(test, &postgres, &redis).await;
        let mut env = vec![("IMAGE_WORKERS", "0".to_string())];
        env.extend(extra.iter().cloned());
        let a = Server::start_with(&site, "a", &env).await;
        number_users_from_random_id(&site).await;
        let b = Server::start_with(&site, "b", &env).await;
        Some(Self {
            site,
            a,
            b,
            http: reqwest::Client::new(),
        })
    }

    fn worker(&self, name: &str) -> Worker {
        Worker(
            self.site
                .start(name, &["worker"], &[("IMAGE_WORKERS", "2".into())]),
        )
    }
}

/// Every variant of `id`, read from `base`: each must be an image that fits its box.
async fn check_variants(base: &str, http: &reqwest::Client, token: &str, id: &str) {
    for (size, edge) in [("thumb", 150), ("medium", 600), ("large", 1200)] {
        let answer = http
            .get(format!("{base}/v1/images/{id}/variants/{size}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "{base} serves {size} of {id}");
        let bytes = answer.bytes().await.unwrap();
        let image = image::load_from_memory(&bytes).expect("a variant decodes");
        assert!(
            image.width() <= edge && image.height() <= edge && image.width() > 0,
            "{size} of {id} is {}x{}",
            image.width(),
            image.height()
        );
    }
}

/// Lost (accepted, not done) and duplicated (done more than once) among `ids`.
fn lost_and_duplicated(counts: &BTreeMap<String, usize>, ids: &[String]) -> (usize, usize) {
    let lost = ids.iter().filter(|id| !counts.contains_key(*id)).count();
    let duplicated = counts.values().filter(|n| **n > 1).count();
    (lost, duplicated)
}

async fn bounded(scenario: impl Future<Output = ()>) {
    tokio::time::timeout(BUDGET, scenario)
        .await
        .expect("the cluster scenario stays within its budget");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_registered_on_one_instance_gets_a_token_from_the_other() {
    bounded(async {
        let Some(cluster) = Cluster::start("accounts", &[]).await else {
            return;
        };
        let (a, b, http) = (&cluster.a.base, &cluster.b.base, &cluster.http);
        let email = register(a, http).await;
        let token = login(b, http, &email).await;
        for base in [a, b] {
            let account: Value = {
                let answer = http
                    .get(format!("{base}/v1/account"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(answer.status(), 200, "B's token is valid on {base}");
                answer.json().await.unwrap()
            };
            assert_eq!(account["email"], email.as_str());
        }
        // One user table: the email registered on A is taken on B.
        let again = http
            .post(format!("{b}/v1/users"))
            .json(&serde_json::json!({"email": email, "password": common::PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 409, "the email is taken on B too");
        eprintln!("cluster accounts: registered on A, token from B, account read on A and B");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_uploaded_to_one_instance_is_finished_by_the_worker_and_served_by_the_other() {
    bounded(async {
        let Some(cluster) = Cluster::start("images", &[]).await else {
            return;
        };
        let (a, b, http) = (&cluster.a.base, &cluster.b.base, &cluster.http);
        let _worker = cluster.worker("worker");
        let token = token(a, http).await;
        let mut ids = Vec::new();
        for seed in 0..3 {
            ids.push(upload(a, http, &token, photo(seed)).await);
        }
        wait_all_done(b, http, &token, &ids).await;
        for id in &ids {
            check_variants(b, http, &token, id).await;
        }
        let by_worker = done_counts(&cluster.site, &["worker"]);
        let by_servers = done_counts(&cluster.site, &["a", "b"]);
        for id in &ids {
            assert_eq!(by_worker.get(id), Some(&1), "the worker finished {id}");
        }
        assert!(by_servers.is_empty(), "no server ran a job: {by_servers:?}");
        eprintln!(
            "cluster images: {} uploaded to A, {} done by the worker, 0 by the servers, \
             3 variants each served by B",
            ids.len(),
            by_worker.len()
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limit_is_one_budget_across_instances() {
    const BUDGET_UPLOADS: usize = 5;
    bounded(async {
        // Uploads are limited per user; the budget comes back one upload every 12
        // minutes, so none returns while the test runs.
        let limit = format!("uploadImage={BUDGET_UPLOADS}/1h");
        let Some(cluster) = Cluster::start("rate limit", &[("RATE_LIMIT_OVERRIDES", limit)]).await
        else {
            return;
        };
        let (a, b, http) = (&cluster.a.base, &cluster.b.base, &cluster.http);
        let token = token(a, http).await;
        let mut answers = Vec::new();
        for round in 0..2 * BUDGET_UPLOADS + 2 {
            // A, B, A, B...: each instance alone would allow the whole budget.
            let (name, base) = if round % 2 == 0 { ("A", a) } else { ("B", b) };
            let (status, _) = try_upload(base, http, &token, photo(round as u32))
                .await
                .unwrap();
            answers.push((name, status));
        }
        let allowed = answers.iter().filter(|(_, s)| *s == 202).count();
        let limited = answers.iter().filter(|(_, s)| *s == 429).count();
        let on = |instance: &str| {
            answers
                .iter()
                .filter(|(n, s)| *n == instance && *s == 202)
                .count()
        };
        eprintln!(
            "cluster rate limit: budget {BUDGET_UPLOADS}, {} uploads alternating A and B: \
             {allowed} allowed (A {}, B {}), {limited} limited: {answers:?}",
            answers.len(),
            on("A"),
            on("B")
        );
        assert_eq!(allowed, BUDGET_UPLOADS, "one budget across A and B");
        assert_eq!(limited, answers.len() - BUDGET_UPLOADS, "the rest are 429");
        assert!(
            answers[..BUDGET_UPLOADS].iter().all(|(_, s)| *s == 202),
            "the budget is spent first: {answers:?}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_worker_is_replaced_and_every_job_is_done_exactly_once() {
    bounded(async {
        let Some(cluster) = Cluster::start("worker kill", &[]).await else {
            return;
        };
        let (a, b, http) = (&cluster.a.base, &cluster.b.base, &cluster.http);
        let token = token(a, http).await;
        let mut ids = Vec::new();
        for seed in 0..20 {
            let base = if seed % 2 == 0 { a } else { b };
            ids.push(upload(base, http, &token, photo(seed)).await);
        }
        let first = cluster.worker("worker-1");
        let done_at_kill = wait_some_done(a, http, &token, &ids).await;
        assert!(
            done_at_kill < ids.len(),
            "every job finished before the kill; use more or bigger images"
        );
        first.kill();
        let _second = cluster.worker("worker-2");
        wait_all_done(b, http, &token, &ids).await;
        // Redeliveries of finished jobs have had time to arrive and be skipped.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let counts = done_counts(&cluster.site, &["worker-1", "worker-2"]);
        let (lost, duplicated) = lost_and_duplicated(&counts, &ids);
        let by_first = done_counts(&cluster.site, &["worker-1"]).len();
        eprintln!(
            "cluster worker kill: jobs {}, kills 1 (SIGKILL after {done_at_kill} done), \
             done by the first worker {by_first}, by its replacement {}, lost {lost}, \
             duplicated {duplicated}",
            ids.len(),
            done_counts(&cluster.site, &["worker-2"]).len()
        );
        assert_eq!((lost, duplicated), (0, 0), "exactly once: {counts:?}");
        assert_eq!(counts.len(), ids.len(), "no job done that was not accepted");
        for id in &ids {
            check_variants(b, http, &token, id).await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_upload_loses_nothing_it_accepted() {
    const UPLOADERS: usize = 3;
    bounded(async {
        let Some(cluster) = Cluster::start("server kill", &[]).await else {
            return;
        };
        let Cluster { site, a, b, http } = cluster;
        let a_base = a.base.clone();
        let b_base = b.base.clone();
        let token = token(&b_base, &http).await;
        let _worker = Worker(site.start("worker", &["worker"], &[("IMAGE_WORKERS", "2".into())]));

        // One upload certainly in flight at the kill: its headers and half its body sent.
        let body = photo(99);
        let address = a_base.trim_start_matches("http://").to_string();
        let mut half_sent = tokio::net::TcpStream::connect(&address).await.unwrap();
        let head = format!(
            "POST /v1/images HTTP/1.1\r\nhost: {address}\r\nauthorization: Bearer {token}\r\n\
             content-type: application/octet-stream\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        half_sent.write_all(head.as_bytes()).await.unwrap();
        half_sent.write_all(&body[..body.len() / 2]).await.unwrap();

        // Uploaders keep A busy until it dies; every 202 they get is recorded.
        let accepted = Arc::new(Mutex::new(Vec::<String>::new()));
        let mut uploaders = Vec::new();
        for n in 0..UPLOADERS {
            let (http, token, base, accepted) = (
                http.clone(),
                token.clone(),
                a_base.clone(),
                accepted.clone(),
            );
            uploaders.push(tokio::spawn(async move {
                let mut failed = 0;
                for round in 0.. {
                    match try_upload(&base, &http, &token, photo(n as u32 * 1000 + round)).await {
                        Ok((202, Some(id))) => accepted.lock().unwrap().push(id),
                        Ok((status, _)) => panic!("upload answered {status}"),
                        // The server is gone: this upload was cut off.
                        Err(_) => {
                            failed += 1;
                            break;
                        }
                    }
                }
                failed
            }));
        }
        let started = std::time::Instant::now();
        while accepted.lock().unwrap().len() < 6 {
            assert!(started.elapsed() < WAIT, "A accepted too few uploads");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        a.kill();
        let mut cut_off = 0;
        for uploader in uploaders {
            cut_off += uploader.await.expect("an uploader ends");
        }
        let mut rest = Vec::new();
        let answered = tokio::time::timeout(WAIT, half_sent.read_to_end(&mut rest))
            .await
            .expect("the killed server's socket closes");
        assert!(
            answered.is_err() || !String::from_utf8_lossy(&rest).contains(" 202 "),
            "the half-sent upload was never accepted: {}",
            String::from_utf8_lossy(&rest)
        );
        cut_off += 1;

        let ids = accepted.lock().unwrap().clone();
        wait_all_done(&b_base, &http, &token, &ids).await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        let counts = done_counts(&site, &["worker"]);
        let (lost, duplicated) = lost_and_duplicated(&counts, &ids);
        let now = statuses(&b_base, &http, &token, &ids).await;
        eprintln!(
            "cluster server kill: kills 1 (SIGKILL of A), accepted (202) {}, cut off in \
             flight {cut_off}, done {}, lost {lost}, duplicated {duplicated}",
            ids.len(),
            now.values().filter(|s| *s == "done").count()
        );
        assert_eq!(
            (lost, duplicated),
            (0, 0),
            "every 202 done once: {counts:?}"
        );
        for id in &ids {
            check_variants(&b_base, &http, &token, id).await;
        }
        drop(b);
    })
    .await;
}
