//! The decode budget: how much memory image decoding may hold at once in this process,
//! shared by the upload checks and the resize jobs. Each decode reserves what its
//! header says it will need before it allocates anything, and gives it back when done.
//! An upload that finds the budget spent is refused at once (the caller retries), a job
//! waits its turn, and a decode that needs more than the whole budget never starts.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The budget is counted in units of this many bytes (a semaphore's permits are `u32`).
const UNIT: u64 = 1024;

/// Why a reservation was not made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BudgetError {
    /// The budget is in use by other decodes now; worth retrying shortly.
    #[error("image decoding is using all of its memory budget now")]
    Spent,
    /// The decode needs more than the whole budget: it can never run here.
    #[error("decoding needs {needed} bytes, more than the whole budget of {total}")]
    TooLarge { needed: u64, total: u64 },
}

/// A shared bound on decoding memory, in bytes.
#[derive(Debug, Clone)]
pub struct DecodeBudget {
    permits: Arc<Semaphore>,
    units: u32,
}

/// Memory reserved for one decode, given back when dropped.
#[derive(Debug)]
pub struct Reservation {
    _permit: OwnedSemaphorePermit,
    bytes: u64,
}

impl Reservation {
    /// The bytes reserved: the most the decode may allocate.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

impl DecodeBudget {
    /// A budget of `bytes` (rounded up to whole KiB, at least one).
    pub fn new(bytes: u64) -> Self {
        let units = u32::try_from(bytes.div_ceil(UNIT))
            .unwrap_or(u32::MAX)
            .max(1);
        Self {
            permits: Arc::new(Semaphore::new(units as usize)),
            units,
        }
    }

    /// The whole budget, in bytes.
    pub fn total(&self) -> u64 {
        u64::from(self.units) * UNIT
    }

    /// What is not reserved now, in bytes.
    pub fn available(&self) -> u64 {
        self.permits.available_permits() as u64 * UNIT
    }

    fn units_for(&self, bytes: u64) -> Result<u32, BudgetError> {
        let units = bytes.div_ceil(UNIT).max(1);
        u32::try_from(units)
            .ok()
            .filter(|units| *units <= self.units)
            .ok_or(BudgetError::TooLarge {
                needed: bytes,
                total: self.total(),
            })
    }

    fn reservation(permit: OwnedSemaphorePermit, units: u32) -> Reservation {
        Reservation {
            _permit: permit,
            bytes: u64::from(units) * UNIT,
        }
    }

    /// Reserves `bytes` now, or says why not without waiting.
    pub fn try_reserve(&self, bytes: u64) -> Result<Reservation, BudgetError> {
        let units = self.units_for(bytes)?;
        let permit = Arc::clone(&self.permits)
            .try_acquire_many_owned(units)
            .map_err(|_| BudgetError::Spent)?;
        Ok(Self::reservation(permit, units))
    }

    /// Reserves `bytes`, waiting until other decodes have given enough back.
    pub async fn reserve(&self, bytes: u64) -> Result<Reservation, BudgetError> {
        let units = self.units_for(bytes)?;
        let permit = Arc::clone(&self.permits)
            .acquire_many_owned(units)
            .await
            .expect("the budget's semaphore is never closed");
        Ok(Self::reservation(permit, units))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    #[test]
    fn reservations_never_hold_more_than_the_budget() {
        let budget = DecodeBudget::new(100 * MIB);
        let first = budget.try_reserve(60 * MIB).unwrap();
        assert_eq!(first.bytes(), 60 * MIB);
        assert_eq!(budget.available(), 40 * MIB);
        assert_eq!(
            budget.try_reserve(41 * MIB).unwrap_err(),
            BudgetError::Spent
        );
        let second = budget.try_reserve(40 * MIB).unwrap();
        assert_eq!(budget.available(), 0);
        assert_eq!(budget.try_reserve(1).unwrap_err(), BudgetError::Spent);
        drop(first);
        assert_eq!(budget.available(), 60 * MIB);
        drop(second);
        assert_eq!(budget.available(), budget.total());
    }

    #[test]
    fn a_decode_larger_than_the_whole_budget_is_refused_for_good() {
        let budget = DecodeBudget::new(100 * MIB);
        assert_eq!(
            budget.try_reserve(100 * MIB + 1).unwrap_err(),
            BudgetError::TooLarge {
                needed: 100 * MIB + 1,
                total: 100 * MIB
            }
        );
        assert_eq!(budget.available(), 100 * MIB, "nothing was taken");
    }

    #[test]
    fn a_reservation_is_rounded_up_to_whole_units() {
        let budget = DecodeBudget::new(10 * UNIT);
        let small = budget.try_reserve(1).unwrap();
        assert_eq!(small.bytes(), UNIT);
        let odd = budget.try_reserve(UNIT + 1).unwrap();
        assert_eq!(odd.bytes(), 2 * UNIT);
        assert_eq!(budget.available(), 7 * UNIT);
    }

    #[tokio::test]
    async fn a_waiting_reservation_is_served_once_enough_is_given_back() {
        let budget = DecodeBudget::new(10 * MIB);
        let held = budget.try_reserve(8 * MIB).unwrap();
        let waiting = tokio::spawn({
            let budget = budget.clone();
            async move { budget.reserve(5 * MIB).await.map(|r| r.bytes()) }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "5 MiB do not fit beside 8 of 10");
        drop(held);
        assert_eq!(waiting.await.unwrap(), Ok(5 * MIB));
        assert_eq!(budget.available(), 10 * MIB);
    }
}
