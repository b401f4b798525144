//! The in-process backend: one GCRA timestamp per (operation, client) in a sharded map
//! whose size is capped, however many distinct clients arrive.
//!
//! Why not `governor`: its keyed limiters carry one quota per limiter (ours vary per
//! call), report neither `remaining` nor the time until the budget is whole without
//! extra middleware and approximations, and bound memory only through a periodic
//! `retain_recent` sweep, so a flood of new keys between two sweeps grows the map
//! without limit. The algorithm itself is [`decide`](super::gcra), the same arithmetic
//! as the Redis script, so both backends answer identically.
//!
//! Bound: each of [`SHARDS`] shards holds at most `max_keys / SHARDS` entries. A full
//! shard first drops expired entries (TAT in the past), which is lossless: an absent
//! key and a key whose budget is whole decide alike. Only if every entry is still live
//! does it evict the eighth of the shard closest to a whole budget (smallest TAT),
//! the entries whose loss forgives the least. Eviction costs one pass over the shard
//! per `shard_cap / 8` insertions, so it stays cheap under a flood. At the default
//! 100,000 keys the map holds about 10 MB at most (measured: about 100 bytes per entry
//! for an IPv6 key).

use std::{
    collections::HashMap,
    hash::{BuildHasher, RandomState},
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use super::gcra::{Decision, Quota, decide};

/// Default cap on tracked (operation, client) pairs.
pub const DEFAULT_MAX_KEYS: usize = 100_000;

/// Shards: enough that two cores rarely meet on one lock, few enough that the
/// per-shard cap stays meaningful for small `max_keys`.
pub const SHARDS: usize = 16;

/// A monotonic time source in microseconds, injectable so tests control time.
pub trait Clock: Send + Sync + 'static {
    /// Microseconds since an arbitrary, fixed origin; never decreases.
    fn now_micros(&self) -> u64;
}

/// The real clock: microseconds since the limiter was created.
#[derive(Debug, Clone, Copy)]
pub struct MonotonicClock {
    origin: Instant,
}

impl Default for MonotonicClock {
    fn default() -> Self {
        Self {
            origin: Instant::now(),
        }
    }
}

impl Clock for MonotonicClock {
    fn now_micros(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_micros()).unwrap_or(u64::MAX)
    }
}

/// A clock that moves only when told to; clones share the same time.
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    micros: Arc<AtomicU64>,
}

impl ManualClock {
    /// Moves time forward by `by`.
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_micros()).unwrap_or(u64::MAX);
        self.micros.fetch_add(by, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_micros(&self) -> u64 {
        self.micros.load(Ordering::SeqCst)
    }
}

/// One shard: `"{bucket}:{key}"` (operation ids contain no `:`) to the TAT.
type Shard = Mutex<HashMap<Box<str>, u64>>;

/// In-process GCRA limiter with a bounded number of tracked keys.
pub struct LocalLimiter {
    shards: Box<[Shard]>,
    shard_cap: usize,
    /// Keyed (SipHash with a random key): clients cannot aim at one shard.
    hasher: RandomState,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for LocalLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalLimiter")
            .field("max_keys", &self.max_keys())
            .field("len", &self.len())
            .finish()
    }
}

impl Default for LocalLimiter {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_KEYS)
    }
}

impl LocalLimiter {
    /// A limiter tracking at most about `max_keys` pairs, on the real clock.
    pub fn new(max_keys: usize) -> Self {
        Self::with_clock(max_keys, Arc::new(MonotonicClock::default()))
    }

    /// A limiter on the given clock (tests pass a [`ManualClock`]).
    pub fn with_clock(max_keys: usize, clock: Arc<dyn Clock>) -> Self {
        let shard_cap = max_keys.div_ceil(SHARDS).max(1);
        let shards = (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect();
        Self {
            shards,
            shard_cap,
            hasher: RandomState::new(),
            clock,
        }
    }

    /// The most pairs this limiter will ever hold.
    pub fn max_keys(&self) -> usize {
        self.shard_cap * SHARDS
    }

    /// Pairs held right now (expired ones included until a full shard drops them).
    pub fn len(&self) -> usize {
        self.shards.iter().map(|shard| lock(shard).len()).sum()
    }

    /// True when no pair is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Slots allocated across shards: what memory is really spent on. Bounded because
    /// no shard ever holds more than its cap.
    pub fn allocated_slots(&self) -> usize {
        self.shards.iter().map(|shard| lock(shard).capacity()).sum()
    }

    /// Decides one request. Never blocks beyond one shard's short critical section.
    pub fn check(&self, bucket: &str, key: &str, quota: Quota) -> Decision {
        let id = format!("{bucket}:{key}");
        let shard = &self.shards[self.shard_of(&id)];
        let now = self.clock.now_micros();
        let mut map = lock(shard);

        if let Some(tat) = map.get_mut(id.as_str()) {
            let (decision, new_tat) = decide(Some(*tat), now, quota);
            if let Some(new_tat) = new_tat {
                *tat = new_tat;
            }
            return decision;
        }

        let (decision, new_tat) = decide(None, now, quota);
        if let Some(new_tat) = new_tat {
            if map.len() >= self.shard_cap {
                make_room(&mut map, now, self.shard_cap);
            }
            map.insert(id.into_boxed_str(), new_tat);
        }
        decision
    }

    fn shard_of(&self, id: &str) -> usize {
        // Truncation is fine: only the low bits pick a shard.
        (self.hasher.hash_one(id) as usize) % self.shards.len()
    }
}

/// Frees at least one slot in a full shard (see the module docs for the policy).
///
/// The shard is rebuilt rather than pruned in place: removals leave tombstones that
/// make the table grow past its cap on later insertions, and the rebuild (one pass,
/// like the pruning) keeps the allocation at exactly one table sized for `cap`.
fn make_room(map: &mut HashMap<Box<str>, u64>, now: u64, cap: usize) {
    let mut live: Vec<(Box<str>, u64)> = map.drain().filter(|&(_, tat)| tat > now).collect();
    if live.len() >= cap {
        let evict = (cap / 8).max(1);
        live.select_nth_unstable_by_key(evict - 1, |&(_, tat)| tat);
        live.drain(..evict);
        tracing::debug!(
            evicted = evict,
            shard_cap = cap,
            "rate limiter shard full of live clients; evicted those closest to a whole budget"
        );
    }
    let mut fresh = HashMap::with_capacity(cap);
    fresh.extend(live);
    *map = fresh;
}

/// The map holds plain numbers, consistent after any panic: poisoning is ignored.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(max_keys: usize) -> (LocalLimiter, ManualClock) {
        let clock = ManualClock::default();
        (
            LocalLimiter::with_clock(max_keys, Arc::new(clock.clone())),
            clock,
        )
    }

    #[test]
    fn exact_boundary_and_schedule() {
        let (limiter, clock) = limiter(1_000);
        let quota = Quota::new(3, Duration::from_secs(3));
        for remaining in (0..3).rev() {
            let decision = limiter.check("createUser", "10.0.0.1", quota);
            assert!(decision.allowed);
            assert_eq!(decision.remaining, remaining);
        }
        let refused = limiter.check("createUser", "10.0.0.1", quota);
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after, Some(Duration::from_secs(1)));

        clock.advance(Duration::from_secs(1));
        assert!(limiter.check("createUser", "10.0.0.1", quota).allowed);
        assert!(!limiter.check("createUser", "10.0.0.1", quota).allowed);

        clock.advance(Duration::from_secs(3));
        for _ in 0..3 {
            assert!(limiter.check("createUser", "10.0.0.1", quota).allowed);
        }
        assert!(!limiter.check("createUser", "10.0.0.1", quota).allowed);
    }

    #[test]
    fn buckets_and_keys_are_independent() {
        let (limiter, _clock) = limiter(1_000);
        let quota = Quota::new(1, Duration::from_secs(60));
        assert!(limiter.check("createUser", "a", quota).allowed);
        assert!(!limiter.check("createUser", "a", quota).allowed);
        assert!(limiter.check("createUser", "b", quota).allowed);
        assert!(limiter.check("createToken", "a", quota).allowed);
    }

    #[test]
    fn memory_stays_bounded_under_many_live_keys() {
        let (limiter, _clock) = limiter(1_600);
        let quota = Quota::new(5, Duration::from_secs(3600));
        for i in 0..200_000u32 {
            let decision = limiter.check("searchProducts", &format!("client-{i}"), quota);
            assert!(decision.allowed, "a new client always has a budget");
        }
        assert!(limiter.len() <= limiter.max_keys());
        assert_eq!(limiter.max_keys(), 1_600);
        // HashMap rounds capacity up to a power of two per shard, no further.
        let per_shard = 1_600 / SHARDS;
        let bound = SHARDS * (per_shard * 8 / 7).next_power_of_two();
        assert!(
            limiter.allocated_slots() <= bound,
            "{} slots allocated, bound {bound}",
            limiter.allocated_slots()
        );
    }

    #[test]
    fn expired_entries_make_room_without_evicting_live_ones() {
        let (limiter, clock) = limiter(SHARDS * 10);
        let short = Quota::new(1, Duration::from_secs(1));
        let long = Quota::new(1, Duration::from_secs(3600));
        // A client that must stay limited...
        assert!(limiter.check("createToken", "attacker", long).allowed);
        // ...then many short-lived clients, whose budgets are whole a second later.
        for i in 0..1_000 {
            limiter.check("searchProducts", &format!("c{i}"), short);
            clock.advance(Duration::from_millis(10));
        }
        assert!(
            !limiter.check("createToken", "attacker", long).allowed,
            "a live entry was evicted while expired ones were available"
        );
    }

    #[test]
    fn eviction_under_pressure_keeps_the_most_limited_clients() {
        let (limiter, clock) = limiter(SHARDS * 8);
        let quota = Quota::new(2, Duration::from_secs(3600));
        // The brute-forcer spends its whole budget: its TAT is the furthest away.
        assert!(limiter.check("createToken", "attacker", quota).allowed);
        assert!(limiter.check("createToken", "attacker", quota).allowed);
        for i in 0..10_000 {
            clock.advance(Duration::from_micros(1));
            limiter.check("createToken", &format!("c{i}"), quota);
        }
        assert!(limiter.len() <= limiter.max_keys());
        assert!(!limiter.check("createToken", "attacker", quota).allowed);
    }
}
