//! The workers: each claims a job, runs one attempt (the pixels on a blocking thread)
//! and tells the queue how it ended. `run_once` is one step, for tests; `WorkerPool`
//! runs `size` of them until told to stop, then lets running jobs finish for a
//! bounded time and returns the unfinished ones to the queue.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tokio::{sync::watch, task::JoinSet};

use super::{JobQueue, Lease};
use crate::domain::images::{ImageService, Outcome};
use crate::telemetry::recorder;

/// How long an idle worker waits before looking at the queue again.
const IDLE_POLL: Duration = Duration::from_millis(500);
/// How often the queue depth gauge is refreshed.
const DEPTH_EVERY: Duration = Duration::from_secs(5);

/// Claims and runs one job; false when the queue had none.
pub async fn run_once(images: &ImageService) -> anyhow::Result<bool> {
    let queue = Arc::clone(images.queue());
    let Some(lease) = queue.claim().await? else {
        return Ok(false);
    };
    run_leased(images, queue.as_ref(), &lease).await;
    Ok(true)
}

async fn run_leased(images: &ImageService, queue: &dyn JobQueue, lease: &Lease) {
    let started = Instant::now();
    let id = lease.image_id;
    let settled = match holding_lease(queue, lease, images.run_job(id)).await {
        Ok(Outcome::Done) => {
            metrics::counter!(recorder::JOBS, "outcome" => "done").increment(1);
            tracing::info!(image_id = %id, duration_ms = started.elapsed().as_secs_f64() * 1000.0, "image job done");
            queue.ack(lease).await
        }
        Ok(Outcome::Skipped) => queue.ack(lease).await,
        Ok(Outcome::Failed { error }) => {
            metrics::counter!(recorder::JOBS, "outcome" => "failed").increment(1);
            tracing::warn!(image_id = %id, %error, "image job failed for good");
            queue.ack(lease).await
        }
        Ok(Outcome::Retry { after, error }) => {
            metrics::counter!(recorder::JOBS, "outcome" => "retried").increment(1);
            tracing::warn!(image_id = %id, %error, retry_in_ms = after.as_millis() as u64, "image job attempt failed");
            queue.retry(lease, after).await
        }
        Err(error) => {
            // The database or storage failed around the job: try again later; the
            // attempt count still bounds how often.
            metrics::counter!(recorder::JOBS, "outcome" => "retried").increment(1);
            tracing::warn!(image_id = %id, error = format!("{error:#}"), "image job could not run");
            queue.retry(lease, IDLE_POLL).await
        }
    };
    metrics::histogram!(recorder::JOB_DURATION).record(started.elapsed().as_secs_f64());
    if let Err(error) = settled {
        // The lease runs out and the job is handed out again; it is idempotent.
        tracing::warn!(image_id = %id, error = format!("{error:#}"), "could not settle a job with the queue");
    }
}

/// Runs `job` while renewing `lease` every third of the queue's visibility timeout, so
/// that a job outlasting the timeout is not handed to a second worker while this one
/// still runs it. A lease lost all the same (renewals failed for a whole timeout) is
/// logged and no longer renewed; the job goes on, as jobs are idempotent.
pub(crate) async fn holding_lease<T>(
    queue: &dyn JobQueue,
    lease: &Lease,
    job: impl std::future::Future<Output = T>,
) -> T {
    let renew = async {
        let every = queue.visibility() / 3;
        loop {
            tokio::time::sleep(every).await;
            match queue.extend(lease).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(image_id = %lease.image_id, "a running job's lease was lost; another worker may run it too");
                    return std::future::pending::<std::convert::Infallible>().await;
                }
                Err(error) => {
                    tracing::warn!(image_id = %lease.image_id, error = format!("{error:#}"), "could not renew a running job's lease");
                }
            }
        }
    };
    tokio::select! {
        output = job => output,
        never = renew => match never {},
    }
}

/// Workers running in this process.
pub struct WorkerPool {
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
    holding: Vec<Arc<Mutex<Option<Lease>>>>,
    queue: Arc<dyn JobQueue>,
}

impl WorkerPool {
    /// Starts `size` workers (at least one) and the queue depth gauge. With a queue
    /// outside the database, jobs whose push may have been lost are queued again first.
    pub fn start(images: ImageService, size: usize, visibility: Duration) -> Self {
        let (stop, stopped) = watch::channel(false);
        let queue = Arc::clone(images.queue());
        let mut tasks = JoinSet::new();
        let mut holding = Vec::new();
        tracing::info!(
            workers = size,
            queue = queue.backend(),
            "image workers started"
        );
        for _ in 0..size.max(1) {
            let held = Arc::new(Mutex::new(None));
            holding.push(Arc::clone(&held));
            tasks.spawn(work(images.clone(), stopped.clone(), held));
        }
        tasks.spawn(gauge_depth(Arc::clone(&queue), stopped));
        if queue.backend() != "database" {
            let images = images.clone();
            tokio::spawn(async move {
                match images.requeue_processing(visibility).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(jobs = n, "queued unfinished image jobs again"),
                    Err(error) => {
                        tracing::warn!(
                            error = format!("{error:#}"),
                            "could not requeue unfinished jobs"
                        );
                    }
                }
            });
        }
        Self {
            stop,
            tasks,
            holding,
            queue,
        }
    }

    /// Stops claiming, waits up to `grace` for running jobs, and returns the jobs
    /// still running after that to the queue.
    pub async fn shutdown(mut self, grace: Duration) {
        let _ = self.stop.send(true);
        let finished = tokio::time::timeout(grace, async {
            while self.tasks.join_next().await.is_some() {}
        })
        .await;
        if finished.is_err() {
            self.tasks.abort_all();
            for held in &self.holding {
                let lease = held.lock().expect("not poisoned").take();
                if let Some(lease) = lease {
                    tracing::warn!(image_id = %lease.image_id, "returning an unfinished job to the queue");
                    if let Err(error) = self.queue.release(&lease).await {
                        tracing::warn!(
                            error = format!("{error:#}"),
                            "could not return a job; its lease will run out"
                        );
                    }
                }
            }
        }
    }
}

async fn work(
    images: ImageService,
    mut stopped: watch::Receiver<bool>,
    held: Arc<Mutex<Option<Lease>>>,
) {
    let queue = Arc::clone(images.queue());
    while !*stopped.borrow() {
        match queue.claim().await {
            Ok(Some(lease)) => {
                *held.lock().expect("not poisoned") = Some(lease.clone());
                run_leased(&images, queue.as_ref(), &lease).await;
                *held.lock().expect("not poisoned") = None;
            }
            Ok(None) => {
                tokio::select! {
                    () = queue.wait(IDLE_POLL) => {}
                    _ = stopped.changed() => {}
                }
            }
            Err(error) => {
                tracing::warn!(error = format!("{error:#}"), "could not claim a job");
                tokio::select! {
                    () = tokio::time::sleep(IDLE_POLL) => {}
                    _ = stopped.changed() => {}
                }
            }
        }
    }
}

async fn gauge_depth(queue: Arc<dyn JobQueue>, mut stopped: watch::Receiver<bool>) {
    while !*stopped.borrow() {
        match queue.depth().await {
            Ok(depth) => metrics::gauge!(recorder::JOB_QUEUE_DEPTH).set(depth as f64),
            Err(error) => tracing::debug!(error = format!("{error:#}"), "queue depth unknown"),
        }
        tokio::select! {
            () = tokio::time::sleep(DEPTH_EVERY) => {}
            _ = stopped.changed() => {}
        }
    }
}
