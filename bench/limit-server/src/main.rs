//! The bare-server limit for `bench/run`: poem on a multi-threaded tokio runtime (as
//! the service runs), one route, no middleware, a small JSON body. Every benchmark
//! scenario is reported as a ratio to what this binary serves on the same machine in
//! the same run.
//!
//! The same binary is also the upstream stub of the user-summary scenario: with
//! `--upstream-stub` it answers the profile and orders routes the service's HTTP
//! sources call, each after a fixed delay (a `tokio::time::sleep`: it parks the task,
//! not a worker thread, so a stub at 50 ms holds any number of requests at once).
//!
//! Usage:
//! - `limit-server [ADDR]`: the limit; the address is the first argument, else
//!   `BENCH_ADDR`, else `127.0.0.1:8090`.
//! - `limit-server --upstream-stub ADDR DELAY_MS`: the stub, serving
//!   `GET /profiles/{id}`, `GET /orders?user={id}` (both after `DELAY_MS`) and
//!   `GET /healthz` (at once, for the harness's readiness check).

use std::{process::ExitCode, sync::OnceLock, time::Duration};

use poem::{
    Request, Response, Route, Server, get, handler,
    http::{StatusCode, header},
    listener::TcpListener,
    web::Path,
};

const DEFAULT_ADDR: &str = "127.0.0.1:8090";

/// The same document the service's `/healthz` answers. A constant rather than a
/// serialised struct: serialising 15 bytes costs nanoseconds, and the limit should be
/// poem and hyper alone.
const BODY: &str = r#"{"status":"ok"}"#;

/// The stub's delay before every profile and orders answer (set once, at start-up).
static DELAY: OnceLock<Duration> = OnceLock::new();

fn json(body: impl Into<poem::Body>) -> Response {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .body(body)
}

#[handler]
fn healthz() -> Response {
    json(BODY)
}

async fn delay() {
    tokio::time::sleep(DELAY.get().copied().unwrap_or_default()).await;
}

/// `GET /profiles/{id}`: the profile the service's HTTP profile source expects.
#[handler]
async fn profile(Path(user_id): Path<i64>) -> Response {
    delay().await;
    json(format!(
        r#"{{"user_id":{user_id},"display_name":"Bench","avatar_url":null,"bio":null}}"#
    ))
}

/// `GET /orders?user={id}`: one order of that user.
#[handler]
async fn orders(req: &Request) -> Response {
    let user_id = req
        .uri()
        .query()
        .unwrap_or("")
        .split('&')
        .find_map(|pair| pair.strip_prefix("user="))
        .and_then(|v| v.parse::<i64>().ok());
    let Some(user_id) = user_id else {
        return Response::builder()
            .status(StatusCode::BAD_REQUEST)
            .body("missing or invalid `user` query parameter");
    };
    delay().await;
    json(format!(
        r#"[{{"id":1,"user_id":{user_id},"status":"paid","total_cents":100,"currency":"EUR","created_at":"2023-07-15T12:30:00Z"}}]"#
    ))
}

async fn serve(addr: &str, app: Route) -> ExitCode {
    match Server::new(TcpListener::bind(addr)).run(app).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("limit-server: cannot serve on {addr}: {error}");
            ExitCode::FAILURE
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let first = args.next();
    if first.as_deref() == Some("--upstream-stub") {
        let (Some(addr), Some(delay_ms)) = (args.next(), args.next()) else {
            eprintln!("usage: limit-server --upstream-stub ADDR DELAY_MS");
            return ExitCode::FAILURE;
        };
        let Ok(delay_ms) = delay_ms.parse::<u64>() else {
            eprintln!(
                "limit-server: DELAY_MS must be a whole number of milliseconds, not '{delay_ms}'"
            );
            return ExitCode::FAILURE;
        };
        DELAY.get_or_init(|| Duration::from_millis(delay_ms));
        let app = Route::new()
            .at("/healthz", get(healthz))
            .at("/profiles/:user_id", get(profile))
            .at("/orders", get(orders));
        return serve(&addr, app).await;
    }
    let addr = first
        .or_else(|| std::env::var("BENCH_ADDR").ok())
        .unwrap_or_else(|| DEFAULT_ADDR.to_owned());
    serve(&addr, Route::new().at("/healthz", get(healthz))).await
}
