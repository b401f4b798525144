//! The bare-server limit for `bench/run`: poem on a multi-threaded tokio runtime (as
//! the service runs), one route, no middleware, a small JSON body. Every benchmark
//! scenario is reported as a ratio to what this binary serves on the same machine in
//! the same run.
//!
//! Usage: `limit-server [ADDR]`; the address is the first argument, else `BENCH_ADDR`,
//! else `127.0.0.1:8090`.

use std::process::ExitCode;

use poem::{
    Response, Route, Server, get, handler,
    http::{StatusCode, header},
    listener::TcpListener,
};

const DEFAULT_ADDR: &str = "127.0.0.1:8090";

/// The same document the service's `/healthz` answers. A constant rather than a
/// serialised struct: serialising 15 bytes costs nanoseconds, and the limit should be
/// poem and hyper alone.
const BODY: &str = r#"{"status":"ok"}"#;

#[handler]
fn healthz() -> Response {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .body(BODY)
}

#[tokio::main]
async fn main() -> ExitCode {
    let addr = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("BENCH_ADDR").ok())
        .unwrap_or_else(|| DEFAULT_ADDR.to_owned());
    let app = Route::new().at("/healthz", get(healthz));
    match Server::new(TcpListener::bind(addr.as_str())).run(app).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("limit-server: cannot serve on {addr}: {error}");
            ExitCode::FAILURE
        }
    }
}
