//! Background image jobs: the queue port and the workers that drain it. The queue is
//! the database by default ([`db::DbQueue`]), a Redis stream when `REDIS_URL` is set
//! ([`redis::RedisQueue`]).
//! Delivery is at least once: a claimed job whose worker dies is handed out again after
//! the visibility timeout, and jobs are idempotent (see `ImageService::run_job`). A live
//! worker renews its claim while the job runs, so a job that takes longer than the
//! timeout is not handed to a second worker meanwhile.

pub mod db;
pub mod redis;
pub mod worker;

use std::time::Duration;

use uuid::Uuid;

/// A job handed to one worker, until it is acked, retried or released.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub image_id: Uuid,
    /// Identifies this claim to the backend.
    pub token: String,
}

/// The job queue port.
#[async_trait::async_trait]
pub trait JobQueue: Send + Sync + 'static {
    /// Which backend, for logs.
    fn backend(&self) -> &'static str;
    /// Queues a job; durable when it returns.
    async fn push(&self, image_id: Uuid) -> anyhow::Result<()>;
    /// The next job that is due and not held by a live claim, if any.
    async fn claim(&self) -> anyhow::Result<Option<Lease>>;
    /// How long a claim holds its job unless renewed.
    fn visibility(&self) -> Duration;
    /// The worker is still running the job: hold it for another [`visibility`] from
    /// now. False when this claim no longer holds it (its lease ran out and another
    /// claim took the job; on Redis, a claim of another process: see `redis::EXTEND`).
    ///
    /// [`visibility`]: JobQueue::visibility
    async fn extend(&self, lease: &Lease) -> anyhow::Result<bool>;
    /// The job is finished (done, failed or nothing to do): never hand it out again.
    async fn ack(&self, lease: &Lease) -> anyhow::Result<()>;
    /// This attempt failed: hand the job out again, not before `after`.
    async fn retry(&self, lease: &Lease, after: Duration) -> anyhow::Result<()>;
    /// The worker is stopping before it could finish: hand the job out again now.
    async fn release(&self, lease: &Lease) -> anyhow::Result<()>;
    /// Jobs queued and not finished, claimed or not.
    async fn depth(&self) -> anyhow::Result<u64>;
    /// Waits until a job may be available (a push in this process) or `timeout`.
    async fn wait(&self, timeout: Duration);
}

#[cfg(test)]
mod tests;
