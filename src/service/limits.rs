//! What a customer ordering on their own (at a kiosk) may hold, so that one person cannot
//! empty the shelves of the best seller by ordering and never paying: a cap on units per
//! line, on orders waiting for payment, a shorter wait before unpaid ones are cancelled than
//! at the till, and a cap on the accounts one terminal makes in an hour.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomerLimits {
    pub max_units_per_line: i32,
    pub max_unpaid_orders: i64,
    /// A customer's unpaid order is cancelled after this long (a till's after the
    /// payments setting's, usually longer: the customer is at the counter).
    pub unpaid_after: Duration,
    pub registrations_per_hour: usize,
}

impl Default for CustomerLimits {
    fn default() -> Self {
        CustomerLimits {
            max_units_per_line: 10,
            max_unpaid_orders: 2,
            unpaid_after: Duration::from_secs(10 * 60),
            registrations_per_hour: 5,
        }
    }
}

/// The accounts made at this terminal in the last hour (one terminal, one process).
#[derive(Debug, Clone, Default)]
pub struct Registrations {
    made: Arc<Mutex<VecDeque<Instant>>>,
}

impl Registrations {
    /// Counts one more registration if fewer than `per_hour` were made in the last hour.
    pub fn try_one(&self, per_hour: usize) -> bool {
        let mut made = self
            .made
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let hour_ago = Instant::now().checked_sub(Duration::from_secs(3600));
        while made.front().is_some_and(|at| Some(*at) < hour_ago) {
            made.pop_front();
        }
        if made.len() >= per_hour {
            return false;
        }
        made.push_back(Instant::now());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrations_stop_at_the_hourly_cap() {
        let registrations = Registrations::default();
        assert!((0..3).all(|_| registrations.try_one(3)));
        assert!(!registrations.try_one(3));
        assert!(
            Registrations::default().try_one(3),
            "another terminal counts apart"
        );
    }
}
