//! The service binary: wiring only. `apiary` (or `apiary serve`) serves the API with
//! image workers in process; `apiary worker` runs only the image workers.

use std::process::ExitCode;

use apiary::{app::Application, config::Settings, telemetry};

/// jemalloc, for Rust and for the bundled SQLite alike (it replaces `malloc` itself).
/// glibc's allocator spent about 15% of a catalogue request's CPU in `malloc`, `free`
/// and their consolidation at 64 connections; see `bench/analysis.md`.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("apiary: configuration error: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    telemetry::init(settings.log_format);
    let outcome = match std::env::args().nth(1).as_deref() {
        None | Some("serve") => run(settings).await,
        Some("worker") => apiary::app::run_worker(&settings).await,
        Some(other) => {
            eprintln!("apiary: unknown command `{other}`; use `serve` (the default) or `worker`");
            return ExitCode::FAILURE;
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(settings: Settings) -> anyhow::Result<()> {
    if settings.jwt.generated {
        tracing::warn!(
            "JWT_SECRET is not set: signing with a random secret, so tokens die with this process"
        );
    }
    let app = Application::build(&settings).await?;
    tracing::info!(address = %app.address(), docs = %format!("http://{}/docs", app.address()), "listening");
    match app.metrics_address() {
        Some(metrics) => tracing::info!(address = %metrics, "serving /metrics on its own address"),
        None if settings.metrics_on_main_address() => {
            tracing::info!("serving /metrics on the main address (METRICS_ADDR moves it)");
        }
        None => tracing::info!(
            "not serving /metrics: APP_ENV=production serves it only on METRICS_ADDR"
        ),
    }
    app.run_until_stopped().await
}
