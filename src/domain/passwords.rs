//! bcrypt on a few threads of its own, at a lower CPU priority than the async workers,
//! and with a bounded wait.
//!
//! bcrypt is CPU-bound by design. Three things keep it from the requests that do not
//! hash, and keep its own callers from waiting without end:
//!
//! - **At most `concurrency` hashes run at once** (by default one fewer than the cores),
//!   one per thread of this pool; the rest wait in its queue. Unbounded, a burst of
//!   logins would take every core.
//! - **The threads' nice value is raised** (Linux; `nice`, 10 by default). At the
//!   workers' own priority, a bcrypt thread sharing a core with a worker keeps it until
//!   its time slice ends, and every request waiting on that worker waits too. A niced
//!   thread gives the core back as soon as a worker wakes up, which took /healthz p99
//!   under a login flood from 6.5 ms to 4.6 ms at nice 10. The price is paid by the
//!   logins while the workers keep every core busy: they run on what the workers leave,
//!   and the bounded wait below keeps that from starving them (it was the default's
//!   reason to stay 0 until the wait was bounded).
//! - **A job that waited longer than `max_wait` for a thread is refused** when its turn
//!   comes ([`DomainError::Overloaded`]), in no time, instead of hashed: its caller
//!   would get an answer later than any client waits, and every job behind it would wait
//!   for that hash too. So a backlog (a burst of logins, or logins whose clients hung up)
//!   clears in one pass, and a caller waits at most `max_wait` plus one hash.
//!
//! A job whose caller stopped waiting (its future was dropped, as by a timeout) is
//! skipped, not hashed. A client that hangs up does not drop it: the HTTP server finishes
//! the request (measured with six abandoned logins at cost 14), so such jobs are cleared
//! by `max_wait` only.

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    time::{Duration, Instant},
};

use anyhow::{Context, anyhow};
use tokio::sync::oneshot;

use super::DomainError;
use crate::telemetry::recorder;

/// What a hashing thread does with a job when its turn comes.
enum Turn {
    /// Hash: the job waited no longer than the pool allows.
    Run { waited: Duration },
    /// Refuse: the job waited longer, so its answer would come too late to be useful.
    Shed,
}

/// The answer a job's caller gets when its turn was shed.
struct Shed;

/// One queued hash or verification, with when it was queued.
type Job = (Instant, Box<dyn FnOnce(Turn) + Send>);

/// Hashes and verifies passwords with a bounded share of the CPU.
#[derive(Clone)]
pub struct PasswordHasher {
    cost: u32,
    retry_after_secs: u64,
    jobs: flume::Sender<Job>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("cost", &self.cost)
            .field("queued", &self.jobs.len())
            .finish()
    }
}

/// How the hashing pool runs: how many threads, at which nice value, and how long a
/// job may wait for one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashPool {
    /// Hashes running at once: one thread each (at least 1).
    pub concurrency: usize,
    /// How far the threads' nice value is raised above the process's: 0 keeps the
    /// workers' priority; the result stops at 19, the lowest.
    pub nice: u8,
    /// A job that waited longer than this for a thread is refused, not hashed.
    pub max_wait: Duration,
}

impl HashPool {
    /// How far the threads' nice value is raised unless configured otherwise (see the
    /// module's documentation).
    pub const DEFAULT_NICE: u8 = 10;
    /// The highest nice value (the lowest priority) the scheduler knows.
    pub const MAX_NICE: u8 = 19;
    /// How long a job may wait for a thread unless configured otherwise: as long as a
    /// query may wait for a pooled database connection.
    pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(5);

    /// `concurrency` threads at the defaults' priority and wait.
    pub fn new(concurrency: usize) -> Self {
        Self {
            concurrency,
            nice: Self::DEFAULT_NICE,
            max_wait: Self::DEFAULT_MAX_WAIT,
        }
    }

    /// One fewer than the cores this process may use, and at least one.
    pub fn default_concurrency() -> usize {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get().saturating_sub(1))
            .max(1)
    }
}

impl PasswordHasher {
    /// `cost` is bcrypt's work factor (validated settings: 4..=31). Starts the hashing
    /// threads; they end when the last clone of the hasher is dropped.
    pub fn new(cost: u32, pool: HashPool) -> std::io::Result<Self> {
        let (jobs, queue) = flume::unbounded::<Job>();
        for index in 0..pool.concurrency.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("bcrypt-{index}"))
                .spawn(move || {
                    lower_priority(pool.nice);
                    while let Ok((queued_at, job)) = queue.recv() {
                        let waited = queued_at.elapsed();
                        let turn = if waited > pool.max_wait {
                            Turn::Shed
                        } else {
                            Turn::Run { waited }
                        };
                        // A panicking job loses its answer (its caller sees the hasher
                        // fail), not the thread.
                        let _ = catch_unwind(AssertUnwindSafe(|| job(turn)));
                    }
                })?;
        }
        Ok(Self {
            cost,
            retry_after_secs: pool.max_wait.as_secs_f64().ceil().max(1.0) as u64,
            jobs,
        })
    }

    /// The work factor new hashes get.
    pub fn cost(&self) -> u32 {
        self.cost
    }

    /// A new salted hash of `password`.
    pub async fn hash(&self, password: String) -> Result<String, DomainError> {
        let cost = self.cost;
        // `hash`, not `non_truncating_hash`: the latter refuses exactly 72 bytes too, and
        // callers refuse anything longer before they get here.
        let hash = self
            .run(move || bcrypt::hash(password, cost))
            .await?
            .context("Failed to hash a password")?;
        Ok(hash)
    }

    /// Whether `password` matches `hash`.
    pub async fn verify(&self, password: String, hash: String) -> Result<bool, DomainError> {
        let matches = self
            .run(move || bcrypt::verify(password, &hash))
            .await?
            .context("Failed to verify a password hash")?;
        Ok(matches)
    }

    /// Queues `work` for a hashing thread and waits for its answer: `Overloaded` when it
    /// waited too long for a thread.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, DomainError> {
        let (answer, answered) = oneshot::channel();
        // Each outcome is counted before the caller hears of it, so that whoever reads
        // the metrics after an answer finds it counted.
        let count = |outcome: &'static str| {
            metrics::counter!(recorder::PASSWORD_HASHES, "outcome" => outcome).increment(1);
        };
        let job = move |turn| {
            if answer.is_closed() {
                count("abandoned");
                return;
            }
            match turn {
                Turn::Run { waited } => {
                    metrics::histogram!(recorder::PASSWORD_HASH_WAIT).record(waited.as_secs_f64());
                    let hashed = work();
                    count("hashed");
                    let _ = answer.send(Ok(hashed));
                }
                Turn::Shed => {
                    count("shed");
                    let _ = answer.send(Err(Shed));
                }
            }
        };
        self.jobs
            .send((Instant::now(), Box::new(job)))
            .map_err(|_| anyhow!("the password hasher's threads have stopped"))?;
        match answered.await {
            Ok(Ok(result)) => Ok(result),
            Ok(Err(Shed)) => Err(DomainError::Overloaded {
                retry_after_secs: self.retry_after_secs,
            }),
            Err(_) => Err(anyhow!("a password hash failed on its thread").into()),
        }
    }
}

/// Raises the calling thread's nice value by `by` (up to the lowest priority, 19), so the
/// thread stays below the rest of the process however the process itself was started.
/// Linux keeps a nice value per thread; elsewhere it would apply to the whole process, so
/// there the threads keep the process's priority.
fn lower_priority(by: u8) {
    if by == 0 {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::{process, thread::gettid};
        let outcome = process::getpriority_process(Some(gettid())).and_then(|nice| {
            let lower = (nice + i32::from(by)).min(i32::from(HashPool::MAX_NICE));
            process::setpriority_process(Some(gettid()), lower)
        });
        if let Err(error) = outcome {
            tracing::warn!(%error, by, "could not lower a bcrypt thread's priority");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::{
        sync::{
            Arc,
            atomic::{AtomicBool, AtomicUsize, Ordering},
        },
        time::Duration,
    };

    use super::*;

    fn threads(concurrency: usize, nice: u8) -> HashPool {
        HashPool {
            nice,
            ..HashPool::new(concurrency)
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn no_more_than_concurrency_hashes_run_at_once() {
        let hasher = PasswordHasher::new(4, threads(2, 0)).unwrap();
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let hasher = hasher.clone();
                let (running, peak) = (Arc::clone(&running), Arc::clone(&peak));
                tokio::spawn(async move {
                    hasher
                        .run(move || {
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            peak.fetch_max(now, Ordering::SeqCst);
                            std::thread::sleep(Duration::from_millis(20));
                            running.fetch_sub(1, Ordering::SeqCst);
                        })
                        .await
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hasher = PasswordHasher::new(4, threads(1, 0)).unwrap();
        let hash = hasher.hash("correct-horse-7".into()).await.unwrap();
        assert!(
            hasher
                .verify("correct-horse-7".into(), hash.clone())
                .await
                .unwrap()
        );
        assert!(!hasher.verify("wrong-horse-7".into(), hash).await.unwrap());
    }

    /// The hash runs on a thread whose nice value is raised by the configured amount,
    /// and the caller's own thread keeps its priority.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashes_run_on_threads_niced_by_the_configured_amount() {
        fn own_nice() -> i32 {
            rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap()
        }
        let before = own_nice();
        let hasher = PasswordHasher::new(4, threads(1, 7)).unwrap();
        let on_the_thread = hasher
            .run(|| (own_nice(), std::thread::current().name().map(str::to_owned)))
            .await
            .unwrap();
        assert_eq!(
            on_the_thread,
            ((before + 7).min(19), Some("bcrypt-0".to_owned()))
        );
        assert_eq!(own_nice(), before);
    }

    /// Keeps the hasher's one thread busy until the sender is used; the handle ends when
    /// the thread is free again.
    async fn occupy(
        hasher: &PasswordHasher,
    ) -> (
        std::sync::mpsc::Sender<()>,
        tokio::task::JoinHandle<Result<(), DomainError>>,
    ) {
        let (release, released) = std::sync::mpsc::channel::<()>();
        let (started, running) = oneshot::channel();
        let busy = tokio::spawn({
            let hasher = hasher.clone();
            async move {
                hasher
                    .run(move || {
                        started.send(()).unwrap();
                        released.recv().unwrap()
                    })
                    .await
            }
        });
        running.await.unwrap();
        (release, busy)
    }

    /// A job whose caller stopped waiting while it was queued is skipped.
    #[tokio::test]
    async fn a_caller_that_gave_up_in_the_queue_costs_no_hash() {
        let hasher = PasswordHasher::new(4, threads(1, 0)).unwrap();
        let (release, busy) = occupy(&hasher).await;
        // The one thread is busy: this job waits in the queue until its caller gives up.
        let ran = Arc::new(AtomicBool::new(false));
        let gave_up = tokio::time::timeout(Duration::from_millis(50), {
            let ran = Arc::clone(&ran);
            hasher.run(move || ran.store(true, Ordering::SeqCst))
        })
        .await;
        assert!(
            gave_up.is_err(),
            "the thread was busy, so the job had to wait"
        );

        release.send(()).unwrap();
        busy.await.unwrap().unwrap();
        // Jobs run in order, so once this one has run the abandoned one was passed over.
        hasher.run(|| ()).await.unwrap();
        assert!(!ran.load(Ordering::SeqCst));
    }

    /// A job that waited longer than `max_wait` is refused, unrun, with the wait as
    /// its retry hint; the next one, queued in time, runs.
    #[tokio::test]
    async fn a_job_that_waited_too_long_is_refused_unrun() {
        let hasher = PasswordHasher::new(
            4,
            HashPool {
                max_wait: Duration::from_millis(50),
                ..HashPool::new(1)
            },
        )
        .unwrap();
        let (release, busy) = occupy(&hasher).await;
        let ran = Arc::new(AtomicBool::new(false));
        let late = tokio::spawn({
            let (hasher, ran) = (hasher.clone(), Arc::clone(&ran));
            async move { hasher.run(move || ran.store(true, Ordering::SeqCst)).await }
        });
        // Queued behind the busy thread for longer than `max_wait`.
        tokio::time::sleep(Duration::from_millis(150)).await;
        release.send(()).unwrap();
        busy.await.unwrap().unwrap();

        let refused = late.await.unwrap();
        assert!(
            matches!(
                refused,
                Err(DomainError::Overloaded {
                    retry_after_secs: 1
                })
            ),
            "{refused:?}"
        );
        assert!(!ran.load(Ordering::SeqCst));
        assert!(hasher.hash("correct-horse-7".into()).await.is_ok());
    }

    /// A job that panics fails its own caller only; the thread goes on with the next.
    #[tokio::test]
    async fn a_panicking_job_fails_its_caller_and_not_the_thread() {
        let hasher = PasswordHasher::new(4, threads(1, 0)).unwrap();
        let failed = hasher.run(|| -> u32 { panic!("a hash that panics") }).await;
        assert!(failed.is_err());
        let hash = hasher.hash("correct-horse-7".into()).await.unwrap();
        assert!(hash.starts_with("$2b$04$"), "{hash}");
    }
}
