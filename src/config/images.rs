//! Settings of the image pipeline: where bytes live, how many workers, and the job
//! queue's timing.

use std::time::Duration;

use super::{ConfigError, StorageSettings, bounded};

/// How uploads are stored and processed.
#[derive(Debug, Clone)]
pub struct ImageSettings {
    /// `STORAGE_URL` or `STORAGE_DIR`: where image bytes live.
    pub storage: StorageSettings,
    /// `IMAGE_WORKERS`: jobs processed at once by this process; 0 runs no worker here.
    pub workers: usize,
    /// `IMAGE_JOB_VISIBILITY_SECS`: after this long without an answer, a claimed job is
    /// taken to be abandoned (its worker died) and is handed out again.
    pub visibility_timeout: Duration,
    /// `IMAGE_JOB_MAX_ATTEMPTS`: attempts before a job ends `failed`.
    pub max_attempts: u32,
    /// `IMAGE_JOB_BACKOFF_MS`: wait before the second attempt, doubled for each further one.
    pub backoff: Duration,
    /// `REDIS_URL`: the job queue is a Redis stream when set, the database otherwise.
    pub redis_url: Option<String>,
    /// `IMAGE_QUEUE_NAME`: the Redis keys' prefix (`<name>:jobs`, `<name>:delayed`);
    /// processes sharing it share one queue.
    pub queue_name: String,
    /// `IMAGE_DECODE_BUDGET_MB`: the memory, in bytes, that decoding images may hold at
    /// once in this process (upload checks and jobs together); also the most one image
    /// may need.
    pub decode_budget_bytes: u64,
    /// `IMAGE_MAX_PER_USER`: the images one user may keep.
    pub max_per_user: u64,
}

impl ImageSettings {
    pub(super) fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let cores = std::thread::available_parallelism().map_or(1, usize::from) as u64;
        Ok(Self {
            storage: super::storage::from_lookup(get)?,
            workers: bounded(get, "IMAGE_WORKERS", cores, 0, 256)? as usize,
            visibility_timeout: Duration::from_secs(bounded(
                get,
                "IMAGE_JOB_VISIBILITY_SECS",
                60,
                1,
                86_400,
            )?),
            max_attempts: bounded(get, "IMAGE_JOB_MAX_ATTEMPTS", 5, 1, 100)? as u32,
            backoff: Duration::from_millis(bounded(
                get,
                "IMAGE_JOB_BACKOFF_MS",
                1_000,
                1,
                3_600_000,
            )?),
            redis_url: get("REDIS_URL").map(|url| url.trim().to_string()),
            queue_name: get("IMAGE_QUEUE_NAME")
                .map_or_else(|| "apiary:images".to_string(), |n| n.trim().to_string()),
            decode_budget_bytes: bounded(get, "IMAGE_DECODE_BUDGET_MB", 512, 64, 1_048_576)?
                * 1024
                * 1024,
            max_per_user: bounded(get, "IMAGE_MAX_PER_USER", 1_000, 1, 1_000_000_000)?,
        })
    }
}
