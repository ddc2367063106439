//! Single flight: concurrent identical misses make one upstream call.
//!
//! The first miss of a key becomes the leader and registers its answer's event log; the next
//! ones find it and follow that log (a stream joins the running answer's events as they come).
//! The leader's log always ends with exactly one `done` or `error` (its `TerminalGuard` sees to
//! it), so a waiter gets the leader's answer or, the moment it fails, its error: never a hang.
//! The registration goes when the leader's [`Flight`] drops, after its answer was stored.

use crate::stream::EventLog;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

/// The flights in progress, by key.
#[derive(Default)]
pub struct Flights(Arc<Mutex<HashMap<String, Arc<EventLog>>>>);

/// What a miss does.
pub enum Join {
    /// Call the model; hold this until the answer is stored.
    Leader(Flight),
    /// Follow this answer.
    Waiter(Arc<EventLog>),
}

/// A leader's registration; removed on drop.
pub struct Flight {
    flights: Weak<Mutex<HashMap<String, Arc<EventLog>>>>,
    key: String,
    log: Arc<EventLog>,
}

impl Drop for Flight {
    fn drop(&mut self) {
        if let Some(map) = self.flights.upgrade() {
            let mut g = map
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if g.get(&self.key).is_some_and(|l| Arc::ptr_eq(l, &self.log)) {
                g.remove(&self.key);
            }
        }
    }
}

impl Flights {
    /// Joins the flight of `key`, or starts one led by `log`.
    pub fn join(&self, key: &str, log: &Arc<EventLog>) -> Join {
        let mut g = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(running) = g.get(key) {
            // A leader whose answer failed must not be joined later: its error was for the
            // requests that overlapped it, not for the next one.
            let failed = running
                .events_after(0)
                .last()
                .is_some_and(|e| e.event.is_error());
            if !failed {
                return Join::Waiter(Arc::clone(running));
            }
        }
        g.insert(key.to_owned(), Arc::clone(log));
        Join::Leader(Flight {
            flights: Arc::downgrade(&self.0),
            key: key.to_owned(),
            log: Arc::clone(log),
        })
    }

    /// Flights in progress.
    pub fn len(&self) -> usize {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::event::Event;

    fn log() -> Arc<EventLog> {
        Arc::new(EventLog::new("s".into(), "o".into(), false, 100, 1 << 20))
    }

    #[test]
    fn the_first_leads_the_next_follow_and_the_flight_ends_with_its_leader() {
        let f = Flights::default();
        let (a, b) = (log(), log());
        let Join::Leader(flight) = f.join("k", &a) else {
            panic!("first must lead")
        };
        match f.join("k", &b) {
            Join::Waiter(l) => assert!(Arc::ptr_eq(&l, &a)),
            Join::Leader(_) => panic!("second must follow"),
        }
        drop(flight);
        assert!(f.is_empty());
        assert!(matches!(f.join("k", &b), Join::Leader(_)));
    }

    #[test]
    fn a_failed_leader_is_not_joined_by_later_requests() {
        let f = Flights::default();
        let a = log();
        let _flight = f.join("k", &a);
        a.push(Event::interrupted("r")).ok();
        assert!(matches!(f.join("k", &log()), Join::Leader(_)));
    }
}
