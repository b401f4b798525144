//! Load for `bench/cluster`: uploads and variant reads through one URL (a load balancer
//! in front of the instances), `cargo run --release --example cluster_load -- URL
//! UPLOADS CONNECTIONS READ_SECS`.
//!
//! 1. Registers a user and logs in (once).
//! 2. Uploads UPLOADS copies of a generated 1600x1200 JPEG over CONNECTIONS concurrent
//!    connections: accepted uploads per second and the latency to each 202.
//! 3. Waits until every image is done (the worker's part; reported, not the point).
//! 4. Reads the images' `thumb` and `medium` variants in turn over CONNECTIONS
//!    connections for READ_SECS seconds: reads per second and their latency.
//!
//! Any answer but a 202 (uploads) or a 200 (reads) fails the run. Prints one JSON object.

use std::{
    io::Cursor,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use serde_json::{Value, json};

const PASSWORD: &str = "cluster-bench-password-1";
/// How long the images may take to be done before the run counts as stuck.
const DONE_WITHIN: Duration = Duration::from_secs(600);

fn photo(seed: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(1600, 1200, |x, y| {
        let t = ((x / 7) ^ (y / 5)) % 32;
        image::Rgb([
            ((x * 255 / 1600) as u8).wrapping_add(t as u8),
            ((y * 255 / 1200) as u8).wrapping_add((t * 3) as u8),
            ((x + y + seed) / 40 % 256) as u8,
        ])
    });
    let mut out = Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("a JPEG");
    out.into_inner()
}

fn usage() -> ! {
    eprintln!("usage: cluster_load URL UPLOADS CONNECTIONS READ_SECS");
    std::process::exit(2);
}

fn arg<T: std::str::FromStr>(args: &[String], i: usize) -> T {
    args.get(i)
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| usage())
}

/// p50 and p99 of `latencies`, in milliseconds.
fn percentiles(mut latencies: Vec<Duration>) -> (f64, f64) {
    if latencies.is_empty() {
        return (0.0, 0.0);
    }
    latencies.sort();
    let at = |q: f64| {
        let i = ((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[i].as_secs_f64() * 1000.0
    };
    (at(0.50), at(0.99))
}

async fn check(answer: reqwest::Response, expected: u16, what: &str) -> reqwest::Response {
    let status = answer.status().as_u16();
    if status != expected {
        let body = answer.text().await.unwrap_or_default();
        eprintln!("cluster_load: {what} answered {status}, not {expected}: {body}");
        std::process::exit(1);
    }
    answer
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 5 {
        usage();
    }
    let base: String = arg::<String>(&args, 1).trim_end_matches('/').to_string();
    let uploads: usize = arg(&args, 2);
    let connections: usize = arg::<usize>(&args, 3).max(1);
    let read_secs: u64 = arg(&args, 4);
    let http = reqwest::Client::new();

    let email = format!("bench-{}@example.com", uuid::Uuid::new_v4().simple());
    let answer = http
        .post(format!("{base}/v1/users"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .expect("registration");
    check(answer, 201, "registration").await;
    let answer = http
        .post(format!("{base}/v1/auth/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", email.as_str()),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .expect("login");
    let token: Value = check(answer, 200, "login").await.json().await.unwrap();
    let token = Arc::new(token["access_token"].as_str().expect("a token").to_string());

    // The bodies are made before the clock starts: the client's JPEG encoder is not timed.
    let bodies: Arc<Vec<Vec<u8>>> = Arc::new((0..4).map(photo).collect());
    let body_bytes = bodies[0].len();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (http, base, token, bodies, next) = (
            http.clone(),
            base.clone(),
            token.clone(),
            bodies.clone(),
            next.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut done = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= uploads {
                    return done;
                }
                let sent = Instant::now();
                let answer = http
                    .post(format!("{base}/v1/images"))
                    .bearer_auth(token.as_str())
                    .header("content-type", "application/octet-stream")
                    .body(bodies[n % bodies.len()].clone())
                    .send()
                    .await
                    .expect("an upload");
                let job: Value = check(answer, 202, "an upload").await.json().await.unwrap();
                done.push((
                    sent.elapsed(),
                    job["id"].as_str().expect("an id").to_string(),
                ));
            }
        }));
    }
    let mut upload_latencies = Vec::new();
    let mut ids = Vec::new();
    for task in tasks {
        for (latency, id) in task.await.expect("an uploader") {
            upload_latencies.push(latency);
            ids.push(id);
        }
    }
    let upload_secs = started.elapsed().as_secs_f64();

    loop {
        let mut pending = 0;
        for id in &ids {
            let image: Value = http
                .get(format!("{base}/v1/images/{id}"))
                .bearer_auth(token.as_str())
                .send()
                .await
                .expect("an image")
                .json()
                .await
                .unwrap();
            match image["status"].as_str() {
                Some("done") => {}
                Some("processing") => pending += 1,
                other => {
                    eprintln!("cluster_load: image {id} is {other:?}");
                    std::process::exit(1);
                }
            }
        }
        if pending == 0 {
            break;
        }
        if started.elapsed() > DONE_WITHIN {
            eprintln!("cluster_load: {pending} images not done after {DONE_WITHIN:?}");
            std::process::exit(1);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let all_done_secs = started.elapsed().as_secs_f64();

    let ids = Arc::new(ids);
    let until = Instant::now() + Duration::from_secs(read_secs);
    let read_started = Instant::now();
    let mut tasks = Vec::new();
    for connection in 0..connections {
        let (http, base, token, ids) = (http.clone(), base.clone(), token.clone(), ids.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut bytes = 0usize;
            let mut n = connection;
            while Instant::now() < until {
                let id = &ids[n % ids.len()];
                let size = if n % 2 == 0 { "thumb" } else { "medium" };
                n += 1;
                let sent = Instant::now();
                let answer = http
                    .get(format!("{base}/v1/images/{id}/variants/{size}"))
                    .bearer_auth(token.as_str())
                    .send()
                    .await
                    .expect("a variant read");
                bytes += check(answer, 200, "a variant read")
                    .await
                    .bytes()
                    .await
                    .expect("the variant's bytes")
                    .len();
                latencies.push(sent.elapsed());
            }
            (latencies, bytes)
        }));
    }
    let mut read_latencies = Vec::new();
    let mut read_bytes = 0;
    for task in tasks {
        let (latencies, bytes) = task.await.expect("a reader");
        read_latencies.extend(latencies);
        read_bytes += bytes;
    }
    let read_secs = read_started.elapsed().as_secs_f64();
    let reads = read_latencies.len();

    let (upload_p50, upload_p99) = percentiles(upload_latencies);
    let (read_p50, read_p99) = percentiles(read_latencies);
    println!(
        "{}",
        json!({
            "uploads": uploads,
            "upload_bytes": body_bytes,
            "connections": connections,
            "uploads_per_sec": uploads as f64 / upload_secs,
            "upload_p50_ms": upload_p50,
            "upload_p99_ms": upload_p99,
            "all_done_secs": all_done_secs,
            "reads": reads,
            "reads_per_sec": reads as f64 / read_secs,
            "read_p50_ms": read_p50,
            "read_p99_ms": read_p99,
            "read_mib_per_sec": read_bytes as f64 / read_secs / 1048576.0,
        })
    );
}
