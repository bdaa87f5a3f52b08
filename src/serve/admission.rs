//! Who may come in: a cap on sessions in all, on connections open from one address, and on
//! new connections from one address a minute (a client reconnecting in a tight loop, or
//! somebody trying keys). A place is given back when its connection ends.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::service::limits::Recent;

pub struct Admission {
    sessions: Arc<Semaphore>,
    max_sessions: usize,
    sources: Arc<Mutex<Sources>>,
    max_open_per_source: usize,
    max_new_per_minute: usize,
}

#[derive(Default)]
struct Sources {
    open: HashMap<IpAddr, usize>,
    recent: HashMap<IpAddr, Recent>,
}

/// A connection's place, given back when dropped.
pub struct Slot {
    _session: OwnedSemaphorePermit,
    source: IpAddr,
    sources: Arc<Mutex<Sources>>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut sources = self.sources.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(open) = sources.open.get_mut(&self.source) {
            *open -= 1;
            if *open == 0 {
                sources.open.remove(&self.source);
            }
        }
    }
}

const MINUTE: Duration = Duration::from_secs(60);

impl Admission {
    pub fn new(max_sessions: usize, max_open_per_source: usize, max_new_per_minute: usize) -> Self {
        Admission {
            sessions: Arc::new(Semaphore::new(max_sessions)),
            max_sessions,
            sources: Arc::default(),
            max_open_per_source,
            max_new_per_minute,
        }
    }

    /// A place for a new connection from `source`, if it may come in now.
    pub fn admit(&self, source: IpAddr) -> Option<Slot> {
        let mut sources = self.sources.lock().unwrap_or_else(PoisonError::into_inner);
        // Addresses quiet for a minute are forgotten, so the table stays small.
        sources.recent.retain(|_, recent| !recent.wait(1).is_zero());
        let recent = sources
            .recent
            .entry(source)
            .or_insert_with(|| Recent::new(MINUTE));
        if !recent.try_one(self.max_new_per_minute) {
            return None;
        }
        let open = sources.open.entry(source).or_default();
        if *open >= self.max_open_per_source {
            return None;
        }
        let session = self.sessions.clone().try_acquire_owned().ok()?;
        *open += 1;
        Some(Slot {
            _session: session,
            source,
            sources: self.sources.clone(),
        })
    }

    /// Waits (at most `within`) until every place has been given back.
    pub async fn all_closed(&self, within: Duration) {
        let all = u32::try_from(self.max_sessions).unwrap_or(u32::MAX);
        let _ = tokio::time::timeout(within, self.sessions.acquire_many(all)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn an_address_reconnecting_in_a_loop_is_turned_away_and_others_are_not() {
        let doors = Admission::new(100, 10, 3);
        for _ in 0..3 {
            drop(doors.admit(A).expect("within the minute's allowance"));
        }
        assert!(
            doors.admit(A).is_none(),
            "a fourth new connection this minute"
        );
        assert!(doors.admit(B).is_some(), "another address is not held up");
    }

    #[test]
    fn open_connections_are_capped_per_address_and_in_all() {
        let doors = Admission::new(3, 2, 100);
        let (first, _second) = (doors.admit(A).unwrap(), doors.admit(A).unwrap());
        assert!(doors.admit(A).is_none(), "a third open from one address");
        drop(first);
        let _again = doors.admit(A).expect("a place given back is taken again");
        let _b = doors.admit(B).unwrap();
        assert!(doors.admit(B).is_none(), "the server's session cap");
    }
}
