//! Facts this process learned from the server, kept in bounded memory:
//! which `$all` positions are real event positions, and where event ids were
//! written. Both only ever hold facts (events never move), so a stale entry
//! cannot be wrong, only missing.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

use parking_lot::Mutex;
use uuid::Uuid;

/// Positions remembered (about 1 MiB).
pub(super) const POSITIONS_CAPACITY: usize = 65_536;
/// Event ids remembered (a few MiB, depending on stream name lengths).
pub(super) const IDS_CAPACITY: usize = 65_536;

/// A map that forgets its oldest insertions beyond a capacity.
struct Bounded<K, V> {
    map: HashMap<K, V>,
    order: VecDeque<K>,
    capacity: usize,
}

impl<K: Eq + Hash + Clone, V> Bounded<K, V> {
    fn new(capacity: usize) -> Self {
        Self {
            map: HashMap::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    fn insert(&mut self, key: K, value: V) {
        if self.map.insert(key.clone(), value).is_none() {
            self.order.push_back(key);
            while self.order.len() > self.capacity {
                if let Some(old) = self.order.pop_front() {
                    self.map.remove(&old);
                }
            }
        }
    }

    fn get(&self, key: &K) -> Option<&V> {
        self.map.get(key)
    }
}

/// Global positions known to be the position of an event in `$all`. Reading
/// or subscribing from any other number fails on the server, so these are
/// the anchors `read_all` and `subscribe_all` start from.
pub(super) struct KnownPositions(Mutex<Bounded<u64, ()>>);

impl KnownPositions {
    pub(super) fn new(capacity: usize) -> Self {
        Self(Mutex::new(Bounded::new(capacity)))
    }

    pub(super) fn insert(&self, position: u64) {
        self.0.lock().insert(position, ());
    }

    pub(super) fn contains(&self, position: u64) -> bool {
        self.0.lock().get(&position).is_some()
    }
}

/// Where an event id was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Written {
    /// The stream it was written to.
    pub(super) stream: String,
    /// Its revision there.
    pub(super) version: u64,
    /// Its `$all` position, when known.
    pub(super) position: Option<u64>,
}

/// Event ids this process appended or read from a stream, with where they
/// were written: what lets the backend refuse an id re-sent to another stream.
pub(super) struct KnownIds(Mutex<Bounded<Uuid, Written>>);

impl KnownIds {
    pub(super) fn new(capacity: usize) -> Self {
        Self(Mutex::new(Bounded::new(capacity)))
    }

    pub(super) fn insert(&self, id: Uuid, written: Written) {
        self.0.lock().insert(id, written);
    }

    pub(super) fn get(&self, id: &Uuid) -> Option<Written> {
        self.0.lock().get(id).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_entries_are_forgotten_first() {
        let known = KnownPositions::new(3);
        for p in [10, 20, 30] {
            known.insert(p);
        }
        known.insert(20); // already known: does not refresh or grow
        known.insert(40);
        assert!(!known.contains(10));
        assert!(known.contains(20) && known.contains(30) && known.contains(40));
    }

    #[test]
    fn ids_remember_where_they_were_written() {
        let ids = KnownIds::new(2);
        let (a, b, c) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let at = |version| Written {
            stream: "s".into(),
            version,
            position: None,
        };
        ids.insert(a, at(0));
        ids.insert(b, at(1));
        ids.insert(a, at(0));
        ids.insert(c, at(2));
        assert_eq!(ids.get(&a), None);
        assert_eq!(ids.get(&c), Some(at(2)));
    }
}
