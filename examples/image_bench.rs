//! The image pipeline's costs: `cargo run --release --example image_bench -- [iterations]`.
//!
//! 1. Resize throughput on one core for a generated 12-megapixel JPEG (4000x3000) to
//!    the three variants (1200, 600, 150 boxes): the service's resizer
//!    (`fast_image_resize`, Lanczos3, each variant from the one before) against a naive
//!    baseline (`image::imageops::resize`, Lanczos3, each variant from the original), in
//!    the same run. Measured twice: resizing alone (decoded once beforehand), and the
//!    whole job (decode, resize, encode the three JPEGs).
//! 2. Upload acceptance latency: the service in process on a fresh SQLite file, 16
//!    clients each uploading the same JPEG as raw bytes four times; p50/p99 of the time
//!    to the 202 (the checks, including a whole decode, the stored original, the row and
//!    the queued job), with no workers running, so only acceptance is measured.

use std::{
    io::Cursor,
    time::{Duration, Instant},
};

use apiary::domain::images::process::{self, Size, fit};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer, images::Image};
use image::{RgbImage, imageops};

const WIDTH: u32 = 4000;
const HEIGHT: u32 = 3000;
const CLIENTS: usize = 16;
const UPLOADS_PER_CLIENT: usize = 4;

fn photo() -> Vec<u8> {
    // Smooth gradients with texture, so the JPEG is neither trivial nor noise.
    let image = RgbImage::from_fn(WIDTH, HEIGHT, |x, y| {
        let t = ((x / 7) ^ (y / 5)) % 32;
        image::Rgb([
            ((x * 255 / WIDTH) as u8).wrapping_add(t as u8),
            ((y * 255 / HEIGHT) as u8).wrapping_add((t * 3) as u8),
            (((x + y) / 40) % 256) as u8,
        ])
    });
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

fn boxes() -> Vec<(u32, u32)> {
    Size::ALL
        .iter()
        .map(|size| fit(WIDTH, HEIGHT, size.bound()))
        .collect()
}

fn fast_resize(source: &RgbImage) -> usize {
    let mut current = Image::from_vec_u8(WIDTH, HEIGHT, source.as_raw().clone(), PixelType::U8x3)
        .expect("a buffer");
    let mut resizer = Resizer::new();
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    let mut bytes = 0;
    for (w, h) in boxes() {
        let mut next = Image::new(w, h, PixelType::U8x3);
        resizer
            .resize(&current, &mut next, &options)
            .expect("resizes");
        bytes += next.buffer().len();
        current = next;
    }
    bytes
}

fn naive_resize(source: &RgbImage) -> Vec<RgbImage> {
    boxes()
        .into_iter()
        .map(|(w, h)| imageops::resize(source, w, h, imageops::FilterType::Lanczos3))
        .collect()
}

fn naive_job(jpeg: &[u8]) -> usize {
    let source = image::load_from_memory(jpeg).expect("decodes").into_rgb8();
    naive_resize(&source)
        .into_iter()
        .map(|variant| {
            let mut out = Vec::new();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
                .encode_image(&variant)
                .expect("encodes");
            out.len()
        })
        .sum()
}

fn time_per_image(iterations: usize, mut run: impl FnMut() -> usize) -> Duration {
    std::hint::black_box(run()); // warm-up
    let started = Instant::now();
    for _ in 0..iterations {
        std::hint::black_box(run());
    }
    started.elapsed() / iterations as u32
}

fn resize_throughput(iterations: usize, jpeg: &[u8]) {
    let source = image::load_from_memory(jpeg).expect("decodes").into_rgb8();
    let fast = time_per_image(iterations, || fast_resize(&source));
    let naive = time_per_image(iterations, || naive_resize(&source).len());
    let probe = process::read_header(jpeg).expect("a JPEG header");
    let fast_job = time_per_image(iterations, || {
        process::make_variants(jpeg, &probe, probe.process_cost())
            .expect("variants")
            .len()
    });
    let naive_job = time_per_image(iterations, || naive_job(jpeg));
    println!(
        "## Resize throughput, one core, {WIDTH}x{HEIGHT} JPEG ({} bytes) to 3 variants, {iterations} iterations\n",
        jpeg.len()
    );
    println!("| what | fast_image_resize | image::imageops::resize | ratio |");
    println!("| --- | --- | --- | --- |");
    for (what, fast, naive) in [
        ("resize only", fast, naive),
        ("whole job (decode, resize, encode)", fast_job, naive_job),
    ] {
        println!(
            "| {what} | {:.1} ms ({:.2} images/s) | {:.1} ms ({:.2} images/s) | {:.1}x |",
            fast.as_secs_f64() * 1000.0,
            1.0 / fast.as_secs_f64(),
            naive.as_secs_f64() * 1000.0,
            1.0 / naive.as_secs_f64(),
            naive.as_secs_f64() / fast.as_secs_f64()
        );
    }
    println!();
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

async fn upload_latency(jpeg: Vec<u8>) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let database = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    let storage = dir.path().join("images").display().to_string();
    let vars = [
        ("APP_ENV", "test"),
        ("BIND_ADDR", "127.0.0.1:0"),
        ("BCRYPT_COST", "4"),
        ("JWT_SECRET", "image-bench-secret-of-at-least-32-bytes!!"),
        ("RATE_LIMIT_SCALE", "1000000"),
        ("IMAGE_WORKERS", "0"),
        ("DATABASE_URL", database.as_str()),
        ("STORAGE_DIR", storage.as_str()),
    ];
    let settings = apiary::config::Settings::from_lookup(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    })
    .expect("valid settings");
    let app = apiary::app::Application::build(&settings)
        .await
        .expect("the service builds");
    let base = format!("http://{}", app.address());
    tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::new();
    let email = "bench@example.com";
    let password = "correct-horse-7";
    http.post(format!("{base}/v1/users"))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await
        .expect("registers");
    let token: serde_json::Value = http
        .post(format!("{base}/v1/auth/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", email),
            ("password", password),
        ])
        .send()
        .await
        .expect("a token")
        .json()
        .await
        .expect("JSON");
    let token = token["access_token"].as_str().expect("a token").to_string();
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (http, base, token, jpeg) =
                (http.clone(), base.clone(), token.clone(), jpeg.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                for _ in 0..UPLOADS_PER_CLIENT {
                    let sent = Instant::now();
                    let reply = http
                        .post(format!("{base}/v1/images"))
                        .bearer_auth(&token)
                        .header("content-type", "application/octet-stream")
                        .body(jpeg.clone())
                        .send()
                        .await
                        .expect("an answer");
                    assert_eq!(reply.status(), 202);
                    latencies.push(sent.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for client in clients {
        latencies.extend(client.await.expect("a client"));
    }
    let elapsed = started.elapsed();
    latencies.sort();
    println!(
        "## Upload acceptance, {CLIENTS} concurrent clients x {UPLOADS_PER_CLIENT} uploads of the {} byte JPEG (no workers)\n",
        jpeg.len()
    );
    println!("| uploads | accepted/s | p50 | p99 | max |");
    println!("| --- | --- | --- | --- | --- |");
    println!(
        "| {} | {:.1} | {:.0} ms | {:.0} ms | {:.0} ms |",
        latencies.len(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.50).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1000.0
    );
}

#[tokio::main]
async fn main() {
    let iterations: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(5);
    let jpeg = photo();
    resize_throughput(iterations, &jpeg);
    upload_latency(jpeg).await;
}
