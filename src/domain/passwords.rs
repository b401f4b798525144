//! bcrypt on blocking threads, at most `concurrency` at a time. bcrypt is CPU-bound by
//! design: unbounded, a burst of logins would take every core, and the async workers
//! (every other request) would wait for CPU behind it. The default leaves one core free.

use std::sync::Arc;

use anyhow::Context;
use tokio::sync::Semaphore;

use super::DomainError;

/// Hashes and verifies passwords with a bounded share of the CPU.
#[derive(Clone)]
pub struct PasswordHasher {
    cost: u32,
    permits: Arc<Semaphore>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("cost", &self.cost)
            .field("idle_permits", &self.permits.available_permits())
            .finish()
    }
}

impl PasswordHasher {
    /// `cost` is bcrypt's work factor (validated settings: 4..=31); `concurrency` is how
    /// many hashes may run at once (at least 1).
    pub fn new(cost: u32, concurrency: usize) -> Self {
        Self {
            cost,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
        }
    }

    /// One fewer than the cores this process may use, and at least one.
    pub fn default_concurrency() -> usize {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get().saturating_sub(1))
            .max(1)
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

    /// Runs `work` on a blocking thread once a permit is free. The permit moves into the
    /// thread: a caller that gives up waiting does not free it while the work still runs.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, DomainError> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .context("the password hasher is closed")?;
        let result = tokio::task::spawn_blocking(move || {
            let result = work();
            drop(permit);
            result
        })
        .await?;
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn no_more_than_concurrency_hashes_run_at_once() {
        let hasher = PasswordHasher::new(4, 2);
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
                            std::thread::sleep(std::time::Duration::from_millis(20));
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
        let hasher = PasswordHasher::new(4, 1);
        let hash = hasher.hash("correct-horse-7".into()).await.unwrap();
        assert!(
            hasher
                .verify("correct-horse-7".into(), hash.clone())
                .await
                .unwrap()
        );
        assert!(!hasher.verify("wrong-horse-7".into(), hash).await.unwrap());
    }
}
