//! What a customer ordering on their own (at a kiosk) may hold, so that one person cannot
//! empty the shelves of the best seller by ordering and never paying: a cap on units per
//! line, on orders waiting for payment, a shorter wait before unpaid ones are cancelled than
//! at the till, and a cap on the accounts one terminal makes in an hour. And how many failed
//! logins one terminal may see before it pauses them, whatever the usernames.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_units_per_line: i32,
    pub max_unpaid_orders: i64,
    /// A customer's unpaid order is cancelled after this long (a till's after the
    /// payments setting's, usually longer: the customer is at the counter).
    pub unpaid_after: Duration,
    pub registrations_per_hour: usize,
    /// Failed logins at one terminal (any usernames) before it pauses logins ...
    pub failed_logins_per_terminal: usize,
    /// ... counted over this long.
    pub failed_logins_window: Duration,
}

/// Things that happened at this terminal (one terminal, one process) within a sliding
/// window: accounts made in the last hour, failed logins in the last minutes.
#[derive(Debug, Clone)]
pub struct Recent {
    window: Duration,
    at: Arc<Mutex<VecDeque<Instant>>>,
}

impl Recent {
    pub fn new(window: Duration) -> Recent {
        Recent {
            window,
            at: Arc::default(),
        }
    }

    /// The events still within the window, oldest first.
    fn current(&self) -> std::sync::MutexGuard<'_, VecDeque<Instant>> {
        let mut at = self
            .at
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        while at.front().is_some_and(|t| t.elapsed() >= self.window) {
            at.pop_front();
        }
        at
    }

    pub fn note(&self) {
        self.current().push_back(Instant::now());
    }

    /// Notes one more if fewer than `max` are in the window.
    pub fn try_one(&self, max: usize) -> bool {
        let mut at = self.current();
        if at.len() >= max {
            return false;
        }
        at.push_back(Instant::now());
        true
    }

    /// How long until fewer than `max` are in the window (zero if they are already).
    pub fn wait(&self, max: usize) -> Duration {
        let at = self.current();
        match at.len().checked_sub(max) {
            Some(over) => self.window.saturating_sub(at[over].elapsed()),
            None => Duration::ZERO,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_stop_at_the_cap_until_the_window_lets_them_go() {
        let hour = Duration::from_secs(3600);
        let registrations = Recent::new(hour);
        assert!((0..3).all(|_| registrations.try_one(3)));
        assert!(!registrations.try_one(3));
        assert!(registrations.wait(3) > hour - Duration::from_secs(5));
        assert!(
            Recent::new(hour).try_one(3),
            "another terminal counts apart"
        );
        let blink = Recent::new(Duration::from_millis(1));
        blink.note();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(blink.wait(1), Duration::ZERO);
    }
}
